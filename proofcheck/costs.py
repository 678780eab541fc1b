"""Costs c(a^k, y) (D2) with their hand-derived output gradients (L6).

A :class:`Cost` is written per example and vectorised over the columns of a
data matrix: ``forward(A, Y, xp)`` returns the row of per-example costs
``c(A_{:,i}, Y_{:,i})``, shape ``(N,)``; ``gradient(A, Y)`` returns the
hand-derived ``grad_a c`` of each example as the columns of an
``(n_k, N)`` matrix. The mean cost ``C`` of D4 and its gradient
``dC/dA^k = gradient(A, Y) / N`` are formed in :mod:`proofcheck.network`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from proofcheck._registry import Registry
from proofcheck._types import Array, Float64Array, Namespace
from proofcheck.errors import InputError

__all__ = ["COSTS", "Cost"]


@dataclass(frozen=True)
class Cost:
    """A cost function and its hand-derived gradient with respect to the output.

    Attributes
    ----------
    name : str
        The name users and implementations refer to it by.
    formula : str
        ``c(a, y)`` and ``grad_a c`` in one line of plain-text mathematics.
    forward : callable ``(A, Y, xp) -> c``
        ``A, Y : (n_k, N)`` to the per-example costs ``c : (N,)``; written
        against the namespace ``xp``.
    gradient : callable ``(A, Y) -> G``
        Hand-derived, numpy only: ``G[:, i] = grad_a c(A[:, i], Y[:, i])``,
        ``G : (n_k, N)``.
    validate : callable ``(A, Y) -> None``
        Raises :class:`~proofcheck.errors.InputError` when ``(A, Y)`` is
        outside the cost's domain.
    neutral : tuple of float
        An ``(a, y)`` pair inside the domain; the oracle puts it in padded
        entries so that they add nothing to the gradient.
    target_range : tuple of float
        The interval targets are drawn from by the strategies.
    output_activations : tuple of str or None
        The output activations this cost is defined for (``None``: any).
    targets : {"box", "simplex"}
        How the strategies draw targets: uniformly in :attr:`target_range`
        (``"box"``) or as probability vectors, one per column (``"simplex"``).
    domain : tuple of float
        The open interval of outputs ``a`` where ``grad_a c`` is defined
        (``(0, 1)`` for binary cross-entropy); unbounded by default.
    """

    name: str
    formula: str
    forward: Callable[[Array, Array, Namespace], Array]
    gradient: Callable[[Float64Array, Float64Array], Float64Array]
    validate: Callable[[Float64Array, Float64Array], None]
    neutral: tuple[float, float]
    target_range: tuple[float, float]
    output_activations: tuple[str, ...] | None = None
    targets: str = "box"
    domain: tuple[float, float] = (-math.inf, math.inf)

    def __call__(self, A: Float64Array, Y: Float64Array) -> Float64Array:
        """Per-example costs with numpy, after :attr:`validate`. ``(n_k, N) -> (N,)``."""
        self.validate(A, Y)
        return np.asarray(self.forward(A, Y, np), dtype=np.float64)


COSTS: Registry[Cost] = Registry("cost")



# --- squared error -----------------------------------------------------------


def _squared_error(A: Array, Y: Array, xp: Namespace) -> Array:
    D = A - Y
    return 0.5 * xp.sum(D * D, axis=0)


def _d_squared_error(A: Float64Array, Y: Float64Array) -> Float64Array:
    return A - Y


def _validate_nothing(A: Float64Array, Y: Float64Array) -> None:
    return None


# --- binary cross-entropy ------------------------------------------------------


def _binary_cross_entropy(A: Array, Y: Array, xp: Namespace) -> Array:
    return -xp.sum(Y * xp.log(A) + (1.0 - Y) * xp.log1p(-A), axis=0)


def _d_binary_cross_entropy(A: Float64Array, Y: Float64Array) -> Float64Array:
    return (A - Y) / (A * (1.0 - A))


def _validate_binary_cross_entropy(A: Float64Array, Y: Float64Array) -> None:
    outside = (Y < 0.0) | (Y > 1.0) | ~np.isfinite(Y)
    if np.any(outside):
        index = tuple(int(i) for i in np.argwhere(outside)[0])
        raise InputError(
            f"binary_cross_entropy: target Y has shape {Y.shape} and Y{list(index)} = "
            f"{float(Y[index])!r}; every target must lie in [0, 1]"
        )
    at_edge = (A <= 0.0) | (A >= 1.0) | ~np.isfinite(A)
    if np.any(at_edge):
        index = tuple(int(i) for i in np.argwhere(at_edge)[0])
        raise InputError(
            f"binary_cross_entropy: output A^k has shape {A.shape} and A^k{list(index)} = "
            f"{float(A[index])!r}; every output must lie strictly inside (0, 1) (use a sigmoid "
            "output layer whose potentials are not so large that it rounds to 0 or 1)"
        )


COSTS.register(Cost(
    "squared_error", "c(a, y) = 1/2 ||a - y||^2; grad_a c = a - y",
    _squared_error, _d_squared_error, _validate_nothing,
    neutral=(0.0, 0.0), target_range=(-1.0, 1.0)))
COSTS.register(Cost(
    "binary_cross_entropy",
    "c(a, y) = -sum_i [y_i log a_i + (1 - y_i) log(1 - a_i)]; grad_a c = (a - y) / (a (1 - a))",
    _binary_cross_entropy, _d_binary_cross_entropy, _validate_binary_cross_entropy,
    neutral=(0.5, 0.5), target_range=(0.0, 1.0), output_activations=("sigmoid",),
    domain=(0.0, 1.0)))


# --- categorical cross-entropy (with a softmax output, see proofcheck.layers) ---------


def _categorical_cross_entropy(A: Array, Y: Array, xp: Namespace) -> Array:
    return -xp.sum(Y * xp.log(A), axis=0)


def _d_categorical_cross_entropy(A: Float64Array, Y: Float64Array) -> Float64Array:
    return -Y / A


def _validate_categorical_cross_entropy(A: Float64Array, Y: Float64Array) -> None:
    if np.any((Y < 0.0) | ~np.isfinite(Y)):
        index = tuple(int(i) for i in np.argwhere((Y < 0.0) | ~np.isfinite(Y))[0])
        raise InputError(
            f"categorical_cross_entropy: target Y has shape {Y.shape} and Y{list(index)} = "
            f"{float(Y[index])!r}; targets must be finite and >= 0 (probabilities)")
    bad = (A <= 0.0) | (A > 1.0) | ~np.isfinite(A)
    if np.any(bad):
        index = tuple(int(i) for i in np.argwhere(bad)[0])
        raise InputError(
            f"categorical_cross_entropy: output A^k has shape {A.shape} and A^k{list(index)} = "
            f"{float(A[index])!r}; outputs must lie in (0, 1] (a softmax output layer)")


COSTS.register(Cost(
    "categorical_cross_entropy", "c(a, y) = -sum_i y_i log a_i; grad_a c = -y / a",
    _categorical_cross_entropy, _d_categorical_cross_entropy,
    _validate_categorical_cross_entropy, neutral=(1.0, 0.0), target_range=(0.0, 1.0),
    output_activations=("softmax",), targets="simplex", domain=(0.0, math.inf)))
