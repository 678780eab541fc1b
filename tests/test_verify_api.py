"""verify() on implementations that are partial, monolithic, broken or unusable."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import proofcheck
from proofcheck import ImplementationError, InputError
from tests.mutants import LoopBackprop

THEOREM = ["T1.base", "T1.step", "T1.W", "T1.b", "T1.grad", "T1.tail", "T2"]


class SigmoidOnly:
    """Monolithic, and only for sigmoid networks with squared error."""

    supported_activations = frozenset({"sigmoid"})
    supported_costs = frozenset({"squared_error"})

    def __init__(self) -> None:
        self.seen: set[str] = set()
        self.costs: set[str] = set()

    def gradients(self, weights: Any, biases: Any, activations: Any, cost: Any, X: Any,
                  Y: Any) -> Any:
        self.seen |= set(activations)
        self.costs.add(cost)
        return LoopBackprop().gradients(weights, biases, activations, cost, X, Y)


def test_monolithic_restricted_implementation_is_checked_end_to_end_only() -> None:
    impl = SigmoidOnly()
    report = proofcheck.verify(impl, profile="ci", steps=THEOREM, database=False)
    assert report.exit_status == 0, report.render()
    assert impl.seen == {"sigmoid"} and impl.costs == {"squared_error"}
    for step, mode in [("T1.grad", "end-to-end"), ("T2", "end-to-end"),
                       ("T1.tail", "end-to-end")]:
        assert report.row(step, mode).status == "holds"
    for step in ("T1.base", "T1.step", "T1.W", "T1.b"):
        for mode in ("isolated", "end-to-end"):
            row = report.row(step, mode)
            assert row.status == "not provided"
            assert row.message is not None and "not provided" in row.message
    assert "not provided" in report.render()


class OnlyBias:
    def bias_grad(self, delta: Any) -> Any:
        return delta.sum(axis=1)


def test_partial_implementation_checks_what_it_provides() -> None:
    report = proofcheck.verify(OnlyBias(), profile="ci", steps=THEOREM, database=False)
    assert report.row("T1.b", "isolated").status == "holds"
    assert report.row("T1.b", "end-to-end").status == "not provided"
    assert report.exit_status == 0


class Crashes(proofcheck.MatrixBackprop):
    def weight_grad(self, delta: Any, a_prev: Any) -> Any:
        raise RuntimeError("my bug")


def test_a_crash_in_user_code_is_a_failing_row_with_the_last_line() -> None:
    report = proofcheck.verify(Crashes(), profile="ci", steps=["T1.W"], database=False)
    assert report.exit_status == 1
    row = report.row("T1.W", "isolated")
    assert row.status == "fails"
    assert row.counterexample is not None
    assert row.counterexample.exception == "RuntimeError: my bug"
    assert row.counterexample.network is not None and row.counterexample.network["depth"] == 1


BAD = [
    ("wrong shape", "bias_grad", lambda self, delta: delta,
     r"bias_grad returned an array of shape \(\d+, 1\); expected \(\d+,\) \(\(n_l,\)\) "
     r"\(called with delta \(\d+, 1\)\)"),
    ("nan", "output_delta", lambda self, dfz, grad_a: np.full_like(dfz, np.nan),
     r"output_delta returned nan at index \[0, 0\].*where the oracle is finite"),
    ("float32", "weight_grad", lambda self, delta, a_prev: (delta @ a_prev.T).astype(np.float32),
     "weight_grad returned an array of dtype float32; expected float64"),
    ("not an array", "bias_grad", lambda self, delta: list(delta.sum(axis=1)),
     "bias_grad returned a list of length 1; expected a float64 numpy array"),
    ("signature", "backward_delta", lambda self, W_next: W_next,
     r"backward_delta has the signature backward_delta\(W_next\).*expects backward_delta\("),
]


@pytest.mark.parametrize(("label", "function", "body", "message"), BAD,
                         ids=[b[0] for b in BAD])
def test_unusable_implementation_raises_implementation_error(label: str, function: str,
                                                             body: Any, message: str) -> None:
    impl_class = type("Bad", (proofcheck.MatrixBackprop,), {function: body})
    with pytest.raises(ImplementationError, match=message):
        proofcheck.verify(impl_class(), profile="ci", steps=THEOREM, database=False)


def test_gradients_returning_the_wrong_structure_is_an_implementation_error() -> None:
    class Wrong:
        def gradients(self, weights: Any, biases: Any, activations: Any, cost: Any, X: Any,
                      Y: Any) -> Any:
            return [np.zeros_like(W) for W in weights]

    with pytest.raises(ImplementationError, match=r"gradients returned .*expected a pair"):
        proofcheck.verify(Wrong(), profile="ci", steps=["T1.grad"], database=False)


def test_unknown_supported_names_are_refused() -> None:
    class Odd:
        supported_activations = frozenset({"swish"})

        def gradients(self, *args: Any) -> Any:
            raise AssertionError

    with pytest.raises(ImplementationError, match=r"supported_activations names \['swish'\]"):
        proofcheck.verify(Odd(), profile="ci")


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"profile": "fast"}, "unknown profile 'fast'; expected one of: ci, dev, thorough"),
    ({"steps": ["T3"]}, r"steps names unknown step IDs \['T3'\]"),
])
def test_bad_arguments_to_verify(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(InputError, match=message):
        proofcheck.verify(**kwargs)


def test_assert_verified_is_a_one_line_pytest_check() -> None:
    report = proofcheck.assert_verified(LoopBackprop(), profile="ci", steps=["T1.grad"])
    assert report.ok
    from tests.mutants import wrong_sign

    with pytest.raises(AssertionError, match=r"T1\.grad"):
        proofcheck.assert_verified(wrong_sign, profile="ci", steps=["T1.grad"])


def test_json_report_follows_the_schema(tmp_path: Path) -> None:
    from tests.mutants import missing_transpose

    report = proofcheck.verify(missing_transpose(), profile="ci", steps=["T1.base", "T1.step"],
                               database=False)
    path = tmp_path / "report.json"
    report.write_json(path)
    data = json.loads(path.read_text())
    assert data["schema"] == "proofcheck-report/1"
    assert data["exit_status"] == 1 and data["ok"] is False
    assert data["diagnosis"]["root_cause"] == "T1.step"
    keys = {"step", "mode", "title", "statement", "status", "examples", "max_ratio",
            "max_error", "rtol", "atol", "oracle", "property_name", "needs", "layer",
            "seconds", "message", "counterexample"}
    for row in data["rows"]:
        assert set(row) == keys
    failing = [r for r in data["rows"] if r["status"] == "fails" and r["mode"] == "isolated"]
    assert failing
    ce = failing[0]["counterexample"]
    assert set(ce["network"]) == {"depth", "widths", "activations", "cost", "batch_size",
                                  "weights", "biases", "X", "Y"}
    assert ce["reproduce"].startswith("@reproduce_failure(")
