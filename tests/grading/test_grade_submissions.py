"""What the grader takes as a submission (proofcheck/grading/_submissions.py): a student's folder
with its own helpers, packages and data files, a single file, a notebook; every entry of
the class's folder graded or named as skipped; identical hand-ins checked once only when
they are byte-identical throughout, and listed for the teacher.

Each submission is a few lines checked on one step (``T1.b``, the bias gradient)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import proofcheck
from proofcheck.cli import main
from proofcheck.engine._loading import notebook_code
from proofcheck.grading import _grade
from proofcheck.grading._grade import render_summary
from proofcheck.grading._submissions import Submission, collect_submissions, submission_hash

STEPS = ["T1.b"]

#: An entry file whose bias gradient is scaled by a helper package's constant.
USES_PACKAGE = ("from mylib.act import SCALE\n\n"
                "def bias_grad(delta):\n    return SCALE * delta.sum(axis=1)\n")
#: An entry file whose bias gradient is scaled by a data file's number (opened relatively).
USES_DATA = ("import json\n\nwith open('consts.json') as f:\n    SCALE = json.load(f)['scale']\n\n"
             "def bias_grad(delta):\n    return SCALE * delta.sum(axis=1)\n")
GOOD = "def bias_grad(delta):\n    return delta.sum(axis=1)\n"
WRONG = "def bias_grad(delta):\n    return -delta.sum(axis=1)\n"


def _folder(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


def _notebook(cells: list[tuple[str, str]]) -> str:
    return json.dumps({"cells": [{"cell_type": kind, "metadata": {}, "source": text,
                                  **({"outputs": [], "execution_count": None}
                                     if kind == "code" else {})}
                                 for kind, text in cells],
                       "metadata": {}, "nbformat": 4, "nbformat_minor": 5})


def _by_student(results: list[proofcheck.GradeResult]) -> dict[str, proofcheck.GradeResult]:
    return {r.student: r for r in results}


# --- 1. no shared results: identity covers everything a submission can read ------------


@pytest.mark.parametrize(("helper", "right", "wrong"), [
    ("mylib/act.py", "SCALE = 1.0\n", "SCALE = 2.0\n"),
    ("consts.json", '{"scale": 1.0}', '{"scale": 2.0}'),
])
def test_same_entry_file_with_another_helper_or_data_file_is_checked_on_its_own(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, helper: str, right: str,
        wrong: str) -> None:
    """Two students hand in the same entry file; one's helper package (or data file) is
    wrong: the wrong one loses the step, as it does when graded alone."""
    monkeypatch.chdir(tmp_path)
    entry = USES_PACKAGE if helper.startswith("mylib") else USES_DATA
    extra = {"mylib/__init__.py": ""} if helper.startswith("mylib") else {}
    _folder(tmp_path / "subs" / "ana", {"backprop.py": entry, helper: right, **extra})
    _folder(tmp_path / "subs" / "ben", {"backprop.py": entry, helper: wrong, **extra})
    results = _by_student(proofcheck.grade(["subs"], profile="ci", steps=STEPS, jobs=1,
                                           timeout=300))
    assert results["ana"].source_hash != results["ben"].source_hash
    assert (results["ana"].exit_status, results["ben"].exit_status) == (0, 1), results
    assert results["ben"].root_cause == "T1.b"


def test_a_single_file_is_identified_by_the_packages_and_data_files_it_uses(tmp_path: Path
                                                                         ) -> None:
    _folder(tmp_path, {"a.py": USES_PACKAGE + "\nNAME = 'consts.json'\n",
                       "mylib/__init__.py": "", "mylib/act.py": "SCALE = 1.0\n",
                       "consts.json": "{}", "other.txt": "not used"})
    first = submission_hash(Submission("a", str(tmp_path / "a.py")))
    (tmp_path / "other.txt").write_text("changed, and not used: the same hash")
    assert submission_hash(Submission("a", str(tmp_path / "a.py"))) == first
    (tmp_path / "mylib" / "act.py").write_text("SCALE = 2.0\n")
    second = submission_hash(Submission("a", str(tmp_path / "a.py")))
    assert second != first
    (tmp_path / "consts.json").write_text('{"x": 1}')
    assert submission_hash(Submission("a", str(tmp_path / "a.py"))) != second


def test_a_students_folder_is_identified_by_every_file_in_it(tmp_path: Path) -> None:
    folder = _folder(tmp_path / "ana", {"backprop.py": GOOD, "notes/readme.txt": "a"})
    sub = Submission("ana", str(folder / "backprop.py"), str(folder))
    first = submission_hash(sub)
    (folder / "notes" / "readme.txt").write_text("b")
    assert submission_hash(sub) != first


def test_identical_hand_ins_are_checked_once_listed_and_a_progress_line_per_check(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    _folder(tmp_path / "subs", {"ana.py": GOOD, "ben.py": GOOD, "cy.py": WRONG})
    checked: list[str] = []
    real = _grade.grade_target

    def counting(target: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
        checked.append(target)
        return real(target, *args, **kwargs)

    monkeypatch.setattr(_grade, "grade_target", counting)
    assert main(["grade", "subs", "--profile", "ci", "--steps", "T1.b", "--out", "out",
                 "-j", "1"]) == 1
    assert sorted(checked) == ["subs/ana.py", "subs/cy.py"]
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["identical"] == [["ana", "ben"]]
    captured = capsys.readouterr()
    assert "Identical hand-ins (checked once, the same marks): ana, ben" in captured.out
    # A progress line per finished check, with the time left while checks remain.
    lines = [line for line in captured.err.splitlines() if line.startswith("[")]
    assert [line.split(":")[0] for line in lines] == ["[1/2] ana, ben", "[2/2] cy"]
    assert lines[0].endswith(" left)") and "every step holds" in lines[0]
    assert "root cause T1.b" in lines[1] and "left" not in lines[1]


# --- 2. no vanishing submissions -------------------------------------------------------


def _class(root: Path) -> Path:
    """A class: a single file, a student's folder with a same-named helper, a notebook, a
    helper of the single files, a data file, a folder of nothing to grade."""
    _folder(root, {"ana.py": GOOD,
                   "rosa/backprop.py": "import utils\n\ndef bias_grad(delta):\n"
                                       "    return utils.total(delta)\n",
                   "rosa/utils.py": "def total(delta):\n    return delta.sum(axis=1)\n",
                   "_shared.py": "X = 1\n", "roster.csv": "name\n",
                   "empty/readme.md": "nothing\n"})
    (root / "kai.ipynb").write_text(_notebook([
        ("markdown", "# My backprop"), ("code", "!pip install numpy\n%matplotlib inline\n"
                                                "import numpy as np"),
        ("code", "def bias_grad(delta):\n    return -np.sum(delta, axis=1)\n")]))
    return root


def test_a_class_folder_stands_for_its_files_folders_and_notebooks(tmp_path: Path) -> None:
    root = _class(tmp_path / "subs")
    found, skipped = collect_submissions([str(root)])
    assert [(s.student, Path(s.target).relative_to(root).as_posix(), s.folder) for s in found] \
        == [("ana", "ana.py", None), ("kai", "kai.ipynb", None),
            ("rosa", "rosa/backprop.py", str(root / "rosa"))]
    assert {Path(s.path).name: s.reason for s in skipped} == {
        "_shared.py": "a helper (its name starts with '_'), imported by the submissions",
        "empty": "a folder with no .py or .ipynb file in it",
        "roster.csv": "not a submission: a .csv file, not .py or .ipynb"}


def test_naming_a_students_folder_grades_that_student(tmp_path: Path) -> None:
    root = _class(tmp_path / "subs")
    found, skipped = collect_submissions([str(root / "rosa")])
    assert found == [Submission("rosa", str(root / "rosa" / "backprop.py"), str(root / "rosa"))]
    assert skipped == []


def test_an_ambiguous_students_folder_gets_a_row_naming_the_candidates(tmp_path: Path
                                                                       ) -> None:
    _folder(tmp_path / "subs", {"ana.py": GOOD, "rosa/a.py": GOOD, "rosa/b.py": GOOD})
    found, _ = collect_submissions([str(tmp_path / "subs")])
    rosa = next(s for s in found if s.student == "rosa")
    assert rosa.problem is not None and "a.py, b.py" in rosa.problem
    [result] = [r for r in proofcheck.grade([rosa]) if r.student == "rosa"]
    assert result.exit_status == 2 and "a.py, b.py" in result.message
    assert "--entry" in result.message
    assert f"rosa could not be checked: the folder {str(tmp_path / 'subs' / 'rosa')!r}: its " \
           "entry file is ambiguous: a.py, b.py each define a function of the protocol; " \
           "name the entry with --entry" in render_summary([result])
    found, _ = collect_submissions([str(tmp_path / "subs")], entry="b.py")
    assert next(s for s in found if s.student == "rosa").target.endswith("b.py")


def test_a_notebooks_code_cells_run_without_shell_and_magic_lines(tmp_path: Path) -> None:
    path = _class(tmp_path / "subs") / "kai.ipynb"
    source, left_out = notebook_code(str(path))
    assert "def bias_grad" in source
    assert "!pip" not in source and "%matplotlib" not in source
    assert left_out == ["code cell 1, line 1: '!pip install numpy'",
                        "code cell 1, line 2: '%matplotlib inline'"]


def test_the_class_is_graded_with_every_entry_accounted_for(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """ana (a file, correct), kai (a notebook, wrong sign), rosa (a folder whose helper is
    utils.py, correct); the helper, the data file and the empty folder are named."""
    monkeypatch.chdir(tmp_path)
    _class(tmp_path / "subs")
    assert main(["grade", "subs", "--profile", "ci", "--steps", "T1.b", "--out", "out",
                 "-j", "2"]) == 1
    out = capsys.readouterr().out
    grades = (tmp_path / "out" / "grades.csv").read_text().splitlines()
    assert [line.split(",")[:2] for line in grades[1:]] == [
        ["ana", "subs/ana.py"], ["kai", "subs/kai.ipynb"], ["rosa", "subs/rosa/backprop.py"]]
    assert [line.split(",")[-2:] for line in grades[1:]] == [
        ["2", "every step holds"], ["2", "root cause T1.b"], ["2", "every step holds"]]
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert [s["path"] for s in summary["skipped"]] == [
        "subs/_shared.py", "subs/empty", "subs/roster.csv"]
    for line in ("skipped subs/_shared.py: a helper", "skipped subs/empty: a folder with no",
                 "skipped subs/roster.csv: not a submission"):
        assert line in out
    kai = next(s for s in summary["submissions"] if s["student"] == "kai")
    assert "!pip install numpy" in kai["notes"][0]


def test_a_notebook_named_on_its_own_is_graded(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    _class(tmp_path / "subs")
    [kai] = proofcheck.grade(["subs/kai.ipynb"], profile="ci", steps=STEPS, timeout=300)
    assert (kai.student, kai.exit_status, kai.root_cause) == ("kai", 1, "T1.b")


def test_a_folder_submission_opens_its_data_files_by_relative_paths(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    _folder(tmp_path / "rosa", {"backprop.py": USES_DATA, "consts.json": '{"scale": 1.0}'})
    [rosa] = proofcheck.grade(["rosa"], profile="ci", steps=STEPS, timeout=300)
    assert (rosa.student, rosa.exit_status) == ("rosa", 0), rosa.message
    assert sorted(p.name for p in (tmp_path / "rosa").iterdir()) == ["backprop.py",
                                                                     "consts.json"]


def test_a_single_files_missing_data_file_says_why(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    _folder(tmp_path / "subs", {"ana.py": USES_DATA, "consts.json": '{"scale": 1.0}'})
    [ana] = proofcheck.grade(["subs/ana.py"], profile="ci", steps=STEPS, timeout=300)
    assert ana.exit_status == 2 and "FileNotFoundError" in ana.message
    assert any("empty working folder" in note for note in ana.notes)


# --- 3. a regrade merges into the gradebook --------------------------------------------


def _csv(out: Path) -> list[list[str]]:
    return [line.split(",") for line in (out / "grades.csv").read_text().splitlines()]


def test_a_regrade_replaces_its_students_row_and_keeps_every_other(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    _folder(tmp_path / "subs", {"ana.py": GOOD, "ben.py": WRONG, "cy.py": WRONG + "# cy\n"})
    common = ["--profile", "ci", "--steps", "T1.b", "--out", "out", "-j", "2", "-q"]
    assert main(["grade", "subs", *common]) == 1
    before = _csv(tmp_path / "out")
    summary_before = json.loads((tmp_path / "out" / "summary.json").read_text())
    capsys.readouterr()
    (tmp_path / "subs" / "ben.py").write_text(GOOD + "# corrected\n")  # a late correction
    assert main(["grade", "subs/ben.py", *common]) == 0
    first_line = capsys.readouterr().out.splitlines()[0]
    assert first_line.startswith("Updating the gradebook in out/ (3 submissions)")
    after = _csv(tmp_path / "out")
    assert [row[0] for row in after] == ["student", "ana", "ben", "cy"]
    assert after[1] == before[1] and after[3] == before[3]
    assert (before[2][-1], after[2][-1]) == ("root cause T1.b", "every step holds")
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert [s["student"] for s in summary["submissions"]] == ["ana", "ben", "cy"]
    assert summary["submissions"][0] == summary_before["submissions"][0]
    results = json.loads((tmp_path / "out" / "results.json").read_text())
    assert results["extra_data"]["students"] == ["ana", "ben", "cy"]
    assert len(results["tests"]) == 3
    # --fresh starts over: the one submission graded, in Gradescope's one-submission form.
    assert main(["grade", "subs/ben.py", *common, "--fresh"]) == 0
    assert [row[0] for row in _csv(tmp_path / "out")] == ["student", "ben"]
    assert "tests" in json.loads((tmp_path / "out" / "results.json").read_text())
    assert json.loads((tmp_path / "out" / "results.json").read_text())["score"] == 2.0


def test_a_regrade_under_another_rubric_is_refused(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    _folder(tmp_path / "subs", {"ana.py": "this does not load\n"})
    assert main(["grade", "subs/ana.py", "--out", "out", "-q", "--steps", "T1.b"]) == 2
    (tmp_path / "rubric.toml").write_text('[points]\n"T1.b" = 5\n')
    capsys.readouterr()
    assert main(["grade", "subs/ana.py", "--out", "out", "--rubric", "rubric.toml"]) == 2
    err = capsys.readouterr().err
    assert "graded under another rubric" in err and "--fresh" in err


# --- 4. students cannot choose what they are tested on ---------------------------------


def test_a_declared_restriction_costs_what_the_rubric_requires_and_is_shown_everywhere(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    _folder(tmp_path / "subs", {"ana.py": GOOD,
                                "ben.py": 'supported_activations = {"identity"}\n\n' + GOOD})
    (tmp_path / "rubric.toml").write_text('[points]\n"T1.b" = 8\n[require]\n'
                                          'activations = "all"\n')
    assert main(["grade", "subs", "--rubric", "rubric.toml", "--profile", "ci", "--out",
                 "out", "-j", "2", "-q"]) == 0
    printed = capsys.readouterr().out
    assert "ben declares activations identity only" in printed
    out = tmp_path / "out"
    rows = _csv(out)
    assert rows[1][-3:] == ["8", "8", "every step holds"]
    assert rows[2][-3:] == ["1", "8", "every step holds; declares activations identity only"]
    summary = json.loads((out / "summary.json").read_text())
    assert summary["submissions"][1]["declared"] == {"activations": ["identity"]}
    results = json.loads((out / "subs_ben.py.results.json").read_text())
    assert results["score"] == 1.0 and "declares activations identity only" in \
        results["output"]
    feedback = (out / "subs_ben.py.feedback.md").read_text()
    assert "supported_activations = {'identity'}" in feedback
    assert "it earns 1/8 of each step's points" in feedback


# --- 6. the smaller things a teacher meets ---------------------------------------------


def test_a_change_to_the_callers_arrays_is_a_warning_not_a_penalty(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    _folder(tmp_path / "subs", {"ana.py": ("def bias_grad(delta):\n    db = delta.sum(axis=1)\n"
                                           "    delta[:] = 0.0\n    return db\n"),
                                "ben.py": GOOD})
    ana, ben = proofcheck.grade(["subs"], profile="ci", steps=STEPS, jobs=2, timeout=300,
                                out_dir="out")
    assert (ana.exit_status, ana.total) == (0, 2.0)
    assert ana.notes == ["bias_grad changes its argument delta in place: the caller's data "
                         "is not as it passed them after the call. Work on a copy (or build "
                         "new arrays) instead."]
    assert ben.notes == []
    assert "bias_grad changes its argument delta in place" in (
        tmp_path / "out" / "subs_ana.py.feedback.md").read_text()


def test_a_reordered_weights_list_and_an_overwritten_target_are_noticed() -> None:
    from proofcheck.grading._sandbox import _changes_in_place

    class Reverses(proofcheck.MatrixBackprop):
        def gradients(self, weights, biases, activations, cost, X, Y):  # type: ignore[no-untyped-def]
            result = super().gradients(weights, biases, activations, cost, X, Y)
            weights.reverse()
            Y[:] = 0.0
            return result

    assert _changes_in_place(proofcheck.MatrixBackprop()) == []
    [warning] = _changes_in_place(Reverses())
    assert warning.startswith("gradients changes its arguments weights, Y in place")


def test_with_entry_a_folder_holding_it_is_one_student_whatever_else_it_holds(
        tmp_path: Path) -> None:
    """Gradescope's upload folder: the entry file beside a helper folder of modules (a
    namespace package, no __init__.py) is one student, not a class."""
    folder = _folder(tmp_path / "submission", {"backprop.py": USES_PACKAGE,
                                               "mylib/act.py": "SCALE = 1.0\n"})
    found, skipped = collect_submissions([str(folder)], entry="backprop.py")
    assert found == [Submission("submission", str(folder / "backprop.py"), str(folder))]
    assert skipped == []


def test_a_gradebook_of_an_earlier_proofcheck_is_refused_not_overwritten(tmp_path: Path
                                                                         ) -> None:
    from proofcheck.grading._grade import gradebook_in
    from proofcheck.grading.rubric import DEFAULT_RUBRIC

    (tmp_path / "summary.json").write_text('[{"target": "subs/ana.py"}]')
    with pytest.raises(proofcheck.InputError, match=r"written by an earlier proofcheck.*--fresh"):
        gradebook_in(tmp_path, DEFAULT_RUBRIC)
    assert gradebook_in(tmp_path / "nothing-here", DEFAULT_RUBRIC) is None
