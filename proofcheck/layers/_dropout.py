"""Dropout with a fixed mask: a linear layer, so the check is exact."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from numbers import Real
from typing import Any, ClassVar

import numpy as np
from hypothesis import strategies as st

from proofcheck._types import Array, Float64Array, Namespace
from proofcheck.errors import InputError
from proofcheck.layers._protocol import LayerMap, Parameters


class Dropout(LayerMap):
    """``z = m * a`` with a fixed mask ``m : (n,)``, ``m_i`` in ``{0, 1 / (1 - p)}``.

    Training draws a new mask for every step; for one step the mask is a
    constant, and Hypothesis draws it. The map is linear and diagonal,
    ``J_a = diag(m)``, so ``J_a^T delta = m * delta`` (the dropped units pass
    no gradient back) and there are no parameters.

    Raises
    ------
    proofcheck.errors.InputError
        If ``p`` is not a real number with ``0 <= p < 1`` (``p = 1`` would drop
        every unit and scale the kept ones by ``1 / 0``).
    """

    name = "Dropout"
    #: The probabilities ``p`` of dropping a unit that configurations draw.
    probabilities: ClassVar[tuple[float, ...]] = (0.5, 0.25, 0.1)

    def __init__(self, n_in: int, keep: tuple[bool, ...], p: float) -> None:
        if not _is_probability_below_one(p):
            raise InputError(f"Dropout: p={p!r} must be a real number with 0 <= p < 1 "
                             "(the probability of dropping a unit)")
        super().__init__(n_in)
        self.keep = keep
        self.p = p
        self.mask = np.where(np.array(keep, dtype=bool), 1.0 / (1.0 - p), 0.0)

    @classmethod
    def configurations(cls, n_in: int, max_width: int) -> st.SearchStrategy[LayerMap]:
        return st.builds(lambda keep, p: cls(n_in, tuple(keep), p),
                         st.lists(st.booleans(), min_size=n_in, max_size=n_in),
                         st.sampled_from(cls.probabilities))

    @classmethod
    def settings_at(cls, point: dict[str, Float64Array]) -> Iterator[tuple[Any, ...]]:
        """Every mask of the input's width with every drawn probability (a point does
        not record them)."""
        n_in = point["a"].shape[0]
        for keep in itertools.product((True, False), repeat=n_in):
            for p in cls.probabilities:
                yield (n_in, keep, p)

    @property
    def n_out(self) -> int:
        return self.n_in

    def parameter_shapes(self) -> dict[str, tuple[int, ...]]:
        return {}

    def forward(self, a: Array, params: Parameters, xp: Namespace) -> Array:
        return xp.asarray(self.mask)[:, None] * a

    def input_product(self, a: Float64Array, params: Parameters,
                      delta: Float64Array) -> Float64Array:
        return self.mask[:, None] * delta

    def parameter_products(self, a: Float64Array, params: Parameters,
                           delta: Float64Array) -> dict[str, Float64Array]:
        return {}

    def describe(self) -> str:
        kept = "".join("1" if k else "0" for k in self.keep)
        return f"Dropout({self.n_in}, p={self.p}, mask {kept})"


def _is_probability_below_one(p: object) -> bool:
    """Whether ``p`` is a real number (not a bool) with ``0 <= p < 1``; NaN is not."""
    return isinstance(p, Real) and not isinstance(p, bool) and 0.0 <= float(p) < 1.0
