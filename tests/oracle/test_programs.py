"""The oracle's compiled programs (proofcheck.oracle._programs): one per structure, bounded,
and an untraceable structure sent to the eager path once and for all."""

from __future__ import annotations

from typing import Any

import jax.numpy as jnp
import numpy as np
import pytest

from proofcheck.layers import Affine, Conv1D
from proofcheck.oracle import _programs


@pytest.fixture
def empty(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_programs, "PROGRAMS", type(_programs.PROGRAMS)())


def test_the_most_recently_used_programs_are_kept(empty: None,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """A long-lived process meets new structures without end (a dropout mask is part of
    one): the programs kept are bounded, the least recently used dropped first, so that
    memory and the kernel's memory maps stay bounded too."""
    monkeypatch.setattr(_programs, "MAX_PROGRAMS", 2)
    made: list[str] = []

    def run(key: str) -> Any:
        def make() -> Any:
            made.append(key)
            return lambda x: x + 1.0
        return _programs.compiled(("test", key), make, jnp.zeros(2))

    for key in ("a", "b", "a", "c", "a", "b"):
        assert float(run(key)[0]) == 1.0
    # "b" was dropped when "c" came ("a" had been used since), then made again.
    assert made == ["a", "b", "c", "b"]
    assert list(_programs.PROGRAMS) == [("test", "a"), ("test", "b")]


def test_a_structure_that_does_not_trace_runs_eagerly_from_then_on(empty: None) -> None:
    made: list[int] = []

    def make() -> Any:
        made.append(1)

        def untraceable(x: Any) -> Any:
            return x + float(np.asarray(x).sum())  # a traced array cannot become numpy
        return untraceable

    assert _programs.compiled("eager", make, jnp.zeros(2)) is None
    assert _programs.compiled("eager", make, jnp.zeros(2)) is None
    assert made == [1] and _programs.PROGRAMS["eager"] is None


def test_settings_tell_structures_apart_by_type_and_attributes() -> None:
    assert _programs.settings(Affine(2, 3)) == _programs.settings(Affine(2, 3))
    assert _programs.settings(Affine(2, 3)) != _programs.settings(Affine(3, 2))
    assert _programs.settings(Affine(4, 2)) != _programs.settings(Conv1D(4, 1, 1, 2))
    hash(_programs.settings(Conv1D(4, 1, 1, 2)))


def test_to_numpy_converts_every_leaf() -> None:
    tree = _programs.to_numpy([{"W": jnp.ones((2, 2))}, (jnp.zeros(1),)])
    assert isinstance(tree[0]["W"], np.ndarray) and isinstance(tree[1][0], np.ndarray)
