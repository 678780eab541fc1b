"""Run one property under Hypothesis and keep what the report needs.

The property's check runs inside a ``@given`` test built here. Every example
updates the row's statistics (examples run, largest error ratio, the tolerance
kinds compared with, the kink conventions seen). A failing example (a value
outside its tolerance, an exception in the implementation, or a result of the
wrong shape or with NaN) raises :class:`_Falsified`; Hypothesis then shrinks it
and, at the end, replays the minimal failing example, whose exception is the one
we catch: so the counterexample in the report is the shrunk one.

An example on which the oracle's value is not finite
(:class:`~proofcheck.properties.OutsideOracleRange`) is neither a pass nor a
failure: it is counted in ``outside_oracle_range`` and rejected, as an
``assume`` rejects, so Hypothesis draws another in its place.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from hypothesis import example as explicit_example
from hypothesis import given, reject, settings, target
from hypothesis import seed as hypothesis_seed
from hypothesis.errors import Flaky, HypothesisException

from proofcheck.diagnosis.report import Counterexample
from proofcheck.engine._database_key import set_database_key
from proofcheck.errors import ImplementationError, ReferenceFailure
from proofcheck.network import Network
from proofcheck.numerics.tolerances import Tolerance
from proofcheck.properties._framework import (
    Check,
    Context,
    NotApplicable,
    NotJudged,
    OutsideOracleRange,
    Property,
    Subject,
    UserCodeFailure,
    WrongResult,
)

#: The examples whose overruling notes a row keeps (each names a layer and the entries).
MAX_OVERRULED = 1

_BLOB = re.compile(r"@reproduce_failure\([^)]*\)")


class _Falsified(Exception):
    def __init__(self, example: Any, worst: Check | None, crash: UserCodeFailure | None,
                 called: list[str] | None) -> None:
        super().__init__("falsified")
        self.example = example
        self.worst = worst
        self.crash = crash
        self.called = called


@dataclass
class RowOutcome:
    """What running one property produced.

    Attributes
    ----------
    tolerance : Tolerance or None
        The tolerance of the check with the largest error ratio seen (the one
        ``max_ratio`` is measured against); ``None`` if no check ran.
    tolerances : dict of str to Tolerance
        Every tolerance kind the row's checks compared with, by name.
    kink_conventions : list of str
        The distinct kink conventions the checks reported, in the order seen.
    notes : dict of str to int
        The numerical facts the verdicts relied on (a check's ``note``, or an
        example not judged, :class:`~proofcheck.properties.NotJudged`), each the
        first of its kind seen, with how many examples relied on one of that kind.
    outside_oracle_range : int
        Examples discarded, not judged, because a value of the oracle was not finite
        (``examples`` counts only the judged ones).
    outside_oracle_reason : str or None
        What was not finite on the first of them.
    overruled : list of str
        Where a check held against one-sided finite differences of a layer's forward
        map after the reference's autodiff disagreed (:attr:`Check.overruled`):
        the first :data:`MAX_OVERRULED` examples' notes.
    overruled_examples : int
        The examples on which some check was decided so.
    """

    examples: int = 0
    max_ratio: float = 0.0
    max_error: float = 0.0
    counterexample: Counterexample | None = None
    error: str | None = None
    not_applicable: str | None = None
    tolerance: Tolerance | None = None
    tolerances: dict[str, Tolerance] = field(default_factory=dict)
    kink_conventions: list[str] = field(default_factory=list)
    notes: dict[str, int] = field(default_factory=dict)
    _note_kinds: dict[str, str] = field(default_factory=dict)

    def note(self, text: str) -> None:
        """Count one example that relied on ``text``; notes that differ only in the values
        they quote (from `` (e.g.`` on) are one kind."""
        kind = text.split(" (e.g.")[0]
        first = self._note_kinds.setdefault(kind, text)
        self.notes[first] = self.notes.get(first, 0) + 1
    outside_oracle_range: int = 0
    outside_oracle_reason: str | None = None
    overruled: list[str] = field(default_factory=list)
    overruled_examples: int = 0

    def discard(self, outside: OutsideOracleRange) -> None:
        """Count one example outside the oracle's range (keep the first one's reason).

        The oracle's autodiff of the forward maps as written overflowed on it, so with
        no finite value to compare with it can show neither a mistake nor its absence:
        the example is rejected, as an ``assume`` rejects, and Hypothesis draws another.
        """
        self.outside_oracle_range += 1
        if self.outside_oracle_reason is None:
            self.outside_oracle_reason = str(outside)

    def record(self, checks: list[Check]) -> Check | None:
        """Count one example's checks; return the one with the largest error ratio."""
        self.examples += 1
        for c in checks:
            self.tolerances.setdefault(c.comparison.tolerance.name, c.comparison.tolerance)
            # One entry per activation and convention: a label names every activation
            # at a kink in its example ("relu'(0) = 0: ...; leaky_relu'(0) = ...").
            for part in (c.kink_convention or "").split("; "):
                if part and part not in self.kink_conventions:
                    self.kink_conventions.append(part)
        for text in dict.fromkeys(c.note for c in checks if c.note):
            self.note(text)
        notes = list(dict.fromkeys(c.overruled for c in checks if c.overruled))
        if notes:
            self.overruled_examples += 1
            if len(self.overruled) < MAX_OVERRULED:
                self.overruled.append("; ".join(notes))
        if not checks:
            return None
        worst = max(checks, key=lambda c: c.comparison.ratio)
        if self.tolerance is None or worst.comparison.ratio > self.max_ratio:
            self.tolerance = worst.comparison.tolerance
        self.max_ratio = max(self.max_ratio, worst.comparison.ratio)
        self.max_error = max(self.max_error, worst.comparison.max_error)
        return worst


def _calls(subject: Subject) -> list[str] | None:
    return None if subject.called is None else list(subject.called)


def _tolist(x: Any) -> Any:
    if isinstance(x, np.ndarray):
        return x.tolist()
    return x


def _network_summary(example: Any) -> dict[str, Any] | None:
    return example.summary() if isinstance(example, Network) else None


def _counterexample(f: _Falsified, reproduce: str | None) -> Counterexample:
    net = _network_summary(f.example)
    if f.crash is not None:
        inputs = {k: _tolist(v) for k, v in f.crash.inputs.items()}
        if isinstance(f.crash, WrongResult):
            return Counterexample(net, function=f.crash.function, inputs=inputs,
                                  result=f.crash.message, reproduce=reproduce,
                                  called=f.called)
        return Counterexample(net, function=f.crash.function, inputs=inputs,
                              exception=f.crash.last_line, reproduce=reproduce,
                              called=f.called)
    w = f.worst
    assert w is not None
    c = w.comparison
    return Counterexample(
        net, quantity=w.quantity, function=w.function, layer=w.layer,
        inputs={k: _tolist(v) for k, v in w.inputs.items()}, actual=_tolist(w.actual),
        expected=_tolist(w.expected), index=list(c.location), actual_value=c.actual_value,
        expected_value=c.expected_value, max_error=c.max_error, ratio=c.ratio,
        reproduce=reproduce, called=f.called)


def _discarding(check: Any, outcome: RowOutcome) -> Any:
    """``check``, with an example outside the oracle's range counted and rejected, and one
    the row cannot judge (:class:`~proofcheck.properties.NotJudged`) noted."""
    def discarding(subject: Subject, example: Any) -> list[Check]:
        try:
            checks: list[Check] = check(subject, example)
        except OutsideOracleRange as outside:
            outcome.discard(outside)  # not judged (why: RowOutcome.discard)
            reject()
        except ReferenceFailure as failure:  # a user's primal raised: their code, named
            raise UserCodeFailure(failure.function, failure.last_line, {}) from None
        except NotJudged as reason:
            outcome.note(str(reason))  # its forward formula left the statement
            return []
        return checks

    return discarding


def _seeded(test: Any, seed: int | None) -> Any:
    return test if seed is None else hypothesis_seed(seed)(test)


def run_property(prop: Property, subject: Subject, profile: settings, *, context: Context,
                 database_key: str, seed: int | None = None) -> RowOutcome:
    """Run ``prop`` on ``subject`` with the Hypothesis settings ``profile``.

    Raises
    ------
    ImplementationError
        If the implementation cannot be called properly (the check stops).
    """
    outcome = RowOutcome()
    strategy = prop.strategy(context)
    # The discarding check is wrapped around the property's, not written into `body`:
    # with `derandomize`, Hypothesis seeds its draws from body's source, and the rows'
    # draws (recorded in the docs and tests) should not change with this.
    prop = dataclasses.replace(prop, check=_discarding(prop.check, outcome))

    def body(example: Any) -> None:
        subject.start_example()  # the calls of this example only
        try:
            checks = prop.check(subject, example)
        except NotApplicable as reason:
            outcome.not_applicable = str(reason)
            return
        except UserCodeFailure as crash:
            raise _Falsified(example, None, crash, _calls(subject)) from None
        except ImplementationError as exc:
            exc.example = example  # type: ignore[attr-defined]
            raise
        worst = outcome.record(checks)
        if worst is None:
            return
        ratio = worst.comparison.ratio
        target(min(float(ratio), 1e300) if np.isfinite(ratio) else 1e300, label="error ratio")
        if not worst.comparison.holds:
            raise _Falsified(example, worst, None, _calls(subject))

    test = given(strategy)(body)
    for explicit in prop.examples(context) if prop.examples is not None else []:
        test = explicit_example(explicit)(test)
    test = _seeded(settings(profile)(test), seed)
    set_database_key(test, database_key)
    try:
        test()
    except _Falsified as f:
        notes = "\n".join(getattr(f, "__notes__", []))
        blob = _BLOB.search(notes)
        outcome.counterexample = _counterexample(f, blob.group(0) if blob else None)
    except ImplementationError as exc:
        # Hypothesis has shrunk the example; say where it happened, without
        # Hypothesis's own notes (the message is the whole story).
        example: Any = getattr(exc, "example", None)
        describe = getattr(example, "describe", None)
        where = f" [{prop.key}, on {describe()}]" if callable(describe) else f" [{prop.key}]"
        raise ImplementationError(f"{exc}{where}") from None
    except Flaky as exc:
        outcome.error = f"the failure did not reproduce when replayed (flaky): {exc}"
    except HypothesisException as exc:
        outcome.error = f"{type(exc).__name__}: {exc}".strip()
    return outcome
