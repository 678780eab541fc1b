"""Traceability between the step list, the properties and the documentation, both ways.

Reads the Markdown sources under ``docs/`` (no Sphinx build) and checks:

* every step ID of ``proofcheck.steps.STEP_IDS`` has exactly one annotated
  section: a proof environment labelled with the ID whose statement has
  display math; for a checked step also a proof, and for every registered
  property of the step its ``{proofcheck-property}`` box and its source pulled
  in with ``literalinclude`` ``:pyobject:`` from the module that defines it;
* the docs name no step ID and no property function that does not exist.

The IDs and properties come from the package, so a step added to the list
(the generalization steps, say) fails here until its section is written.
"""

from __future__ import annotations

import ast
import inspect
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest

import proofcheck
from proofcheck.properties import PROPERTIES
from proofcheck.steps import STEP_IDS, STEPS

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"

PRF_OPEN = re.compile(r"^:::+\{prf:(?P<kind>[a-z]+)\}(?P<title>[^\n]*)$", re.MULTILINE)
LABEL = re.compile(r"^:label:\s*(?P<label>\S+)\s*$", re.MULTILINE)
PROPERTY = re.compile(r"^```+\{proofcheck-property\}\s+(?P<name>\S+)\s*$", re.MULTILINE)
LITERALINCLUDE = re.compile(
    r"^```+\{literalinclude\}\s+(?P<path>\S+)\s*\n(?P<options>(?::[^\n]*\n)*)", re.MULTILINE)
PYOBJECT = re.compile(r"^:pyobject:\s*(?P<name>\S+)\s*$", re.MULTILINE)
STEP_ROLE = re.compile(r"\{step\}`(?P<id>[^`]+)`")
PRF_REF = re.compile(r"\{prf:ref\}`(?:[^`<]*<(?P<target>[^>`]+)>|(?P<plain>[^`<]+))`")


def markdown_files() -> list[Path]:
    return sorted(p for p in DOCS.rglob("*.md") if "_build" not in p.relative_to(DOCS).parts)


@dataclass
class Section:
    """The part of a page from one labelled proof environment to the next."""

    path: Path
    label: str
    kind: str
    text: str
    environment: str  # the body of the labelled environment itself
    properties: list[str] = field(default_factory=list)
    includes: list[tuple[str, str]] = field(default_factory=list)  # (path, pyobject)


def _environment_body(text: str, start: int) -> str:
    """The lines of the colon-fenced environment that opens at ``start``."""
    fence = re.match(r":+", text[start:])
    assert fence is not None
    closing = re.compile(rf"^{fence.group(0)}\s*$", re.MULTILINE)
    end = closing.search(text, text.index("\n", start) + 1)
    return text[start:end.start() if end else len(text)]


def sections() -> list[Section]:
    found = []
    for path in markdown_files():
        text = path.read_text(encoding="utf-8")
        starts = []
        for match in PRF_OPEN.finditer(text):
            body = _environment_body(text, match.start())
            label = LABEL.search(body)
            if label and match.group("kind") != "proof":
                starts.append((match.start(), label.group("label"), match.group("kind"), body))
        for i, (start, label, kind, body) in enumerate(starts):
            end = starts[i + 1][0] if i + 1 < len(starts) else len(text)
            chunk = text[start:end]
            section = Section(path, label, kind, chunk, body)
            section.properties = [m.group("name") for m in PROPERTY.finditer(chunk)]
            for m in LITERALINCLUDE.finditer(chunk):
                obj = PYOBJECT.search(m.group("options"))
                if obj:
                    section.includes.append((m.group("path"), obj.group("name")))
            found.append(section)
    return found


SECTIONS = sections()
BY_LABEL: dict[str, list[Section]] = {}
for _s in SECTIONS:
    BY_LABEL.setdefault(_s.label, []).append(_s)
PROPERTY_NAMES = {p.name for p in PROPERTIES}


def _annotates(names: list[str], prop: object) -> bool:
    """A box names a property by its key, or by its function's name when that is unique."""
    unique = sum(p.name == prop.name for p in PROPERTIES) == 1  # type: ignore[attr-defined]
    return prop.key in names or (unique and prop.name in names)  # type: ignore[attr-defined]


def _where(section: Section) -> str:
    return f"{section.path.relative_to(ROOT)} (section {section.label})"


@pytest.mark.parametrize("step", STEPS, ids=lambda s: s.id)
def test_every_step_has_an_annotated_section(step: proofcheck.Step) -> None:
    found = BY_LABEL.get(step.id, [])
    assert found, (f"step {step.id} ({step.title}) has no proof environment labelled "
                   f"{step.id!r} under docs/: add a section with its statement, proof and "
                   "properties")
    assert len(found) == 1, f"step {step.id} is labelled twice: {[_where(s) for s in found]}"
    section = found[0]
    assert "$$" in section.environment, f"{_where(section)}: the statement has no display math"
    if not step.checked:
        return
    assert re.search(r"^:::+\{prf:proof\}", section.text, re.MULTILINE), \
        f"{_where(section)}: no {{prf:proof}} environment after the statement"
    for prop in (p for p in PROPERTIES if p.step == step.id):
        assert _annotates(section.properties, prop), \
            f"{_where(section)}: no {{proofcheck-property}} {prop.name} ({prop.key})"
        includes = [path for path, name in section.includes if name == prop.name]
        assert includes, (f"{_where(section)}: the source of {prop.name} is not pulled in "
                          "(literalinclude with :pyobject:)")
        source = Path(inspect.getsourcefile(prop.check) or "").resolve()
        for path in includes:
            assert (section.path.parent / path).resolve() == source, \
                f"{_where(section)}: {prop.name} is included from {path}, but lives in {source}"


def test_every_label_is_a_step_id() -> None:
    unknown = [_where(s) for s in SECTIONS if s.label not in STEP_IDS]
    assert not unknown, f"proof environments labelled with an unknown step ID: {unknown}"


def test_every_step_reference_exists() -> None:
    bad = []
    for path in markdown_files():
        text = path.read_text(encoding="utf-8")
        for m in STEP_ROLE.finditer(text):
            if m.group("id").strip() not in STEP_IDS:
                bad.append(f"{path.relative_to(ROOT)}: {{step}}`{m.group('id')}`")
        for m in PRF_REF.finditer(text):
            target = (m.group("target") or m.group("plain")).strip()
            if target not in STEP_IDS:
                bad.append(f"{path.relative_to(ROOT)}: {{prf:ref}} to {target!r}")
    assert not bad, f"references to step IDs that do not exist: {bad}"


def test_every_named_property_exists_and_sits_with_its_step() -> None:
    bad = []
    for section in SECTIONS:
        for name in section.properties:
            prop = next((p for p in PROPERTIES if name in (p.name, p.key)), None)
            if prop is None:
                bad.append(f"{_where(section)}: {name} is not a registered property")
            elif prop.step != section.label:
                bad.append(f"{_where(section)}: {name} checks {prop.step}, not {section.label}")
    for path in markdown_files():
        text = path.read_text(encoding="utf-8")
        for m in PROPERTY.finditer(text):
            if m.group("name") not in PROPERTY_NAMES | {p.key for p in PROPERTIES}:
                bad.append(f"{path.relative_to(ROOT)}: {m.group('name')} is not a property")
    assert not bad, "\n".join(bad)


def _defines(tree: ast.Module, dotted: str) -> bool:
    """Whether ``tree`` defines ``dotted`` at its top level: a function or class
    (``check_L1_vec_kronecker``), or a method of a class (``Conv1D.input_product``)."""
    scope: list[ast.stmt] = tree.body
    for part in dotted.split("."):
        found = next((n for n in scope if isinstance(n, ast.FunctionDef | ast.ClassDef)
                      and n.name == part), None)
        if found is None:
            return False
        scope = found.body
    return True


def test_every_included_object_exists() -> None:
    """A ``:pyobject:`` that names a ``check_`` function names a property, and exists."""
    bad = []
    for path in markdown_files():
        text = path.read_text(encoding="utf-8")
        for m in LITERALINCLUDE.finditer(text):
            source = (path.parent / m.group("path")).resolve()
            if not source.exists():
                bad.append(f"{path.relative_to(ROOT)}: {m.group('path')} does not exist")
                continue
            obj = PYOBJECT.search(m.group("options"))
            if not obj:
                continue
            name = obj.group("name")
            tree = ast.parse(source.read_text(encoding="utf-8"))
            if not _defines(tree, name):
                bad.append(f"{path.relative_to(ROOT)}: {name} is not defined in {m.group('path')}")
            elif name.startswith("check_") and name not in PROPERTY_NAMES:
                bad.append(f"{path.relative_to(ROOT)}: {name} is not a registered property")
    assert not bad, "\n".join(bad)


def test_every_property_is_annotated_once() -> None:
    counts = {p.key: sum(_annotates(s.properties, p) for s in SECTIONS) for p in PROPERTIES}
    steps_with_pages = {s.label for s in SECTIONS}
    wrong = {key: n for key, n in counts.items()
             if n > 1 or (n == 0 and key.split("/")[0] in steps_with_pages)}
    assert not wrong, f"properties annotated other than once: {wrong}"


def test_the_api_reference_names_all_of_the_public_surface() -> None:
    text = "\n".join(p.read_text(encoding="utf-8") for p in (DOCS / "api").glob("*.md"))
    missing = [name for name in proofcheck.__all__ if name not in text]
    assert not missing, f"docs/api/ does not mention {missing} from proofcheck.__all__"
