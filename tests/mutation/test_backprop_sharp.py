"""Fast, sharp checks of :class:`proofcheck.MatrixBackprop`, run against each mutant.

The theorem's rows, and the generalized theorem's rows for ``layer_backprop``
(the lemma rows never call the implementation), one test per step so that
mutation testing, which stops at the first failing
test, spends on a killed mutant only the time of the step that kills it. The
isolated rows come first within a step (they are the quickest to fail).
Under the suite's profile; mutation testing runs them with ``CI=true``.

The step tests are marked ``mutation`` and left out of the default run: there
each repeats a row set that ``tests/test_reference.py::test_reference_holds``
already checks with the same call (that test asserts every row of every checked
step, these among them), about 45 s of the suite's processes for nothing new.
``tests/mutation/run.py`` selects them (its clean run fails if one does not
hold), and ``pytest -m mutation tests/mutation`` runs them by hand.
"""

from __future__ import annotations

import pytest

import proofcheck
from proofcheck.steps import STEPS

THEOREM_STEPS = [s.id for s in STEPS if s.kind == "theorem"]


@pytest.mark.mutation
@pytest.mark.parametrize("step", THEOREM_STEPS)
def test_reference_holds_on_the_theorem(profile: str, step: str) -> None:
    report = proofcheck.verify(proofcheck.MatrixBackprop(), profile=profile, steps=[step],
                               database=False, jobs=1)
    assert report.exit_status == 0, report.render()
    assert report.rows, f"no row checks {step}"
    assert all(row.status == "holds" and row.examples > 0 for row in report.rows), \
        report.render()


GENERALIZED_STEPS = [s.id for s in STEPS if s.kind == "generalization"]


@pytest.mark.mutation
@pytest.mark.parametrize("step", GENERALIZED_STEPS)
def test_layer_backprop_holds_on_the_generalized_theorem(profile: str, step: str) -> None:
    """The network rows of G.* run :func:`proofcheck.backprop.layer_backprop` (the
    package's numpy backpropagation over layer types, in the same module)."""
    report = proofcheck.verify(profile=profile, steps=[step], database=False, jobs=1)
    assert report.exit_status == 0, report.render()
    network_rows = [row for row in report.rows if row.mode in ("isolated", "end-to-end")]
    assert network_rows, f"no network row checks {step}"
    assert all(row.status == "holds" and row.examples > 0 for row in report.rows), \
        report.render()


def test_layer_backprop_returns_the_forward_pass_it_ran() -> None:
    """``layer_backprop``'s ``Zs`` and ``As`` are the oracle's forward pass (the rows
    read its deltas and gradients only)."""
    from hypothesis import given, settings

    from proofcheck.backprop import layer_backprop
    from proofcheck.layers import ACTIVATION_MAPS, LAYER_TYPES
    from proofcheck.network import Network
    from proofcheck.numerics.tolerances import compare
    from proofcheck.oracle import network as oracle
    from proofcheck.strategies import layer_networks

    @settings(max_examples=20, database=None)
    @given(layer_networks(LAYER_TYPES, ACTIVATION_MAPS))
    def forward_pass(net: Network) -> None:
        g, o = layer_backprop(net), oracle.network_gradients(net)
        assert len(g.Zs) == len(o.Zs) == net.depth and len(g.As) == len(o.As) == net.depth + 1
        for mine, theirs in zip(g.Zs + g.As, o.Zs + o.As, strict=True):
            assert compare(mine, theirs, "gradient").holds

    forward_pass()
