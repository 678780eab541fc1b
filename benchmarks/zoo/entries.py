"""What one entry of the zoo says: a library's rule, and how ``from_jax``/``from_torch``
describe it (or why they cannot)."""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass
class Entry:
    """One custom rule of a library.

    ``rule`` is where the rule lives, ``"module:qualname"`` (what the enumerator
    finds). ``options`` is the description given to ``from_jax``/``from_torch``
    (``parameters``, ``input``, ``static``, ``primal``, ...); ``function`` what is
    passed to them when it is not the rule itself (a plain function that calls a
    torch Function, with ``primal`` in ``options``). ``reason`` says why the rule
    could not be described (then ``options`` is ``None``); ``note`` says how the
    description departs from the rule's own arguments. ``in_scope`` is false for a
    rule that does not take float arrays in one CPU process (collective communication,
    CUDA devices, graphs of torch.compile, complex, nested or integer tensors): the
    zoo's share of described rules is counted on the others too.
    """

    name: str
    library: str
    rule: str
    options: dict[str, Any] | None = None
    function: Callable[[], Any] | None = None
    reason: str = ""
    note: str = ""
    in_scope: bool = True

    @property
    def described(self) -> bool:
        return self.options is not None

    def target(self) -> Any:
        """The library object the rule is (imported now)."""
        return resolve(self.rule)

    def argument(self) -> Any:
        """What ``from_jax``/``from_torch`` get: the rule, or the function around it."""
        return self.function() if self.function is not None else self.target()


def resolve(rule: str) -> Any:
    """``"jax._src.nn.functions:_softmax"`` imported."""
    module, _, qualname = rule.partition(":")
    obj: Any = importlib.import_module(module)
    for part in qualname.split("."):
        obj = getattr(obj, part)
    return obj


def source_of(obj: Any) -> str:
    """``"jax/_src/nn/functions.py:614"``: where the rule's code is, relative to the
    installed package's parent folder."""
    target = obj
    for attribute in ("fun",):
        target = getattr(target, attribute, target)
    target = inspect.unwrap(target)
    try:
        path = Path(inspect.getsourcefile(target) or "?")
        line = inspect.getsourcelines(target)[1]
    except (TypeError, OSError):
        return "?"
    parts = path.parts
    for root in ("jax", "torch"):
        if root in parts:
            index = len(parts) - 1 - parts[::-1].index(root)
            return f"{'/'.join(parts[index:])}:{line}"
    return f"{path.name}:{line}"
