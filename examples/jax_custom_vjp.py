"""A gated unit with a hand-derived backward pass, written as a ``jax.custom_vjp``.

Check it from the repository's top folder::

    proofcheck verify --layer examples.jax_custom_vjp:Layer --profile ci
    proofcheck verify --layer examples.jax_custom_vjp:WrongLayer --profile ci

``gated_unit`` is ordinary JAX code with its own rule, as it would be written
for training; :func:`proofcheck.frameworks.from_jax` describes its arguments and
makes it a layer type. proofcheck then checks the rule's products (the input
product in a G.step lemma row, the parameter products in a G.param lemma row)
against JAX's autodiff of the undecorated primal ``gated_unit.fun``, and runs
the generalized theorem on networks that contain the layer next to every
registered layer type. ``WrongLayer`` has one mistake in its ``bwd``, and the
report names the product that holds it.
"""

from __future__ import annotations

from typing import Any

import jax

from proofcheck.frameworks import from_jax

#: The arguments of the gated unit, for ``from_jax``: ``a : (N, n_in)`` is the input.
PARAMETERS = {"W": ("n_in", "n_out"), "V": ("n_in", "n_out"), "b": ("n_out",),
              "c": ("n_out",)}


@jax.custom_vjp
def gated_unit(a: Any, W: Any, V: Any, b: Any, c: Any) -> Any:
    r"""``z = (a W + b) * sigmoid(a V + c)``: a linear unit gated by a second one.

    Shapes (one example per row, as JAX code writes it): ``a : (N, n_in)``,
    ``W, V : (n_in, n_out)``, ``b, c : (n_out,)``, ``z : (N, n_out)``; ``*``
    is the entrywise product and ``b``, ``c`` are added to every row.

    Derivation of the rule. Write ``u = a W + b`` and ``s = sigmoid(a V + c)``,
    so ``z = u * s``. For a cotangent ``g : (N, n_out)`` of ``z``, the product
    rule gives the cotangents of the two branches, ``g_u = g * s`` and
    ``g_s = g * u``, and ``sigmoid' = s (1 - s)`` carries ``g_s`` back to the
    gate's potential, ``g_v = g * u * s * (1 - s)``. Each branch is affine:

        J_a^T g = g_u W^T + g_v V^T          (N, n_in)
        J_W^T g = a^T g_u,  J_V^T g = a^T g_v  (n_in, n_out)
        J_b^T g = sum_i g_u[i],  J_c^T g = sum_i g_v[i]   (n_out,)

    the biases summing over the ``N`` rows they were added to.
    """
    return (a @ W + b) * jax.nn.sigmoid(a @ V + c)


def _fwd(a: Any, W: Any, V: Any, b: Any, c: Any) -> tuple[Any, tuple[Any, ...]]:
    u = a @ W + b
    s = jax.nn.sigmoid(a @ V + c)
    return u * s, (a, W, V, u, s)


def _bwd(residuals: tuple[Any, ...], g: Any) -> tuple[Any, ...]:
    a, W, V, u, s = residuals
    g_u = g * s
    g_v = g * u * s * (1.0 - s)
    return g_u @ W.T + g_v @ V.T, a.T @ g_u, a.T @ g_v, g_u.sum(0), g_v.sum(0)


gated_unit.defvjp(_fwd, _bwd)

#: The gated unit as a layer type: ``--layer examples.jax_custom_vjp:Layer``.
Layer = from_jax(gated_unit, parameters=PARAMETERS, name="GatedUnit")


@jax.custom_vjp
def wrong_gated_unit(a: Any, W: Any, V: Any, b: Any, c: Any) -> Any:
    """The same gated unit, whose ``bwd`` has one mistake (see ``_wrong_bwd``)."""
    return (a @ W + b) * jax.nn.sigmoid(a @ V + c)


def _wrong_bwd(residuals: tuple[Any, ...], g: Any) -> tuple[Any, ...]:
    a, W, V, u, s = residuals
    g_u = g * s
    g_v = g * u * s * (1.0 - s)
    # The mistake: the gate's bias gets the linear branch's cotangent (a line copied
    # from the one before it); J_c^T g must be g_v.sum(0).
    return g_u @ W.T + g_v @ V.T, a.T @ g_u, a.T @ g_v, g_u.sum(0), g_u.sum(0)


wrong_gated_unit.defvjp(_fwd, _wrong_bwd)

#: ``--layer examples.jax_custom_vjp:WrongLayer``: G.param fails, naming J_c^T delta.
WrongLayer = from_jax(wrong_gated_unit, parameters=PARAMETERS, name="WrongGatedUnit")

