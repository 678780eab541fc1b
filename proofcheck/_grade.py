"""Batch mode: check many implementations (a class's submissions) and summarize.

Each target is checked by :func:`proofcheck.verify` in a task of its own, handed
to a :class:`concurrent.futures.Executor`: by default a local process pool, or
any compatible executor of a distributed engine when one machine is not
enough, for example Dask's::

    from distributed import Client
    client = Client("tcp://scheduler:8786")
    results = proofcheck.grade(targets, executor=client.get_executor())

The task function :func:`grade_target` takes and returns plain data, so it
travels to any worker that has proofcheck and the targets' code installed (or
shares the folder the targets are in).
"""

from __future__ import annotations

import json
import multiprocessing
import os
import re
import sys
from collections.abc import Collection, Iterable, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from pathlib import Path
from typing import Any, NamedTuple

from proofcheck.compilation import start_own_process
from proofcheck.errors import InputError, ProofcheckError

__all__ = ["GradeResult", "expand_targets", "grade", "grade_target"]


class GradeResult(NamedTuple):
    """The outcome for one target.

    Attributes
    ----------
    target : str
        ``MODULE:ATTR``, ``MODULE``, or ``path/to/file.py[:ATTR]``.
    exit_status : int
        0 every provided step holds, 1 some step fails, 2 could not be loaded or called.
    root_cause : str or None
        The diagnosed root cause (a step ID), if a step fails.
    holds, checked : int
        Rows that hold, and rows checked (not counting "not provided").
    message : str
        The diagnosis, or the error for exit status 2.
    report : dict or None
        The whole report (the JSON schema of :mod:`proofcheck.report`).
    """

    target: str
    exit_status: int
    root_cause: str | None
    holds: int
    checked: int
    message: str
    report: dict[str, Any] | None


def expand_targets(items: Iterable[str], attribute: str | None = None) -> list[str]:
    """Targets from command-line items: a folder stands for every ``*.py`` file in it."""
    targets: list[str] = []
    for item in items:
        path = Path(item)
        if path.is_dir():
            files = sorted(p for p in path.glob("*.py") if not p.name.startswith("_"))
            if not files:
                raise InputError(f"folder {item!r} holds no .py files to grade")
            targets += [f"{p}:{attribute}" if attribute else str(p) for p in files]
        else:
            targets.append(f"{item}:{attribute}" if attribute and ":" not in item else item)
    return targets


def grade_target(target: str, profile: str | None = None, steps: Collection[str] | None = None,
                 cwd: str | None = None) -> dict[str, Any]:
    """Check one target and return its :class:`GradeResult` as a dict (runs in a worker)."""
    from proofcheck._verify import load_implementation, verify

    if cwd is not None and cwd not in sys.path:
        sys.path.insert(0, cwd)
    try:
        impl = load_implementation(target)
        report = verify(impl, profile=profile, steps=steps, database=False, name=target)
    except ProofcheckError as exc:
        return GradeResult(target, 2, None, 0, 0, str(exc), None)._asdict()
    checked = [r for r in report.rows if r.status != "not provided"]
    d = report.diagnosis
    return GradeResult(target, report.exit_status, d.root_cause,
                       sum(r.status == "holds" for r in checked), len(checked), d.message,
                       report.to_dict())._asdict()


def _file_name(target: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", target).strip("_") + ".json"


def grade(
    targets: Sequence[str],
    *,
    profile: str | None = None,
    steps: Collection[str] | None = None,
    executor: Executor | None = None,
    jobs: int | None = None,
    out_dir: str | Path | None = None,
) -> list[GradeResult]:
    """Check every target; return the results in the order of ``targets``.

    Parameters
    ----------
    targets : list of str
        ``MODULE:ATTR``, ``MODULE`` or ``path/to/file.py[:ATTR]`` (see
        :func:`proofcheck.load_implementation`).
    profile, steps
        As for :func:`proofcheck.verify`.
    executor : concurrent.futures.Executor, optional
        Where the checks run; default a pool of ``jobs`` local processes.
    jobs : int, optional
        Size of the default pool (default: the cores available).
    out_dir : path, optional
        Write one JSON report per target there, and ``summary.json``.
    """
    if not targets:
        raise InputError("grade needs at least one target")
    cwd = os.getcwd()
    own_pool = executor is None
    if executor is None:
        executor = ProcessPoolExecutor(
            max_workers=max(1, min(jobs or os.cpu_count() or 1, len(targets))),
            mp_context=multiprocessing.get_context("spawn"), initializer=start_own_process)
    try:
        futures = [executor.submit(grade_target, t, profile,
                                   list(steps) if steps is not None else None, cwd)
                   for t in targets]
        results = [GradeResult(**f.result()) for f in futures]
    finally:
        if own_pool:
            executor.shutdown()
    if out_dir is not None:
        folder = Path(out_dir)
        folder.mkdir(parents=True, exist_ok=True)
        for r in results:
            if r.report is not None:
                (folder / _file_name(r.target)).write_text(json.dumps(r.report, indent=2) + "\n")
        summary = [{k: v for k, v in r._asdict().items() if k != "report"} for r in results]
        (folder / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    return results


def render_summary(results: Sequence[GradeResult]) -> str:
    """The summary table: one line per target."""
    width = max(len("target"), *(len(r.target) for r in results))
    lines = [f"{'target':<{width}}  exit  holds  root cause", "-" * (width + 30)]
    for r in results:
        cause = r.root_cause or ("-" if r.exit_status == 0 else r.message.splitlines()[0][:60])
        lines.append(f"{r.target:<{width}}  {r.exit_status:>4}  {r.holds:>2}/{r.checked:<2}  "
                     f"{cause}")
    passed = sum(r.exit_status == 0 for r in results)
    lines.append(f"{passed} of {len(results)} targets hold every provided step.")
    return "\n".join(lines)
