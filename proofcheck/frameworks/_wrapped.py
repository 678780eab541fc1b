"""A layer type around a function of another framework: the description of its arguments.

:func:`proofcheck.frameworks.from_jax` and :func:`proofcheck.frameworks.from_torch`
turn a function with a custom backward rule into a :class:`LayerMap`, so that
every property of the generalized theorem runs on it unchanged. This module
holds what the two have in common: the description of the function's
arguments (which one is the input ``a``, which are parameters and of which
shapes, how the output width follows from the input width, whether examples
are rows or columns), checked when the layer type is made, and the layer type
itself, which converts arrays at its boundary.

A wrapped layer type plays two parts, kept apart by the namespace its
:meth:`~LayerMap.forward` is called with:

- with ``numpy`` (the networks, the numpy backpropagation) it runs the user's
  function as the user's framework runs it under differentiation, and its
  products are the user's backward rule;
- with ``jax.numpy`` (the oracle) it returns a JAX function whose VJP is the
  *reference*: autodiff of the user's forward computation with the custom
  rule bypassed, or finite differences of it where autodiff cannot run.
  :attr:`LayerMap.reference` says which, and the report's oracle column
  repeats it on every row.

Shapes in a description are tuples of ``"n_in"``, ``"n_out"`` and integers,
in the layout the user's function takes them; the input ``a`` and the output
``z`` are ``(N, n_in)`` and ``(N, n_out)`` with ``examples="rows"`` (the
frameworks' habit) and ``(n_in, N)``, ``(n_out, N)`` with
``examples="columns"`` (the paper's). Parameters keep the user's layout.
"""

from __future__ import annotations

import inspect
import math
import sys
from abc import abstractmethod
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from types import MappingProxyType
from typing import Any, ClassVar, Literal, NamedTuple

import numpy as np
from hypothesis import strategies as st

from proofcheck._types import Array, Float64Array, Namespace
from proofcheck.errors import ProofcheckError, ReferenceFailure, one_line
from proofcheck.layers._protocol import LayerMap, Parameters

__all__ = ["Description", "ProbeFailure", "WrappedLayer", "batch_at_least", "caller_module",
           "check_primal_and_reference",
           "describe_arguments", "finite_difference_vjp", "host_reference", "narrow_precision_note",
           "no_width_message",
           "output_width_of", "probe_call", "probe_output", "probe_problem", "probe_shapes"]

#: The widest input a probe of the description tries (the properties draw up to 8).
PROBE_WIDTHS = range(1, 9)
#: The batch of the probes made when a layer type is made.
PROBE_BATCH = 2
#: The largest ``min_batch`` a description may ask for: the batch the probes use, so that
#: a function that needs more examples than they give is not described as taking them.
MAX_MIN_BATCH = PROBE_BATCH

Examples = Literal["rows", "columns"]
OutputWidth = int | Callable[[int], int | None] | None


class Description(NamedTuple):
    """How a user's function maps onto a layer ``z = phi(a; theta)``.

    Attributes
    ----------
    function : str
        The function's name, for messages (``"gated_unit"``).
    arguments : tuple of str
        The names of its positional arguments, in call order.
    input : str
        The argument that is the layer's input ``a``.
    shapes : dict of str to tuple
        Each parameter's shape, entries ``"n_in"``, ``"n_out"``, names of
        :attr:`sizes` or integers.
    n_out : int, callable or None
        The output width: fixed, a function of ``n_in`` (``None`` for an
        input width the layer does not take), or ``None``: drawn freely when
        some shape names ``"n_out"``, else read off the function's output.
    examples : {"rows", "columns"}
        Whether the function takes one example per row (``a : (N, n_in)``)
        or per column (``a : (n_in, N)``); ``"rows"`` for every :attr:`layout`
        but ``("n_in", "N")``.
    bounds : dict of str to float
        Entries of a parameter are drawn from ``[-bound, bound]`` (default:
        :meth:`LayerMap.parameter_bound`).
    outputs : tuple of str
        The names of the function's outputs, in the order it returns them, when it
        returns several (empty: one array). The layer's output ``z`` stacks those not
        in ``ignore`` along the features, in this order (:meth:`stacked`).
    ignore : tuple of str
        Outputs left out of ``z``: neither passed on nor checked (zero cotangent).
    layout : tuple of str and int
        The axes of each per-example argument: ``"N"`` (the examples, first, or last
        in ``("n_in", "N")``), ``"n_in"`` (the width the networks vary), integers and
        names of :attr:`sizes`. The layer's input ``a`` flattens the other axes in
        row-major order; so does ``z`` for an output of more than two axes.
    per_example : tuple of str
        Arguments besides :attr:`input` that carry the examples in :attr:`layout`:
        ``a`` stacks them after the input along the features, so the theorem's
        ``J_a^T delta`` holds the cotangent of each.
    sizes : dict of str to int
        The sizes of the named axes of :attr:`layout` (``{"heads": 2}``).
    """

    function: str
    arguments: tuple[str, ...]
    input: str
    shapes: dict[str, tuple[int | str, ...]]
    n_out: OutputWidth
    examples: Examples
    bounds: dict[str, float]
    outputs: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    layout: tuple[int | str, ...] = ("N", "n_in")
    per_example: tuple[str, ...] = ()
    sizes: Mapping[str, int] = MappingProxyType({})

    @property
    def inputs(self) -> tuple[str, ...]:
        """The per-example arguments, in the order ``a`` stacks them."""
        return (self.input, *self.per_example)

    @property
    def flat(self) -> bool:
        """Whether the user's arrays are matrices as the theorem's (no axis to flatten)."""
        return len(self.layout) == 2

    @property
    def checked(self) -> tuple[str, ...]:
        """The outputs stacked into ``z``, in order (empty for a single output)."""
        return tuple(n for n in self.outputs if n not in self.ignore)

    def features(self, m: int) -> tuple[int, ...]:
        """The axes of one example of an input, ``"n_in"`` at ``m``."""
        sizes = {"n_in": m, **self.sizes}
        return tuple(sizes[e] if isinstance(e, str) else e for e in self.layout if e != "N")

    def width(self, n_in: int) -> int | None:
        """The user's ``n_in`` for the layer's input width ``n_in`` (``a`` stacks every
        input, each flattened); ``None`` for a width the description cannot take."""
        unit = len(self.inputs) * math.prod(self.features(1))
        return n_in // unit if n_in % unit == 0 and n_in >= unit else None

    def stacked(self, out: Any, concatenate: Callable[..., Any]) -> Any:
        """The function's output ``out`` as one matrix in the user's layout: itself for a
        single matrix; else each checked output with its axes after the examples
        flattened, joined along the features by ``concatenate(arrays, axis)``
        (numpy's, JAX's or torch's).

        Raises
        ------
        ValueError
            Naming the function and the outputs, when ``out`` is not one value per
            name in :attr:`outputs`, or a checked output has no float entries.
        """
        if not self.outputs:
            return out if self.flat else _flattened(out)
        if not isinstance(out, tuple | list) or len(out) != len(self.outputs):
            got = (f"{len(out)} outputs" if isinstance(out, tuple | list)
                   else f"one {type(out).__name__}")
            raise ValueError(f"{self.function} returned {got}; outputs= names "
                             f"{len(self.outputs)} ({', '.join(self.outputs)})")
        named = dict(zip(self.outputs, out, strict=True))
        for name in self.checked:
            dtype = str(getattr(named[name], "dtype", "float"))
            if "float" not in dtype:
                raise ValueError(f"{self.function}'s output {name} is {dtype}, which has no "
                                 f"derivative; leave it out with ignore=({name!r},)")
        parts = [named[n] if self.flat else _flattened(named[n]) for n in self.checked]
        return parts[0] if len(parts) == 1 else concatenate(
            parts, 1 if self.examples == "rows" else 0)

    def split(self, g: Any, out: Any, zeros: Callable[[Any], Any]) -> list[Any]:
        """The cotangent ``g`` of :meth:`stacked` as one cotangent per output of ``out``
        (the function's output; one array when :attr:`outputs` is empty), each of its
        output's shape; ``zeros(output)`` for an ignored one."""
        if not self.outputs:
            return [g if self.flat else g.reshape(out.shape)]
        cts, start = [], 0
        axis = 1 if self.examples == "rows" else 0
        for name, value in zip(self.outputs, out, strict=True):
            if name in self.ignore:
                cts.append(zeros(value))
                continue
            width = math.prod(value.shape[1:]) if axis == 1 else int(value.shape[0])
            part = g[:, start:start + width] if axis == 1 else g[start:start + width]
            cts.append(part if self.flat else part.reshape(value.shape))
            start += width
        return cts

    @property
    def parameters(self) -> tuple[str, ...]:
        """The parameter names, in call order."""
        return tuple(n for n in self.arguments if n not in self.inputs)

    @property
    def free_width(self) -> bool:
        """Whether the output width is drawn (some shape names ``"n_out"``, no ``n_out``)."""
        return self.n_out is None and any("n_out" in s for s in self.shapes.values())

    def shape(self, name: str, n_in: int, n_out: int) -> tuple[int, ...]:
        """The shape of parameter ``name`` for the layer's widths ``n_in`` and ``n_out``."""
        sizes = {"n_in": self.width(n_in) or 0, "n_out": n_out, **self.sizes}
        return tuple(sizes[e] if isinstance(e, str) else e for e in self.shapes[name])

    def user_shape(self, n: int, N: int) -> tuple[int, int]:
        """The shape of ``z`` (``n = n_out``), stacked, in the user's layout."""
        return (N, n) if self.examples == "rows" else (n, N)

    def input_shape(self, n_in: int, N: int) -> tuple[int, ...]:
        """The shape of each per-example argument for the layer's input width ``n_in``."""
        m = self.width(n_in) or 0
        return (m, N) if self.examples == "columns" else (N, *self.features(m))

    def to_user(self, x: Array) -> Array:
        """``delta`` from the paper's layout ``(n, N)`` to the user's, stacked."""
        return x.T if self.examples == "rows" else x

    def from_user(self, x: Array) -> Array:
        """``z`` from the user's layout, stacked, to the paper's ``(n, N)``."""
        return x.T if self.examples == "rows" else x

    def split_input(self, a: Array) -> dict[str, Array]:
        """``a : (n_in, N)`` as the user's per-example arguments, by name."""
        N, parts = a.shape[1], {}
        step = a.shape[0] // len(self.inputs)
        for i, name in enumerate(self.inputs):
            block = a[i * step:(i + 1) * step]
            parts[name] = (block if self.examples == "columns"
                           else block.T.reshape(self.input_shape(a.shape[0], N)))
        return parts

    def join_input(self, cts: Sequence[Float64Array]) -> Float64Array:
        """The cotangents of the per-example arguments as ``J_a^T delta : (n_in, N)``."""
        blocks = [ct if self.examples == "columns" else ct.reshape(ct.shape[0], -1).T
                  for ct in cts]
        return np.ascontiguousarray(np.concatenate(blocks, axis=0))

    def signature_text(self) -> str:
        """``gated_unit(a : (N, n_in), W : (n_in, n_out), ...)``, for messages."""
        a = _shape_text(self.layout)
        parts = [f"{n} : {a}" if n in self.inputs else f"{n} : {_shape_text(self.shapes[n])}"
                 for n in self.arguments]
        text = f"{self.function}({', '.join(parts)})"
        if self.outputs:
            names = [n if n not in self.ignore else f"{n} (ignored)" for n in self.outputs]
            text += f" -> ({', '.join(names)})"
        return text


def _flattened(out: Any) -> Any:
    """An output of shape ``(N, ...)`` as ``(N, n)``, its other axes in row-major order."""
    shape = tuple(getattr(out, "shape", ()))
    if len(shape) < 2:
        return out  # not a batch of examples: the shape checks say so
    return out.reshape(shape[0], math.prod(shape[1:]))


def _shape_text(shape: tuple[int | str, ...]) -> str:
    """``(n_in, n_out)``, ``(n_out,)``: a described shape as the docstrings write it."""
    return f"({', '.join(str(e) for e in shape)}{',' if len(shape) == 1 else ''})"


def describe_arguments(primal: Callable[..., Any], function: str, *, input: str,
                       parameters: Mapping[str, Sequence[int | str]], n_out: OutputWidth,
                       examples: str, bounds: Mapping[str, float] | None,
                       outputs: Sequence[str] | None = None, ignore: Sequence[str] = (),
                       layout: Sequence[int | str] | None = None,
                       per_example: Sequence[str] = (),
                       sizes: Mapping[str, int] | None = None) -> Description:
    """Check a description against the primal's signature; the :class:`Description`.

    Raises
    ------
    TypeError, ValueError
        Naming the argument of the description that does not fit, what it is
        and what was expected.
    """
    axes, named = _layout(examples, layout, sizes)
    try:
        signature = inspect.signature(primal)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"cannot read the arguments of {function}: {exc}") from None
    inputs = _per_example(function, input, per_example)
    arguments = _arguments(function, signature, inputs, parameters)
    if not isinstance(parameters, Mapping):
        raise TypeError(f"parameters={parameters!r} must be a dict of parameter names to shapes, "
                        "such as {'W': ('n_in', 'n_out'), 'b': ('n_out',)}")
    described = [n for n in arguments if n not in inputs]
    missing = [n for n in described if n not in parameters]
    extra = [n for n in parameters if n not in described]
    if missing or extra:
        raise ValueError(
            f"parameters names {sorted(parameters)}, but {function}{signature} takes "
            f"{', '.join(map(repr, inputs))} as per-example inputs and {described} as "
            "parameters" + (f"; no shape given for {missing}" if missing else "")
            + (f"; not arguments of {function}: {extra}" if extra else ""))
    shapes = {n: _shape(n, parameters[n], named) for n in described}
    if isinstance(n_out, bool) or not (n_out is None or callable(n_out)
                                       or (isinstance(n_out, int) and n_out >= 1)):
        raise TypeError(f"n_out={n_out!r} must be a positive integer, a function of n_in, or "
                        "None (drawn when a parameter's shape names 'n_out', else read off "
                        "the output)")
    names, left_out = _outputs(function, outputs, ignore)
    return Description(function, tuple(arguments), input, shapes, n_out,
                       "columns" if axes == ("n_in", "N") else "rows",
                       _bounds(bounds, described), names, left_out, axes, inputs[1:], named)


def _arguments(function: str, signature: inspect.Signature, inputs: tuple[str, ...],
               parameters: Any) -> list[str]:
    """The primal's arguments to draw, in call order: those without a default, and those
    with one that the description names."""
    arguments, kinds = [], (inspect.Parameter.POSITIONAL_ONLY,
                            inspect.Parameter.POSITIONAL_OR_KEYWORD)
    for p in signature.parameters.values():
        if p.kind == inspect.Parameter.VAR_POSITIONAL:
            raise ValueError(f"{function}{signature} takes *{p.name}; proofcheck needs one "
                             "named argument for the input and one for each parameter")
        if p.kind in kinds and (p.default is inspect.Parameter.empty or p.name in inputs
                                or p.name in parameters):
            arguments.append(p.name)
    if inputs[0] not in arguments:
        raise ValueError(f"input={inputs[0]!r} is not an argument of {function}{signature}; "
                         "name the argument that is the layer's input a")
    unknown = [n for n in inputs[1:] if n not in arguments]
    if unknown:
        raise ValueError(f"per_example names {unknown}, which are not arguments of "
                         f"{function}{signature}")
    return arguments


def _per_example(function: str, input: str, per_example: Sequence[str]) -> tuple[str, ...]:
    """``(input, *per_example)`` checked: names, none twice."""
    if isinstance(per_example, str) or not isinstance(per_example, Sequence) or any(
            not isinstance(n, str) for n in per_example):
        raise TypeError(f"per_example={per_example!r} must be a tuple of argument names of "
                        f"{function}, such as ('y',)")
    inputs = (input, *per_example)
    if len(set(inputs)) != len(inputs):
        raise ValueError(f"per_example={tuple(per_example)!r} names the input {input!r} or an "
                         "argument twice")
    return inputs


def _layout(examples: str, layout: Sequence[int | str] | None,
            sizes: Mapping[str, int] | None) -> tuple[tuple[int | str, ...], dict[str, int]]:
    """``layout`` checked (or made from ``examples``), with the sizes of its named axes."""
    if examples not in ("rows", "columns"):
        raise ValueError(f"examples={examples!r} must be 'rows' (a : (N, n_in), the frameworks' "
                         "habit) or 'columns' (a : (n_in, N), the paper's)")
    named = dict(sizes or {})
    for name, size in named.items():
        if (not isinstance(name, str) or name in ("N", "n_in", "n_out")
                or isinstance(size, bool) or not isinstance(size, int) or size < 1):
            raise ValueError(f"sizes[{name!r}]={size!r}: each named axis needs a positive "
                             "integer size (and may not be called N, n_in or n_out)")
    if layout is None:
        return (("N", "n_in") if examples == "rows" else ("n_in", "N")), named
    axes = tuple(layout) if isinstance(layout, Sequence) and not isinstance(layout, str) else ()
    if examples == "columns" and axes != ("n_in", "N"):
        raise ValueError(f"layout={layout!r} with examples='columns': give one of them")
    bad = [e for e in axes if not (e in ("N", "n_in") or e in named or (
        isinstance(e, int) and not isinstance(e, bool) and e >= 1))]
    if (not axes or bad or axes.count("N") != 1 or axes.count("n_in") != 1
            or (axes[0] != "N" and axes != ("n_in", "N"))):
        raise ValueError(
            f"layout={layout!r} must list the axes of the input: 'N' first (the examples), "
            "'n_in' once (the width the networks vary), and integers or names given in "
            "sizes= (such as ('N', 'heads', 'n_in', 'dim') with sizes={'heads': 2, 'dim': 2})"
            + (f"; {bad} are none of these" if bad else ""))
    unused = [n for n in named if n not in axes]
    if unused:
        raise ValueError(f"sizes names {unused}, which are not axes of layout={axes!r}")
    return axes, named


def _bounds(bounds: Mapping[str, float] | None, described: list[str]) -> dict[str, float]:
    """``bounds`` checked: each names a parameter and is a positive number."""
    for name, bound in (bounds or {}).items():
        if name not in described:
            raise ValueError(f"bounds names {name!r}, which is not a parameter "
                             f"({', '.join(described) or 'none'})")
        if isinstance(bound, bool) or not isinstance(bound, int | float) or not bound > 0:
            raise ValueError(f"bounds[{name!r}]={bound!r} must be a positive number")
    return {k: float(v) for k, v in (bounds or {}).items()}


def _outputs(function: str, outputs: Sequence[str] | None,
             ignore: Sequence[str]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """``outputs`` and ``ignore`` checked: distinct names, ``ignore`` among them, one
    output at least left to check."""
    if outputs is None:
        if ignore:
            raise ValueError(f"ignore={ignore!r} names outputs, but outputs= does not name "
                             f"{function}'s outputs; give outputs=(...) in the order it "
                             "returns them")
        return (), ()
    if isinstance(outputs, str) or not isinstance(outputs, Sequence) or not outputs or any(
            not isinstance(n, str) or not n for n in outputs):
        raise TypeError(f"outputs={outputs!r} must be a tuple of names, one per output of "
                        f"{function} in the order it returns them, such as ('S', 'C')")
    if isinstance(ignore, str) or not isinstance(ignore, Sequence):
        raise TypeError(f"ignore={ignore!r} must be a tuple of output names")
    if len(set(outputs)) != len(outputs):
        raise ValueError(f"outputs={tuple(outputs)!r} names an output twice")
    unknown = [n for n in ignore if n not in outputs]
    if unknown:
        raise ValueError(f"ignore names {unknown}, which are not among outputs="
                         f"{tuple(outputs)!r}")
    if all(n in ignore for n in outputs):
        raise ValueError(f"ignore={tuple(ignore)!r} leaves none of {function}'s outputs to "
                         "check")
    return tuple(outputs), tuple(ignore)


def _shape(name: str, shape: Any, named: Mapping[str, int]) -> tuple[int | str, ...]:
    if isinstance(shape, str) or not isinstance(shape, Sequence):
        raise TypeError(f"the shape of {name!r} is {shape!r}; expected a tuple of 'n_in', "
                        "'n_out' and positive integers, such as ('n_in', 'n_out')")
    for entry in shape:
        if not (entry in ("n_in", "n_out") or entry in named or (
                isinstance(entry, int) and not isinstance(entry, bool) and entry >= 1)):
            axes = "".join(f", {n!r}" for n in named)
            raise ValueError(f"the shape of {name!r} is {tuple(shape)!r}: {entry!r} is neither "
                             f"'n_in', 'n_out'{axes} nor a positive integer")
    return tuple(shape)


class WrappedLayer(LayerMap):
    """A layer type made by :func:`~proofcheck.frameworks.from_jax` or
    :func:`~proofcheck.frameworks.from_torch`.

    The concrete classes set :attr:`spec`, :attr:`name`, :attr:`reference`
    and :attr:`min_width` when they are made, and implement how the user's
    function, its rule and the reference are run.
    """

    #: The description of the user's function.
    spec: ClassVar[Description]
    #: Where the user's code computes in a float narrower than float64, one line per
    #: part (the primal, the rule), found when the type is made; empty if nowhere.
    narrow_precision: ClassVar[tuple[str, ...]] = ()
    #: Why probes of the function gave no output width (set when the type is made).
    probe_failures: ClassVar[list[ProbeFailure]] = []

    def __init__(self, n_in: int, n_out: int) -> None:
        super().__init__(n_in)
        self._n_out = n_out

    @classmethod
    def configurations(cls, n_in: int, max_width: int) -> st.SearchStrategy[LayerMap]:
        if cls.spec.width(n_in) is None:
            return st.nothing()
        if cls.spec.free_width:
            return st.integers(1, max_width).map(lambda n_out: cls(n_in, n_out))
        n_out = cls.output_width(n_in)
        if n_out is None or not 1 <= n_out <= max_width:
            return st.nothing()
        return st.just(cls(n_in, n_out))

    @classmethod
    def output_width(cls, n_in: int) -> int | None:
        """``n_out`` for ``n_in`` (``None``: no configuration); not for a drawn width."""
        n_out, m = cls.spec.n_out, cls.spec.width(n_in)
        if m is None:
            return None
        if isinstance(n_out, int):
            return n_out
        if n_out is not None:
            width = n_out(m)
            if width is not None and (isinstance(width, bool) or not isinstance(width, int)):
                raise TypeError(f"n_out({m}) returned {width!r}; expected a positive "
                                "integer, or None for an input width the layer does not take")
            return width
        return cls.inferred_width(n_in)

    @classmethod
    @abstractmethod
    def inferred_width(cls, n_in: int) -> int | None:
        """The output width the user's function gives for ``n_in`` (``None``: it fails)."""

    @property
    def n_out(self) -> int:
        return self._n_out

    def parameter_shapes(self) -> dict[str, tuple[int, ...]]:
        return {n: self.spec.shape(n, self.n_in, self.n_out) for n in self.spec.parameters}

    def parameter_bound(self, name: str) -> float:
        return self.spec.bounds.get(name) or super().parameter_bound(name)

    def forward(self, a: Array, params: Parameters, xp: Namespace) -> Array:
        """The user's function (``xp = numpy``) or the reference (``xp = jax.numpy``)."""
        if xp is np:
            return self.run(np.asarray(a, dtype=np.float64), params)
        with self.reference_code():
            return self.reference_forward(a, params)

    @contextmanager
    def reference_code(self) -> Iterator[None]:
        """Where the reference runs the user's forward computation: an exception from it
        is a :class:`~proofcheck.errors.ReferenceFailure` naming this layer type's reference."""
        try:
            yield
        except ProofcheckError:
            raise
        except Exception as exc:
            raise ReferenceFailure(f"{type(self).__name__}'s reference", one_line(exc)
                                   ) from exc

    @abstractmethod
    def run(self, a: Float64Array, params: Parameters) -> Float64Array:
        """``z``, as the user's framework computes it under differentiation: ``(n_out, N)``."""

    @abstractmethod
    def reference_forward(self, a: Array, params: Parameters) -> Array:
        """``z`` as a JAX function of JAX arrays, differentiable by the reference."""

    @abstractmethod
    def reference_value(self, a: Float64Array, params: Parameters) -> Float64Array:
        """``z`` of the reference's forward computation, in numpy: ``(n_out, N)``."""

    @abstractmethod
    def reference_pullback(self, a: Float64Array, params: Parameters, delta: Float64Array
                           ) -> tuple[Float64Array, dict[str, Float64Array]]:
        """``J_a^T delta`` and ``J_theta^T delta`` by the reference, in numpy."""

    @abstractmethod
    def rule(self, a: Float64Array, params: Parameters,
             delta: Float64Array) -> tuple[Float64Array, dict[str, Float64Array]]:
        """The user's backward rule at ``(a, params)`` applied to ``delta``."""

    def input_product(self, a: Float64Array, params: Parameters,
                      delta: Float64Array) -> Float64Array:
        """``J_a^T delta`` by the user's backward rule: ``(n_in, N)``."""
        return self.rule(a, params, delta)[0]

    def parameter_products(self, a: Float64Array, params: Parameters,
                           delta: Float64Array) -> dict[str, Float64Array]:
        """``J_theta^T delta`` by the user's backward rule, per parameter."""
        return self.rule(a, params, delta)[1]

    def user_arguments(self, a: Array, params: Parameters,
                       convert: Callable[[Any], Any]) -> list[Any]:
        """The function's arguments in call order, each converted by ``convert``."""
        values = {**self.spec.split_input(a), **params}
        return [convert(values[n]) for n in self.spec.arguments]

    def cotangents(self, cts: Any, a: Float64Array, params: Parameters, rule: str
                   ) -> tuple[Float64Array, dict[str, Float64Array]]:
        """The rule's result (one cotangent per argument, in call order) as the two products.

        A missing cotangent (``None``) is zero. A result that is not one
        cotangent per argument, or a cotangent whose shape is not its
        argument's, raises ``ValueError`` naming ``rule``, the argument and
        both shapes in the user's layout: a failing example of the product
        that holds it (the input's for ``a``, the parameters' otherwise).
        """
        names = self.spec.arguments
        if not isinstance(cts, tuple | list) or len(cts) != len(names):
            got = (f"{len(cts)} values" if isinstance(cts, tuple | list)
                   else f"a {type(cts).__name__}")
            raise ValueError(f"{rule} returned {got}; expected a tuple of {len(names)}, one "
                             f"cotangent per argument ({', '.join(names)})")
        N = a.shape[1]
        wanted = {**{n: self.spec.input_shape(self.n_in, N) for n in self.spec.inputs},
                  **{n: np.shape(v) for n, v in params.items()}}
        out = {}
        for name, ct in zip(names, cts, strict=True):
            value = (np.zeros(wanted[name]) if ct is None
                     else np.asarray(ct, dtype=np.float64))
            if value.shape != wanted[name]:
                raise ValueError(f"{rule} returned the cotangent of {name} with shape "
                                 f"{value.shape}; the argument {name} has shape {wanted[name]}")
            out[name] = value
        da = self.spec.join_input([out.pop(n) for n in self.spec.inputs])
        return da, out

    def output(self, z: Any, a: Float64Array, what: str) -> Float64Array:
        """``z`` in the paper's layout, after checking its shape in the user's."""
        value = np.asarray(z, dtype=np.float64)
        wanted = self.spec.user_shape(self.n_out, a.shape[1])
        if value.shape != wanted:
            raise ValueError(
                f"{what} returned shape {value.shape} for the arguments "
                f"{self.spec.signature_text()} with n_in={self.n_in}, n_out={self.n_out}, "
                f"N={a.shape[1]}; expected {wanted}")
        return np.ascontiguousarray(self.spec.from_user(value))

    def describe(self) -> str:
        return f"{self.name}({self.n_in} -> {self.n_out})"

    def as_written(self, a: Float64Array, delta: Float64Array) -> dict[str, Array]:
        """The per-example arguments in the user's layout, named ``x (N, heads, n_in,
        dim)``, when ``a`` flattens more axes or stacks several of them."""
        if self.spec.flat and not self.spec.per_example:
            return {}
        layout = _shape_text(self.spec.layout)
        return {f"{n} {layout}": np.asarray(v) for n, v in self.spec.split_input(a).items()}


def probe_shapes(spec: Description, n_in: int, n_out: int) -> list[tuple[int, ...]]:
    """The shapes of the user's arguments, in their order, at one probe (batch
    :data:`PROBE_BATCH`)."""
    return [spec.input_shape(n_in, PROBE_BATCH) if n in spec.inputs
            else spec.shape(n, n_in, n_out) for n in spec.arguments]


def probe_output(spec: Description, forward: Callable[[], Any], n_in: int,
                 n_out: int) -> tuple[int, ...]:
    """Run the user's forward computation once at a probe; the output shape it must have.

    Raises
    ------
    ValueError
        Naming the function and the probe's widths, if the call fails or its output
        does not have the shape the description gives.
    """
    where = f"n_in={n_in}, n_out={n_out}, N={PROBE_BATCH}"
    try:
        out = forward()
    except Exception as exc:
        raise ValueError(f"{spec.signature_text()} fails for {where}: {one_line(exc)}"
                         ) from exc
    wanted = spec.user_shape(n_out, PROBE_BATCH)
    shape = getattr(out, "shape", None)
    if isinstance(out, tuple | list):
        raise ValueError(f"{spec.signature_text()} {probe_problem(out, None)} for {where}")
    if shape is None or tuple(shape) != wanted:
        got = type(out).__name__ if shape is None else tuple(shape)
        raise ValueError(f"{spec.signature_text()} returns {got} for {where}; "
                         f"expected {wanted}")
    return wanted


def check_primal_and_reference(primal: Any, reference: str) -> None:
    """``primal`` and ``reference`` as both wrappers take them: a callable or ``None``;
    ``"auto"`` or ``"finite differences"``."""
    if primal is not None and not callable(primal):
        raise TypeError(f"primal={primal!r} must be a function of the same arguments")
    if reference not in ("auto", "finite differences"):
        raise ValueError(f"reference={reference!r} must be 'auto' or 'finite differences'")


def batch_at_least(min_batch: Any) -> int:
    """``min_batch`` checked: the fewest examples the user's function takes (a batch norm
    needs two), between 1 and :data:`MAX_MIN_BATCH`."""
    if (isinstance(min_batch, bool) or not isinstance(min_batch, int)
            or not 1 <= min_batch <= MAX_MIN_BATCH):
        raise ValueError(f"min_batch={min_batch!r} must be an integer from 1 to "
                         f"{MAX_MIN_BATCH}, the fewest examples the function takes")
    return min_batch


def caller_module() -> str:
    """The module that called ``from_jax`` or ``from_torch`` (the ``__module__`` of the
    class it makes): three frames up, from where those wrappers call this."""
    return str(sys._getframe(3).f_globals.get("__name__", __name__))


def output_width_of(spec: Description, out: Any) -> int | None:
    """The output width ``n_out`` that the user's output ``out`` shows (its
    examples in rows or columns, by the description), or ``None`` if it is not a
    matrix."""
    shape = tuple(getattr(out, "shape", ()))
    if len(shape) != 2:
        return None
    return int(shape[1] if spec.examples == "rows" else shape[0])


class ProbeFailure(NamedTuple):
    """Why one probe of the user's function gave no output width.

    Attributes
    ----------
    n_in : int
        The input width tried.
    call : str
        What was called, with the arguments' shapes (``f(x: float64 (2, 3), ...)``).
    problem : str
        What happened: the exception (``raised TypeError: ...``), or the output
        that is not a matrix.
    """

    n_in: int
    call: str
    problem: str


def probe_call(spec: Description, n_in: int, n_out: int, callee: str) -> str:
    """The call a probe makes, for messages: ``callee(x: float64 (2, 3), W: float64 (3, 1))``."""
    shapes = probe_shapes(spec, n_in, n_out)
    args = ", ".join(f"{n}: float64 {tuple(shape)}" for n, shape in zip(spec.arguments, shapes,
                                                                         strict=True))
    return f"{callee}({args})"


def probe_problem(out: Any, exc: BaseException | None) -> str:
    """What a probe that gave no output width saw: the exception, or the output."""
    if exc is not None:
        return f"raised {one_line(exc)}"
    if isinstance(out, tuple | list):
        return (f"returned {len(out)} outputs; name them in order with outputs=(...), "
                "and leave out those not to check with ignore=(...)")
    shape = getattr(out, "shape", None)
    if shape is None:
        return f"returned {type(out).__name__}, not an array"
    return f"returned an output of shape {tuple(shape)}, not a matrix"


def no_width_message(cls: type[WrappedLayer], what: str) -> str:
    """The error of a layer type whose function gave no output width at any input
    width: the first probe's problem (the smallest width tried) and what was called."""
    spec = cls.spec
    text = f"{spec.signature_text()} has no input width in 1..8 with an output width"
    failures: list[ProbeFailure] = getattr(cls, "probe_failures", [])
    if failures:
        first = failures[0]
        text += (f"; at n_in={first.n_in} (the smallest tried) {first.call} "
                 f"{first.problem}")
    elif spec.n_out is not None and not isinstance(spec.n_out, int):
        text += "; n_out(n_in) gave no width for any of them"
    return f"{text} (check n_out, or {what} on small inputs)"


def narrow_precision_note(layer: Any) -> str | None:
    """The note of every row of a run whose layer type computes in a float narrower than
    float64 (:attr:`WrappedLayer.narrow_precision`); ``None`` for any other."""
    places = getattr(layer, "narrow_precision", ())
    if not places:
        return None
    return (f"{layer.name}'s code computes in a float narrower than float64 inside this "
            f"float64 check ({'; '.join(places)}): values computed there are rounded to "
            "that format, which the tolerances do not allow for")


def probe_widths(cls: type[WrappedLayer]) -> list[tuple[int, int]]:
    """``(n_in, n_out)`` for every input width of :data:`PROBE_WIDTHS` that has a
    configuration (a drawn output width is taken as 2). The probes that gave none
    are kept, in order, as the class's ``probe_failures`` (:class:`ProbeFailure`)."""
    widths = []
    cls.probe_failures = []
    for n_in in PROBE_WIDTHS:
        n_out = 2 if cls.spec.free_width else cls.output_width(n_in)
        if n_out is not None and n_out >= 1:
            widths.append((n_in, n_out))
    return widths


def class_name(name: str) -> str:
    """A class name for ``name`` (``"gated unit"`` -> ``"GatedUnit"``)."""
    words = "".join(c if c.isalnum() else " " for c in name).split()
    text = "".join(w[:1].upper() + w[1:] for w in words) or "WrappedLayer"
    return text if text[0].isalpha() else f"Layer{text}"


def finite_difference_vjp(F: Callable[[Float64Array], Float64Array], x: Float64Array,
                          g: Float64Array) -> Float64Array:
    """``J^F(x)^T g`` from the Jacobian of ``F`` by central finite differences
    (:func:`proofcheck.oracle.finite_differences.jacobian`); ``g`` has the shape of ``F(x)``."""
    from proofcheck.oracle.finite_differences import jacobian

    # jacobian() orders rows and columns by vec (column-major) of F(X) and X.
    J = jacobian(F, np.asarray(x, dtype=np.float64))
    ct = J.T @ np.asarray(g, dtype=np.float64).reshape(-1, order="F")
    return np.asarray(ct.reshape(np.shape(x), order="F"), dtype=np.float64)


def host_reference(layer: WrappedLayer) -> Callable[[Array, Parameters], Array]:
    """A JAX function of ``(a, params)`` whose value is :meth:`WrappedLayer.reference_value`
    and whose VJP is :meth:`WrappedLayer.reference_pullback`, both run in numpy.

    This is how a layer whose reference is not JAX's reverse mode joins the
    oracle's network: the oracle's ``jax.value_and_grad`` calls this VJP for the
    layer and composes it with the other layers' by the chain rule. The layer
    oracle runs JAX eagerly, so both receive concrete arrays.
    """
    import jax
    import jax.numpy as jnp

    def host(x: Any) -> Float64Array:
        return np.asarray(x, dtype=np.float64)

    @jax.custom_vjp
    def reference(a: Array, params: Parameters) -> Array:
        with layer.reference_code():
            value = layer.reference_value(host(a), {k: host(v) for k, v in params.items()})
        return jnp.asarray(value)

    def fwd(a: Array, params: Parameters) -> tuple[Array, tuple[Array, Parameters]]:
        return reference(a, params), (a, params)

    def bwd(residuals: tuple[Array, Parameters], delta: Array) -> tuple[Array, Parameters]:
        a, params = residuals
        with layer.reference_code():
            da, dp = layer.reference_pullback(host(a), {k: host(v) for k, v in params.items()},
                                              host(delta))
        return jnp.asarray(da), {k: jnp.asarray(v) for k, v in dp.items()}

    reference.defvjp(fwd, bwd)
    return reference
