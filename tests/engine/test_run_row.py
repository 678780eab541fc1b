"""The runner: a row's statistics, the network in a counterexample, one property run.

RowOutcome.record and _network_summary are called directly; run_property runs
one cheap property (T1.b isolated) for a few derandomized examples on an
implementation whose bias_grad is wrong.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

from proofcheck.engine._run_row import RowOutcome, _network_summary, run_property
from proofcheck.layers import Affine, Elementwise, LayerNorm
from proofcheck.network import Network
from proofcheck.numerics.tolerances import TOLERANCES, Comparison
from proofcheck.properties import PROPERTIES, Context, Subject
from proofcheck.properties._framework import Check


def _check(ratio: float, kind: str = "gradient", *, kink: str | None = None) -> Check:
    comparison = Comparison(ratio, 0.0, (0,), 0.0, 0.0, TOLERANCES[kind])
    return Check("dc/db^1", "bias_grad", 1, {}, np.zeros(1), np.zeros(1), comparison, kink)


# --- RowOutcome.record -----------------------------------------------------------------


def test_every_example_is_counted_even_one_without_checks() -> None:
    outcome = RowOutcome()
    assert outcome.record([]) is None
    assert outcome.record([_check(0.5)]) is not None
    assert outcome.examples == 2


def test_an_example_without_checks_leaves_the_statistics_alone() -> None:
    outcome = RowOutcome()
    outcome.record([])
    assert (outcome.max_ratio, outcome.max_error, outcome.tolerance) == (0.0, 0.0, None)
    assert outcome.tolerances == {} and outcome.kink_conventions == []


def test_the_largest_ratio_is_kept_with_its_tolerance() -> None:
    outcome = RowOutcome()
    worst = _check(0.5, "jacobian")
    assert outcome.record([_check(0.2, "gradient"), worst]) is worst
    assert outcome.max_ratio == 0.5 and outcome.tolerance == TOLERANCES["jacobian"]

    smaller = _check(0.3, "derivative")
    assert outcome.record([smaller]) is smaller  # the worst of its own example
    assert outcome.max_ratio == 0.5 and outcome.tolerance == TOLERANCES["jacobian"]

    outcome.record([_check(0.9, "derivative")])
    assert outcome.max_ratio == 0.9 and outcome.tolerance == TOLERANCES["derivative"]
    assert list(outcome.tolerances) == ["gradient", "jacobian", "derivative"]
    assert outcome.tolerances["jacobian"] == TOLERANCES["jacobian"]


def test_the_first_examples_tolerance_is_kept_even_at_ratio_zero() -> None:
    outcome = RowOutcome()
    outcome.record([_check(0.0, "identity")])
    assert outcome.tolerance == TOLERANCES["identity"] and outcome.max_ratio == 0.0


def test_kink_conventions_are_collected_once_each_in_the_order_seen() -> None:
    outcome = RowOutcome()
    outcome.record([_check(0.1, kink="relu'(0) = 0: the left derivative"),
                    _check(0.1),
                    _check(0.1, kink="abs'(0) = 0; relu'(0) = 0: the left derivative")])
    outcome.record([_check(0.1, kink="relu'(0) = 0: the left derivative"),
                    _check(0.1, kink="leaky_relu'(0) = 1: the right derivative")])
    assert outcome.kink_conventions == ["relu'(0) = 0: the left derivative", "abs'(0) = 0",
                                        "leaky_relu'(0) = 1: the right derivative"]


# --- _network_summary ------------------------------------------------------------------


def test_a_network_is_summarised_as_plain_lists() -> None:
    net = Network.paper(weights=[np.array([[1.0, 2.0]]), np.array([[3.0]])],
                        biases=[np.array([0.5]), np.array([-0.5])],
                        activations=("tanh", "relu"), cost="squared_error",
                        X=np.array([[1.0], [0.0]]), Y=np.array([[2.0]]))
    summary = _network_summary(net)
    assert summary is not None
    assert summary == {"depth": 2, "widths": [2, 1, 1],
                       "layers": ["Affine(2 -> 1)", "Affine(1 -> 1)"],
                       "activations": ["tanh", "relu"], "cost": "squared_error",
                       "batch_size": 1,
                       "params": [{"W": [[1.0, 2.0]], "b": [0.5]}, {"W": [[3.0]], "b": [-0.5]}],
                       "X": [[1.0], [0.0]], "Y": [[2.0]]}
    json.dumps(summary)  # what the report writes


def test_a_layer_network_is_summarised_with_its_layers_and_parameters() -> None:
    """One shape for every network (schema 3): the paper's network above and a network of
    any layer types list the same keys."""
    net = Network([Affine(1, 2), LayerNorm(2, True), Affine(2, 1)],
                  [{"W": np.zeros((2, 1)), "b": np.array([0.5, 0.0])},
                   {"gamma": np.ones(2), "beta": np.zeros(2)},
                   {"W": np.array([[0.25, 0.25]]), "b": np.zeros(1)}],
                  [Elementwise("tanh"), Elementwise("identity"), Elementwise("sigmoid")],
                  "squared_error", np.zeros((1, 1)), np.ones((1, 1)))
    summary = _network_summary(net)
    assert summary is not None
    assert list(summary) == ["depth", "widths", "layers", "activations", "cost", "batch_size",
                             "params", "X", "Y"]
    assert summary["layers"] == [layer.describe() for layer in net.layers]
    assert summary["activations"] == ["tanh", "identity", "sigmoid"]
    assert (summary["depth"], summary["widths"], summary["batch_size"]) == (3, [1, 2, 2, 1], 1)
    assert summary["params"][2] == {"W": [[0.25, 0.25]], "b": [0.0]}
    json.dumps(summary)


@pytest.mark.parametrize("example", [None, (1, 2), {"depth": 1}], ids=["None", "a tuple",
                                                                       "a dict"])
def test_anything_else_has_no_network_summary(example: Any) -> None:
    assert _network_summary(example) is None


# --- run_property ----------------------------------------------------------------------


class DoubledBias:
    """bias_grad summed twice over: wrong by a factor of two wherever delta is not 0."""

    def bias_grad(self, delta: Any) -> Any:
        return 2.0 * delta.sum(axis=1)


def test_a_wrong_function_gives_a_counterexample_naming_it() -> None:
    [prop] = [p for p in PROPERTIES if p.key == "T1.b/isolated"]
    profile = settings(max_examples=20, database=None, derandomize=True, deadline=None,
                       suppress_health_check=list(HealthCheck))
    outcome = run_property(prop, Subject(DoubledBias()), profile, context=Context(),
                           database_key="tests:runner:T1.b/isolated")
    assert outcome.error is None and outcome.not_applicable is None
    assert outcome.examples > 0 and outcome.max_ratio > 1
    found = outcome.counterexample
    assert found is not None
    assert (found.function, found.exception, found.result) == ("bias_grad", None, None)
    assert found.quantity == f"dc/db^{found.layer}"
    assert found.ratio is not None and found.ratio > 1
    assert np.allclose(found.actual, 2 * np.asarray(found.expected))
    assert set(found.inputs) == {"delta"}
    assert found.network is not None and found.network["batch_size"] == 1
