"""Batch mode: check many implementations (a class's submissions) and summarize.

Each target is checked in a process of its own, started and watched by a task
(:func:`grade_target`) that an :class:`concurrent.futures.Executor` runs: by
default a pool of threads of this process, one per core, so that as many
targets are checked at a time; or any compatible executor of a distributed
engine when one machine is not enough, for example Dask's::

    from distributed import Client
    client = Client("tcp://scheduler:8786")
    results = proofcheck.grade(targets, executor=client.get_executor())

The task takes and returns plain data, so it travels to any worker that has
proofcheck and the targets' code installed (or shares the folder the targets
are in); the target's process is then started on that worker, with the same
limits of time and memory (:mod:`proofcheck._sandbox`). Targets whose source
is the same (:func:`source_hash`) are checked once.
"""

from __future__ import annotations

import ast
import hashlib
import json
import os
import re
from collections.abc import Collection, Iterable, Sequence
from concurrent.futures import Executor, ThreadPoolExecutor, wait
from pathlib import Path
from typing import Any

from proofcheck._sandbox import (
    DEFAULT_MEMORY_MB,
    Contained,
    default_timeout,
    row_key,
    run_contained,
    start_again,
    stop_all,
)
from proofcheck.errors import InputError
from proofcheck.feedback import feedback_html, feedback_markdown
from proofcheck.gradebook import (
    GradeResult,
    Score,
    class_results,
    gradebook_csv,
    gradescope_results,
    row_from_dict,
    score,
)
from proofcheck.rubric import DEFAULT_RUBRIC, Rubric

__all__ = ["GradeResult", "expand_targets", "grade", "grade_target", "source_hash"]


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
                 cwd: str | None = None, *, timeout: float | None = None,
                 memory: float | None = None) -> dict[str, Any]:
    """Check one target in a process of its own; return its :class:`GradeResult` as a dict.

    The task an executor runs (in a thread of the local pool, or on a Dask
    worker): it starts the target's own process, in a working folder of its
    own, and watches its time and memory (see :mod:`proofcheck._sandbox`).

    Parameters
    ----------
    target : str
        As for :func:`grade`.
    profile, steps
        As for :func:`proofcheck.verify`.
    cwd : str, optional
        The folder module targets and relative paths are taken from (default:
        the current directory).
    timeout, memory : float, optional
        The limits, in seconds and megabytes (defaults:
        :func:`proofcheck._sandbox.default_timeout` and
        :data:`~proofcheck._sandbox.DEFAULT_MEMORY_MB`).
    """
    from proofcheck.report import Report

    run = run_contained(
        target, profile=profile, steps=steps, cwd=cwd or os.getcwd(),
        timeout=timeout if timeout is not None else default_timeout(profile),
        memory=memory if memory is not None else DEFAULT_MEMORY_MB)
    if run.error is not None:
        return _printed(GradeResult(target, 2, None, 0, 0, run.error, None), run)
    rows = [row_from_dict(r) for r in run.rows]
    report = Report(target, run.profile or profile or "", rows, seconds=run.seconds,
                    layer_target=run.layer_target)
    checked = [r for r in rows if r.status != "not provided"]
    d = report.diagnosis
    finished = {row_key(r) for r in rows}
    unfinished = [key for key in run.planned if key not in finished]
    if run.stopped is not None:
        status = 1
        message = _stopped_message(run, unfinished, d.message if d.root_cause else None)
    else:
        status, message = report.exit_status, d.message
    return _printed(GradeResult(target, status, d.root_cause,
                                sum(r.status == "holds" for r in checked), len(checked),
                                message, report.to_dict(), stopped=run.stopped,
                                unfinished=unfinished), run)


def _stopped_message(run: Contained, unfinished: list[str], diagnosis: str | None) -> str:
    """What a check that stopped early says: why, where, what finished before."""
    if not run.planned:
        return f"{run.stopped} while it was imported, before its check began."
    where = f" while checking {unfinished[0].replace('/', ' ')}" if unfinished else ""
    finished = len(run.planned) - len(unfinished)
    text = f"{run.stopped}{where}; {finished} of {len(run.planned)} rows finished before."
    return text + (f" Diagnosis of those: {diagnosis}" if diagnosis else "")


def _printed(result: GradeResult, run: Contained) -> dict[str, Any]:
    """``result`` with what the run printed and its time, as a dict."""
    return result._replace(output=run.output, output_bytes=run.output_bytes,
                           seconds=round(run.seconds, 3),
                           misconception=run.misconception)._asdict()


def source_hash(target: str, cwd: str | None = None) -> str:
    """What identifies a target's code: the same hash, the same check.

    A file target: its attribute, its bytes and those of the files of its
    folder that it imports (``import utils``, ``from _helpers import f``, and
    what those import in turn). A module target: its name (every check
    imports it from the same environment).
    """
    path, _, attr = target.partition(":")
    if not path.endswith(".py"):
        return "module:" + target
    file = Path(cwd or os.getcwd()) / path
    digest = hashlib.sha256(attr.encode() + b"\0")
    try:
        parts = _sources(file)
        digest.update(file.read_bytes() + b"\0")
        for helper in parts[1:]:
            digest.update(helper.name.encode() + b"\0" + helper.read_bytes() + b"\0")
    except OSError:
        return "file:" + str(file)  # the check itself says why it cannot be read
    return digest.hexdigest()


def _sources(file: Path) -> list[Path]:
    """``file`` and the files of its folder it imports, directly or through each other."""
    seen = [file]
    for current in seen:
        try:
            tree = ast.parse(current.read_bytes())
        except (SyntaxError, ValueError):
            continue
        names = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names.add(node.module.split(".")[0])
        for name in sorted(names):
            helper = file.parent / f"{name}.py"
            if helper.is_file() and helper not in seen:
                seen.append(helper)
    return seen


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
    timeout: float | None = None,
    memory: float | None = None,
    rubric: Rubric | None = None,
    docs_url: str = "",
) -> list[GradeResult]:
    """Check every target, each in a process of its own; return the results in order.

    Parameters
    ----------
    targets : list of str
        ``MODULE:ATTR``, ``MODULE`` or ``path/to/file.py[:ATTR]`` (see
        :func:`proofcheck.load_implementation`); a layer type is checked as ``verify
        --layer`` checks one. Targets with the same source (:func:`source_hash`) are
        checked once.
    profile : str, optional
        The Hypothesis profile, as for :func:`proofcheck.verify`.
    steps : collection of step IDs, optional
        The steps to check (default: the rubric's). The lemmas and the oracle's checks
        (the mathematics, the same for every target) are not run.
    executor : concurrent.futures.Executor, optional
        Where the tasks that start and watch the targets' processes run (default:
        ``jobs`` threads of this process).
    jobs : int, optional
        Size of the default pool (default: the cores available).
    out_dir : path, optional
        Write there each target's JSON report (``<name>.json``), Gradescope results
        (``<name>.results.json``) and feedback (``<name>.feedback.md`` and ``.html``),
        and the class's ``grades.csv``, ``results.json`` (see
        :mod:`proofcheck.gradebook`) and ``summary.json``. Its parent must exist.
    timeout, memory : float, optional
        Each target's limits in seconds of wall time and megabytes of resident
        memory (defaults: :func:`proofcheck._sandbox.default_timeout` and
        :data:`~proofcheck._sandbox.DEFAULT_MEMORY_MB`).
    rubric : Rubric, optional
        Points per step, for each result's ``total`` and ``max_score`` (default
        :data:`proofcheck.rubric.DEFAULT_RUBRIC`).
    docs_url : str
        Where the course serves the docs, for the feedback's links (default: relative).
    """
    if not targets:
        raise InputError("grade needs at least one target")
    _check_limits(timeout, memory)
    start_again()  # after an interrupted run in this process, processes may run again
    folder, rubric = _out_folder(out_dir), rubric or DEFAULT_RUBRIC
    chosen = list(rubric.points) if steps is None else list(steps)
    checked = _check_each_source(targets, executor, jobs, profile, chosen, timeout, memory)
    scores = [score(r, rubric, chosen) for r in checked]
    results = [r._replace(total=sc.total, max_score=sc.max_score)
               for r, sc in zip(checked, scores, strict=True)]
    if folder is not None:
        _write(folder, results, scores, rubric, docs_url)
    return results


def _check_each_source(targets: Sequence[str], executor: Executor | None, jobs: int | None,
                       profile: str | None, steps: list[str], timeout: float | None,
                       memory: float | None) -> list[GradeResult]:
    """Each target's result, from one check of the first target of each source."""
    cwd = os.getcwd()
    hashes = [source_hash(t, cwd) for t in targets]
    first: dict[str, str] = {}  # each source once, in the order of the targets
    for h, t in zip(hashes, targets, strict=True):
        first.setdefault(h, t)
    if executor is None:
        with ThreadPoolExecutor(max_workers=max(1, min(jobs or os.cpu_count() or 1,
                                                       len(first)))) as own:
            done = _check_sources(first, own, profile, steps, cwd, timeout, memory,
                                  own_pool=True)
    else:
        done = _check_sources(first, executor, profile, steps, cwd, timeout, memory,
                              own_pool=False)
    return [_for_target(done[h], t, h) for t, h in zip(targets, hashes, strict=True)]


#: Seconds between the grader's checks for a Ctrl-C while it waits for the checks.
#: A wait without a timeout could miss it for good: the operating system may hand
#: SIGINT to any thread, and then Python only notes it, while the main thread
#: sleeps on in an untimed lock acquire (seen: an interrupted ``proofcheck grade``
#: that waited out its submission's whole time limit).
_INTERRUPT_POLL = 0.2


def _check_sources(first: dict[str, str], executor: Executor, profile: str | None,
                   steps: list[str], cwd: str, timeout: float | None, memory: float | None,
                   *, own_pool: bool) -> dict[str, GradeResult]:
    """Each source's result (by its hash), from one check of its first target."""
    try:
        futures = {h: executor.submit(grade_target, t, profile, steps, cwd,
                                      timeout=timeout, memory=memory)
                   for h, t in first.items()}
        pending = set(futures.values())
        while pending:  # timed waits: see _INTERRUPT_POLL
            pending = wait(pending, timeout=_INTERRUPT_POLL).not_done
        return {h: GradeResult(**f.result()) for h, f in futures.items()}
    except BaseException:
        if own_pool:  # interrupted (Ctrl-C): the submissions' processes end with the grader
            executor.shutdown(wait=False, cancel_futures=True)
            stop_all()
        raise


def _write(folder: Path, results: list[GradeResult], scores: list[Score], rubric: Rubric,
           docs_url: str) -> None:
    """Every file of ``out_dir`` (see :func:`grade`), after every target's check ended."""
    folder.mkdir(exist_ok=True)
    for r, sc in zip(results, scores, strict=True):
        stem = _file_name(r.target)[:-len(".json")]
        if r.report is not None:
            (folder / f"{stem}.json").write_text(json.dumps(r.report, indent=2) + "\n")
        (folder / f"{stem}.results.json").write_text(
            json.dumps(gradescope_results(r, sc), indent=2) + "\n")
        (folder / f"{stem}.feedback.md").write_text(
            feedback_markdown(r, sc, docs_url=docs_url), encoding="utf-8")
        (folder / f"{stem}.feedback.html").write_text(
            feedback_html(r, sc, docs_url=docs_url), encoding="utf-8")
    summary = [{k: v for k, v in r._asdict().items() if k not in ("report", "output")}
               for r in results]
    (folder / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    (folder / "grades.csv").write_text(gradebook_csv(results, scores, rubric))
    (folder / "results.json").write_text(
        json.dumps(class_results(results, scores), indent=2) + "\n")


def _for_target(result: GradeResult, target: str, digest: str) -> GradeResult:
    """A shared check's result, named for ``target``."""
    report = result.report
    if report is not None and result.target != target:
        report = {**report, "subject": target}
    return result._replace(target=target, report=report, source_hash=digest)


def _check_limits(timeout: float | None, memory: float | None) -> None:
    for name, value, unit in (("timeout", timeout, "seconds"), ("memory", memory, "megabytes")):
        if value is not None and not (isinstance(value, (int, float)) and value > 0):
            raise InputError(f"{name} is {value!r}; expected a positive number of {unit}")


def _out_folder(out_dir: str | Path | None) -> Path | None:
    """The reports' folder; its parent must exist (a typo is not made into folders)."""
    if out_dir is None:
        return None
    folder = Path(out_dir)
    if not folder.parent.is_dir():
        raise InputError(f"the output folder {str(folder)!r} cannot be made: its parent "
                         f"{str(folder.parent)!r} is not a folder; create it first or choose "
                         "another --out")
    if folder.exists() and not folder.is_dir():
        raise InputError(f"the output folder {str(folder)!r} is a file; choose another --out")
    return folder


def render_summary(results: Sequence[GradeResult]) -> str:
    """The summary table: one line per target."""
    width = max(len("target"), *(len(r.target) for r in results))
    lines = [f"{'target':<{width}}  exit  holds  points  root cause", "-" * (width + 38)]
    for r in results:
        cause = r.root_cause or r.stopped or (
            "-" if r.exit_status == 0 else r.message.splitlines()[0][:60])
        points = f"{r.total:g}/{r.max_score:g}" if r.total is not None and \
            r.max_score is not None else "-"
        lines.append(f"{r.target:<{width}}  {r.exit_status:>4}  {r.holds:>2}/{r.checked:<2}  "
                     f"{points:>6}  {cause}")
    passed = sum(r.exit_status == 0 for r in results)
    lines.append(f"{passed} of {len(results)} targets hold every provided step.")
    return "\n".join(lines)
