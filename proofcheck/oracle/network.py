"""The oracle: JAX autodiff in float64 of the very forward maps the implementation runs.

The oracle differentiates :func:`proofcheck.network.forward`, the activations'
``forward`` and the costs' ``forward`` with ``jax.numpy`` as the namespace. It
never calls a hand-derived derivative, and it runs with
``jax_numpy_rank_promotion="raise"`` so that a shape mistake is an error, not
a broadcast.

Speed
-----
Hypothesis draws a new network shape almost every example, and re-tracing
``jax.jit`` for each shape costs far more than the arithmetic. The oracle
therefore pads every array with zeros to a *bucket* shape (widths and batch
rounded up to a power of two, at least 8; the depth to a power of two, at
least 8) and traces one function per bucket. The activation of each layer and
the cost are chosen inside the traced function by an integer index
(``lax.switch``), so the choice of activations does not re-trace either.
Padding is exact:

* a padded unit has zero incoming weights and bias, and zero outgoing weights,
  so it changes no real potential (adding an exact ``0.0`` changes no float);
* a padded layer, after the real ones, passes its input on untouched: each
  layer runs under ``lax.cond`` on whether it is real, and the padded branch is
  the identity (not an identity matrix, which would turn an infinite entry into
  NaNs), so the real layers compute what they computed unpadded, and nothing
  flows back through a padded one but the cost's gradient itself;
* a padded example (column) and a padded output row are replaced by the
  cost's *neutral* pair before the cost is evaluated and masked out of the sum,
  so they add nothing to the cost or its gradient;
* the real block of every result is sliced out before it is returned.

Deltas come from the same single ``jax.value_and_grad`` call as the
parameter gradients: each layer's activation is evaluated at ``Z^l + E^l``
with ``E^l = 0``, and ``dC/dE^l = dC/dZ^l = Delta^l`` (D3, D4).

Importing this module imports JAX and changes none of its settings: each
oracle function runs in float64 and with rank promotion raised inside JAX's
scoped configuration (:func:`in_float64`), so a program that imports
proofcheck keeps its own ``jax_enable_x64`` and default dtypes.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from typing import Any, NamedTuple, TypeVar, cast

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax
from numpy.typing import NDArray

from proofcheck._types import Float64Array
from proofcheck.activations import ACTIVATIONS
from proofcheck.costs import COSTS
from proofcheck.network import Network, compose, layer_forward, potential
from proofcheck.oracle._programs import compiled, settings, to_numpy

__all__ = [
    "NetworkGradients",
    "affine_jacobians",
    "chain_jacobians",
    "cost_gradient",
    "elementwise_derivative",
    "elementwise_jacobian",
    "layer_jacobian_and_jvp",
    "layer_map_jacobian",
    "network_gradients",
]

#: Smallest padded size; every width and batch size up to it shares one trace.
MIN_BUCKET = 8
#: Smallest padded depth: every network of depth up to it shares one trace (a padded
#: layer costs a skipped branch at run time, and one more layer to compile, once).
MIN_DEPTH_BUCKET = 8


def _bucket(n: int, least: int = MIN_BUCKET) -> int:
    """The padded size for a dimension of size ``n``: a power of two, at least ``least``."""
    size = least
    while size < n:
        size *= 2
    return size


_F = TypeVar("_F", bound=Callable[..., Any])


def in_float64(function: _F) -> _F:
    """``function``, run in float64 and with rank promotion raised, in JAX's scoped settings.

    The settings hold only while ``function`` runs (and in what it traces);
    the caller's ``jax_enable_x64`` and ``jax_numpy_rank_promotion`` are as
    they were when it returns.
    """
    @functools.wraps(function)
    def scoped(*args: Any, **kwargs: Any) -> Any:
        with jax.enable_x64(True), jax.numpy_rank_promotion("raise"):
            return function(*args, **kwargs)

    return cast(_F, scoped)


def _pad(x: Float64Array, shape: tuple[int, ...], fill: float = 0.0) -> Float64Array:
    out = np.full(shape, fill, dtype=np.float64)
    out[tuple(slice(0, s) for s in x.shape)] = x
    return out


def _mask(n: int, size: int) -> NDArray[np.bool_]:
    m = np.zeros(size, dtype=bool)
    m[:n] = True
    return m


def _vec_jacobian(J4: Any, out_shape: tuple[int, int], in_shape: tuple[int, int]) -> Float64Array:
    """Slice the real block of a padded ``jacfwd`` result and order it as ``J^F(vec X)``.

    ``J4[i, j, r, s] = d F_{ij} / d X_{rs}``; ``vec`` stacks columns, so row
    ``i + m j`` and column ``r + n s`` of the result hold that entry.
    """
    m, q = out_shape
    n, p = in_shape
    block = np.asarray(J4)[:m, :q, :n, :p]
    return np.ascontiguousarray(block.transpose(1, 0, 3, 2).reshape(q * m, p * n))


# --- the table of activations and costs the traced functions switch over ------


class _Tables(NamedTuple):
    activations: tuple[str, ...]
    costs: tuple[str, ...]


def _tables() -> _Tables:
    return _Tables(tuple(ACTIVATIONS), tuple(COSTS))


def _activation_branches(tables: _Tables) -> list[Callable[[Any], Any]]:
    return [functools.partial(_apply_activation, ACTIVATIONS[name].forward)
            for name in tables.activations]


def _apply_activation(f: Callable[[Any, Any], Any], z: Any) -> Any:
    return f(z, jnp)


def _cost_branches(tables: _Tables) -> list[Callable[[Any, Any], Any]]:
    return [functools.partial(_apply_cost, COSTS[name].forward) for name in tables.costs]


def _apply_cost(c: Callable[[Any, Any, Any], Any], A: Any, Y: Any) -> Any:
    return c(A, Y, jnp)


def _activation_index(tables: _Tables, names: Sequence[str]) -> NDArray[np.int32]:
    return np.array([tables.activations.index(name) for name in names], dtype=np.int32)


@functools.cache
def _network_function(tables: _Tables) -> Callable[..., Any]:
    act_branches = _activation_branches(tables)
    cost_branches = _cost_branches(tables)

    def f(idx: Any, kink: Any, z: Any) -> Any:
        # kink = (point, f(point), f'(point)): at a potential exactly at the point, the
        # same value with the chosen one-sided derivative (point NaN: no kink chosen).
        a = lax.switch(idx, act_branches, z)
        return jnp.where(z == kink[0], kink[1] + kink[2] * (z - kink[0]), a)

    def real_or_identity(real: Any, layer_map: Callable[[Any], Any]) -> Callable[[Any], Any]:
        return lambda V: lax.cond(real, layer_map, lambda V: V, V)

    def mean_cost(Ws: Any, bs: Any, Es: Any, Ea: Any, X: Any, Y: Any, act_idx: Any,
                  kinks: Any, cost_idx: Any, out_rows: Any, cols: Any, n: Any,
                  neutral: Any, real: Any) -> Any:
        potentials = [real_or_identity(real[l], functools.partial(potential, W, b=b, xp=jnp))
                      for l, (W, b) in enumerate(zip(Ws, bs, strict=True))]
        maps = [real_or_identity(real[l], functools.partial(
            lambda l, Z: f(act_idx[l], kinks[l], Z + Es[l]), l)) for l in range(len(Ws))]
        Zs, As = compose(potentials, maps, X)
        A = As[-1] + Ea
        cells = out_rows[:, None] & cols[None, :]
        A_safe = jnp.where(cells, A, neutral[0])
        Y_safe = jnp.where(cells, Y, neutral[1])
        per_example = lax.switch(cost_idx, cost_branches, A_safe, Y_safe)
        return jnp.sum(jnp.where(cols, per_example, 0.0)) / n, (Zs, As)

    def run(Ws: Any, bs: Any, X: Any, Y: Any, act_idx: Any, kinks: Any, cost_idx: Any,
            out_rows: Any, cols: Any, n: Any, neutral: Any, real: Any) -> Any:
        Es = [jnp.zeros((b.shape[0], X.shape[1])) for b in bs]
        Ea = jnp.zeros(Y.shape)
        (C, (Zs, As)), (dW, db, dE, dEa) = jax.value_and_grad(
            mean_cost, argnums=(0, 1, 2, 3), has_aux=True
        )(Ws, bs, Es, Ea, X, Y, act_idx, kinks, cost_idx, out_rows, cols, n, neutral, real)
        dfz = [jax.jvp(functools.partial(f, act_idx[l], kinks[l]), (Z,), (jnp.ones_like(Z),))[1]
               for l, Z in enumerate(Zs)]
        return C, Zs, As, dfz, dEa, dE, dW, db

    return jax.jit(run)


class NetworkGradients(NamedTuple):
    """Everything the oracle knows about one network and batch (D1–D4, and G.*).

    Lists are indexed from layer 1: ``Zs[l-1] = Z^l``; ``As[l] = A^l`` with
    ``As[0] = X``.

    Attributes
    ----------
    C : float
        The mean cost.
    Zs, As : lists of ``(n_l, N)`` arrays
        The oracle's own forward pass.
    deltas : list of ``(n_l, N)`` arrays
        ``Delta^l = dC/dZ^l``.
    grads : list of parameter dicts
        ``dC/dtheta^l`` by parameter name (``{"W": dC/dW^l, "b": dC/db^l}`` for an
        affine layer).
    grad_a : (n_k, N)
        ``dC/dA^k``.
    dfzs : list of ``(n_l, N)`` arrays, or None
        For the paper's network, ``f^l'(Z^l)`` by JAX's derivative of the forward
        map (never the hand-derived one); None for other networks, whose
        activation maps need not be elementwise.
    """

    C: float
    Zs: list[Float64Array]
    As: list[Float64Array]
    deltas: list[Float64Array]
    grads: list[dict[str, Float64Array]]
    grad_a: Float64Array
    dfzs: list[Float64Array] | None = None

    @property
    def dWs(self) -> list[Float64Array]:
        """``dC/dW^l : (n_l, n_{l-1})`` of the paper's network."""
        return [g["W"] for g in self.grads]

    @property
    def dbs(self) -> list[Float64Array]:
        """``dC/db^l : (n_l,)`` of the paper's network."""
        return [g["b"] for g in self.grads]

    @property
    def derivatives(self) -> list[Float64Array]:
        """``f^l'(Z^l)``: :attr:`dfzs` of the paper's network (an error for any other)."""
        if self.dfzs is None:
            raise TypeError("f'(Z) is the oracle's only for the paper's network "
                            "(affine layers and elementwise activations)")
        return self.dfzs


def network_gradients(
    net: Network,
    *,
    kink_derivatives: Mapping[str, float] | None = None,
    layer_kink_derivatives: Sequence[float | None] | None = None,
) -> NetworkGradients:
    """The oracle's forward pass, deltas and gradients of the mean cost ``C`` (D4, G.*).

    For the paper's network (:attr:`Network.is_paper`) the padded programs of the
    module's docstring run, one per bucket; for a network of other layer types,
    ``jax.value_and_grad`` of its forward pass, compiled once per structure
    (:mod:`proofcheck.oracle._programs`) and not padded, since a layer type may depend on
    its shapes in ways padding would change (a normalization over the features, a
    convolution's windows).

    Parameters
    ----------
    net : Network
        The network and its data (:class:`proofcheck.network.Network`).
    kink_derivatives : mapping of activation name to float, optional
        For the paper's network: for an activation with a kink, the value of
        ``f'`` to use at a potential exactly at the kink, an element of the
        subdifferential there (default: the derivative JAX takes of the forward
        map, the left one). The oracle differentiates the same function, written
        as ``f(kink) + s (z - kink)`` at that one point, so it stays autodiff of
        the forward map.
    layer_kink_derivatives : sequence of float or None, optional
        The same, layer by layer (``k`` entries, the one of layer ``l`` at
        ``l - 1``; ``None``: JAX's own derivative there), for an implementation
        whose layers use different conventions. Given together with
        ``kink_derivatives``, it decides the layers where it is not ``None``.
    """
    if net.is_paper:
        chosen = kink_derivatives or {}
        per_layer = [chosen.get(name) for name in net.activation_names]
        if layer_kink_derivatives is not None:
            if len(layer_kink_derivatives) != net.depth:
                raise ValueError(f"layer_kink_derivatives has {len(layer_kink_derivatives)} "
                                 f"entries; expected one per layer, k = {net.depth}")
            per_layer = [mine if mine is not None else other
                         for mine, other in zip(layer_kink_derivatives, per_layer, strict=True)]
        return _paper_gradients(net, per_layer)
    if kink_derivatives or layer_kink_derivatives:
        raise ValueError("kink_derivatives applies to the paper's network only "
                         f"(affine layers and elementwise activations), not {net.describe()}")
    return _layer_gradients(net)


@in_float64
def _paper_gradients(net: Network, kink_derivatives: Sequence[float | None]) -> NetworkGradients:
    tables = _tables()
    weights, biases, activations = net.weights, net.biases, net.activation_names
    cost, X, Y = net.cost, net.X, net.Y
    k = len(weights)
    widths = [weights[0].shape[1]] + [W.shape[0] for W in weights]
    N = X.shape[1]
    P, B, depth = _bucket(max(widths)), _bucket(N), _bucket(k, MIN_DEPTH_BUCKET)
    padded = depth - k
    Ws = [_pad(W, (P, P)) for W in weights] + [np.zeros((P, P))] * padded
    bs = [_pad(b, (P,)) for b in biases] + [np.zeros(P)] * padded
    neutral = np.array(COSTS[cost].neutral, dtype=np.float64)
    kinks = [_kink(name, s) for name, s in zip(activations, kink_derivatives, strict=True)]
    kinks += [_kink(activations[-1], None)] * padded
    act_idx = _activation_index(tables, [*activations, *[activations[-1]] * padded])
    with jax.numpy_rank_promotion("raise"):
        C, Zs, As, dfz, grad_a, dE, dW, db = _network_function(tables)(
            Ws, bs, _pad(X, (P, B)), _pad(Y, (P, B)), act_idx, kinks,
            np.int32(tables.costs.index(cost)), _mask(widths[-1], P), _mask(N, B),
            np.float64(N), neutral, _mask(k, depth),
        )
    return NetworkGradients(
        C=float(C),
        Zs=[np.asarray(Z)[: widths[l + 1], :N] for l, Z in enumerate(Zs[:k])],
        As=[np.asarray(A)[: widths[l], :N] for l, A in enumerate(As[:k + 1])],
        deltas=[np.asarray(d)[: widths[l + 1], :N] for l, d in enumerate(dE[:k])],
        grads=[{"W": np.asarray(dW[l])[: widths[l + 1], : widths[l]],
                "b": np.asarray(db[l])[: widths[l + 1]]} for l in range(k)],
        grad_a=np.asarray(grad_a)[: widths[k], :N],
        dfzs=[np.asarray(d)[: widths[l + 1], :N] for l, d in enumerate(dfz[:k])],
    )


@in_float64
def _layer_gradients(net: Network) -> NetworkGradients:
    """``Delta^l`` is the gradient with respect to a shift ``E^l = 0`` of ``Z^l``, as on
    the padded path."""
    layers, activations, cost = list(net.layers), list(net.activations), COSTS[net.cost]

    def make() -> Callable[..., Any]:
        def gradients(params: Any, X: Any, Y: Any) -> Any:
            def mean_cost(params: Any, shifts: Any, out_shift: Any) -> Any:
                maps = [(lambda Z, f=f, E=E: f.forward(Z + E, jnp))
                        for f, E in zip(activations, shifts, strict=True)]
                Zs, As = layer_forward(layers, params, maps, X, jnp)
                return jnp.mean(cost.forward(As[-1] + out_shift, Y, jnp)), (Zs, As)

            shifts = [jnp.zeros((layer.n_out, X.shape[1])) for layer in layers]
            return jax.value_and_grad(mean_cost, argnums=(0, 1, 2), has_aux=True)(
                params, shifts, jnp.zeros(Y.shape))
        return gradients

    params = [{k: jnp.asarray(v) for k, v in p.items()} for p in net.params]
    X, Y = jnp.asarray(net.X), jnp.asarray(net.Y)
    key = ("network", tuple(settings(layer) for layer in layers),
           tuple(settings(f) for f in activations), net.cost)
    with jax.numpy_rank_promotion("raise"):
        result = compiled(key, make, params, X, Y)
        if result is None:
            result = make()(params, X, Y)
    (C, (Zs, As)), (grads, deltas, grad_a) = result
    return NetworkGradients(float(C), to_numpy(Zs), to_numpy(As), to_numpy(deltas),
                            to_numpy(grads), np.asarray(grad_a))


def _kink(name: str, chosen: float | None) -> Float64Array:
    """``(point, f(point), f'(point))`` for a chosen kink derivative, else ``(NaN, 0, 0)``:
    no potential equals NaN, and the zeros keep the unused branch's derivative finite."""
    activation = ACTIVATIONS[name]
    if activation.kink is None or chosen is None:
        return np.array([np.nan, 0.0, 0.0])
    point = activation.kink
    value = float(activation(np.full((1, 1), point))[0, 0])
    return np.array([point, value, chosen], dtype=np.float64)


# --- lemma-level oracles ------------------------------------------------------


@functools.cache
def _elementwise_function(tables: _Tables) -> Callable[..., Any]:
    branches = _activation_branches(tables)

    def run(idx: Any, z: Any) -> Any:
        def f(v: Any) -> Any:
            return lax.switch(idx, branches, v)

        derivative = jax.jvp(f, (z,), (jnp.ones_like(z),))[1]
        return derivative, jax.jacfwd(f)(z)

    return jax.jit(run)


@in_float64
def elementwise_derivative(activation: str, z: Float64Array) -> Float64Array:
    """JAX's derivative of the activation's forward map at every entry of ``z``.

    ``z : (n, N)`` to ``f'(z) : (n, N)``, by ``jax.jvp`` with a tangent of ones.
    """
    tables = _tables()
    shape = (_bucket(z.shape[0]), _bucket(z.shape[1]))
    with jax.numpy_rank_promotion("raise"):
        d, _ = _elementwise_function(tables)(
            np.int32(tables.activations.index(activation)), _pad(z, shape))
    return np.asarray(d)[: z.shape[0], : z.shape[1]]


@in_float64
def elementwise_jacobian(activation: str, z: Float64Array) -> Float64Array:
    """JAX's full Jacobian ``J^f(z) : (n, n)`` of the activation at ``z : (n,)``."""
    tables = _tables()
    n = z.shape[0]
    with jax.numpy_rank_promotion("raise"):
        _, J = _elementwise_function(tables)(
            np.int32(tables.activations.index(activation)), _pad(z, (_bucket(n),)))
    return np.asarray(J)[:n, :n]


@functools.cache
def _affine_function() -> Callable[..., Any]:
    def run(W: Any, A: Any, b: Any) -> Any:
        return jax.jacfwd(lambda W, A, b: potential(W, A, b, jnp), argnums=(0, 1, 2))(W, A, b)

    return jax.jit(run)


@in_float64
def affine_jacobians(
    W: Float64Array, A: Float64Array, b: Float64Array
) -> tuple[Float64Array, Float64Array, Float64Array]:
    """Jacobians of ``Z = W A + b 1_N^T`` (L5) by ``jax.jacfwd``.

    Parameters
    ----------
    W : (n_l, n_{l-1})
    A : (n_{l-1}, N)
    b : (n_l,)

    Returns
    -------
    J_vecA : (n_l N, n_{l-1} N)
        ``J^Z(vec A)``.
    J_vecW : (n_l N, n_l n_{l-1})
        ``J^Z(vec W)``.
    J_b : (n_l N, n_l)
        ``J^Z(b)``.
    """
    (m, n), N = W.shape, A.shape[1]
    P, B = _bucket(max(m, n)), _bucket(N)
    with jax.numpy_rank_promotion("raise"):
        dW, dA, db = _affine_function()(_pad(W, (P, P)), _pad(A, (P, B)), _pad(b, (P,)))
    J_b = np.asarray(db)[:m, :N, :m].transpose(1, 0, 2).reshape(N * m, m)
    return _vec_jacobian(dA, (m, N), (n, N)), _vec_jacobian(dW, (m, N), (m, n)), J_b


@functools.cache
def _layer_function(tables: _Tables) -> Callable[..., Any]:
    branches = _activation_branches(tables)

    def layer(idx: Any, W: Any, b: Any, X: Any) -> Any:
        return lax.switch(idx, branches, potential(W, X, b, jnp))

    def run(idx: Any, W: Any, b: Any, X: Any, dX: Any) -> Any:
        F = functools.partial(layer, idx, W, b)
        return jax.jvp(F, (X,), (dX,))[1], jax.jacfwd(F)(X)

    return jax.jit(run)


@in_float64
def layer_jacobian_and_jvp(
    activation: str, W: Float64Array, b: Float64Array, X: Float64Array, dX: Float64Array
) -> tuple[Float64Array, Float64Array]:
    """For ``F(X) = f(W X + b 1_N^T)``: the directional derivative along ``dX`` and ``J^F(vec X)``.

    Parameters
    ----------
    W : (m, n); b : (m,); X, dX : (n, N)

    Returns
    -------
    dF : (m, N)
        ``jax.jvp`` of ``F`` at ``X`` along ``dX``.
    J : (m N, n N)
        ``J^F(vec X)`` by ``jax.jacfwd``.
    """
    tables = _tables()
    (m, n), N = W.shape, X.shape[1]
    P, B = _bucket(max(m, n)), _bucket(N)
    with jax.numpy_rank_promotion("raise"):
        dF, J4 = _layer_function(tables)(
            np.int32(tables.activations.index(activation)), _pad(W, (P, P)), _pad(b, (P,)),
            _pad(X, (P, B)), _pad(dX, (P, B)))
    return np.asarray(dF)[:m, :N], _vec_jacobian(J4, (m, N), (n, N))


@functools.cache
def _chain_function(tables: _Tables) -> Callable[..., Any]:
    branches = _activation_branches(tables)

    def layer(idx: Any, W: Any, b: Any, X: Any) -> Any:
        return lax.switch(idx, branches, potential(W, X, b, jnp))

    def run(i1: Any, W1: Any, b1: Any, i2: Any, W2: Any, b2: Any, X: Any) -> Any:
        F = functools.partial(layer, i1, W1, b1)
        G = functools.partial(layer, i2, W2, b2)
        return (jax.jacfwd(lambda X: G(F(X)))(X), jax.jacfwd(G)(F(X)), jax.jacfwd(F)(X))

    return jax.jit(run)


@in_float64
def chain_jacobians(
    first: tuple[str, Float64Array, Float64Array],
    second: tuple[str, Float64Array, Float64Array],
    X: Float64Array,
) -> tuple[Float64Array, Float64Array, Float64Array]:
    """Jacobians for the chain rule L3, with ``F, G`` two layers ``X -> f(W X + b 1^T)``.

    Parameters
    ----------
    first, second : (activation name, W, b)
        ``F`` with ``W1 : (m, n)`` and ``G`` with ``W2 : (p, m)``.
    X : (n, N)

    Returns
    -------
    J_GF : (p N, n N)
        ``J^{G o F}(vec X)``.
    J_G : (p N, m N)
        ``J^G`` at ``F(X)``.
    J_F : (m N, n N)
        ``J^F(vec X)``.
    """
    tables = _tables()
    (a1, W1, b1), (a2, W2, b2) = first, second
    (m, n), p, N = W1.shape, W2.shape[0], X.shape[1]
    P, B = _bucket(max(m, n, p)), _bucket(N)
    with jax.numpy_rank_promotion("raise"):
        J_GF, J_G, J_F = _chain_function(tables)(
            np.int32(tables.activations.index(a1)), _pad(W1, (P, P)), _pad(b1, (P,)),
            np.int32(tables.activations.index(a2)), _pad(W2, (P, P)), _pad(b2, (P,)),
            _pad(X, (P, B)))
    return (_vec_jacobian(J_GF, (p, N), (n, N)), _vec_jacobian(J_G, (p, N), (m, N)),
            _vec_jacobian(J_F, (m, N), (n, N)))


@functools.cache
def _layer_map_function(tables: _Tables) -> Callable[..., Any]:
    branches = _activation_branches(tables)

    def run(idx: Any, W: Any, b: Any, z: Any) -> Any:
        def layer_map(z: Any) -> Any:
            return potential(W, lax.switch(idx, branches, z)[:, None], b, jnp)[:, 0]

        return jax.jacfwd(layer_map)(z)

    return jax.jit(run)


@in_float64
def layer_map_jacobian(
    activation: str, W_next: Float64Array, b_next: Float64Array, z: Float64Array
) -> Float64Array:
    """``J`` of ``z^l -> W^{l+1} f^l(z^l) + b^{l+1}`` (L7) by ``jax.jacfwd``.

    ``W_next : (n_{l+1}, n_l)``, ``b_next : (n_{l+1},)``, ``z : (n_l,)``;
    returns ``(n_{l+1}, n_l)``.
    """
    tables = _tables()
    m, n = W_next.shape
    P = _bucket(max(m, n))
    with jax.numpy_rank_promotion("raise"):
        J = _layer_map_function(tables)(
            np.int32(tables.activations.index(activation)), _pad(W_next, (P, P)),
            _pad(b_next, (P,)), _pad(z, (P,)))
    return np.asarray(J)[:m, :n]


@functools.cache
def _cost_function(tables: _Tables) -> Callable[..., Any]:
    branches = _cost_branches(tables)

    def run(idx: Any, A: Any, Y: Any, real: Any, neutral: Any) -> Any:
        def total(A: Any) -> Any:
            A_safe = jnp.where(real, A, neutral[0])
            Y_safe = jnp.where(real, Y, neutral[1])
            return jnp.sum(lax.switch(idx, branches, A_safe, Y_safe))

        return jax.grad(total)(A)

    return jax.jit(run)


@in_float64
def cost_gradient(cost: str, A: Float64Array, Y: Float64Array) -> Float64Array:
    """``grad_a c`` of every example (L6) by ``jax.grad``: ``A, Y : (n_k, N) -> (n_k, N)``."""
    tables = _tables()
    n, N = A.shape
    shape = (_bucket(n), _bucket(N))
    real = np.zeros(shape, dtype=bool)
    real[:n, :N] = True
    neutral = np.array(COSTS[cost].neutral, dtype=np.float64)
    with jax.numpy_rank_promotion("raise"):
        G = _cost_function(tables)(np.int32(tables.costs.index(cost)), _pad(A, shape),
                                   _pad(Y, shape), real, neutral)
    return np.asarray(G)[:n, :N]
