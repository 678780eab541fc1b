"""A second, independent oracle: finite differences with Richardson extrapolation.

It shares no code with JAX's autodiff: it evaluates the forward definitions of
:mod:`proofcheck.network` with numpy and differentiates them numerically. It
checks the first oracle (:mod:`proofcheck.oracle.network`), on small networks with
smooth activations where finite differences are accurate.

In math: for a scalar ``C`` and a direction ``e``,

    D(h) = (C(x + h e) - C(x - h e)) / (2 h)        error O(h^2)
    R(h) = (4 D(h/2) - D(h)) / 3                    error O(h^4)

with the step chosen per entry from its magnitude, ``h = STEP * max(1, |x|)``.
With ``STEP = 1e-3`` the truncation error is about ``1e-12`` relative and the
rounding error about ``u M / h`` with ``M`` the largest ``|C|`` evaluated, so
the two oracles must agree to the ``"finite differences"`` tolerance of
:mod:`proofcheck.numerics.tolerances`, with an absolute floor of ``ROUNDING u M / h``
(returned as ``rounding``): a derivative smaller than that is beyond what
finite differences can resolve (a target of ``1e-62`` next to ``h = 1e-3``
vanishes in ``(h - y)^2``).

One-sided differences (a third opinion)
---------------------------------------
Where a layer's hand-written rule and the reference (autodiff of its forward
map) disagree, the forward map itself decides, by its left and right
derivatives (:func:`one_sided_derivatives`). At a kink the two differ, and any
value between them is a valid (generalized) derivative; where the forward map is
written so that autodiff takes a branch the value does not (a ``where`` that
picks a constant at ``a = 0``), they agree with each other and not with autodiff.
In math, for a scalar ``C``, a side ``s = +1`` (right) or ``-1`` (left), and the
steps ``h, h/2, h/4``::

    D_s(h) = s (C(x + s h) - C(x)) / h             error O(h): C'' h / 2
    R_s(h) = 2 D_s(h/2) - D_s(h)                    error O(h^2)

The value is ``R_s(h/2)``; its error is estimated by ``|R_s(h/2) - R_s(h)|`` (the
extrapolation's own change) plus the rounding bound ``ROUNDING u M / (h/4)``.
A second order method balances truncation ``h^2`` against rounding ``u / h`` at
``h ~ u^(1/3) = 5e-6``: ``ONE_SIDED_STEP = 1e-5`` (relative to ``max(1, |x|)``)
keeps both near ``1e-10`` of ``C``'s magnitude. The differences never cross the
point itself; a second kink within ``h`` of it does spoil them: between ``h/4``
and ``h`` the two extrapolations disagree and the error estimate grows with
them, but a kink closer than ``h/4`` (``2.5e-6``) is stepped over by all three
and the slope beyond it is measured. The third opinion therefore only ever
decides between values the two sides give (see
:mod:`proofcheck.properties._third_opinion`).
"""


from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import numpy as np

from proofcheck._types import Float64Array
from proofcheck.network import Network, forward, mean_cost

__all__ = ["ONE_SIDED_STEP", "STEP", "FiniteDifferenceGradients", "OneSided", "derivative",
           "jacobian", "network_gradients", "one_sided_derivatives", "one_sided_partial"]

#: Relative step of the central differences.
STEP = 1e-3
#: Safety factor of the rounding bound ``ROUNDING u M / h``.
ROUNDING = 64.0
#: Relative step of the one-sided differences (see the module's docstring).
ONE_SIDED_STEP = 1e-5


class OneSided(NamedTuple):
    """The left and right derivatives of a scalar function at a point.

    Attributes
    ----------
    left, right : float
        Richardson-extrapolated one-sided differences.
    error : float
        An estimate of the error of either: the change of the extrapolation
        between two steps, plus the rounding bound.
    """

    left: float
    right: float
    error: float

    @property
    def low(self) -> float:
        return min(self.left, self.right)

    @property
    def high(self) -> float:
        return max(self.left, self.right)


def one_sided_derivatives(C: Callable[[float], float], x: float) -> OneSided:
    """``C'(x-)`` and ``C'(x+)`` by Richardson-extrapolated one-sided differences.

    ``C`` is evaluated at ``x`` and at ``x +- h, x +- h/2, x +- h/4`` with
    ``h = ONE_SIDED_STEP * max(1, |x|)``; each difference divides by the step as
    float64 represents it (``(x + h) - x``), not by ``h``.
    """
    h = ONE_SIDED_STEP * max(1.0, abs(x))
    c0 = float(C(x))
    largest = abs(c0)
    sides = []
    for sign in (-1.0, 1.0):
        D = []
        for i in range(3):
            step = (x + sign * h / 2.0**i) - x
            value = float(C(x + step))
            largest = max(largest, abs(value))
            D.append((value - c0) / step)
        coarse, fine = 2.0 * D[1] - D[0], 2.0 * D[2] - D[1]
        sides.append((fine, abs(fine - coarse)))
    rounding = ROUNDING * float(np.finfo(np.float64).eps) * largest / (h / 4.0)
    (left, e_left), (right, e_right) = sides
    error = max(e_left, e_right) + rounding
    if not np.isfinite(error):
        error = np.inf
    return OneSided(left, right, float(error))


def one_sided_partial(s: Callable[[Float64Array], float], X: Float64Array,
                      index: tuple[int, ...]) -> OneSided:
    """The left and right partial derivatives of the scalar ``s`` at ``X`` along the entry
    ``index`` of ``X`` (:func:`one_sided_derivatives`); ``X`` is left unchanged."""
    X = np.array(X, dtype=np.float64)
    x0 = float(X[index])

    def along(x: float) -> float:
        Y = X.copy()
        Y[index] = x
        return float(s(Y))

    return one_sided_derivatives(along, x0)


def derivative(C: Callable[[float], float], x: float) -> float:
    """``dC/dx`` by Richardson-extrapolated central differences."""
    h = STEP * max(1.0, abs(x))

    def central(h: float) -> float:
        return (C(x + h) - C(x - h)) / (2.0 * h)

    return (4.0 * central(h / 2.0) - central(h)) / 3.0


def jacobian(F: Callable[[Float64Array], Float64Array], X: Float64Array) -> Float64Array:
    """``J^F(vec X)`` by finite differences, one column per entry of ``vec X``.

    ``F`` maps an array of ``X``'s shape to an array; rows of the result
    follow ``vec F(X)`` (column-major), columns follow ``vec X``.
    """
    x = X.reshape(-1, order="F")
    columns = []
    for j in range(x.size):
        def along(t: float, j: int = j) -> Float64Array:
            y = x.copy()
            y[j] += t
            return np.asarray(F(y.reshape(X.shape, order="F")), dtype=np.float64).reshape(
                -1, order="F")

        h = STEP * max(1.0, abs(x[j]))
        d1 = (along(h) - along(-h)) / (2 * h)
        d2 = (along(h / 2) - along(-h / 2)) / h
        columns.append((4 * d2 - d1) / 3)
    return np.stack(columns, axis=1)


class FiniteDifferenceGradients(NamedTuple):
    """``Delta^l``, ``dC/dtheta^l`` by parameter name (``grads[l-1]["W"] = dC/dW^l``) and
    ``dC/dA^k`` by finite differences.

    ``rounding`` bounds the absolute rounding error of every value returned.
    """

    deltas: list[Float64Array]
    grads: list[dict[str, Float64Array]]
    grad_a: Float64Array
    rounding: float


def network_gradients(net: Network) -> FiniteDifferenceGradients:
    """Every quantity the check uses, by finite differences of the mean cost ``C`` (D4).

    ``net`` is the network and its data (:class:`proofcheck.network.Network`), of
    any layer types; it is left unchanged. ``Delta^l`` is the derivative of ``C``
    with respect to a shift of the potential ``Z^l`` (D3, D4); ``dC/dA^k`` with
    respect to a shift of the output.
    """
    params = [{name: np.array(v, dtype=np.float64) for name, v in theta.items()}
              for theta in net.params]
    moved = net._replace(params=params)
    shifts = [np.zeros((layer.n_out, net.batch_size)) for layer in net.layers]
    out_shift = np.zeros_like(net.Y)
    maps = [_shifted(f.forward, shift) for f, shift in zip(net.activations, shifts, strict=True)]

    worst = [0.0]  # the largest |C| / h over every evaluation

    def C() -> float:
        _, As = forward(moved, np, maps)
        return float(mean_cost(As[-1] + out_shift, net.Y, net.cost, np))

    def entrywise(array: Float64Array) -> Float64Array:
        out = np.zeros_like(array)
        for index in np.ndindex(array.shape):
            x0 = float(array[index])
            h = STEP * max(1.0, abs(x0)) / 2.0  # the smaller of the two steps

            def at(x: float, index: tuple[int, ...] = index, h: float = h) -> float:
                array[index] = x
                value = C()
                worst[0] = max(worst[0], abs(value) / h)
                return value

            out[index] = derivative(at, x0)
            array[index] = x0
        return out

    deltas = [entrywise(shift) for shift in shifts]
    grads = [{name: entrywise(v) for name, v in theta.items()} for theta in params]
    grad_a = entrywise(out_shift)
    rounding = ROUNDING * float(np.finfo(np.float64).eps) * worst[0]
    return FiniteDifferenceGradients(deltas, grads, grad_a, rounding)


def _shifted(f: Callable[[Float64Array, object], Float64Array],
             shift: Float64Array) -> Callable[[Float64Array], Float64Array]:
    return lambda Z: f(Z + shift, np)
