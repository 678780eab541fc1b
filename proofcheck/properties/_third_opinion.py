"""A third opinion where a layer's rule and its reference disagree: the forward map decides.

A layer type's products are compared with a reference: autodiff of its forward
map as written (``jax.vjp`` of a :class:`~proofcheck.layers.LayerMap`'s
``forward``; for :func:`~proofcheck.frameworks.from_jax` and
:func:`~proofcheck.frameworks.from_torch`, of the user's primal with the custom rule
bypassed). Autodiff is not always right there, and not the only right answer:

- at a kink every value between the left and the right derivative is a valid
  (generalized) derivative, and autodiff picks one by its own convention
  (``jnp.maximum(x, 0)`` gives ``0.5`` at ``0``, a rule ``relu'(0) = 0``);
- a forward map written with a ``where`` (``where(a == 0, 0, a * log1p(y))``) is
  differentiated along the branch it takes, ``0`` at ``a = 0``, where the
  function's derivative is ``log1p(y)``: a custom rule often exists because of it.

So before such a comparison fails, each disputed entry of the product (outside
the tolerance) is checked against the one-sided partial derivatives of the
forward map, by :func:`proofcheck.oracle.finite_differences.one_sided_partial` in
float64, of the scalar ``<delta, phi(a; theta)>`` along that entry of ``a`` or
``theta``: that scalar's partial derivative is the product's entry. A rule that
lies within the two one-sided derivatives, up to their error estimate and the
``"one-sided differences"`` tolerance
(:func:`proofcheck.numerics.tolerances.within_one_sided`; an estimate less precise than
:data:`~proofcheck.numerics.tolerances.TRUSTED_ONE_SIDED` decides nothing), holds there; the
check then
compares with the reference's values where they were not disputed and the
accepted rule's where they were, and says so (:attr:`Check.overruled`, which
the report lists per row). One entry outside its one-sided derivatives, and the
reference's verdict stands: a rule wrong away from a kink (a sign, a dropped
term) or outside the subdifferential at one (``relu'(0) = 2``) still fails.

Where the reference agrees with both one-sided derivatives too (a smooth point),
an exact reference (autodiff) stands. A reference that is itself finite differences
(a framework layer whose forward computation no autodiff can run) does not: its own
error can exceed the gradient tolerance where the function turns fast (``sin(40 x)``
at 0: 39.9999998 for 40), so it cannot tell a rule within both one-sided
derivatives wrong, and that rule holds, with the note.

Only layer types of the user's are heard so: a type made by ``from_jax`` or
``from_torch``, or any :class:`~proofcheck.layers.LayerMap` that is not one of
the package's registered :data:`~proofcheck.layers.LAYER_TYPES`. Those are
written so that autodiff of their forward maps takes the products' own values
at their kinks, as the package's activations are; a disagreement there is a
mistake of one or the other, and their lemma rows keep checking the oracle too
(``tests/test_lemma_mutants.py`` breaks it and expects them to fail).

The entries are checked worst first and the check stops at the first that is
outside, so a wrong rule costs one entry's differences (seven evaluations of
the forward map); only a rule that is right pays for all its disputed entries.
The activation maps' products are not re-judged here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np

from proofcheck._types import Float64Array
from proofcheck.layers import LAYER_TYPES, LayerMap, Parameters
from proofcheck.numerics.tolerances import entry_ratios, within_one_sided
from proofcheck.oracle.finite_differences import OneSided, one_sided_partial

__all__ = ["Verdict", "adjudicate", "approximate_reference", "forward_value", "heard",
           "overrule"]

#: Entries an overruling note names before "and N more".
NAMED_ENTRIES = 2


class Verdict(NamedTuple):
    """The reference's value with each disputed entry replaced by the rule's accepted one.

    Attributes
    ----------
    expected : array
        The reference's product, with the rule's value at every entry the
        one-sided derivatives accepted (the shape of the product).
    note : str
        Which layer, product and entries, with the one-sided derivatives and the
        reference's value at the first of them.
    """

    expected: Float64Array
    note: str


def heard(layer: LayerMap) -> bool:
    """Whether the third opinion is asked for ``layer``: not one of the package's own
    registered layer types (see the module's docstring)."""
    return type(layer) not in LAYER_TYPES


def approximate_reference(layer: LayerMap) -> bool:
    """Whether ``layer``'s reference is finite differences (see the module's docstring)."""
    from proofcheck.frameworks._wrapped import WrappedLayer

    return isinstance(layer, WrappedLayer) and getattr(layer, "mode", "") == "finite differences"


def forward_value(layer: LayerMap, a: Float64Array, params: Parameters) -> Float64Array:
    """``phi(a; theta)`` in float64 as the reference differentiates it: the user's primal
    for a layer made from another framework's function, else ``forward`` with numpy."""
    from proofcheck.frameworks._wrapped import WrappedLayer

    if isinstance(layer, WrappedLayer):
        return layer.reference_value(a, params)
    with np.errstate(all="ignore"):
        return np.asarray(layer.forward(a, params, np), dtype=np.float64)


def adjudicate(layer: LayerMap, a: Float64Array, params: Parameters, delta: Float64Array,
               argument: str, actual: Float64Array, expected: Float64Array,
               scale: float | Float64Array, kind: str = "gradient") -> Verdict | None:
    """The third opinion on the product ``J_argument^T delta`` of ``layer`` at ``(a, params)``.

    Parameters
    ----------
    layer, a, params, delta
        The configured layer, its input ``(n_in, N)``, parameters, and the delta
        ``(n_out, N)`` the product pulls back.
    argument : str
        ``"a"`` for the input product, else the parameter's name.
    actual, expected : arrays of the argument's shape
        The rule's product and the reference's.
    scale : float or array
        The scale the comparison judged at (:func:`proofcheck.numerics.tolerances.compare`).
    kind : str
        The tolerance kind the comparison used.

    Returns
    -------
    Verdict or None
        ``None`` when the reference's verdict stands: no entry is disputed, the
        rule is not finite, the forward map fails at a shifted point, or some
        disputed entry lies outside its one-sided derivatives.
    """
    actual = np.asarray(actual, dtype=np.float64)
    expected = np.asarray(expected, dtype=np.float64)
    if (not heard(layer) or actual.shape != expected.shape
            or not np.all(np.isfinite(actual))):
        return None
    ratios = entry_ratios(actual, expected, kind, scale=scale)
    disputed = sorted((tuple(int(i) for i in index) for index in np.argwhere(ratios > 1.0)),
                      key=lambda index: -float(ratios[index]))
    if not disputed:
        return None
    scales = np.broadcast_to(np.asarray(scale, dtype=np.float64), actual.shape)
    s = _scalar(layer, a, params, delta, argument)
    adjusted = expected.copy()
    sides: list[tuple[tuple[int, ...], OneSided]] = []
    for index in disputed:
        try:
            d = one_sided_partial(s, a if argument == "a" else params[argument], index)
        except Exception:  # the forward map fails at a shifted point: no third opinion
            return None
        scale_here = float(scales[index])
        if not within_one_sided(float(actual[index]), d.low, d.high, d.error, scale_here):
            return None
        if (not approximate_reference(layer)
                and within_one_sided(d.low, d.high, d.high, d.error, scale_here)
                and within_one_sided(float(expected[index]), d.low, d.high, d.error,
                                     scale_here)):
            return None  # a smooth point where the reference agrees with both sides: it stands
        adjusted[index] = actual[index]
        sides.append((index, d))
    return Verdict(adjusted, _note(layer, argument, actual, expected, sides))


def _scalar(layer: LayerMap, a: Float64Array, params: Parameters, delta: Float64Array,
            argument: str) -> Callable[[Float64Array], float]:
    """``<delta, phi(a; theta)>`` as a function of ``a`` or of one parameter."""
    def s(value: Float64Array) -> float:
        if argument == "a":
            z = forward_value(layer, value, params)
        else:
            z = forward_value(layer, a, {**params, argument: value})
        return float(np.sum(delta * z))

    return s


def _note(layer: LayerMap, argument: str, actual: Float64Array, expected: Float64Array,
          sides: list[tuple[tuple[int, ...], OneSided]]) -> str:
    """``"ReLU(3 -> 3): J_a^T delta at a[0, 1]: the rule's 0 is the left derivative ..."``."""
    in_order = sorted(index for index, _ in sides)
    named = ", ".join(f"{argument}{list(index)}" for index in in_order[:NAMED_ENTRIES])
    more = len(sides) - NAMED_ENTRIES
    where = named + (f" and {more} more" if more > 0 else "")
    index, d = sides[0]  # the entry that was disputed most
    value, reference = float(actual[index]), float(expected[index])
    at = f" (at {argument}{list(index)})" if len(sides) > 1 else ""
    by = "finite differences" if approximate_reference(layer) else "autodiff"
    return (f"{layer.describe()}: J_{argument}^T delta at {where}: the rule's {value:.6g}{at} "
            f"is {_side(value, d)} of the forward map (left {d.left:.6g}, right "
            f"{d.right:.6g}, one-sided differences); its {by} gave {reference:.6g}")


def _side(value: float, d: OneSided) -> str:
    """Which one-sided derivative ``value`` is, in words."""
    close = max(d.error, 1e-7 * max(abs(d.left), abs(d.right), abs(value)))
    if abs(d.left - d.right) <= close:
        return "the derivative from both sides"
    if abs(value - d.left) <= close:
        return "the left derivative"
    if abs(value - d.right) <= close:
        return "the right derivative"
    return "between the left and the right derivative"


def overrule(layer: LayerMap, a: Float64Array, params: Parameters, delta: Float64Array,
             products: dict[str, tuple[Float64Array, Float64Array, Any]],
             kind: str = "gradient") -> tuple[dict[str, Float64Array], list[str]] | None:
    """:func:`adjudicate` for several products of one layer at one point.

    ``products`` maps an argument (``"a"`` or a parameter) to ``(actual, expected,
    scale)``. Returns the expected values with the accepted entries replaced and
    the notes (the products that were not disputed unchanged, without a note), or
    ``None`` if some product is disputed and not accepted.
    """
    if not heard(layer):
        return None
    expected: dict[str, Float64Array] = {}
    notes = []
    for argument, (actual, reference, scale) in products.items():
        ratios = entry_ratios(actual, reference, kind, scale=scale)
        if not np.any(ratios > 1.0):
            expected[argument] = np.asarray(reference, dtype=np.float64)
            continue
        verdict = adjudicate(layer, a, params, delta, argument, actual, reference, scale, kind)
        if verdict is None:
            return None
        expected[argument] = verdict.expected
        notes.append(verdict.note)
    return expected, notes
