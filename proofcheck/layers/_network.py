"""Networks of any layer types: the forward pass, the strategy, and a numpy backpropagation.

The generalized theorem's network; the paper's network (affine potentials,
elementwise activations) is :mod:`proofcheck.network`, the special case whose
layer maps are all ``Affine``.

In math (the generalization of D1/D4)::

    A^0 = X,   Z^l = phi^l(A^{l-1}; theta^l),   A^l = f^l(Z^l),   C = mean_i c(A^k_i, Y_i)

and backpropagation by the generalized theorem::

    Delta^k     = J^{f^k}(Z^k)^T dC/dA^k                                  (G.base)
    Delta^l     = J^{f^l}(Z^l)^T J^{phi^{l+1}}_a(A^l)^T Delta^{l+1}       (G.step)
    dC/dtheta^l = J^{phi^l}_theta(A^{l-1})^T Delta^l                       (G.param)

How :func:`layer_networks` draws
--------------------------------
*Sizes.* Three networks in four keep every width at most ``SMALL_WIDTH`` (4)
and ``N`` at most ``SMALL_BATCH`` (2); the fourth may reach ``max_width`` and
``max_batch``, so that layers whose mistakes need room (overlapping
convolution windows, statistics over several examples) get it, while most
examples stay cheap to check and to read. The choice shrinks to the small
bounds. ``N`` is at least the ``min_batch`` of every layer type in the
network, and a layer type is drawn only where the width before it is at least
its ``min_width`` (for the focus: ``n_0`` and every width before it are at
least that).

*Shrinking.* The layers are drawn one after another, each from its own run of
choices (its type, its configuration for the width it receives, its
parameters, its activation), and every layer that may be left out follows a
choice to go on, as ``st.lists`` draws its elements: the layers before the
focus, then those after it. The output activation is drawn after the last
layer and replaces that layer's own. Deleting a layer is therefore one shrink
step that keeps the output activation, and the layers after it are configured
for the width they now receive: the network stays valid, and a counterexample
shrinks to the smallest depth at which the mistake shows.

*Outputs.* Targets are valid for the cost; the output activation is forced
when the cost needs one (``sigmoid``, ``softmax``). Networks outside the
statement (an output that leaves the cost's domain or its margins, a cost
gradient that is not finite: the paper's networks' rule,
:func:`proofcheck.strategies.outputs_inside_statement`) are not filtered here:
the properties discard them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, NamedTuple

import numpy as np
from hypothesis import assume
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument
from hypothesis.extra import numpy as hnp

from proofcheck._types import Array, Float64Array, Namespace
from proofcheck.costs import COSTS
from proofcheck.layers._protocol import ActivationMap, LayerMap, Parameters
from proofcheck.strategies import check_range, elements

__all__ = ["LayerNetwork", "layer_backprop", "layer_forward", "layer_networks"]


class LayerNetwork(NamedTuple):
    """A network of configured layer maps and activation maps, with its data.

    Attributes
    ----------
    layers : list of k configured :class:`LayerMap`
    params : list of k parameter dicts (``theta^l``)
    activations : list of k :class:`ActivationMap`
    cost : str
    X : (n_0, N)
    Y : (n_k, N)
    """

    layers: list[LayerMap]
    params: list[Parameters]
    activations: list[ActivationMap]
    cost: str
    X: Float64Array
    Y: Float64Array

    @property
    def depth(self) -> int:
        return len(self.layers)

    @property
    def batch_size(self) -> int:
        return int(self.X.shape[1])

    @property
    def widths(self) -> tuple[int, ...]:
        return (self.layers[0].n_in, *(layer.n_out for layer in self.layers))

    def describe(self) -> str:
        parts = [f"{layer.describe()} + {f.describe()}"
                 for layer, f in zip(self.layers, self.activations, strict=True)]
        return (f"depth k={self.depth}: {'; '.join(parts)}; cost {self.cost}, "
                f"batch N={self.batch_size}")


def layer_forward(
    layers: Sequence[LayerMap],
    params: Sequence[Parameters],
    activation_maps: Sequence[Any],
    X: Array,
    xp: Namespace,
) -> tuple[list[Array], list[Array]]:
    """The forward pass, keeping every ``Z^l`` and ``A^l``.

    ``activation_maps`` are callables ``Z^l -> A^l``. Returns ``Zs`` (k
    arrays) and ``As`` (k + 1 arrays, ``As[0] = X``).
    """
    Zs: list[Array] = []
    As: list[Array] = [X]
    for layer, theta, f in zip(layers, params, activation_maps, strict=True):
        Zs.append(layer.forward(As[-1], theta, xp))
        As.append(f(Zs[-1]))
    return Zs, As


class LayerGradients(NamedTuple):
    """The numpy backpropagation's results: deltas and parameter gradients."""

    Zs: list[Float64Array]
    As: list[Float64Array]
    deltas: list[Float64Array]
    grads: list[dict[str, Float64Array]]


def layer_backprop(net: LayerNetwork) -> LayerGradients:
    """Backpropagation by the generalized theorem, numpy only, from hand-derived products."""
    maps = [_numpy_map(f) for f in net.activations]
    Zs, As = layer_forward(net.layers, net.params, maps, net.X, np)
    k, N = net.depth, net.batch_size
    c = COSTS[net.cost]
    c.validate(As[k], net.Y)
    grad_a = c.gradient(As[k], net.Y) / N
    deltas: list[Float64Array] = [np.empty(0)] * k
    grads: list[dict[str, Float64Array]] = [{}] * k
    deltas[k - 1] = net.activations[k - 1].product(Zs[k - 1], As[k], grad_a)  # G.base
    for l in range(k, 0, -1):
        layer, theta = net.layers[l - 1], net.params[l - 1]
        grads[l - 1] = layer.parameter_products(As[l - 1], theta, deltas[l - 1])  # G.param
        if l > 1:  # G.step
            back = layer.input_product(As[l - 1], theta, deltas[l - 1])
            deltas[l - 2] = net.activations[l - 2].product(Zs[l - 2], As[l - 1], back)
    return LayerGradients(Zs, As, deltas, grads)


def _numpy_map(f: ActivationMap) -> Any:
    return lambda Z: f.forward(Z, np)


#: Most networks keep widths and the batch this small (see :func:`layer_networks`):
#: the oracle compiles each primitive once per shape, and small counterexamples
#: read best.
SMALL_WIDTH, SMALL_BATCH = 4, 2
#: The share of networks drawn at the full bounds instead: one in ``len(_WIDE)``.
_WIDE = (False, False, False, True)


def size_bounds(max_width: int, max_batch: int, *, small_width: int = SMALL_WIDTH,
                small_batch: int = SMALL_BATCH) -> st.SearchStrategy[tuple[int, int]]:
    """Bounds ``(width, batch)`` for one example: three times in four the small ones
    (``min(small_width, max_width)``, ``min(small_batch, max_batch)``), else the
    full ones; shrinking to the small bounds."""
    small = (min(small_width, max_width), min(small_batch, max_batch))
    return st.sampled_from(_WIDE).map(lambda wide: (max_width, max_batch) if wide else small)


def layer_networks(
    layer_types: Sequence[type[LayerMap]],
    activation_maps: Sequence[ActivationMap],
    *,
    focus: Any = None,
    focus_from: int = 1,
    min_depth: int = 1,
    max_depth: int = 4,
    max_width: int = 8,
    max_batch: int = 6,
    costs: Sequence[str] | None = None,
    orders: int = 0,
) -> st.SearchStrategy[LayerNetwork]:
    """Networks that mix the given layer types and activation maps, with data.

    How they are drawn (sizes, shrinking, outputs) is in the module's docstring.

    Parameters
    ----------
    layer_types : sequence of :class:`LayerMap` subclasses (at least one)
    activation_maps : sequence of :class:`ActivationMap` (at least one)
    focus : LayerMap subclass or ActivationMap, optional
        A layer type (or activation map) that every network contains, at one
        layer after any number of others (shrinking to none before it).
    focus_from : int
        The first layer at which the focus may be placed (default 1; a
        property that needs the focus's input product places it from layer 2).
    min_depth, max_depth : int
        Bounds of the depth ``k`` (default 1..4).
    max_width, max_batch : int
        Bounds of every width ``n_0, ..., n_k`` (default 8) and of ``N`` (6).
    costs : sequence of str, optional
        Draw only these costs (default: every registered one).
    orders : int
        In about half of the networks (a choice that shrinks to unscaled), each
        parameter array and ``X`` is scaled by ``10^e``, ``e`` drawn from
        ``-orders..orders`` for each array and shrinking to 0, as
        :func:`proofcheck.strategies.networks` scales its arrays (default 0:
        entries within each layer's ``parameter_bound`` and ``X`` in ``[-1, 1]``).

    Raises
    ------
    hypothesis.errors.InvalidArgument
        At the call, before anything is drawn, for an argument out of range or
        of the wrong kind (checked as :func:`proofcheck.strategies.networks`
        checks its own), unknown costs, or a layer type whose ``min_width`` or
        ``min_batch`` exceeds ``max_width`` or ``max_batch``.
    """
    layer_types = _listed("layer_types", layer_types,
                          "a non-empty sequence of LayerMap subclasses")
    activation_maps = _listed("activation_maps", activation_maps,
                              "a non-empty sequence of ActivationMap instances")
    _check_arguments(layer_types, activation_maps, focus, focus_from, min_depth, max_depth,
                     max_width, max_batch, orders)
    return _draw_layer_network(_layer_plan(layer_types, activation_maps, focus, focus_from,
                                           min_depth, max_depth, max_width, max_batch,
                                           costs, orders))


class _LayerPlan(NamedTuple):
    """The checked arguments of :func:`layer_networks`, as the drawing functions use them."""

    maps: list[ActivationMap]
    names: dict[str, ActivationMap]
    pool: list[type[LayerMap]]
    usable: list[str]
    focus: Any
    focus_layer: type[LayerMap] | None
    focus_map: ActivationMap | None
    focus_from: int
    least_width: int
    min_depth: int
    max_depth: int
    max_width: int
    max_batch: int
    orders: int
    exponents: list[int]


def _layer_plan(layer_types: list[Any], activation_maps: list[Any], focus: Any,
                focus_from: int, min_depth: int, max_depth: int, max_width: int,
                max_batch: int, costs: Sequence[str] | None, orders: int) -> _LayerPlan:
    """Check the costs against the activation maps and the focus; derive the plan."""
    names = {f.describe(): f for f in activation_maps}
    cost_names = list(COSTS) if costs is None else _listed(
        "costs", costs, f"a sequence of names of costs of {list(COSTS)}")
    unknown = sorted(set(cost_names) - set(COSTS))
    if unknown or not cost_names:
        raise InvalidArgument(f"costs={cost_names!r} must name at least one cost of "
                              f"{list(COSTS)}" + (f"; unknown: {unknown}" if unknown else ""))
    outputs = {c: COSTS[c].output_activations for c in cost_names}
    usable = [c for c, out in outputs.items() if out is None or set(out) & set(names)]
    if not usable:
        raise InvalidArgument(f"no cost in costs={cost_names} can be used with activation_maps "
                              f"{sorted(names)}: each needs an output activation "
                              f"{ {c: list(o) for c, o in outputs.items() if o} }")
    focus_layer: type[LayerMap] | None = focus if isinstance(focus, type) else None
    focus_map = focus if isinstance(focus, ActivationMap) else None
    if focus_map is not None and max_depth < 2:
        # No layer can follow the focus: only a cost that takes it at the output fits.
        usable = [c for c in usable
                  if outputs[c] is None or focus_map.describe() in (outputs[c] or ())]
        if not usable:
            raise InvalidArgument(f"focus={focus_map!r} is no output activation of costs="
                                  f"{cost_names}, so it needs a layer after it: max_depth="
                                  f"{max_depth} must be at least 2")
    # The focus must fit wherever it is placed, also in a small network.
    least_width = focus_layer.min_width if focus_layer is not None else 1
    exponents = [0, *(e for i in range(1, orders + 1) for e in (-i, i))]  # shrink to 0
    return _LayerPlan(list(activation_maps), names, list(layer_types), usable, focus,
                      focus_layer, focus_map, focus_from, least_width, min_depth, max_depth,
                      max_width, max_batch, orders, exponents)


class _Building:
    """The layers drawn so far, and the bound on their widths."""

    def __init__(self, n_0: int, width_bound: int, exponents: list[int], scaled: bool) -> None:
        self.exponents = exponents
        self.scaled = scaled
        self.layers: list[LayerMap] = []
        self.params: list[Parameters] = []
        self.acts: list[ActivationMap] = []
        self.widths = [n_0]
        self.width_bound = width_bound

    def size(self, draw: st.DrawFn, what: str) -> float:
        """``10^e`` for a scaled network, else 1; ``e`` is drawn either way, so that
        turning the scaling off changes one choice and leaves the others in place."""
        e = draw(st.sampled_from(self.exponents), label=f"size of {what}")
        return 10.0 ** e if self.scaled else 1.0


def _add_layer(draw: st.DrawFn, plan: _LayerPlan, b: _Building,
               layer_type: type[LayerMap] | None = None, f: ActivationMap | None = None,
               at_least: int = 1) -> None:
    """Draw one layer for the current width: its type (unless given), its configuration
    (with at least ``at_least`` outputs), its parameters and its activation (unless given)."""
    l, n = len(b.layers) + 1, b.widths[-1]
    if layer_type is None:
        fits = [t for t in plan.pool if t.min_width <= n]
        # Only a pool without a type of min_width 1 (Affine has 1) can run out of types
        # for a narrow layer; that draw is discarded, not a counterexample.
        assume(fits)
        layer_type = draw(st.sampled_from(fits), label=f"phi^{l}")
    configurations = layer_type.configurations(n, b.width_bound)
    if at_least > 1:
        def wide_enough(layer: LayerMap, need: int = at_least) -> bool:
            return layer.n_out >= need

        configurations = configurations.filter(wide_enough)
    layer = draw(configurations, label=f"phi^{l} settings")
    b.params.append({name: draw(hnp.arrays(np.float64, shape, elements=elements(
                         layer.parameter_bound(name) * b.size(draw, f"{name}^{l}"))))
                     for name, shape in layer.parameter_shapes().items()})
    b.acts.append(f if f is not None else draw(st.sampled_from(plan.maps), label=f"f^{l}"))
    b.layers.append(layer)
    b.widths.append(layer.n_out)


def _draw_layers(draw: st.DrawFn, plan: _LayerPlan, b: _Building, after: int) -> int | None:
    """Every layer, the focus among them; the focus's index (``None`` without a focus).

    Each layer is its own run of choices, and every layer that may be left out
    follows a choice to go on (as ``st.lists`` draws its elements), so deleting
    one is a single shrink step. The layers before the focus keep the width it
    needs.
    """
    focus_index = None
    if plan.focus is not None:
        room = plan.max_depth - 1 - after
        required = min(plan.focus_from - 1, room)
        while len(b.layers) < room:
            if len(b.layers) >= required and not draw(st.booleans(),
                                                      label="a layer before the focus"):
                break
            _add_layer(draw, plan, b, at_least=plan.least_width)
        focus_index = len(b.layers)
        _add_layer(draw, plan, b, plan.focus_layer, plan.focus_map)
    at_least = max(plan.min_depth, len(b.layers) + after)
    while len(b.layers) < plan.max_depth:
        if len(b.layers) >= at_least and not draw(st.booleans(), label="another layer"):
            break
        _add_layer(draw, plan, b)
    return focus_index


@st.composite
def _draw_layer_network(draw: st.DrawFn, plan: _LayerPlan) -> LayerNetwork:
    """A network of :func:`layer_networks`."""
    width_bound, batch_bound = draw(size_bounds(plan.max_width, plan.max_batch),
                                    label="size bounds")
    width_bound = max(width_bound, plan.least_width)
    cost = draw(st.sampled_from(plan.usable), label="cost")
    output = COSTS[cost].output_activations
    allowed = plan.maps if output is None else [plan.names[o] for o in output
                                                if o in plan.names]
    # An activation map under check that the cost does not take at the output needs
    # one layer after it.
    after = int(plan.focus_map is not None and plan.focus_map.describe()
                not in {f.describe() for f in allowed})
    # Whether this network is scaled at all is one choice, drawn before its layers: a
    # mistake that shows at unit scale shrinks by turning it off, in one step, and then
    # among unscaled networks to the smallest depth. With only the per-array sizes (as
    # the paper's networks draw them) a G.step counterexample stopped at depth 3 in the
    # ci stream (Affine, LayerNorm, Conv1D for a kernel that is not flipped).
    scaled = plan.orders > 0 and draw(st.booleans(), label="scaled")
    b = _Building(draw(st.integers(plan.least_width, width_bound), label="n_0"), width_bound,
                  plan.exponents, scaled)
    focus_index = _draw_layers(draw, plan, b, after)
    k, n = len(b.layers), b.widths[-1]
    # The output activation is drawn after the layers (the last layer's own is
    # replaced), so deleting the last layer keeps it.
    if plan.focus_map is None or focus_index != k - 1:
        b.acts[-1] = draw(st.sampled_from(allowed), label=f"f^{k}")
    low_N = max(layer.min_batch for layer in b.layers)
    N = draw(st.integers(low_N, max(low_N, batch_bound)), label="N")
    X = draw(hnp.arrays(np.float64, (b.layers[0].n_in, N), elements=elements(
        b.size(draw, "X"))))
    Y = draw(_targets(cost, n, N))
    net = LayerNetwork(b.layers, b.params, b.acts, cost, X, Y)
    if scaled:
        # Scaled parameters can overflow a layer (exp in a softplus); such a network has
        # no finite cost and is outside the statement, not a counterexample.
        with np.errstate(all="ignore"):
            _, As = layer_forward(b.layers, b.params, [_numpy_map(f) for f in b.acts], X, np)
        assume(all(np.all(np.isfinite(A)) for A in As))
    return net


def _listed(name: str, value: Any, expected: str) -> list[Any]:
    """The argument ``name`` as a list; ``InvalidArgument`` for a string or any other
    single object where a sequence is expected (an iterator is taken once, here)."""
    if isinstance(value, str | bytes) or not isinstance(value, Iterable):
        raise InvalidArgument(f"{name}={value!r} must be {expected}, not a single one")
    return list(value)


def _check_arguments(layer_types: Sequence[Any], activation_maps: Sequence[Any], focus: Any,
                     focus_from: Any, min_depth: int, max_depth: int, max_width: int,
                     max_batch: int, orders: int) -> None:
    """Raise ``InvalidArgument`` naming the first argument of :func:`layer_networks` that
    is out of range."""
    for name, value in (("min_depth", min_depth), ("max_depth", max_depth),
                        ("max_width", max_width), ("max_batch", max_batch)):
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise InvalidArgument(f"{name}={value!r} must be an integer >= 1")
    check_range("depth", min_depth, max_depth, 1)
    if not (isinstance(orders, int) and not isinstance(orders, bool) and 0 <= orders <= 100):
        raise InvalidArgument(f"orders={orders!r} must be an integer in 0..100")
    bad = [t for t in layer_types if not (isinstance(t, type) and issubclass(t, LayerMap))]
    if not layer_types or bad:
        raise InvalidArgument(f"layer_types={list(layer_types)!r} must be a non-empty sequence "
                              f"of LayerMap subclasses" + (f"; not one: {bad}" if bad else ""))
    bad = [f for f in activation_maps if not isinstance(f, ActivationMap)]
    if not activation_maps or bad:
        raise InvalidArgument(f"activation_maps={list(activation_maps)!r} must be a non-empty "
                              "sequence of ActivationMap instances"
                              + (f"; not one: {bad}" if bad else ""))
    if focus is not None and not (isinstance(focus, ActivationMap) or (
            isinstance(focus, type) and issubclass(focus, LayerMap))):
        raise InvalidArgument(f"focus={focus!r} must be a LayerMap subclass, an ActivationMap "
                              "instance or None")
    types = [*layer_types, *([focus] if isinstance(focus, type) else [])]
    for t in types:
        if t.min_width > max_width:
            raise InvalidArgument(f"{t.__name__}.min_width={t.min_width} is larger than "
                                  f"max_width={max_width}")
        if t.min_batch > max_batch:
            raise InvalidArgument(f"{t.__name__}.min_batch={t.min_batch} is larger than "
                                  f"max_batch={max_batch}")
    if not (isinstance(focus_from, int) and not isinstance(focus_from, bool)
            and 1 <= focus_from <= max_depth):
        raise InvalidArgument(f"focus_from={focus_from!r} must be an integer in "
                              f"1..max_depth={max_depth}")


def _targets(cost: str, n: int, N: int) -> st.SearchStrategy[Float64Array]:
    c = COSTS[cost]
    low, high = c.target_range
    if c.targets == "simplex":
        def normalize(Y: Float64Array) -> Float64Array:
            totals = Y.sum(axis=0, keepdims=True)
            return np.where(totals > 0, Y / np.where(totals > 0, totals, 1.0), 1.0 / n)

        return hnp.arrays(np.float64, (n, N), elements=st.floats(0.0, 1.0)).map(normalize)
    return hnp.arrays(np.float64, (n, N), elements=st.floats(
        max(low, -1.0), min(high, 1.0), allow_nan=False, allow_subnormal=False))
