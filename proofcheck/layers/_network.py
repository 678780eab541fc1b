"""Networks of any layer types: the forward pass, the strategy, and a numpy backpropagation.

In math (the generalization of D1/D4)::

    A^0 = X,   Z^l = phi^l(A^{l-1}; theta^l),   A^l = f^l(Z^l),   C = mean_i c(A^k_i, Y_i)

and backpropagation by the generalized theorem::

    Delta^k     = J^{f^k}(Z^k)^T dC/dA^k                                  (G.base)
    Delta^l     = J^{f^l}(Z^l)^T J^{phi^{l+1}}_a(A^l)^T Delta^{l+1}       (G.step)
    dC/dtheta^l = J^{phi^l}_theta(A^{l-1})^T Delta^l                       (G.param)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from numpy.typing import NDArray

from proofcheck._xp import Array, Namespace
from proofcheck.costs import COSTS
from proofcheck.layers._protocol import ActivationMap, LayerMap, Parameters
from proofcheck.strategies import _elements

__all__ = ["LayerNetwork", "layer_backprop", "layer_forward", "layer_networks"]

Float64Array = NDArray[np.float64]


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



def layer_networks(
    layer_types: Sequence[type[LayerMap]],
    activation_maps: Sequence[ActivationMap],
    *,
    focus: Any = None,
    min_depth: int = 1,
    max_depth: int = 4,
    max_width: int = 6,
    max_batch: int = 3,
    costs: Sequence[str] | None = None,
) -> st.SearchStrategy[LayerNetwork]:
    """Networks that mix the given layer types and activation maps, with data.

    Hypothesis chooses the layer type and activation of every layer; each
    layer is configured to fit the width before it (``configurations``), and
    widths stay at most ``max_width``. With ``focus`` (a layer type or an
    activation map class), every network contains it at a drawn layer.
    Parameters are drawn from each layer's ``parameter_bound``; inputs from
    ``[-1, 1]`` (not over orders of magnitude as in
    :func:`proofcheck.strategies.networks`: the generalized rows compare at
    term scales without the propagated-rounding estimate the paper's rows
    use, so scaled networks would give false alarms there, not findings);
    targets valid for the cost, whose output activation is forced when the
    cost needs one (``sigmoid``, ``softmax``).
    """
    names = {f.describe(): f for f in activation_maps}
    cost_names = list(costs or COSTS)
    outputs = {c: COSTS[c].output_activations for c in cost_names}
    usable = [c for c, out in outputs.items() if out is None or set(out) & set(names)]

    @st.composite
    def draw(draw: st.DrawFn) -> LayerNetwork:
        k = draw(st.integers(min_depth, max_depth), label="depth")
        where = draw(st.integers(1, k), label="focus layer") if focus is not None else 0
        n = draw(st.integers(1, max_width), label="n_0")
        N = draw(st.integers(1, max_batch), label="N")
        cost = draw(st.sampled_from(usable), label="cost")
        layers: list[LayerMap] = []
        params: list[Parameters] = []
        acts: list[ActivationMap] = []
        for l in range(1, k + 1):
            if l == where and isinstance(focus, type) and issubclass(focus, LayerMap):
                layer_type: type[LayerMap] = focus
            else:
                layer_type = draw(st.sampled_from(list(layer_types)), label=f"phi^{l}")
            layer = draw(layer_type.configurations(n, max_width), label=f"phi^{l} settings")
            theta = {name: draw(hnp.arrays(np.float64, shape,
                                           elements=_elements(layer.parameter_bound(name))))
                     for name, shape in layer.parameter_shapes().items()}
            output = COSTS[cost].output_activations if l == k else None
            if l == where and isinstance(focus, ActivationMap) and output is None:
                f = focus
            elif output is not None:
                f = names[draw(st.sampled_from([o for o in output if o in names]))]
            else:
                f = draw(st.sampled_from(list(activation_maps)), label=f"f^{l}")
            layers.append(layer)
            params.append(theta)
            acts.append(f)
            n = layer.n_out
        X = draw(hnp.arrays(np.float64, (layers[0].n_in, N), elements=_elements(1.0)))
        Y = draw(_targets(cost, n, N))
        return LayerNetwork(layers, params, acts, cost, X, Y)

    return draw()


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
