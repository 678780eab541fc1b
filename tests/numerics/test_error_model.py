"""The error model: its estimate covers two correct computations and never hides a mistake.

Two properties of the estimate itself, over the networks the strategies draw:
it is never below the measured discrepancy of two correct computations (the
package's numpy backpropagation and the JAX oracle), and it never allows more
than ``CEILING`` of the terms an entry sums. Then the edges the error model
decides: a saturated output under cross-entropy, and potentials exactly at a kink.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings

import proofcheck
from proofcheck import MatrixBackprop
from proofcheck.catalog import LoopBackprop, clipped_probabilities, relu_derivative_two_at_kink
from proofcheck.costs import COSTS
from proofcheck.numerics import error_model
from proofcheck.numerics.error_model import CEILING, MARGIN, U, judged_scale
from proofcheck.numerics.tolerances import TOLERANCES, compare
from proofcheck.oracle import network as oracle
from proofcheck.strategies import Network, networks
from tests.correct_implementations import CORRECT
from tests.single_example import run_check

ATOL = TOLERANCES["gradient"].atol
#: Networks of relu and identity layers, where units exactly at a kink are common.
RELU_NETWORKS = {"identity", "relu"}


def _judged(net: Network) -> tuple[oracle.NetworkGradients, error_model.NetworkScales,
                                   error_model.NetworkScales]:
    o = oracle.network_gradients(net)
    return o, error_model.network_terms(net, o), error_model.network_scales(net, o)


@settings(max_examples=60, database=None, deadline=None)
@given(networks())
def test_the_estimate_covers_two_correct_computations(net: Network) -> None:
    """numpy's gradients and the oracle's agree within the judged scale, entry by entry."""
    Zs, As = MatrixBackprop().forward(net.weights, net.biases, net.activation_names, net.X)
    if error_model.near_kink(net, Zs, As):
        return  # discarded by the properties: within rounding of a kink
    o, _, scales = _judged(net)
    dWs, dbs = MatrixBackprop().gradients(net.weights, net.biases, net.activation_names,
                                          net.cost, net.X, net.Y)
    for actual, expected, scale in zip(dWs + dbs, o.dWs + o.dbs, scales.dWs + scales.dbs,
                                       strict=True):
        assert compare(actual, expected, scale=scale).holds


@settings(max_examples=60, database=None, deadline=None)
@given(networks())
def test_the_estimate_never_allows_more_than_the_ceiling_of_the_terms(net: Network) -> None:
    _, terms, scales = _judged(net)
    for T, scale in zip([*terms.deltas, *terms.dWs, *terms.dbs],
                        [*scales.deltas, *scales.dWs, *scales.dbs], strict=True):
        judged = np.isfinite(scale)
        assert np.all(ATOL * scale[judged] <= CEILING * T[judged] * (1 + 1e-12))


def test_judged_scale_at_its_edges() -> None:
    T = np.array([1.0, 1.0, 1.0, 0.0, 0.0])
    P = np.array([0.0, 1e-10, 1e-3, 0.0, 1e-300])
    scale = judged_scale(T, P)
    assert scale[0] == 1.0  # rounding-free: the terms themselves
    assert scale[1] == pytest.approx(MARGIN * 1e-10 / ATOL)  # the propagated estimate
    assert scale[2] == pytest.approx(CEILING / ATOL)  # capped at the ceiling
    assert scale[3] == 0.0  # nothing summed: must agree exactly (up to FLOOR)
    assert scale[4] == np.inf  # not determined by float64: not judged


def test_sigmoid_derivative_rounding_is_relative_where_its_output_is_tiny() -> None:
    z = np.array([[-40.0, 0.0, 40.0]])
    rounding = error_model.derivative_rounding("sigmoid", z) * U
    f_prime = np.exp(-np.abs(z)) / (1 + np.exp(-np.abs(z))) ** 2
    assert rounding[0, 0] <= 8 * U * f_prime[0, 0]  # a (1 - a) is a to a few u
    assert rounding[0, 2] >= U  # 1 - a near 1 is known only to u absolutely


def _saturated(z: float) -> Network:
    """One sigmoid unit with potential z under cross-entropy, target 1: dC/db = a - 1."""
    return Network.paper([np.zeros((1, 1))], [np.array([z])], ("sigmoid",), "binary_cross_entropy",
                   np.zeros((1, 1)), np.ones((1, 1)))


@pytest.mark.parametrize("z", [-40.0, -50.0])
def test_a_clipped_probability_fails_in_the_saturated_regime(z: float) -> None:
    """The issue's case: dC/db = -0.0042 (z = -40) where the truth is -1 must not hold.
    (Far below, at z = -100, a = 3.7e-44 and the clipped gradient is -3.7e-29: a correct
    forward formula within the forward allowance, f' from z and the cost's gradient from
    its own a' = 1e-16, gives as little; see :mod:`proofcheck.forward_precision`.)"""
    from proofcheck.properties import Subject
    from proofcheck.properties._theorem import check_T1_grad

    checks = run_check(check_T1_grad, Subject(clipped_probabilities), _saturated(z))
    worst = max(checks, key=lambda c: c.comparison.ratio)
    assert worst.quantity == "dC/db^1" and float(worst.expected[0]) == pytest.approx(-1.0)
    assert not worst.comparison.holds
    assert worst.comparison.ratio > 1e6


def test_a_clipped_probability_is_caught_by_verify(tmp_path: Path) -> None:
    """The issue's command: ``verify --impl`` of the clipping implementation exits 1."""
    from proofcheck.cli import main

    out = tmp_path / "report.json"
    status = main(["verify", "--impl", "tests.mutants:clipped_probabilities", "--profile", "ci",
                   "--steps", "T1.grad", "--no-database", "--json", str(out)])
    assert status == 1
    report = json.loads(out.read_text())
    assert report["diagnosis"]["root_cause"] == "T1.grad"


@pytest.mark.parametrize("convention, label", [
    ("right", "relu'(0) = 1: the right derivative"),
    ("midpoint", "relu'(0) = 0.5: the midpoint of the one-sided derivatives"),
])
def test_a_kink_convention_in_the_subdifferential_holds_and_is_named(convention: str,
                                                                     label: str) -> None:
    """W = 0, b = 0, X = 0 under relu, with relu'(0) = 1 or 0.5 (every other row of both
    conventions: tests/test_correct_implementations.py)."""
    relu = LoopBackprop(kink=convention, activations=RELU_NETWORKS)
    report = proofcheck.verify(relu, profile="ci", steps=["T1.grad"], database=False)
    assert report.exit_status == 0, report.render()
    row = report.row("T1.grad", "end-to-end")
    assert label in row.kink_convention
    assert label in report.render()
    assert label in report.to_dict()["rows"][0]["kink_convention"]


def test_the_left_derivative_is_named_where_the_kink_matters() -> None:
    report = proofcheck.verify(LoopBackprop(activations=RELU_NETWORKS), profile="ci",
                               steps=["T1.grad"], database=False)
    assert report.exit_status == 0, report.render()
    row = report.row("T1.grad", "end-to-end")
    assert "relu'(0) = 0: the left derivative" in row.kink_convention


def test_a_value_outside_the_subdifferential_fails_and_says_so() -> None:
    report = proofcheck.verify(relu_derivative_two_at_kink, profile="ci", steps=["T1.grad"],
                               database=False)
    assert report.exit_status == 1
    row = report.row("T1.grad", "end-to-end")
    assert row.counterexample is not None and row.counterexample.network is not None
    assert row.counterexample.network["depth"] == 1
    assert any("no accepted convention" in text for text in row.kink_convention)
    assert "relu'(0) = 0, 0.5 or 1" in report.render()


def test_every_correct_implementation_is_in_the_catalog_with_both_kink_conventions() -> None:
    styles = {entry.name for entry in CORRECT}
    assert {"RightDerivativeAtKinks", "MidpointAtKinks"} <= styles


def test_a_cancellation_fed_by_a_cancellation_is_near_the_kink() -> None:
    """Layer 1 cancels to 1e-9 of its terms (far from the 1e-12 margin) but carries the
    rounding of its terms; layer 2 cancels that again, and lands within rounding of 0."""
    X = np.array([[1.0], [1.0 - 1e-9]])
    net = Network.paper([np.array([[1.0, -1.0]]), np.array([[1.0]])],
                  [np.array([0.0]), np.array([-1e-9])], ("relu", "relu"), "squared_error",
                  X, np.zeros((1, 1)))
    Zs, As = MatrixBackprop().forward(net.weights, net.biases, net.activation_names, net.X)
    assert abs(Zs[0][0, 0]) > 1e-12 * 2  # the first layer alone is clear of the kink
    assert error_model.near_kink(net, Zs, As)
    clear = Network.paper(net.weights, [np.array([0.0]), np.array([-0.5e-9])],
                          net.activation_names, net.cost, net.X, net.Y)
    Zs, As = MatrixBackprop().forward(clear.weights, clear.biases, clear.activation_names, clear.X)
    assert not error_model.near_kink(clear, Zs, As)


def test_l2_judges_a_cancelled_directional_derivative_at_its_terms() -> None:
    """The soak's dev seed 17: W dX = 0.25 - 0.25 at b = 0, X = 0 is 4e-19 in numpy and
    3e-19 in XLA; judged at the size of X or b (0) it was a false alarm."""
    from proofcheck.properties import Subject
    from proofcheck.properties._lemmas import DifferentialPoint, check_L2_identification

    p = DifferentialPoint(("leaky_relu", "relu", "tanh"), np.array([[0.25, -0.25]]),
                          np.array([0.0]), np.zeros((2, 1)), np.ones((2, 1)))
    assert all(c.comparison.holds for c in run_check(check_L2_identification, Subject(None), p))


def test_a_derivative_that_is_zero_only_by_rounding_counts_with_its_rounding() -> None:
    """tanh(20) rounds to 1, so the oracle's f' = 1 - a^2 is 0 where the true value is
    1.7e-17; a correct implementation that forms f' as 1 / cosh^2 gets the true value,
    and dC/dW^2, a product of two such derivatives, is 5.8e-32 against the oracle's 0.
    Those entries are not determined by the oracle's float64: not a failure (the suite's
    stream found this network, shrunk, on JacobianBackprop)."""
    from proofcheck.properties import Subject
    from proofcheck.properties._theorem import check_T1_grad

    jacobian = next(e.impl for e in CORRECT if e.name == "JacobianBackprop")
    net = Network.paper([np.array([[5.0]]), np.array([[2.0]]), np.array([[20.0]])],
                  [np.zeros(1)] * 3, ("identity", "tanh", "tanh"), "squared_error",
                  np.array([[2.0]]), np.array([[0.0]]))
    checks = run_check(check_T1_grad, Subject(jacobian), net)
    assert checks[2].quantity == "dC/dW^2" and checks[2].actual[0, 0] > 0
    assert all(c.comparison.holds for c in checks)


def test_L2_leaves_out_a_kink_activation_at_a_subnormal_potential() -> None:
    """Soak (dev seed 39): W X = (-2.2e-16) (-2.1e-302) is subnormal, numpy keeps its
    sign (relu' = 1) and XLA flushes it to the kink (relu' = 0). f' is indeterminate
    there: relu and leaky_relu are left out at that point, the other activations are
    checked."""
    from proofcheck.properties import Subject
    from proofcheck.properties._lemmas import DifferentialPoint, check_L2_identification

    p = DifferentialPoint(("relu", "leaky_relu", "tanh"), np.array([[-2.220446e-16]]),
                          np.array([0.0]), np.array([[-2.055557e-302]]), np.array([[0.0]]))
    checks = run_check(check_L2_identification, Subject(None), p)
    assert {c.quantity for c in checks} == {"M(X) vec(dX) (tanh)", "M(X) (tanh)"}
    assert all(c.comparison.holds for c in checks)


def test_L2_leaves_out_a_kink_activation_where_numpy_rounds_up_to_the_smallest_normal(
        ) -> None:
    """Found by ``proofcheck verify`` (``dev`` draws): W X = (-(1 - 2^-53)) (-tiny) lies
    below tiny and numpy rounds it up to tiny itself, a normal number (relu' = 1), while
    XLA flushes it to the kink (relu' = 0). The potential is not subnormal in numpy, but
    it is within the flushing's reach (closer than FLOOR): relu and leaky_relu are left
    out, the other activations are checked."""
    from proofcheck.properties import Subject
    from proofcheck.properties._lemmas import DifferentialPoint, check_L2_identification

    tiny = np.finfo(np.float64).tiny
    W, X = np.array([[-(1 - 2.0**-53)]]), np.array([[-tiny]])
    assert (W @ X)[0, 0] == tiny  # normal in numpy
    p = DifferentialPoint(("relu", "leaky_relu", "tanh"), W, np.array([0.0]), X,
                          np.array([[0.0]]))
    checks = run_check(check_L2_identification, Subject(None), p)
    assert {c.quantity for c in checks} == {"M(X) vec(dX) (tanh)", "M(X) (tanh)"}
    assert all(c.comparison.holds for c in checks)


def test_a_bias_gradient_is_judged_at_its_own_terms_when_the_input_is_zero() -> None:
    """Found when the layer types' oracle was compiled per structure: X = 0 through two
    dropouts that keep nothing, into a convolution before a softmax under categorical
    cross-entropy. The convolution's bias gradient sums a - y = (1/3, -1/6, -1/6):
    numpy gets 0 and the compiled oracle 5.6e-17, and the end-to-end scale,
    |a^2| |delta^3| = 0, called that a failure (5e8 x tolerance). The bias does not
    multiply a^2; it is judged at the terms it sums."""
    from proofcheck.layers import ACTIVATION_MAPS, Conv1D, Dropout
    from proofcheck.network import Network
    from proofcheck.properties import Subject, check
    from proofcheck.properties._generalization import check_G_param_end_to_end

    maps = {f.describe(): f for f in ACTIVATION_MAPS}
    drop = Dropout(4, (False,) * 4, 0.5)
    net = Network([drop, drop, Conv1D(4, 1, 1, 2)],
                       [{}, {}, {"K": np.zeros((1, 1, 2)), "b": np.zeros(1)}],
                       [maps["identity"], maps["identity"], maps["softmax"]],
                       "categorical_cross_entropy", np.zeros((4, 1)),
                       np.array([[0.0], [0.5], [0.5]]))
    checks = run_check(check_G_param_end_to_end, Subject(None), net)
    assert all(c.comparison.holds for c in checks), [c.comparison for c in checks]
    # Off by the size of its terms, the bias gradient still fails.
    from proofcheck.backprop import layer_backprop
    from proofcheck.oracle import network as oracle
    from proofcheck.properties._generalization import _end_to_end

    o = oracle.network_gradients(net)
    wrong = [dict(g) for g in layer_backprop(net).grads]
    wrong[2]["b"] = wrong[2]["b"] + 1e-3
    checks = _end_to_end(Subject(None), net, o, lambda _, deltas, grads: [
        check("dC/db^3", wrong[2]["b"], o.grads[2]["b"], layer=3,
                                    scale=grads[2]["b"])])
    assert not checks[0].comparison.holds


def test_a_delta_below_a_cancelled_zero_is_judged_at_the_rounding_it_carries(
        ) -> None:
    """Found by ``proofcheck verify`` (``dev`` draws): X = 0 through an affine layer of
    zeros into a LayerNorm of equal inputs, a softmax of equal outputs against Y = 1/7
    under categorical cross-entropy. The oracle's delta^2 = a - y is exactly 0, numpy's
    a few u; LayerNorm's 1 / sqrt(eps) carries that into delta^1 = -1.9e-30, which was
    judged at scale 0 (5e8 x tolerance). delta^1 inherits delta^2's rounding; a delta^1
    off by the size of what it carries still fails."""
    from proofcheck.backprop import layer_backprop
    from proofcheck.layers import ACTIVATION_MAPS, Affine, LayerNorm
    from proofcheck.network import Network
    from proofcheck.oracle import network as oracle
    from proofcheck.properties import Subject, check
    from proofcheck.properties._generalization import _end_to_end, check_G_step_end_to_end

    maps = {f.describe(): f for f in ACTIVATION_MAPS}
    net = Network([Affine(1, 7), LayerNorm(7, False)],
                  [{"W": np.zeros((7, 1)), "b": np.zeros(7)}, {}],
                  [maps["identity"], maps["softmax"]], "categorical_cross_entropy",
                  np.zeros((1, 1)), np.full((7, 1), 1 / 7))
    o = oracle.network_gradients(net)
    assert not np.any(o.deltas[1])  # the oracle's a - y cancelled to exactly 0
    checks = run_check(check_G_step_end_to_end, Subject(None), net)
    assert all(c.comparison.holds for c in checks), [c.comparison for c in checks]
    wrong = layer_backprop(net).deltas[0] + 1e-3
    checks = _end_to_end(Subject(None), net, o, lambda _, deltas, grads: [
        check("delta^1", wrong, o.deltas[0], layer=1, scale=deltas[0])])
    assert not checks[0].comparison.holds


@pytest.mark.parametrize(("n", "x", "y"), [(3, 0.0, np.nextafter(1 / 3, 1)),
                                           (6, 1.463803e-49, 1 / 6)])
def test_a_bias_gradient_of_a_cancelled_delta_is_judged_at_the_rounding_it_carries(
        n: int, x: float, y: float) -> None:
    """Found by the ``dev`` soak on new seeds (61, 94, 99): a residual layer of zeros on
    X = 0 (or 1.5e-49), a softmax of equal outputs against Y = 1/n (or one ulp above,
    where the oracle's gradient of the cost is 0 and numpy's a - y is not). The oracle's and
    numpy's a - y are both a few u but differ; the bias gradient sums delta^1 alone,
    and the second look weighed its Jacobian by delta^1's value, so one ulp of a - y
    failed at 2e8-4e8 x tolerance. A bias gradient off by 1e-3 still fails."""
    from proofcheck.layers import ACTIVATION_MAPS, Residual
    from proofcheck.network import Network
    from proofcheck.properties import Subject, check
    from proofcheck.properties._generalization import _end_to_end, check_G_param_end_to_end

    maps = {f.describe(): f for f in ACTIVATION_MAPS}
    X = np.zeros((n, 1))
    X[0, 0] = x
    net = Network([Residual(n)], [{"W": np.zeros((n, n)), "b": np.zeros(n)}],
                  [maps["softmax"]], "categorical_cross_entropy", X, np.full((n, 1), y))
    checks = run_check(check_G_param_end_to_end, Subject(None), net)
    assert all(c.comparison.holds for c in checks), [c.comparison for c in checks]
    o = oracle.network_gradients(net)
    wrong = o.grads[0]["b"] + 1e-3
    checks = _end_to_end(Subject(None), net, o, lambda _, deltas, grads: [
        check("dC/db^1", wrong, o.grads[0]["b"], layer=1, scale=grads[0]["b"])])
    assert not checks[0].comparison.holds


def test_a_layer_network_outside_the_statement_is_discarded_not_failed() -> None:
    """Found by the layer rows' dev soak (seed 20): b = -709 before a sigmoid under
    cross-entropy rounds a to 0 with y = 0, where the cost's gradient (a - y) / (a (1 - a))
    is 0 / 0. The paper's networks keep a >= 2^-1000 there; the layer networks were
    tested against the cost's domain only, and G.base isolated failed the reference
    on a NaN. Both now use one rule (strategies.outputs_inside_statement)."""
    from hypothesis.errors import Unsatisfiable

    from proofcheck.layers import ACTIVATION_MAPS, Affine
    from proofcheck.network import Network
    from proofcheck.properties import Subject
    from proofcheck.properties._generalization import check_G_base_isolated
    from proofcheck.strategies import outputs_inside_statement

    maps = {f.describe(): f for f in ACTIVATION_MAPS}
    net = Network([Affine(1, 1)], [{"W": np.zeros((1, 1)), "b": np.array([-709.0])}],
                       [maps["sigmoid"]], "binary_cross_entropy", np.zeros((1, 1)),
                       np.zeros((1, 1)))
    A = 1.0 / (1.0 + np.exp(709.0))
    assert not outputs_inside_statement([net.X, np.array([[A]])], net.cost, net.Y)
    with pytest.raises(Unsatisfiable):
        run_check(check_G_base_isolated, Subject(None), net)


def test_a_layer_unit_within_rounding_of_a_kink_is_discarded_not_failed() -> None:
    """Found by the layer rows' dev soak (seed 30): a LayerNorm of an input whose
    features are equal gave a - mu of a few ulp, divided by sqrt(eps). numpy's z^1 was
    exactly 0 (relu'(0) = 0), while XLA's fused relu was applied to 1.8e-14 (its
    derivative 1): two correct computations on opposite sides of the kink. As for the
    paper's networks, such a unit is within rounding of the kink and is discarded; a
    unit exactly at the kink in both passes is kept. (LayerNorm now centres equal
    features to exactly 0 in both programs, so that network is at the kink in both
    passes: kept, and it holds.)"""
    from proofcheck.layers import ACTIVATION_MAPS, Affine
    from proofcheck.layers._layernorm import LayerNorm
    from proofcheck.network import Network
    from proofcheck.properties import Subject
    from proofcheck.properties._generalization import check_G_step_isolated

    maps = {f.describe(): f for f in ACTIVATION_MAPS}
    net = Network([LayerNorm(3, False), Affine(3, 1)],
                       [{}, {"W": np.array([[0.25, 0.0, 0.0]]), "b": np.zeros(1)}],
                       [maps["relu"], maps["sigmoid"]], "binary_cross_entropy",
                       np.ones((3, 1)), np.zeros((1, 1)))
    checks = run_check(check_G_step_isolated, Subject(None), net)
    assert checks and all(c.comparison.holds for c in checks)
    relu, zero = [maps["relu"]], [np.zeros((2, 1))]
    X = [np.zeros((2, 1))]
    # Both passes exactly at the kink: kept (the implementation's f'(0) is checked).
    assert not error_model.layer_near_kink(relu, zero, X + zero, zero, X + zero)
    # The oracle's activation 1.8e-14 where numpy's potential is 0: within rounding.
    assert error_model.layer_near_kink(relu, zero, X + zero, zero, [*X, np.full((2, 1), 1.8e-14)])
    # A potential far from the kink is not, whatever the passes' difference.
    one = [np.ones((2, 1))]
    assert not error_model.layer_near_kink(relu, one, X + one, one, [*X, one[0] + 1e-15])


def test_a_parameter_gradient_is_judged_at_its_deltas_terms_when_the_delta_cancels() -> None:
    """Found by the layer rows' dev soak (seed 39): a LayerNorm with gamma = beta = 0
    before a softmax under categorical cross-entropy with Y = 1/6 in every row. delta^1
    = a - y cancels to exactly 0 in the oracle, and numpy's dC/dbeta is one ulp of 1/6
    (-1.85e-17); the scale |a^0| |delta^1| was 0. The delta's terms bound it instead."""
    from proofcheck.layers import ACTIVATION_MAPS
    from proofcheck.layers._layernorm import LayerNorm
    from proofcheck.network import Network
    from proofcheck.properties import Subject
    from proofcheck.properties._generalization import check_G_param_end_to_end

    maps = {f.describe(): f for f in ACTIVATION_MAPS}
    net = Network([LayerNorm(6, True)], [{"gamma": np.zeros(6), "beta": np.zeros(6)}],
                       [maps["softmax"]], "categorical_cross_entropy", np.zeros((6, 1)),
                       np.full((6, 1), 1 / 6))
    checks = run_check(check_G_param_end_to_end, Subject(None), net)
    assert checks and all(c.comparison.holds for c in checks), [c.comparison for c in checks]
    # A gradient off by 1e-6 of its delta's terms still fails.
    from proofcheck.oracle import network as oracle
    from proofcheck.properties import check

    o = oracle.network_gradients(net)
    _, grads = error_model.layer_network_scales(net, o)
    wrong = o.grads[0]["beta"] + 1e-6
    assert not check("dC/dbeta^1", wrong, o.grads[0]["beta"], layer=1,
                     scale=grads[0]).comparison.holds


def test_a_residual_products_cancellation_at_a_zero_input_is_judged_at_its_terms() -> None:
    """Found by the layer rows' dev soak (seed 46, in a process that had run the seeds
    before it): Residual's input product delta + W^T delta at a = 0, delta = 0.75 and
    W = -1 + 2^-53 cancels to about 1e-16, and numpy and XLA round it differently
    (1.1e-16 and 8.3e-17). The lemma's scale was n |a| |delta| (times the parameters),
    0 at a = 0, and the second look's |J|^T |delta| is as small as the cancelled entry
    of J = I + W itself: a false alarm at 1.2e8 times the tolerance. The products'
    terms are of delta's size (the skip connection multiplies delta by nothing)."""
    from proofcheck.layers import Residual
    from proofcheck.properties import Subject, check
    from proofcheck.properties._generalization import ProductPoint, check_layer_input_lemma

    a, delta = np.zeros((1, 1)), np.array([[0.75]])
    params = {"W": np.array([[-1.0 + 2.0**-53]]), "b": np.zeros(1)}
    point = ProductPoint(Residual(1), params, a, delta)
    checks = run_check(check_layer_input_lemma, Subject(None), point)
    assert checks and all(c.comparison.holds for c in checks), [c.comparison for c in checks]
    # What the soak's process compared: numpy rounds W^T delta before adding delta
    # (2^-53); a fused multiply-add gives the exact 0.75 * 2^-53. This process's XLA
    # program may round either way, so the two roundings are compared directly.
    scale = error_model.lemma_scale(a, delta, *params.values())
    numpy_value = Residual(1).input_product(a, params, delta)
    fused = np.array([[0.75 * 2.0**-53]])
    assert numpy_value[0, 0] == 2.0**-53
    assert check("J_a^T delta", numpy_value, fused, scale=scale).comparison.holds
    # An input product off by 1e-6 of delta's size still fails at that scale.
    assert not check("J_a^T delta", fused + 1e-6 * 0.75, fused, scale=scale).comparison.holds


class HiddenLeftOutputRight:
    """Student code for relu networks with two helpers: ``relu'(z)`` as ``z > 0`` in the
    hidden layers and ``z >= 0`` at the output. Every unit's value is in the
    subdifferential: a valid generalized gradient, with a convention per layer."""

    supported_activations = frozenset(RELU_NETWORKS)

    def gradients(self, weights: list[np.ndarray], biases: list[np.ndarray],
                  activations: list[str], cost: str, X: np.ndarray,
                  Y: np.ndarray) -> tuple[list[np.ndarray], list[np.ndarray]]:
        def hidden(name: str, Z: np.ndarray) -> np.ndarray:
            return (Z > 0).astype(float) if name == "relu" else np.ones_like(Z)

        def output(name: str, Z: np.ndarray) -> np.ndarray:
            return (Z >= 0).astype(float) if name == "relu" else np.ones_like(Z)

        Zs, As = MatrixBackprop().forward(weights, biases, activations, X)
        k, N = len(weights), X.shape[1]
        grad_a = COSTS[cost].gradient(As[k], Y) / N
        delta = output(activations[k - 1], Zs[k - 1]) * grad_a
        dWs, dbs = [np.empty(0)] * k, [np.empty(0)] * k
        for l in range(k, 0, -1):
            dWs[l - 1], dbs[l - 1] = delta @ As[l - 1].T, delta.sum(axis=1)
            if l > 1:
                delta = hidden(activations[l - 2], Zs[l - 2]) * (weights[l - 1].T @ delta)
        return dWs, dbs


def _kinks_in_both_layers() -> Network:
    """Hidden unit 1 and the output unit exactly at relu's kink (their terms all 0), and
    both matter: W^2 reaches the hidden one, and the output's delta reaches dW^2 through the
    other hidden unit, ``a^1_2 = 1``."""
    return Network.paper([np.array([[0.0], [1.0]]), np.array([[2.0, 0.0]])],
                         [np.zeros(2), np.zeros(1)], ("relu", "relu"), "squared_error",
                         np.array([[1.0]]), np.array([[1.0]]))


def test_a_kink_convention_per_layer_holds_and_is_named_per_layer() -> None:
    """relu'(0) = 0 in the hidden layer and 1 at the output: accepted, and named by layer
    (one convention per activation for the whole network failed it)."""
    from proofcheck.properties import Subject
    from proofcheck.properties._theorem import check_T1_grad

    checks = run_check(check_T1_grad, Subject(HiddenLeftOutputRight()), _kinks_in_both_layers())
    assert all(c.comparison.holds for c in checks), [c.quantity for c in checks
                                                     if not c.comparison.holds]
    assert {c.kink_convention for c in checks} == {
        "layer 1: relu'(0) = 0 (the left derivative), "
        "layer 2: relu'(0) = 1 (the right derivative)"}


def test_relu_derivative_two_fails_in_the_layer_where_it_is_used() -> None:
    from proofcheck.properties import Subject
    from proofcheck.properties._theorem import check_T1_grad

    checks = run_check(check_T1_grad, Subject(relu_derivative_two_at_kink),
                       _kinks_in_both_layers())
    assert not all(c.comparison.holds for c in checks)
    assert {c.kink_convention for c in checks} == {
        "a value at a kink in layer 2 that no accepted convention gives "
        "(accepted: relu'(0) = 0, 0.5 or 1)"}


def test_an_implementation_with_a_kink_convention_per_layer_holds_at_every_row() -> None:
    report = proofcheck.verify(HiddenLeftOutputRight(), profile="ci", database=False)
    assert report.exit_status == 0, report.render()
    assert report.misconceptions == []
