"""The oracle for networks of any layer types: ``jax.vjp`` and ``jax.value_and_grad``.

It differentiates the layer types' own forward maps with ``jax.numpy``, in
float64, with rank promotion raised (both scoped to each call, see
:func:`proofcheck.oracle.in_float64`), and never calls a hand-derived product.

Each computation is compiled once per *structure* (the layers' types and
settings, the activation maps, the cost) with ``jax.jit``, which compiles again
for each new shape of the arrays: a ``ci`` run meets a few dozen structures,
and a structure drawn again, while Hypothesis shrinks or mutates an example,
runs at once (measured on 150 networks of the strategies: 67 structures; run
eagerly, one compile per operation and shape, a second pass over the same
networks still took 45 s for dispatching the operations one by one). Layer
types may depend on their shapes in ways padding would change (a
normalization over the features, a convolution's windows), so this oracle does
not pad. A layer whose forward map cannot be traced (it converts a traced
array to numpy, or branches on a value) is run eagerly, as before: the first
failed trace of a structure sends it, and every later call of it, to the eager
path, whose result or error is the one reported.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from proofcheck._types import Float64Array
from proofcheck.costs import COSTS
from proofcheck.layers._protocol import ActivationMap, LayerMap, Parameters
from proofcheck.network import LayerNetwork, layer_forward
from proofcheck.oracle import in_float64

__all__ = ["LayerOracle", "activation_vjp", "layer_vjp", "layer_vjp_terms", "network_gradients"]


def _numpy(tree: Any) -> Any:
    return jax.tree_util.tree_map(np.asarray, tree)


def _frozen(value: Any) -> Hashable:
    """A hashable stand-in for a layer's setting (arrays by their bytes)."""
    if isinstance(value, np.ndarray):
        return ("array", value.shape, value.dtype.str, value.tobytes())
    if isinstance(value, list | tuple):
        return tuple(_frozen(v) for v in value)
    if isinstance(value, dict):
        return tuple(sorted((str(k), _frozen(v)) for k, v in value.items()))
    try:
        hash(value)
    except TypeError:
        return ("repr", repr(value))
    return value  # type: ignore[no-any-return]


def _settings(thing: LayerMap | ActivationMap) -> Hashable:
    """What a compiled program of ``thing`` depends on: its type and its attributes."""
    return (type(thing), _frozen(vars(thing)))


#: Compiled programs by structure, the least recently used first; ``None`` for a
#: structure that runs eagerly.
_PROGRAMS: OrderedDict[Hashable, Callable[..., Any] | None] = OrderedDict()
#: Structures whose programs are kept; the least recently used is dropped first. A
#: structure's program keeps an executable for every shape it met: measured, about
#: 45 memory maps and 3.5 MB each. With thousands kept, a long-lived process (50
#: ``dev`` runs in a row, a notebook) ran out of the kernel's memory maps (65,530)
#: after about nine runs and crashed inside XLA. A ``ci`` run of the G rows meets
#: about 135 structures and a ``dev`` run up to about 250: this bound keeps one run's
#: (64 made the G rows about 20 % slower, by recompiling) and at most about 12,000
#: maps and 1 GB. (Written as a power: a literal of 100 or more would join the
#: constants Hypothesis draws from, see proofcheck.catalog.)
MAX_PROGRAMS = 2**8


def _compiled(key: Hashable, make: Callable[[], Callable[..., Any]],
              *args: Any) -> Any:
    """``make()(*args)`` compiled once per ``key`` with ``jax.jit``; ``None`` where
    the structure does not trace (then the caller runs it eagerly)."""
    if key in _PROGRAMS:
        _PROGRAMS.move_to_end(key)
        program = _PROGRAMS[key]
        if program is None:
            return None
    else:
        program = jax.jit(make())
        _PROGRAMS[key] = program
        while len(_PROGRAMS) > MAX_PROGRAMS:
            _PROGRAMS.popitem(last=False)
    try:
        return program(*args)
    except Exception:
        # Not traceable (or failing): the eager path runs it and reports what happens.
        _PROGRAMS[key] = None
        return None


def _pullback(layer: LayerMap, a: Float64Array, params: Parameters) -> Any:
    """``jax.vjp``'s pullback of the layer's forward map at ``(a, params)``."""
    _, pullback = jax.vjp(lambda a, p: layer.forward(a, p, jnp), jnp.asarray(a),
                          {k: jnp.asarray(v) for k, v in params.items()})
    return pullback


@in_float64
def layer_vjp(layer: LayerMap, a: Float64Array, params: Parameters,
              delta: Float64Array) -> tuple[Float64Array, dict[str, Float64Array]]:
    """``J_a^T delta`` and ``J_theta^T delta`` of ``layer`` at ``a`` by ``jax.vjp``."""
    def make() -> Callable[..., Any]:
        def vjp(a: Any, params: Any, delta: Any) -> Any:
            _, pullback = jax.vjp(lambda a, p: layer.forward(a, p, jnp), a, params)
            return pullback(delta)
        return vjp

    jparams = {k: jnp.asarray(v) for k, v in params.items()}
    with jax.numpy_rank_promotion("raise"):
        result = _compiled(("layer_vjp", _settings(layer)), make, jnp.asarray(a), jparams,
                           jnp.asarray(delta))
        if result is None:
            result = _pullback(layer, a, params)(jnp.asarray(delta))
    da, dp = result
    return np.asarray(da), {k: np.asarray(v) for k, v in dp.items()}


@in_float64
def layer_vjp_terms(layer: LayerMap, a: Float64Array, params: Parameters,
                    delta: Float64Array) -> tuple[Float64Array, dict[str, Float64Array]]:
    """``|J_a|^T |delta|`` and ``|J_theta|^T |delta|``: the size of the terms the products sum.

    Row by row from ``jax.vjp`` (one pullback of a unit vector per entry of
    ``delta``), so it needs no new compilation beyond :func:`layer_vjp`'s; used
    only to judge a comparison that the cheaper scale would fail.
    """
    with jax.numpy_rank_promotion("raise"):
        pullback = _pullback(layer, a, params)
        terms_a = np.zeros_like(a)
        terms_p = {k: np.zeros(np.shape(v)) for k, v in params.items()}
        for index in np.ndindex(*delta.shape):
            if delta[index] == 0:
                continue
            unit = np.zeros(delta.shape)
            unit[index] = 1.0
            da, dp = pullback(jnp.asarray(unit))
            terms_a += np.abs(np.asarray(da)) * abs(delta[index])
            for k in terms_p:
                terms_p[k] += np.abs(np.asarray(dp[k])) * abs(delta[index])
    return terms_a, terms_p


@in_float64
def activation_vjp(f: ActivationMap, z: Float64Array, g: Float64Array) -> Float64Array:
    """``J^f(z)^T g`` by ``jax.vjp`` of the activation's forward map."""
    def make() -> Callable[..., Any]:
        def vjp(z: Any, g: Any) -> Any:
            _, pullback = jax.vjp(lambda z: f.forward(z, jnp), z)
            return pullback(g)[0]
        return vjp

    with jax.numpy_rank_promotion("raise"):
        dz = _compiled(("activation_vjp", _settings(f)), make, jnp.asarray(z), jnp.asarray(g))
        if dz is None:
            _, pullback = jax.vjp(lambda z: f.forward(z, jnp), jnp.asarray(z))
            (dz,) = pullback(jnp.asarray(g))
    return np.asarray(dz)


class LayerOracle(NamedTuple):
    """The oracle's forward pass, deltas, parameter gradients and ``dC/dA^k``."""

    C: float
    Zs: list[Float64Array]
    As: list[Float64Array]
    deltas: list[Float64Array]
    grads: list[dict[str, Float64Array]]
    grad_a: Float64Array


@in_float64
def network_gradients(net: LayerNetwork) -> LayerOracle:
    """Deltas (D3, D4) and parameter gradients of the mean cost, by ``jax.value_and_grad``.

    As in :func:`proofcheck.oracle.network_gradients`, ``Delta^l`` is the
    gradient with respect to a shift ``E^l = 0`` of ``Z^l``.
    """
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
    key = ("network", tuple(_settings(layer) for layer in layers),
           tuple(_settings(f) for f in activations), net.cost)
    with jax.numpy_rank_promotion("raise"):
        result = _compiled(key, make, params, X, Y)
        if result is None:
            result = make()(params, X, Y)
    (C, (Zs, As)), (grads, deltas, grad_a) = result
    return LayerOracle(float(C), _numpy(Zs), _numpy(As), _numpy(deltas), _numpy(grads),
                       np.asarray(grad_a))
