"""Single-head self-attention with a hand-derived backward pass, as a ``jax.custom_vjp``.

Check it from the repository's top folder::

    proofcheck verify --layer examples.attention_rule:Layer --profile ci

``attention`` is scaled dot-product self-attention over a short sequence, one
head, with its query, key and value maps ``W_q, W_k, W_v`` as parameters, and
a backward pass written out by hand (the softmax's backward included), as
training code writes it when it fuses or recomputes parts of attention.

The function takes ``x : (N, seq, DIM)`` as attention code does, and is described
with ``layout=("N", "n_in", "dim")``: the networks vary the sequence length ``seq``
(the axis named ``"n_in"``), and the theorem sees each example's ``seq * DIM``
entries flattened, so in a network the layer takes the widths 2, 4, 6 and 8
(``seq`` from 1 to 4). :func:`proofcheck.frameworks.from_jax` makes it a layer type:
proofcheck checks the rule's input product (G.step) and its three parameter products
(G.param) against JAX's autodiff of the undecorated primal ``attention.fun``, and
runs the generalized theorem on networks that contain it. This is the
attention-sized row of the speed table (``benchmarks/commands.py``).
"""

from __future__ import annotations

import math
from typing import Any

import jax
import jax.numpy as jnp

from proofcheck.frameworks import from_jax

#: The width of each position of the sequence.
DIM = 2

#: The arguments of ``attention`` for ``from_jax``: ``x : (N, seq, DIM)`` is the input.
PARAMETERS = {"W_q": ("dim", "dim"), "W_k": ("dim", "dim"), "W_v": ("dim", "dim")}

#: Entries of ``W_q, W_k, W_v`` are drawn from ``[-1, 1]`` (the default for a matrix,
#: ``1 / n_in`` of the flattened width, leaves the scores near 0 and the softmax near
#: uniform, where a wrong softmax backward is hard to see).
BOUNDS = {"W_q": 1.0, "W_k": 1.0, "W_v": 1.0}


def _softmax(s: Any) -> Any:
    """Softmax over the last axis, the largest score subtracted first."""
    e = jnp.exp(s - jnp.max(s, axis=-1, keepdims=True))
    return e / jnp.sum(e, axis=-1, keepdims=True)


def _forward(x: Any, W_q: Any, W_k: Any, W_v: Any) -> tuple[Any, tuple[Any, ...]]:
    """The output and what the backward pass keeps: ``q, k, v, p``."""
    q, k, v = x @ W_q, x @ W_k, x @ W_v
    p = _softmax(q @ jnp.swapaxes(k, -1, -2) / math.sqrt(DIM))
    return p @ v, (q, k, v, p)


@jax.custom_vjp
def attention(x: Any, W_q: Any, W_k: Any, W_v: Any) -> Any:
    r"""``o = softmax(q k^T / sqrt(DIM)) v`` with ``q, k, v = x W_q, x W_k, x W_v``.

    Shapes: ``x : (N, seq, DIM)``; ``W_q, W_k, W_v : (DIM, DIM)``; per example
    ``q, k, v : (seq, DIM)``, the scores ``s = q k^T / sqrt(DIM) : (seq, seq)``,
    ``p = softmax(s)`` over each row (the keys), ``o = p v : (seq, DIM)``.

    Derivation of the rule, per example, for a cotangent ``g`` of ``o``
    (``g : (seq, DIM)``). ``o = p v`` is bilinear: ``g_p = g v^T`` and
    ``g_v = p^T g``. Each row of ``p`` is the softmax of the same row of ``s``,
    whose Jacobian is ``diag(p) - p p^T``; so, row by row,
    ``g_s = p * (g_p - sum_j g_p[:, j] p[:, j])``. ``s`` is bilinear in ``q, k``:
    ``g_q = g_s k / sqrt(DIM)``, ``g_k = g_s^T q / sqrt(DIM)``. Each of ``q, k,
    v`` is ``x`` times its matrix, so

        J_x^T g   = g_q W_q^T + g_k W_k^T + g_v W_v^T        (seq, DIM)
        J_W_q^T g = sum over examples of x^T g_q             (DIM, DIM)

    and the same for ``W_k`` with ``g_k`` and ``W_v`` with ``g_v``, summed over
    the ``N`` examples that share the matrices.
    """
    return _forward(x, W_q, W_k, W_v)[0]


def _fwd(x: Any, W_q: Any, W_k: Any, W_v: Any) -> tuple[Any, tuple[Any, ...]]:
    o, (q, k, v, p) = _forward(x, W_q, W_k, W_v)
    return o, (x, q, k, v, p, W_q, W_k, W_v)


def _bwd(residuals: tuple[Any, ...], g: Any) -> tuple[Any, ...]:
    x, q, k, v, p, W_q, W_k, W_v = residuals
    g_o = g
    g_p = g_o @ jnp.swapaxes(v, -1, -2)
    g_v = jnp.swapaxes(p, -1, -2) @ g_o
    # The softmax's backward, row by row: p * (g_p - <g_p, p>).
    g_s = p * (g_p - jnp.sum(g_p * p, axis=-1, keepdims=True))
    scale = 1.0 / math.sqrt(DIM)
    g_q = scale * (g_s @ k)
    g_k = scale * (jnp.swapaxes(g_s, -1, -2) @ q)
    g_x = g_q @ W_q.T + g_k @ W_k.T + g_v @ W_v.T
    return (g_x,
            jnp.einsum("nsi,nsj->ij", x, g_q),
            jnp.einsum("nsi,nsj->ij", x, g_k),
            jnp.einsum("nsi,nsj->ij", x, g_v))


attention.defvjp(_fwd, _bwd)


#: The attention as a layer type: ``--layer examples.attention_rule:Layer``.
Layer = from_jax(attention, input="x", parameters=PARAMETERS, layout=("N", "n_in", "dim"),
                 sizes={"dim": DIM}, bounds=BOUNDS, name="SelfAttention")
