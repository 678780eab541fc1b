"""Soak test: the reference implementation under many seeds and one ``thorough`` run.

The ordinary suite runs each property on a few dozen examples. A false alarm
that needs a rare example (a potential that rounds differently on the two
sides, a tolerance that is too tight for some shape) would show up only now
and then. This test looks for one on purpose: the package's own run (what
``proofcheck verify`` checks with no ``--impl``: :class:`proofcheck.MatrixBackprop`
on every step, and the registered layer types' rows, G.*) is made under the
``dev`` profile with 50 different seeds, and once under ``thorough``, and every
row of every report must hold.

Every correct implementation of the test catalog
(:data:`tests.correct_implementations.CORRECT`, the right-derivative and the
midpoint kink conventions among them) is checked the same way under
``IMPLEMENTATION_SEEDS`` seeds of its own, on the theorem's rows (the lemma rows
never call an implementation). The forward-formula zoo
(:data:`tests.formula_zoo.ZOO`: correct backpropagation on the textbook and
library formulas, which lose relative precision where the reference's do not)
runs under all the ``dev`` seeds: it is where a false alarm of the error model
would show.

It is slow (tens of minutes on two cores) and deselected by default; run it
with ``nox -s soak`` or ``pytest -m soak tests/test_soak.py``. The seeds are
``base .. base + 49`` with ``base`` from ``$PROOFCHECK_SOAK_SEED_BASE``
(default 0), so a later soak can explore new examples while any one run stays
reproducible: a failing seed is re-run with the soak test itself, e.g. for seed 61
of base 50: ``PROOFCHECK_SOAK_SEED_BASE=50 pytest -m soak tests/test_soak.py
-k "reference_holds_under_dev_seed and 61"``.
``proofcheck verify --profile dev --seed SEED`` draws a different stream for the
same seed (seed 99 of base 50 failed here and passed there; most likely because
Hypothesis draws some values from constants of the loaded modules, and pytest loads
others than the command line does), so a soak seed is not re-run there.

Each test records the examples it ran (``record_property``, visible in a
``--junitxml`` report) and the module prints the total at the end.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

import proofcheck
from proofcheck.diagnosis.report import Report
from proofcheck.steps import STEPS
from tests.correct_implementations import CORRECT, Entry
from tests.formula_zoo import ZOO

pytestmark = pytest.mark.soak

#: How many ``dev`` seeds the soak runs.
SEED_COUNT = 50
SEED_BASE = int(os.environ.get("PROOFCHECK_SOAK_SEED_BASE", "0"))
SEEDS = list(range(SEED_BASE, SEED_BASE + SEED_COUNT))
#: How many ``dev`` seeds each correct implementation of the catalog runs.
IMPLEMENTATION_SEEDS = list(range(SEED_BASE, SEED_BASE + 10))
THEOREM_STEPS = [s.id for s in STEPS if s.kind == "theorem"]


@dataclass
class Tally:
    """Totals over the whole soak."""

    runs: int = 0
    examples: int = 0
    failing_rows: list[str] = field(default_factory=list)

    def add(self, label: str, report: Report) -> int:
        examples = sum(row.examples for row in report.rows)
        self.runs += 1
        self.examples += examples
        self.failing_rows += [f"{label}: {row.step} {row.mode}" for row in report.failing()]
        return examples


@pytest.fixture(scope="module")
def tally(request: pytest.FixtureRequest) -> Iterator[Tally]:
    totals = Tally()
    yield totals
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    lines = [f"soak: {totals.runs} runs (the reference and the correct implementations), "
             f"{totals.examples} examples in all, {len(totals.failing_rows)} failing rows"]
    lines += [f"  failing: {row}" for row in totals.failing_rows]
    for line in lines:
        if reporter is not None:
            reporter.write_line(line)
        else:  # pragma: no cover - only without pytest's terminal plugin
            print(line)


def _check(report: Report, label: str, tally: Tally,
           record_property: pytest.RecordProperty) -> None:
    examples = tally.add(label, report)
    record_property("examples", examples)
    record_property("failing_rows", len(report.failing()))
    assert not report.failing(), report.render()
    assert report.exit_status == 0, report.render()
    assert examples > 0


@pytest.mark.parametrize("seed", SEEDS)
def test_reference_holds_under_dev_seed(seed: int, tally: Tally,
                                        record_property: pytest.RecordProperty) -> None:
    # The package's own run (no implementation given): the reference's rows and the
    # layer types' rows (G.*), the steps `proofcheck verify --profile dev` runs.
    report = proofcheck.verify(profile="dev", seed=seed, database=False)
    _check(report, f"dev seed {seed}", tally, record_property)


def test_reference_holds_under_thorough(tally: Tally,
                                        record_property: pytest.RecordProperty) -> None:
    report = proofcheck.verify(profile="thorough", seed=SEED_BASE, database=False)
    _check(report, "thorough", tally, record_property)


@pytest.mark.parametrize("seed", IMPLEMENTATION_SEEDS)
@pytest.mark.parametrize("entry", CORRECT, ids=[e.name for e in CORRECT])
def test_correct_implementation_holds_under_dev_seed(entry: Entry, seed: int, tally: Tally,
                                                     record_property: pytest.RecordProperty
                                                     ) -> None:
    report = proofcheck.verify(entry.impl, profile="dev", seed=seed, steps=THEOREM_STEPS,
                               database=False)
    _check(report, f"{entry.name} dev seed {seed}", tally, record_property)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("entry", ZOO, ids=[e.name for e in ZOO])
def test_formula_zoo_holds_under_dev_seed(entry: Entry, seed: int, tally: Tally,
                                          record_property: pytest.RecordProperty) -> None:
    report = proofcheck.verify(entry.impl, profile="dev", seed=seed, steps=THEOREM_STEPS,
                               database=False)
    _check(report, f"{entry.name} dev seed {seed}", tally, record_property)
