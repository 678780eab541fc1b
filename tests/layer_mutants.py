"""Layer types with one wrong hand-derived product each, for the generalized theorem.

Each subclasses a registered layer type and breaks one product; ``verify``
must name that layer type's lemma as the root cause. From the shell::

    proofcheck verify --layer tests.layer_mutants:Conv1DKernelNotFlipped
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numpy.typing import NDArray

from proofcheck.layers import Affine, Conv1D, Dropout, LayerNorm, Parameters, Residual, Softmax

Array = NDArray[np.float64]


class Conv1DKernelNotFlipped(Conv1D):
    """The input product slides the kernel the wrong way: a correlation where the
    transposed convolution belongs (the transpose of the Toeplitz matrix missing)."""

    def input_product(self, a: Array, params: Parameters, delta: Array) -> Array:
        K = params["K"][:, :, ::-1]
        return super().input_product(a, {**params, "K": K}, delta)


class SoftmaxWithoutOuterProduct(Softmax):
    """``J^T g = s * g``: the ``- s s^T`` term of the softmax Jacobian dropped."""

    def product(self, z: Array, a: Array, g: Array) -> Array:
        return a * g


class LayerNormWithoutMean(LayerNorm):
    """The input product without the ``- mean(g)`` term (the mean's own derivative)."""

    def input_product(self, a: Array, params: Parameters, delta: Array) -> Array:
        x, sigma = self._normalize(a, np)
        g = params["gamma"][:, None] * delta if self.learned else delta
        return np.asarray((g - x * (g * x).mean(axis=0, keepdims=True)) / sigma)


class ResidualWithoutSkip(Residual):
    """The input product ``W^T delta``: the identity of the skip connection forgotten."""

    def input_product(self, a: Array, params: Parameters, delta: Array) -> Array:
        result: Array = params["W"].T @ delta
        return result


class DropoutWithoutMask(Dropout):
    """The input product passes every unit's delta back, dropped ones too."""

    def input_product(self, a: Array, params: Parameters, delta: Array) -> Array:
        return delta.copy()


class AffineParameterProductsAveraged(Affine):
    """The parameter products average over the ``N`` columns instead of summing: the
    gradient of the mean cost divided by ``N`` once more (``Delta`` already carries the
    ``1 / N`` of the cost). Right at ``N = 1``, so only a batch of several shows it."""

    def parameter_products(self, a: Array, params: Parameters,
                           delta: Array) -> dict[str, Array]:
        N = delta.shape[1]
        return {name: value / N
                for name, value in super().parameter_products(a, params, delta).items()}


class LayerMutant(NamedTuple):
    layer: type
    root_cause: str
    layer_name: str


LAYER_CATALOG: tuple[LayerMutant, ...] = (
    LayerMutant(Conv1DKernelNotFlipped, "G.step", "Conv1D"),
    LayerMutant(SoftmaxWithoutOuterProduct, "G.base", "softmax"),
    LayerMutant(LayerNormWithoutMean, "G.step", "LayerNorm"),
    LayerMutant(ResidualWithoutSkip, "G.step", "Residual"),
    LayerMutant(DropoutWithoutMask, "G.step", "Dropout"),
    LayerMutant(AffineParameterProductsAveraged, "G.param", "Affine"),
)
