"""A one-dimensional convolution over several channels (valid padding, any stride and dilation)."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

import numpy as np
from hypothesis import strategies as st

from proofcheck._types import Array, Float64Array, Namespace
from proofcheck.layers._protocol import LayerMap, Parameters


class Conv1D(LayerMap):
    """``z[o, t] = sum_j sum_c K[o, c, j] a[c, s t + d j] + b[o]`` (a correlation, as in practice).

    Layout: a column of ``A : (C_in L, N)`` holds ``C_in`` channels of length
    ``L``, channel after channel (feature ``c L + t`` is channel ``c`` at
    position ``t``); ``Z : (C_out L_out, N)`` likewise. The kernel has ``w``
    taps ``d`` positions apart (the dilation ``d``) and moves ``s`` positions
    per output (the stride ``s``), so a window spans ``d (w - 1) + 1`` positions
    and ``L_out = (L - d (w - 1) - 1) // s + 1``. Parameters:
    ``K : (C_out, C_in, w)``, ``b : (C_out,)``.

    Derivation. Write ``K_j = K[:, :, j] : (C_out, C_in)`` and ``A_{p}`` for the
    ``C_in`` channels at position ``p``. Then ``Z_t = sum_j K_j A_{s t + d j} + b``:
    for each output position an affine map of a window, so L5 applies term by term.

    * Input (transposed convolution): position ``p`` of the input is read by
      the output positions ``t`` with ``s t + d j = p`` through ``K_j``, so
      ``(J_A^T delta)_p = sum_{j, t : s t + d j = p} K_j^T delta_t``. The
      transpose of each ``K_j`` is the whole point: dropping it, or sliding the
      kernel the wrong way (correlating instead of convolving), gives a
      different map. Where windows overlap (``s < d (w - 1) + 1``) an input
      position collects several terms; where they skip positions
      (``s > d (w - 1) + 1``) it collects none.
    * Weights (a correlation of the input with the output's deltas):
      ``(J_K^T delta)[:, :, j] = sum_{t, n} delta_t A_{s t + d j}^T``.
    * Bias: ``(J_b^T delta)[o] = sum_{t, n} delta[o, t]``.
    """

    name = "Conv1D"

    def __init__(self, n_in: int, in_channels: int, out_channels: int, width: int,
                 stride: int = 1, dilation: int = 1) -> None:
        super().__init__(n_in)
        if n_in % in_channels:
            raise ValueError(f"Conv1D: n_in={n_in} is not a multiple of in_channels={in_channels}")
        if stride < 1 or dilation < 1:
            raise ValueError(f"Conv1D: stride={stride} and dilation={dilation} must be >= 1")
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.width = width
        self.stride = stride
        self.dilation = dilation
        self.length = n_in // in_channels
        span = dilation * (width - 1) + 1
        if width < 1 or span > self.length:
            raise ValueError(f"Conv1D: width={width} with dilation={dilation} spans {span} "
                             f"positions; it must be at least 1 tap and at most L={self.length}")
        self.out_length = (self.length - span) // stride + 1

    @classmethod
    def settings_at(cls, point: dict[str, Float64Array]) -> Iterator[tuple[Any, ...]]:
        """The channels and width read off ``K : (C_out, C_in, w)``; every stride and
        dilation up to the input's length (a point does not record them)."""
        c_out, c_in, width = point["K"].shape
        n_in = point["a"].shape[0]
        for stride, dilation in itertools.product(range(1, n_in + 1), repeat=2):
            yield (n_in, c_in, c_out, width, stride, dilation)

    @classmethod
    def configurations(cls, n_in: int, max_width: int) -> st.SearchStrategy[LayerMap]:
        """Channels, a stride and a dilation in ``1..3`` (shrinking to 1), a kernel width
        (shrinking to two taps) and output channels, such that ``C_out L_out`` fits
        ``max_width``."""

        def out_length(length: int, width: int, stride: int, dilation: int) -> int:
            return (length - dilation * (width - 1) - 1) // stride + 1

        @st.composite
        def draw(draw: st.DrawFn) -> LayerMap:
            divisors = [c for c in range(1, n_in + 1) if n_in % c == 0]
            c_in = draw(st.sampled_from(divisors))
            length = n_in // c_in
            stride = draw(st.integers(1, 3))

            def fits(dilation: int) -> list[int]:
                """Kernel widths that fit the length and whose ``C_out L_out`` can fit
                ``max_width`` (with dilation 1, ``w = L`` always does: one position)."""
                return [w for w in range(1, length + 1) if dilation * (w - 1) < length
                        and out_length(length, w, stride, dilation) <= max_width]

            dilation = draw(st.sampled_from(
                [d for d in range(1, max(1, min(3, length - 1)) + 1) if fits(d)]))
            # Most mistakes in the products (a kernel not flipped, a tap or a stride
            # misplaced) need two taps or more, and a stride or dilation shows only
            # where the output has several positions. So the kernel widths come in
            # this order, the first drawn as often as the others and shrunk to: two
            # taps or more with several positions, then with one, then a single tap
            # (a pointwise map).
            widths = fits(dilation)
            positions = {w: out_length(length, w, stride, dilation) for w in widths}
            width = draw(st.sampled_from([w for w in widths if w > 1 and positions[w] > 1]
                                         + [w for w in widths if w > 1 and positions[w] == 1]
                                         + [w for w in widths if w == 1]))
            L_out = out_length(length, width, stride, dilation)
            c_out = draw(st.integers(1, max(1, max_width // L_out)))
            return cls(n_in, c_in, c_out, width, stride, dilation)

        return draw()

    @property
    def n_out(self) -> int:
        return self.out_channels * self.out_length

    def parameter_shapes(self) -> dict[str, tuple[int, ...]]:
        return {"K": (self.out_channels, self.in_channels, self.width), "b": (self.out_channels,)}

    def parameter_bound(self, name: str) -> float:
        return 1.0 / (self.in_channels * self.width) if name == "K" else 1.0

    def _taps(self) -> list[slice]:
        """For each tap ``j``, the input positions ``s t + d j`` it reads, ``t = 0..L_out-1``."""
        s, d, L_out = self.stride, self.dilation, self.out_length
        return [slice(d * j, d * j + s * (L_out - 1) + 1, s) for j in range(self.width)]

    def forward(self, a: Array, params: Parameters, xp: Namespace) -> Array:
        K, b = params["K"], params["b"]
        N = a.shape[1]
        A = a.reshape(self.in_channels, self.length, N)
        Z = b[:, None, None] + sum(
            xp.einsum("oc,ctn->otn", K[:, :, j], A[:, window, :])
            for j, window in enumerate(self._taps()))
        return Z.reshape(self.out_channels * self.out_length, N)

    def input_product(self, a: Float64Array, params: Parameters,
                      delta: Float64Array) -> Float64Array:
        K, N = params["K"], delta.shape[1]
        D = delta.reshape(self.out_channels, self.out_length, N)
        dA = np.zeros((self.in_channels, self.length, N))
        for j, window in enumerate(self._taps()):
            dA[:, window, :] += np.einsum("oc,otn->ctn", K[:, :, j], D)
        return dA.reshape(self.n_in, N)

    def parameter_products(self, a: Float64Array, params: Parameters,
                           delta: Float64Array) -> dict[str, Float64Array]:
        N = delta.shape[1]
        D = delta.reshape(self.out_channels, self.out_length, N)
        A = a.reshape(self.in_channels, self.length, N)
        dK = np.stack([np.einsum("otn,ctn->oc", D, A[:, window, :])
                       for window in self._taps()], axis=2)
        return {"K": dK, "b": D.sum(axis=(1, 2))}

    def describe(self) -> str:
        steps = "".join(f", {name} {value}" for name, value in
                        (("stride", self.stride), ("dilation", self.dilation)) if value > 1)
        return (f"Conv1D({self.in_channels}x{self.length} -> {self.out_channels}x"
                f"{self.out_length}, width {self.width}{steps})")
