"""The implementation protocol: its table, its Protocol class and the reference agree.

proofcheck.protocol states the protocol three times (the module docstring's
table, the BackpropImplementation Protocol for type checkers, and
PROTOCOL_FUNCTIONS, which verify and the docs read); MatrixBackprop implements
it. These tests keep the four in step.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable

import pytest

from proofcheck import protocol
from proofcheck.activations import ACTIVATIONS
from proofcheck.backprop import MatrixBackprop
from proofcheck.costs import COSTS
from proofcheck.properties import PROPERTIES
from proofcheck.protocol import PROTOCOL_FUNCTIONS, BackpropImplementation, ProtocolFunction
from proofcheck.steps import STEP_IDS

NAMES = [fn.name for fn in PROTOCOL_FUNCTIONS]


def _parameters(function: Callable[..., object]) -> tuple[str, ...]:
    return tuple(inspect.signature(function).parameters)[1:]  # without self


def test_the_functions_are_the_protocol_classes_methods_in_its_order() -> None:
    methods = [name for name, value in vars(BackpropImplementation).items()
               if not name.startswith("_") and inspect.isfunction(value)]
    assert methods == NAMES
    assert NAMES == ["output_delta", "backward_delta", "weight_grad", "bias_grad", "gradients"]


@pytest.mark.parametrize("fn", PROTOCOL_FUNCTIONS, ids=NAMES)
def test_the_parameters_are_those_of_the_protocol_and_of_the_reference(
        fn: ProtocolFunction) -> None:
    declared = getattr(BackpropImplementation, fn.name)
    reference = getattr(MatrixBackprop, fn.name)
    assert _parameters(declared) == fn.parameters
    assert _parameters(reference) == fn.parameters
    # The same annotations too: the reference is typed as the protocol says.
    assert inspect.signature(reference) == inspect.signature(declared)


@pytest.mark.parametrize("fn", PROTOCOL_FUNCTIONS, ids=NAMES)
def test_the_signature_text_names_the_function_and_its_parameters_in_order(
        fn: ProtocolFunction) -> None:
    assert fn.signature.startswith(f"{fn.name}(")
    arguments, _, result = fn.signature[len(fn.name) + 1:].rpartition(") -> ")
    assert result
    named = re.findall(r"(?:^|, )(\w+)(?=: |,|$)", arguments)
    assert tuple(named) == fn.parameters, fn.signature


@pytest.mark.parametrize("fn", PROTOCOL_FUNCTIONS, ids=NAMES)
def test_each_function_is_the_one_function_a_row_of_its_step_calls(
        fn: ProtocolFunction) -> None:
    assert fn.step in STEP_IDS
    rows = [p.key for p in PROPERTIES if p.step == fn.step and p.needs == (fn.name,)]
    assert rows, f"no property of {fn.step} checks {fn.name} alone"


def test_the_docstrings_table_lists_each_function_with_its_step_and_arguments() -> None:
    doc = protocol.__doc__ or ""
    table = re.findall(r"^``(\w+)``\s+([\w.]+),?\s+``\(([^)]*)\)", doc, flags=re.MULTILINE)
    assert [name for name, _, _ in table] == NAMES
    for (_, step, arguments), fn in zip(table, PROTOCOL_FUNCTIONS, strict=True):
        assert step == fn.step
        assert tuple(arguments.split(", ")) == fn.parameters


def test_the_reference_satisfies_the_runtime_checkable_protocol() -> None:
    reference: BackpropImplementation = MatrixBackprop()  # and for mypy, statically
    assert isinstance(reference, BackpropImplementation)


def test_an_object_with_only_some_of_the_functions_is_not_the_full_protocol() -> None:
    class OnlyBias:
        def bias_grad(self, delta: object) -> object:
            return delta

    assert not isinstance(OnlyBias(), BackpropImplementation)
    assert not isinstance(object(), BackpropImplementation)


def test_the_reference_supports_every_activation_and_cost() -> None:
    assert MatrixBackprop.supported_activations == frozenset(ACTIVATIONS)
    assert MatrixBackprop.supported_costs == frozenset(COSTS)


def test_the_module_exports_what_it_defines() -> None:
    assert sorted(protocol.__all__) == sorted(
        ["PROTOCOL_FUNCTIONS", "BackpropImplementation", "ProtocolFunction"])
    assert all(hasattr(protocol, name) for name in protocol.__all__)
