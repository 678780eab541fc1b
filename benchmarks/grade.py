"""Grading a class at scale: copies of the sample course, on the pool and on Dask.

Usage::

    python benchmarks/grade.py [--copies 200] [--executor pool dask] [--jobs 2]
                               [--steps T1.b,T2] [--timeout 60] [--identical]
                               [--json benchmarks/grade-results.json]
    python benchmarks/grade.py --containment

Builds a class of ``--copies`` submissions from ``examples/course/submissions``
(copy ``i`` is submission ``i mod 12`` with a comment line ``# copy i`` added,
so that every copy has its own source hash and is checked; with
``--identical`` the copies are left identical, and only one check per
distinct submission runs), grades it with ``proofcheck.grade`` on each
executor (the local pool of ``--jobs`` slots; a local Dask cluster of
``--jobs`` single-threaded worker processes, which needs the ``distributed``
package: ``pip install 'proofcheck[dask]'``), checks that every executor gives
every copy the points of its original in ``examples/course/expected-grades.csv``
(when the steps are the course rubric's) and the same points as the other
executors, and prints one line per executor: the wall time, the time per
submission, and the time per submission per slot (what one core spends on
one submission). Measured results are in ``benchmarks/RESULTS.md`` ("Grading a
class").

``--containment`` instead grades, one at a time, a submission that loops
forever (10 s limit), one that allocates without end (500 MB limit), one that
exits and one that kills itself, and prints how long each took from the start
of its process to its verdict.
"""

from __future__ import annotations

import argparse
import csv
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
COURSE = ROOT / "examples" / "course"


#: The sample course's single files the class is copied from: the twelve of the
#: measurements in RESULTS.md (the course has grown since: a copy of alice.py, a
#: declared restriction, a notebook and students' folders, left out so that the
#: figures stay comparable).
ORIGINALS = ("alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan",
             "judy", "mallory", "oscar")


def build_class(folder: Path, copies: int, *, identical: bool) -> list[str]:
    """``copies`` submissions in ``folder``, made from the sample course's; their targets."""
    sources = [COURSE / "submissions" / f"{name}.py" for name in ORIGINALS]
    for helper in (COURSE / "submissions").glob("_*.py"):
        shutil.copy(helper, folder / helper.name)
    targets = []
    for i in range(copies):
        original = sources[i % len(sources)]
        text = original.read_text()
        if not identical:
            text += f"\n# copy {i}\n"
        path = folder / f"{original.stem}_{i:03d}.py"
        path.write_text(text)
        targets.append(str(path))
    return targets


def expected_totals() -> dict[str, float]:
    """The sample course's expected total per original submission (its file's stem)."""
    with (COURSE / "expected-grades.csv").open() as f:
        return {Path(row["submission"]).stem: float(row["total"]) for row in csv.DictReader(f)}


def grade_on(executor_name: str, targets: list[str], args: argparse.Namespace
             ) -> tuple[float, list[Any]]:
    """Grade ``targets`` on one executor; the wall time and the results."""
    import proofcheck
    from proofcheck.grading.rubric import load_rubric

    rubric = load_rubric(COURSE / "rubric.toml")
    options: dict[str, Any] = {"profile": "ci", "steps": args.steps, "timeout": args.timeout,
                               "rubric": rubric, "jobs": args.jobs}
    start = time.perf_counter()
    if executor_name == "pool":
        results = proofcheck.grade(targets, **options)
    else:
        from distributed import Client, LocalCluster

        with LocalCluster(n_workers=args.jobs, threads_per_worker=1, processes=True,
                          dashboard_address=None) as cluster, Client(cluster) as client:
            results = proofcheck.grade(targets, executor=client.get_executor(), **options)
    return time.perf_counter() - start, results


#: Submissions that misbehave at import, for --containment, with the limits they get
#: (seconds, megabytes).
MISBEHAVING = {
    "loops forever": ("while True:\n    pass\n", 10.0, 2048.0),
    "allocates without end": ("import numpy as np\nkept = []\nwhile True:\n"
                              "    kept.append(np.ones(10**7))\n", 120.0, 500.0),
    "calls sys.exit(3)": ("import sys\nsys.exit(3)\n", 120.0, 2048.0),
    "kills its own process": ("import os, signal\nos.kill(os.getpid(), signal.SIGKILL)\n",
                              120.0, 2048.0),
}


def containment() -> None:
    """Time from the start of each misbehaving submission's process to its verdict."""
    import proofcheck

    print("| submission | limits | verdict | seconds to the verdict |")
    print("|---|---|---|---|")
    with tempfile.TemporaryDirectory(prefix="proofcheck-contain-") as tmp:
        for i, (what, (source, timeout, memory)) in enumerate(MISBEHAVING.items()):
            path = Path(tmp) / f"s{i}.py"
            path.write_text(source)
            start = time.perf_counter()
            [result] = proofcheck.grade([str(path)], profile="ci", steps=["T1.b"],
                                        timeout=timeout, memory=memory)
            print(f"| {what} | {timeout:g} s, {memory:g} MB | {result.stopped} | "
                  f"{time.perf_counter() - start:.1f} |")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--copies", type=int, default=200)
    parser.add_argument("--executor", nargs="+", choices=["pool", "dask"],
                        default=["pool", "dask"])
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--steps", type=lambda s: s.split(","), default=None,
                        help="check only these steps (default: the course rubric's)")
    parser.add_argument("--timeout", type=float, default=60.0)
    parser.add_argument("--identical", action="store_true",
                        help="leave the copies identical (only distinct sources are checked)")
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--containment", action="store_true",
                        help="time how long each kind of misbehaving submission takes to stop")
    parser.add_argument("--compare", type=Path, default=None,
                        help="the --json of an earlier run: its points must be these")
    args = parser.parse_args(argv)

    from proofcheck.oracle.compilation import start_own_process

    start_own_process()
    if args.containment:
        containment()
        return 0
    expected = expected_totals() if args.steps is None else None
    lines, record, by_executor = [], [], {}
    status = 0
    with tempfile.TemporaryDirectory(prefix="proofcheck-class-") as tmp:
        targets = build_class(Path(tmp), args.copies, identical=args.identical)
        for name in args.executor:
            seconds, results = grade_on(name, targets, args)
            totals = {Path(r.target).stem: r.total for r in results}
            by_executor[name] = totals
            checks = len({r.source_hash for r in results})
            stopped = sorted({f"{Path(r.target).stem}: {r.stopped}" for r in results
                              if r.stopped and not r.target.split("/")[-1].startswith("mallory")})
            if stopped:
                print(f"{name}: stopped at a limit besides the hanging copies: {stopped}")
                status = 1
            if expected is not None:
                wrong = {t: v for t, v in totals.items()
                         if v != expected[t.rsplit("_", 1)[0]]}
                if wrong:
                    print(f"{name}: totals differ from expected-grades.csv: {wrong}")
                    status = 1
            lines.append(f"| {name} | {args.copies} | {checks} | {args.jobs} | {seconds:.0f} s | "
                         f"{seconds / args.copies:.2f} s | {seconds * args.jobs / checks:.1f} s |")
            record.append({"executor": name, "copies": args.copies, "checks": checks,
                           "jobs": args.jobs, "seconds": seconds, "steps": args.steps,
                           "timeout": args.timeout, "identical": args.identical,
                           "totals": totals})
    if args.compare is not None:
        for earlier in json.loads(args.compare.read_text()):
            by_executor[f"{earlier['executor']} (earlier)"] = earlier["totals"]
    if len(by_executor) > 1 and len({json.dumps(t, sort_keys=True)
                                     for t in by_executor.values()}) > 1:
        print("the executors gave different points")
        status = 1
    print("| executor | submissions | checks run | slots | wall | per submission "
          "| per check per slot |")
    print("|---|---|---|---|---|---|---|")
    print("\n".join(lines))
    if args.json is not None:
        args.json.write_text(json.dumps(record, indent=2) + "\n")
    return status


if __name__ == "__main__":
    sys.exit(main())
