"""Layer types: registration, the mutants of the five new types, and a user's own layer."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import proofcheck
from proofcheck.catalog import LAYER_CATALOG, LayerMistake
from proofcheck.diagnosis.misconceptions import name_misconception
from proofcheck.layers import ACTIVATION_MAPS, LAYER_TYPES
from proofcheck.properties import PROPERTIES
from tests.single_example import run_check

ROOT = Path(__file__).resolve().parents[2]


def test_every_registered_type_has_a_lemma_row() -> None:
    lemma_layers = {p.layer for p in PROPERTIES if p.mode == "lemma" and p.layer}
    assert {t.name for t in LAYER_TYPES} <= lemma_layers
    assert "softmax" in lemma_layers and "elementwise" in lemma_layers
    # A layer map's input product is checked under G.step, its parameter products under
    # G.param, where a type without parameters (Dropout) has nothing to check.
    keys = {p.key for p in PROPERTIES}
    for t in LAYER_TYPES:
        assert f"G.step/lemma/{t.name}" in keys
        assert (f"G.param/lemma/{t.name}" in keys) == (t.name != "Dropout"), t.name
    assert {"G.base/lemma/softmax", "G.base/lemma/elementwise"} <= keys
    assert {t.name for t in LAYER_TYPES} >= {"Affine", "Conv1D", "LayerNorm", "Residual",
                                            "Dropout"}
    assert "softmax" in {f.name for f in ACTIVATION_MAPS}


@pytest.mark.parametrize("mutant", LAYER_CATALOG, ids=[m.layer.__name__ for m in LAYER_CATALOG])
def test_layer_mutant_is_caught_by_its_lemma(mutant: LayerMistake) -> None:
    # The root cause's own step is enough: nothing before G.base depends on a layer
    # type, and a layer map's products are not used by G.base's rows (its own rows hold
    # for every registered type in tests/test_reference.py). An activation map's
    # mistake has G.base for its root cause.
    steps = [mutant.root_cause]
    report = proofcheck.verify(layer=mutant.layer, profile="ci", database=False, steps=steps)
    assert report.exit_status == 1, report.render()
    d = report.diagnosis
    assert (d.root_cause, d.mode, d.layer) == (mutant.root_cause, "lemma", mutant.layer_name), \
        report.render()
    row = report.row(mutant.root_cause, "lemma", mutant.layer_name)
    assert row.counterexample is not None
    # The misconception matcher names the mistake on its own counterexample, and never
    # the registered type it changes.
    assert mutant.name in [m.entry.name for m in name_misconception(mutant.layer, row)]
    assert name_misconception(mutant.layer.__mro__[1], row) == []
    # The network rows of the root cause's step shrink to the smallest depth at which
    # the mistake can show: an input product is used only by the layer before it
    # (depth 2); an activation's or a parameter product shows in one layer.
    smallest = 2 if mutant.root_cause == "G.step" else 1
    for mode in ("isolated", "end-to-end"):
        network_row = report.row(mutant.root_cause, mode)
        if network_row.status == "fails":
            assert network_row.counterexample is not None
            depth = network_row.counterexample.network["depth"]
            assert depth <= smallest + SHRINK_SLACK.get((mutant.name, mode), 0), \
                report.render()


#: Network rows whose counterexample may stop one layer above the smallest depth, and why.
#: Conv1DKernelNotFlipped: Hypothesis stops at Affine(1 -> 4), LayerNorm(4), Conv1D in
#: the isolated row, and at LayerNorm(1), Affine(1 -> 4), Conv1D end-to-end, depending on
#: the examples the ci stream gives (both seen on clean clones). Deleting the
#: width-preserving LayerNorm needs two runs of choices deleted together (the layer and
#: the choice to draw one more), which the shrinker does not always try; the paper's
#: networks show the same (tests/test_strategies.py: depth 1 in 25 of 30 random runs).
#: The root cause (the lemma row) keeps its minimal point either way. A shrinking step
#: of our own that deletes width-preserving layers would make this exact.
SHRINK_SLACK = {("Conv1DKernelNotFlipped", "end-to-end"): 1,
                ("Conv1DKernelNotFlipped", "isolated"): 1}


USER_LAYER = '''
import numpy as np
from hypothesis import strategies as st
from proofcheck.layers import LayerMap


class ScaledTanh(LayerMap):
    """z = s * tanh(W a): one scale s and a weight matrix W."""

    name = "ScaledTanh"

    def __init__(self, n_in, n_out):
        super().__init__(n_in)
        self._n_out = n_out

    @classmethod
    def configurations(cls, n_in, max_width):
        return st.integers(1, max_width).map(lambda n_out: cls(n_in, n_out))

    @property
    def n_out(self):
        return self._n_out

    def parameter_shapes(self):
        return {"W": (self.n_out, self.n_in), "s": (1,)}

    def forward(self, a, params, xp):
        return params["s"][:, None] * xp.tanh(params["W"] @ a)

    def input_product(self, a, params, delta):
        t = np.tanh(params["W"] @ a)
        return params["W"].T @ (params["s"][:, None] * (1 - t * t) * delta)

    def parameter_products(self, a, params, delta):
        t = np.tanh(params["W"] @ a)
        g = params["s"][:, None] * (1 - t * t) * delta
        return {"W": g @ a.T, "s": np.array([np.sum(t * delta)])}


class ScaledTanhWrong(ScaledTanh):
    def input_product(self, a, params, delta):
        t = np.tanh(params["W"] @ a)
        return params["W"].T @ ((1 - t * t) * delta)   # the scale s forgotten
'''


def _run(tmp_path: Path, target: str, steps: str) -> subprocess.CompletedProcess[str]:
    (tmp_path / "my_layer.py").write_text(USER_LAYER)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "proofcheck", "verify", "-j", "1",
                           "--layer", target, "--steps", steps,
                           "--profile", "ci", "--no-database", "-q"], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=900)


# The command line on a file of the user's: a layer type is imported from it and its
# rows are run (G.step, which uses its input product; a parameter product of a type
# that is not registered is checked by the catalog's AffineParameterProductsAveraged).
def test_user_layer_in_its_own_file_is_checked(tmp_path: Path) -> None:
    out = _run(tmp_path, "my_layer:ScaledTanh", "G.step")
    assert out.returncode == 0, out.stdout + out.stderr
    assert "ScaledTanh: hand-derived" in out.stdout
    assert "G.step" in out.stdout and "T1.step" not in out.stdout


def test_user_layer_with_a_wrong_product_fails_with_its_lemma(tmp_path: Path) -> None:
    out = _run(tmp_path, "my_layer:ScaledTanhWrong", "G.base,G.step")
    assert out.returncode == 1, out.stdout + out.stderr
    assert "Diagnosis: G.step lemma (ScaledTanh) fails in isolation" in out.stdout
    assert "ScaledTanhWrong.input_product" in out.stdout


def test_layer_must_be_a_layer_type() -> None:
    with pytest.raises(proofcheck.ImplementationError, match=r"subclass of proofcheck\.layers"):
        proofcheck.verify(layer=int, profile="ci")


@pytest.mark.parametrize("a, gamma", [
    (np.full((3, 1), 0.557427), np.zeros(3)),  # XLA's mean is one ulp off: x = 3.5e-14, not 0
    (np.zeros((3, 2)), np.full(3, 0.75)),  # the input product's terms are gamma delta / sigma
], ids=["constant column, gamma 0", "zero input"])
def test_layernorm_lemma_holds_on_a_constant_column(a: np.ndarray, gamma: np.ndarray) -> None:
    """Found in CI: the scale of a lemma comparison may not vanish with a parameter or
    the input, when the terms the product sums do not."""
    from proofcheck.layers import LayerNorm
    from proofcheck.properties import Subject
    from proofcheck.properties._generalization import (
        ProductPoint,
        check_layer_input_lemma,
        check_layer_parameter_lemma,
    )

    point = ProductPoint(LayerNorm(3, True), {"gamma": gamma, "beta": np.zeros(3)}, a,
                       np.full(a.shape, 0.75))
    checks = [*run_check(check_layer_input_lemma, Subject(None), point),
              *run_check(check_layer_parameter_lemma, Subject(None), point)]
    assert [c.quantity for c in checks] == ["J_a^T delta", "J_gamma^T delta", "J_beta^T delta"]
    assert all(c.comparison.holds for c in checks), [c.comparison for c in checks]


def test_softmax_of_equal_inputs_is_not_a_false_alarm() -> None:
    """Found in CI (the docs' Bilinear example): a softmax whose product s * (g - s^T g)
    cancels to 0 in numpy and to 1e-17 in XLA, after an affine layer with b = 0; the
    scale may not vanish because b, which is not a factor of W^T delta, is 0."""
    from proofcheck.layers import Affine
    from proofcheck.network import Network
    from proofcheck.properties import Subject
    from proofcheck.properties._generalization import (
        check_G_step_end_to_end,
        check_G_step_isolated,
    )

    maps = {f.describe(): f for f in ACTIVATION_MAPS}
    net = Network([Affine(1, 2), Affine(2, 1)],
                       [{"W": np.zeros((2, 1)), "b": np.array([0.5, 0.0])},
                        {"W": np.array([[0.25, 0.25]]), "b": np.zeros(1)}],
                       [maps["softmax"], maps["sigmoid"]], "binary_cross_entropy",
                       np.zeros((1, 1)), np.zeros((1, 1)))
    for run in (check_G_step_end_to_end, check_G_step_isolated):
        checks = run(Subject(None), net)
        assert all(c.comparison.holds for c in checks), [c.comparison for c in checks]


class OneExampleAtATime(proofcheck.layers.LayerMap):
    """z = W a, whose numpy forward refuses a batch of more than one example (as a
    framework layer's forward may refuse an input it cannot take)."""

    name = "OneExampleAtATime"

    def __init__(self, n_in: int, n_out: int) -> None:
        super().__init__(n_in)
        self._n_out = n_out

    @classmethod
    def configurations(cls, n_in: int, max_width: int) -> object:
        from hypothesis import strategies as st

        return st.integers(1, max_width).map(lambda n_out: cls(n_in, n_out))

    @property
    def n_out(self) -> int:
        return self._n_out

    def parameter_shapes(self) -> dict[str, tuple[int, ...]]:
        return {"W": (self.n_out, self.n_in)}

    def forward(self, a: object, params: dict[str, object], xp: object) -> object:
        if xp is np and np.shape(a)[1] > 1:
            raise ValueError("this forward takes one example at a time")
        return params["W"] @ a  # type: ignore[operator]

    def input_product(self, a: object, params: dict[str, object], delta: object) -> object:
        return params["W"].T @ delta  # type: ignore[attr-defined]

    def parameter_products(self, a: object, params: dict[str, object],
                           delta: object) -> dict[str, object]:
        return {"W": delta @ a.T}  # type: ignore[attr-defined,operator]


def test_an_exception_from_a_layers_forward_fails_the_row_naming_it() -> None:
    # It escaped verify (and ended a whole run) before: the forward pass through the
    # user's layers was not called as user code.
    report = proofcheck.verify(layer=OneExampleAtATime, profile="ci", database=False,
                               steps=["G.base"])
    row = report.row("G.base", "isolated")
    assert row.status == "fails" and row.counterexample is not None
    assert row.counterexample.function == "OneExampleAtATime.forward"
    assert "one example at a time" in report.render()
