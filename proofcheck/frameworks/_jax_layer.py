"""A layer type from a JAX function with a custom backward rule: :func:`from_jax`.

The code under check is the user's rule: the ``bwd`` of a ``jax.custom_vjp``
(called with the residuals of its ``fwd``), or, for a ``jax.custom_jvp``, the
custom JVP rule linearized and transposed by ``jax.vjp``. The reference is
JAX's autodiff of the *undecorated primal* (``fn.fun``), so the rule is
bypassed and never consulted by the oracle. Where reverse-mode autodiff of the
primal cannot run (a ``lax.while_loop``), the reference is forward-mode
autodiff of it (its Jacobian by ``jax.jacfwd``, transposed); where no autodiff
can run (a ``pure_callback``, a hand-written kernel), central finite
differences of it (:func:`proofcheck.oracle.finite_differences.jacobian`). Which one
is probed when the layer type is made and stated in its
:attr:`~proofcheck.layers.LayerMap.reference`, which the report's oracle
column repeats.

In a network, the layer runs as JAX runs it under differentiation: its output
is that of the rule's ``fwd`` (of the primal, for a ``custom_jvp``).
Everything runs in float64, with numpy-style rank promotion allowed in the
user's code (a bias added to ``a @ W`` is how the frameworks write it), on the
CPU as JAX is configured.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, cast

import jax
import jax.numpy as jnp
import numpy as np

from proofcheck._types import Array, Float64Array
from proofcheck.errors import one_line
from proofcheck.frameworks._wrapped import (
    OutputWidth,
    ProbeFailure,
    WrappedLayer,
    batch_at_least,
    caller_module,
    check_primal_and_reference,
    class_name,
    describe_arguments,
    finite_difference_vjp,
    host_reference,
    no_width_message,
    output_width_of,
    probe_call,
    probe_output,
    probe_problem,
    probe_shapes,
    probe_widths,
)
from proofcheck.layers._protocol import Parameters

__all__ = ["NARROW_FLOATS", "JaxLayer", "make_jax_layer"]

#: Floating dtypes narrower than float64: a layer's code that computes in one of them
#: inside a float64 check is reported (:attr:`WrappedLayer.narrow_precision`).
NARROW_FLOATS = ("float32", "float16", "bfloat16")

@contextmanager
def _user_code() -> Iterator[None]:
    """JAX's settings for the user's code: float64; rank promotion as numpy does it."""
    with jax.enable_x64(True), jax.numpy_rank_promotion("allow"):
        yield


class JaxLayer(WrappedLayer):
    """A layer type around a ``jax.custom_vjp`` or ``jax.custom_jvp`` function."""

    #: The decorated function, as the user calls it.
    function: Any
    #: Its undecorated primal, ``function.fun``.
    primal: Callable[..., Any]
    #: ``"reverse"``, ``"forward"`` or ``"finite differences"``: how the reference runs.
    mode: str

    @classmethod
    def inferred_width(cls, n_in: int) -> int | None:
        spec = cls.spec
        args = _abstract_arguments(cls, n_in, 1)
        out, error = None, None
        try:
            with _user_code():
                out = jax.eval_shape(cls.primal, *args)
        except Exception as exc:
            error = exc
        width = None if error is not None else output_width_of(spec, out)
        if width is None:
            cls.probe_failures.append(ProbeFailure(
                n_in, probe_call(spec, n_in, 1, f"{spec.function} (traced by jax.eval_shape)"),
                probe_problem(out, error)))
        return width

    def _arguments(self, a: Array, params: Parameters) -> list[Any]:
        return self.user_arguments(a, params, lambda v: jnp.asarray(v, dtype=jnp.float64))

    def run(self, a: Float64Array, params: Parameters) -> Float64Array:
        with _user_code():
            args = self._arguments(a, params)
            if isinstance(self.function, jax.custom_vjp) and not self.function.symbolic_zeros:
                z = self._fwd(args)[0]
            else:
                z = self.function(*args)
            z = self.spec.stacked(z, jnp.concatenate)
        return self.output(z, a, f"{self.spec.function} (as called)")

    def _fwd(self, args: list[Any]) -> Any:
        result = self.function.fwd(*args)
        if not isinstance(result, tuple | list) or len(result) != 2:
            raise ValueError(f"{self.spec.function}'s fwd returned {type(result).__name__}; "
                             "a custom_vjp fwd returns a pair (output, residuals)")
        return result

    def rule(self, a: Float64Array, params: Parameters,
             delta: Float64Array) -> tuple[Float64Array, dict[str, Float64Array]]:
        with _user_code():
            args = self._arguments(a, params)
            g = jnp.asarray(self.spec.to_user(delta))
            if isinstance(self.function, jax.custom_vjp) and not self.function.symbolic_zeros:
                z, residuals = self._fwd(args)
                bwd: Any = self.function.bwd
                cts = bwd(residuals, self._cotangent(g, z))
                rule = f"{self.spec.function}'s bwd"
            else:
                z, pullback = jax.vjp(self.function, *args)
                cts = pullback(self._cotangent(g, z))
                rule = (f"the transpose of {self.spec.function}'s custom JVP rule"
                        if isinstance(self.function, jax.custom_jvp) else
                        f"JAX's autodiff of {self.spec.function} (the custom rules it calls)")
            cts = jax.tree_util.tree_map(np.asarray, cts, is_leaf=lambda x: x is None)
        return self.cotangents(cts, a, params, rule)

    def _cotangent(self, g: Any, z: Any) -> Any:
        """The cotangent of the function's output ``z`` whose stack is ``g``: ``g`` itself
        for one output; else one per output in ``z``'s structure, zero for an ignored one
        (``float0`` for an integer output, as JAX wants)."""
        self.spec.stacked(z, jnp.concatenate)  # the same check of z as the layer's output
        cts = self.spec.split(g, z, _zero_cotangent)
        if not self.spec.outputs:
            return cts[0]
        return type(z)(cts) if isinstance(z, tuple) else list(cts)

    def reference_forward(self, a: Array, params: Parameters) -> Array:
        if self.mode == "reverse":
            with _user_code():
                z = self.primal(*self._arguments(a, params))
            return self.spec.from_user(z)
        return host_reference(self)(a, params)

    def reference_value(self, a: Float64Array, params: Parameters) -> Float64Array:
        with _user_code():
            z = self.primal(*self._arguments(a, params))
        return np.asarray(self.spec.from_user(z), dtype=np.float64)

    def reference_pullback(self, a: Float64Array, params: Parameters,
                           delta: Float64Array) -> tuple[Float64Array, dict[str, Float64Array]]:
        """``J_a^T delta`` and ``J_theta^T delta`` of the primal, without reverse mode:
        its Jacobian by ``jax.jacfwd`` or by finite differences, transposed."""
        names = self.spec.arguments
        with _user_code():
            args = [np.asarray(v) for v in self._arguments(a, params)]
            g = np.asarray(self.spec.to_user(delta), dtype=np.float64)
            cts = []
            for i in range(len(names)):
                def along(x: Any, i: int = i) -> Any:
                    return self.primal(*args[:i], jnp.asarray(x), *args[i + 1:])

                if self.mode == "forward":
                    jac = np.asarray(jax.jacfwd(along)(jnp.asarray(args[i])))
                    cts.append(np.tensordot(g, jac, axes=g.ndim))
                else:
                    cts.append(finite_difference_vjp(along, args[i], g))
        return self.cotangents(cts, a, params, f"the reference of {self.spec.function}")


def make_jax_layer(fn: Any, *, parameters: Mapping[str, Sequence[int | str]], input: str,
                   n_out: OutputWidth, examples: str, name: str | None,
                   bounds: Mapping[str, float] | None, reference: str,
                   static: Mapping[str, Any] | None = None,
                   primal: Callable[..., Any] | None = None,
                   outputs: Sequence[str] | None = None, ignore: Sequence[str] = (),
                   layout: Sequence[int | str] | None = None, per_example: Sequence[str] = (),
                   sizes: Mapping[str, int] | None = None,
                   min_batch: int = 1) -> type[JaxLayer]:
    """:func:`proofcheck.frameworks.from_jax` (same arguments), JAX imported."""
    check_primal_and_reference(primal, reference)
    fn, reference_fn, kind, function, static = _rule_and_primal(fn, primal, static)
    spec = describe_arguments(reference_fn, function, input=input, parameters=parameters,
                              n_out=n_out, examples=examples, bounds=bounds,
                              outputs=outputs, ignore=ignore, layout=layout,
                              per_example=per_example, sizes=sizes)
    if spec.outputs or not spec.flat:
        reference_fn = _stacking(reference_fn, spec)
    label = name if name is not None else function
    if not isinstance(label, str) or not label:
        raise TypeError(f"name={name!r} must be a non-empty string")
    what = f"a jax.{kind}" if primal is None else "a JAX function with the rules it calls"
    cls = cast(type[JaxLayer], type(class_name(label), (JaxLayer,), {
        "name": label, "spec": spec, "function": staticmethod(fn),
        "primal": staticmethod(reference_fn),
        "mode": "reverse", "__doc__": f"{spec.signature_text()}, {what} checked "
                                      "by proofcheck (made by proofcheck.frameworks.from_jax).",
        "__module__": caller_module()}))
    widths = probe_widths(cls)
    if not widths:
        raise ValueError(no_width_message(cls, "the primal"))
    cls.min_width = widths[0][0]
    cls.min_batch = batch_at_least(min_batch)
    cls.mode, why = _reference_mode(cls, *widths[0], reference == "finite differences")
    cls.narrow_precision = tuple(_narrow_precision(cls, *widths[0]))
    fixed = "".join(f", {k}={v!r}" for k, v in (static or {}).items())
    described = (f"the undecorated primal {function} (the {kind} rule bypassed{fixed})"
                 if primal is None else
                 f"the primal {_name(primal)} given with primal= (the function's rules "
                 f"bypassed{fixed})")
    cls.reference = {
        "reverse": f"JAX reverse-mode autodiff of {described}",
        "forward": f"JAX forward-mode autodiff (jacfwd) of {described}; reverse mode fails: {why}",
        "finite differences": f"finite differences (numpy) of {described}; {why}",
    }[cls.mode]
    return cls


def _rule_and_primal(fn: Any, primal: Callable[..., Any] | None,
                     static: Mapping[str, Any] | None
                     ) -> tuple[Any, Any, str, str, Mapping[str, Any] | None]:
    """``(function whose rule is checked, its reference's primal, kind, name, static)``,
    the ``static`` arguments bound in both (with those a ``functools.partial`` fixes).

    Without ``primal``, ``fn`` must be (or wrap) a ``custom_vjp``/``custom_jvp``, whose
    undecorated primal is the reference. With it, ``fn`` may be any JAX function: the
    products are JAX's reverse mode through ``fn``, so through every custom rule it
    calls, and the reference is autodiff of ``primal``, a function of the same
    arguments that computes the same value without those rules.
    """
    try:
        fn, fixed = _unwrapped(fn)
    except TypeError:
        if primal is None or not callable(fn):
            raise
    else:
        static = _with_fixed(fn, fixed, static)
    if primal is None:
        kind = "custom_vjp" if isinstance(fn, jax.custom_vjp) else "custom_jvp"
        function = getattr(fn.fun, "__name__", kind)
        if (kind == "custom_vjp" and getattr(fn, "bwd", None) is None) or (
                kind == "custom_jvp" and getattr(fn, "jvp", None) is None):
            rule = "fn.defvjp(fwd, bwd)" if kind == "custom_vjp" else "fn.defjvp(jvp)"
            raise ValueError(f"{function} is a {kind} without its rule; call {rule} first")
        fn = bind_static(fn, function, static)
        return fn, fn.fun, kind, function, static
    function = _name(fn.fun if isinstance(fn, jax.custom_vjp | jax.custom_jvp) else fn)
    return (_bind_plain(fn, function, static), _bind_plain(primal, _name(primal), static),
            "function", function, static)


def _bind_plain(fn: Callable[..., Any], function: str,
                static: Mapping[str, Any] | None) -> Callable[..., Any]:
    """``fn`` of the arguments that are not ``static``, those given their values."""
    if not static:
        return fn
    signature = inspect.signature(fn)
    if not isinstance(static, Mapping) or any(n not in signature.parameters for n in static):
        raise ValueError(f"static={static!r} must map arguments of {function}{signature} "
                         "to the values they are called with")
    rest = signature.replace(parameters=[p for p in signature.parameters.values()
                                         if p.name not in static])

    def bound(*values: Any) -> Any:
        return fn(**rest.bind(*values).arguments, **static)

    bound.__signature__ = rest  # type: ignore[attr-defined]
    bound.__name__ = function
    return bound


def bind_static(fn: Any, function: str, static: Mapping[str, Any] | None) -> Any:
    """``fn`` with its ``static`` arguments given their values: a rule of the same kind over
    the other arguments (``fn`` itself when there are none).

    A static argument is passed as given, any Python value (a flag, a window size, a
    mask); the arguments in ``fn``'s ``nondiff_argnums`` must be among them. The new
    rule's ``fwd`` and ``bwd`` (or ``jvp``) are ``fn``'s with those values, the
    cotangents of static arguments left out; its primal is ``fn``'s undecorated
    primal with those values, so the reference still never runs ``fn``'s rule.
    """
    signature = inspect.signature(fn.fun)
    names = list(signature.parameters)
    if not isinstance(static or {}, Mapping) or any(n not in names for n in static or {}):
        raise ValueError(f"static={static!r} must map arguments of {function}{signature} "
                         "to the values they are called with")
    static = dict(static or {})
    nondiff = [names[i] for i in fn.nondiff_argnums]
    if any(n not in static for n in nondiff):
        wanted = ", ".join(f"{n!r}: ..." for n in nondiff)
        raise ValueError(f"{function} has nondiff_argnums={fn.nondiff_argnums} "
                         f"({', '.join(nondiff)}); give their values as static={{{wanted}}}")
    if not static:
        return fn
    rest = signature.replace(parameters=[p for p in signature.parameters.values()
                                         if p.name not in static])
    differentiable = [n for i, n in enumerate(names) if i not in fn.nondiff_argnums]

    def full(values: tuple[Any, ...]) -> list[Any]:
        bound = signature.bind(**rest.bind(*values).arguments, **static)
        bound.apply_defaults()
        return list(bound.args)

    def primal(*values: Any) -> Any:
        return fn.fun(*full(values))

    primal.__signature__ = rest  # type: ignore[attr-defined]
    primal.__name__ = function
    fixed = [static[n] for n in nondiff]
    if isinstance(fn, jax.custom_vjp):
        return _bound_vjp(fn, primal, full, fixed,
                          [n in static for n in differentiable])
    return _bound_jvp(fn, primal, full, fixed, names, differentiable, list(rest.parameters))


def _bound_vjp(fn: Any, primal: Callable[..., Any], full: Callable[[Any], list[Any]],
               fixed: list[Any], dropped: list[bool]) -> Any:
    """A ``custom_vjp`` of ``primal`` whose rule is ``fn``'s with the static values: its
    ``fwd`` on the full arguments, its ``bwd`` given the ``nondiff_argnums`` values
    ``fixed``, the cotangents marked in ``dropped`` (static arguments) left out."""
    rule: Any = jax.custom_vjp(primal)
    fwd: Any = fn.fwd
    bwd: Any = fn.bwd

    def bound_bwd(residuals: Any, g: Any) -> tuple[Any, ...]:
        cts = bwd(*fixed, residuals, g)
        return tuple(ct for ct, drop in zip(cts, dropped, strict=False) if not drop)

    rule.defvjp(lambda *values: fwd(*full(values)), bound_bwd)
    return rule


def _bound_jvp(fn: Any, primal: Callable[..., Any], full: Callable[[Any], list[Any]],
               fixed: list[Any], names: list[str], differentiable: list[str],
               free: list[str]) -> Any:
    """A ``custom_jvp`` of ``primal`` whose rule is ``fn``'s with the static values: a
    static argument outside ``nondiff_argnums`` gets a zero tangent."""
    rule: Any = jax.custom_jvp(primal)
    jvp: Any = fn.jvp

    def bound_jvp(primals: tuple[Any, ...], tangents: tuple[Any, ...]) -> Any:
        xs, dxs = full(primals), dict(zip(free, tangents, strict=False))
        keep = [i for i, n in enumerate(names) if n in differentiable]
        ts = [dxs[names[i]] if names[i] in dxs else jnp.zeros_like(jnp.asarray(xs[i]))
              for i in keep]
        return jvp(*fixed, tuple(xs[i] for i in keep), tuple(ts))

    rule.defjvp(bound_jvp)
    return rule


def _with_fixed(fn: Any, fixed: list[functools.partial[Any]],
                static: Mapping[str, Any] | None) -> Mapping[str, Any] | None:
    """``static`` with the arguments that the ``functools.partial`` wrappers ``fixed``
    (outermost first) give ``fn``'s rule: their positional values fill its first
    arguments, their keywords the arguments they name."""
    if not fixed:
        return static
    names = list(inspect.signature(fn.fun if isinstance(fn, jax.custom_vjp | jax.custom_jvp)
                                   else fn).parameters)
    values: list[Any] = []
    keywords: dict[str, Any] = {}
    for wrapper in reversed(fixed):  # the innermost partial's arguments come first
        values += wrapper.args
        keywords.update(wrapper.keywords)
    bound = {**dict(zip(names, values, strict=False)), **keywords}
    clash = sorted(set(bound) & set(static or {}))
    if clash:
        raise ValueError(f"static names {clash}, which functools.partial already fixes in "
                         f"{_name(fn)}; give each value once")
    return {**bound, **(static or {})}


def _unwrapped(fn: Any) -> tuple[Any, list[functools.partial[Any]]]:
    """The ``jax.custom_vjp`` or ``jax.custom_jvp`` function ``fn`` is or wraps: through
    ``jax.jit`` (and any ``functools.wraps`` wrapper), ``functools.partial`` (the
    arguments it fixes become static) and a ``jnp.ufunc``'s function; with the
    partials looked through, outermost first.

    Raises
    ------
    TypeError
        Naming each wrapper looked through and what was found at the end.
    """
    seen, current = [], fn
    fixed: list[functools.partial[Any]] = []
    for _ in range(8):  # a chain of wrappers this long is not a library's entry point
        if isinstance(current, jax.custom_vjp | jax.custom_jvp):
            return current, fixed
        inner = getattr(current, "__wrapped__", None)
        if isinstance(current, functools.partial):
            fixed.append(current)
            inner, kind = current.func, "functools.partial"
        elif isinstance(current, jnp.ufunc):
            inner, kind = getattr(current, "_func", inner), "jnp.ufunc"
        else:
            kind = "jax.jit of" if hasattr(current, "lower") else type(current).__name__
        if inner is None:
            break
        seen.append(f"{kind} {_name(current)}")
        current = inner
    path = "".join(f"{step}, wrapping " for step in seen)
    raise TypeError(
        "from_jax takes a function decorated with jax.custom_vjp or jax.custom_jvp (or "
        f"jax.jit of one); got {path}{current!r}, which has no custom rule of its own: a "
        "rule called inside it is checked by passing that decorated function itself")


def _stacking(primal: Callable[..., Any], spec: Any) -> Callable[..., Any]:
    """``primal`` whose several outputs are stacked into the layer's output ``z``: the
    reference differentiates that stack, so every checked output is checked."""

    @functools.wraps(primal)
    def stacked(*values: Any) -> Any:
        return spec.stacked(primal(*values), jnp.concatenate)

    return stacked


def _zero_cotangent(output: Any) -> Any:
    """The zero cotangent of one output: of its shape, ``float0`` if it is not float."""
    if jnp.issubdtype(output.dtype, jnp.inexact):
        return jnp.zeros(output.shape, output.dtype)
    return np.zeros(output.shape, dtype=jax.dtypes.float0)


def _name(fn: Any) -> str:
    return str(getattr(fn, "__name__", type(fn).__name__))


def _abstract_arguments(cls: type[JaxLayer], n_in: int, n_out: int) -> list[Any]:
    """The function's arguments as shapes only, for ``jax.eval_shape``."""
    spec = cls.spec
    struct: Any = jax.ShapeDtypeStruct
    return [struct(shape, jnp.float64) for shape in probe_shapes(spec, n_in, n_out)]


def _reference_mode(cls: type[JaxLayer], n_in: int, n_out: int,
                    finite_differences: bool) -> tuple[str, str]:
    """How the reference differentiates the primal, and why not by reverse mode.

    Runs on shapes only (``jax.eval_shape``): the primal, its VJP, its JVP.
    """
    spec, args = cls.spec, _abstract_arguments(cls, n_in, n_out)
    with _user_code():
        wanted = probe_output(spec, lambda: jax.eval_shape(cls.primal, *args), n_in, n_out)
        if finite_differences:
            return "finite differences", "asked for (reference='finite differences')"
        try:
            jax.eval_shape(lambda *xs: jax.vjp(cls.primal, *xs)[1](jnp.zeros(wanted)), *args)
            return "reverse", ""
        except Exception as exc:
            reverse = one_line(exc)
        try:
            jax.eval_shape(lambda *xs: jax.jvp(cls.primal, xs, xs), *args)
            return "forward", reverse
        except Exception as exc:
            return "finite differences", f"autodiff fails: {one_line(exc)}"


def _narrow_precision(cls: type[JaxLayer], n_in: int, n_out: int) -> list[str]:
    """Where the user's code computes in a float narrower than float64, traced at one
    probe: the primal, and the rule (``fwd`` and ``bwd``, or ``jvp``); one line per
    part, its first such operation with its source line when JAX recorded it."""
    fn: Any = cls.function
    args = _abstract_arguments(cls, n_in, n_out)
    out: Any = None
    parts: list[tuple[str, Callable[..., Any], list[Any]]] = [("the primal", cls.primal, args)]
    with _user_code():
        if isinstance(fn, jax.custom_vjp):
            fwd: Any = fn.fwd  # set: a rule without its fwd and bwd is refused before
            bwd: Any = fn.bwd
            out, residuals = jax.eval_shape(fwd, *args)
            parts += [("fwd", fwd, args), ("bwd", bwd, [residuals, out])]
        else:
            parts.append(("jvp", lambda *xs: fn.jvp(xs, xs), args))
        found = []
        for part, f, xs in parts:
            try:
                traced = jax.make_jaxpr(f)(*xs)
            except Exception:  # not traceable alone: the checks will say what fails
                continue
            first = next(_narrow_operations(traced.jaxpr), None)
            if first is not None:
                found.append(f"{part}: {first}")
    return found


def _narrow_operations(jaxpr: Any) -> Iterator[str]:
    """``convert_element_type to float32 (2, 3) at rule.py:12 (bwd)`` for each operation of
    ``jaxpr`` (and the jaxprs inside it) whose result is a float narrower than float64."""
    for eqn in jaxpr.eqns:
        for var in eqn.outvars:
            dtype = getattr(getattr(var, "aval", None), "dtype", None)
            if dtype is not None and str(dtype) in NARROW_FLOATS:
                yield (f"{eqn.primitive.name} to {dtype} {tuple(var.aval.shape)}"
                       f"{_source_of(eqn)}")
                break
        for value in eqn.params.values():
            for inner in value if isinstance(value, tuple | list) else (value,):
                inner = getattr(inner, "jaxpr", inner)
                if hasattr(inner, "eqns"):
                    yield from _narrow_operations(inner)


def _source_of(eqn: Any) -> str:
    """`` at file.py:12 (function)``: where JAX recorded ``eqn`` was written; ``""`` if
    this JAX does not say (its source information is not part of JAX's public API)."""
    try:
        from jax._src import source_info_util

        frame: Any = source_info_util.user_frame(eqn.source_info.traceback)
        name = frame.function_name.rpartition(".")[2]
        return f" at {Path(frame.file_name).name}:{frame.start_line} ({name})"
    except Exception:
        return ""
