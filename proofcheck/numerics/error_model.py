"""The error model: how far two correct computations of the same entry may differ.

The theorem's rows compare an implementation's deltas and gradients with the
oracle's, entry by entry (:func:`proofcheck.numerics.tolerances.compare`)::

    |actual - expected| <= atol * scale + rtol * |value|      (atol = rtol = 1e-9)

This module computes ``scale`` for every entry, and nothing else in the
package does scale arithmetic; its companion :mod:`proofcheck.numerics.forward_precision`
adds, for the rows that run an implementation's own forward pass, the range a
result may take when the implementation's activation formulas are accurate to
``c u max(|a|, 1)`` rather than to the reference's rounding (see the
guarantee). The rule has three parts.

1. **Terms.** ``T`` is the size of the terms the entry sums: for a product,
   the same product of absolute values (``|W|^T |delta|`` for ``W^T delta``);
   end-to-end, the whole backward pass run on absolute values
   (:func:`network_terms`). Any evaluation order of the same sum rounds to
   within a few ``u`` per operation of ``T`` (``u = 1.1e-16``), far inside
   ``1e-9 T``; an entry that is small because its terms cancel is judged at
   the size of its terms, not at its own.
2. **Propagated rounding.** ``P`` bounds, to first order, how far the two
   sides may move an entry although both are right: numpy's and XLA's forward
   passes round differently, and where ``f'`` or the cost's gradient is
   sensitive to that (a saturated unit, a sigmoid output next to 1 under
   cross-entropy), or an ``f'`` is formed from ``a`` (``1 - a^2``) and so
   known only to a few ``u`` absolutely (:data:`DERIVATIVE_ROUNDING`), the
   difference is carried down the backward pass (:func:`propagated`). The
   entry is allowed ``MARGIN`` times ``P`` where that is more than ``1e-9 T``.
3. **Ceiling.** The allowance never exceeds ``CEILING * T``. An entry whose
   ``P`` is itself above ``CEILING * T`` is one that float64 does not
   determine to ``CEILING`` of its terms: two correct programs may disagree
   there by more than any bound we could defend, so it is *not judged*
   (scale ``inf``). Every other entry of the same example is.

The guarantee
-------------
For every theorem row, every entry that float64 determines to ``CEILING`` of
its terms (``P <= CEILING * T``) is judged, and it is reported when it is off
by more than ``1e-9`` of its own size plus ``1e-9`` of its terms ``T`` plus
``MARGIN * P``, and always when it is off by more than ``CEILING`` of its
terms (1 per cent). An entry with ``P > CEILING * T`` is not judged. A wrong
step (a missing transpose, ``f`` for ``f'``, a missing factor, a clipped
probability) changes entries by the size of their terms, so no such mistake
can hide under the bound in any regime the strategies draw.

For the rows that call ``gradients`` (the implementation's own forward pass),
an entry so reported gets a second look first: it holds if it lies, to the same
bound, in the range the exact gradient takes over forward passes whose
activations are within ``c u max(|a|, 1)`` of the exact ones (the accuracy of
``alpha (exp(z) - 1)`` for an elu, ``(1 + tanh(z/2)) / 2`` for a sigmoid,
``2 / (1 + exp(-2z)) - 1`` for a tanh), and the row then carries a note; see
:mod:`proofcheck.numerics.forward_precision` for the rule and what it costs (the clipped
probability is still reported wherever its output is between ``1e-24`` and
``5e-16``).

Kinks
-----
``relu`` and ``leaky_relu`` have a kink at 0, where every value between the
left and the right derivative (``Activation.subdifferential``) is a correct
``f'``. Two cases:

* **Exactly at the kink** (the potential is exactly 0, e.g. ``W = 0, b = 0``):
  an implementation's ``gradients`` may use the left derivative, the right
  one or their midpoint, one value per layer for every unit of that layer at
  its kink (:func:`layer_conventions`): hidden layers with ``z > 0`` and the
  output layer with ``z >= 0`` is a valid generalized gradient too. The rows
  that call ``gradients`` compare with the oracle under the conventions (the
  oracle differentiates the same forward map, with the chosen derivative at
  that one point of each layer), choosing from the output layer down: the
  gradients of layers ``l..k`` depend on the conventions of those layers
  only (:func:`kink_layers`), so layer ``l``'s is the one under which they
  match, at most three comparisons per layer with units at a kink. The
  report names what was used, per activation when its layers agree ("relu'(0)
  = 1: the right derivative"), else per layer ("layer 1: relu'(0) = 0 (the
  left derivative), layer 2: relu'(0) = 1 (the right derivative)").
  Mixing values unit by unit within a layer, or any other value of the
  subdifferential, is not accepted; a value outside it (``relu'(0) = 2``) is
  a failure, and the report says no convention matched in that layer.
* **Within rounding of the kink**: a potential that is the cancellation of
  non-zero terms and lies within ``KINK_MARGIN`` of the kink (relative to its
  terms), or one closer to it than the tolerances' ``FLOOR`` (about
  ``1e-292``: XLA flushes a subnormal product to zero, where numpy keeps it or
  even rounds it up to the smallest normal number), may round
  to different sides in numpy and in XLA, which then take different one-sided
  derivatives although both are right. Such examples are discarded
  (:func:`near_kink`); they are a property of float rounding, not of the proof.

The step functions' rows are fed ``f'`` (the oracle's, or the package's
left derivative end-to-end), so only rows that call ``gradients`` meet an
implementation's own kink convention.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

from proofcheck._types import Float64Array
from proofcheck.activations import ACTIVATIONS
from proofcheck.costs import COSTS
from proofcheck.numerics.tolerances import FLOOR, TOLERANCES, term_scale

if TYPE_CHECKING:  # the oracles import JAX; the error model reads only their results
    from proofcheck.network import Network
    from proofcheck.oracle.network import NetworkGradients

__all__ = [
    "CEILING",
    "CONVENTIONS",
    "DERIVATIVE_ROUNDING",
    "KINK_MARGIN",
    "MARGIN",
    "KinkConvention",
    "LayerConventions",
    "LayerRounding",
    "NetworkScales",
    "U",
    "carried_delta",
    "derivative_rounding",
    "describe_convention",
    "describe_layer_conventions",
    "forward_errors",
    "judged_scale",
    "kink_activations",
    "kink_conventions",
    "kink_layers",
    "layer_conventions",
    "layer_near_kink",
    "layer_network_scales",
    "layer_product_scale",
    "lemma_scale",
    "near_kink",
    "network_scales",
    "network_terms",
    "probed_rounding",
    "product_terms",
    "propagated",
    "second_look",
    "step_scale",
    "within_rounding_of_kink",
]

#: Unit roundoff of float64.
U = float(np.finfo(np.float64).eps / 2)

#: Margin on the propagated estimate ``P``. The estimate counts every rounding at
#: its worst (a few ``u`` per operation, ``(n + 2) u`` per dot product), and the
#: largest discrepancy of two correct computations measured against it is 0.9 P
#: (over 1500 deep networks, see ``benchmarks/RESULTS.md``); 100 leaves two
#: orders, where the terms' own allowance leaves seven (``atol / u``).
MARGIN = 100.0

#: The most an entry is ever allowed, as a fraction of its terms ``T``: an error
#: of 1 per cent of what the entry sums is always reported where float64
#: determines the entry to 1 per cent; above that, the entry is not judged.
CEILING = 1e-2

#: Relative distance to a kink (of the potential's terms) below which a
#: potential is within rounding of the kink.
KINK_MARGIN = 1e-12

#: Where a propagated error is so large that the arithmetic would overflow (a
#: saturated output whose perturbation leaves the cost's domain), it is capped here;
#: such an entry is not judged.
_CAP = 1e290


def _capped(x: Float64Array) -> Float64Array:
    return np.minimum(np.nan_to_num(x, nan=_CAP, posinf=_CAP), _CAP)


# --- derivative rounding ---------------------------------------------------------


def _sigmoid(z: Float64Array) -> Float64Array:
    return np.asarray(ACTIVATIONS["sigmoid"](z))


#: How many ``u`` of *absolute* error ``f'(z)`` may carry when it is formed the
#: way the proof and most code form it, from ``a = f(z)`` (``a`` itself differs
#: between numpy and XLA by a few ``u`` relative; measured over ``z`` in
#: ``[-40, 40]``: tanh up to 7, sigmoid and softplus 2, elu 1), as a function of
#: ``z``. Each form is accurate *relative* to the factor it takes from ``a``:
#:
#: * sigmoid ``a (1 - a)``: ``4 u a``: a few ``u`` absolutely where ``a`` is
#:   near 1 (``1 - a`` is a difference of terms of size 1), but a few ``u``
#:   relative where ``a`` is tiny (there ``a (1 - a)`` is ``a`` to a few ``u``);
#: * tanh ``1 - a^2``: ``16 a^2`` (twice ``a``'s 7 ``u``, plus the subtraction);
#: * elu ``a + 1`` below 0: ``4 |a|``; above 0 ``f' = 1`` exactly;
#: * softplus ``sigmoid(z)``: ``4 f'(z)``, relative (``1 - e^{-a}`` would lose
#:   every digit of a tiny ``f'`` and is not accepted there);
#: * sin ``cos z``: ``4``, absolute (near a zero of ``cos``, XLA's and numpy's
#:   argument reduction differ by a few ``u`` absolutely);
#: * the piecewise-linear activations: 0, their ``f'`` is exact.
DERIVATIVE_ROUNDING: dict[str, Callable[[Float64Array], Float64Array]] = {
    "identity": np.zeros_like,
    "relu": np.zeros_like,
    "leaky_relu": np.zeros_like,
    "sigmoid": lambda z: 4.0 * _sigmoid(z),
    "tanh": lambda z: 16.0 * np.tanh(z) ** 2,
    "elu": lambda z: 4.0 * np.abs(np.asarray(ACTIVATIONS["elu"](np.minimum(z, 0.0)))),
    "softplus": lambda z: 4.0 * _sigmoid(z),
    "sin": lambda z: np.full_like(z, 4.0),
}


def derivative_rounding(name: str, Z: Float64Array) -> Float64Array:
    """Absolute error of ``f'(Z)`` in units of ``u``, entry by entry (:data:`DERIVATIVE_ROUNDING`).

    An activation without an entry counts with 16 ``u`` absolutely.
    """
    rule = DERIVATIVE_ROUNDING.get(name)
    Z = np.asarray(Z, dtype=np.float64)
    with np.errstate(all="ignore"):
        return np.full_like(Z, 16.0) if rule is None else np.asarray(rule(Z), dtype=np.float64)


# --- the judging rule ---------------------------------------------------------------


def judged_scale(terms: Float64Array | float, rounding: Float64Array | float = 0.0
                 ) -> Float64Array:
    """The ``scale`` of each entry for :func:`~proofcheck.numerics.tolerances.compare`.

    Parameters
    ----------
    terms : array
        ``T``, the size of the terms each entry sums.
    rounding : array
        ``P``, how far the two sides may move each entry although both are right.

    Returns
    -------
    array
        ``max(T, MARGIN P / atol)``, at most ``CEILING T / atol``; ``inf`` (not
        judged) where ``P > CEILING T``.
    """
    atol = TOLERANCES["gradient"].atol
    T = np.asarray(terms, dtype=np.float64)
    P = np.asarray(rounding, dtype=np.float64)
    with np.errstate(over="ignore", invalid="ignore"):
        scale = np.minimum(np.maximum(T, MARGIN * P / atol), CEILING * T / atol)
        return np.asarray(np.where(P > CEILING * T, np.inf, scale), dtype=np.float64)


def product_terms(*factors: Float64Array) -> Float64Array:
    """``T`` of a matrix product of ``factors``: the same product of absolute values.

    ``product_terms(delta, a.T)`` for ``delta a^T``; a vector factor last sums
    (``product_terms(delta, ones)`` for ``delta 1_N``).
    """
    result = np.abs(np.asarray(factors[0], dtype=np.float64))
    with np.errstate(over="ignore"):
        for f in factors[1:]:
            result = result @ np.abs(np.asarray(f, dtype=np.float64))
    return result


def step_scale(name: str, Z: Float64Array, dfz: Float64Array,
               rest: Float64Array) -> Float64Array:
    """The scale of ``delta = f'(Z) * rest`` with ``rest`` the terms of the other factor
    (``|dC/dA^k|`` for T1.base, ``|W^{l+1}|^T |Delta^{l+1}|`` for T1.step), fed the oracle's
    ``f'``: the oracle's own backward pass may form ``f'`` as its derivative rounding allows.
    """
    with np.errstate(over="ignore"):
        terms = np.abs(dfz) * rest
        return judged_scale(terms, derivative_rounding(name, Z) * U * rest)


# --- end-to-end: terms and the propagated estimate ------------------------------------


class NetworkScales(NamedTuple):
    """Entrywise arrays per layer (index ``l - 1``) for ``Delta^l``, ``dC/dW^l``, ``dC/db^l``."""

    deltas: list[Float64Array]
    dWs: list[Float64Array]
    dbs: list[Float64Array]


def _cost_terms(net: Network, o: NetworkGradients) -> Float64Array:
    """The terms of ``dC/dA^k``: the cost gradient at ``|A|`` and ``-|Y|`` (no cancellation)."""
    N = net.X.shape[1]
    with np.errstate(all="ignore"):
        return _capped(np.abs(COSTS[net.cost].gradient(np.abs(o.As[-1]), -np.abs(net.Y)) / N))


def _derivative_size(net: Network, o: NetworkGradients, l: int) -> Float64Array:
    """``|f^l'(Z^l)|`` plus its own rounding (:func:`derivative_rounding`): the size of
    ``f'`` as any correct program may have it. Where the oracle's ``f'`` is 0 by
    rounding (``1 - a^2`` of a ``tanh`` that rounds to 1), a program that forms it
    another way (``1 / cosh^2``) has the true, tiny value, and the terms and the
    propagated estimate must count it: else an entry that is a product of two such
    derivatives has terms 0 and is judged at a scale of 0."""
    Z = o.Zs[l - 1]
    return np.abs(o.derivatives[l - 1]) + derivative_rounding(net.activation_names[l - 1], Z) * U


def _backward(net: Network, o: NetworkGradients, top: Float64Array,
              below: Callable[[int], Float64Array]) -> NetworkScales:
    """Carry entrywise bounds down the backward pass on absolute values.

    ``top`` is the bound on ``Delta^k``; ``below(l)`` adds a bound of its own to
    ``Delta^l`` for ``l < k``. ``dC/dW^l`` and ``dC/db^l`` get ``|Delta| |A|^T``
    and ``|Delta| 1`` of the carried bounds.
    """
    k = len(net.weights)
    deltas: list[Float64Array] = [np.empty(0)] * k
    deltas[k - 1] = _capped(top)
    with np.errstate(all="ignore"):
        for l in range(k - 1, 0, -1):
            carried = _derivative_size(net, o, l) * (np.abs(net.weights[l]).T @ deltas[l])
            deltas[l - 1] = _capped(carried + below(l))
        dWs = [_capped(deltas[l] @ np.abs(o.As[l]).T) for l in range(k)]
        dbs = [_capped(deltas[l].sum(axis=1)) for l in range(k)]
    return NetworkScales(deltas, dWs, dbs)


def network_terms(net: Network, o: NetworkGradients) -> NetworkScales:
    """``T`` of every delta and gradient: backpropagation run on absolute values.

    ``T^k = |f^k'| |dC/dA^k|_terms``, ``T^l = |f^l'| (|W^{l+1}|^T T^{l+1})``, with
    ``|f'|`` counted with its own rounding (:func:`_derivative_size`),
    ``dC/dW^l``: ``T^l |A^{l-1}|^T``, ``dC/db^l``: ``T^l 1_N``.
    """
    k = len(net.weights)
    top = _derivative_size(net, o, k) * _cost_terms(net, o)
    return _backward(net, o, top, lambda l: np.zeros_like(o.deltas[l - 1]))


def forward_errors(net: Network, As: Sequence[Float64Array], dfzs: Sequence[Float64Array]
                   ) -> tuple[list[Float64Array], list[Float64Array]]:
    """First-order bounds on how far two forward passes' rounding moves ``Z^l`` and ``A^l``.

    ``E_z^l = (n_{l-1} + 2) u (|W^l| |A^{l-1}| + |b^l|) + |W^l| E_a^{l-1}`` and
    ``E_a^l = |f^l'(Z^l)| E_z^l + 4 u |A^l|``, with ``E_a^0 = 0`` (``X`` is exact).
    Returns ``(E_z^1..E_z^k, E_a^0..E_a^k)``.
    """
    errors_a = [np.zeros_like(net.X)]
    errors_z = []
    with np.errstate(all="ignore"):
        for l in range(len(net.weights)):
            W = np.abs(net.weights[l])
            terms = W @ np.abs(As[l]) + np.abs(net.biases[l])[:, None]
            errors_z.append(_capped((W.shape[1] + 2) * U * terms + W @ errors_a[l]))
            errors_a.append(_capped(np.abs(dfzs[l]) * errors_z[l] + 4 * U * np.abs(As[l + 1])))
    return errors_z, errors_a


def propagated(net: Network, o: NetworkGradients) -> NetworkScales:
    """``P``: how far numpy's and XLA's forward passes may move every delta and gradient.

    The forward passes differ by a few ``u`` of the terms of each potential,
    ``E_z^l ~ (n_{l-1} + 2) u (|W^l| |A^{l-1}| + |b^l|) + |W^l| E_a^{l-1}``, and
    ``E_a^l ~ |f'(Z^l)| E_z^l + 4 u |A^l|``. That matters where ``f'`` or the
    cost's gradient is sensitive to it; the sensitivities are measured by
    evaluating the package's ``f'`` and cost gradient at the perturbed points
    (plus the derivative's own rounding, :func:`derivative_rounding`), and
    carried down the backward pass to first order::

        P^k = S_f^k |dC/dA^k| + |f^k'| S_c
        P^l = S_f^l |(W^{l+1})^T Delta^{l+1}| + |f^l'| |W^{l+1}|^T P^{l+1}

    and into ``dC/dW^l`` (``P^l |A^{l-1}|^T + |Delta^l| (E_a^{l-1})^T``) and
    ``dC/db^l`` (``P^l 1``).
    """
    k, N = len(net.weights), net.X.shape[1]
    errors_z, errors_a = forward_errors(net, o.As, o.derivatives)
    with np.errstate(all="ignore"):
        sensitivity = []
        for l, name in enumerate(net.activation_names):
            f, Z, E = ACTIVATIONS[name], o.Zs[l], errors_z[l]
            at = f.derivative(Z)
            moved = np.maximum(np.abs(f.derivative(Z + E) - at), np.abs(f.derivative(Z - E) - at))
            sensitivity.append(_capped(moved + 4 * U * np.abs(at)
                                       + derivative_rounding(name, Z) * U))
        c, A, E = COSTS[net.cost], o.As[-1], errors_a[-1]
        at = c.gradient(A, net.Y)
        # A perturbation that leaves the cost's domain gives inf or NaN: capped, the
        # entry cannot be judged (it is within rounding of the domain's edge).
        moved = np.maximum(np.abs(c.gradient(A + E, net.Y) - at),
                           np.abs(c.gradient(A - E, net.Y) - at))
        cost_error = _capped(moved / N + 4 * U * _cost_terms(net, o))
        top = sensitivity[k - 1] * np.abs(o.grad_a) + _derivative_size(net, o, k) * cost_error
        P = _backward(net, o, top,
                      lambda l: sensitivity[l - 1] * np.abs(net.weights[l].T @ o.deltas[l]))
        dWs = [_capped(P.dWs[l] + np.abs(o.deltas[l]) @ errors_a[l].T) for l in range(k)]
    return NetworkScales(P.deltas, dWs, P.dbs)


def network_scales(net: Network, o: NetworkGradients) -> NetworkScales:
    """The judged scale (:func:`judged_scale`) of every delta and gradient, end-to-end."""
    T, P = network_terms(net, o), propagated(net, o)
    return NetworkScales(*([judged_scale(t, p) for t, p in zip(ts, ps, strict=True)]
                           for ts, ps in zip(T, P, strict=True)))


# --- kinks ---------------------------------------------------------------------------


def _potential_terms(net: Network, l: int, A_prev: Float64Array) -> Float64Array:
    return np.abs(net.weights[l]) @ np.abs(A_prev) + np.abs(net.biases[l])[:, None]


def near_kink(net: Network, Zs: Sequence[Float64Array], As: Sequence[Float64Array]) -> bool:
    """Whether a potential lies within rounding of a kink without being exactly at it.

    Within ``KINK_MARGIN`` of its terms after cancellation, within ``MARGIN`` times
    its forward error (:func:`forward_errors`: a cancelled potential of one layer
    carries the rounding of its terms into the next, whose own cancellation may
    then land on either side), or closer to it than ``FLOOR`` (XLA flushes subnormal
    products to zero, numpy keeps them). Such an example is discarded.
    """
    dfzs = [ACTIVATIONS[name].derivative(Z)
            for name, Z in zip(net.activation_names, Zs, strict=True)]
    errors_z, _ = forward_errors(net, As, dfzs)
    return any(within_rounding_of_kink(name, Zs[l], _potential_terms(net, l, As[l]), errors_z[l])
               for l, name in enumerate(net.activation_names))


def within_rounding_of_kink(name: str, Z: Float64Array, terms: Float64Array,
                            error: Float64Array | float = 0.0) -> bool:
    """Whether a potential of ``Z`` (with ``terms``, forward ``error``) lies within rounding
    of the kink of activation ``name``: within ``KINK_MARGIN`` of its terms, within
    ``MARGIN`` times its forward error, or closer to it than ``FLOOR``. The last is XLA's
    flushing: a product of the potential that is subnormal is 0 in XLA, and numpy keeps
    it, or rounds it up to the smallest normal number (``W = -(1 - 2^-53)``, ``X = -tiny``:
    numpy's ``z`` is ``tiny``, XLA's 0, and the two derivatives took opposite sides of a
    relu's kink; found by ``proofcheck verify``'s ``dev`` draws on L2). Each flushed
    product moves the potential by at most ``tiny``, and ``FLOOR = tiny / u`` bounds any
    number of them. A potential exactly at the kink counts only if its terms are not all
    0 (it is there by cancellation, which another order of summation may miss)."""
    kink = ACTIVATIONS[name].kink
    if kink is None:
        return False
    distance = np.abs(Z - kink)
    rounding = np.maximum(KINK_MARGIN * terms, MARGIN * np.asarray(error))
    near = ((distance <= rounding) | (distance < FLOOR)) & (terms > 0)
    return bool(np.any(near))


def layer_near_kink(activations: Sequence[Any], Zs: Sequence[Float64Array],
                    As: Sequence[Float64Array], oracle_Zs: Sequence[Float64Array],
                    oracle_As: Sequence[Float64Array]) -> bool:
    """Whether a unit of a network of layer types lies within rounding of its activation's
    kink: its potential (numpy's ``Zs``) within ``MARGIN`` times the unit's measured
    forward rounding, the difference between the two forward passes in ``z`` or in ``a``
    (a kinked activation's slopes are at most 1, so a difference in ``a`` is at most one
    in the potential the oracle's activation was applied to), where that is not 0.

    The layer types' potentials have no terms to judge a cancellation by, as the
    paper's ``W a + b`` has (:func:`near_kink`); the two passes measure it instead.
    Found by the layer rows' soak: a LayerNorm of an input whose features are all equal
    gives ``a - mu`` of a few ulp, divided by ``sqrt(eps)``; numpy's ``z`` was exactly 0,
    XLA's fused relu applied to ``1.8e-14``, and the two derivatives took opposite sides
    of the kink. Units exactly at a kink in both passes (``W = 0``, ``b = 0``) are kept:
    there the implementation's own ``f'(0)`` is checked (:func:`kink_conventions`).
    ``As`` and ``oracle_As`` start with ``A^0 = X``.
    """
    for f, Z, A, oZ, oA in zip(activations, Zs, As[1:], oracle_Zs, oracle_As[1:], strict=True):
        kink = getattr(getattr(f, "activation", None), "kink", None)
        if kink is None:
            continue
        with np.errstate(all="ignore"):
            error = np.maximum(np.abs(Z - oZ), np.abs(A - oA))
            near = (np.abs(Z - kink) <= MARGIN * error) & (error > 0)
        if np.any(near):
            return True
    return False


def kink_activations(net: Network, Zs: Sequence[Float64Array]) -> list[str]:
    """The activations with a unit exactly at their kink, in registration order."""
    names = {name for name, Z in zip(net.activation_names, Zs, strict=True)
             if ACTIVATIONS[name].kink is not None and np.any(ACTIVATIONS[name].kink == Z)}
    return [name for name in ACTIVATIONS if name in names]


#: The conventions accepted at a kink, by name: the value of ``f'`` there from
#: the left and the right derivative.
CONVENTIONS: dict[str, Callable[[float, float], float]] = {
    "left": lambda left, right: left,
    "right": lambda left, right: right,
    "midpoint": lambda left, right: (left + right) / 2,
}


class KinkConvention(NamedTuple):
    """One accepted value of ``f'`` at the kink for each activation that has units there."""

    names: dict[str, str]
    derivatives: dict[str, float]


def kink_conventions(activations: Sequence[str]) -> list[KinkConvention]:
    """Every combination of accepted conventions for ``activations`` (the left one first)."""
    choices = []
    for combo in itertools.product(CONVENTIONS, repeat=len(activations)):
        names = dict(zip(activations, combo, strict=True))
        derivatives = {}
        for name, convention in names.items():
            left, right = ACTIVATIONS[name].subdifferential or (0.0, 0.0)
            derivatives[name] = CONVENTIONS[convention](left, right)
        choices.append(KinkConvention(names, derivatives))
    return choices


def kink_layers(net: Network, Zs: Sequence[Float64Array]) -> list[int]:
    """The layers ``l`` (from 1) with a unit exactly at their activation's kink, from the
    output layer down (the order in which a layer's convention can be told apart: the
    gradients of layers ``l..k`` depend on the conventions of those layers only)."""
    return [l for l in range(net.depth, 0, -1)
            if ACTIVATIONS[net.activation_names[l - 1]].kink is not None
            and np.any(ACTIVATIONS[net.activation_names[l - 1]].kink == Zs[l - 1])]


class LayerConventions(NamedTuple):
    """The convention at the kink chosen for each layer where it matters.

    Attributes
    ----------
    activations : dict of int to str
        The activation of each layer ``l`` named here.
    kinds : dict of int to str
        The convention of layer ``l``, a key of :data:`CONVENTIONS`.
    """

    activations: dict[int, str]
    kinds: dict[int, str]

    def derivative(self, l: int) -> float:
        """The value of ``f^l'`` at the kink that layer ``l``'s convention gives."""
        name = self.activations[l]
        left, right = ACTIVATIONS[name].subdifferential or (0.0, 0.0)
        return CONVENTIONS[self.kinds[l]](left, right)

    def with_layer(self, l: int, activation: str, convention: str) -> LayerConventions:
        """These conventions, and ``convention`` for layer ``l`` of ``activation``."""
        return LayerConventions({**self.activations, l: activation},
                                {**self.kinds, l: convention})


def layer_conventions(activation: str) -> list[tuple[str, float]]:
    """The accepted conventions of ``activation`` at its kink and their value of ``f'``,
    the left one first."""
    left, right = ACTIVATIONS[activation].subdifferential or (0.0, 0.0)
    return [(kind, rule(left, right)) for kind, rule in CONVENTIONS.items()]


def describe_layer_conventions(conventions: LayerConventions) -> str:
    """What an implementation uses at its kinks, layer by layer.

    An activation whose layers all use one convention is named as
    :func:`describe_convention` names it (``"relu'(0) = 1: the right derivative"``);
    one whose layers differ is named layer by layer (``"layer 1: relu'(0) = 0 (the left
    derivative), layer 2: relu'(0) = 1 (the right derivative)"``).
    """
    by_activation: dict[str, list[int]] = {}
    for l in sorted(conventions.kinds):
        by_activation.setdefault(conventions.activations[l], []).append(l)
    parts = []
    for name in (n for n in ACTIVATIONS if n in by_activation):
        layers = by_activation[name]
        kinds = {conventions.kinds[l] for l in layers}
        if len(kinds) == 1:
            kind = kinds.pop()
            value = conventions.derivative(layers[0])
            parts.append(describe_convention(KinkConvention({name: kind}, {name: value})))
            continue
        kink = _number(ACTIVATIONS[name].kink or 0.0)
        parts.append(", ".join(
            f"layer {l}: {name}'({kink}) = {_number(conventions.derivative(l))} "
            f"({_kind_words(conventions.kinds[l])})" for l in layers))
    return "; ".join(parts)


def _kind_words(kind: str) -> str:
    return ("the midpoint of the one-sided derivatives" if kind == "midpoint" else
            f"the {kind} derivative")


def _number(x: float) -> str:
    return f"{x:g}"


def describe_convention(convention: KinkConvention | None,
                        activations: Sequence[str] = (), layer: int | None = None) -> str:
    """``"relu'(0) = 1: the right derivative"``; for ``None``, that none of the accepted
    conventions for ``activations`` matched (at ``layer``, when one is named)."""
    if convention is None:
        parts = []
        for name in activations:
            kink = ACTIVATIONS[name].kink or 0.0
            values = sorted({_number(v.derivatives[name])
                             for v in kink_conventions([name])}, key=float)
            parts.append(f"{name}'({_number(kink)}) = {', '.join(values[:-1])} or {values[-1]}")
        where = f" in layer {layer}" if layer is not None else ""
        return (f"a value at a kink{where} that no accepted convention gives (accepted: "
                + "; ".join(parts) + ")")
    return "; ".join(
        f"{name}'({_number(ACTIVATIONS[name].kink or 0.0)}) = "
        f"{_number(convention.derivatives[name])}: the {kind} derivative"
        if kind != "midpoint" else
        f"{name}'({_number(ACTIVATIONS[name].kink or 0.0)}) = "
        f"{_number(convention.derivatives[name])}: the midpoint of the one-sided derivatives"
        for name, kind in convention.names.items())



# --- layer types (the generalized theorem) ---------------------------------------------
#
# The rows of the generalized theorem compare at term scales per quantity: a layer
# type's products are opaque to the package, so their terms are bounded from the
# sizes of their possible factors, and the sharper |J|^T |delta| from the oracle is
# computed only for a comparison that the cheaper scale would fail.


def at_least_one(*arrays: object) -> float:
    """The largest entry of ``arrays`` in size, but at least 1.

    A product's terms are of the size of ``delta`` times the factors it uses, and
    which inputs and parameters are factors depends on the layer type (``W^T delta``
    uses ``W`` but not ``b``; ``sum delta`` uses neither). Counting each possible
    factor with at least 1 keeps a scale from vanishing because one that is not a
    factor is 0 (an affine layer with ``b = 0`` before a softmax of equal inputs,
    whose ``s * (g - s^T g)`` XLA rounds to 1e-17 where numpy gets 0).
    """
    sizes = [float(np.max(np.abs(np.asarray(a, dtype=np.float64)), initial=0.0))
             for a in arrays]
    return max([1.0, *sizes])


def layer_product_scale(delta: Float64Array, *factors: object) -> float:
    """The scale of a layer type's product of ``delta`` with some of ``factors``:
    ``term_scale(delta)`` times :func:`at_least_one` of the possible factors."""
    return term_scale(delta) * at_least_one(*factors)


def lemma_scale(a: Float64Array, delta: Float64Array, *params: object) -> float:
    """The scale of a layer type's products at one point.

    Every product is linear in ``delta``; ``a`` and each parameter may or may not be a
    factor. So the larger of ``term_scale(a, delta)`` times :func:`at_least_one` of
    the parameters (``delta a^T``, ``gamma`` times ``delta x``) and
    :func:`layer_product_scale` of ``delta`` with ``a`` and the parameters as possible
    factors, each counted with at least 1 (``W^T delta``, and the skip connection's
    ``delta`` itself, which no factor multiplies). The first alone is 0 at ``a = 0``,
    where a residual layer's ``delta + W^T delta`` still sums terms of ``delta``'s size.
    """
    return max(term_scale(a, delta) * at_least_one(*params),
               layer_product_scale(delta, a, *params))


def chain_scales(terms: Sequence[float], values: Sequence[Float64Array]) -> list[float]:
    """Scales along the backward pass from a bound on each step's terms.

    ``values[i]`` is the oracle's quantity of step ``i`` (the output first) and
    ``terms[i]`` a bound on the terms its step summed. Where a step cancels (its
    result is much smaller than its terms), both sides carry an absolute error of
    the size of the terms, and every later step inherits that error relative to
    its own result. So the ratio ``r = terms / |value|`` is carried down the
    chain, never decreasing, and step ``i`` is compared at the scale
    ``r_i |value_i|``. Without cancellation ``r = 1``.
    """
    scales: list[float] = []
    ratio = 1.0
    for term, value in zip(terms, values, strict=True):
        size = float(np.max(np.abs(value), initial=0.0))
        if size > 0:
            ratio = max(ratio, term / size)
        scales.append(max(ratio * size, term))
    return scales


def layer_network_scales(net: Network, o: NetworkGradients) -> tuple[list[float], list[float]]:
    """End-to-end scales of a layer network's deltas and parameter gradients (index ``l - 1``).

    The terms of ``delta^k`` are bounded by ``|a^k| |dC/dA^k|`` with the cost
    gradient taken at ``|A|`` and ``-|Y|``; those of ``delta^l`` by
    :func:`layer_product_scale` of ``delta^{l+1}`` with the layer's parameters and
    ``a^l`` (a non-elementwise activation such as softmax multiplies by ``a``), carried
    down by :func:`chain_scales`; a parameter gradient inherits its delta's ratio.

    Where ``delta^{l+1}`` cancelled to exactly 0 although its terms did not vanish,
    what it carries into ``delta^l`` is its rounding, of the size of its own scale,
    not its value: the terms of ``delta^l`` are then at least that scale times the
    layer's possible factors. Found by ``proofcheck verify``'s ``dev`` draws: an affine
    layer of zeros into a LayerNorm, a softmax of equal outputs against ``Y = 1/7``.
    The oracle's ``a - y`` was exactly 0, numpy's a few ``u``, and LayerNorm's
    ``1 / sqrt(eps)`` carried it into ``delta^1 = -1.9e-30``, judged at scale 0.
    """
    k, N = net.depth, net.batch_size
    g = COSTS[net.cost].gradient(np.abs(o.As[-1]), -np.abs(net.Y)) / N
    values = [o.deltas[l - 1] for l in range(k, 0, -1)]
    terms = [term_scale(np.maximum(np.abs(o.As[k]), 1.0), g)]
    for l in range(k - 1, 0, -1):
        factors = (*net.params[l].values(), o.As[l])
        term = layer_product_scale(o.deltas[l], *factors)
        if not np.any(o.deltas[l]):
            carried = chain_scales(terms, values[:len(terms)])[-1]
            term = max(term, carried * at_least_one(*factors))
        terms.append(term)
    deltas = chain_scales(terms, values)[::-1]
    grads = []
    for l in range(1, k + 1):
        size = float(np.max(np.abs(o.deltas[l - 1]), initial=0.0))
        if size > 0:
            ratio = deltas[l - 1] / size
            grads.append(max(1.0, ratio) * term_scale(o.As[l - 1], o.deltas[l - 1]))
        else:
            # delta^l cancelled to exactly 0 (a softmax of equal outputs against equal
            # targets): its terms, not its value, bound what a correct program may
            # compute, through a parameter Jacobian of entries up to max(|a^{l-1}|, 1) (a
            # bias-like parameter's is 1). Without this a gradient of one ulp of a - y
            # was judged at scale 0 (dev seed 39: LayerNorm with gamma = beta = 0,
            # softmax, Y = 1/6).
            grads.append(deltas[l - 1] * max(1.0, float(np.max(np.abs(o.As[l - 1]),
                                                                 initial=0.0))))
    return deltas, grads


def second_look(scale: float, terms: Float64Array, count: int) -> Float64Array:
    """The scale of a layer product judged at the terms each entry sums, before a failure
    is called: ``terms = |J|^T |delta|`` from the oracle's pullbacks (a Jacobian may hold
    factors that no input shows, such as LayerNorm's ``1 / sigma``), times the number
    ``count`` of entries summed. A wrong product is off by the size of its terms."""
    return np.maximum(scale, count * np.asarray(terms, dtype=np.float64))


def carried_delta(delta: Float64Array, scale: float, count: int) -> Float64Array:
    """The sizes of ``delta^l`` that a parameter gradient's second look weighs its
    Jacobian with: ``|delta^l|``, but at least ``scale / count``.

    ``scale`` is the scale ``delta^l`` itself is judged at, ``count`` the multiple
    :func:`second_look` takes of the terms. Where ``delta^l`` cancelled (a softmax of
    equal outputs against equal targets gives ``a - y`` of a few ``u``), both sides
    carry an absolute error of the size of that scale in every entry, and a parameter
    Jacobian carries it into the gradient with its own entries: 1 for a bias, which
    has no factor of ``a^{l-1}``. Weighing by the value alone judged such a bias
    gradient at a scale of a few ``u`` (a tolerance of about ``1e-25``; ``dev`` seeds
    61, 94, 99: a residual layer of zeros on ``X = 0``, a softmax against ``Y = 1/n``).

    The floor adds at most ``|J_theta|^T 1`` times ``scale`` to the second look:
    for a parameter whose Jacobian is ``a^{l-1}`` that is no more than the first
    look's term scale (``n max|a^{l-1}|`` times ``scale``) already allows, so only
    the parameters that have no factor of ``a^{l-1}`` are judged more loosely, and
    only where their delta is smaller than the scale it is judged at.
    """
    floor = scale / max(count, 1) if np.isfinite(scale) else 0.0
    return np.maximum(np.abs(np.asarray(delta, dtype=np.float64)), floor)


class LayerRounding(NamedTuple):
    """``P`` of a layer network's deltas and parameter gradients (index ``l - 1``)."""

    deltas: list[Float64Array]
    grads: list[dict[str, Float64Array]]


def probed_rounding(net: Network, oracle: Callable[[Network], NetworkGradients]
                    ) -> LayerRounding:
    """``P`` of a layer network, measured: how far the oracle's results move when every
    parameter is moved by its forward pass's rounding.

    A forward pass that rounds is, to first order, the exact forward pass of
    parameters moved by a few ``u`` relative (``n_in + 4`` of them for a layer of
    input width ``n_in``: the dot products and the activation). The layer types'
    maps are opaque to the package, so instead of carrying a bound through them
    (as :func:`propagated` does for the paper's network) the oracle is run twice
    more, with every parameter moved up and down by that much in a fixed pattern of
    signs, and ``P`` is the larger change. It costs two oracle calls, so the rows
    take this look only before calling a failure.
    """
    base = oracle(net)
    pattern = np.random.default_rng(0)  # a fixed pattern of signs, not test data
    signs = [{k: pattern.choice([-1.0, 1.0], size=np.shape(v)) for k, v in theta.items()}
             for theta in net.params]
    deltas = [np.zeros_like(d) for d in base.deltas]
    grads = [{k: np.zeros_like(v) for k, v in g.items()} for g in base.grads]
    with np.errstate(all="ignore"):
        for direction in (-1.0, 1.0):
            params = [{k: np.asarray(v) * (1 + direction * s[k] * (layer.n_in + 4) * U)
                       for k, v in theta.items()}
                      for layer, theta, s in zip(net.layers, net.params, signs, strict=True)]
            moved = oracle(net._replace(params=params))
            for l in range(net.depth):
                deltas[l] = np.maximum(deltas[l], np.abs(moved.deltas[l] - base.deltas[l]))
                for k in grads[l]:
                    grads[l][k] = np.maximum(grads[l][k],
                                             np.abs(moved.grads[l][k] - base.grads[l][k]))
    return LayerRounding([_capped(d) for d in deltas],
                         [{k: _capped(v) for k, v in g.items()} for g in grads])
