"""The forward pass's precision: standard formulas are not backpropagation errors.

The shrunk counterexamples below were false alarms before the allowance of
:mod:`proofcheck.numerics.forward_precision` (each one failed a correct implementation);
now they hold with a note, while a mistake that the allowance could hide (a
probability clipped at ``1e-15``, computed with one of the same formulas) still
fails.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import proofcheck
from proofcheck.catalog import LoopBackprop
from proofcheck.network import Network
from proofcheck.numerics import forward_precision
from proofcheck.properties import Subject
from proofcheck.properties._framework import NotJudged
from proofcheck.properties._theorem import (
    check_T1_grad,
    check_T1_tail_end_to_end,
    check_T2_end_to_end,
)
from tests.formula_zoo import _TANH_F, _TEXTBOOK_F, TanhFormulas, TextbookFormulas
from tests.single_example import run_check

U = float(np.finfo(np.float64).eps / 2)


def _chain(activations: tuple[str, ...], biases: list[float], cost: str = "squared_error",
           y: float = 0.0) -> Network:
    """A chain of one-unit layers, ``W = 0`` above the first, so that ``z^l = b^l``; the last
    layer's weight is 1 so that ``dC/dW^k = delta^k a^{k-1}`` reads the hidden activation."""
    k = len(activations)
    weights = [np.zeros((1, 1)) for _ in range(k)]
    if k > 1:
        weights[-1] = np.ones((1, 1))
    return Network.paper(weights, [np.array([b]) for b in biases], activations, cost,
                         np.ones((1, 1)), np.full((1, 1), y))


def _holds_with_a_note(checks: list[proofcheck.properties.Check], activation: str) -> str:
    assert checks and all(c.comparison.holds for c in checks), [
        (c.quantity, c.comparison) for c in checks if not c.comparison.holds]
    notes = {c.note for c in checks if c.note}
    assert len(notes) == 1, notes
    note = notes.pop()
    assert activation in note
    return note


# --- the measured constant ------------------------------------------------------------


#: The zoo's formulas: (activation, formula, whether it loses relative precision).
ZOO_FORMULAS = [
    ("sigmoid", _TEXTBOOK_F["sigmoid"], False), ("sigmoid", _TANH_F["sigmoid"], True),
    ("tanh", _TEXTBOOK_F["tanh"], True), ("tanh", _TANH_F["tanh"], True),
    ("elu", _TEXTBOOK_F["elu"], True), ("softplus", _TEXTBOOK_F["softplus"], True),
    ("softplus", _TANH_F["softplus"], False),
]


@pytest.mark.parametrize(("name", "formula", "lossy"), ZOO_FORMULAS)
def test_the_standard_formulas_are_within_the_allowance(name: str, formula: object,
                                                       lossy: bool) -> None:
    """Every formula of the zoo is the activation to within ``c u max(|a|, 1)``, measured
    against the package's accurate formula on potentials spread over 40 orders of
    magnitude; the lossy ones are not within ``c u |a|`` (relative): the allowance is
    needed."""
    rng = np.random.default_rng(7)
    magnitudes = 10.0 ** rng.uniform(-20, np.log10(700), 20000)
    z = np.concatenate([magnitudes, -magnitudes])[None, :]
    exact = proofcheck.activations.ACTIVATIONS[name](z)
    a = formula(z)  # type: ignore[operator]
    error = np.abs(a - exact)
    c = forward_precision.FORWARD_ACCURACY[name]
    # the accurate formula itself rounds by up to u relative
    assert np.all(error <= c * U * np.maximum(np.abs(exact), 1.0) + U * np.abs(exact))
    assert np.any(error > c * U * np.abs(exact) + U * np.abs(exact)) == lossy


def test_the_allowance_stays_below_the_clip_of_a_saturated_sigmoid() -> None:
    """Clipping at ``1e-15`` moves an output ``a < 1e-16`` by about 9 ``u``: the allowance
    must stay below that, or the clipped probabilities would hold."""
    assert forward_precision.FORWARD_ACCURACY["sigmoid"] * U < 1e-15


# --- the counterexamples --------------------------------------------------------


def test_elu_as_exp_minus_one_at_a_tiny_potential_holds_with_a_note() -> None:
    """``alpha (exp(z) - 1)`` at ``z = -2.4e-98`` is exactly 0: ``dC/dW^2`` is 0 where the
    exact one is 2.4e-98 times ``delta^2``, once T1.tail end-to-end's failure at 5e8 x
    tolerance ("a composition error in gradients")."""
    net = _chain(("elu", "identity"), [-2.4e-98, 0.0])
    checks = run_check(check_T1_tail_end_to_end, Subject(TextbookFormulas()), net)
    note = _holds_with_a_note(checks, "elu")
    assert "expm1" in note and "layer 1" in note


def test_tanh_from_exp_near_zero_holds_with_a_note() -> None:
    """``2 / (1 + exp(-2 z)) - 1`` at ``z = 1e-15`` is ``1.1102e-15``: once T1.grad failing,
    "the full gradient is wrong"."""
    net = _chain(("tanh", "identity"), [1e-15, 0.0])
    assert TextbookFormulas().gradients(net.weights, net.biases, list(net.activation_names),
                                        net.cost, net.X, net.Y)[0][1][0, 0] != 0.0
    note = _holds_with_a_note(run_check(check_T1_grad, Subject(TextbookFormulas()), net), "tanh")
    assert "np.tanh" in note


def test_sigmoid_from_tanh_at_a_small_output_holds_with_a_note() -> None:
    """``(1 + tanh(z / 2)) / 2`` at ``b = -18``: ``dC/dW`` off by 6e-9 relative, once a failing
    T1.grad and 0 points for a correct student."""
    net = _chain(("sigmoid",), [-18.0])
    checks = run_check(check_T1_grad, Subject(TanhFormulas()), net)
    _holds_with_a_note(checks, "sigmoid")


def test_sigmoid_from_tanh_under_cross_entropy_leaves_the_statement() -> None:
    """At ``z < -37`` ``tanh`` rounds to -1, the output is exactly 0 and the gradient 0/0:
    once "gradients returned dWs[0] with nan", now not judged, with the note."""
    net = _chain(("sigmoid",), [-40.0], cost="binary_cross_entropy", y=1.0)
    for row in (check_T1_grad, check_T2_end_to_end):
        with pytest.raises(NotJudged, match="left the statement"):
            run_check(row, Subject(TanhFormulas()), net)


# --- what must keep failing --------------------------------------------------------------


class ClippedTanhSigmoid(LoopBackprop):
    """Probabilities clipped at ``1e-15`` (a mistake), computed from a sigmoid written
    with ``tanh`` (a correct formula): the allowance of the formula must not hide the
    clip."""

    def __init__(self) -> None:
        super().__init__("clipped_probabilities", costs={"binary_cross_entropy"})

    def gradients(self, weights, biases, activations, cost, X, Y):  # type: ignore[no-untyped-def]
        A = X
        As, Zs = [X], []
        for W, b, name in zip(weights, biases, activations, strict=True):
            Zs.append(W @ A + b[:, None])
            A = _TANH_F[name](Zs[-1])
            As.append(A)
        p = np.clip(A, 1e-15, 1 - 1e-15)
        delta = (p - Y) / (p * (1 - p)) * (A * (1 - A)) / X.shape[1]
        dWs, dbs = [], []
        for l in range(len(weights), 0, -1):
            dWs.insert(0, delta @ As[l - 1].T)
            dbs.insert(0, delta.sum(axis=1))
            if l > 1:
                s = _TANH_F["sigmoid"](Zs[l - 2])
                delta = (weights[l - 1].T @ delta) * s * (1 - s)
        return dWs, dbs


@pytest.mark.parametrize("z", [-36.0, -40.0, -50.0])
def test_clipped_probabilities_still_fail_with_a_tanh_sigmoid(z: float) -> None:
    """Where the output is well below the clip (``a = 2.3e-16`` at ``z = -36``; 0 by the
    tanh formula below -37), the clipped gradient is outside the range the allowance
    gives: it fails. (Just below the clip, ``a = 6e-16`` at ``z = -35``, clipping moves
    ``a`` by less than the allowance: that regime is coarser, see RESULTS.md.)"""
    net = _chain(("sigmoid",), [z], cost="binary_cross_entropy", y=1.0)
    checks = run_check(check_T1_grad, Subject(ClippedTanhSigmoid()), net)
    assert not all(c.comparison.holds for c in checks)


def test_the_allowance_does_not_hide_a_wrong_factor_where_activations_are_large() -> None:
    """A derivative off by 1e-6 relative on a network whose activations are of size 1 is
    outside every range: the allowance is absolute at 4 u, not a loosening."""

    class Off(TextbookFormulas):
        def gradients(self, *args):  # type: ignore[no-untyped-def]
            dWs, dbs = super().gradients(*args)
            return [dW * (1 + 1e-6) for dW in dWs], dbs

    net = _chain(("tanh", "sigmoid"), [0.7, 0.3])
    checks = run_check(check_T1_grad, Subject(Off()), net)
    assert not all(c.comparison.holds for c in checks)
    assert not any(c.note for c in checks)


# --- the report ---------------------------------------------------------------------------


def test_the_report_lists_the_notes_in_text_and_json(tmp_path: Path) -> None:
    from proofcheck.cli import main

    out = tmp_path / "report.json"
    status = main(["verify", "--impl", "tests.formula_zoo:TanhFormulas", "--profile", "ci",
                   "--steps", "T1.grad", "--no-database", "--json", str(out)])
    assert status == 0
    data = json.loads(out.read_text())
    notes = [n for row in data["rows"] for n in row["notes"]]
    assert any("left the statement" in n for n in notes)  # the explicit saturated example
    assert all(n.endswith(("example)", "examples)")) for n in notes)
