"""The public strategies: networks that fit by construction and shrink to the smallest depth."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import find, given, settings
from hypothesis.errors import InvalidArgument

import proofcheck
from proofcheck.catalog import f_instead_of_fprime, missing_transpose
from proofcheck.strategies import Network, inside_statement, networks

FIND = settings(max_examples=2000, database=None)
#: Derandomized: deleting a layer is a shrink step, but Hypothesis's shrinker does not
#: always take it. Measured with random seeds: ``find(networks(), "tanh" in
#: activations)`` ends at depth 1 in 25 of 30 runs, at depth 2 in 4 and 5 in 1; the
#: same holds for a plain list of the drawn layers (9 of 10). Under the ``dev`` profile
#: the test failed now and then; the fixed seed checks that the path exists, not that
#: every run finds it.
FIND_FIXED = settings(FIND, derandomize=True)


@settings(max_examples=50, database=None, deadline=None)
@given(networks())
def test_shapes_fit_and_the_network_is_inside_the_statement(net: Network) -> None:
    widths = net.widths
    assert len(widths) == net.depth + 1 and net.X.shape == (widths[0], net.batch_size)
    for l, (W, b) in enumerate(zip(net.weights, net.biases, strict=True), start=1):
        assert W.shape == (widths[l], widths[l - 1]) and b.shape == (widths[l],)
        assert np.all(np.abs(W).sum(axis=1) <= 1e3 * (1 + 1e-12))
        assert not np.any((W != 0) & (np.abs(W) < np.finfo(np.float64).tiny))
    assert net.Y.shape == (widths[-1], net.batch_size)
    assert inside_statement(net)


def test_depth_shrinks_by_deleting_layers() -> None:
    """A property of one layer shrinks to the one layer that has it, wherever it was drawn
    (the mistakes' depths below: one activation's derivative 1, the induction step 2)."""
    one = find(networks(), lambda n: "tanh" in n.activation_names, settings=FIND_FIXED)
    assert one.depth == 1


def test_a_mistake_in_one_activation_derivative_shrinks_to_depth_one() -> None:
    report = proofcheck.verify(f_instead_of_fprime, profile="ci", steps=["T1.grad"],
                               database=False)
    row = report.row("T1.grad", "end-to-end")
    assert row.status == "fails"
    assert row.counterexample is not None and row.counterexample.network is not None
    assert row.counterexample.network["depth"] == 1


def test_a_mistake_in_the_induction_step_shrinks_to_depth_two() -> None:
    report = proofcheck.verify(missing_transpose(), profile="ci", steps=["T1.step"],
                               database=False)
    for mode in ("isolated", "end-to-end"):
        row = report.row("T1.step", mode)
        assert row.status == "fails"
        assert row.counterexample is not None and row.counterexample.network is not None
        assert row.counterexample.network["depth"] == 2


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"weight_bound": "1"}, r"^weight_bound='1' must be a finite number > 0$"),
    ({"data_bound": True}, r"^data_bound=True must be a finite number > 0$"),
    ({"activations": "tanh"}, r"^activations='tanh' is one name"),
])
def test_arguments_of_the_wrong_type_are_refused_at_the_call(kwargs: dict[str, Any],
                                                              message: str) -> None:
    with pytest.raises(InvalidArgument, match=message):
        networks(**kwargs)
