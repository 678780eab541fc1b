"""Bad input to MatrixBackprop.gradients: one table, each message asserted."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from proofcheck import InputError, MatrixBackprop


def good() -> dict[str, Any]:
    return {
        "weights": [np.ones((3, 2)), np.ones((1, 3))],
        "biases": [np.zeros(3), np.zeros(1)],
        "activations": ["tanh", "sigmoid"],
        "cost": "squared_error",
        "X": np.ones((2, 4)),
        "Y": np.ones((1, 4)),
    }


def change(**kwargs: Any) -> dict[str, Any]:
    args = good()
    args.update(kwargs)
    return args


CASES = [
    ("depth 0", change(weights=[], biases=[], activations=[]), "depth k >= 1"),
    ("mismatched widths", change(weights=[np.ones((3, 2)), np.ones((1, 4))]),
     r"weights\[1\] \(W\^2\) has shape \(1, 4\).*n_1 = 3 columns"),
    ("bias shape", change(biases=[np.zeros(2), np.zeros(1)]),
     r"biases\[0\] \(b\^1\) has shape \(2,\); expected \(n_1,\) = \(3,\)"),
    ("unknown activation", change(activations=["tanh", "swish"]),
     r"activations\[1\] is 'swish'; expected one of: identity, sigmoid"),
    ("unknown cost", change(cost="hinge"), "cost is 'hinge'; expected one of"),
    ("integer array", change(X=np.ones((2, 4), dtype=np.int64)),
     "X has dtype int64; expected float64"),
    ("float32 array", change(X=np.ones((2, 4), dtype=np.float32)),
     "X has dtype float32; expected float64"),
    ("complex array", change(X=np.ones((2, 4), dtype=complex)),
     "X has dtype complex128; expected float64"),
    ("object array", change(X=np.ones((2, 4), dtype=object)), "X has dtype object"),
    ("a list, not an array", change(X=[[1.0, 2.0]]), "X must be a numpy array"),
    ("NaN in a parameter", change(weights=[np.full((3, 2), np.nan), np.ones((1, 3))]),
     r"weights\[0\] \(W\^1\) .* holds nan at index \[0, 0\]; every entry must be finite"),
    ("infinity in the data", change(Y=np.full((1, 4), np.inf)), "Y .* holds inf"),
    ("empty batch", change(X=np.ones((2, 0)), Y=np.ones((1, 0))), "the batch is empty"),
    ("X rows", change(X=np.ones((3, 4))), r"X has shape \(3, 4\); expected \(n_0, N\) = \(2, N\)"),
    ("Y shape", change(Y=np.ones((1, 3))), r"Y has shape \(1, 3\); expected \(n_k, N\) = \(1, 4\)"),
    ("cross-entropy target", change(cost="binary_cross_entropy", Y=np.full((1, 4), 2.0)),
     r"target Y .* must lie in \[0, 1\]"),
    ("cross-entropy output activation",
     change(cost="binary_cross_entropy", activations=["tanh", "relu"], Y=np.full((1, 4), 0.5)),
     r"cost 'binary_cross_entropy' needs an output activation in \['sigmoid'\]"),
    ("counts differ", change(biases=[np.zeros(3)]),
     "one entry per layer; got 2 weights, 1 biases and 2 activations"),
    ("weights not a list", change(weights=np.ones((3, 2))), "weights must be a list"),
]


@pytest.mark.parametrize(("label", "args", "message"), CASES, ids=[c[0] for c in CASES])
def test_bad_input_gets_a_clear_error(label: str, args: dict[str, Any], message: str) -> None:
    with pytest.raises(InputError, match=message):
        MatrixBackprop().gradients(**args)


def test_good_input_passes() -> None:
    dWs, dbs = MatrixBackprop().gradients(**good())
    assert [dW.shape for dW in dWs] == [(3, 2), (1, 3)]
    assert [db.shape for db in dbs] == [(3,), (1,)]
