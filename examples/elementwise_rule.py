"""A memory-saving swish (SiLU) whose backward pass recomputes the sigmoid, as a ``jax.custom_vjp``.

Check it from the repository's top folder::

    proofcheck verify --layer examples.elementwise_rule:Layer --profile ci

``swish(x) = x * sigmoid(x)`` is an elementwise activation with no parameters.
Training code often gives it a rule of its own so that the forward pass keeps
only its input for the backward pass (autodiff would keep the sigmoid as well),
and the backward pass recomputes the sigmoid from it; the sigmoid is written in
the numerically careful form that never evaluates ``exp`` of a large positive
number. :func:`proofcheck.frameworks.from_jax` makes it a layer type (no
parameters, ``n_out = n_in``): proofcheck checks the rule's input product (the
G.step lemma row) against JAX's autodiff of the undecorated primal
``swish.fun``, and runs the generalized theorem on networks that contain it
next to every registered layer type. This is the elementwise row of the speed
table (``benchmarks/commands.py``).
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp

from proofcheck.frameworks import from_jax


def _sigmoid(x: Any) -> Any:
    """``1 / (1 + exp(-x))`` with ``exp`` of ``-|x|`` only: ``e / (1 + e)`` for ``x < 0``."""
    e = jnp.exp(-jnp.abs(x))
    return jnp.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


@jax.custom_vjp
def swish(a: Any) -> Any:
    r"""``z = a * sigmoid(a)``, entrywise.

    Shapes: ``a : (N, n_in)``, ``z : (N, n_in)``.

    Derivation of the rule. With ``s = sigmoid(a)`` and ``sigmoid' = s (1 - s)``,
    the product rule gives ``dz/da = s + a s (1 - s) = s (1 + a (1 - s))``,
    entrywise; for a cotangent ``g : (N, n_in)`` of ``z``,

        J_a^T g = g * s * (1 + a * (1 - s))      (N, n_in)

    The Jacobian is diagonal, so the transpose changes nothing.
    """
    return a * _sigmoid(a)


def _fwd(a: Any) -> tuple[Any, Any]:
    # Only the input is kept: the sigmoid is recomputed in _bwd.
    return a * _sigmoid(a), a


def _bwd(a: Any, g: Any) -> tuple[Any]:
    s = _sigmoid(a)
    return (g * s * (1.0 + a * (1.0 - s)),)


swish.defvjp(_fwd, _bwd)

#: The swish as a layer type: ``--layer examples.elementwise_rule:Layer``.
Layer = from_jax(swish, parameters={}, name="MemorySavingSwish")
