"""Properties of the generalized theorem (G.base, G.step, G.param) and of each layer type.

The layer types and activation maps come from :mod:`proofcheck.layers` (or, for
``verify(layer=...)``, include the user's own). Each example is a network that
mixes them (Hypothesis chooses the mix). *Isolated*: one product of one layer
type is fed the oracle's values (``Z^l``, ``A^l``, ``Delta^{l+1}``) and
compared with the oracle's delta or gradient. *End-to-end*: the package's
numpy backpropagation over layer types (:func:`proofcheck.backprop.layer_backprop`)
against the oracle. *Lemma*: a layer type's hand-derived products against
``jax.vjp`` of its forward map, at a drawn point, in two rows, each filed under
the step that uses its products: the input product ``J_a^T delta`` under
G.step, the parameter products ``J_theta^T delta`` under G.param (a layer type
that has parameters in none of its configurations, such as Dropout, has no
G.param lemma row: it has nothing to check there). An activation map's product
``J^f(z)^T g`` is a lemma row under G.base, the first step that uses it.

Strategy bounds: depth 1..3; widths up to 8 and batches up to 6, but three
examples in four keep widths at most 4 and the batch at most 2 (lemma points:
3) (:func:`proofcheck.strategies.size_bounds`). The large examples give
layers whose mistakes need room (several output positions of a strided
convolution, statistics over several examples) a chance to show them; the
small ones keep the cost bounded, since the oracle for arbitrary layer types
runs JAX eagerly (padding is not exact for every layer type), which compiles
each operation once per shape. Every strategy honours a layer type's
``min_batch`` and ``min_width``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import numpy as np
from hypothesis import assume
from hypothesis import strategies as st

from proofcheck._types import Float64Array
from proofcheck.errors import ImplementationError, InputError, one_line
from proofcheck.layers import (
    ACTIVATION_MAPS,
    LAYER_TYPES,
    ActivationMap,
    Elementwise,
    LayerMap,
    Parameters,
)
from proofcheck.network import Network, forward
from proofcheck.numerics import error_model
from proofcheck.numerics.tolerances import compare, term_scale
from proofcheck.oracle import _layers as layer_oracle
from proofcheck.oracle import network as oracle
from proofcheck.properties import _third_opinion as third_opinion
from proofcheck.properties._framework import (
    Check,
    Context,
    Mode,
    Property,
    Subject,
    UserCodeFailure,
    WrongResult,
    check,
    register,
    require_in_oracle_range,
    result_array,
)
from proofcheck.strategies import (
    layer_networks,
    outputs_inside_statement,
    size_bounds,
    symmetric_arrays,
)

__all__ = ["has_parameters", "layer_lemmas", "lemma_properties_for"]

MAX_DEPTH, MAX_WIDTH, MAX_BATCH = 3, 8, 6
#: Parameters and data of the layer networks are scaled by 10^e, e in -ORDERS..ORDERS, in
#: about half of the networks, as the paper's networks are (strategies.networks, orders=3);
#: the error model judges these rows there (error_model.probed_rounding, the second look
#: of the lemma rows). Whether a network is scaled is one choice that shrinks to "no", so a
#: layer mistake's counterexample still shrinks to its smallest depth
#: (tests/layers/test_layers.py asserts it for every layer mutant).
ORDERS = 3
#: Lemma points keep their batch at most this in the small examples (networks: 2).
SMALL_LEMMA_BATCH = 3


def _types(ctx: Context) -> tuple[list[type[LayerMap]], list[ActivationMap]]:
    layers = [t for t in ctx.layers if isinstance(t, type) and issubclass(t, LayerMap)]
    maps = [f for f in ctx.layers if isinstance(f, ActivationMap)]
    return layers or list(LAYER_TYPES), maps or list(ACTIVATION_MAPS)


def _networks(min_depth: int = 1) -> Callable[[Context], st.SearchStrategy[Network]]:
    def strategy(ctx: Context) -> st.SearchStrategy[Network]:
        layers, maps = _types(ctx)
        # The rows of G.step (depth >= 2) use a layer's input product only from layer 2
        # on: a layer map under check is placed there, where its mistake can show.
        focus_from = min_depth if isinstance(ctx.focus, type) else 1
        return layer_networks(layers, maps, focus=ctx.focus, focus_from=focus_from,
                              min_depth=min_depth, max_depth=MAX_DEPTH, max_width=MAX_WIDTH,
                              max_batch=MAX_BATCH, orders=ORDERS)

    return strategy


def _parameter_products(subject: Subject, layer: LayerMap, a: Float64Array, params: Parameters,
                        delta: Float64Array) -> dict[str, Float64Array]:
    args = {"a": a, "params": params, "delta": delta}
    result = subject.call("parameter_products", args, owner=layer)
    shapes = layer.parameter_shapes()
    if not isinstance(result, dict) or set(result) != set(shapes):
        raise ImplementationError(
            f"{type(layer).__name__}.parameter_products returned "
            f"{sorted(result) if isinstance(result, dict) else type(result).__name__}; expected "
            f"a dict with the keys of parameter_shapes(): {sorted(shapes)}")
    return {name: result_array(f"{type(layer).__name__}.parameter_products", result[name],
                                shape, f"{name} {shape}", {"a": a, "delta": delta},
                                label=f"[{name!r}]")
            for name, shape in shapes.items()}


def _oracle(net: Network) -> oracle.NetworkGradients:
    """The oracle's values for ``net``, after discarding a network outside the statement
    (D2) or with a unit within rounding of a kink.

    Outside the statement, by the paper's networks' own rule
    (:func:`proofcheck.strategies.outputs_inside_statement`): a chain of residual or
    linear layers, or parameters scaled by ``10^3``, can push a sigmoid output to 0.0
    or 1.0 in float64 (or a softmax output to 0.0), where the cross-entropy's gradient
    is not finite. (With the domain test alone, ``b = -709`` before a sigmoid under
    cross-entropy gave ``a = 0``, ``y = 0`` and a NaN cost gradient, and G.base
    isolated failed the reference in a ``dev`` soak.) Within rounding of a kink, by
    :func:`proofcheck.numerics.error_model.layer_near_kink`, as the theorem's rows discard such
    potentials of the paper's networks.

    Outside the oracle's range, counted: where a value of the oracle is not finite
    (:class:`~proofcheck.properties.OutsideOracleRange`). The oracle differentiates
    the forward maps as written, and a formula that float64 evaluates well may have
    no finite autodiff derivative there: a layer written with ``1 / (1 + exp(-q))``
    at ``q = -710`` (``b = -305``, ``X = -405`` are drawn) has the value 0 and the
    derivative 0, but JAX forms ``inf / inf``. The example is not judged, and no
    function is fed the oracle's NaN.
    """
    Zs, As = _user_forward(net)
    if not outputs_inside_statement(As, net.cost, net.Y):
        assume(False)  # only when it discards: a check may be called outside a test
    o = oracle.network_gradients(net)
    require_in_oracle_range({
        **{f"a^{l}": A for l, A in enumerate(o.As)},
        **{f"z^{l}": Z for l, Z in enumerate(o.Zs, start=1)},
        **{f"delta^{l}": d for l, d in enumerate(o.deltas, start=1)},
        **{f"dC/d{name}^{l}": v for l, g in enumerate(o.grads, start=1)
           for name, v in g.items()},
        "dC/dA^k": o.grad_a},
        f"JAX autodiff of the layers {', '.join(layer.describe() for layer in net.layers)}")
    if error_model.layer_near_kink(net.activations, Zs, As, o.Zs, o.As):
        assume(False)
    return o


def _user_forward(net: Network) -> tuple[list[Any], list[Any]]:
    """The forward pass through the user's layer types (numpy): an exception one of them
    raises is a failing example of the row that names the layer type's ``forward``
    (:class:`UserCodeFailure`), as one from its products is, not a crash of the check."""
    try:
        with np.errstate(all="ignore"):
            return forward(net, np)
    except (ImplementationError, InputError):
        raise
    except Exception as exc:
        owners = [*net.layers, *net.activations]
        owner, tb = None, exc.__traceback__
        while tb is not None:  # the innermost frame of one of the network's own maps
            here = tb.tb_frame.f_locals.get("self")
            owner = here if any(here is o for o in owners) else owner
            tb = tb.tb_next
        label = f"{type(owner).__name__}.forward" if owner is not None else "forward"
        raise UserCodeFailure(label, one_line(exc), {"X": net.X}) from None


def _scales(terms: tuple[list[Any], list[Any]], o: oracle.NetworkGradients,
            rounding: error_model.LayerRounding | None = None) -> tuple[list[Any], list[Any]]:
    """End-to-end scales of every delta and parameter gradient (index ``l - 1``): the term
    scales ``terms`` of :func:`~proofcheck.numerics.error_model.layer_network_scales`, judged with
    the measured ``rounding`` when it is given
    (:func:`~proofcheck.numerics.error_model.judged_scale`)."""
    deltas, grads = terms
    if rounding is None:
        return deltas, [dict.fromkeys(g, grads[l]) for l, g in enumerate(o.grads)]
    return ([error_model.judged_scale(d, p) for d, p in zip(deltas, rounding.deltas,
                                                              strict=True)],
            [{k: error_model.judged_scale(grads[l], p[k]) for k in p}
             for l, p in enumerate(rounding.grads)])


Make = Callable[[oracle.NetworkGradients, list[Any], list[Any]], list[Check]]


def _end_to_end(subject: Subject, net: Network, o: oracle.NetworkGradients,
                make: Make) -> list[Check]:
    """``make(o, delta_scales, grad_scales)`` at the term scales, and, before a failure is
    called, again with the rounding of the two forward passes measured
    (:func:`~proofcheck.numerics.error_model.probed_rounding`), then with the layers' rules
    in place of the oracle's autodiff where the forward maps' one-sided derivatives
    accept them (:func:`_overruled_oracle`)."""
    terms = error_model.layer_network_scales(net, o)
    checks = make(o, *_scales(terms, o))
    if all(c.comparison.holds for c in checks):
        return checks
    rounding = error_model.probed_rounding(net, oracle.network_gradients)
    deltas, grads = _scales(terms, o, rounding)
    checks = make(o, deltas, grads)
    if all(c.comparison.holds for c in checks):
        return checks
    grads = _with_terms(net, o, grads, terms[0])
    checks = make(o, deltas, grads)
    if all(c.comparison.holds for c in checks) or net.is_paper:
        return checks
    third = _overruled_oracle(subject, net, o)
    if third is None:
        return checks
    overruled, note = third
    return [c._replace(overruled=note) for c in make(overruled, deltas, grads)]


def _overruled_oracle(subject: Subject, net: Network, o: oracle.NetworkGradients
                      ) -> tuple[oracle.NetworkGradients, str] | None:
    """The oracle's deltas and parameter gradients, with each layer's rule in place of
    autodiff of its forward map where the third opinion accepts the rule
    (:mod:`~proofcheck.properties._third_opinion`); ``None`` if it overruled nothing.

    Backpropagation again from the oracle's ``delta^k``: at every layer the rule's
    products at the oracle's ``a^{l-1}`` and this pass's ``delta^l`` are compared with
    ``jax.vjp`` of the forward map, and the disputed entries go to the forward map's
    one-sided derivatives; the activations' products stay the oracle's. Where a
    rule is not accepted its layer keeps the oracle's values, so the end-to-end
    comparison still fails there.
    """
    k, notes = net.depth, []
    deltas: list[Float64Array] = [o.deltas[k - 1]] * k
    grads: list[dict[str, Float64Array]] = [{} for _ in range(k)]
    delta = o.deltas[k - 1]
    for l in range(k, 0, -1):
        deltas[l - 1] = delta
        layer, theta, a = net.layers[l - 1], net.params[l - 1], o.As[l - 1]
        da, dtheta = layer_oracle.layer_vjp(layer, a, theta, delta)
        scale = error_model.layer_product_scale(delta, a, *theta.values())
        products = {name: (value, dtheta[name], scale) for name, value in
                    _parameter_products(subject, layer, a, theta, delta).items()}
        if l > 1:
            rule = subject.array("input_product", {"a": a, "params": theta, "delta": delta},
                                 a.shape, owner=layer)
            products["a"] = (rule, da, scale)
        third = third_opinion.overrule(layer, a, theta, delta, products)
        if third is not None:
            expected, layer_notes = third
            da = expected.get("a", da)
            dtheta = {name: expected[name] for name in dtheta}
            notes += layer_notes
        grads[l - 1] = dtheta
        if l > 1:
            delta = layer_oracle.activation_vjp(net.activations[l - 2], o.Zs[l - 2], da)
    if not notes:
        return None
    return o._replace(deltas=deltas, grads=grads), "; ".join(notes)


def _with_terms(net: Network, o: oracle.NetworkGradients, grads: list[Any],
                delta_scales: list[Any]) -> list[dict[str, Any]]:
    """The parameter gradients' scales, at least the terms each entry really sums.

    A parameter's gradient may not have ``a^{l-1}`` as a factor (a bias sums
    ``delta^l`` alone), so the term scale ``|a^{l-1}| |delta^l|`` can vanish where
    the gradient's terms do not: ``X = 0`` before a convolution whose bias
    gradient sums a softmax's ``a - y = (1/3, -1/6, -1/6)``, which one summation
    order rounds to 0 and another to 5.6e-17. Before a gradient is called wrong, it
    is judged, as a layer lemma's second look judges a product
    (:func:`~proofcheck.numerics.error_model.second_look`), at ``|J_theta|^T |delta^l|`` from
    the oracle's pullbacks; a wrong gradient is off by the size of its terms. Where
    ``delta^l`` cancelled, its entries count with at least its own scale
    (:func:`~proofcheck.numerics.error_model.carried_delta`), ``delta_scales`` being the deltas'
    term scales (:func:`~proofcheck.numerics.error_model.layer_network_scales`).
    """
    judged = []
    for l, (layer, theta) in enumerate(zip(net.layers, net.params, strict=True)):
        a = o.As[l]
        count = max(a.shape[0] * a.shape[1], 1)
        delta = error_model.carried_delta(o.deltas[l], delta_scales[l], count)
        _, terms = layer_oracle.layer_vjp_terms(layer, a, theta, delta)
        judged.append({k: error_model.second_look(grads[l][k], terms[k], count)
                       for k in grads[l]})
    return judged


# --- G.base -------------------------------------------------------------------------


def check_G_base_isolated(subject: Subject, net: Network) -> list[Check]:
    """G.base, isolated: ``J^{f^k}(z^k)^T grad_a c`` by the activation's hand-derived product,
    fed the oracle's ``z^k``, ``a^k`` and ``dC/dA^k``."""
    o, k = _oracle(net), net.depth
    f = net.activations[k - 1]
    inputs = {"z": o.Zs[k - 1], "a": o.As[k], "g": o.grad_a}
    actual = subject.array("product", inputs, o.deltas[k - 1].shape, owner=f)
    return [check(f"delta^{k}", actual, o.deltas[k - 1], function=f"{f.describe()}.product",
                  layer=k, inputs=inputs,
                  scale=error_model.layer_product_scale(o.grad_a, o.As[k]))]


def check_G_base_end_to_end(subject: Subject, net: Network) -> list[Check]:
    """G.base, end-to-end: the numpy backpropagation's ``delta^k``."""
    from proofcheck.backprop import layer_backprop

    o, g, k = _oracle(net), layer_backprop(net), net.depth
    return _end_to_end(subject, net, o, lambda o, deltas, grads: [
        check(f"delta^{k}", g.deltas[k - 1], o.deltas[k - 1], layer=k, scale=deltas[k - 1])])


# --- G.step -------------------------------------------------------------------------


def check_G_step_isolated(subject: Subject, net: Network) -> list[Check]:
    """G.step, isolated: ``J^{f^l}(z^l)^T J^{phi^{l+1}}_a(a^l)^T delta^{l+1}`` from the
    hand-derived products, fed the oracle's ``delta^{l+1}``, for every ``l < k``."""
    o, checks = _oracle(net), []
    for l in range(net.depth - 1, 0, -1):
        layer, f = net.layers[l], net.activations[l - 1]
        inputs = {"a": o.As[l], "params": net.params[l], "delta": o.deltas[l]}
        back = subject.array("input_product", inputs, o.As[l].shape, owner=layer)
        actual = subject.array("product", {"z": o.Zs[l - 1], "a": o.As[l], "g": back},
                               o.deltas[l - 1].shape, owner=f)
        scale = error_model.layer_product_scale(o.deltas[l], *net.params[l].values(), o.As[l])
        expected, overruled = o.deltas[l - 1], None
        if not compare(actual, expected, scale=scale).holds:
            # Before it fails: is the layer's rule right where autodiff of its forward
            # map says otherwise (a kink, a `where`)? Then the activation's product
            # is judged on the rule's pull-back.
            third = third_opinion.overrule(layer, o.As[l], net.params[l], o.deltas[l], {
                "a": (back, layer_oracle.layer_vjp(layer, o.As[l], net.params[l],
                                                   o.deltas[l])[0], scale)})
            if third is not None and third[1]:
                expected = layer_oracle.activation_vjp(f, o.Zs[l - 1], third[0]["a"])
                overruled = "; ".join(third[1])
        checks.append(check(f"delta^{l}", actual, expected,
                            function=f"{layer.name}.input_product, {f.describe()}.product",
                            layer=l, inputs={"a": o.As[l], "delta_next": o.deltas[l]},
                            scale=scale, overruled=overruled))
    return checks


def check_G_step_end_to_end(subject: Subject, net: Network) -> list[Check]:
    """G.step, end-to-end: every delta of the numpy backpropagation."""
    from proofcheck.backprop import layer_backprop

    o, g = _oracle(net), layer_backprop(net)
    return _end_to_end(subject, net, o, lambda o, deltas, grads: [
        check(f"delta^{l}", g.deltas[l - 1], o.deltas[l - 1], layer=l, scale=deltas[l - 1])
        for l in range(net.depth - 1, 0, -1)])


# --- G.param ------------------------------------------------------------------------


def check_G_param_isolated(subject: Subject, net: Network) -> list[Check]:
    """G.param, isolated: ``J^{phi^l}_theta(a^{l-1})^T delta^l`` from the hand-derived
    products, fed the oracle's ``a^{l-1}`` and ``delta^l``, for every layer."""
    o, checks = _oracle(net), []
    for l in range(net.depth, 0, -1):
        layer = net.layers[l - 1]
        products = _parameter_products(subject, layer, o.As[l - 1], net.params[l - 1],
                                       o.deltas[l - 1])
        scale = error_model.layer_product_scale(o.deltas[l - 1], o.As[l - 1],
                                                *net.params[l - 1].values())
        expected, overruled = o.grads[l - 1], None
        if not all(compare(v, expected[n], scale=scale).holds for n, v in products.items()):
            # Before it fails: the forward map's one-sided derivatives decide the
            # disputed entries (a kink, a `where`), as in the lemma rows.
            third = third_opinion.overrule(
                layer, o.As[l - 1], net.params[l - 1], o.deltas[l - 1],
                {n: (v, expected[n], scale) for n, v in products.items()})
            if third is not None and third[1]:
                expected, overruled = third[0], "; ".join(third[1])
        for name, value in products.items():
            checks.append(check(f"dC/d{name}^{l}", value, expected[name],
                                function=f"{layer.name}.parameter_products", layer=l,
                                inputs={"a_prev": o.As[l - 1], "delta": o.deltas[l - 1]},
                                scale=scale, overruled=overruled))
    return checks


def check_G_param_end_to_end(subject: Subject, net: Network) -> list[Check]:
    """G.param, end-to-end: every parameter gradient of the numpy backpropagation.

    Every gradient the oracle has is compared: one that the backpropagation did not
    return is a wrong result, not a comparison left out.
    """
    from proofcheck.backprop import layer_backprop

    o, g = _oracle(net), layer_backprop(net)
    for l in range(net.depth, 0, -1):
        missing = sorted(set(o.grads[l - 1]) - set(g.grads[l - 1]))
        if missing:
            raise WrongResult("layer_backprop", f"layer_backprop returned no gradient of "
                              f"{', '.join(missing)} for layer {l} "
                              f"({net.layers[l - 1].describe()})", {})
    return _end_to_end(subject, net, o, lambda o, deltas, grads: [
        check(f"dC/d{name}^{l}", g.grads[l - 1][name], expected, layer=l,
              scale=grads[l - 1][name])
        for l in range(net.depth, 0, -1) for name, expected in o.grads[l - 1].items()])


_MIX = ("a network of depth {d}..3 mixing the layer types and activations (Hypothesis "
        "chooses the mix), a cost, and a batch; widths 1..4 and 1..2 examples, in one "
        "network of four widths 1..8 and 1..6 examples")

_G_ROWS: tuple[tuple[str, Mode, Callable[[Subject, Network], list[Check]], str, int], ...] = (
    ("G.base", "isolated", check_G_base_isolated,
     "the output activation's hand-derived J^f(z^k)^T g, fed the oracle's z^k and dC/dA^k, "
     "with the oracle's delta^k", 1),
    ("G.base", "end-to-end", check_G_base_end_to_end,
     "delta^k of the numpy backpropagation over layer types with the oracle's", 1),
    ("G.step", "isolated", check_G_step_isolated,
     "J^f(z^l)^T J^phi_a(a^l)^T delta^{l+1} from the hand-derived products, fed the oracle's "
     "delta^{l+1}, with the oracle's delta^l, for every l < k", 2),
    ("G.step", "end-to-end", check_G_step_end_to_end,
     "every delta^l of the numpy backpropagation over layer types with the oracle's", 2),
    ("G.param", "isolated", check_G_param_isolated,
     "J^phi_theta(a^{l-1})^T delta^l from the hand-derived products, fed the oracle's "
     "delta^l, with the oracle's gradient of every parameter", 1),
    ("G.param", "end-to-end", check_G_param_end_to_end,
     "every parameter gradient of the numpy backpropagation over layer types with the "
     "oracle's", 1),
)
for _step, _mode, _check, _compares, _min in _G_ROWS:
    register(Property(_step, _mode, (), about="layers", generates=_MIX.format(d=_min),
                      compares=_compares, strategy=_networks(_min), check=_check))


# --- the lemmas of each layer type ---------------------------------------------------


class ProductPoint(NamedTuple):
    """A configured layer with parameters, an input and a delta to pull back.

    Attributes
    ----------
    layer : LayerMap
    params : dict of str to array (``theta``, shapes of ``layer.parameter_shapes()``)
    a : (n_in, N)
    delta : (n_out, N)
    """

    layer: LayerMap
    params: Parameters
    a: Float64Array
    delta: Float64Array


class ActivationPoint(NamedTuple):
    """An activation map with a potential ``z : (n, N)`` and a vector ``g : (n, N)``."""

    activation: ActivationMap
    z: Float64Array
    g: Float64Array


def _has_parameters(layer: LayerMap) -> bool:
    return bool(layer.parameter_shapes())


def product_points(layer_type: type[LayerMap], *,
                  with_parameters: bool = False) -> st.SearchStrategy[ProductPoint]:
    """Points of ``layer_type``: a configuration for a drawn input width, its parameters,
    ``a`` and ``delta`` (``with_parameters``: only configurations that have parameters)."""

    @st.composite
    def draw(draw: st.DrawFn) -> ProductPoint:
        width, batch = draw(size_bounds(MAX_WIDTH, MAX_BATCH, small_batch=SMALL_LEMMA_BATCH))
        width = max(width, layer_type.min_width)
        n_in = draw(st.integers(layer_type.min_width, width))
        configurations = layer_type.configurations(n_in, width)
        if with_parameters:
            configurations = configurations.filter(_has_parameters)
        layer = draw(configurations)
        N = draw(st.integers(layer_type.min_batch, max(layer_type.min_batch, batch)))
        params = {name: draw(symmetric_arrays(shape, layer.parameter_bound(name)))
                  for name, shape in layer.parameter_shapes().items()}
        a = draw(symmetric_arrays((n_in, N), 2.0))
        delta = draw(symmetric_arrays((layer.n_out, N), 1.0))
        return ProductPoint(layer, params, a, delta)

    return draw()


def _activation_points(maps: Sequence[ActivationMap]) -> st.SearchStrategy[ActivationPoint]:
    @st.composite
    def draw(draw: st.DrawFn) -> ActivationPoint:
        f = draw(st.sampled_from(list(maps)))
        width, batch = draw(size_bounds(MAX_WIDTH, MAX_BATCH, small_batch=SMALL_LEMMA_BATCH))
        n, N = draw(st.integers(1, width)), draw(st.integers(1, batch))
        z = draw(symmetric_arrays((n, N), 5.0))
        g = draw(symmetric_arrays((n, N), 1.0))
        return ActivationPoint(f, z, g)

    return draw()


def _layer_lemma_check(subject: Subject, p: ProductPoint, products: str) -> list[Check]:
    """Compare the ``products`` (``"input"`` or ``"parameters"``) of a layer with ``jax.vjp``."""
    da, dtheta = layer_oracle.layer_vjp(p.layer, p.a, p.params, p.delta)
    require_in_oracle_range({"J_a^T delta": da, **{f"J_{k}^T delta": v
                                                   for k, v in dtheta.items()}},
                            f"JAX autodiff of {p.layer.describe()}'s forward map")
    # A parameter named like the layer's input or delta (hyp1f1's a) keeps both in view.
    inputs = {"a": p.a, "delta": p.delta,
              **{k if k not in ("a", "delta") else f"{k} (parameter)": np.asarray(v)
                 for k, v in p.params.items()},
              **p.layer.as_written(p.a, p.delta)}
    name = type(p.layer).__name__
    # The products' terms are of the size of a and delta, times a parameter where one
    # is a factor (W^T delta) but not where none is (J_gamma^T delta = sum delta * x):
    # a parameter counts with at least 1, so that gamma = 0 does not make the scale 0
    # (LayerNorm on a constant column: XLA's mean may be an ulp off numpy's there).
    scale = error_model.lemma_scale(p.a, p.delta, *p.params.values())
    if products == "input":
        actual = {"a": subject.array("input_product",
                                     {"a": p.a, "params": p.params, "delta": p.delta},
                                     p.a.shape, owner=p.layer)}
        expected, method = {"a": da}, "input_product"
    else:
        actual = _parameter_products(subject, p.layer, p.a, p.params, p.delta)
        expected, method = dtheta, "parameter_products"

    def compare_all(scales: dict[str, Any], overruled: str | None = None) -> list[Check]:
        return [check(f"J_{k}^T delta", v, expected[k], function=f"{name}.{method}",
                      inputs=inputs, scale=scales[k], overruled=overruled)
                for k, v in actual.items()]

    checks = compare_all(dict.fromkeys(actual, scale))
    if all(c.comparison.holds for c in checks):
        return checks
    # Before calling it a failure, judge at the size of the terms each entry really sums,
    # |J|^T |delta| from the oracle (its Jacobian may hold factors such as LayerNorm's
    # 1 / sigma that no input shows). A wrong product is off by the size of its terms.
    terms_a, terms_p = layer_oracle.layer_vjp_terms(p.layer, p.a, p.params, p.delta)
    n = max(p.a.shape[0] * p.a.shape[1], 1)
    terms = {"a": terms_a, **terms_p}
    scales = {k: error_model.second_look(scale, terms[k], n) for k in actual}
    checks = compare_all(scales)
    if all(c.comparison.holds for c in checks):
        return checks
    # The rule and autodiff of the forward map still disagree: the forward map's
    # one-sided derivatives decide the disputed entries (a kink, a `where`).
    third = third_opinion.overrule(p.layer, p.a, p.params, p.delta,
                                   {k: (v, expected[k], scales[k]) for k, v in actual.items()})
    if third is None:
        return checks
    expected, notes = third
    return compare_all(scales, "; ".join(notes) or None)


def check_layer_input_lemma(subject: Subject, p: ProductPoint) -> list[Check]:
    """G.step, lemma: the layer's hand-derived ``J_a^T delta`` against ``jax.vjp``."""
    return _layer_lemma_check(subject, p, "input")


def check_layer_parameter_lemma(subject: Subject, p: ProductPoint) -> list[Check]:
    """G.param, lemma: the layer's hand-derived ``J_theta^T delta``, for every parameter
    ``theta``, against ``jax.vjp``."""
    return _layer_lemma_check(subject, p, "parameters")


def _activation_lemma_check(subject: Subject, p: ActivationPoint) -> list[Check]:
    expected = layer_oracle.activation_vjp(p.activation, p.z, p.g)
    require_in_oracle_range({"J^f(z)^T g": expected},
                            f"JAX autodiff of {p.activation.describe()}'s forward map")
    a = np.asarray(p.activation.forward(p.z, np), dtype=np.float64)
    inputs = {"z": p.z, "g": p.g}
    actual = subject.array("product", {"z": p.z, "a": a, "g": p.g}, p.z.shape, owner=p.activation)
    # The terms of the product are of the size |a| |g| (softmax: a * g and a (a^T g));
    # z itself is not a factor (z = 0 gives a = 1/n, not 0).
    return [check("J^f(z)^T g", actual, expected,
                  function=f"{p.activation.describe()}.product", inputs=inputs,
                  scale=term_scale(a, p.g))]


def has_parameters(layer_type: type[LayerMap]) -> bool:
    """Whether some configuration of ``layer_type`` has parameters.

    Parameters belong to a configuration, not to a type (a LayerNorm learns a
    scale and shift only with ``learned=True``), so this draws configurations
    (a fixed sequence, up to 30) and looks for one whose ``parameter_shapes()``
    is not empty. A type whose configurations raise is taken to have some: its
    lemma rows then report the crash.
    """
    from hypothesis import HealthCheck, Phase, find, settings
    from hypothesis.errors import NoSuchExample

    probe = settings(max_examples=30, phases=[Phase.generate], database=None, derandomize=True,
                     deadline=None, suppress_health_check=list(HealthCheck))
    configurations = st.integers(max(1, layer_type.min_width), MAX_WIDTH).flatmap(
        lambda n_in: layer_type.configurations(n_in, max(n_in, MAX_WIDTH)))
    try:
        find(configurations, _has_parameters, settings=probe)
    except NoSuchExample:
        return False
    except Exception:
        return True
    return True


def layer_lemmas(layer_type: type[LayerMap] | type[ActivationMap] | Sequence[ActivationMap],
                 name: str) -> list[Property]:
    """The lemma-level properties of one layer type: its products equal ``jax.vjp``.

    ``layer_type`` is a :class:`LayerMap` subclass (two rows: ``G.step/lemma/name``,
    the input product, and ``G.param/lemma/name``, the parameter products, when
    :func:`has_parameters`), an :class:`ActivationMap` subclass, or a list of
    activation maps checked together (the elementwise activations; one row,
    ``G.base/lemma/name``).
    """
    if isinstance(layer_type, type) and issubclass(layer_type, LayerMap):
        lt = layer_type
        generates = (f"a configured {name} layer (input width 1..4, in one point of four "
                     f"1..8), {{what}}an input a and a delta, batch 1..3 (in one of four 1..6)")
        rows = [Property(
            "G.step", "lemma", (), about="layers", layer=name,
            generates=generates.format(what="its parameters, "),
            compares=f"{name}'s hand-derived input product J_a^T delta with jax.vjp of its "
                     "forward map",
            strategy=lambda ctx: product_points(lt), check=check_layer_input_lemma)]
        if has_parameters(lt):
            rows.append(Property(
                "G.param", "lemma", (), about="layers", layer=name,
                generates=generates.format(what="with parameters, "),
                compares=f"{name}'s hand-derived parameter products J_theta^T delta, for "
                         "every parameter theta, with jax.vjp of its forward map",
                strategy=lambda ctx: product_points(lt, with_parameters=True),
                check=check_layer_parameter_lemma))
        return rows
    maps: list[ActivationMap] = (
        [layer_type()] if isinstance(layer_type, type) else list(layer_type))
    return [Property(
        "G.base", "lemma", (), about="layers", layer=name,
        generates=f"the activation {name} and a potential z in [-5, 5] and a vector g "
                  "(width 1..4, batch 1..3; in one point of four 1..8 and 1..6)",
        compares=f"{name}'s hand-derived J^f(z)^T g with jax.vjp of its forward map",
        strategy=lambda ctx: _activation_points(maps), check=_activation_lemma_check)]


def lemma_properties_for(layer_types: Sequence[Any]) -> list[Property]:
    """The lemma properties of layer map types (``G.step`` and ``G.param`` rows) and of
    non-elementwise activation map instances (a ``G.base`` row)."""
    props = [prop for t in layer_types if isinstance(t, type) and issubclass(t, LayerMap)
             for prop in layer_lemmas(t, t.name)]
    for f in layer_types:
        if isinstance(f, ActivationMap) and not isinstance(f, Elementwise):
            props += layer_lemmas(type(f), f.name)
    return props


for _prop in layer_lemmas([f for f in ACTIVATION_MAPS if isinstance(f, Elementwise)],
                          "elementwise"):
    register(_prop)
for _prop in lemma_properties_for([*LAYER_TYPES, *ACTIVATION_MAPS]):
    register(_prop)
