"""The catalog of classic mistakes (proofcheck/catalog/__init__.py): the entries themselves, their
links into the docs, the API page's example and the measured figure of shared names.

That every entry is named on its own counterexample, from a real ``verify`` run on
its root cause's step, is asserted where those runs already are: tests/test_mutants.py
(the implementations' mistakes) and tests/layers/test_layers.py (the layer types'). The
matcher on rows built by hand is tests/diagnosis/test_misconceptions.py's.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

import proofcheck
from proofcheck import catalog
from proofcheck.catalog import (
    CATALOG,
    LAYER_CATALOG,
    MISTAKES,
    LayerMistake,
    LoopBackprop,
    Mistake,
    docs_link,
)
from proofcheck.diagnosis import misconceptions
from proofcheck.diagnosis.misconceptions import name_misconception
from proofcheck.protocol import PROTOCOL_FUNCTIONS
from proofcheck.steps import STEP_IDS, get_step

ROOT = Path(__file__).resolve().parents[2]

#: Measured: the entries on whose own counterexample (verify on the root cause's step,
#: profile ci) other entries match too, and which; every other entry is named alone.
#: The figure in the matcher's docstring and on docs/api/catalog.md is its length.
#: test_the_figure_is_measured_again re-measures it (``pytest -m batch``); the default
#: suite asserts only that each entry is named (tests/test_mutants.py, tests/layers/test_layers.py),
#: since which shrunk examples coincide follows the ci stream.
SHARED: dict[str, tuple[str, ...]] = {
    # One mistake written two ways: in a loop, and in output_delta.
    "monolithic_output_without_derivative": ("output_delta_without_derivative",),
    # An identity first layer: the output layer takes its derivative, 1, by mistake.
    "activation_off_by_one": ("monolithic_output_without_derivative",
                              "output_delta_without_derivative"),
}


# --- the entries --------------------------------------------------------------------


def test_every_entry_is_listed_once_under_its_name() -> None:
    assert MISTAKES == CATALOG + LAYER_CATALOG
    assert len({e.name for e in MISTAKES}) == len(MISTAKES)
    for e in CATALOG:
        assert e.name in catalog.__all__
        assert getattr(catalog, e.name) in (e.impl, type(e.impl)), e.name
    for le in LAYER_CATALOG:
        assert le.name in catalog.__all__ and getattr(catalog, le.name) is le.layer


@pytest.mark.parametrize("entry", CATALOG, ids=[e.name for e in CATALOG])
def test_an_entry_names_the_function_that_holds_its_mistake(entry: Mistake) -> None:
    """A step mistake changes exactly its ``function`` of MatrixBackprop; a monolithic
    one is a LoopBackprop, which has only ``gradients``."""
    if isinstance(entry.impl, LoopBackprop):
        assert entry.function == "gradients"
        return
    assert isinstance(entry.impl, proofcheck.MatrixBackprop)
    protocol = {f.name for f in PROTOCOL_FUNCTIONS}
    changed = [name for name in vars(type(entry.impl)) if name in protocol]
    assert changed == [entry.function]
    assert get_step(entry.root_cause).kind == "theorem"


@pytest.mark.parametrize("entry", LAYER_CATALOG, ids=[e.name for e in LAYER_CATALOG])
def test_a_layer_entry_changes_one_product_of_its_registered_type(entry: LayerMistake) -> None:
    base = entry.layer.__mro__[1]
    assert base.name == entry.layer_name
    products = {"input_product", "parameter_products", "product"}
    assert [name for name in vars(entry.layer) if name in products] == [entry.function]
    assert get_step(entry.root_cause).kind == "generalization"


@pytest.mark.parametrize("entry", MISTAKES, ids=[e.name for e in MISTAKES])
def test_an_entry_explains_itself_to_a_student(entry: Mistake | LayerMistake) -> None:
    assert entry.mistake and "\n" not in entry.mistake
    assert entry.code and "\n" not in entry.code
    # One paragraph: what is wrong, why (in the step's terms), and the fix.
    assert len(entry.explanation.split()) >= 40 and "\n" not in entry.explanation
    assert "Fix:" in entry.explanation, entry.name


# --- links into the docs -----------------------------------------------------------

LABELLED = re.compile(r"^:::+\{prf:[a-z]+\}[^\n]*\n(?::[a-z]+:[^\n]*\n)*?:label:\s*(\S+)\s*$",
                      re.MULTILINE)


def anchors(page: str) -> set[str]:
    """The labels of the proof environments of ``docs/<page>.md`` (their HTML anchors)."""
    path = ROOT / "docs" / f"{page}.md"
    return set(LABELLED.findall(path.read_text(encoding="utf-8"))) if path.exists() else set()


@pytest.mark.parametrize("step", STEP_IDS)
def test_every_step_links_to_its_section_in_the_docs(step: str) -> None:
    link = docs_link(step)
    page, _, anchor = link.partition(".html#")
    assert anchor == step
    assert step in anchors(page), f"{link}: docs/{page}.md has no section labelled {step}"


@pytest.mark.parametrize("entry", MISTAKES, ids=[e.name for e in MISTAKES])
def test_every_entry_links_to_its_root_cause_in_the_docs(entry: Mistake | LayerMistake) -> None:
    page, _, anchor = entry.docs.partition(".html#")
    assert anchor == entry.root_cause and anchor in anchors(page), entry.docs


def test_a_link_to_a_section_that_does_not_exist_is_seen() -> None:
    assert "T1.step" not in anchors("proof/lemmas")
    assert anchors("proof/no-such-page") == set()
    with pytest.raises(KeyError, match="unknown step ID"):
        docs_link("T3")


# --- LoopBackprop's arguments ----------------------------------------------------


@pytest.mark.parametrize("kwargs, message", [
    ({"mistake": "transpose"}, r"unknown mistake 'transpose'; the known ones are"),
    ({"kink": "sideways"}, r"kink='sideways' must be one of 'left', 'right', 'midpoint'"),
    ({"kink": True}, r"kink=True must be"),
    ({"kink": None}, r"kink=None must be"),
])
def test_loop_backprop_refuses_what_it_cannot_be(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        LoopBackprop(**kwargs)


# --- the API page ------------------------------------------------------------------


def test_the_api_pages_example_runs_and_names_the_mistake(
        capsys: pytest.CaptureFixture[str]) -> None:
    page = (ROOT / "docs" / "api" / "catalog.md").read_text(encoding="utf-8")
    [example] = re.findall(r"^```python\n(.*?)^```", page, re.MULTILINE | re.DOTALL)
    exec(compile(example, "docs/api/catalog.md", "exec"), {})
    printed = capsys.readouterr().out
    assert printed.startswith("your `backward_delta` ")
    assert "instead of its transpose" in printed and "proof/theorem.html#T1.step" in printed


# --- the measured figure ---------------------------------------------------------


def test_the_documented_figure_is_the_measured_one() -> None:
    every = {e.name for e in MISTAKES}
    assert all(name in every and set(others) <= every for name, others in SHARED.items())
    figure = f"{len(SHARED)} of the {len(MISTAKES)} entries"
    assert misconceptions.__doc__ is not None and figure in " ".join(
        misconceptions.__doc__.split())
    page = (ROOT / "docs" / "api" / "catalog.md").read_text(encoding="utf-8")
    assert figure in " ".join(page.split())


@pytest.mark.batch
def test_the_figure_is_measured_again() -> None:
    """Every entry on its root cause's step, matched on the root cause's counterexample:
    each is named, the reference never, and the entries other entries match too are
    SHARED's (a few minutes)."""
    shared: dict[str, tuple[str, ...]] = {}
    for entry in MISTAKES:
        if isinstance(entry, LayerMistake):
            impl: object = entry.layer
            reference: object = entry.layer.__mro__[1]
            report = proofcheck.verify(layer=entry.layer, profile="ci", database=False,
                                       steps=[entry.root_cause])
        else:
            impl, reference = entry.impl, proofcheck.MatrixBackprop()
            report = proofcheck.verify(entry.impl, profile="ci", database=False,
                                       steps=[entry.root_cause])
        d = report.diagnosis
        assert d.root_cause == entry.root_cause, report.render()
        row = report.row(d.root_cause, d.mode or "", d.layer)
        named = [m.entry.name for m in name_misconception(impl, row)]
        assert entry.name in named and name_misconception(reference, row) == []
        if len(named) > 1:
            shared[entry.name] = tuple(n for n in named if n != entry.name)
    assert {k: set(v) for k, v in shared.items()} == {k: set(v) for k, v in SHARED.items()}
