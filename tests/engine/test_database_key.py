"""The shim over Hypothesis's private database-key attribute still does what it says.

If a Hypothesis release stops reading the attribute, this test fails: the
failing example would then be stored under Hypothesis's own key, and every row
of a report would share one database entry.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.database import InMemoryExampleDatabase

from proofcheck.engine._database_key import set_database_key


def test_a_failing_example_is_stored_under_the_key_proofcheck_gives() -> None:
    database = InMemoryExampleDatabase()

    @settings(database=database, max_examples=50, derandomize=False)
    @given(st.integers())
    def fails(n: int) -> None:
        assert n < 10

    set_database_key(fails, "T1.step/isolated")
    with pytest.raises(AssertionError):
        fails()
    assert list(database.fetch(b"proofcheck:T1.step/isolated")), (
        "Hypothesis no longer reads _hypothesis_internal_database_key: "
        "update proofcheck/_database_key.py")
