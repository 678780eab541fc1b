"""The sample course (examples/course/): graded by the one command its README documents into
grades.csv, results.json and one feedback file per student, with the points of
examples/course/expected-grades.csv."""

from __future__ import annotations

import csv
import json
import re
import shlex
from pathlib import Path

import pytest

from proofcheck.cli import main

ROOT = Path(__file__).resolve().parents[2]
COURSE = ROOT / "examples" / "course"


def _expected() -> list[dict[str, str]]:
    with (COURSE / "expected-grades.csv").open() as f:
        return list(csv.DictReader(f))


def _grades(out: Path) -> list[dict[str, str]]:
    with (out / "grades.csv").open() as f:
        return list(csv.DictReader(f))


def _documented_command() -> list[str]:
    """The command of the course's README, as its arguments after ``proofcheck``."""
    text = (COURSE / "README.md").read_text()
    block = re.search(r"```console\n(.*?)```", text, re.S)
    assert block is not None
    words = shlex.split(block.group(1).replace("\\\n", " "))
    assert words[0] == "proofcheck"
    return words[1:]


def test_the_readme_documents_one_command_into_a_folder() -> None:
    args = _documented_command()
    assert args[:2] == ["grade", "examples/course/submissions"]
    assert args[args.index("--out") + 1] == "course-grades"


def test_a_part_of_the_course_gets_its_expected_points(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """Four submissions (correct, the missing transpose, the batch mean, one that does not
    load) on two steps: the points of those steps in expected-grades.csv."""
    monkeypatch.chdir(ROOT)
    names = ["alice", "erin", "frank", "oscar"]
    steps = ["T1.step", "T2"]
    status = main(["grade", *(f"examples/course/submissions/{n}.py" for n in names),
                   "--rubric", "examples/course/rubric.toml", "--profile", "ci",
                   "--steps", ",".join(steps), "--timeout", "300", "--out",
                   str(tmp_path / "out")])
    assert status == 2, capsys.readouterr()
    expected = {row["submission"]: row for row in _expected()}
    got = _grades(tmp_path / "out")
    assert [row["submission"] for row in got] == [
        f"examples/course/submissions/{n}.py" for n in names]
    for row in got:
        want = expected[row["submission"]]
        assert {s: row[s] for s in steps} == {s: want[s] for s in steps}, row
        assert row["verdict"] == want["verdict"]


#: The entries of the course's folder that are not submissions, and why.
SKIPPED = [
    ("examples/course/submissions/_dave_linalg.py",
     "a helper (its name starts with '_'), imported by the submissions"),
    ("examples/course/submissions/roster.txt",
     "not a submission: a .txt file, not .py or .ipynb"),
]


def test_a_regrade_of_one_student_keeps_every_other_row(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """Part of the course (a file, and the two students' folders whose entry files are the
    same and whose utils.py differ) on one step, then one of them regraded into it."""
    monkeypatch.chdir(ROOT)
    out = str(tmp_path / "out")
    common = ["--rubric", "examples/course/rubric.toml", "--profile", "ci", "--steps",
              "T1.step", "--out", out, "-q"]
    folders = [f"examples/course/submissions/{n}" for n in ("rosa", "tomas")]
    assert main(["grade", "examples/course/submissions/erin.py", *folders, *common]) == 1
    before = _grades(tmp_path / "out")
    expected = {row["student"]: row for row in _expected()}
    assert [row["student"] for row in before] == ["erin", "rosa", "tomas"]
    for row in before:
        assert (row["T1.step"], row["verdict"]) == (expected[row["student"]]["T1.step"],
                                                    expected[row["student"]]["verdict"])
    capsys.readouterr()
    assert main(["grade", "examples/course/submissions/rosa", *common]) == 0
    assert capsys.readouterr().out.startswith("Updating the gradebook in ")
    assert _grades(tmp_path / "out") == before


@pytest.mark.batch
def test_the_course_is_graded_by_its_documented_command(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(ROOT)
    args = _documented_command()
    args[args.index("--out") + 1] = str(tmp_path / "course-grades")
    assert main(args) == 2  # oscar.py does not load
    out = tmp_path / "course-grades"
    assert _grades(out) == _expected()
    summary = json.loads((out / "summary.json").read_text())
    assert summary["identical"] == [["alice", "peggy"]]
    assert [(s["path"], s["reason"]) for s in summary["skipped"]] == SKIPPED
    printed = capsys.readouterr().out
    for path, reason in SKIPPED:
        assert f"skipped {path}: {reason}" in printed
    assert "Identical hand-ins (checked once, the same marks): alice, peggy" in printed
    assert "nina declares activations identity, tanh only" in printed
    results = json.loads((out / "results.json").read_text())
    assert len(results["tests"]) == len(_expected()) * 7
    for row in _expected():
        stem = row["submission"].replace("/", "_")
        assert (out / f"{stem}.feedback.md").read_text().startswith(
            f"# Feedback: {row['submission']}\n")
        assert (out / f"{stem}.feedback.html").exists()
        assert json.loads((out / f"{stem}.results.json").read_text())["score"] == \
            float(row["total"])
    # A regrade of one student into the graded course leaves every other row as it was.
    assert main([*args[:1], "examples/course/submissions/tomas", *args[2:]]) == 1
    assert _grades(out) == _expected()
