"""The affine layer of the paper, ``z = W a + b``, as an ordinary layer map."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from hypothesis import strategies as st

from proofcheck._types import Array, Float64Array, Namespace
from proofcheck.layers._protocol import LayerMap, Parameters


def potential(W: Array, A_prev: Array, b: Array, xp: Namespace) -> Array:
    """The affine potential ``Z = W A + b 1_N^T``.

    Parameters
    ----------
    W : (n_l, n_{l-1})
    A_prev : (n_{l-1}, N)
    b : (n_l,)
    xp : the array namespace (numpy or jax.numpy)

    Returns
    -------
    Z : (n_l, N)
    """
    return W @ A_prev + b[:, None]


class Affine(LayerMap):
    """The affine potential ``Z = W A + b 1_N^T`` (D1, L5).

    Parameters: ``W : (n_out, n_in)``, ``b : (n_out,)``.

    Derivation (L5 and L1): ``vec(dZ) = (I_N kron W) vec(dA) + (A^T kron I) vec(dW)
    + (1_N kron I) db``. Transposing each block and undoing ``vec`` with L1::

        J_A^T delta = W^T delta                  (n_in, N)
        J_W^T delta = delta A^T                  (n_out, n_in)
        J_b^T delta = delta 1_N                  (n_out,)
    """

    name = "Affine"

    def __init__(self, n_in: int, n_out: int) -> None:
        super().__init__(n_in)
        self._n_out = n_out

    @classmethod
    def settings_at(cls, point: dict[str, Float64Array]) -> Iterator[tuple[Any, ...]]:
        """``(n_in, n_out)``, read off ``W : (n_out, n_in)``."""
        yield (point["W"].shape[1], point["W"].shape[0])

    @classmethod
    def configurations(cls, n_in: int, max_width: int) -> st.SearchStrategy[LayerMap]:
        return st.integers(1, max_width).map(lambda n_out: cls(n_in, n_out))

    @property
    def n_out(self) -> int:
        return self._n_out

    def parameter_shapes(self) -> dict[str, tuple[int, ...]]:
        return {"W": (self.n_out, self.n_in), "b": (self.n_out,)}

    def forward(self, a: Array, params: Parameters, xp: Namespace) -> Array:
        return potential(params["W"], a, params["b"], xp)

    def input_product(self, a: Float64Array, params: Parameters,
                      delta: Float64Array) -> Float64Array:
        result: Float64Array = params["W"].T @ delta
        return result

    def parameter_products(self, a: Float64Array, params: Parameters,
                           delta: Float64Array) -> dict[str, Float64Array]:
        return {"W": delta @ a.T, "b": delta.sum(axis=1)}
