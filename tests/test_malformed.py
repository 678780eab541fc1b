"""Every malformed input gets a clear InputError: a Hypothesis test over corruptions.

A valid network is drawn, then one corruption is applied at a drawn place.
The error must name the argument (and the layer, for per-layer arguments)
and say what was expected. The command-line cases (an ``--impl`` that does
not import, a missing attribute, an unknown ``--profile``) are in
test_cli.py's table; the table-driven cases with exact messages are in
test_validate.py.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from proofcheck import InputError, MatrixBackprop
from proofcheck.strategies import Network, networks

Args = dict[str, Any]
Corruption = Callable[[Args, st.DrawFn], str]


def _layer(args: Args, draw: st.DrawFn) -> int:
    return draw(st.integers(0, len(args["weights"]) - 1))


def wrong_weight_shape(args: Args, draw: st.DrawFn) -> str:
    l = _layer(args, draw)
    W = args["weights"][l]
    args["weights"][l] = np.ones((W.shape[0], W.shape[1] + draw(st.integers(1, 3))))
    return rf"weights\[{l}\] \(W\^{l + 1}\) has shape|X has shape"


def wrong_bias_shape(args: Args, draw: st.DrawFn) -> str:
    l = _layer(args, draw)
    args["biases"][l] = np.zeros(args["biases"][l].shape[0] + 1)
    return rf"biases\[{l}\] \(b\^{l + 1}\) has shape .*expected"


def matrix_bias(args: Args, draw: st.DrawFn) -> str:
    l = _layer(args, draw)
    args["biases"][l] = args["biases"][l][:, None]
    return rf"biases\[{l}\] \(b\^{l + 1}\) has shape .*expected 1 dimensions"


def unknown_activation(args: Args, draw: st.DrawFn) -> str:
    l = _layer(args, draw)
    args["activations"][l] = draw(st.sampled_from(["swish", "ReLU", "", "gelu"]))
    return rf"activations\[{l}\] is '.*'; expected one of: identity"


def unknown_cost(args: Args, draw: st.DrawFn) -> str:
    args["cost"] = draw(st.sampled_from(["hinge", "mse", "cross_entropy"]))
    return "cost is '.*'; expected one of: squared_error, binary_cross_entropy"


def bad_dtype(args: Args, draw: st.DrawFn) -> str:
    dtype = draw(st.sampled_from([np.int64, np.int32, np.float32, np.complex128, object,
                                  np.bool_]))
    where = draw(st.sampled_from(["weights", "biases", "X", "Y"]))
    if where in ("X", "Y"):
        args[where] = args[where].astype(dtype)
        return f"{where} has dtype"
    l = _layer(args, draw)
    args[where][l] = args[where][l].astype(dtype)
    return rf"{where}\[{l}\] .* has dtype"


def non_finite(args: Args, draw: st.DrawFn) -> str:
    value = draw(st.sampled_from([np.nan, np.inf, -np.inf]))
    where = draw(st.sampled_from(["weights", "biases", "X", "Y"]))
    array = args[where] if where in ("X", "Y") else args[where][_layer(args, draw)]
    index = tuple(draw(st.integers(0, s - 1)) for s in array.shape)
    array[index] = value
    return r"holds -?(nan|inf) at index .*; every entry must be finite"


def target_outside(args: Args, draw: st.DrawFn) -> str:
    args["activations"][-1] = "sigmoid"
    args["cost"] = "binary_cross_entropy"
    Y = np.clip(args["Y"], 0.0, 1.0)
    index = tuple(draw(st.integers(0, s - 1)) for s in Y.shape)
    Y[index] = draw(st.one_of(st.floats(1.0, 10.0, exclude_min=True),
                              st.floats(-10.0, 0.0, exclude_max=True)))
    args["Y"] = Y
    return r"binary_cross_entropy: target Y .* must lie in \[0, 1\]"


def empty_batch(args: Args, draw: st.DrawFn) -> str:
    args["X"] = args["X"][:, :0]
    args["Y"] = args["Y"][:, :0]
    return "the batch is empty"


def depth_zero(args: Args, draw: st.DrawFn) -> str:
    args["weights"], args["biases"], args["activations"] = [], [], []
    return "depth k >= 1"


def mismatched_data(args: Args, draw: st.DrawFn) -> str:
    which = draw(st.sampled_from(["X", "Y"]))
    args[which] = np.ones((args[which].shape[0] + 1, args[which].shape[1]))
    return f"{which} has shape .*; expected"


def wrong_count(args: Args, draw: st.DrawFn) -> str:
    which = draw(st.sampled_from(["biases", "activations"]))
    args[which] = args[which][:-1] if draw(st.booleans()) else [*args[which], args[which][0]]
    return "one entry per layer"


CORRUPTIONS: list[Corruption] = [
    wrong_weight_shape, wrong_bias_shape, matrix_bias, unknown_activation, unknown_cost,
    bad_dtype, non_finite, target_outside, empty_batch, depth_zero, mismatched_data,
    wrong_count,
]


def _args(net: Network) -> Args:
    return {"weights": [W.copy() for W in net.weights],
            "biases": [b.copy() for b in net.biases],
            "activations": list(net.activation_names), "cost": net.cost,
            "X": net.X.copy(), "Y": net.Y.copy()}


@pytest.mark.parametrize("corrupt", CORRUPTIONS, ids=[c.__name__ for c in CORRUPTIONS])
@given(net=networks(max_depth=3, max_width=4, max_batch=3), data=st.data())
def test_malformed_input_gets_a_clear_error(corrupt: Corruption, net: Network,
                                            data: st.DataObject) -> None:
    args = _args(net)
    expected = corrupt(args, data.draw)
    with pytest.raises(InputError, match=expected):
        MatrixBackprop().gradients(**args)
