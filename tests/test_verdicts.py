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
from proofcheck.diagnosis.report import Counterexample, Row, diagnose
from proofcheck.engine._run_row import run_property
from proofcheck.engine._verify import plan_rows
from proofcheck.grading.gradebook import score
from proofcheck.network import Network
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


class DerivativeClippedAtZero(proofcheck.MatrixBackprop):
    """T1.step with ``f'`` clipped at 0: wrong only where ``f' < 0`` (``sin`` past pi / 2)."""

    def backward_delta(self, W_next: Any, delta_next: Any, dfz: Any) -> Any:
        return np.asarray(np.maximum(dfz, 0.0) * (W_next.T @ delta_next))


def _sin_at_two() -> Network:
    """Depth 4, one example: ``z^3 = 2`` under ``sin``, where ``f' = cos 2 < 0``."""
    return Network.paper([np.ones((1, 1))] * 4, [np.zeros(1)] * 4,
                         ("identity", "identity", "sin", "identity"), "squared_error",
                         np.array([[2.0]]), np.zeros((1, 1)))


def _found_by_T2_only() -> list[Row]:
    """T1.step isolated held (its examples did not reach ``f' < 0``); T2 isolated failed on
    a network with N = 1, in backward_delta at layer 3."""
    net = _sin_at_two()
    counterexample = Counterexample(net.summary(), quantity="Delta^3", function="backward_delta",
                                    layer=3, called=["backward_delta"])
    return [Row("T1.step", "isolated", "", "", "holds", examples=20, needs=["backward_delta"]),
            Row("T2", "isolated", "", "", "fails", examples=3, needs=["backward_delta"],
                counterexample=counterexample)]


def test_at_one_example_the_data_matrix_form_is_not_blamed() -> None:
    """Where the T1 step's row was not run: the diagnosis names the step of the function."""
    message = diagnose(_found_by_T2_only()[1:]).message
    assert message.startswith(
        "T2 fails in isolation on a network with one example (N = 1), where the data-matrix "
        "form is the theorem itself: a failure of T1.step: the induction step is wrong"), message
    assert "a sum or a mean over the N examples" not in message


def test_at_one_example_the_T1_row_runs_on_it_with_fewer_layers_and_is_the_root_cause() -> None:
    from proofcheck.engine._verify import _at_one_example  # the follow-up run_rows makes

    plan = plan_rows(DerivativeClippedAtZero(), profile="ci", steps=["T1.step", "T2"],
                     database=False)
    rows = _at_one_example(plan, _found_by_T2_only())
    step = rows[0]
    assert step.status == "fails" and step.counterexample is not None
    assert step.counterexample.found_by == "T2 isolated"
    network = step.counterexample.network
    assert network is not None
    assert (network["depth"], network["activations"]) == (2, ["sin", "identity"])
    d = diagnose(rows)
    assert (d.root_cause, d.mode) == ("T1.step", "isolated")
    assert "The example was found by T2 isolated" in d.message
    assert "T2 isolated fails only as a consequence (it calls backward_delta" in d.message
