"""The command line: ``proofcheck verify``, ``watch``, ``grade`` and ``steps``.

Exit status of ``verify``: 0 every provided step holds; 1 some step fails
(also by a result of the wrong shape or with NaN: the row shows it, and
``--json`` is written); 2 the implementation cannot be checked at all (it does
not import, has none of the protocol's functions, cannot be called with the
protocol's arguments, or returns what is not a float64 array), or an argument
is wrong (one message, no traceback; ``--debug`` shows it).

JAX is imported only when a check runs, so ``proofcheck --help`` is instant.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import traceback
from collections.abc import Sequence
from typing import Any, TextIO

from proofcheck.engine.profiles import DEFAULT_PROFILE, ENVIRONMENT_VARIABLE, PROFILES
from proofcheck.oracle.compilation import start_own_process

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="proofcheck",
        description="Check backpropagation, step by step, against the induction proof in "
                    "matrix notation (Ostwald & Usee, arXiv:2107.09384).")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    v = sub.add_parser(
        "verify", help="check every step of the proof (default: proofcheck.MatrixBackprop)",
        description="Run every step's property and print one row per step and mode.")
    v.add_argument("--impl", metavar="MODULE:ATTR",
                   help="the implementation to check: an object or class (instantiated with no "
                        "arguments) or, with MODULE alone, a module; imported from the current "
                        "directory or the installed environment")
    v.add_argument("--layer", metavar="MODULE:CLASS",
                   help="check a layer type (a subclass of proofcheck.layers.LayerMap or "
                        "ActivationMap) instead of an implementation: its lemma and the "
                        "generalized theorem on networks that contain it")
    v.add_argument("--profile", choices=sorted(PROFILES), default=None,
                   help=f"Hypothesis profile (default: ${ENVIRONMENT_VARIABLE} or "
                        f"{DEFAULT_PROFILE})")
    v.add_argument("--json", metavar="PATH", help="also write the report as JSON to PATH")
    v.add_argument("-j", "--jobs", type=int, default=None, metavar="N",
                   help="run the properties in N processes (default: the cores available, "
                        "fewer for a run of a few rows, which one process finishes sooner)")
    v.add_argument("--seed", type=int, default=None,
                   help="seed Hypothesis's random generation, to repeat a run exactly")
    v.add_argument("--steps", metavar="ID[,ID...]",
                   help="check only these step IDs (e.g. T1.step,T1.W)")
    v.add_argument("--no-database", action="store_true",
                   help="do not read or write Hypothesis's example database "
                        "(.hypothesis/examples)")
    v.add_argument("--no-cache", action="store_true",
                   help="do not keep compiled oracle programs on disk (also: "
                        "PROOFCHECK_CACHE=0; see proofcheck.oracle.compilation)")
    v.add_argument("--no-arrays", action="store_true",
                   help="leave the arrays out of the counterexamples printed")
    v.add_argument("-q", "--quiet", action="store_true", help="no progress lines")
    v.add_argument("--debug", action="store_true", help="show tracebacks of usage errors")
    _grade_parser(sub)
    _watch_parser(sub)
    sub.add_parser("steps", help="list the step IDs of the proof",
                   description="List the step IDs, their kind and statement.")
    return parser


def _watch_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    w = sub.add_parser(
        "watch", help="check again on every save of the implementation's source",
        description="Check an implementation (or a layer type), then check it again each "
                    "time its source file is saved: the rows that call the functions you "
                    "changed first, then the rest, each printed as it finishes. One process "
                    "keeps JAX and the compiled oracle warm. Ctrl-C stops.",
        epilog="The default profile, watch, runs 10 derandomized examples a row (the same "
               "examples after every save): a glance, not a verdict. proofcheck verify "
               "(or --profile dev here) draws many more networks.")
    target = w.add_mutually_exclusive_group(required=True)
    target.add_argument("--impl", metavar="MODULE:ATTR",
                        help="the implementation to watch, as proofcheck verify --impl takes it")
    target.add_argument("--layer", metavar="MODULE:CLASS",
                        help="the layer type to watch, as proofcheck verify --layer takes it")
    w.add_argument("--steps", metavar="ID[,ID...]",
                   help="check only these step IDs (e.g. T1.step)")
    w.add_argument("--profile", choices=sorted(PROFILES), default="watch",
                   help="Hypothesis profile (default: watch, 10 derandomized examples a row)")
    w.add_argument("--no-cache", action="store_true",
                   help="do not keep compiled oracle programs on disk")
    w.add_argument("--debug", action="store_true", help="show tracebacks of usage errors")


def _watch(args: argparse.Namespace) -> int:
    from proofcheck.engine._watch import watch
    from proofcheck.errors import ProofcheckError

    previous = signal.signal(signal.SIGINT, _stop_watching)
    try:
        watch(args.impl or args.layer, layer=args.layer is not None,
              steps=_step_ids(args.steps), profile=args.profile)
    except ProofcheckError as exc:
        return _usage_error(args, exc, after="\n")
    finally:  # (reached only when the target cannot be checked at the start)
        signal.signal(signal.SIGINT, previous)
    return 0


def _stop_watching(signum: int, frame: object) -> None:
    """Ctrl-C ends the watch command's process at once.

    Not by the ``KeyboardInterrupt`` that Python raises: arriving in the middle of a
    check (in a garbage collection, a callback of JAX's), it can be swallowed, and a
    watch process was seen, now and then under load, still running 30 s after Ctrl-C.
    Nothing of the process's state needs saving (the compilation cache is written
    when a program is compiled), and it has no child processes.
    """
    sys.stdout.write("\nstopped\n")
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


def _grade_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    g = sub.add_parser(
        "grade", help="check many implementations (e.g. a folder of submissions)",
        description="Check every target, each in a process and a working folder of its own "
                    "within a time and a memory limit; score it by the rubric; write the "
                    "gradebook (grades.csv), Gradescope's results.json and, per target, its "
                    "report and feedback; print a summary. Exit status: the largest of the "
                    "targets' (0, 1 or 2).")
    g.add_argument("targets", nargs="+", metavar="TARGET",
                   help="a class's folder (each student's folder, .py file and notebook in "
                        "it), a student's folder, path/to/file.py[:ATTR], a notebook "
                        "path/to/file.ipynb[:ATTR], MODULE:ATTR or MODULE")
    g.add_argument("--attr", metavar="NAME",
                   help="the attribute to check in every file of a folder (default: the module)")
    g.add_argument("--entry", metavar="NAME",
                   help="the entry file in every student's folder, e.g. backprop.py (default: "
                        "the one file of the folder that defines the protocol's functions, or "
                        "the --attr object)")
    g.add_argument("--fresh", action="store_true",
                   help="start the gradebook in --out over (default: a regrade into a graded "
                        "folder replaces the rows of the students graded and keeps the others)")
    g.add_argument("-q", "--quiet", action="store_true",
                   help="no progress line per finished submission")
    g.add_argument("--profile", choices=sorted(PROFILES), default=None)
    g.add_argument("--steps", metavar="ID[,ID...]",
                   help="check only these step IDs (default: the rubric's)")
    g.add_argument("--out", metavar="DIR", default="proofcheck-reports",
                   help="folder for grades.csv, results.json (Gradescope's format) and, per "
                        "target, its JSON report and feedback (default: proofcheck-reports)")
    g.add_argument("-j", "--jobs", type=int, default=None, metavar="N",
                   help="targets checked at a time (default: the cores available)")
    g.add_argument("--rubric", metavar="FILE",
                   help="points per step, a TOML file (default: the default rubric, 20 points "
                        "for an implementation: see proofcheck.grading.rubric)")
    g.add_argument("--docs-url", metavar="URL", default="",
                   help="where the course serves proofcheck's docs: the feedback links each "
                        "step to its section there (default: links relative to the docs)")
    g.add_argument("--timeout", type=float, default=None, metavar="SECONDS",
                   help="time limit of each target's check, wall time (default: 5 s per "
                        "example of the profile's rows: 300 s for ci, 500 s for dev)")
    g.add_argument("--memory", type=float, default=None, metavar="MB",
                   help="resident-memory limit of each target's process, in megabytes "
                        "(default: 2048)")
    g.add_argument("--dask", metavar="ADDRESS",
                   help="run on a Dask cluster: the scheduler's address (needs the "
                        "'distributed' package)")
    g.add_argument("--no-cache", action="store_true",
                   help="do not keep compiled oracle programs on disk")
    g.add_argument("--debug", action="store_true", help="show tracebacks of usage errors")


def _progress(stream: TextIO):  # type: ignore[no-untyped-def]
    def report(i: int, total: int, step: str, mode: str, row: object) -> None:
        # One line per finished row (rows may finish out of order with --jobs).
        if row is None:
            return
        status = getattr(row, "status", "")
        examples = getattr(row, "examples", 0)
        seconds = getattr(row, "seconds", 0.0)
        layer = getattr(row, "layer", None)
        label = f"{mode} ({layer})" if layer else mode
        stream.write(f"[{i:>2}/{total}] {step:<8} {label:<22} {status} ({examples} examples, "
                     f"{seconds:.1f} s)\n")
        stream.flush()

    return report


def _step_ids(text: str | None) -> list[str] | None:
    """``--steps T1.b, T2`` as a list (``None``: every step)."""
    return [s.strip() for s in text.split(",") if s.strip()] if text else None


def _usage_error(args: argparse.Namespace, exc: Exception, *, after: str = "") -> int:
    """Say what cannot be done (with the traceback under ``--debug``); exit status 2."""
    if args.debug:
        traceback.print_exc()
    sys.stderr.write(f"{after}proofcheck: error: {exc}\n")
    return 2


def _verify(args: argparse.Namespace) -> int:
    from proofcheck.engine._verify import load_implementation, verify
    from proofcheck.errors import ProofcheckError

    try:
        impl = load_implementation(args.impl) if args.impl else None
        layer = load_implementation(args.layer, option="--layer") if args.layer else None
        report = verify(impl, profile=args.profile, steps=_step_ids(args.steps),
                        database=not args.no_database,
                        progress=None if args.quiet else _progress(sys.stderr),
                        name=args.impl or args.layer, seed=args.seed, layer=layer,
                        jobs=args.jobs or "auto")
    except ProofcheckError as exc:
        # After the progress lines, on a line of its own.
        return _usage_error(args, exc, after="\n")
    sys.stdout.write(report.render(arrays=not args.no_arrays) + "\n")
    if args.json:
        try:
            report.write_json(args.json)
        except OSError as exc:
            sys.stderr.write(f"proofcheck: error: cannot write --json {args.json!r}: {exc}\n")
            return 2
    return report.exit_status


def _grade_progress(stream: TextIO):  # type: ignore[no-untyped-def]
    def report(done: int, total: int, results: list[Any], left: float | None) -> None:
        # One line per finished check (an identical group's students share one).
        from proofcheck.grading.gradebook import student_id, verdict_line

        first = results[0]
        who = ", ".join(student_id(r) for r in results)
        eta = f"; about {_duration(left)} left" if left else ""
        stream.write(f"[{done}/{total}] {who}: {verdict_line(first)} "
                     f"({first.seconds:.0f} s{eta})\n")
        stream.flush()

    return report


def _duration(seconds: float) -> str:
    return f"{seconds:.0f} s" if seconds < 90 else f"{seconds / 60:.0f} min"


def _grade(args: argparse.Namespace) -> int:
    from pathlib import Path

    from proofcheck.engine._verify import available_cores
    from proofcheck.errors import ProofcheckError
    from proofcheck.grading._grade import grade, gradebook_in, render_summary
    from proofcheck.grading._submissions import collect_submissions
    from proofcheck.grading.rubric import DEFAULT_RUBRIC, load_rubric

    try:
        rubric = load_rubric(args.rubric) if args.rubric else None
        targets, skipped = collect_submissions(args.targets, attribute=args.attr,
                                               entry=args.entry)
        before = None if args.fresh or not Path(args.out).is_dir() else \
            gradebook_in(Path(args.out), rubric or DEFAULT_RUBRIC)
        if before:
            sys.stdout.write(f"Updating the gradebook in {args.out}/ ({len(before)} "
                             "submissions): the rows of the students graded now are replaced, "
                             "the others kept (--fresh starts it over).\n")
            sys.stdout.flush()
        executor = None
        if args.dask:
            try:
                from distributed import Client
            except ImportError:
                sys.stderr.write("proofcheck: error: --dask needs the 'distributed' package "
                                 "(pip install distributed)\n")
                return 2
            # distributed may or may not be installed where mypy runs: untyped either way.
            executor = Client(args.dask).get_executor()  # type: ignore[no-untyped-call,unused-ignore]
        results = grade(targets, profile=args.profile, steps=_step_ids(args.steps),
                        executor=executor, jobs=args.jobs or available_cores(), out_dir=args.out,
                        timeout=args.timeout, memory=args.memory, rubric=rubric,
                        docs_url=args.docs_url, fresh=args.fresh, skipped=skipped,
                        progress=None if args.quiet else _grade_progress(sys.stderr))
    except ProofcheckError as exc:
        return _usage_error(args, exc)
    sys.stdout.write(render_summary(results, skipped) + f"\nGradebook {args.out}/grades.csv, "
                     f"Gradescope results {args.out}/results.json, reports and feedback in "
                     f"{args.out}/\n")
    return max(r.exit_status for r in results)


def _steps() -> int:
    from proofcheck.steps import STEPS

    for step in STEPS:
        mark = "" if step.checked else "  (definition: implemented, not a property)"
        sys.stdout.write(f"{step.id:<8} {step.kind:<11} {step.title}: {step.statement}{mark}\n")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line with ``argv`` (default ``sys.argv[1:]``); return the exit status."""
    args = _parser().parse_args(argv)
    if args.command in ("verify", "grade", "watch"):
        start_own_process(cache=not args.no_cache)  # ours: see proofcheck.oracle.compilation
    if args.command == "verify":
        return _verify(args)
    if args.command == "watch":
        return _watch(args)
    if args.command == "grade":
        return _grade(args)
    return _steps()


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
