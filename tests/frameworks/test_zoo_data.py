"""The zoo's data (``benchmarks/zoo/``): the enumerator finds the libraries' rules, and
every rule found has an entry that is described or says why it cannot be.

Cheap: nothing here runs a rule's G rows (``nox -s zoo`` does). The PyTorch half
skips, naming the reason, where torch is not installed (the test extra has no torch).
"""

from __future__ import annotations

import importlib.util

import pytest

from benchmarks.zoo.entries import Entry, source_of
from benchmarks.zoo.enumerate_rules import find_jax, find_torch
from benchmarks.zoo.jax_rules import ENTRIES as JAX_ENTRIES

NO_TORCH = importlib.util.find_spec("torch") is None
needs_torch = pytest.mark.skipif(NO_TORCH, reason="PyTorch is not installed (its extra: "
                                 'pip install "proofcheck[torch]"); the zoo\'s torch half')


def _check_entries(found: list, entries: list[Entry]) -> None:
    keys = {f.rule for f in found}
    assert {e.rule for e in entries} == keys, "every rule found has one entry, and no other"
    assert len(entries) == len({e.rule for e in entries})
    for entry in entries:
        assert entry.described != bool(entry.reason), entry.name
        if entry.described:
            assert entry.options is not None and "input" in entry.options, entry.name
        assert source_of(entry.target()) != "?", entry.name


def test_the_jax_enumerator_finds_the_rules_inside_public_entry_points() -> None:
    found = {f.rule: f for f in find_jax()}
    assert "jax._src.nn.functions:relu" in found
    assert "jax.nn.relu" in found["jax._src.nn.functions:relu"].public
    # inner rules, called (not wrapped) by jax.nn.softmax and jnp.logaddexp
    assert {"jax._src.nn.functions:_softmax", "jax._src.lax.other:logaddexp"} <= set(found)


def test_every_jax_rule_has_an_entry_described_or_with_a_reason() -> None:
    _check_entries(find_jax(), JAX_ENTRIES)


@needs_torch
def test_the_zoo_holds_at_least_40_rules_and_each_has_an_entry() -> None:
    from benchmarks.zoo.torch_rules import ENTRIES as TORCH_ENTRIES

    torch_found = find_torch()
    assert len(find_jax()) + len(torch_found) >= 40
    _check_entries(torch_found, TORCH_ENTRIES)
    assert all(f.obj.__qualname__ != "Function" for f in torch_found)


@needs_torch
def test_each_described_torch_entry_makes_a_layer_type() -> None:
    from benchmarks.zoo.run import layer_of
    from benchmarks.zoo.torch_rules import ENTRIES as TORCH_ENTRIES

    for entry in TORCH_ENTRIES:
        if entry.described:
            assert layer_of(entry).reference, entry.name
