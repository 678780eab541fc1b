"""A layer type written from scratch and checked by proofcheck: a bilinear layer.

Check it from the repository's top folder::

    proofcheck verify --layer examples.bilinear_layer:Bilinear --profile ci

proofcheck then runs the layer's own lemmas (its products against
``jax.vjp`` of its forward map: the input product in a G.step row, the
parameter products for ``U``, ``V`` and ``b`` in a G.param row) and the
generalized theorem (G.base, G.step, G.param) on networks that contain it
next to every registered layer type.
The file needs nothing but proofcheck, numpy and Hypothesis.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import strategies as st

from proofcheck.layers import LayerMap


class Bilinear(LayerMap):
    r"""``Z = (U A) * (V A) + b 1_N^T``: the product of two linear maps of the input.

    Shapes: ``A : (n_in, N)``, ``U, V : (n_out, n_in)``, ``b : (n_out,)``,
    ``Z : (n_out, N)``; ``*`` is the entrywise product. Each output unit is a
    quadratic form of its input, so the layer is not affine, and its input
    Jacobian depends on the input.

    Derivation, for the data matrix. Write ``P = U A`` and ``Q = V A``. The
    product rule for ``*`` and the differential of a linear map give

        dZ = (dU A + U dA) * Q + P * (dV A + V dA) + db 1_N^T .

    Every term is linear in one differential. For a delta ``Delta : (n_out, N)``
    the pull-back of ``dZ`` is the sum ``<Delta, dZ>`` of the entrywise
    products, and ``<Delta, X * Y> = <Delta * Y, X>`` moves the fixed factor
    over to the delta. Then, with ``<G, M dA> = <M^T G, dA>`` and
    ``<G, dM A> = <G A^T, dM>`` (L1 with ``vec``):

        J_A^T Delta = U^T (Q * Delta) + V^T (P * Delta)       (n_in, N)
        J_U^T Delta = (Q * Delta) A^T                         (n_out, n_in)
        J_V^T Delta = (P * Delta) A^T                         (n_out, n_in)
        J_b^T Delta = Delta 1_N                               (n_out,)

    The parameter products sum over the ``N`` columns, as the gradient of the
    data-matrix cost does. Dropping either term of ``J_A^T Delta`` (treating
    the layer as if only one factor depended on ``A``) is the mistake the
    lemma row would catch.
    """

    name = "Bilinear"

    def __init__(self, n_in: int, n_out: int) -> None:
        super().__init__(n_in)
        self._n_out = n_out

    @classmethod
    def configurations(cls, n_in: int, max_width: int) -> st.SearchStrategy[LayerMap]:
        return st.integers(1, max_width).map(lambda n_out: cls(n_in, n_out))

    @property
    def n_out(self) -> int:
        return self._n_out

    def parameter_shapes(self) -> dict[str, tuple[int, ...]]:
        return {"U": (self.n_out, self.n_in), "V": (self.n_out, self.n_in),
                "b": (self.n_out,)}

    def forward(self, a: Any, params: dict[str, Any], xp: Any) -> Any:
        return (params["U"] @ a) * (params["V"] @ a) + params["b"][:, None]

    def input_product(self, a: np.ndarray, params: dict[str, Any],
                      delta: np.ndarray) -> np.ndarray:
        U, V = params["U"], params["V"]
        P, Q = U @ a, V @ a
        result: np.ndarray = U.T @ (Q * delta) + V.T @ (P * delta)
        return result

    def parameter_products(self, a: np.ndarray, params: dict[str, Any],
                           delta: np.ndarray) -> dict[str, np.ndarray]:
        P, Q = params["U"] @ a, params["V"] @ a
        return {"U": (Q * delta) @ a.T, "V": (P * delta) @ a.T, "b": delta.sum(axis=1)}
