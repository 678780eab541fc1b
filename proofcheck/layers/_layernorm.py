"""Layer normalization over the features of each example."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
from hypothesis import strategies as st

from proofcheck._types import Array, Float64Array, Namespace
from proofcheck.layers._protocol import LayerMap, Parameters

#: Added to the variance before the square root.
EPSILON = 1e-5


class LayerNorm(LayerMap):
    """``z = gamma * (a - mu) / sigma + beta`` per column, or ``z = (a - mu) / sigma``.

    For one column ``a : (n,)``: ``mu = (1/n) 1^T a``, ``v = (1/n) ||a - mu 1||^2``,
    ``sigma = sqrt(v + eps)``, ``x = (a - mu 1) / sigma``. Parameters (with
    ``learned=True``): ``gamma, beta : (n,)``.

    Derivation. ``d(a - mu 1) = (I - (1/n) 1 1^T) da`` and
    ``d sigma = (1/(n sigma)) (a - mu 1)^T da = (1/n) x^T da``, so

        dx = (1/sigma) (I - (1/n) 1 1^T - (1/n) x x^T) da.

    The bracket is symmetric, hence with ``g = gamma * delta`` (or ``delta``)

        J_a^T delta = (g - mean(g) 1 - mean(g * x) x) / sigma          (n, N)

    and ``J_gamma^T delta = sum_n delta * x``, ``J_beta^T delta = sum_n delta``.
    """

    name = "LayerNorm"

    def __init__(self, n_in: int, learned: bool) -> None:
        super().__init__(n_in)
        self.learned = learned

    @classmethod
    def settings_at(cls, point: dict[str, Float64Array]) -> Iterator[tuple[Any, ...]]:
        """The input's width, and whether the point has the learned ``gamma``."""
        yield (point["a"].shape[0], "gamma" in point)

    @classmethod
    def configurations(cls, n_in: int, max_width: int) -> st.SearchStrategy[LayerMap]:
        return st.booleans().map(lambda learned: cls(n_in, learned))

    @property
    def n_out(self) -> int:
        return self.n_in

    def parameter_shapes(self) -> dict[str, tuple[int, ...]]:
        return {"gamma": (self.n_in,), "beta": (self.n_in,)} if self.learned else {}

    def _normalize(self, a: Array, xp: Namespace) -> tuple[Array, Array]:
        # Centred about the first feature before the mean is taken: the same x, but an
        # example whose features are all equal centres to exactly 0 in any program. XLA
        # divides a sum by n as a product with 1/n, so the mean of seven 0.5s came out
        # as 0.49999999999999994, and a - mu over sqrt(eps) reached 1.8e-14 where numpy
        # has 0: the oracle's deltas were that noise, and the G rows raised false alarms.
        shifted = a - a[:1]
        centred = shifted - xp.mean(shifted, axis=0, keepdims=True)
        sigma = xp.sqrt(xp.mean(centred * centred, axis=0, keepdims=True) + EPSILON)
        return centred / sigma, sigma

    def forward(self, a: Array, params: Parameters, xp: Namespace) -> Array:
        x, _ = self._normalize(a, xp)
        if not self.learned:
            return x
        return params["gamma"][:, None] * x + params["beta"][:, None]

    def input_product(self, a: Float64Array, params: Parameters,
                      delta: Float64Array) -> Float64Array:
        x, sigma = self._normalize(a, np)
        g = params["gamma"][:, None] * delta if self.learned else delta
        return np.asarray((g - g.mean(axis=0, keepdims=True)
                           - x * (g * x).mean(axis=0, keepdims=True)) / sigma)

    def parameter_products(self, a: Float64Array, params: Parameters,
                           delta: Float64Array) -> dict[str, Float64Array]:
        if not self.learned:
            return {}
        x, _ = self._normalize(a, np)
        return {"gamma": (delta * x).sum(axis=1), "beta": delta.sum(axis=1)}

    def describe(self) -> str:
        return f"LayerNorm({self.n_in}{', learned scale and shift' if self.learned else ''})"
