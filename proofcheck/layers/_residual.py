"""A residual affine layer, ``z = a + W a + b``."""

from __future__ import annotations

from hypothesis import strategies as st

from proofcheck._types import Array, Float64Array, Namespace
from proofcheck.layers._affine import potential
from proofcheck.layers._protocol import LayerMap, Parameters


class Residual(LayerMap):
    """``Z = A + W A + b 1_N^T`` with ``W : (n, n)``, ``b : (n,)``; ``n_out = n_in``.

    Derivation. ``dZ = dA + W dA + dW A + db 1^T``: the skip connection adds the
    identity to L5's ``J_A``, so

        J_A^T delta = delta + W^T delta                  (n, N)
        J_W^T delta = delta A^T,   J_b^T delta = delta 1_N

    Forgetting the ``delta`` of the skip connection is the classic mistake.
    """

    name = "Residual"

    @classmethod
    def configurations(cls, n_in: int, max_width: int) -> st.SearchStrategy[LayerMap]:
        return st.just(cls(n_in))

    @property
    def n_out(self) -> int:
        return self.n_in

    def parameter_shapes(self) -> dict[str, tuple[int, ...]]:
        return {"W": (self.n_in, self.n_in), "b": (self.n_in,)}

    def forward(self, a: Array, params: Parameters, xp: Namespace) -> Array:
        return a + potential(params["W"], a, params["b"], xp)

    def input_product(self, a: Float64Array, params: Parameters,
                      delta: Float64Array) -> Float64Array:
        result: Float64Array = delta + params["W"].T @ delta
        return result

    def parameter_products(self, a: Float64Array, params: Parameters,
                           delta: Float64Array) -> dict[str, Float64Array]:
        return {"W": delta @ a.T, "b": delta.sum(axis=1)}
