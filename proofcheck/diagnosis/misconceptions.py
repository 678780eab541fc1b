"""Naming a misconception: which classic mistake a failing submission makes.

When a row of the report fails, its counterexample holds the inputs of the
failing call. :func:`name_misconception` calls the submission's function on
those inputs, calls the same function of every entry of the catalog
(:mod:`proofcheck.catalog`) on the same inputs, and returns the entries whose
output is the submission's. A match is a diagnosis a student can act on: "your
``backward_delta`` returns exactly what ``dfz * (W_next @ delta_next)``
returns on this counterexample: W^{l+1} instead of its transpose in the
induction step", with the entry's explanation and its link to the proof.

Which function is compared
--------------------------
The one the counterexample names (``Counterexample.function``):

* a step function (``output_delta``, ``backward_delta``, ``weight_grad``,
  ``bias_grad``: the isolated and end-to-end rows of T1.base, T1.step, T1.W,
  T1.b and T2) on the counterexample's ``inputs``, which are its complete
  arguments; the candidates are the entries whose mistake is in that function;
* ``gradients`` (T1.grad, T1.tail, T2 end-to-end) on the counterexample's
  network (for T1.tail, its tail: layers 2..k, fed the recorded ``X``); every
  entry is a candidate, the step mistakes too, through the reference's
  ``gradients`` around their wrong step, so that a hand-written loop with a
  missing transpose is named as well. Entries that do not support the
  network's activations or cost are left out;
* a layer type's product (the lemma rows of G.base, G.step and G.param,
  ``impl`` being the layer type) on the recorded point; the candidates are the
  entries of the same registered type and product. A point does not record
  the layer's configuration (a convolution's stride, a dropout's mask), so the
  configurations the type itself proposes
  (:meth:`~proofcheck.layers.LayerMap.settings_at`) that fit the point's shapes
  are tried, and those under which
  the registered type's own product gives the oracle's recorded value are
  kept. A submission matches an entry when they agree under one of them.

The package's own implementation (:class:`proofcheck.MatrixBackprop`, or the
registered layer type) is called on the same inputs too: a submission that
gives its output there is named by no entry. A shrunk counterexample is
small, and on it many mistakes give the right value (on a network of zeros,
a forgotten ``f'`` or a wrong sign changes nothing), and a submission that
is right on it, such as a correct implementation in another style, would
otherwise be named after all of them.

The submission and the entries get copies of the inputs, positionally in
the protocol's order (as the check calls them), so one that changes its
arguments in place changes nothing for the others.

When two outputs are the same
-----------------------------
Two arrays are the same when they have the same shape, the same non-finite
entries, and their finite entries agree within the ``"gradient"`` kind of
:data:`proofcheck.numerics.tolerances.TOLERANCES` (relative ``1e-9`` of the largest
entry): as close as a correct implementation must come to the oracle, while
two different classic mistakes differ by an order of one. A result of
several arrays (``gradients``, ``parameter_products``) is the same when
every array is. A call that raises matches one that raises the same
exception with the same message (a missing transpose fails with a shape
error wherever two adjacent widths differ). That is a weaker match than one
of values: two different wrong products can raise the same error on the
same arrays (``delta_next @ W_next`` and ``W_next @ delta_next`` when both
are ``n x 1``), and the message then names the entry all the same.

When several entries match
--------------------------
All of them are returned, the most specific first: an entry whose root cause
is the failing row's step, then one whose mistake is in the compared function
itself, then catalog order. Each match's message then says which other
entries give the same output and that this counterexample cannot tell them
apart (a hand-written loop that forgets the output's ``f'`` and the step
mistake that does the same in ``output_delta`` give the same gradients).

When nothing can be said
------------------------
The list is empty when no entry matches (a mistake the catalog does not
know), and when the row cannot be replayed: it holds, it has no
counterexample, its counterexample lacks the arguments of the call (a row
of the generalized theorem's networks, whose checks compose several
products), the submission does not provide the function or gives the
reference's output on these inputs, or no layer configuration fits the
point. An empty list claims nothing.

How often the named mistake is the true one
-------------------------------------------
Measured on the catalog itself: each entry checked on its root cause's step
(``verify(entry, profile="ci", steps=[root_cause])``), then matched on the
counterexample of the root cause's row. Every one of the 27 entries is named
on its own counterexample, and the reference implementation on none of
them. 25 are named alone. On 2 of the 27 entries another entry matches too,
and the messages say so:

* ``monolithic_output_without_derivative`` is named with
  ``output_delta_without_derivative``, the same mistake in the step function;
* ``activation_off_by_one`` is named with those two: on its network the first
  activation is the identity, so the output layer, taking the first layer's
  derivative, multiplies by 1, which is forgetting the output's ``f'``.

A step function's counterexample is often too small to tell two entries
apart (``bias_grad_not_summed``, ``delta[:, 0]``, and ``bias_grad_mean`` on a
batch of two equal columns, whose first column is their mean), or a mistake
the catalog does not know from one it knows. So the submission and the
entries that give its output there are called once more on arguments of the
same shapes whose entries all differ (fixed, not drawn), and only the entries
that still agree are named: a submission that divides by N twice is never
told that it does not sum, and one whose mistake agrees with an entry only on
the counterexample is named by none.

A mistake is named on every step function it concerns: when the match is in
one step function, the submission's other step functions are called on such
arguments too, and an entry of the same root cause that one of them
reproduces (the mean taken twice in ``weight_grad`` as in ``bias_grad``) is
added to the message.

Which shrunk counterexamples coincide follows the ``ci`` stream, so the
test-suite asserts on every run only that each entry is named, and the
reference never (``tests/test_mutants.py``, ``tests/layers/test_layers.py``);
``pytest -m batch tests/catalog/test_catalog.py`` measures the list again.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from typing import Any, NamedTuple

import numpy as np

from proofcheck._types import Float64Array
from proofcheck.backprop import MatrixBackprop
from proofcheck.catalog import CATALOG, LAYER_CATALOG, MISTAKES, LayerMistake, Mistake
from proofcheck.diagnosis._counterexample import Counterexample, is_affine
from proofcheck.diagnosis.report import Row
from proofcheck.errors import one_line
from proofcheck.layers import ACTIVATION_MAPS, LAYER_TYPES, ActivationMap, LayerMap
from proofcheck.numerics.error_model import lemma_scale
from proofcheck.numerics.tolerances import compare
from proofcheck.protocol import PROTOCOL_FUNCTIONS

__all__ = ["Match", "name_misconception"]

#: The protocol's step functions, with their parameters.
_STEP_FUNCTIONS = {f.name: f.parameters for f in PROTOCOL_FUNCTIONS if f.name != "gradients"}


class Match(NamedTuple):
    """A catalog entry whose output on a counterexample is the submission's.

    Attributes
    ----------
    entry : Mistake or LayerMistake
        The entry; its ``explanation`` and ``docs`` say more.
    function : str
        The function compared (``"backward_delta"``, ``"gradients"``,
        ``"input_product"``).
    message : str
        One or two sentences for the student, naming the mistake (and the
        entries this counterexample cannot tell it from, if any).
    """

    entry: Mistake | LayerMistake
    function: str
    message: str


def name_misconception(impl: object, row: Row) -> list[Match]:
    """The catalog's mistakes that ``impl`` reproduces on ``row``'s counterexample.

    Parameters
    ----------
    impl : object
        What was checked: the implementation given to :func:`proofcheck.verify`
        (an object with protocol functions), or, for a layer type's row, the
        layer type (a :class:`~proofcheck.layers.LayerMap` or
        :class:`~proofcheck.layers.ActivationMap` subclass).
    row : proofcheck.diagnosis.report.Row
        A row of that check's report, normally a failing one.

    Returns
    -------
    list of Match
        The entries whose output equals the submission's, the most specific
        first (see the module's docstring); empty when none does or the row
        cannot be replayed. The submission's code runs here: call this where
        it may run.
    """
    c = row.counterexample
    if not row.failed or c is None or not c.function:
        return []
    if row.layer is not None:
        return _layer_matches(impl, row, c) if row.mode == "lemma" else []
    return _theorem_matches(impl, row, c)


# --- calling and comparing ---------------------------------------------------------


class _Outcome(NamedTuple):
    """What one call gave: the exception it raised, or its arrays by name."""

    raised: str | None
    arrays: dict[str, Float64Array]


def _array(value: Any) -> Float64Array:
    return np.asarray(value, dtype=np.float64)


def _single(result: Any) -> dict[str, Float64Array]:
    return {"": _array(result)}


def _gradients(result: Any) -> dict[str, Float64Array]:
    dWs, dbs = result
    return {**{f"dW^{l}": _array(W) for l, W in enumerate(dWs, start=1)},
            **{f"db^{l}": _array(b) for l, b in enumerate(dbs, start=1)}}


def _named(result: Any) -> dict[str, Float64Array]:
    return {str(name): _array(value) for name, value in dict(result).items()}


def _call(function: Callable[..., Any], args: dict[str, Any],
          unpack: Callable[[Any], dict[str, Float64Array]]) -> _Outcome | None:
    """Call ``function`` on copies of ``args``, positionally in their order (as the
    check calls the protocol's functions); ``None`` for a result that is no arrays."""
    try:
        with np.errstate(all="ignore"):
            result = function(*copy.deepcopy(list(args.values())))
    except Exception as exc:
        return _Outcome(one_line(exc), {})
    try:
        return _Outcome(None, unpack(result))
    except Exception:
        return None


def _close(x: Float64Array, y: Float64Array) -> bool:
    if x.shape != y.shape:
        return False
    finite = np.isfinite(x)
    if not np.array_equal(finite, np.isfinite(y)):
        return False
    if not np.array_equal(x[~finite], y[~finite], equal_nan=True):
        return False
    return compare(x[finite], y[finite], "gradient").holds


def _same(mine: _Outcome, theirs: _Outcome) -> bool:
    if mine.raised is not None or theirs.raised is not None:
        return mine.raised == theirs.raised
    return mine.arrays.keys() == theirs.arrays.keys() and all(
        _close(value, theirs.arrays[name]) for name, value in mine.arrays.items())


# --- the messages -----------------------------------------------------------------


def _what(entry: Mistake | LayerMistake, function: str) -> str:
    """What the entry computes, as the object of "returns exactly what ... returns"."""
    if function == "gradients" and entry.function != "gradients":
        return (f"the `gradients` of a backpropagation whose `{entry.function}` is "
                f"`{entry.code}`")
    if function == "gradients":
        return f"the `gradients` of a backpropagation with `{entry.code}`"
    return f"`{entry.code}`"


def _messages(found: list[Mistake | LayerMistake], function: str, mine: _Outcome,
              where: str) -> list[Match]:
    matches = []
    for entry in found:
        what = _what(entry, function)
        if mine.raised is not None:
            text = (f"your `{function}` fails {where} exactly as {what} does "
                    f"({mine.raised}): {entry.mistake}.")
        else:
            text = f"your `{function}` returns exactly what {what} returns {where}: " \
                   f"{entry.mistake}."
        others = [o for o in found if o is not entry]
        if others:
            named = "; ".join(f"`{o.name}` ({o.mistake})" for o in others)
            text += (f" The same {'error' if mine.raised else 'output'} comes from {named}: "
                     f"this counterexample cannot tell {'them' if len(others) > 1 else 'the two'}"
                     " apart.")
        matches.append(Match(entry, function, text))
    return matches


def _ordered(found: list[Mistake | LayerMistake], step: str,
             function: str) -> list[Mistake | LayerMistake]:
    """The most specific first: the row's own step, then the compared function's own."""
    return sorted(found, key=lambda e: (e.root_cause != step, e.function != function,
                                        MISTAKES.index(e)))


# --- the theorem's rows -----------------------------------------------------------


def _supports(impl: object, args: dict[str, Any]) -> bool:
    activations = getattr(impl, "supported_activations", None)
    costs = getattr(impl, "supported_costs", None)
    return ((activations is None or set(args["activations"]) <= set(activations))
            and (costs is None or args["cost"] in costs))


def _network_arguments(row: Row, c: Counterexample) -> dict[str, Any] | None:
    """The arguments of the failing ``gradients`` call (for T1.tail, the tail network's)."""
    net = c.network
    if not net or not is_affine(net):
        return None
    first = 1 if row.step == "T1.tail" else 0
    return {"weights": [_array(theta["W"]) for theta in net["params"][first:]],
            "biases": [_array(theta["b"]) for theta in net["params"][first:]],
            "activations": list(net["activations"][first:]), "cost": net["cost"],
            "X": _array(c.inputs.get("X", net["X"])), "Y": _array(c.inputs.get("Y", net["Y"]))}


def _theorem_matches(impl: object, row: Row, c: Counterexample) -> list[Match]:
    function = c.function or ""
    args: dict[str, Any] | None
    if function in _STEP_FUNCTIONS:
        names = _STEP_FUNCTIONS[function]
        args = ({name: _array(c.inputs[name]) for name in names}
                if all(name in c.inputs for name in names) else None)
        candidates = [e for e in CATALOG if e.function == function]
        unpack, where = _single, "on this counterexample"
    elif function == "gradients":
        args = _network_arguments(row, c)
        candidates = [e for e in CATALOG if args is not None and _supports(e.impl, args)]
        unpack, where = _gradients, "on this network"
    else:
        return []
    method = getattr(impl, function, None)
    if args is None or not callable(method):
        return []
    mine = _call(method, args, unpack)
    reference = _call(getattr(MatrixBackprop(), function), args, unpack)
    if mine is None or reference is None or _same(mine, reference):
        return []
    found: list[Mistake | LayerMistake] = []
    for entry in candidates:
        theirs = _call(getattr(entry.impl, function), args, unpack)
        if theirs is not None and _same(mine, theirs):
            found.append(entry)
    if found and function in _STEP_FUNCTIONS:
        found = _told_apart(method, function, _probe(args), found)
    matches = _messages(_ordered(found, row.step, function), function, mine, where)
    if matches and function in _STEP_FUNCTIONS:
        also = _same_mistake_elsewhere(impl, matches[0].entry, function)
        if also:
            matches[0] = matches[0]._replace(message=f"{matches[0].message} {also}")
    return matches


def _probe(args: dict[str, Any]) -> dict[str, Float64Array]:
    """Arguments of the counterexample's shapes whose entries all differ (fixed, not
    drawn: a shrunk example repeats values, such as a batch of two equal columns)."""
    # Magnitudes in [1, 2) with random signs; no new number literal here, since
    # Hypothesis mixes the package's literals into what it draws (tests/conftest.py).
    rng = np.random.default_rng(0)
    return {name: (1.0 + rng.random(np.shape(value))) * rng.choice([-1.0, 1.0],
                                                                   np.shape(value))
            for name, value in args.items()}


def _told_apart(method: Callable[..., Any], function: str, probe: dict[str, Any],
                found: list[Mistake | LayerMistake]) -> list[Mistake | LayerMistake]:
    """Of the entries that give the submission's output on the counterexample, those that
    still do on ``probe``: none, for a mistake the catalog does not know that happens to
    agree with an entry on a small counterexample (a near miss is not a name)."""
    mine = _call(method, probe, _single)
    if mine is None:
        return []
    kept: list[Mistake | LayerMistake] = [
        e for e in found if isinstance(e, Mistake)
        and (theirs := _call(getattr(e.impl, function), probe, _single)) is not None
        and _same(mine, theirs)]
    return kept


#: Arguments of each step function on a network of widths 3 -> 4 -> 2 and a batch of 5.
_SHAPES: dict[str, dict[str, tuple[int, ...]]] = {
    "output_delta": {"dfz": (2, 5), "grad_a": (2, 5)},
    "backward_delta": {"W_next": (2, 4), "delta_next": (2, 5), "dfz": (4, 5)},
    "weight_grad": {"delta": (4, 5), "a_prev": (3, 5)},
    "bias_grad": {"delta": (4, 5)},
}


def _same_mistake_elsewhere(impl: object, entry: Mistake | LayerMistake,
                            function: str) -> str:
    """The entries of the same root cause in the submission's other step functions that
    those functions reproduce (a mean taken twice in ``weight_grad`` as in
    ``bias_grad``), as a sentence; empty when none does."""
    found = []
    for other, shapes in _SHAPES.items():
        method = getattr(impl, other, None)
        if other == function or not callable(method):
            continue
        args = _probe({name: np.zeros(shape) for name, shape in shapes.items()})
        mine = _call(method, args, _single)
        reference = _call(getattr(MatrixBackprop(), other), args, _single)
        if mine is None or reference is None or _same(mine, reference):
            continue
        for e in CATALOG:
            if e.function == other and e.root_cause == entry.root_cause and \
                    (theirs := _call(getattr(e.impl, other), args, _single)) is not None \
                    and _same(mine, theirs):
                found.append(f"your `{other}` returns exactly what `{e.code}` returns: "
                             f"{e.mistake} (fix it there too)")
                break
    return ("The same kind of mistake is elsewhere too: " + "; ".join(found) + "."
            if found else "")


# --- the layer types' rows ----------------------------------------------------------

_Product = type[LayerMap] | type[ActivationMap]


def _layer_type(name: str | None) -> _Product | None:
    """The registered layer type or activation type that rows call ``name``; the
    configurations the matcher tries are the type's own (``settings_at``)."""
    for layer_type in LAYER_TYPES:
        if layer_type.name == name:
            return layer_type
    return next((type(f) for f in ACTIVATION_MAPS if f.name == name), None)


_POINT = ("a", "delta")


def _product_call(layer: Any, method: str, point: dict[str, Float64Array],
                  unpack: Callable[[Any], dict[str, Float64Array]]) -> _Outcome | None:
    """``layer``'s ``method`` at ``point``: an input or parameter product, or an
    activation map's product at ``a = forward(z)``."""
    if method == "product":
        def product(z: Float64Array, g: Float64Array) -> Any:
            return layer.product(z, np.asarray(layer.forward(z, np), dtype=np.float64), g)

        return _call(product, {"z": point["z"], "g": point["g"]}, unpack)
    params = {k: v for k, v in point.items() if k not in _POINT}
    return _call(getattr(layer, method),
                 {"a": point["a"], "params": params, "delta": point["delta"]}, unpack)


def _fits(layer: Any, point: dict[str, Float64Array]) -> bool:
    if not isinstance(layer, LayerMap):
        return True
    shapes = {k: v.shape for k, v in point.items() if k not in _POINT}
    return (layer.n_in == point["a"].shape[0] and layer.n_out == point["delta"].shape[0]
            and layer.parameter_shapes() == shapes)


def _configured(base: _Product, method: str, point: dict[str, Float64Array], c: Counterexample,
                unpack: Callable[[Any], dict[str, Float64Array]]
                ) -> Iterator[tuple[tuple[Any, ...], _Outcome]]:
    """The configurations of ``base`` that fit ``point`` and under which ``base``'s own
    product gives the oracle's recorded value, each with that product (the reference)."""
    key = "" if unpack is _single else (c.quantity or "").removeprefix("J_").split("^")[0]
    params = [v for k, v in point.items() if k not in _POINT]
    scale = lemma_scale(point["a"], point["delta"], *params) if method != "product" else None
    for arguments in base.settings_at(point):
        try:
            layer = base(*arguments)
        except Exception:
            continue
        reference = _product_call(layer, method, point, unpack)
        if not _fits(layer, point) or reference is None or reference.raised is not None:
            continue
        if c.expected is None or _gives(reference.arrays.get(key), _array(c.expected), scale):
            yield arguments, reference


def _gives(value: Float64Array | None, expected: Float64Array, scale: float | None) -> bool:
    """Whether a reference product's ``value`` is the oracle's ``expected`` value."""
    return (value is not None and value.shape == expected.shape
            and compare(value, expected, "gradient", scale=scale).holds)


def _layer_matches(impl: object, row: Row, c: Counterexample) -> list[Match]:
    method = (c.function or "").rsplit(".", 1)[-1]
    candidates = [e for e in LAYER_CATALOG if e.layer_name == row.layer and e.function == method]
    point = {k: _array(v) for k, v in c.inputs.items()}
    needed = ("z", "g") if method == "product" else _POINT
    base = _layer_type(row.layer)
    if not candidates or base is None or any(k not in point for k in needed):
        return []
    submission = impl if isinstance(impl, type) else type(impl)
    unpack = _named if method == "parameter_products" else _single
    for arguments, reference in _configured(base, method, point, c, unpack):
        try:
            layer = submission(*arguments)
        except Exception:
            continue
        mine = _product_call(layer, method, point, unpack)
        if mine is None or _same(mine, reference):
            continue
        found: list[Mistake | LayerMistake] = []
        for entry in candidates:
            theirs = _product_call(entry.layer(*arguments), method, point, unpack)
            if theirs is not None and _same(mine, theirs):
                found.append(entry)
        if found:
            return _messages(_ordered(found, row.step, method), method, mine,
                             "on this counterexample")
    return []
