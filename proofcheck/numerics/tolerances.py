"""The tolerance table: how close the implementation must come to the oracle.

One table, one entry per kind of comparison, each with the reason for its
size. No test or property loosens a tolerance locally; a caller who wants a
different one passes a :class:`Tolerance` of their own to :func:`compare`.

How a comparison works
----------------------
``actual`` and ``expected`` are compared entry by entry; an entry passes when::

    |actual - expected| <= atol * scale + rtol * max(|actual|, |expected|)

``scale`` is the magnitude of the quantities the compared value was summed
from. By default it is the largest absolute entry of either array; a caller
that knows the magnitude of the summed terms passes it (the properties pass a
bound on the terms of the products they check, so that a result that is small
by cancellation, such as a softmax product ``s * (g - s^T g)``, is compared
at the size of its terms). Below ``FLOOR = tiny / u`` (about ``1e-292``) every
difference counts as zero: XLA on the CPU flushes subnormal numbers to zero,
so a product that is subnormal in numpy may be exactly ``0.0`` in the oracle.

The *error ratio* of a comparison is the largest ``|actual - expected| / bound``
over its entries: at most 1 means the values
agree, and the report shows it so the margin is visible.

Why these numbers
-----------------
Both sides compute in float64 (unit roundoff ``u = 1.1e-16``). A delta of a
network of depth ``k <= 6`` and widths ``<= 8`` is a sum of at most ``8^6``
products, each with a relative rounding error of a few ``u``; the forward
and backward passes of numpy and of XLA round in different orders, so the
two agree to about ``1e-14`` relative to the summed magnitudes (measured:
``1e-15`` to ``1e-14`` on the default strategies). ``1e-9`` leaves five orders
of magnitude of margin for deeper or wider user networks while a wrong step
(a missing transpose, ``f`` for ``f'``, a sign) changes entries by a factor of
order one, so no mistake can hide below it.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from proofcheck._types import Float64Array

__all__ = ["FLOOR", "TOLERANCES", "TRUSTED_ONE_SIDED", "Comparison", "Tolerance", "compare",
           "compare_within", "entry_ratios", "term_scale", "within_one_sided"]

#: Differences below this are rounding of subnormal numbers (XLA flushes them to zero).
FLOOR = float(np.finfo(np.float64).tiny / np.finfo(np.float64).eps)


class Tolerance(NamedTuple):
    """A relative and a scaled absolute tolerance, with the reason for them.

    Attributes
    ----------
    rtol, atol : float
    reason : str
        Why they have this size.
    kind : str
        The kind's name, for one that is not in :data:`TOLERANCES` (``"exact"``);
        empty for the table's own entries, whose name is their key.
    """

    rtol: float
    atol: float
    reason: str
    kind: str = ""

    @property
    def name(self) -> str:
        """The kind's name: ``kind``, else this tolerance's key in :data:`TOLERANCES`.

        A tolerance that is neither named nor in the table is ``"custom"``.
        """
        if self.kind:
            return self.kind
        return next((key for key, tol in TOLERANCES.items() if tol == self), "custom")


#: The table. Keys name the kind of quantity compared.
TOLERANCES: dict[str, Tolerance] = {
    "gradient": Tolerance(
        rtol=1e-9, atol=1e-9,
        reason="deltas and parameter gradients: float64 sums of at most 8^6 products in a "
               "different rounding order on each side agree to ~1e-14 relative to the "
               "summed magnitudes; 1e-9 keeps five orders of margin, and every known "
               "mistake changes entries by order one."),
    "jacobian": Tolerance(
        rtol=1e-9, atol=1e-9,
        reason="Jacobians of L2-L7 are single products or sums of a few products of "
               "entries of size <= 10; rounding is ~1e-15 relative to them."),
    "derivative": Tolerance(
        rtol=1e-9, atol=1e-12,
        reason="f'(z) by hand and by JAX differ by a few ulps (e.g. JAX differentiates "
               "expm1 as expm1(z) + 1, exact to an absolute 1e-16 but not relative to a "
               "tiny e^z); the absolute part is relative to the scale 1 of the terms "
               "JAX adds."),
    "finite differences": Tolerance(
        rtol=1e-7, atol=1e-7,
        reason="Richardson-extrapolated central differences with a relative step of 1e-3 "
               "have a truncation error near 1e-12 and a rounding error near u/h = 1e-13 "
               "times the cost's magnitude (measured: 1e-13 to 3e-11 relative on the "
               "small smooth networks drawn); 1e-7 leaves a margin of 1e3 while a wrong "
               "oracle (a dropped term, a wrong sign) is off by order one."),
    "one-sided differences": Tolerance(
        rtol=1e-7, atol=1e-9,
        reason="the third opinion on a disputed product (finite_differences."
               "one_sided_derivatives): Richardson-extrapolated one-sided differences with "
               "a relative step of 1e-5 have truncation and rounding errors near 1e-10 of "
               "the magnitudes involved, and each value comes with its own error estimate, "
               "added to this; 1e-7 of the values leaves a margin of 1e3, as for the "
               "central differences, while a rule that is wrong away from a kink (a sign, a "
               "dropped term) or outside the one-sided derivatives at one (relu'(0) = 2) is "
               "off by order one of them. Of the terms (atol times the product's scale) it "
               "allows no more than the comparison it reviews (1e-9): at 1e-7 a rule off by "
               "80 per cent of an entry of 1e-8 whose terms were 0.1 was accepted (a wrong "
               "torch gated unit, verify's ci draws)."),
    "identity": Tolerance(
        rtol=1e-12, atol=1e-12,
        reason="L1 compares two ways of forming the same entries of a product of three "
               "small matrices; both are a handful of float64 operations."),
}


class Comparison(NamedTuple):
    """The outcome of comparing one computed array with its expected value.

    Attributes
    ----------
    ratio : float
        Largest error divided by its bound (<= 1: within tolerance).
    max_error : float
        Largest ``|actual - expected|``.
    location : tuple of int
        Where the ratio is largest.
    actual_value, expected_value : float
        The two values at ``location``.
    tolerance : Tolerance
    """

    ratio: float
    max_error: float
    location: tuple[int, ...]
    actual_value: float
    expected_value: float
    tolerance: Tolerance

    @property
    def holds(self) -> bool:
        """Whether every entry is within tolerance."""
        return self.ratio <= 1.0


def term_scale(*factors: Float64Array) -> float:
    """A bound on the terms of a sum of products of entries of ``factors``.

    ``n * prod(max |factor|)`` with ``n`` the largest dimension among them: the
    rounding error of such a sum is at most a few ``u`` times this.
    """
    arrays = [np.asarray(f, dtype=np.float64) for f in factors]
    if not arrays or any(f.size == 0 for f in arrays):
        return 0.0
    n = max(max(f.shape, default=1) for f in arrays)
    with np.errstate(over="ignore"):
        return float(n * np.prod([np.max(np.abs(f)) for f in arrays]))


def compare(actual: Float64Array, expected: Float64Array, kind: str | Tolerance = "gradient",
            *, scale: float | Float64Array | None = None) -> Comparison:
    """Compare ``actual`` with ``expected`` (same shape) under the tolerance ``kind``.

    Parameters
    ----------
    actual, expected : arrays of the same shape
    kind : a key of :data:`TOLERANCES`, or a :class:`Tolerance`
    scale : float or array broadcastable to the arrays' shape, optional
        The magnitude of the summed quantities, for the whole array or entry
        by entry; each entry's own size is used where it is larger. By default,
        the largest absolute entry of either array, for every entry.

    Returns
    -------
    Comparison
    """
    tol = TOLERANCES[kind] if isinstance(kind, str) else kind
    a = np.asarray(actual, dtype=np.float64)
    e = np.asarray(expected, dtype=np.float64)
    if a.shape != e.shape:
        raise ValueError(f"compare: actual has shape {a.shape}, expected has shape {e.shape}")
    if a.size == 0:
        return Comparison(0.0, 0.0, (), 0.0, 0.0, tol)
    with np.errstate(invalid="ignore", over="ignore"):
        return _comparison(a, e, np.abs(a - e), tol, scale)


def compare_within(actual: Float64Array, low: Float64Array, high: Float64Array,
                   expected: Float64Array, kind: str | Tolerance = "gradient", *,
                   scale: float | Float64Array | None = None) -> Comparison:
    """Like :func:`compare`, with the error of each entry its distance to the interval
    ``[low, high]`` (0 inside it) instead of to ``expected``.

    The range of values a correct computation may take
    (:mod:`proofcheck.numerics.forward_precision`); the bound is :func:`compare`'s, with the
    magnitude of ``actual`` and ``expected``. An unbounded side (``-inf`` or ``inf``)
    bounds nothing on that side; the other is still judged.
    """
    tol = TOLERANCES[kind] if isinstance(kind, str) else kind
    a = np.asarray(actual, dtype=np.float64)
    e = np.asarray(expected, dtype=np.float64)
    with np.errstate(invalid="ignore", over="ignore"):
        distance = np.maximum(np.maximum(low - a, a - high), 0.0)
        return _comparison(a, e, np.where(np.isnan(distance), np.inf, distance), tol, scale)


def _comparison(a: Float64Array, e: Float64Array, error: Float64Array, tol: Tolerance,
                scale: float | Float64Array | None) -> Comparison:
    """The comparison of ``a`` with ``e`` whose entries are off by ``error``."""
    ratio = _ratios(a, e, error, tol, scale)
    flat = int(np.argmax(ratio))
    index = tuple(int(i) for i in np.unravel_index(flat, a.shape))
    finite = np.isfinite(a) & np.isfinite(e)
    return Comparison(float(ratio[index]), float(np.max(np.where(finite, np.abs(a - e), np.inf))),
                      index, float(a[index]), float(e[index]), tol)


def _ratios(a: Float64Array, e: Float64Array, error: Float64Array, tol: Tolerance,
            scale: float | Float64Array | None) -> Float64Array:
    """Each entry's error ratio (see :func:`compare`), for entries off by ``error``."""
    # A NaN or an infinity on either side never holds (its ratio is inf), and it takes
    # no part in the scale of the other entries.
    finite = np.isfinite(a) & np.isfinite(e)
    magnitude = np.where(finite, np.maximum(np.abs(a), np.abs(e)), 0.0)
    largest = float(np.max(magnitude, initial=0.0))
    scale = largest if scale is None else np.maximum(scale, magnitude)
    error = np.where(finite, error, np.inf)
    bound = tol.atol * scale + tol.rtol * magnitude + FLOOR
    ratio = np.where(finite, error / bound, np.inf)
    ratio = np.where(np.isnan(ratio), np.inf, ratio)  # a NaN scale judges nothing
    return ratio


def entry_ratios(actual: Float64Array, expected: Float64Array,
                 kind: str | Tolerance = "gradient", *,
                 scale: float | Float64Array | None = None) -> Float64Array:
    """The error ratio of every entry, as :func:`compare` judges them (> 1: outside)."""
    tol = TOLERANCES[kind] if isinstance(kind, str) else kind
    a = np.asarray(actual, dtype=np.float64)
    e = np.asarray(expected, dtype=np.float64)
    if a.shape != e.shape:
        raise ValueError(f"entry_ratios: actual has shape {a.shape}, expected has shape "
                         f"{e.shape}")
    with np.errstate(invalid="ignore", over="ignore"):
        return _ratios(a, e, np.abs(a - e), tol, scale)


#: The largest relative error estimate of one-sided differences that may overrule the
#: reference: a rule that is wrong is off by order one, and must never fit inside an
#: estimate that wide (a forward map badly conditioned at the point, a second kink within
#: the step). A thousand times the "one-sided differences" tolerance, 1e-4, is still a
#: million times the estimate at a smooth point (~1e-10). (Written as a product of values
#: the package already has: Hypothesis mixes the package's numeric literals into what it
#: draws, so a new one would change every row's derandomized examples.)
TRUSTED_ONE_SIDED = 1000 * TOLERANCES["one-sided differences"].rtol


def within_one_sided(value: float, low: float, high: float, error: float,
                     scale: float) -> bool:
    """Whether ``value`` lies in ``[low, high]``, the one-sided derivatives of a forward map
    (:func:`proofcheck.oracle.finite_differences.one_sided_derivatives`), up to their ``error``
    estimate and the ``"one-sided differences"`` tolerance at ``scale`` (the size of the
    terms the product sums)."""
    tol = TOLERANCES["one-sided differences"]
    if not all(np.isfinite(x) for x in (value, low, high, error)):
        return False
    if error > TRUSTED_ONE_SIDED * max(abs(low), abs(high), scale):
        return False  # too imprecise to decide anything: the reference's verdict stands
    slack = error + tol.atol * scale + tol.rtol * max(abs(value), abs(low), abs(high)) + FLOOR
    return low - slack <= value <= high + slack
