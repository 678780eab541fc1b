"""Partial credit: points per step from a grading result, the gradebook and Gradescope's JSON.

:func:`score` turns one target's :class:`~proofcheck.GradeResult` into points
per step of the rubric (:mod:`proofcheck.grading.rubric` says what a step earns).
``proofcheck grade --out DIR`` then writes, beside the per-target reports:

``DIR/grades.csv``
    The gradebook: a header row, then one row per submission, in the order of
    the targets (a regrade into the same folder replaces its students' rows in
    their places and keeps the others). Columns: ``student`` (the student's id:
    the folder's name for a student's folder, the file's name without its suffix
    for a file or a notebook; what a learning platform's import matches, see the
    grading guide), ``submission`` (the target), one column per step ID
    of the rubric (the points earned; empty where the step does not concern
    that submission, e.g. ``G.*`` for an implementation), ``total``,
    ``max_score`` and ``verdict`` (one line: "every step holds", "root cause
    T1.step", "timed out after 300 s", "could not be checked: ...", followed by
    the restriction the submission declares, if any: "; declares activations
    identity only")::

        student,submission,T1.base,T1.step,T1.W,T1.b,T1.grad,T1.tail,T2,total,max_score,verdict
        alice,subs/alice.py,3,4,3,2,3,2,3,20,20,every step holds
        bob,subs/bob.py,3,0,3,2,3,2,3,16,20,root cause T1.step

``DIR/results.json``
    The results in the format Gradescope's autograder reads
    (``/autograder/results/results.json``): ``score``, ``execution_time``,
    ``output`` and ``tests``, one test per step with ``name``, ``score``,
    ``max_score``, ``status`` ("passed" or "failed"), ``output`` (Markdown:
    the verdict and why), ``output_format``, ``tags`` and ``visibility``.
    Gradescope runs its autograder once per submission, so with one target this
    is the file to hand it. With several, the tests of every submission are in
    it, each name starting with the submission, and each submission's own file
    is ``DIR/<report name>.results.json``::

        {"score": 16.0, "execution_time": 31, "output": "root cause T1.step ...",
         "output_format": "md", "test_output_format": "md",
         "tests": [{"name": "T1.step: Induction step", "score": 0.0, "max_score": 4.0,
                    "status": "failed", "output": "**fails (the root cause)** ...",
                    "output_format": "md", "tags": ["T1.step"], "visibility": "visible"},
                   ...],
         "extra_data": {"target": "subs/bob.py", "exit_status": 1, ...}}
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Any, NamedTuple

from proofcheck.diagnosis.report import Row, consequences, diagnose
from proofcheck.grading.rubric import COMPOSITIONS, DEFAULT_RUBRIC, IMPLIED_BY, Rubric
from proofcheck.steps import get_step

__all__ = ["GradeResult", "Score", "StepScore", "class_results", "declared_line",
           "gradebook_csv", "gradescope_results", "required_share", "row_from_dict", "score",
           "student_id", "verdict_line"]


class GradeResult(NamedTuple):
    """The outcome for one target.

    Attributes
    ----------
    target : str
        ``MODULE:ATTR``, ``MODULE``, or ``path/to/file.py[:ATTR]``.
    exit_status : int
        0 every provided step holds; 1 some step fails, or the check stopped at a
        limit or by the submission's own exit (see ``stopped``); 2 could not be
        loaded or called.
    root_cause : str or None
        The diagnosed root cause (a step ID), if a step fails.
    holds, checked : int
        Rows that hold, and rows checked (not counting "not provided").
    message : str
        The diagnosis, or the error for exit status 2, or why the check stopped.
    report : dict or None
        The report of the rows that finished (the JSON schema of
        :mod:`proofcheck.diagnosis.report`).
    stopped : str or None
        Why the submission's process stopped before its last row, if it did:
        "timed out after 60 s", "ran out of memory (more than 2048 MB
        resident)", "exited with status 3", "was killed by signal 9 (SIGKILL)".
    unfinished : list of str
        The rows (``"step/mode"``) planned but not finished because it stopped.
    output : str
        The beginning of what the submission printed (standard output and error).
    output_bytes : int
        How many bytes it printed in all.
    seconds : float
        Wall time of its check.
    source_hash : str or None
        The hash its check was shared by (identical submissions are checked once).
    misconception : dict or None
        The classic mistake the root cause matches, when the catalog's matcher
        names one: ``message`` (for the student), ``name``, ``explanation``,
        ``also`` (other entries this counterexample cannot tell from it).
    total, max_score : float or None
        The points it earned under the rubric, and the most it could earn (see
        :mod:`proofcheck.grading.gradebook`); ``None`` from :func:`grade_target` alone.
    student : str
        The student's id in the gradebook: the folder's name for a student's
        folder, the file's name without its suffix for a file or a notebook.
    declared : dict or None
        The restriction the submission declares (``{"activations": [names],
        "costs": [names]}``, the kinds its ``supported_*`` sets restrict): the
        check drew networks of those only.
    notes : list of str
        What the grader noticed beside the verdict, for the student and the
        teacher: lines of a notebook left out, arguments changed in place, a
        data file that the check's working folder does not hold.
    """

    target: str
    exit_status: int
    root_cause: str | None
    holds: int
    checked: int
    message: str
    report: dict[str, Any] | None
    stopped: str | None = None
    unfinished: list[str] = []  # noqa: RUF012 (a NamedTuple default, never mutated)
    output: str = ""
    output_bytes: int = 0
    seconds: float = 0.0
    source_hash: str | None = None
    misconception: dict[str, Any] | None = None
    total: float | None = None
    max_score: float | None = None
    student: str = ""
    declared: dict[str, list[str]] | None = None
    notes: list[str] = []  # noqa: RUF012 (a NamedTuple default, never mutated)


class StepScore(NamedTuple):
    """What one step earned.

    Attributes
    ----------
    step : str
        The step ID.
    points, max_points : float
        Earned, and the rubric's.
    verdict : str
        "holds", "holds (implied by T1.grad)", "holds; fails only as a
        consequence of T1.step", "fails (the root cause)", "fails", "not
        provided", "not finished: timed out after 300 s", "not checked: ...".
    """

    step: str
    points: float
    max_points: float
    verdict: str

    @property
    def earned(self) -> bool:
        return self.points > 0 or (self.max_points == 0 and self.verdict.startswith("holds"))


class Score(NamedTuple):
    """A target's points by step.

    Attributes
    ----------
    target : str
    kind : {"implementation", "layer"}
        Which of the rubric's steps concern it.
    steps : list of StepScore
        The rubric's steps that concern it and were checked, in the proof's order.
    total, max_score : float
    left_out : str
        What a declared restriction left out of the rubric's requirements and what
        it cost (empty when nothing: see :mod:`proofcheck.grading.rubric`).
    """

    target: str
    kind: str
    steps: list[StepScore]
    total: float
    max_score: float
    left_out: str = ""


def row_from_dict(data: dict[str, Any]) -> Row:
    """A report row from its JSON form (:meth:`Row.from_dict`)."""
    return Row.from_dict(data)


def score(result: GradeResult, rubric: Rubric = DEFAULT_RUBRIC,
          steps: Sequence[str] | None = None) -> Score:
    """The points ``result`` earns under ``rubric`` (see :mod:`proofcheck.grading.rubric`).

    Parameters
    ----------
    result : GradeResult
        One target's result from :func:`proofcheck.grade`.
    rubric : Rubric
        Default :data:`proofcheck.grading.rubric.DEFAULT_RUBRIC`.
    steps : list of str, optional
        The steps that were checked (default: all); the others are left out of
        the total and the maximum.
    """
    rows = [row_from_dict(r) for r in (result.report or {}).get("rows", [])]
    unfinished = {key.split("/")[0] for key in result.unfinished}
    kind = _kind(rows, unfinished, rubric)
    planned = {r.step for r in rows} | unfinished
    concerned = [s for s in rubric.steps_for(kind) if steps is None or s in steps]
    if result.report is None or not planned:
        reason = (f"not checked: {result.stopped}" if result.stopped else
                  "not checked: could not be checked")
        scored = [StepScore(s, 0.0, rubric.points[s], reason) for s in concerned]
    else:
        scored = _score_steps([s for s in concerned if s in planned], rows, unfinished,
                              result.stopped, rubric, kind == "layer")
    share, left_out = required_share(result.declared, rubric)
    if share < 1:
        scored = [s._replace(points=round(s.points * share, 2),
                             verdict=f"{s.verdict}; {_share(share)} of its points (declared "
                                     "restriction)") for s in scored]
    return Score(result.target, kind, scored, sum(s.points for s in scored),
                 sum(s.max_points for s in scored), left_out)


def required_share(declared: dict[str, list[str]] | None, rubric: Rubric) -> tuple[float, str]:
    """The share of its points a declared restriction leaves a submission under ``rubric``'s
    requirements (see :mod:`proofcheck.grading.rubric`), and what it left out, in words."""
    share, parts = 1.0, []
    for kind, required in (("activations", rubric.require_activations),
                           ("costs", rubric.require_costs)):
        chosen = (declared or {}).get(kind)
        if not required or chosen is None:
            continue
        missing = [name for name in required if name not in chosen]
        if missing:
            share *= (len(required) - len(missing)) / len(required)
            parts.append(f"the {kind} {', '.join(missing)}")
    if not parts:
        return 1.0, ""
    return share, (f"The rubric requires every submission to support {' and '.join(parts)}, "
                   f"which this one declares it does not support; it earns {_share(share)} "
                   "of each step's points.")


def _share(share: float) -> str:
    from fractions import Fraction

    fraction = Fraction(share).limit_denominator(1000)
    return str(fraction) if fraction.denominator > 1 else f"{share:g}"


def _kind(rows: list[Row], unfinished: set[str], rubric: Rubric) -> str:
    steps = {r.step for r in rows} | unfinished
    if any(get_step(s).kind == "generalization" for s in steps):
        return "layer"
    if steps or rubric.steps_for("implementation"):
        return "implementation"
    return "layer"


def _score_steps(steps: list[str], rows: list[Row], unfinished: set[str], stopped: str | None,
                 rubric: Rubric, layer_target: bool) -> list[StepScore]:
    follows = consequences(rows, layer_target=layer_target)
    diagnosis = diagnose(rows, layer_target=layer_target)
    direct: dict[str, StepScore] = {}
    hidden = []
    for step in steps:
        mine = [r for r in rows if r.step == step]
        provided = [r for r in mine if r.status != "not provided"]
        full = rubric.points[step]
        if step in unfinished:
            direct[step] = StepScore(step, 0.0, full, f"not finished: {stopped}")
        elif not provided:
            hidden.append(step)
        else:
            own = [r for r in provided if r.failed and all(r is not f for f in follows)]
            if own:
                is_root = any(r.step == diagnosis.root_cause and r.mode == diagnosis.mode
                              and r.layer == diagnosis.layer for r in own)
                direct[step] = StepScore(step, 0.0, full,
                                         "fails (the root cause)" if is_root else "fails")
            elif any(r.failed for r in provided):
                direct[step] = StepScore(step, full, full, "holds; fails only as a "
                                         f"consequence of {diagnosis.root_cause}")
            else:
                direct[step] = StepScore(step, full, full, "holds")
    for step in hidden:
        direct[step] = _not_provided(step, direct, rubric, diagnosis.root_cause)
    return [direct[s] for s in steps]


def _not_provided(step: str, direct: dict[str, StepScore], rubric: Rubric,
                  root_cause: str | None) -> StepScore:
    """A step with no rows of its own, by the rubric's policy."""
    full = rubric.points[step]
    implied_by = IMPLIED_BY.get(step, ())
    if rubric.not_provided == "nothing" or not implied_by:
        return StepScore(step, 0.0, full, "not provided")
    unchecked = [s for s in implied_by if s not in direct]
    if unchecked:
        return StepScore(step, 0.0, full, f"not provided, and {_join(unchecked)}, which would "
                                          "imply it, not checked")
    lost = [s for s in implied_by if not direct[s].verdict.startswith("holds")
            or "implied" in direct[s].verdict]
    if not lost:
        return StepScore(step, full, full, f"holds (implied by {_join(list(implied_by))})")
    if step in COMPOSITIONS and lost == [root_cause]:
        return StepScore(step, full, full, f"holds (implied by {_join(list(implied_by))}); "
                                           f"fails only as a consequence of {root_cause}")
    return StepScore(step, 0.0, full, f"not provided, and not implied: {_join(lost)} "
                                      f"{'does' if len(lost) == 1 else 'do'} not hold")


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def verdict_line(result: GradeResult) -> str:
    """The gradebook's one-line verdict of a target (and the restriction it declares)."""
    if result.stopped:
        line = result.stopped
    elif result.exit_status == 2:
        line = "could not be checked: " + result.message.splitlines()[0]
    elif result.root_cause:
        line = f"root cause {result.root_cause}"
    else:
        line = "every step holds"
    declared = declared_line(result.declared)
    return f"{line}; {declared}" if declared else line


def declared_line(declared: dict[str, list[str]] | None) -> str:
    """A declared restriction in words: "declares activations identity only"."""
    if not declared:
        return ""
    parts = [f"{kind} {', '.join(names) or 'none'} only" for kind, names in declared.items()]
    return "declares " + " and ".join(parts)


def _number(value: float) -> str:
    return f"{value:g}"


def gradebook_csv(results: Sequence[GradeResult], scores: Sequence[Score],
                  rubric: Rubric = DEFAULT_RUBRIC) -> str:
    """``grades.csv``'s text: a header, one row per submission (module docstring)."""
    used = {s.step for sc in scores for s in sc.steps}
    kinds = {sc.kind for sc in scores}
    columns = [s for s in rubric.points
               if s in used or (not used and any(s in rubric.steps_for(k) for k in kinds))]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["student", "submission", *columns, "total", "max_score", "verdict"])
    for result, sc in zip(results, scores, strict=True):
        by_step = {s.step: _number(s.points) for s in sc.steps}
        writer.writerow([student_id(result), result.target,
                         *(by_step.get(c, "") for c in columns),
                         _number(sc.total), _number(sc.max_score), verdict_line(result)])
    return out.getvalue()


def student_id(result: GradeResult) -> str:
    """The gradebook's ``student``: the folder's name, or the file's name without its
    suffix (a result made without one: from its target)."""
    if result.student:
        return result.student
    path = result.target.partition(":")[0]
    name = path.replace("\\", "/").rsplit("/", 1)[-1]
    return name.rsplit(".", 1)[0] if name.endswith((".py", ".ipynb")) else path


def _step_output(step: StepScore, result: GradeResult) -> str:
    """A test's Markdown output: the verdict, then why."""
    text = f"**{step.verdict}**"
    if step.verdict.startswith("fails") and result.root_cause:
        text += f"\n\n{result.message}"
    return text


def gradescope_results(result: GradeResult, sc: Score, *, prefix: str = "") -> dict[str, Any]:
    """One target's results in Gradescope's autograder format (module docstring).

    Parameters
    ----------
    prefix : str
        Put before each test's name (the submission, in a file of many).
    """
    tests = []
    for step in sc.steps:
        tests.append({
            "name": f"{prefix}{step.step}: {get_step(step.step).title}",
            "score": step.points,
            "max_score": step.max_points,
            "status": "passed" if step.verdict.startswith("holds") else "failed",
            "output": _step_output(step, result),
            "output_format": "md",
            "tags": [step.step],
            "visibility": "visible",
        })
    return {
        "score": sc.total,
        "execution_time": round(result.seconds),
        "output": f"{verdict_line(result)}: {sc.total:g} of {sc.max_score:g} points. "
                  f"{result.message}",
        "output_format": "md",
        "test_output_format": "md",
        "tests": tests,
        "extra_data": {"target": result.target, "student": student_id(result),
                       "exit_status": result.exit_status,
                       "root_cause": result.root_cause, "stopped": result.stopped,
                       "max_score": sc.max_score, "declared": result.declared,
                       "notes": list(result.notes)},
    }


def class_results(results: Sequence[GradeResult], scores: Sequence[Score]) -> dict[str, Any]:
    """``results.json`` for all targets: one target's file, or every target's tests."""
    if len(results) == 1:
        return gradescope_results(results[0], scores[0])
    tests = [test for result, sc in zip(results, scores, strict=True)
             for test in gradescope_results(result, sc, prefix=f"{result.target}: ")["tests"]]
    return {"output": f"{len(results)} submissions; each one's own results are in its "
                      "<report name>.results.json.",
            "output_format": "md", "test_output_format": "md", "tests": tests,
            "extra_data": {"submissions": [r.target for r in results],
                           "students": [student_id(r) for r in results]}}
