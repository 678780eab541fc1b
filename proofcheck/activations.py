"""Activation functions f (D1) with their hand-derived derivatives f' (L4).

Each activation is one :class:`Activation` entry: its forward map, written once
against an array namespace ``xp`` (numpy for the implementation, ``jax.numpy``
for the oracle), next to its derivative, derived by hand and written in numpy
only. The oracle never calls the hand-derived derivative; lemma L4 checks it
against JAX's derivative of the forward map.

Kinks
-----
``relu`` and ``leaky_relu`` are not differentiable at ``z = 0``. The package's
own ``f'`` uses the **left derivative** there: ``relu'(0) = 0`` and
``leaky_relu'(0) = 0.01``. Both forward maps are written as
``where(z > 0, ..., ...)``, so JAX's derivative at exactly ``0`` takes the
left branch too. Every value between the left and the right derivative (the
``subdifferential``) is a correct choice; which ones an implementation may use,
and how potentials near a kink are treated, is stated in
:mod:`proofcheck.numerics.error_model`.

Numerical stability
-------------------
``sigmoid`` is evaluated as ``1 / (1 + e^{-z})`` for ``z >= 0`` and as
``e^{z} / (1 + e^{z})`` for ``z < 0``, both through ``e^{-|z|}``, which never
overflows, and its derivative ``f(1 - f)`` as ``e^{-|z|} / (1 + e^{-|z|})^2``,
which keeps its relative accuracy where ``f`` rounds towards 1; ``softplus``
is ``logaddexp(0, z)``; ``elu`` takes ``expm1`` on ``[-1, 0]`` and ``e^z - 1``
below, so that JAX's derivative of it is as accurate as the hand-derived ``e^z``.
No activation warns or returns a non-finite value for any finite input.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from proofcheck._registry import Registry
from proofcheck._types import Array, Float64Array, Namespace

__all__ = ["ACTIVATIONS", "Activation"]

#: Slope of ``leaky_relu`` below zero.
LEAKY_SLOPE = 0.01
#: ``alpha`` of ``elu``: ``elu(z) = alpha (e^z - 1)`` below zero.
ELU_ALPHA = 1.0


@dataclass(frozen=True)
class Activation:
    """An elementwise activation function and its hand-derived derivative.

    Attributes
    ----------
    name : str
        The name users and implementations refer to it by.
    formula : str
        ``f(z)`` and ``f'(z)`` in one line of plain-text mathematics.
    forward : callable ``(z, xp) -> a``
        ``f`` applied elementwise; ``z`` and ``a`` have the same shape
        ``(n_l, N)``. Written against the namespace ``xp``.
    derivative : callable ``(z) -> f'(z)``
        The hand-derived derivative, numpy only, same shape as ``z``.
    kink : float or None
        The point where ``f`` is not differentiable, or ``None``. The hand-derived
        ``f'`` takes the left derivative there.
    subdifferential : (float, float) or None
        The left and the right derivative at the kink: every value between them
        is a correct ``f'(kink)`` (see :mod:`proofcheck.numerics.error_model` for the
        conventions an implementation may use).
    range : (float, float)
        The closed interval ``f`` maps into (``[0, 1]`` for the sigmoid); a
        forward formula's value is correct only inside it (see
        :mod:`proofcheck.numerics.forward_precision`).
    """

    name: str
    formula: str
    forward: Callable[[Array, Namespace], Array]
    derivative: Callable[[Float64Array], Float64Array]
    kink: float | None = None
    subdifferential: tuple[float, float] | None = None
    range: tuple[float, float] = (-math.inf, math.inf)

    def __call__(self, z: Float64Array) -> Float64Array:
        """Evaluate ``f(z)`` with numpy. ``z : (n_l, N)``."""
        return np.asarray(self.forward(z, np), dtype=np.float64)


ACTIVATIONS: Registry[Activation] = Registry("activation")



# --- forward maps, written once for numpy and jax.numpy ---------------------


def _identity(z: Array, xp: Namespace) -> Array:
    return z


def _sigmoid(z: Array, xp: Namespace) -> Array:
    e = xp.exp(-xp.abs(z))  # in (0, 1]: never overflows
    return xp.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def _tanh(z: Array, xp: Namespace) -> Array:
    return xp.tanh(z)


def _relu(z: Array, xp: Namespace) -> Array:
    return xp.where(z > 0, z, 0.0 * z)


def _leaky_relu(z: Array, xp: Namespace) -> Array:
    return xp.where(z > 0, z, LEAKY_SLOPE * z)


def _softplus(z: Array, xp: Namespace) -> Array:
    return xp.logaddexp(0.0, z)


def _elu(z: Array, xp: Namespace) -> Array:
    # Below -1, e^z - 1 is written with exp: it is accurate there (the result is at
    # least 1 - 1/e in size), and JAX differentiates it to the exact e^z, where the
    # derivative of expm1, expm1(z) + 1, keeps only an absolute accuracy of u (a
    # relative error of 1e-4 at z = -30). Near zero expm1 keeps the digits of a
    # small e^z - 1. Each branch sees clipped inputs, so no branch overflows.
    near = xp.where(z > 0, 0.0 * z, xp.where(z < -1.0, 0.0 * z - 1.0, z))  # in [-1, 0]
    far = xp.where(z < -1.0, z, 0.0 * z - 1.0)  # <= -1
    negative = xp.where(z < -1.0, xp.exp(far) - 1.0, xp.expm1(near))
    return xp.where(z > 0, z, ELU_ALPHA * negative)


def _sin(z: Array, xp: Namespace) -> Array:
    return xp.sin(z)


# --- hand-derived derivatives, numpy only -------------------------------------


def _d_identity(z: Float64Array) -> Float64Array:
    return np.ones_like(z)


def _d_sigmoid(z: Float64Array) -> Float64Array:
    # s (1 - s), written as e / (1 + e)^2 with e = e^{-|z|} (f' is even): the
    # product form loses every digit of 1 - s when s rounds close to 1.
    e = np.exp(-np.abs(z))
    result: Float64Array = e / ((1.0 + e) * (1.0 + e))
    return result


def _d_tanh(z: Float64Array) -> Float64Array:
    t = np.tanh(z)
    return 1.0 - t * t


def _d_relu(z: Float64Array) -> Float64Array:
    return (z > 0).astype(np.float64)


def _d_leaky_relu(z: Float64Array) -> Float64Array:
    return np.asarray(np.where(z > 0, 1.0, LEAKY_SLOPE), dtype=np.float64)


def _d_softplus(z: Float64Array) -> Float64Array:
    return np.asarray(_sigmoid(z, np))


def _d_elu(z: Float64Array) -> Float64Array:
    return np.asarray(np.where(z > 0, 1.0, ELU_ALPHA * np.exp(np.minimum(z, 0.0))),
                      dtype=np.float64)


def _d_sin(z: Float64Array) -> Float64Array:
    return np.cos(z)


ACTIVATIONS.register(Activation("identity", "f(z) = z; f'(z) = 1", _identity, _d_identity))
ACTIVATIONS.register(Activation(
    "sigmoid", "f(z) = 1 / (1 + e^-z); f'(z) = f(z) (1 - f(z)) = e^-|z| / (1 + e^-|z|)^2",
    _sigmoid, _d_sigmoid, range=(0.0, 1.0)))
ACTIVATIONS.register(Activation("tanh", "f(z) = tanh z; f'(z) = 1 - tanh^2 z", _tanh, _d_tanh,
                                range=(-1.0, 1.0)))
ACTIVATIONS.register(Activation(
    "relu", "f(z) = max(z, 0); f'(z) = 1 if z > 0 else 0", _relu, _d_relu, kink=0.0,
    subdifferential=(0.0, 1.0), range=(0.0, math.inf)))
ACTIVATIONS.register(Activation(
    "leaky_relu", "f(z) = z if z > 0 else 0.01 z; f'(z) = 1 if z > 0 else 0.01",
    _leaky_relu, _d_leaky_relu, kink=0.0, subdifferential=(LEAKY_SLOPE, 1.0)))
ACTIVATIONS.register(Activation(
    "softplus", "f(z) = log(1 + e^z); f'(z) = 1 / (1 + e^-z)", _softplus, _d_softplus,
    range=(0.0, math.inf)))
ACTIVATIONS.register(Activation(
    "elu", "f(z) = z if z > 0 else e^z - 1; f'(z) = 1 if z > 0 else e^z", _elu, _d_elu,
    range=(-ELU_ALPHA, math.inf)))
ACTIVATIONS.register(Activation("sin", "f(z) = sin z; f'(z) = cos z", _sin, _d_sin,
                                range=(-1.0, 1.0)))
