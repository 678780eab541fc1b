"""Single-head self-attention with a hand-derived backward pass, as a ``jax.custom_vjp``.

Check it from the repository's top folder::

    proofcheck verify --layer examples.attention_rule:Layer --profile ci

``attention`` is scaled dot-product self-attention over a short sequence, one
head, with its query, key and value maps ``W_q, W_k, W_v`` as parameters, and
a backward pass written out by hand (the softmax's backward included), as
training code writes it when it fuses or recomputes parts of attention.

proofcheck's layer input is ``a : (N, n_in)``, one example per row, so each
example's ``n_in = SEQ * DIM = 8`` features are read as a sequence of ``SEQ``
positions of width ``DIM``: the function reshapes ``a`` to ``(N, SEQ, DIM)``
itself and its output back to ``(N, SEQ * DIM)``. The layer takes only that
input width (``n_out`` returns ``None`` for any other), so in a network it sits
after a layer of width 8. :func:`proofcheck.frameworks.from_jax` makes it a
layer type: proofcheck checks the rule's input product (G.step) and its three
parameter products (G.param) against JAX's autodiff of the undecorated primal
``attention.fun``, and runs the generalized theorem on networks that contain
it. This is the attention-sized row of the speed table
(``benchmarks/commands.py``).
"""

from __future__ import annotations

import math
from typing import Any

import jax
import jax.numpy as jnp

from proofcheck.frameworks import from_jax

#: Positions in the sequence, and the width of each.
SEQ, DIM = 4, 2

#: The arguments of ``attention`` for ``from_jax``: ``a : (N, SEQ * DIM)`` is the input.
PARAMETERS = {"W_q": (DIM, DIM), "W_k": (DIM, DIM), "W_v": (DIM, DIM)}

#: Entries of ``W_q, W_k, W_v`` are drawn from ``[-1, 1]`` (the default for a matrix
#: would be ``1 / n_in = 1 / 8``, which leaves every score near 0 and the softmax near
#: uniform, where a wrong softmax backward is hard to see).
BOUNDS = {"W_q": 1.0, "W_k": 1.0, "W_v": 1.0}


def _softmax(s: Any) -> Any:
    """Softmax over the last axis, the largest score subtracted first."""
    e = jnp.exp(s - jnp.max(s, axis=-1, keepdims=True))
    return e / jnp.sum(e, axis=-1, keepdims=True)


def _forward(a: Any, W_q: Any, W_k: Any, W_v: Any) -> tuple[Any, tuple[Any, ...]]:
    """The output and what the backward pass keeps: ``x, q, k, v, p``."""
    x = a.reshape(a.shape[0], SEQ, DIM)
    q, k, v = x @ W_q, x @ W_k, x @ W_v
    p = _softmax(q @ jnp.swapaxes(k, -1, -2) / math.sqrt(DIM))
    o = p @ v
    return o.reshape(a.shape[0], SEQ * DIM), (x, q, k, v, p)


@jax.custom_vjp
def attention(a: Any, W_q: Any, W_k: Any, W_v: Any) -> Any:
    r"""``o = softmax(q k^T / sqrt(DIM)) v`` with ``q, k, v = x W_q, x W_k, x W_v``.

    Shapes: ``a : (N, SEQ * DIM)`` read as ``x : (N, SEQ, DIM)``;
    ``W_q, W_k, W_v : (DIM, DIM)``; per example ``q, k, v : (SEQ, DIM)``, the
    scores ``s = q k^T / sqrt(DIM) : (SEQ, SEQ)``, ``p = softmax(s)`` over each
    row (the keys), ``o = p v : (SEQ, DIM)``; ``z : (N, SEQ * DIM)`` is ``o``
    flattened.

    Derivation of the rule, per example, for a cotangent ``g`` of ``o``
    (``g : (SEQ, DIM)``). ``o = p v`` is bilinear: ``g_p = g v^T`` and
    ``g_v = p^T g``. Each row of ``p`` is the softmax of the same row of ``s``,
    whose Jacobian is ``diag(p) - p p^T``; so, row by row,
    ``g_s = p * (g_p - sum_j g_p[:, j] p[:, j])``. ``s`` is bilinear in ``q, k``:
    ``g_q = g_s k / sqrt(DIM)``, ``g_k = g_s^T q / sqrt(DIM)``. Each of ``q, k,
    v`` is ``x`` times its matrix, so

        J_x^T g   = g_q W_q^T + g_k W_k^T + g_v W_v^T        (SEQ, DIM)
        J_W_q^T g = sum over examples of x^T g_q             (DIM, DIM)

    and the same for ``W_k`` with ``g_k`` and ``W_v`` with ``g_v``, summed over
    the ``N`` examples that share the matrices.
    """
    return _forward(a, W_q, W_k, W_v)[0]


def _fwd(a: Any, W_q: Any, W_k: Any, W_v: Any) -> tuple[Any, tuple[Any, ...]]:
    z, (x, q, k, v, p) = _forward(a, W_q, W_k, W_v)
    return z, (x, q, k, v, p, W_q, W_k, W_v)


def _bwd(residuals: tuple[Any, ...], g: Any) -> tuple[Any, ...]:
    x, q, k, v, p, W_q, W_k, W_v = residuals
    N = x.shape[0]
    g_o = g.reshape(N, SEQ, DIM)
    g_p = g_o @ jnp.swapaxes(v, -1, -2)
    g_v = jnp.swapaxes(p, -1, -2) @ g_o
    # The softmax's backward, row by row: p * (g_p - <g_p, p>).
    g_s = p * (g_p - jnp.sum(g_p * p, axis=-1, keepdims=True))
    scale = 1.0 / math.sqrt(DIM)
    g_q = scale * (g_s @ k)
    g_k = scale * (jnp.swapaxes(g_s, -1, -2) @ q)
    g_x = g_q @ W_q.T + g_k @ W_k.T + g_v @ W_v.T
    return (g_x.reshape(N, SEQ * DIM),
            jnp.einsum("nsi,nsj->ij", x, g_q),
            jnp.einsum("nsi,nsj->ij", x, g_k),
            jnp.einsum("nsi,nsj->ij", x, g_v))


attention.defvjp(_fwd, _bwd)


def _width(n_in: int) -> int | None:
    """The output width: the input's, for the one input width the layer takes."""
    return n_in if n_in == SEQ * DIM else None


#: The attention as a layer type: ``--layer examples.attention_rule:Layer``.
Layer = from_jax(attention, parameters=PARAMETERS, n_out=_width, bounds=BOUNDS,
                 name="SelfAttention")
