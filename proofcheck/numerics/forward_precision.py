"""The forward pass's precision: the part of the error model for an implementation's own
forward formulas.

The rows that call an implementation's ``gradients`` (T1.grad, T1.tail, T2
end-to-end) run *its* forward pass, with *its* formula for each activation.
Textbooks and libraries write the same function in several ways, and the
standard ones are accurate in absolute, not relative, terms where the value is
small: ``alpha (exp(z) - 1)`` for an ``elu`` (no ``expm1``), ``(1 + tanh(z/2)) / 2``
for a sigmoid, ``2 / (1 + exp(-2 z)) - 1`` for a ``tanh``, ``log(1 + exp(z))`` for a
softplus. Each is the activation to within a few ``u`` of ``max(|a|, 1)``
(measured: ``benchmarks/forward_precision.py``, at most 3 ``u``), and each is a
correct forward pass: a backward pass built on it is a correct backpropagation.

The rule
--------
An activation value computed to within ``c u max(|a|, 1)`` of the exact one,
inside the activation's range (:attr:`~proofcheck.activations.Activation.range`),
is correct (``c`` is :data:`FORWARD_ACCURACY`: 4 for the smooth activations, 0 for
identity, relu and leaky relu, which every formula computes exactly). A gradient
row's result holds if it is, to the rounding the error model allows
(:mod:`proofcheck.numerics.error_model`), the exact gradient of *some* forward pass whose
activations are within that allowance of the exact ones: as numerical analysis
states backward stability.

How it is checked: :func:`network_ranges` evaluates the backward pass over boxes,
once the ordinary comparison has failed (a second look: a result that agrees with
the oracle never needs it). Every activation ``a^l`` is an interval (the exact
value, widened by the allowance and the forward passes' own rounding, clipped to
the range); the potentials, derivatives, deltas and gradients are intervals
computed from them. Carried through products and sums this is the first-order
carry of the rest of the error model (``|W| rad(a)``, ``|delta| rad(a)^T``), with
the products' second-order terms; where the dependence is not linear it is the
range itself, never a multiple of it (no ``MARGIN``). Two things keep that range
honest:

* ``f'`` may be formed from ``z`` or from ``a`` (``a (1 - a)``, ``1 - a^2``): its
  range is the hull of both forms over the boxes.
* The output delta ``f'(z) * grad_a c(a)`` is evaluated *as a function of* ``a'``
  over the box (both forms, on a grid that includes the endpoints), not as a
  product of two independent ranges: with a sigmoid output under cross-entropy
  the product of ranges would be unbounded, the function is ``a' - y``.

An unbounded range is still judged on its bounded side. This is what keeps the
clipped probabilities failing: a sigmoid output ``a = 4.2e-18`` (``z = -40``, target 1)
has the box ``[0, 4.2e-18 + 4 u]``, over which ``f'(z) grad_a c`` takes the values
``(-inf, -0.0095]`` with ``f'`` formed from ``z`` and ``[-1, -1 + 4 u]`` formed
from ``a``; a gradient that clips ``a`` at ``1e-15`` gives ``-4.2e-3``, outside both.
The allowance makes this regime coarser, and says how much: a clip at ``1e-15`` is
outside the range for outputs from about ``1e-24`` to ``5e-16`` (``z`` from -55 to -35,
where the strategies and the rows' explicit example put saturated outputs); far below,
at ``a = 3.7e-44``, the clipped gradient ``-3.7e-29`` is what a correct formula within
the allowance (``f'`` from ``z``, the cost's gradient from its own ``a' = 1e-16``) gives
too, and the verdict could not be defended.

A row that holds only by this allowance says so in the report (a note naming the
activation, the layer, where, and the formula that keeps the relative precision).

Outside the statement
---------------------
Where the box of an output reaches the edge of the cost's domain (a sigmoid
output of ``4e-17`` under cross-entropy: a formula within the allowance may
return exactly 0), an implementation's forward formula may leave the statement:
``log(0)``, ``0 / 0``. A NaN or infinity in its gradients on such an example is
not a failure of its backpropagation; the example is recorded with a note
(:func:`leaves_domain`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection
from typing import TYPE_CHECKING, NamedTuple

import numpy as np
from numpy.typing import NDArray

from proofcheck._types import Float64Array
from proofcheck.activations import ACTIVATIONS, ELU_ALPHA
from proofcheck.costs import COSTS
from proofcheck.numerics.error_model import U

if TYPE_CHECKING:  # the oracle imports JAX; this module reads only its results
    from proofcheck.network import Network
    from proofcheck.oracle.network import NetworkGradients

__all__ = [
    "FORWARD_ACCURACY",
    "Interval",
    "NetworkRanges",
    "allowance",
    "explaining_layers",
    "forward_note",
    "leaves_domain",
    "network_ranges",
    "outside_note",
]

#: ``c`` of the rule: an activation computed to within ``c u max(|a|, 1)`` is
#: correct. Measured on the standard formulas (``benchmarks/forward_precision.py``):
#: at most 3.0 ``u`` (``tanh`` as ``2 / (1 + exp(-2 z)) - 1``); 4 keeps a margin and
#: stays below the 9 ``u`` by which a probability clipped at ``1e-15`` moves a
#: saturated sigmoid output (so that mistake keeps failing). The piecewise-linear
#: activations are computed exactly by every formula. An activation not listed
#: (registered by a user) gets :data:`DEFAULT_ACCURACY`.
FORWARD_ACCURACY: dict[str, float] = {
    "identity": 0.0,
    "relu": 0.0,
    "leaky_relu": 0.0,
    "sigmoid": 4.0,
    "tanh": 4.0,
    "elu": 4.0,
    "softplus": 4.0,
    "sin": 4.0,
}

#: ``c`` for an activation without an entry in :data:`FORWARD_ACCURACY`.
DEFAULT_ACCURACY = 4.0

#: ``f'`` formed from ``a = f(z)``, the way the proof and most code form it, for the
#: activations that have such a form; its range over an activation's box is part of
#: ``f'``'s range.
_DERIVATIVE_FROM_A: dict[str, Callable[[Float64Array], Float64Array]] = {
    "sigmoid": lambda a: a * (1.0 - a),
    "tanh": lambda a: 1.0 - a * a,
    "elu": lambda a: np.where(a < 0.0, a + ELU_ALPHA, 1.0),
    "softplus": lambda a: -np.expm1(-a),
}

#: Activations that are monotone: their image of an interval is the interval of the
#: images of its endpoints.
_MONOTONE = frozenset({"identity", "relu", "leaky_relu", "sigmoid", "tanh", "elu", "softplus"})

#: Per activation: the standard formulas that lose relative precision where the value
#: is small (and where), and one that keeps it.
_ADVICE: dict[str, tuple[str, str]] = {
    "sigmoid": ("(1 + tanh(z / 2)) / 2 or 1 - 1 / (1 + exp(z)) lose it where a is small "
                "(z << 0)", "1 / (1 + exp(-z)) for z >= 0 and exp(z) / (1 + exp(z)) below"),
    "tanh": ("2 / (1 + exp(-2 z)) - 1 or (e^z - e^-z) / (e^z + e^-z) lose it near z = 0",
             "np.tanh(z)"),
    "elu": ("alpha * (exp(z) - 1) loses it near z = 0", "alpha * expm1(z)"),
    "softplus": ("log(1 + exp(z)) loses it where z << 0",
                 "np.logaddexp(0, z) or log1p(exp(z))"),
}

#: Points of the grid on which the output delta is evaluated over a box.
_GRID = 9


class Interval(NamedTuple):
    """Entrywise lower and upper bounds of a quantity (arrays of the same shape)."""

    low: Float64Array
    high: Float64Array


class NetworkRanges(NamedTuple):
    """The range of every delta and gradient over the forward allowance, per layer
    (index ``l - 1``): ``Delta^l``, ``dC/dW^l``, ``dC/db^l``."""

    deltas: list[Interval]
    dWs: list[Interval]
    dbs: list[Interval]


def allowance(name: str, A: Float64Array) -> Float64Array:
    """``c u max(|A|, 1)``: how far a correct formula for activation ``name`` may put each
    entry of ``A`` from the exact value (:data:`FORWARD_ACCURACY`)."""
    c = FORWARD_ACCURACY.get(name, DEFAULT_ACCURACY)
    return np.asarray(c * U * np.maximum(np.abs(A), 1.0), dtype=np.float64)


# --- interval arithmetic ---------------------------------------------------------------


def _hull(*values: Float64Array) -> Interval:
    stacked = np.stack([np.asarray(v, dtype=np.float64) for v in values])
    with np.errstate(invalid="ignore"):
        low = np.where(np.isnan(stacked), -np.inf, stacked).min(axis=0)
        high = np.where(np.isnan(stacked), np.inf, stacked).max(axis=0)
    return Interval(low, high)


def _times(x: Interval, y: Interval) -> Interval:
    """The entrywise product of two intervals (broadcasting); ``0 * inf`` is 0: a factor
    that is exactly 0 over its whole box makes the product 0."""
    with np.errstate(invalid="ignore", over="ignore"):
        products = [np.nan_to_num(p * q, nan=0.0, posinf=np.inf, neginf=-np.inf)
                    for p in (x.low, x.high) for q in (y.low, y.high)]
    return _hull(*products)


def _sum(x: Interval, axis: int) -> Interval:
    with np.errstate(invalid="ignore", over="ignore"):
        low, high = x.low.sum(axis=axis), x.high.sum(axis=axis)
    return Interval(np.where(np.isnan(low), -np.inf, low), np.where(np.isnan(high), np.inf, high))


def _matmul(W: Float64Array, x: Interval) -> Interval:
    """``W x`` for an exact matrix ``W (m, n)`` and an interval ``x (n, N)``."""
    return _sum(_times(Interval(W[:, :, None], W[:, :, None]),
                       Interval(x.low[None, :, :], x.high[None, :, :])), axis=1)


def _outer_sum(delta: Interval, a_prev: Interval) -> Interval:
    """``delta a_prev^T`` for intervals ``delta (m, N)`` and ``a_prev (n, N)``."""
    return _sum(_times(Interval(delta.low[:, None, :], delta.high[:, None, :]),
                       Interval(a_prev.low[None, :, :], a_prev.high[None, :, :])), axis=2)


# --- the boxes of the forward pass -----------------------------------------------------


def _image(name: str, low: Float64Array, high: Float64Array,
           g: Callable[[Float64Array], Float64Array], critical: Float64Array | None
           ) -> Interval:
    """The range of ``g`` over ``[low, high]``: its values at the endpoints, at the
    midpoint, and at the ``critical`` points inside."""
    with np.errstate(all="ignore"):
        values = [g(low), g(high), g((low + high) / 2.0)]
        if critical is not None:
            for point in critical:
                inside = (low <= point) & (point <= high)
                values.append(np.where(inside, g(np.full_like(low, point)), values[0]))
    return _hull(*values)


def _sin_critical(low: Float64Array, high: Float64Array, shift: float) -> list[Float64Array]:
    """Where ``sin`` (``shift = pi/2``) or ``cos`` (``shift = 0``) has its extremes inside
    ``[low, high]``: one candidate point per interval, the first ``shift + k pi`` above
    ``low``, with ``low`` itself where there is none."""
    with np.errstate(all="ignore"):
        k = np.ceil((low - shift) / math.pi)
        point = shift + k * math.pi
        return [np.where(np.isfinite(point) & (point <= high), point, low)]


def _activation_box(name: str, z: Interval, exact: Float64Array, allowed: bool) -> Interval:
    """The box of ``a^l``: ``f`` over the potential's box, widened by the forward passes'
    own rounding (``4 u |a|``) and, if ``allowed``, the allowance, clipped to the
    activation's range."""
    f = ACTIVATIONS[name]
    if name in _MONOTONE:
        image = _image(name, z.low, z.high, f, None)
    elif name == "sin":
        image = _hull(*(_image(name, z.low, z.high, f, None)),
                      *(np.sin(p) for p in _sin_critical(z.low, z.high, math.pi / 2)))
    else:
        points = [z.low + (z.high - z.low) * t for t in np.linspace(0.0, 1.0, _GRID)]
        with np.errstate(all="ignore"):
            image = _hull(*(f(p) for p in points))
    widen = (allowance(name, exact) if allowed else 0.0) + 4.0 * U * np.abs(exact)
    low, high = f.range
    return Interval(np.clip(image.low - widen, low, high), np.clip(image.high + widen, low, high))


def _derivative_from_z(name: str, z: Interval, exact: Float64Array) -> Interval:
    """The range of ``f'`` formed from ``z`` over the potential's box. A potential known
    exactly (its box has no width: at a kink, the convention's value) keeps the oracle's
    ``exact`` value."""
    f = ACTIVATIONS[name]
    if name == "sin":
        hull = _hull(*(_image(name, z.low, z.high, f.derivative, None)),
                     *(np.cos(p) for p in _sin_critical(z.low, z.high, 0.0)))
    else:
        hull = _image(name, z.low, z.high, f.derivative, np.zeros(1))
    exact_point = z.low == z.high
    return Interval(np.where(exact_point, exact, hull.low), np.where(exact_point, exact, hull.high))


def _derivative_range(name: str, from_z: Interval, a: Interval) -> Interval:
    """The range of ``f'``: ``from_z`` (:func:`_derivative_from_z`), and ``f'`` formed from
    ``a`` over the activation's box where ``f'`` has such a form."""
    form = _DERIVATIVE_FROM_A.get(name)
    if form is None:
        return from_z
    with np.errstate(all="ignore"):
        forms = [from_z.low, from_z.high, form(a.low), form(a.high)]
        if name in ("sigmoid", "tanh"):  # the form's extreme inside the box
            top = 0.5 if name == "sigmoid" else 0.0
            forms.append(np.where((a.low <= top) & (top <= a.high),
                                  form(np.full_like(a.low, top)), forms[0]))
    return _hull(*forms)


def _open_domain(cost: str, a: Float64Array) -> Float64Array:
    """``a`` moved inside the cost's open domain by one step, where it lies on its edge."""
    low, high = COSTS[cost].domain
    a = np.where(a <= low, np.nextafter(low, np.inf), a) if np.isfinite(low) else a
    return np.where(a >= high, np.nextafter(high, -np.inf), a) if np.isfinite(high) else a


def _output_range(net: Network, a: Interval, dfz: Interval) -> Interval:
    """The range of ``Delta^k = f'(Z^k) * dC/dA^k`` over the boxes, per entry.

    ``dC/dA^k`` depends on ``a'`` alone and is monotone in it for the package's costs
    (``a - y``; ``(a - y) / (a (1 - a))``): with ``f'`` from ``z`` (``dfz``) the range is
    the product of ``f'``'s range and the gradient's, with ``f'`` from ``a`` the function
    ``a' -> f'(a') grad c(a')`` is evaluated on a grid of the box (never the product of
    the two ranges, which is unbounded where the function is ``a' - y``).
    """
    cost, N, name = COSTS[net.cost], net.batch_size, net.activation_names[-1]
    with np.errstate(all="ignore"):
        grid = [_open_domain(net.cost, a.low + (a.high - a.low) * t)
                for t in np.linspace(0.0, 1.0, _GRID)]
        gradients = [cost.gradient(p, net.Y) / N for p in grid]
        ranges = [_times(dfz, _hull(*gradients))]
        form = _DERIVATIVE_FROM_A.get(name)
        if form is not None:
            ranges.append(_hull(*(form(p) * g for p, g in zip(grid, gradients, strict=True))))
    return _hull(*(r.low for r in ranges), *(r.high for r in ranges))


def network_ranges(net: Network, o: NetworkGradients,
                   layers: Collection[int] | None = None) -> NetworkRanges:
    """The range of every delta and gradient over forward passes whose activations are
    within the allowance of the exact ones (the module's rule).

    ``o`` is the oracle's forward and backward pass of ``net`` (its kink convention's
    derivatives where units are exactly at a kink). ``layers``: the layers ``l`` whose
    activations get the allowance (all by default); the others get the forward passes'
    own rounding only, so that a note can name the layers that needed it.
    """
    from proofcheck.numerics.error_model import forward_errors

    k = net.depth
    errors_z, _ = forward_errors(net, o.As, o.derivatives)
    a_box = Interval(net.X, net.X)
    a_boxes = [a_box]
    from_z: list[Interval] = []
    for l in range(k):
        name, W, b = net.activation_names[l], net.weights[l], net.biases[l][:, None]
        z = _matmul(W, a_box)
        own = (W.shape[1] + 2) * U * (np.abs(W) @ np.abs(o.As[l]) + np.abs(b))
        z = Interval(z.low + b - own, z.high + b + own)
        z = Interval(np.minimum(z.low, o.Zs[l] - errors_z[l]), np.maximum(z.high, o.Zs[l]
                                                                          + errors_z[l]))
        a_box = _activation_box(name, z, o.As[l + 1], layers is None or l + 1 in layers)
        a_boxes.append(a_box)
        from_z.append(_derivative_from_z(name, z, o.derivatives[l]))
    deltas: list[Interval] = [Interval(np.empty(0), np.empty(0))] * k
    deltas[k - 1] = _output_range(net, a_boxes[k], from_z[k - 1])
    for l in range(k - 1, 0, -1):
        dfz = _derivative_range(net.activation_names[l - 1], from_z[l - 1], a_boxes[l])
        deltas[l - 1] = _times(dfz, _matmul(net.weights[l].T, deltas[l]))
    dWs = [_outer_sum(deltas[l], a_boxes[l]) for l in range(k)]
    dbs = [_sum(deltas[l], axis=1) for l in range(k)]
    return NetworkRanges(deltas, dWs, dbs)


def leaves_domain(net: Network, o: NetworkGradients) -> bool:
    """Whether a forward formula within the allowance may put an output on the edge of
    the cost's domain (a sigmoid output computed as exactly 0 under cross-entropy), where
    the cost and its gradient are not defined: an implementation's NaN there is its
    forward formula leaving the statement, not a backpropagation error."""
    name = net.activation_names[-1]
    low, high = COSTS[net.cost].domain
    A = o.As[-1]
    widen = allowance(name, A) + 4.0 * U * np.abs(A)
    return bool(np.any(A - widen <= low) or np.any(A + widen >= high))


def explaining_layers(accepts: Callable[[NetworkRanges], bool], net: Network,
                      o: NetworkGradients) -> list[int]:
    """The layers whose allowance alone makes ``accepts`` hold, or every layer with an
    allowance if no single one does."""
    candidates = [l for l, name in enumerate(net.activation_names, start=1)
                  if FORWARD_ACCURACY.get(name, DEFAULT_ACCURACY) > 0]
    alone = [l for l in candidates if accepts(network_ranges(net, o, layers={l}))]
    return alone or candidates


#: Where each activation's standard formulas are not exact (elu is ``z`` above 0).
_INEXACT: dict[str, Callable[[Float64Array], NDArray[np.bool_]]] = {
    "elu": lambda z: np.asarray(z <= 0.0),
}


def _everywhere(z: Float64Array) -> NDArray[np.bool_]:
    return np.ones(z.shape, dtype=bool)


def forward_note(net: Network, o: NetworkGradients, layers: Collection[int]) -> str:
    """The report's note for a result that holds only by the forward allowance of
    ``layers``: the activation, the formulas that lose the relative precision and one that
    keeps it, and where (in the final parentheses, which the report's count of notes of
    one kind ignores)."""
    parts, where = [], []
    for l in sorted(layers):
        name, A, Z = net.activation_names[l - 1], o.As[l], o.Zs[l - 1]
        inexact = _INEXACT.get(name, _everywhere)(Z)
        i = np.unravel_index(int(np.argmin(np.where(inexact, np.abs(A), np.inf))), A.shape)
        c = FORWARD_ACCURACY.get(name, DEFAULT_ACCURACY)
        lossy, accurate = _ADVICE.get(name, ("", ""))
        parts.append(f"layer {l}'s {name} is accepted to within {c:g} u of max(|a|, 1), not "
                     "of a itself" + (f": {lossy}, {accurate} keeps it" if lossy else ""))
        where.append(f"layer {l}: a = {float(A[i]):.3g} at z = {float(Z[i]):.3g}")
    return (f"holds by the forward pass's precision, the backward pass is right: "
            f"{'; '.join(parts)} (e.g. {', '.join(where)})")


def outside_note(net: Network, o: NetworkGradients) -> str:
    """The report's note for a NaN or infinity explained by :func:`leaves_domain` (the
    values in the final parentheses, as :func:`forward_note`'s)."""
    name = net.activation_names[-1]
    A = o.As[-1]
    i = np.unravel_index(int(np.argmin(np.minimum(np.abs(A), np.abs(1.0 - A)))), A.shape)
    lossy, accurate = _ADVICE.get(name, ("", ""))
    return ("is not judged where the forward formula left the statement: an output "
            f"{name} within the forward allowance of the edge of {net.cost}'s domain may be "
            "computed as exactly 0 or 1, where the cost's gradient is not defined (0/0)"
            + (f"; {accurate} avoids it" if lossy else "")
            + f" (e.g. a = {float(A[i]):.3g} at z = {float(o.Zs[-1][i]):.3g})")
