"""A catalog of classic mistakes in backpropagation, as implementations to check.

Each entry is an implementation with one deliberate mistake, the step of the
proof it breaks (the root cause ``proofcheck verify`` must diagnose), and a
line saying what is wrong. Use any of them from the shell, from the
repository's top folder::

    proofcheck verify --impl tests.mutants:missing_transpose

Two kinds, as in real code:

* *step mutants* subclass :class:`proofcheck.MatrixBackprop` and get one
  protocol function wrong, so the isolated property of that step fails;
* *monolithic mutants* provide only ``gradients`` (how most hand-written code
  looks), written as an explicit loop over layers, with the mistake inside; only
  the end-to-end rows T1.grad, T1.tail and T2 can see them, and the diagnosis
  is a composition error.

The mistakes keep every array's shape, so each is a wrong *value* (exit status
1), not a protocol violation (exit status 2).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import NDArray

from proofcheck import MatrixBackprop

Array = NDArray[np.float64]


# --- step mutants ----------------------------------------------------------------


class missing_transpose(MatrixBackprop):
    """T1.step with W^{l+1} instead of (W^{l+1})^T."""

    def backward_delta(self, W_next: Array, delta_next: Array, dfz: Array) -> Array:
        return dfz * (W_next @ delta_next)


class backward_delta_without_derivative(MatrixBackprop):
    """T1.step without the factor diag(f^l'(z^l))."""

    def backward_delta(self, W_next: Array, delta_next: Array, dfz: Array) -> Array:
        return W_next.T @ delta_next


class backward_delta_wrong_sign(MatrixBackprop):
    """T1.step with a minus sign."""

    def backward_delta(self, W_next: Array, delta_next: Array, dfz: Array) -> Array:
        return -dfz * (W_next.T @ delta_next)


class output_delta_without_derivative(MatrixBackprop):
    """T1.base without diag(f^k'(z^k)): delta^k = grad_a c."""

    def output_delta(self, dfz: Array, grad_a: Array) -> Array:
        return grad_a.copy()


class output_delta_squared_derivative(MatrixBackprop):
    """T1.base with f^k' applied twice."""

    def output_delta(self, dfz: Array, grad_a: Array) -> Array:
        return dfz * dfz * grad_a


class weight_grad_wrong_sign(MatrixBackprop):
    """T1.W with a minus sign."""

    def weight_grad(self, delta: Array, a_prev: Array) -> Array:
        return -(delta @ a_prev.T)


class weight_grad_without_activation(MatrixBackprop):
    """T1.W as delta^l 1^T: the previous layer's activation forgotten."""

    def weight_grad(self, delta: Array, a_prev: Array) -> Array:
        return delta @ np.ones_like(a_prev).T


class weight_grad_mean_over_batch(MatrixBackprop):
    """T2: the weight gradient divided by N once more (a mean of a mean)."""

    def weight_grad(self, delta: Array, a_prev: Array) -> Array:
        return (delta @ a_prev.T) / delta.shape[1]


class bias_grad_not_summed(MatrixBackprop):
    """T2: the bias gradient of the first example only, not summed over the batch."""

    def bias_grad(self, delta: Array) -> Array:
        return delta[:, 0].copy()


class bias_grad_mean(MatrixBackprop):
    """T2: the bias gradient averaged over the batch (Delta already carries 1/N)."""

    def bias_grad(self, delta: Array) -> Array:
        return np.asarray(delta.mean(axis=1), dtype=np.float64)


# --- monolithic mutants -------------------------------------------------------------


def _sigmoid(z: Array) -> Array:
    return np.asarray(np.where(z >= 0, 1 / (1 + np.exp(-np.abs(z))),
                               np.exp(-np.abs(z)) / (1 + np.exp(-np.abs(z)))), dtype=np.float64)


def _f(name: str, z: Array) -> Array:
    table: dict[str, Any] = {
        "identity": lambda z: z,
        "sigmoid": _sigmoid,
        "tanh": np.tanh,
        "relu": lambda z: np.where(z > 0, z, 0.0),
        "leaky_relu": lambda z: np.where(z > 0, z, 0.01 * z),
        "softplus": lambda z: np.logaddexp(0.0, z),
        "elu": lambda z: np.where(z > 0, z, np.expm1(np.minimum(z, 0.0))),
        "sin": np.sin,
    }
    return np.asarray(table[name](z), dtype=np.float64)


def _df(name: str, z: Array, mistake: str | None = None) -> Array:
    if name == "tanh" and mistake == "tanh_derivative_from_potential":
        return 1.0 - z * z
    table: dict[str, Any] = {
        "identity": lambda z: np.ones_like(z),
        "sigmoid": lambda z: _sigmoid(z) * (1 - _sigmoid(z)),
        "tanh": lambda z: 1 - np.tanh(z) ** 2,
        "relu": lambda z: (z > 0).astype(np.float64),
        "leaky_relu": lambda z: np.where(z > 0, 1.0, 0.01),
        "softplus": _sigmoid,
        "elu": lambda z: np.where(z > 0, 1.0, np.exp(np.minimum(z, 0.0))),
        "sin": np.cos,
    }
    return np.asarray(table[name](z), dtype=np.float64)


class LoopBackprop:
    """A correct backpropagation in another style: an explicit loop, ``gradients`` only.

    ``mistake`` switches on one classic mistake; ``None`` is correct. ``kink`` is the
    value ``relu'(0)`` and ``leaky_relu'(0)`` take: ``"left"`` (0 and 0.01), ``"right"``
    (1), ``"midpoint"`` (0.5 and 0.505), all correct, or a number (``2.0``: outside the
    subdifferential, a mistake). ``activations`` and ``costs``, if given, are its
    ``supported_activations`` and ``supported_costs``.
    """

    def __init__(self, mistake: str | None = None, kink: str | float = "left",
                 activations: set[str] | None = None, costs: set[str] | None = None) -> None:
        self.mistake = mistake
        self.kink = kink
        if activations is not None:  # restricts the networks the check draws
            self.supported_activations = activations
        if costs is not None:
            self.supported_costs = costs

    def gradients(self, weights: Sequence[Array], biases: Sequence[Array],
                  activations: Sequence[str], cost: str, X: Array,
                  Y: Array) -> tuple[list[Array], list[Array]]:
        m = self.mistake
        k, N = len(weights), X.shape[1]
        zs: list[Array] = []
        acts: list[Array] = [X]
        for W, b, name in zip(weights, biases, activations, strict=True):
            zs.append(W @ acts[-1] + b[:, None])
            acts.append(_f(name, zs[-1]))
        a, y = acts[-1], Y
        if cost == "squared_error":
            grad = a - y
        elif m == "bce_missing_factor":
            grad = (a - y) / a
        elif m == "clipped_probabilities":  # a common guard against log(0)
            p = np.clip(a, 1e-15, 1 - 1e-15)
            grad = (p - y) / (p * (1 - p))
        else:
            grad = (a - y) / (a * (1 - a))
        if m != "sum_instead_of_mean":
            grad = grad / N

        def derivative(l: int) -> Array:  # f^l'(Z^l), l = 1..k
            name = activations[l - 1]
            if m == "f_instead_of_fprime":
                return _f(name, zs[l - 1])
            if m == "fprime_at_activation":
                return _df(name, acts[l])
            if m == "activation_off_by_one":
                name = activations[l % k]
            return _at_kink(name, zs[l - 1], _df(name, zs[l - 1], m), self.kink)

        delta = grad if m == "output_delta_without_derivative" else derivative(k) * grad
        dWs: list[Array] = [np.empty(0)] * k
        dbs: list[Array] = [np.empty(0)] * k
        for l in range(k, 0, -1):
            dWs[l - 1] = delta @ acts[l - 1].T
            dbs[l - 1] = delta.sum(axis=1)
            if l > 1:
                delta = derivative(l - 1) * (weights[l - 1].T @ delta)
        if m == "wrong_sign":
            dWs = [-dW for dW in dWs]
            dbs = [-db for db in dbs]
        return dWs, dbs


def _at_kink(name: str, z: Array, df: Array, kink: str | float) -> Array:
    """``df`` with the value of ``f'(0)`` that ``kink`` chooses for relu and leaky relu."""
    if name not in ("relu", "leaky_relu") or kink == "left":
        return df
    left = 0.0 if name == "relu" else 0.01
    value = {"right": 1.0, "midpoint": (left + 1.0) / 2}.get(kink, kink)  # type: ignore[call-overload]
    return np.where(z == 0, float(value), df)


f_instead_of_fprime = LoopBackprop("f_instead_of_fprime")
fprime_at_activation = LoopBackprop("fprime_at_activation")
activation_off_by_one = LoopBackprop("activation_off_by_one")
sum_instead_of_mean = LoopBackprop("sum_instead_of_mean")
monolithic_output_without_derivative = LoopBackprop("output_delta_without_derivative")
bce_missing_factor = LoopBackprop("bce_missing_factor")
wrong_sign = LoopBackprop("wrong_sign")
tanh_derivative_from_potential = LoopBackprop("tanh_derivative_from_potential")
clipped_probabilities = LoopBackprop("clipped_probabilities", costs={"binary_cross_entropy"})
relu_derivative_two_at_kink = LoopBackprop(kink=2.0, activations={"identity", "relu"})


class Mutant(NamedTuple):
    """One catalog entry: the implementation, the step it breaks, what is wrong."""

    name: str
    impl: Any
    root_cause: str
    mistake: str


CATALOG: tuple[Mutant, ...] = (
    Mutant("missing_transpose", missing_transpose(), "T1.step",
           "W^{l+1} instead of its transpose in the induction step"),
    Mutant("backward_delta_without_derivative", backward_delta_without_derivative(), "T1.step",
           "the induction step without f^l'(z^l)"),
    Mutant("backward_delta_wrong_sign", backward_delta_wrong_sign(), "T1.step",
           "a minus sign in the induction step"),
    Mutant("output_delta_without_derivative", output_delta_without_derivative(), "T1.base",
           "output delta without the activation derivative"),
    Mutant("output_delta_squared_derivative", output_delta_squared_derivative(), "T1.base",
           "f^k' applied twice in the output delta"),
    Mutant("weight_grad_wrong_sign", weight_grad_wrong_sign(), "T1.W",
           "a minus sign in the weight gradient"),
    Mutant("weight_grad_without_activation", weight_grad_without_activation(), "T1.W",
           "delta 1^T instead of delta (a^{l-1})^T"),
    Mutant("weight_grad_mean_over_batch", weight_grad_mean_over_batch(), "T2",
           "the weight gradient divided by N twice"),
    Mutant("bias_grad_not_summed", bias_grad_not_summed(), "T2",
           "bias gradient not summed over the examples"),
    Mutant("bias_grad_mean", bias_grad_mean(), "T2",
           "bias gradient averaged instead of summed over the examples"),
    Mutant("f_instead_of_fprime", f_instead_of_fprime, "T1.grad",
           "f(z) used where f'(z) belongs"),
    Mutant("fprime_at_activation", fprime_at_activation, "T1.grad",
           "f' evaluated at the activation a^l instead of the potential z^l"),
    Mutant("activation_off_by_one", activation_off_by_one, "T1.grad",
           "the derivative of the next layer's activation function (index off by one)"),
    Mutant("sum_instead_of_mean", sum_instead_of_mean, "T2",
           "the gradient of the summed cost, not the mean over the batch"),
    Mutant("monolithic_output_without_derivative", monolithic_output_without_derivative,
           "T1.grad", "output delta without the activation derivative, inside gradients"),
    Mutant("bce_missing_factor", bce_missing_factor, "T1.grad",
           "cross-entropy gradient (a - y) / a, missing the factor 1 / (1 - a)"),
    Mutant("wrong_sign", wrong_sign, "T1.grad", "the gradient with the wrong sign"),
    Mutant("tanh_derivative_from_potential", tanh_derivative_from_potential, "T1.grad",
           "tanh' written as 1 - z^2 instead of 1 - tanh(z)^2"),
    Mutant("clipped_probabilities", clipped_probabilities, "T1.grad",
           "cross-entropy gradient of outputs clipped to [1e-15, 1 - 1e-15]: wrong by up to "
           "100 per cent where a sigmoid output is below 1e-15 (a binary classifier)"),
    Mutant("relu_derivative_two_at_kink", relu_derivative_two_at_kink, "T1.grad",
           "relu'(0) = 2 at units exactly at the kink, outside the subdifferential [0, 1] "
           "(an implementation for relu networks)"),
)
