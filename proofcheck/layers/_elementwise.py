"""The elementwise activations of the paper as ordinary activation maps."""

from __future__ import annotations

from proofcheck._types import Array, Float64Array, Namespace
from proofcheck.activations import ACTIVATIONS
from proofcheck.layers._protocol import ActivationMap


class Elementwise(ActivationMap):
    """An elementwise activation ``f`` of :data:`proofcheck.ACTIVATIONS` (L4).

    Derivation (L4): ``J^f(z) = diag(f'(z))``, which is symmetric, so
    ``J^f(z)^T g = f'(z) * g`` (elementwise), with the hand-derived ``f'``.
    """

    name = "elementwise"

    def __init__(self, activation: str) -> None:
        self.activation = ACTIVATIONS[activation]

    def forward(self, z: Array, xp: Namespace) -> Array:
        return self.activation.forward(z, xp)

    def product(self, z: Float64Array, a: Float64Array, g: Float64Array) -> Float64Array:
        return self.activation.derivative(z) * g

    def describe(self) -> str:
        return self.activation.name
