"""Three ways to run the oracle on the stream of networks a check draws.

``bucket``
    what :func:`proofcheck.oracle.network.network_gradients` does: pad every array
    to a bucket shape (the depth too) and trace one function per bucket.
``shape``
    the same traced function, called on the unpadded arrays (every layer
    real): ``jax.jit`` then traces and compiles once per shape signature
    (depth, every width, batch).
``eager``
    the same function with ``jax.disable_jit()``: no whole-function
    compilation, every primitive is dispatched on its own.

Each option runs in a fresh process (cold caches, as ``proofcheck verify``
starts) on the same derandomized stream drawn by
:func:`proofcheck.strategies.networks`, and returns its total time and every
gradient, so that the options can be compared for exactness.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
from hypothesis import HealthCheck, Phase, given, settings

from proofcheck.strategies import Network, networks


def draw_stream(count: int) -> list[Network]:
    """``count`` networks from the default strategy, the same ones every run."""
    drawn: list[Network] = []

    @settings(max_examples=count, derandomize=True, database=None, phases=[Phase.generate],
              deadline=None, suppress_health_check=list(HealthCheck))
    @given(networks())
    def collect(net: Network) -> None:
        drawn.append(net)

    collect()
    return drawn[:count]


def _unpadded(net: Network) -> dict[str, Any]:
    from proofcheck.costs import COSTS
    from proofcheck.oracle import network as oracle

    tables = oracle._tables()
    widths = [net.weights[0].shape[1]] + [W.shape[0] for W in net.weights]
    k = len(net.weights)
    return dict(Ws=list(net.weights), bs=list(net.biases), X=net.X, Y=net.Y,
                act_idx=oracle._activation_index(tables, net.activation_names),
                kinks=[np.array([np.nan, 0.0, 0.0])] * k, real=np.ones(k, dtype=bool),
                cost_idx=np.int32(tables.costs.index(net.cost)),
                out_rows=np.ones(widths[-1], dtype=bool), cols=np.ones(net.X.shape[1], dtype=bool),
                n=np.float64(net.X.shape[1]),
                neutral=np.array(COSTS[net.cost].neutral, dtype=np.float64))


def run_option(option: str, count: int) -> dict[str, Any]:
    """Run ``option`` on the stream; seconds in total, first call and the rest; the gradients."""
    import jax

    from proofcheck.oracle import network as oracle

    nets = draw_stream(count)
    fn = oracle._network_function(oracle._tables())
    results: list[list[np.ndarray]] = []
    seconds: list[float] = []
    for net in nets:
        t0 = time.perf_counter()
        if option == "bucket":
            g = oracle.network_gradients(net)
            grads = g.dWs + g.dbs
        else:
            args = _unpadded(net)
            with jax.numpy_rank_promotion("raise"):
                if option == "eager":
                    with jax.disable_jit():
                        out = fn(**args)
                else:
                    out = fn(**args)
            grads = [np.asarray(d) for d in out[6]] + [np.asarray(d) for d in out[7]]
        seconds.append(time.perf_counter() - t0)
        results.append(grads)
    signatures = {(len(n.weights), tuple(W.shape for W in n.weights), n.X.shape[1])
                  for n in nets}
    depths = {len(n.weights) for n in nets}
    return {"option": option, "networks": len(nets), "total_s": sum(seconds),
            "first_call_s": seconds[0], "median_call_s": float(np.median(seconds)),
            "shape_signatures": len(signatures), "depths": len(depths),
            "gradients": results}


def max_relative_difference(a: list[list[np.ndarray]], b: list[list[np.ndarray]]) -> float:
    """Largest ``|a - b| / max(|b|, tiny)`` over every entry of every gradient."""
    worst = 0.0
    for ga, gb in zip(a, b, strict=True):
        for x, y in zip(ga, gb, strict=True):
            scale = np.maximum(np.abs(y), np.finfo(np.float64).tiny)
            worst = max(worst, float(np.max(np.abs(x - y) / scale, initial=0.0)))
    return worst
