"""Fast, sharp checks of :class:`proofcheck.MatrixBackprop`, run first against each mutant.

The theorem's rows only (the lemma rows never call the implementation), under
the suite's profile; mutation testing runs them with ``CI=true``.
"""

from __future__ import annotations

import proofcheck
from proofcheck.steps import STEPS

THEOREM_STEPS = [s.id for s in STEPS if s.kind == "theorem"]


def test_reference_holds_on_the_theorem(profile: str) -> None:
    report = proofcheck.verify(proofcheck.MatrixBackprop(), profile=profile,
                               steps=THEOREM_STEPS, database=False)
    assert report.exit_status == 0, report.render()
    assert all(row.status == "holds" and row.examples > 0 for row in report.rows), \
        report.render()
