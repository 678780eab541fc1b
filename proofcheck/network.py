"""Networks and their forward pass (D1, D4 and the generalization), written once for numpy and JAX.

Two values, one forward pass. :class:`Network` is the paper's network: affine
potentials and elementwise activations given by name, the value the theorem's
rows (T1.*, T2) draw and pass around. :class:`LayerNetwork` is the
generalized theorem's: any configured layer maps ``phi^l`` and activation
maps ``f^l`` (:mod:`proofcheck.layers`), of which the paper's network is the
special case whose layer maps are all ``Affine`` (:func:`potential` below)
and whose activation maps are elementwise. Both run through the one loop of
:func:`forward` and :func:`layer_forward`. How they are drawn is in
:mod:`proofcheck.strategies`; how they are backpropagated, in
:mod:`proofcheck.backprop`.

In math (D4, data-matrix form; D1 is the case ``N = 1``)::

    A^0 = X                              X   : (n_0, N)
    Z^l = W^l A^{l-1} + b^l 1_N^T        W^l : (n_l, n_{l-1}),  b^l : (n_l,)
    A^l = f^l(Z^l)                       Z^l, A^l : (n_l, N)
    C   = (1/N) sum_i c(A^k_{:,i}, Y_{:,i})

and, for a network of any layer types::

    A^0 = X,   Z^l = phi^l(A^{l-1}; theta^l),   A^l = f^l(Z^l),   C = mean_i c(A^k_i, Y_i)

In code: :func:`potential` is the affine map, :func:`forward` and
:func:`layer_forward` the loop over layers, :func:`mean_cost` the cost of D4.
Each takes the array namespace ``xp``; the implementation runs them with numpy
and the oracle differentiates the very same functions with ``jax.numpy``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

from proofcheck._types import Array, Float64Array, Namespace
from proofcheck.activations import ACTIVATIONS
from proofcheck.costs import COSTS

if TYPE_CHECKING:  # the layer maps' types; proofcheck.layers imports this module
    from proofcheck.layers._protocol import ActivationMap, LayerMap, Parameters

__all__ = ["LayerNetwork", "Network", "compose", "forward", "forward_numpy", "layer_forward",
           "mean_cost", "potential"]


class Network(NamedTuple):
    """The paper's network with its data (D1, D2, D4): one value, passed around whole.

    Attributes
    ----------
    weights : list of k arrays, ``W^l : (n_l, n_{l-1})``
    biases : list of k arrays, ``b^l : (n_l,)``
    activations : tuple of k activation names
    cost : str
    X : (n_0, N)
    Y : (n_k, N)
    """

    weights: list[Float64Array]
    biases: list[Float64Array]
    activations: tuple[str, ...]
    cost: str
    X: Float64Array
    Y: Float64Array

    @property
    def depth(self) -> int:
        """``k``, the number of layers."""
        return len(self.weights)

    @property
    def widths(self) -> tuple[int, ...]:
        """``(n_0, ..., n_k)``."""
        return (self.weights[0].shape[1], *(W.shape[0] for W in self.weights))

    @property
    def batch_size(self) -> int:
        """``N``, the number of examples."""
        return int(self.X.shape[1])

    def describe(self) -> str:
        """One line: depth, widths, activations, cost and batch size."""
        return (f"depth k={self.depth}, widths {list(self.widths)}, activations "
                f"{list(self.activations)}, cost {self.cost}, batch N={self.batch_size}")


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
    """The forward pass of a network of any layer types, keeping every ``Z^l`` and ``A^l``.

    ``activation_maps`` are callables ``Z^l -> A^l``. Returns ``Zs`` (k
    arrays) and ``As`` (k + 1 arrays, ``As[0] = X``).
    """
    potentials = [lambda A, layer=layer, theta=theta: layer.forward(A, theta, xp)
                  for layer, theta in zip(layers, params, strict=True)]
    return compose(potentials, activation_maps, X)


def potential(W: Array, A_prev: Array, b: Array, xp: Namespace) -> Array:
    """The affine potential ``Z = W A + b 1_N^T``.

    Parameters
    ----------
    W : (n_l, n_{l-1})
    A_prev : (n_{l-1}, N)
    b : (n_l,)
    xp : the array namespace (numpy or jax.numpy)

    Returns
    -------
    Z : (n_l, N)
    """
    return W @ A_prev + b[:, None]


def forward(
    weights: Sequence[Array],
    biases: Sequence[Array],
    activation_maps: Sequence[Callable[[Array], Array]],
    X: Array,
    xp: Namespace,
) -> tuple[list[Array], list[Array]]:
    """The forward pass of D1/D4, keeping every potential and activation.

    Parameters
    ----------
    weights : list of k arrays, ``W^l : (n_l, n_{l-1})``
    biases : list of k arrays, ``b^l : (n_l,)``
    activation_maps : list of k callables ``Z^l -> A^l`` (elementwise ``f^l``)
    X : (n_0, N)
    xp : the array namespace

    Returns
    -------
    Zs : list of k arrays, ``Zs[l-1] = Z^l : (n_l, N)``
    As : list of k + 1 arrays, ``As[l] = A^l : (n_l, N)``; ``As[0] = X``
    """
    potentials = [lambda A, W=W, b=b: potential(W, A, b, xp)
                  for W, b in zip(weights, biases, strict=True)]
    return compose(potentials, activation_maps, X)


def compose(potentials: Iterable[Callable[[Array], Array]],
            activation_maps: Iterable[Callable[[Array], Array]],
            X: Array) -> tuple[list[Array], list[Array]]:
    """The one loop of every forward pass: ``Z^l = phi^l(A^{l-1})``, ``A^l = f^l(Z^l)``.

    ``potentials`` are the maps ``A^{l-1} -> Z^l`` and ``activation_maps`` the maps
    ``Z^l -> A^l``, one of each a layer. Returns ``Zs`` (k arrays) and ``As``
    (k + 1 arrays, ``As[0] = X``).
    """
    Zs: list[Array] = []
    As: list[Array] = [X]
    for phi, f in zip(potentials, activation_maps, strict=True):
        Zs.append(phi(As[-1]))
        As.append(f(Zs[-1]))
    return Zs, As


def forward_numpy(
    weights: Sequence[Float64Array],
    biases: Sequence[Float64Array],
    activations: Sequence[str],
    X: Float64Array,
) -> tuple[list[Float64Array], list[Float64Array]]:
    """:func:`forward` with numpy and activations given by name."""
    maps = [_numpy_map(name) for name in activations]
    return forward(weights, biases, maps, X, np)


def _numpy_map(name: str) -> Callable[[Array], Array]:
    f = ACTIVATIONS[name].forward
    return lambda Z: f(Z, np)


def mean_cost(A_k: Array, Y: Array, cost: str, xp: Namespace) -> Array:
    """The mean cost ``C = (1/N) sum_i c(A^k_{:,i}, Y_{:,i})`` of D4.

    Parameters
    ----------
    A_k : (n_k, N)
    Y : (n_k, N)
    cost : a name in :data:`proofcheck.costs.COSTS`
    xp : the array namespace

    Returns
    -------
    C : scalar
    """
    return xp.mean(COSTS[cost].forward(A_k, Y, xp))
