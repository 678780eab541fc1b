"""The oracle for networks of any layer types: ``jax.vjp`` and ``jax.value_and_grad``.

It differentiates the layer types' own forward maps with ``jax.numpy``, in
float64, with rank promotion raised (both scoped to each call, see
:func:`proofcheck.oracle.in_float64`), and never calls a hand-derived product.
Layer types may depend on their shapes in ways padding would change (a
normalization over the features, a convolution's windows), so this oracle
does not pad: it runs JAX eagerly, which compiles each primitive once per
shape and reuses it; the small widths of the strategies keep the number of
shapes small.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from proofcheck._types import Float64Array
from proofcheck.costs import COSTS
from proofcheck.layers._network import LayerNetwork, layer_forward
from proofcheck.layers._protocol import ActivationMap, LayerMap, Parameters
from proofcheck.oracle import in_float64

__all__ = ["LayerOracle", "activation_vjp", "layer_vjp", "layer_vjp_terms", "network_gradients"]


def _numpy(tree: Any) -> Any:
    return jax.tree_util.tree_map(np.asarray, tree)


def _pullback(layer: LayerMap, a: Float64Array, params: Parameters) -> Any:
    """``jax.vjp``'s pullback of the layer's forward map at ``(a, params)``."""
    _, pullback = jax.vjp(lambda a, p: layer.forward(a, p, jnp), jnp.asarray(a),
                          {k: jnp.asarray(v) for k, v in params.items()})
    return pullback


@in_float64
def layer_vjp(layer: LayerMap, a: Float64Array, params: Parameters,
              delta: Float64Array) -> tuple[Float64Array, dict[str, Float64Array]]:
    """``J_a^T delta`` and ``J_theta^T delta`` of ``layer`` at ``a`` by ``jax.vjp``."""
    with jax.numpy_rank_promotion("raise"):
        da, dp = _pullback(layer, a, params)(jnp.asarray(delta))
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
    with jax.numpy_rank_promotion("raise"):
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
    cost = COSTS[net.cost]
    X, Y = jnp.asarray(net.X), jnp.asarray(net.Y)

    def mean_cost(params: Any, shifts: Any, out_shift: Any) -> Any:
        maps = [(lambda Z, f=f, E=E: f.forward(Z + E, jnp))
                for f, E in zip(net.activations, shifts, strict=True)]
        Zs, As = layer_forward(net.layers, params, maps, X, jnp)
        return jnp.mean(cost.forward(As[-1] + out_shift, Y, jnp)), (Zs, As)

    params = [{k: jnp.asarray(v) for k, v in p.items()} for p in net.params]
    shifts = [jnp.zeros((layer.n_out, net.batch_size)) for layer in net.layers]
    with jax.numpy_rank_promotion("raise"):
        (C, (Zs, As)), (grads, deltas, grad_a) = jax.value_and_grad(
            mean_cost, argnums=(0, 1, 2), has_aux=True)(params, shifts, jnp.zeros(Y.shape))
    return LayerOracle(float(C), _numpy(Zs), _numpy(As), _numpy(deltas), _numpy(grads),
                       np.asarray(grad_a))
