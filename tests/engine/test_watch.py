"""``proofcheck watch``: a save that breaks a function, a save that fixes it, Ctrl-C."""

from __future__ import annotations

import io
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from proofcheck.cli import main
from proofcheck.engine._watch import watch

ROOT = Path(__file__).resolve().parents[2]
STUDENT = (ROOT / "examples" / "course" / "submissions" / "alice.py").read_text()
CORRECT = "dfz * (W_next.T @ delta_next)"
BROKEN = "dfz * (W_next.T @ delta_next) * 2"  # a wrong T1.step of the right shape


def _student(folder: Path, monkeypatch: pytest.MonkeyPatch, name: str) -> Path:
    assert CORRECT in STUDENT
    path = folder / f"{name}.py"
    path.write_text(STUDENT)
    monkeypatch.chdir(folder)
    monkeypatch.syspath_prepend(str(folder))
    return path


def test_a_save_that_breaks_then_a_save_that_fixes(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    path = _student(tmp_path, monkeypatch, "watched_student")
    out = io.StringIO()
    seen: list[str] = []

    def saves() -> Iterator[set[str]]:
        seen.append(out.getvalue())
        path.write_text(STUDENT.replace(CORRECT, BROKEN))
        yield {str(path)}
        seen.append(out.getvalue())
        path.write_text(STUDENT)
        yield {str(path)}

    assert watch("watched_student", steps=["T1.step", "T1.W"], stream=out, saves=saves()) == 0
    first, broken, fixed = seen[0], seen[1][len(seen[0]):], out.getvalue()[len(seen[1]):]
    assert "Diagnosis: every provided step holds." in first
    assert "watching watched_student.py" in first
    # The rows that call backward_delta run first (marked *), and T1.step fails in isolation.
    assert "changed: backward_delta" in broken
    lines = [line for line in broken.splitlines() if line.startswith(("*", "  T1"))]
    assert lines[0].startswith("* T1.step")
    assert any(line.startswith("* T1.step  isolated") and "FAILS" in line for line in lines)
    assert "Diagnosis: T1.step fails in isolation" in broken
    assert "changed: backward_delta" in fixed and "FAILS" not in fixed
    assert "Diagnosis: every provided step holds." in fixed


def test_a_layer_type_s_changed_method_runs_its_rows_first(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    source = (ROOT / "examples" / "bilinear_layer.py").read_text()
    right = "U.T @ (Q * delta) + V.T @ (P * delta)"
    assert right in source
    path = tmp_path / "watched_layer.py"
    path.write_text(source)
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    out = io.StringIO()

    def saves() -> Iterator[set[str]]:
        path.write_text(source.replace(right, "U.T @ (Q * delta) + V.T @ (Q * delta)"))
        yield {str(path)}

    assert watch("watched_layer:Bilinear", layer=True, steps=["G.step", "G.param"],
                 stream=out, saves=saves()) == 0
    after = out.getvalue().split("saved watched_layer.py")[1]
    assert "changed: input_product" in after
    first = [line for line in after.splitlines() if line.startswith("* ")]
    assert first and all(line.split()[1] == "G.step" for line in first)
    assert "Diagnosis: G.step lemma (Bilinear) fails in isolation" in after


@pytest.mark.parametrize("as_file", [False, True], ids=["module", "file"])
def test_a_saved_helper_module_is_imported_again_before_the_target(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, as_file: bool) -> None:
    # The student's backward_delta comes from a helper module of the same folder.
    suffix = "_f" if as_file else "_m"
    helper = tmp_path / f"watched_helpers{suffix}.py"
    helper.write_text("def step(W_next, delta_next, dfz):\n    return " + CORRECT + "\n")
    _student(tmp_path, monkeypatch, f"watched_main{suffix}")
    main_file = tmp_path / f"watched_main{suffix}.py"
    main_file.write_text(STUDENT.split("def backward_delta")[0]
                         + f"from watched_helpers{suffix} import step as backward_delta\n\n\n"
                         + "def weight_grad" + STUDENT.split("def weight_grad")[1])
    out = io.StringIO()

    def saves() -> Iterator[set[str]]:
        helper.write_text(helper.read_text().replace(CORRECT, BROKEN))
        yield {str(helper)}

    spec = main_file.name if as_file else main_file.stem
    assert watch(spec, steps=["T1.step"], stream=out, saves=saves()) == 0
    first, after = out.getvalue().split(f"saved {helper.name}")
    assert helper.name in first.strip().splitlines()[-1]  # it is watched too
    assert "changed: backward_delta" in after
    assert "Diagnosis: T1.step fails in isolation" in after


def test_a_save_that_does_not_import_is_reported_and_watching_goes_on(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _student(tmp_path, monkeypatch, "watched_typo")
    out = io.StringIO()

    def saves() -> Iterator[set[str]]:
        path.write_text(STUDENT.replace("def bias_grad(delta):", "def bias_grad(delta)"))
        yield {str(path)}
        path.write_text(STUDENT)
        yield {str(path)}

    assert watch("watched_typo", steps=["T1.b"], stream=out, saves=saves()) == 0
    text = out.getvalue()
    _, fixed = text.split("cannot check it yet")
    assert "SyntaxError" in fixed.splitlines()[0]
    assert "Diagnosis: every provided step holds." in fixed


def test_a_target_that_cannot_be_checked_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["watch", "--impl", "no_such_module_here:X"]) == 2
    assert "could not import module 'no_such_module_here'" in capsys.readouterr().err


def test_watch_names_its_default_profile_in_help(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["watch", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "default: watch, 10 derandomized examples a row" in text


@pytest.mark.slow  # a process of its own: JAX's import, a real file watcher
def test_the_command_sees_a_real_save_and_ctrl_c_leaves_nothing(tmp_path: Path) -> None:
    path = tmp_path / "saved_student.py"
    path.write_text(STUDENT)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(tmp_path)])}
    proc = subprocess.Popen(
        [sys.executable, "-m", "proofcheck", "watch", "--impl", "saved_student",
         "--steps", "T1.step"], cwd=tmp_path, env=env, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True)
    out = _lines(proc)
    try:
        seen = _until(out, "watching")
        path.write_text(STUDENT.replace(CORRECT, BROKEN))
        seen = _until(out, "Diagnosis:")
        assert any("T1.step" in line and "FAILS" in line for line in seen)
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    rest = "".join(_until(out, "stopped", seconds=5))
    assert proc.returncode == 0, rest
    assert "Traceback" not in rest


def _until(lines: queue.Queue[str], text: str, seconds: float = 120) -> list[str]:
    """The process's lines up to the first that contains ``text`` (within ``seconds``)."""
    seen: list[str] = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=max(deadline - time.monotonic(), 0))
        except queue.Empty:
            break
        seen.append(line)
        if text in line:
            return seen
    raise AssertionError(f"no line with {text!r} within {seconds} s in:\n{''.join(seen)}")


def _lines(proc: subprocess.Popen[str]) -> queue.Queue[str]:
    """The process's output lines, read by a thread (a read that waits cannot time out)."""
    out: queue.Queue[str] = queue.Queue()

    def read() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            out.put(line)

    threading.Thread(target=read, daemon=True).start()
    return out
