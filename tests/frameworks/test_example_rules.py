"""The speed table's framework layers (``examples.elementwise_rule``, ``examples.attention_rule``).

Both are ``from_jax`` layer types made from a hand-written ``custom_vjp`` rule:
they are made with the widths and reference their docstrings state, their
lemma rows (G.step, and G.param for the attention's three matrices) hold
against the undecorated primal, and the same rows fail when the rule has the
mistake such rules are known for (the swish's ``sigmoid'`` term left out, the
softmax's backward without its ``- <g_p, p>`` term). The whole ``verify`` of
each is a row of ``benchmarks/commands.py``.
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from proofcheck.frameworks import from_jax
from tests.frameworks.test_custom_rules import lemma_report
from tests.frameworks.test_custom_rules import names_argument as counterexample_names


def test_the_swish_layer_is_made_elementwise_and_its_rule_holds() -> None:
    from examples.elementwise_rule import Layer

    assert Layer.min_width == 1 and Layer.output_width(5) == 5
    assert "undecorated primal swish" in (Layer.reference or "")
    report = lemma_report(Layer, "G.step")
    row = report.row("G.step", "lemma", "MemorySavingSwish")
    assert row.status == "holds" and row.examples > 0, report.render()


def test_the_swish_rule_without_the_sigmoid_derivative_fails_g_step() -> None:
    from examples import elementwise_rule as ex

    def wrong_bwd(a: Any, g: Any) -> tuple[Any]:
        return (g * ex._sigmoid(a),)  # the a * sigmoid'(a) term left out

    fn = jax.custom_vjp(ex.swish.fun)
    fn.defvjp(ex._fwd, wrong_bwd)
    report = lemma_report(from_jax(fn, parameters={}, name="WrongSwish"), "G.step")
    d = report.diagnosis
    assert (d.root_cause, d.mode, d.layer) == ("G.step", "lemma", "WrongSwish"), \
        report.render()


def test_the_attention_layer_takes_whole_positions_and_its_rule_holds() -> None:
    from examples.attention_rule import DIM, Layer

    # layout ("N", "n_in", "dim"): one example is seq positions of DIM entries each.
    assert Layer.min_width == DIM and Layer.output_width(4 * DIM) == 4 * DIM
    assert Layer.output_width(4 * DIM - 1) is None
    layer = Layer(4 * DIM, 4 * DIM)
    assert layer.parameter_shapes() == {n: (DIM, DIM) for n in ("W_q", "W_k", "W_v")}
    for step in ("G.step", "G.param"):
        report = lemma_report(Layer, step)
        row = report.row(step, "lemma", "SelfAttention")
        assert row.status == "holds" and row.examples > 0, report.render()
        assert "undecorated primal attention" in row.oracle


def test_the_attention_rule_without_the_softmax_correction_fails_naming_a_product() -> None:
    from examples import attention_rule as ex

    def wrong_bwd(residuals: tuple[Any, ...], g: Any) -> tuple[Any, ...]:
        # The softmax's Jacobian taken as diag(p): g_s = p * g_p, the - <g_p, p> term
        # left out. Everything else as the example's rule.
        x, q, k, v, p, W_q, W_k, W_v = residuals
        g_o = g
        g_p = g_o @ jnp.swapaxes(v, -1, -2)
        g_v = jnp.swapaxes(p, -1, -2) @ g_o
        g_s = p * g_p
        scale = 1.0 / np.sqrt(ex.DIM)
        g_q, g_k = scale * (g_s @ k), scale * (jnp.swapaxes(g_s, -1, -2) @ q)
        g_x = g_q @ W_q.T + g_k @ W_k.T + g_v @ W_v.T
        return (g_x, jnp.einsum("nsi,nsj->ij", x, g_q),
                jnp.einsum("nsi,nsj->ij", x, g_k), jnp.einsum("nsi,nsj->ij", x, g_v))

    fn = jax.custom_vjp(ex.attention.fun)
    fn.defvjp(ex._fwd, wrong_bwd)
    wrong = from_jax(fn, input="x", parameters=ex.PARAMETERS, layout=("N", "n_in", "dim"),
                     sizes={"dim": ex.DIM}, bounds=ex.BOUNDS, name="WrongSelfAttention")
    report = lemma_report(wrong, "G.param")
    d = report.diagnosis
    assert (d.root_cause, d.mode, d.layer) == ("G.param", "lemma", "WrongSelfAttention"), \
        report.render()
    # W_v's product does not go through the softmax's backward; W_q's and W_k's do.
    assert counterexample_names(report, ("W_q", "W_k")), report.render()
