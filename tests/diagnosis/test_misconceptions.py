"""The misconception matcher (proofcheck/diagnosis/misconceptions.py) on rows built by hand, with no
verify run: a mistake the catalog does not know, two mistakes that one counterexample
cannot tell apart, a correct implementation in another style, a call that raises, a
layer's configuration, and the rows it cannot replay."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, ClassVar

import numpy as np
import pytest

import proofcheck
from proofcheck import catalog
from proofcheck.catalog import LoopBackprop
from proofcheck.diagnosis.misconceptions import name_misconception
from proofcheck.diagnosis.report import Counterexample, Row
from proofcheck.layers import Conv1D, Dropout, LayerMap
from proofcheck.steps import get_step


def failing_row(step: str, function: str, inputs: dict[str, Any], *,
                network: dict[str, Any] | None = None, mode: str = "isolated",
                layer: str | None = None, quantity: str | None = None,
                expected: Any = None) -> Row:
    """A failing row whose counterexample records ``function`` called on ``inputs``."""
    c = Counterexample(network, quantity=quantity, function=function, inputs=inputs,
                       expected=expected)
    return Row(step, mode, get_step(step).title, get_step(step).statement, "fails",
               layer=layer, counterexample=c)


def network(activations: list[str], cost: str, weights: list[Any], biases: list[Any],
            X: Any, Y: Any) -> dict[str, Any]:
    """A counterexample's network, as the report stores it (plain lists)."""
    return {"depth": len(weights), "activations": activations, "cost": cost,
            "layers": [f"Affine({np.shape(W)[1]} -> {np.shape(W)[0]})" for W in weights],
            "params": [{"W": W, "b": b} for W, b in zip(weights, biases, strict=True)],
            "X": X, "Y": Y}


def names(impl: object, row: Row) -> list[str]:
    return [m.entry.name for m in name_misconception(impl, row)]


# --- the matcher on rows built by hand --------------------------------------------


class DoubledStep(proofcheck.MatrixBackprop):
    """A mistake the catalog does not know: the induction step doubled."""

    def backward_delta(self, W_next, delta_next, dfz):  # type: ignore[no-untyped-def]
        return 2.0 * dfz * (W_next.T @ delta_next)


class TransposedDelta(proofcheck.MatrixBackprop):
    """Another shape error in the induction step: delta^{l+1} transposed as well."""

    def backward_delta(self, W_next, delta_next, dfz):  # type: ignore[no-untyped-def]
        return dfz * (W_next.T @ delta_next.T)


class ThriceTheGradient(LoopBackprop):
    """A mistake the catalog does not know, in ``gradients``."""

    def gradients(self, *args):  # type: ignore[no-untyped-def]
        dWs, dbs = super().gradients(*args)
        return [3 * W for W in dWs], [3 * b for b in dbs]


STEP_INPUTS = {"W_next": [[0.5, -1.0], [2.0, 0.25]], "delta_next": [[1.0], [-0.5]],
               "dfz": [[0.75], [0.2]]}
STEP_ROW = failing_row("T1.step", "backward_delta", STEP_INPUTS)


def test_a_step_mistake_is_named_with_a_sentence_a_student_can_read() -> None:
    [match] = name_misconception(catalog.missing_transpose(), STEP_ROW)
    assert match.entry.name == "missing_transpose" and match.function == "backward_delta"
    assert match.message == (
        "your `backward_delta` returns exactly what `dfz * (W_next @ delta_next)` returns on "
        "this counterexample: W^{l+1} instead of its transpose in the induction step.")
    assert match.entry.docs == "proof/theorem.html#T1.step"


def test_a_mistake_the_catalog_does_not_know_is_not_named() -> None:
    assert names(DoubledStep(), STEP_ROW) == []
    net = network(["tanh", "sigmoid"], "squared_error", [[[0.5, -1.0]], [[2.0]]],
                  [[0.1], [-0.3]], [[1.0], [0.5]], [[0.25]])
    row = failing_row("T1.grad", "gradients", {"X": net["X"], "Y": net["Y"]}, network=net,
                      mode="end-to-end")
    assert names(ThriceTheGradient(), row) == []
    assert names(catalog.wrong_sign, row) == ["wrong_sign"]


def test_a_correct_implementation_is_never_named_even_where_mistakes_do_not_show() -> None:
    """On a network of zeros with identity activations most mistakes give the right
    gradients; a correct implementation in another style agrees with all of them
    there, and is named by none (nor is the reference)."""
    zeros = network(["identity"], "squared_error", [[[0.0]]], [[0.5]], [[0.0]], [[0.0]])
    row = failing_row("T1.grad", "gradients", {"X": [[0.0]], "Y": [[0.0]]}, network=zeros,
                      mode="end-to-end")
    assert names(LoopBackprop(), row) == []
    assert names(proofcheck.MatrixBackprop(), row) == []
    assert names(catalog.f_instead_of_fprime, row) == ["f_instead_of_fprime"]


def test_two_mistakes_that_a_step_functions_counterexample_cannot_tell_apart_are_told_apart(
) -> None:
    """With two equal columns, the first column is the mean: both bias mistakes give the
    same output there. A second call, on arguments of the same shapes whose entries all
    differ, tells them apart: a submission that divides by N twice is never told that it
    did not sum (with the fix it already has)."""
    equal = failing_row("T2", "bias_grad", {"delta": [[-0.5, -0.5]]})
    matches = name_misconception(catalog.bias_grad_mean(), equal)
    assert [m.entry.name for m in matches] == ["bias_grad_mean"]
    assert "delta[:, 0]" not in matches[0].message
    assert names(catalog.bias_grad_not_summed(), equal) == ["bias_grad_not_summed"]
    different = failing_row("T2", "bias_grad", {"delta": [[-0.5, 1.5]]})
    assert names(catalog.bias_grad_mean(), different) == ["bias_grad_mean"]
    assert names(catalog.bias_grad_not_summed(), different) == ["bias_grad_not_summed"]


def test_a_mistake_made_in_two_step_functions_is_named_in_both() -> None:
    """A student who divides by m in weight_grad and in bias_grad (the mean cost's 1/N
    taken twice): the bias gradient's row names the mean, and the message says that
    weight_grad does the same."""

    class TwiceByM(proofcheck.MatrixBackprop):
        def weight_grad(self, delta, a_prev):  # type: ignore[no-untyped-def]
            m = delta.shape[1]
            return (delta @ a_prev.T) / m

        def bias_grad(self, delta):  # type: ignore[no-untyped-def]
            m = delta.shape[1]
            return delta.sum(axis=1) / m

    [match] = name_misconception(TwiceByM(), failing_row("T2", "bias_grad",
                                                         {"delta": [[-0.5, -0.5]]}))
    assert match.entry.name == "bias_grad_mean"
    assert "your `weight_grad` returns exactly what `(delta @ a_prev.T) / N` returns: the " \
           "weight gradient divided by N twice" in match.message
    # A submission whose other functions are right hears about this one only.
    [alone] = name_misconception(catalog.bias_grad_mean(), failing_row(
        "T2", "bias_grad", {"delta": [[-0.5, -0.5]]}))
    assert "elsewhere" not in alone.message


def test_a_bias_gradient_never_summed_is_named() -> None:
    """``return delta``: an (n_l, N) array where the (n_l,) sum belongs."""

    class Unsummed(proofcheck.MatrixBackprop):
        def bias_grad(self, delta):  # type: ignore[no-untyped-def]
            return delta

    row = failing_row("T1.b", "bias_grad", {"delta": [[0.5, -1.0], [2.0, 0.25]]})
    assert names(Unsummed(), row) == ["bias_grad_unsummed"]


def test_the_most_specific_of_two_matches_comes_first() -> None:
    """A loop that forgets the output's f' gives the gradients of the step mistake in
    output_delta: on a T1.grad row, the entry whose root cause is T1.grad comes first."""
    net = network(["tanh", "sigmoid"], "squared_error", [[[0.5, -1.0]], [[2.0]]],
                  [[0.1], [-0.3]], [[1.0], [0.5]], [[0.25]])
    row = failing_row("T1.grad", "gradients", {"X": net["X"], "Y": net["Y"]}, network=net,
                      mode="end-to-end")
    assert names(catalog.monolithic_output_without_derivative, row) == [
        "monolithic_output_without_derivative", "output_delta_without_derivative"]
    assert names(catalog.output_delta_without_derivative(), row) == [
        "monolithic_output_without_derivative", "output_delta_without_derivative"]


def test_a_tail_row_replays_the_tail_network() -> None:
    """T1.tail calls gradients on layers 2..k fed the recorded X (the tail's input)."""
    net = network(["tanh", "sin"], "squared_error", [[[0.5], [1.0]], [[2.0, -1.0]]],
                  [[0.1, 0.2], [-0.3]], [[1.0]], [[0.25]])
    row = failing_row("T1.tail", "gradients", {"X": [[0.3], [-0.2]], "Y": [[0.25]]},
                      network=net)
    assert names(catalog.wrong_sign, row) == ["wrong_sign"]


def test_a_shape_error_is_named_by_the_same_error_only() -> None:
    """Where W^{l+1} is not square, the missing transpose raises; the submission that
    raises the same error is named, one that raises another is not."""
    inputs = {"W_next": [[0.5], [2.0]], "delta_next": [[1.0], [-0.5]], "dfz": [[0.75]]}
    row = failing_row("T1.step", "backward_delta", inputs)
    [match] = name_misconception(catalog.missing_transpose(), row)
    assert match.message.startswith(
        "your `backward_delta` fails on this counterexample exactly as "
        "`dfz * (W_next @ delta_next)` does (ValueError: matmul:")
    assert names(TransposedDelta(), row) == []


def test_a_submission_that_changes_its_arguments_changes_nothing_for_the_entries() -> None:
    class InPlace(catalog.missing_transpose):
        def backward_delta(self, W_next, delta_next, dfz):  # type: ignore[no-untyped-def]
            result = dfz * (W_next @ delta_next)
            W_next *= 0.0
            delta_next *= 0.0
            return result

    assert names(InPlace(), STEP_ROW) == ["missing_transpose"]


def test_a_row_that_cannot_be_replayed_names_nothing() -> None:
    holds = Row("T1.step", "isolated", "t", "s", "holds",
                counterexample=STEP_ROW.counterexample)
    assert name_misconception(catalog.missing_transpose(), holds) == []
    bare = Row("T1.step", "isolated", "t", "s", "fails")
    assert name_misconception(catalog.missing_transpose(), bare) == []
    partial = failing_row("T1.step", "backward_delta", {"W_next": STEP_INPUTS["W_next"]})
    assert name_misconception(catalog.missing_transpose(), partial) == []
    no_network = failing_row("T1.grad", "gradients", {"X": [[0.0]], "Y": [[0.0]]},
                             mode="end-to-end")
    assert name_misconception(catalog.wrong_sign, no_network) == []
    # A row of the generalized theorem's networks composes several products.
    composed = failing_row("G.step", "Conv1D.input_product, sigmoid.product",
                           {"a": [[0.0]], "delta_next": [[1.0]]})
    assert name_misconception(catalog.Conv1DKernelNotFlipped, composed) == []
    # A submission without the function.
    assert name_misconception(catalog.wrong_sign, STEP_ROW) == []


# --- layer rows --------------------------------------------------------------------


def conv_row(layer: Conv1D, a: np.ndarray, K: np.ndarray, b: np.ndarray,
             delta: np.ndarray) -> Row:
    expected = layer.input_product(a, {"K": K, "b": b}, delta)
    return failing_row("G.step", "Conv1DKernelNotFlipped.input_product",
                       {"a": a.tolist(), "delta": delta.tolist(), "K": K.tolist(),
                        "b": b.tolist()},
                       mode="lemma", layer="Conv1D", quantity="J_a^T delta",
                       expected=expected.tolist())


def test_a_layer_point_is_replayed_under_the_configuration_that_gives_the_oracles_value() -> None:
    """A lemma point does not record a convolution's stride: the configurations that fit
    its shapes are tried, and those under which Conv1D gives the recorded value kept."""
    layer = Conv1D(6, 1, 1, 2, stride=2)
    a, delta = np.arange(6.0).reshape(6, 1), np.array([[1.0], [-2.0], [0.5]])
    K, b = np.array([[[0.5, -1.5]]]), np.array([0.25])
    row = conv_row(layer, a, K, b, delta)
    assert names(catalog.Conv1DKernelNotFlipped, row) == ["Conv1DKernelNotFlipped"]
    assert names(Conv1D, row) == []
    # A recorded value that no configuration gives: nothing is claimed.
    wrong = conv_row(layer, a, K, b, delta)
    assert wrong.counterexample is not None
    wrong.counterexample.expected = (np.asarray(wrong.counterexample.expected) + 1).tolist()
    assert names(catalog.Conv1DKernelNotFlipped, wrong) == []


def test_a_dropout_point_finds_its_mask_from_the_oracles_value() -> None:
    layer = Dropout(3, (True, False, True), 0.25)
    a, delta = np.zeros((3, 2)), np.array([[1.0, 2.0], [3.0, -1.0], [0.5, 0.5]])
    row = failing_row("G.step", "DropoutWithoutMask.input_product",
                      {"a": a.tolist(), "delta": delta.tolist()}, mode="lemma",
                      layer="Dropout", quantity="J_a^T delta",
                      expected=layer.input_product(a, {}, delta).tolist())

    class HalvedMask(Dropout):  # a mistake the catalog does not know
        def input_product(self, a, params, delta):  # type: ignore[no-untyped-def]
            return 0.5 * super().input_product(a, params, delta)

    assert names(catalog.DropoutWithoutMask, row) == ["DropoutWithoutMask"]
    assert names(HalvedMask, row) == []
    assert names(Dropout, row) == []


def test_a_mistake_that_agrees_with_an_entry_only_on_the_counterexample_is_unnamed() -> None:
    """The largest entry of each row: on a batch of two equal columns it is the first
    column and the mean, and nowhere else; no entry is named after it."""

    class Largest(proofcheck.MatrixBackprop):
        def bias_grad(self, delta):  # type: ignore[no-untyped-def]
            return delta.max(axis=1)

    assert names(Largest(), failing_row("T2", "bias_grad", {"delta": [[-0.5, -0.5]]})) == []


def test_a_user_layer_type_says_which_settings_the_matcher_tries(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The matcher knows no layer type's constructor: it builds the registered type, the
    submission and the entry with the settings the type yields for the point."""
    from proofcheck import layers
    from proofcheck.catalog import LayerMistake
    from proofcheck.diagnosis import misconceptions

    class Scaled(LayerMap):
        """``z = s a`` for a scale ``s`` the point does not record."""

        name = "Scaled"
        tried: ClassVar[list[tuple[Any, ...]]] = []

        def __init__(self, n_in: int, s: float) -> None:
            super().__init__(n_in)
            self.s = s

        @classmethod
        def settings_at(cls, point: dict[str, Any]) -> Iterator[tuple[Any, ...]]:
            for s in (2.0, 3.0):
                cls.tried.append((point["a"].shape[0], s))
                yield (point["a"].shape[0], s)

        @classmethod
        def configurations(cls, n_in: int, max_width: int) -> Any:
            raise NotImplementedError

        @property
        def n_out(self) -> int:
            return self.n_in

        def parameter_shapes(self) -> dict[str, tuple[int, ...]]:
            return {}

        def forward(self, a: Any, params: Any, xp: Any) -> Any:
            return self.s * a

        def input_product(self, a: Any, params: Any, delta: Any) -> Any:
            return self.s * delta

        def parameter_products(self, a: Any, params: Any, delta: Any) -> dict[str, Any]:
            return {}

    class ScaleForgotten(Scaled):
        def input_product(self, a: Any, params: Any, delta: Any) -> Any:
            return delta

    entry = LayerMistake(ScaleForgotten, "G.step", "Scaled", "the scale left out",
                         "input_product", "delta", "The product is s delta.")
    monkeypatch.setattr(layers, "LAYER_TYPES", [*layers.LAYER_TYPES, Scaled])
    monkeypatch.setattr(misconceptions, "LAYER_TYPES", layers.LAYER_TYPES)
    monkeypatch.setattr(misconceptions, "LAYER_CATALOG", (*misconceptions.LAYER_CATALOG, entry))
    monkeypatch.setattr(misconceptions, "MISTAKES", (*misconceptions.MISTAKES, entry))
    a, delta = np.ones((2, 1)), np.array([[1.0], [-2.0]])
    row = failing_row("G.step", "ScaleForgotten.input_product",
                      {"a": a.tolist(), "delta": delta.tolist()}, mode="lemma",
                      layer="Scaled", quantity="J_a^T delta", expected=(3.0 * delta).tolist())
    assert names(ScaleForgotten, row) == ["ScaleForgotten"]
    assert Scaled.tried == [(2, 2.0), (2, 3.0)]
    # The default of the protocol is the base class's constructor, (n_in,): a type with
    # other arguments that declares nothing is never built, and nothing is named.
    assert list(LayerMap.settings_at({"a": a, "delta": delta})) == [(2,)]
    monkeypatch.delattr(Scaled, "settings_at")
    assert names(ScaleForgotten, row) == []
