"""Checks of the checker: the JAX oracle against finite differences.

These rows do not depend on the implementation under check. If one fails,
no verdict of the run can be trusted, and the diagnosis says so first.

They run on small networks with smooth activations only: finite differences
straddle a kink when a potential lies within a step of it (``relu``,
``leaky_relu``), and ``elu`` has a jump in its second derivative at 0, which
breaks Richardson extrapolation. The kinks are covered exactly by L4 and by
the kink tests of the test-suite.
"""

from __future__ import annotations

import numpy as np

from proofcheck._types import Float64Array
from proofcheck.network import Network, potential
from proofcheck.numerics.tolerances import TOLERANCES, compare
from proofcheck.oracle import finite_differences
from proofcheck.oracle import network as oracle
from proofcheck.properties._framework import Check, Property, Subject, register
from proofcheck.properties._lemmas import DifferentialPoint, differential_points
from proofcheck.strategies import networks

__all__: list[str] = []

#: Activations that are smooth enough for Richardson extrapolation. The oracle
#: checks do not depend on the implementation: they use every one of them, whatever
#: the implementation supports.
SMOOTH = frozenset({"identity", "sigmoid", "tanh", "softplus", "sin"})


def _fd_check(quantity: str, expected_fd: Float64Array, oracle_value: Float64Array,
              scale: float) -> Check:
    c = compare(oracle_value, expected_fd, "finite differences", scale=scale)
    return Check(quantity, None, None, {}, np.asarray(oracle_value), np.asarray(expected_fd), c)


def check_oracle_against_finite_differences(subject: Subject, net: Network) -> list[Check]:
    """Every network quantity of the JAX oracle equals its finite-difference value."""
    o = oracle.network_gradients(net)
    f = finite_differences.network_gradients(net)
    everything = [*o.deltas, *(g for theta in o.grads for g in theta.values()), o.grad_a]
    tol = TOLERANCES["finite differences"]
    scale = max(abs(o.C), max(float(np.max(np.abs(x))) for x in everything),
                f.rounding / tol.atol)
    checks = [_fd_check("dC/dA^k", f.grad_a, o.grad_a, scale)]
    for l in range(net.depth, 0, -1):
        checks.append(_fd_check(f"Delta^{l}", f.deltas[l - 1], o.deltas[l - 1], scale))
        checks += [_fd_check(f"dC/d{name}^{l}", f.grads[l - 1][name], value, scale)
                   for name, value in o.grads[l - 1].items()]
    return checks


register(Property(
    "T1.grad", "oracle check", (), about="mathematics", tolerance="finite differences",
    generates="a small network (depth 1..3, widths 1..4, smooth activations, a cost) and a "
              "batch of 1..3 examples",
    compares="the JAX oracle's Delta^l, dC/dW^l, dC/db^l and dC/dA^k with central finite "
             "differences of the mean cost (Richardson-extrapolated)",
    # Unscaled parameters (orders=0): a central difference with a relative step of 1e-3
    # is accurate only where the cost is smooth on that scale, which saturated or very
    # large networks are not; those magnitudes are the end-to-end rows' to probe.
    strategy=lambda ctx: networks(max_depth=3, max_width=4, max_batch=3, orders=0,
                                  activations=SMOOTH),
    check=check_oracle_against_finite_differences,
    oracle="finite differences (numpy), independent of JAX",
))


def check_oracle_jacobian_against_finite_differences(subject: Subject,
                                                     p: DifferentialPoint) -> list[Check]:
    """The oracle's Jacobians of a layer ``X -> f(W X + b 1^T)`` equal finite differences, for
    every smooth activation."""
    from proofcheck.activations import ACTIVATIONS, Activation

    checks = []
    for name in p.activations:
        f = ACTIVATIONS[name]
        _, J = oracle.layer_jacobian_and_jvp(name, p.W, p.b, p.X, np.zeros_like(p.X))

        def layer(X: Float64Array, f: Activation = f) -> Float64Array:
            return f(potential(p.W, X, p.b, np))

        J_fd = finite_differences.jacobian(layer, p.X)
        scale = max(1.0, float(np.max(np.abs(J))))
        checks.append(_fd_check(f"J^F(vec X) ({name})", J_fd, J, scale))
    return checks


register(Property(
    "L2", "oracle check", (), about="mathematics", tolerance="finite differences",
    generates="a layer F(X) = f(W X + b 1^T) (sides 1..4), for every smooth activation",
    compares="the JAX oracle's Jacobian J^F(vec X) (jax.jacfwd) with finite differences",
    strategy=lambda ctx: differential_points(SMOOTH),
    check=check_oracle_jacobian_against_finite_differences,
    oracle="finite differences (numpy), independent of JAX",
))
