"""Custom rules with the arguments libraries give them: several per-example inputs,
several outputs, an integer output, and an input with more than two axes.

Check them from the repository's top folder::

    proofcheck verify --layer examples.library_rules:Rotary --profile ci
    proofcheck verify --layer examples.library_rules:MaxOfPairs --profile ci
    proofcheck verify --layer examples.library_rules:PerHead --profile ci
    proofcheck verify --layer examples.library_rules:WrongPerHead --profile ci

Each is ordinary JAX code with its own ``jax.custom_vjp`` rule, written as it is for
training, and described to :func:`proofcheck.frameworks.from_jax` as it is:

- ``rotary`` turns each pair ``(x_i, y_i)`` of two per-example inputs by an angle
  ``theta_i`` and returns both halves, as rotary position embeddings do. ``y`` is
  declared ``per_example`` (the layer's input ``a`` stacks ``x`` and ``y``), and the two
  outputs are named with ``outputs`` (``z`` stacks them), so the theorem checks the
  rule's cotangent of each input for a cotangent of each output.
- ``max_of_pairs`` keeps the larger of each pair of features and returns the index
  of the winner beside it, as pooling code keeps its argmax for the backward pass.
  The index is an integer: ``ignore`` leaves it out by name.
- ``per_head`` is the projection of attention code, ``tanh(x W)`` on an input of
  shape ``(N, heads, seq, dim)``, declared with ``layout`` and ``sizes``; the theorem
  sees each example flattened, and its reports show the arrays in that layout.
  ``WrongPerHead`` has one mistake in its backward pass: ``W`` where ``W^T`` belongs.
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp

from proofcheck.frameworks import from_jax


@jax.custom_vjp
def rotary(x: Any, y: Any, theta: Any) -> Any:
    """``(x cos theta - y sin theta, x sin theta + y cos theta)``; ``x, y : (N, n)``."""
    c, s = jnp.cos(theta), jnp.sin(theta)
    return x * c - y * s, x * s + y * c


def _rotary_fwd(x: Any, y: Any, theta: Any) -> tuple[Any, tuple[Any, ...]]:
    u, v = rotary(x, y, theta)
    return (u, v), (theta, u, v)


def _rotary_bwd(residuals: tuple[Any, ...], g: Any) -> tuple[Any, ...]:
    # The rotation is orthogonal: its transpose turns the cotangents back by -theta.
    # d(u, v)/d theta = (-v, u), summed over the examples for the parameter theta.
    theta, u, v = residuals
    gu, gv = g
    c, s = jnp.cos(theta), jnp.sin(theta)
    return gu * c + gv * s, -gu * s + gv * c, jnp.sum(-gu * v + gv * u, axis=0)


rotary.defvjp(_rotary_fwd, _rotary_bwd)

Rotary = from_jax(rotary, input="x", per_example=("y",), parameters={"theta": ("n_in",)},
                  outputs=("u", "v"), name="Rotary")


@jax.custom_vjp
def max_of_pairs(x: Any) -> Any:
    """The larger of features ``2i`` and ``2i + 1`` of each example, and which one won."""
    pairs = x.reshape(x.shape[0], -1, 2)
    return jnp.max(pairs, axis=2), jnp.argmax(pairs, axis=2).astype(jnp.int32)


def _max_fwd(x: Any) -> tuple[Any, Any]:
    value, index = max_of_pairs(x)
    return (value, index), (index, x.shape)


def _max_bwd(residuals: Any, g: Any) -> tuple[Any]:
    # The cotangent goes to the winner of each pair (the first on a tie, as argmax
    # picks it); the index's cotangent is JAX's float0 zero and is not used.
    index, shape = residuals
    g_value, _ = g
    routed = jnp.stack([g_value * (index == 0), g_value * (index == 1)], axis=2)
    return (routed.reshape(shape),)


max_of_pairs.defvjp(_max_fwd, _max_bwd)

MaxOfPairs = from_jax(max_of_pairs, input="x", parameters={}, outputs=("value", "index"),
                      ignore=("index",), n_out=lambda n: n // 2 if n % 2 == 0 else None,
                      name="MaxOfPairs")


@jax.custom_vjp
def per_head(x: Any, W: Any) -> Any:
    """``tanh(x W)`` for ``x : (N, heads, seq, dim)`` and ``W : (dim, dim)``."""
    return jnp.tanh(x @ W)


def _per_head_fwd(x: Any, W: Any) -> tuple[Any, tuple[Any, ...]]:
    z = per_head(x, W)
    return z, (x, W, z)


def _per_head_bwd(residuals: tuple[Any, ...], g: Any) -> tuple[Any, Any]:
    x, W, z = residuals
    d = g * (1.0 - z ** 2)
    return d @ W.T, jnp.einsum("nhsd,nhse->de", x, d)


per_head.defvjp(_per_head_fwd, _per_head_bwd)

PerHead = from_jax(per_head, input="x", parameters={"W": ("dim", "dim")},
                   layout=("N", "heads", "n_in", "dim"), sizes={"heads": 2, "dim": 2},
                   name="PerHead")


@jax.custom_vjp
def wrong_per_head(x: Any, W: Any) -> Any:
    """``per_head`` with a mistake in its rule."""
    return jnp.tanh(x @ W)


def _wrong_per_head_bwd(residuals: tuple[Any, ...], g: Any) -> tuple[Any, Any]:
    x, W, z = residuals
    d = g * (1.0 - z ** 2)
    return d @ W, jnp.einsum("nhsd,nhse->de", x, d)  # W where W.T belongs


wrong_per_head.defvjp(_per_head_fwd, _wrong_per_head_bwd)

WrongPerHead = from_jax(wrong_per_head, input="x", parameters={"W": ("dim", "dim")},
                        layout=("N", "heads", "n_in", "dim"), sizes={"heads": 2, "dim": 2},
                        name="WrongPerHead")
