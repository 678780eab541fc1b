"""Each submission checked in a process and a working folder of its own, within limits.

:func:`run_contained` starts a Python process running :func:`child_main`
for one target (on Linux forked from the grader's fork server, an interpreter
that has already imported JAX: :mod:`proofcheck.grading._forkserver`; elsewhere
a fresh ``python -c``), in a working folder made for it
(empty for a single file, a copy of the student's folder for a folder
submission, so that its data files open by relative paths) and removed
afterwards, and watches it:

- **time**: past ``timeout`` seconds of wall time the process (and every
  process it started) is killed: "timed out after 60 s";
- **memory**: the resident memory (RSS) of the process and its children is
  read every tenth of a second from ``/proc`` (or with psutil, where there is
  no ``/proc`` and psutil is installed); past ``memory`` megabytes they are
  killed: "ran out of memory". Resident memory, not the address space: JAX
  reserves far more address space than it uses, so a limit on the address
  space (``RLIMIT_AS``) would stop correct submissions. Between two readings
  a submission can allocate more than the limit (about what it can touch in
  0.1 s), so keep the limit well below the machine's memory;
- **a lost grader**: the process also sets an alarm of its own, ``ALARM_MARGIN``
  seconds past its time limit, so that it ends even when the grader watching it
  died (a Dask worker lost);
- **its end**: a process that ends before it reports the last row
  (``sys.exit(3)``, ``os._exit``, a signal it sends itself) "exited with
  status 3" or "was killed by signal 9 (SIGKILL)".

Besides the rows, the process reports the restriction the target declares
(``supported_activations``, ``supported_costs``) and, after the rows, whether
its step functions change the arrays they are given (one call each on a small
network, compared with copies): a warning for its feedback, not a verdict.

The process writes each row to a results file as soon as the row is done, so
the rows finished before a limit was reached keep their verdicts; the rows
left are *unfinished*. What the submission prints (standard output and
error) is read through a pipe, so printing megabytes cannot block it; the
first :data:`OUTPUT_KEPT` bytes are kept for its feedback.

Containment protects the other submissions and the gradebook: every
submission runs in a process of its own, so nothing it does to its
interpreter (a changed current directory, modules, monkeypatched functions)
reaches another, and the grader writes the reports and the gradebook after
the submissions' processes have ended. It is not a security boundary: the
process runs with the grader's rights and could read or write any file the
grader can (or forge its own results file). Run untrusted code in a container
or under an account of its own.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Collection
from dataclasses import asdict
from pathlib import Path
from typing import IO, Any, NamedTuple

from proofcheck.grading import _forkserver

__all__ = ["DEFAULT_MEMORY_MB", "DEFAULT_SECONDS_PER_EXAMPLE", "OUTPUT_KEPT", "Contained",
           "default_timeout", "run_contained", "start_again", "stop_all"]

#: The default memory limit of one submission's process, in megabytes (a check of a
#: correct implementation peaks at about 350 MB; ``benchmarks/RESULTS.md``).
DEFAULT_MEMORY_MB = 2048
#: The default time limit is this many seconds per example of the profile's rows.
DEFAULT_SECONDS_PER_EXAMPLE = 5.0
#: Bytes of a submission's printed output kept for its feedback.
OUTPUT_KEPT = 16_384
#: What the contained process runs (``-c``: this module is already imported with the
#: package, so ``-m`` would run a second copy of it).
_ENTRY = "import sys; from proofcheck.grading._sandbox import child_main; child_main(sys.argv[1:])"
#: Seconds between two readings of the time and the memory used.
_POLL = 0.1
#: The folder proofcheck is imported from (``proofcheck/grading/_sandbox.py``, three up).
_PACKAGE_PARENT = Path(__file__).resolve().parent.parent.parent


def default_timeout(profile: str | None) -> float:
    """The default time limit for one submission under ``profile``, in seconds.

    :data:`DEFAULT_SECONDS_PER_EXAMPLE` times the profile's examples per row:
    300 s for ``ci`` (60 examples), 500 s for ``dev``, 5000 s for ``thorough``.
    A correct submission takes about a tenth of that (``benchmarks/RESULTS.md``).
    """
    from proofcheck.engine.profiles import get_profile, profile_from_env

    examples = get_profile(profile or profile_from_env()).max_examples
    return DEFAULT_SECONDS_PER_EXAMPLE * examples


class Contained(NamedTuple):
    """What the contained process of one target reported.

    Attributes
    ----------
    planned : list of str
        The rows the check planned, as ``"step/mode[/layer]"`` keys, in order.
    rows : list of dict
        The rows it finished (the report's row schema).
    profile : str or None
        The profile the rows ran under.
    layer_target : bool
        Whether the target is a layer type.
    error : str or None
        Why the target could not be checked at all (exit status 2), if so.
    stopped : str or None
        Why the process stopped before the end, if it did: "timed out after
        60 s", "ran out of memory (more than 2048 MB resident)", "exited with
        status 3", "was killed by signal 9 (SIGKILL)".
    output : str
        The first :data:`OUTPUT_KEPT` bytes it printed, decoded.
    output_bytes : int
        How many bytes it printed in all.
    seconds : float
        Wall time, start to end.
    misconception : dict or None
        The classic mistake the root cause matches (``message``, ``name``,
        ``explanation``, ``also``), when the catalog's matcher names one.
    declared : dict or None
        The restriction the target declares: ``{"activations": [names], "costs":
        [names]}``, only the kinds its ``supported_*`` sets restrict.
    warnings : list of str
        What the check noticed that costs nothing: arguments changed in place.
    """

    planned: list[str]
    rows: list[dict[str, Any]]
    profile: str | None
    layer_target: bool
    error: str | None
    stopped: str | None
    output: str
    output_bytes: int
    seconds: float
    misconception: dict[str, Any] | None = None
    declared: dict[str, list[str]] | None = None
    warnings: list[str] = []  # noqa: RUF012 (a NamedTuple default, never mutated)


def run_contained(target: str, *, profile: str | None, steps: Collection[str] | None,
                  cwd: str, timeout: float, memory: float,
                  folder: str | None = None) -> Contained:
    """Check ``target`` in a process and a working folder of its own; see the module docstring.

    Parameters
    ----------
    target : str
        ``MODULE:ATTR``, ``MODULE`` or ``path/to/file.py[:ATTR]`` (a relative
        path is taken from ``cwd``).
    profile, steps
        As for :func:`proofcheck.verify`.
    cwd : str
        The folder module targets are imported from (the grader's).
    timeout : float
        Seconds of wall time.
    memory : float
        Megabytes of resident memory.
    folder : str, optional
        A student's folder (relative paths from ``cwd``): the process runs in a copy
        of it, made for it and removed afterwards, and ``target`` (a file in the
        folder) is loaded from the copy, so that its modules import and its data
        files open by relative paths.
    """
    start = time.perf_counter()
    scratch = Path(tempfile.mkdtemp(prefix="proofcheck-grade-"))
    work = scratch / "work"
    absolute = _working_copy(_absolute(target, cwd), cwd, folder, work)
    results = scratch / "results.jsonl"
    request = {"target": absolute, "name": target, "timeout": timeout,
               "profile": profile,
               "steps": sorted(steps) if steps is not None else None, "cwd": cwd,
               "results": str(results)}
    try:
        process = _start(json.dumps(request), work)
        assert process.stdout is not None
        with _LIVE_LOCK:
            _LIVE.add(process.pid)
            stopping = _STOPPING.is_set()
        if stopping:  # the grader was interrupted while this process started
            _kill_group(process.pid)
        reader = _OutputReader(process.stdout)
        try:
            stopped = _watch(process, timeout, memory)
        finally:
            _LIVE.discard(process.pid)
        reader.join()
        messages = _read_results(results)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return _contained(messages, stopped, process.wait(), reader,
                      time.perf_counter() - start)


def _start(argument: str, work: Path) -> subprocess.Popen[bytes] | _forkserver.ForkedProcess:
    """The contained process running ``child_main([argument])`` in ``work``: forked from
    the fork server where there is one (:mod:`proofcheck.grading._forkserver`), else a
    fresh interpreter."""
    env = _environment()
    forked = _forkserver.start(f"{__name__}:child_main", argument, str(work), env,
                               str(_PACKAGE_PARENT))
    if forked is not None:
        return forked
    return subprocess.Popen(
        [sys.executable, "-c", _ENTRY, argument], cwd=work, env=env,
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        start_new_session=True)


def _working_copy(absolute: str, cwd: str, folder: str | None, work: Path) -> str:
    """Make the process's working folder ``work``: a copy of the student's ``folder``
    (then the target is the copy's file), else empty. Returns the target to load."""
    if folder is None:
        work.mkdir()
        return absolute
    source = Path(cwd) / folder
    shutil.copytree(source, work, symlinks=True,
                    ignore=shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints"))
    path, sep, attr = absolute.partition(":")
    return str(work / os.path.relpath(path, source)) + sep + attr


def _absolute(target: str, cwd: str) -> str:
    """A file target's path made absolute (the process runs in another folder)."""
    path, sep, attr = target.partition(":")
    if path.endswith((".py", ".ipynb")) and not os.path.isabs(path):
        return os.path.join(cwd, path) + sep + attr
    return target


def _environment() -> dict[str, str]:
    """The grader's environment, with proofcheck's own folder importable."""
    env = dict(os.environ)
    package_parent = str(_PACKAGE_PARENT)
    paths = [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]
    env["PYTHONPATH"] = os.pathsep.join([*paths, package_parent])
    return env


class _OutputReader:
    """Drains a pipe in a thread, keeping its first :data:`OUTPUT_KEPT` bytes and a count."""

    def __init__(self, pipe: IO[bytes]) -> None:
        self.head = bytearray()
        self.total = 0
        self._pipe = pipe
        self._thread = threading.Thread(target=self._drain, daemon=True)
        self._thread.start()

    def _drain(self) -> None:
        while chunk := self._pipe.read1(65536):  # type: ignore[attr-defined]
            self.total += len(chunk)
            if len(self.head) < OUTPUT_KEPT:
                self.head += chunk[:OUTPUT_KEPT - len(self.head)]
        self._pipe.close()

    def join(self) -> None:
        self._thread.join(timeout=5.0)


def _watch(process: subprocess.Popen[bytes] | _forkserver.ForkedProcess, timeout: float,
           memory: float) -> str | None:
    """Wait for ``process``; kill its process group at a limit and say which."""
    deadline = time.monotonic() + timeout
    limit = memory * 1024 * 1024
    stopped = None
    while process.poll() is None:
        if time.monotonic() > deadline:
            stopped = f"timed out after {timeout:g} s"
        elif _resident(process.pid) > limit:
            stopped = f"ran out of memory (more than {memory:g} MB resident)"
        if stopped is not None:
            break
        time.sleep(_POLL)
    _kill_group(process.pid)
    process.wait()
    return stopped


#: The process groups of the submissions being checked by this process's threads.
_LIVE: set[int] = set()


_LIVE_LOCK = threading.Lock()
#: Set by :func:`stop_all`: a process started after it (its thread was inside
#: ``Popen`` when the grader was interrupted) is killed as soon as it is known.
_STOPPING = threading.Event()


def stop_all() -> None:
    """Kill every submission's process this process is watching (the grader was
    interrupted), and every one started from now on, until :func:`start_again`."""
    with _LIVE_LOCK:
        _STOPPING.set()
        pids = list(_LIVE)
    for pid in pids:
        _kill_group(pid)


def start_again() -> None:
    """Let submissions' processes run again after :func:`stop_all` (a new grading run)."""
    _STOPPING.clear()


def _kill_group(pid: int) -> None:
    """Kill every process of the submission's group (it may have started others)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)


_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def _resident(pid: int) -> int:
    """Resident bytes of ``pid`` and its descendants (0 if they cannot be read here)."""
    if os.path.isdir("/proc"):
        total, seen, todo = 0, set(), [pid]
        while todo:
            p = todo.pop()
            if p in seen:
                continue
            seen.add(p)
            try:
                with open(f"/proc/{p}/statm") as f:
                    total += int(f.read().split()[1]) * _PAGE
                for task in os.listdir(f"/proc/{p}/task"):
                    with open(f"/proc/{p}/task/{task}/children") as f:
                        todo += [int(c) for c in f.read().split()]
            except (OSError, ValueError, IndexError):
                continue
        return total
    return _resident_psutil(pid)


def _resident_psutil(pid: int) -> int:
    try:
        import psutil  # type: ignore[import-untyped]
    except ImportError:
        return 0
    try:
        parent = psutil.Process(pid)
        return int(sum(p.memory_info().rss for p in [parent, *parent.children(recursive=True)]))
    except psutil.Error:
        return 0


def _read_results(path: Path) -> list[dict[str, Any]]:
    """The messages of the results file; a last line cut short by a kill is left out."""
    messages = []
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return []
    for line in text.splitlines():
        try:
            message = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(message, dict):
            messages.append(message)
    return messages


def _contained(messages: list[dict[str, Any]], stopped: str | None, returncode: int,
               reader: _OutputReader, seconds: float) -> Contained:
    plan = next((m for m in messages if m.get("kind") == "plan"), {})
    error = next((m["message"] for m in messages if m.get("kind") == "error"), None)
    done = any(m.get("kind") == "done" for m in messages)
    if stopped is None and not done and error is None:
        if returncode < 0:
            try:
                name = signal.Signals(-returncode).name
            except ValueError:
                name = "unknown"
            stopped = f"was killed by signal {-returncode} ({name})"
        else:
            stopped = f"exited with status {returncode}"
    return Contained(
        planned=list(plan.get("rows", [])),
        # A row sent again (run again on another row's example) replaces the first.
        rows=list({row_key(m["row"]): m["row"] for m in messages
                   if m.get("kind") == "row"}.values()),
        profile=plan.get("profile"), layer_target=bool(plan.get("layer_target")),
        error=error, stopped=stopped,
        output=bytes(reader.head).decode("utf-8", errors="replace"),
        output_bytes=reader.total, seconds=seconds,
        misconception=next((m for m in messages if m.get("kind") == "misconception"), None),
        declared=next((m["restriction"] for m in messages if m.get("kind") == "declared"),
                      None),
        warnings=[m["message"] for m in messages if m.get("kind") == "warning"])


def row_key(row: Any) -> str:
    """``"step/mode"`` or ``"step/mode/layer"`` of a row (an object or its dict)."""
    from proofcheck.steps import row_key as key_of

    get = row.get if isinstance(row, dict) else lambda name: getattr(row, name)
    return key_of(str(get("step")), str(get("mode")), get("layer"))


# --- the contained process -------------------------------------------------------------


def _check(request: dict[str, Any]) -> None:
    """The contained process: load the target, plan its rows, run them, one line each."""
    out = open(request["results"], "a", encoding="utf-8")  # noqa: SIM115 (written to the end)

    def send(message: dict[str, Any]) -> None:
        out.write(json.dumps(message) + "\n")
        out.flush()

    from proofcheck.engine._loading import load_target
    from proofcheck.engine._verify import plan_rows, run_rows
    from proofcheck.errors import ProofcheckError

    if request["cwd"] not in sys.path:
        sys.path.insert(0, request["cwd"])
    try:
        impl, layer = load_target(request["target"])
        plan = plan_rows(impl, layer=layer, profile=request["profile"], steps=request["steps"],
                         database=False, name=request["name"])
        # The lemmas and the oracle's own checks are about the mathematics, not the
        # submission: the same for every one of them, so not run when grading.
        plan = plan._replace(properties=[p for p in plan.properties
                                         if p.about != "mathematics"])
        send({"kind": "plan", "profile": plan.profile_name, "layer_target": layer is not None,
              "rows": [row_key({"step": p.step, "mode": p.mode, "layer": p.layer})
                       for p in plan.properties]})

        def progress(i: int, total: int, step: str, mode: str, row: Any) -> None:
            if row is not None:
                send({"kind": "row", "row": asdict(row)})

        if layer is None:
            declared = _declared(impl)
            if declared:
                send({"kind": "declared", "restriction": declared})
        rows = run_rows(plan, progress=progress)
        named = _misconception(impl if layer is None else layer, rows, layer is not None)
        if named is not None:
            send({"kind": "misconception", **named})
        if layer is None:
            for warning in _changes_in_place(impl):
                send({"kind": "warning", "message": warning})
    except ProofcheckError as exc:
        # Name the file as the grader did, not by the absolute path it was loaded from.
        given, loaded = request["name"].partition(":")[0], request["target"].partition(":")[0]
        send({"kind": "error", "message": str(exc).replace(loaded, given)})
    send({"kind": "done"})
    out.close()


def _declared(impl: Any) -> dict[str, list[str]]:
    """The restriction ``impl`` declares: for ``activations`` and ``costs``, the names its
    ``supported_*`` set leaves out of the registry's (only the restricted ones)."""
    from proofcheck.activations import ACTIVATIONS
    from proofcheck.costs import COSTS

    declared = {}
    for kind, registry in (("activations", ACTIVATIONS), ("costs", COSTS)):
        chosen = getattr(impl, f"supported_{kind}", None)
        if chosen is None:
            continue
        try:
            names = sorted(str(n) for n in chosen)
        except TypeError:
            continue
        if set(registry) - set(names):
            declared[kind] = names
    return declared


def _changes_in_place(impl: Any) -> list[str]:
    """Which of ``impl``'s functions change an argument the caller passed (an array
    overwritten, a list reordered): one call each on a small network, on copies
    compared afterwards. Not a failure (the check passes each call arrays of its
    own), but code that overwrites its caller's data breaks a training loop."""
    import numpy as np

    rng = np.random.default_rng(0)
    n0, n1, n2, N = 3, 4, 2, 5
    W1, W2 = rng.normal(size=(n1, n0)), rng.normal(size=(n2, n1))
    b1, b2 = rng.normal(size=n1), rng.normal(size=n2)
    X, Y = rng.normal(size=(n0, N)), rng.normal(size=(n2, N))
    calls: dict[str, dict[str, Any]] = {
        "output_delta": {"dfz": rng.uniform(0.5, 1.0, (n2, N)),
                         "grad_a": rng.normal(size=(n2, N))},
        "backward_delta": {"W_next": W2, "delta_next": rng.normal(size=(n2, N)),
                           "dfz": rng.uniform(0.5, 1.0, (n1, N))},
        "weight_grad": {"delta": rng.normal(size=(n1, N)), "a_prev": X},
        "bias_grad": {"delta": rng.normal(size=(n1, N))},
        "gradients": {"weights": [W1, W2], "biases": [b1, b2],
                      "activations": ["tanh", "identity"], "cost": "squared_error",
                      "X": X, "Y": Y},
    }
    found = []
    for name, args in calls.items():
        function = getattr(impl, name, None)
        if not callable(function):
            continue
        args = {k: _copy(v) for k, v in args.items()}
        before = {k: _copy(v) for k, v in args.items()}
        # Its rows say what is wrong with it, an exception too; only changes matter here.
        with contextlib.suppress(Exception):
            function(**args)
        changed = [k for k in args if not _same(args[k], before[k])]
        if changed:
            found.append(f"{name} changes its argument{'s' if len(changed) > 1 else ''} "
                         f"{', '.join(changed)} in place: the caller's "
                         f"{'data are' if len(changed) > 1 else 'data is'} not as it passed "
                         "them after the call. Work on a copy (or build new arrays) instead.")
    return found


def _copy(value: Any) -> Any:
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value.copy() if hasattr(value, "copy") else value


def _same(now: Any, then: Any) -> bool:
    import numpy as np

    if isinstance(then, list):
        return isinstance(now, list) and len(now) == len(then) and all(
            _same(a, b) for a, b in zip(now, then, strict=True))
    if isinstance(then, np.ndarray):
        return isinstance(now, np.ndarray) and now.shape == then.shape and \
            bool(np.array_equal(now, then, equal_nan=True))
    return bool(now == then)


def _misconception(subject: Any, rows: list[Any], layer_target: bool) -> dict[str, Any] | None:
    """The classic mistake the root cause's counterexample matches, if one is named.

    MISCONCEPTION: the catalog's matcher (``proofcheck.diagnosis.misconceptions``) is
    called here, in the submission's own process, where its code may run. A
    proofcheck without the matcher, or a matcher that fails, names nothing:
    the feedback then has no misconception section.
    """
    from proofcheck.diagnosis.report import diagnose

    d = diagnose(rows, layer_target=layer_target)
    root = next((r for r in rows if r.failed and r.step == d.root_cause and r.mode == d.mode
                 and r.layer == d.layer), None)
    if root is None:
        return None
    try:
        from proofcheck.diagnosis.misconceptions import (  # type: ignore[import-not-found,unused-ignore]
            name_misconception,
        )
    except ImportError:
        return None
    try:
        matches = name_misconception(subject, root)
    except Exception:  # the matcher runs the submission's code again; never fatal
        return None
    if not matches:
        return None
    entry = matches[0].entry
    return {"row": row_key(root), "message": str(matches[0].message),
            "name": getattr(entry, "name", None),
            "explanation": getattr(entry, "explanation", None),
            "also": [getattr(m.entry, "name", None) for m in matches[1:]]}


#: Seconds the contained process outlives its time limit before its own alarm ends it.
ALARM_MARGIN = 10


def child_main(argv: list[str]) -> None:
    """The contained process's entry point: ``argv[0]`` is the JSON request (target,
    profile, steps, limits); the results are written where the request says."""
    from proofcheck.oracle.compilation import start_own_process

    request = json.loads(argv[0])
    if hasattr(signal, "alarm"):
        # A backstop for a grader that died without killing it (a Dask worker
        # lost, say): the process ends itself a little after its time limit.
        signal.alarm(math.ceil(request["timeout"]) + ALARM_MARGIN)
    start_own_process()  # quick compiles and the cache, before JAX is imported
    _check(request)
