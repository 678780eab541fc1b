"""The XLA compile flags are set only where it is safe (see proofcheck._xla)."""

from __future__ import annotations

import os
import sys

import pytest

from proofcheck import _xla


@pytest.fixture
def fresh(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """A process as it looks before JAX is imported, on a tested jaxlib."""
    monkeypatch.delitem(sys.modules, "jax", raising=False)
    monkeypatch.delenv("XLA_FLAGS", raising=False)
    monkeypatch.delenv(_xla.ENVIRONMENT_VARIABLE, raising=False)
    monkeypatch.setattr(_xla, "_jaxlib_version", lambda: _xla._TESTED[0])
    return monkeypatch


def test_flags_are_added_before_jax_starts(fresh: pytest.MonkeyPatch) -> None:
    assert _xla.prefer_fast_compiles()
    assert os.environ["XLA_FLAGS"].split() == list(_xla.FAST_COMPILE_FLAGS)


def test_a_flag_the_user_set_is_kept(fresh: pytest.MonkeyPatch) -> None:
    fresh.setenv("XLA_FLAGS",
                 "--xla_backend_optimization_level=2 --xla_force_host_platform_device_count=2")
    assert _xla.prefer_fast_compiles()
    flags = os.environ["XLA_FLAGS"].split()
    assert "--xla_backend_optimization_level=2" in flags
    assert "--xla_backend_optimization_level=0" not in flags
    assert "--xla_cpu_use_fusion_emitters=false" in flags


@pytest.mark.parametrize("case", ["jax imported", "untested jaxlib", "no jaxlib", "turned off"])
def test_flags_are_not_set_where_unsafe(fresh: pytest.MonkeyPatch, case: str) -> None:
    if case == "jax imported":
        fresh.setitem(sys.modules, "jax", sys)  # JAX may have read XLA_FLAGS already
    elif case == "untested jaxlib":  # XLA aborts on a flag it does not know
        fresh.setattr(_xla, "_jaxlib_version", lambda: _xla._TESTED[1])
    elif case == "no jaxlib":
        fresh.setattr(_xla, "_jaxlib_version", lambda: None)
    else:
        fresh.setenv(_xla.ENVIRONMENT_VARIABLE, "0")
    assert not _xla.prefer_fast_compiles()
    assert "XLA_FLAGS" not in os.environ
