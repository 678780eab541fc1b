"""The report: the diagnosis by what each row runs, tolerance kinds, kink conventions."""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import pytest
from hypothesis import strategies as st

import proofcheck
from proofcheck import properties as props
from proofcheck.diagnosis.report import SCHEMA, Counterexample, Report, Row, diagnose
from proofcheck.numerics.tolerances import TOLERANCES
from proofcheck.properties import Check, Property, Subject, check

# --- the diagnosis, on rows made by hand --------------------------------------------------


def _counterexample(function: str | None = None, *, quantity: str | None = None,
                    network: dict[str, Any] | None = None, exception: str | None = None,
                    result: str | None = None) -> Counterexample:
    return Counterexample(network, quantity=quantity, function=function, exception=exception,
                          result=result)


def _failing(step: str, mode: str, needs: list[str], function: str | None = None, *,
             layer: str | None = None, **ce: Any) -> Row:
    return Row(step, mode, step, step, "fails", needs=needs, layer=layer,
               counterexample=_counterexample(function, **ce))


def test_rows_that_do_not_call_the_root_causes_function_also_fail() -> None:
    rows = [
        _failing("T1.step", "isolated", ["backward_delta"], "backward_delta"),
        _failing("T1.W", "end-to-end", ["output_delta", "backward_delta", "weight_grad"],
                 "weight_grad"),
        _failing("T1.b", "isolated", ["bias_grad"], "bias_grad"),
        _failing("T1.grad", "end-to-end", ["gradients"], "gradients"),
    ]
    message = diagnose(rows).message
    assert message == (
        "T1.step fails in isolation: the induction step is wrong: delta^l is not "
        "diag(f^l'(z^l)) (W^{l+1})^T delta^{l+1}. The function at fault is backward_delta. "
        "T1.W end-to-end fails only as a consequence (it calls backward_delta; fix the root "
        "cause first). T1.b isolated and T1.grad end-to-end also fail (they do not call "
        "backward_delta): separate failures, to be looked at on their own.")


def test_the_root_causes_crash_or_wrong_result_is_in_the_diagnosis() -> None:
    crash = [_failing("T1.b", "isolated", ["bias_grad"], "bias_grad",
                      exception="ValueError: axis 2 is out of bounds")]
    assert diagnose(crash).message.endswith(
        "The function at fault is bias_grad: it raised ValueError: axis 2 is out of bounds.")
    result = "gradients returned dWs[0] with shape (3, 2); expected (2, 3) (dW^1 : (n_1, n_0))"
    wrong = [_failing("T1.grad", "end-to-end", ["gradients"], "gradients", result=result)]
    assert diagnose(wrong).message.startswith(
        f"T1.grad fails end-to-end while every isolated step holds: {result} (")


def test_a_lemma_root_cause_claims_no_consequence() -> None:
    rows = [_failing("L4", "lemma", []),
            _failing("T1.base", "end-to-end", ["output_delta"], "output_delta")]
    assert diagnose(rows).message.endswith(
        "T1.base end-to-end also fails (L4 runs no function of the implementation): a "
        "separate failure, to be looked at on its own.")


CONV = {"layers": ["Conv1D(1x3 -> 1x2, width 2)"], "activations": ["tanh"]}
DENSE = {"layers": ["Dense(2 -> 2)"], "activations": ["softmax"]}


def _layer_rows() -> list[Row]:
    """In proof order, as a report has them."""
    return [
        _failing("T1.grad", "end-to-end", ["gradients"], "gradients"),
        _failing("G.step", "end-to-end", [], None, network=DENSE),
        _failing("G.param", "lemma", [], "Conv1D.parameter_products", layer="Conv1D",
                 quantity="J_W^T delta"),
        _failing("G.param", "end-to-end", [], None, network=CONV),
    ]


def test_a_layer_types_rows_follow_from_its_lemma_where_their_networks_contain_it() -> None:
    message = diagnose(_layer_rows()).message
    assert message.startswith(
        "G.param lemma (Conv1D) fails in isolation: Conv1D's hand-derived parameter product "
        "J_W^T delta disagrees with jax.vjp of its forward map, so the gradient of the "
        "layer's parameters, J^phi_theta(a^{l-1})^T delta^l is wrong. The function at fault "
        "is Conv1D.parameter_products.")
    assert ("G.param end-to-end fails only as a consequence (its network contains Conv1D; "
            "fix the root cause first).") in message
    assert ("T1.grad end-to-end and G.step end-to-end also fail (they do not run "
            "Conv1D.parameter_products)") in message


def test_in_a_run_for_one_layer_type_every_network_row_follows_from_its_lemma() -> None:
    message = diagnose(_layer_rows(), layer_target=True).message
    assert ("G.step end-to-end and G.param end-to-end fail only as a consequence (their "
            "networks contain Conv1D; fix the root cause first).") in message
    assert "T1.grad end-to-end also fails (it does not run Conv1D.parameter_products)" in message


@pytest.mark.parametrize(("step", "quantity", "says"), [
    ("G.step", "J_a^T delta", "Conv1D's hand-derived input product J_a^T delta disagrees"),
    ("G.step", "J^f(z)^T g", "Conv1D's hand-derived product J^f(z)^T g disagrees"),
    ("G.param", "J_b^T delta", "Conv1D's hand-derived parameter product J_b^T delta disagrees"),
    ("G.param", None, "Conv1D's hand-derived parameter products J^phi_theta^T delta disagrees"),
])
def test_a_layer_lemma_root_cause_names_the_product(step: str, quantity: str | None,
                                                     says: str) -> None:
    rows = [_failing(step, "lemma", [], "Conv1D.product", layer="Conv1D", quantity=quantity)]
    message = diagnose(rows).message
    assert message.startswith(f"{step} lemma (Conv1D) fails in isolation: {says}")


# --- tolerance kinds and kink conventions, through verify ---------------------------------

RIGHT = "relu'(0) = 1: the right derivative"
MIDPOINT = "leaky_relu'(0) = 0.505: the midpoint"


def _at_kinks(subject: Subject, n: int) -> list[Check]:
    """A stand-in for a theorem row: every example holds; odd ones meet a kink."""
    convention = {1: RIGHT, 3: MIDPOINT}.get(n)
    return [check("J", np.ones(2), np.ones(2), kind="jacobian", kink_convention=convention),
            check("J'", np.ones(1), np.ones(1), kind="jacobian")]


STAND_IN = Property("T1.grad", "end-to-end", (), generates="n in 0..3",
                    compares="ones with ones", strategy=lambda ctx: st.integers(0, 3),
                    check=_at_kinks, tolerance="jacobian")
NOT_RUN = Property("T1.base", "isolated", ("output_delta",), generates="n in 0..3",
                   compares="ones with ones", strategy=lambda ctx: st.integers(0, 3),
                   check=_at_kinks, tolerance="derivative")


class OnlyBias:
    def bias_grad(self, delta: Any) -> Any:
        return delta.sum(axis=1)


def test_a_checks_kink_convention_and_tolerance_kind_reach_the_row(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(props, "PROPERTIES", [STAND_IN, NOT_RUN])
    report = proofcheck.verify(OnlyBias(), profile="ci", database=False)
    row = report.row("T1.grad", "end-to-end")
    assert row.status == "holds"
    assert sorted(row.kink_convention) == sorted([RIGHT, MIDPOINT])
    assert (row.tolerance, row.rtol, row.atol) == ("jacobian", TOLERANCES["jacobian"].rtol,
                                                   TOLERANCES["jacobian"].atol)
    not_run = report.row("T1.base", "isolated")
    assert not_run.status == "not provided" and not_run.kink_convention == []
    assert (not_run.tolerance, not_run.rtol, not_run.atol) == (
        "derivative", TOLERANCES["derivative"].rtol, TOLERANCES["derivative"].atol)
    data = report.to_dict()
    assert data["schema"] == SCHEMA == "proofcheck-report/4"
    rows = {(r["step"], r["mode"]): r for r in data["rows"]}
    assert sorted(rows["T1.grad", "end-to-end"]["kink_convention"]) == sorted([RIGHT, MIDPOINT])
    assert rows["T1.grad", "end-to-end"]["tolerance"] == "jacobian"
    assert rows["T1.base", "isolated"]["tolerance"] == "derivative"
    text = report.render()
    conventions = "; ".join(row.kink_convention)
    assert f"At kinks: T1.grad end-to-end uses {conventions}." in text
    assert "Tolerances (rtol, atol): derivative 1e-09, 1e-12 (T1.base); jacobian 1e-09, " \
           "1e-09 (T1.grad)." in text


def test_a_property_must_declare_a_known_tolerance_kind(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(props, "PROPERTIES", [])
    with pytest.raises(ValueError, match=r"declares the tolerance kind 'gradients'; expected a "
                                         r"key of proofcheck\.tolerances\.TOLERANCES"):
        props.register(dataclasses.replace(STAND_IN, tolerance="gradients"))


def test_a_wrong_result_is_rendered_with_its_message() -> None:
    result = "bias_grad returned an array with shape (2, 1); expected (n_l,) = (2,)"
    row = _failing("T1.b", "isolated", ["bias_grad"], "bias_grad", result=result,
                   network={"depth": 1, "widths": [1, 2], "activations": ["tanh"],
                            "cost": "squared_error", "batch_size": 1,
                            "layers": ["Affine(1 -> 1)"], "params": [{"W": [[0.0]], "b": [0.0]}],
                            "X": [[0.0]], "Y": [[0.0]]})
    text = Report("shapes", "ci", [row]).render(arrays=False)
    assert f"\n  {result}\n" in text
    assert "raised" not in text


def test_an_exact_rows_formulas_are_rendered_as_text() -> None:
    # An exact row's counterexample holds formulas, not numbers; rendering its arrays
    # raised ValueError (could not convert string to float) when it was the root cause.
    ce = Counterexample(None, quantity="dc/db, n_l=1", function="bias_grad",
                        actual=np.array(["2*g_0"]), expected=np.array(["g_0"]), index=[0],
                        actual_value=float("nan"), expected_value=float("nan"),
                        max_error=float("inf"), ratio=float("inf"))
    row = Row("T1.b", "exact", "T1.b", "T1.b", "fails", needs=["bias_grad"], counterexample=ce)
    text = Report("formulas", "ci", [row]).render(arrays=True)
    # Written as the pytest plugin writes them: formulas without quotes, and no
    # largest difference (a formula has none; it was "actual nan, expected nan").
    assert "Counterexample (exact: sympy, over symbolic entries):" in text
    assert "actual   = [2*g_0]" in text
    assert "expected = [g_0]" in text
    assert "largest difference" not in text
