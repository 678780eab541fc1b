"""The dropout layer: its check of p, its mask, its forward map and products, and the
configurations it draws."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from proofcheck import InputError
from proofcheck.layers import Dropout, LayerMap


@pytest.mark.parametrize("p", [0.0, 0, 0.1, 0.5, np.float64(0.25), np.float32(0.75),
                               np.nextafter(1.0, 0.0)], ids=repr)
def test_p_from_zero_up_to_but_not_including_one_is_accepted(p: Any) -> None:
    layer = Dropout(2, (True, False), p)
    assert layer.p == p
    assert np.array_equal(layer.mask, [1.0 / (1.0 - p), 0.0])


@pytest.mark.parametrize("p", [1.0, 1, 1.5, -0.1, -1e-300, float("nan"), float("inf"),
                               -float("inf"), np.float64(1.0), True, False, "0.5", None,
                               0.5j, [0.5]], ids=repr)
def test_any_other_p_is_an_input_error_naming_p_its_value_and_the_range(p: Any) -> None:
    with pytest.raises(InputError) as caught:
        Dropout(2, (True, False), p)
    message = str(caught.value)
    assert message.startswith(f"Dropout: p={p!r} must be a real number with 0 <= p < 1")


def test_the_mask_scales_the_kept_units_and_zeroes_the_dropped_ones() -> None:
    layer = Dropout(4, (True, False, False, True), 0.75)
    assert np.array_equal(layer.mask, [4.0, 0.0, 0.0, 4.0])
    assert layer.n_out == 4 and layer.parameter_shapes() == {}


def test_forward_and_input_product_apply_the_mask_to_every_column() -> None:
    layer = Dropout(3, (True, False, True), 0.5)
    a = np.array([[1.0, -2.0], [3.0, 4.0], [0.5, 0.0]])
    expected = np.array([[2.0, -4.0], [0.0, 0.0], [1.0, 0.0]])
    assert np.array_equal(layer.forward(a, {}, np), expected)
    # J_a = diag(m) is symmetric: the transposed product is the same map
    assert np.array_equal(layer.input_product(a, {}, a), expected)
    assert layer.parameter_products(a, {}, a) == {}


def test_describe_shows_p_and_the_mask() -> None:
    assert Dropout(3, (True, False, True), 0.25).describe() == "Dropout(3, p=0.25, mask 101)"


@settings(max_examples=30, database=None)
@given(st.integers(1, 6).flatmap(lambda n: Dropout.configurations(n, 8)))
def test_configurations_are_valid_layers(layer: LayerMap) -> None:
    assert isinstance(layer, Dropout)
    assert 0.0 <= layer.p < 1.0 and len(layer.keep) == layer.n_in
