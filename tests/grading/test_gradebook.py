"""Partial credit by the proof's structure (proofcheck/grading/gradebook.py): the points a result
earns under a rubric, the gradebook and Gradescope's JSON. The results are built from
report rows here: no check runs (tests/grading/test_grade_course.py grades real submissions);
the rubric file itself is tests/grading/test_rubric.py's."""

from __future__ import annotations

import csv
import io
from dataclasses import asdict
from pathlib import Path
from typing import Any

import pytest

from proofcheck import GradeResult
from proofcheck.diagnosis.report import Counterexample, Row, consequences, diagnose
from proofcheck.grading.gradebook import class_results, gradebook_csv, gradescope_results, score
from proofcheck.grading.rubric import DEFAULT_RUBRIC, parse_rubric

FUNCTIONS = ("output_delta", "backward_delta", "weight_grad", "bias_grad")
STEP_FUNCTION = dict(zip(("T1.base", "T1.step", "T1.W", "T1.b"), FUNCTIONS, strict=True))


def _row(step: str, mode: str, status: str, needs: list[str], function: str | None = None,
         layer: str | None = None) -> Row:
    c = Counterexample(network=None, function=function) if status == "fails" else None
    return Row(step, mode, step, "", status, needs=needs, counterexample=c, layer=layer)


def _rows(provides: set[str], fails: dict[tuple[str, str], str] | None = None) -> list[Row]:
    """The implementation rows a submission with the functions ``provides`` has.

    ``fails`` maps (step, mode) to the function its counterexample names.
    """
    fails = fails or {}
    plan: list[tuple[str, str, list[str]]] = []
    for i, (step, function) in enumerate(STEP_FUNCTION.items()):
        plan += [(step, "exact", [function]), (step, "isolated", [function]),
                 (step, "end-to-end", [*FUNCTIONS[:min(i, 2)], function]
                  if step != "T1.base" else [function])]
    plan += [("T1.grad", "end-to-end", ["gradients"]), ("T1.tail", "isolated", ["gradients"]),
             ("T1.tail", "end-to-end", ["gradients"]), ("T2", "isolated", list(FUNCTIONS)),
             ("T2", "end-to-end", ["gradients"])]
    rows = []
    for step, mode, needs in plan:
        if not set(needs) <= provides:
            status = "not provided"
        elif (step, mode) in fails:
            status = "fails"
        else:
            status = "holds"
        rows.append(_row(step, mode, status, needs, fails.get((step, mode))))
    return rows


def _result(rows: list[Row], target: str = "subs/a.py", **fields: Any) -> GradeResult:
    report = {"rows": [asdict(r) for r in rows]}
    d = diagnose(rows)
    status = 1 if any(r.failed for r in rows) else 0
    return GradeResult(target, status, d.root_cause, 0, 0, d.message, report)._replace(**fields)


def _points(rows: list[Row], rubric: Any = DEFAULT_RUBRIC, **kw: Any) -> dict[str, float]:
    return {s.step: s.points for s in score(_result(rows), rubric, **kw).steps}


EVERYTHING = set(FUNCTIONS) | {"gradients"}
FULL = {"T1.base": 3.0, "T1.step": 4.0, "T1.W": 3.0, "T1.b": 2.0, "T1.grad": 3.0,
        "T1.tail": 2.0, "T2": 3.0}


# --- what a step earns -----------------------------------------------------------------


def test_a_correct_implementation_earns_every_point() -> None:
    sc = score(_result(_rows(EVERYTHING)))
    assert {s.step: s.points for s in sc.steps} == FULL
    assert (sc.total, sc.max_score, sc.kind) == (20, 20, "implementation")
    assert all(s.verdict == "holds" for s in sc.steps)


def test_a_root_cause_costs_its_step_and_its_consequences_nothing() -> None:
    """The missing transpose: T1.step fails in isolation, and every row that calls
    backward_delta fails with it (T1.W, T1.b end-to-end, T2 isolated)."""
    rows = _rows(EVERYTHING, {
        ("T1.step", "isolated"): "backward_delta", ("T1.step", "end-to-end"): "backward_delta",
        ("T1.W", "end-to-end"): "backward_delta", ("T1.b", "end-to-end"): "backward_delta",
        ("T2", "isolated"): "backward_delta"})
    assert {(r.step, r.mode) for r in consequences(rows)} == {
        ("T1.step", "end-to-end"), ("T1.W", "end-to-end"), ("T1.b", "end-to-end"),
        ("T2", "isolated")}
    sc = score(_result(rows))
    assert {s.step: s.points for s in sc.steps} == {**FULL, "T1.step": 0}
    verdicts = {s.step: s.verdict for s in sc.steps}
    assert verdicts["T1.step"] == "fails (the root cause)"
    assert verdicts["T1.W"] == "holds; fails only as a consequence of T1.step"


def test_a_separate_failure_costs_its_own_step() -> None:
    """bias_grad wrong on its own, besides backward_delta: T1.b is not a consequence."""
    rows = _rows(EVERYTHING, {("T1.step", "isolated"): "backward_delta",
                              ("T1.b", "isolated"): "bias_grad"})
    points = _points(rows)
    assert points == {**FULL, "T1.step": 0, "T1.b": 0}
    assert {s.step: s.verdict for s in score(_result(rows)).steps}["T1.b"] == "fails"


def test_a_gradients_only_submission_earns_the_hidden_steps_when_the_gradient_holds() -> None:
    rows = _rows({"gradients"}, {("T2", "end-to-end"): "gradients"})
    sc = score(_result(rows))
    assert {s.step: s.points for s in sc.steps} == {**FULL, "T2": 0}
    assert {s.step: s.verdict for s in sc.steps}["T1.step"] == "holds (implied by T1.grad)"


def test_a_gradients_only_submission_with_a_wrong_gradient_loses_the_hidden_steps() -> None:
    rows = _rows({"gradients"}, {("T1.grad", "end-to-end"): "gradients"})
    points = _points(rows)
    assert points["T1.grad"] == points["T1.step"] == points["T1.base"] == 0
    verdict = {s.step: s.verdict for s in score(_result(rows)).steps}["T1.W"]
    assert verdict == "not provided, and not implied: T1.grad does not hold"


def test_under_the_nothing_policy_a_step_not_provided_earns_nothing() -> None:
    nothing = DEFAULT_RUBRIC._replace(not_provided="nothing")
    points = _points(_rows({"gradients"}), nothing)
    assert points == {**FULL, "T1.base": 0, "T1.step": 0, "T1.W": 0, "T1.b": 0}


def test_step_functions_only_imply_the_full_gradient_and_the_tail() -> None:
    points = _points(_rows(set(FUNCTIONS)))
    assert points == FULL
    # One mistake, the root cause, costs its own step only: the composition fails only
    # as its consequence.
    one = _rows(set(FUNCTIONS), {("T1.W", "isolated"): "weight_grad"})
    assert _points(one) == {**FULL, "T1.W": 0}
    assert {s.step: s.verdict for s in score(_result(one)).steps}["T1.grad"] == (
        "holds (implied by T1.base, T1.step, T1.W and T1.b); fails only as a consequence "
        "of T1.W")
    # Two mistakes: the composition is wrong for more than the root cause.
    two = _rows(set(FUNCTIONS), {("T1.W", "isolated"): "weight_grad",
                                 ("T1.b", "isolated"): "bias_grad"})
    assert _points(two) == {**FULL, "T1.W": 0, "T1.b": 0, "T1.grad": 0, "T1.tail": 0}
    assert {s.step: s.verdict for s in score(_result(two)).steps}["T1.tail"] == (
        "not provided, and not implied: T1.W and T1.b do not hold")


def test_a_step_not_provided_whose_implying_steps_were_not_checked_earns_nothing() -> None:
    rows = [r for r in _rows({"gradients"}) if r.step in ("T1.step", "T2")]
    sc = score(_result(rows), steps=["T1.step", "T2"])
    assert {s.step: (s.points, s.verdict) for s in sc.steps} == {
        "T1.step": (0, "not provided, and T1.grad, which would imply it, not checked"),
        "T2": (3, "holds")}


def test_a_step_with_an_unfinished_row_earns_nothing() -> None:
    rows = [r for r in _rows(EVERYTHING) if r.step not in ("T1.tail", "T2")]
    result = _result(rows, stopped="timed out after 60 s",
                     unfinished=["T1.tail/isolated", "T1.tail/end-to-end", "T2/isolated",
                                 "T2/end-to-end"])
    sc = score(result)
    assert {s.step: s.points for s in sc.steps} == {**FULL, "T1.tail": 0, "T2": 0}
    assert {s.step: s.verdict for s in sc.steps}["T2"] == "not finished: timed out after 60 s"


def test_a_target_that_could_not_be_checked_earns_nothing_of_everything() -> None:
    result = GradeResult("subs/x.py", 2, None, 0, 0, "could not import module", None)
    sc = score(result)
    assert (sc.total, sc.max_score) == (0, 20)
    assert {s.verdict for s in sc.steps} == {"not checked: could not be checked"}
    stopped = result._replace(exit_status=1, stopped="exited with status 3")
    assert {s.verdict for s in score(stopped).steps} == {"not checked: exited with status 3"}


def test_only_the_steps_checked_count() -> None:
    rows = [r for r in _rows(EVERYTHING) if r.step in ("T1.b", "T2")]
    sc = score(_result(rows), steps=["T1.b", "T2"])
    assert (sc.total, sc.max_score) == (5, 5)


def test_a_layer_type_is_scored_on_the_generalization() -> None:
    rows = [_row("G.step", "lemma", "fails", [], "Conv1D.input_product", layer="Conv1D"),
            _row("G.param", "lemma", "holds", [], layer="Conv1D"),
            _row("G.base", "end-to-end", "holds", []),
            _row("G.step", "end-to-end", "fails", []),
            _row("G.param", "end-to-end", "fails", [])]
    sc = score(_result(rows))
    assert sc.kind == "layer"
    assert {s.step: s.points for s in sc.steps} == {"G.base": 3, "G.step": 0, "G.param": 3}


# --- the gradebook and Gradescope's JSON -----------------------------------------------


def _class() -> tuple[list[GradeResult], list[Any]]:
    results = [_result(_rows(EVERYTHING), "subs/alice.py"),
               _result(_rows(EVERYTHING, {("T1.step", "isolated"): "backward_delta"}),
                       "subs/bob.py"),
               GradeResult("subs/carol.py", 1, None, 0, 0, "timed out", None,
                           stopped="timed out after 60 s")]
    return results, [score(r) for r in results]


def test_the_gradebook_has_a_header_a_row_per_submission_a_column_per_step() -> None:
    results, scores = _class()
    table = list(csv.reader(io.StringIO(gradebook_csv(results, scores))))
    assert table[0] == ["student", "submission", *FULL, "total", "max_score", "verdict"]
    assert table[1] == ["alice", "subs/alice.py", "3", "4", "3", "2", "3", "2", "3", "20",
                        "20", "every step holds"]
    assert table[2][:4] == ["bob", "subs/bob.py", "3", "0"]
    assert table[2][-3:] == ["16", "20", "root cause T1.step"]
    assert table[3][-3:] == ["0", "20", "timed out after 60 s"]
    assert len(table) == 4


def test_gradescope_results_have_one_test_per_step() -> None:
    results, scores = _class()
    data = gradescope_results(results[1], scores[1])
    assert data["score"] == 16
    assert [t["name"] for t in data["tests"]][:2] == ["T1.base: Base case",
                                                      "T1.step: Induction step"]
    step = data["tests"][1]
    assert {k: step[k] for k in ("score", "max_score", "status", "output_format")} == {
        "score": 0.0, "max_score": 4.0, "status": "failed", "output_format": "md"}
    assert step["output"].startswith("**fails (the root cause)**")
    assert all(set(t) >= {"name", "score", "max_score", "output"} for t in data["tests"])
    assert data["extra_data"]["target"] == "subs/bob.py"


def test_the_class_results_hold_every_submissions_tests_by_name() -> None:
    results, scores = _class()
    assert class_results(results[:1], scores[:1]) == gradescope_results(results[0], scores[0])
    data = class_results(results, scores)
    assert len(data["tests"]) == 3 * 7
    assert data["tests"][7]["name"] == "subs/bob.py: T1.base: Base case"


def test_grade_with_a_bad_rubric_exits_two_with_one_message(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from proofcheck.cli import main

    (tmp_path / "bad.toml").write_text('[points]\n"L1" = 2\n')
    status = main(["grade", str(tmp_path), "--rubric", str(tmp_path / "bad.toml"),
                   "--out", str(tmp_path / "out"), "--no-cache"])
    assert status == 2
    err = capsys.readouterr().err
    assert "gives points to L1, a lemma about the mathematics" in err
    assert not (tmp_path / "out").exists()


# --- what the rubric requires ------------------------------------------------------------


def test_a_declared_restriction_costs_the_share_of_what_it_leaves_out() -> None:
    rubric = parse_rubric('[points]\n"T1.b" = 4\n"T2" = 4\n[require]\nactivations = '
                          '["identity", "tanh", "sigmoid", "relu"]\ncosts = "all"\n')
    result = _result(_rows(EVERYTHING))
    assert score(result, rubric).total == 8
    restricted = result._replace(declared={"activations": ["identity", "tanh"],
                                           "costs": ["squared_error"]})
    sc = score(restricted, rubric)
    # Two of four activations, one of three costs: a sixth of each step.
    assert [s.points for s in sc.steps] == [0.67, 0.67]
    assert sc.steps[0].verdict == "holds; 1/6 of its points (declared restriction)"
    assert "tanh" not in sc.left_out and "sigmoid, relu" in sc.left_out
    # Without [require], a restriction costs nothing but is shown in the gradebook.
    free = score(restricted, DEFAULT_RUBRIC)
    assert free.total == 20
    line = gradebook_csv([restricted], [free]).splitlines()[1]
    assert line.endswith('"every step holds; declares activations identity, tanh only and '
                         'costs squared_error only"')
    assert gradescope_results(restricted, free)["extra_data"]["declared"] == \
        restricted.declared
