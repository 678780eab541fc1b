"""The pytest plugin: one test item per row of the report, in your own test-suite.

Installing proofcheck registers the plugin with pytest (the ``pytest11`` entry
point, as Hypothesis registers its own). It does nothing until a run names
something to check; then each row of that target's report (a step in a mode
and, for a layer type's lemma rows, the layer) is a test item of its own.

Declaring a target
------------------
One line in ``conftest.py`` or in a test module::

    proofcheck_impl = "mybackprop:MyBackprop"   # or the class, an instance, a module

or, for a layer type (the generalized theorem's rows)::

    proofcheck_layer = "mylayer:MyLayer"        # or the class itself

A string is imported as ``proofcheck verify --impl`` (``--layer``) imports it:
``MODULE:ATTR`` or ``path/to/file.py:ATTR``, from the current folder first; a
class given for ``proofcheck_impl`` is instantiated with no arguments. A test
module may declare both; ``None`` declares nothing.

From the command line, for graders (no ``conftest.py`` needed; each option may
be given more than once)::

    pytest --proofcheck-impl subs/alice.py:Backprop --junitxml alice.xml
    pytest --proofcheck-layer mylayer:MyLayer

Options (each also an ini setting, where said):

- ``--proofcheck-impl MODULE:ATTR``, ``--proofcheck-layer MODULE:CLASS``: check
  this implementation or layer type;
- ``--proofcheck-profile NAME`` (ini ``proofcheck_profile``): ``ci``, ``dev`` or
  ``thorough`` (default: ``$PROOFCHECK_PROFILE`` or ``dev``, as ``proofcheck
  verify``);
- ``--proofcheck-seed N``: seed Hypothesis, to repeat a ``dev`` run exactly;
- ``--proofcheck-fast`` (ini ``proofcheck_fast = true``): compile the oracle as
  ``proofcheck verify`` does, with quick compiles and the compilation cache
  (JAX settings of the whole run: see below).

The items
---------
Their ids name the step, the mode and, for a layer type's lemma rows, the layer,
with no spaces: ``proofcheck[T1.step-isolated]``, ``proofcheck[L2-oracle-check]``,
``proofcheck[G.step-lemma-Conv1D]``; they sit under the file that declared them
(``tests/conftest.py::proofcheck[T1.b-isolated]``) or, from the command line,
under the target (``subs/alice.py:Backprop::proofcheck[T2-end-to-end]``). They
carry the marker ``proofcheck`` (``-m proofcheck`` selects them, ``-m "not
proofcheck"`` leaves them out) and are selected as any test is: ``-k T1.step``
runs the induction step's rows (``-k "T1.b-"``, with the dash, the bias
gradient's alone, since ``T1.b`` is also the start of ``T1.base``).

- A row that holds passes; a row whose functions the implementation does not
  have is skipped with the reason ("not provided: the implementation has no
  gradients"); a failing row fails with what ``proofcheck verify`` prints for
  it: the step's statement, the counterexample Hypothesis shrank to (the
  network and its arrays, the quantity, the actual and expected values) and a
  command that reruns it. The end of the run has a ``proofcheck`` section with
  each target's diagnosis: the root cause, and which failing rows follow from it.
- ``--junitxml`` writes one ``testcase`` per row: a grader reads per-step
  results from it (the class name is the declaring file or the target).
- The run pays for the oracle once: the target is planned once, when the items
  are collected, and its items run in one process, where each compiled oracle
  program is reused by every row after the first that needs it. Under
  ``pytest-xdist`` each worker compiles what its own rows need (as
  ``proofcheck verify -j`` does); ``--dist loadscope`` keeps a target's rows
  in one worker.
- A target that cannot be checked at all (it does not import, has none of the
  protocol's functions, has one with a signature the protocol cannot call) is a
  collection error with proofcheck's one-line message, as an import error in a
  test module is. A result that is not a float64 array fails its items.

JAX's settings are left as found unless ``--proofcheck-fast`` is given: it
sets JAX up as proofcheck's own commands do
(:func:`proofcheck.oracle.compilation.start_own_process`), which makes a first run
several times quicker, but for every JAX program of the run; use it where
nothing else in the run uses JAX (a grader's run), or call
:func:`proofcheck.oracle.compilation.enable_cache` in ``conftest.py`` for the cache
alone. The plugin is loaded in every pytest run of an environment that has
proofcheck, so the module pytest loads (``_proofcheck_pytestplugin``) imports
nothing but pytest; this module, and proofcheck with it, is imported only by
a run that declares or names a target.
``-p no:proofcheck`` turns the plugin off.

:func:`proofcheck.assert_verified` stays the form for a single test.
"""

from __future__ import annotations

import inspect
import re
import shlex
from collections.abc import Iterable
from dataclasses import asdict
from pathlib import Path
from typing import Any

import pytest

from proofcheck.diagnosis._counterexample import render_counterexample, verify_command
from proofcheck.diagnosis.report import Report, Row
from proofcheck.engine import _verify
from proofcheck.errors import ProofcheckError
from proofcheck.steps import get_step

__all__ = ["DECLARATIONS", "ProofcheckItem", "Target", "item_name"]

#: The names that declare a target in ``conftest.py`` or a test module, by kind.
DECLARATIONS = {"proofcheck_impl": "impl", "proofcheck_layer": "layer"}

#: The command-line option of each kind, as ``proofcheck verify`` spells it too.
_OPTIONS = {"impl": "--impl", "layer": "--layer"}


def item_name(step: str, mode: str, layer: str | None = None) -> str:
    """The name of a row's item: ``proofcheck[T1.step-isolated]``, without spaces."""
    parts = [step, mode, *([layer] if layer else [])]
    return "proofcheck[" + "-".join(re.sub(r"\s+", "-", p.strip()) for p in parts) + "]"


class Target:
    """One implementation or layer type under check, planned once for all its items.

    Parameters
    ----------
    config : pytest.Config
        The run's configuration (the profile and seed options).
    kind : {"impl", "layer"}
    value : object
        A ``MODULE:ATTR`` string, or the implementation (an instance, a class, a
        module) or layer type itself.
    where : str
        Where it was declared, for messages and rerun commands: a node id, or
        the option (``--proofcheck-impl``).
    path : Path
        The file the items report as their location.
    """

    def __init__(self, config: pytest.Config, kind: str, value: Any, where: str,
                 path: Path) -> None:
        self.config, self.kind, self.where = config, kind, where
        self.spec = value if isinstance(value, str) else None
        self.profile: str | None = (config.getoption("proofcheck_profile")
                                    or config.getini("proofcheck_profile") or None)
        self.seed: int | None = config.getoption("proofcheck_seed")
        obj = _load(kind, value)
        impl, layer = (obj, None) if kind == "impl" else (None, obj)
        self.plan = _verify.plan_rows(impl, layer=layer, profile=self.profile, seed=self.seed,
                                      name=self.spec)
        self.path, self.line = _location(obj, path, where)

    @property
    def subject(self) -> str:
        """The name reports give the target (``MODULE:ATTR``, or ``module.Class()``)."""
        return str(self.plan.subject.name)

    def run(self, prop: Any) -> Row:
        """Run one row of the plan here (the oracle's compiled programs are shared)."""
        return _verify.run_rows(self.plan, keys=[prop.key])[0]


def _load(kind: str, value: Any) -> Any:
    """The implementation object or layer type that ``value`` names or is."""
    if isinstance(value, str):
        return _verify.load_implementation(value, option=_OPTIONS[kind])
    if kind == "impl" and inspect.isclass(value):
        try:
            return value()
        except Exception as exc:
            raise ProofcheckError(f"could not create {value.__qualname__} with no arguments: "
                                  f"{type(exc).__name__}: {exc}") from exc
    return value


def _location(obj: Any, declared_in: Path, where: str) -> tuple[Path, int]:
    """Where the items say they are: the declaration's line, or the target's source."""
    if not where.startswith("--"):
        return declared_in, _declaration_line(declared_in)
    source = obj if inspect.ismodule(obj) or inspect.isclass(obj) else type(obj)
    try:
        file = inspect.getsourcefile(source)
        line = inspect.getsourcelines(source)[1] if not inspect.ismodule(source) else 1
    except (OSError, TypeError):
        return declared_in, 1
    return (Path(file), line) if file else (declared_in, 1)


def _declaration_line(path: Path) -> int:
    """The line that declares a target in ``path`` (1 if it cannot be read)."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError:
        return 1
    names = "|".join(DECLARATIONS)
    for number, line in enumerate(lines, start=1):
        if re.match(rf"({names})\s*[:=]", line):
            return number
    return 1


class RowFailure(Exception):
    """A row that fails (or could not run): its text is what the item shows."""


class ProofcheckItem(pytest.Item):
    """One row of a target's report, as a test item (see the module's docstring)."""

    def __init__(self, *, target: Target, prop: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.target, self.prop = target, prop
        self.row: Row | None = None
        self.add_marker(pytest.mark.proofcheck(step=prop.step, mode=prop.mode, layer=prop.layer))

    def runtest(self) -> None:
        """Run the row: pass, skip ("not provided") or fail with the row's text."""
        self.row = self.target.run(self.prop)
        if self.row.status == "not provided":
            pytest.skip(self.row.message or "not provided")
        if self.row.failed:
            raise RowFailure(render_failure(self.row, self.target, self.rerun_command()))

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException],
                     style: Any = None) -> Any:
        """The row's text, or proofcheck's message for a target that cannot be checked."""
        if isinstance(excinfo.value, RowFailure):
            return str(excinfo.value)
        if isinstance(excinfo.value, ProofcheckError):  # the target cannot be checked
            return f"proofcheck: {excinfo.value}"
        return super().repr_failure(excinfo, style=style)

    def reportinfo(self) -> tuple[Path, int, str]:
        """Where the item is: the declaration's line, or the target's source."""
        return self.target.path, self.target.line - 1, f"{self.name} of {self.target.subject}"

    def rerun_command(self) -> str:
        """The pytest command that runs this item alone."""
        t = self.target
        options = []
        if t.config.getoption("proofcheck_profile"):
            options.append(f"--proofcheck-profile {t.config.getoption('proofcheck_profile')}")
        if t.seed is not None:
            options.append(f"--proofcheck-seed {t.seed}")
        if t.where.startswith("--"):
            return " ".join(["pytest", t.where, shlex.quote(t.spec or t.subject), *options,
                             "-k", shlex.quote(_row_id(self.name))])
        return " ".join(["pytest", shlex.quote(self.nodeid), *options])

    def proofcheck_finish_report(self, report: pytest.TestReport) -> None:
        """Put the row on the call's report (for the summary, also from xdist workers);
        a skipped row is reported at the target's location, not in this module."""
        if report.when != "call" or self.row is None:
            return
        report.proofcheck = {  # type: ignore[attr-defined]
            "target": self.target.where, "subject": self.target.subject,
            "profile": self.target.plan.profile_name, "seed": self.target.seed,
            "layer_target": self.target.kind == "layer", "row": asdict(self.row),
            "order": self.target.plan.properties.index(self.prop)}
        if report.skipped and isinstance(report.longrepr, tuple):
            report.longrepr = (str(self.target.path), self.target.line, self.row.message
                               or "not provided")


def _row_id(name: str) -> str:
    """``T1.step-isolated`` of ``proofcheck[T1.step-isolated]``: a ``-k`` expression."""
    return name[len("proofcheck["):-1]


def render_failure(row: Row, target: Target, rerun: str) -> str:
    """What a failing item shows: the step and its statement, the counterexample, a rerun."""
    head = f"{row.label} fails for {target.subject}"
    lines = [head, f"  statement: {row.statement}"]
    meaning = get_step(row.step).meaning
    if meaning and row.status == "fails":
        lines.append(f"  meaning: {meaning}")
    if row.message:
        lines.append(f"  {row.message}")
    if row.counterexample is not None:
        lines += render_counterexample(row.counterexample).splitlines()
    lines += [f"  note: {note}" for note in row.all_notes()]
    lines.append(f"  rerun: {rerun}")
    if target.spec is not None:
        command = verify_command(target.spec, layer=target.kind == "layer",
                                 profile=target.plan.profile_name, seed=target.seed)
        lines.append(f"  whole report: {command}")
    return "\n".join(lines)


def make_items(parent: pytest.Collector, target: Target) -> list[ProofcheckItem]:
    """One item per row of ``target``'s plan, in proof order."""
    return [ProofcheckItem.from_parent(parent, name=item_name(p.step, p.mode, p.layer),
                                       target=target, prop=p)
            for p in target.plan.properties]


def _target(config: pytest.Config, kind: str, value: Any, where: str, path: Path,
            collector: pytest.Collector) -> Target:
    """:class:`Target`, or a collection error with proofcheck's message."""
    try:
        return Target(config, kind, value, where, path)
    except ProofcheckError as exc:
        name = next(n for n, k in DECLARATIONS.items() if k == kind)
        said = where if where.startswith("--") else f"{name} in {where}"
        raise collector.CollectError(f"proofcheck: {said}: {exc}") from None


def declared_items(collector: pytest.Module, name: str, value: Any) -> list[ProofcheckItem]:
    """The items a test module declares with ``proofcheck_impl = ...`` (or ``_layer``)."""
    target = _target(collector.config, DECLARATIONS[name], value, collector.nodeid,
                     collector.path, collector)
    return make_items(collector, target)


class ConftestTargets(pytest.File):
    """The targets a ``conftest.py`` declares: their items sit under it."""

    def __init__(self, *, module: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.module = module

    def collect(self) -> Iterable[pytest.Item]:
        for name, kind in DECLARATIONS.items():
            value = getattr(self.module, name, None)
            if value is not None:
                yield from make_items(self, _target(self.config, kind, value, self.nodeid,
                                                    self.path, self))


class OptionTarget(pytest.Collector):
    """A target named on the command line; its node id is the target itself."""

    def __init__(self, *, kind: str, spec: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.kind, self.spec = kind, spec

    def collect(self) -> Iterable[pytest.Item]:
        option = f"--proofcheck-{self.kind}"
        target = _target(self.config, self.kind, self.spec, option, self.config.rootpath, self)
        return make_items(self, target)


def option_items(session: pytest.Session) -> list[pytest.Item]:
    """The items of the targets named by ``--proofcheck-impl`` and ``--proofcheck-layer``.

    Each target is collected as a file is: a collection error is reported as
    one, and ends the run before any test runs (``--continue-on-collection-errors``
    goes on with the others).
    """
    items: list[pytest.Item] = []
    for kind in ("impl", "layer"):
        for spec in session.config.getoption(f"proofcheck_{kind}") or []:
            node_id = _node_id(spec, session.config.rootpath)
            node = OptionTarget.from_parent(session, name=node_id, nodeid=node_id, kind=kind,
                                            spec=spec)
            session.ihook.pytest_collectstart(collector=node)
            report = session.ihook.pytest_make_collect_report(collector=node)
            session.ihook.pytest_collectreport(report=report)
            if report.passed:
                items += [i for i in report.result if isinstance(i, pytest.Item)]
    return items


def _node_id(spec: str, rootpath: Path) -> str:
    """A target's node id: a file's path relative to the rootdir, as pytest names a test
    file (and its JUnit class name follows), whatever folder pytest was started in; the
    absolute path of a file outside the rootdir; a module's spec as given."""
    path, sep, attr = spec.partition(":")
    if not path.endswith((".py", ".ipynb")):
        return spec
    file = Path(path).resolve()
    try:
        relative = file.relative_to(rootpath.resolve()).as_posix()
    except ValueError:
        relative = file.as_posix()
    return relative + sep + attr


def terminal_summary(reporter: Any, results: list[dict[str, Any]]) -> None:
    """The ``proofcheck`` section: each target's diagnosis over the rows that ran."""
    by_target: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for result in results:
        by_target.setdefault((result["target"], result["subject"]), []).append(result)
    reporter.write_sep("=", "proofcheck")
    for (where, subject), entries in by_target.items():
        # In proof order, however the rows finished (in xdist's workers, in any order).
        rows = [Row.from_dict(e["row"]) for e in sorted(entries, key=lambda e: int(e["order"]))]
        first = entries[0]
        report = Report(subject, first["profile"], rows, seed=first["seed"],
                        layer_target=first["layer_target"])
        provided = [r for r in rows if r.status != "not provided"]
        held = sum(r.status == "holds" for r in provided)
        origin = "" if where.startswith("--") else f" ({where})"
        reporter.write_line(f"{subject}{origin}: {held} of {len(provided)} checked rows hold, "
                            f"{len(rows) - len(provided)} not provided.")
        for r in rows:
            for note in r.all_notes():
                reporter.write_line(f"  Note: {note}")
        if not report.ok:
            reporter.write_line(f"  Diagnosis: {report.diagnosis.message}")


