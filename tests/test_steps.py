"""The step list, the properties and the specification agree (step coverage)."""

from __future__ import annotations

from proofcheck.properties import PROPERTIES
from proofcheck.steps import STEP_IDS, STEPS, get_step

# The step IDs of the specification of the proof, in its order. A new step in
# the specification is added here and to proofcheck.steps, and then needs a
# property before this file passes again.
SPECIFICATION_IDS = (
    "D1", "D2", "D3", "D4",
    "L1", "L2", "L3", "L4", "L5", "L6", "L7",
    "T1.base", "T1.step", "T1.W", "T1.b", "T1.grad", "T1.tail", "T2",
)
GENERALIZATION_IDS = ("G.base", "G.step", "G.param")
DEFINITIONS = {"D1", "D2", "D3", "D4"}


def test_step_list_is_the_specification() -> None:
    assert STEP_IDS == SPECIFICATION_IDS + GENERALIZATION_IDS


def test_every_checked_step_has_a_property() -> None:
    checked = {s.id for s in STEPS if s.checked}
    assert checked == set(STEP_IDS) - DEFINITIONS
    missing = sorted(checked - {p.step for p in PROPERTIES})
    assert not missing, f"steps without a property: {missing}"


def test_every_property_names_a_known_step() -> None:
    unknown = sorted({p.step for p in PROPERTIES} - set(STEP_IDS))
    assert not unknown, f"properties name unknown step IDs: {unknown}"


def test_every_theorem_step_is_checked_isolated_and_end_to_end() -> None:
    def modes(step: str) -> set[str]:
        return {p.mode for p in PROPERTIES
                if p.step == step and p.mode not in ("oracle check", "exact")}

    for step in ("T1.base", "T1.step", "T1.W", "T1.b", "T1.tail", "T2"):
        assert modes(step) == {"isolated", "end-to-end"}, step
    assert modes("T1.grad") == {"end-to-end"}


def test_the_oracle_is_checked_by_a_second_oracle() -> None:
    checked = {p.step for p in PROPERTIES if p.mode == "oracle check"}
    assert {"T1.grad", "L2"} <= checked


def test_property_keys_are_unique() -> None:
    keys = [p.key for p in PROPERTIES]
    assert len(keys) == len(set(keys))


def test_get_step_names_the_known_ids() -> None:
    assert get_step("T1.step").title == "Induction step"
    try:
        get_step("T9")
    except KeyError as exc:
        assert "T1.step" in str(exc)
    else:  # pragma: no cover
        raise AssertionError("get_step accepted an unknown ID")


def test_a_step_knows_its_docs_section() -> None:
    from proofcheck.steps import get_step

    assert get_step("T1.step").docs_url() == "proof/theorem.html#T1.step"
    assert get_step("G.param").docs_url("https://course.example/docs/") == (
        "https://course.example/docs/proof/generalization.html#G.param")
    assert get_step("L3").docs_url() == "proof/lemmas.html#L3"
    assert get_step("D4").docs_url() == "proof/notation.html#D4"
    assert get_step("T2").docs_url() == "proof/data-matrix.html#T2"


def test_a_row_key_names_the_layer_of_a_lemma_row_only() -> None:
    from proofcheck.diagnosis.report import Row
    from proofcheck.steps import row_key

    assert row_key("T1.step", "isolated") == "T1.step/isolated"
    assert row_key("G.step", "lemma", "Conv1D") == "G.step/lemma/Conv1D"
    assert Row("G.step", "lemma", "t", "s", "holds", layer="Conv1D").key == "G.step/lemma/Conv1D"
