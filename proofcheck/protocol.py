"""The implementation protocol: what any backpropagation must provide to be checked.

This is the protocol of the paper's theorem (T1, T2), for an implementation of
backpropagation as a whole; a *layer type* of the generalized theorem follows
the layer protocol instead (:class:`proofcheck.layers.LayerMap` and
:class:`proofcheck.layers.ActivationMap`).

An implementation is any object (a class instance or a module) with some of
these functions. Each is one step of the proof, so a failing function points
at the step it implements. Arrays are float64 with one column per example.

==================  =========  ==================================================
function            step       arguments and result
==================  =========  ==================================================
``output_delta``    T1.base    ``(dfz, grad_a) -> delta``; ``dfz = f^k'(Z^k)``,
                               ``grad_a = dC/dA^k``, all ``(n_k, N)``
``backward_delta``  T1.step    ``(W_next, delta_next, dfz) -> delta``;
                               ``W^{l+1} : (n_{l+1}, n_l)``,
                               ``Delta^{l+1} : (n_{l+1}, N)``,
                               ``f^l'(Z^l) : (n_l, N)``, result ``(n_l, N)``
``weight_grad``     T1.W       ``(delta, a_prev) -> dW``; ``(n_l, N)``,
                               ``(n_{l-1}, N)`` to ``(n_l, n_{l-1})``
``bias_grad``       T1.b       ``(delta) -> db``; ``(n_l, N)`` to ``(n_l,)``
``gradients``       T1.grad,   ``(weights, biases, activations, cost, X, Y)``
                    T2         ``-> (dWs, dbs)``: the gradient of the mean cost
==================  =========  ==================================================

Optional attributes ``supported_activations`` and ``supported_costs`` (sets of
names) restrict the networks the check generates. A function an
implementation does not provide makes its rows read "not provided".
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple, Protocol, runtime_checkable

from proofcheck._types import Float64Array

__all__ = ["PROTOCOL_FUNCTIONS", "BackpropImplementation", "ProtocolFunction"]


@runtime_checkable
class BackpropImplementation(Protocol):
    """The full protocol, for type checkers; a checked object may have any subset."""

    def output_delta(self, dfz: Float64Array, grad_a: Float64Array) -> Float64Array: ...

    def backward_delta(
        self, W_next: Float64Array, delta_next: Float64Array, dfz: Float64Array
    ) -> Float64Array: ...

    def weight_grad(self, delta: Float64Array, a_prev: Float64Array) -> Float64Array: ...

    def bias_grad(self, delta: Float64Array) -> Float64Array: ...

    def gradients(
        self,
        weights: Sequence[Float64Array],
        biases: Sequence[Float64Array],
        activations: Sequence[str],
        cost: str,
        X: Float64Array,
        Y: Float64Array,
    ) -> tuple[list[Float64Array], list[Float64Array]]: ...


class ProtocolFunction(NamedTuple):
    """One function of the protocol: its name, parameters and the step it implements."""

    name: str
    parameters: tuple[str, ...]
    step: str
    signature: str


PROTOCOL_FUNCTIONS: tuple[ProtocolFunction, ...] = (
    ProtocolFunction("output_delta", ("dfz", "grad_a"), "T1.base",
                     "output_delta(dfz: (n_k, N), grad_a: (n_k, N)) -> (n_k, N)"),
    ProtocolFunction("backward_delta", ("W_next", "delta_next", "dfz"), "T1.step",
                     "backward_delta(W_next: (n_{l+1}, n_l), delta_next: (n_{l+1}, N), "
                     "dfz: (n_l, N)) -> (n_l, N)"),
    ProtocolFunction("weight_grad", ("delta", "a_prev"), "T1.W",
                     "weight_grad(delta: (n_l, N), a_prev: (n_{l-1}, N)) -> (n_l, n_{l-1})"),
    ProtocolFunction("bias_grad", ("delta",), "T1.b", "bias_grad(delta: (n_l, N)) -> (n_l,)"),
    ProtocolFunction("gradients", ("weights", "biases", "activations", "cost", "X", "Y"),
                     "T1.grad", "gradients(weights, biases, activations, cost, X: (n_0, N), "
                     "Y: (n_k, N)) -> (dWs, dbs)"),
)
