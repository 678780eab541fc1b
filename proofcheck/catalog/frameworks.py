"""Mistakes framework users make in a custom backward rule, each a layer type to check.

Every entry is a gated unit ``z = (a W + b) * sigmoid(a V + c)`` (one example
per row, as framework code writes it) whose hand-written rule has one mistake
of a kind that ``jax.custom_vjp`` and ``torch.autograd.Function`` users make,
made a layer type by :func:`proofcheck.frameworks.from_jax` or
:func:`~proofcheck.frameworks.from_torch`. Each names the step whose lemma row must
fail (the root cause ``proofcheck verify`` diagnoses) and the argument whose
cotangent is wrong (the product at fault). Any entry can be checked from the
shell::

    proofcheck verify --layer proofcheck.catalog.frameworks:JaxGradientsSwapped

:data:`FRAMEWORK_CATALOG` lists them: the JAX entries always, the PyTorch
entries when PyTorch is installed (``pip install "proofcheck[torch]"``).
:func:`framework_check` runs the framework's own checker (``check_grads``,
``gradcheck``) on an entry, for the comparison in the docs' guide "Checking a
custom backward pass" (made by the docs' own ``docs/_ext/framework_comparison.py``,
which runs ``verify`` on each entry: this module is what the diagnosis reads, below
the engine).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from proofcheck.errors import one_line
from proofcheck.frameworks import from_jax
from proofcheck.layers import LayerMap
from proofcheck.steps import get_step

__all__ = [
    "FRAMEWORK_CATALOG",
    "GATED_UNIT",
    "FrameworkMistake",
    "JaxBiasNotSummed",
    "JaxGradientsSwapped",
    "JaxOuterForOneExample",
    "JaxStaleResiduals",
    "framework_check",
]

#: The gated unit's arguments, for ``from_jax`` and ``from_torch``.
GATED_UNIT = {"W": ("n_in", "n_out"), "V": ("n_in", "n_out"), "b": ("n_out",),
              "c": ("n_out",)}


class FrameworkMistake(NamedTuple):
    """One mistake in a custom backward rule: a layer mistake's fields, and two more.

    Attributes
    ----------
    layer : type
        The wrong layer type (``--layer proofcheck.catalog.frameworks:NAME``).
    root_cause : str
        The step ID whose lemma row ``verify`` diagnoses.
    layer_name : str
        The layer type's ``name``, as report rows name it.
    mistake : str
        What is wrong, in one line.
    function : str
        The product that holds the mistake: ``"input_product"`` or
        ``"parameter_products"``.
    code : str
        The mistaken line of the rule.
    explanation : str
        One paragraph: what the mistake is, why it is wrong, how to fix it.
    framework : {"jax", "torch"}
    arguments : tuple of str
        The arguments whose cotangents are wrong; the failing row's
        counterexample names one of them.
    """

    layer: type
    root_cause: str
    layer_name: str
    mistake: str
    function: str
    code: str
    explanation: str
    framework: str
    arguments: tuple[str, ...]

    @property
    def name(self) -> str:
        """The entry's attribute name in this module."""
        return self.layer.__name__

    @property
    def docs(self) -> str:
        """The docs section of the root cause's step, as a relative URL."""
        return get_step(self.root_cause).docs_url()


# --- JAX ---------------------------------------------------------------------------


def gated_unit(a: Any, W: Any, V: Any, b: Any, c: Any) -> Any:
    return (a @ W + b) * jax.nn.sigmoid(a @ V + c)


def _fwd(a: Any, W: Any, V: Any, b: Any, c: Any) -> tuple[Any, tuple[Any, ...]]:
    u, s = a @ W + b, jax.nn.sigmoid(a @ V + c)
    return u * s, (a, W, V, u, s)


def _jax_gated(name: str, bwd: Callable[..., Any],
               fwd: Callable[..., Any] = _fwd) -> type[LayerMap]:
    """The gated unit as a ``jax.custom_vjp`` with the rule ``fwd``, ``bwd``, as a layer type."""
    fn = jax.custom_vjp(gated_unit)
    fn.defvjp(fwd, bwd)
    layer = from_jax(fn, parameters=GATED_UNIT, name=name)
    layer.__module__ = __name__
    return layer


def _branches(residuals: tuple[Any, ...], g: Any) -> tuple[Any, ...]:
    a, W, V, u, s = residuals
    return a, W, V, g * s, g * u * s * (1.0 - s)


def _swapped_bwd(residuals: tuple[Any, ...], g: Any) -> tuple[Any, ...]:
    a, W, V, g_u, g_v = _branches(residuals, g)
    return g_u @ W.T + g_v @ V.T, a.T @ g_v, a.T @ g_u, g_u.sum(0), g_v.sum(0)


def _not_summed_bwd(residuals: tuple[Any, ...], g: Any) -> tuple[Any, ...]:
    a, W, V, g_u, g_v = _branches(residuals, g)
    return g_u @ W.T + g_v @ V.T, a.T @ g_u, a.T @ g_v, g_u, g_v.sum(0)


def _outer_bwd(residuals: tuple[Any, ...], g: Any) -> tuple[Any, ...]:
    a, W, V, g_u, g_v = _branches(residuals, g)
    return g_u @ W.T + g_v @ V.T, jnp.outer(a, g_u), a.T @ g_v, g_u.sum(0), g_v.sum(0)


def _stale_fwd(a: Any, W: Any, V: Any, b: Any, c: Any) -> tuple[Any, tuple[Any, ...]]:
    u = a @ W + b
    return gated_unit(a, W, V, b, c), (a, W, V, u, jax.nn.sigmoid(a @ V))


def _bwd(residuals: tuple[Any, ...], g: Any) -> tuple[Any, ...]:
    a, W, V, g_u, g_v = _branches(residuals, g)
    return g_u @ W.T + g_v @ V.T, a.T @ g_u, a.T @ g_v, g_u.sum(0), g_v.sum(0)


JaxGradientsSwapped = _jax_gated("JaxGradientsSwapped", _swapped_bwd)
JaxBiasNotSummed = _jax_gated("JaxBiasNotSummed", _not_summed_bwd)
JaxOuterForOneExample = _jax_gated("JaxOuterForOneExample", _outer_bwd)
JaxStaleResiduals = _jax_gated("JaxStaleResiduals", _bwd, _stale_fwd)

_JAX: tuple[FrameworkMistake, ...] = (
    FrameworkMistake(
        JaxGradientsSwapped, "G.param", "JaxGradientsSwapped",
        "bwd returns the cotangents of W and V in each other's places",
        "parameter_products", "return da, a.T @ g_v, a.T @ g_u, db, dc",
        "A custom_vjp's bwd returns one cotangent per argument of the primal, in the "
        "primal's order; JAX matches them by position only. W and V have the same shape, so "
        "returning V's gradient where W's belongs raises nothing: every shape fits and "
        "training silently updates each matrix with the other's gradient. The parameter "
        "products J_W^T g = a^T g_u and J_V^T g = a^T g_v differ wherever the gate is not "
        "constant. Fix: return the cotangents in the order of the primal's arguments.",
        "jax", ("W", "V")),
    FrameworkMistake(
        JaxBiasNotSummed, "G.param", "JaxBiasNotSummed",
        "the cotangent of the broadcast bias b is not summed over the batch",
        "parameter_products", "return da, dW, dV, g_u, dc",
        "The bias b : (n_out,) is added to every row of a W, so it receives the cotangent "
        "of every example: J_b^T g = sum_i g_u[i], a sum over the N rows (the transpose of "
        "broadcasting is a sum). Returning g_u itself gives an (N, n_out) array where an "
        "(n_out,) one belongs. JAX refuses it when the rule runs (a shape error), proofcheck "
        "names the argument and both shapes. Fix: g_u.sum(0).",
        "jax", ("b",)),
    FrameworkMistake(
        JaxOuterForOneExample, "G.param", "JaxOuterForOneExample",
        "dW = jnp.outer(a, g_u): right for a batch of one example only",
        "parameter_products", "jnp.outer(a, g_u)",
        "For one example a : (1, n_in), the weight gradient is the outer product "
        "a^T g_u, and jnp.outer(a, g_u), which flattens its arguments, computes exactly that. "
        "For N examples it flattens the whole batch and returns an (N n_in, N n_out) array; "
        "the gradient of the summed cost is a^T g_u, an (n_in, n_out) sum of N outer "
        "products. A rule tested on one example passes; on a batch it fails. Fix: a.T @ g_u.",
        "jax", ("W",)),
    FrameworkMistake(
        JaxStaleResiduals, "G.step", "JaxStaleResiduals",
        "fwd saves the gate s = sigmoid(a V) without c: residuals differ from the primal's",
        "input_product", "residuals (a, W, V, u, sigmoid(a @ V))",
        "fwd must return the primal's output and the residuals of that same computation. "
        "Here the output is the primal's (so the network's values are right and nothing "
        "looks wrong in the forward pass), but the saved gate leaves out the bias c, so "
        "every cotangent bwd forms from it is the derivative at another point. The input "
        "product J_a^T g is the first the proof uses (G.step). Fix: compute the residuals "
        "in fwd with the primal's own expressions (or call the primal's pieces).",
        "jax", ("a",)),
)


# --- the frameworks' own checkers ---------------------------------------------------


class FrameworkCheck(NamedTuple):
    """What a framework's own checker says about an entry's rule at one point."""

    checker: str
    caught: bool
    message: str


def framework_check(entry: FrameworkMistake, *, N: int = 3, n_in: int = 3,
                    n_out: int = 3, seed: int = 0) -> FrameworkCheck:
    """Run ``jax.test_util.check_grads`` (reverse mode, order 1) or
    ``torch.autograd.gradcheck`` on the entry's function at one random point.

    Returns whether it reports the mistake and the first line of what it says.
    """
    rng = np.random.default_rng(seed)
    layer: Any = entry.layer
    shapes = [(N, n_in) if n == layer.spec.input else layer.spec.shape(n, n_in, n_out)
              for n in layer.spec.arguments]
    values = [rng.uniform(-1.0, 1.0, size=s) for s in shapes]
    if entry.framework == "jax":
        from jax import test_util

        check_grads: Any = test_util.check_grads
        checker = "jax.test_util.check_grads"
        with jax.enable_x64(True):
            try:
                check_grads(layer.function, tuple(jnp.asarray(v) for v in values), order=1,
                            modes=["rev"])
            except Exception as exc:
                return FrameworkCheck(checker, True, one_line(exc))
        return FrameworkCheck(checker, False, "passes")
    import torch

    checker = "torch.autograd.gradcheck"
    inputs = tuple(torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in values)
    try:
        ok = torch.autograd.gradcheck(layer.call, inputs, raise_exception=True)
    except Exception as exc:
        return FrameworkCheck(checker, True, one_line(exc))
    return FrameworkCheck(checker, not ok, "passes" if ok else "returns False")


def _torch_entries() -> tuple[FrameworkMistake, ...]:
    """The PyTorch entries, when PyTorch is installed (none without the extra)."""
    try:
        from proofcheck.catalog import _torch as _catalog_torch
    except ModuleNotFoundError as exc:
        if (exc.name or "").split(".")[0] != "torch":
            raise
        return ()
    return _catalog_torch.entries(FrameworkMistake, GATED_UNIT)


#: Every entry: the JAX ones, and the PyTorch ones when PyTorch is installed.
FRAMEWORK_CATALOG: tuple[FrameworkMistake, ...] = _JAX + _torch_entries()


def __getattr__(name: str) -> Any:
    """The PyTorch entries' layer types by name (``TorchGradientsSwapped``), for
    ``--layer proofcheck.catalog.frameworks:NAME``."""
    for entry in FRAMEWORK_CATALOG:
        if entry.name == name:
            return entry.layer
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
