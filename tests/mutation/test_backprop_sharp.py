"""Fast, sharp checks of :class:`proofcheck.MatrixBackprop`, run against each mutant.

The theorem's rows only (the lemma rows never call the implementation), one
test per step so that mutation testing, which stops at the first failing
test, spends on a killed mutant only the time of the step that kills it. The
isolated rows come first within a step (they are the quickest to fail).
Under the suite's profile; mutation testing runs them with ``CI=true``.
"""

from __future__ import annotations

import pytest

import proofcheck
from proofcheck.steps import STEPS

THEOREM_STEPS = [s.id for s in STEPS if s.kind == "theorem"]


@pytest.mark.parametrize("step", THEOREM_STEPS)
def test_reference_holds_on_the_theorem(profile: str, step: str) -> None:
    report = proofcheck.verify(proofcheck.MatrixBackprop(), profile=profile, steps=[step],
                               database=False, jobs=1)
    assert report.exit_status == 0, report.render()
    assert report.rows, f"no row checks {step}"
    assert all(row.status == "holds" and row.examples > 0 for row in report.rows), \
        report.render()
