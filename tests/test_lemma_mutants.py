"""Every lemma row can fail: each is run on a deliberately broken ingredient.

L4, L6 and L7 check the package's hand-derived derivatives, so a wrong
derivative must fail them; L1, L2, L3 and L5 check identities that the oracle
and numpy satisfy, so a broken oracle (or product) must fail them.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import pytest

import proofcheck
from proofcheck.activations import ACTIVATIONS
from proofcheck.costs import COSTS
from proofcheck.engine._verify import plan_rows, run_rows
from proofcheck.oracle import network as oracle


def _status(step: str, mode: str = "lemma") -> str:
    report = proofcheck.verify(profile="ci", steps=[step], database=False)
    return report.row(step, mode).status


def test_wrong_activation_derivative_fails_L4_and_L7(monkeypatch: pytest.MonkeyPatch) -> None:
    wrong = dataclasses.replace(ACTIVATIONS["tanh"], derivative=lambda z: 1.0 - z * z)
    monkeypatch.setitem(ACTIVATIONS._entries, "tanh", wrong)
    assert _status("L4") == "fails"
    assert _status("L7") == "fails"
    assert _status("L2") == "fails"  # M(X) is read off the hand-derived f'


def test_wrong_cost_gradient_fails_L6(monkeypatch: pytest.MonkeyPatch) -> None:
    wrong = dataclasses.replace(COSTS["binary_cross_entropy"], gradient=lambda A, Y: (A - Y) / A)
    monkeypatch.setitem(COSTS._entries, "binary_cross_entropy", wrong)
    assert _status("L6") == "fails"


def _perturbed(function: Any) -> Any:
    def broken(*args: Any) -> Any:
        result = function(*args)
        first = result[0] if isinstance(result, tuple) else result
        bumped = np.array(first, dtype=np.float64)
        bumped.flat[0] += 1e-3 + 1e-3 * abs(bumped.flat[0])
        return (bumped, *result[1:]) if isinstance(result, tuple) else bumped

    return broken


@pytest.mark.parametrize(("step", "name"), [("L3", "chain_jacobians"),
                                            ("L5", "affine_jacobians")])
def test_broken_oracle_jacobians_fail_their_lemma(monkeypatch: pytest.MonkeyPatch, step: str,
                                                  name: str) -> None:
    monkeypatch.setattr(oracle, name, _perturbed(getattr(oracle, name)))
    assert _status(step) == "fails"


def test_wrong_product_fails_L1(monkeypatch: pytest.MonkeyPatch) -> None:
    from proofcheck.properties import _lemmas

    real = np.kron
    monkeypatch.setattr(_lemmas.np, "kron", lambda a, b: real(b, a))  # factors swapped
    assert _status("L1") == "fails"


@pytest.mark.parametrize("broken", ["input", "parameters"])
def test_each_layer_lemma_row_fails_on_its_own_product(monkeypatch: pytest.MonkeyPatch,
                                                       broken: str) -> None:
    """A layer type's products are checked in two rows, the input product under G.step and
    the parameter products under G.param: an oracle off in one kind fails that row only."""
    from proofcheck.oracle import _layers as layer_oracle

    real = layer_oracle.layer_vjp

    def off(*args: Any) -> Any:
        da, dtheta = real(*args)
        if broken == "input":
            return _perturbed(lambda: da)(), dtheta
        return da, {k: _perturbed(lambda v=v: v)() for k, v in dtheta.items()}

    monkeypatch.setattr(layer_oracle, "layer_vjp", off)
    keys = ["G.step/lemma/Affine", "G.param/lemma/Affine"]
    rows = run_rows(plan_rows(profile="ci", database=False), keys=keys)
    statuses = {row.step: row.status for row in rows}
    failing = "G.step" if broken == "input" else "G.param"
    assert statuses == {s: "fails" if s == failing else "holds" for s in statuses}, statuses
