"""The property framework: Subject's guarded calls, check() and the registry.

Everything here is a direct call with hand-made arrays; nothing runs verify or
Hypothesis.
"""

from __future__ import annotations

import re
from typing import Any, cast

import numpy as np
import pytest
from hypothesis import strategies as st

from proofcheck.errors import ImplementationError, InputError
from proofcheck.network import Network
from proofcheck.numerics.tolerances import Tolerance, compare, term_scale
from proofcheck.properties import _framework
from proofcheck.properties._framework import (
    Check,
    Context,
    Property,
    Subject,
    UserCodeFailure,
    WrongResult,
    check,
    register,
)


def _no_checks(subject: Subject, example: Any) -> list[Check]:
    return []


def _nothing(context: Context) -> st.SearchStrategy[Any]:
    return st.none()


def _property(step: str = "T1.b", mode: str = "isolated", *, needs: tuple[str, ...] = (),
              needs_any: tuple[str, ...] = (),
              tolerance: str | Tolerance = "gradient") -> Property:
    return Property(step, cast(Any, mode), needs, generates="nothing", compares="nothing",
                    strategy=_nothing, check=_no_checks, needs_any=needs_any,
                    tolerance=tolerance)


class Scribbler:
    """Writes into every array it is given, and returns what it saw."""

    def output_delta(self, dfz: Any, grad_a: Any) -> Any:
        dfz[...] = -1.0
        for a in grad_a:
            a[...] = -2.0
        return dfz


class Raiser:
    def bias_grad(self, delta: Any, *extra: Any) -> Any:
        raise ZeroDivisionError("the user's code divided by zero")

    def weight_grad(self, delta: Any, a_prev: Any) -> Any:
        raise ImplementationError("cannot be checked")

    def output_delta(self, dfz: Any, grad_a: Any) -> Any:
        raise InputError("a bad argument")


class Returns:
    """bias_grad returns whatever it was built with."""

    def __init__(self, value: Any) -> None:
        self.value = value

    def bias_grad(self, delta: Any) -> Any:
        return self.value

    def gradients(self, weights: Any, biases: Any, activations: Any, cost: Any, X: Any,
                  Y: Any) -> Any:
        return self.value


class Conv:
    """A layer type of the user's, whose method a subject calls with owner=."""

    def forward(self, x: Any) -> Any:
        return x * 2.0

    def backward(self, x: Any) -> Any:
        raise RuntimeError("not yet")


# --- Subject.call ----------------------------------------------------------------------


def test_the_function_gets_copies_so_the_callers_arrays_are_unchanged() -> None:
    dfz = np.ones((2, 3))
    grad_a = [np.ones(2), np.ones(4)]
    result = Subject(Scribbler()).call("output_delta", {"dfz": dfz, "grad_a": grad_a})
    assert np.array_equal(dfz, np.ones((2, 3)))
    assert all(np.array_equal(a, np.ones(a.shape)) for a in grad_a)
    assert result is not dfz and np.array_equal(result, np.full((2, 3), -1.0))


def test_an_exception_becomes_a_failure_naming_the_function_and_the_last_line() -> None:
    delta = np.ones((2, 1))
    with pytest.raises(UserCodeFailure) as info:
        Subject(Raiser()).call("bias_grad", {"delta": delta, "note": "not an array"})
    failure = info.value
    assert type(failure) is UserCodeFailure
    assert failure.function == "bias_grad"
    assert failure.last_line == "ZeroDivisionError: the user's code divided by zero"
    assert str(failure) == "bias_grad raised ZeroDivisionError: the user's code divided by zero"
    assert list(failure.inputs) == ["delta"] and failure.inputs["delta"] is delta


def test_implementation_and_input_errors_pass_through_unchanged() -> None:
    subject = Subject(Raiser())
    with pytest.raises(ImplementationError, match=r"^cannot be checked$"):
        subject.call("weight_grad", {"delta": np.ones(1), "a_prev": np.ones(1)})
    with pytest.raises(InputError, match=r"^a bad argument$"):
        subject.call("output_delta", {"dfz": np.ones(1), "grad_a": np.ones(1)})


def test_owner_calls_a_method_of_another_object_labelled_with_its_type() -> None:
    subject = Subject(Raiser())
    x = np.arange(3.0)
    assert np.array_equal(subject.call("forward", {"x": x}, owner=Conv()), 2 * x)
    with pytest.raises(UserCodeFailure) as info:
        subject.call("backward", {"x": x}, owner=Conv())
    assert info.value.function == "Conv.backward"
    assert info.value.last_line == "RuntimeError: not yet"


# --- Subject.array ---------------------------------------------------------------------


def test_a_wrong_shape_is_a_wrong_result_naming_both_shapes() -> None:
    with pytest.raises(WrongResult) as info:
        Subject(Returns(np.zeros(3))).array("bias_grad", {"delta": np.ones((2, 1))}, (2,),
                                            "(n_l,)")
    assert info.value.function == "bias_grad"
    assert info.value.message == "bias_grad returned an array with shape (3,); expected " \
                                 "(n_l,) = (2,)"


def test_a_nan_is_a_wrong_result_naming_its_index() -> None:
    value = np.zeros((2, 3))
    value[1, 2] = np.nan
    with pytest.raises(WrongResult) as info:
        Subject(Returns(value)).array("bias_grad", {"delta": np.ones((2, 3))}, (2, 3))
    assert "with nan at index [1, 2] (shape (2, 3))" in info.value.message
    assert list(info.value.inputs) == ["delta"]


def test_an_infinity_is_a_wrong_result_too() -> None:
    with pytest.raises(WrongResult, match=r"inf at index \[0\]"):
        Subject(Returns(np.array([np.inf, 1.0]))).array("bias_grad", {"delta": np.ones(2)},
                                                        (2,))


@pytest.mark.parametrize("value", [[0.0, 0.0], 0.0, np.zeros(2, dtype=np.float32)],
                         ids=["a list", "a float", "a float32 array"])
def test_anything_but_a_float64_array_is_an_implementation_error(value: Any) -> None:
    with pytest.raises(ImplementationError, match=r"^bias_grad returned .*expected"):
        Subject(Returns(value)).array("bias_grad", {"delta": np.ones(2)}, (2,))


def test_a_finite_float64_array_of_the_right_shape_is_returned_as_is() -> None:
    value = np.array([1.0, -2.0])
    assert Subject(Returns(value)).array("bias_grad", {"delta": np.ones(2)}, (2,)) is value


def test_an_owners_wrong_result_is_labelled_with_its_type() -> None:
    with pytest.raises(WrongResult) as info:
        Subject(None).array("forward", {"x": np.ones(2)}, (3,), owner=Conv())
    assert info.value.function == "Conv.forward"
    assert info.value.message.startswith("Conv.forward returned an array with shape (2,)")


# --- Subject.gradients -----------------------------------------------------------------


def _gradients(result: Any) -> tuple[list[Any], list[Any]]:
    weights = [np.ones((3, 2)), np.ones((1, 3))]
    biases = [np.zeros(3), np.zeros(1)]
    net = Network.paper(weights, biases, ["tanh", "sigmoid"], "squared_error",
                        np.ones((2, 1)), np.ones((1, 1)))
    return Subject(Returns(result)).gradients(net)


def test_gradients_with_one_array_too_few_is_a_wrong_result() -> None:
    with pytest.raises(WrongResult) as info:
        _gradients(([np.zeros((3, 2))], [np.zeros(3), np.zeros(1)]))
    assert info.value.message == "gradients returned dWs as a list of 1 arrays; expected " \
                                 "k = 2, one per layer"


@pytest.mark.parametrize("result", [np.zeros(2), ([], [], []), None],
                         ids=["an array", "a triple", "None"])
def test_gradients_returning_no_pair_is_an_implementation_error(result: Any) -> None:
    with pytest.raises(ImplementationError, match="expected a pair"):
        _gradients(result)


def test_gradients_with_a_list_that_is_not_a_list_is_an_implementation_error() -> None:
    with pytest.raises(ImplementationError, match=r"returned dbs as an? .*expected a list"):
        _gradients(([np.zeros((3, 2)), np.zeros((1, 3))], np.zeros(4)))


def test_gradients_of_the_right_shapes_come_back_as_two_lists() -> None:
    dWs, dbs = _gradients(((np.zeros((3, 2)), np.zeros((1, 3))), (np.zeros(3), np.zeros(1))))
    assert isinstance(dWs, list) and isinstance(dbs, list)
    assert [a.shape for a in dWs + dbs] == [(3, 2), (1, 3), (3,), (1,)]


def test_a_wrongly_shaped_layer_gradient_names_its_index_and_the_formula() -> None:
    with pytest.raises(WrongResult) as info:
        _gradients(([np.zeros((3, 2)), np.zeros((3, 1))], [np.zeros(3), np.zeros(1)]))
    assert info.value.message == "gradients returned dWs[1] with shape (3, 1); expected " \
                                 "(1, 3) (dW^2 : (n_2, n_1))"


# --- what a property needs -------------------------------------------------------------


class Partial:
    """Two of the protocol's functions, and a bias_grad that is not callable."""

    bias_grad = "not a function"

    def output_delta(self, dfz: Any, grad_a: Any) -> Any:
        return dfz

    def gradients(self, *args: Any) -> Any:
        return None


def test_missing_lists_the_needed_functions_not_provided() -> None:
    subject = Subject(Partial())
    assert subject.missing(_property(needs=("output_delta", "bias_grad"))) == ["bias_grad"]
    assert subject.missing(_property(needs=("output_delta",),
                                     needs_any=("weight_grad", "gradients"))) == []
    assert subject.missing(_property(needs=("weight_grad",),
                                     needs_any=("backward_delta", "bias_grad"))) == [
        "weight_grad", "backward_delta or bias_grad"]


def test_calls_of_are_the_needs_and_the_provided_ones_of_needs_any() -> None:
    subject = Subject(Partial())
    prop = _property(needs=("output_delta",),
                     needs_any=("weight_grad", "gradients", "bias_grad"))
    assert subject.calls_of(prop) == ["output_delta", "gradients"]
    assert subject.calls_of(_property(needs=("bias_grad",))) == ["bias_grad"]


# --- check() ---------------------------------------------------------------------------


def test_check_judges_at_the_term_scale_of_its_inputs_by_default() -> None:
    actual, expected = np.array([1e-3]), np.array([1e-3 + 1e-6])
    inputs = {"delta": np.full((2, 2), 1e3), "a_prev": np.full((2, 1), 0.5)}
    made = check("dc/db^1", actual, expected, inputs=inputs, function="bias_grad", layer=1)
    assert made.comparison == compare(actual, expected, scale=term_scale(*inputs.values()))
    assert made.comparison.holds  # 1e-6 is small next to terms of size 1e3
    assert not check("dc/db^1", actual, expected).comparison.holds  # but not next to 1e-3
    assert (made.quantity, made.function, made.layer) == ("dc/db^1", "bias_grad", 1)
    assert made.inputs == inputs and made.inputs is not inputs


def test_an_explicit_scale_and_kind_are_used_as_given() -> None:
    actual, expected = np.array([1.0]), np.array([1.0 + 1e-8])
    made = check("f'(z)", actual, expected, kind="finite differences", scale=1.0,
                 inputs={"z": np.full(3, 1e6)}, kink_convention="relu'(0) = 0")
    assert made.comparison == compare(actual, expected, "finite differences", scale=1.0)
    assert made.comparison.tolerance.name == "finite differences"
    assert made.kink_convention == "relu'(0) = 0"


# --- register() ------------------------------------------------------------------------


@pytest.fixture
def registry(monkeypatch: pytest.MonkeyPatch) -> list[Property]:
    """An empty registry in place of the real one."""
    fresh: list[Property] = []
    monkeypatch.setattr(_framework, "PROPERTIES", fresh)
    return fresh


def test_register_adds_a_property_and_returns_it(registry: list[Property]) -> None:
    first = _property("T1.b", "isolated")
    own = _property("T1.b", "exact", tolerance=Tolerance(0.0, 0.0, "bit for bit", "exact"))
    assert register(first) is first and register(own) is own
    assert registry == [first, own]


@pytest.mark.parametrize(("prop", "message"), [
    (_property(step="T9.nope"), "names step 'T9.nope', which is not in proofcheck.steps"),
    (_property(mode="guessed"), "has mode 'guessed'; expected one of"),
    (_property(tolerance="loose"), "declares the tolerance kind 'loose'; expected a key"),
], ids=["an unknown step", "an unknown mode", "an unknown tolerance kind"])
def test_register_refuses(registry: list[Property], prop: Property, message: str) -> None:
    with pytest.raises(ValueError, match=f"^property _no_checks {re.escape(message)}"):
        register(prop)
    assert registry == []


def test_register_refuses_a_second_property_with_the_same_key(
        registry: list[Property]) -> None:
    register(_property("T1.W", "isolated", needs=("weight_grad",)))
    with pytest.raises(ValueError, match=r"^a property for T1\.W/isolated is already"):
        register(_property("T1.W", "isolated", needs=("bias_grad",)))
    assert [p.needs for p in registry] == [("weight_grad",)]


def test_a_crash_is_named_by_its_type_and_first_line_not_by_a_note() -> None:
    class Impl:
        def bias_grad(self, delta: np.ndarray) -> np.ndarray:
            exc = ValueError("boom\nsecond line")
            exc.add_note("a note")
            raise exc

    with pytest.raises(UserCodeFailure) as failure:
        Subject(Impl()).call("bias_grad", {"delta": np.ones((1, 1))})
    assert failure.value.last_line == "ValueError: boom"
