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

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, cast

import jax
import jax.numpy as jnp
import numpy as np

from proofcheck._types import Array, Float64Array
from proofcheck.errors import one_line
from proofcheck.frameworks._wrapped import (
    OutputWidth,
    WrappedLayer,
    caller_module,
    class_name,
    describe_arguments,
    finite_difference_vjp,
    host_reference,
    output_width_of,
    probe_output,
    probe_shapes,
    probe_widths,
)
from proofcheck.layers._protocol import Parameters

__all__ = ["JaxLayer", "make_jax_layer"]

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
        try:
            with _user_code():
                out = jax.eval_shape(cls.primal, *args)
        except Exception:
            return None
        return output_width_of(spec, out)

    def _arguments(self, a: Array, params: Parameters) -> list[Any]:
        return self.user_arguments(a, params, lambda v: jnp.asarray(v, dtype=jnp.float64))

    def run(self, a: Float64Array, params: Parameters) -> Float64Array:
        with _user_code():
            args = self._arguments(a, params)
            if isinstance(self.function, jax.custom_vjp) and not self.function.symbolic_zeros:
                z = self._fwd(args)[0]
            else:
                z = self.function(*args)
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
                _, residuals = self._fwd(args)
                bwd: Any = self.function.bwd
                cts = bwd(residuals, g)
                rule = f"{self.spec.function}'s bwd"
            else:
                _, pullback = jax.vjp(self.function, *args)
                cts = pullback(g)
                rule = f"the transpose of {self.spec.function}'s custom JVP rule"
            cts = jax.tree_util.tree_map(np.asarray, cts, is_leaf=lambda x: x is None)
        return self.cotangents(cts, a, params, rule)

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
                   bounds: Mapping[str, float] | None, reference: str) -> type[JaxLayer]:
    """:func:`proofcheck.frameworks.from_jax` (same arguments), JAX imported."""
    if not isinstance(fn, jax.custom_vjp | jax.custom_jvp):
        wrapped = getattr(fn, "__wrapped__", None)
        hint = (" (it wraps one: pass the decorated function itself, not jax.jit of it)"
                if isinstance(wrapped, jax.custom_vjp | jax.custom_jvp) else "")
        raise TypeError(f"from_jax takes a function decorated with jax.custom_vjp or "
                        f"jax.custom_jvp; got {fn!r}{hint}")
    kind = "custom_vjp" if isinstance(fn, jax.custom_vjp) else "custom_jvp"
    function = getattr(fn.fun, "__name__", kind)
    if fn.nondiff_argnums:
        raise ValueError(f"{function} has nondiff_argnums={fn.nondiff_argnums}; close over "
                         "settings instead (functools.partial of the primal before decorating)")
    if (kind == "custom_vjp" and getattr(fn, "bwd", None) is None) or (
            kind == "custom_jvp" and getattr(fn, "jvp", None) is None):
        rule = "fn.defvjp(fwd, bwd)" if kind == "custom_vjp" else "fn.defjvp(jvp)"
        raise ValueError(f"{function} is a {kind} without its rule; call {rule} first")
    if reference not in ("auto", "finite differences"):
        raise ValueError(f"reference={reference!r} must be 'auto' or 'finite differences'")
    spec = describe_arguments(fn.fun, function, input=input, parameters=parameters,
                              n_out=n_out, examples=examples, bounds=bounds)
    label = name if name is not None else function
    if not isinstance(label, str) or not label:
        raise TypeError(f"name={name!r} must be a non-empty string")
    cls = cast(type[JaxLayer], type(class_name(label), (JaxLayer,), {
        "name": label, "spec": spec, "function": fn, "primal": staticmethod(fn.fun),
        "mode": "reverse", "__doc__": f"{spec.signature_text()}, a jax.{kind} checked "
                                      "by proofcheck (made by proofcheck.frameworks.from_jax).",
        "__module__": caller_module()}))
    widths = probe_widths(cls)
    if not widths:
        raise ValueError(f"{spec.signature_text()} has no input width in 1..8 with an output "
                         "width (check n_out, or the primal on small inputs)")
    cls.min_width = widths[0][0]
    cls.mode, why = _reference_mode(cls, *widths[0], reference == "finite differences")
    primal = f"the undecorated primal {function} (the {kind} rule bypassed)"
    cls.reference = {
        "reverse": f"JAX reverse-mode autodiff of {primal}",
        "forward": f"JAX forward-mode autodiff (jacfwd) of {primal}; reverse mode fails: {why}",
        "finite differences": f"finite differences (numpy) of {primal}; {why}",
    }[cls.mode]
    return cls


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
