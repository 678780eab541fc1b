"""A third opinion where a layer's rule and the reference disagree (G.step, G.param).

The reference of a layer type is autodiff of its forward map as written. Two
correct rules disagree with it: a ``relu'(0) = 0`` rule against autodiff of
``jnp.maximum(x, 0)``, which takes ``0.5`` at ``0`` (both are in the
subdifferential ``[0, 1]``), and a rule for ``x * log1p(y)`` whose primal is
written with a ``where`` (autodiff gives ``0`` at ``x = 0``, the derivative is
``log1p(y)``). The forward map's one-sided finite differences decide: these
rules hold, and the report says where the reference was overruled. A rule that
is wrong away from a kink (a sign) or outside the subdifferential at one
(``relu'(0) = 2``) still fails. Each case is checked at a point with exact zeros
(a direct call, so that it is reached whatever Hypothesis draws) and in the
``ci`` runs of its rows.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import settings
from hypothesis import strategies as st

from proofcheck.diagnosis.report import Report
from proofcheck.engine._verify import plan_rows, run_rows
from proofcheck.frameworks import from_jax
from proofcheck.layers import LayerMap
from proofcheck.numerics.tolerances import within_one_sided
from proofcheck.oracle.finite_differences import (
    ONE_SIDED_STEP,
    one_sided_derivatives,
    one_sided_partial,
)
from proofcheck.properties import Subject
from proofcheck.properties._generalization import (
    ProductPoint,
    check_layer_input_lemma,
    check_layer_parameter_lemma,
)

# --- the rules ---------------------------------------------------------------------


def _relu(at_zero: float, sign: float = 1.0) -> Any:
    """``max(a, 0)`` as a ``jax.custom_jvp`` whose rule takes ``relu'(0) = at_zero``
    (``sign = -1``: the rule's sign is wrong where ``a > 0``)."""
    @jax.custom_jvp
    def relu(a: Any) -> Any:
        return jnp.maximum(a, 0.0)

    @relu.defjvp
    def _(primals: Any, tangents: Any) -> Any:
        (a,), (da,) = primals, tangents
        return relu(a), jnp.where(a > 0, sign * da, jnp.where(a == 0, at_zero * da, 0.0))

    return relu


def _xlog1py(sign: float = 1.0) -> Any:
    """``a * log1p(y)``, written with a ``where`` at ``a = 0`` as libraries write it, with a
    hand-written rule (``sign = -1``: the rule's ``d/da`` has the wrong sign)."""
    @jax.custom_jvp
    def xlog1py(a: Any, y: Any) -> Any:
        return jnp.where(a == 0, 0.0, a * jnp.log1p(y))

    @xlog1py.defjvp
    def _(primals: Any, tangents: Any) -> Any:
        (a, y), (da, dy) = primals, tangents
        return xlog1py(a, y), sign * da * jnp.log1p(y) + dy * a / (1.0 + y)

    return xlog1py


ReluAtZero = from_jax(_relu(0.0), parameters={}, name="ReluAtZero")
ReluSlopeTwo = from_jax(_relu(2.0), parameters={}, name="ReluSlopeTwo")
ReluWrongSign = from_jax(_relu(0.0, sign=-1.0), parameters={}, name="ReluWrongSign")
XLog1py = from_jax(_xlog1py(), parameters={"y": ("n_in",)}, bounds={"y": 0.5},
                   name="XLog1py")
XLog1pyWrongSign = from_jax(_xlog1py(-1.0), parameters={"y": ("n_in",)}, bounds={"y": 0.5},
                            name="XLog1pyWrongSign")


class ReluLayer(LayerMap):
    """A user layer type: ``Z = max(A, 0)``, ``J_A^T Delta = Delta * [A > 0]`` (relu'(0) = 0).

    Its reference is ``jax.vjp`` of ``forward``, whose ``maximum`` takes ``0.5`` at 0.
    """

    name = "ReluLayer"

    @classmethod
    def configurations(cls, n_in: int, max_width: int) -> st.SearchStrategy[LayerMap]:
        return st.just(cls(n_in))

    @property
    def n_out(self) -> int:
        return self.n_in

    def parameter_shapes(self) -> dict[str, tuple[int, ...]]:
        return {}

    def forward(self, a: Any, params: dict[str, Any], xp: Any) -> Any:
        return xp.maximum(a, 0.0)

    def input_product(self, a: Any, params: dict[str, Any], delta: Any) -> Any:
        result: Any = delta * (a > 0)
        return result

    def parameter_products(self, a: Any, params: dict[str, Any],
                           delta: Any) -> dict[str, Any]:
        return {}


# --- one-sided differences -----------------------------------------------------------


def test_one_sided_derivatives_at_a_kink_are_the_two_slopes() -> None:
    d = one_sided_derivatives(lambda x: 0.3 * max(x, 0.0) - 2.0 * min(x, 0.0), 0.0)
    assert d.left == pytest.approx(-2.0, abs=1e-12) and d.right == pytest.approx(0.3, abs=1e-12)
    assert d.error < 1e-10 and (d.low, d.high) == (d.left, d.right)


@pytest.mark.parametrize("f, df, x", [(np.sin, np.cos, 0.7), (np.exp, np.exp, 3.0),
                                      (np.log1p, lambda x: 1 / (1 + x), -0.5),
                                      (lambda x: x**3, lambda x: 3 * x**2, -40.0)])
def test_one_sided_derivatives_of_a_smooth_function_agree_within_their_error(
        f: Any, df: Any, x: float) -> None:
    d = one_sided_derivatives(f, x)
    for side in (d.left, d.right):
        assert abs(side - df(x)) <= d.error
    assert d.error <= 1e-7 * max(1.0, abs(df(x)))


def test_one_sided_differences_never_step_across_the_point() -> None:
    points: list[float] = []
    one_sided_derivatives(lambda x: points.append(x) or 0.0, 2.0)
    h = ONE_SIDED_STEP * 2.0
    assert sorted(set(points)) == pytest.approx([2 - h, 2 - h / 2, 2 - h / 4, 2.0,
                                                 2 + h / 4, 2 + h / 2, 2 + h])


def test_one_sided_partial_shifts_one_entry_and_leaves_the_array() -> None:
    X = np.array([[0.0, 1.0], [-2.0, 3.0]])
    d = one_sided_partial(lambda Y: float(np.sum(np.maximum(Y, 0.0) * [[5, 1], [1, 1]])),
                          X, (0, 0))
    assert (d.left, d.right) == (pytest.approx(0.0, abs=1e-9), pytest.approx(5.0))
    assert X[0, 0] == 0.0


def test_a_value_is_within_the_one_sided_derivatives_between_them_and_not_beyond() -> None:
    assert within_one_sided(0.0, 0.0, 1.0, 1e-12, 1.0)
    assert within_one_sided(0.4, 0.0, 1.0, 1e-12, 1.0)
    assert not within_one_sided(2.0, 0.0, 1.0, 1e-12, 1.0)
    assert not within_one_sided(-1e-3, 0.0, 1.0, 1e-12, 1.0)
    assert not within_one_sided(float("nan"), 0.0, 1.0, 1e-12, 1.0)
    # An estimate too imprecise decides nothing, even for a value between the two.
    assert not within_one_sided(0.5, 0.0, 1.0, 0.01, 1.0)


def test_a_rule_wrong_on_an_entry_small_beside_its_terms_is_not_within() -> None:
    """Found by ``verify``'s ci draws on a wrong torch gated unit: the rule's -1.434e-8
    where both one-sided derivatives are -8.016e-9, an entry whose terms were about 0.1.
    With 1e-7 of the terms as slack it was accepted and overruled the reference; the
    slack of the terms is now the reviewed comparison's 1e-9."""
    assert not within_one_sided(-1.43401e-08, -8.01581e-09, -8.01581e-09, 1e-16, 0.1)
    assert within_one_sided(-8.01581e-09, -8.01581e-09, -8.01581e-09, 1e-16, 0.1)


# --- a layer at a point with exact zeros ---------------------------------------------

A = np.array([[0.0, 1.5, -0.5], [0.0, 0.0, 2.0]])
DELTA = np.array([[0.7, -0.3, 0.2], [-0.4, 0.9, 0.5]])
Y = np.array([0.3, -0.2])


def _point(layer: type[LayerMap], params: dict[str, Any]) -> ProductPoint:
    return ProductPoint(layer(2, 2), params, A, DELTA)  # type: ignore[call-arg]


def _user_point() -> ProductPoint:
    return ProductPoint(ReluLayer(2), {}, A, DELTA)


@pytest.mark.parametrize("point", [
    lambda: _point(ReluAtZero, {}), lambda: _point(XLog1py, {"y": Y}), _user_point],
    ids=["custom_jvp relu'(0) = 0", "custom_jvp xlog1py over a where", "LayerMap relu"])
def test_a_correct_rule_at_exact_zeros_holds_overruling_autodiff(point: Any) -> None:
    p = point()
    checks = check_layer_input_lemma(Subject(None, "rule"), p)
    assert all(c.comparison.holds for c in checks), checks
    note = checks[0].overruled or ""
    assert "one-sided differences" in note and "J_a^T delta at a[0, 0]" in note
    if p.params:
        assert all(c.comparison.holds
                   for c in check_layer_parameter_lemma(Subject(None, "rule"), p))


@pytest.mark.parametrize("layer, params", [(ReluSlopeTwo, {}), (ReluWrongSign, {}),
                                           (XLog1pyWrongSign, {"y": Y})],
                         ids=["relu'(0) = 2", "relu wrong sign", "xlog1py wrong sign"])
def test_a_wrong_rule_still_fails(layer: type[LayerMap], params: dict[str, Any]) -> None:
    checks = check_layer_input_lemma(Subject(None, "rule"), _point(layer, params))
    assert not all(c.comparison.holds for c in checks)
    assert not any(c.overruled for c in checks)


def _sin_40(x: Any) -> Any:
    """The callback, one function for every call: JAX compiles an eager ``pure_callback``
    once per callback object, and finite differences call the primal hundreds of times
    (a new lambda each call made this test take 12 s)."""
    return np.sin(40.0 * x)


def _fast_sine(wrong: bool = False, off: float = 0.0) -> Any:
    """``sin(40 a)`` through a callback, so that its reference is finite differences,
    whose error at ``a = 0`` (39.9999998 for 40) is beyond the gradient tolerance;
    ``wrong``: the rule forgets the chain rule's factor 40; ``off``: the rule is
    ``1 + off`` times the derivative."""
    def primal(a: Any) -> Any:
        shape = jax.ShapeDtypeStruct(a.shape, a.dtype)
        return jax.pure_callback(_sin_40, shape, a)

    rule = jax.custom_vjp(primal)
    factor = 1.0 if wrong else 40.0 * (1.0 + off)
    rule.defvjp(lambda a: (primal(a), a), lambda a, g: (g * factor * jnp.cos(40.0 * a),))
    return from_jax(rule, parameters={}, name="WrongFastSine" if wrong else "FastSine")


def test_a_finite_difference_reference_cannot_outvote_a_rule_within_both_sides() -> None:
    layer = _fast_sine()
    assert layer.mode == "finite differences"
    # The point a failing run shrank to: one example, a = 0, delta = 1.
    at = ProductPoint(layer(1, 1), {}, np.zeros((1, 1)), np.ones((1, 1)))
    checks = check_layer_input_lemma(Subject(None, "rule"), at)
    assert all(c.comparison.holds for c in checks), checks
    assert "its finite differences gave" in (checks[0].overruled or "")
    wrong = _fast_sine(wrong=True)
    at = ProductPoint(wrong(1, 1), {}, np.zeros((1, 1)), np.ones((1, 1)))
    checks = check_layer_input_lemma(Subject(None, "rule"), at)
    assert not all(c.comparison.holds for c in checks) and not checks[0].overruled
    # What finite differences cannot resolve is accepted (a rule 1e-7 off, measured), a
    # rule 1e-6 off is not: at a = 0 and at a point away from it.
    rng = np.random.default_rng(0)
    for a, delta in ((np.zeros((1, 1)), np.ones((1, 1))),
                     (rng.uniform(-1.0, 1.0, (3, 4)), rng.uniform(-1.0, 1.0, (3, 4)))):
        off = _fast_sine(off=1e-6)
        checks = check_layer_input_lemma(Subject(None, "rule"),
                                         ProductPoint(off(a.shape[0], a.shape[0]), {}, a, delta))
        assert not all(c.comparison.holds for c in checks)


# --- the rows, as verify runs them -----------------------------------------------------


def _lemma_report(layer: Any, at: ProductPoint | None = None) -> Report:
    """The layer's lemma rows as ``verify --layer`` runs them; with ``at``, G.step's
    draws are that one point (the ``ci`` stream moves with the package's source, and
    need not draw an input with exact zeros)."""
    plan = plan_rows(layer=layer, profile="ci", database=False)
    if at is not None:
        plan = plan._replace(properties=[
            dataclasses.replace(p, strategy=lambda ctx: st.just(at))
            if (p.step, p.mode, p.layer) == ("G.step", "lemma", layer.name) else p
            for p in plan.properties])
    keys = [p.key for p in plan.properties if p.mode == "lemma" and p.layer == layer.name]
    return Report(plan.subject.name, "ci", run_rows(plan, keys=keys), layer_target=True)


@pytest.mark.parametrize(("layer", "point"), [
    (XLog1py, lambda: _point(XLog1py, {"y": Y})), (ReluLayer, _user_point)],
    ids=["xlog1py", "LayerMap relu"])
def test_correct_rules_hold_their_lemma_rows_and_the_report_says_where(layer: Any,
                                                                       point: Any) -> None:
    report = _lemma_report(layer, at=point())
    assert report.ok, report.render()
    row = report.row("G.step", "lemma", layer.name)
    assert row.overruled_examples > 0 and row.overruled
    assert "overruled the reference; first:" in report.render()
    data = json.loads(json.dumps(report.to_dict()))
    (json_row,) = [r for r in data["rows"] if r["step"] == "G.step"]
    assert json_row["overruled_examples"] > 0 and "a[" in json_row["overruled"][0]


#: Drawn examples per row in the whole run below: each new network shape compiles the
#: oracle for this layer type (most of the run's time), and what the test needs, a
#: draw with exact zeros on every row kind, the ``ci`` stream gives within these.
WHOLE_RUN_EXAMPLES = 20


def test_the_relu_rule_holds_every_row_of_its_run() -> None:
    plan = plan_rows(layer=ReluAtZero, profile="ci", database=False)
    plan = plan._replace(settings=settings(plan.settings, max_examples=WHOLE_RUN_EXAMPLES))
    report = Report(plan.subject.name, "ci", run_rows(plan), layer_target=True)
    assert report.ok, report.render()
    overruled = {r.label for r in report.rows if r.overruled_examples}
    assert "G.step lemma (ReluAtZero)" in overruled
    assert overruled & {"G.step isolated", "G.step end-to-end"}, report.render()


@pytest.mark.parametrize("layer", [ReluSlopeTwo, XLog1pyWrongSign],
                         ids=["relu'(0) = 2", "xlog1py wrong sign"])
def test_wrong_rules_fail_at_their_lemma_row(layer: Any) -> None:
    report = _lemma_report(layer)
    d = report.diagnosis
    assert (d.root_cause, d.mode, d.layer) == ("G.step", "lemma", layer.name), report.render()
