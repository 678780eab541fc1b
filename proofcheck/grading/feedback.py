"""Feedback a student can read: one Markdown and one HTML file per submission.

``proofcheck grade --out DIR`` writes ``DIR/<report name>.feedback.md`` and
``.feedback.html`` for each target. In order:

1. the points (``16 of 20``) and the verdict in one line;
2. a table with one line per step of the rubric: the step (linked to its
   section of the proof in the docs), its statement, the points, the verdict;
3. what the code was checked on, when it declares a restriction
   (``supported_activations``, ``supported_costs``), and what leaving out the
   rubric's requirements cost;
4. the diagnosis (the root cause in the proof's terms, and which other failures
   only follow from it), or why the check stopped (a time or memory limit, an
   exit), and the grader's notes (a notebook's lines left out, arguments
   changed in place, a data file not found);
5. the misconception, when the catalog's matcher names one: which classic
   mistake the submission's output matches on the counterexample, and why it
   is wrong;
6. the counterexample of the root cause, as small matrices: the network, every
   parameter of it (``W^l``, ``b^l``: what puts a unit at a kink) and its data
   ``X``, ``Y``, the inputs of the failing call, what the submission returned
   and what the oracle expected, and the command that re-runs that step;
7. the beginning of what the submission printed, if it printed anything.

Links to the proof are relative to the docs' top folder (``proof/theorem.html#T1.step``)
unless a base address is given (``docs_url``: where the course serves the docs).
"""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any, NamedTuple

from proofcheck.diagnosis._counterexample import render_counterexample, verify_command
from proofcheck.diagnosis.report import Row
from proofcheck.grading.gradebook import GradeResult, Score, row_from_dict, verdict_line
from proofcheck.steps import get_step

__all__ = ["feedback_html", "feedback_markdown"]

#: Characters of the submission's printed output shown.
_PRINTED = 2000


class _Block(NamedTuple):
    """One piece of a feedback page: a heading, a paragraph, a table or preformatted text."""

    kind: str
    content: Any


def _blocks(result: GradeResult, sc: Score, docs_url: str) -> list[_Block]:
    blocks = [
        _Block("title", f"Feedback: {result.target}"),
        _Block("strong", f"{sc.total:g} of {sc.max_score:g} points: {verdict_line(result)}."),
        _Block("table", (["step", "statement", "points", "verdict"], [
            [(s.step, get_step(s.step).docs_url(docs_url)), get_step(s.step).statement,
             f"{s.points:g} / {s.max_points:g}", s.verdict] for s in sc.steps])),
    ]
    if result.declared:
        blocks += [_Block("heading", "What your code was checked on"),
                   _Block("paragraph", _declared_text(result.declared, sc.left_out))]
    blocks += [_Block("heading", "Diagnosis"), _Block("paragraph", result.message)]
    if result.notes:
        blocks += [_Block("heading", "Notes"), _Block("list", list(result.notes))]
    if result.misconception:
        blocks += _misconception(result.misconception)
    elif result.root_cause and result.exit_status == 1 and not result.stopped:
        blocks += [_Block("heading", "The mistake, unnamed"), _Block("paragraph", UNNAMED)]
    root = _root_row(result)
    if root is not None and root.counterexample is not None:
        blocks += [_Block("heading", f"Counterexample: {root.label}"),
                   _Block("linked", (f"The smallest failing example Hypothesis found for "
                                     f"{root.step} ({get_step(root.step).title}; see ",
                                     (f"its proof, {root.step}",
                                      get_step(root.step).docs_url(docs_url)), ").")),
                   _Block("counterexample", root.counterexample),
                   _Block("paragraph", "To re-run this step on your own machine:"),
                   _Block("pre", _rerun(result, root))]
    if result.output_bytes:
        shown = result.output[:_PRINTED]
        more = (f" (the first {len(shown)} of {result.output_bytes} characters)"
                if result.output_bytes > len(shown) else "")
        blocks += [_Block("heading", "What your code printed" + more), _Block("pre", shown)]
    return blocks


def _declared_text(declared: dict[str, list[str]], left_out: str) -> str:
    """The restriction a submission declared, and what it cost under the rubric."""
    parts = [f"supported_{kind} = {{{', '.join(repr(n) for n in names)}}}"
             for kind, names in declared.items()]
    text = (f"Your code declares {' and '.join(parts)}: the check drew only networks of "
            "these, so nothing was checked on the others.")
    return f"{text} {left_out}" if left_out else text


#: What the feedback says when no entry of the catalog matches the root cause.
UNNAMED = ("None of the classic mistakes proofcheck knows gives your output on this "
           "counterexample, so this one has no name here (rather than the name of a near "
           "miss). The diagnosis says which step is wrong; the counterexample below shows "
           "the inputs, your output and the expected one.")


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


def _rerun(result: GradeResult, row: Row) -> str:
    profile = (result.report or {}).get("profile") or "ci"
    return verify_command(result.target, layer=get_step(row.step).kind == "generalization",
                          steps=[row.step], profile=profile)


def _markdown_link(content: Any) -> str:
    before, (label, href), after = content
    return f"{before}[{label}]({href}){after}"


def _html_link(content: Any) -> str:
    before, (label, href), after = content
    e = html.escape
    return f'<p>{e(before)}<a href="{e(href)}">{e(label)}</a>{e(after)}</p>'


def _cell(value: Any) -> str:
    if isinstance(value, tuple):
        return f"[{value[0]}]({value[1]})"
    return str(value).replace("|", "\\|")


def _markdown_table(content: Any) -> str:
    header, rows = content
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def _html_table(content: Any) -> str:
    header, rows = content
    e = html.escape
    lines = ["<tr>" + "".join(f"<th>{e(h)}</th>" for h in header) + "</tr>"]
    for row in rows:
        lines.append("<tr>" + "".join(
            f'<td><a href="{e(v[1])}">{e(v[0])}</a></td>' if isinstance(v, tuple)
            else f"<td>{e(str(v))}</td>" for v in row) + "</tr>")
    return "<table>" + "".join(lines) + "</table>"


#: How each kind of block is written: (Markdown, HTML), side by side so that a new
#: kind of block is one line here.
_WRITERS: dict[str, tuple[Callable[[Any], str], Callable[[Any], str]]] = {
    "title": (lambda c: f"# {c}", lambda c: f"<h1>{html.escape(c)}</h1>"),
    "heading": (lambda c: f"## {c}", lambda c: f"<h2>{html.escape(c)}</h2>"),
    "strong": (lambda c: f"**{c}**", lambda c: f"<p><strong>{html.escape(c)}</strong></p>"),
    "paragraph": (str, lambda c: f"<p>{html.escape(c)}</p>"),
    "linked": (_markdown_link, _html_link),
    "pre": (lambda c: f"```text\n{c}\n```", lambda c: f"<pre>{html.escape(c)}</pre>"),
    "counterexample": (lambda c: render_counterexample(c, style="markdown"),
                       lambda c: render_counterexample(c, style="html")),
    "table": (_markdown_table, _html_table),
    "list": (lambda c: "\n".join(f"- {item}" for item in c),
             lambda c: "<ul>" + "".join(f"<li>{html.escape(i)}</li>" for i in c) + "</ul>"),
}


def feedback_markdown(result: GradeResult, sc: Score, *, docs_url: str = "") -> str:
    """The feedback of one submission, as Markdown (see the module docstring)."""
    written = [_WRITERS[b.kind][0](b.content) for b in _blocks(result, sc, docs_url)]
    return "\n\n".join(written) + "\n"


_STYLE = ("body{font-family:system-ui,sans-serif;max-width:52rem;margin:2rem auto;"
          "padding:0 1rem;line-height:1.45}table{border-collapse:collapse}"
          "td,th{border:1px solid #ccc;padding:.3rem .6rem;text-align:left;vertical-align:top}"
          "pre{background:#f6f6f6;padding:.8rem;overflow-x:auto}")


def feedback_html(result: GradeResult, sc: Score, *, docs_url: str = "") -> str:
    """The feedback of one submission, as a standalone HTML page (see the module docstring)."""
    title = html.escape(f"Feedback: {result.target}")
    body = [_WRITERS[b.kind][1](b.content) for b in _blocks(result, sc, docs_url)]
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{title}</title><style>{_STYLE}</style></head>\n<body>\n"
            + "\n".join(body) + "\n</body></html>\n")
