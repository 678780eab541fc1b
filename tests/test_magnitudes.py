"""Magnitudes: the strategies reach the hard regimes, and the checks stay sound there.

The strategies draw parameters and inputs over six orders of magnitude
(:mod:`proofcheck.strategies`); these tests show that the regimes the issue
names are reached, that the reference and a textbook implementation pass
there, that a wrong step is still caught there, and that the two known float
pitfalls (JAX's derivative of ``expm1``, a sigmoid that rounds to 0) are
handled in the definitions rather than hidden by a tolerance.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import HealthCheck, find, given, settings

from proofcheck import MatrixBackprop
from proofcheck.activations import ACTIVATIONS
from proofcheck.catalog import CATALOG, LoopBackprop
from proofcheck.network import forward_numpy
from proofcheck.properties import Subject
from proofcheck.properties._theorem import check_T1_grad, check_T1_step_end_to_end
from proofcheck.strategies import Network, inside_statement, networks
from tests.single_example import run_check

SEARCH = settings(max_examples=2000, database=None, derandomize=True,
                  suppress_health_check=list(HealthCheck))


def _outputs(net: Network) -> np.ndarray:
    return forward_numpy(net.weights, net.biases, net.activation_names, net.X)[1][-1]


def _potentials(net: Network) -> list[np.ndarray]:
    return forward_numpy(net.weights, net.biases, net.activation_names, net.X)[0]


REGIMES = {
    "large weights (1e2 times the default)": lambda n: any(
        np.max(np.abs(W)) * W.shape[1] >= 1e2 for W in n.weights),
    "small weights (1e-2 times the default)": lambda n: any(
        0 < np.max(np.abs(W)) * W.shape[1] <= 1e-2 for W in n.weights),
    "large inputs": lambda n: np.max(np.abs(n.X)) >= 1e2,
    "a saturated sigmoid unit, f'(z) < 1e-12": lambda n: any(
        name == "sigmoid" and np.min(ACTIVATIONS["sigmoid"].derivative(Z)) < 1e-12
        for name, Z in zip(n.activation_names, _potentials(n), strict=True)),
    "a relu potential within 1e-6 of the kink (not at it)": lambda n: any(
        name == "relu" and np.any((np.abs(Z) > 0) & (np.abs(Z) < 1e-6))
        for name, Z in zip(n.activation_names, _potentials(n), strict=True)),
    "a cross-entropy output within 1e-10 of 1": lambda n: (
        n.cost == "binary_cross_entropy" and np.min(1.0 - _outputs(n)) < 1e-10),
    "a cross-entropy output within 1e-10 of 0": lambda n: (
        n.cost == "binary_cross_entropy" and np.min(_outputs(n)) < 1e-10),
}


@pytest.mark.parametrize("regime", list(REGIMES))
def test_strategies_reach_the_regime(regime: str) -> None:
    net = find(networks(max_depth=3), REGIMES[regime], settings=SEARCH)
    assert inside_statement(net)


#: Enough draws for test_unscaled_networks_stay_unscaled: with orders > 0 an array is
#: scaled up in 3 draws of 7 and every network has at least two arrays, so a strategy
#: that ignored orders=0 would show within a few draws. (A negative find() over the
#: 2000 of SEARCH took 28 s of the suite for the same evidence.)
UNSCALED = settings(max_examples=200, database=None, derandomize=True,
                    suppress_health_check=list(HealthCheck))


@UNSCALED
@given(networks(orders=0))
def test_unscaled_networks_stay_unscaled(net: Network) -> None:
    # Every entry lies within its default bound: weights within weight_bound / n_{l-1}
    # (a row's l1-norm at most 1), biases and X within data_bound (1).
    assert not REGIMES["large weights (1e2 times the default)"](net)
    assert all(np.max(np.abs(W)) * W.shape[1] <= 1.0 for W in net.weights)
    assert max(np.max(np.abs(a)) for a in [*net.biases, net.X]) <= 1.0


def _saturated_bce() -> Network:
    """Two sigmoid layers, the output within ~1e-13 of 1, under cross-entropy."""
    W1, b1 = np.array([[2.0], [-1.5]]), np.array([30.0, -25.0])
    W2, b2 = np.array([[3.0, 1.0]]), np.array([27.0])
    return Network.paper([W1, W2], [b1, b2], ("sigmoid", "sigmoid"), "binary_cross_entropy",
                   np.array([[0.5]]), np.array([[0.25]]))


def test_the_saturated_network_is_ill_conditioned() -> None:
    A = _outputs(_saturated_bce())
    assert inside_statement(_saturated_bce())
    assert 0 < 1.0 - A[0, 0] < 1e-11


@pytest.mark.parametrize("impl", [MatrixBackprop(), LoopBackprop()],
                         ids=["reference", "textbook loops, f' = a(1-a)"])
def test_right_implementations_pass_near_saturation(impl: object) -> None:
    net = _saturated_bce()
    checks = run_check(check_T1_grad, Subject(impl), net)
    if isinstance(impl, MatrixBackprop):
        checks += run_check(check_T1_step_end_to_end, Subject(impl), net)
    for check in checks:
        assert check.comparison.holds, (check.quantity, check.comparison)


@pytest.mark.parametrize("name", ["missing_transpose", "f_instead_of_fprime",
                                  "bce_missing_factor"])
def test_a_wrong_step_is_still_caught_near_saturation(name: str) -> None:
    """The propagated-rounding scales loosen only the entries rounding can explain: with
    one output within 1e-12 of 1, the other entries still expose a wrong step."""
    entry = next(m for m in CATALOG if m.name == name)
    W1, b1 = np.array([[2.0, 0.5], [-1.5, 1.0]]), np.array([0.3, -0.5])
    W2, b2 = np.array([[1.0, 2.0], [-0.5, 0.25]]), np.array([27.0, 0.2])
    net = Network.paper([W1, W2], [b1, b2], ("sigmoid", "sigmoid"), "binary_cross_entropy",
                  np.array([[0.5], [-0.3]]), np.array([[0.25], [0.75]]))
    assert 0 < np.min(1.0 - _outputs(net)) < 1e-11
    subject = Subject(entry.impl)
    checks = run_check(check_T1_grad, subject, net)
    if name == "missing_transpose":
        checks += run_check(check_T1_step_end_to_end, subject, net)
    assert not all(c.comparison.holds for c in checks)


def test_jax_differentiates_elu_exactly_far_below_zero() -> None:
    """JAX's derivative of expm1 is expm1(z) + 1 (absolute accuracy only); elu uses exp
    below -1, so the oracle's f' is e^z to the last digits (a 1e-4 error before)."""
    z = np.array([-30.0, -100.0, -700.0, -1.5, -0.5, -1e-8])
    grad = jax.vmap(jax.grad(lambda t: ACTIVATIONS["elu"].forward(t, jnp)))
    with jax.enable_x64(True):
        np.testing.assert_allclose(np.asarray(grad(jnp.asarray(z))), np.exp(z), rtol=1e-15)


def test_sigmoid_keeps_relative_accuracy_far_below_zero() -> None:
    """0.5 (1 + tanh(z/2)) rounds to 0 below about -38 and makes cross-entropy infinite;
    the sigmoid here is e^z / (1 + e^z) there, accurate to the last digits."""
    z = np.array([-40.0, -300.0, -700.0])
    np.testing.assert_allclose(ACTIVATIONS["sigmoid"](z), np.exp(z) / (1 + np.exp(z)),
                               rtol=1e-15)
    assert np.all(ACTIVATIONS["sigmoid"](z) > 0)


def test_inside_statement_rejects_an_output_rounded_to_one() -> None:
    bce = _saturated_bce()
    net = Network.paper(bce.weights, [np.array([30.0, -25.0]), np.array([40.0])],
                        bce.activation_names, bce.cost, bce.X, bce.Y)
    assert _outputs(net)[0, 0] == 1.0
    assert not inside_statement(net)


def test_a_subnormal_potential_at_a_kink_is_discarded() -> None:
    """Found by the soak: W^2 = 2.2e-308 (the smallest normal number) times a^1 = 0.125
    is subnormal in numpy, so relu' = 1, and flushed to 0 by XLA, so relu' = 0. Both
    are right; the end-to-end rows discard the example as within rounding of the kink."""
    from hypothesis import given
    from hypothesis import strategies as st
    from hypothesis.errors import Unsatisfiable

    from proofcheck.properties._theorem import _hand_side

    net = Network.paper([np.array([[0.0]]), np.array([[2.225074e-308]]), np.array([[1.0]])],
                  [np.array([0.125]), np.array([0.0]), np.array([0.0])],
                  ("identity", "relu", "sigmoid"), "binary_cross_entropy",
                  np.array([[0.0]]), np.array([[0.0]]))
    assert 0 < _potentials(net)[1][0, 0] < np.finfo(np.float64).tiny

    @settings(max_examples=5, database=None)
    @given(st.just(net))
    def end_to_end(drawn: Network) -> None:
        _hand_side(drawn)

    with pytest.raises(Unsatisfiable):  # its only example is discarded
        end_to_end()


def test_propagated_bounds_are_rounding_sized_where_well_conditioned() -> None:
    """The propagated estimate loosens only ill-conditioned entries: on a plain network
    with negative outputs under squared error it stays at rounding size."""
    from proofcheck.numerics.error_model import propagated
    from proofcheck.oracle import network as oracle

    W1, W2 = np.array([[0.5, -0.25], [0.75, 0.5]]), np.array([[-1.0, 0.5], [0.25, -0.5]])
    net = Network.paper([W1, W2],
                  [np.array([0.1, -0.2]), np.array([-0.3, 0.05])], ("tanh", "identity"),
                  "squared_error", np.array([[0.5, -1.0], [0.25, 0.75]]),
                  np.array([[0.5, 0.25], [-0.5, 1.0]]))
    assert np.any(_outputs(net) < 0)
    o = oracle.network_gradients(net)
    p = propagated(net, o)
    for bound, value in zip(p.deltas + p.dWs + p.dbs, o.deltas + o.dWs + o.dbs, strict=True):
        assert np.all(bound <= 1e-14 * max(1.0, float(np.max(np.abs(value)))))
