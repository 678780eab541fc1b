"""Costs: names, the cross-entropy domain, and the hand-derived gradients."""

from __future__ import annotations

import numpy as np
import pytest

from proofcheck import COSTS, InputError, MatrixBackprop


def test_names_are_the_public_contract() -> None:
    assert list(COSTS) == ["squared_error", "binary_cross_entropy",
                           "categorical_cross_entropy"]


def test_squared_error_is_half_the_squared_norm_per_example() -> None:
    A = np.array([[1.0, 0.0], [2.0, 3.0]])
    Y = np.zeros((2, 2))
    assert np.array_equal(COSTS["squared_error"](A, Y), [2.5, 4.5])


@pytest.mark.parametrize(
    ("A", "Y", "message"),
    [
        ([[0.5]], [[1.5]], r"target Y .* \[0, 1\]"),
        ([[0.5]], [[-0.1]], r"target Y .* \[0, 1\]"),
        ([[0.0]], [[0.5]], r"output A\^k .* strictly inside \(0, 1\)"),
        ([[1.0]], [[0.5]], r"output A\^k .* strictly inside \(0, 1\)"),
    ],
)
def test_cross_entropy_refuses_values_outside_its_domain(A: list[list[float]],
                                                         Y: list[list[float]],
                                                         message: str) -> None:
    with pytest.raises(ValueError, match=message):
        COSTS["binary_cross_entropy"](np.array(A), np.array(Y))


def test_cross_entropy_saturated_output_is_an_error_not_a_nan() -> None:
    W = [np.array([[800.0]])]
    b = [np.array([0.0])]
    with pytest.raises(InputError, match="strictly inside"):
        MatrixBackprop().gradients(W, b, ["sigmoid"], "binary_cross_entropy",
                                   np.array([[1.0]]), np.array([[1.0]]))
