"""The network's definitions (D1, D4) with numpy: the one network value, the potential,
the forward pass and the mean cost, on small cases worked out by hand. (The oracle runs
the same functions with jax.numpy; tests/oracle/test_network.py covers that side.)"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from proofcheck import ACTIVATIONS
from proofcheck.layers import Affine, Elementwise, LayerNorm
from proofcheck.network import (
    Network,
    affine_forward,
    forward,
    forward_numpy,
    mean_cost,
    potential,
)

W1 = np.array([[1.0, -1.0], [2.0, 0.5], [0.0, 3.0]])  # (3, 2)
b1 = np.array([0.5, -4.0, 1.0])
W2 = np.array([[1.0, 2.0, -1.0]])  # (1, 3)
b2 = np.array([-0.5])
X = np.array([[1.0, 0.0], [2.0, -1.0]])  # (2, 2): two examples

#: Z^1 = W^1 X + b^1 1^T, worked out by hand.
Z1 = np.array([[1 - 2 + 0.5, 0 + 1 + 0.5],
               [2 + 1 - 4.0, 0 - 0.5 - 4.0],
               [0 + 6 + 1.0, 0 - 3 + 1.0]])


def test_potential_is_the_affine_map_with_the_bias_on_every_column() -> None:
    Z = potential(W1, X, b1, np)
    assert Z.shape == (3, 2)
    assert np.array_equal(Z, Z1)


def test_potential_of_a_single_example() -> None:
    Z = potential(W1, X[:, :1], b1, np)
    assert Z.shape == (3, 1)
    assert np.array_equal(Z, Z1[:, :1])


def test_forward_keeps_every_potential_and_activation() -> None:
    relu = ACTIVATIONS["relu"]
    Zs, As = affine_forward([W1, W2], [b1, b2], [lambda Z: relu.forward(Z, np), lambda Z: Z], X, np)
    A1 = np.array([[0.0, 1.5], [0.0, 0.0], [7.0, 0.0]])  # relu of Z^1
    Z2 = np.array([[0 + 0 - 7 - 0.5, 1.5 + 0 - 0 - 0.5]])
    assert len(Zs) == 2 and len(As) == 3
    assert As[0] is X
    assert np.array_equal(Zs[0], Z1) and np.array_equal(As[1], A1)
    assert np.array_equal(Zs[1], Z2) and np.array_equal(As[2], Z2)


def test_forward_applies_each_layer_its_own_map_in_order() -> None:
    seen: list[tuple[int, tuple[int, ...]]] = []

    def recorder(l: int) -> Callable[[np.ndarray], np.ndarray]:
        def f(Z: np.ndarray) -> np.ndarray:
            seen.append((l, Z.shape))
            return 2.0 * Z

        return f

    Zs, As = affine_forward([W1, W2], [b1, b2], [recorder(1), recorder(2)], X, np)
    assert seen == [(1, (3, 2)), (2, (1, 2))]
    assert np.array_equal(As[1], 2.0 * Z1)
    assert np.array_equal(Zs[1], W2 @ (2.0 * Z1) + b2[:, None])


def test_forward_refuses_lists_of_different_lengths() -> None:
    with pytest.raises(ValueError):
        affine_forward([W1, W2], [b1], [np.tanh, np.tanh], X, np)


@pytest.mark.parametrize("names", [("tanh", "sigmoid"), ("relu", "identity"),
                                   ("softplus", "elu")])
def test_forward_numpy_takes_activations_by_name(names: tuple[str, str]) -> None:
    maps = [lambda Z, f=ACTIVATIONS[name]: f.forward(Z, np) for name in names]
    by_name = forward_numpy([W1, W2], [b1, b2], list(names), X)
    by_map = affine_forward([W1, W2], [b1, b2], maps, X, np)
    for got, want in zip([*by_name[0], *by_name[1]], [*by_map[0], *by_map[1]], strict=True):
        assert np.array_equal(got, want)


def test_forward_numpy_names_an_unknown_activation() -> None:
    with pytest.raises(KeyError, match="unknown activation 'swish'"):
        forward_numpy([W1], [b1], ["swish"], X)


def test_mean_cost_of_squared_error_averages_over_the_examples() -> None:
    A = np.array([[1.0, 0.0], [2.0, 3.0]])
    Y = np.array([[0.0, 0.0], [0.0, 1.0]])
    # per example: 1/2 (1 + 4) = 2.5 and 1/2 (0 + 4) = 2; the mean is 2.25
    assert float(mean_cost(A, Y, "squared_error", np)) == 2.25


def test_mean_cost_of_binary_cross_entropy() -> None:
    A = np.array([[0.5, 0.25]])
    Y = np.array([[1.0, 0.0]])
    expected = (-np.log(0.5) - np.log(0.75)) / 2
    assert float(mean_cost(A, Y, "binary_cross_entropy", np)) == pytest.approx(expected,
                                                                               rel=1e-15)


def test_mean_cost_of_categorical_cross_entropy() -> None:
    A = np.array([[0.5, 0.1], [0.5, 0.9]])
    Y = np.array([[1.0, 0.0], [0.0, 1.0]])
    expected = (-np.log(0.5) - np.log(0.9)) / 2
    assert float(mean_cost(A, Y, "categorical_cross_entropy", np)) == pytest.approx(
        expected, rel=1e-15)


def test_mean_cost_of_one_example_is_its_cost() -> None:
    A, Y = np.array([[3.0]]), np.array([[1.0]])
    assert float(mean_cost(A, Y, "squared_error", np)) == 2.0


def test_mean_cost_names_an_unknown_cost() -> None:
    with pytest.raises(KeyError, match="hinge"):
        mean_cost(np.zeros((1, 1)), np.zeros((1, 1)), "hinge", np)


# --- the one network value -----------------------------------------------------------


def _paper() -> Network:
    return Network.paper([W1, W2], [b1, b2], ("relu", "identity"), "squared_error", X,
                         np.zeros((1, 2)))


def test_the_papers_network_is_a_network_of_affine_layers() -> None:
    net = _paper()
    assert net.is_paper
    assert [type(layer) for layer in net.layers] == [Affine, Affine]
    assert [type(f) for f in net.activations] == [Elementwise, Elementwise]
    assert net.weights[0] is W1 and net.biases[1] is b2
    assert net.activation_names == ("relu", "identity")
    assert (net.depth, net.widths, net.batch_size) == (2, (2, 3, 1), 2)
    assert net.describe() == ("depth k=2, widths [2, 3, 1], activations ['relu', 'identity'], "
                              "cost squared_error, batch N=2")


def test_the_one_forward_pass_is_the_papers_on_the_papers_network() -> None:
    relu = ACTIVATIONS["relu"]
    Zs, As = forward(_paper(), np)
    Zs_, As_ = affine_forward([W1, W2], [b1, b2], [lambda Z: relu.forward(Z, np), lambda Z: Z],
                              X, np)
    for got, want in zip([*Zs, *As], [*Zs_, *As_], strict=True):
        assert np.array_equal(got, want)


def test_a_network_of_other_layer_types_has_no_weights_to_read() -> None:
    net = Network([LayerNorm(2, True)], [{"gamma": np.ones(2), "beta": np.zeros(2)}],
                  [Elementwise("tanh")], "squared_error", X, np.zeros((2, 2)))
    assert not net.is_paper
    assert "layers ['LayerNorm(2, learned scale and shift)']" in net.describe()
    with pytest.raises(TypeError, match="not the paper's network"):
        _ = net.weights
    with pytest.raises(TypeError, match="not the paper's network"):
        _ = net.activation_names
    Zs, As = forward(net, np)
    assert Zs[0].shape == As[1].shape == (2, 2)


def test_the_tail_drops_the_first_layer_and_takes_a_new_input() -> None:
    net = _paper()
    A1 = np.ones((3, 2))
    tail = net.tail(A1)
    assert tail.is_paper and tail.X is A1 and tail.Y is net.Y
    assert tail.weights == [W2] and tail.activation_names == ("identity",)
