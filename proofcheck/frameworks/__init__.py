"""``from_jax`` and ``from_torch``: a function with a custom backward rule as a layer type.

Researchers write a hand-derived backward pass where their layer runs: as the
rule of a ``jax.custom_vjp`` (or ``jax.custom_jvp``) function, or as the
``backward`` of a ``torch.autograd.Function``. These two functions make such
code a :class:`~proofcheck.layers.LayerMap`, unchanged, so that the generalized
theorem (G.base, G.step, G.param) checks it in networks with every registered
layer type, shrinks a failure to a small network and names the product at
fault. The code under check is the user's backward rule; the reference is
autodiff of the user's *forward* computation with that rule bypassed, or finite
differences of it where autodiff cannot run (see :mod:`._wrapped`,
:mod:`._jax_layer` and :mod:`._torch_layer`).

JAX is imported when :func:`from_jax` is called and PyTorch when
:func:`from_torch` is: ``import proofcheck.layers`` needs neither, and
PyTorch is an optional extra (``pip install "proofcheck[torch]"``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from proofcheck.layers._protocol import LayerMap

__all__ = ["TORCH_INSTALL", "from_jax", "from_torch"]

#: The command that installs PyTorch for proofcheck.
TORCH_INSTALL = 'pip install "proofcheck[torch]"'


def from_jax(fn: Any, *, parameters: Mapping[str, Sequence[int | str]], input: str = "a",
             n_out: int | Callable[[int], int | None] | None = None, examples: str = "rows",
             name: str | None = None, bounds: Mapping[str, float] | None = None,
             reference: str = "auto", static: Mapping[str, Any] | None = None,
             primal: Callable[..., Any] | None = None, outputs: Sequence[str] | None = None,
             ignore: Sequence[str] = (), layout: Sequence[int | str] | None = None,
             per_example: Sequence[str] = (), sizes: Mapping[str, int] | None = None,
             min_batch: int = 1) -> type[LayerMap]:
    """A layer type whose products are the custom backward rule of ``fn``.

    The reference is JAX's reverse-mode autodiff of the undecorated primal ``fn.fun``
    (or ``primal``), else forward mode, else finite differences. The result is a
    :class:`~proofcheck.layers.LayerMap` subclass (``verify --layer MODULE:ATTR``).

    Parameters
    ----------
    fn : jax.custom_vjp or jax.custom_jvp, or any JAX function with ``primal``
        The decorated function, or ``jax.jit``, a ``jnp.ufunc`` or ``functools.partial``
        of it (the arguments a partial fixes are static).
    parameters, input : dict of str to tuple, str
        Each argument of ``fn`` but ``input`` (the layer's input ``a``; defaults may be
        left out), its shape in ``"n_in"``, ``"n_out"``, integers: ``{"W": ("n_in", 2)}``.
    n_out : int, callable or None
        An integer, a function of ``n_in`` (``None`` for a width not taken), or
        ``None``: drawn when a shape names ``"n_out"``, else read off the output.
    examples : {"rows", "columns"}
        ``a : (N, n_in)`` to ``(N, n_out)``, or transposed (``"columns"``).
    layout, sizes : tuple, dict of str to int, optional
        The input's axes, ``"N"`` first: ``("N", "heads", "n_in", "dim")`` with
        ``sizes={"heads": 2, "dim": 4}``; ``a`` flattens them (so does ``z``).
    per_example : tuple of str
        Other arguments in ``layout`` (``y`` of ``f(x, y)``): ``a`` stacks them after
        ``input``, so ``J_a^T delta`` holds the rule's cotangent of each.
    outputs, ignore : tuple of str, optional
        For several outputs, their names in order: ``z`` stacks them along the features
        (the first is the layer's output, the rest auxiliary, checked with it; ``n_out``
        is the stack's width); those in ``ignore`` (an integer exponent) are left out.
    static : dict of str to object, optional
        Arguments passed as given (a flag, a size, a mask), with all ``nondiff_argnums``.
    primal : callable, optional
        ``fn``'s value without its rules, same arguments: ``fn`` may then be any JAX
        function calling rules inside (checked through JAX's reverse mode of ``fn``).
    name, bounds, reference, min_batch : optional
        The name in reports; a parameter's entries drawn in ``[-bound, bound]``; ``"finite
        differences"`` forces the last reference; the fewest examples ``fn`` takes.

    Raises
    ------
    TypeError, ValueError
        Naming the argument and shapes: ``fn`` has no rule, the description does not
        fit it, or the primal fails or returns the wrong shape on a probe.
    """
    from proofcheck.frameworks._jax_layer import make_jax_layer

    return make_jax_layer(fn, parameters=parameters, input=input, n_out=n_out,
                          examples=examples, name=name, bounds=bounds, reference=reference,
                          static=static, primal=primal, outputs=outputs, ignore=ignore,
                          layout=layout, per_example=per_example, sizes=sizes,
                          min_batch=min_batch)


def from_torch(fn: Any, *, parameters: Mapping[str, Sequence[int | str]], input: str = "a",
               n_out: int | Callable[[int], int | None] | None = None, examples: str = "rows",
               name: str | None = None, bounds: Mapping[str, float] | None = None,
               primal: Callable[..., Any] | None = None,
               reference: str = "auto", static: Mapping[str, Any] | None = None,
               outputs: Sequence[str] | None = None, ignore: Sequence[str] = (),
               layout: Sequence[int | str] | None = None, per_example: Sequence[str] = (),
               sizes: Mapping[str, int] | None = None, min_batch: int = 1
               ) -> type[LayerMap]:
    """A layer type whose products are the ``backward`` of a ``torch.autograd.Function``.

    In a network the layer's output is ``fn.apply``'s, and its products are
    what ``fn.backward`` returns (through torch's autograd, as training runs
    it), in float64 on the CPU; arrays are converted at the layer's boundary.
    The reference is torch's autograd of the forward computation with the
    custom ``backward`` bypassed: of ``primal`` when given (a plain function
    of the same arguments, written with differentiable torch operations), else
    of ``fn.forward`` itself, run outside ``apply`` so that autograd records
    its operations; where that cannot run, central finite differences of
    ``fn.forward``. The layer type's ``reference`` and the report's oracle
    column say which. In the oracle, the layer joins the JAX network through a
    callback whose VJP is that reference, composed with the other layers'
    pullbacks by the chain rule.

    Parameters
    ----------
    fn : torch.autograd.Function subclass, or a function of one
        The Function class (its ``apply`` is called), or a plain function of
        tensors that calls it (for an ``nn.Module``: a function of the input
        and the parameters that calls the module's Function, so that the
        parameters are drawn); give ``primal`` with the latter.
    parameters, input, n_out, examples, name, bounds, reference
        As for :func:`from_jax` (shapes in the layout ``fn`` takes).
    primal : callable, optional
        The forward computation without the custom rule, same arguments.
    static : dict of str to object, optional
        Arguments of the forward computation passed as given, neither drawn nor
        differentiated (a size, a flag, a function to run): ``apply``, ``forward`` and
        ``primal`` get them in their places; the gradients ``backward`` returns for
        them are left out.
    outputs, ignore, layout, per_example, sizes, min_batch
        As for :func:`from_jax` (``backward`` gets zeros for an ignored output).

    Raises
    ------
    ImportError, TypeError, ValueError
        Without PyTorch, naming ``pip install "proofcheck[torch]"``; as for :func:`from_jax`.
    """
    try:
        from proofcheck.frameworks._torch_layer import make_torch_layer
    except ModuleNotFoundError as exc:
        if (exc.name or "").split(".")[0] != "torch":
            raise
        raise ImportError(f"from_torch needs PyTorch; install it with: {TORCH_INSTALL}") from exc
    return make_torch_layer(fn, parameters=parameters, input=input, n_out=n_out,
                            examples=examples, name=name, bounds=bounds, primal=primal,
                            reference=reference, static=static, outputs=outputs,
                            ignore=ignore, layout=layout, per_example=per_example, sizes=sizes,
                            min_batch=min_batch)
