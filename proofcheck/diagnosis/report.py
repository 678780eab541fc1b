"""The report: one row per step and mode, counterexamples, and the diagnosis.

JSON schema (``proofcheck verify --json PATH``, :meth:`Report.to_dict`)
-----------------------------------------------------------------------
The top-level object::

    {
      "schema": "proofcheck-report/4",
      "subject": str,            # what was checked ("proofcheck.MatrixBackprop()", "mod:attr")
      "profile": str,            # "ci", "dev" or "thorough"
      "seed": int | null,        # the --seed given, if any
      "ok": bool,                # every provided step holds
      "exit_status": int,        # 0 every provided step holds, 1 some step fails
      "seconds": float,          # wall time of the whole check
      "rows": [Row, ...],        # in proof order
      "diagnosis": {"root_cause": str | null, "mode": str | null, "message": str,
                    "layer": str | null},
      "misconceptions": [{"name": str, "function": str, "message": str, "docs": str}, ...]
    }

Each ``Row``::

    {
      "step": str,
      "mode": "exact" | "lemma" | "isolated" | "end-to-end" | "oracle check",
      "title": str, "statement": str,
      "status": "holds" | "fails" | "not provided" | "error",
      "examples": int,                # examples the property ran
      "max_ratio": float,             # largest error / tolerance seen (<= 1 holds)
      "max_error": float,             # largest absolute error seen
      "tolerance": str,               # the tolerance kind compared with: "gradient",
                                      # "jacobian", "derivative", "finite differences",
                                      # "identity", "exact"
      "rtol": float, "atol": float,   # that kind's tolerance
      "oracle": str,                  # where expected values came from
      "property_name": str,           # the function that checks the step
      "needs": [str, ...],            # protocol functions the property calls
      "layer": str | null,            # the layer type of a G.* lemma row
      "seconds": float,
      "message": str | null,          # for "error" and "not provided"
      "counterexample": null | {
        "network": null | {"depth", "widths", "layers", "activations", "cost",
                           "batch_size", "params", "X", "Y"},
                                      # "layers" and "activations": one line each
                                      # ("Affine(2 -> 3)", "relu"); "params": one
                                      # {name: nested list} per layer ({"W", "b"} for an
                                      # affine layer)
        "quantity": str | null,       # e.g. "delta^1"
        "function": str | null,       # the protocol function that computed it
        "layer": int | null,
        "inputs": {name: nested list},
        "actual": nested list | null, "expected": nested list | null,
        "index": [int, ...] | null,   # where the ratio is largest
        "actual_value": float | null, "expected_value": float | null,
        "max_error": float | null, "ratio": float | null,
        "exception": str | null,      # last line of the implementation's traceback
        "reproduce": str | null,      # the @reproduce_failure decorator for this example
                                      # (null for a row's explicit example, which every
                                      # run checks first)
        "result": str | null,         # a result that cannot be compared: what was
                                      # returned and what was expected
        "called": [str, ...] | null,  # the protocol functions that ran on this
                                      # example, those the implementation's own code
                                      # called included (null: not recorded)
        "found_by": str | null        # the row that found this example, when another
                                      # did ("T2 isolated": its example with N = 1)
      },
      "kink_convention": [str, ...],  # the conventions used at potentials exactly at a
                                      # kink, e.g. "relu'(0) = 1: the right derivative"
      "notes": [str, ...],            # numerical facts the verdict relied on beyond the
                                      # reference's rounding, each with how many examples
                                      # ("layer 2's elu ... (3 examples)"); a layer's
                                      # code computing in float32, with where
      "outside_oracle_range": int,    # examples discarded, not judged: a value of the
                                      # oracle was not finite (not in "examples")
      "outside_oracle_reason": str | null,  # what was not finite on the first of them
      "overruled": [str, ...],        # where the reference's autodiff of a layer's
                                      # forward map was overruled by one-sided finite
                                      # differences (layer, product, entries, the
                                      # one-sided derivatives), on the first example
      "overruled_examples": int       # examples on which that happened
    }

Changes from ``proofcheck-report/3``
------------------------------------
- ``notes``: a list per row, empty unless the verdict relied on the forward pass's
  precision (:mod:`proofcheck.numerics.forward_precision`): a result that holds only because
  the implementation's activation formula is accurate to the allowance, or an
  example not judged because its forward formula left the cost's domain there;
  and, on every row of a run, a layer type from ``from_jax``/``from_torch`` whose
  code computes in a float narrower than float64, with where.
- ``outside_oracle_range``, ``outside_oracle_reason``: examples where the oracle's
  value was not finite are discarded, counted, and not in ``examples``.
- ``overruled``, ``overruled_examples``: where one-sided finite differences of a user
  layer's forward map overruled autodiff of it.
- ``counterexample.called`` (the protocol functions that ran on the failing example,
  the implementation's own calls included; null if they could not be recorded) and
  ``counterexample.found_by`` (the row whose example a T1 row was re-run on).

Changes from ``proofcheck-report/2``
------------------------------------
- ``counterexample.network`` has one shape for every row: the paper's network is
  a network of affine layers, so its summary lists ``layers`` (``"Affine(n_{l-1}
  -> n_l)"``) and ``params`` (``{"W": W^l, "b": b^l}`` per layer) as a G.* row's
  does; its ``weights`` and ``biases`` lists are gone.

Changes from ``proofcheck-report/1``
------------------------------------
- Each row names its ``tolerance`` kind, and ``rtol``/``atol`` are that kind's
  (they were the "gradient" kind's on every row); an exact row's are 0.
- ``kink_convention``: a list per row, empty unless a check accepted a value of
  the subdifferential at a kink.
- ``counterexample.result``: a failing example may be a result of the wrong
  shape (or a list with the wrong number of arrays) or with NaN or infinity,
  which was exit status 2 with no report; ``actual``, ``expected`` and the
  numbers are then null, as for ``exception``.
- ``needs`` of the T2 isolated row lists the step functions it called (those the
  implementation provides); it was empty.
- A layer type's lemma row is two rows, ``G.step`` (its input product, or an
  activation map's product) and ``G.param`` (its parameter products), both
  with ``mode`` "lemma" and ``layer`` naming the type.
- The diagnosis says "only as a consequence" of the rows that call the root
  cause's function (or, for a layer type, run networks that contain it), and
  "also fails" of the others.
- ``mode`` "exact" is listed (it was already written).
- ``misconceptions``: a list, empty unless a step fails and the root cause's
  output on its counterexample is what a classic mistake of
  :mod:`proofcheck.catalog` computes; each item has the entry's ``name``, the
  ``function`` compared, the ``message`` for the student and the ``docs``
  section (see :mod:`proofcheck.diagnosis.misconceptions`).

Non-finite floats are written as the strings ``"inf"`` and ``"nan"`` so that the
file is strict JSON.
"""

from __future__ import annotations

import json
import math
from collections.abc import Collection
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from proofcheck.diagnosis._counterexample import (
    Counterexample,
    render_counterexample,
    verify_command,
)
from proofcheck.protocol import PROTOCOL_FUNCTIONS
from proofcheck.steps import STEP_IDS, STEPS, get_step, row_key

__all__ = ["SCHEMA", "Counterexample", "Diagnosis", "Report", "Row"]

#: The schema identifier written into every JSON report.
SCHEMA = "proofcheck-report/4"

#: What a failure of each step means, in the proof's terms (each step's
#: :attr:`~proofcheck.steps.Step.meaning`, by ID).
MEANING: dict[str, str] = {step.id: step.meaning for step in STEPS if step.meaning}


@dataclass
class Row:
    """One step in one mode (the fields are the JSON row's; see the module docstring).

    ``tolerance`` is the kind of tolerance the row's checks compared with (the
    kind of the check with the largest error ratio, if they used several), and
    ``rtol``, ``atol`` are that kind's. ``kink_convention`` lists the conventions
    its checks used at potentials exactly at a kink; ``notes`` the numerical facts
    its verdict relied on beyond the reference's rounding.
    """

    step: str
    mode: str
    title: str
    statement: str
    status: str
    examples: int = 0
    max_ratio: float = 0.0
    max_error: float = 0.0
    tolerance: str = "gradient"
    rtol: float = 0.0
    atol: float = 0.0
    oracle: str = ""
    property_name: str = ""
    needs: list[str] = field(default_factory=list)
    layer: str | None = None
    seconds: float = 0.0
    message: str | None = None
    counterexample: Counterexample | None = None
    kink_convention: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    outside_oracle_range: int = 0
    outside_oracle_reason: str | None = None
    overruled: list[str] = field(default_factory=list)
    overruled_examples: int = 0

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Row:
        """A row from its JSON form (a report's ``rows`` item, or ``asdict`` of a row)."""
        fields = dict(data)
        c = fields.pop("counterexample", None)
        return cls(**fields, counterexample=Counterexample(**c) if c is not None else None)

    @property
    def key(self) -> str:
        """``"T1.step/isolated"``, ``"G.param/lemma/Conv1D"``
        (:func:`proofcheck.steps.row_key`)."""
        return row_key(self.step, self.mode, self.layer)

    @property
    def label(self) -> str:
        """``"T1.step isolated"``, ``"G.param lemma (Conv1D)"``."""
        return f"{self.step} {self.mode}" + (f" ({self.layer})" if self.layer else "")

    @property
    def failed(self) -> bool:
        return self.status in ("fails", "error")

    @property
    def mostly_outside_oracle_range(self) -> bool:
        """Whether more than half of the examples drawn were outside the oracle's range."""
        return self.outside_oracle_range > self.examples

    def all_notes(self, leave_out: Collection[str] = ()) -> list[str]:
        """What the row's verdict rests on beyond its comparisons, one sentence each: the
        forward pass's precision and the layer's own number format (:attr:`notes`, but
        those in ``leave_out``, which a report says once for every row), examples
        outside the oracle's range, and where the reference was overruled."""
        notes = [f"{self.label} {note}." for note in self.notes if note not in leave_out]
        n = self.outside_oracle_range
        if n:
            notes.append(f"{self.label}: {n} example{'s' if n != 1 else ''} outside the "
                         "oracle's range (discarded, not judged"
                         + (f"; first: {self.outside_oracle_reason}" if
                            self.outside_oracle_reason else "") + ").")
        if self.mostly_outside_oracle_range:
            notes.append(f"{self.label}: more than half of its examples ({n} of "
                         f"{n + self.examples}) were outside the oracle's range; its verdict "
                         f"rests on the {self.examples} judged.")
        if self.overruled:
            m = max(self.overruled_examples, len(self.overruled))
            notes.append(f"{self.label}: in {m} example{'s' if m != 1 else ''} a layer's rule "
                         "disagreed with the reference (autodiff of its forward map) and "
                         "agreed with the forward map's one-sided finite differences, which "
                         f"overruled the reference; first: {'; '.join(self.overruled)}.")
        return notes


@dataclass
class Diagnosis:
    """The root cause in the proof's terms."""

    root_cause: str | None
    mode: str | None
    message: str
    layer: str | None = None


def diagnose(rows: list[Row], *, layer_target: bool = False) -> Diagnosis:
    """The root cause in the proof's terms, and which other failures follow from it.

    The root cause is the earliest failing isolated (or lemma) row, else the
    earliest end-to-end failure. Another failing row fails "only as a
    consequence" when it runs the root cause's code, and "also fails"
    otherwise (a second mistake, to be looked at on its own):

    - a row runs a protocol function when the function ran on its failing
      example: the check called it, or the implementation's own code did (a
      ``gradients`` that calls ``self.weight_grad``), as recorded while the
      example ran (``Counterexample.called``; where nothing was recorded, the
      row's ``needs``). The root cause's function is the one its
      counterexample names (else its ``needs``). A ``gradients`` that computes
      everything itself does not run ``backward_delta`` or ``bias_grad`` even
      where those are wrong, so its rows are not a consequence of them;
    - a layer type's product (a G.* root cause, whose rows have no ``needs``)
      is run by the G.* network rows on networks that contain the layer type:
      all of them in a run for one layer type (``layer_target``), else those
      whose counterexample contains it. Lemma rows of other layer types, or of
      the same type's other products (G.step: the input product; G.param: the
      parameter products), do not run it;
    - a lemma about the mathematics (L1-L7) names no protocol function: no other
      row is called its consequence.
    """
    failing = [r for r in rows if r.failed]
    if not failing:
        return Diagnosis(None, None, "every provided step holds.")
    root, kind = _root(failing)
    if kind == "oracle check":
        return Diagnosis(root.step, root.mode, (
            f"the oracle disagrees with finite differences ({root.step} oracle check): the "
            "reference values themselves are wrong, so no verdict of this run can be trusted. "
            "Please report this as a bug of proofcheck."))
    if kind == "isolated":
        return _isolated_diagnosis(root, failing, layer_target)
    return _end_to_end_diagnosis(root, failing)


def _root(failing: list[Row]) -> tuple[Row, str]:
    """The root cause among the failing rows, and how it was found.

    ``"oracle check"``: the oracle itself is wrong; ``"isolated"``: the earliest
    failing isolated (or lemma, or exact) row; ``"end-to-end"``: the earliest
    failure, when every isolated row holds.
    """
    order = {step: i for i, step in enumerate(STEP_IDS)}
    broken_oracle = [r for r in failing if r.mode == "oracle check"]
    if broken_oracle:
        return broken_oracle[0], "oracle check"
    # A row that calls `gradients` checks a composition, even when it is fed the
    # oracle's values (T1.tail isolated): it can point at no single step.
    # Within a step, the sampled isolated row comes first: its counterexample is a
    # network (shrunk), where the exact row's is a symbolic identity.
    preference = {"lemma": 0, "isolated": 1, "exact": 2}
    isolated = sorted((r for r in failing
                       if r.mode in preference and "gradients" not in r.needs),
                      key=lambda r: (order.get(r.step, len(order)), preference[r.mode]))
    if isolated:
        return isolated[0], "isolated"
    return sorted(failing, key=lambda r: order.get(r.step, len(order)))[0], "end-to-end"


def consequences(rows: list[Row], *, layer_target: bool = False) -> list[Row]:
    """The failing rows that fail only as a consequence of the root cause :func:`diagnose` names.

    Empty when the root cause is an end-to-end row (every isolated row holds)
    or the oracle; see :func:`diagnose` for which rows run the root cause's code.
    """
    failing = [r for r in rows if r.failed]
    if not failing:
        return []
    root, kind = _root(failing)
    if kind != "isolated":
        return []
    return _follows(root, [r for r in failing if r is not root], layer_target)


def _isolated_diagnosis(root: Row, failing: list[Row], layer_target: bool) -> Diagnosis:
    """An isolated (or lemma) row is the root cause: its step, its function, the rest."""
    c = root.counterexample
    step = _step_at_one_example(root)
    if root.layer is not None:
        text = _layer_lemma_text(root)
    elif step is not None:
        # N = 1: T2 isolated checked the theorem itself, not the data-matrix form.
        text = (f"{root.step} fails in isolation on a network with one example (N = 1), "
                "where the data-matrix form is the theorem itself: a failure of "
                f"{step}: {get_step(step).meaning or 'this step is wrong'}.")
    else:
        text = (f"{root.step} fails in isolation: "
                f"{get_step(root.step).meaning or 'this step is wrong'}.")
    if c is not None and c.function:
        text += f" The function at fault is {c.function}" + (
            f": {c.result}." if c.result else
            f": it raised {c.exception}." if c.exception else ".")
    if c is not None and c.found_by:
        text += (f" The example was found by {c.found_by}, on a network with one example "
                 f"(N = 1), where the data-matrix form is the theorem itself; {root.step}'s "
                 "own examples had not reached the mistake.")
    text += _consequences(root, [r for r in failing if r is not root], layer_target)
    return Diagnosis(root.step, root.mode, text, root.layer)


#: The T1 step of each step function (the protocol's table).
_STEP_OF_FUNCTION = {f.name: f.step for f in PROTOCOL_FUNCTIONS if f.name != "gradients"}


def _step_at_one_example(root: Row) -> str | None:
    """The T1 step a T2 isolated failure belongs to when its example has one column.

    With ``N = 1`` the data-matrix form is the theorem itself, so a step function that
    fails there fails its T1 step (``verify`` then runs that step's isolated row again
    on the example, which becomes the root cause; this names it where that row was not
    run, e.g. ``--steps T2``).
    """
    c = root.counterexample
    if (root.step, root.mode) != ("T2", "isolated") or c is None or not c.network:
        return None
    if c.network.get("batch_size") != 1:
        return None
    return _STEP_OF_FUNCTION.get(c.function or "")


def _end_to_end_diagnosis(first: Row, failing: list[Row]) -> Diagnosis:
    """Every isolated row holds: the earliest end-to-end failure is a composition error."""
    others = [r.label for r in failing if r is not first]
    c = first.counterexample
    where = "gradients" if "gradients" in first.needs else "the composition of the steps"
    if c is not None and c.result:
        cause = f"{c.result}"
    elif c is not None and c.exception and c.function:
        cause = f"{c.function} raised {c.exception}"
    else:
        cause = f"a composition error in {where}"
    text = (f"{first.step} fails end-to-end while every isolated step holds: {cause} "
            f"({get_step(first.step).meaning or 'this step is wrong'}).")
    if c is not None and c.layer is not None:
        text += f" The largest error is in layer {c.layer}."
    if others:
        text += f" Also failing: {_join(others)}."
    return Diagnosis(first.step, first.mode, text)


def _layer_lemma_text(root: Row) -> str:
    """What a failing lemma row of a layer type says: which of its products is wrong."""
    quantity = root.counterexample.quantity if root.counterexample else None
    if root.step == "G.param":
        what = (f"parameter product {quantity}" if quantity else
                "parameter products J^phi_theta^T delta")
        role = "the gradient of the layer's parameters, J^phi_theta(a^{l-1})^T delta^l"
    elif root.step == "G.step" and (quantity is None or quantity.startswith("J_a")):
        what = f"input product {quantity or 'J^phi_a^T delta'}"
        role = "the pull-back of delta^{l+1} through the layer, J^phi_a(a^l)^T delta^{l+1}"
    else:
        what = f"product {quantity}" if quantity else "product J^f(z)^T g"
        role = "the pull-back through the activation, J^f(z^l)^T"
    return (f"{root.step} lemma ({root.layer}) fails in isolation: {root.layer}'s "
            f"hand-derived {what} disagrees with "
            f"{reference_of(root.layer or '', root.oracle) or 'jax.vjp of its forward map'}"
            f", so {role} is wrong.")


def reference_of(layer: str, oracle: str) -> str | None:
    """The reference of a layer type made from another framework's function, as its
    run's oracle column names it (``"...; <layer>: <reference>"``); ``None`` for a
    layer type whose products are compared with ``jax.vjp`` of its forward map."""
    marker = f"; {layer}: "
    if layer and marker in oracle:
        return oracle.split(marker, 1)[1]
    return None


def _owners(root: Row) -> set[str]:
    """The layer types whose code the root cause ran: its ``layer``, its function's owner."""
    owners = {root.layer} if root.layer else set()
    c = root.counterexample
    if c is not None and c.function and "." in c.function:
        owners.add(c.function.split(".")[0])
    return owners


def _contains(row: Row, owners: set[str]) -> bool:
    """Whether ``row``'s counterexample network has a layer or activation of ``owners``."""
    network = row.counterexample.network if row.counterexample else None
    if not network:
        return False
    parts = [*network.get("layers", []), *network.get("activations", [])]
    return any(part == name or part.startswith(name + "(") for part in parts for name in owners)


def _consequences(root: Row, others: list[Row], layer_target: bool) -> str:
    """The sentences that say which other failing rows follow from ``root``."""
    if not others:
        return ""
    c = root.counterexample
    follows = _follows(root, others, layer_target)
    if get_step(root.step).kind == "generalization":
        owners = _owners(root)
        named = " or ".join(sorted(owners)) or "that layer type"
        code = c.function if c is not None and c.function else f"{named}'s products"
        because = ("its network contains {0}", "their networks contain {0}")
        unrelated = (f"it does not run {code}", f"they do not run {code}")
    else:
        functions = {c.function} if c is not None and c.function else set(root.needs)
        named = " or ".join(sorted(functions))
        because = ("it calls {0}", "they call {0}")
        unrelated = (("it does not call {0}", "they do not call {0}") if functions else
                     (f"{root.step} runs no function of the implementation",) * 2)
    rest = [r for r in others if all(r is not f for f in follows)]
    text = ""
    # A row that runs the function only through the implementation's own gradients
    # (recorded while it ran) is said to, apart from those that call it themselves.
    inner = ([] if get_step(root.step).kind == "generalization" else
             [r for r in follows if not _root_functions(root) & set(r.needs)])
    for group, reason in (([r for r in follows if all(r is not i for i in inner)], because),
                          (inner, ("its gradients calls {0}", "their gradients call {0}"))):
        if not group:
            continue
        one = len(group) == 1
        text += (f" {_join([r.label for r in group])} {'fails' if one else 'fail'} only as a "
                 f"consequence ({reason[0 if one else 1].format(named)}; fix the root cause "
                 "first).")
    if rest:
        one = len(rest) == 1
        text += (f" {_join([r.label for r in rest])} also {'fails' if one else 'fail'} "
                 f"({unrelated[0 if one else 1].format(named)}): "
                 + ("a separate failure, to be looked at on its own." if one else
                    "separate failures, to be looked at on their own."))
    return text


def _follows(root: Row, others: list[Row], layer_target: bool) -> list[Row]:
    """The rows of ``others`` that run the root cause's code (see :func:`diagnose`)."""
    if get_step(root.step).kind == "generalization":
        owners = _owners(root)
        return [r for r in others if get_step(r.step).kind == "generalization" and r.layer is None
                and (layer_target or _contains(r, owners))]
    functions = _root_functions(root)
    return [r for r in others if functions & _ran(r)]


def _root_functions(root: Row) -> set[str]:
    """The protocol functions a root cause's failure is in: the one its counterexample
    names, else those it calls."""
    c = root.counterexample
    return {c.function} if c is not None and c.function else set(root.needs)


def _ran(row: Row) -> set[str]:
    """The protocol functions that ran on ``row``'s failing example: those recorded while
    it ran (the implementation's own calls included, see
    :class:`proofcheck.properties.Subject`), else, where nothing was recorded (a report
    written before calls were recorded, an implementation whose functions cannot be
    wrapped), those the check calls (``needs``)."""
    c = row.counterexample
    if c is not None and c.called is not None:
        return set(c.called)
    return set(row.needs)


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _finite(x: Any) -> Any:
    if isinstance(x, float) and not math.isfinite(x):
        return "nan" if math.isnan(x) else ("inf" if x > 0 else "-inf")
    if isinstance(x, dict):
        return {k: _finite(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_finite(v) for v in x]
    return x


#: The profiles that draw the same examples every run and keep no example database
#: (:mod:`proofcheck.engine.profiles`): their rerun line replays nothing.
_DERANDOMIZED = ("ci", "watch")


@dataclass
class Report:
    """The outcome of :func:`proofcheck.verify`: rows in proof order and a diagnosis."""

    subject: str
    profile: str
    rows: list[Row]
    seconds: float = 0.0
    seed: int | None = None
    #: Whether the subject is a layer type (``verify --layer``), not an implementation.
    layer_target: bool = False
    #: Classic mistakes the root cause reproduces on its counterexample (``name``,
    #: ``function``, ``message``, ``docs``), most specific first.
    misconceptions: list[dict[str, str]] = field(default_factory=list)

    def rerun_command(self, row: Row) -> str:
        """The one-line command that re-runs ``row``'s property the same way."""
        # An object given to verify() (``module.Class()``) has no import path to name.
        named = self.layer_target or ":" in self.subject or not self.subject.endswith(")")
        return verify_command(self.subject if named else None, layer=self.layer_target,
                              steps=[row.step], profile=self.profile, seed=self.seed)

    @property
    def diagnosis(self) -> Diagnosis:
        return diagnose(self.rows, layer_target=self.layer_target)

    @property
    def ok(self) -> bool:
        """Whether every provided step holds."""
        return not any(r.failed for r in self.rows)

    @property
    def exit_status(self) -> int:
        """0 if every provided step holds, 1 otherwise."""
        return 0 if self.ok else 1

    def row(self, step: str, mode: str, layer: str | None = None) -> Row:
        """The row of ``step`` in ``mode`` (and of ``layer``); ``KeyError`` if there is none."""
        for r in self.rows:
            if r.step == step and r.mode == mode and r.layer == layer:
                return r
        raise KeyError(f"no row for step {step!r} in mode {mode!r}"
                       + (f" of layer {layer!r}" if layer else ""))

    def failing(self) -> list[Row]:
        """The rows that fail, in proof order."""
        return [r for r in self.rows if r.failed]

    def to_dict(self) -> dict[str, Any]:
        """The report as plain data, in the documented JSON schema."""
        out = {
            "schema": SCHEMA,
            "subject": self.subject,
            "profile": self.profile,
            "seed": self.seed,
            "ok": self.ok,
            "exit_status": self.exit_status,
            "seconds": round(self.seconds, 3),
            "rows": [asdict(r) for r in self.rows],
            "diagnosis": asdict(self.diagnosis),
            "misconceptions": list(self.misconceptions),
        }
        return dict(_finite(out))

    def write_json(self, path: str | Path) -> None:
        """Write :meth:`to_dict` as JSON to ``path``."""
        Path(path).write_text(json.dumps(self.to_dict(), indent=2) + "\n", encoding="utf-8")

    def _note_lines(self) -> list[str]:
        """The rows' notes; one that every row has (a layer's number format) once."""
        every = (set.intersection(*(set(r.notes) for r in self.rows))
                 if len(self.rows) > 1 else set())
        lines = [f"Note (every row): {note}." for note in self.rows[0].notes if note in every]
        for r in self.rows:
            lines += [f"Note: {note}" for note in r.all_notes(leave_out=every)]
        return lines

    def render(self, *, arrays: bool = True) -> str:
        """The report as text: the table, each failure's counterexample, the diagnosis."""
        lines = [f"proofcheck: {self.subject} (profile {self.profile})", ""]
        header = f"{'step':<8} {'mode':<12} {'statement':<42} {'examples':>8}  " \
                 f"{'error / tol':>11}  verdict"
        lines += [header, "-" * len(header)]
        for r in self.rows:
            statement = r.statement if len(r.statement) <= 42 else r.statement[:39] + "..."
            if r.status in ("holds", "fails") and r.counterexample is None:
                err = f"{r.max_ratio:11.1e}"
            elif r.counterexample is not None and r.counterexample.ratio is not None:
                err = f"{r.counterexample.ratio:11.1e}"
            else:
                err = f"{'-':>11}"
            verdict = {"holds": "holds", "fails": "FAILS", "not provided": "not provided",
                       "error": "ERROR"}[r.status]
            lines.append(f"{r.step:<8} {r.mode:<12} {statement:<42} {r.examples:>8}  "
                         f"{err}  {verdict}")
        oracles: dict[str, list[str]] = {}
        for r in self.rows:
            if r.oracle and r.mode not in oracles.setdefault(r.oracle, []):
                oracles[r.oracle].append(r.mode)
        lines += ["", "Expected values: " + "; ".join(
            f"{', '.join(modes)} rows from {oracle}" for oracle, modes in oracles.items()) + "."]
        kinds: dict[tuple[str, float, float], list[str]] = {}
        for r in self.rows:
            steps = kinds.setdefault((r.tolerance, r.rtol, r.atol), [])
            if r.step not in steps:
                steps.append(r.step)
        lines.append("Tolerances (rtol, atol): " + "; ".join(
            f"{kind} {rtol:g}, {atol:g} ({', '.join(steps)})"
            for (kind, rtol, atol), steps in kinds.items()) + ".")
        for r in self.rows:
            if r.kink_convention:
                lines.append(f"At kinks: {r.label} uses {'; '.join(r.kink_convention)}.")
        lines += self._note_lines()
        d = self.diagnosis
        for r in self.failing():
            # The root cause's counterexample in full; the others (consequences)
            # without their arrays, which the JSON report keeps.
            is_root = r.step == d.root_cause and r.mode == d.mode and r.layer == d.layer
            lines += ["", f"== {r.label}: {get_step(r.step).title}"
                          f"{' (root cause)' if is_root else ''} =="]
            if r.message:
                lines.append(r.message)
            if r.counterexample is not None:
                lines += render_counterexample(r.counterexample,
                                               arrays=arrays and is_root).splitlines()
                lines.append(f"  rerun: {self.rerun_command(r)}"
                             + ("" if self.profile in _DERANDOMIZED or self.seed is not None else
                                "  (the example is replayed first from the example database)"))
        lines += ["", f"Diagnosis: {d.message}"]
        for m in self.misconceptions:
            lines.append(f"Named mistake: {m['message']} Read more: {m['docs']}")
        provided = [r for r in self.rows if r.status != "not provided"]
        lines.append(f"{sum(r.status == 'holds' for r in provided)} of {len(provided)} checked "
                     f"rows hold; {len(self.rows) - len(provided)} not provided; "
                     f"{self.seconds:.1f} s.")
        return "\n".join(lines)
