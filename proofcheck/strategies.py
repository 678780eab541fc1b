"""Hypothesis strategies for networks, data and the lemmas' matrices.

Public and reusable: a user can draw the same networks in their own tests::

    from hypothesis import given
    from proofcheck.strategies import networks

    @given(networks(max_depth=3, activations={"tanh", "relu"}))
    def test_mine(net):
        ...

Every bound is a keyword argument with a documented default and is checked up
front. Shapes fit by construction. A network is drawn as a list of layers,
each with its width, activation, bias and a block of weights as wide as
``max_width``, of which ``W^l`` takes the columns of the width before it: so
deleting a layer leaves a network that fits, and Hypothesis shrinks a
counterexample's depth by deleting layers. About one layer in two has a unit
whose potential is exactly 0 for every input (a zero row of ``W^l`` and
``b^l_i = 0``), where ``relu`` and ``leaky_relu`` meet their kink and an
implementation's own ``f'(0)`` is used.

Scaling (why the values are meaningful)
---------------------------------------
Entries of ``W^l`` are drawn from ``[-s / n_{l-1}, s / n_{l-1}]`` with
``s = weight_bound * 10^e``, so each row of ``W^l`` has an l1-norm of at most
``s``; biases, inputs and (squared-error) targets from ``[-d, d]`` with
``d = data_bound * 10^e``. The exponent ``e`` is drawn anew for every weight
matrix, bias vector, ``X`` and ``Y``, from ``-orders..orders`` (default 3),
and shrinks towards 0, where ``|z^l| <= weight_bound * max|a^{l-1}| +
data_bound`` grows at most linearly with depth. Over the whole range the
networks reach, on purpose, the regimes where a checker can be fooled or can
raise false alarms: parameters and inputs from ``1e-3`` to ``1e3`` times
their default size; sigmoid and tanh units saturated (``f'`` down to
``1e-300`` or exactly 0); relu potentials of ``1e-9`` next to the kink;
sigmoid outputs within ``1e-15`` of 0 or 1 under binary cross-entropy; and
magnitudes up to ``1e18`` through chains of linear units. ``orders=0`` gives
the unscaled networks.

Every drawn network is inside the statement (D2): its numpy forward pass is
finite, its output lies in the cost's domain and the cost's gradient there
is finite; a sigmoid output under binary cross-entropy also keeps ``1 - a >=
2^-50`` and ``a >= 2^-1000``, so that the oracle's forward pass, which rounds
differently by a few ulps, stays inside the domain too. Draws that leave it
(a saturated output rounded to exactly 0 or 1) are rejected: about 9 per
cent of the draws (measured: 93 of 1093). Floats are finite and never
subnormal. Binary cross-entropy is drawn only with a sigmoid output layer and
targets in ``[0, 1]``.

How the comparisons stay sound over these magnitudes -- scaled tolerances and
an estimate of how the forward pass's rounding propagates -- is in
:mod:`proofcheck.error_model`.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import NamedTuple

import numpy as np
from hypothesis import assume
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument
from hypothesis.extra import numpy as hnp

from proofcheck._types import Float64Array
from proofcheck.activations import ACTIVATIONS
from proofcheck.costs import COSTS
from proofcheck.errors import InputError
from proofcheck.network import Network

__all__ = [
    "activation_names",
    "check_positive",
    "check_range",
    "cost_names",
    "elements",
    "inside_statement",
    "matrices",
    "networks",
    "outputs_inside_statement",
]


def check_range(name: str, low: int, high: int, at_least: int) -> None:
    """Raise ``InvalidArgument`` unless ``at_least <= low <= high``, for the bounds
    ``min_<name>=low`` and ``max_<name>=high`` of a strategy (integers, not bools)."""
    for bound, value in (("min", low), ("max", high)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
            raise InvalidArgument(f"{bound}_{name}={value!r} must be an integer")
    if low < at_least:
        raise InvalidArgument(f"min_{name}={low} must be at least {at_least}")
    if low > high:
        raise InvalidArgument(f"min_{name}={low} is larger than max_{name}={high}")


def check_positive(name: str, value: float) -> None:
    """Raise ``InvalidArgument`` unless the argument ``name=value`` is a finite number > 0."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise InvalidArgument(f"{name}={value!r} must be a finite number > 0")
    if not (np.isfinite(value) and value > 0):
        raise InvalidArgument(f"{name}={value!r} must be a finite number > 0")


def elements(bound: float) -> st.SearchStrategy[float]:
    """Finite float64 values in ``[-bound, bound]``, never subnormal (XLA flushes those)."""
    return st.floats(-bound, bound, allow_nan=False, allow_infinity=False,
                     allow_subnormal=False)


def matrices(rows: int, cols: int, *, bound: float = 1.0) -> st.SearchStrategy[Float64Array]:
    """float64 matrices of shape ``(rows, cols)`` with entries in ``[-bound, bound]``."""
    check_positive("bound", bound)
    return hnp.arrays(np.float64, (rows, cols), elements=elements(bound))


def _vectors(n: int, *, low: float, high: float) -> st.SearchStrategy[Float64Array]:
    return hnp.arrays(np.float64, (n,), elements=st.floats(
        low, high, allow_nan=False, allow_infinity=False, allow_subnormal=False))


def activation_names(allowed: Collection[str] | None = None) -> st.SearchStrategy[str]:
    """Activation names, in registration order (so shrinking tends to ``identity``)."""
    names = _allowed(ACTIVATIONS, allowed, "activations")
    return st.sampled_from(names)


def cost_names(allowed: Collection[str] | None = None) -> st.SearchStrategy[str]:
    """Cost names, in registration order (so shrinking tends to ``squared_error``)."""
    return st.sampled_from(_allowed(COSTS, allowed, "costs"))


def _allowed(registry: Collection[str], allowed: Collection[str] | None, what: str) -> list[str]:
    if allowed is None:
        return list(registry)
    if isinstance(allowed, str):
        raise InvalidArgument(f"{what}={allowed!r} is one name; expected a collection of "
                              f"names, e.g. [{allowed!r}]")
    unknown = sorted(set(allowed) - set(registry))
    if unknown:
        raise InvalidArgument(f"{what}={sorted(allowed)} names unknown {what} {unknown}; "
                              f"known: {list(registry)}")
    names = [name for name in registry if name in allowed]
    if not names:
        raise InvalidArgument(f"{what} is empty; give at least one of {list(registry)}")
    return names


def networks(
    *,
    min_depth: int = 1,
    max_depth: int = 6,
    min_width: int = 1,
    max_width: int = 8,
    min_batch: int = 1,
    max_batch: int = 5,
    activations: Collection[str] | None = None,
    costs: Collection[str] | None = None,
    weight_bound: float = 1.0,
    data_bound: float = 1.0,
    orders: int = 3,
) -> st.SearchStrategy[Network]:
    """Random networks with data: depth, widths, activations, cost, parameters, X, Y.

    Parameters
    ----------
    min_depth, max_depth : int
        Bounds of the depth ``k`` (default 1..6).
    min_width, max_width : int
        Bounds of every width ``n_0, ..., n_k`` (default 1..8).
    min_batch, max_batch : int
        Bounds of the batch size ``N`` (default 1..5).
    activations, costs : collections of names, optional
        Draw only these (default: every registered one).
    weight_bound : float
        Every row of ``W^l`` has l1-norm at most this (default 1.0).
    data_bound : float
        Biases, inputs and squared-error targets lie in ``[-data_bound, data_bound]``.
    orders : int
        Each of those bounds is multiplied by ``10^e`` with ``e`` drawn from
        ``-orders..orders`` for every array (default 3; 0 keeps the bounds).

    Returns
    -------
    strategy of :class:`~proofcheck.network.Network`
    """
    check_range("depth", min_depth, max_depth, 1)
    check_range("width", min_width, max_width, 1)
    check_range("batch", min_batch, max_batch, 1)
    check_positive("weight_bound", weight_bound)
    check_positive("data_bound", data_bound)
    if isinstance(orders, bool) or not (isinstance(orders, int) and 0 <= orders <= 100):
        raise InvalidArgument(f"orders={orders!r} must be an integer in 0..100")
    exponents = [0, *(e for i in range(1, orders + 1) for e in (-i, i))]  # shrink to 0
    act_names = _allowed(ACTIVATIONS, activations, "activations")
    usable = _usable_costs(_allowed(COSTS, costs, "costs"), act_names)
    drawn = _Drawn(min_depth, max_depth, min_width, max_width, min_batch, max_batch,
                   tuple(act_names), tuple(usable), weight_bound, data_bound, tuple(exponents))
    return _draw_network(drawn)


def _usable_costs(cost_list: list[str], act_names: list[str]) -> list[str]:
    """The costs that can be drawn: one that needs a particular output activation only
    when that activation is allowed (``InvalidArgument`` if none can)."""
    needs = {c: COSTS[c].output_activations for c in cost_list}
    usable = [c for c, out in needs.items() if out is None or set(out) & set(act_names)]
    if not usable:
        raise InvalidArgument(
            f"no cost in {cost_list} can be used with activations {act_names}: "
            + "; ".join(f"{c} needs an output activation in {list(out)}"
                        for c, out in needs.items() if out is not None))
    return usable


class _Drawn(NamedTuple):
    """The checked arguments of :func:`networks`, as the drawing functions use them."""

    min_depth: int
    max_depth: int
    min_width: int
    max_width: int
    min_batch: int
    max_batch: int
    activations: tuple[str, ...]
    costs: tuple[str, ...]
    weight_bound: float
    data_bound: float
    exponents: tuple[int, ...]


@st.composite
def _draw_layer(draw: st.DrawFn, o: _Drawn) -> _Layer:
    """One layer on its own, its weights as an ``(n_l, max_width)`` block of which the
    columns of the previous width are used: deleting a layer leaves a network that fits,
    so Hypothesis shrinks depth by deleting layers."""
    n = draw(st.integers(o.min_width, o.max_width), label="n_l")
    name = draw(st.sampled_from(o.activations), label="f^l")
    s = o.weight_bound * 10.0 ** draw(st.sampled_from(o.exponents), label="size of W^l")
    block = draw(matrices(n, o.max_width, bound=s))
    d = o.data_bound * 10.0 ** draw(st.sampled_from(o.exponents), label="size of b^l")
    b = draw(_vectors(n, low=-d, high=d))
    # About one layer in two has a unit whose potential is exactly 0 for every input
    # (a zero row of W^l and b^l_i = 0): a kink where the implementation's own f' is
    # used. Hypothesis would find such rows rarely in a block this wide.
    dead = draw(st.sampled_from([None] * n + list(range(n))), label="unit at 0")
    if dead is not None:
        block[dead, :] = 0.0
        b[dead] = 0.0
    return _Layer(block, b, name)


@st.composite
def _draw_network(draw: st.DrawFn, o: _Drawn) -> Network:
    """A network of :func:`networks`, with its data, inside the theorem's statement."""
    n_0 = draw(st.integers(o.min_width, o.max_width), label="n_0")
    N = draw(st.integers(o.min_batch, o.max_batch), label="N")
    cost = draw(st.sampled_from(o.costs), label="cost")

    def scaled(bound: float, what: str) -> float:
        return bound * 10.0 ** draw(st.sampled_from(o.exponents), label=f"size of {what}")

    X = draw(matrices(n_0, N, bound=scaled(o.data_bound, "X")))
    layers = draw(st.lists(_draw_layer(o), min_size=o.min_depth, max_size=o.max_depth),
                  label="layers")
    output = COSTS[cost].output_activations
    last = o.activations if output is None else [a for a in o.activations if a in output]
    # The output activation is drawn for the cost, in place of the last layer's own.
    names = [layer.activation for layer in layers[:-1]]
    names.append(draw(st.sampled_from(last), label="f^k"))
    widths = [n_0, *(layer.block.shape[0] for layer in layers)]
    weights = [_weights(layer.block, n_in) for layer, n_in in zip(layers, widths, strict=False)]
    biases = [layer.b for layer in layers]
    low, high = COSTS[cost].target_range
    bound = scaled(o.data_bound, "Y") if low < 0 else o.data_bound
    low, high = max(low, -bound), min(high, bound)
    Y = draw(hnp.arrays(np.float64, (widths[-1], N), elements=st.floats(
        low, high, allow_nan=False, allow_infinity=False, allow_subnormal=False)))
    net = Network(weights, biases, tuple(names), cost, X, Y)
    assume(inside_statement(net))
    return net


class _Layer(NamedTuple):
    """One drawn layer before it is fitted to the width before it."""

    block: Float64Array
    b: Float64Array
    activation: str


_TINY = float(np.finfo(np.float64).tiny)


def _weights(block: Float64Array, n_in: int) -> Float64Array:
    """``W^l`` from a drawn block: its first ``n_{l-1}`` columns divided by ``n_{l-1}`` (so
    that every row has an l1-norm of at most the block's bound), never subnormal."""
    W = block[:, :n_in] / n_in
    W[np.abs(W) < _TINY] = 0.0
    return W


#: Margins a sigmoid output keeps from 1 and from 0 under binary cross-entropy.
_ONE_MARGIN, _ZERO_MARGIN = 2.0**-50, 2.0**-1000


def inside_statement(net: Network) -> bool:
    """Whether the network's numpy forward pass is finite and its output inside the cost's
    domain, with a finite cost gradient (and the margins of the module docstring)."""
    from proofcheck.network import forward_numpy

    with np.errstate(all="ignore"):
        _, As = forward_numpy(net.weights, net.biases, net.activations, net.X)
    return outputs_inside_statement(As, net.cost, net.Y)


def outputs_inside_statement(As: Sequence[Float64Array], cost_name: str,
                             Y: Float64Array) -> bool:
    """The test of :func:`inside_statement` on a forward pass's activations ``A^0 .. A^k``:
    the one rule for the paper's networks and for networks of any layer types.

    Every ``A^l`` is finite, ``A^k`` is in the cost's domain for ``Y`` and the cost's
    gradient there is finite; a sigmoid output under binary cross-entropy also keeps
    ``1 - a >= 2^-50`` and ``a >= 2^-1000`` (see the module docstring).
    """
    with np.errstate(all="ignore"):
        if not all(np.all(np.isfinite(a)) for a in As):
            return False
        A, cost = As[-1], COSTS[cost_name]
        try:
            cost.validate(A, Y)
        except InputError:
            return False
        if cost_name == "binary_cross_entropy" and (
                np.any(1.0 - A < _ONE_MARGIN) or np.any(A < _ZERO_MARGIN)):
            return False
        return bool(np.all(np.isfinite(cost.gradient(A, Y))))
