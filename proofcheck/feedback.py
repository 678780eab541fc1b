"""Feedback a student can read: one Markdown and one HTML file per submission.

``proofcheck grade --out DIR`` writes ``DIR/<report name>.feedback.md`` and
``.feedback.html`` for each target. In order:

1. the points (``16 of 20``) and the verdict in one line;
2. a table with one line per step of the rubric: the step (linked to its
   section of the proof in the docs), its statement, the points, the verdict;
3. the diagnosis (the root cause in the proof's terms, and which other failures
   only follow from it), or why the check stopped (a time or memory limit, an
   exit);
4. the misconception, when the catalog's matcher names one: which classic
   mistake the submission's output matches on the counterexample, and why it
   is wrong;
5. the counterexample of the root cause, as small matrices: the network, the
   inputs of the failing call, what the submission returned and what the
   oracle expected, and the command that re-runs that step;
6. the beginning of what the submission printed, if it printed anything.

Links to the proof are relative to the docs' top folder (``proof/theorem.html#T1.step``)
unless a base address is given (``docs_url``: where the course serves the docs).
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

from proofcheck.gradebook import Score, row_from_dict, verdict_line
from proofcheck.report import Counterexample, Row
from proofcheck.steps import get_step

if TYPE_CHECKING:
    from proofcheck._grade import GradeResult

__all__ = ["feedback_html", "feedback_markdown"]

#: The docs page (under ``proof/``) of each part of the proof, by the step ID's prefix.
_PAGES = {"D": "notation", "L": "lemmas", "T1": "theorem", "T2": "data-matrix",
          "G": "generalization"}
#: Characters of the submission's printed output shown.
_PRINTED = 2000


def _docs_link(step: str, docs_url: str = "") -> str:
    """The address of ``step``'s section of the proof: ``proof/theorem.html#T1.step``."""
    part = step.split(".")[0]
    page = _PAGES.get(part) or _PAGES[part[0]]
    return f"{docs_url.rstrip('/') + '/' if docs_url else ''}proof/{page}.html#{step}"


class _Block(NamedTuple):
    """One piece of a feedback page: a heading, a paragraph, a table or preformatted text."""

    kind: str
    content: Any


def _blocks(result: GradeResult, sc: Score, docs_url: str) -> list[_Block]:
    blocks = [
        _Block("title", f"Feedback: {result.target}"),
        _Block("strong", f"{sc.total:g} of {sc.max_score:g} points: {verdict_line(result)}."),
        _Block("table", (["step", "statement", "points", "verdict"], [
            [(s.step, _docs_link(s.step, docs_url)), get_step(s.step).statement,
             f"{s.points:g} / {s.max_points:g}", s.verdict] for s in sc.steps])),
        _Block("heading", "Diagnosis"),
        _Block("paragraph", result.message),
    ]
    if result.misconception:
        blocks += _misconception(result.misconception)
    root = _root_row(result)
    if root is not None and root.counterexample is not None:
        blocks += [_Block("heading", f"Counterexample: {root.label}"),
                   _Block("linked", (f"The smallest failing example Hypothesis found for "
                                     f"{root.step} ({get_step(root.step).title}; see ",
                                     (f"its proof, {root.step}",
                                      _docs_link(root.step, docs_url)), ").")),
                   _Block("pre", _counterexample_text(root.counterexample)),
                   _Block("paragraph", "To re-run this step on your own machine:"),
                   _Block("pre", _rerun(result, root))]
    if result.output_bytes:
        shown = result.output[:_PRINTED]
        more = (f" (the first {len(shown)} of {result.output_bytes} characters)"
                if result.output_bytes > len(shown) else "")
        blocks += [_Block("heading", "What your code printed" + more), _Block("pre", shown)]
    return blocks


def _misconception(named: dict[str, Any]) -> list[_Block]:
    blocks = [_Block("heading", "The mistake, named"), _Block("paragraph", named["message"])]
    if named.get("explanation"):
        blocks.append(_Block("paragraph", named["explanation"]))
    return blocks


def _root_row(result: GradeResult) -> Row | None:
    if result.report is None:
        return None
    d = result.report.get("diagnosis") or {}
    for data in result.report.get("rows", []):
        if (data["step"], data["mode"], data["layer"]) == (d.get("root_cause"), d.get("mode"),
                                                           d.get("layer")):
            row = row_from_dict(data)
            return row if row.failed else None
    return None


def _matrix(value: Any) -> str:
    try:
        array = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        return repr(value)
    return np.array2string(array, precision=4, suppress_small=True, max_line_width=88)


def _labelled(label: str, value: Any) -> list[str]:
    text = _matrix(value)
    head = f"{label} = "
    return [head + text.replace("\n", "\n" + " " * len(head))]


def _counterexample_text(c: Counterexample) -> str:
    lines: list[str] = []
    n = c.network
    if n is not None:
        layers = f", layers {n['layers']}" if "layers" in n else ""
        lines.append(f"network: depth k={n['depth']}, widths {n['widths']}{layers}, "
                     f"activations {n['activations']}, cost {n['cost']}, batch N="
                     f"{n['batch_size']}")
    if c.quantity:
        where = f" in layer l={c.layer}" if c.layer is not None else ""
        lines.append(f"quantity: {c.quantity}{where}"
                     + (f", computed by {c.function}" if c.function else ""))
    for name, value in c.inputs.items():
        lines += _labelled(f"input {name}", value)
    if c.exception:
        lines.append(f"{c.function} raised: {c.exception}")
    elif c.result:
        lines.append(c.result)
    else:
        lines += _labelled("yours   ", c.actual)
        lines += _labelled("expected", c.expected)
        if c.index is not None:
            lines.append(f"largest difference at index {c.index}: yours {c.actual_value!r}, "
                         f"expected {c.expected_value!r}")
    return "\n".join(lines)


def _rerun(result: GradeResult, row: Row) -> str:
    profile = (result.report or {}).get("profile") or "ci"
    option = "--layer" if row.step.startswith("G.") else "--impl"
    return f"proofcheck verify {option} {result.target} --steps {row.step} --profile {profile}"


def feedback_markdown(result: GradeResult, sc: Score, *, docs_url: str = "") -> str:
    """The feedback of one submission, as Markdown (see the module docstring)."""
    out: list[str] = []
    for block in _blocks(result, sc, docs_url):
        if block.kind == "title":
            out.append(f"# {block.content}")
        elif block.kind == "heading":
            out.append(f"## {block.content}")
        elif block.kind == "strong":
            out.append(f"**{block.content}**")
        elif block.kind == "paragraph":
            out.append(block.content)
        elif block.kind == "linked":
            before, (label, href), after = block.content
            out.append(f"{before}[{label}]({href}){after}")
        elif block.kind == "pre":
            out.append("```text\n" + block.content + "\n```")
        elif block.kind == "table":
            out.append(_markdown_table(*block.content))
        out.append("")
    return "\n".join(out).rstrip("\n") + "\n"


def _cell(value: Any) -> str:
    if isinstance(value, tuple):
        return f"[{value[0]}]({value[1]})"
    return str(value).replace("|", "\\|")


def _markdown_table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


_STYLE = ("body{font-family:system-ui,sans-serif;max-width:52rem;margin:2rem auto;"
          "padding:0 1rem;line-height:1.45}table{border-collapse:collapse}"
          "td,th{border:1px solid #ccc;padding:.3rem .6rem;text-align:left;vertical-align:top}"
          "pre{background:#f6f6f6;padding:.8rem;overflow-x:auto}")


def feedback_html(result: GradeResult, sc: Score, *, docs_url: str = "") -> str:
    """The feedback of one submission, as a standalone HTML page (see the module docstring)."""
    e = html.escape
    title = f"Feedback: {result.target}"
    body: list[str] = []
    for block in _blocks(result, sc, docs_url):
        if block.kind == "title":
            body.append(f"<h1>{e(block.content)}</h1>")
        elif block.kind == "heading":
            body.append(f"<h2>{e(block.content)}</h2>")
        elif block.kind == "strong":
            body.append(f"<p><strong>{e(block.content)}</strong></p>")
        elif block.kind == "paragraph":
            body.append(f"<p>{e(block.content)}</p>")
        elif block.kind == "linked":
            before, (label, href), after = block.content
            body.append(f'<p>{e(before)}<a href="{e(href)}">{e(label)}</a>{e(after)}</p>')
        elif block.kind == "pre":
            body.append(f"<pre>{e(block.content)}</pre>")
        elif block.kind == "table":
            header, rows = block.content
            cells = "".join(f"<th>{e(h)}</th>" for h in header)
            lines = [f"<tr>{cells}</tr>"]
            for row in rows:
                tds = "".join(
                    f'<td><a href="{e(v[1])}">{e(v[0])}</a></td>' if isinstance(v, tuple)
                    else f"<td>{e(str(v))}</td>" for v in row)
                lines.append(f"<tr>{tds}</tr>")
            body.append("<table>" + "".join(lines) + "</table>")
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{e(title)}</title><style>{_STYLE}</style></head>\n<body>\n"
            + "\n".join(body) + "\n</body></html>\n")
