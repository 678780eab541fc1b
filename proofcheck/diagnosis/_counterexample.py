"""A row's counterexample and the command that re-runs it, written once for every reader.

:func:`render_counterexample` writes a :class:`~proofcheck.diagnosis.report.Counterexample`
in one of three styles:

- ``"text"``, the terminal's (``proofcheck verify``'s report, the pytest plugin's
  failing items): a heading, the lines indented under it, the arrays at full
  precision, the implementation's value called ``actual``, the error and its
  ratio to the tolerance, the ``reproduce`` snippet;
- ``"markdown"`` and ``"html"``, a student's feedback page's
  (:mod:`proofcheck.grading.feedback`): a preformatted block (a fenced block, a
  ``<pre>`` element, escaped) under the page's own heading, small matrices of
  four digits, the submission's value called ``yours``, no tolerance arithmetic.

The lines and their order are the same in every style: the network (its
parameters ``W^l``, ``b^l`` and its data ``X``, ``Y`` unless the failing call
took them as inputs), what went wrong (the wrong result, the exception, or the
quantity with its actual and expected values), the inputs of the failing call.
An exact row's entries are formulas (sympy over symbolic entries) and are written
without quotes, with no largest difference (formulas have none).

:func:`verify_command` is the ``proofcheck verify`` command line that re-runs a step.
"""

from __future__ import annotations

import html
import shlex
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, NamedTuple

import numpy as np

__all__ = ["STYLES", "Counterexample", "Style", "is_affine", "labelled_array", "network_line",
           "render_counterexample", "verify_command"]


@dataclass
class Counterexample:
    """The minimal failing example of a row (shrunk by Hypothesis), as the report shows it."""

    network: dict[str, Any] | None
    quantity: str | None = None
    function: str | None = None
    layer: int | None = None
    inputs: dict[str, Any] = field(default_factory=dict)
    actual: Any = None
    expected: Any = None
    index: list[int] | None = None
    actual_value: float | None = None
    expected_value: float | None = None
    max_error: float | None = None
    ratio: float | None = None
    exception: str | None = None
    reproduce: str | None = None
    result: str | None = None
    called: list[str] | None = None
    found_by: str | None = None

Style = Literal["text", "markdown", "html"]


class _Voice(NamedTuple):
    """What differs between the terminal's counterexample and a student's."""

    heading: str | None  # the first line (a page has a heading of its own)
    indent: str
    precision: int
    suppress_small: bool
    width: int
    actual: str  # the name of the value under check
    measured: bool  # the error, its ratio to the tolerance, "(oracle)"
    reproduce: bool  # the ``reproduce`` snippet (a page shows the command instead)


_TERMINAL = _Voice("Minimal counterexample (shrunk by Hypothesis):", "  ", 6, False, 100,
                   "actual", True, True)
_PAGE = _Voice(None, "", 4, True, 88, "yours", False, False)

#: The styles :func:`render_counterexample` writes, each with its voice.
STYLES: dict[str, _Voice] = {"text": _TERMINAL, "markdown": _PAGE, "html": _PAGE}

#: The heading of an exact row's counterexample, in the terminal.
_EXACT = "Counterexample (exact: sympy, over symbolic entries):"


def render_counterexample(c: Counterexample, *, style: Style = "text",
                          arrays: bool = True) -> str:
    """``c`` written for the terminal (``"text"``) or a feedback page (``"markdown"``,
    ``"html"``); see the module docstring.

    With ``arrays``, the network's parameters and data, the failing call's inputs and
    the actual and expected values are written in full (the root cause's row);
    otherwise the network's summary and the verdict only (a consequence's row).
    """
    if style not in STYLES:
        raise ValueError(f"style={style!r} is not a counterexample style; expected one of "
                         f"{', '.join(repr(s) for s in STYLES)}")
    voice = STYLES[style]
    exact = _is_exact(c)
    heading = _EXACT if exact and voice.heading else voice.heading
    lines = _body(c, voice, arrays, exact)
    if voice.reproduce and c.reproduce:
        lines.append(f"reproduce: {c.reproduce}")
    # An array's later lines are aligned under its first; the indent moves them all.
    body = [voice.indent + line for entry in lines for line in entry.split("\n")]
    text = "\n".join(([heading] if heading else []) + body)
    if style == "markdown":
        return f"```text\n{text}\n```"
    if style == "html":
        return f"<pre>{html.escape(text)}</pre>"
    return text


def _body(c: Counterexample, voice: _Voice, arrays: bool, exact: bool) -> list[str]:
    """The counterexample's lines, before the style's heading, indent and markup."""
    def array(label: str, value: Any, suffix: str = "") -> list[str]:
        if not arrays:
            return []
        if exact:
            return [f"{label} = {_formulas(value)}{suffix}"]
        return [_labelled(label, value, voice) + suffix]

    lines = _network(c, array)
    inputs = [line for name, value in c.inputs.items() for line in array(f"input {name}", value)]
    if c.result is not None:
        return [*lines, c.result, *inputs]
    if c.exception is not None:
        return [*lines, f"{c.function} raised: {c.exception}", *inputs]
    where = f" (layer l={c.layer})" if c.layer is not None else ""
    by = f", computed by {c.function}" if c.function else ""
    lines += [f"quantity: {c.quantity}{where}{by}", *inputs]
    lines += array(f"{voice.actual:<8}", c.actual)
    lines += array("expected", c.expected, "   (oracle)" if voice.measured and not exact else "")
    if c.index is not None and not exact:
        lines.append(f"largest difference at index {c.index}: {voice.actual} "
                     f"{c.actual_value!r}, expected {c.expected_value!r}"
                     + (f" (error {c.max_error:.3g}, {c.ratio:.3g} x tolerance)"
                        if voice.measured and c.ratio is not None and c.max_error is not None
                        else ""))
    return lines


def _network(c: Counterexample, array: Any) -> list[str]:
    """The network's summary line and, with arrays, its parameters and data (the data
    once: not when the failing call took ``X`` or ``Y`` as an input)."""
    n = c.network
    if n is None:
        return []
    lines = [f"network: {network_line(n)}"]
    for l, theta in enumerate(n.get("params", []), start=1):
        lines += [line for name, value in theta.items() for line in array(f"{name}^{l}", value)]
    return lines + [line for name in ("X", "Y") if name in n and name not in c.inputs
                    for line in array(name, n[name])]


def _labelled(label: str, value: Any, voice: _Voice) -> str:
    return labelled_array(label, value, precision=voice.precision,
                          suppress_small=voice.suppress_small, width=voice.width)


def _is_exact(c: Counterexample) -> bool:
    """Whether ``c``'s values are formulas (an exact row's), not numbers."""
    return any(isinstance(v, str) for v in _flat([c.actual, c.expected]))


def _flat(value: Any) -> list[Any]:
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if isinstance(value, list | tuple):
        return [x for v in value for x in _flat(v)]
    return [value]


def _formulas(value: Any) -> str:
    """A nested list of formulas, without quotes: ``[[2*g_0, g_1]]``."""
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_formulas(v) for v in value) + "]"
    return str(value)


def verify_command(subject: str | None, *, layer: bool = False,
                   steps: Sequence[str] = (), profile: str,
                   seed: int | None = None) -> str:
    """The ``proofcheck verify`` command line that checks ``subject`` again.

    ``subject`` is what ``--impl`` (``--layer``, with ``layer``) imports, quoted for
    the shell; ``None`` leaves the option out (an object that has no import path is
    not named). ``steps`` narrows the run to those steps.
    """
    parts = ["proofcheck verify"]
    if subject is not None:
        parts.append(f"{'--layer' if layer else '--impl'} {shlex.quote(subject)}")
    if steps:
        parts.append(f"--steps {','.join(steps)}")
    parts.append(f"--profile {profile}")
    if seed is not None:
        parts.append(f"--seed {seed}")
    return " ".join(parts)


def labelled_array(label: str, value: Any, *, indent: str = "", precision: int = 6,
                   suppress_small: bool = False, width: int = 100) -> str:
    """``label = <array>``, the array's later lines indented under its first.

    Anything that is not an array of numbers is written as its text.
    """
    try:
        text = np.array2string(np.asarray(value, dtype=float), precision=precision,
                               suppress_small=suppress_small, max_line_width=width)
    except (TypeError, ValueError):
        text = str(value)
    head = f"{indent}{label} = "
    return head + text.replace("\n", "\n" + " " * len(head))


def network_line(n: dict[str, Any]) -> str:
    """A counterexample's network summary in one line (its layers unless all are affine)."""
    layers = "" if is_affine(n) else f", layers {n['layers']}"
    return (f"depth k={n['depth']}, widths {n['widths']}{layers}, activations "
            f"{n['activations']}, cost {n['cost']}, batch N={n['batch_size']}")


def is_affine(n: dict[str, Any]) -> bool:
    """Whether a network summary is the paper's network: affine layers (``{"W", "b"}``)
    and elementwise activations given by name."""
    return (all(str(layer).startswith("Affine(") for layer in n["layers"])
            and all(set(theta) == {"W", "b"} for theta in n["params"]))
