"""Layer types from other frameworks (``from_jax``, ``from_torch``) under G.base, G.step, G.param.

The code under check is the user's backward rule; the reference is autodiff of
the user's forward computation with the rule bypassed (or finite differences):
the correct examples hold, every mistake of the framework catalog fails its
root cause's lemma row naming the wrong argument, the oracle never runs the
rule, and a bad description is refused with a message naming what is wrong.
The whole command-line runs of the examples are ``batch`` tests (``nox -s
frameworks``).
"""

from __future__ import annotations

import functools
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from proofcheck.catalog.frameworks import FRAMEWORK_CATALOG, FrameworkMistake, framework_check
from proofcheck.diagnosis.report import Report
from proofcheck.engine._verify import plan_rows, run_rows
from proofcheck.frameworks import from_jax
from proofcheck.layers import Affine
from proofcheck.layers._elementwise import Elementwise
from proofcheck.network import Network
from proofcheck.oracle import _layers as layer_oracle
from proofcheck.oracle import network as oracle

ROOT = Path(__file__).resolve().parents[2]
JAX_CATALOG = [e for e in FRAMEWORK_CATALOG if e.framework == "jax"]


def lemma_report(layer: Any, step: str) -> Report:
    """The lemma row of ``step`` for ``layer`` alone, ci profile, as ``verify`` reports it."""
    plan = plan_rows(layer=layer, profile="ci", database=False, steps=[step])
    rows = run_rows(plan, keys=[f"{step}/lemma/{layer.name}"])
    return Report(plan.subject.name, "ci", rows, layer_target=True)


def names_argument(report: Report, arguments: tuple[str, ...]) -> bool:
    """Whether the root cause's counterexample names the cotangent of one of ``arguments``."""
    d = report.diagnosis
    c = report.row(d.root_cause or "", d.mode or "", d.layer).counterexample
    assert c is not None
    said = f"{c.quantity} {c.result} {c.exception}"
    return any(f"J_{name}^T delta" in said or f"cotangent of {name} " in said
               for name in arguments)


# --- the example -------------------------------------------------------------------


def test_example_layer_holds_its_lemma_rows_against_the_undecorated_primal() -> None:
    from examples.jax_custom_vjp import Layer

    for step in ("G.step", "G.param"):
        report = lemma_report(Layer, step)
        row = report.row(step, "lemma", "GatedUnit")
        assert row.status == "holds" and row.examples > 0, report.render()
        assert "reverse-mode autodiff of the undecorated primal gated_unit" in row.oracle
        assert "custom_vjp rule bypassed" in row.oracle


def test_example_wrong_layer_fails_naming_the_product_at_fault() -> None:
    from examples.jax_custom_vjp import WrongLayer

    report = lemma_report(WrongLayer, "G.param")
    d = report.diagnosis
    assert (d.root_cause, d.mode, d.layer) == ("G.param", "lemma", "WrongGatedUnit")
    assert names_argument(report, ("c",)), report.render()
    assert "J_c^T delta" in d.message
    # The diagnosis and the lemma row's statement name the reference that was used
    # (autodiff of the undecorated primal), not jax.vjp of the user's rule.
    reference = "JAX reverse-mode autodiff of the undecorated primal wrong_gated_unit"
    assert f"disagrees with {reference}" in d.message and "jax.vjp" not in d.message
    row = report.row("G.param", "lemma", "WrongGatedUnit")
    assert row.statement.startswith(f"WrongGatedUnit: hand-derived products = {reference}")


@pytest.mark.batch
def test_example_layer_in_networks_holds() -> None:
    from examples.jax_custom_vjp import Layer

    plan = plan_rows(layer=Layer, profile="ci", database=False, steps=["G.param"])
    (row,) = run_rows(plan, keys=["G.param/isolated"])
    assert row.status == "holds" and row.examples > 0
    assert "undecorated primal gated_unit" in row.oracle


def test_example_wrong_layer_fails_in_the_smallest_network() -> None:
    from examples.jax_custom_vjp import WrongLayer

    plan = plan_rows(layer=WrongLayer, profile="ci", database=False, steps=["G.param"])
    (row,) = run_rows(plan, keys=["G.param/isolated"])
    assert row.status == "fails" and row.counterexample is not None
    assert row.counterexample.quantity is not None
    assert row.counterexample.quantity.startswith("dC/dc^")
    assert row.counterexample.network["depth"] == 1


# --- the catalog of framework mistakes ----------------------------------------------


@pytest.mark.parametrize("entry", JAX_CATALOG, ids=[e.name for e in JAX_CATALOG])
def test_jax_mistake_is_caught_with_its_root_cause(entry: FrameworkMistake) -> None:
    report = lemma_report(entry.layer, entry.root_cause)
    d = report.diagnosis
    assert (d.root_cause, d.mode, d.layer) == (entry.root_cause, "lemma", entry.layer_name), \
        report.render()
    assert names_argument(report, entry.arguments), report.render()
    row = report.row(entry.root_cause, "lemma", entry.layer_name)
    assert row.counterexample is not None
    assert row.counterexample.function == f"{entry.name}.{entry.function}"


def test_the_correct_rule_of_the_catalog_holds() -> None:
    # Every entry changes one line of a rule that is right: the right rule holds.
    from proofcheck.catalog import frameworks as cf

    fn = jax.custom_vjp(cf.gated_unit)
    fn.defvjp(cf._fwd, cf._bwd)
    layer = from_jax(fn, parameters=cf.GATED_UNIT, name="CatalogGatedUnit")
    for step in ("G.step", "G.param"):
        assert lemma_report(layer, step).ok


@pytest.mark.parametrize("entry", JAX_CATALOG, ids=[e.name for e in JAX_CATALOG])
def test_framework_checker_runs_on_every_entry(entry: FrameworkMistake) -> None:
    # The guide's table compares proofcheck with check_grads on each entry.
    result = framework_check(entry)
    assert result.checker == "jax.test_util.check_grads"
    assert result.caught and result.message


# --- references other than reverse mode, custom_jvp ----------------------------------


def _tanh_rule() -> tuple[Callable[..., Any], Callable[..., Any]]:
    def fwd(a: Any, W: Any) -> Any:
        z = jnp.tanh(a @ W)
        return z, (a, W, z)

    def bwd(r: Any, g: Any) -> Any:
        a, W, z = r
        gz = g * (1.0 - z * z)
        return gz @ W.T, a.T @ gz

    return fwd, bwd


def _looped(a: Any, W: Any) -> Any:
    """tanh(a W) through a while_loop: no reverse mode."""
    return jax.lax.while_loop(lambda c: c[1] < 1, lambda c: (jnp.tanh(c[0]), c[1] + 1),
                              (a @ W, 0))[0]


def _called(a: Any, W: Any) -> Any:
    """tanh(a W) through a callback: no autodiff at all."""
    shape = jax.ShapeDtypeStruct((a.shape[0], W.shape[1]), a.dtype)
    return jax.pure_callback(np.tanh, shape, a @ W)


FALLBACKS = [(_looped, "forward", "forward-mode autodiff (jacfwd)"),
             (_called, "finite differences", "finite differences (numpy)")]


def _fallback_layers(primal: Callable[..., Any], mode: str) -> tuple[Any, Any]:
    """A right and a wrong rule (tanh' forgotten) for ``primal``, as layer types."""
    fwd, bwd = _tanh_rule()

    def wrong_bwd(r: Any, g: Any) -> Any:
        a, W, _ = r
        return g @ W.T, a.T @ g

    layers = []
    for rule, label in ((bwd, "Tanh"), (wrong_bwd, "WrongTanh")):
        fn = jax.custom_vjp(primal)
        fn.defvjp(fwd, rule)
        layers.append(from_jax(fn, parameters={"W": ("n_in", "n_out")},
                               name=f"{label}{mode.title().replace(' ', '')}"))
    return layers[0], layers[1]


@pytest.mark.parametrize(("primal", "mode", "says"), FALLBACKS, ids=["while_loop", "callback"])
def test_reference_falls_back_and_says_so(primal: Callable[..., Any], mode: str,
                                          says: str) -> None:
    right, wrong = _fallback_layers(primal, mode)
    assert right.mode == mode and says in (right.reference or "")
    rng = np.random.default_rng(2)
    a, W, delta = rng.uniform(-1, 1, (3, 4)), rng.uniform(-1, 1, (3, 2)), rng.uniform(-1, 1, (2, 4))
    z = np.tanh(a.T @ W).T
    da, dp = layer_oracle.layer_vjp(right(3, 2), a, {"W": W}, delta)
    # The reference is the primal's derivative: tanh' = 1 - z^2 (finite differences to 1e-9).
    np.testing.assert_allclose(da, W @ ((1 - z * z) * delta), rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(dp["W"], a @ ((1 - z * z) * delta).T, rtol=1e-9, atol=1e-9)
    assert np.max(np.abs(wrong(3, 2).input_product(a, {"W": W}, delta) - da)) > 1e-3


@pytest.mark.batch
@pytest.mark.parametrize(("primal", "mode", "says"), FALLBACKS, ids=["while_loop", "callback"])
def test_fallback_reference_rows(primal: Callable[..., Any], mode: str, says: str) -> None:
    right, wrong = _fallback_layers(primal, mode)
    report = lemma_report(right, "G.step")
    assert report.ok and says in report.rows[0].oracle, report.render()
    assert lemma_report(wrong, "G.step").diagnosis.root_cause == "G.step"


def test_custom_jvp_is_checked_through_its_transpose() -> None:
    def make(right: bool) -> Any:
        @jax.custom_jvp
        def tanh_layer(a: Any, W: Any) -> Any:
            return jnp.tanh(a @ W)

        @tanh_layer.defjvp
        def _(primals: Any, tangents: Any) -> Any:
            (a, W), (da, dW) = primals, tangents
            z = jnp.tanh(a @ W)
            factor = 1.0 - z * z if right else 1.0
            return z, factor * (da @ W + a @ dW)

        return tanh_layer

    good = from_jax(make(True), parameters={"W": ("n_in", "n_out")}, name="JvpTanh")
    assert "custom_jvp rule bypassed" in (good.reference or "")
    rng = np.random.default_rng(3)
    a, W, delta = rng.uniform(-1, 1, (3, 4)), rng.uniform(-1, 1, (3, 2)), rng.uniform(-1, 1, (2, 4))
    da, dp = layer_oracle.layer_vjp(good(3, 2), a, {"W": W}, delta)
    np.testing.assert_allclose(good(3, 2).input_product(a, {"W": W}, delta), da, rtol=1e-12)
    np.testing.assert_allclose(good(3, 2).parameter_products(a, {"W": W}, delta)["W"], dp["W"],
                               rtol=1e-12)
    bad = from_jax(make(False), parameters={"W": ("n_in", "n_out")}, name="WrongJvpTanh")
    report = lemma_report(bad, "G.param")
    assert report.diagnosis.root_cause == "G.param" and names_argument(report, ("W",))


# --- the oracle: composition, and the rule never called ----------------------------


def _affine(mode: str) -> Any:
    """``z = a W + b`` (rows), a custom_vjp whose rule counts its calls."""
    calls = {"fwd": 0, "bwd": 0}

    def primal(a: Any, W: Any, b: Any) -> Any:
        return a @ W + b

    def fwd(a: Any, W: Any, b: Any) -> Any:
        calls["fwd"] += 1
        return a @ W + b, (a, W)

    def bwd(r: Any, g: Any) -> Any:
        calls["bwd"] += 1
        a, W = r
        return g @ W.T, a.T @ g, g.sum(0)

    fn = jax.custom_vjp(primal)
    fn.defvjp(fwd, bwd)
    layer = from_jax(fn, parameters={"W": ("n_in", "n_out"), "b": ("n_out",)},
                     name=f"RowAffine{mode[:3]}",
                     reference="finite differences" if mode == "finite differences" else "auto")
    # Making the type traced the rule once (its number format); the count starts here.
    calls.update(dict.fromkeys(calls, 0))
    return layer, calls


def _composes_as_affine(layer_type: Any, seed: int, tol: float
                        ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """A network [layer_type, Affine] has the known answer of [Affine, Affine] with W^T
    (the wrapped layer computes ``a^T W``): the oracle's cost, deltas and gradients of the
    two agree. Returns ``X, Y, W^1, b^1``."""
    rng = np.random.default_rng(seed)
    X, Y = rng.uniform(-1, 1, (3, 4)), rng.uniform(0.1, 0.9, (2, 4))
    W1, b1 = rng.uniform(-1, 1, (3, 2)), rng.uniform(-1, 1, 2)
    W2, b2 = rng.uniform(-1, 1, (2, 2)), rng.uniform(-1, 1, 2)
    maps = [Elementwise("tanh"), Elementwise("sigmoid")]
    wrapped = Network([layer_type(3, 2), Affine(2, 2)], [{"W": W1, "b": b1},
                      {"W": W2, "b": b2}], maps, "squared_error", X, Y)
    known = Network([Affine(3, 2), Affine(2, 2)], [{"W": W1.T, "b": b1},
                    {"W": W2, "b": b2}], maps, "squared_error", X, Y)
    got, want = oracle.network_gradients(wrapped), oracle.network_gradients(known)
    np.testing.assert_allclose(got.C, want.C, rtol=1e-14)
    for d, e in zip(got.deltas, want.deltas, strict=True):
        np.testing.assert_allclose(d, e, rtol=tol, atol=tol)
    np.testing.assert_allclose(got.grads[0]["W"], want.grads[0]["W"].T, rtol=tol, atol=tol)
    np.testing.assert_allclose(got.grads[0]["b"], want.grads[0]["b"], rtol=tol, atol=tol)
    np.testing.assert_allclose(got.grads[1]["W"], want.grads[1]["W"], rtol=tol, atol=tol)
    return X, Y, W1, b1


@pytest.mark.parametrize("mode", ["reverse", "finite differences"])
def test_oracle_composes_a_wrapped_affine_layer_by_the_chain_rule(mode: str) -> None:
    # A network [RowAffine, Affine] has the known answer of [Affine, Affine] with W^T:
    # the wrapped layer's reference pullback composes with the registered layer's.
    layer_type, calls = _affine(mode)
    tol = 1e-9 if mode == "finite differences" else 1e-14
    X, Y, W1, b1 = _composes_as_affine(layer_type, 1, tol)
    da, _ = layer_oracle.layer_vjp(layer_type(3, 2), X, {"W": W1, "b": b1}, Y)
    np.testing.assert_allclose(da, W1 @ Y, rtol=tol, atol=tol)
    # The oracle ran the primal (or its finite differences), never the rule.
    assert calls == {"fwd": 0, "bwd": 0}
    # The products are the rule.
    layer_type(3, 2).input_product(X, {"W": W1, "b": b1}, Y)
    assert calls == {"fwd": 1, "bwd": 1}


def test_columns_layout() -> None:
    def primal(a: Any, W: Any) -> Any:
        return jnp.tanh(W @ a)

    def fwd(a: Any, W: Any) -> Any:
        z = jnp.tanh(W @ a)
        return z, (a, W, z)

    def bwd(r: Any, g: Any) -> Any:
        a, W, z = r
        gz = g * (1.0 - z * z)
        return W.T @ gz, gz @ a.T

    fn = jax.custom_vjp(primal)
    fn.defvjp(fwd, bwd)
    layer = from_jax(fn, parameters={"W": ("n_out", "n_in")}, examples="columns",
                     name="ColumnTanh")
    assert lemma_report(layer, "G.step").ok


def test_output_width_read_off_the_function() -> None:
    # Log-sum-exp pooling over the features: n_out = 1, found by jax.eval_shape.
    @jax.custom_vjp
    def lse(a: Any) -> Any:
        m = jnp.max(a, axis=1, keepdims=True)
        return m + jnp.log(jnp.sum(jnp.exp(a - m), axis=1, keepdims=True))

    def fwd(a: Any) -> Any:
        z = lse(a)
        return z, (a, z)

    def bwd(r: Any, g: Any) -> Any:
        a, z = r
        return (jnp.exp(a - z) * g,)

    lse.defvjp(fwd, bwd)
    layer = from_jax(lse, parameters={}, name="LogSumExp")
    assert layer.output_width(5) == 1 and layer(5, 1).parameter_shapes() == {}
    a, delta = np.linspace(-1, 1, 10).reshape(5, 2), np.array([[0.5, -2.0]])
    da, _ = layer_oracle.layer_vjp(layer(5, 1), a, {}, delta)
    np.testing.assert_allclose(layer(5, 1).input_product(a, {}, delta), da, rtol=1e-12)


# --- a narrower float than float64 -------------------------------------------------


def test_a_jax_rule_computing_in_float32_is_reported_with_where() -> None:
    """The rule's bwd rounds its result to float32: the layer type says so when it is
    made, and every row of its run carries the note once in the text report."""
    fwd, bwd = _tanh_rule()

    def bwd32(r: Any, g: Any) -> Any:
        da, dW = bwd(r, g)
        return da.astype(jnp.float32), dW

    fn = jax.custom_vjp(lambda a, W: jnp.tanh(a @ W))
    fn.defvjp(fwd, bwd32)
    layer = from_jax(fn, parameters=W_SHAPE, name="Tanh32")
    [note] = layer.narrow_precision
    assert note.startswith("bwd: convert_element_type to float32 (2, 1) at ") and \
        f"{Path(__file__).name}:" in note and "(bwd32)" in note, note
    exact = jax.custom_vjp(lambda a, W: jnp.tanh(a @ W))
    exact.defvjp(*_tanh_rule())
    assert from_jax(exact, parameters=W_SHAPE).narrow_precision == ()
    plan = plan_rows(layer=layer, profile="ci", database=False, steps=["G.step"])
    report = Report(plan.subject.name, "ci", run_rows(plan, keys=[plan.properties[0].key]),
                    layer_target=True)
    [row] = report.rows
    assert any("computes in a float narrower than float64" in n for n in row.notes)
    text = report.render()
    assert "Note: G.step lemma (Tanh32) Tanh32's code computes in a float narrower" in text


def test_a_torch_function_allocating_in_the_default_dtype_is_reported_with_where() -> None:
    torch = _torch()
    from proofcheck.frameworks import from_torch

    class Accumulates(torch.autograd.Function):
        @staticmethod
        def forward(ctx: Any, x: Any, W: Any) -> Any:
            acc = torch.zeros(x.shape)  # the default dtype, float32
            ctx.save_for_backward(x, W)
            return (acc + x) @ W

        @staticmethod
        def backward(ctx: Any, g: Any) -> Any:
            x, W = ctx.saved_tensors
            return g @ W.T, x.T @ g

    layer = from_torch(Accumulates, input="x", parameters=W_SHAPE)
    [note] = layer.narrow_precision
    assert note.startswith(f"forward: zeros to torch.float32 (2, 1) at {Path(__file__).name}:")
    assert note.endswith("(forward)")


# --- bad descriptions ---------------------------------------------------------------


def _rule() -> Any:
    fwd, bwd = _tanh_rule()
    fn = jax.custom_vjp(lambda a, W: jnp.tanh(a @ W))
    fn.defvjp(fwd, bwd)
    return fn


def _nondiff() -> Any:
    fn = jax.custom_vjp(lambda k, a, W: jnp.tanh(a @ W), nondiff_argnums=(0,))
    fn.defvjp(lambda k, a, W: (a, None), lambda k, r, g: (g, g))
    return fn


def _no_rule() -> Any:
    return jax.custom_vjp(lambda a, W: a @ W)


def _lax_mismatch() -> Any:
    """A rule whose primal cannot run at any width: ``lax.add`` of arrays of two ranks."""
    fn = jax.custom_vjp(lambda a, W: jax.lax.add(a, W[None]))
    fn.defvjp(lambda a, W: (a, None), lambda r, g: (g, g))
    return fn


def _three_dimensional() -> Any:
    """A rule whose primal returns ``(N, n_in, n_out)``: not a layer's matrix output."""
    fn = jax.custom_vjp(lambda a, W: a[:, :, None] * W[None])
    fn.defvjp(lambda a, W: (a, None), lambda r, g: (g, g))
    return fn


W_SHAPE = {"W": ("n_in", "n_out")}
BAD: list[tuple[str, Callable[[], Any], dict[str, Any], type[Exception], str]] = [
    ("plain function", lambda: (lambda a, W: a @ W), {}, TypeError, "jax.custom_vjp"),
    ("jnp.ufunc", lambda: jnp.logaddexp, {}, TypeError,
     "got jnp.ufunc logaddexp, wrapping jax.jit of logaddexp, wrapping <function logaddexp"),
    ("partial and static", lambda: functools.partial(_scaled_tanh(), halve=True),
     {"input": "x", "static": {"halve": False}}, ValueError,
     "static names ['halve'], which functools.partial already fixes in scaled"),
    ("partial of no rule", lambda: functools.partial(lambda a, W: a @ W, W=np.ones((2, 2))),
     {}, TypeError, "got functools.partial partial, wrapping <function"),
    ("nondiff_argnums", _nondiff, {}, ValueError, "give their values as static={'k': ...}"),
    ("no rule", _no_rule, {}, ValueError, "defvjp"),
    ("input not an argument", _rule, {"input": "x"}, ValueError, "input='x'"),
    ("shape missing", _rule, {"parameters": {}}, ValueError, "no shape given for ['W']"),
    ("extra parameter", _rule, {"parameters": {"W": ("n_in", "n_out"), "U": (2,)}},
     ValueError, "not arguments of"),
    ("shape not a tuple", _rule, {"parameters": {"W": "n_in"}}, TypeError, "tuple of"),
    ("bad shape entry", _rule, {"parameters": {"W": ("n_in", "m")}}, ValueError, "'m'"),
    ("wrong shape", _rule, {"parameters": {"W": ("n_out", "n_in")}}, ValueError,
     "W : (n_out, n_in)"),
    ("n_out not a width", _rule, {"n_out": 0}, TypeError, "n_out=0"),
    ("examples", _rule, {"examples": "batch"}, ValueError, "examples='batch'"),
    ("bounds unknown", _rule, {"bounds": {"U": 1.0}}, ValueError, "'U'"),
    ("bounds not positive", _rule, {"bounds": {"W": -1.0}}, ValueError, "positive"),
    ("reference", _rule, {"reference": "magic"}, ValueError, "reference='magic'"),
    # The probe that reads the output width off the function (n_out in no parameter's
    # shape) shows what it got at the smallest width, and what it called.
    ("probe raises", _lax_mismatch, {"parameters": {"W": ("n_in", 1)}}, ValueError,
     "at n_in=1 (the smallest tried) <lambda> (traced by jax.eval_shape)(a: float64 (2, 1), "
     "W: float64 (1, 1)) raised TypeError: add"),
    # Several outputs: named in order, the ones without a derivative left out by name.
    ("a tuple without outputs=", lambda: _two_outputs(), {}, ValueError,
     "returned 2 outputs; name them in order with outputs=(...)"),
    ("outputs not names", lambda: _two_outputs(), {"outputs": "h"}, TypeError,
     "outputs='h' must be a tuple of names"),
    ("outputs miscounted", lambda: _two_outputs(), {"outputs": ("h", "s", "t")}, ValueError,
     "fails for n_in=1, n_out=2, N=2: ValueError: two returned 2 outputs; outputs= names 3 "
     "(h, s, t)"),
    ("ignore unknown", lambda: _two_outputs(), {"outputs": ("h", "s"), "ignore": ("e",)},
     ValueError, "ignore names ['e'], which are not among outputs=('h', 's')"),
    ("ignore all", lambda: _two_outputs(), {"outputs": ("h", "s"), "ignore": ("h", "s")},
     ValueError, "leaves none of two's outputs to check"),
    ("ignore without outputs", lambda: _two_outputs(), {"ignore": ("s",)}, ValueError,
     "does not name two's outputs"),
    ("an integer output checked", lambda: jax.jit(_frexp_rule()),
     {"input": "x", "parameters": {}, "outputs": ("mantissa", "exponent")}, ValueError,
     "_frexp's output exponent is int32, which has no derivative; leave it out with "
     "ignore=('exponent',)"),
    ("min_batch beyond the probes", _rule, {"min_batch": 3}, ValueError,
     "min_batch=3 must be an integer from 1 to 2"),
    # Layouts and per-example inputs.
    ("layout without N first", _rule, {"layout": ("n_in", "heads", "N")}, ValueError,
     "layout=('n_in', 'heads', 'N') must list the axes of the input: 'N' first"),
    ("layout axis without a size", _rule, {"layout": ("N", "heads", "n_in")}, ValueError,
     "; ['heads'] are none of these"),
    ("layout and columns", _rule, {"layout": ("N", "n_in"), "examples": "columns"},
     ValueError, "with examples='columns': give one of them"),
    ("sizes of no axis", _rule, {"layout": ("N", "n_in"), "sizes": {"heads": 2}}, ValueError,
     "sizes names ['heads'], which are not axes of layout=('N', 'n_in')"),
    ("sizes not positive", _rule, {"sizes": {"heads": 0}}, ValueError,
     "sizes['heads']=0: each named axis needs a positive integer size"),
    ("per_example a string", _rule, {"per_example": "W"}, TypeError,
     "per_example='W' must be a tuple of argument names"),
    ("per_example unknown", _rule, {"per_example": ("y",)}, ValueError,
     "per_example names ['y'], which are not arguments of <lambda>"),
    ("per_example is the input", _rule, {"per_example": ("a",)}, ValueError,
     "names the input 'a' or an argument twice"),
    ("probe not a matrix", _three_dimensional, {"parameters": {"W": ("n_in", 1)}}, ValueError,
     "(a: float64 (2, 1), W: float64 (1, 1)) returned an output of shape (2, 1, 1), "
     "not a matrix"),
]


def _two_outputs(wrong: bool = False) -> Any:
    """``(tanh(a W), sin a)``: a rule with two outputs; ``wrong``: its bwd forgets the
    second output's cotangent (right for the first output alone, wrong for both)."""

    @jax.custom_vjp
    def two(a: Any, W: Any) -> Any:
        return jnp.tanh(a @ W), jnp.sin(a)

    def fwd(a: Any, W: Any) -> Any:
        h, s = two(a, W)
        return (h, s), (a, W, h)

    def bwd(r: Any, g: Any) -> Any:
        (a, W, h), (gh, gs) = r, g
        d = gh * (1.0 - h ** 2)
        return d @ W.T + (0.0 if wrong else gs * jnp.cos(a)), a.T @ d

    two.defvjp(fwd, bwd)
    return two


def _with_count() -> Any:
    """``(tanh(a W), the count of a's positive entries per example)``: an integer second
    output, as a rule returns an index or an exponent beside its value."""

    @jax.custom_vjp
    def counted(a: Any, W: Any) -> Any:
        return jnp.tanh(a @ W), jnp.sum(a > 0, axis=1, keepdims=True).astype(jnp.int32)

    def fwd(a: Any, W: Any) -> Any:
        out = counted(a, W)
        return out, (a, W, out[0])

    def bwd(r: Any, g: Any) -> Any:
        (a, W, h), (gh, _) = r, g
        d = gh * (1.0 - h ** 2)
        return d @ W.T, a.T @ d

    counted.defvjp(fwd, bwd)
    return counted


def _frexp_rule() -> Any:
    """JAX's own rule for ``jnp.frexp`` (mantissa, integer exponent)."""
    from jax._src.numpy import ufuncs

    return ufuncs._frexp


def test_several_outputs_are_stacked_and_every_checked_output_is_checked() -> None:
    square = {"W": ("n_in", "n_in")}
    layer = from_jax(_two_outputs(), parameters=square, outputs=("h", "s"), name="Two")
    assert layer.spec.signature_text() == "two(a : (N, n_in), W : (n_in, n_in)) -> (h, s)"
    assert layer.output_width(3) == 6  # z stacks h and s along the features
    for step in ("G.step", "G.param"):
        assert lemma_report(layer, step).ok
    # The bwd that forgets the auxiliary output's cotangent fails G.step on J_a^T delta;
    # with that output ignored, the same bwd is right.
    wrong = _two_outputs(wrong=True)
    report = lemma_report(from_jax(wrong, parameters=square, outputs=("h", "s"),
                                   name="WrongTwo"), "G.step")
    assert not report.ok and names_argument(report, ("a",)), report.render()
    first = from_jax(wrong, parameters=square, outputs=("h", "s"), ignore=("s",),
                     name="FirstOfTwo")
    assert first.output_width(3) == 3 and lemma_report(first, "G.step").ok
    # An integer output (a count) left out by name: its cotangent is JAX's float0 zero.
    counted = from_jax(_with_count(), parameters=square, outputs=("h", "count"),
                       ignore=("count",), name="Counted")
    assert counted.spec.signature_text().endswith("-> (h, count (ignored))")
    for step in ("G.step", "G.param"):
        assert lemma_report(counted, step).ok
    # JAX's own frexp is described the same way (the zoo runs it: its primal works on
    # the bits, so autodiff of it is 0 and the zoo's entry asks for finite differences).
    frexp = from_jax(jax.jit(_frexp_rule()), input="x", parameters={},
                     outputs=("mantissa", "exponent"), ignore=("exponent",))
    assert frexp.output_width(3) == 3


def _product(wrong: bool = False) -> Any:
    """``x * tanh(y)`` of two per-example inputs; ``wrong``: y's cotangent forgets tanh'."""

    @jax.custom_vjp
    def product(x: Any, y: Any) -> Any:
        return x * jnp.tanh(y)

    def fwd(x: Any, y: Any) -> Any:
        return product(x, y), (x, y)

    def bwd(r: Any, g: Any) -> Any:
        x, y = r
        t = jnp.tanh(y)
        return g * t, g * x * (1.0 if wrong else 1.0 - t ** 2)

    product.defvjp(fwd, bwd)
    return product


def test_a_second_per_example_input_is_stacked_into_a_and_its_cotangent_checked() -> None:
    layer = from_jax(_product(), input="x", per_example=("y",), parameters={},
                     name="Product")
    assert layer.spec.signature_text() == "product(x : (N, n_in), y : (N, n_in))"
    # a stacks x and y: the layer takes even widths only, its output is x's width.
    assert (layer.min_width, layer.output_width(4), layer.output_width(3)) == (2, 2, None)
    assert lemma_report(layer, "G.step").ok
    report = lemma_report(from_jax(_product(wrong=True), input="x", per_example=("y",),
                                   parameters={}, name="WrongProduct"), "G.step")
    assert not report.ok and names_argument(report, ("a",)), report.render()
    # JAX's own logaddexp, as jnp.logaddexp calls it: both arguments per example.
    from jax._src.lax import other

    logaddexp = from_jax(other.logaddexp, input="x1", per_example=("x2",), parameters={})
    assert lemma_report(logaddexp, "G.step").ok


def _per_head(wrong: bool = False) -> Any:
    """``tanh(x W)`` on ``x : (N, heads, seq, dim)``, ``W : (dim, dim)``, as attention code
    writes its projections; ``wrong``: the input's cotangent uses ``W`` for ``W^T``."""

    @jax.custom_vjp
    def per_head(x: Any, W: Any) -> Any:
        return jnp.tanh(x @ W)

    def fwd(x: Any, W: Any) -> Any:
        z = per_head(x, W)
        return z, (x, W, z)

    def bwd(r: Any, g: Any) -> Any:
        x, W, z = r
        d = g * (1.0 - z ** 2)
        return d @ (W if wrong else W.T), jnp.einsum("nhsd,nhse->de", x, d)

    per_head.defvjp(fwd, bwd)
    return per_head


def test_a_four_axis_layout_is_flattened_for_the_theorem() -> None:
    options: dict[str, Any] = {"input": "x", "parameters": {"W": ("dim", "dim")},
                               "layout": ("N", "heads", "n_in", "dim"),
                               "sizes": {"heads": 2, "dim": 2}}
    layer = from_jax(_per_head(), name="PerHead", **options)
    assert layer.spec.signature_text() == ("per_head(x : (N, heads, n_in, dim), "
                                           "W : (dim, dim))")
    # One example is 2 heads x seq x 2 features: widths 4 and 8 (seq = 1, 2) only.
    assert [layer.output_width(n) for n in (2, 4, 6, 8)] == [None, 4, None, 8]
    assert layer(8, 8).parameter_shapes() == {"W": (2, 2)}
    for step in ("G.step", "G.param"):
        assert lemma_report(layer, step).ok
    report = lemma_report(from_jax(_per_head(wrong=True), name="WrongPerHead", **options),
                          "G.step")
    assert not report.ok and names_argument(report, ("a",)), report.render()
    # The counterexample shows x as the code takes it, beside a in the paper's layout.
    d = report.diagnosis
    c = report.row(d.root_cause or "", d.mode or "", d.layer).counterexample
    assert c is not None
    x, a = c.inputs["x (N, heads, n_in, dim)"], c.inputs["a"]
    assert np.shape(x) == (np.shape(a)[1], 2, np.shape(a)[0] // 4, 2)


def test_a_parameter_named_a_does_not_hide_the_layers_input_in_a_counterexample() -> None:
    # hyp1f1(a, b, x) with x the input: its parameter a and the layer's input a both show.
    @jax.custom_vjp
    def scaled(x: Any, a: Any) -> Any:
        return a * x

    scaled.defvjp(lambda x, a: (a * x, (x, a)),
                  lambda r, g: (g * r[1], jnp.sum(g * r[0], axis=0) * 2.0))  # 2x: wrong
    layer = from_jax(scaled, input="x", parameters={"a": ("n_in",)}, name="Scaled")
    report = lemma_report(layer, "G.param")
    d = report.diagnosis
    c = report.row(d.root_cause or "", d.mode or "", d.layer).counterexample
    assert c is not None and {"a", "a (parameter)"} <= set(c.inputs), c.inputs
    assert np.shape(c.inputs["a (parameter)"]) == (np.shape(c.inputs["a"])[0],)


def test_functools_partial_of_a_rule_fixes_static_arguments() -> None:
    # A library's entry point that fixes a setting with functools.partial: its keywords
    # and leading positional values are the static arguments of the rule inside.
    layer = from_jax(functools.partial(_scaled_tanh(), halve=True), input="x",
                     parameters=W_SHAPE, name="PartialHalvedTanh")
    assert "halve=True" in layer.reference
    assert lemma_report(layer, "G.step").ok
    wrong = from_jax(functools.partial(_scaled_tanh(wrong=True), halve=True), input="x",
                     parameters=W_SHAPE, name="PartialWrongTanh")
    report = lemma_report(wrong, "G.step")
    assert not report.ok and report.diagnosis.root_cause == "G.step"


def test_a_jitted_rule_is_checked_as_the_rule_it_wraps() -> None:
    layer = from_jax(jax.jit(_rule()), parameters=W_SHAPE, name="Jitted")
    assert isinstance(layer.function, jax.custom_vjp)
    for step in ("G.step", "G.param"):
        report = lemma_report(layer, step)
        assert report.ok, report.render()


def _scaled_tanh(wrong: bool = False) -> Any:
    """``s tanh(x W / s)`` with a flag ``halve`` (``s = 1/2`` or ``1``) in nondiff_argnums, as
    libraries write settings; ``wrong``: the rule ignores the flag."""

    @functools.partial(jax.custom_vjp, nondiff_argnums=(2,))
    def scaled(x: Any, W: Any, halve: bool) -> Any:
        s = 0.5 if halve else 1.0
        return s * jnp.tanh(x @ W / s)

    def fwd(x: Any, W: Any, halve: bool) -> Any:
        z = scaled(x, W, halve)
        return z, (x, W, z)

    def bwd(halve: bool, r: Any, g: Any) -> Any:
        x, W, z = r
        s = 1.0 if wrong or not halve else 0.5
        gz = g * (1.0 - (z / s) ** 2)
        return gz @ W.T, x.T @ gz

    scaled.defvjp(fwd, bwd)
    return scaled


def _softmax_rows() -> Any:
    """A softmax over an axis given in nondiff_argnums, as a custom_jvp."""

    @functools.partial(jax.custom_jvp, nondiff_argnums=(1,))
    def softmax(x: Any, axis: int) -> Any:
        e = jnp.exp(x - jnp.max(x, axis=axis, keepdims=True))
        return e / jnp.sum(e, axis=axis, keepdims=True)

    @softmax.defjvp
    def jvp(axis: int, primals: Any, tangents: Any) -> Any:
        (x,), (dx,) = primals, tangents
        y = softmax(x, axis)
        return y, y * (dx - jnp.sum(y * dx, axis=axis, keepdims=True))

    return softmax


def test_static_arguments_are_passed_as_given_and_nondiff_argnums_are_taken() -> None:
    layer = from_jax(_scaled_tanh(), input="x", parameters=W_SHAPE, static={"halve": True},
                     name="HalvedTanh")
    assert "halve=True" in layer.reference
    for step in ("G.step", "G.param"):
        assert lemma_report(layer, step).ok
    softmax = from_jax(_softmax_rows(), input="x", parameters={}, static={"axis": 1},
                       name="RowSoftmax")
    assert softmax.output_width(3) == 3 and lemma_report(softmax, "G.step").ok
    # The rule that ignores the flag is right at halve=False and wrong at halve=True.
    wrong = _scaled_tanh(wrong=True)
    assert lemma_report(from_jax(wrong, input="x", parameters=W_SHAPE,
                                 static={"halve": False}, name="Plain"), "G.step").ok
    report = lemma_report(from_jax(wrong, input="x", parameters=W_SHAPE,
                                   static={"halve": True}, name="Halved"), "G.step")
    assert not report.ok and report.diagnosis.root_cause == "G.step"


def test_a_plain_function_with_primal_checks_the_rules_it_calls() -> None:
    # A library's function that calls its rule inside, with a setting the rule does not
    # take: described as it is, with primal= (the same value, without the rule).
    def calls_rule(wrong: bool) -> Any:
        rule = _rule() if not wrong else _tanh_rule_wrong()

        def layer(x: Any, W: Any, halve: bool) -> Any:
            s = 0.5 if halve else 1.0
            return s * rule(x, W / s)

        return layer

    def tanh_primal(x: Any, W: Any, halve: bool) -> Any:
        s = 0.5 if halve else 1.0
        return s * jnp.tanh(x @ (W / s))

    right = from_jax(calls_rule(False), input="x", parameters=W_SHAPE, primal=tanh_primal,
                     static={"halve": True}, name="CallsTanh")
    assert "the primal tanh_primal given with primal=" in right.reference
    assert "halve=True" in right.reference
    for step in ("G.step", "G.param"):
        assert lemma_report(right, step).ok
    wrong = from_jax(calls_rule(True), input="x", parameters=W_SHAPE, primal=tanh_primal,
                     static={"halve": True}, name="CallsWrongTanh")
    report = lemma_report(wrong, "G.step")
    assert not report.ok and report.diagnosis.root_cause == "G.step"
    with pytest.raises(TypeError, match="primal=3 must be a function"):
        from_jax(calls_rule(False), input="x", parameters=W_SHAPE, primal=3)


def _tanh_rule_wrong() -> Any:
    """``tanh(a W)`` whose rule forgets the derivative of tanh in the input's cotangent."""
    fwd, bwd = _tanh_rule()
    fn = jax.custom_vjp(lambda a, W: jnp.tanh(a @ W))

    def wrong_bwd(residuals: Any, g: Any) -> Any:
        W = residuals[1]
        _, right_W = bwd(residuals, g)
        return g @ W.T, right_W

    fn.defvjp(fwd, wrong_bwd)
    return fn


def test_nondiff_argnums_without_their_values_and_unknown_statics_are_refused() -> None:
    with pytest.raises(ValueError, match=r"nondiff_argnums=\(2,\) \(halve\); give their "
                                         r"values as static=\{'halve': \.\.\.\}"):
        from_jax(_scaled_tanh(), input="x", parameters=W_SHAPE)
    with pytest.raises(ValueError, match=r"must map arguments of scaled"):
        from_jax(_scaled_tanh(), input="x", parameters=W_SHAPE, static={"causal": True})
    with pytest.raises(ValueError, match=r"static=\[\('halve', True\)\] must map arguments"):
        from_jax(_scaled_tanh(), input="x", parameters=W_SHAPE, static=[("halve", True)])


@pytest.mark.parametrize(("fn", "kwargs", "error", "says"), [b[1:] for b in BAD],
                         ids=[b[0] for b in BAD])
def test_bad_description_is_refused_naming_it(fn: Callable[[], Any], kwargs: dict[str, Any],
                                              error: type[Exception], says: str) -> None:
    arguments = {"parameters": W_SHAPE, **kwargs}
    with pytest.raises(error, match=None) as info:
        from_jax(fn(), **arguments)
    assert says in str(info.value), str(info.value)


# --- the command line ---------------------------------------------------------------


def _verify(target: str, *extra: str, env: dict[str, str] | None = None
            ) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "proofcheck", "verify", "--layer", target,
                           "--profile", "ci", "--no-database", "-q", *extra], cwd=ROOT,
                          env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})},
                          capture_output=True, text=True, timeout=1800)


@pytest.mark.batch
def test_command_line_jax_example_holds_and_wrong_variant_fails() -> None:
    out = _verify("examples.jax_custom_vjp:Layer")
    assert out.returncode == 0, out.stdout + out.stderr
    assert "undecorated primal gated_unit" in out.stdout
    out = _verify("examples.jax_custom_vjp:WrongLayer")
    assert out.returncode == 1, out.stdout + out.stderr
    assert "Diagnosis: G.param lemma (WrongGatedUnit) fails in isolation" in out.stdout
    assert "J_c^T delta" in out.stdout


@pytest.mark.batch
def test_guide_table_is_a_real_run() -> None:
    # The guide's comparison table is comparison_table()'s output, row for row.
    from docs._ext.framework_comparison import comparison_table

    guide = (ROOT / "docs" / "guides" / "custom-backward.md").read_text()
    for line in comparison_table().splitlines()[2:]:
        assert line in guide, line


# --- PyTorch (the optional extra) ---------------------------------------------------


def _torch() -> Any:
    return pytest.importorskip("torch")


def test_torch_example_layer_holds_against_its_forward_without_the_custom_backward() -> None:
    _torch()
    from examples.torch_function import Layer

    for step in ("G.step", "G.param"):
        report = lemma_report(Layer, step)
        row = report.row(step, "lemma", "TorchGatedUnit")
        assert row.status == "holds" and row.examples > 0, report.render()
        assert "torch autograd of GatedUnitFunction.forward run outside apply" in row.oracle


def test_torch_example_wrong_layer_fails_naming_the_product_at_fault() -> None:
    _torch()
    from examples.torch_function import WrongLayer

    report = lemma_report(WrongLayer, "G.param")
    d = report.diagnosis
    assert (d.root_cause, d.mode, d.layer) == ("G.param", "lemma", "WrongTorchGatedUnit")
    assert names_argument(report, ("W",)) and "J_W^T delta" in d.message, report.render()
    assert ("disagrees with torch autograd of WrongGatedUnitFunction.forward run outside "
            "apply (the custom backward bypassed)") in d.message


def test_torch_module_is_checked_through_the_function_it_calls() -> None:
    _torch()
    from examples.torch_function import ModuleLayer

    assert ModuleLayer.mode == "primal"
    report = lemma_report(ModuleLayer, "G.step")
    assert report.ok, report.render()
    assert "torch autograd of the primal gated_primal" in report.rows[0].oracle


TORCH_CATALOG = [e.name for e in FRAMEWORK_CATALOG if e.framework == "torch"]


@pytest.mark.parametrize("name", TORCH_CATALOG or ["TorchGradientsSwapped",
                                                   "TorchSavedThenModified", "TorchBatchOfOne"])
def test_torch_mistake_is_caught_with_its_root_cause(name: str) -> None:
    _torch()
    (entry,) = [e for e in FRAMEWORK_CATALOG if e.name == name]
    report = lemma_report(entry.layer, entry.root_cause)
    d = report.diagnosis
    assert (d.root_cause, d.mode, d.layer) == (entry.root_cause, "lemma", entry.layer_name), \
        report.render()
    assert names_argument(report, entry.arguments), report.render()
    assert framework_check(entry).checker == "torch.autograd.gradcheck"


def _torch_affine(reference: str) -> tuple[Any, dict[str, int]]:
    """``z = a W + b`` as a Function whose backward counts its calls."""
    torch = _torch()
    calls = {"backward": 0}

    class RowAffine(torch.autograd.Function):
        @staticmethod
        def forward(ctx: Any, a: Any, W: Any, b: Any) -> Any:
            ctx.save_for_backward(a, W)
            return a @ W + b

        @staticmethod
        def backward(ctx: Any, g: Any) -> Any:
            calls["backward"] += 1
            a, W = ctx.saved_tensors
            return g @ W.T, a.T @ g, g.sum(0)

    from proofcheck.frameworks import from_torch

    layer = from_torch(RowAffine, parameters={"W": ("n_in", "n_out"), "b": ("n_out",)},
                       name=f"TorchRowAffine{reference[:3]}", reference=reference)
    # Making the type ran the rule once (its number format); the count starts here.
    calls.update(dict.fromkeys(calls, 0))
    return layer, calls


@pytest.mark.parametrize("reference", ["auto", "finite differences"])
def test_torch_layer_joins_the_oracle_network_by_the_chain_rule(reference: str) -> None:
    # [torch affine, Affine] has the known answer of [Affine, Affine] with W^T: the torch
    # layer's reference pullback composes with the registered layer's in JAX's network.
    layer_type, calls = _torch_affine(reference)
    tol = 1e-9 if reference == "finite differences" else 1e-14
    X, Y, W1, b1 = _composes_as_affine(layer_type, 4, tol)
    assert calls == {"backward": 0}  # the oracle never ran the custom backward
    layer_type(3, 2).parameter_products(X, {"W": W1, "b": b1}, Y)
    assert calls == {"backward": 1}  # the products are the custom backward


def test_torch_forward_that_leaves_torch_falls_back_to_finite_differences() -> None:
    torch = _torch()

    class NumpyTanh(torch.autograd.Function):
        @staticmethod
        def forward(ctx: Any, a: Any, W: Any) -> Any:
            z = torch.from_numpy(np.tanh(a.detach().numpy() @ W.detach().numpy()))
            ctx.save_for_backward(a, W, z)
            return z

        @staticmethod
        def backward(ctx: Any, g: Any) -> Any:
            a, W, z = ctx.saved_tensors
            gz = g * (1 - z * z)
            return gz @ W.T, a.T @ gz

    from proofcheck.frameworks import from_torch

    layer = from_torch(NumpyTanh, parameters={"W": ("n_in", "n_out")})
    assert layer.mode == "finite differences"
    assert "autograd of it fails" in (layer.reference or "")
    rng = np.random.default_rng(5)
    a, W, delta = rng.uniform(-1, 1, (3, 4)), rng.uniform(-1, 1, (3, 2)), rng.uniform(-1, 1, (2, 4))
    da, dp = layer_oracle.layer_vjp(layer(3, 2), a, {"W": W}, delta)
    np.testing.assert_allclose(layer(3, 2).input_product(a, {"W": W}, delta), da, rtol=1e-9,
                               atol=1e-9)
    np.testing.assert_allclose(layer(3, 2).parameter_products(a, {"W": W}, delta)["W"], dp["W"],
                               rtol=1e-9, atol=1e-9)


def test_torch_bad_descriptions_are_refused() -> None:
    torch = _torch()
    from examples.torch_function import GatedUnit, GatedUnitFunction
    from proofcheck.frameworks import from_torch

    with pytest.raises(TypeError, match=r"nn\.Module"):
        from_torch(GatedUnit(2, 2), parameters={})
    with pytest.raises(TypeError, match="the class Tensor"):
        from_torch(torch.Tensor, parameters={})
    with pytest.raises(ValueError, match=r"no shape given for \['c'\]"):
        from_torch(GatedUnitFunction, parameters={"W": ("n_in", "n_out"),
                                                  "V": ("n_in", "n_out"), "b": ("n_out",)})
    with pytest.raises(ValueError, match="fails for n_in=1"):
        from_torch(GatedUnitFunction, parameters={"W": ("n_out", "n_in"),
                                                  "V": ("n_in", "n_out"), "b": ("n_out",),
                                                  "c": ("n_out",)})


def _scaled_torch_tanh(wrong: bool = False) -> Any:
    """A Function ``s tanh(x W / s)`` whose setting ``s`` sits between its tensors, as
    libraries write settings (``forward(ctx, x, s, W)``); ``wrong``: backward takes s = 1."""
    torch = _torch()

    class ScaledTanh(torch.autograd.Function):
        @staticmethod
        def forward(ctx: Any, x: Any, s: float, W: Any) -> Any:
            z = s * torch.tanh(x @ W / s)
            ctx.save_for_backward(x, W, z)
            ctx.s = s
            return z

        @staticmethod
        def backward(ctx: Any, g: Any) -> Any:
            x, W, z = ctx.saved_tensors
            s = 1.0 if wrong else ctx.s
            gz = g * (1.0 - (z / s) ** 2)
            return gz @ W.T, None, x.T @ gz

    return ScaledTanh


def test_torch_static_arguments_are_passed_in_their_places_and_left_out_of_the_gradients(
        ) -> None:
    from proofcheck.frameworks import from_torch

    layer = from_torch(_scaled_torch_tanh(), input="x", parameters=W_SHAPE, static={"s": 0.5},
                       name="HalvedTorchTanh")
    assert "s=0.5" in layer.reference and "forward run outside apply" in layer.reference
    assert set(layer(2, 3).parameter_shapes()) == {"W"}
    for step in ("G.step", "G.param"):
        assert lemma_report(layer, step).ok
    # The backward that ignores the setting is right at s = 1 and wrong at s = 1/2.
    wrong = _scaled_torch_tanh(wrong=True)
    assert lemma_report(from_torch(wrong, input="x", parameters=W_SHAPE, static={"s": 1.0},
                                   name="PlainTorchTanh"), "G.step").ok
    report = lemma_report(from_torch(wrong, input="x", parameters=W_SHAPE, static={"s": 0.5},
                                     name="WrongTorchTanh"), "G.step")
    assert not report.ok and report.diagnosis.root_cause == "G.step"
    with pytest.raises(ValueError, match=r"static=\{'scale': 2\} must map arguments of "
                                         r"ScaledTanh\(x: 'Any', s: 'float'"):
        from_torch(wrong, input="x", parameters=W_SHAPE, static={"scale": 2})
    with pytest.raises(ValueError, match=r"no shape given for \['s'\]"):
        from_torch(wrong, input="x", parameters=W_SHAPE)


def _two_torch_outputs(wrong: bool = False) -> Any:
    """A Function returning ``(tanh(a W), sin a)``; ``wrong``: its backward forgets the
    second output's gradient."""
    torch = _torch()

    class TwoOutputs(torch.autograd.Function):
        @staticmethod
        def forward(ctx: Any, a: Any, W: Any) -> Any:
            ctx.save_for_backward(a, W)
            return torch.tanh(a @ W), torch.sin(a)

        @staticmethod
        def backward(ctx: Any, gh: Any, gs: Any) -> Any:
            a, W = ctx.saved_tensors
            d = gh * (1.0 - torch.tanh(a @ W) ** 2)
            return d @ W.T + (0.0 if wrong else gs * torch.cos(a)), a.T @ d

    return TwoOutputs


def test_torch_per_example_inputs_in_a_layout() -> None:
    from proofcheck.frameworks import from_torch

    torch = _torch()

    class Gate(torch.autograd.Function):
        """``x * sigmoid(y)`` over ``(N, 2, seq)`` arrays; backward written out."""

        @staticmethod
        def forward(ctx: Any, x: Any, y: Any) -> Any:
            ctx.save_for_backward(x, y)
            return x * torch.sigmoid(y)

        @staticmethod
        def backward(ctx: Any, g: Any) -> Any:
            x, y = ctx.saved_tensors
            s = torch.sigmoid(y)
            return g * s, g * x * s * (1.0 - s)

    options: dict[str, Any] = {"input": "x", "per_example": ("y",), "parameters": {},
                               "layout": ("N", 2, "n_in")}
    layer = from_torch(Gate, **options)
    assert layer.output_width(8) == 4 and layer.output_width(6) is None
    assert lemma_report(layer, "G.step").ok

    class WrongGate(Gate):
        @staticmethod
        def backward(ctx: Any, g: Any) -> Any:
            _, y = ctx.saved_tensors
            s = torch.sigmoid(y)
            return g * s, g * s * (1.0 - s)  # x forgotten in y's gradient

    report = lemma_report(from_torch(WrongGate, **options), "G.step")
    assert not report.ok and names_argument(report, ("a",)), report.render()


def test_a_torch_function_that_views_its_tensors_is_checked_not_refused() -> None:
    # Code that reshapes with .view, as many hand-written backward passes do, needs the
    # contiguous tensors training gives it; a transposed view of proofcheck's (n, N)
    # arrays made it raise before, a failure that was not the derivative's.
    from proofcheck.frameworks import from_torch

    torch = _torch()

    class Viewed(torch.autograd.Function):
        @staticmethod
        def forward(ctx: Any, x: Any) -> Any:
            ctx.save_for_backward(x)
            return torch.sin(x.view(-1)).view(x.shape)

        @staticmethod
        def backward(ctx: Any, g: Any) -> Any:
            (x,) = ctx.saved_tensors
            return (g.view(-1) * torch.cos(x.view(-1))).view(x.shape)

    assert lemma_report(from_torch(Viewed, input="x", parameters={}), "G.step").ok
    # A row of one feature, transposed, keeps odd strides along its axis of size 1, which
    # torch.while_loop refuses (benchmarks/zoo/repro_while_loop_strides.py): every array
    # becomes a new row-major tensor.
    from torch._higher_order_ops.while_loop import while_loop

    def looped(x: Any) -> Any:
        return while_loop(lambda i, a: i < 2, lambda i, a: (i + 1, torch.sin(a)),
                          (torch.tensor(0), x))[1]

    layer = from_torch(looped, input="x", parameters={},
                       primal=lambda x: torch.sin(torch.sin(x)))
    z = layer(1, 1).run(np.full((1, 2), 0.5), {})
    np.testing.assert_allclose(z, np.sin(np.sin(np.full((1, 2), 0.5))))


def test_a_primal_that_raises_fails_the_row_naming_the_reference() -> None:
    # A primal that cannot take an input the function takes (here: one example) is the
    # description's mistake: the row fails and says whose reference raised, and verify
    # goes on to its other rows instead of ending with the exception.
    def primal(a: Any, W: Any) -> Any:
        if a.shape[0] < 2:
            raise ValueError(f"expected more than 1 example, got {a.shape[0]}")
        return jnp.tanh(a @ W)

    layer = from_jax(_rule(), input="a", parameters=W_SHAPE, primal=primal, name="Picky")
    plan = plan_rows(layer=layer, profile="ci", database=False, steps=["G.base"])
    rows = run_rows(plan, keys=["G.base/isolated"])
    c = rows[0].counterexample
    assert rows[0].status == "fails" and c is not None
    assert c.function == "Picky's reference" and "expected more than 1 example" in str(
        c.exception), c
    # Said with min_batch, the networks give it two examples at least, and the row holds.
    layer = from_jax(_rule(), input="a", parameters=W_SHAPE, primal=primal, name="Picky",
                     min_batch=2)
    plan = plan_rows(layer=layer, profile="ci", database=False, steps=["G.base"])
    assert run_rows(plan, keys=["G.base/isolated"])[0].status == "holds"


def test_a_plain_torch_function_under_reentrant_checkpointing_is_checked() -> None:
    # torch.utils.checkpoint(..., use_reentrant=True) runs its function again in the
    # backward pass and refuses torch.autograd.grad; training calls backward().
    from proofcheck.frameworks import from_torch

    torch = _torch()
    from torch.utils.checkpoint import checkpoint

    def checkpointed(x: Any, W: Any) -> Any:
        return checkpoint(lambda x, W: torch.tanh(x @ W), x, W, use_reentrant=True)

    layer = from_torch(checkpointed, input="x", parameters=W_SHAPE,
                       primal=lambda x, W: torch.tanh(x @ W))
    for step in ("G.step", "G.param"):
        assert lemma_report(layer, step).ok


def test_torch_several_outputs_each_get_their_gradient() -> None:
    from proofcheck.frameworks import from_torch

    square = {"W": ("n_in", "n_in")}
    layer = from_torch(_two_torch_outputs(), parameters=square, outputs=("h", "s"),
                       name="TorchTwo")
    assert layer.output_width(2) == 4
    for step in ("G.step", "G.param"):
        assert lemma_report(layer, step).ok
    report = lemma_report(from_torch(_two_torch_outputs(wrong=True), parameters=square,
                                     outputs=("h", "s"), name="WrongTorchTwo"), "G.step")
    assert not report.ok and names_argument(report, ("a",)), report.render()
    first = from_torch(_two_torch_outputs(wrong=True), parameters=square, outputs=("h", "s"),
                       ignore=("s",), name="FirstOfTorchTwo")
    assert lemma_report(first, "G.step").ok


# --- without the extra --------------------------------------------------------------


def _without_torch(tmp_path: Path) -> dict[str, str]:
    """An environment in which ``import torch`` fails as it does when it is not installed."""
    (tmp_path / "torch").mkdir()
    (tmp_path / "torch" / "__init__.py").write_text(
        "raise ModuleNotFoundError(\"No module named 'torch'\", name='torch')\n")
    return {"PYTHONPATH": f"{tmp_path}{os.pathsep}{ROOT}"}


def test_torch_target_without_torch_exits_2_naming_the_install(tmp_path: Path) -> None:
    out = subprocess.run([sys.executable, "-m", "proofcheck", "verify", "--layer",
                          "examples.torch_function:Layer", "--profile", "ci"], cwd=ROOT,
                         env={**os.environ, **_without_torch(tmp_path)}, capture_output=True,
                         text=True, timeout=300)
    assert out.returncode == 2, out.stdout + out.stderr
    assert 'pip install "proofcheck[torch]"' in out.stderr + out.stdout


def test_proofcheck_without_torch_imports_and_from_torch_says_what_to_install(
        tmp_path: Path) -> None:
    script = ("import proofcheck, proofcheck.layers, proofcheck.catalog.frameworks as cf\n"
              "assert all(e.framework == 'jax' for e in cf.FRAMEWORK_CATALOG)\n"
              "try:\n"
              "    proofcheck.layers.from_torch(object, parameters={})\n"
              "except ImportError as exc:\n"
              "    print(exc)\n")
    out = subprocess.run([sys.executable, "-c", script], cwd=ROOT,
                         env={**os.environ, **_without_torch(tmp_path)}, capture_output=True,
                         text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert 'pip install "proofcheck[torch]"' in out.stdout


@pytest.mark.batch
def test_command_line_torch_example_holds_and_wrong_variant_fails() -> None:
    _torch()
    out = _verify("examples.torch_function:Layer")
    assert out.returncode == 0, out.stdout + out.stderr
    assert "GatedUnitFunction.forward run outside apply" in out.stdout
    out = _verify("examples.torch_function:WrongLayer")
    assert out.returncode == 1, out.stdout + out.stderr
    assert "Diagnosis: G.param lemma (WrongTorchGatedUnit) fails in isolation" in out.stdout
    assert "J_W^T delta" in out.stdout


@pytest.mark.batch
@pytest.mark.parametrize("target", ["Layer", "WrongLayer"])
def test_guide_shows_the_torch_runs_as_they_are(target: str) -> None:
    # The docs build has no PyTorch, so the guide shows runs recorded in
    # examples/torch_function_runs.txt: they must be what the same command prints now
    # (all but the line with the time taken, and the reproduce lines: a
    # @reproduce_failure blob names the Hypothesis version that made it and is valid
    # for that version only, so a new Hypothesis release changes those lines while the
    # counterexamples, the numbers and the diagnosis stay the same).
    _torch()
    runs = (ROOT / "examples" / "torch_function_runs.txt").read_text()
    prompt = f"$ proofcheck verify --layer examples.torch_function:{target} "
    start = runs.index(prompt)
    command = runs[start + 2:runs.index("\n", start)]
    recorded = runs[runs.index("\n", start) + 1:]
    recorded = recorded.split("\n$ ")[0]
    args = command.split()[3:]
    out = _verify(args[0], *[a for a in args[1:] if a not in ("--profile", "ci")])
    timeless = [line for line in recorded.strip().splitlines()
                if "checked rows" not in line and not line.lstrip().startswith("reproduce:")]
    for line in timeless:
        assert line in out.stdout, line


def test_catalog_entries_travel_to_worker_processes() -> None:
    # verify -j sends a layer type to fresh processes by reference (module and name): an
    # entry must unpickle in a process that has imported nothing yet (one per framework).
    import pickle

    for framework in ("jax", "torch"):
        entries = [e for e in FRAMEWORK_CATALOG if e.framework == framework]
        if not entries:
            continue
        script = (f"import pickle\nprint(pickle.loads(bytes.fromhex("
                  f"{pickle.dumps(entries[0].layer).hex()!r})).name)\n")
        out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True,
                             text=True, timeout=300)
        assert out.returncode == 0, out.stderr
        assert out.stdout.strip() == entries[0].layer_name
