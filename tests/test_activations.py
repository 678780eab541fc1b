"""Activations: the names, numerical stability, and the kink decision."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from proofcheck import ACTIVATIONS
from proofcheck.oracle import network as oracle

NAMES = ["identity", "sigmoid", "tanh", "relu", "leaky_relu", "softplus", "elu", "sin"]
EXTREMES = np.array([-1e308, -1e5, -750.0, -40.0, -1e-300, -0.0, 0.0, 1e-300, 40.0, 750.0,
                     1e5, 1e308])


def test_names_are_the_public_contract() -> None:
    assert list(ACTIVATIONS) == NAMES


@pytest.mark.parametrize("name", NAMES)
def test_no_warning_and_finite_at_any_magnitude(name: str) -> None:
    # sin of 1e308 is finite but meaningless: keep sin to the magnitudes that mean something
    z = EXTREMES[np.abs(EXTREMES) < 1e300] if name == "sin" else EXTREMES
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        a = ACTIVATIONS[name](z)
        d = ACTIVATIONS[name].derivative(z)
    if name in ("identity", "relu", "leaky_relu", "softplus", "elu"):
        assert np.all(np.isfinite(a[np.abs(z) < 1e300]))
    else:
        assert np.all(np.isfinite(a))
    assert np.all(np.isfinite(d))


def test_sigmoid_and_softplus_values_at_the_extremes() -> None:
    s = ACTIVATIONS["sigmoid"](np.array([-1000.0, 0.0, 1000.0, -40.0]))
    assert s[0] == 0.0 and s[1] == 0.5 and s[2] == 1.0
    assert s[3] == pytest.approx(np.exp(-40.0), rel=1e-15)  # no cancellation below zero
    sp = ACTIVATIONS["softplus"](np.array([-1000.0, 0.0, 1000.0]))
    assert sp[0] == 0.0 and sp[1] == pytest.approx(np.log(2.0)) and sp[2] == 1000.0


@pytest.mark.parametrize(("name", "left_derivative"), [("relu", 0.0), ("leaky_relu", 0.01)])
def test_kink_uses_the_left_derivative_on_both_sides(name: str, left_derivative: float) -> None:
    """The decision: at exactly z = 0 the implementation and the oracle both use f'(0-)."""
    z = np.array([[0.0, -0.0]])
    hand = ACTIVATIONS[name].derivative(z)
    jax_side = oracle.elementwise_derivative(name, z)
    assert np.array_equal(hand, [[left_derivative, left_derivative]])
    assert np.array_equal(jax_side, hand)
    assert ACTIVATIONS[name].kink == 0.0


@pytest.mark.parametrize("name", ["relu", "leaky_relu"])
@given(st.floats(1e-300, 1e300))
def test_kink_one_sided_derivatives_agree_off_the_kink(name: str, x: float) -> None:
    z = np.array([[x, -x]])
    assert np.array_equal(ACTIVATIONS[name].derivative(z), oracle.elementwise_derivative(name, z))


def test_elu_is_differentiable_at_zero() -> None:
    assert ACTIVATIONS["elu"].kink is None
    assert ACTIVATIONS["elu"].derivative(np.array([0.0]))[0] == 1.0


def test_unknown_activation_lists_the_known_names() -> None:
    with pytest.raises(KeyError, match="leaky_relu"):
        ACTIVATIONS["swish"]
