"""The commands a user runs on every save, timed cold and warm.

Each row of the speed table in ``benchmarks/RESULTS.md`` is one command, run
as a user runs it, in a fresh process:

* **cold**: the first run on a machine: a new, empty compilation-cache folder
  (``PROOFCHECK_CACHE_DIR``) and a new working folder (so no Hypothesis example
  database either);
* **warm**: the same command again, right after, with the same two folders.

Each is repeated (three times by default, each repetition with new folders)
and reported as the median with the range. The test-suite row runs
``python -m pytest -n auto`` without the ``CI`` variable (the ``dev`` profile,
as the README's command runs for a user); it takes minutes, so it runs only
with ``--suite``. The working folder is a new empty folder with the repository
on ``PYTHONPATH`` (``examples.bilinear_layer``, the two framework layers
``examples.elementwise_rule`` and ``examples.attention_rule``, and ``tests.mutants``
import from there), except for the test-suite, which runs in a fresh copy of the
repository's tracked files.

Usage::

    python benchmarks/commands.py [--repeats 3] [--suite] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Command:
    """One row of the table: what is run, and the goals (seconds) cold and warm."""

    name: str
    argv: tuple[str, ...]
    goal_cold: float | None
    goal_warm: float | None
    suite: bool = False


PROOFCHECK = (sys.executable, "-m", "proofcheck")
COMMANDS = (
    Command("proofcheck verify", (*PROOFCHECK, "verify", "-q"), 30.0, 10.0),
    Command("proofcheck verify --profile ci", (*PROOFCHECK, "verify", "--profile", "ci", "-q"),
            15.0, 5.0),
    Command("proofcheck verify --layer examples.bilinear_layer:Bilinear --profile ci",
            (*PROOFCHECK, "verify", "--layer", "examples.bilinear_layer:Bilinear",
             "--profile", "ci", "-q"), 15.0, 5.0),
    # A framework layer (``from_jax``) with a hand-written rule: an elementwise one, and an
    # attention-sized one (self-attention over 4 positions of width 2, three parameters).
    Command("proofcheck verify --layer examples.elementwise_rule:Layer --profile ci",
            (*PROOFCHECK, "verify", "--layer", "examples.elementwise_rule:Layer",
             "--profile", "ci", "-q"), None, 15.0),
    Command("proofcheck verify --layer examples.attention_rule:Layer --profile ci",
            (*PROOFCHECK, "verify", "--layer", "examples.attention_rule:Layer",
             "--profile", "ci", "-q"), None, 30.0),
    Command("proofcheck verify --impl tests.mutants:missing_transpose --steps T1.step",
            (*PROOFCHECK, "verify", "--impl", "tests.mutants:missing_transpose",
             "--steps", "T1.step", "-q"), None, 1.0),
    Command("python -m pytest -n auto (dev profile)",
            (sys.executable, "-m", "pytest", "-n", "auto", "-q", "-p", "no:cacheprovider"),
            None, 90.0, suite=True),
)
#: What each command must exit with (the mutant is found: 1).
EXPECTED_EXIT = {"proofcheck verify --impl tests.mutants:missing_transpose --steps T1.step": 1}


def _copy_tracked(dest: Path) -> None:
    files = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True,
                           check=True).stdout.split()
    for name in files:
        target = dest / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, target)


def _run(command: Command, cwd: Path, cache: Path) -> float:
    env = {k: v for k, v in os.environ.items() if k not in ("CI", "PROOFCHECK_CACHE")}
    env["PROOFCHECK_CACHE_DIR"] = str(cache)
    if not command.suite:
        env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]).rstrip(
            os.pathsep)
    t0 = time.perf_counter()
    done = subprocess.run(command.argv, cwd=cwd, env=env, capture_output=True, text=True,
                          check=False)
    wall = time.perf_counter() - t0
    expected = EXPECTED_EXIT.get(command.name, 0)
    if done.returncode != expected:
        raise RuntimeError(f"{command.name} exited {done.returncode}, expected {expected}:\n"
                           f"{(done.stdout + done.stderr)[-3000:]}")
    return wall


def _summary(samples: list[float]) -> dict[str, Any]:
    return {"median_s": statistics.median(samples), "min_s": min(samples),
            "max_s": max(samples), "samples_s": samples}


def measure(command: Command, repeats: int) -> dict[str, Any]:
    """``repeats`` pairs of a cold and a warm run, each pair in new folders."""
    cold: list[float] = []
    warm: list[float] = []
    for _ in range(repeats):
        with tempfile.TemporaryDirectory() as tmp:
            cwd, cache = Path(tmp) / "work", Path(tmp) / "cache"
            cwd.mkdir()
            if command.suite:
                _copy_tracked(cwd)
            cold.append(_run(command, cwd, cache))
            warm.append(_run(command, cwd, cache))
    return {"command": command.name, "cold": _summary(cold), "warm": _summary(warm),
            "goal_cold_s": command.goal_cold, "goal_warm_s": command.goal_warm}


def render(results: list[dict[str, Any]]) -> str:
    """The table: median (range) cold and warm, each against its goal."""
    def cell(entry: dict[str, Any], goal: float | None) -> str:
        text = f"{entry['median_s']:.1f} s ({entry['min_s']:.1f}-{entry['max_s']:.1f})"
        if goal is None:
            return text
        median = entry["median_s"]
        verdict = "meets" if median <= goal else f"misses x{median / goal:.1f}"
        return f"{text}, goal {goal:g} s: {verdict}"

    lines = ["| command | cold | warm |", "|---|---|---|"]
    lines += [f"| `{r['command']}` | {cell(r['cold'], r['goal_cold_s'])} | "
              f"{cell(r['warm'], r['goal_warm_s'])} |" for r in results]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--suite", action="store_true", help="also time the test-suite (minutes)")
    p.add_argument("--only", default=None, help="run only the commands whose name contains this")
    p.add_argument("--json", type=Path, default=None)
    args = p.parse_args(argv)
    chosen = [c for c in COMMANDS if (args.suite or not c.suite)
              and (args.only is None or args.only in c.name)]
    results = []
    for command in chosen:
        print(f"timing: {command.name}", file=sys.stderr, flush=True)
        results.append(measure(command, args.repeats))
    print(render(results))
    if args.json is not None:
        args.json.write_text(json.dumps({"commands": results}, indent=2) + "\n",
                             encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
