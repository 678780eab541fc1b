"""Grading survives its class (proofcheck/grading/_sandbox.py): each submission in a process and
a working folder of its own, within a time and a memory limit. A submission that loops
forever, allocates without end, exits, kills its own process, prints megabytes, changes
the current directory or writes into the grader's folder gets its own verdict, and the
others are graded as if it were not there.

Each submission is a file of a few lines checked on one step (``T1.b``); how long
containment takes is measured in benchmarks/grade.py, not asserted here."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

import proofcheck
from proofcheck import GradeResult
from proofcheck.grading import _grade
from proofcheck.grading._grade import expand_targets, source_hash
from proofcheck.grading._sandbox import _read_results, default_timeout, run_contained
from proofcheck.grading._submissions import Submission

STEPS = ["T1.b"]

GOOD = "def bias_grad(delta):\n    return delta.sum(axis=1)\n"
WRONG = "def bias_grad(delta):\n    return -delta.sum(axis=1)\n"

#: Submissions that misbehave, and the verdict each must get (a prefix of ``stopped``).
MISBEHAVING = {
    "hungry": ("import numpy as np\nkept = []\nwhile True:\n"
               "    kept.append(np.ones(10**7))\n", "ran out of memory"),
    "exits": ("import sys\nsys.exit(3)\n", "exited with status 3"),
    "exits_in_a_call": ("import sys\n\ndef bias_grad(delta):\n    sys.exit(4)\n",
                        "exited with status 4"),
    "kills_itself": ("import os, signal\nos.kill(os.getpid(), signal.SIGKILL)\n",
                     "was killed by signal 9 (SIGKILL)"),
    "leaves_quietly": ("import os\nos._exit(0)\n", "exited with status 0"),
}
HANG = "import time\nwhile True:\n    time.sleep(0.01)\n"
#: Prints megabytes (at import and in every call) from another current directory: correct.
CHATTY = ("import os\nos.chdir(os.path.expanduser('~'))\nprint('x' * 3_000_000)\n\n"
          "def bias_grad(delta):\n    print('y' * 1000)\n    return delta.sum(axis=1)\n")


def _write(folder: Path, files: dict[str, str]) -> list[str]:
    folder.mkdir(parents=True, exist_ok=True)
    for name, source in files.items():
        (folder / f"{name}.py").write_text(source)
    return expand_targets([str(folder)])


def _by_name(results: list[GradeResult]) -> dict[str, GradeResult]:
    return {Path(r.target).stem: r for r in results}


def _rows(result: GradeResult) -> list[tuple[object, ...]]:
    assert result.report is not None
    return [(r["step"], r["mode"], r["status"], r["examples"], r["max_ratio"])
            for r in result.report["rows"]]


# --- each misbehaviour, on its own -----------------------------------------------------
#
# Each of MISBEHAVING gets its verdict in test_the_others_are_graded_as_if_the_misbehaving_
# ones_were_not_there below, graded beside the others (one process each, as alone): a test
# per submission would repeat those processes.


def test_a_submission_that_loops_forever_is_stopped_at_the_time_limit(tmp_path: Path) -> None:
    [target] = _write(tmp_path / "subs", {"hangs": HANG})
    [result] = proofcheck.grade([target], profile="ci", steps=STEPS, timeout=2)
    assert result.stopped == "timed out after 2 s"
    assert result.message == "timed out after 2 s while it was imported, before its check began."


def test_rows_finished_before_a_stop_keep_their_verdicts(tmp_path: Path) -> None:
    """bias_grad holds in its isolated row; gradients then exits: T1.b's rows are kept."""
    [target] = _write(tmp_path / "subs", {"late_exit": GOOD + (
        "\n\ndef gradients(weights, biases, activations, cost, X, Y):\n"
        "    raise SystemExit(5)\n")})
    [result] = proofcheck.grade([target], profile="ci", steps=["T1.b", "T1.grad"], timeout=120)
    assert result.stopped == "exited with status 5"
    assert [(r[0], r[1], r[2]) for r in _rows(result)] == [
        ("T1.b", "exact", "holds"), ("T1.b", "isolated", "holds"),
        ("T1.b", "end-to-end", "not provided")]
    assert result.unfinished == ["T1.grad/end-to-end"]
    assert "while checking T1.grad end-to-end; 3 of 4 rows finished before" in result.message


# --- the others are graded as if it were not there -------------------------------------


def _tamper(out: Path) -> str:
    """A submission that writes into the grader's output folder and its own folder."""
    return (f"import os, pathlib\nout = pathlib.Path({str(out)!r})\nout.mkdir(exist_ok=True)\n"
            "(out / 'grades.csv').write_text('forged')\n"
            "(out / 'summary.json').write_text('forged')\n"
            "for name in ('subs_alice.py.json', 'subs_bob.py.json'):\n"
            "    (out / name).write_text('forged')\n"
            "os.chdir('/')\n" + GOOD)


def test_the_others_are_graded_as_if_the_misbehaving_ones_were_not_there(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "out"
    class_ = {"alice": GOOD, "bob": WRONG}
    alone = _by_name(proofcheck.grade(_write(Path("subs"), class_), profile="ci",
                                      steps=STEPS, jobs=2, timeout=300))
    crowd = {**class_, "tamper": _tamper(out), "chatty": CHATTY,
             **{name: source for name, (source, _) in MISBEHAVING.items()}}
    together = _by_name(proofcheck.grade(_write(Path("subs"), crowd), profile="ci",
                                         steps=STEPS, jobs=2, timeout=300, memory=1000,
                                         out_dir="out"))
    for name in class_:
        assert together[name]._replace(seconds=0, report=None) == \
            alone[name]._replace(seconds=0, report=None)  # the same source hash too
        assert _rows(together[name]) == _rows(alone[name])
    assert (together["alice"].exit_status, together["bob"].root_cause) == (0, "T1.b")
    for name, (_, verdict) in MISBEHAVING.items():
        result = together[name]
        assert result.stopped is not None and result.stopped.startswith(verdict), result
        assert result.exit_status == 1
        assert result.message.startswith(result.stopped)
    # Printing megabytes and changing folder do not change a verdict; the output is kept
    # in part.
    chatty = together["chatty"]
    assert (chatty.exit_status, chatty.stopped, _rows(chatty)) == (0, None, _rows(alone["alice"]))
    assert chatty.output_bytes > 3_000_000
    assert chatty.output.startswith("xxx") and len(chatty.output) == 16_384
    # The reports are the grader's, written after every submission's process ended.
    assert json.loads((out / "subs_alice.py.json").read_text())["ok"] is True
    assert json.loads((out / "subs_bob.py.json").read_text())["diagnosis"][
        "root_cause"] == "T1.b"
    assert [s["target"] for s in json.loads((out / "summary.json").read_text())[
        "submissions"]] == sorted(f"subs/{name}.py" for name in crowd)
    assert Path.cwd() == tmp_path


@pytest.mark.batch
def test_a_hanging_submission_does_not_hold_up_the_others(tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch
                                                          ) -> None:
    monkeypatch.chdir(tmp_path)
    targets = _write(Path("subs"), {"alice": GOOD, "bob": WRONG, "hangs": HANG})
    results = _by_name(proofcheck.grade(targets, profile="ci", steps=STEPS, jobs=2,
                                        timeout=60))
    assert results["hangs"].stopped == "timed out after 60 s"
    assert (results["alice"].exit_status, results["bob"].root_cause) == (0, "T1.b")


# --- submissions with helpers of the same name, graded by one pool slot ----------------


def test_one_pool_slot_gives_each_submission_its_own_helper(tmp_path: Path) -> None:
    """alice's utils scales by 1 (correct), bob's by 2 (wrong); one slot grades both."""
    targets = []
    for who, scale in (("alice", 1.0), ("bob", 2.0)):
        folder = tmp_path / who
        folder.mkdir()
        (folder / "utils.py").write_text(f"SCALE = {scale}\n")
        (folder / "solution.py").write_text(
            "import utils\n\ndef bias_grad(delta):\n    return utils.SCALE * delta.sum(axis=1)\n")
        targets.append(str(folder / "solution.py"))
    alice, bob = proofcheck.grade(targets, profile="ci", steps=STEPS, jobs=1, timeout=300)
    assert (alice.exit_status, bob.exit_status, bob.root_cause) == (0, 1, "T1.b")


# --- identical sources are checked once ------------------------------------------------


def test_identical_submissions_are_checked_once(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    targets = _write(tmp_path / "subs", {"alice": MISBEHAVING["exits"][0],
                                         "bob": MISBEHAVING["exits"][0],
                                         "carol": MISBEHAVING["exits"][0] + "# mine\n"})
    checked: list[str] = []
    real = _grade.grade_target

    def counting(target: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
        checked.append(target)
        return real(target, *args, **kwargs)

    monkeypatch.setattr(_grade, "grade_target", counting)
    alice, bob, carol = proofcheck.grade(targets, profile="ci", steps=STEPS, jobs=1)
    assert alice.source_hash == bob.source_hash != carol.source_hash
    # One check for alice and bob (the same run, named for each target), one for carol.
    # (Comparing the runs' wall times instead was flaky: two runs can take the same ms.)
    assert sorted(checked) == sorted([targets[0], targets[2]])
    assert (alice.seconds, alice.target, bob.target) == (bob.seconds, targets[0], targets[1])


def test_the_source_hash_covers_the_attribute_and_the_helpers_imported(tmp_path: Path
                                                                        ) -> None:
    (tmp_path / "a.py").write_text("from _helpers import X\n" + GOOD)
    (tmp_path / "_helpers.py").write_text("import utils\nX = 1\n")
    (tmp_path / "utils.py").write_text("Y = 1\n")
    first = source_hash(str(tmp_path / "a.py"))
    assert source_hash(str(tmp_path / "a.py:Impl")) != first
    (tmp_path / "b.py").write_text("another submission\n")  # not imported: no change
    assert source_hash(str(tmp_path / "a.py")) == first
    (tmp_path / "utils.py").write_text("Y = 2\n")  # imported by the helper
    assert source_hash(str(tmp_path / "a.py")) != first
    assert source_hash("pkg.mod:Impl") == "module:pkg.mod:Impl"


# --- limits: defaults and bad values ---------------------------------------------------


def test_the_default_time_limit_is_five_seconds_per_example() -> None:
    assert (default_timeout("ci"), default_timeout("dev"), default_timeout("thorough")) == (
        300.0, 500.0, 5000.0)


@pytest.mark.parametrize(("option", "value", "message"), [
    ("timeout", 0, "timeout is 0; expected a positive number of seconds"),
    ("timeout", -1.5, "timeout is -1.5; expected a positive number of seconds"),
    ("memory", 0, "memory is 0; expected a positive number of megabytes"),
    ("memory", "a lot", "memory is 'a lot'; expected a positive number of megabytes"),
])
def test_a_limit_that_is_not_positive_is_an_input_error(option: str, value: object,
                                                        message: str) -> None:
    with pytest.raises(proofcheck.InputError, match=message):
        proofcheck.grade(["x.py"], **{option: value})  # type: ignore[arg-type]


def test_an_output_folder_whose_parent_is_missing_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(proofcheck.InputError,
                       match=r"the output folder .* cannot be made: its parent .* is not a "
                             "folder"):
        proofcheck.grade(["x.py"], out_dir=tmp_path / "missing" / "out")


def test_a_results_line_cut_short_by_a_kill_is_left_out(tmp_path: Path) -> None:
    path = tmp_path / "results.jsonl"
    path.write_text('{"kind": "plan", "rows": []}\n{"kind": "row", "ro')
    assert _read_results(path) == [{"kind": "plan", "rows": []}]


def test_the_working_folder_is_fresh_and_removed(tmp_path: Path) -> None:
    (tmp_path / "where.py").write_text(
        "import os, sys\nprint(os.getcwd(), os.listdir('.'))\nsys.stdout.flush()\nos._exit(0)\n")
    run = run_contained(str(tmp_path / "where.py"), profile="ci", steps=["T1.b"],
                        cwd=os.getcwd(), timeout=120, memory=2048)
    folder, listing = run.output.split(" ", 1)
    assert listing.startswith("[]") and folder != os.getcwd()
    assert not os.path.exists(folder)


def _signal_state() -> str:
    """SIGINT's handler here and this thread's blocked and ignored signals, for a failure
    message: a test worker's state is inherited by what it starts."""
    import signal

    status = Path("/proc/thread-self/status")
    masks = ""
    if status.is_file():
        fields = dict(line.split(":\t", 1) for line in status.read_text().splitlines()
                      if ":\t" in line)
        masks = f", SigBlk {fields.get('SigBlk', '?').strip()}, " \
                f"SigIgn {fields.get('SigIgn', '?').strip()}"
    return f"SIGINT handler {signal.getsignal(signal.SIGINT)!r}{masks}"


#: Starts a command as a shell does: no signal blocked, SIGINT's default action (a process
#: inherits both from the one that started it, here a test worker), then runs the command
#: in the same process. (Not a ``preexec_fn``: Python code between fork and exec in a
#: process with JAX's threads may deadlock.)
AS_FROM_A_TERMINAL = ("import os, signal, sys; signal.pthread_sigmask(signal.SIG_SETMASK, []); "
                      "signal.signal(signal.SIGINT, signal.SIG_DFL); "
                      "os.execv(sys.executable, [sys.executable, *sys.argv[1:]])")


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads /proc")
def test_an_interrupted_grader_takes_the_submissions_processes_with_it(tmp_path: Path) -> None:
    import signal
    import subprocess
    import sys
    import time

    # The submission says which process it is: forked from the grader's fork server, its
    # command line is the server's, not its own.
    pid_file = tmp_path / "pid"
    [target] = _write(tmp_path / "subs", {"hangs": (
        f"import os, pathlib\npathlib.Path({str(pid_file)!r}).write_text(str(os.getpid()))\n"
        + HANG)})
    grader = subprocess.Popen([sys.executable, "-c", AS_FROM_A_TERMINAL, "-m", "proofcheck",
                               "grade", target, "--timeout", "300", "--out",
                               str(tmp_path / "out")],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while not pid_file.is_file() or not pid_file.read_text():
        assert time.monotonic() < deadline, "the submission's process did not start"
        time.sleep(0.1)
    submission = int(pid_file.read_text())
    # Every process the grader started (the fork server where there is one) must end too.
    started = _children(grader.pid)
    grader.send_signal(signal.SIGINT)
    try:
        grader.wait(timeout=60)
    except subprocess.TimeoutExpired:
        grader.kill()
        pytest.fail(f"the grader ignored SIGINT for 60 s (test worker: {_signal_state()})")
    deadline = time.monotonic() + 10
    while [p for p in [submission, *started] if _running(p)]:
        assert time.monotonic() < deadline, \
            f"left running: {[p for p in [submission, *started] if _running(p)]}"
        time.sleep(0.1)


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(c) for c in (task / "children").read_text().split()]
    return found


def _running(pid: int) -> bool:
    """Whether ``pid`` is a process that has not ended (a zombie has ended)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_a_submission_whose_grader_died_ends_itself_after_its_time_limit(tmp_path: Path
                                                                         ) -> None:
    """The contained process, started with no grader watching it, ends by its own alarm."""
    import subprocess
    import sys
    import time

    from proofcheck.grading._sandbox import _ENTRY, ALARM_MARGIN

    (tmp_path / "hangs.py").write_text(HANG)
    request = {"target": str(tmp_path / "hangs.py"), "name": "hangs.py", "timeout": 1,
               "profile": "ci", "steps": ["T1.b"], "cwd": str(tmp_path),
               "results": str(tmp_path / "results.jsonl")}
    start = time.monotonic()
    done = subprocess.run([sys.executable, "-c", _ENTRY, json.dumps(request)], cwd=tmp_path,
                          capture_output=True, timeout=120)
    assert done.returncode == -14  # SIGALRM
    assert time.monotonic() - start >= 1 + ALARM_MARGIN


def test_a_process_started_after_an_interrupt_is_killed_at_once(tmp_path: Path) -> None:
    """The race behind an interrupted grader that hung: its thread was inside Popen when
    stop_all() ran, so the new process was not yet watched and was not killed. A process
    started after stop_all() is killed as soon as it is known, until start_again()."""
    import time

    from proofcheck.grading._sandbox import start_again, stop_all

    (tmp_path / "hangs.py").write_text(HANG)
    stop_all()
    try:
        start = time.monotonic()
        run = run_contained(str(tmp_path / "hangs.py"), profile="ci", steps=["T1.b"],
                            cwd=str(tmp_path), timeout=300, memory=2000)
        assert time.monotonic() - start < 60
        assert run.stopped == "was killed by signal 9 (SIGKILL)"
    finally:
        start_again()


def test_a_ctrl_c_delivered_to_another_thread_still_interrupts_the_grader() -> None:
    """The operating system may hand a process's SIGINT to any of its threads; Python
    then only notes it for the main thread. A grader blocked in an untimed wait for its
    checks never woke up (an interrupted ``proofcheck grade`` waited out its
    submission's whole time limit). Here the signal goes to a helper thread while the
    grader waits for a check that does not end; it must raise KeyboardInterrupt."""
    import signal
    import threading
    import time
    from concurrent.futures import Future

    if threading.current_thread() is not threading.main_thread():
        pytest.skip("Python raises KeyboardInterrupt in the main thread only")
    never: Future[dict[str, Any]] = Future()

    class Pending:  # an executor whose checks do not end
        def submit(self, *args: Any, **kwargs: Any) -> Future[dict[str, Any]]:
            return never

    state = _signal_state()

    def interrupt_from_here() -> None:
        # As at a terminal: SIGINT not blocked in the thread it is handed to (a thread
        # inherits its starter's mask, here a test worker's).
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
        time.sleep(0.3)
        signal.pthread_kill(threading.get_ident(), signal.SIGINT)
        time.sleep(10)  # the old untimed wait: let the test end (and fail) after this
        never.set_exception(RuntimeError(f"the grader was not interrupted ({state})"))

    helper = threading.Thread(target=interrupt_from_here, daemon=True)
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)  # Python's own
    try:
        start = time.monotonic()
        helper.start()
        with pytest.raises(KeyboardInterrupt):
            checks = _grade._Checks({"h": Submission("t", "target.py")},
                                    {"h": [Submission("t", "target.py")]}, "ci", STEPS, ".",
                                    1.0, 100.0, None)
            checks.run(Pending(), own_pool=False)  # type: ignore[arg-type]
        assert time.monotonic() - start < 5
    finally:
        signal.signal(signal.SIGINT, previous)


def test_a_row_sent_again_replaces_the_first_in_its_place() -> None:
    """``verify`` runs a T1 row again on T2 isolated's example with N = 1 and sends it again."""
    import io

    from proofcheck.grading._sandbox import _contained, _OutputReader

    first = {"step": "T1.step", "mode": "isolated", "layer": None, "status": "holds"}
    other = {"step": "T2", "mode": "isolated", "layer": None, "status": "fails"}
    again = {**first, "status": "fails"}
    messages = [{"kind": "plan", "rows": []}, {"kind": "row", "row": first},
                {"kind": "row", "row": other}, {"kind": "row", "row": again}, {"kind": "done"}]
    contained = _contained(messages, None, 0, _OutputReader(io.BytesIO(b"")), 0.0)
    assert contained.rows == [again, other]

