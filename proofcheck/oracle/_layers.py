"""The layer types' lemma-level oracle: ``jax.vjp`` of their forward maps.

It differentiates a layer type's own forward map (or an activation map's) with
``jax.numpy``, in float64, with rank promotion raised (both scoped to each call,
see :func:`proofcheck.oracle.network.in_float64`), and never calls a hand-derived
product. Each computation is compiled once per structure (:mod:`proofcheck.oracle._programs`);
a forward map that cannot be traced runs eagerly. The oracle of a whole network
of layer types is :func:`proofcheck.oracle.network.network_gradients`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from proofcheck._types import Float64Array
from proofcheck.layers._protocol import ActivationMap, LayerMap, Parameters
from proofcheck.oracle._programs import compiled, settings
from proofcheck.oracle.network import in_float64

__all__ = ["activation_vjp", "layer_vjp", "layer_vjp_terms"]


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
        result = compiled(("layer_vjp", settings(layer)), make, jnp.asarray(a), jparams,
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
        dz = compiled(("activation_vjp", settings(f)), make, jnp.asarray(z), jnp.asarray(g))
        if dz is None:
            _, pullback = jax.vjp(lambda z: f.forward(z, jnp), jnp.asarray(z))
            (dz,) = pullback(jnp.asarray(g))
    return np.asarray(dz)
