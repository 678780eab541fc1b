"""The second oracle, finite differences: derivative (the step and Richardson's
extrapolation), jacobian (its column-major layout) and network_gradients (every
quantity, its rounding bound, inputs left alone)."""

from __future__ import annotations

import numpy as np
import pytest

from proofcheck import ACTIVATIONS, MatrixBackprop
from proofcheck.network import Network, forward_numpy, mean_cost
from proofcheck.numerics.tolerances import compare
from proofcheck.oracle.finite_differences import (
    ROUNDING,
    STEP,
    FiniteDifferenceGradients,
    derivative,
    jacobian,
    network_gradients,
)

EPS = float(np.finfo(np.float64).eps)


# --- derivative ------------------------------------------------------------------------


@pytest.mark.parametrize(("x", "expected"), [(0.0, 1.0), (0.3, np.cos(0.3)),
                                              (-2.0, np.cos(-2.0))])
def test_derivative_of_a_smooth_function(x: float, expected: float) -> None:
    assert derivative(np.sin, x) == pytest.approx(expected, rel=1e-11, abs=1e-12)


def test_derivative_is_extrapolated_beyond_a_central_difference() -> None:
    """A central difference of x^3 at 1 is off by h^2 = 1e-6; Richardson's step removes
    the h^2 term, leaving rounding."""
    assert derivative(lambda x: x**3, 1.0) == pytest.approx(3.0, rel=1e-11)


def test_derivative_steps_in_proportion_to_the_point() -> None:
    """At x = 1e8 a step of 1e-3 would be lost to rounding in x^4 (about 1e-5 relative);
    the step 1e-3 |x| keeps the result to rounding."""
    x = 1e8
    assert derivative(lambda t: t**4, x) == pytest.approx(4 * x**3, rel=1e-11)


def test_derivative_evaluates_at_the_documented_steps() -> None:
    points: list[float] = []

    def C(t: float) -> float:
        points.append(t)
        return t

    derivative(C, 50.0)
    h = STEP * 50.0
    assert sorted(points) == pytest.approx(sorted([50 + h / 2, 50 - h / 2, 50 + h, 50 - h]))
    points.clear()
    derivative(C, 0.1)  # |x| < 1: the step is STEP itself
    assert max(points) == pytest.approx(0.1 + STEP)


# --- jacobian --------------------------------------------------------------------------


def test_jacobian_of_a_product_is_a_kronecker_product() -> None:
    """vec(A X) = (I_N kron A) vec X, with vec column-major."""
    A = np.array([[1.0, -2.0], [0.5, 3.0], [4.0, 0.0]])
    X = np.array([[1.0, 2.0, 3.0, 4.0], [-1.0, 0.0, 0.5, 2.0]])
    J = jacobian(lambda M: A @ M, X)
    assert J.shape == (3 * 4, 2 * 4)
    assert np.allclose(J, np.kron(np.eye(4), A), rtol=0, atol=1e-10)


def test_jacobian_of_a_transpose_follows_vec_on_both_sides() -> None:
    """Rows follow vec F(X), columns vec X, both column-major: a transpose gives the
    commutation matrix, which a row-major layout on either side would not."""
    X = np.arange(6.0).reshape(2, 3)
    J = jacobian(lambda M: M.T, X)
    expected = np.zeros((6, 6))
    for i in range(2):
        for j in range(3):
            # X[i, j] is entry i + 2 j of vec X and entry j + 3 i of vec X^T
            expected[j + 3 * i, i + 2 * j] = 1.0
    assert np.allclose(J, expected, rtol=0, atol=1e-10)


def test_jacobian_of_an_elementwise_map_is_diagonal() -> None:
    X = np.array([[0.1, -0.7], [1.5, 2.0]])
    J = jacobian(np.exp, X)
    assert np.allclose(J, np.diag(np.exp(X.reshape(-1, order="F"))), rtol=1e-10, atol=0)


def test_jacobian_leaves_its_argument_alone() -> None:
    X = np.array([[1.0, 2.0], [3.0, 4.0]])
    before = X.copy()
    jacobian(lambda M: M.sum(axis=0), X)
    assert np.array_equal(X, before)


# --- network_gradients -----------------------------------------------------------------


def _network() -> tuple[list[np.ndarray], list[np.ndarray], list[str], str, np.ndarray,
                        np.ndarray]:
    Ws = [np.array([[0.5, -0.3], [0.2, 0.8], [-0.6, 0.1]]), np.array([[0.7, -0.4, 0.9]])]
    bs = [np.array([0.1, -0.2, 0.05]), np.array([0.3])]
    X = np.array([[0.4, -1.0], [0.9, 0.2]])
    Y = np.array([[0.25, -0.5]])
    return Ws, bs, ["tanh", "sigmoid"], "squared_error", X, Y


def test_network_gradients_agree_with_the_reference_backpropagation() -> None:
    Ws, bs, acts, cost, X, Y = _network()
    fd = network_gradients(Network.paper(Ws, bs, tuple(acts), cost, X, Y))
    dWs, dbs = MatrixBackprop().gradients(Ws, bs, acts, cost, X, Y)
    for got, want in zip([*(g["W"] for g in fd.grads), *(g["b"] for g in fd.grads)],
                         [*dWs, *dbs], strict=True):
        assert got.shape == want.shape
        assert compare(got, want, "finite differences").holds


def test_network_gradients_deltas_and_output_gradient_by_hand() -> None:
    """dC/dA^2 = (A^2 - Y) / N; Delta^2 = sigmoid'(Z^2) dC/dA^2;
    Delta^1 = tanh'(Z^1) (W^2)^T Delta^2."""
    Ws, bs, acts, cost, X, Y = _network()
    Zs, As = forward_numpy(Ws, bs, acts, X)
    grad_a = (As[2] - Y) / X.shape[1]
    delta2 = ACTIVATIONS["sigmoid"].derivative(Zs[1]) * grad_a
    delta1 = ACTIVATIONS["tanh"].derivative(Zs[0]) * (Ws[1].T @ delta2)
    fd = network_gradients(Network.paper(Ws, bs, tuple(acts), cost, X, Y))
    assert isinstance(fd, FiniteDifferenceGradients)
    for got, want in ((fd.grad_a, grad_a), (fd.deltas[1], delta2), (fd.deltas[0], delta1)):
        assert got.shape == want.shape
        assert compare(got, want, "finite differences").holds


def test_rounding_is_the_documented_bound() -> None:
    """ROUNDING u M / h, with M the largest |C| evaluated and h the smallest step: for a
    network whose entries are at most 1, h = STEP / 2 and M is close to C itself."""
    Ws, bs, acts, cost, X, Y = _network()
    _, As = forward_numpy(Ws, bs, acts, X)
    C = float(mean_cost(As[-1], Y, cost, np))
    fd = network_gradients(Network.paper(Ws, bs, tuple(acts), cost, X, Y))
    assert fd.rounding == pytest.approx(ROUNDING * EPS * C / (STEP / 2), rel=0.05)


def test_network_gradients_leave_the_network_and_data_alone() -> None:
    net = _network()
    before = [np.copy(a) for a in (*net[0], *net[1], net[4], net[5])]
    network_gradients(Network.paper(*net))
    after = [*net[0], *net[1], net[4], net[5]]
    assert all(np.array_equal(a, b) for a, b in zip(after, before, strict=True))
