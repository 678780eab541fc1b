"""Softmax: an activation that is not elementwise."""

from __future__ import annotations

import numpy as np

from proofcheck._types import Array, Float64Array, Namespace
from proofcheck.layers._protocol import ActivationMap


class Softmax(ActivationMap):
    """``s = softmax(z)``, columnwise: ``s_i = e^{z_i} / sum_j e^{z_j}``.

    Evaluated as ``e^{z - max z}`` over its sum, which never overflows.

    Derivation: ``ds_i/dz_j = s_i (1[i = j] - s_j)``, so
    ``J(z) = diag(s) - s s^T``. It is symmetric, hence, per column,

        J(z)^T g = s * g - s (s^T g) = s * (g - s^T g)       (n, N)

    (``*`` elementwise; ``s^T g`` is one number per column). The product never
    forms the ``n x n`` Jacobian.
    """

    name = "softmax"

    def forward(self, z: Array, xp: Namespace) -> Array:
        e = xp.exp(z - xp.max(z, axis=0, keepdims=True))
        return e / xp.sum(e, axis=0, keepdims=True)

    def product(self, z: Float64Array, a: Float64Array, g: Float64Array) -> Float64Array:
        return np.asarray(a * (g - np.sum(a * g, axis=0, keepdims=True)), dtype=np.float64)
