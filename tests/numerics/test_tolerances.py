"""The tolerance table and compare(): the bound, the scale and its floor, ratios, NaN and
infinity, and term_scale."""

from __future__ import annotations

import numpy as np
import pytest

from proofcheck.numerics.tolerances import (
    FLOOR,
    TOLERANCES,
    Comparison,
    Tolerance,
    compare,
    term_scale,
)

#: A tolerance with round numbers, so that expected ratios can be worked out by hand.
ROUND = Tolerance(rtol=0.01, atol=0.1, reason="round numbers for the tests")


def arr(*values: float) -> np.ndarray:
    return np.array(values, dtype=np.float64)


# --- the table ------------------------------------------------------------------------


def test_the_table_names_every_kind_of_comparison() -> None:
    assert set(TOLERANCES) == {"gradient", "jacobian", "derivative", "finite differences",
                               "one-sided differences", "identity"}


@pytest.mark.parametrize("kind", list(TOLERANCES))
def test_every_entry_is_small_positive_and_gives_its_reason(kind: str) -> None:
    tol = TOLERANCES[kind]
    assert 0.0 < tol.rtol <= 1e-7 and 0.0 < tol.atol <= 1e-7
    assert len(tol.reason) > 40
    assert tol.name == kind


def test_finite_differences_are_judged_more_loosely_than_the_oracle() -> None:
    """The second oracle is less accurate than the first: its tolerance is the widest."""
    fd = TOLERANCES["finite differences"]
    for kind, tol in TOLERANCES.items():
        if kind != "finite differences":
            assert fd.rtol >= tol.rtol and fd.atol >= tol.atol


def test_a_tolerance_is_named_by_its_kind_else_its_key_else_custom() -> None:
    assert Tolerance(1e-9, 1e-9, "why", kind="exact").name == "exact"
    assert ROUND.name == "custom"
    assert Tolerance(*TOLERANCES["identity"][:3]).name == "identity"


def test_floor_is_tiny_over_epsilon() -> None:
    info = np.finfo(np.float64)
    assert float(info.tiny / info.eps) == FLOOR
    assert 1e-293 < FLOOR < 1e-291


# --- the bound and the ratio -----------------------------------------------------------


def test_ratio_is_the_error_over_the_bound() -> None:
    # error 0.5; scale = largest entry 2; bound = 0.1 * 2 + 0.01 * 2 = 0.22
    c = compare(arr(2.0), arr(1.5), ROUND)
    assert c.ratio == pytest.approx(0.5 / 0.22, rel=1e-12)
    assert c.max_error == 0.5
    assert not c.holds


def test_equal_arrays_hold_with_ratio_zero() -> None:
    X = np.array([[1.0, -2.0], [0.0, 3e300]])
    c = compare(X, X.copy())
    assert c.ratio == 0.0 and c.max_error == 0.0 and c.holds


def test_a_difference_just_inside_the_bound_holds_and_just_outside_fails() -> None:
    # scale and magnitude 1 + d: the bound 0.11 (1 + d) covers an error d up to 0.1236
    assert compare(arr(1.0), arr(1.0 + 0.12), ROUND).holds
    assert not compare(arr(1.0), arr(1.0 + 0.13), ROUND).holds


def test_holds_is_ratio_at_most_one() -> None:
    def with_ratio(ratio: float) -> Comparison:
        return Comparison(ratio, 0.0, (0,), 0.0, 0.0, ROUND)

    assert with_ratio(0.0).holds and with_ratio(1.0).holds
    assert not with_ratio(np.nextafter(1.0, 2.0)).holds
    assert not with_ratio(np.inf).holds and not with_ratio(np.nan).holds


def test_the_worst_entry_is_reported_with_its_location_and_values() -> None:
    actual = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    expected = actual.copy()
    expected[1, 0] = 4.5  # the largest error
    expected[0, 2] = 3.1
    c = compare(actual, expected, ROUND)
    assert c.location == (1, 0)
    assert (c.actual_value, c.expected_value) == (4.0, 4.5)
    assert c.max_error == 0.5
    assert c.tolerance is ROUND


def test_location_is_the_largest_ratio_not_the_largest_error() -> None:
    """With a scale per entry, a small error on a small entry can be the worst."""
    actual, expected = arr(1000.0, 1.0), arr(1001.0, 1.5)
    c = compare(actual, expected, ROUND, scale=np.abs(expected))
    assert c.location == (1,)
    assert c.max_error == 1.0  # the largest error is elsewhere


def test_kind_is_looked_up_in_the_table() -> None:
    a, e = arr(1.0), arr(1.0 + 5e-8)
    assert compare(a, e, "finite differences").holds
    assert not compare(a, e, "gradient").holds
    assert compare(a, e, "finite differences").tolerance is TOLERANCES["finite differences"]
    with pytest.raises(KeyError):
        compare(a, e, "no such kind")


def test_shapes_must_match() -> None:
    with pytest.raises(ValueError, match=r"actual has shape \(2,\), expected has shape \(3,\)"):
        compare(np.zeros(2), np.zeros(3))


def test_empty_arrays_hold() -> None:
    c = compare(np.zeros((3, 0)), np.zeros((3, 0)))
    assert c == Comparison(0.0, 0.0, (), 0.0, 0.0, TOLERANCES["gradient"])
    assert c.holds


# --- the scale -------------------------------------------------------------------------


def test_by_default_every_entry_is_judged_at_the_largest_entry() -> None:
    """A small entry next to a large one may be off by an amount that is small next to
    the large one."""
    actual, expected = arr(1e7, 1e-3), arr(1e7, 2e-3)
    assert compare(actual, expected).holds  # 1e-3 <= 1e-9 * 1e7
    # Judged at its own size, the same error is a factor of two.
    assert not compare(actual, expected, scale=np.abs(expected)).holds


def test_a_given_scale_sets_the_absolute_part() -> None:
    """A result that is small by cancellation is judged at the size of its terms."""
    actual, expected = arr(1e-10), arr(0.0)
    assert not compare(actual, expected).holds  # judged at its own size 1e-10
    assert compare(actual, expected, scale=1.0).holds  # terms of size 1: 1e-10 <= 1e-9


def test_a_scale_below_an_entry_is_floored_by_its_own_magnitude() -> None:
    # entries near 1e6, error 1.5e-3; rtol * 1e6 = 1e-3 alone would not cover it
    actual, expected = arr(1e6), arr(1e6 + 1.5e-3)
    for scale in (0.0, 1.0, np.zeros(1)):
        c = compare(actual, expected, scale=scale)
        assert c.holds, c  # scale raised to 1e6: bound = 1e-9 * 1e6 + 1e-9 * 1e6 = 2e-3
        assert c.ratio == pytest.approx(1.5e-3 / (2e-9 * (1e6 + 1.5e-3)), rel=1e-6)


def test_a_scale_array_applies_entry_by_entry() -> None:
    actual, expected = arr(1.0, 1.0), arr(1.5, 1.5)
    c = compare(actual, expected, ROUND, scale=arr(100.0, 1.0))
    assert c.location == (1,)  # the entry with the smaller scale is the worse one
    assert not c.holds
    assert compare(actual, expected, ROUND, scale=arr(100.0, 100.0)).holds


def test_a_scale_broadcasts_over_columns() -> None:
    actual = np.array([[1.0, 1.0], [1.0, 1.0]])
    expected = actual + 0.5
    c = compare(actual, expected, ROUND, scale=np.array([[100.0], [1.0]]))
    assert c.location[0] == 1 and not c.holds


def test_differences_below_the_floor_count_as_zero() -> None:
    """XLA flushes subnormal numbers to zero: a subnormal against 0 holds."""
    assert compare(arr(5e-324), arr(0.0)).holds
    assert compare(arr(1e-300), arr(0.0), scale=0.0).holds
    assert not compare(arr(1e-290), arr(0.0), scale=0.0).holds


# --- NaN and infinity ------------------------------------------------------------------


NON_FINITE = [(np.nan, 1.0), (1.0, np.nan), (np.nan, np.nan), (np.inf, np.inf),
              (-np.inf, -np.inf), (np.inf, 1.0), (1.0, -np.inf), (np.inf, -np.inf)]
NON_FINITE_IDS = ["nan-actual", "nan-expected", "nan-both", "inf-both", "minus-inf-both",
                  "inf-actual", "inf-expected", "opposite-infinities"]


@pytest.mark.parametrize(("actual", "expected"), NON_FINITE, ids=NON_FINITE_IDS)
def test_nan_or_infinity_never_holds(actual: float, expected: float) -> None:
    for a, e in ((arr(actual), arr(expected)), (arr(0.0, actual), arr(0.0, expected))):
        c = compare(a, e)
        assert not c.holds
        assert c.max_error == np.inf


@pytest.mark.parametrize(("actual", "expected"), NON_FINITE, ids=NON_FINITE_IDS)
def test_a_lone_nan_or_infinity_is_reported_where_it_is(actual: float, expected: float) -> None:
    c = compare(arr(actual), arr(expected))
    assert c.location == (0,)
    assert np.isnan(c.actual_value) or c.actual_value == actual
    assert np.isnan(c.expected_value) or c.expected_value == expected


@pytest.mark.parametrize(("actual", "expected"), [
    pytest.param(np.nan, 1.0, id="nan-actual"),
    pytest.param(1.0, np.nan, id="nan-expected"),
    pytest.param(np.nan, np.nan, id="nan-both"),
    pytest.param(np.inf, np.inf, id="inf-both"),
    pytest.param(-np.inf, -np.inf, id="minus-inf-both"),
    pytest.param(np.inf, 1.0, id="inf-actual"),
    pytest.param(1.0, -np.inf, id="inf-expected"),
    pytest.param(np.inf, -np.inf, id="opposite-infinities"),
])
def test_a_nan_or_infinity_next_to_equal_entries_is_located_with_ratio_inf(
        actual: float, expected: float) -> None:
    """The ratio is the largest error over its bound; a NaN or infinite error is the
    largest there is, and the location is where it is."""
    c = compare(arr(0.0, actual, 2.0), arr(0.0, expected, 2.0))
    assert c.location == (1,)
    assert c.ratio == np.inf


def test_no_warning_for_nan_infinity_or_overflow() -> None:
    with np.errstate(all="raise"):
        compare(arr(np.nan, np.inf, 1e308), arr(1.0, np.inf, -1e308))


# --- term_scale ------------------------------------------------------------------------


def test_term_scale_is_the_largest_dimension_times_the_largest_entries() -> None:
    W = np.array([[1.0, -3.0], [2.0, 0.0], [0.5, 0.5]])  # largest dimension 3
    d = np.array([0.5, -0.25])
    assert term_scale(W, d) == 3 * 3.0 * 0.5
    assert term_scale(d) == 2 * 0.5


def test_term_scale_of_nothing_or_an_empty_factor_is_zero() -> None:
    assert term_scale() == 0.0
    assert term_scale(np.ones((2, 2)), np.zeros((3, 0))) == 0.0


def test_term_scale_of_a_scalar_counts_one_term() -> None:
    assert term_scale(np.float64(-4.0), np.ones((2, 5))) == 5 * 4.0
    assert term_scale(np.float64(-4.0)) == 4.0


def test_term_scale_overflows_to_infinity_without_a_warning() -> None:
    with np.errstate(all="raise"):
        assert term_scale(np.full((2, 2), 1e200), np.full(2, 1e200)) == np.inf


def test_term_scale_bounds_the_terms_of_a_product() -> None:
    rng = np.random.default_rng(0)
    W, X = rng.normal(size=(4, 7)), rng.normal(size=(7, 3))
    terms = np.abs(W[:, :, None] * X[None, :, :])  # every W_ij X_jk
    assert terms.sum(axis=1).max() <= term_scale(W, X)
