"""Outside the oracle's range: an example whose oracle value is not finite is not judged.

The oracle differentiates a layer type's forward map as its author wrote it. A
gated unit written with the textbook sigmoid ``1 / (1 + exp(-q))`` is fine in
float64 at ``q = -710`` (the gate is 0, its derivative 0: what the hand-written
products return), but JAX's derivative of that formula is ``inf / inf = nan``
there. Such an example is discarded and counted (the row's
``outside_oracle_range``), never judged and never fed to a product: the
correct layer holds, and a wrong one still fails with its own root cause.
``q = -710`` is reached deterministically by an explicit example added to each
row (``b = -305`` before it, ``X = -405``, as the strategies draw them).
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import numpy as np
import pytest
from hypothesis import settings
from hypothesis import strategies as st

from proofcheck.diagnosis.report import Report
from proofcheck.engine._verify import Plan, plan_rows, run_rows
from proofcheck.layers import Affine, Elementwise, LayerMap
from proofcheck.network import Network
from proofcheck.properties import OutsideOracleRange, Subject
from proofcheck.properties._generalization import (
    check_G_param_isolated,
    check_G_step_isolated,
)

#: The gate's potential at which JAX's derivative of the textbook sigmoid is NaN.
Q = -710.0


class NaiveGatedUnit(LayerMap):
    """``Z = (W A + b 1^T) * s(V A + c 1^T)`` with ``s(q) = 1 / (1 + exp(-q))`` as written.

    Shapes: ``A : (n_in, N)``; ``W, V : (n_out, n_in)``; ``b, c : (n_out,)``.
    With ``P = W A + b``, ``S = s(V A + c)`` and ``s' = S (1 - S)``::

        J_A^T Delta = W^T (Delta * S) + V^T (Delta * P * S (1 - S))
        J_W^T Delta = (Delta * S) A^T,   J_b^T Delta = (Delta * S) 1_N
        J_V^T Delta = (Delta * P * S (1 - S)) A^T,   J_c^T Delta = (...) 1_N

    Correct everywhere, in float64 too: at ``q = -710`` numpy's ``exp(710)`` is
    ``inf``, ``S = 0`` and ``s' = 0``.
    """

    name = "NaiveGatedUnit"

    def __init__(self, n_in: int, n_out: int) -> None:
        super().__init__(n_in)
        self._n_out = n_out

    @classmethod
    def configurations(cls, n_in: int, max_width: int) -> st.SearchStrategy[LayerMap]:
        return st.integers(1, max_width).map(lambda n_out: cls(n_in, n_out))

    @property
    def n_out(self) -> int:
        return self._n_out

    def parameter_shapes(self) -> dict[str, tuple[int, ...]]:
        n, m = self.n_out, self.n_in
        return {"W": (n, m), "V": (n, m), "b": (n,), "c": (n,)}

    def forward(self, a: Any, params: dict[str, Any], xp: Any) -> Any:
        P = params["W"] @ a + params["b"][:, None]
        q = params["V"] @ a + params["c"][:, None]
        return P * (1 / (1 + xp.exp(-q)))

    def _factors(self, a: Any, params: dict[str, Any], delta: Any) -> tuple[Any, Any]:
        P = params["W"] @ a + params["b"][:, None]
        with np.errstate(over="ignore"):
            S = 1 / (1 + np.exp(-(params["V"] @ a + params["c"][:, None])))
        return delta * S, delta * P * S * (1 - S)

    def input_product(self, a: Any, params: dict[str, Any], delta: Any) -> Any:
        gp, gq = self._factors(a, params, delta)
        return params["W"].T @ gp + params["V"].T @ gq

    def parameter_products(self, a: Any, params: dict[str, Any],
                           delta: Any) -> dict[str, Any]:
        gp, gq = self._factors(a, params, delta)
        return {"W": gp @ a.T, "V": gq @ a.T, "b": gp.sum(axis=1), "c": gq.sum(axis=1)}


class NaiveGatedUnitMean(NaiveGatedUnit):
    """The same layer with a classic mistake: the parameter products average over the
    ``N`` examples instead of summing (the data-matrix gradient sums)."""

    name = "NaiveGatedUnitMean"

    def parameter_products(self, a: Any, params: dict[str, Any],
                           delta: Any) -> dict[str, Any]:
        N = a.shape[1]
        return {k: v / N for k, v in super().parameter_products(a, params, delta).items()}


def at_overflow(layer: type[NaiveGatedUnit], *, depth: int = 3, N: int = 1) -> Network:
    """Affine layers, then ``layer`` whose gate sees ``q = -710``, then (depth 3) an affine
    layer: ``X = -405`` passes unchanged to the gate, whose ``c = -305``."""
    one = np.ones((1, 1))
    gate = {"W": one.copy(), "V": one.copy(), "b": np.zeros(1), "c": np.full(1, -305.0)}
    layers: list[LayerMap] = [Affine(1, 1), layer(1, 1)]
    params: list[dict[str, Any]] = [{"W": one.copy(), "b": np.zeros(1)}, gate]
    if depth == 3:
        layers.append(Affine(1, 1))
        params.append({"W": one.copy(), "b": np.zeros(1)})
    X = np.full((1, N), -405.0)
    identity = Elementwise("identity")
    return Network(layers, params, [identity] * depth, "squared_error", X,
                   np.linspace(-0.5, 0.5, N)[None, :])


def test_the_network_reaches_the_gate_at_q_minus_710() -> None:
    net = at_overflow(NaiveGatedUnit)
    a1 = net.params[0]["W"] @ net.X + net.params[0]["b"][:, None]
    assert float((net.params[1]["V"] @ a1 + net.params[1]["c"][:, None])[0, 0]) == Q


@pytest.mark.parametrize("check", [check_G_step_isolated, check_G_param_isolated])
def test_an_oracle_nan_is_never_fed_to_a_product(check: Any) -> None:
    # The oracle's delta^2 is NaN here; today it reached Affine.input_product (G.step)
    # and Affine.parameter_products (G.param), which were then blamed for it.
    with pytest.raises(OutsideOracleRange, match=r"oracle's .* is nan"):
        check(Subject(None, "NaiveGatedUnit"), at_overflow(NaiveGatedUnit))


def _with_example(plan: Plan, net: Network) -> Plan:
    """``plan`` whose network rows check ``net`` first, in every profile."""
    def example(prop: Any) -> Any:
        if prop.mode == "lemma":
            return prop
        return dataclasses.replace(prop, examples=lambda ctx: [net])
    return plan._replace(properties=[example(p) for p in plan.properties])


#: Drawn examples a row runs after the explicit one. The behaviour under test is the
#: explicit example's (discarded, counted, never judged); the drawn ones show that the
#: row still judges the others, and that a wrong product is still found among them,
#: which a few do as well as the profile's 60 (each new shape compiles the oracle for
#: this layer type, most of these tests' time).
DRAWN = 15


def _report(layer: type[LayerMap], steps: list[str]) -> Report:
    plan = plan_rows(layer=layer, profile="ci", database=False, steps=steps)
    plan = plan._replace(settings=settings(plan.settings, max_examples=DRAWN))
    rows = run_rows(_with_example(plan, at_overflow(layer)))
    return Report(plan.subject.name, "ci", rows, layer_target=True)


def test_a_correct_layer_with_the_textbook_sigmoid_holds_at_q_minus_710() -> None:
    report = _report(NaiveGatedUnit, ["G.step", "G.param"])
    assert report.ok, report.render()
    for mode in ("isolated", "end-to-end"):
        for step in ("G.step", "G.param"):
            row = report.row(step, mode)
            assert row.outside_oracle_range >= 1, report.render()
            assert row.examples > 0
    text = report.render()
    assert "outside the oracle's range (discarded, not judged" in text
    data = json.loads(json.dumps(report.to_dict()))
    row = next(r for r in data["rows"] if r["step"] == "G.step" and r["mode"] == "isolated")
    assert row["outside_oracle_range"] >= 1 and "nan" in row["outside_oracle_reason"]


def test_a_wrong_layer_still_fails_with_root_cause_g_param_next_to_discards() -> None:
    report = _report(NaiveGatedUnitMean, ["G.step", "G.param"])
    d = report.diagnosis
    assert d.root_cause == "G.param", report.render()
    assert any(r.outside_oracle_range for r in report.rows), report.render()
    row = report.row("G.param", "isolated")
    assert row.status == "fails" and row.counterexample is not None
    # The layer's own product is at fault, not the affine layer fed the oracle's NaN.
    assert row.counterexample.function == "NaiveGatedUnitMean.parameter_products", \
        report.render()
    assert "nan" not in (row.counterexample.result or "")


def test_a_row_mostly_outside_the_oracles_range_says_so() -> None:
    from proofcheck.diagnosis.report import Row

    row = Row("G.step", "isolated", "t", "s", "holds", examples=3, outside_oracle_range=4,
              outside_oracle_reason="the oracle's delta^1 is nan at index [0, 0]")
    notes = row.all_notes()
    assert "4 examples outside the oracle's range" in notes[0]
    assert "more than half of its examples (4 of 7)" in notes[1]
    report = Report("x", "ci", [row])
    assert "more than half" in report.render()
    assert Row("G.step", "isolated", "t", "s", "holds", examples=3,
               outside_oracle_range=3).mostly_outside_oracle_range is False


def test_the_pytest_summary_gives_the_rows_notes() -> None:
    from dataclasses import asdict

    from proofcheck.diagnosis.report import Row
    from proofcheck.pytest_plugin import terminal_summary

    class Reporter:
        def __init__(self) -> None:
            self.lines: list[str] = []

        def write_sep(self, sep: str, title: str) -> None:
            self.lines.append(title)

        def write_line(self, line: str) -> None:
            self.lines.append(line)

    row = Row("G.step", "isolated", "t", "s", "holds", examples=57, outside_oracle_range=3)
    reporter = Reporter()
    terminal_summary(reporter, [{"target": "--layer", "subject": "mod:Layer", "order": 0,
                                 "profile": "ci", "seed": None, "layer_target": True,
                                 "row": asdict(row)}])
    assert any("3 examples outside the oracle's range" in line for line in reporter.lines)
