"""Run one property's check function on one given example, as the runner would.

A check function may discard an example with Hypothesis's ``assume`` (a
potential within rounding of a kink, a network outside the statement); that
is only allowed inside a Hypothesis test, so the example is run as one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from proofcheck.properties import Check, Subject


def run_check(check: Callable[[Subject, Any], list[Check]], subject: Subject,
              example: Any) -> list[Check]:
    """``check(subject, example)`` inside a one-example Hypothesis test."""
    checks: list[Check] = []

    @settings(max_examples=1, database=None, derandomize=True, deadline=None)
    @given(st.just(example))
    def run(value: Any) -> None:
        checks[:] = check(subject, value)

    run()
    return checks
