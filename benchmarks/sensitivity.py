"""Sensitivity: the smallest relative error each row of the check detects, regime by regime.

Usage::

    python benchmarks/sensitivity.py [--quick] [--examples 50] [--regimes default,saturated]
                                     [--rows T1.step/isolated,T2/end-to-end]
                                     [--json benchmarks/results/sensitivity.json]

Also run by ``nox -s bench`` (``python benchmarks/run.py --only sensitivity``).
Prints a Markdown table and writes every measurement to JSON. See
``benchmarks/RESULTS.md``.

What is measured
----------------
An implementation that is :class:`~proofcheck.MatrixBackprop`, exact except
for one entry of one result: the largest entry in magnitude of one delta or
one gradient, multiplied by ``1 + eps`` (:class:`InjectedError`). It is put
through one row of the check (a property from ``proofcheck.properties``, run
by the same runner as ``proofcheck verify``) with networks drawn from one
regime alone (:data:`REGIMES`, composed from :func:`proofcheck.strategies.networks`).
A row *detects* ``eps`` if it fails within the example budget. Each row is
run at ``eps = 0`` first (it must hold: a failure there is a false alarm,
reported with its shrunk counterexample), then down the ladder ``1e-1, 1e-2,
..., 1e-12`` until a value is no longer detected; the table gives the smallest
value detected above that.

Which entry is perturbed: the function under test (``output_delta`` for
T1.base, ``backward_delta`` for T1.step, ``weight_grad`` for T1.W and T2
isolated, ``bias_grad`` for T1.b, ``gradients`` for T1.grad and T2
end-to-end) is called once per layer of the drawn network; one of those calls
is perturbed, chosen with the network (a drawn integer, so that every layer
is perturbed in some examples), and only its largest entry. For
``gradients``, the first call of an example (T2 end-to-end also calls it once
per column) is perturbed, in the largest entry of ``(dC/dW^l, dC/db^l)`` for
a drawn layer ``l``.

Conditioning: how well float64 determines the perturbed entry in the regime,
measured as the relative spread of three correct computations of it: numpy's
(:class:`~proofcheck.MatrixBackprop`, at ``eps = 0``), the JAX oracle's, and
the same formulas in numpy's extended precision (``np.longdouble``, 64-bit
significand on x86; :func:`extended`), whose value is the reference. The two
float64 computations alone can agree where both are wrong alike (both round a
sigmoid output near 1 to the same ``a``, and ``1 - a`` then keeps few digits);
the extended one does not. Median and maximum over the examples of the ``eps =
0`` run up to its first failure. Where the spread is large, no check can tell
a small injected error from rounding.

Examples are derandomized (the same networks in every run of a row), with no
example database, and not shrunk (only whether a row fails matters; ``--shrink``
shrinks the counterexample of a false alarm, at minutes each).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
from hypothesis import HealthCheck, Phase, assume, settings
from hypothesis import strategies as st
from numpy.typing import NDArray

from proofcheck.activations import ACTIVATIONS
from proofcheck.backprop import MatrixBackprop
from proofcheck.costs import COSTS
from proofcheck.network import forward_numpy
from proofcheck.strategies import Network, inside_statement, networks

HERE = Path(__file__).resolve().parent

Float64Array = NDArray[np.float64]

#: The injected relative errors, largest first.
LADDER = tuple(10.0**-e for e in range(1, 13))
#: The goal of the issue: this error is detected wherever float64 determines the
#: perturbed entry to better than ``WELL_DETERMINED`` (median over the examples).
GOAL_EPS, WELL_DETERMINED = 1e-6, 1e-8
#: A drawn integer chooses the perturbed layer (modulo the number of calls, 1..6,
#: which all divide 60, so every layer is equally likely).
_CHOICES = 60


# --- the regimes ------------------------------------------------------------------

RegimeStrategy = Callable[[int, int], st.SearchStrategy[Network]]


class Regime(NamedTuple):
    """A family of networks, drawn alone: ``strategy(min_depth, max_batch)``."""

    name: str
    description: str
    strategy: RegimeStrategy


def _default(min_depth: int, max_batch: int) -> st.SearchStrategy[Network]:
    return networks(min_depth=min_depth, max_batch=max_batch)


def _scaled(factor: float) -> RegimeStrategy:
    def strategy(min_depth: int, max_batch: int) -> st.SearchStrategy[Network]:
        return networks(min_depth=min_depth, max_batch=max_batch, weight_bound=factor,
                        data_bound=factor, orders=0)

    return strategy


def _depth_6(min_depth: int, max_batch: int) -> st.SearchStrategy[Network]:
    return networks(min_depth=max(min_depth, 6), max_depth=6, max_batch=max_batch)


#: Saturated output potentials: ``z^k`` in these ranges, ``a`` within ``e^-20`` of 0 or
#: of 1. Above ``50 ln 2 = 34.66``, ``1 - a < 2^-50`` leaves the statement (see
#: :mod:`proofcheck.strategies`), so the range near 1 stops below it.
SATURATED = {"near 0": (-36.0, -20.0), "near 1": (20.0, 34.6)}


def _saturated(side: str) -> RegimeStrategy:
    """Sigmoid outputs under binary cross-entropy with every ``z^k_ij`` in ``SATURATED[side]``.

    The output layer of a drawn network is rebuilt: row ``i`` of ``W^k`` is shrunk
    until ``W^k_i A^{k-1}`` spans at most half the range over the batch, and
    ``b^k_i`` centres it on a drawn point that keeps it inside.
    """
    low, high = SATURATED[side]
    half = (high - low) / 4

    def strategy(min_depth: int, max_batch: int) -> st.SearchStrategy[Network]:
        base = networks(min_depth=min_depth, max_batch=max_batch,
                        costs={"binary_cross_entropy"}, orders=0)

        @st.composite
        def draw(draw: st.DrawFn) -> Network:
            net = draw(base)
            A = forward_numpy(net.weights, net.biases, net.activation_names, net.X)[1][-2]
            W = net.weights[-1].copy()
            n = W.shape[0]
            centres = np.array(draw(st.lists(st.floats(low + half, high - half),
                                             min_size=n, max_size=n)))
            WA = W @ A
            span = WA.max(axis=1) - WA.min(axis=1)
            W *= np.where(span > 2 * half, 2 * half / np.maximum(span, 1e-300), 1.0)[:, None]
            WA = W @ A
            b = centres - (WA.max(axis=1) + WA.min(axis=1)) / 2
            net = _with(net, [*net.weights[:-1], W], [*net.biases[:-1], b], net.X)
            assume(inside_statement(net))
            return net

        return draw()

    return strategy


_KINKED = frozenset(name for name, f in ACTIVATIONS.items() if f.kink is not None)
#: Potentials near a kink: cancelled to this fraction of their terms (log-uniform).
NEAR_KINK = (1e-10, 1e-8)


def _near_kink(every: bool) -> RegimeStrategy:
    """Networks of relu and leaky relu layers whose potentials of the first example cancel
    to :data:`NEAR_KINK` of their terms (``b^l`` chosen so): in every layer, one after the
    other, or in one drawn layer."""

    def strategy(min_depth: int, max_batch: int) -> st.SearchStrategy[Network]:
        base = networks(min_depth=min_depth, max_batch=max_batch, activations=_KINKED,
                        costs={"squared_error"}, orders=0)

        @st.composite
        def draw(draw: st.DrawFn) -> Network:
            return _cancel(draw, draw(base), every)

        return draw()

    return strategy


_FLOOR = float(np.finfo(np.float64).tiny / np.finfo(np.float64).eps)


def _with(net: Network, weights: list[np.ndarray], biases: list[np.ndarray],
          X: np.ndarray) -> Network:
    """The paper's network ``net`` with other arrays."""
    return Network.paper(weights, biases, net.activation_names, net.cost, X, net.Y)


def _cancel(draw: st.DrawFn, net: Network, every: bool) -> Network:
    """Set ``b^l`` so that the first example's potentials of the chosen layers cancel."""
    biases = list(net.biases)
    chosen = None if every else draw(st.integers(0, net.depth - 1))
    for l, W in enumerate(net.weights):
        if chosen is not None and l != chosen:
            continue
        a = forward_numpy(net.weights, biases, net.activation_names, net.X)[1][l][:, 0]
        n = W.shape[0]
        exponents = np.array(draw(st.lists(st.floats(*np.log10(NEAR_KINK)), min_size=n,
                                           max_size=n)))
        signs = np.array(draw(st.lists(st.sampled_from([-1.0, 1.0]), min_size=n,
                                       max_size=n)))
        terms = np.abs(W) @ np.abs(a)
        target = signs * 10.0**exponents * terms
        # a cancellation that ends below tiny / u keeps no digits (and would be subnormal)
        assume(np.all((terms == 0) | (np.abs(target) >= _FLOOR)))
        biases[l] = np.where(terms > 0, -(W @ a) + target, biases[l])
    net = _with(net, net.weights, biases, net.X)
    assume(inside_statement(net))
    return net


def _at_kink(min_depth: int, max_batch: int) -> st.SearchStrategy[Network]:
    """Networks of relu and leaky relu layers with potentials exactly at the kink: one
    drawn unit of every layer has ``W^l_i = 0`` and ``b^l_i = 0``, and, when a drawn
    flag says so, ``X = 0`` and ``b^1 = 0`` (every unit of layer 1 at the kink)."""
    base = networks(min_depth=min_depth, max_batch=max_batch, activations=_KINKED,
                    costs={"squared_error"}, orders=0)

    @st.composite
    def draw(draw: st.DrawFn) -> Network:
        net = draw(base)
        weights, biases = [W.copy() for W in net.weights], [b.copy() for b in net.biases]
        for W, b in zip(weights, biases, strict=True):
            i = draw(st.integers(0, W.shape[0] - 1))
            W[i, :] = 0.0
            b[i] = 0.0
        X = net.X
        if draw(st.booleans()):
            X = np.zeros_like(X)
            biases[0][:] = 0.0
        net = _with(net, weights, biases, X)
        assume(inside_statement(net))
        return net

    return draw()


REGIMES: dict[str, Regime] = {r.name: r for r in (
    Regime("default", "networks() as the check draws them: depth 1..6, widths 1..8, every "
           "activation and cost, parameters and data over 1e-3..1e3 of their default size",
           _default),
    Regime("small", "weights and data 1e-3 times their default size (weight_bound = "
           "data_bound = 1e-3, orders = 0)", _scaled(1e-3)),
    Regime("large", "weights and data 1e3 times their default size (weight_bound = "
           "data_bound = 1e3, orders = 0)", _scaled(1e3)),
    Regime("saturated near 0", "sigmoid outputs under binary cross-entropy, every z^k in "
           "[-36, -20] (a from 2e-16 to 2e-9; the rest of the network as unscaled networks())",
           _saturated("near 0")),
    Regime("saturated near 1", "sigmoid outputs under binary cross-entropy, every z^k in "
           "[20, 34.6] (1 - a from 1e-15 to 2e-9: 1 - a keeps 1 to 7 digits in float64)",
           _saturated("near 1")),
    Regime("near kink in one layer", "relu and leaky relu layers; in one drawn layer, every "
           "potential of the first example cancelled to 1e-10..1e-8 of its terms",
           _near_kink(every=False)),
    Regime("near kink in every layer", "the same in every layer, one after the other (an "
           "activation that is such a cancellation feeds the next layer's)",
           _near_kink(every=True)),
    Regime("at kink", "relu and leaky relu layers, a unit of every layer with W_i = 0 and "
           "b_i = 0 (potential exactly 0), in some examples X = 0 and b^1 = 0", _at_kink),
    Regime("depth 6", "networks() of depth exactly 6", _depth_6),
)}


def regime_holds(name: str, net: Network) -> bool:
    """Whether ``net`` is in the regime ``name`` (what its strategy promises)."""
    Zs, As = forward_numpy(net.weights, net.biases, net.activation_names, net.X)
    if not inside_statement(net):
        return False
    if name == "small":
        return all(np.max(np.abs(W), initial=0) * W.shape[1] <= 1e-3 for W in net.weights) \
            and np.max(np.abs(net.X)) <= 1e-3
    if name == "large":
        return all(np.max(np.abs(W), initial=0) * W.shape[1] <= 1e3 for W in net.weights) \
            and np.max(np.abs(net.X)) <= 1e3
    if name.startswith("saturated"):
        low, high = SATURATED[name.removeprefix("saturated ")]
        z = Zs[-1]
        return (net.cost == "binary_cross_entropy" and net.activation_names[-1] == "sigmoid"
                and bool(np.all((z >= low - 1e-9) & (z <= high + 1e-9))))
    if "kink" in name:
        if not set(net.activation_names) <= _KINKED:
            return False
        if name == "at kink":
            return all(np.any(Z == 0.0) for Z in Zs)
        near = []
        for W, b, Z, A in zip(net.weights, net.biases, Zs, As[:-1], strict=True):
            # a unit whose W_i a has no terms (a = 0 after dead relus) cannot cancel
            cancels = (np.abs(W) @ np.abs(A[:, 0])) > 0
            terms = (np.abs(W) @ np.abs(A[:, 0]) + np.abs(b))[cancels]
            ratio = np.abs(Z[:, 0])[cancels] / terms
            near.append(not (np.any(ratio > 1e-7) or np.any(ratio < 1e-11)))
        return all(near) if name.endswith("every layer") else any(near)
    if name == "depth 6":
        return net.depth == 6
    return True


# --- the rows -----------------------------------------------------------------------


class Row(NamedTuple):
    """A row of the check and the protocol function whose result is perturbed."""

    step: str
    mode: str
    function: str
    min_depth: int
    max_batch: int

    @property
    def key(self) -> str:
        return f"{self.step}/{self.mode}"


ROWS: tuple[Row, ...] = (
    Row("T1.base", "isolated", "output_delta", 1, 1),
    Row("T1.base", "end-to-end", "output_delta", 1, 1),
    Row("T1.step", "isolated", "backward_delta", 2, 1),
    Row("T1.step", "end-to-end", "backward_delta", 2, 1),
    Row("T1.W", "isolated", "weight_grad", 1, 1),
    Row("T1.W", "end-to-end", "weight_grad", 1, 1),
    Row("T1.b", "isolated", "bias_grad", 1, 1),
    Row("T1.b", "end-to-end", "bias_grad", 1, 1),
    Row("T1.grad", "end-to-end", "gradients", 1, 1),
    Row("T2", "isolated", "weight_grad", 1, 5),
    Row("T2", "end-to-end", "gradients", 1, 5),
)


def _calls(function: str, depth: int) -> int:
    """How many times a row calls ``function`` on a network of depth ``k``, one per layer."""
    return {"output_delta": 1, "backward_delta": depth - 1}.get(function, depth)


# --- the implementation with one wrong entry -------------------------------------------


class InjectedError(MatrixBackprop):
    """:class:`~proofcheck.MatrixBackprop` with one entry of one result off by ``eps`` relative.

    Before each example, :meth:`start` says which call of ``function`` to perturb
    (for ``gradients``: which layer's ``(dC/dW^l, dC/db^l)`` of its first call);
    that result's largest entry in magnitude is multiplied by ``1 + eps``, and the
    array and index are kept in :attr:`perturbed`.
    """

    def __init__(self, function: str, eps: float) -> None:
        self.function, self.eps = function, eps
        self.target, self.calls = 0, 0
        self.perturbed: tuple[Float64Array, tuple[int, ...]] | None = None

    def start(self, choice: int, depth: int) -> None:
        """Perturb call ``choice`` modulo the number of calls (layer, for ``gradients``)."""
        self.target = choice % (depth if self.function == "gradients"
                                else max(_calls(self.function, depth), 1))
        self.calls, self.perturbed = 0, None

    def _perturb(self, arrays: Sequence[Float64Array]) -> None:
        sizes = [float(np.max(np.abs(a), initial=0.0)) for a in arrays]
        array = arrays[int(np.argmax(sizes))]
        index = tuple(int(i) for i in np.unravel_index(int(np.argmax(np.abs(array))),
                                                       array.shape))
        array[index] *= 1.0 + self.eps
        self.perturbed = (array, index)

    def _step(self, function: str, result: Float64Array) -> Float64Array:
        if function == self.function:
            if self.calls == self.target:
                self._perturb([result])
            self.calls += 1
        return result

    def output_delta(self, dfz: Float64Array, grad_a: Float64Array) -> Float64Array:
        return self._step("output_delta", super().output_delta(dfz, grad_a))

    def backward_delta(self, W_next: Float64Array, delta_next: Float64Array,
                       dfz: Float64Array) -> Float64Array:
        return self._step("backward_delta", super().backward_delta(W_next, delta_next, dfz))

    def weight_grad(self, delta: Float64Array, a_prev: Float64Array) -> Float64Array:
        return self._step("weight_grad", super().weight_grad(delta, a_prev))

    def bias_grad(self, delta: Float64Array) -> Float64Array:
        return self._step("bias_grad", super().bias_grad(delta))

    def gradients(self, weights: Sequence[Float64Array], biases: Sequence[Float64Array],
                  activations: Sequence[str], cost: str, X: Float64Array,
                  Y: Float64Array) -> tuple[list[Float64Array], list[Float64Array]]:
        dWs, dbs = super().gradients(weights, biases, activations, cost, X, Y)
        if self.function == "gradients":
            if self.calls == 0:
                self._perturb([dWs[self.target], dbs[self.target]])
            self.calls += 1
        return dWs, dbs


# --- the extended-precision reference ------------------------------------------------


class Extended(NamedTuple):
    """Deltas and gradients of the mean cost in ``np.longdouble`` (index ``l - 1``)."""

    deltas: list[NDArray[np.longdouble]]
    dWs: list[NDArray[np.longdouble]]
    dbs: list[NDArray[np.longdouble]]


def extended(net: Network) -> Extended:
    """The network's deltas and gradients by T2's formulas, computed in ``np.longdouble``
    from its float64 parameters and data (the package's activations and costs, which
    are written for any numpy dtype; a derivative that casts to float64 keeps ``u``)."""
    ld = np.longdouble
    Ws = [W.astype(ld) for W in net.weights]
    A = net.X.astype(ld)
    Zs, As = [], [A]
    for W, b, name in zip(Ws, net.biases, net.activation_names, strict=True):
        Z = W @ A + b.astype(ld)[:, None]
        A = ACTIVATIONS[name].forward(Z, np)
        Zs.append(Z)
        As.append(A)
    dfzs = [np.asarray(ACTIVATIONS[name].derivative(Z)).astype(ld)
            for name, Z in zip(net.activation_names, Zs, strict=True)]
    k = net.depth
    deltas = [np.empty(0, dtype=ld)] * k
    deltas[k - 1] = dfzs[k - 1] * COSTS[net.cost].gradient(As[k], net.Y.astype(ld)) \
        / net.batch_size
    for l in range(k - 1, 0, -1):
        deltas[l - 1] = dfzs[l - 1] * (Ws[l].T @ deltas[l])
    return Extended(deltas, [d @ a.T for d, a in zip(deltas, As[:-1], strict=True)],
                    [d.sum(axis=1) for d in deltas])


def _reference(reference: Extended, quantity: str, layer: int) -> NDArray[np.longdouble]:
    """The extended value of a compared quantity (``"delta^3"``, ``"dC/dW^2 ..."``)."""
    q = quantity.lower()
    arrays = (reference.deltas if q.startswith("delta") else
              reference.dWs if "/dw" in q else reference.dbs)
    return arrays[layer - 1]


def spread(numpy_value: float, oracle_value: float, reference: float) -> float:
    """The largest pairwise difference of the three computations, relative to the reference
    (``inf`` if the reference is 0 and another is not)."""
    largest = max(abs(numpy_value - oracle_value), abs(numpy_value - reference),
                  abs(oracle_value - reference))
    if largest == 0:
        return 0.0
    return largest / abs(reference) if reference != 0 else float("inf")


# --- running one row ------------------------------------------------------------------


def _settings(examples: int, *, shrink: bool) -> settings:
    phases = [Phase.generate, Phase.shrink] if shrink else [Phase.generate]
    return settings(max_examples=examples, derandomize=True, database=None, deadline=None,
                    phases=phases, report_multiple_bugs=False, print_blob=False,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                                           HealthCheck.data_too_large])


@dataclass
class _Log:
    """What the instrumented check saw in one run."""

    tried: int = 0
    first_failure: int | None = None
    last: Network | None = None
    discrepancies: list[float] = field(default_factory=list)
    allowances: list[float] = field(default_factory=list)
    zero_entries: int = 0


def _instrumented(prop: Any, injector: InjectedError, log: _Log) -> Any:
    """``prop`` on ``(network, choice)`` examples: the injector is told which call to
    perturb, and the perturbed entry's numpy/oracle discrepancy is recorded."""
    original = prop.check

    def check(subject: Any, example: tuple[Network, int]) -> Any:
        net, choice = example
        log.tried += 1
        log.last = net
        injector.start(choice, net.depth)
        checks = original(subject, net)
        if log.first_failure is not None:
            return checks  # shrinking: not an example of the regime's own distribution
        if not all(c.comparison.holds for c in checks):
            log.first_failure = log.tried
        if injector.perturbed is not None and injector.eps == 0:
            array, index = injector.perturbed
            for c in checks:
                if c.actual is array and c.layer is not None:
                    reference = _reference(extended(net), c.quantity, c.layer)[index]
                    if float(c.expected[index]) == 0.0 and reference == 0:
                        log.zero_entries += 1
                    else:
                        log.discrepancies.append(spread(
                            float(c.actual[index]), float(c.expected[index]),
                            float(reference)))
                        if injector.function == "gradients":
                            log.allowances.append(allowance(net, c.quantity, c.layer, index,
                                                            float(reference)))
                    break
        return checks

    check.__name__ = getattr(original, "__name__", "check")
    return check


def allowance(net: Network, quantity: str, layer: int, index: tuple[int, ...],
              reference: float) -> float:
    """How well the forward allowance determines the perturbed gradient entry: the
    relative half-width of its range over forward passes whose activations are within
    ``c u max(|a|, 1)`` of the exact ones (:mod:`proofcheck.numerics.forward_precision`), which the
    rows that call ``gradients`` accept. ``inf`` where the range is unbounded."""
    from proofcheck.numerics import forward_precision
    from proofcheck.oracle import network as oracle

    ranges = forward_precision.network_ranges(net, oracle.network_gradients(net))
    box = (ranges.dWs if quantity.startswith("dC/dW") else ranges.dbs)[layer - 1]
    half = (float(box.high[index]) - float(box.low[index])) / 2
    if reference == 0 or not np.isfinite(half):
        return 0.0 if half == 0 else float("inf")
    return half / abs(reference)


def _property(row: Row) -> Any:
    from proofcheck.properties import PROPERTIES

    return next(p for p in PROPERTIES if p.step == row.step and p.mode == row.mode
                and p.layer is None)


def run_row(row: Row, regime: Regime, eps: float, examples: int, *,
            shrink: bool = False) -> dict[str, Any]:
    """Run one row at one ``eps`` on networks of one regime; whether it failed, and more."""
    from proofcheck.engine._run_row import run_property
    from proofcheck.errors import ImplementationError
    from proofcheck.properties import Context, Subject

    injector, log = InjectedError(row.function, eps), _Log()
    strategy = st.tuples(regime.strategy(row.min_depth, row.max_batch),
                         st.integers(0, _CHOICES - 1))
    prop = replace(_property(row), strategy=lambda ctx: strategy)
    prop = replace(prop, check=_instrumented(prop, injector, log))
    t0 = time.perf_counter()
    result: dict[str, Any] = {"eps": eps}
    try:
        outcome = run_property(prop, Subject(injector, "injected error"),
                               _settings(examples, shrink=shrink), context=Context(),
                               database_key=f"sensitivity:{regime.name}:{row.key}")
    except ImplementationError as exc:
        result.update(failed=True, error=str(exc), examples=log.tried)
    else:
        failed = outcome.counterexample is not None
        result.update(failed=failed, error=outcome.error,
                      examples=log.first_failure if failed else log.tried)
        ce = outcome.counterexample
        if ce is not None:
            result["counterexample"] = {
                "quantity": ce.quantity, "function": ce.function, "ratio": ce.ratio,
                "actual": ce.actual_value, "expected": ce.expected_value,
                "exception": ce.exception,
                "network": log.last.describe() if log.last is not None else None}
    result["seconds"] = round(time.perf_counter() - t0, 2)
    result["discrepancies"] = log.discrepancies
    result["allowances"] = log.allowances
    result["zero_entries"] = log.zero_entries
    return result


def measure(row: Row, regime: Regime, examples: int, ladder: Sequence[float] = LADDER, *,
            shrink: bool = False) -> dict[str, Any]:
    """``eps = 0`` (a failure is a false alarm; ``shrink``: shrink its counterexample),
    then the ladder down to the first ``eps`` not detected."""
    t0 = time.perf_counter()
    zero = run_row(row, regime, 0.0, examples, shrink=shrink)
    d = zero.pop("discrepancies")
    w = zero.pop("allowances")
    cell: dict[str, Any] = {
        "regime": regime.name, "step": row.step, "mode": row.mode, "function": row.function,
        "eps0": zero,
        "conditioning": {"median": statistics.median(d) if d else None,
                         "max": max(d) if d else None, "measured": len(d),
                         "zero_entries": zero.pop("zero_entries")},
        "allowance": {"median": statistics.median(w) if w else None,
                      "max": max(w) if w else None},
        "ladder": [], "smallest_detected": None}
    if zero["failed"] or zero["error"]:
        cell["seconds"] = round(time.perf_counter() - t0, 2)
        return cell
    for eps in ladder:
        run = run_row(row, regime, eps, examples)
        run.pop("discrepancies")
        run.pop("allowances")
        run.pop("zero_entries")
        run.pop("counterexample", None)
        cell["ladder"].append(run)
        if not run["failed"] or run["error"]:  # not detected: smaller errors are not either
            break
        cell["smallest_detected"] = eps
    cell["seconds"] = round(time.perf_counter() - t0, 2)
    return cell


def run(regimes: Sequence[str], rows: Sequence[str], examples: int,
        progress: Callable[[str], None] | None = None,
        ladder: Sequence[float] = LADDER, *, shrink: bool = False) -> dict[str, Any]:
    """Every row in every regime; the results as JSON-ready data."""
    import jax

    t0 = time.perf_counter()
    chosen = [r for r in ROWS if r.key in rows]
    cells = []
    for name in regimes:
        for row in chosen:
            if progress is not None:
                progress(f"sensitivity: {name}, {row.key}")
            cells.append(measure(row, REGIMES[name], examples, ladder, shrink=shrink))
    return {
        "conditions": {
            "examples": examples, "ladder": list(ladder), "shrink": shrink,
            "machine": platform.machine(), "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "versions": {"numpy": np.__version__, "jax": jax.__version__},
            "proofcheck": _source(), "started": time.strftime("%Y-%m-%d %H:%M:%S")},
        "regimes": {name: REGIMES[name].description for name in regimes},
        "cells": cells,
        "wall_s": round(time.perf_counter() - t0, 1),
    }


def _source() -> dict[str, Any]:
    """Where the checked proofcheck was imported from: its commit, and whether the package
    differs from it (``None`` outside a git checkout)."""
    import proofcheck

    root = Path(proofcheck.__file__).resolve().parent.parent

    def git(*args: str) -> str | None:
        done = subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True,
                              check=False)
        return done.stdout.strip() if done.returncode == 0 else None

    commit = git("rev-parse", "--short", "HEAD")
    changed = git("status", "--porcelain", "--", "proofcheck")
    return {"commit": commit, "package_modified": bool(changed) if commit else None}


# --- the table ----------------------------------------------------------------------


def _e(x: float | None) -> str:
    if x is None:
        return "-"
    if x == 0:
        return "0"
    return f"{x:.0e}".replace("e-0", "e-").replace("e+0", "e+")


def _cell_text(cell: dict[str, Any]) -> str:
    if cell["eps0"]["failed"]:
        return "FALSE ALARM"
    if cell["eps0"]["error"]:
        return "error"
    if cell["smallest_detected"] is None:
        return "not detected"
    return _e(cell["smallest_detected"])


def _steps(cells: Sequence[dict[str, Any]]) -> list[str]:
    return list(dict.fromkeys(c["step"] for c in cells))


def render(results: dict[str, Any]) -> str:
    """The Markdown tables: the summary, then the conditioning and eps = 0 of every cell."""
    cells = results["cells"]
    steps = _steps(cells)
    by = {(c["regime"], c["step"], c["mode"]): c for c in cells}
    lines = [
        f"Smallest relative error detected ({results['conditions']['examples']} examples a "
        "run); conditioning: relative spread of numpy, JAX and extended precision at the "
        "perturbed entry, median / max; allowance: relative half-width of the range the "
        "forward allowance gives the perturbed entry (rows that call gradients), median / "
        "max:", "",
        "| regime | mode | " + " | ".join(steps)
        + " | eps = 0 | conditioning | allowance | goal |",
        "|---|---|" + "---|" * len(steps) + "---|---|---|---|"]
    for regime in results["regimes"]:
        for mode in ("isolated", "end-to-end"):
            line = [by.get((regime, s, mode)) for s in steps]
            present = [c for c in line if c is not None]
            if not present:
                continue
            texts = [_cell_text(c) if c is not None else "" for c in line]
            alarms = [c["step"] for c in present if c["eps0"]["failed"]]
            eps0 = ("holds" if not alarms else "FALSE ALARM: " + ", ".join(alarms))
            medians = [c["conditioning"]["median"] for c in present
                       if c["conditioning"]["median"] is not None]
            maxima = [c["conditioning"]["max"] for c in present
                      if c["conditioning"]["max"] is not None]
            cond = (f"{_e(max(medians))} / {_e(max(maxima))}" if medians else "-")
            widths = [c for c in present if c.get("allowance", {}).get("median") is not None]
            allowed = (f"{_e(max(c['allowance']['median'] for c in widths))} / "
                       f"{_e(max(c['allowance']['max'] for c in widths))}" if widths else "-")
            lines.append(f"| {regime} | {mode} | " + " | ".join(texts)
                         + f" | {eps0} | {cond} | {allowed} | {_goal(present)} |")
    lines += ["", "Per row: smallest eps detected, examples the detection took, conditioning "
              "(median / max over the examples, with the number of examples measured and "
              "those whose perturbed entry is 0), seconds:", "",
              "| regime | row | detected | examples | conditioning | measured / zero | s |",
              "|---|---|---|---|---|---|---|"]
    for c in cells:
        detected = [r for r in c["ladder"] if r["failed"]]
        took = str(detected[-1]["examples"]) if detected else "-"
        cond = c["conditioning"]
        lines.append(f"| {c['regime']} | {c['step']}/{c['mode']} | {_cell_text(c)} | {took} | "
                     f"{_e(cond['median'])} / {_e(cond['max'])} | "
                     f"{cond['measured']} / {cond['zero_entries']} | {c['seconds']:.1f} |")
    alarms = [c for c in cells if c["eps0"]["failed"]]
    if alarms:
        shrunk = "shrunk" if results["conditions"].get("shrink") else "the first, not shrunk"
        lines += ["", f"False alarms (eps = 0 fails; the counterexample, {shrunk}):"]
        for c in alarms:
            ce = c["eps0"].get("counterexample", {})
            lines.append(f"- {c['regime']}, {c['step']}/{c['mode']}: {ce.get('quantity')} "
                         f"got {ce.get('actual')!r}, oracle {ce.get('expected')!r}, error/"
                         f"tolerance {ce.get('ratio')!r}, on {ce.get('network')}")
    errors = [c for c in cells if c["eps0"]["error"]]
    for c in errors:
        lines.append(f"- error in {c['regime']}, {c['step']}/{c['mode']}: {c['eps0']['error']}")
    lines += ["", f"wall time {results['wall_s']:.0f} s"]
    return "\n".join(lines)


def _goal(cells: Sequence[dict[str, Any]]) -> str:
    """eps = 1e-6 detected in every row whose perturbed entry float64 determines to better
    than 1e-8 (median over the examples), and, for the rows that call ``gradients``, the
    forward allowance too; rows where float64 does not are not judged, rows where the
    allowance does not are coarser by it (the table shows their smallest eps)."""
    judged = [c for c in cells if c["conditioning"]["median"] is not None
              and c["conditioning"]["median"] < WELL_DETERMINED and not c["eps0"]["error"]]
    if not judged:
        return "not judged"
    coarser = [c["step"] for c in judged
               if (c.get("allowance", {}).get("median") or 0.0) >= WELL_DETERMINED]
    judged = [c for c in judged if c["step"] not in coarser]
    missed = [c["step"] for c in judged if c["eps0"]["failed"]
              or c["smallest_detected"] is None or c["smallest_detected"] > GOAL_EPS]
    skipped = len(cells) - len(judged) - len(coarser)
    notes = ([f"{skipped} not judged"] if skipped else []) + (
        [f"coarser by the allowance: {', '.join(coarser)}"] if coarser else [])
    note = f" ({'; '.join(notes)})" if notes else ""
    return ("met" if not missed else "MISSED: " + ", ".join(missed)) + note


# --- command line -------------------------------------------------------------------------


def _parse(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--examples", type=int, default=None,
                   help="examples a run (default 50; 15 with --quick)")
    p.add_argument("--quick", action="store_true", help="fewer examples (15 a run)")
    p.add_argument("--regimes", default=",".join(REGIMES),
                   help=f"comma-separated, from: {', '.join(REGIMES)}")
    p.add_argument("--rows", default=",".join(r.key for r in ROWS),
                   help="comma-separated step/mode keys")
    p.add_argument("--shrink", action="store_true",
                   help="shrink the counterexample of a false alarm (minutes each)")
    p.add_argument("--json", default=str(HERE / "results" / "sensitivity.json"))
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    regimes = [r.strip() for r in args.regimes.split(",") if r.strip()]
    rows = [r.strip() for r in args.rows.split(",") if r.strip()]
    unknown = [r for r in regimes if r not in REGIMES] + \
        [r for r in rows if r not in {row.key for row in ROWS}]
    if unknown:
        sys.stderr.write(f"unknown regimes or rows: {unknown}; regimes: {list(REGIMES)}; "
                         f"rows: {[r.key for r in ROWS]}\n")
        return 2
    examples = args.examples or (15 if args.quick else 50)
    from proofcheck.oracle.compilation import start_own_process

    start_own_process()  # this process is ours, and JAX is not imported yet

    def progress(message: str) -> None:
        sys.stderr.write(f"[bench] {message}\n")
        sys.stderr.flush()

    results = run(regimes, rows, examples, progress, shrink=args.shrink)
    out = Path(args.json)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    sys.stdout.write(render(results) + f"\n\nwrote {out}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
