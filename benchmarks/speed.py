"""Gradient speed, the cheap-gradient ratio, achieved GFLOP/s and peak memory.

The network: ``k`` fully connected layers of equal width ``n`` (``n_0 = ... =
n_k = n``), batch ``N``, one activation everywhere, squared error. The same
definition of ``C`` (:func:`proofcheck.network.forward` and the cost's
``forward``) is run by numpy and differentiated by JAX.

Flops (multiply and add counted as two) are those of the matrix products only:
the forward pass has ``k`` products ``W^l A^{l-1}``, the backward pass ``k``
products ``Delta^l (A^{l-1})^T`` and ``k - 1`` products ``(W^{l+1})^T
Delta^{l+1}``; each costs ``2 n_l n_{l-1} N``.
"""

from __future__ import annotations

import time
import tracemalloc
from typing import Any

import numpy as np
from harness import interleaved

from proofcheck import MatrixBackprop
from proofcheck._validate import network as validate_network
from proofcheck.activations import ACTIVATIONS
from proofcheck.network import affine_forward, forward_numpy, mean_cost

COST = "squared_error"


def make_network(depth: int, width: int, batch: int, seed: int = 0) -> dict[str, Any]:
    """Weights scaled so that every layer keeps its potentials of order one."""
    rng = np.random.default_rng(seed)
    Ws = [rng.uniform(-1, 1, (width, width)) * np.sqrt(3.0 / width) for _ in range(depth)]
    bs = [rng.uniform(-0.1, 0.1, width) for _ in range(depth)]
    X = rng.uniform(-1, 1, (width, batch))
    Y = rng.uniform(-1, 1, (width, batch))
    return {"Ws": Ws, "bs": bs, "X": X, "Y": Y}


def product_flops(depth: int, width: int, batch: int) -> float:
    return float((3 * depth - 1) * 2 * width * width * batch)


def jax_gradient(net: dict[str, Any], activation: str) -> Any:
    """``jax.jit(jax.value_and_grad(C))`` (float64), compiled before it is returned."""
    import jax
    import jax.numpy as jnp

    jax.config.update("jax_enable_x64", True)
    f = ACTIVATIONS[activation].forward
    depth = len(net["Ws"])

    def C(Ws: Any, bs: Any, X: Any, Y: Any) -> Any:
        maps = [lambda Z: f(Z, jnp)] * depth
        _, As = affine_forward(Ws, bs, maps, X, jnp)
        return mean_cost(As[-1], Y, COST, jnp)

    g = jax.jit(jax.value_and_grad(C, argnums=(0, 1)))
    args = [jax.device_put(a) for a in (net["Ws"], net["bs"], net["X"], net["Y"])]

    def run() -> Any:
        return jax.block_until_ready(g(*args))

    run()
    return run


def numpy_candidates(net: dict[str, Any], activation: str) -> dict[str, Any]:
    impl = MatrixBackprop()
    depth = len(net["Ws"])
    names = [activation] * depth
    Ws, bs, X, Y = net["Ws"], net["bs"], net["X"], net["Y"]

    def gradients() -> Any:
        return impl.gradients(Ws, bs, names, COST, X, Y)

    def forward_cost() -> Any:  # evaluating C: what the cheap-gradient principle compares with
        _, As = impl.forward(Ws, bs, names, X)
        return mean_cost(As[-1], Y, COST, np)

    # The same products as gradients, on arrays of the same shapes, nothing else.
    D = [np.ascontiguousarray(A) for A in forward_numpy(Ws, bs, names, X)[1]]
    out = np.empty_like(X)
    out_w = np.empty_like(Ws[0])

    def matmuls() -> None:
        for l in range(depth):
            np.matmul(Ws[l], D[l], out=out)
        for l in range(depth, 0, -1):
            np.matmul(D[l], D[l - 1].T, out=out_w)
            if l > 1:
                np.matmul(Ws[l - 1].T, D[l], out=out)

    return {"gradients": gradients, "forward": forward_cost, "matmuls": matmuls}


def phases(net: dict[str, Any], activation: str, repeats: int) -> dict[str, float]:
    """Median seconds of each part of ``gradients``: a profile of where the time goes."""
    depth = len(net["Ws"])
    names = [activation] * depth
    Ws, bs, X, Y = net["Ws"], net["bs"], net["X"], net["Y"]
    spent: dict[str, list[float]] = {}

    class Timed(MatrixBackprop):
        pass

    def wrap(name: str) -> None:
        inner = getattr(MatrixBackprop, name)

        def timed(self: Any, *args: Any) -> Any:
            t0 = time.perf_counter()
            out = inner(self, *args)
            spent.setdefault(name, []).append(time.perf_counter() - t0)
            return out

        setattr(Timed, name, timed)

    for name in ("forward", "output_delta", "backward_delta", "weight_grad", "bias_grad"):
        wrap(name)
    timed_impl = Timed()
    totals: dict[str, list[float]] = {}
    for _ in range(repeats + 1):
        spent.clear()
        t0 = time.perf_counter()
        validate_network(Ws, bs, names, COST, X, Y)
        t_validate = time.perf_counter() - t0
        t0 = time.perf_counter()
        timed_impl.gradients(Ws, bs, names, COST, X, Y)
        t_total = time.perf_counter() - t0
        parts = {name: sum(v) for name, v in spent.items()}
        parts["validate input"] = t_validate
        parts["rest (cost gradient, f'(Z), bookkeeping)"] = (
            t_total - sum(parts.values()))  # validate is inside gradients too
        parts["gradients (total)"] = t_total
        for name, v in parts.items():
            totals.setdefault(name, []).append(v)
    # forward split into its products and its elementwise part
    f = ACTIVATIONS[activation]
    prod, elem = [], []
    for _ in range(repeats):
        A = X
        tp = te = 0.0
        for W, b in zip(Ws, bs, strict=True):
            t0 = time.perf_counter()
            Z = W @ A + b[:, None]
            t1 = time.perf_counter()
            A = f.forward(Z, np)
            t2 = time.perf_counter()
            tp, te = tp + t1 - t0, te + t2 - t1
        prod.append(tp)
        elem.append(te)
    out = {name: float(np.median(v[1:])) for name, v in totals.items()}
    out["forward: products and bias"] = float(np.median(prod))
    out["forward: activation f(Z)"] = float(np.median(elem))
    return out


def memory(net: dict[str, Any], activation: str) -> dict[str, Any]:
    """Peak memory allocated by ``gradients`` (tracemalloc) against what it must hold."""
    impl = MatrixBackprop()
    depth = len(net["Ws"])
    names = [activation] * depth
    Ws, bs, X, Y = net["Ws"], net["bs"], net["X"], net["Y"]
    impl.gradients(Ws, bs, names, COST, X, Y)  # warm: first-call allocations
    tracemalloc.start()
    dWs, dbs = impl.gradients(Ws, bs, names, COST, X, Y)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    item = 8
    n, N = Ws[0].shape[0], X.shape[1]
    outputs = sum(W.size for W in Ws) * item + sum(b.size for b in bs) * item
    stored = 2 * depth * n * N * item  # Z^l and A^l, l = 1..k (A^0 = X is the caller's)
    temporaries = 3 * n * N * item  # one layer: f'(Z^l), the product, Delta^l
    need = outputs + stored + temporaries
    jacobian = (n * N) ** 2 * item  # J^{Z^l}(vec A^{l-1}): never to be formed
    kron = (n * N) * (n * n) * item  # A^T kron I: never to be formed
    return {"peak_bytes": peak, "need_bytes": need, "peak_over_need": peak / need,
            "need_parts_bytes": {"gradient outputs (= parameter size)": outputs,
                                 "stored Z^l, A^l": stored,
                                 "one layer's temporaries (3 x n_l N)": temporaries},
            "one_layer_jacobian_bytes": jacobian, "one_kron_product_bytes": kron,
            "peak_over_jacobian": peak / jacobian, "checked_dW_shape": list(dWs[0].shape),
            "checked_db_shape": list(dbs[0].shape)}


def numpy_child(depth: int, width: int, batch: int, activation: str, *, repeats: int,
                profile: bool) -> dict[str, Any]:
    """Time the numpy candidates (and, with ``profile``, phases and memory) in this process."""
    net = make_network(depth, width, batch)
    candidates = numpy_candidates(net, activation)
    t = interleaved(candidates, warmup=2, repeats=repeats, min_seconds=0.05)
    out: dict[str, Any] = {"timings": {k: v.as_dict() for k, v in t.items()}}
    if profile:
        out["phases_s"] = phases(net, activation, repeats=max(3, repeats // 2))
        out["memory"] = memory(net, activation)
        dWs, dbs = candidates["gradients"]()
        out["dW1"], out["db1"] = dWs[0], dbs[0]
    return out


def jax_child(depth: int, width: int, batch: int, activation: str, *, repeats: int,
              profile: bool) -> dict[str, Any]:
    """Time ``jax.jit(jax.value_and_grad(C))`` in this process (no numpy BLAS work here)."""
    net = make_network(depth, width, batch)
    run = jax_gradient(net, activation)
    t = interleaved({"jax": run}, warmup=2, repeats=repeats, min_seconds=0.05)
    out: dict[str, Any] = {"timings": {k: v.as_dict() for k, v in t.items()}}
    if profile:
        _, (dWs, dbs) = run()
        out["dW1"], out["db1"] = np.asarray(dWs[0]), np.asarray(dbs[0])
    return out
