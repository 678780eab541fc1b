"""Verdicts at the edges: wrong results, independent mistakes, tolerance kinds.

A result of the wrong shape or with NaN is a failing row (exit status 1, the
report written), not an implementation that cannot be checked; the diagnosis
calls a row a consequence of the root cause only if the row runs the root
cause's function; and every row reports the tolerance kind its checks used.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, Phase, settings

import proofcheck
from proofcheck import GradeResult
from proofcheck._runner import run_property
from proofcheck.gradebook import score
from proofcheck.properties import PROPERTIES, Context, Property, Subject


class Reshaped(proofcheck.MatrixBackprop):
    """``dW`` laid out as ``(n_{l-1}, n_l)``: right on square layers, a wrong shape elsewhere."""

    def gradients(self, weights: Any, biases: Any, activations: Any, cost: Any, X: Any,
                  Y: Any) -> Any:
        dWs, dbs = super().gradients(weights, biases, activations, cost, X, Y)
        return [dW.reshape(dW.shape[::-1]) for dW in dWs], dbs


def test_a_shape_wrong_on_non_square_layers_is_a_failing_row_naming_both_shapes() -> None:
    report = proofcheck.verify(Reshaped(), profile="ci", steps=["T1.grad"], database=False)
    assert report.exit_status == 1
    row = report.row("T1.grad", "end-to-end")
    assert row.status == "fails"
    assert row.counterexample is not None and row.counterexample.result is not None
    found = re.fullmatch(r"gradients returned dWs\[(\d)\] with shape \((\d+), (\d+)\); "
                         r"expected \((\d+), (\d+)\) \(dW\^(\d) : \(n_(\d), n_(\d)\)\)",
                         row.counterexample.result)
    assert found, row.counterexample.result
    index, got_rows, got_cols, rows, cols, l, l_out, l_in = map(int, found.groups())
    assert (got_rows, got_cols) == (cols, rows) != (rows, cols)
    assert (l, l_out, l_in) == (index + 1, index + 1, index)
    assert report.diagnosis.root_cause == "T1.grad"


class LayersReversed(proofcheck.MatrixBackprop):
    """The gradients in the order of the backward pass: layer k first."""

    def gradients(self, weights: Any, biases: Any, activations: Any, cost: Any, X: Any,
                  Y: Any) -> Any:
        dWs, dbs = super().gradients(weights, biases, activations, cost, X, Y)
        return dWs[::-1], dbs[::-1]


def test_layers_reversed_is_a_failing_row_not_an_unusable_implementation() -> None:
    report = proofcheck.verify(LayersReversed(), profile="ci", steps=["T1.grad"],
                               database=False)
    row = report.row("T1.grad", "end-to-end")
    assert row.status == "fails" and row.counterexample is not None
    assert row.counterexample.network is not None
    assert row.counterexample.network["depth"] == 2


class TwoMistakes(proofcheck.MatrixBackprop):
    """The induction step without f'(z^l), and the bias gradient with the wrong sign: two
    mistakes in two functions, neither a consequence of the other."""

    def backward_delta(self, W_next: Any, delta_next: Any, dfz: Any) -> Any:
        return np.asarray(W_next.T @ delta_next)

    def bias_grad(self, delta: Any) -> Any:
        return np.asarray(-delta.sum(axis=1))


def test_an_independent_mistake_is_not_called_a_consequence() -> None:
    report = proofcheck.verify(TwoMistakes(), profile="ci", steps=["T1.step", "T1.b"],
                               database=False)
    assert report.row("T1.step", "isolated").status == "fails"
    assert report.row("T1.b", "isolated").status == "fails"
    diagnosis = report.diagnosis
    assert (diagnosis.root_cause, diagnosis.mode) == ("T1.step", "isolated")
    message = diagnosis.message
    assert "The function at fault is backward_delta." in message
    consequences, _, rest = message.partition(" only as a consequence")
    consequences = consequences.split("The function at fault is backward_delta.")[1]
    # T1.step end-to-end runs backward_delta: a consequence. T1.b end-to-end would run it
    # for its deltas, but its failing example (one layer, shrunk by its own mistake) did
    # not: what ran is recorded, and the row fails on bias_grad alone.
    assert "T1.step end-to-end" in consequences
    assert "T1.b" not in consequences
    b_end = report.row("T1.b", "end-to-end").counterexample
    assert b_end is not None and b_end.called is not None
    assert "backward_delta" not in b_end.called
    assert re.search(r"T1\.b isolated and T1\.b end-to-end also fail \(they do not call "
                     r"backward_delta\)", rest), message


class WeightGradTimesTwo(proofcheck.MatrixBackprop):
    """A wrong weight gradient, ``2 delta a^T``; the inherited ``gradients`` calls it through
    ``self.weight_grad``, as most implementations do."""

    def weight_grad(self, delta: Any, a_prev: Any) -> Any:
        return np.asarray(2.0 * delta @ a_prev.T)


class OwnGradients(WeightGradTimesTwo):
    """The same wrong weight gradient, and a ``gradients`` that does not call it: it runs the
    same wrong code on an object of its own, so its failure is a second mistake of its own
    code, which fixing ``weight_grad`` would not fix."""

    def gradients(self, weights: Any, biases: Any, activations: Any, cost: Any, X: Any,
                  Y: Any) -> Any:
        return WeightGradTimesTwo().gradients(weights, biases, activations, cost, X, Y)


def test_a_gradients_that_calls_the_wrong_function_fails_only_as_its_consequence() -> None:
    """What ``gradients`` called is recorded while the row runs: T1.grad follows from T1.W."""
    report = proofcheck.verify(WeightGradTimesTwo(), profile="ci", steps=["T1.W", "T1.grad"],
                               database=False)
    row = report.row("T1.grad", "end-to-end")
    assert row.status == "fails" and row.counterexample is not None
    assert row.counterexample.called is not None
    assert {"gradients", "weight_grad"} <= set(row.counterexample.called)
    message = report.diagnosis.message
    assert report.diagnosis.root_cause == "T1.W"
    assert ("T1.grad end-to-end fails only as a consequence (its gradients calls "
            "weight_grad; fix the root cause first).") in message, message
    assert "separate failure" not in message, message
    result = GradeResult("subs/a.py", 1, "T1.W", 0, 0, message, report.to_dict())
    steps = score(result, steps=["T1.W", "T1.grad"]).steps
    points = {s.step: (s.points, s.max_points) for s in steps}
    assert points["T1.W"][0] == 0 and points["T1.grad"][0] == points["T1.grad"][1] > 0


def test_a_gradients_that_does_not_call_the_wrong_function_is_a_separate_failure() -> None:
    report = proofcheck.verify(OwnGradients(), profile="ci", steps=["T1.W", "T1.grad"],
                               database=False)
    row = report.row("T1.grad", "end-to-end")
    assert row.status == "fails" and row.counterexample is not None
    assert row.counterexample.called == ["gradients"]
    message = report.diagnosis.message
    assert report.diagnosis.root_cause == "T1.W"
    assert ("T1.grad end-to-end also fails (it does not call weight_grad): a separate "
            "failure") in message, message


def test_recording_leaves_the_implementation_as_it_was() -> None:
    impl = WeightGradTimesTwo()
    subject = Subject(impl)
    net_args = {"weights": [np.ones((1, 1))], "biases": [np.zeros(1)],
                "activations": ["identity"],
                "cost": "squared_error", "X": np.ones((1, 1)), "Y": np.zeros((1, 1))}
    subject.start_example()
    subject.call("gradients", net_args)
    assert subject.called == ["gradients", "output_delta", "weight_grad", "bias_grad"]
    assert vars(impl) == {}


def _a_few() -> settings:
    return settings(max_examples=3, database=None, deadline=None, derandomize=True,
                    phases=[Phase.explicit, Phase.generate],
                    suppress_health_check=list(HealthCheck))


@pytest.mark.parametrize("prop", PROPERTIES, ids=[p.key for p in PROPERTIES])
def test_each_property_compares_with_the_tolerance_kind_it_declares(prop: Property) -> None:
    outcome = run_property(prop, Subject(proofcheck.MatrixBackprop()), _a_few(),
                           context=Context(), database_key=f"kinds:{prop.key}")
    assert outcome.not_applicable is None and outcome.counterexample is None
    assert outcome.examples > 0
    assert set(outcome.tolerances) == {prop.declared_tolerance.name}
    assert outcome.tolerance == prop.declared_tolerance
