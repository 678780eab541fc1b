"""The layer protocol: a layer map or an activation map, with its hand-derived products.

This is what one *layer type* provides for the generalized theorem (G.*); an
implementation of backpropagation as a whole, for the paper's theorem (T1,
T2), follows :mod:`proofcheck.protocol` instead.

The generalized theorem (G.base, G.step, G.param) replaces the affine
potential by any differentiable layer map ``z^l = phi^l(a^{l-1}; theta^l)`` and
the elementwise activation by any differentiable ``a^l = f^l(z^l)``. Backpropagation
then needs, for each layer type, only transposed-Jacobian products
(vector-Jacobian products in matrix form):

============================  ===========================================  =========
product                       math                                         used by
============================  ===========================================  =========
``LayerMap.input_product``    ``J^{phi}_a(a)^T delta``, shape of ``a``      G.step
``LayerMap.parameter_products``  ``J^{phi}_theta(a)^T delta``, per parameter  G.param
``ActivationMap.product``     ``J^f(z)^T g``, shape of ``z``                G.base, G.step
============================  ===========================================  =========

A layer type writes its forward map once, against the array namespace ``xp``
(numpy or ``jax.numpy``), right next to these products; the lemma-level
property of the layer type compares the products with ``jax.vjp`` of the
forward map. A configured layer (its input width and settings: channels,
kernel width, a dropout mask) is an instance; Hypothesis draws instances that
fit a given input width through :meth:`LayerMap.configurations`.

Arrays have one column per example: ``a : (n_in, N)``, ``z : (n_out, N)``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator
from typing import Any, ClassVar

from hypothesis import strategies as st

from proofcheck._types import Array, Float64Array, Namespace

__all__ = ["ActivationMap", "LayerMap", "Parameters"]

#: A layer's parameters by name (``{"W": ..., "b": ...}``); empty for none.
Parameters = dict[str, Any]


class LayerMap(ABC):
    """A layer map ``z = phi(a; theta)`` from ``n_in`` to ``n_out`` features.

    Subclasses set :attr:`name` and implement the abstract methods; the
    docstring of a subclass gives its forward map and the derivation of its
    products in matrix notation.

    Two optional class attributes say what a layer type needs to be tested at
    all, and the strategies honour them (:func:`proofcheck.strategies.layer_networks`
    and the lemma rows):

    ``min_batch`` (default 1)
        The smallest batch ``N`` worth drawing. A layer that normalizes over
        the columns (a batch normalization) is constant at ``N = 1``, so every
        product of it is 0 there and no mistake can show: it sets 2 or more.
    ``min_width`` (default 1)
        The smallest input width ``n_in`` for which the layer type has a
        configuration (:meth:`configurations` returns ``nothing()`` below it).
        The layer is then drawn only where the width before it is at least this.
    """

    #: The name of the layer type in reports (``"Conv1D"``).
    name: ClassVar[str]
    #: The smallest batch size ``N`` of a network or lemma point containing the type.
    min_batch: ClassVar[int] = 1
    #: The smallest input width ``n_in`` at which the type is drawn.
    min_width: ClassVar[int] = 1
    #: Where the oracle's products of this type come from, when that is not ``jax.vjp``
    #: of :meth:`forward` written against ``jax.numpy`` (``None``, every registered type).
    #: A layer type wrapped around another framework's function
    #: (:func:`proofcheck.frameworks.from_jax`, :func:`~proofcheck.frameworks.from_torch`)
    #: returns from ``forward(a, params, jax.numpy)`` a JAX function whose VJP is its
    #: reference (autodiff of the user's forward computation with the user's backward
    #: rule bypassed, or finite differences of it) and says here which; the report's
    #: oracle column repeats it on every row of a run for that type.
    reference: ClassVar[str | None] = None

    def __init__(self, n_in: int) -> None:
        self.n_in = n_in

    @classmethod
    @abstractmethod
    def configurations(cls, n_in: int, max_width: int) -> st.SearchStrategy[LayerMap]:
        """Configured layers with ``n_in`` inputs and at most ``max_width`` outputs.

        Returns ``nothing()`` when no configuration fits.
        """

    @classmethod
    def settings_at(cls, point: dict[str, Float64Array]) -> Iterator[tuple[Any, ...]]:
        """The constructor arguments that may have configured a layer at a lemma point.

        ``point`` is a lemma row's counterexample: ``a : (n_in, N)``, ``delta :
        (n_out, N)`` and the parameters by name. It does not record every setting
        (a convolution's stride, a dropout mask), so a type yields each candidate.
        The misconception matcher (:mod:`proofcheck.diagnosis.misconceptions`)
        builds the type, the submission and each catalog entry of the type with
        every tuple yielded, keeps those that fit the point's shapes and under
        which the type gives the oracle's value, and compares the products there.

        Default: ``(n_in,)``, this base class's constructor; a type whose
        constructor takes other arguments overrides it (or the matcher, finding no
        configuration that builds, names no mistake of the type).
        """
        yield (point["a"].shape[0],)

    @property
    @abstractmethod
    def n_out(self) -> int:
        """The number of output features."""

    @abstractmethod
    def parameter_shapes(self) -> dict[str, tuple[int, ...]]:
        """The shape of every parameter, by name (empty: no parameters)."""

    def parameter_bound(self, name: str) -> float:
        """Entries of parameter ``name`` are drawn from ``[-bound, bound]``.

        Default: ``1 / n_in`` for matrices (each row has l1-norm at most 1, as
        for the affine layer of the strategies) and ``1`` for vectors.
        """
        return 1.0 / self.n_in if len(self.parameter_shapes()[name]) > 1 else 1.0

    @abstractmethod
    def forward(self, a: Array, params: Parameters, xp: Namespace) -> Array:
        """``z = phi(a; theta)``: ``(n_in, N)`` to ``(n_out, N)``, written against ``xp``.

        With ``xp = jax.numpy`` this is what the oracle differentiates (see
        :attr:`reference`).
        """

    @abstractmethod
    def input_product(self, a: Float64Array, params: Parameters,
                      delta: Float64Array) -> Float64Array:
        """Hand-derived ``J^{phi}_a(a)^T delta``: ``delta : (n_out, N)`` to ``(n_in, N)``."""

    @abstractmethod
    def parameter_products(self, a: Float64Array, params: Parameters,
                           delta: Float64Array) -> dict[str, Float64Array]:
        """Hand-derived ``J^{phi}_theta(a)^T delta`` of the summed cost, per parameter.

        The result for parameter ``p`` has ``p``'s shape and sums over the
        ``N`` examples (columns), as the gradient of the data-matrix cost does.
        """

    def describe(self) -> str:
        """The layer and its settings, in one line."""
        return f"{self.name}({self.n_in} -> {self.n_out})"

    def as_written(self, a: Float64Array, delta: Float64Array) -> dict[str, Array]:
        """``a`` and ``delta`` as the layer's own code takes them, for counterexamples:
        by argument name, when that differs from the paper's ``(n, N)`` (a framework's
        layer whose input has more axes, or stacks several arguments); else ``{}``."""
        return {}

    def __repr__(self) -> str:
        return self.describe()


class ActivationMap(ABC):
    """An activation map ``a = f(z)``, elementwise or not, from ``n`` features to ``n``."""

    #: The name of the activation in reports (``"softmax"``).
    name: ClassVar[str]

    @abstractmethod
    def forward(self, z: Array, xp: Namespace) -> Array:
        """``a = f(z)``: ``(n, N)`` to ``(n, N)``, columnwise, written against ``xp``."""

    @abstractmethod
    def product(self, z: Float64Array, a: Float64Array, g: Float64Array) -> Float64Array:
        """Hand-derived ``J^f(z)^T g`` for every column: ``(n, N)``; ``a = f(z)`` is given."""

    @classmethod
    def settings_at(cls, point: dict[str, Float64Array]) -> Iterator[tuple[Any, ...]]:
        """The constructor arguments that may have configured the map at a lemma point
        (``z``, ``g``), as :meth:`LayerMap.settings_at`.

        Default: ``()``, a map configured by nothing (softmax).
        """
        yield ()

    def describe(self) -> str:
        return self.name

    def __repr__(self) -> str:
        return self.describe()
