"""Properties of the theorem: T1 (one example), T1.tail and T2 (data matrix).

Each T1 step is checked twice. *Isolated*: the implementation's function for
that step is fed the oracle's values for what the proof assumes, and its
result is compared with the oracle's. *End-to-end*: the deltas are built by
the implementation's own recursion from the package's hand-derived ``f'`` and
``grad_a c`` at numpy's forward pass. T1 properties draw one example
(``N = 1``), as the theorem states it; T2 draws batches of 1 to 5 examples.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import numpy as np
from hypothesis import assume
from hypothesis import strategies as st
from numpy.typing import NDArray

from proofcheck import oracle
from proofcheck.activations import ACTIVATIONS
from proofcheck.costs import COSTS
from proofcheck.network import forward_numpy
from proofcheck.properties import (
    KINK_MARGIN,
    Check,
    Context,
    Property,
    Subject,
    chain_scales,
    check,
    register,
)
from proofcheck.strategies import Network, networks
from proofcheck.tolerances import PROPAGATED_MARGIN, TOLERANCES, term_scale

Float64Array = NDArray[np.float64]

__all__: list[str] = []


def _single(min_depth: int = 1) -> Callable[[Context], st.SearchStrategy[Network]]:
    def strategy(ctx: Context) -> st.SearchStrategy[Network]:
        return networks(min_depth=min_depth, max_batch=1, activations=ctx.activations,
                        costs=ctx.costs)

    return strategy


def _batch(ctx: Context) -> st.SearchStrategy[Network]:
    return networks(activations=ctx.activations, costs=ctx.costs)


def _oracle(net: Network) -> oracle.NetworkGradients:
    return oracle.network_gradients(net.weights, net.biases, net.activations, net.cost,
                                    net.X, net.Y)


class HandSide(NamedTuple):
    """numpy's forward pass and the package's hand-derived f' and dC/dA^k."""

    Zs: list[Float64Array]
    As: list[Float64Array]
    dfzs: list[Float64Array]
    grad_a: Float64Array


def _hand_side(net: Network) -> HandSide:
    Zs, As = forward_numpy(net.weights, net.biases, net.activations, net.X)
    _assume_clear_of_kinks(net, Zs, As)
    dfzs = [ACTIVATIONS[name].derivative(Z) for name, Z in zip(net.activations, Zs, strict=True)]
    grad_a = COSTS[net.cost].gradient(As[-1], net.Y) / net.batch_size
    return HandSide(Zs, As, dfzs, grad_a)


_TINY = float(np.finfo(np.float64).tiny)


def _assume_clear_of_kinks(net: Network, Zs: list[Float64Array], As: list[Float64Array]) -> None:
    """Discard examples whose potential cancels to within KINK_MARGIN of a kink.

    See :mod:`proofcheck.properties` for why (and a potential that is subnormal,
    which XLA flushes to the kink); the discarded fraction is tiny
    (cancellation to 1e-12 of the terms' size is a measure-zero event that
    only Hypothesis's fondness for simple floats makes visible).
    """
    for l, name in enumerate(net.activations):
        kink = ACTIVATIONS[name].kink
        if kink is None:
            continue
        terms = np.abs(net.weights[l]) @ np.abs(As[l]) + np.abs(net.biases[l])[:, None]
        distance = np.abs(Zs[l] - kink)
        # Below the smallest normal number, XLA flushes the potential to zero (the
        # kink itself) where numpy keeps its sign: within rounding of the kink too.
        near = ((distance <= KINK_MARGIN * terms) | (distance < _TINY)) & (terms > 0)
        assume(not np.any(near))


def _abs_gradient(net: Network, o: oracle.NetworkGradients) -> Float64Array:
    """A bound on the terms of ``dC/dA^k``: the cost gradient at ``|A|`` and ``-|Y|``."""
    return COSTS[net.cost].gradient(np.abs(o.As[-1]), -np.abs(net.Y)) / net.batch_size


def _derivative_terms(net: Network, l: int, dfz: Float64Array) -> Float64Array:
    """The size ``f^l'(Z^l)`` counts with in a comparison's scale, entry by entry.

    ``|f'|`` itself, or ``Activation.derivative_rounding`` where that is larger:
    a tiny ``f'`` formed as ``1 - tanh^2 z`` (JAX forms it so too, in its backward
    pass, apart from the ``f'`` it reports) is known only to ``u`` absolutely.
    """
    rounding = ACTIVATIONS[net.activations[l - 1]].derivative_rounding
    return np.maximum(np.abs(dfz), rounding)


def _isolated_scales(net: Network, l: int, dfz: Float64Array,
                     rest: float | Float64Array) -> Float64Array:
    """Entrywise scale of ``delta^l = f^l'(Z^l) * rest``, with ``rest`` a bound on the
    terms of the other factor (``|dC/dA^k|``, or ``n |W| |Delta|`` for the step)."""
    return _derivative_terms(net, l, dfz) * rest


class Scales(NamedTuple):
    """End-to-end comparison scales per layer (index ``l - 1``): a number for a whole
    quantity, or an array for each of its entries."""

    deltas: list[float | Float64Array]
    dWs: list[float | Float64Array]
    dbs: list[float | Float64Array]


#: Unit roundoff of float64.
U = float(np.finfo(np.float64).eps / 2)
#: Where a propagated error is so large that an entry cannot be judged at all (a
#: saturated output whose perturbation leaves the cost's domain), it is capped here
#: so that the arithmetic stays finite; ``_CAP / U`` is still a finite scale.
_CAP = 1e290


def _capped(x: Float64Array) -> Float64Array:
    return np.minimum(np.nan_to_num(x, nan=_CAP, posinf=_CAP), _CAP)


class Propagated(NamedTuple):
    """First-order bounds on how far the two forward passes' rounding moves each quantity."""

    deltas: list[Float64Array]
    dWs: list[Float64Array]
    dbs: list[Float64Array]


def _propagated(net: Network, o: oracle.NetworkGradients) -> Propagated:
    """How much numpy's and XLA's forward passes may differ, carried into the backward pass.

    End-to-end rows compare quantities built on two forward passes that round
    differently. The difference is a few ``u`` of the terms of each potential,
    ``E_z^l ~ (n_{l-1} + 2) u (|W^l| |A^{l-1}| + |b^l|) + |W^l| E_a^{l-1}``,
    and ``E_a^l ~ |f'(Z^l)| E_z^l + 4 u |A^l|``. It matters where ``f'`` or the
    cost's gradient are sensitive to it: a saturated unit (``f'(z)`` changes by
    ``|f''| E_z``, and an ``f'`` formed from ``a``, as ``1 - a^2``, is known only
    to ``u`` absolutely, see ``Activation.derivative_rounding``), or a sigmoid
    output within ``1e-13`` of 1 under cross-entropy, where ``1 - a`` keeps few
    digits. The sensitivities are measured by evaluating the package's ``f'``
    and cost gradient at the perturbed points, and carried down the backward
    pass to first order::

        P^k = S_f^k |dC/dA^k| + |f^k'| S_c
        P^l = S_f^l |(W^{l+1})^T Delta^{l+1}| + |f^l'| |W^{l+1}|^T P^{l+1}

    and into ``dC/dW^l`` (``P^l |A^{l-1}|^T + |Delta^l| (E_a^{l-1})^T``) and
    ``dC/db^l``. The comparison allows ``PROPAGATED_MARGIN`` times each bound
    (:mod:`proofcheck.tolerances`). Where the network is well conditioned this is
    below what the terms' own scale allows and changes nothing.
    """
    k, N = net.depth, net.batch_size
    errors_a = [np.zeros_like(net.X)]
    errors_z = []
    for l in range(k):
        W = np.abs(net.weights[l])
        terms = W @ np.abs(o.As[l]) + np.abs(net.biases[l])[:, None]
        errors_z.append(_capped((W.shape[1] + 2) * U * terms + W @ errors_a[l]))
        errors_a.append(_capped(np.abs(o.dfzs[l]) * errors_z[l] + 4 * U * np.abs(o.As[l + 1])))
    sensitivity = []
    with np.errstate(all="ignore"):
        for l, name in enumerate(net.activations):
            f, Z, E = ACTIVATIONS[name], o.Zs[l], errors_z[l]
            at = f.derivative(Z)
            moved = np.maximum(np.abs(f.derivative(Z + E) - at), np.abs(f.derivative(Z - E) - at))
            sensitivity.append(_capped(moved + 4 * U * np.abs(at) + f.derivative_rounding * U))
        c, A, E = COSTS[net.cost], o.As[-1], errors_a[-1]
        at = c.gradient(A, net.Y)
        # A perturbation that leaves the cost's domain gives inf or NaN: capped, the
        # entry cannot be judged (it is within rounding of the domain's edge).
        moved = np.maximum(np.abs(c.gradient(A + E, net.Y) - at),
                           np.abs(c.gradient(A - E, net.Y) - at))
        cost_error = _capped(moved / N + 4 * U * np.abs(_abs_gradient(net, o)))
        deltas: list[Float64Array] = [np.empty(0)] * k
        deltas[k - 1] = _capped(sensitivity[k - 1] * np.abs(o.grad_a)
                                + np.abs(o.dfzs[k - 1]) * cost_error)
        for l in range(k - 1, 0, -1):
            W = net.weights[l]
            deltas[l - 1] = _capped(sensitivity[l - 1] * np.abs(W.T @ o.deltas[l])
                                    + np.abs(o.dfzs[l - 1]) * (np.abs(W).T @ deltas[l]))
        dWs = [_capped(deltas[l] @ np.abs(o.As[l]).T + np.abs(o.deltas[l]) @ errors_a[l].T)
               for l in range(k)]
        dbs = [_capped(deltas[l].sum(axis=1)) for l in range(k)]
    return Propagated(deltas, dWs, dbs)


def _scales(net: Network, o: oracle.NetworkGradients) -> Scales:
    """:func:`~proofcheck.properties.chain_scales` of the deltas, and of the gradients,
    raised entry by entry to what the forward passes' rounding explains (:func:`_propagated`).
    """
    k = net.depth
    # delta^k is an entrywise product: each entry's terms are its own f' times the terms
    # of its own cost gradient (a maximum over mixed entries would pair the f' of one
    # unit with the 1 / (1 - a) of another, saturated one).
    terms = [float(np.max(np.abs(o.dfzs[k - 1]) * _abs_gradient(net, o), initial=0.0))]
    terms += [term_scale(o.dfzs[l - 1], net.weights[l], o.deltas[l]) for l in range(k - 1, 0, -1)]
    values = [o.deltas[l - 1] for l in range(k, 0, -1)]
    down = chain_scales(terms, values)[::-1]  # index l - 1
    ratios = [s / max(float(np.max(np.abs(o.deltas[l]), initial=0.0)), 1e-300)
              for l, s in enumerate(down)]
    dWs = [max(1.0, r) * term_scale(o.deltas[l], o.As[l]) for l, r in enumerate(ratios)]
    dbs = [max(1.0, r) * term_scale(o.deltas[l]) for l, r in enumerate(ratios)]
    p, unit = _propagated(net, o), PROPAGATED_MARGIN / TOLERANCES["gradient"].atol
    return Scales([np.maximum(s, e * unit) for s, e in zip(down, p.deltas, strict=True)],
                  [np.maximum(s, e * unit) for s, e in zip(dWs, p.dWs, strict=True)],
                  [np.maximum(s, e * unit) for s, e in zip(dbs, p.dbs, strict=True)])


def _protocol_deltas(s: Subject, net: Network, hand: HandSide) -> list[Float64Array]:
    """The implementation's own recursion: T1.base, then T1.step down to layer 1."""
    k, N = net.depth, net.batch_size
    deltas: list[Float64Array] = [np.empty(0)] * k
    deltas[k - 1] = s.array("output_delta", {"dfz": hand.dfzs[k - 1], "grad_a": hand.grad_a},
                            (net.widths[k], N), "(n_k, N)")
    for l in range(k - 1, 0, -1):
        deltas[l - 1] = s.array(
            "backward_delta",
            {"W_next": net.weights[l], "delta_next": deltas[l], "dfz": hand.dfzs[l - 1]},
            (net.widths[l], N), "(n_l, N)")
    return deltas


# --- T1.base --------------------------------------------------------------------


def check_T1_base_isolated(s: Subject, net: Network) -> list[Check]:
    """T1.base, isolated: ``output_delta(f^k'(z^k), grad_a c)`` fed the oracle's values."""
    o, k = _oracle(net), net.depth
    inputs = {"dfz": o.dfzs[k - 1], "grad_a": o.grad_a}
    actual = s.array("output_delta", inputs, o.deltas[k - 1].shape, "(n_k, N)")
    return [check(f"delta^{k}", actual, o.deltas[k - 1], function="output_delta", layer=k,
                  inputs=inputs, scale=_isolated_scales(net, k, o.dfzs[k - 1],
                                                         np.abs(o.grad_a)))]


def check_T1_base_end_to_end(s: Subject, net: Network) -> list[Check]:
    """T1.base, end-to-end: ``output_delta`` of the hand-derived ``f'`` and ``grad_a c``."""
    hand, o, k = _hand_side(net), _oracle(net), net.depth
    inputs = {"dfz": hand.dfzs[k - 1], "grad_a": hand.grad_a}
    actual = s.array("output_delta", inputs, o.deltas[k - 1].shape, "(n_k, N)")
    return [check(f"delta^{k}", actual, o.deltas[k - 1], function="output_delta", layer=k,
                  inputs=inputs, scale=_scales(net, o).deltas[k - 1])]


_SIZES = "parameters and data scaled by 1e-3..1e3"
_NET = f"a network (depth 1..6, widths 1..8, an activation per layer, a cost; {_SIZES}) " \
       "and one example"
_DEEP = f"a network of depth 2..6 (widths 1..8, an activation per layer, a cost; {_SIZES}) " \
        "and one example"
_BATCH = f"a network (depth 1..6, widths 1..8, an activation per layer, a cost; {_SIZES}) " \
         "and a batch of N = 1..5 examples"

register(Property(
    "T1.base", "isolated", ("output_delta",), generates=_NET,
    compares="output_delta(oracle f^k'(z^k), oracle grad_a c) with the oracle's delta^k",
    strategy=_single(), check=check_T1_base_isolated))
register(Property(
    "T1.base", "end-to-end", ("output_delta",), generates=_NET,
    compares="output_delta(hand-derived f^k'(z^k), hand-derived grad_a c) with the oracle's "
             "delta^k",
    strategy=_single(), check=check_T1_base_end_to_end))


# --- T1.step --------------------------------------------------------------------


def _step_scale(net: Network, l: int, o: oracle.NetworkGradients) -> Float64Array:
    """Entrywise scale of the oracle-fed step: ``f^l'`` (as it counts) times the terms of
    ``(W^{l+1})^T Delta^{l+1}``."""
    return _isolated_scales(net, l, o.dfzs[l - 1], term_scale(net.weights[l], o.deltas[l]))


def check_T1_step_isolated(s: Subject, net: Network) -> list[Check]:
    """T1.step, isolated: ``backward_delta(W^{l+1}, delta^{l+1}, f^l'(z^l))`` fed the oracle's
    ``delta^{l+1}`` (the induction hypothesis) and ``f^l'``, for every ``l = k-1, ..., 1``."""
    o, checks = _oracle(net), []
    for l in range(net.depth - 1, 0, -1):
        inputs = {"W_next": net.weights[l], "delta_next": o.deltas[l], "dfz": o.dfzs[l - 1]}
        actual = s.array("backward_delta", inputs, o.deltas[l - 1].shape, "(n_l, N)")
        checks.append(check(f"delta^{l}", actual, o.deltas[l - 1], function="backward_delta",
                            layer=l, inputs=inputs, scale=_step_scale(net, l, o)))
    return checks


def check_T1_step_end_to_end(s: Subject, net: Network) -> list[Check]:
    """T1.step, end-to-end: the implementation's recursion from its own ``delta^k``."""
    hand, o = _hand_side(net), _oracle(net)
    deltas, scales = _protocol_deltas(s, net, hand), _scales(net, o)
    return [check(f"delta^{l}", deltas[l - 1], o.deltas[l - 1], function="backward_delta",
                  layer=l, inputs={"W_next": net.weights[l], "delta_next": deltas[l],
                                   "dfz": hand.dfzs[l - 1]}, scale=scales.deltas[l - 1])
            for l in range(net.depth - 1, 0, -1)]


register(Property(
    "T1.step", "isolated", ("backward_delta",), generates=_DEEP,
    compares="backward_delta(W^{l+1}, oracle delta^{l+1}, oracle f^l'(z^l)) with the oracle's "
             "delta^l, for every l < k",
    strategy=_single(min_depth=2), check=check_T1_step_isolated))
register(Property(
    "T1.step", "end-to-end", ("output_delta", "backward_delta"), generates=_DEEP,
    compares="every delta^l of the implementation's own recursion with the oracle's",
    strategy=_single(min_depth=2), check=check_T1_step_end_to_end))


# --- T1.W and T1.b ----------------------------------------------------------------


def check_T1_W_isolated(s: Subject, net: Network) -> list[Check]:
    """T1.W, isolated: ``weight_grad(delta^l, a^{l-1})`` fed the oracle's delta and activation."""
    o, checks = _oracle(net), []
    for l in range(net.depth, 0, -1):
        inputs = {"delta": o.deltas[l - 1], "a_prev": o.As[l - 1]}
        actual = s.array("weight_grad", inputs, o.dWs[l - 1].shape, "(n_l, n_{l-1})")
        checks.append(check(f"dc/dW^{l}", actual, o.dWs[l - 1], function="weight_grad",
                            layer=l, inputs=inputs))
    return checks


def check_T1_W_end_to_end(s: Subject, net: Network) -> list[Check]:
    """T1.W, end-to-end: ``weight_grad`` of the implementation's own deltas."""
    hand, o = _hand_side(net), _oracle(net)
    deltas, checks, scales = _protocol_deltas(s, net, hand), [], _scales(net, o)
    for l in range(net.depth, 0, -1):
        inputs = {"delta": deltas[l - 1], "a_prev": hand.As[l - 1]}
        actual = s.array("weight_grad", inputs, o.dWs[l - 1].shape, "(n_l, n_{l-1})")
        checks.append(check(f"dc/dW^{l}", actual, o.dWs[l - 1], function="weight_grad",
                            layer=l, inputs=inputs, scale=scales.dWs[l - 1]))
    return checks


def check_T1_b_isolated(s: Subject, net: Network) -> list[Check]:
    """T1.b, isolated: ``bias_grad(delta^l)`` fed the oracle's delta."""
    o, checks = _oracle(net), []
    for l in range(net.depth, 0, -1):
        inputs = {"delta": o.deltas[l - 1]}
        actual = s.array("bias_grad", inputs, o.dbs[l - 1].shape, "(n_l,)")
        checks.append(check(f"dc/db^{l}", actual, o.dbs[l - 1], function="bias_grad", layer=l,
                            inputs=inputs))
    return checks


def check_T1_b_end_to_end(s: Subject, net: Network) -> list[Check]:
    """T1.b, end-to-end: ``bias_grad`` of the implementation's own deltas."""
    hand, o = _hand_side(net), _oracle(net)
    deltas, checks, scales = _protocol_deltas(s, net, hand), [], _scales(net, o)
    for l in range(net.depth, 0, -1):
        inputs = {"delta": deltas[l - 1]}
        actual = s.array("bias_grad", inputs, o.dbs[l - 1].shape, "(n_l,)")
        checks.append(check(f"dc/db^{l}", actual, o.dbs[l - 1], function="bias_grad", layer=l,
                            inputs=inputs, scale=scales.dbs[l - 1]))
    return checks


register(Property(
    "T1.W", "isolated", ("weight_grad",), generates=_NET,
    compares="weight_grad(oracle delta^l, oracle a^{l-1}) with the oracle's dc/dW^l, every l",
    strategy=_single(), check=check_T1_W_isolated))
register(Property(
    "T1.W", "end-to-end", ("output_delta", "backward_delta", "weight_grad"), generates=_NET,
    compares="weight_grad of the implementation's own deltas with the oracle's dc/dW^l",
    strategy=_single(), check=check_T1_W_end_to_end))
register(Property(
    "T1.b", "isolated", ("bias_grad",), generates=_NET,
    compares="bias_grad(oracle delta^l) with the oracle's dc/db^l, every l",
    strategy=_single(), check=check_T1_b_isolated))
register(Property(
    "T1.b", "end-to-end", ("output_delta", "backward_delta", "bias_grad"), generates=_NET,
    compares="bias_grad of the implementation's own deltas with the oracle's dc/db^l",
    strategy=_single(), check=check_T1_b_end_to_end))


# --- T1.grad ----------------------------------------------------------------------


def _gradient_checks(dWs: list[Float64Array], dbs: list[Float64Array],
                     o_dWs: list[Float64Array], o_dbs: list[Float64Array],
                     net: Network, scales: Scales, first_layer: int = 1,
                     what: str = "") -> list[Check]:
    checks = []
    offset = first_layer - 1
    for i in range(len(dWs) - 1, -1, -1):
        l = i + first_layer
        inputs = {"X": net.X, "Y": net.Y}
        checks.append(check(f"dC/dW^{l}{what}", dWs[i], o_dWs[i], function="gradients",
                            layer=l, inputs=inputs, scale=scales.dWs[i + offset]))
        checks.append(check(f"dC/db^{l}{what}", dbs[i], o_dbs[i], function="gradients",
                            layer=l, inputs=inputs, scale=scales.dbs[i + offset]))
    return checks


def check_T1_grad(s: Subject, net: Network) -> list[Check]:
    """T1.grad: ``gradients`` equals the oracle's full gradient, every layer, one example."""
    _hand_side(net)  # discards examples within rounding of a kink
    o = _oracle(net)
    dWs, dbs = s.gradients(net.weights, net.biases, net.activations, net.cost, net.X, net.Y)
    return _gradient_checks(dWs, dbs, o.dWs, o.dbs, net, _scales(net, o))


register(Property(
    "T1.grad", "end-to-end", ("gradients",), generates=_NET,
    compares="gradients(...) with the oracle's dc/dW^l and dc/db^l for every layer",
    strategy=_single(), check=check_T1_grad))


# --- T1.tail ----------------------------------------------------------------------


def _tail(net: Network, X: Float64Array) -> Network:
    return Network(net.weights[1:], net.biases[1:], net.activations[1:], net.cost, X, net.Y)


def check_T1_tail_isolated(s: Subject, net: Network) -> list[Check]:
    """T1.tail, isolated: ``gradients`` of the tail network fed the oracle's ``a^1`` equals
    the oracle's gradients of layers 2..k of the whole network."""
    o = _oracle(net)
    tail = _tail(net, o.As[1])
    dWs, dbs = s.gradients(tail.weights, tail.biases, tail.activations, tail.cost, tail.X,
                           tail.Y)
    return _gradient_checks(dWs, dbs, o.dWs[1:], o.dbs[1:], tail, _scales(net, o),
                            first_layer=2)


def check_T1_tail_end_to_end(s: Subject, net: Network) -> list[Check]:
    """T1.tail, end-to-end: the implementation's gradients of layers 2..k equal its gradients
    of the tail network fed its own ``a^1``."""
    hand, o = _hand_side(net), _oracle(net)
    dWs, dbs = s.gradients(net.weights, net.biases, net.activations, net.cost, net.X, net.Y)
    tail = _tail(net, hand.As[1])
    tWs, tbs = s.gradients(tail.weights, tail.biases, tail.activations, tail.cost, tail.X,
                           tail.Y)
    return _gradient_checks(tWs, tbs, dWs[1:], dbs[1:], tail, _scales(net, o), first_layer=2,
                            what=" (tail)")


register(Property(
    "T1.tail", "isolated", ("gradients",), generates=_DEEP,
    compares="gradients of the depth k-1 tail network fed the oracle's a^1 with the oracle's "
             "gradients of layers 2..k of the whole network",
    strategy=_single(min_depth=2), check=check_T1_tail_isolated))
register(Property(
    "T1.tail", "end-to-end", ("gradients",), generates=_DEEP,
    compares="the implementation's gradients of the tail network fed its own a^1 with its "
             "gradients of layers 2..k of the whole network",
    strategy=_single(min_depth=2), check=check_T1_tail_end_to_end))


# --- T2 ---------------------------------------------------------------------------

_STEP_FUNCTIONS = ("output_delta", "backward_delta", "weight_grad", "bias_grad")


def check_T2_isolated(s: Subject, net: Network) -> list[Check]:
    """T2, isolated: every step function provided, in data-matrix form, fed the oracle's
    ``Delta``s."""
    o, k, checks = _oracle(net), net.depth, []
    inputs = {"dfz": o.dfzs[k - 1], "grad_a": o.grad_a}
    if s.provides("output_delta"):
        checks.append(check(f"Delta^{k}", s.array("output_delta", inputs,
                                                   o.deltas[k - 1].shape, "(n_k, N)"),
                            o.deltas[k - 1], function="output_delta", layer=k, inputs=inputs,
                            scale=_isolated_scales(net, k, o.dfzs[k - 1], np.abs(o.grad_a))))
    for l in range(k, 0, -1):
        if l < k and s.provides("backward_delta"):
            inputs = {"W_next": net.weights[l], "delta_next": o.deltas[l], "dfz": o.dfzs[l - 1]}
            actual = s.array("backward_delta", inputs, o.deltas[l - 1].shape, "(n_l, N)")
            checks.append(check(f"Delta^{l}", actual, o.deltas[l - 1],
                                function="backward_delta", layer=l, inputs=inputs,
                                scale=_step_scale(net, l, o)))
        if s.provides("weight_grad"):
            inputs = {"delta": o.deltas[l - 1], "a_prev": o.As[l - 1]}
            actual = s.array("weight_grad", inputs, o.dWs[l - 1].shape, "(n_l, n_{l-1})")
            checks.append(check(f"dC/dW^{l}", actual, o.dWs[l - 1], function="weight_grad",
                                layer=l, inputs=inputs))
        if s.provides("bias_grad"):
            inputs = {"delta": o.deltas[l - 1]}
            actual = s.array("bias_grad", inputs, o.dbs[l - 1].shape, "(n_l,)")
            checks.append(check(f"dC/db^{l}", actual, o.dbs[l - 1], function="bias_grad",
                                layer=l, inputs=inputs))
    return checks


def check_T2_end_to_end(s: Subject, net: Network) -> list[Check]:
    """T2, end-to-end: ``gradients`` of the batch equals the oracle's, and equals the mean of
    the implementation's per-example gradients."""
    _hand_side(net)
    o = _oracle(net)
    dWs, dbs = s.gradients(net.weights, net.biases, net.activations, net.cost, net.X, net.Y)
    scales = _scales(net, o)
    checks = _gradient_checks(dWs, dbs, o.dWs, o.dbs, net, scales)
    N = net.batch_size
    mean_W = [np.zeros_like(W) for W in net.weights]
    mean_b = [np.zeros_like(b) for b in net.biases]
    for i in range(N):
        eW, eb = s.gradients(net.weights, net.biases, net.activations, net.cost,
                             net.X[:, i:i + 1], net.Y[:, i:i + 1])
        for l in range(net.depth):
            mean_W[l] += eW[l] / N
            mean_b[l] += eb[l] / N
    checks += _gradient_checks(mean_W, mean_b, o.dWs, o.dbs, net, scales,
                               what=" (mean of examples)")
    return checks


register(Property(
    "T2", "isolated", (), needs_any=_STEP_FUNCTIONS, generates=_BATCH,
    compares="each of output_delta, backward_delta, weight_grad and bias_grad that is "
             "provided, on data matrices, fed the oracle's Delta^{l+1}, f'(Z^l) and A^{l-1}, "
             "with the oracle's Delta^l, dC/dW^l and dC/db^l",
    strategy=_batch, check=check_T2_isolated))
register(Property(
    "T2", "end-to-end", ("gradients",), generates=_BATCH,
    compares="gradients of the batch, and the mean of the per-example gradients, with the "
             "oracle's gradient of the mean cost C",
    strategy=_batch, check=check_T2_end_to_end))
