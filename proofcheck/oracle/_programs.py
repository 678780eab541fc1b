"""Compiled JAX programs of the oracle, kept by *structure*: one ``jax.jit`` per key.

The oracle of a network of any layer types (:func:`proofcheck.oracle.network.network_gradients`)
and the layer types' lemma-level oracles (:mod:`proofcheck.oracle._layers`)
compile each computation once per structure (the layers' types and settings, the
activation maps, the cost); ``jax.jit`` then compiles again for each new shape of
the arrays. A structure whose forward map cannot be traced (it converts a traced
array to numpy, or branches on a value) is run eagerly by the caller: the first
failed trace of a structure sends it, and every later call of it, to the eager
path, whose result or error is the one reported.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

import jax
import numpy as np

__all__ = ["MAX_PROGRAMS", "PROGRAMS", "compiled", "settings", "to_numpy"]

#: Compiled programs by structure, the least recently used first; ``None`` for a
#: structure that runs eagerly.
PROGRAMS: OrderedDict[Hashable, Callable[..., Any] | None] = OrderedDict()
#: Structures whose programs are kept; the least recently used is dropped first. A
#: program keeps an executable for every shape it met, and a long-lived process
#: that kept thousands ran out of the kernel's memory maps; this bound keeps one
#: ``dev`` run's structures (``benchmarks/RESULTS.md``, "Compiled programs", has the
#: measurements). Written as a power: a literal of 100 or more would join the
#: constants Hypothesis draws from (see :mod:`proofcheck.catalog`).
MAX_PROGRAMS = 2**8


def to_numpy(tree: Any) -> Any:
    """Every array of a pytree as a numpy array."""
    return jax.tree_util.tree_map(np.asarray, tree)


def _frozen(value: Any) -> Hashable:
    """A hashable stand-in for a layer's setting (arrays by their bytes)."""
    if isinstance(value, np.ndarray):
        return ("array", value.shape, value.dtype.str, value.tobytes())
    if isinstance(value, list | tuple):
        return tuple(_frozen(v) for v in value)
    if isinstance(value, dict):
        return tuple(sorted((str(k), _frozen(v)) for k, v in value.items()))
    try:
        hash(value)
    except TypeError:
        return ("repr", repr(value))
    return value  # type: ignore[no-any-return]


def settings(thing: object) -> Hashable:
    """What a compiled program of a layer or activation map depends on: its type and
    its attributes."""
    return (type(thing), _frozen(vars(thing)))


def compiled(key: Hashable, make: Callable[[], Callable[..., Any]], *args: Any) -> Any:
    """``make()(*args)`` compiled once per ``key`` with ``jax.jit``; ``None`` where
    the structure does not trace (then the caller runs it eagerly)."""
    if key in PROGRAMS:
        PROGRAMS.move_to_end(key)
        program = PROGRAMS[key]
        if program is None:
            return None
    else:
        program = jax.jit(make())
        PROGRAMS[key] = program
        while len(PROGRAMS) > MAX_PROGRAMS:
            PROGRAMS.popitem(last=False)
    try:
        return program(*args)
    except Exception:
        # Not traceable (or failing): the eager path runs it and reports what happens.
        PROGRAMS[key] = None
        return None
