"""Up-front checks of user input, with messages that name the fix.

Every public entry point that takes a network checks it here first, so that a
mistake ends in one clear :class:`~proofcheck.errors.InputError` naming the
argument, what it got and what was expected, never in a traceback from deep
inside numpy or a silent NaN.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from proofcheck._types import Float64Array
from proofcheck.activations import ACTIVATIONS
from proofcheck.costs import COSTS
from proofcheck.errors import InputError


def _describe(value: Any) -> str:
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape} and dtype {value.dtype}"
    return f"a {type(value).__name__}"


def float_array(name: str, value: Any, *, ndim: int, shape: tuple[int | None, ...] | None = None,
                shape_text: str = "") -> Float64Array:
    """Check that ``value`` is a finite float64 array of ``ndim`` dimensions.

    ``shape`` gives the expected size of each dimension (``None``: any); the
    message quotes ``shape_text`` (in the paper's notation) when it is given.
    """
    if not isinstance(value, np.ndarray):
        raise InputError(
            f"{name} must be a numpy array of dtype float64, got {_describe(value)} "
            "(convert with numpy.asarray(..., dtype=numpy.float64))"
        )
    if value.dtype != np.float64:
        raise InputError(
            f"{name} has dtype {value.dtype}; expected float64 (proofcheck compares in "
            f"float64; convert with {name}.astype(numpy.float64) if the values are real)"
        )
    expected = shape_text or ("(" + ", ".join("*" if s is None else str(s)
                                              for s in (shape or (None,) * ndim)) + ")")
    if value.ndim != ndim:
        raise InputError(f"{name} has shape {value.shape}; expected {ndim} dimensions {expected}")
    if shape is not None:
        for got, want in zip(value.shape, shape, strict=True):
            if want is not None and got != want:
                raise InputError(f"{name} has shape {value.shape}; expected {expected}")
    if not np.all(np.isfinite(value)):
        index = tuple(int(i) for i in np.argwhere(~np.isfinite(value))[0])
        raise InputError(
            f"{name} (shape {value.shape}) holds {float(value[index])!r} at index {list(index)}; "
            "every entry must be finite"
        )
    return value


def network(
    weights: Sequence[Any],
    biases: Sequence[Any],
    activations: Sequence[Any],
    cost: Any,
    X: Any,
    Y: Any,
) -> tuple[list[Float64Array], list[Float64Array], list[str], str, Float64Array, Float64Array]:
    """Check a whole network and its data (D1, D2, D4); return them typed."""
    for name, value in (("weights", weights), ("biases", biases), ("activations", activations)):
        if isinstance(value, (str, bytes, np.ndarray)) or not isinstance(value, Sequence):
            raise InputError(
                f"{name} must be a list with one entry per layer, got {_describe(value)}")
    k = len(weights)
    if k == 0:
        raise InputError("weights is empty: a network has depth k >= 1 (at least one layer)")
    if len(biases) != k or len(activations) != k:
        raise InputError(
            f"weights, biases and activations must have one entry per layer; got "
            f"{k} weights, {len(biases)} biases and {len(activations)} activations"
        )
    Ws = [float_array(f"weights[{l}] (W^{l + 1})", W, ndim=2,
                      shape_text=f"(n_{l + 1}, n_{l})") for l, W in enumerate(weights)]
    for l in range(k):
        if Ws[l].shape[0] == 0 or Ws[l].shape[1] == 0:
            raise InputError(
                f"weights[{l}] (W^{l + 1}) has shape {Ws[l].shape}; widths must be >= 1")
    for l in range(1, k):
        if Ws[l].shape[1] != Ws[l - 1].shape[0]:
            raise InputError(
                f"weights[{l}] (W^{l + 1}) has shape {Ws[l].shape} but weights[{l - 1}] "
                f"(W^{l}) has shape {Ws[l - 1].shape}; expected W^{l + 1} to have "
                f"n_{l} = {Ws[l - 1].shape[0]} columns"
            )
    bs = [float_array(f"biases[{l}] (b^{l + 1})", b, ndim=1, shape=(Ws[l].shape[0],),
                      shape_text=f"(n_{l + 1},) = ({Ws[l].shape[0]},)")
          for l, b in enumerate(biases)]
    names: list[str] = []
    for l, name in enumerate(activations):
        if not isinstance(name, str) or name not in ACTIVATIONS:
            raise InputError(
                f"activations[{l}] is {name!r}; expected one of: {', '.join(ACTIVATIONS)}"
            )
        names.append(name)
    if not isinstance(cost, str) or cost not in COSTS:
        raise InputError(f"cost is {cost!r}; expected one of: {', '.join(COSTS)}")
    n0, nk = Ws[0].shape[1], Ws[-1].shape[0]
    Xc = float_array("X", X, ndim=2, shape=(n0, None), shape_text=f"(n_0, N) = ({n0}, N)")
    N = Xc.shape[1]
    if N == 0:
        raise InputError(f"X has shape {Xc.shape}: the batch is empty; expected N >= 1 columns")
    Yc = float_array("Y", Y, ndim=2, shape=(nk, N), shape_text=f"(n_k, N) = ({nk}, {N})")
    allowed = COSTS[cost].output_activations
    if allowed is not None and names[-1] not in allowed:
        raise InputError(
            f"cost {cost!r} needs an output activation in {list(allowed)}, but "
            f"activations[{k - 1}] is {names[-1]!r}"
        )
    return Ws, bs, names, cost, Xc, Yc
