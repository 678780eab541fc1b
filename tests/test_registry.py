"""The registry of named entries that holds the activations and the costs."""

from __future__ import annotations

from typing import NamedTuple

import pytest

from proofcheck._registry import Registry
from proofcheck.activations import ACTIVATIONS
from proofcheck.costs import COSTS


class Entry(NamedTuple):
    name: str


def test_entries_keep_their_registration_order_and_refuse_a_taken_name() -> None:
    registry: Registry[Entry] = Registry("activation")
    for name in ("b", "a", "c"):
        registry.register(Entry(name))
    assert list(registry) == ["b", "a", "c"] and len(registry) == 3
    with pytest.raises(ValueError, match="an activation named 'a' is already registered"):
        registry.register(Entry("a"))


def test_an_unknown_name_lists_the_known_ones() -> None:
    with pytest.raises(KeyError, match="unknown cost 'hinge'; known costs: squared_error"):
        COSTS["hinge"]
    with pytest.raises(KeyError, match="unknown activation 'swish'; known activations: "
                                       "identity"):
        ACTIVATIONS["swish"]
