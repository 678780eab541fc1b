"""The zoo's data (``benchmarks/zoo/``): the enumerator finds the libraries' rules, and
every rule found has an entry that is described or says why it cannot be.

Cheap: nothing here runs a rule's G rows (``nox -s zoo`` does). The PyTorch half
skips, naming the reason, where torch is not installed (the test extra has no torch).
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import pytest

from benchmarks.zoo.entries import Entry, source_of
from benchmarks.zoo.enumerate_rules import find_jax, find_torch
from benchmarks.zoo.jax_rules import ENTRIES as JAX_ENTRIES

NO_TORCH = importlib.util.find_spec("torch") is None
needs_torch = pytest.mark.skipif(NO_TORCH, reason="PyTorch is not installed (its extra: "
                                 'pip install "proofcheck[torch]"); the zoo\'s torch half')


ROOT = Path(__file__).resolve().parents[2]


def _with_root_on_path() -> dict[str, str]:
    """The environment with this checkout first on ``PYTHONPATH`` (a subprocess imports
    its ``benchmarks``)."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), *filter(None, [env.get("PYTHONPATH")])])
    return env


def _installed(entry: Entry) -> bool:
    try:
        entry.target()
    except (ImportError, AttributeError):
        return False
    return True


def _check_entries(found: list, entries: list[Entry]) -> None:
    keys = {f.rule for f in found}
    # The zoo's data covers the versions it was run with: an entry for a rule that this
    # install does not have says which version brought it (torch 2.14's new Functions).
    missing = [e for e in entries if not _installed(e)]
    assert all("torch 2." in e.note for e in missing), [e.name for e in missing]
    entries = [e for e in entries if e not in missing]
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
        if entry.described and _installed(entry):
            assert layer_of(entry).reference, entry.name


@needs_torch
def test_importing_the_torch_entries_starts_no_process_group() -> None:
    """The collective entries start their group of one when the zoo asks for their
    function, not on import (a fresh interpreter: this process may have one already)."""
    import subprocess
    import sys

    code = ("import torch.distributed as d; import benchmarks.zoo.torch_rules; "
            "print(d.is_initialized())")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=ROOT, env=_with_root_on_path(), timeout=120)
    assert out.stdout.strip() == "False", out.stderr


@needs_torch
def test_the_group_of_one_is_started_once_with_a_file_store() -> None:
    """``group_of_one`` is idempotent (the entries call it each time the zoo builds one)
    and gives world size 1 in a fresh interpreter, without a network rendezvous."""
    import subprocess
    import sys

    code = ("import os; os.environ.pop('MASTER_ADDR', None); os.environ.pop('MASTER_PORT', "
            "None); from benchmarks.zoo.torch_rules import group_of_one; a = group_of_one(); "
            "b = group_of_one(); print(a is b, a.get_world_size(), a.get_backend())")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=ROOT, env=_with_root_on_path(), timeout=120)
    assert out.stdout.split() == ["True", "1", "gloo"], out.stderr


@needs_torch
def test_only_rules_that_cannot_run_in_one_cpu_process_are_out_of_scope_among_collectives(
        ) -> None:
    """Collectives described in the group of one are in scope; those left out say what
    was tried on the CPU."""
    from benchmarks.zoo.torch_rules import ENTRIES as TORCH_ENTRIES

    distributed = [e for e in TORCH_ENTRIES if "distributed" in e.rule or e.name in
                   ("SyncBatchNorm", "_DDPSink")]
    assert sum(e.described for e in distributed) >= 15
    for entry in distributed:
        assert entry.described == entry.in_scope, entry.name
        if entry.described:
            assert "process group of one" in entry.note, entry.name
        else:  # what was tried and how it failed, not the blanket reason of before
            assert "needs an initialised" not in entry.reason, entry.name
