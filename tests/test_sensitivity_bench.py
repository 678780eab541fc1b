"""The sensitivity benchmark's harness (``benchmarks/sensitivity.py``), on a few examples.

The benchmark itself takes minutes (``nox -s bench``); these tests check, in
seconds, that its regimes draw what they promise and that its injected error
is seen: a 10 % error in one entry fails a row, no error holds.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

PATH = Path(__file__).resolve().parent.parent / "benchmarks" / "sensitivity.py"
_spec = importlib.util.spec_from_file_location("sensitivity", PATH)
assert _spec is not None and _spec.loader is not None
sensitivity = importlib.util.module_from_spec(_spec)
sys.modules.setdefault("sensitivity", sensitivity)
_spec.loader.exec_module(sensitivity)

FEW = settings(max_examples=8, database=None, derandomize=True, deadline=None,
               suppress_health_check=list(HealthCheck))
ROWS = {row.key: row for row in sensitivity.ROWS}


@pytest.mark.parametrize("name", list(sensitivity.REGIMES))
def test_a_regime_draws_what_it_promises(name: str) -> None:
    @FEW
    @given(sensitivity.REGIMES[name].strategy(1, 3))
    def drawn(net: object) -> None:
        assert sensitivity.regime_holds(name, net), net

    drawn()


def test_the_injected_error_is_one_entry_the_largest() -> None:
    impl = sensitivity.InjectedError("backward_delta", 0.5)
    W, delta, dfz = np.array([[1.0, -3.0]]), np.array([[2.0]]), np.array([[1.0], [1.0]])
    impl.start(choice=7, depth=2)  # one call per example at depth 2
    np.testing.assert_array_equal(impl.backward_delta(W, delta, dfz), [[2.0], [-9.0]])
    np.testing.assert_array_equal(impl.backward_delta(W, delta, dfz), [[2.0], [-6.0]])


@pytest.mark.parametrize("key", ["T1.step/isolated", "T2/end-to-end"])
def test_the_default_regime_sees_a_large_error_and_no_error_holds(key: str) -> None:
    regime = sensitivity.REGIMES["default"]
    exact = sensitivity.run_row(ROWS[key], regime, 0.0, examples=6)
    assert not exact["failed"] and exact["error"] is None, exact
    assert exact["discrepancies"] and np.median(exact["discrepancies"]) < 1e-12
    wrong = sensitivity.run_row(ROWS[key], regime, 1e-1, examples=6)
    assert wrong["failed"], wrong


def test_a_cell_and_its_table() -> None:
    results = sensitivity.run(["default", "at kink"], ["T1.b/isolated"], examples=4,
                              ladder=(1e-1, 1e-2))
    cells = {c["regime"]: c for c in results["cells"]}
    assert cells["default"]["smallest_detected"] == 1e-2
    assert not cells["at kink"]["eps0"]["failed"]
    table = sensitivity.render(results)
    assert "| default | isolated | 1e-2 |" in table
    assert "| at kink | isolated |" in table
