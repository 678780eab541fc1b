"""The package's own MatrixBackprop and layer types pass every property (no false alarm)."""

from __future__ import annotations

import pytest

import proofcheck
from proofcheck.properties import PROPERTIES
from proofcheck.report import Report


@pytest.fixture(scope="module")
def report(profile: str) -> Report:
    # No implementation given: the package checks itself, MatrixBackprop and every
    # registered layer type.
    return proofcheck.verify(profile=profile, database=False)


@pytest.mark.parametrize("key", [p.key for p in PROPERTIES])
def test_reference_holds(report: Report, key: str) -> None:
    step, mode, *layer = key.split("/")
    row = report.row(step, mode, layer[0] if layer else None)
    assert row.status == "holds", report.render()
    assert row.examples > 0
    assert row.max_ratio <= 1.0


def test_report_has_a_row_for_every_checked_step(report: Report) -> None:
    steps = {r.step for r in report.rows}
    assert steps == {s.id for s in proofcheck.STEPS if s.checked}
    assert report.exit_status == 0
    assert report.diagnosis.root_cause is None
