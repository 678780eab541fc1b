"""The reference implementation, MatrixBackprop: each step on small cases worked out by
hand, the shapes it returns, the derivative it takes from A, and the errors of bad
input."""

from __future__ import annotations

from itertools import pairwise

import numpy as np
import pytest

from proofcheck import ACTIVATIONS, COSTS, InputError, MatrixBackprop
from proofcheck.backprop import _derivative

BP = MatrixBackprop()


# --- the steps -------------------------------------------------------------------------


def test_output_delta_is_the_entrywise_product() -> None:
    dfz = np.array([[1.0, 0.5], [0.0, 2.0]])
    grad_a = np.array([[3.0, -2.0], [7.0, 0.25]])
    assert np.array_equal(BP.output_delta(dfz, grad_a), [[3.0, -1.0], [0.0, 0.5]])


def test_backward_delta_transposes_the_next_weights() -> None:
    W_next = np.array([[1.0, 0.0, 2.0], [-1.0, 3.0, 0.0]])  # (n_{l+1}, n_l) = (2, 3)
    delta_next = np.array([[1.0, 2.0], [0.5, -1.0]])  # (2, N)
    dfz = np.array([[1.0, 1.0], [2.0, 0.0], [0.5, -1.0]])  # (3, N)
    # (W^{l+1})^T Delta^{l+1} = [[0.5, 3], [1.5, -3], [2, 4]], times dfz entry by entry
    expected = np.array([[0.5, 3.0], [3.0, 0.0], [1.0, -4.0]])
    before = (W_next.copy(), delta_next.copy(), dfz.copy())
    delta = BP.backward_delta(W_next, delta_next, dfz)
    assert delta.shape == (3, 2)
    assert np.array_equal(delta, expected)
    # The product is taken in place in its own result, not in an argument.
    for arg, old in zip((W_next, delta_next, dfz), before, strict=True):
        assert np.array_equal(arg, old)


def test_weight_grad_is_delta_times_the_previous_activation_transposed() -> None:
    delta = np.array([[1.0, -1.0, 2.0]])  # (n_l, N) = (1, 3)
    a_prev = np.array([[1.0, 1.0, 1.0], [0.0, 2.0, 0.5]])  # (n_{l-1}, N) = (2, 3)
    dW = BP.weight_grad(delta, a_prev)
    assert dW.shape == (1, 2)
    assert np.array_equal(dW, [[2.0, -1.0]])


def test_bias_grad_sums_over_the_examples_into_a_vector() -> None:
    delta = np.array([[1.0, -1.0, 2.0], [0.5, 0.5, 0.0]])
    db = BP.bias_grad(delta)
    assert db.shape == (2,)
    assert np.array_equal(db, [2.0, 1.0])


def test_forward_is_the_network_forward_pass() -> None:
    Ws, bs = [np.array([[2.0, -1.0]])], [np.array([0.5])]
    Zs, As = BP.forward(Ws, bs, ["relu"], np.array([[1.0, 0.0], [1.0, 1.0]]))
    assert np.array_equal(Zs[0], [[1.5, -0.5]]) and np.array_equal(As[1], [[1.5, 0.0]])


# --- the derivative from A -------------------------------------------------------------

Z = np.array([[-800.0, -40.0, -3.0, -1e-300, -0.0, 0.0, 1e-300, 1e-9, 0.7, 20.0, 800.0],
              [-1.5, -1e-9, -0.2, 0.0, 0.1, 2.5, 1.0, -1.0, 37.0, -37.0, 5.0]])


@pytest.mark.parametrize("name", list(ACTIVATIONS))
def test_the_derivative_is_bit_for_bit_the_hand_derived_one(name: str) -> None:
    """The module docstring's promise: f'(Z) taken from A = f(Z) where that is exact
    gives the very same floating-point values as f'(Z)."""
    f = ACTIVATIONS[name]
    with np.errstate(all="ignore"):
        A = f(Z)
        got = _derivative(name, Z, A)
        want = f.derivative(Z)
    assert got.shape == Z.shape and got.dtype == np.float64
    assert np.array_equal(got, want), (name, got - want)


# --- gradients -------------------------------------------------------------------------


def test_gradients_of_one_affine_layer_by_hand() -> None:
    """C = (1/N) sum_i 1/2 (W x_i + b - y_i)^2: dC/dW = (1/N) (Z - Y) X^T and
    dC/db = (1/N) (Z - Y) 1."""
    W, b = np.array([[1.0, -2.0]]), np.array([0.5])
    X = np.array([[1.0, 0.0, 2.0], [1.0, 1.0, -1.0]])
    Y = np.array([[0.0, 1.0, 4.0]])
    r = W @ X + b[:, None] - Y  # [[-0.5, -2.5, 0.5]]
    dWs, dbs = BP.gradients([W], [b], ["identity"], "squared_error", X, Y)
    assert np.allclose(dWs[0], r @ X.T / 3, rtol=1e-15, atol=0)
    assert np.allclose(dbs[0], r.sum(axis=1) / 3, rtol=1e-15, atol=0)


def test_gradients_of_two_linear_layers_by_hand() -> None:
    """Delta^2 = (A^2 - Y) / N and Delta^1 = (W^2)^T Delta^2 for identity activations."""
    W1, b1 = np.array([[1.0, 0.5], [-1.0, 2.0], [0.0, 1.0]]), np.array([0.0, 1.0, -1.0])
    W2, b2 = np.array([[2.0, -1.0, 0.5]]), np.array([0.25])
    X, Y = np.array([[1.0, -1.0], [0.5, 2.0]]), np.array([[1.0, 0.0]])
    A1 = W1 @ X + b1[:, None]
    A2 = W2 @ A1 + b2[:, None]
    delta2 = (A2 - Y) / 2
    delta1 = W2.T @ delta2
    dWs, dbs = BP.gradients([W1, W2], [b1, b2], ["identity", "identity"], "squared_error",
                            X, Y)
    assert np.allclose(dWs[1], delta2 @ A1.T, rtol=1e-14, atol=0)
    assert np.allclose(dbs[1], delta2.sum(axis=1), rtol=1e-14, atol=0)
    assert np.allclose(dWs[0], delta1 @ X.T, rtol=1e-14, atol=0)
    assert np.allclose(dbs[0], delta1.sum(axis=1), rtol=1e-14, atol=0)


def test_gradients_of_a_sigmoid_under_cross_entropy_simplify() -> None:
    """sigmoid'(z) (a - y) / (a (1 - a)) = a - y: Delta^1 = (A - Y) / N."""
    W, b = np.array([[0.3, -0.7]]), np.array([0.1])
    X, Y = np.array([[1.0, -2.0], [0.5, 0.25]]), np.array([[1.0, 0.0]])
    A = ACTIVATIONS["sigmoid"](W @ X + b[:, None])
    dWs, dbs = BP.gradients([W], [b], ["sigmoid"], "binary_cross_entropy", X, Y)
    assert np.allclose(dWs[0], (A - Y) @ X.T / 2, rtol=1e-14, atol=0)
    assert np.allclose(dbs[0], (A - Y).sum(axis=1) / 2, rtol=1e-14, atol=0)


def test_gradients_have_the_shapes_of_the_parameters() -> None:
    widths = [3, 5, 1, 4]
    rng = np.random.default_rng(1)
    Ws = [rng.normal(size=(n, m)) for m, n in pairwise(widths)]
    bs = [rng.normal(size=n) for n in widths[1:]]
    X, Y = rng.normal(size=(3, 6)), rng.normal(size=(4, 6))
    dWs, dbs = BP.gradients(Ws, bs, ["tanh", "relu", "elu"], "squared_error", X, Y)
    assert [dW.shape for dW in dWs] == [(5, 3), (1, 5), (4, 1)]
    assert [db.shape for db in dbs] == [(5,), (1,), (4,)]
    assert all(g.dtype == np.float64 for g in (*dWs, *dbs))


def test_gradients_leave_their_arguments_alone() -> None:
    Ws, bs = [np.array([[1.0, -1.0]]), np.array([[2.0]])], [np.array([0.5]), np.array([0.0])]
    X, Y = np.array([[1.0], [2.0]]), np.array([[0.5]])
    before = [a.copy() for a in (*Ws, *bs, X, Y)]
    BP.gradients(Ws, bs, ["tanh", "identity"], "squared_error", X, Y)
    assert all(np.array_equal(a, b) for a, b in zip((*Ws, *bs, X, Y), before, strict=True))


def test_a_subclass_puts_its_own_step_under_the_rest_of_the_reference() -> None:
    class NoBias(MatrixBackprop):
        def bias_grad(self, delta: np.ndarray) -> np.ndarray:
            return np.zeros(delta.shape[0])

    args = ([np.array([[1.0, 2.0]])], [np.array([1.0])], ["identity"], "squared_error",
            np.array([[1.0], [1.0]]), np.array([[0.0]]))
    dWs, dbs = NoBias().gradients(*args)
    ref_dWs, ref_dbs = BP.gradients(*args)
    assert np.array_equal(dbs[0], [0.0]) and ref_dbs[0][0] == 4.0
    assert np.array_equal(dWs[0], ref_dWs[0])


def test_every_activation_and_cost_is_supported() -> None:
    assert MatrixBackprop.supported_activations == frozenset(ACTIVATIONS)
    assert MatrixBackprop.supported_costs == frozenset(COSTS)


# --- bad input -------------------------------------------------------------------------


def test_bad_input_is_an_input_error_before_any_arithmetic() -> None:
    with pytest.raises(InputError, match=r"weights\[1\] \(W\^2\) has shape \(1, 2\)"):
        BP.gradients([np.ones((3, 2)), np.ones((1, 2))], [np.zeros(3), np.zeros(1)],
                     ["tanh", "tanh"], "squared_error", np.ones((2, 1)), np.ones((1, 1)))
    with pytest.raises(InputError, match="X has dtype float32"):
        BP.gradients([np.ones((1, 2))], [np.zeros(1)], ["tanh"], "squared_error",
                     np.ones((2, 1), dtype=np.float32), np.ones((1, 1)))


def test_an_output_outside_the_costs_domain_is_an_input_error() -> None:
    """A sigmoid output that rounds to 1 has no finite cross-entropy gradient."""
    with pytest.raises(InputError, match=r"output A\^k .* strictly inside \(0, 1\)"):
        BP.gradients([np.array([[100.0]])], [np.array([0.0])], ["sigmoid"],
                     "binary_cross_entropy", np.ones((1, 1)), np.ones((1, 1)))


def test_input_errors_are_value_errors() -> None:
    with pytest.raises(ValueError, match="cost is 'hinge'"):
        BP.gradients([np.ones((1, 1))], [np.zeros(1)], ["tanh"], "hinge", np.ones((1, 1)),
                     np.ones((1, 1)))
