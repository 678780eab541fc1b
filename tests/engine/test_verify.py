"""verify() on implementations that are partial, monolithic, broken or unusable."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import proofcheck
from proofcheck import ImplementationError, InputError
from proofcheck.catalog import LoopBackprop
from proofcheck.numerics.tolerances import TOLERANCES

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


WRONG_RESULTS = [
    ("wrong shape", "bias_grad", lambda self, delta: delta, "T1.b",
     r"^bias_grad returned an array with shape \(1, 1\); expected \(n_l,\) = \(1,\)$"),
    ("nan", "output_delta", lambda self, dfz, grad_a: np.full_like(dfz, np.nan), "T1.base",
     r"^output_delta returned an array with nan at index \[0, 0\] \(shape \(1, 1\)\) where "
     r"the oracle is finite$"),
    ("infinity", "weight_grad", lambda self, delta, a_prev: np.full((delta.shape[0],
                                                                      a_prev.shape[0]), -np.inf),
     "T1.W", r"^weight_grad returned an array with -inf at index \[0, 0\]"),
]


@pytest.mark.parametrize(("label", "function", "body", "step", "message"), WRONG_RESULTS,
                         ids=[w[0] for w in WRONG_RESULTS])
def test_a_wrong_shape_or_nan_is_a_failing_row(label: str, function: str, body: Any, step: str,
                                               message: str) -> None:
    """Wrong on every network: every row that calls it fails, shrunk to the smallest network,
    and the counterexample says what was returned and what was expected."""
    impl_class = type("Wrong", (proofcheck.MatrixBackprop,), {function: body})
    report = proofcheck.verify(impl_class(), profile="ci", steps=[step], database=False)
    assert report.exit_status == 1
    row = report.row(step, "isolated")
    assert row.status == "fails"
    c = row.counterexample
    assert c is not None and c.function == function and c.exception is None
    assert c.result is not None and re.match(message, c.result), c.result
    assert c.network is not None and c.network["widths"] == [1, 1]
    assert c.result in report.render()
    diagnosis = report.diagnosis
    assert diagnosis.root_cause == step
    assert f"The function at fault is {function}: {c.result}" in diagnosis.message


def test_gradients_with_the_wrong_number_of_arrays_is_a_failing_row() -> None:
    class DropsALayer:
        def gradients(self, weights: Any, biases: Any, activations: Any, cost: Any, X: Any,
                      Y: Any) -> Any:
            dWs, dbs = proofcheck.MatrixBackprop().gradients(weights, biases, activations,
                                                             cost, X, Y)
            return dWs[1:], dbs

    report = proofcheck.verify(DropsALayer(), profile="ci", steps=["T1.grad"], database=False)
    row = report.row("T1.grad", "end-to-end")
    assert row.status == "fails"
    assert row.counterexample is not None
    assert row.counterexample.result == ("gradients returned dWs as a list of 0 arrays; "
                                         "expected k = 1, one per layer")


NOT_AN_IMPLEMENTATION = [
    ("a number", 3, "is an int, 3 with none of the protocol's functions"),
    ("a typo", type("Backprp", (), {"bias_gard": lambda self, delta: delta})(),
     "is a Backprp with none of the protocol's functions .*; it has: bias_gard"),
    ("not callable", type("Data", (), {"gradients": [1, 2]})(),
     "gradients is a list, not a function"),
]


@pytest.mark.parametrize(("label", "impl", "message"), NOT_AN_IMPLEMENTATION,
                         ids=[n[0] for n in NOT_AN_IMPLEMENTATION])
def test_an_object_with_no_protocol_function_is_refused(label: str, impl: Any,
                                                        message: str) -> None:
    functions = ("output_delta(dfz, grad_a), backward_delta(W_next, delta_next, dfz), "
                 "weight_grad(delta, a_prev), bias_grad(delta), "
                 "gradients(weights, biases, activations, cost, X, Y)")
    with pytest.raises(ImplementationError, match=message) as raised:
        proofcheck.verify(impl, profile="ci", steps=["T1.b"], database=False)
    if "protocol's functions" in message:
        assert functions in str(raised.value)
    with pytest.raises(ImplementationError, match=message):
        proofcheck.assert_verified(impl, profile="ci", steps=["T1.b"])


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
    ({"profile": "fast"}, "unknown profile 'fast'; expected one of: ci, dev, thorough, watch"),
    ({"steps": ["T3"]}, r"steps names unknown step IDs \['T3'\]"),
])
def test_bad_arguments_to_verify(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(InputError, match=message):
        proofcheck.verify(**kwargs)


def test_assert_verified_is_a_one_line_pytest_check() -> None:
    report = proofcheck.assert_verified(LoopBackprop(), profile="ci", steps=["T1.grad"])
    assert report.ok
    from proofcheck.catalog import wrong_sign

    with pytest.raises(AssertionError, match=r"T1\.grad"):
        proofcheck.assert_verified(wrong_sign, profile="ci", steps=["T1.grad"])


def test_json_report_follows_the_schema(tmp_path: Path) -> None:
    from proofcheck.catalog import missing_transpose

    report = proofcheck.verify(missing_transpose(), profile="ci", steps=["T1.base", "T1.step"],
                               database=False)
    path = tmp_path / "report.json"
    report.write_json(path)
    data = json.loads(path.read_text())
    assert data["schema"] == "proofcheck-report/4"
    assert data["exit_status"] == 1 and data["ok"] is False
    assert data["diagnosis"]["root_cause"] == "T1.step"
    keys = {"step", "mode", "title", "statement", "status", "examples", "max_ratio",
            "max_error", "tolerance", "rtol", "atol", "oracle", "property_name", "needs",
            "layer", "seconds", "message", "counterexample", "kink_convention", "notes",
            "outside_oracle_range", "outside_oracle_reason", "overruled", "overruled_examples"}
    for row in data["rows"]:
        assert set(row) == keys
        assert row["kink_convention"] == [] and row["notes"] == []
        assert (row["outside_oracle_range"], row["overruled"]) == (0, [])
        if row["mode"] == "exact":
            assert (row["tolerance"], row["rtol"], row["atol"]) == ("exact", 0.0, 0.0)
        else:
            gradient = TOLERANCES["gradient"]
            assert (row["tolerance"], row["rtol"], row["atol"]) == \
                ("gradient", gradient.rtol, gradient.atol)
    failing = [r for r in data["rows"] if r["status"] == "fails" and r["mode"] == "isolated"]
    assert failing
    ce = failing[0]["counterexample"]
    assert set(ce["network"]) == {"depth", "widths", "layers", "activations", "cost",
                                  "batch_size", "params", "X", "Y"}
    assert set(ce) == {"network", "quantity", "function", "layer", "inputs", "actual",
                       "expected", "index", "actual_value", "expected_value", "max_error",
                       "ratio", "exception", "reproduce", "result", "called", "found_by"}
    assert ce["reproduce"].startswith("@reproduce_failure(")


@pytest.mark.parametrize("host_x64", [False, True])
def test_verify_leaves_the_host_jax_settings_as_found(host_x64: bool) -> None:
    """The oracle's float64 is scoped to its own calls: a user's JAX suite keeps its dtypes."""
    import jax
    import jax.numpy as jnp

    from proofcheck.layers import Affine

    def settings() -> tuple[Any, ...]:
        return (jax.config.jax_enable_x64, jax.config.jax_numpy_rank_promotion,
                jnp.zeros(1).dtype, jnp.asarray(1.5).dtype)

    with jax.enable_x64(host_x64):
        before = settings()
        # One row of each oracle: the padded one (T1.b) and the layer types' (G.param).
        assert proofcheck.verify(profile="ci", steps=["T1.b"]).ok
        assert proofcheck.verify(layer=Affine, profile="ci", steps=["G.param"]).ok
        proofcheck.assert_verified(LoopBackprop(), profile="ci", steps=["T1.b"])
        assert settings() == before
        assert before[0] is host_x64


def test_a_failing_report_names_the_classic_mistake_it_reproduces() -> None:
    from proofcheck.catalog import missing_transpose

    report = proofcheck.verify(missing_transpose(), profile="ci", database=False,
                               steps=["T1.step"])
    assert report.diagnosis.root_cause == "T1.step"
    assert [m["name"] for m in report.misconceptions][:1] == ["missing_transpose"]
    assert report.to_dict()["misconceptions"] == report.misconceptions
    assert "\nNamed mistake: your `backward_delta`" in report.render()
    # A report that holds names nothing.
    fine = proofcheck.verify(profile="ci", database=False, steps=["T1.step"])
    assert fine.ok and fine.misconceptions == [] and "Named mistake" not in fine.render()


def test_auto_jobs_runs_a_step_or_two_here_and_a_whole_run_on_every_core(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The command line's default: a worker process costs its start (JAX's import, the
    oracle's traces), which a step or two does not repay."""
    from proofcheck.engine import _verify

    monkeypatch.setattr(_verify, "available_cores", lambda: 4)
    few = _verify.plan_rows(profile="ci", steps=["T1.b"])
    whole = _verify.plan_rows(profile="ci")
    assert _verify.auto_jobs(few) == 1
    assert _verify.auto_jobs(whole) == 4
    # More examples a row, more work: the same step under thorough repays a worker.
    assert _verify.auto_jobs(_verify.plan_rows(profile="thorough", steps=["T1.b"])) > 1
