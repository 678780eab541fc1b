"""Watch mode: check a target again each time its source is saved (``proofcheck watch``).

One process imports JAX once and keeps the oracle's compiled programs, so a save
costs only the rows themselves. After a save the target is imported again, the
protocol functions (or the layer type's methods) whose source changed are named,
and the rows that call them run first; the other rows follow. Each row is printed
as it finishes, then the failures and the diagnosis, as ``proofcheck verify``
prints them.

The default profile, ``watch``, is a glance: a few derandomized examples a row
(the same ones every save, so a verdict that changes was changed by the code).
A row that holds here may still fail ``proofcheck verify``, which draws many
more networks.

The files watched are the target's own module and the other modules of its
folder that it imported; saves are seen through ``watchfiles``, which waits on
the operating system's file events rather than polling.
"""

from __future__ import annotations

import hashlib
import importlib
import inspect
import os
import sys
import time
from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from proofcheck.diagnosis.report import Report, Row
from proofcheck.errors import ProofcheckError
from proofcheck.protocol import PROTOCOL_FUNCTIONS

__all__ = ["WATCH_PROFILE", "watch"]

#: The profile ``proofcheck watch`` uses unless ``--profile`` names another.
WATCH_PROFILE = "watch"

#: The methods of a layer type, and the steps whose rows call them first.
_LAYER_METHODS = {
    "forward": ("G.base", "G.step", "G.param"),
    "product": ("G.base", "G.step"),
    "input_product": ("G.step",),
    "parameter_products": ("G.param",),
    "parameter_shapes": ("G.step", "G.param"),
    "n_out": ("G.step", "G.param"),
    "configurations": ("G.base", "G.step", "G.param"),
}

#: How long (milliseconds) the file watcher waits for a burst of file events (an
#: editor's save is often a write and a rename) to end before it reports them.
_DEBOUNCE_MS = 50
#: How long (milliseconds) the watcher waits for events before it says it has started
#: (and, after that, before it checks for Ctrl-C again).
_STARTED_MS = 200


@dataclass
class _Target:
    """What is watched: ``MODULE:ATTR`` given to ``--impl`` or ``--layer``."""

    spec: str
    option: str
    #: The source of each protocol function or method, as last loaded.
    sources: dict[str, str] = field(default_factory=dict)

    def load(self, changed_files: Collection[str] = ()) -> Any:
        """The target, imported again after ``changed_files`` were saved.

        The saved helper modules first, then the target's module, so that what it
        imports from them (``from helpers import f``) is the saved code; a target given
        as a file is executed anew by :func:`load_implementation` itself.
        """
        from proofcheck.engine._loading import load_implementation

        module_name = self.spec.partition(":")[0]
        changed = {os.path.realpath(f) for f in changed_files}
        for name, module in list(sys.modules.items()):
            if name != module_name and _source_file(module) in changed:
                importlib.reload(module)
        if changed and module_name in sys.modules:
            importlib.reload(sys.modules[module_name])
        return load_implementation(self.spec, option=self.option)

    def files(self, target: Any) -> list[Path]:
        """The target's source file and the other modules of its folder it has loaded."""
        module = target if inspect.ismodule(target) else sys.modules.get(
            getattr(target, "__module__", None) or "")
        file = _source_file(module) or (
            os.path.realpath(self.spec.partition(":")[0])
            if os.path.isfile(self.spec.partition(":")[0]) else None)
        if file is None:
            return []
        folder = os.path.dirname(file)
        found = {f for f in map(_source_file, list(sys.modules.values()))
                 if f is not None and os.path.dirname(f) == folder}
        return sorted(Path(f) for f in found | {file})

    def changed_functions(self, target: Any) -> set[str]:
        """The protocol functions or methods whose source differs from the last load."""
        names = _LAYER_METHODS if self.option == "--layer" else [
            f.name for f in PROTOCOL_FUNCTIONS]
        now = {}
        for name in names:
            function = getattr(target, name, None)
            if function is None:
                continue
            try:
                now[name] = inspect.getsource(function)
            except (OSError, TypeError):
                now[name] = repr(getattr(getattr(function, "__code__", None), "co_code", None))
        changed = {n for n in set(now) | set(self.sources) if now.get(n) != self.sources.get(n)}
        self.sources = now
        return changed


def _source_file(module: Any) -> str | None:
    """The real path of a module's source file, if it has one (a relative ``__file__``,
    which some extension modules have, is not a file here)."""
    file = getattr(module, "__file__", None)
    return os.path.realpath(file) if isinstance(file, str) and os.path.isabs(file) else None


def _first(prop: Any, changed: set[str], layer: bool) -> bool:
    """Whether ``prop``'s row calls one of the ``changed`` functions (so runs first)."""
    if layer:
        return any(prop.step in _LAYER_METHODS[name] for name in changed)
    return bool(changed & (set(prop.needs) | set(prop.needs_any)))


def _row_line(row: Row, first: bool) -> str:
    label = f"{row.mode} ({row.layer})" if row.layer else row.mode
    mark = "*" if first else " "
    verdict = {"fails": "FAILS", "error": "ERROR"}.get(row.status, row.status)
    return (f"{mark} {row.step:<8} {label:<26} {verdict:<12} ({row.examples} examples, "
            f"{row.seconds:.2f} s)\n")


def _failures(report: Report) -> str:
    """The part of the report after the table and its notes: failures and diagnosis."""
    lines = report.render(arrays=False).splitlines()
    start = next((i for i, line in enumerate(lines)
                  if line.startswith(("== ", "Diagnosis:"))), len(lines))
    return "\n".join(lines[start:]) + "\n"


def _check(target: Any, spec: str, layer: bool, changed: set[str] | None,
           steps: Collection[str] | None, profile: str, stream: TextIO) -> Report:
    """One pass: the rows that call ``changed`` first (all, if ``None``), printed as
    they finish; then the failures and the diagnosis."""
    from proofcheck.engine._verify import _at_one_example, _run_row, plan_rows

    start = time.perf_counter()
    plan = plan_rows(None if layer else target, profile=profile, steps=steps,
                     database=False, name=spec, layer=target if layer else None)
    first = [p for p in plan.properties if changed and _first(p, changed, layer)]
    rest = [p for p in plan.properties if p not in first]
    done: dict[str, Row] = {}
    for prop in first + rest:
        done[prop.key] = _run_row(plan, prop)
        stream.write(_row_line(done[prop.key], prop in first))
        stream.flush()
    rows = _at_one_example(plan, [done[p.key] for p in plan.properties])
    report = Report(plan.subject.name, plan.profile_name, rows,
                    seconds=time.perf_counter() - start, layer_target=layer)
    stream.write(_failures(report))
    stream.flush()
    return report


def _digest(path: str) -> bytes | None:
    try:
        return hashlib.sha256(Path(path).read_bytes()).digest()
    except OSError:  # an editor's save between its write and its rename
        return None


def _saves(paths: list[Path], ready: Callable[[], None]) -> Iterator[set[str]]:
    """The sets of files saved (their content changed), as the operating system reports
    them, until Ctrl-C; ``ready()`` once the watcher runs.

    The files' content is compared once more when the watcher has started, so a save
    made while it started is not missed; after that, only when a file event comes.
    """
    import watchfiles

    wanted = {str(p) for p in paths}
    digests = {p: _digest(p) for p in wanted}
    started = False
    for changes in watchfiles.watch(*sorted({str(p.parent) for p in paths}),
                                    debounce=_DEBOUNCE_MS, step=_DEBOUNCE_MS,
                                    rust_timeout=_STARTED_MS, yield_on_timeout=True,
                                    raise_interrupt=True):
        touched = {os.path.realpath(path) for _, path in changes} & wanted
        if not started:
            started, touched = True, wanted
            ready()
        saved = {p for p in touched if _digest(p) != digests[p]}
        if saved:
            digests.update({p: _digest(p) for p in saved})
            yield saved


def watch(spec: str, *, layer: bool = False, steps: Collection[str] | None = None,
          profile: str = WATCH_PROFILE, stream: TextIO = sys.stdout,
          saves: Iterable[Collection[str]] | None = None) -> int:
    """Check ``spec`` (``MODULE:ATTR``, as ``--impl`` or, with ``layer``, ``--layer``
    takes it), then again after each save of its source; return when stopped.

    ``saves`` replaces the file watcher (each item: the files saved), for tests and
    programs that decide themselves when to check again. Returns 0 after Ctrl-C or
    the last item of ``saves``; raises :class:`~proofcheck.errors.ProofcheckError`
    (exit status 2) only if the target cannot be checked at the start.
    """
    option = "--layer" if layer else "--impl"
    watched = _Target(spec, option)
    target = watched.load()
    watched.changed_functions(target)
    _check(target, spec, layer, None, steps, profile, stream)
    files = watched.files(target)

    def ready() -> None:
        stream.write(f"watching {', '.join(f.name for f in files) or 'nothing'} "
                     "(Ctrl-C stops)\n")
        stream.flush()

    try:
        if saves is not None:
            ready()
        for saved in (saves if saves is not None else _saves(files, ready)):
            _pass_after_save(watched, saved, spec, layer, steps, profile, stream)
    except KeyboardInterrupt:
        stream.write("stopped\n")
    return 0


def _pass_after_save(watched: _Target, saved: Collection[str], spec: str, layer: bool,
                     steps: Collection[str] | None, profile: str, stream: TextIO) -> None:
    """After a save: import the target again and check it, or say why it cannot be."""
    stream.write(f"\nsaved {', '.join(sorted(os.path.basename(f) for f in saved))}\n")
    try:
        target = watched.load(saved)
        changed = watched.changed_functions(target)
        stream.write(("changed: " + ", ".join(sorted(changed)) if changed else
                      "no protocol function changed: every row, in order") + "\n")
        _check(target, spec, layer, changed, steps, profile, stream)
    except ProofcheckError as exc:
        stream.write(f"cannot check it yet: {exc}\n")
    except Exception as exc:  # a save mid-edit: a syntax error, a failing import
        stream.write(f"cannot check it yet: {type(exc).__name__}: {exc}\n")
    stream.flush()
