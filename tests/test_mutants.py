"""The catalog of classic mistakes: each is caught, with the right root cause.

The lemma rows do not depend on the implementation, so these tests check the
theorem's steps only (the diagnosis would be the same: every lemma holds, as
test_reference shows). Of those, each mistake is run on its root cause's step
alone, as the layer types' mistakes are in tests/layers/test_layers.py: that step must
fail, in the mode that names the mistake, with a counterexample on which the
misconception matcher names it. That the steps before the root cause hold for
every entry (so that the root cause is the earliest failing step) is checked by
the full runs of the catalog, every step, in the batch session (``nox -s batch``,
``tests/test_batch.py::test_the_catalog_with_a_process_pool``); here,
:func:`test_missing_transpose_shrinks_to_depth_two` runs the steps up to its root
cause, so the default suite still sees the diagnosis choose the earliest failing
step, and tests/test_verdicts.py one implementation with two mistakes. The
steps before the root cause cost three quarters of this file's time (the three
mistakes of T2 each ran 15 holding rows before their own): 147 s of 2 cores'
time in the suite before the change.
"""

from __future__ import annotations

import pytest

import proofcheck
from proofcheck.catalog import CATALOG, Mistake, missing_transpose
from proofcheck.diagnosis.misconceptions import name_misconception
from proofcheck.steps import STEPS

THEOREM_STEPS = [s.id for s in STEPS if s.kind == "theorem"]


def up_to(root_cause: str) -> list[str]:
    """The theorem's steps, in proof order, up to and including ``root_cause``."""
    return THEOREM_STEPS[:THEOREM_STEPS.index(root_cause) + 1]


@pytest.mark.parametrize("mutant", CATALOG, ids=[m.name for m in CATALOG])
def test_mutant_is_caught_with_its_root_cause(mutant: Mistake) -> None:
    report = proofcheck.verify(mutant.impl, profile="ci", steps=[mutant.root_cause],
                               database=False)
    assert report.exit_status == 1, report.render()
    assert report.diagnosis.root_cause == mutant.root_cause, report.render()
    root = report.row(mutant.root_cause, report.diagnosis.mode or "")
    assert root.counterexample is not None
    # The misconception matcher names the mistake on its own counterexample (with the
    # entries this counterexample cannot tell it from), and never the reference.
    assert mutant.name in [m.entry.name for m in name_misconception(mutant.impl, root)]
    assert name_misconception(proofcheck.MatrixBackprop(), root) == []


def test_catalog_has_at_least_fifteen_distinct_mistakes() -> None:
    assert len(CATALOG) >= 15
    assert len({m.name for m in CATALOG}) == len(CATALOG)


def test_missing_transpose_shrinks_to_depth_two() -> None:
    # The steps up to the root cause are what its diagnosis reads (the lemmas and the
    # later steps add 15 s and no evidence: each row draws its own examples).
    report = proofcheck.verify(missing_transpose(), profile="ci", database=False,
                               steps=up_to("T1.step"))
    assert report.exit_status == 1
    assert report.diagnosis.root_cause == "T1.step"
    assert report.diagnosis.mode == "isolated"
    row = report.row("T1.step", "isolated")
    assert row.counterexample is not None and row.counterexample.network is not None
    assert row.counterexample.network["depth"] == 2
    assert row.counterexample.function == "backward_delta"
    assert "T1.step fails in isolation" in report.render()


def test_broken_recursion_fails_verify_by_object() -> None:
    """Issue 2's check: a broken object passed to the check names T1.step among the failures."""

    class DropsTranspose(proofcheck.MatrixBackprop):
        def backward_delta(self, W_next, delta_next, dfz):  # type: ignore[no-untyped-def]
            return dfz * (W_next @ delta_next)

    report = proofcheck.verify(DropsTranspose(), profile="ci", steps=["T1.step"],
                               database=False)
    assert report.exit_status == 1
    assert "T1.step" in {r.step for r in report.failing()}
