"""The report: one row per step and mode, counterexamples, and the diagnosis.

JSON schema (``proofcheck verify --json PATH``, :meth:`Report.to_dict`)
-----------------------------------------------------------------------
The top-level object::

    {
      "schema": "proofcheck-report/1",
      "subject": str,            # what was checked ("proofcheck.MatrixBackprop()", "mod:attr")
      "profile": str,            # "ci", "dev" or "thorough"
      "seed": int | null,        # the --seed given, if any
      "ok": bool,                # every provided step holds
      "exit_status": int,        # 0 every provided step holds, 1 some step fails
      "seconds": float,          # wall time of the whole check
      "rows": [Row, ...],        # in proof order
      "diagnosis": {"root_cause": str | null, "mode": str | null, "message": str,
                    "layer": str | null}
    }

Each ``Row``::

    {
      "step": str, "mode": "lemma" | "isolated" | "end-to-end" | "oracle check",
      "title": str, "statement": str,
      "status": "holds" | "fails" | "not provided" | "error",
      "examples": int,                # examples the property ran
      "max_ratio": float,             # largest error / tolerance seen (<= 1 holds)
      "max_error": float,             # largest absolute error seen
      "rtol": float, "atol": float,   # the tolerance of the "gradient" kind
      "oracle": str,                  # where expected values came from
      "property": str,                # the function that checks the step
      "needs": [str, ...],            # protocol functions the property calls
      "layer": str | null,            # the layer type of a G.* lemma row
      "seconds": float,
      "message": str | null,          # for "error" and "not provided"
      "counterexample": null | {
        "network": null | {"depth", "widths", "activations", "cost", "batch_size",
                           "weights", "biases", "X", "Y"}
                        | {"depth", "widths", "layers", "activations", "cost",
                           "batch_size", "params", "X", "Y"},   # G.* rows
        "quantity": str | null,       # e.g. "delta^1"
        "function": str | null,       # the protocol function that computed it
        "layer": int | null,
        "inputs": {name: nested list},
        "actual": nested list | null, "expected": nested list | null,
        "index": [int, ...] | null,   # where the ratio is largest
        "actual_value": float | null, "expected_value": float | null,
        "max_error": float | null, "ratio": float | null,
        "exception": str | null,      # last line of the implementation's traceback
        "reproduce": str | null       # the @reproduce_failure decorator for this example
      }
    }

Non-finite floats are written as the strings ``"inf"`` and ``"nan"`` so that the
file is strict JSON.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from proofcheck.steps import STEP_IDS, get_step

__all__ = ["SCHEMA", "Counterexample", "Diagnosis", "Report", "Row"]

#: The schema identifier written into every JSON report.
SCHEMA = "proofcheck-report/1"

#: What a failure of each step means, in the proof's terms.
MEANING: dict[str, str] = {
    "L1": "the vec-Kronecker identity does not hold as computed",
    "L2": "a Jacobian read off a differential disagrees with the oracle",
    "L3": "the chain rule does not hold for the oracle's Jacobians",
    "L4": "a hand-derived activation derivative f' is wrong",
    "L5": "the Jacobians of the affine potential are wrong",
    "L6": "a hand-derived output gradient of a cost is wrong",
    "L7": "the Jacobian of the layer map z^l -> z^{l+1} is wrong",
    "T1.base": "the base case is wrong: the output delta is not diag(f^k'(z^k)) grad_a c",
    "T1.step": "the induction step is wrong: delta^l is not "
               "diag(f^l'(z^l)) (W^{l+1})^T delta^{l+1}",
    "T1.W": "the weight gradient is wrong: dc/dW^l is not delta^l (a^{l-1})^T",
    "T1.b": "the bias gradient is wrong: dc/db^l is not delta^l",
    "T1.grad": "the full gradient is wrong",
    "T1.tail": "the gradients of layers 2..k differ from those of the tail network",
    "T2": "the data-matrix form is wrong (a sum or a mean over the N examples)",
    "G.base": "an activation's Jacobian-transpose product J^f(z^k)^T g is wrong",
    "G.step": "a layer's input product J^phi_a^T delta or an activation's product is wrong",
    "G.param": "a layer's parameter product J^phi_theta^T delta is wrong",
}


@dataclass
class Counterexample:
    """The minimal failing example of a row (shrunk by Hypothesis), as the report shows it."""

    network: dict[str, Any] | None
    quantity: str | None
    function: str | None
    layer: int | None
    inputs: dict[str, Any]
    actual: Any
    expected: Any
    index: list[int] | None
    actual_value: float | None
    expected_value: float | None
    max_error: float | None
    ratio: float | None
    exception: str | None = None
    reproduce: str | None = None


@dataclass
class Row:
    """One step in one mode."""

    step: str
    mode: str
    title: str
    statement: str
    status: str
    examples: int = 0
    max_ratio: float = 0.0
    max_error: float = 0.0
    rtol: float = 0.0
    atol: float = 0.0
    oracle: str = ""
    property_name: str = ""
    needs: list[str] = field(default_factory=list)
    layer: str | None = None
    seconds: float = 0.0
    message: str | None = None
    counterexample: Counterexample | None = None

    @property
    def failed(self) -> bool:
        return self.status in ("fails", "error")


@dataclass
class Diagnosis:
    """The root cause in the proof's terms."""

    root_cause: str | None
    mode: str | None
    message: str
    layer: str | None = None


def diagnose(rows: list[Row]) -> Diagnosis:
    """The earliest failing isolated (or lemma) step, else the earliest end-to-end failure."""
    order = {step: i for i, step in enumerate(STEP_IDS)}
    failing = [r for r in rows if r.failed]
    if not failing:
        return Diagnosis(None, None, "every provided step holds.")
    broken_oracle = [r for r in failing if r.mode == "oracle check"]
    if broken_oracle:
        root = broken_oracle[0]
        return Diagnosis(root.step, root.mode, (
            f"the oracle disagrees with finite differences ({root.step} oracle check): the "
            "reference values themselves are wrong, so no verdict of this run can be trusted. "
            "Please report this as a bug of proofcheck."))
    # A row that calls `gradients` checks a composition, even when it is fed the
    # oracle's values (T1.tail isolated): it can point at no single step.
    # Within a step, the sampled isolated row comes first: its counterexample is a
    # network (shrunk), where the exact row's is a symbolic identity.
    preference = {"lemma": 0, "isolated": 1, "exact": 2}
    isolated = sorted((r for r in failing
                       if r.mode in preference and "gradients" not in r.needs),
                      key=lambda r: (order.get(r.step, len(order)), preference[r.mode]))
    if isolated:
        root = isolated[0]
        others = [f"{r.step} {r.mode}" + (f" ({r.layer})" if r.layer else "")
                  for r in failing if r is not root]
        if root.layer is not None:
            quantity = root.counterexample.quantity if root.counterexample else None
            text = (f"{root.step} lemma ({root.layer}) fails in isolation: {root.layer}'s "
                    f"hand-derived product{' ' + quantity if quantity else 's'} disagrees with "
                    "jax.vjp of its forward map.")
        else:
            text = (f"{root.step} fails in isolation: "
                    f"{MEANING.get(root.step, 'this step is wrong')}.")
        if root.counterexample is not None and root.counterexample.function:
            text += f" The function at fault is {root.counterexample.function}."
        if others:
            text += f" {_join(others)} {'fails' if len(others) == 1 else 'fail'} only as a " \
                    "consequence (fix the root cause first)."
        return Diagnosis(root.step, root.mode, text, root.layer)
    first = sorted(failing, key=lambda r: order.get(r.step, len(order)))[0]
    others = [f"{r.step} {r.mode}" for r in failing if r is not first]
    where = "gradients" if "gradients" in first.needs else "the composition of the steps"
    text = (f"{first.step} fails end-to-end while every isolated step holds: a composition "
            f"error in {where} ({MEANING.get(first.step, 'this step is wrong')}).")
    if first.counterexample is not None and first.counterexample.layer is not None:
        text += f" The largest error is in layer {first.counterexample.layer}."
    if others:
        text += f" Also failing: {_join(others)}."
    return Diagnosis(first.step, first.mode, text)


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

    def rerun_command(self, row: Row) -> str:
        """The one-line command that re-runs ``row``'s property the same way."""
        parts = ["proofcheck verify"]
        if self.layer_target:
            parts.append(f"--layer {self.subject}")
        elif ":" in self.subject or not self.subject.endswith(")"):
            parts.append(f"--impl {self.subject}")
        parts.append(f"--steps {row.step} --profile {self.profile}")
        if self.seed is not None:
            parts.append(f"--seed {self.seed}")
        return " ".join(parts)

    @property
    def diagnosis(self) -> Diagnosis:
        return diagnose(self.rows)

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
        }
        return dict(_finite(out))

    def write_json(self, path: str | Path) -> None:
        """Write :meth:`to_dict` as JSON to ``path``."""
        Path(path).write_text(json.dumps(self.to_dict(), indent=2) + "\n", encoding="utf-8")

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
        d = self.diagnosis
        for r in self.failing():
            # The root cause's counterexample in full; the others (consequences)
            # without their arrays, which the JSON report keeps.
            is_root = r.step == d.root_cause and r.mode == d.mode and r.layer == d.layer
            lines += ["", f"== {r.step} {r.mode}{' (' + r.layer + ')' if r.layer else ''}: "
                          f"{get_step(r.step).title}"
                          f"{' (root cause)' if is_root else ''} =="]
            if r.message:
                lines.append(r.message)
            if r.counterexample is not None:
                lines += _render_counterexample(r.counterexample, arrays=arrays and is_root)
                lines.append(f"  rerun: {self.rerun_command(r)}"
                             + ("" if self.profile == "ci" or self.seed is not None else
                                "  (the example is replayed first from the example database)"))
        lines += ["", f"Diagnosis: {d.message}"]
        provided = [r for r in self.rows if r.status != "not provided"]
        lines.append(f"{sum(r.status == 'holds' for r in provided)} of {len(provided)} checked "
                     f"rows hold; {len(self.rows) - len(provided)} not provided; "
                     f"{self.seconds:.1f} s.")
        return "\n".join(lines)


def _fmt(value: Any) -> str:
    return np.array2string(np.asarray(value, dtype=float), precision=6, suppress_small=False,
                           max_line_width=100)


def _block(label: str, value: Any, suffix: str = "") -> str:
    """``label = <array>``, with the array's later lines indented under its first."""
    head = f"  {label} = "
    return head + _fmt(value).replace("\n", "\n" + " " * len(head)) + suffix


def _render_counterexample(c: Counterexample, *, arrays: bool) -> list[str]:
    lines = ["Minimal counterexample (shrunk by Hypothesis):"]
    if c.network is not None:
        n = c.network
        layers = f", layers {n['layers']}" if "layers" in n else ""
        lines.append(f"  network: depth k={n['depth']}, widths {n['widths']}{layers}, activations "
                     f"{n['activations']}, cost {n['cost']}, batch N={n['batch_size']}")
        if arrays and "params" in n:
            for l, theta in enumerate(n["params"], start=1):
                lines += [_block(f"{name}^{l}", value) for name, value in theta.items()]
            lines += [_block("X", n["X"]), _block("Y", n["Y"])]
        elif arrays:
            for l, (W, b) in enumerate(zip(n["weights"], n["biases"], strict=True), start=1):
                lines += [_block(f"W^{l}", W), _block(f"b^{l}", b)]
            lines += [_block("X", n["X"]), _block("Y", n["Y"])]
    if c.exception is not None:
        lines.append(f"  {c.function} raised: {c.exception}")
        if arrays:
            lines += [_block(f"input {name}", value) for name, value in c.inputs.items()]
    else:
        where = f" (layer l={c.layer})" if c.layer is not None else ""
        by = f", computed by {c.function}" if c.function else ""
        lines.append(f"  quantity: {c.quantity}{where}{by}")
        if arrays:
            lines += [_block(f"input {name}", value) for name, value in c.inputs.items()]
            lines += [_block("actual  ", c.actual), _block("expected", c.expected, "   (oracle)")]
        lines.append(f"  largest difference at index {c.index}: actual {c.actual_value!r}, "
                     f"expected {c.expected_value!r} (error {c.max_error:.3g}, "
                     f"{c.ratio:.3g} x tolerance)")
    if c.reproduce:
        lines.append(f"  reproduce: {c.reproduce}")
    return lines
