"""The package's own MatrixBackprop and layer types pass every property (no false alarm)."""

from __future__ import annotations

import pytest

import proofcheck
from proofcheck.properties import PROPERTIES

CHECKED = [s.id for s in proofcheck.STEPS if s.checked]


# One test per step, so that the steps' runs spread over the suite's processes; no
# implementation given: the package checks itself, MatrixBackprop and every
# registered layer type.
@pytest.mark.parametrize("step", CHECKED)
def test_reference_holds(profile: str, step: str) -> None:
    report = proofcheck.verify(profile=profile, database=False, steps=[step])
    keys = {p.key for p in PROPERTIES if p.step == step}
    rows = {f"{r.step}/{r.mode}" + (f"/{r.layer}" if r.layer else "") for r in report.rows}
    assert rows == keys, "a row of the step is missing"
    for row in report.rows:
        assert row.status == "holds", report.render()
        assert row.examples > 0
        assert row.max_ratio <= 1.0
    assert report.exit_status == 0
    assert report.diagnosis.root_cause is None
