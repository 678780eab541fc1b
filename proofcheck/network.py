"""Networks and their forward pass (D1, D4 and the generalization), written once for numpy and JAX.

One value, one forward pass. :class:`Network` is a network with its data:
configured layer maps ``phi^l`` and activation maps ``f^l``
(:mod:`proofcheck.layers`), their parameters, a cost, ``X`` and ``Y``. The
paper's network, the value the theorem's rows (T1.*, T2) draw, is the special
case whose layer maps are all ``Affine`` (:func:`potential` below) and whose
activation maps are elementwise (:meth:`Network.paper`). Every forward pass
runs through the one loop of :func:`compose`. How networks are drawn is in
:mod:`proofcheck.strategies`; how they are backpropagated, in
:mod:`proofcheck.backprop`.

In math (D4, data-matrix form; D1 is the case ``N = 1``)::

    A^0 = X                              X   : (n_0, N)
    Z^l = W^l A^{l-1} + b^l 1_N^T        W^l : (n_l, n_{l-1}),  b^l : (n_l,)
    A^l = f^l(Z^l)                       Z^l, A^l : (n_l, N)
    C   = (1/N) sum_i c(A^k_{:,i}, Y_{:,i})

and, for a network of any layer types::

    A^0 = X,   Z^l = phi^l(A^{l-1}; theta^l),   A^l = f^l(Z^l),   C = mean_i c(A^k_i, Y_i)

In code: :func:`potential` is the affine map, :func:`forward` the forward
pass of a network (:func:`layer_forward` of given layer maps, and
:func:`affine_forward` and :func:`forward_numpy` of the paper's arrays, what
the reference implementation runs), :func:`mean_cost` the cost of D4.
Each takes the array namespace ``xp``; the implementation runs them with numpy
and the oracle differentiates the very same functions with ``jax.numpy``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any, NamedTuple

import numpy as np

from proofcheck._types import Array, Float64Array, Namespace
from proofcheck.activations import ACTIVATIONS
from proofcheck.costs import COSTS
from proofcheck.layers import Affine, Elementwise
from proofcheck.layers._affine import potential
from proofcheck.layers._protocol import ActivationMap, LayerMap, Parameters

__all__ = ["Network", "affine_forward", "compose", "forward", "forward_numpy", "layer_forward",
           "mean_cost", "potential"]


class Network(NamedTuple):
    """A network with its data: ``k`` layer maps, their parameters, ``k`` activation maps, a cost.

    The one network value of the package, passed around whole. The paper's
    network (D1, D2, D4) is the special case whose layer maps are all
    :class:`~proofcheck.layers.Affine` and whose activation maps are all
    :class:`~proofcheck.layers.Elementwise`; :meth:`paper` builds one from
    the paper's arrays, and :attr:`weights`, :attr:`biases` and
    :attr:`activation_names` read them back.

    Attributes
    ----------
    layers : list of k configured :class:`~proofcheck.layers.LayerMap`
    params : list of k parameter dicts, ``theta^l`` (``{"W": W^l, "b": b^l}`` for an affine layer)
    activations : list of k :class:`~proofcheck.layers.ActivationMap`
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

    @classmethod
    def paper(cls, weights: Sequence[Float64Array], biases: Sequence[Float64Array],
              activations: Sequence[str], cost: str, X: Float64Array, Y: Float64Array
              ) -> Network:
        """The paper's network: affine layers ``W^l : (n_l, n_{l-1})``, ``b^l : (n_l,)``
        and elementwise activations given by name."""
        affine, elementwise = _paper_types()
        layers: list[LayerMap] = [affine(W.shape[1], W.shape[0]) for W in weights]
        maps: list[ActivationMap] = [elementwise(name) for name in activations]
        params = [{"W": W, "b": b} for W, b in zip(weights, biases, strict=True)]
        return cls(layers, params, maps, cost, X, Y)

    @property
    def is_paper(self) -> bool:
        """Whether every layer map is affine and every activation map elementwise."""
        affine, elementwise = _paper_types()
        return (all(type(layer) is affine for layer in self.layers)
                and all(type(f) is elementwise for f in self.activations))

    @property
    def weights(self) -> list[Float64Array]:
        """``W^1, ..., W^k`` of the paper's network."""
        return [theta["W"] for theta in self._paper_params()]

    @property
    def biases(self) -> list[Float64Array]:
        """``b^1, ..., b^k`` of the paper's network."""
        return [theta["b"] for theta in self._paper_params()]

    @property
    def activation_names(self) -> tuple[str, ...]:
        """The names of the paper network's elementwise activations ``f^1, ..., f^k``."""
        self._require_paper()
        return tuple(f.describe() for f in self.activations)

    @property
    def depth(self) -> int:
        """``k``, the number of layers."""
        return len(self.layers)

    @property
    def widths(self) -> tuple[int, ...]:
        """``(n_0, ..., n_k)``."""
        return (self.layers[0].n_in, *(layer.n_out for layer in self.layers))

    @property
    def batch_size(self) -> int:
        """``N``, the number of examples."""
        return int(self.X.shape[1])

    def tail(self, X: Float64Array) -> Network:
        """Layers ``2..k`` with input ``X`` (``A^1`` for the tail of T1.tail)."""
        return self._replace(layers=self.layers[1:], params=self.params[1:],
                             activations=self.activations[1:], X=X)

    def describe(self) -> str:
        """One line: depth, widths, the layers (unless all affine), activations, cost, batch."""
        return (f"depth k={self.depth}, widths {list(self.widths)}{self._layer_text()}, "
                f"activations {[f.describe() for f in self.activations]}, cost {self.cost}, "
                f"batch N={self.batch_size}")

    def summary(self) -> dict[str, Any]:
        """The network as plain data (the report's counterexample ``network``)."""
        return {
            "depth": self.depth,
            "widths": list(self.widths),
            "layers": [layer.describe() for layer in self.layers],
            "activations": [f.describe() for f in self.activations],
            "cost": self.cost,
            "batch_size": self.batch_size,
            "params": [{name: np.asarray(v).tolist() for name, v in theta.items()}
                       for theta in self.params],
            "X": self.X.tolist(),
            "Y": self.Y.tolist(),
        }

    def _layer_text(self) -> str:
        affine, _ = _paper_types()
        if all(type(layer) is affine for layer in self.layers):
            return ""
        return f", layers {[layer.describe() for layer in self.layers]}"

    def _paper_params(self) -> list[Parameters]:
        self._require_paper()
        return self.params

    def _require_paper(self) -> None:
        if not self.is_paper:
            raise TypeError(f"not the paper's network (affine layers and elementwise "
                            f"activations): {self.describe()}")


def _paper_types() -> tuple[type[Affine], type[Elementwise]]:
    """The affine layer and the elementwise activation map: the paper's layer types."""
    return Affine, Elementwise


def forward(net: Network, xp: Namespace,
            activation_maps: Sequence[Callable[[Array], Array]] | None = None
            ) -> tuple[list[Array], list[Array]]:
    """The forward pass of ``net`` (D1/D4 and G.*), keeping every ``Z^l`` and ``A^l``.

    ``activation_maps`` replace the network's own ``f^l`` as callables ``Z^l -> A^l``
    (the oracle shifts the potentials with them). Returns ``Zs`` (k arrays,
    ``Zs[l-1] = Z^l : (n_l, N)``) and ``As`` (k + 1 arrays, ``As[l] = A^l``,
    ``As[0] = X``).
    """
    if activation_maps is None:
        activation_maps = [_map(f, xp) for f in net.activations]
    return layer_forward(net.layers, net.params, activation_maps, net.X, xp)


def _map(f: ActivationMap, xp: Namespace) -> Callable[[Array], Array]:
    return lambda Z: f.forward(Z, xp)


def layer_forward(
    layers: Sequence[LayerMap],
    params: Sequence[Parameters],
    activation_maps: Sequence[Any],
    X: Array,
    xp: Namespace,
) -> tuple[list[Array], list[Array]]:
    """The forward pass through given layer maps, keeping every ``Z^l`` and ``A^l``.

    ``activation_maps`` are callables ``Z^l -> A^l``. Returns ``Zs`` (k
    arrays) and ``As`` (k + 1 arrays, ``As[0] = X``).
    """
    potentials = [lambda A, layer=layer, theta=theta: layer.forward(A, theta, xp)
                  for layer, theta in zip(layers, params, strict=True)]
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


def affine_forward(
    weights: Sequence[Array],
    biases: Sequence[Array],
    activation_maps: Sequence[Callable[[Array], Array]],
    X: Array,
    xp: Namespace,
) -> tuple[list[Array], list[Array]]:
    """The paper's forward pass (D1/D4) from its arrays, keeping every ``Z^l`` and ``A^l``.

    Parameters
    ----------
    weights : list of k arrays, ``W^l : (n_l, n_{l-1})``
    biases : list of k arrays, ``b^l : (n_l,)``
    activation_maps : list of k callables ``Z^l -> A^l`` (elementwise ``f^l``)
    X : (n_0, N)
    xp : the array namespace

    Returns
    -------
    Zs, As : as :func:`forward`
    """
    potentials = [lambda A, W=W, b=b: potential(W, A, b, xp)
                  for W, b in zip(weights, biases, strict=True)]
    return compose(potentials, activation_maps, X)


def forward_numpy(
    weights: Sequence[Float64Array],
    biases: Sequence[Float64Array],
    activations: Sequence[str],
    X: Float64Array,
) -> tuple[list[Float64Array], list[Float64Array]]:
    """The paper's forward pass with numpy, from its arrays and activation names.

    What :meth:`proofcheck.MatrixBackprop.forward` runs: the implementation
    protocol passes arrays, not a :class:`Network`. Returns ``Zs`` and ``As``
    as :func:`forward` does.
    """
    return affine_forward(weights, biases, [_numpy_map(name) for name in activations], X, np)


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
