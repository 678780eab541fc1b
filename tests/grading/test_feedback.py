"""Feedback a student can read (proofcheck/grading/feedback.py): the verdict per step with links to
the proof, the diagnosis, the counterexample as small matrices, the misconception when one
is named, what the code printed; Markdown and HTML. Results are built here from report
rows (tests/grading/test_grade_course.py writes feedback for real submissions)."""

from __future__ import annotations

import sys
from dataclasses import asdict
from html.parser import HTMLParser

import pytest

from proofcheck import GradeResult
from proofcheck.diagnosis.report import Counterexample, diagnose
from proofcheck.grading.feedback import feedback_html, feedback_markdown
from proofcheck.grading.gradebook import score
from tests.grading.test_gradebook import EVERYTHING, _rows

NETWORK = {"depth": 2, "widths": [1, 2, 2], "activations": ["tanh", "identity"],
           "cost": "squared_error", "batch_size": 1, "layers": [], "params": [],
           "X": [[0.5]], "Y": [[0.0], [1.0]]}
NAMED = {"row": "T1.step/isolated", "name": "missing_transpose",
         "message": "your `backward_delta` returns exactly what `dfz * (W_next @ delta_next)` "
                    "returns: W^{l+1} instead of its transpose",
         "explanation": "The chain rule takes a gradient back by the transpose.", "also": []}


def _failing(**fields: object) -> GradeResult:
    rows = _rows(EVERYTHING, {("T1.step", "isolated"): "backward_delta"})
    root = next(r for r in rows if (r.step, r.mode) == ("T1.step", "isolated"))
    root.counterexample = Counterexample(
        network=NETWORK, quantity="delta^1", function="backward_delta", layer=1,
        inputs={"W_next": [[1.0, 2.0], [3.0, 4.0]], "delta_next": [[0.5], [-0.5]],
                "dfz": [[1.0], [1.0]]},
        actual=[[-0.5], [-0.5]], expected=[[-1.0], [-1.0]], index=[0, 0],
        actual_value=-0.5, expected_value=-1.0, max_error=0.5, ratio=5e8)
    d = diagnose(rows)
    report = {"profile": "ci", "rows": [asdict(r) for r in rows], "diagnosis": asdict(d)}
    result = GradeResult("subs/bob.py", 1, d.root_cause, 0, 0, d.message, report)
    return result._replace(**fields)


def test_the_markdown_has_the_points_a_line_per_step_and_links_to_the_proof() -> None:
    result = _failing()
    text = feedback_markdown(result, score(result))
    assert text.startswith("# Feedback: subs/bob.py\n\n**16 of 20 points: root cause T1.step.**")
    assert "| [T1.step](proof/theorem.html#T1.step) | delta^l = diag(f^l'(z^l)) " \
           "(W^{l+1})^T delta^{l+1} | 0 / 4 | fails (the root cause) |" in text
    assert "| [T2](proof/data-matrix.html#T2) |" in text
    assert "## Diagnosis\n\nT1.step fails in isolation" in text


def test_the_counterexample_is_shown_as_small_matrices_with_a_rerun_command() -> None:
    result = _failing()
    text = feedback_markdown(result, score(result), docs_url="https://course.example/pc/")
    assert "## Counterexample: T1.step isolated" in text
    assert "[its proof, T1.step](https://course.example/pc/proof/theorem.html#T1.step)" in text
    assert "input W_next = [[1. 2.]\n                [3. 4.]]" in text
    assert "yours    = [[-0.5]\n" in text and "expected = [[-1.]\n" in text
    assert "largest difference at index [0, 0]: yours -0.5, expected -1.0" in text
    assert "proofcheck verify --impl subs/bob.py --steps T1.step --profile ci" in text


def test_a_named_misconception_has_its_own_section() -> None:
    result = _failing(misconception=NAMED)
    text = feedback_markdown(result, score(result))
    assert "## The mistake, named\n\nyour `backward_delta` returns exactly what" in text
    assert "The chain rule takes a gradient back by the transpose." in text
    plain = _failing()
    assert "The mistake, named" not in feedback_markdown(plain, score(plain))


def test_what_the_code_printed_is_shown_in_part() -> None:
    result = _failing(output="x" * 5000, output_bytes=3_000_000)
    text = feedback_markdown(result, score(result))
    assert "## What your code printed (the first 2000 of 3000000 characters)" in text
    assert "x" * 2000 + "\n```" in text and "x" * 2001 not in text


def test_a_stopped_submission_says_why_and_shows_no_counterexample() -> None:
    result = GradeResult("subs/carol.py", 1, None, 0, 0,
                         "timed out after 60 s while it was imported, before its check began.",
                         None, stopped="timed out after 60 s")
    text = feedback_markdown(result, score(result))
    assert "**0 of 20 points: timed out after 60 s.**" in text
    assert "| not checked: timed out after 60 s |" in text
    assert "Counterexample" not in text


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.open: list[str] = []
        self.links: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in ("meta", "br"):
            self.open.append(tag)
        self.links += [v or "" for k, v in attrs if k == "href"]

    def handle_endtag(self, tag: str) -> None:
        assert self.open.pop() == tag

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def test_the_html_is_one_well_formed_page_with_the_same_content_escaped() -> None:
    result = _failing(misconception=NAMED, output="<script>alert(1)</script>", output_bytes=25)
    page = feedback_html(result, score(result))
    assert page.startswith("<!DOCTYPE html>")
    tags = _Tags()
    tags.feed(page)
    assert tags.open == []
    assert "proof/theorem.html#T1.step" in tags.links
    text = "".join(tags.text)
    assert "16 of 20 points: root cause T1.step." in text
    assert "The mistake, named" in text
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_the_misconception_hook_passes_on_what_the_matcher_names(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The contained process asks proofcheck.diagnosis.misconceptions about the root cause's row; a
    fake matcher stands in for it here."""
    import types

    from proofcheck.grading._sandbox import _misconception

    rows = _rows(EVERYTHING, {("T1.step", "isolated"): "backward_delta"})
    asked = []

    class Entry:
        name = "missing_transpose"
        explanation = "The chain rule takes a gradient back by the transpose."

    def name_misconception(impl: object, row: object) -> list[object]:
        asked.append((impl, row))
        return [types.SimpleNamespace(entry=Entry(), message="your backward_delta ...")]

    fake = types.ModuleType("proofcheck.diagnosis.misconceptions")
    fake.name_misconception = name_misconception  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "proofcheck.diagnosis.misconceptions", fake)
    named = _misconception("the submission", rows, False)
    assert named == {"row": "T1.step/isolated", "message": "your backward_delta ...",
                     "name": "missing_transpose", "explanation": Entry.explanation,
                     "also": []}
    assert [(impl, (row.step, row.mode)) for impl, row in asked] == [  # type: ignore[attr-defined]
        ("the submission", ("T1.step", "isolated"))]
    # A matcher that fails names nothing; so does a run where every row holds.
    fake.name_misconception = lambda impl, row: 1 / 0  # type: ignore[attr-defined]
    assert _misconception("the submission", rows, False) is None
    assert _misconception("the submission", _rows(EVERYTHING), False) is None


def test_the_counterexample_shows_every_parameter_of_the_network() -> None:
    """W and b put the units at a kink: the student needs them to reproduce the example."""
    network = {**NETWORK, "layers": ["Affine(1 -> 2)", "Affine(2 -> 2)"],
               "params": [{"W": [[0.25], [-1.5]], "b": [0.0, 2.0]},
                          {"W": [[1.0, 0.0], [0.0, 1.0]], "b": [-0.125, 0.0]}]}
    result = _failing()
    assert result.report is not None
    for row in result.report["rows"]:
        if row["counterexample"] is not None:
            row["counterexample"]["network"] = network
    text = feedback_markdown(result, score(result))
    assert "W^1 = [[ 0.25]\n       [-1.5 ]]" in text
    assert "b^1 = [0. 2.]" in text and "b^2 = [-0.125  0.   ]" in text
    assert "X = [[0.5]]" in text and "Y = [[0.]\n     [1.]]" in text


def test_a_declared_restriction_and_the_notes_are_in_the_feedback() -> None:
    from proofcheck.grading.rubric import parse_rubric

    rubric = parse_rubric('[points]\n"T1.b" = 2\n[require]\nactivations = "all"\n')
    result = _failing(declared={"activations": ["identity"]},
                      notes=["weight_grad changes its argument delta in place"])
    sc = score(result, rubric)
    text = feedback_markdown(result, sc)
    assert "Your code declares supported_activations = {'identity'}" in text
    assert "it earns 1/8 of each step's points" in text
    assert "- weight_grad changes its argument delta in place" in text
    assert "<li>weight_grad changes its argument delta in place</li>" in feedback_html(
        result, sc)


def test_a_mistake_the_catalog_does_not_know_is_said_to_be_unnamed() -> None:
    result = _failing()
    text = feedback_markdown(result, score(result))
    assert "## The mistake, unnamed" in text and "rather than the name of a near miss" in text
    named = _failing(misconception=NAMED)
    assert "unnamed" not in feedback_markdown(named, score(named))
