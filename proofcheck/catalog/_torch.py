"""The PyTorch entries of :mod:`proofcheck.catalog.frameworks` (imported only with PyTorch).

The catalog module passes in its record type and the gated unit's parameters
(:func:`entries`), so that this module does not import the one that imports it.
"""

from __future__ import annotations

import importlib
from typing import Any

from proofcheck.frameworks import from_torch
from proofcheck.layers import LayerMap

__all__ = ["entries"]

# By name, so that type-checking is the same without the optional extra.
torch: Any = importlib.import_module("torch")


def _gated(name: str, parameters: dict[str, tuple[str, ...]], backward: Any,
           forward: Any = None) -> type[LayerMap]:
    """The gated unit as a ``torch.autograd.Function`` with this ``backward`` (and
    ``forward``), as a layer type named ``name``."""

    def default_forward(ctx: Any, a: Any, W: Any, V: Any, b: Any, c: Any) -> Any:
        u = a @ W + b
        s = torch.sigmoid(a @ V + c)
        ctx.save_for_backward(a, W, V, u, s)
        return u * s

    function = type(name + "Function", (torch.autograd.Function,), {
        "forward": staticmethod(forward or default_forward),
        "backward": staticmethod(backward), "__module__": __name__})
    layer = from_torch(function, parameters=parameters, name=name)
    # Found by name where users (and worker processes) look: the public catalog module.
    layer.__module__ = "proofcheck.catalog.frameworks"
    return layer


def _branches(ctx: Any, g: Any) -> tuple[Any, ...]:
    a, W, V, u, s = ctx.saved_tensors
    return a, W, V, g * s, g * u * s * (1.0 - s)


def _swapped(ctx: Any, g: Any) -> Any:
    a, W, V, g_u, g_v = _branches(ctx, g)
    return g_u @ W.T + g_v @ V.T, a.T @ g_v, a.T @ g_u, g_u.sum(0), g_v.sum(0)


def _backward(ctx: Any, g: Any) -> Any:
    a, W, V, g_u, g_v = _branches(ctx, g)
    return g_u @ W.T + g_v @ V.T, a.T @ g_u, a.T @ g_v, g_u.sum(0), g_v.sum(0)


def _in_place_forward(ctx: Any, a: Any, W: Any, V: Any, b: Any, c: Any) -> Any:
    u = a @ W + b
    s = torch.sigmoid(a @ V + c)
    ctx.save_for_backward(a, W, V, u, s)
    return u.mul_(s)  # z in u's memory: the saved u is now z


def _batch_of_one(ctx: Any, g: Any) -> Any:
    a, W, V, g_u, g_v = _branches(ctx, g)
    da = g_u @ W.T + g_v @ V.T
    return da, a.T @ g_u, a.T @ g_v, g_u[0], g_v.sum(0)


def entries(record: Any, parameters: dict[str, tuple[str, ...]]) -> tuple[Any, ...]:
    """The PyTorch entries, each a ``record`` (the catalog's ``FrameworkMistake``),
    their layer types made for the gated unit's ``parameters``."""
    swapped = _gated("TorchGradientsSwapped", parameters, _swapped)
    saved = _gated("TorchSavedThenModified", parameters, _backward, _in_place_forward)
    batch_of_one = _gated("TorchBatchOfOne", parameters, _batch_of_one)
    return (
        record(
            swapped, "G.param", "TorchGradientsSwapped",
            "backward returns the gradients of W and V in each other's places",
            "parameter_products", "return da, a.T @ g_v, a.T @ g_u, db, dc",
            "backward returns one gradient per argument of forward, in forward's order, and "
            "autograd matches them by position. W and V have the same shape, so the swap passes "
            "every shape check and training updates each matrix with the other's gradient. Fix: "
            "return the gradients in the order of forward's arguments.",
            "torch", ("W", "V")),
        record(
            saved, "G.step", "TorchSavedThenModified",
            "forward saves u with ctx.save_for_backward, then computes z = u.mul_(s) in place",
            "input_product", "ctx.save_for_backward(a, W, V, u, s); return u.mul_(s)",
            "ctx.save_for_backward keeps a reference to the tensor, not a copy. Multiplying u by "
            "the gate in place to save memory leaves the saved u holding z = u * s, so backward "
            "forms g_v = g * u * s (1 - s) with z in place of u. Inside forward autograd is off "
            "and the tensor is the Function's own output, so nothing warns: the gradient is "
            "silently wrong. The input product is the first the proof uses (G.step). Fix: "
            "return u * s (a new tensor), or save a clone.",
            "torch", ("a",)),
        record(
            batch_of_one, "G.param", "TorchBatchOfOne",
            "the bias gradient is g_u[0]: right for a batch of one example only",
            "parameter_products", "g_u[0]",
            "The bias b is added to every row, so its gradient sums the rows' cotangents: "
            "J_b^T g = sum_i g_u[i]. Taking the first row (the habit of code written for one "
            "example, where g_u[0] is the whole cotangent) has the right shape and the right value "
            "at N = 1, and leaves out every other example's contribution for N > 1. Fix: "
            "g_u.sum(0).",
            "torch", ("b",)),
    )
