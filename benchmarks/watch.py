"""How long ``proofcheck watch`` takes from a save to the first verdict.

A student's module (``examples/course/submissions/alice.py``) is copied into a new
folder, ``proofcheck watch --impl`` starts on it (its default profile, ``watch``),
and the benchmark saves the file again and again, alternately with a wrong
``backward_delta`` (a factor 2: a mistake of the right shape) and with the right
one. For each save it measures the time from the write to the first row line
printed after it: the first verdict of a row that calls the changed function
(marked ``*``). The goal is 1 s (median). It also checks that the verdicts
alternate as they must (the broken save fails T1.step, the fixed one holds).

Usage::

    python benchmarks/watch.py [--saves 10] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STUDENT = ROOT / "examples" / "course" / "submissions" / "alice.py"
CORRECT = "dfz * (W_next.T @ delta_next)"
BROKEN = "dfz * (W_next.T @ delta_next) * 2"
GOAL = 1.0


def _reader(proc: subprocess.Popen[str]) -> queue.Queue[tuple[float, str]]:
    lines: queue.Queue[tuple[float, str]] = queue.Queue()

    def read() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.put((time.perf_counter(), line))

    threading.Thread(target=read, daemon=True).start()
    return lines


def _until(lines: queue.Queue[tuple[float, str]], test: str | Callable[[str], bool],
           seconds: float = 300) -> tuple[float, str, list[str]]:
    """The time and text of the first line that contains ``test`` (or passes it)."""
    seen = []
    deadline = time.monotonic() + seconds
    while True:
        at, line = lines.get(timeout=max(deadline - time.monotonic(), 0.01))
        seen.append(line)
        if test(line) if callable(test) else str(test) in line:
            return at, line, seen


def run(saves: int) -> dict[str, object]:
    folder = Path(tempfile.mkdtemp(prefix="proofcheck-watch-"))
    source = STUDENT.read_text()
    path = folder / "student.py"
    path.write_text(source)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(folder)])}
    proc = subprocess.Popen([sys.executable, "-m", "proofcheck", "watch", "--impl", "student"],
                            cwd=folder, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    lines = _reader(proc)
    times, verdicts = [], []
    try:
        start = time.perf_counter()
        _until(lines, "watching")
        first_pass = time.perf_counter() - start
        for i in range(saves):
            broken = i % 2 == 0
            time.sleep(0.5)  # a person between two saves
            written = time.perf_counter()
            path.write_text(source.replace(CORRECT, BROKEN) if broken else source)
            at, line, _ = _until(lines, lambda s: s.startswith("* "))
            times.append(at - written)
            _, _, seen = _until(lines, "rows hold")
            verdicts.append(any("T1.step" in s and "FAILS" in s for s in [line, *seen]))
            if verdicts[-1] != broken:
                raise SystemExit(f"save {i + 1}: expected T1.step to "
                                 f"{'fail' if broken else 'hold'}:\n{''.join(seen)}")
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
        shutil.rmtree(folder, ignore_errors=True)
    return {"saves": saves, "first_pass_s": round(first_pass, 2),
            "to_first_verdict_s": [round(t, 3) for t in times],
            "median_s": round(statistics.median(times), 3),
            "min_s": round(min(times), 3), "max_s": round(max(times), 3),
            "goal_s": GOAL, "exit_status": proc.returncode}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--saves", type=int, default=10)
    parser.add_argument("--json", metavar="FILE")
    args = parser.parse_args()
    result = run(args.saves)
    print(f"proofcheck watch: first check {result['first_pass_s']} s; save to first verdict "
          f"median {result['median_s']} s (range {result['min_s']}-{result['max_s']} s, "
          f"{args.saves} saves; goal {GOAL} s); exit status after Ctrl-C "
          f"{result['exit_status']}")
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
