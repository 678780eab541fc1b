"""The exact rows: sympy identities that hold for every value, and that can fail."""

from __future__ import annotations

from typing import Any

import numpy as np
import sympy as sp

import proofcheck
from proofcheck.catalog import backward_delta_without_derivative, weight_grad_wrong_sign
from proofcheck.properties import PROPERTIES
from proofcheck.properties._symbolic import _exact_check

EXACT_STEPS = ["L1", "L4", "L5", "L7", "T1.base", "T1.step", "T1.W", "T1.b"]


def _exact_rows(report: proofcheck.Report) -> dict[str, str]:
    return {r.step: r.status for r in report.rows if r.mode == "exact"}


# That the package's own implementation holds on every exact row is asserted by
# tests/test_reference.py::test_reference_holds (every row of every checked step,
# the exact ones among them); this file checks that the exact rows exist and can fail.
def test_every_step_with_an_exact_identity_has_an_exact_row() -> None:
    assert sorted({p.step for p in PROPERTIES if p.mode == "exact"}) == sorted(EXACT_STEPS)


def test_exact_rows_fail_on_wrong_steps() -> None:
    for impl, step in ((backward_delta_without_derivative(), "T1.step"),
                       (weight_grad_wrong_sign(), "T1.W")):
        report = proofcheck.verify(impl, profile="ci", steps=[step], database=False)
        assert _exact_rows(report)[step] == "fails", report.render()


def test_the_exact_comparison_sees_a_difference() -> None:
    a, b = sp.symbols("a b")
    assert _exact_check("x", np.array([a + b]), np.array([b + a])).comparison.holds
    assert not _exact_check("x", np.array([a * b]), np.array([a + b])).comparison.holds


class FloatOnly(proofcheck.MatrixBackprop):
    def bias_grad(self, delta: Any) -> Any:
        return np.add.reduce(delta, axis=1, dtype=np.float64)


def test_float_only_implementation_reads_not_provided() -> None:
    report = proofcheck.verify(FloatOnly(), profile="ci", steps=["T1.b"], database=False)
    row = report.row("T1.b", "exact")
    assert row.status == "not provided"
    assert row.message is not None and "symbolic (object) arrays" in row.message
    assert report.row("T1.b", "isolated").status == "holds"
    assert report.exit_status == 0
