"""Sphinx extension: the proof pages read the package and a real run of the check.

Directives and roles it adds (all used from MyST Markdown):

``{proofcheck-property} NAME``
    What the property ``NAME`` generates, what it compares with what, its
    oracle, and its row of the JSON report: examples run, largest error,
    largest error as a multiple of the tolerance, verdict. ``NAME`` is the
    name of a check function registered in ``proofcheck.properties.PROPERTIES``
    or, when one function checks several rows (the lemma rows of the layer
    types), the property's key, such as ``G.step/lemma/Conv1D``. The
    property's source sits right after it, pulled in by ``literalinclude``
    with ``:pyobject:``. Rows are found by step, mode and layer type.
``{verdict-summary}``
    Every row of the report in one table, each step linked to its section.
``{proofcheck-run} COMMAND``
    Runs ``proofcheck ...`` from the repository's top folder while the docs
    build and shows the command with what it printed, so a shell example can
    never go stale. ``:exit-status:`` is the status the command must end with.
``{tolerance-table}``, ``{profile-table}``, ``{protocol-table}``
    The tolerance table, the Hypothesis profiles and the implementation
    protocol, read from the package.
``{step}`ID```
    A link to the proof environment labelled with the step ID ``ID`` (the
    same target as ``{prf:ref}``), shown as the ID itself.

The report is the JSON file written by ``proofcheck verify --profile ci --json``
(see ``docs/build.py``); any row that does not hold is a build error. When the
file is missing (a bare ``sphinx-build``), the check runs once to write it.
"""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any, ClassVar

from docutils import nodes
from docutils.parsers.rst import directives
from sphinx.addnodes import pending_xref
from sphinx.application import Sphinx
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective

ROOT = Path(__file__).resolve().parents[2]
logger = logging.getLogger(__name__)

VERDICT = {"holds": "✓ holds", "fails": "✗ FAILS", "error": "✗ ERROR",
           "not provided": "not provided"}


# --- the report -------------------------------------------------------------------


def run_verify(path: Path) -> int:
    """Run ``proofcheck verify --profile ci --json PATH`` once; return its exit status."""
    path.parent.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "proofcheck", "verify", "--profile", "ci", "--json",
               str(path)]
    return subprocess.run(command, cwd=ROOT, check=False).returncode


def load_report(app: Sphinx) -> None:
    """Read the report into ``app.env``; every registered property must have its row."""
    from proofcheck.properties import PROPERTIES

    path = Path(app.config.proofcheck_report)
    if not path.exists():
        logger.info("proofcheck docs: no report at %s, running the check once", path)
        run_verify(path)
    if not path.exists():
        raise RuntimeError(f"proofcheck verify wrote no report at {path}")
    report = json.loads(path.read_text(encoding="utf-8"))
    if report.get("schema") != "proofcheck-report/4":
        raise RuntimeError(f"{path} is not a proofcheck report (schema {report.get('schema')!r})")
    rows = {_row_key(r["step"], r["mode"], r.get("layer")): r for r in report["rows"]}
    missing = [p.key for p in PROPERTIES if _row_key(p.step, p.mode, p.layer) not in rows]
    if missing:
        raise RuntimeError(f"the report {path} has no row for {', '.join(missing)}; run "
                           "`python docs/build.py` to check again")
    app.env.proofcheck_report = report  # type: ignore[attr-defined]
    app.env.proofcheck_rows = rows  # type: ignore[attr-defined]


def _row_key(step: str, mode: str, layer: str | None) -> tuple[str, str, str | None]:
    """Rows are keyed by step, mode and layer type: the lemma rows of G.base and G.step
    share step and mode and differ in their layer type only."""
    return (step, mode, layer)


def _rows(env: Any) -> dict[tuple[str, str, str | None], dict[str, Any]]:
    return env.proofcheck_rows  # type: ignore[no-any-return]


def _fmt(x: float) -> str:
    if isinstance(x, str):  # "inf" / "nan" in strict JSON
        return x
    return "0" if x == 0 else f"{x:.1e}"


def _verdict_problem(row: dict[str, Any]) -> str | None:
    if row["status"] == "holds":
        return None
    detail = row.get("message") or ""
    name = row.get("property_name") or row.get("property")
    return (f"{row['step']} {row['mode']} ({name}) does not hold in the report: "
            f"{row['status']} {detail}".rstrip())


# --- small node helpers -----------------------------------------------------------


def _step_ref(step_id: str) -> nodes.Node:
    """A link to the proof environment labelled ``step_id``, shown as the ID.

    The link text is wrapped in an inline node so that sphinx-proof keeps it
    (it replaces a plain-text title containing the label by "Theorem N").
    """
    ref = pending_xref("", refdomain="prf", reftype="ref", reftarget=step_id,
                       refexplicit=True, refwarn=True)
    ref += nodes.inline("", "", nodes.literal(step_id, step_id, classes=["pc-step"]))
    return ref


def _para(*children: nodes.Node | str) -> nodes.paragraph:
    para = nodes.paragraph()
    for child in children:
        para += nodes.Text(child) if isinstance(child, str) else child
    return para


def _table(header: list[str], body: list[list[nodes.Node | str]],
           classes: list[str]) -> nodes.table:
    table = nodes.table(classes=classes)
    group = nodes.tgroup(cols=len(header))
    table += group
    for _ in header:
        group += nodes.colspec(colwidth=1)
    head = nodes.thead()
    group += head
    row = nodes.row()
    for text in header:
        row += nodes.entry("", _para(text))
    head += row
    tbody = nodes.tbody()
    group += tbody
    for cells in body:
        row = nodes.row()
        for cell in cells:
            row += nodes.entry("", cell if isinstance(cell, nodes.paragraph) else _para(cell))
        tbody += row
    return table


def step_role(name: str, rawtext: str, text: str, lineno: int, inliner: Any,
              options: dict[str, Any] | None = None,
              content: list[str] | None = None) -> tuple[list[nodes.Node], list[Any]]:
    """``{step}`T1.step```: a link to the step's proof environment."""
    from proofcheck.steps import STEP_IDS

    step_id = text.strip()
    if step_id not in STEP_IDS:
        msg = inliner.reporter.error(f"{{step}} names {step_id!r}, which is not a step ID of "
                                     "proofcheck.steps.STEP_IDS", line=lineno)
        return [inliner.problematic(rawtext, rawtext, msg)], [msg]
    return [_step_ref(step_id)], []


# --- directives ---------------------------------------------------------------------


class PropertyDirective(SphinxDirective):
    """``{proofcheck-property} check_...``: what a property draws and compares, and its verdict."""

    required_arguments = 1
    has_content = False

    def run(self) -> list[nodes.Node]:
        from proofcheck.properties import PROPERTIES

        name = self.arguments[0]
        matches = [p for p in PROPERTIES if name in (p.name, p.key)]
        if len(matches) != 1:
            known = ", ".join(p.key for p in PROPERTIES)
            raise self.error(f"{name!r} names {len(matches)} registered properties; give a "
                             f"check function's name or a property's key (known: {known})")
        prop = matches[0]
        row = _rows(self.env)[_row_key(prop.step, prop.mode, prop.layer)]
        self.env.note_dependency(self.config.proofcheck_report)
        _property_docs(self.env).setdefault(self.env.docname, set()).add(prop.key)
        problem = _verdict_problem(row)
        if problem:
            logger.warning(problem, location=(self.env.docname, self.lineno),
                           type="proofcheck", subtype="verdict")

        box = nodes.container(classes=["pc-property", f"pc-{row['status'].replace(' ', '-')}"])
        layer = f", {prop.layer}" if prop.layer else ""
        title = _para(nodes.strong("", "Checked by "), nodes.literal(name, name),
                      f" — {prop.step}, {prop.mode}{layer}")
        title["classes"].append("pc-property-title")
        box += title
        fields = nodes.field_list()
        for label, text in (("Generates", prop.generates), ("Compares", prop.compares),
                            ("Oracle", prop.oracle)):
            field = nodes.field()
            field += nodes.field_name(label, label)
            field += nodes.field_body("", _para(text))
            fields += field
        box += fields
        box += _table(
            ["examples run", "largest error", "error ÷ tolerance", "verdict"],
            [[str(row["examples"]), _fmt(row["max_error"]), _fmt(row["max_ratio"]),
              nodes.paragraph("", "", nodes.strong("", VERDICT[row["status"]]))]],
            ["pc-verdict"])
        return [box]


class VerdictSummaryDirective(SphinxDirective):
    """``{verdict-summary}``: every row of the report, linked to its step."""

    has_content = False

    def run(self) -> list[nodes.Node]:
        from proofcheck.steps import get_step

        report = self.env.proofcheck_report  # type: ignore[attr-defined]
        self.env.note_dependency(self.config.proofcheck_report)
        _property_docs(self.env).setdefault(self.env.docname, set())
        body: list[list[nodes.Node | str]] = []
        for row in report["rows"]:
            if _verdict_problem(row):
                logger.warning(_verdict_problem(row), location=(self.env.docname, self.lineno),
                               type="proofcheck", subtype="verdict")
            mode = row["mode"] + (f" ({row['layer']})" if row.get("layer") else "")
            body.append([_para(_step_ref(row["step"])), get_step(row["step"]).title,
                         mode, str(row["examples"]), _fmt(row["max_ratio"]),
                         _para(nodes.strong("", VERDICT[row["status"]]))])
        holds = sum(r["status"] == "holds" for r in report["rows"])
        intro = _para(f"{holds} of {len(report['rows'])} rows hold for ",
                      nodes.literal(report["subject"], report["subject"]),
                      f" under the {report['profile']} profile "
                      f"({report['seconds']:.0f} s). ",
                      "Diagnosis: " + report["diagnosis"]["message"])
        return [intro, _table(["step", "title", "mode", "examples", "error ÷ tolerance",
                               "verdict"], body, ["pc-summary"])]


class ProofcheckRunDirective(SphinxDirective):
    """``{proofcheck-run} proofcheck ...``: run a command while building, show its output."""

    required_arguments = 1
    final_argument_whitespace = True
    has_content = False
    option_spec: ClassVar[dict[str, Any]] = {"exit-status": directives.nonnegative_int}

    def run(self) -> list[nodes.Node]:
        command = self.arguments[0].strip()
        argv = shlex.split(command)
        if not argv or argv[0] != "proofcheck":
            raise self.error(f"{{proofcheck-run}} runs proofcheck commands only, not {command!r}")
        if "verify" in argv and "--profile" not in argv:
            raise self.error(f"{command!r}: give --profile ci so that the example is "
                             "deterministic and fast")
        expected = self.options.get("exit-status", 0)
        try:
            done = subprocess.run([sys.executable, "-m", "proofcheck", *argv[1:]], cwd=ROOT,
                                  capture_output=True, text=True, timeout=600, check=False)
        except subprocess.TimeoutExpired as exc:
            raise self.error(f"{command!r} did not finish in {exc.timeout} s") from None
        if done.returncode != expected:
            raise self.error(f"{command!r} exited with {done.returncode}, the page expects "
                             f"{expected}:\n{done.stdout}\n{done.stderr}")
        text = f"$ {command}\n{done.stdout.rstrip()}"
        if expected:
            text += f"\n$ echo $?\n{done.returncode}"
        block = nodes.literal_block(text, text, language="console")
        block["classes"].append("pc-run")
        return [block]


class ToleranceTableDirective(SphinxDirective):
    """``{tolerance-table}``: ``proofcheck.numerics.tolerances.TOLERANCES`` with its reasons."""

    has_content = False

    def run(self) -> list[nodes.Node]:
        from proofcheck.numerics.tolerances import TOLERANCES

        body: list[list[nodes.Node | str]] = [
            [_para(nodes.literal(kind, kind)), f"{tol.rtol:g}", f"{tol.atol:g}", tol.reason]
            for kind, tol in TOLERANCES.items()]
        return [_table(["kind", "rtol", "atol", "why this size"], body, ["pc-tolerances"])]


class ProfileTableDirective(SphinxDirective):
    """``{profile-table}``: the Hypothesis profiles of ``proofcheck.engine.profiles``."""

    has_content = False

    def run(self) -> list[nodes.Node]:
        from proofcheck.engine.profiles import DEFAULT_PROFILE, PROFILES

        body: list[list[nodes.Node | str]] = []
        for name, s in PROFILES.items():
            body.append([_para(nodes.literal(name, name),
                               " (default)" if name == DEFAULT_PROFILE else ""),
                         str(s.max_examples), "yes" if s.derandomize else "no",
                         "no" if s.database is None else "yes"])
        return [_table(["profile", "examples per row", "same examples every run",
                        "example database"], body, ["pc-profiles"])]


class ProtocolTableDirective(SphinxDirective):
    """``{protocol-table}``: the protocol functions, each with its step and shapes."""

    has_content = False

    def run(self) -> list[nodes.Node]:
        from proofcheck.protocol import PROTOCOL_FUNCTIONS

        body: list[list[nodes.Node | str]] = [
            [_para(nodes.literal(f.name, f.name)), _para(_step_ref(f.step)),
             _para(nodes.literal(f.signature, f.signature))]
            for f in PROTOCOL_FUNCTIONS]
        return [_table(["function", "step", "arguments and result (shapes)"], body,
                       ["pc-protocol"])]


# --- consistency over the whole site --------------------------------------------------


def _property_docs(env: Any) -> dict[str, set[str]]:
    """Which property each page annotates (kept in the environment between builds)."""
    if not hasattr(env, "proofcheck_property_docs"):
        env.proofcheck_property_docs = {}
    return env.proofcheck_property_docs  # type: ignore[no-any-return]


def _purge(app: Sphinx, env: Any, docname: str) -> None:
    _property_docs(env).pop(docname, None)


def _merge(app: Sphinx, env: Any, docnames: set[str], other: Any) -> None:
    mine, theirs = _property_docs(env), _property_docs(other)
    for docname in docnames:
        if docname in theirs:
            mine[docname] = theirs[docname]


def _init_env(app: Sphinx, env: Any, docnames: list[str]) -> None:
    _property_docs(env)
    load_report(app)


def _outdated(app: Sphinx, env: Any, added: set[str], changed: set[str],
              removed: set[str]) -> list[str]:
    """Pages that render the report are read again on every build (the report changes)."""
    return [d for d in _property_docs(env) if d not in removed]


def _check_consistency(app: Sphinx, env: Any) -> None:
    """Every checked step has its labelled environment, every property its annotation."""
    from proofcheck.properties import PROPERTIES
    from proofcheck.steps import STEPS

    labels = getattr(env, "proof_list", {})
    for step in STEPS:
        if step.id not in labels:
            logger.warning(f"step {step.id} has no proof environment labelled {step.id!r} "
                           "in the docs", type="proofcheck", subtype="trace")
    rendered: set[str] = set().union(*_property_docs(env).values())
    for prop in PROPERTIES:
        if prop.key not in rendered:
            logger.warning(f"property {prop.name} ({prop.key}) is not annotated in the docs "
                           "(no {proofcheck-property} directive names it)", type="proofcheck",
                           subtype="trace")


def _no_figure_numbers(app: Sphinx, config: Any) -> None:
    """sphinx-proof turns on ``numfig``; the step IDs number everything here, and
    numbered code listings ("Listing 12") would only add noise."""
    config.numfig = False


def setup(app: Sphinx) -> dict[str, Any]:
    app.connect("config-inited", _no_figure_numbers, priority=900)
    app.add_config_value("proofcheck_report", "", "env")
    app.add_directive("proofcheck-property", PropertyDirective)
    app.add_directive("verdict-summary", VerdictSummaryDirective)
    app.add_directive("proofcheck-run", ProofcheckRunDirective)
    app.add_directive("tolerance-table", ToleranceTableDirective)
    app.add_directive("profile-table", ProfileTableDirective)
    app.add_directive("protocol-table", ProtocolTableDirective)
    app.add_role("step", step_role)
    app.connect("env-before-read-docs", _init_env)
    app.connect("env-get-outdated", _outdated)
    app.connect("env-purge-doc", _purge)
    app.connect("env-merge-info", _merge)
    app.connect("env-check-consistency", _check_consistency)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True,
            "env_version": 1}
