"""Batch grading without verification runs: targets from folders, file names of the
reports, the summary table, and targets that cannot be loaded (exit status 2), run in
threads of this process. (tests/test_batch.py grades real submissions.)"""

from __future__ import annotations

import json
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from proofcheck import GradeResult, InputError, grade
from proofcheck.grading._grade import _file_name, expand_targets, grade_target, render_summary


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    for name in ("bob.py", "alice.py", "_helpers.py", "notes.txt"):
        (tmp_path / name).write_text("")
    (tmp_path / "inner").mkdir()
    (tmp_path / "inner" / "carol.py").write_text("")
    return tmp_path


# --- targets ---------------------------------------------------------------------------


def test_a_folder_stands_for_its_python_files_and_students_folders_sorted(folder: Path
                                                                          ) -> None:
    """The private helper and the text file are skipped (with the reason: see
    tests/test_grade_submissions.py); the student's folder ``inner`` is graded."""
    assert expand_targets([str(folder)]) == [str(folder / "alice.py"), str(folder / "bob.py"),
                                             str(folder / "inner" / "carol.py")]


def test_an_attribute_is_added_to_each_file_of_a_folder(folder: Path) -> None:
    assert expand_targets([str(folder)], "Backprop") == [
        f"{folder / 'alice.py'}:Backprop", f"{folder / 'bob.py'}:Backprop",
        f"{folder / 'inner' / 'carol.py'}:Backprop"]


def test_an_attribute_is_added_to_a_target_without_one() -> None:
    assert expand_targets(["pkg.mod", "file.py", "other:Impl"], "Backprop") == [
        "pkg.mod:Backprop", "file.py:Backprop", "other:Impl"]


def test_targets_that_are_not_folders_pass_through_in_order() -> None:
    assert expand_targets(["b.py", "a.mod:X", "c"]) == ["b.py", "a.mod:X", "c"]


def test_a_folder_without_python_files_is_an_input_error(tmp_path: Path) -> None:
    (tmp_path / "_private.py").write_text("")
    with pytest.raises(InputError, match=r"folder .* holds no submissions to grade"):
        expand_targets([str(tmp_path)])


def test_grade_needs_at_least_one_target() -> None:
    with pytest.raises(InputError, match="at least one target"):
        grade([])


# --- reports and the summary -----------------------------------------------------------


@pytest.mark.parametrize(("target", "name"), [
    ("pkg.mod:Impl", "pkg.mod_Impl.json"),
    ("sub/dir/file.py:X", "sub_dir_file.py_X.json"),
    ("/abs path/it's.py", "abs_path_it_s.py.json"),
])
def test_a_report_file_name_keeps_only_safe_characters(target: str, name: str) -> None:
    assert _file_name(target) == name


def _result(target: str, status: int, cause: str | None, holds: int, checked: int,
            message: str = "") -> GradeResult:
    total = {0: 20.0, 1: 17.0}.get(status)
    return GradeResult(target, status, cause, holds, checked, message, None, total=total,
                       max_score=20.0)


def test_the_summary_has_one_line_per_target_and_a_count() -> None:
    text = render_summary([
        _result("alice.py", 0, None, 12, 12),
        _result("bob.py", 1, "T2", 10, 12, "T2 fails"),
        _result("carol.py", 2, None, 0, 0, "could not import module 'x'\nmore detail"),
    ])
    lines = text.splitlines()
    assert lines[0].split() == ["target", "exit", "holds", "points", "root", "cause"]
    assert lines[2].split() == ["alice.py", "0", "12/12", "20/20", "-"]
    assert lines[3].split() == ["bob.py", "1", "10/12", "17/20", "T2"]
    # A target that could not be checked shows the first line of its error.
    assert lines[4].endswith("could not import module 'x'")
    assert lines[4].split()[3] == "-"
    assert lines[-1] == "1 of 3 targets hold every provided step."


def test_a_target_stopped_at_a_limit_shows_why_in_the_summary() -> None:
    stopped = _result("dan.py", 1, None, 0, 0)._replace(stopped="timed out after 60 s")
    assert render_summary([stopped]).splitlines()[2].endswith("timed out after 60 s")


def test_the_summary_columns_are_as_wide_as_the_longest_target() -> None:
    text = render_summary([_result("a" * 30 + ".py", 0, None, 1, 1),
                           _result("b.py", 0, None, 1, 1)])
    lines = text.splitlines()
    assert lines[2].index(" 0 ") == lines[3].index(" 0 ")


# --- targets that cannot be loaded -----------------------------------------------------


def test_a_target_that_cannot_be_loaded_has_exit_status_2(monkeypatch: pytest.MonkeyPatch
                                                          ) -> None:
    monkeypatch.setattr(sys, "path", list(sys.path))
    result = GradeResult(**grade_target("a_module_that_does_not_exist"))
    assert (result.exit_status, result.root_cause, result.holds, result.checked) == (2, None,
                                                                                       0, 0)
    assert "could not import module 'a_module_that_does_not_exist'" in result.message
    assert result.report is None


def test_grade_keeps_the_order_of_the_targets_and_writes_a_summary(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "path", list(sys.path))
    targets = ["no_such_module_b", "no_such_module_a", "proofcheck:no_such_function"]
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = grade(targets, executor=pool, out_dir=tmp_path / "out")
    assert [r.target for r in results] == targets
    assert all(r.exit_status == 2 for r in results)
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())["submissions"]
    assert [entry["target"] for entry in summary] == targets
    assert all("report" not in entry for entry in summary)
    # No report of a target that could not be checked; its grades, results and feedback.
    written = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert not [name for name in written if name.endswith(".json") and ".results" not in name
                and name not in ("summary.json", "results.json")]
    assert {"summary.json", "grades.csv", "results.json"} <= set(written)
    assert "no_such_module_b.results.json" in written
