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
limits of time and memory (:mod:`proofcheck.grading._sandbox`). What a submission is (a
student's folder, a file, a notebook) and what was skipped is
:mod:`proofcheck.grading._submissions`'s; submissions that are byte-identical throughout
(:func:`source_hash`) are checked once, and listed for the teacher.

With an output folder, the class's files are written after every check ended;
a gradebook already there (graded under the same rubric) is updated, not
replaced: the rows of the students graded now take the place of theirs, and
the others are kept (:func:`gradebook_in`).
"""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Callable, Collection, Iterable, Sequence
from concurrent.futures import Executor, ThreadPoolExecutor, wait
from pathlib import Path
from typing import Any, NamedTuple

from proofcheck.errors import InputError
from proofcheck.grading._sandbox import (
    DEFAULT_MEMORY_MB,
    Contained,
    default_timeout,
    row_key,
    run_contained,
    start_again,
    stop_all,
)
from proofcheck.grading._submissions import (
    Skipped,
    Submission,
    collect_submissions,
    submission_hash,
)
from proofcheck.grading.feedback import feedback_html, feedback_markdown
from proofcheck.grading.gradebook import (
    GradeResult,
    Score,
    StepScore,
    class_results,
    declared_line,
    gradebook_csv,
    gradescope_results,
    row_from_dict,
    score,
    student_id,
)
from proofcheck.grading.rubric import DEFAULT_RUBRIC, Rubric

__all__ = ["GradeResult", "Progress", "Skipped", "Submission", "expand_targets", "grade",
           "grade_target", "gradebook_in", "source_hash"]

#: Called once per finished check: (checks done, checks in all, the results named by
#: it, an estimate of the seconds left or ``None``).
Progress = Callable[[int, int, list[GradeResult], float | None], None]


def expand_targets(items: Iterable[str], attribute: str | None = None,
                   entry: str | None = None) -> list[str]:
    """Targets from command-line items (see
    :func:`proofcheck.grading._submissions.collect_submissions`):
    a class's folder stands for its submissions, a student's folder for its entry file."""
    return [s.target for s in collect_submissions(items, attribute=attribute, entry=entry)[0]]


def grade_target(target: str, profile: str | None = None, steps: Collection[str] | None = None,
                 cwd: str | None = None, *, timeout: float | None = None,
                 memory: float | None = None, folder: str | None = None) -> dict[str, Any]:
    """Check one target in a process of its own; return its :class:`GradeResult` as a dict.

    The task an executor runs (in a thread of the local pool, or on a Dask
    worker): it starts the target's own process, in a working folder of its
    own, and watches its time and memory (see :mod:`proofcheck.grading._sandbox`).

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
        :func:`proofcheck.grading._sandbox.default_timeout` and
        :data:`~proofcheck.grading._sandbox.DEFAULT_MEMORY_MB`).
    folder : str, optional
        A student's folder: the check runs in a copy of it (see
        :func:`proofcheck.grading._sandbox.run_contained`).
    """
    from proofcheck.diagnosis.report import Report

    run = run_contained(
        target, profile=profile, steps=steps, cwd=cwd or os.getcwd(),
        timeout=timeout if timeout is not None else default_timeout(profile),
        memory=memory if memory is not None else DEFAULT_MEMORY_MB, folder=folder)
    if run.error is not None:
        return _printed(GradeResult(target, 2, None, 0, 0, run.error, None), run, folder, cwd)
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
                                unfinished=unfinished), run, folder, cwd)


def _stopped_message(run: Contained, unfinished: list[str], diagnosis: str | None) -> str:
    """What a check that stopped early says: why, where, what finished before."""
    if not run.planned:
        return f"{run.stopped} while it was imported, before its check began."
    where = f" while checking {unfinished[0].replace('/', ' ')}" if unfinished else ""
    finished = len(run.planned) - len(unfinished)
    text = f"{run.stopped}{where}; {finished} of {len(run.planned)} rows finished before."
    return text + (f" Diagnosis of those: {diagnosis}" if diagnosis else "")


def _printed(result: GradeResult, run: Contained, folder: str | None,
             cwd: str | None) -> dict[str, Any]:
    """``result`` with what the run printed, its time, what it declared and the notes, as a
    dict."""
    notes = _notebook_notes(result.target, cwd) + list(run.warnings)
    if folder is None and _missing_file(result):
        notes.append(NO_DATA_FILES)
    return result._replace(output=run.output, output_bytes=run.output_bytes,
                           seconds=round(run.seconds, 3), misconception=run.misconception,
                           declared=run.declared, notes=notes)._asdict()


#: The note of a single file's check that met a ``FileNotFoundError``.
NO_DATA_FILES = (
    "A file was not found (FileNotFoundError). A single file's check runs in an empty "
    "working folder made for it, not in the folder the file is in, so a data file opened "
    "by a relative path (open('consts.json')) is not there. Open it relative to the code "
    "(pathlib.Path(__file__).parent / 'consts.json'), or hand in a folder: a student's "
    "folder is checked in a copy of itself, where its data files open.")


def _missing_file(result: GradeResult) -> bool:
    """Whether the check met a ``FileNotFoundError`` (at the import or in a call)."""
    if "FileNotFoundError" in result.message:
        return True
    for row in (result.report or {}).get("rows", []):
        c = row.get("counterexample") or {}
        if "FileNotFoundError" in f"{row.get('message')} {c.get('exception')}":
            return True
    return False


def _notebook_notes(target: str, cwd: str | None) -> list[str]:
    """A notebook's lines that are not Python and were left out, as one note."""
    path = target.partition(":")[0]
    if not path.endswith(".ipynb"):
        return []
    from proofcheck.engine._loading import notebook_code

    try:
        left_out = notebook_code(os.path.join(cwd or os.getcwd(), path))[1]
    except (OSError, ValueError):
        return []
    if not left_out:
        return []
    return ["The notebook's code cells were run in order as one module, without the lines "
            "that are IPython's own commands, not Python (shell lines, magics): "
            + "; ".join(left_out) + "."]


def source_hash(target: str, cwd: str | None = None, folder: str | None = None) -> str:
    """What identifies a target's code: the same hash, the same check.

    See :func:`proofcheck.grading._submissions.submission_hash`: a student's folder
    (``folder``) by every file in it; a file or a notebook by its attribute, its
    bytes and those of the files of its folder it uses (the modules and packages
    it imports, the files its source names); a module target by its name.
    """
    return submission_hash(Submission("", target, folder), cwd)


def _file_name(target: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", target).strip("_") + ".json"


def grade(targets: Sequence[str | Submission], *, profile: str | None = None,
          steps: Collection[str] | None = None, executor: Executor | None = None,
          jobs: int | None = None, out_dir: str | Path | None = None,
          timeout: float | None = None, memory: float | None = None,
          rubric: Rubric | None = None, docs_url: str = "", entry: str | None = None,
          fresh: bool = False, skipped: Sequence[Skipped] = (),
          progress: Progress | None = None) -> list[GradeResult]:
    """Check every submission, each in a process of its own; return the results in order.

    Parameters
    ----------
    targets : list of str or Submission
        ``MODULE:ATTR``, ``MODULE``, ``path/to/file.py[:ATTR]``, a notebook
        ``path/to/kai.ipynb[:ATTR]`` (see :func:`proofcheck.load_implementation`),
        a student's folder or a class's folder (see :mod:`proofcheck.grading._submissions`);
        a layer type is checked as ``verify --layer`` checks one. Submissions that are
        byte-identical throughout (:func:`source_hash`) are checked once.
    profile, steps
        As for :func:`proofcheck.verify` (default steps: the rubric's); the lemmas and
        the oracle's checks (the same for every target) are not run.
    executor, jobs
        Where the tasks that start and watch the targets' processes run (default:
        ``jobs`` threads of this process, by default one per core).
    out_dir : path, optional
        Write there each target's JSON report, Gradescope results and feedback, and the
        class's ``grades.csv``, ``results.json`` (:mod:`proofcheck.grading.gradebook`) and
        ``summary.json``. Its parent must exist. A gradebook already there (of the same
        rubric) is updated: the rows of the students graded now are replaced, the
        others kept (:func:`gradebook_in`), unless ``fresh``.
    timeout, memory : float, optional
        Each target's limits in seconds of wall time and megabytes of resident memory
        (defaults: :func:`proofcheck.grading._sandbox.default_timeout`,
        :data:`~proofcheck.grading._sandbox.DEFAULT_MEMORY_MB`).
    rubric, docs_url
        Points per step (default :data:`proofcheck.grading.rubric.DEFAULT_RUBRIC`); where the
        course serves the docs, for the feedback's links (default: relative).
    entry : str, optional
        The entry file's name in each student's folder (default: found, see
        :mod:`proofcheck.grading._submissions`).
    skipped : list of Skipped
        Entries of the class's folder already passed over, for ``summary.json``.
    progress : callable, optional
        Called as each check finishes (see :data:`Progress`).
    """
    if not targets:
        raise InputError("grade needs at least one target")
    _check_limits(timeout, memory)
    folder, rubric = _out_folder(out_dir), rubric or DEFAULT_RUBRIC
    before = gradebook_in(folder, rubric) if folder is not None and not fresh else None
    submissions, passed = _submissions(targets, entry)
    start_again()  # after an interrupted run in this process, processes may run again
    chosen = list(rubric.points) if steps is None else list(steps)
    checked = _check_each_source(submissions, executor, jobs, profile, chosen, timeout,
                                 memory, progress)
    scores = [score(r, rubric, chosen) for r in checked]
    results = [r._replace(total=sc.total, max_score=sc.max_score)
               for r, sc in zip(checked, scores, strict=True)]
    if folder is not None:
        _write(folder, results, scores, rubric, docs_url, [*skipped, *passed], before)
    return results


def _submissions(targets: Sequence[str | Submission],
                 entry: str | None) -> tuple[list[Submission], list[Skipped]]:
    found: list[Submission] = []
    passed: list[Skipped] = []
    for t in targets:
        if isinstance(t, Submission):
            found.append(t)
        else:
            more, left = collect_submissions([t], entry=entry)
            found += more
            passed += left
    return found, passed


def _check_each_source(submissions: Sequence[Submission], executor: Executor | None,
                       jobs: int | None, profile: str | None, steps: list[str],
                       timeout: float | None, memory: float | None,
                       progress: Progress | None) -> list[GradeResult]:
    """Each submission's result, from one check of the first submission of each source."""
    cwd = os.getcwd()
    hashes = [submission_hash(s, cwd) for s in submissions]
    first: dict[str, Submission] = {}  # each source once, in the order of the targets
    for h, sub in zip(hashes, submissions, strict=True):
        if sub.problem is None:
            first.setdefault(h, sub)
    named: dict[str, list[Submission]] = {}
    for h, sub in zip(hashes, submissions, strict=True):
        named.setdefault(h, []).append(sub)
    task = _Checks(first, named, profile, steps, cwd, timeout, memory, progress)
    if executor is None:
        with ThreadPoolExecutor(max_workers=max(1, min(jobs or os.cpu_count() or 1,
                                                       len(first) or 1))) as own:
            done = task.run(own, own_pool=True)
    else:
        done = task.run(executor, own_pool=False)
    return [_not_checked(sub) if sub.problem is not None else _for_target(done[h], sub, h)
            for sub, h in zip(submissions, hashes, strict=True)]


def _not_checked(sub: Submission) -> GradeResult:
    """A student's folder whose entry could not be chosen: a row that says why."""
    return GradeResult(sub.target, 2, None, 0, 0, f"the folder {sub.folder!r}: {sub.problem}",
                       None, student=sub.student)


#: Seconds between the grader's checks for a Ctrl-C while it waits for the checks.
#: A wait without a timeout could miss it for good: the operating system may hand
#: SIGINT to any thread, and then Python only notes it, while the main thread
#: sleeps on in an untimed lock acquire (seen: an interrupted ``proofcheck grade``
#: that waited out its submission's whole time limit).
_INTERRUPT_POLL = 0.2


class _Checks(NamedTuple):
    """The checks of one grading run: one per source, and who is told as each ends."""

    first: dict[str, Submission]
    named: dict[str, list[Submission]]
    profile: str | None
    steps: list[str]
    cwd: str
    timeout: float | None
    memory: float | None
    progress: Progress | None

    def run(self, executor: Executor, *, own_pool: bool) -> dict[str, GradeResult]:
        """Each source's result (by its hash), from one check of its first submission."""
        start = time.monotonic()
        try:
            futures = {h: executor.submit(grade_target, sub.target, self.profile, self.steps,
                                          self.cwd, timeout=self.timeout,
                                          memory=self.memory, folder=sub.folder)
                       for h, sub in self.first.items()}
            by_future = {f: h for h, f in futures.items()}
            pending = set(futures.values())
            while pending:  # timed waits: see _INTERRUPT_POLL
                finished, pending = wait(pending, timeout=_INTERRUPT_POLL)
                for f in sorted(finished, key=lambda f: list(futures).index(by_future[f])):
                    self._tell(by_future[f], f.result(), len(futures) - len(pending),
                               len(futures), start)
            return {h: GradeResult(**f.result()) for h, f in futures.items()}
        except BaseException:
            if own_pool:  # interrupted (Ctrl-C): the submissions' processes end with the grader
                executor.shutdown(wait=False, cancel_futures=True)
                stop_all()
            raise

    def _tell(self, digest: str, data: dict[str, Any], done: int, total: int,
              start: float) -> None:
        if self.progress is None:
            return
        elapsed = time.monotonic() - start
        left = elapsed / done * (total - done) if done < total else 0.0
        result = GradeResult(**data)
        self.progress(done, total, [_for_target(result, sub, digest)
                                    for sub in self.named[digest]], left)


def gradebook_in(folder: Path | None, rubric: Rubric) -> list[dict[str, Any]] | None:
    """The gradebook already in ``folder`` (its ``summary.json`` entries), or ``None``.

    Raises
    ------
    InputError
        If it was graded under another rubric (a regrade would mix two scales), or
        its ``summary.json`` cannot be read: start over with ``--fresh``.
    """
    if folder is None or not (folder / "summary.json").is_file():
        return None
    try:
        data = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise InputError(f"the output folder {str(folder)!r} holds a summary.json that cannot "
                         f"be read ({exc}); choose another --out, or start it over with "
                         "--fresh") from None
    if not isinstance(data, dict) or "submissions" not in data:
        raise InputError(f"the output folder {str(folder)!r} holds a gradebook written by an "
                         "earlier proofcheck, which cannot be updated; start it over with "
                         "--fresh, or choose another --out")
    if data.get("rubric") != rubric_fingerprint(rubric):
        raise InputError(
            f"the output folder {str(folder)!r} holds a gradebook graded under another "
            f"rubric than {rubric.source}; a regrade into it would mix two scales. Grade "
            "with that rubric, start the folder over with --fresh, or choose another --out")
    return list(data["submissions"])


def rubric_fingerprint(rubric: Rubric) -> dict[str, Any]:
    """What makes two rubrics grade alike (its points, policy and requirements)."""
    return {"points": dict(rubric.points), "not_provided": rubric.not_provided,
            "require": {kind: list(getattr(rubric, f"require_{kind}", ()))
                        for kind in ("activations", "costs")}}


def _entry(result: GradeResult, sc: Score) -> dict[str, Any]:
    """A submission's entry in ``summary.json``: its result (without the report and what it
    printed) and its points by step."""
    entry = {k: v for k, v in result._asdict().items() if k not in ("report", "output")}
    entry["kind"] = sc.kind
    entry["scores"] = [s._asdict() for s in sc.steps]
    return entry


def _from_entry(entry: dict[str, Any]) -> tuple[GradeResult, Score]:
    fields = {k: v for k, v in entry.items() if k in GradeResult._fields}
    result = GradeResult(**{**fields, "report": None})
    steps = [StepScore(**s) for s in entry.get("scores", [])]
    return result, Score(result.target, entry.get("kind", "implementation"), steps,
                         sum(s.points for s in steps), sum(s.max_points for s in steps))


def _write(folder: Path, results: list[GradeResult], scores: list[Score], rubric: Rubric,
           docs_url: str, skipped: list[Skipped],
           before: list[dict[str, Any]] | None) -> None:
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
    entries = _merged(before or [], [_entry(r, sc) for r, sc in zip(results, scores,
                                                                     strict=True)])
    merged = [_from_entry(e) for e in entries]
    all_results, all_scores = [m[0] for m in merged], [m[1] for m in merged]
    summary = {"rubric": rubric_fingerprint(rubric), "submissions": entries,
               "skipped": [s._asdict() for s in skipped],
               "identical": identical_groups(all_results)}
    (folder / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    (folder / "grades.csv").write_text(gradebook_csv(all_results, all_scores, rubric))
    (folder / "results.json").write_text(
        json.dumps(class_results(all_results, all_scores), indent=2) + "\n")


def _merged(before: list[dict[str, Any]], now: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The gradebook's entries: those before, each replaced by the new one of the same
    student (in its place), then the new students'."""
    new = {e["student"]: e for e in now}
    kept = [new.pop(e["student"], e) for e in before]
    return kept + [e for e in now if e["student"] in new]


def identical_groups(results: Sequence[GradeResult]) -> list[list[str]]:
    """The students whose submissions are byte-identical (one check for each group), in
    groups of two or more, in the gradebook's order."""
    groups: dict[str, list[str]] = {}
    for r in results:
        if r.source_hash and not r.source_hash.startswith(("module:", "file:")):
            groups.setdefault(r.source_hash, []).append(student_id(r))
    return [g for g in groups.values() if len(g) > 1]


def _for_target(result: GradeResult, sub: Submission, digest: str) -> GradeResult:
    """A shared check's result, named for the submission ``sub``."""
    report = result.report
    if report is not None and result.target != sub.target:
        report = {**report, "subject": sub.target}
    return result._replace(target=sub.target, report=report, source_hash=digest,
                           student=sub.student)


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


def render_summary(results: Sequence[GradeResult], skipped: Sequence[Skipped] = ()) -> str:
    """The summary table: one line per target; then the restrictions the submissions
    declare, the identical hand-ins, and each entry skipped with the reason."""
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
    lines += [f"{student_id(r)} could not be checked: {r.message.splitlines()[0]}"
              for r in results if r.exit_status == 2 and r.message.startswith("the folder ")]
    lines += [f"{student_id(r)} {declared_line(r.declared)}" for r in results if r.declared]
    lines += [f"Identical hand-ins (checked once, the same marks): {', '.join(group)}"
              for group in identical_groups(results)]
    lines += [f"skipped {s.path}: {s.reason}" for s in skipped]
    return "\n".join(lines)
