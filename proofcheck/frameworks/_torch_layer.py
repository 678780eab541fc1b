"""A layer type from a ``torch.autograd.Function``: :func:`from_torch`.

The code under check is the Function's ``backward``. For a Function class it
is called with the node that ``apply`` recorded (the ``ctx`` training gives
it: its saved tensors, ``needs_input_grad``), so that each cotangent it returns
is seen on its own and a wrong one is named by its argument; a cotangent of a
broadcast shape is summed to its argument's shape as torch's autograd does
before it reaches the argument. For a plain function that calls a Function (an
``nn.Module``'s computation written as a function of its parameters) the
products are the arguments' ``.grad`` after ``torch.autograd.backward`` of it,
as training computes them (reentrant checkpointing works only that way).

The reference never calls the custom ``backward``: it is torch's autograd of
``primal`` when one is given, else of the Function's ``forward`` run outside
``apply`` (so that autograd records its operations, with a ``ctx`` that keeps
what is saved and ignores the rest); where neither can run (a forward that
leaves torch, or a plain function without ``primal``), central finite
differences of the forward computation. Which one is probed when the layer
type is made and stated in its ``reference``.

In the oracle's network the layer is a JAX function whose value is computed by
torch and whose VJP is that reference (:func:`._wrapped.host_reference`): the
other layers' pullbacks compose with it by the chain rule. Everything runs in
float64 on the CPU.
"""

from __future__ import annotations

import contextlib
import importlib
import inspect
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, cast

import numpy as np

from proofcheck._types import Array, Float64Array
from proofcheck.errors import one_line
from proofcheck.frameworks._wrapped import (
    PROBE_BATCH,
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

__all__ = ["TorchLayer", "make_torch_layer"]

# Imported by name, so that type-checking proofcheck is the same with or without the
# optional extra installed (PyTorch's types do not reach proofcheck's public API).
torch: Any = importlib.import_module("torch")


def _tensor(x: Any, grad: bool = False) -> Any:
    """A float64 tensor of ``x``, contiguous with the strides a new tensor has, as a
    layer's input and gradient usually are in training. A transposed view of proofcheck's
    ``(n, N)`` arrays would keep its strides (a ``Function`` that calls ``.view`` on it
    raises), and even a contiguous one keeps odd strides along an axis of size 1, which
    ``torch.while_loop`` refuses: so always a fresh row-major copy."""
    return torch.tensor(np.array(x, dtype=np.float64, order="C"), dtype=torch.float64,
                        requires_grad=grad)


def _numpy(t: Any) -> Any:
    if t is None:
        return None
    if isinstance(t, torch.Tensor):
        return t.detach().cpu().numpy().astype(np.float64)
    return t


class _Context:
    """A ``ctx`` for running a Function's ``forward`` outside ``apply``: it keeps what is
    saved and accepts the marks that only the custom ``backward`` would use."""

    def __init__(self, n_inputs: int) -> None:
        self.needs_input_grad = (True,) * n_inputs
        self.saved_tensors: tuple[Any, ...] = ()

    def save_for_backward(self, *tensors: Any) -> None:
        self.saved_tensors = tensors

    def save_for_forward(self, *tensors: Any) -> None:
        pass

    def mark_dirty(self, *tensors: Any) -> None:
        pass

    def mark_non_differentiable(self, *tensors: Any) -> None:
        pass

    def set_materialize_grads(self, value: bool) -> None:
        pass


class TorchLayer(WrappedLayer):
    """A layer type around a ``torch.autograd.Function`` (or a function that calls one)."""

    #: The Function class, or ``None`` for a plain function.
    function_class: Any
    #: What the networks call: ``Function.apply`` or the plain function.
    call: Callable[..., Any]
    #: The forward computation without the custom rule, or ``None``.
    primal: Callable[..., Any] | None
    #: ``"primal"``, ``"forward"`` or ``"finite differences"``: how the reference runs.
    mode: str
    #: The described arguments' values with the ``static`` ones put back, in call order.
    full: Callable[[Sequence[Any]], list[Any]]
    #: The positions of the static arguments among the forward computation's.
    dropped: tuple[int, ...] = ()

    @classmethod
    def inferred_width(cls, n_in: int) -> int | None:
        spec = cls.spec
        args = [torch.zeros(shape, dtype=torch.float64) for shape in probe_shapes(spec, n_in, 1)]
        out, error = None, None
        try:
            with torch.no_grad():
                out = cls.call(*args)
            out = spec.stacked(out, torch.cat)
        except Exception as exc:
            error = exc
        width = None if error is not None else output_width_of(spec, out)
        if width is None:
            callee = f"{spec.function}.apply" if cls.function_class is not None else spec.function
            cls.probe_failures.append(ProbeFailure(
                n_in, probe_call(spec, n_in, 1, callee), probe_problem(out, error)))
        return width

    def _arguments(self, a: Float64Array, params: Parameters, grad: bool = False
                   ) -> list[Any]:
        return self.user_arguments(a, params, lambda v: _tensor(v, grad))

    def run(self, a: Float64Array, params: Parameters) -> Float64Array:
        with torch.no_grad():
            z = self.spec.stacked(self.call(*self._arguments(a, params)), torch.cat)
        return self.output(_numpy(z), a, f"{self.spec.function} (as called)")

    def rule(self, a: Float64Array, params: Parameters,
             delta: Float64Array) -> tuple[Float64Array, dict[str, Float64Array]]:
        args = self._arguments(a, params, grad=True)
        g = _tensor(self.spec.to_user(delta))
        z = self.call(*args)
        self.spec.stacked(z, torch.cat)  # the checks of the layer's output
        outs = tuple(z) if self.spec.outputs else (z,)
        if not all(isinstance(out, torch.Tensor) for out in outs):
            raise ValueError(f"{self.spec.function} returned {type(z).__name__}; expected one "
                             "tensor (name several with outputs=)")
        gs = self.spec.split(g, z, lambda out: torch.zeros(out.shape, dtype=torch.float64))
        checked = [i for i, n in enumerate(self.spec.outputs or ("",))
                   if n not in self.spec.ignore]
        node = outs[checked[0]].grad_fn
        if self.function_class is not None and node is not None and hasattr(node, "saved_tensors"):
            with torch.no_grad():
                cts = self.function_class.backward(node, *gs)
            if not isinstance(cts, tuple):
                cts = (cts,)
            cts = tuple(ct for i, ct in enumerate(cts) if i not in self.dropped)
            cts = tuple(_reduced(ct, arg) for ct, arg in zip(cts, args, strict=False)) + tuple(
                cts[len(args):])
            rule = f"{self.spec.function}.backward"
        else:
            # backward() into the arguments' .grad, as training runs it: reentrant
            # checkpointing (torch.utils.checkpoint) refuses torch.autograd.grad.
            torch.autograd.backward([outs[i] for i in checked], [gs[i] for i in checked])
            cts = tuple(arg.grad for arg in args)
            rule = f"autograd through {self.spec.function}"
        return self.cotangents([_numpy(ct) for ct in cts], a, params, rule)

    def reference_forward(self, a: Array, params: Parameters) -> Array:
        return host_reference(self)(a, params)

    @classmethod
    def _reference_output(cls, args: list[Any]) -> Any:
        """The forward computation with the custom rule bypassed, recorded by autograd
        (several outputs stacked, :meth:`Description.stacked`)."""
        args = cls.full(args)
        if cls.primal is not None:
            return cls.spec.stacked(cls.primal(*args), torch.cat)
        forward = cls.function_class.forward
        if _has_setup_context(cls.function_class):
            return cls.spec.stacked(forward(*args), torch.cat)
        return cls.spec.stacked(forward(_Context(len(args)), *args), torch.cat)

    @classmethod
    def _stacked_call(cls, *args: Any) -> Any:
        """What the networks call, several outputs stacked."""
        return cls.spec.stacked(cls.call(*args), torch.cat)

    def reference_value(self, a: Float64Array, params: Parameters) -> Float64Array:
        with torch.no_grad():
            z = (self._stacked_call(*self._arguments(a, params))
                 if self.mode == "finite differences"
                 else self._reference_output(self._arguments(a, params)))
        return self.output(_numpy(z), a, f"the reference of {self.spec.function}")

    def reference_pullback(self, a: Float64Array, params: Parameters, delta: Float64Array
                           ) -> tuple[Float64Array, dict[str, Float64Array]]:
        g = np.asarray(self.spec.to_user(delta), dtype=np.float64)
        if self.mode != "finite differences":
            args = self._arguments(a, params, grad=True)
            z = self._reference_output(args)
            cts = torch.autograd.grad(z, args, grad_outputs=_tensor(g), allow_unused=True)
            return self.cotangents([_numpy(ct) for ct in cts], a, params,
                                   f"the reference of {self.spec.function}")
        values = [_numpy(t) for t in self._arguments(a, params)]
        out = []
        for i in range(len(values)):
            def along(x: Float64Array, i: int = i) -> Float64Array:
                args = [_tensor(v) for v in values]
                args[i] = _tensor(x)
                with torch.no_grad():
                    return np.asarray(_numpy(self._stacked_call(*args)), dtype=np.float64)

            out.append(finite_difference_vjp(along, values[i], g))
        return self.cotangents(out, a, params, f"the reference of {self.spec.function}")


def _reduced(ct: Any, arg: Any) -> Any:
    """``ct`` summed to ``arg``'s shape where torch's autograd would sum it (a cotangent of
    a shape that ``arg`` broadcasts to); anything else unchanged, to be judged."""
    if not isinstance(ct, torch.Tensor) or ct.shape == arg.shape:
        return ct
    try:
        if torch.broadcast_shapes(arg.shape, ct.shape) == ct.shape:
            return ct.sum_to_size(arg.shape)
    except RuntimeError:
        pass
    return ct


def _has_setup_context(function_class: Any) -> bool:
    """Whether the Function's ``forward`` takes no ``ctx`` (it defines ``setup_context``)."""
    return bool(function_class.setup_context is not torch.autograd.Function.setup_context)


def make_torch_layer(fn: Any, *, parameters: Mapping[str, Sequence[int | str]], input: str,
                     n_out: OutputWidth, examples: str, name: str | None,
                     bounds: Mapping[str, float] | None, primal: Callable[..., Any] | None,
                     reference: str, static: Mapping[str, Any] | None = None,
                     outputs: Sequence[str] | None = None, ignore: Sequence[str] = (),
                     layout: Sequence[int | str] | None = None, per_example: Sequence[str] = (),
                     sizes: Mapping[str, int] | None = None,
                     min_batch: int = 1) -> type[TorchLayer]:
    """:func:`proofcheck.frameworks.from_torch` (same arguments), PyTorch imported."""
    is_class = isinstance(fn, type) and issubclass(fn, torch.autograd.Function)
    if isinstance(fn, type) and not is_class:
        raise TypeError(f"from_torch takes a torch.autograd.Function subclass or a function "
                        f"that calls one; got the class {fn.__name__}")
    if isinstance(fn, torch.nn.Module):
        raise TypeError(f"from_torch got an nn.Module ({type(fn).__name__}); give a function of "
                        "the input and the parameters that calls the module's Function, and "
                        "its primal, so that proofcheck can draw the parameters")
    if not is_class and not callable(fn):
        raise TypeError(f"from_torch takes a torch.autograd.Function subclass or a function "
                        f"that calls one; got {fn!r}")
    check_primal_and_reference(primal, reference)
    function = fn.__name__ if is_class else getattr(fn, "__name__", "function")
    arguments, full, dropped = _bind_static(_signature_of(fn, is_class), function, static)
    spec = describe_arguments(arguments, function, input=input, parameters=parameters,
                              n_out=n_out, examples=examples, bounds=bounds,
                              outputs=outputs, ignore=ignore, layout=layout,
                              per_example=per_example, sizes=sizes)
    target = fn.apply if is_class else fn
    label = name if name is not None else function
    if not isinstance(label, str) or not label:
        raise TypeError(f"name={name!r} must be a non-empty string")
    cls = cast(type[TorchLayer], type(class_name(label), (TorchLayer,), {
        "name": label, "spec": spec, "function_class": fn if is_class else None,
        "call": staticmethod(target if not dropped else lambda *xs: target(*full(xs))),
        "full": staticmethod(full),
        "dropped": dropped,
        "primal": staticmethod(primal) if primal is not None else None,
        "mode": "finite differences", "__module__": caller_module(),
        "__doc__": f"{spec.signature_text()}, a torch.autograd.Function checked by "
                   "proofcheck (made by proofcheck.frameworks.from_torch)."}))
    if primal is None:
        cls.primal = None
    widths = probe_widths(cls)
    if not widths:
        raise ValueError(no_width_message(cls, "the function"))
    cls.min_width = widths[0][0]
    cls.min_batch = batch_at_least(min_batch)
    cls.mode, why = _reference_mode(cls, *widths[0], reference == "finite differences")
    cls.narrow_precision = _narrow_precision(cls, *widths[0])
    bypassed = "the custom backward bypassed" + "".join(
        f", {k}={v!r}" for k, v in (static or {}).items())
    cls.reference = {
        "primal": f"torch autograd of the primal {getattr(primal, '__name__', 'function')} "
                  f"given for {function} ({bypassed})",
        "forward": f"torch autograd of {function}.forward run outside apply ({bypassed})",
        "finite differences": f"finite differences (numpy) of {function}'s forward "
                              f"computation ({bypassed}); {why}",
    }[cls.mode]
    return cls


def _signature_of(fn: Any, is_class: bool) -> Callable[..., Any]:
    """A function with the arguments of ``fn``'s forward computation, for the description."""
    target = fn.forward if is_class else fn
    try:
        signature = inspect.signature(target)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"cannot read the arguments of {fn!r}: {exc}") from None
    parameters = list(signature.parameters.values())
    if is_class and not _has_setup_context(fn):
        parameters = parameters[1:]  # ctx

    def arguments() -> None:
        """The forward computation's arguments."""

    arguments.__signature__ = signature.replace(parameters=parameters)  # type: ignore[attr-defined]
    return arguments


def _bind_static(arguments: Callable[..., Any], function: str,
                 static: Mapping[str, Any] | None
                 ) -> tuple[Callable[..., Any], Callable[[Sequence[Any]], list[Any]],
                            tuple[int, ...]]:
    """The arguments to describe (those of ``arguments`` but the ``static`` ones), a function
    that puts the static values back among the others in call order, and the static
    arguments' positions (``backward`` returns a gradient for each; they are left out).

    A static argument is passed as given, any Python value (a size, a flag, a function).
    """
    signature = inspect.signature(arguments)
    names = list(signature.parameters)
    if not isinstance(static or {}, Mapping) or any(n not in names for n in static or {}):
        raise ValueError(f"static={static!r} must map arguments of {function}{signature} "
                         "to the values they are called with")
    static = dict(static or {})
    if not static:
        return arguments, list, ()
    rest = signature.replace(parameters=[p for p in signature.parameters.values()
                                         if p.name not in static])

    def full(values: Sequence[Any]) -> list[Any]:
        bound = signature.bind(**rest.bind(*values).arguments, **static)
        bound.apply_defaults()
        return list(bound.args)

    def described() -> None:
        """The forward computation's arguments but the static ones."""

    described.__signature__ = rest  # type: ignore[attr-defined]
    return described, full, tuple(names.index(n) for n in static)


def _reference_mode(cls: type[TorchLayer], n_in: int, n_out: int,
                    finite_differences: bool) -> tuple[str, str]:
    """How the reference differentiates the forward computation, probed at one point;
    and why not by autograd."""
    spec = cls.spec
    rng = np.random.default_rng(0)
    args = [_tensor(rng.uniform(-1.0, 1.0, s), grad=True)
            for s in probe_shapes(spec, n_in, n_out)]
    probe_output(spec, lambda: cls._stacked_call(*args), n_in, n_out)
    if finite_differences:
        return "finite differences", "asked for (reference='finite differences')"
    if cls.primal is None and cls.function_class is None:
        return "finite differences", "a plain function without primal= has no other"
    try:
        z = cls._reference_output(args)
        if not isinstance(z, torch.Tensor) or z.grad_fn is None:
            raise ValueError("its output is not recorded by autograd")
        torch.autograd.grad(z, args, grad_outputs=torch.ones_like(z), allow_unused=True)
    except Exception as exc:
        return "finite differences", f"autograd of it fails: {one_line(exc)}"
    return ("primal" if cls.primal is not None else "forward"), ""


def _narrow_precision(cls: type[TorchLayer], n_in: int, n_out: int) -> tuple[str, ...]:
    """Where the user's code computes in a float narrower than float64, seen by running
    it once at a probe (the forward computation as called, then its backward rule):
    the first such operation of each, with the user's source line."""
    layer = cls(n_in, n_out)
    a = np.full((n_in, PROBE_BATCH), 0.5)
    params = {n: np.full(shape, 0.5) for n, shape in layer.parameter_shapes().items()}
    delta = np.full((n_out, PROBE_BATCH), 0.5)
    seen: dict[str, list[str]] = {}
    for part, run in (("forward", lambda: layer.run(a, params)),
                      ("backward", lambda: layer.rule(a, params, delta))):
        # A failure here is the checks' to report, with where: this run only watches.
        with _NarrowWatch() as watch, contextlib.suppress(Exception):
            run()
        seen[part] = watch.found
    backward = [op for op in seen["backward"] if op not in seen["forward"]]
    return tuple(f"{part}: {ops[0]}" for part, ops in
                 (("forward", seen["forward"]), ("backward", backward)) if ops)


class _NarrowWatch(torch.overrides.TorchFunctionMode):  # type: ignore[misc]
    """Records each torch operation whose result is a float tensor narrower than float64
    (``zeros to torch.float32 (2, 3) at rule.py:12``), in order, once each."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def __torch_function__(self, func: Any, types: Any, args: Any = (),
                           kwargs: Any = None) -> Any:
        out = func(*args, **(kwargs or {}))
        for t in out if isinstance(out, tuple | list) else (out,):
            if (isinstance(t, torch.Tensor) and t.is_floating_point()
                    and t.dtype != torch.float64):
                name = getattr(func, "__name__", str(func))
                text = f"{name} to {t.dtype} {tuple(t.shape)}{_user_line()}"
                if text not in self.found:
                    self.found.append(text)
                break
        return out


def _user_line() -> str:
    """`` at file.py:12 (function)``: the innermost caller outside torch and proofcheck."""
    import traceback

    skip = (Path(torch.__file__).parent, Path(__file__).resolve().parent.parent)
    for frame in reversed(traceback.extract_stack()):
        path = Path(frame.filename).resolve()
        if not any(path.is_relative_to(folder) for folder in skip):
            return f" at {path.name}:{frame.lineno} ({frame.name})"
    return ""
