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

from proofcheck._types import Float64Array
from proofcheck.activations import ACTIVATIONS
from proofcheck.costs import COSTS
from proofcheck.network import Network, forward_numpy
from proofcheck.numerics import error_model, forward_precision
from proofcheck.numerics.error_model import judged_scale, product_terms, step_scale
from proofcheck.numerics.tolerances import compare_within
from proofcheck.oracle import network as oracle
from proofcheck.properties._framework import (
    Check,
    Context,
    NotJudged,
    Property,
    Subject,
    WrongResult,
    check,
    register,
)
from proofcheck.strategies import networks

__all__: list[str] = []


def _single(min_depth: int = 1) -> Callable[[Context], st.SearchStrategy[Network]]:
    def strategy(ctx: Context) -> st.SearchStrategy[Network]:
        return networks(min_depth=min_depth, max_batch=1, activations=ctx.activations,
                        costs=ctx.costs)

    return strategy


def _batch(ctx: Context) -> st.SearchStrategy[Network]:
    return networks(activations=ctx.activations, costs=ctx.costs)


def _saturated(ctx: Context) -> list[Network]:
    """The explicit example of the end-to-end gradient rows: one sigmoid unit saturated
    under binary cross-entropy, ``z = -40`` with target 1, so ``a = 4.2e-18`` and
    ``dC/db = a - 1``. Inside the statement, and where a gradient that clips the
    probabilities (at ``1e-15``, a common guard) is wrong by 100 per cent; the
    strategy reaches such outputs in a few per cent of its networks only.
    (``-(2**5 + 8)``: Hypothesis mines float literals from this package into its
    draws, and a new one would change every derandomized example.)"""
    usable = ((ctx.activations is None or "sigmoid" in ctx.activations)
              and (ctx.costs is None or "binary_cross_entropy" in ctx.costs))
    if not usable:
        return []
    z = float(-(2**5 + 8))
    return [Network.paper([np.zeros((1, 1))], [np.full(1, z)], ("sigmoid",),
                          "binary_cross_entropy", np.zeros((1, 1)), np.ones((1, 1)))]


def _every_activation(ctx: Context) -> list[Network]:
    """The other explicit examples of the end-to-end gradient rows: for each activation the
    implementation supports, the smallest network of it (one layer, one unit, one example)
    at ``z = -0.12``, away from its kink and its saturation (on the negative side, where
    ``elu`` is not linear), under squared error, or cross-entropy if that is all the
    implementation supports. Every run then checks every output ``f'`` at such a point
    whatever the stream draws: under ``ci`` the strategy's simplest networks are mostly
    identity layers, and a run once drew a ``tanh`` in 3 of 61 networks, all saturated,
    and missed ``f' = 1 - z^2``. Explicit examples are not shrunk, hence the smallest
    network. (Fractions of small integers, for the literals' reason given in
    :func:`_saturated`.)"""
    names = [n for n in ACTIVATIONS if ctx.activations is None or n in ctx.activations]
    costs = ctx.costs if ctx.costs is not None else frozenset(COSTS)
    if "squared_error" in costs:
        cost = "squared_error"
    elif "binary_cross_entropy" in costs:
        cost, names = "binary_cross_entropy", [n for n in names if n == "sigmoid"]
    else:
        return []
    return [Network.paper([np.ones((1, 1)) / 3], [np.full(1, -2 / 7)], (name,), cost,
                          np.ones((1, 1)) / 2, np.ones((1, 1)) / 3) for name in names]


def _explicit(ctx: Context) -> list[Network]:
    return _saturated(ctx) + _every_activation(ctx)


def _oracle(net: Network) -> oracle.NetworkGradients:
    return oracle.network_gradients(net)


class HandSide(NamedTuple):
    """numpy's forward pass and the package's hand-derived f' and dC/dA^k."""

    Zs: list[Float64Array]
    As: list[Float64Array]
    dfzs: list[Float64Array]
    grad_a: Float64Array


def _hand_side(net: Network) -> HandSide:
    """numpy's side; discards an example with a potential within rounding of a kink."""
    Zs, As = forward_numpy(net.weights, net.biases, net.activation_names, net.X)
    assume(not error_model.near_kink(net, Zs, As))
    dfzs = [ACTIVATIONS[name].derivative(Z)
            for name, Z in zip(net.activation_names, Zs, strict=True)]
    grad_a = COSTS[net.cost].gradient(As[-1], net.Y) / net.batch_size
    return HandSide(Zs, As, dfzs, grad_a)


def _at_kinks(net: Network, hand: HandSide,
              compare_with: Callable[[oracle.NetworkGradients], list[Check]]) -> list[Check]:
    """Compare an implementation's own gradients with the oracle, under the kink convention
    each layer uses where its units are exactly at a kink
    (see :mod:`proofcheck.numerics.error_model`).

    Without such units, one comparison. With them, the conventions are chosen from the
    output layer down: layer ``l``'s is one under which the checks of layers ``l..k`` hold
    (they do not depend on the layers below). A layer where both one-sided derivatives
    hold keeps the left derivative, unnamed; else the accepted conventions are tried in
    order, the next if the layers below fail. The oracle runs once per distinct choice.
    The checks found carry the conventions' names; if a layer has none that holds, the
    checks with the left derivative there say that none matched in that layer.
    """
    layers = error_model.kink_layers(net, hand.Zs)
    if not layers:
        return compare_with(_oracle(net))
    names = {l: net.activation_names[l - 1] for l in layers}
    accepted = {l: error_model.layer_conventions(names[l]) for l in layers}
    outcome = _kink_outcomes(net, layers, accepted, compare_with)
    failures: list[list[Check]] = []

    def search(i: int, chosen: error_model.LayerConventions) -> list[Check] | None:
        if i == len(layers):
            checks = outcome(chosen)
            if _hold_from(checks, 1):
                return _named(checks, chosen)
            failures.append(_named(checks, chosen))
            return None
        l = layers[i]

        def holds(kind: str) -> bool:
            return _hold_from(outcome(chosen.with_layer(l, names[l], kind)), l)

        # Both one-sided derivatives hold: so does every value between them (the
        # gradients are affine in f'(kink)), and the kink of layer l changes nothing.
        if holds("left") and holds("right"):
            return search(i + 1, chosen)
        held = False
        for kind, _ in accepted[l]:  # evaluated only as far as needed
            if holds(kind):
                held = True
                found = search(i + 1, chosen.with_layer(l, names[l], kind))
                if found is not None:
                    return found
        if not held:
            label = error_model.describe_convention(None, [names[l]], layer=l)
            failures.append([x._replace(kink_convention=label) for x in outcome(chosen)])
        return None

    found = search(0, error_model.LayerConventions({}, {}))
    return found if found is not None else failures[0]


def _kink_outcomes(net: Network, layers: list[int],
                   accepted: dict[int, list[tuple[str, float]]],
                   compare_with: Callable[[oracle.NetworkGradients], list[Check]]
                   ) -> Callable[[error_model.LayerConventions], list[Check]]:
    """The checks under a choice of conventions (a layer not chosen takes its first accepted
    one), computed once per distinct choice of values."""
    seen: dict[tuple[float, ...], list[Check]] = {}

    def outcome(chosen: error_model.LayerConventions) -> list[Check]:
        values = tuple(chosen.derivative(l) if l in chosen.kinds else accepted[l][0][1]
                       for l in layers)
        if values not in seen:
            per_layer: list[float | None] = [None] * net.depth
            for l, value in zip(layers, values, strict=True):
                per_layer[l - 1] = value
            seen[values] = compare_with(
                oracle.network_gradients(net, layer_kink_derivatives=per_layer))
        return seen[values]

    return outcome


def _hold_from(checks: list[Check], l: int) -> bool:
    """Whether every check of the layers ``l..k`` holds."""
    return all(x.comparison.holds for x in checks if x.layer is None or x.layer >= l)


def _named(checks: list[Check], chosen: error_model.LayerConventions) -> list[Check]:
    if not chosen.kinds:
        return checks
    label = error_model.describe_layer_conventions(chosen)
    return [x._replace(kink_convention=label) for x in checks]


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


def _base_scale(net: Network, o: oracle.NetworkGradients) -> Float64Array:
    """Scale of the oracle-fed base case ``f^k'(Z^k) * dC/dA^k``."""
    k = net.depth
    return step_scale(net.activation_names[k - 1], o.Zs[k - 1], o.derivatives[k - 1],
                      np.abs(o.grad_a))


def _step_scale(net: Network, l: int, o: oracle.NetworkGradients) -> Float64Array:
    """Scale of the oracle-fed step ``f^l'(Z^l) * (W^{l+1})^T Delta^{l+1}``."""
    return step_scale(net.activation_names[l - 1], o.Zs[l - 1], o.derivatives[l - 1],
                      product_terms(net.weights[l].T, o.deltas[l]))


def _weight_scale(delta: Float64Array, a_prev: Float64Array) -> Float64Array:
    return judged_scale(product_terms(delta, a_prev.T))


def _bias_scale(delta: Float64Array) -> Float64Array:
    return judged_scale(product_terms(delta, np.ones(delta.shape[1])))


# --- T1.base --------------------------------------------------------------------


def check_T1_base_isolated(s: Subject, net: Network) -> list[Check]:
    """T1.base, isolated: ``output_delta(f^k'(z^k), grad_a c)`` fed the oracle's values."""
    o, k = _oracle(net), net.depth
    inputs = {"dfz": o.derivatives[k - 1], "grad_a": o.grad_a}
    actual = s.array("output_delta", inputs, o.deltas[k - 1].shape, "(n_k, N)")
    return [check(f"delta^{k}", actual, o.deltas[k - 1], function="output_delta", layer=k,
                  inputs=inputs, scale=_base_scale(net, o))]


def check_T1_base_end_to_end(s: Subject, net: Network) -> list[Check]:
    """T1.base, end-to-end: ``output_delta`` of the hand-derived ``f'`` and ``grad_a c``."""
    hand, o, k = _hand_side(net), _oracle(net), net.depth
    inputs = {"dfz": hand.dfzs[k - 1], "grad_a": hand.grad_a}
    actual = s.array("output_delta", inputs, o.deltas[k - 1].shape, "(n_k, N)")
    return [check(f"delta^{k}", actual, o.deltas[k - 1], function="output_delta", layer=k,
                  inputs=inputs, scale=error_model.network_scales(net, o).deltas[k - 1])]


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


def check_T1_step_isolated(s: Subject, net: Network) -> list[Check]:
    """T1.step, isolated: ``backward_delta(W^{l+1}, delta^{l+1}, f^l'(z^l))`` fed the oracle's
    ``delta^{l+1}`` (the induction hypothesis) and ``f^l'``, for every ``l = k-1, ..., 1``."""
    o, checks = _oracle(net), []
    for l in range(net.depth - 1, 0, -1):
        inputs = {"W_next": net.weights[l], "delta_next": o.deltas[l], "dfz": o.derivatives[l - 1]}
        actual = s.array("backward_delta", inputs, o.deltas[l - 1].shape, "(n_l, N)")
        checks.append(check(f"delta^{l}", actual, o.deltas[l - 1], function="backward_delta",
                            layer=l, inputs=inputs, scale=_step_scale(net, l, o)))
    return checks


def check_T1_step_end_to_end(s: Subject, net: Network) -> list[Check]:
    """T1.step, end-to-end: the implementation's recursion from its own ``delta^k``."""
    hand, o = _hand_side(net), _oracle(net)
    deltas, scales = _protocol_deltas(s, net, hand), error_model.network_scales(net, o)
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
                            layer=l, inputs=inputs, scale=_weight_scale(*inputs.values())))
    return checks


def check_T1_W_end_to_end(s: Subject, net: Network) -> list[Check]:
    """T1.W, end-to-end: ``weight_grad`` of the implementation's own deltas."""
    hand, o = _hand_side(net), _oracle(net)
    deltas, checks, scales = _protocol_deltas(s, net, hand), [], error_model.network_scales(net, o)
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
                            inputs=inputs, scale=_bias_scale(o.deltas[l - 1])))
    return checks


def check_T1_b_end_to_end(s: Subject, net: Network) -> list[Check]:
    """T1.b, end-to-end: ``bias_grad`` of the implementation's own deltas."""
    hand, o = _hand_side(net), _oracle(net)
    deltas, checks, scales = _protocol_deltas(s, net, hand), [], error_model.network_scales(net, o)
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
                     net: Network, scales: error_model.NetworkScales,
                     whole: tuple[Network, oracle.NetworkGradients], first_layer: int = 1,
                     what: str = "") -> list[Check]:
    """The checks of a row that calls ``gradients``: ``net`` is the network it was called
    on, ``whole`` the network the oracle ``o`` differentiated (the same, or the one whose
    tail ``net`` is), for the forward pass's second look (:func:`_forward_look`)."""
    checks = []
    offset = first_layer - 1
    for i in range(len(dWs) - 1, -1, -1):
        l = i + first_layer
        inputs = {"X": net.X, "Y": net.Y}
        checks.append(check(f"dC/dW^{l}{what}", dWs[i], o_dWs[i], function="gradients",
                            layer=l, inputs=inputs, scale=scales.dWs[i + offset]))
        checks.append(check(f"dC/db^{l}{what}", dbs[i], o_dbs[i], function="gradients",
                            layer=l, inputs=inputs, scale=scales.dbs[i + offset]))
    return _forward_look(checks, *whole, scales, offset)


def _forward_look(checks: list[Check], net: Network, o: oracle.NetworkGradients,
                  scales: error_model.NetworkScales, offset: int) -> list[Check]:
    """A second look at the failing checks of a row that ran the implementation's own
    forward pass: each holds if its value (and the value it was compared with) lies, to
    the same bound, in the range the gradient takes over forward passes within the
    allowance of :mod:`proofcheck.numerics.forward_precision`; it then carries a note naming the
    layers whose allowance explains it. Nothing is computed unless a check fails."""
    failing = [i for i, c in enumerate(checks) if not c.comparison.holds]
    if not failing or not any(forward_precision.FORWARD_ACCURACY.get(name, 1.0) > 0
                              for name in net.activation_names):
        return checks

    def within(c: Check, ranges: forward_precision.NetworkRanges) -> Check | None:
        assert c.layer is not None
        i = c.layer - 1
        weight = c.quantity.startswith("dC/dW")
        box = (ranges.dWs if weight else ranges.dbs)[i]
        scale = (scales.dWs if weight else scales.dbs)[i]
        judged = [compare_within(side, box.low, box.high, c.expected, scale=scale)
                  for side in (c.actual, c.expected)]
        if not all(x.holds for x in judged):
            return None
        return c._replace(comparison=max(judged, key=lambda x: x.ratio))

    ranges = forward_precision.network_ranges(net, o)
    explained = {i: within(checks[i], ranges) for i in failing}
    accepted = [i for i, c in explained.items() if c is not None]
    if not accepted:
        return checks
    layers = forward_precision.explaining_layers(
        lambda r: all(within(checks[i], r) is not None for i in accepted), net, o)
    note = forward_precision.forward_note(net, o, layers)
    result = list(checks)
    for i in accepted:
        replaced = explained[i]
        assert replaced is not None
        result[i] = replaced._replace(note=note)
    return result


def _own_gradients(s: Subject, net: Network, whole: Network,
                   o: Callable[[], oracle.NetworkGradients]
                   ) -> tuple[list[Float64Array], list[Float64Array]]:
    """``s.gradients(net)``; a NaN or infinity in them where a forward formula within the
    allowance may leave the cost's domain (:func:`forward_precision.leaves_domain`) is
    not judged: :class:`NotJudged`, with the report's note."""
    try:
        return s.gradients(net)
    except WrongResult as exc:
        if exc.nonfinite and forward_precision.leaves_domain(whole, o()):
            raise NotJudged(forward_precision.outside_note(whole, o())) from None
        raise


def check_T1_grad(s: Subject, net: Network) -> list[Check]:
    """T1.grad: ``gradients`` equals the oracle's full gradient, every layer, one example."""
    hand = _hand_side(net)
    dWs, dbs = _own_gradients(s, net, net, lambda: _oracle(net))
    return _at_kinks(net, hand, lambda o: _gradient_checks(
        dWs, dbs, o.dWs, o.dbs, net, error_model.network_scales(net, o), (net, o)))


register(Property(
    "T1.grad", "end-to-end", ("gradients",), generates=_NET,
    compares="gradients(...) with the oracle's dc/dW^l and dc/db^l for every layer",
    strategy=_single(), check=check_T1_grad, examples=_explicit))


# --- T1.tail ----------------------------------------------------------------------


def check_T1_tail_isolated(s: Subject, net: Network) -> list[Check]:
    """T1.tail, isolated: ``gradients`` of the tail network fed the oracle's ``a^1`` equals
    the oracle's gradients of layers 2..k of the whole network."""
    hand = _hand_side(net)
    tail = net.tail(_oracle(net).As[1])
    dWs, dbs = _own_gradients(s, tail, net, lambda: _oracle(net))
    return _at_kinks(net, hand, lambda o: _gradient_checks(
        dWs, dbs, o.dWs[1:], o.dbs[1:], tail, error_model.network_scales(net, o), (net, o),
        first_layer=2))


def check_T1_tail_end_to_end(s: Subject, net: Network) -> list[Check]:
    """T1.tail, end-to-end: the implementation's gradients of layers 2..k equal its gradients
    of the tail network fed its own ``a^1``."""
    hand, o = _hand_side(net), _oracle(net)
    dWs, dbs = _own_gradients(s, net, net, lambda: o)
    tail = net.tail(hand.As[1])
    tWs, tbs = _own_gradients(s, tail, net, lambda: o)
    return _gradient_checks(tWs, tbs, dWs[1:], dbs[1:], tail, error_model.network_scales(net, o),
                            (net, o), first_layer=2, what=" (tail)")


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
    inputs = {"dfz": o.derivatives[k - 1], "grad_a": o.grad_a}
    if s.provides("output_delta"):
        checks.append(check(f"Delta^{k}", s.array("output_delta", inputs,
                                                   o.deltas[k - 1].shape, "(n_k, N)"),
                            o.deltas[k - 1], function="output_delta", layer=k, inputs=inputs,
                            scale=_base_scale(net, o)))
    for l in range(k, 0, -1):
        if l < k and s.provides("backward_delta"):
            inputs = {"W_next": net.weights[l], "delta_next": o.deltas[l],
                      "dfz": o.derivatives[l - 1]}
            actual = s.array("backward_delta", inputs, o.deltas[l - 1].shape, "(n_l, N)")
            checks.append(check(f"Delta^{l}", actual, o.deltas[l - 1],
                                function="backward_delta", layer=l, inputs=inputs,
                                scale=_step_scale(net, l, o)))
        if s.provides("weight_grad"):
            inputs = {"delta": o.deltas[l - 1], "a_prev": o.As[l - 1]}
            actual = s.array("weight_grad", inputs, o.dWs[l - 1].shape, "(n_l, n_{l-1})")
            checks.append(check(f"dC/dW^{l}", actual, o.dWs[l - 1], function="weight_grad",
                                layer=l, inputs=inputs, scale=_weight_scale(*inputs.values())))
        if s.provides("bias_grad"):
            inputs = {"delta": o.deltas[l - 1]}
            actual = s.array("bias_grad", inputs, o.dbs[l - 1].shape, "(n_l,)")
            checks.append(check(f"dC/db^{l}", actual, o.dbs[l - 1], function="bias_grad",
                                layer=l, inputs=inputs, scale=_bias_scale(o.deltas[l - 1])))
    return checks


def check_T2_end_to_end(s: Subject, net: Network) -> list[Check]:
    """T2, end-to-end: ``gradients`` of the batch equals the oracle's, and equals the mean of
    the implementation's per-example gradients."""
    hand = _hand_side(net)
    dWs, dbs = _own_gradients(s, net, net, lambda: _oracle(net))
    N = net.batch_size
    mean_W = [np.zeros_like(W) for W in net.weights]
    mean_b = [np.zeros_like(b) for b in net.biases]
    for i in range(N):
        eW, eb = _own_gradients(s, net._replace(X=net.X[:, i:i + 1], Y=net.Y[:, i:i + 1]), net,
                                lambda: _oracle(net))
        for l in range(net.depth):
            mean_W[l] += eW[l] / N
            mean_b[l] += eb[l] / N

    def compare_with(o: oracle.NetworkGradients) -> list[Check]:
        scales = error_model.network_scales(net, o)
        return (_gradient_checks(dWs, dbs, o.dWs, o.dbs, net, scales, (net, o))
                + _gradient_checks(mean_W, mean_b, o.dWs, o.dbs, net, scales, (net, o),
                                   what=" (mean of examples)"))

    return _at_kinks(net, hand, compare_with)


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
    strategy=_batch, check=check_T2_end_to_end, examples=_explicit))
