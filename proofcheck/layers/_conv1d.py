"""A one-dimensional convolution over several channels (valid padding, stride 1)."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from proofcheck._xp import Array, Namespace
from proofcheck.layers._protocol import Float64Array, LayerMap, Parameters


class Conv1D(LayerMap):
    """``z[o, t] = sum_j sum_c K[o, c, j] a[c, t + j] + b[o]`` (a correlation, as in practice).

    Layout: a column of ``A : (C_in L, N)`` holds ``C_in`` channels of length
    ``L``, channel after channel (feature ``c L + t`` is channel ``c`` at
    position ``t``); ``Z : (C_out L_out, N)`` likewise with ``L_out = L - w + 1``.
    Parameters: ``K : (C_out, C_in, w)``, ``b : (C_out,)``.

    Derivation. Write ``K_j = K[:, :, j] : (C_out, C_in)`` and ``A_{t}`` for the
    ``C_in`` channels at position ``t``. Then ``Z_t = sum_j K_j A_{t+j} + b``: for
    each output position an affine map of a window, so L5 applies term by term.

    * Input (transposed convolution): position ``s`` of the input is read by
      the output positions ``t = s - j`` through ``K_j``, so
      ``(J_A^T delta)_s = sum_j K_j^T delta_{s-j}`` (terms with ``s - j`` outside
      ``0..L_out-1`` are absent). The transpose of each ``K_j`` is the whole
      point: dropping it, or sliding the kernel the wrong way (correlating
      instead of convolving), gives a different map.
    * Weights (a correlation of the input with the output's deltas):
      ``(J_K^T delta)[:, :, j] = sum_{t, n} delta_t A_{t+j}^T``.
    * Bias: ``(J_b^T delta)[o] = sum_{t, n} delta[o, t]``.
    """

    name = "Conv1D"

    def __init__(self, n_in: int, in_channels: int, out_channels: int, width: int) -> None:
        super().__init__(n_in)
        if n_in % in_channels:
            raise ValueError(f"Conv1D: n_in={n_in} is not a multiple of in_channels={in_channels}")
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.width = width
        self.length = n_in // in_channels
        if not 1 <= width <= self.length:
            raise ValueError(f"Conv1D: width={width} must lie in 1..L={self.length}")
        self.out_length = self.length - width + 1

    @classmethod
    def configurations(cls, n_in: int, max_width: int) -> st.SearchStrategy[LayerMap]:
        @st.composite
        def draw(draw: st.DrawFn) -> LayerMap:
            divisors = [c for c in range(1, n_in + 1) if n_in % c == 0]
            c_in = draw(st.sampled_from(divisors))
            length = n_in // c_in
            width = draw(st.integers(max(1, length - max_width + 1), length))
            out_length = length - width + 1
            c_out = draw(st.integers(1, max(1, max_width // out_length)))
            return cls(n_in, c_in, c_out, width)

        return draw()

    @property
    def n_out(self) -> int:
        return self.out_channels * self.out_length

    def parameter_shapes(self) -> dict[str, tuple[int, ...]]:
        return {"K": (self.out_channels, self.in_channels, self.width), "b": (self.out_channels,)}

    def parameter_bound(self, name: str) -> float:
        return 1.0 / (self.in_channels * self.width) if name == "K" else 1.0

    def forward(self, a: Array, params: Parameters, xp: Namespace) -> Array:
        K, b = params["K"], params["b"]
        N = a.shape[1]
        A = a.reshape(self.in_channels, self.length, N)
        L_out = self.out_length
        Z = b[:, None, None] + sum(
            xp.einsum("oc,ctn->otn", K[:, :, j], A[:, j:j + L_out, :]) for j in range(self.width))
        return Z.reshape(self.out_channels * L_out, N)

    def input_product(self, a: Float64Array, params: Parameters,
                      delta: Float64Array) -> Float64Array:
        K, N, L_out = params["K"], delta.shape[1], self.out_length
        D = delta.reshape(self.out_channels, L_out, N)
        dA = np.zeros((self.in_channels, self.length, N))
        for j in range(self.width):
            dA[:, j:j + L_out, :] += np.einsum("oc,otn->ctn", K[:, :, j], D)
        return dA.reshape(self.n_in, N)

    def parameter_products(self, a: Float64Array, params: Parameters,
                           delta: Float64Array) -> dict[str, Float64Array]:
        N, L_out = delta.shape[1], self.out_length
        D = delta.reshape(self.out_channels, L_out, N)
        A = a.reshape(self.in_channels, self.length, N)
        dK = np.stack([np.einsum("otn,ctn->oc", D, A[:, j:j + L_out, :])
                       for j in range(self.width)], axis=2)
        return {"K": dK, "b": D.sum(axis=(1, 2))}

    def describe(self) -> str:
        return (f"Conv1D({self.in_channels}x{self.length} -> {self.out_channels}x"
                f"{self.out_length}, width {self.width})")
