"""Enumerate the custom derivative rules that the installed JAX and PyTorch ship.

JAX: every attribute of ``jax.nn``, ``jax.numpy``, ``jax.scipy.special`` and
``jax.lax`` that is, or wraps (``jnp.ufunc``, ``jax.jit``, ``functools.partial``,
``functools.wraps``), a ``jax.custom_jvp`` or ``jax.custom_vjp``; and every such
rule defined at the top of a module those attributes come from (the inner rule of
``jax.nn.softmax``, of ``jnp.logaddexp``, ...). PyTorch: every subclass of
``torch.autograd.Function`` defined in a module loaded by importing each public
``torch.*`` module (no part of its name starting with ``_``), the base classes
``Function``, ``InplaceFunction`` and ``NestedIOFunction`` left out.

Each rule is named ``"module:qualname"`` where it is defined, so that the zoo's
entries (``jax_rules.py``, ``torch_rules.py``) can be matched with what is found.
"""

from __future__ import annotations

import functools
import importlib
import inspect
import pkgutil
import sys
import warnings
from dataclasses import dataclass, field
from typing import Any

JAX_MODULES = ("jax.nn", "jax.numpy", "jax.scipy.special", "jax.lax")
TORCH_BASES = ("Function", "InplaceFunction", "NestedIOFunction")


@dataclass
class Found:
    """A rule found in a library: its key, its kind, the public names that reach it."""

    rule: str
    library: str
    kind: str
    public: list[str] = field(default_factory=list)
    obj: Any = None


def _rule_inside(obj: Any) -> Any:
    """The ``custom_jvp``/``custom_vjp`` that ``obj`` is or wraps, or ``None``."""
    import jax
    import jax.numpy as jnp

    for _ in range(8):
        if isinstance(obj, jax.custom_jvp | jax.custom_vjp):
            return obj
        if isinstance(obj, jnp.ufunc):
            obj = obj._func
        elif isinstance(obj, functools.partial):
            obj = obj.func
        elif getattr(obj, "__wrapped__", None) is not None:
            obj = obj.__wrapped__
        else:
            return None
    return None


def _key(obj: Any, fallback: str) -> str:
    """``"module:name"`` of the module-level name that holds the rule ``obj``."""
    inner = inspect.unwrap(getattr(obj, "fun", obj))
    module = getattr(inner, "__module__", None)
    for candidate in (module, *sorted(m for m in sys.modules if m.startswith("jax"))):
        namespace = vars(sys.modules[candidate]) if candidate in sys.modules else {}
        for name, value in namespace.items():
            if value is obj:
                return f"{candidate}:{name}"
    return fallback


def find_jax() -> list[Found]:
    """JAX's custom rules (see the module docstring), one each, sorted by key."""
    import jax

    found: dict[int, Found] = {}
    sources: set[str] = set()
    for module_name in JAX_MODULES:
        module = importlib.import_module(module_name)
        for name in dir(module):
            if name.startswith("_"):
                continue
            attribute = getattr(module, name)
            origin = getattr(getattr(attribute, "_func", attribute), "__module__", None)
            if isinstance(origin, str) and origin.startswith("jax._src"):
                sources.add(origin)
            rule = _rule_inside(attribute)
            if rule is not None:
                entry = found.setdefault(id(rule), Found(
                    _key(rule, f"{module_name}:{name}"), "jax", type(rule).__name__,
                    obj=rule))
                entry.public.append(f"{module_name}.{name}")
    for module_name in sorted(sources):
        for name, value in vars(sys.modules[module_name]).items():
            if isinstance(value, jax.custom_jvp | jax.custom_vjp) and id(value) not in found:
                found[id(value)] = Found(_key(value, f"{module_name}:{name}"), "jax",
                                         type(value).__name__, obj=value)
    return sorted(found.values(), key=lambda f: f.rule)


def _public_torch_modules() -> list[str]:
    import torch

    names = []
    for info in pkgutil.walk_packages(torch.__path__, "torch."):
        if not any(part.startswith("_") for part in info.name.split(".")[1:]):
            names.append(info.name)
    return names


def find_torch() -> list[Found]:
    """PyTorch's own ``autograd.Function`` subclasses (see the module docstring)."""
    import torch

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name in _public_torch_modules():
            try:
                importlib.import_module(name)
            except BaseException:  # a module that needs what is absent
                continue
    found: dict[type, Found] = {}
    for module_name, module in list(sys.modules.items()):
        if not module_name.startswith("torch") or module is None:
            continue
        for value in list(vars(module).values()):
            if (isinstance(value, type) and issubclass(value, torch.autograd.Function)
                    and value.__module__.startswith("torch") and value not in found
                    and value.__qualname__ not in TORCH_BASES):
                found[value] = Found(f"{value.__module__}:{value.__qualname__}", "torch",
                                     "autograd.Function", obj=value)
    return sorted(found.values(), key=lambda f: f.rule)


def find_all(torch: bool = True) -> list[Found]:
    """Both libraries' rules (PyTorch's when it is installed and ``torch`` is true)."""
    rules = find_jax()
    if torch:
        try:
            importlib.import_module("torch")
        except ImportError:
            return rules
        rules += find_torch()
    return rules


if __name__ == "__main__":
    for f in find_all():
        print(f.library, f.kind, f.rule, ", ".join(f.public))
