"""``verify``: check an implementation of backpropagation step by step.

From Python::

    import proofcheck
    report = proofcheck.verify(MyBackprop(), profile="ci")
    print(report.render())

From pytest, one line in the user's own test file::

    def test_my_backprop():
        proofcheck.assert_verified(MyBackprop())

From the shell: ``proofcheck verify --impl mymodule:MyBackprop``.

Which rows run: with neither an implementation nor a layer type, every row
(the package's own implementation and layer types); with an implementation,
the lemmas, the oracle checks and the implementation's rows; with a layer type,
the rows of that layer type.

The work is three stages: :func:`plan_rows` checks the arguments and the
implementation and chooses the rows; :func:`run_rows` runs them, in this
process or, with ``jobs``, in worker processes that each rebuild the plan and
run their share; :func:`verify` puts the rows into a
:class:`~proofcheck.diagnosis.report.Report`. More jobs pay off for whole runs, not for
a step or two: each worker compiles the oracle for itself (``jobs="auto"``
chooses by the rows' estimated cost, :func:`auto_jobs`).
"""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import os
import sys
import time
from collections.abc import Callable, Collection
from typing import Any, Literal, NamedTuple

from hypothesis import settings

from proofcheck.activations import ACTIVATIONS
from proofcheck.costs import COSTS
from proofcheck.diagnosis.report import Report, Row, reference_of
from proofcheck.engine._loading import import_file, load_implementation
from proofcheck.engine.profiles import get_profile, profile_from_env
from proofcheck.errors import ImplementationError, InputError, a_or_an
from proofcheck.protocol import PROTOCOL_FUNCTIONS
from proofcheck.steps import STEP_IDS, get_step

__all__ = ["Plan", "assert_verified", "load_implementation", "plan_rows", "run_rows", "verify"]

ProgressCallback = Callable[[int, int, str, str, "Row | None"], None]


def _check_provides_some(impl: Any, name: str) -> None:
    """Refuse an object with none of the protocol's functions: nothing of it can be checked.

    Every row would read "not provided" and the check would pass; a misspelled
    attribute (``--impl mod:Backprp``) or an object that is not an
    implementation at all must not.
    """
    if any(callable(getattr(impl, fn.name, None)) for fn in PROTOCOL_FUNCTIONS):
        return
    simple = isinstance(impl, (int, float, complex, str, bytes, bool)) or impl is None
    public = [] if simple else sorted(n for n in dir(impl) if not n.startswith("_"))
    if inspect.ismodule(impl):
        what = "a module"
    elif simple:
        what = f"{a_or_an(type(impl).__name__)}, {impl!r:.60}"
    else:
        what = a_or_an(type(impl).__name__)
    has = (f"; it has: {', '.join(public[:12])}{', ...' if len(public) > 12 else ''}"
           if public else "")
    functions = ", ".join(f"{fn.name}({', '.join(fn.parameters)})" for fn in PROTOCOL_FUNCTIONS)
    raise ImplementationError(
        f"{name} is {what} with none of the protocol's functions {functions}{has}. Give an "
        "object, class or module that has at least one of them (see proofcheck.protocol).")


def _check_signatures(impl: Any) -> None:
    for fn in PROTOCOL_FUNCTIONS:
        f = getattr(impl, fn.name, None)
        if f is None:
            continue
        if not callable(f):
            raise ImplementationError(
                f"{fn.name} is a {type(f).__name__}, not a function; the protocol expects "
                f"{fn.signature}")
        try:
            inspect.signature(f).bind(*fn.parameters)
        except TypeError:
            raise ImplementationError(
                f"{fn.name} has the signature {fn.name}{inspect.signature(f)}, which cannot be "
                f"called as {fn.name}({', '.join(fn.parameters)}); the protocol expects "
                f"{fn.signature}") from None
        except ValueError:  # no signature available (a builtin): try it at run time
            pass


def _supported(impl: Any, attribute: str, registry: Collection[str]) -> frozenset[str] | None:
    value = getattr(impl, attribute, None)
    if value is None:
        return None
    if isinstance(value, str) or not isinstance(value, Collection):
        raise ImplementationError(
            f"{attribute} is {value!r}; expected a set of names such as "
            f"{{{', '.join(repr(n) for n in list(registry)[:2])}}}")
    unknown = sorted(set(value) - set(registry))
    if unknown:
        raise ImplementationError(
            f"{attribute} names {unknown}, which proofcheck does not know; known: "
            f"{', '.join(registry)}")
    if not value:
        raise ImplementationError(f"{attribute} is empty; name at least one")
    return frozenset(value)


def _focus(layer: Any) -> Any:
    """The layer map class, or an instance of the activation map class."""
    from proofcheck.layers import ActivationMap, LayerMap

    if isinstance(layer, type) and issubclass(layer, LayerMap):
        return layer
    if isinstance(layer, type) and issubclass(layer, ActivationMap):
        try:
            return layer()
        except Exception as exc:
            raise ImplementationError(
                f"could not create the activation map {layer.__name__}() with no arguments: "
                f"{type(exc).__name__}: {exc}") from exc
    raise ImplementationError(
        f"--layer must name a subclass of proofcheck.layers.LayerMap or "
        f"proofcheck.layers.ActivationMap, got {layer!r}")


def _layer_types(layer: Any) -> list[Any]:
    """The registered layer types, with ``layer`` in place of a registered one of its name."""
    from proofcheck.layers import ACTIVATION_MAPS, LAYER_TYPES, ActivationMap

    focus = _focus(layer)
    for attribute in ("name",):
        if not isinstance(getattr(focus, attribute, None), str):
            raise ImplementationError(
                f"{_describe_layer(layer)} has no {attribute!r}: set a class attribute "
                f"name = \"MyLayer\" (the name reports use)")
    if isinstance(focus, ActivationMap):
        maps = [f for f in ACTIVATION_MAPS if f.name != focus.name] + [focus]
        return [*LAYER_TYPES, *maps]
    types = [t for t in LAYER_TYPES if t.name != focus.name] + [focus]
    return [*types, *ACTIVATION_MAPS]


def _describe_layer(layer: Any) -> str:
    """``module:Class``, as ``--layer`` spells it."""
    return f"{getattr(layer, '__module__', '?')}:{getattr(layer, '__qualname__', layer)}"


def _describe(impl: Any) -> str:
    if inspect.ismodule(impl):
        return impl.__name__
    cls = type(impl)
    return f"{cls.__module__}.{cls.__qualname__}()"


class Plan(NamedTuple):
    """A planned run of :func:`verify`: what is checked, under which settings, which rows.

    Attributes
    ----------
    subject : Subject
        The implementation (the package's own if none was given), named.
    given, layer : object or None
        The implementation and the layer type as the caller gave them.
    context : Context
        What the rows' strategies may draw from.
    properties : list of Property
        The rows, in proof order.
    profile_name : str
    settings : hypothesis.settings
        The profile's settings, without a database if none is wanted.
    seed : int or None
    """

    subject: Any
    given: Any
    layer: Any
    context: Any
    properties: list[Any]
    profile_name: str
    settings: settings
    seed: int | None


def verify(
    impl: Any = None,
    *,
    profile: str | None = None,
    steps: Collection[str] | None = None,
    database: bool = True,
    progress: ProgressCallback | None = None,
    name: str | None = None,
    seed: int | None = None,
    layer: Any = None,
    jobs: int | Literal["auto"] = 1,
) -> Report:
    """Check every step of the proof that ``impl`` provides; return the :class:`Report`.

    Parameters
    ----------
    impl : object, optional
        Anything with some protocol functions (:mod:`proofcheck.protocol`); default
        :class:`proofcheck.MatrixBackprop`.
    profile : {"ci", "dev", "thorough", "watch"}, optional
        The Hypothesis profile; default ``$PROOFCHECK_PROFILE`` or ``dev``.
    steps : collection of step IDs, optional
        Check only these steps (default: all).
    database : bool
        Keep failing examples (``.hypothesis/examples``), replay them first (not in ``ci``).
    progress : callable, optional
        ``progress(i, total, step, mode, row)`` before (``row=None``) and after each row.
    name, seed : str, int, optional
        How the report names ``impl``; a seed to repeat a run exactly.
    layer : LayerMap or ActivationMap subclass, optional
        Check this layer type (see :mod:`proofcheck.layers`) instead of an
        implementation: its lemma rows and the generalized theorem's rows.
    jobs : int or "auto"
        Worker processes for the rows (default 1: here, as is an ``impl`` that cannot
        travel); ``"auto"``, the command line's default, is :func:`auto_jobs`'s choice.

    Raises
    ------
    ImplementationError
        If ``impl`` cannot be checked at all (exit status 2): no protocol function, a
        signature that does not fit, a result that is not a float64 array.
    InputError
        For an unknown profile or step ID. Which rows run: the module's docstring.
    """
    start = time.perf_counter()
    plan = plan_rows(impl, profile=profile, steps=steps, database=database, name=name,
                     seed=seed, layer=layer)
    traveller = plan.subject.impl if layer is None else layer
    jobs = auto_jobs(plan) if jobs == "auto" else jobs
    if jobs > 1 and len(plan.properties) > 1 and _can_travel(traveller):
        options = {"profile": plan.profile_name, "database": database, "seed": seed,
                   "name": plan.subject.name, "steps": steps}
        rows = _at_one_example(plan, _parallel_rows(plan, jobs, progress, options), progress)
    else:
        rows = run_rows(plan, progress=progress)
    report = Report(plan.subject.name, plan.profile_name, rows,
                    seconds=time.perf_counter() - start, seed=seed,
                    layer_target=layer is not None)
    report.misconceptions = _misconceptions(report, traveller)
    return report


def _misconceptions(report: Report, target: Any) -> list[dict[str, str]]:
    """The catalog's mistakes that the root cause reproduces (empty if none, or if the
    matcher cannot replay the row: naming a mistake is a hint, never a verdict)."""
    d = report.diagnosis
    if d.root_cause is None:
        return []
    from proofcheck.diagnosis.misconceptions import name_misconception

    try:
        row = report.row(d.root_cause, d.mode or "", d.layer)
        matches = name_misconception(target, row)
    except Exception:
        return []
    return [{"name": m.entry.name, "function": m.function, "message": m.message,
             "docs": m.entry.docs} for m in matches]


def plan_rows(impl: Any = None, *, profile: str | None = None,
              steps: Collection[str] | None = None, database: bool = True,
              name: str | None = None, seed: int | None = None, layer: Any = None) -> Plan:
    """The first stage of :func:`verify` (same arguments): check them, choose the rows.

    Raises what :func:`verify` raises for arguments and implementations that
    cannot be checked; runs nothing.
    """
    from proofcheck import properties as props  # imports JAX: only when checking
    from proofcheck.backprop import MatrixBackprop

    profile_name = profile or profile_from_env()
    chosen = get_profile(profile_name)
    if not database:
        chosen = settings(chosen, database=None)
    if steps is not None:
        unknown = sorted(set(steps) - set(STEP_IDS))
        if unknown:
            raise InputError(f"steps names unknown step IDs {unknown}; known: "
                             f"{', '.join(STEP_IDS)}")
    if impl is not None and layer is not None:
        raise InputError("give either an implementation (impl) or a layer type (layer), not both")
    candidates, context, about = _candidates(impl, layer)
    given, impl = impl, (impl if impl is not None else MatrixBackprop())
    subject_name = name or (_describe_layer(layer) if layer is not None else _describe(impl))
    _check_signatures(impl)
    if given is not None:
        _check_provides_some(given, subject_name)
    context = context._replace(activations=_supported(impl, "supported_activations", ACTIVATIONS),
                               costs=_supported(impl, "supported_costs", COSTS))
    order = {step: i for i, step in enumerate(STEP_IDS)}
    selected = sorted((p for p in candidates
                       if p.about in about and (steps is None or p.step in steps)),
                      key=lambda p: (order[p.step], props.MODES.index(p.mode)))
    return Plan(props.Subject(impl, subject_name), given, layer, context, selected,
                profile_name, chosen, seed)


def _candidates(impl: Any, layer: Any) -> tuple[list[Any], Any, set[str]]:
    """The registered rows that may concern what was given, their context, their kinds."""
    from proofcheck import properties as props

    if layer is not None:
        context = props.Context(layers=tuple(_layer_types(layer)), focus=_focus(layer))
        rows = [p for p in props.PROPERTIES if p.layer is None]
        rows += props.lemma_properties_for([_focus(layer)])
        return _with_reference(rows, _focus(layer)), context, {"layers"}
    about = {"mathematics", "implementation"}
    if impl is None:
        about.add("layers")
    return list(props.PROPERTIES), props.Context(), about


def _with_reference(rows: list[Any], focus: Any) -> list[Any]:
    """The rows, their oracle naming ``focus``'s own reference where it has one.

    A layer type made from another framework's function (``from_jax``,
    ``from_torch``) is differentiated by a reference of its own (autodiff of the
    user's forward computation with the user's rule bypassed, or finite
    differences): every row of its run says so.
    """
    reference = getattr(focus, "reference", None)
    if not reference:
        return rows
    return [dataclasses.replace(p, oracle=f"{p.oracle}; {focus.name}: {reference}")
            for p in rows]


def run_rows(plan: Plan, *, keys: Collection[str] | None = None,
             progress: ProgressCallback | None = None) -> list[Row]:
    """The second stage of :func:`verify`: run the plan's rows (those of ``keys``) here."""
    selected = [p for p in plan.properties if keys is None or p.key in keys]
    rows = []
    for i, prop in enumerate(selected, start=1):
        if progress is not None:
            progress(i, len(selected), prop.step, prop.mode, None)
        rows.append(_run_row(plan, prop))
        if progress is not None:
            progress(i, len(selected), prop.step, prop.mode, rows[-1])
    return _at_one_example(plan, rows, progress)


#: The T1 step of each step function, which T2 isolated checks in data-matrix form.
_STEP_OF = {f.name: f.step for f in PROTOCOL_FUNCTIONS if f.name != "gradients"}


def _at_one_example(plan: Plan, rows: list[Row],
                    progress: ProgressCallback | None = None) -> list[Row]:
    """The rows, with a T1 row run again on T2 isolated's failing example of one example.

    With ``N = 1`` the data-matrix form is the theorem itself: a step function that
    fails T2 isolated on a network with one example fails its T1 step there. When the
    T1 step's isolated row holds (its own examples did not reach the mistake, e.g. a
    derivative clipped at 0, wrong only where ``f' < 0``), it is run again with that
    network as its first example, after removing the layers the failure does not need
    (:func:`_fewer_layers`, as Hypothesis shrinks the T1 rows' examples): the row then
    fails with its own counterexample (``found_by`` names T2 isolated), the root cause is
    the T1 step, and T2 isolated fails as its consequence. Nothing changes when T2
    isolated holds, its example has more than one column, the T1 row is not in ``rows``
    or already fails, or the failure does not show on the T1 row.
    """
    t2 = next((r for r in rows if (r.step, r.mode, r.layer) == ("T2", "isolated", None)), None)
    c = t2.counterexample if t2 is not None and t2.status == "fails" else None
    if (c is None or not c.network or c.network.get("batch_size") != 1
            or c.function not in _STEP_OF):
        return rows
    step = _STEP_OF[c.function]
    index = next((i for i, r in enumerate(rows)
                  if (r.step, r.mode, r.layer) == (step, "isolated", None)), None)
    prop = next((p for p in plan.properties if p.key == f"{step}/isolated"), None)
    net = _paper_network(c.network)
    if index is None or prop is None or net is None or rows[index].status != "holds":
        return rows
    smaller = _fewer_layers(prop, plan.subject, net)
    if smaller is None:
        return rows
    before = rows[index]
    def examples(context: Any) -> list[Any]:
        return [smaller, *(prop.examples(context) if prop.examples is not None else [])]

    row = _run_row(plan, dataclasses.replace(prop, examples=examples))
    if row.status != "fails" or row.counterexample is None:
        return rows
    row.counterexample.found_by = "T2 isolated"
    row.examples += before.examples
    row.seconds = round(row.seconds + before.seconds, 3)
    if progress is not None:
        progress(index + 1, len(rows), row.step, row.mode, row)
    return [row if i == index else r for i, r in enumerate(rows)]


def _paper_network(summary: dict[str, Any]) -> Any:
    """The paper's network a counterexample's ``network`` summary describes, else None."""
    import numpy as np

    from proofcheck.network import Network

    if not all(str(layer).startswith("Affine(") for layer in summary.get("layers", [])):
        return None
    if not all(name in ACTIVATIONS for name in summary.get("activations", [])):
        return None
    return Network.paper([np.array(theta["W"], dtype=np.float64) for theta in summary["params"]],
                         [np.array(theta["b"], dtype=np.float64) for theta in summary["params"]],
                         tuple(summary["activations"]), summary["cost"],
                         np.array(summary["X"], dtype=np.float64),
                         np.array(summary["Y"], dtype=np.float64))


def _fewer_layers(prop: Any, subject: Any, net: Any) -> Any:
    """``net`` with every layer removed whose removal keeps ``prop`` failing (None if it
    does not fail on ``net``): the first layer (its output becomes the input ``X``), or a
    layer ``j`` whose input and output widths are equal (the output layer only where the
    layer below has the same activation, so that the cost's statement still holds)."""
    if not _fails(prop, subject, net):
        return None
    shrunk = True
    while shrunk:
        shrunk = False
        for candidate in _without_a_layer(net):
            if _fails(prop, subject, candidate):
                net, shrunk = candidate, True
                break
    return net


def _without_a_layer(net: Any) -> list[Any]:
    from proofcheck.network import Network, forward_numpy

    k, names = net.depth, net.activation_names
    if k < 2:
        return []
    _, As = forward_numpy(net.weights, net.biases, names, net.X)
    smaller = [net.tail(As[1])]
    for j in range(2, k + 1):  # layer j: widths n_{j-1} -> n_j
        if net.widths[j - 1] != net.widths[j] or (j == k and names[k - 2] != names[k - 1]):
            continue
        keep = [l for l in range(k) if l != j - 1]
        smaller.append(Network.paper([net.weights[l] for l in keep],
                                     [net.biases[l] for l in keep],
                                     tuple(names[l] for l in keep), net.cost, net.X, net.Y))
    return smaller


def _fails(prop: Any, subject: Any, net: Any) -> bool:
    """Whether ``prop``'s check fails on ``net`` (a wrong value, a crash or a wrong result
    of the implementation; anything else, such as an example outside the statement, is not
    a failure)."""
    from proofcheck.properties import UserCodeFailure

    subject.start_example()
    try:
        checks = prop.check(subject, net)
    except UserCodeFailure:
        return True
    except Exception:
        return False
    return any(not c.comparison.holds for c in checks)


def _run_row(plan: Plan, prop: Any) -> Row:
    """One row: "not provided", or the outcome of the property's run."""
    from proofcheck.engine._run_row import run_property

    subject, step = plan.subject, get_step(prop.step)
    statement = (f"{prop.layer}: hand-derived products = "
                 f"{reference_of(prop.layer, prop.oracle) or 'jax.vjp'}"
                 if prop.layer else step.statement)
    declared = prop.declared_tolerance
    row = Row(prop.step, prop.mode, step.title, statement, "holds", layer=prop.layer,
              tolerance=declared.name, rtol=declared.rtol, atol=declared.atol,
              oracle=prop.oracle, property_name=prop.name, needs=subject.calls_of(prop))
    missing = subject.missing(prop)
    if missing:
        row.status = "not provided"
        row.message = f"not provided: the implementation has no {', '.join(missing)}"
        return row
    t0 = time.perf_counter()
    outcome = run_property(prop, subject, plan.settings, context=plan.context,
                           database_key=f"{prop.key}:{subject.name}", seed=plan.seed)
    row.seconds = round(time.perf_counter() - t0, 3)
    row.examples, row.max_ratio, row.max_error = (outcome.examples, outcome.max_ratio,
                                                  outcome.max_error)
    if outcome.tolerance is not None:
        row.tolerance = outcome.tolerance.name
        row.rtol, row.atol = outcome.tolerance.rtol, outcome.tolerance.atol
    row.kink_convention = list(outcome.kink_conventions)
    row.notes = [f"{text} ({count} example{'s' if count != 1 else ''})"
                 for text, count in outcome.notes.items()]
    from proofcheck.frameworks._wrapped import narrow_precision_note

    narrow = narrow_precision_note(plan.layer)
    if narrow is not None:
        row.notes.append(narrow)
    row.outside_oracle_range = outcome.outside_oracle_range
    row.outside_oracle_reason = outcome.outside_oracle_reason
    row.overruled = list(outcome.overruled)
    row.overruled_examples = outcome.overruled_examples
    if outcome.not_applicable is not None:
        row.status, row.message = "not provided", outcome.not_applicable
    elif outcome.counterexample is not None:
        row.status, row.counterexample = "fails", outcome.counterexample
    elif outcome.error is not None:
        row.status, row.message = "error", outcome.error
    return row


def _portable(obj: Any) -> Any:
    """What a worker process needs to rebuild ``obj``: a module by name or file, else itself."""
    if inspect.ismodule(obj):
        file = getattr(obj, "__file__", None)
        if obj.__name__.startswith("proofcheck_target_") and file:
            return ("file", file)
        return ("module", obj.__name__)
    return ("object", obj)


def _can_travel(obj: Any) -> bool:
    """Whether a worker process can rebuild ``obj`` (else the rows run in this process)."""
    import pickle

    try:
        pickle.dumps(_portable(obj))
    except Exception:
        return False
    return True


def _restore(ref: Any) -> Any:
    kind, value = ref
    if kind == "file":
        return import_file(value)
    return importlib.import_module(value) if kind == "module" else value


def _worker_start(cwd: str) -> None:
    """Start a worker process of ours: quick compiles, the cache, the caller's folder importable."""
    from proofcheck.oracle.compilation import start_own_process

    start_own_process()
    if cwd not in sys.path:
        sys.path.insert(0, cwd)


def _rows_in_worker(impl_ref: Any, layer_ref: Any, keys: list[str],
                    options: dict[str, Any]) -> list[Row]:
    """A worker's share: the same plan as the caller's, the rows of ``keys`` run here."""
    impl = _restore(impl_ref) if impl_ref is not None else None
    layer = _restore(layer_ref) if layer_ref is not None else None
    return run_rows(plan_rows(impl, layer=layer, **options), keys=keys)


#: Relative cost of a row, for sharing rows among workers, by what it is about and
#: whether it is a lemma row; the per-row times behind it are in
#: ``benchmarks/RESULTS.md`` ("Row costs of verify -j").
_COST = {("layers", False): 6.0, ("layers", True): 2.5, ("implementation", False): 1.0,
         ("mathematics", True): 0.6, ("mathematics", False): 0.3}


def _cost(prop: Any) -> float:
    return _COST.get((prop.about, prop.mode == "lemma"), 1.0)


#: Estimated seconds of rows (``_COST`` at the ``ci`` profile's examples) that one
#: more worker process must have to repay its start: importing JAX and tracing its
#: oracles again, about 2-3 s (measured: ``verify --steps T1.b`` with 2 workers took
#: 7.1 s, in the process 5.8 s). Twice the start, so that parallel rows win clearly.
WORK_PER_JOB = 6.0
#: The examples a row runs in the ``ci`` profile, which the ``_COST`` figures are for.
_COST_EXAMPLES = 60


def available_cores() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on every platform
        return os.cpu_count() or 1


def auto_jobs(plan: Plan) -> int:
    """Worker processes for ``plan``: the cores available, but no more than its rows'
    estimated seconds over :data:`WORK_PER_JOB` (1: run here, for a step or two)."""
    examples = plan.settings.max_examples / _COST_EXAMPLES
    work = sum(_cost(p) for p in plan.properties) * examples
    return max(1, min(available_cores(), int(work // WORK_PER_JOB)))


def _share(props: list[Any], jobs: int) -> list[list[str]]:
    """Split the rows into at most ``jobs`` groups of about equal cost, rows of a kind together.

    Each worker compiles the oracles its rows use once, so keeping the rows of
    one kind (and so of one oracle) in one worker saves compiling them twice:
    the rows are ordered by kind and cut into consecutive runs.
    """
    order = {"layers": 0, "implementation": 1, "mathematics": 2}
    ordered = sorted(props, key=lambda p: order[p.about])
    target = sum(_cost(p) for p in ordered) / jobs
    groups: list[list[str]] = [[]]
    load = 0.0
    for p in ordered:
        if load >= target and len(groups) < jobs:
            groups.append([])
            load = 0.0
        groups[-1].append(p.key)
        load += _cost(p)
    return groups


def _parallel_rows(plan: Plan, jobs: int, progress: ProgressCallback | None,
                   options: dict[str, Any]) -> list[Row]:
    """The plan's rows in ``jobs`` processes started fresh (JAX does not survive fork)."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed

    props = plan.properties
    keys = [p.key for p in props]
    impl_ref = _portable(plan.given) if plan.given is not None else None
    layer_ref = _portable(plan.layer) if plan.layer is not None else None
    by_key: dict[str, Row] = {}
    groups = _share(props, min(jobs, len(props)))
    with ProcessPoolExecutor(max_workers=len(groups),
                             mp_context=multiprocessing.get_context("spawn"),
                             initializer=_worker_start, initargs=(os.getcwd(),)) as pool:
        futures = [pool.submit(_rows_in_worker, impl_ref, layer_ref, group, options)
                   for group in groups]
        done = 0
        for future in as_completed(futures):
            for row in future.result():  # re-raises ImplementationError from the worker
                by_key[row.key] = row
                done += 1
                if progress is not None:
                    progress(done, len(keys), row.step, row.mode, row)
    missing = [key for key in keys if key not in by_key]
    if missing:  # every selected property yields a row; a worker that disagrees is a bug
        raise RuntimeError(f"worker processes returned no row for {missing}")
    return [by_key[key] for key in keys]


def assert_verified(impl: Any = None, *, profile: str | None = None,
                    steps: Collection[str] | None = None) -> Report:
    """Run :func:`verify` and raise ``AssertionError`` with the report if a step fails.

    The one line to put in your own pytest suite::

        def test_my_backprop():
            proofcheck.assert_verified(MyBackprop(), profile="ci")
    """
    report = verify(impl, profile=profile, steps=steps)
    if not report.ok:
        raise AssertionError("\n" + report.render())
    return report
