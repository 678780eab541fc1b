"""The implementation under test: backpropagation in matrix notation, numpy only.

:class:`MatrixBackprop` is written the way the theorem is written. Each
protocol function is one step of the proof (see :mod:`proofcheck.protocol`)::

    output_delta    T1.base   Delta^k = f^k'(Z^k) * dC/dA^k
    backward_delta  T1.step   Delta^l = f^l'(Z^l) * ((W^{l+1})^T Delta^{l+1})
    weight_grad     T1.W      dC/dW^l = Delta^l (A^{l-1})^T
    bias_grad       T1.b      dC/db^l = Delta^l 1_N
    gradients       T1.grad, T2: the forward pass, then the steps above from
                    l = k down to l = 1

``*`` is the elementwise product; ``diag(v) u = v * u`` is how the diagonal
Jacobians of L4 are applied without ever forming them. This module never
imports JAX; the oracle never calls it.

Speed
-----
The products are the whole cost at large widths; everything else is kept to
one pass over each ``(n_l, N)`` array where possible:

* ``f^l'(Z^l)`` is computed from ``A^l = f^l(Z^l)``, which the forward pass
  already holds, for the activations whose derivative is a function of their
  value (``tanh' = 1 - a^2``, ``relu' = [a > 0]``, ``leaky_relu' = 1 if
  a > 0 else 0.01``, ``identity' = 1``). These are the
  same floating-point operations as the hand-derived derivatives of
  :mod:`proofcheck.activations` applied to ``Z^l`` (for ``relu`` and
  ``leaky_relu``, ``a > 0`` exactly when ``z > 0``), so the values are
  bit-for-bit the same; every other activation uses its hand-derived
  derivative of ``Z^l`` (``sigmoid`` too: ``a (1 - a)`` would lose every
  digit of ``1 - a`` where ``a`` rounds towards 1). The end-to-end properties
  exercise both paths.
* elementwise products are taken in place in the product's own result, so a
  step allocates one ``(n_l, N)`` array, not two.

Measured against JAX and plain numpy products in ``benchmarks/RESULTS.md``.

Networks of any layer types
---------------------------
:func:`layer_backprop` is the same induction for the generalized theorem, from
each layer type's hand-derived transposed-Jacobian products (see
:mod:`proofcheck.layers`)::

    Delta^k     = J^{f^k}(Z^k)^T dC/dA^k                                  (G.base)
    Delta^l     = J^{f^l}(Z^l)^T J^{phi^{l+1}}_a(A^l)^T Delta^{l+1}       (G.step)
    dC/dtheta^l = J^{phi^l}_theta(A^{l-1})^T Delta^l                       (G.param)

It is what the G.* rows check against the oracle when no layer type is given.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

from proofcheck import _validate
from proofcheck._types import Float64Array
from proofcheck.activations import ACTIVATIONS, LEAKY_SLOPE
from proofcheck.costs import COSTS
from proofcheck.network import Network, forward, forward_numpy

__all__ = ["LayerGradients", "MatrixBackprop", "layer_backprop"]


class MatrixBackprop:
    """Backpropagation in matrix notation (T1, T2), the package's reference.

    Subclass it and override one method to put a single step of your own under
    the check while the rest stays the reference, e.g.::

        class MyStep(MatrixBackprop):
            def backward_delta(self, W_next, delta_next, dfz):
                return dfz * (W_next.T @ delta_next)

    All arrays have one column per example (``N = 1`` for a single example).
    """

    #: Every activation this implementation handles (all of them).
    supported_activations: frozenset[str] = frozenset(ACTIVATIONS)
    #: Every cost this implementation handles (all of them).
    supported_costs: frozenset[str] = frozenset(COSTS)

    def output_delta(self, dfz: Float64Array, grad_a: Float64Array) -> Float64Array:
        """T1.base: ``Delta^k = diag(f^k'(Z^k)) dC/dA^k``, applied columnwise.

        Parameters
        ----------
        dfz : (n_k, N)
            ``f^k'(Z^k)``.
        grad_a : (n_k, N)
            ``dC/dA^k``.

        Returns
        -------
        delta : (n_k, N)
            ``Delta^k = dC/dZ^k``.
        """
        return dfz * grad_a

    def backward_delta(
        self, W_next: Float64Array, delta_next: Float64Array, dfz: Float64Array
    ) -> Float64Array:
        """T1.step: ``Delta^l = diag(f^l'(Z^l)) (W^{l+1})^T Delta^{l+1}``.

        Parameters
        ----------
        W_next : (n_{l+1}, n_l)
            ``W^{l+1}``.
        delta_next : (n_{l+1}, N)
            ``Delta^{l+1}``.
        dfz : (n_l, N)
            ``f^l'(Z^l)``.

        Returns
        -------
        delta : (n_l, N)
            ``Delta^l``.
        """
        delta: Float64Array = W_next.T @ delta_next
        delta *= dfz  # in place: diag(f^l'(Z^l)) applied without a second (n_l, N) array
        return delta

    def weight_grad(self, delta: Float64Array, a_prev: Float64Array) -> Float64Array:
        """T1.W: ``dC/dW^l = Delta^l (A^{l-1})^T``.

        Parameters
        ----------
        delta : (n_l, N)
            ``Delta^l``.
        a_prev : (n_{l-1}, N)
            ``A^{l-1}``.

        Returns
        -------
        dW : (n_l, n_{l-1})
        """
        return delta @ a_prev.T

    def bias_grad(self, delta: Float64Array) -> Float64Array:
        """T1.b: ``dC/db^l = Delta^l 1_N`` (the sum over examples).

        Parameters
        ----------
        delta : (n_l, N)

        Returns
        -------
        db : (n_l,)
        """
        db: Float64Array = delta.sum(axis=1)
        return db

    def forward(
        self,
        weights: Sequence[Float64Array],
        biases: Sequence[Float64Array],
        activations: Sequence[str],
        X: Float64Array,
    ) -> tuple[list[Float64Array], list[Float64Array]]:
        """D1/D4: the forward pass, keeping every ``Z^l`` and ``A^l``.

        Returns
        -------
        Zs : list of k arrays, ``Zs[l-1] = Z^l : (n_l, N)``
        As : list of k + 1 arrays, ``As[l] = A^l : (n_l, N)``, ``As[0] = X``
        """
        return forward_numpy(weights, biases, activations, X)

    def gradients(
        self,
        weights: Sequence[Float64Array],
        biases: Sequence[Float64Array],
        activations: Sequence[str],
        cost: str,
        X: Float64Array,
        Y: Float64Array,
    ) -> tuple[list[Float64Array], list[Float64Array]]:
        """T1.grad and T2: the gradient of the mean cost ``C`` of D4.

        Parameters
        ----------
        weights : list of k arrays, ``W^l : (n_l, n_{l-1})``
        biases : list of k arrays, ``b^l : (n_l,)``
        activations : list of k activation names
        cost : a cost name
        X : (n_0, N)
        Y : (n_k, N)

        Returns
        -------
        dWs : list of k arrays, ``dC/dW^l : (n_l, n_{l-1})``
        dbs : list of k arrays, ``dC/db^l : (n_l,)``

        Raises
        ------
        proofcheck.errors.InputError
            If any argument has the wrong type, dtype, shape or value.
        """
        Ws, bs, names, cost, X, Y = _validate.network(weights, biases, activations, cost, X, Y)
        Zs, As = self.forward(Ws, bs, names, X)
        k, N = len(Ws), X.shape[1]
        c = COSTS[cost]
        c.validate(As[k], Y)
        grad_a = c.gradient(As[k], Y) / N  # dC/dA^k: the mean over examples
        delta = self.output_delta(_derivative(names[k - 1], Zs[k - 1], As[k]), grad_a)
        dWs: list[Float64Array] = [np.empty(0)] * k
        dbs: list[Float64Array] = [np.empty(0)] * k
        for l in range(k, 0, -1):  # l = k, ..., 1; Python index l - 1
            dWs[l - 1] = self.weight_grad(delta, As[l - 1])
            dbs[l - 1] = self.bias_grad(delta)
            if l > 1:
                dfz = _derivative(names[l - 2], Zs[l - 2], As[l - 1])
                delta = self.backward_delta(Ws[l - 1], delta, dfz)
        return dWs, dbs


def _derivative(name: str, Z: Float64Array, A: Float64Array) -> Float64Array:
    """``f'(Z) : (n_l, N)``, from ``A = f(Z)`` where that is exact, else from ``Z``.

    Bit-for-bit the hand-derived ``ACTIVATIONS[name].derivative(Z)`` (see the
    module docstring), with one allocation and at most two passes.
    """
    out: Float64Array
    if name == "tanh":  # 1 - tanh(z)^2 = 1 - a^2
        out = np.multiply(A, A)
        np.subtract(1.0, out, out=out)
    elif name == "relu":  # a > 0 exactly when z > 0; a = 0 z otherwise
        out = np.greater(A, 0.0).astype(np.float64)
    elif name == "leaky_relu":  # a > 0 exactly when z > 0; a = 0.01 z <= 0 otherwise
        out = np.where(A > 0.0, 1.0, LEAKY_SLOPE)
    elif name == "identity":
        out = np.ones_like(A)
    else:
        out = ACTIVATIONS[name].derivative(Z)
    return out


class LayerGradients(NamedTuple):
    """The numpy backpropagation's results: deltas and parameter gradients."""

    Zs: list[Float64Array]
    As: list[Float64Array]
    deltas: list[Float64Array]
    grads: list[dict[str, Float64Array]]


def layer_backprop(net: Network) -> LayerGradients:
    """Backpropagation by the generalized theorem, numpy only, from hand-derived products."""
    Zs, As = forward(net, np)
    k, N = net.depth, net.batch_size
    c = COSTS[net.cost]
    c.validate(As[k], net.Y)
    grad_a = c.gradient(As[k], net.Y) / N
    deltas: list[Float64Array] = [np.empty(0)] * k
    grads: list[dict[str, Float64Array]] = [{}] * k
    deltas[k - 1] = net.activations[k - 1].product(Zs[k - 1], As[k], grad_a)  # G.base
    for l in range(k, 0, -1):
        layer, theta = net.layers[l - 1], net.params[l - 1]
        grads[l - 1] = layer.parameter_products(As[l - 1], theta, deltas[l - 1])  # G.param
        if l > 1:  # G.step
            back = layer.input_product(As[l - 1], theta, deltas[l - 1])
            deltas[l - 2] = net.activations[l - 2].product(Zs[l - 2], As[l - 1], back)
    return LayerGradients(Zs, As, deltas, grads)
