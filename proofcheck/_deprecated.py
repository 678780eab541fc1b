"""Deprecated aliases: the module paths and names of proofcheck 0.1 that moved in 0.2.

Removed in 0.3. The package was laid out as its parts in 0.2 (``engine``,
``numerics``, ``oracle``, ``diagnosis``, ``layers``, ``frameworks``, ``catalog``,
``grading``); every module that had a page in the API reference and moved keeps
its old path for one release, and so do the names that ``proofcheck.layers``
handed on from modules above it. Reading a name through an old path returns
the object at its new path and warns with a :class:`DeprecationWarning` that
names the new path (once per place in the calling code, as Python's warning
filters do by default).

These aliases are the one place where a module reaches a module above it, and
it does so by name, when an old path is used: the aliases are not modules of
the package's files (no ``proofcheck/tolerances.py`` stands beside the parts),
and no module imports another to keep an old name alive. ``tests/test_layout.py``
checks that every new path named here exists.
"""

from __future__ import annotations

import importlib
import sys
import types
import warnings
from typing import Any

__all__ = ["MOVED_MODULES", "MOVED_NAMES", "install", "moved_name"]

#: Old module path -> new module path (each a page of the 0.1 API reference).
MOVED_MODULES: dict[str, str] = {
    "proofcheck.catalog_frameworks": "proofcheck.catalog.frameworks",
    "proofcheck.compilation": "proofcheck.oracle.compilation",
    "proofcheck.error_model": "proofcheck.numerics.error_model",
    "proofcheck.feedback": "proofcheck.grading.feedback",
    "proofcheck.finite_differences": "proofcheck.oracle.finite_differences",
    "proofcheck.forward_precision": "proofcheck.numerics.forward_precision",
    "proofcheck.gradebook": "proofcheck.grading.gradebook",
    "proofcheck.misconceptions": "proofcheck.diagnosis.misconceptions",
    "proofcheck.profiles": "proofcheck.engine.profiles",
    "proofcheck.report": "proofcheck.diagnosis.report",
    "proofcheck.rubric": "proofcheck.grading.rubric",
    "proofcheck.tolerances": "proofcheck.numerics.tolerances",
}

#: Package -> {old name: module that holds it now}. ``"*"`` stands for every name
#: of that module: ``proofcheck.oracle`` was the module ``proofcheck.oracle.network``.
MOVED_NAMES: dict[str, dict[str, str]] = {
    "proofcheck.layers": {
        "Network": "proofcheck.network",
        "from_jax": "proofcheck.frameworks",
        "from_torch": "proofcheck.frameworks",
        "layer_backprop": "proofcheck.backprop",
        "layer_forward": "proofcheck.network",
        "layer_networks": "proofcheck.strategies",
    },
    "proofcheck.oracle": {"*": "proofcheck.oracle.network"},
}


def _warn(old: str, new: str, stacklevel: int) -> None:
    """Warn at the caller's line ``stacklevel`` frames up from here."""
    warnings.warn(f"{old} is deprecated and will be removed in proofcheck 0.3; use {new}",
                  DeprecationWarning, stacklevel=stacklevel)


def moved_name(package: str, name: str) -> Any:
    """The object an old name of ``package`` stands for (its module ``__getattr__``)."""
    table = MOVED_NAMES.get(package, {})
    where = table.get(name, table.get("*"))
    if where is None or name.startswith("__"):
        raise AttributeError(f"module {package!r} has no attribute {name!r}")
    target = importlib.import_module(where)
    if not hasattr(target, name):
        raise AttributeError(f"module {package!r} has no attribute {name!r}")
    _warn(f"{package}.{name}", f"{where}.{name}", stacklevel=4)
    return getattr(target, name)


class _MovedModule(types.ModuleType):
    """An old module path: each name read through it warns and comes from the new module."""

    def __init__(self, old: str, new: str) -> None:
        super().__init__(old, f"Deprecated alias of {new}, removed in proofcheck 0.3.")
        self._new = new

    def __getattr__(self, name: str) -> Any:
        # A dunder other than __all__ is refused before the new module is imported:
        # tools that walk sys.modules ask every module for ``__file__`` (Hypothesis
        # does, for each test case's constants), and must not import the new
        # modules, and torch behind the catalog, by asking.
        if name.startswith("__") and name != "__all__":
            raise AttributeError(f"module {self.__name__!r} has no attribute {name!r}")
        new = importlib.import_module(self._new)
        if name == "__all__":
            return getattr(new, "__all__", [])
        if not hasattr(new, name):
            raise AttributeError(f"module {self.__name__!r} has no attribute {name!r}")
        _warn(f"{self.__name__}.{name}", f"{self._new}.{name}", stacklevel=3)
        return getattr(new, name)

    def __dir__(self) -> list[str]:
        return list(getattr(importlib.import_module(self._new), "__all__", []))


def install(package: types.ModuleType) -> None:
    """Make each old module path importable (``import proofcheck.tolerances``) and an
    attribute of ``package`` (``from proofcheck import tolerances``)."""
    for old, new in MOVED_MODULES.items():
        module = sys.modules.setdefault(old, _MovedModule(old, new))
        setattr(package, old.rpartition(".")[2], module)
