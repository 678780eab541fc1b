"""Correct implementations of backpropagation, each in a different style.

They exist to show that proofcheck raises no false alarm: a correct
implementation must pass every step it provides, however it forms its
products. Each one is written from the mathematics of the proof, with numpy
only; none imports JAX, and none calls proofcheck's own forward pass,
activations or costs (every activation, derivative and cost gradient below is
written again here, in a way that differs from one implementation to the
next). Use any of them from the shell, from the repository's top folder::

    proofcheck verify --impl tests.correct_implementations:EinsumBackprop

==========================  ======================================================
entry                       how the products are formed
==========================  ======================================================
``EinsumBackprop``          every step one ``np.einsum`` over named indices
``OuterProductBackprop``    sums of outer products (over examples for ``dW``, over
                            the next layer's units for ``Delta``); parameters and
                            the forward pass kept in dicts keyed by layer
``ColumnLoopBackprop``      a Python loop over the examples with 1-D vectors;
                            parameters packed into one flat vector; scalar
                            activations from the ``math`` module
``JacobianBackprop``        explicit Jacobian matrices: ``diag(vec f'(Z))``,
                            ``I_N kron W``, ``A^T kron I`` (L1, L4, L5); the
                            gradient is a row vector pushed through the chain
                            rule (L3); for the small networks of the check only
``functional_backprop``     module-level functions in a ``types.SimpleNamespace``;
                            ``gradients`` recurses over the depth, as T1.tail
                            does (a network is its first layer plus a tail)
``RowMajorBackprop``        ``gradients`` only, with examples as *rows*
                            (``H^l = f(H^{l-1} W^T + b)``), derivatives taken
                            from the activations where possible, and the
                            sigmoid/cross-entropy output delta ``(A - Y) / N``
==========================  ======================================================

The activations are the eight proofcheck knows (identity, sigmoid, tanh,
relu, leaky_relu with slope 0.01, softplus, elu with alpha 1, sin) with the
same conventions at the kinks: ``relu'(0) = 0``, ``leaky_relu'(0) = 0.01``.
Sigmoid and softplus are evaluated without overflow for any finite input.
"""

from __future__ import annotations

import math
import types
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import NDArray

from proofcheck.catalog import LoopBackprop

Array = NDArray[np.float64]
Rule = Callable[[Array], Array]

ACTIVATION_NAMES = frozenset(
    {"identity", "sigmoid", "tanh", "relu", "leaky_relu", "softplus", "elu", "sin"})
COST_NAMES = frozenset({"squared_error", "binary_cross_entropy"})

LEAK = 0.01


# --- activations, first way: f and f' both as functions of z ----------------------


def _sigmoid_by_cases(z: Array) -> Array:
    """``1 / (1 + e^-z)`` for ``z >= 0``, ``e^z / (1 + e^z)`` below; the exponent is <= 0."""
    e = np.exp(np.minimum(z, -z))  # e^{-|z|}
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


_F_OF_Z: dict[str, Rule] = {
    "identity": lambda z: z.copy(),
    "sigmoid": _sigmoid_by_cases,
    "tanh": np.tanh,
    "relu": lambda z: np.maximum(z, 0.0),
    "leaky_relu": lambda z: np.where(z > 0, z, LEAK * z),
    "softplus": lambda z: np.logaddexp(0.0, z),
    "elu": lambda z: np.where(z > 0, z, np.expm1(np.minimum(z, 0.0))),
    "sin": np.sin,
}

_DF_OF_Z: dict[str, Rule] = {
    "identity": np.ones_like,
    "sigmoid": lambda z: _sigmoid_by_cases(z) * _sigmoid_by_cases(-z),  # s(z) (1 - s(z))
    "tanh": lambda z: 1.0 / np.cosh(np.minimum(np.abs(z), 350.0)) ** 2,  # sech^2
    "relu": lambda z: np.where(z > 0, 1.0, 0.0),
    "leaky_relu": lambda z: np.where(z > 0, 1.0, LEAK),
    "softplus": _sigmoid_by_cases,
    "elu": lambda z: np.exp(np.minimum(z, 0.0)),  # 1 for z > 0, e^z for z <= 0
    "sin": np.cos,
}


# --- activations, second way: sigmoid through log-sum-exp, f' from (z, a) -----------


def _sigmoid_by_logaddexp(z: Array) -> Array:
    """``sigma(z) = exp(-softplus(-z))``; ``logaddexp`` never overflows."""
    return np.exp(-np.logaddexp(0.0, -z))


_F_ROWS: dict[str, Rule] = {
    "identity": lambda z: z + 0.0,
    "sigmoid": _sigmoid_by_logaddexp,
    "tanh": np.tanh,
    "relu": lambda z: np.where(z > 0, z, 0.0),
    "leaky_relu": lambda z: np.maximum(z, LEAK * z),
    "softplus": lambda z: np.maximum(z, 0.0) + np.log1p(np.exp(-np.abs(z))),
    "elu": lambda z: np.where(z > 0, z, np.expm1(np.where(z > 0, 0.0, z))),
    "sin": np.sin,
}


def _df_from_activation(name: str, z: Array, a: Array) -> Array:
    """``f'(z)`` written with ``a = f(z)`` wherever ``f'`` is a function of ``f``."""
    if name == "identity":
        return np.ones_like(z)
    if name == "sigmoid":
        return a * (1.0 - a)
    if name == "tanh":
        return 1.0 - a * a
    if name == "relu":
        return (a > 0).astype(np.float64)
    if name == "leaky_relu":
        return np.where(a > 0, 1.0, LEAK)
    if name == "softplus":  # a = log(1 + e^z), so 1 - e^{-a} = e^z / (1 + e^z)
        return -np.expm1(-a)
    if name == "elu":  # a = e^z - 1 below zero
        return np.where(z > 0, 1.0, np.exp(np.minimum(z, 0.0)))
    if name == "sin":
        return np.cos(z)
    raise KeyError(f"unknown activation {name!r}")


# --- activations, third way: scalar functions of the math module --------------------


def _scalar_sigmoid(z: float) -> float:
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


def _scalar_softplus(z: float) -> float:
    return z + math.log1p(math.exp(-z)) if z > 0 else math.log1p(math.exp(z))


_SCALAR_F: dict[str, Callable[[float], float]] = {
    "identity": lambda z: z,
    "sigmoid": _scalar_sigmoid,
    "tanh": math.tanh,
    "relu": lambda z: z if z > 0 else 0.0,
    "leaky_relu": lambda z: z if z > 0 else LEAK * z,
    "softplus": _scalar_softplus,
    "elu": lambda z: z if z > 0 else math.expm1(z),
    "sin": math.sin,
}

_SCALAR_DF: dict[str, Callable[[float], float]] = {
    "identity": lambda z: 1.0,
    "sigmoid": lambda z: _scalar_sigmoid(z) * _scalar_sigmoid(-z),
    "tanh": lambda z: 1.0 - math.tanh(z) ** 2,
    "relu": lambda z: 1.0 if z > 0 else 0.0,
    "leaky_relu": lambda z: 1.0 if z > 0 else LEAK,
    "softplus": _scalar_sigmoid,
    "elu": lambda z: 1.0 if z > 0 else math.exp(z),
    "sin": math.cos,
}


def _elementwise(fn: Callable[[float], float], v: Array) -> Array:
    return np.array([fn(float(x)) for x in v], dtype=np.float64)


# --- costs: dc/da of one example, or of a data matrix (columns are examples) --------


def _cost_gradient(cost: str, A: Array, Y: Array) -> Array:
    """``grad_a c`` per example (no ``1 / N``): ``a - y`` or ``(a - y) / (a (1 - a))``."""
    if cost == "squared_error":
        return A - Y
    if cost == "binary_cross_entropy":
        return (A - Y) / (A * (1.0 - A))
    raise KeyError(f"unknown cost {cost!r}")


def _cost_gradient_split(cost: str, A: Array, Y: Array) -> Array:
    """The same gradient, with cross-entropy written as ``-y / a + (1 - y) / (1 - a)``."""
    if cost == "squared_error":
        return np.subtract(A, Y)
    if cost == "binary_cross_entropy":
        return (1.0 - Y) / (1.0 - A) - Y / A
    raise KeyError(f"unknown cost {cost!r}")


# --- 1. einsum ---------------------------------------------------------------------


class EinsumBackprop:
    """Every product is one ``np.einsum``; indices ``i, j`` are units, ``n`` examples."""

    supported_activations = ACTIVATION_NAMES
    supported_costs = COST_NAMES

    def output_delta(self, dfz: Array, grad_a: Array) -> Array:
        """``Delta^k_{in} = f'(Z^k)_{in} dC/dA^k_{in}``."""
        return np.einsum("in,in->in", dfz, grad_a)

    def backward_delta(self, W_next: Array, delta_next: Array, dfz: Array) -> Array:
        """``Delta^l_{in} = sum_j W^{l+1}_{ji} Delta^{l+1}_{jn} f'(Z^l)_{in}``."""
        return np.einsum("ji,jn,in->in", W_next, delta_next, dfz)

    def weight_grad(self, delta: Array, a_prev: Array) -> Array:
        """``dC/dW^l_{ij} = sum_n Delta^l_{in} A^{l-1}_{jn}``."""
        return np.einsum("in,jn->ij", delta, a_prev)

    def bias_grad(self, delta: Array) -> Array:
        """``dC/db^l_i = sum_n Delta^l_{in}``."""
        return np.einsum("in->i", delta)

    def gradients(self, weights: Sequence[Array], biases: Sequence[Array],
                  activations: Sequence[str], cost: str, X: Array,
                  Y: Array) -> tuple[list[Array], list[Array]]:
        Zs: list[Array] = []
        As: list[Array] = [X]
        for W, b, name in zip(weights, biases, activations, strict=True):
            Z = np.einsum("ij,jn->in", W, As[-1]) + np.einsum("i,n->in", b, np.ones(X.shape[1]))
            Zs.append(Z)
            As.append(_F_OF_Z[name](Z))
        k = len(weights)
        grad_a = _cost_gradient(cost, As[k], Y) / X.shape[1]
        delta = self.output_delta(_DF_OF_Z[activations[k - 1]](Zs[k - 1]), grad_a)
        dWs: list[Array] = []
        dbs: list[Array] = []
        for l in range(k, 0, -1):
            dWs.insert(0, self.weight_grad(delta, As[l - 1]))
            dbs.insert(0, self.bias_grad(delta))
            if l > 1:
                delta = self.backward_delta(weights[l - 1], delta,
                                            _DF_OF_Z[activations[l - 2]](Zs[l - 2]))
        return dWs, dbs


# --- 2. outer products, dicts ---------------------------------------------------------


class OuterProductBackprop:
    """Products as sums of outer products; the network kept in dicts keyed by layer."""

    supported_activations = ACTIVATION_NAMES
    supported_costs = COST_NAMES

    def output_delta(self, dfz: Array, grad_a: Array) -> Array:
        return np.multiply(dfz, grad_a)

    def backward_delta(self, W_next: Array, delta_next: Array, dfz: Array) -> Array:
        """``(W^{l+1})^T Delta^{l+1} = sum_j outer(W^{l+1}_{j,:}, Delta^{l+1}_{j,:})``."""
        back = np.zeros((W_next.shape[1], delta_next.shape[1]))
        for j in range(W_next.shape[0]):
            back += np.outer(W_next[j], delta_next[j])
        return np.multiply(dfz, back)

    def weight_grad(self, delta: Array, a_prev: Array) -> Array:
        """``sum_n outer(Delta^l_{:,n}, A^{l-1}_{:,n})``: one outer product per example."""
        dW = np.zeros((delta.shape[0], a_prev.shape[0]))
        for n in range(delta.shape[1]):
            dW += np.outer(delta[:, n], a_prev[:, n])
        return dW

    def bias_grad(self, delta: Array) -> Array:
        db = np.zeros(delta.shape[0])
        for n in range(delta.shape[1]):
            db += delta[:, n]
        return db

    def gradients(self, weights: Sequence[Array], biases: Sequence[Array],
                  activations: Sequence[str], cost: str, X: Array,
                  Y: Array) -> tuple[list[Array], list[Array]]:
        k, N = len(weights), X.shape[1]
        params = {}
        for l in range(1, k + 1):
            params[f"W{l}"] = weights[l - 1]
            params[f"b{l}"] = biases[l - 1]
            params[f"f{l}"] = activations[l - 1]
        cache: dict[str, Array] = {"A0": X}
        for l in range(1, k + 1):
            cache[f"Z{l}"] = params[f"W{l}"] @ cache[f"A{l - 1}"] + params[f"b{l}"][:, None]
            cache[f"A{l}"] = _F_OF_Z[params[f"f{l}"]](cache[f"Z{l}"])
        grads: dict[str, Array] = {}
        grad_a = _cost_gradient_split(cost, cache[f"A{k}"], Y) / N
        delta = self.output_delta(_DF_OF_Z[params[f"f{k}"]](cache[f"Z{k}"]), grad_a)
        for l in range(k, 0, -1):
            grads[f"W{l}"] = self.weight_grad(delta, cache[f"A{l - 1}"])
            grads[f"b{l}"] = self.bias_grad(delta)
            if l > 1:
                dfz = _DF_OF_Z[params[f"f{l - 1}"]](cache[f"Z{l - 1}"])
                delta = self.backward_delta(params[f"W{l}"], delta, dfz)
        return ([grads[f"W{l}"] for l in range(1, k + 1)],
                [grads[f"b{l}"] for l in range(1, k + 1)])


# --- 3. a loop over the examples, one flat parameter vector -----------------------------


class _Slot(NamedTuple):
    """Where ``W^l`` and ``b^l`` sit in the flat parameter vector."""

    w_start: int
    b_start: int
    end: int
    rows: int
    cols: int


def _layout(weights: Sequence[Array]) -> list[_Slot]:
    slots, at = [], 0
    for W in weights:
        rows, cols = W.shape
        slots.append(_Slot(at, at + rows * cols, at + rows * cols + rows, rows, cols))
        at += rows * cols + rows
    return slots


class ColumnLoopBackprop:
    """One example at a time, with vectors, as the single-example theorem T1 is written.

    ``gradients`` packs ``theta = (vec W^1, b^1, ..., vec W^k, b^k)`` into one
    flat vector, runs T1 for each column of ``X`` and averages the per-example
    gradients (T2 as a mean).
    """

    supported_activations = ACTIVATION_NAMES
    supported_costs = COST_NAMES

    def output_delta(self, dfz: Array, grad_a: Array) -> Array:
        out = np.empty_like(grad_a)
        for n in range(grad_a.shape[1]):
            out[:, n] = dfz[:, n] * grad_a[:, n]
        return out

    def backward_delta(self, W_next: Array, delta_next: Array, dfz: Array) -> Array:
        out = np.empty((W_next.shape[1], delta_next.shape[1]))
        for n in range(delta_next.shape[1]):
            out[:, n] = dfz[:, n] * W_next.T.dot(delta_next[:, n])
        return out

    def weight_grad(self, delta: Array, a_prev: Array) -> Array:
        dW = np.zeros((delta.shape[0], a_prev.shape[0]))
        for n in range(delta.shape[1]):
            dW += delta[:, n][:, None] * a_prev[:, n][None, :]
        return dW

    def bias_grad(self, delta: Array) -> Array:
        db = np.zeros(delta.shape[0])
        for n in range(delta.shape[1]):
            db = db + delta[:, n]
        return db

    def gradients(self, weights: Sequence[Array], biases: Sequence[Array],
                  activations: Sequence[str], cost: str, X: Array,
                  Y: Array) -> tuple[list[Array], list[Array]]:
        slots = _layout(weights)
        theta = np.concatenate([np.concatenate([W.ravel(), b]) for W, b in
                                zip(weights, biases, strict=True)])
        total = np.zeros_like(theta)
        N = X.shape[1]
        for n in range(N):
            total += self._example_gradient(theta, slots, activations, cost, X[:, n], Y[:, n])
        total /= N
        dWs = [total[s.w_start:s.b_start].reshape(s.rows, s.cols).copy() for s in slots]
        dbs = [total[s.b_start:s.end].copy() for s in slots]
        return dWs, dbs

    @staticmethod
    def _example_gradient(theta: Array, slots: list[_Slot], activations: Sequence[str],
                          cost: str, x: Array, y: Array) -> Array:
        """T1 for one example: the gradient of ``c(a^k(theta; x), y)`` as a flat vector."""
        zs: list[Array] = []
        acts = [x]
        for s, name in zip(slots, activations, strict=True):
            W = theta[s.w_start:s.b_start].reshape(s.rows, s.cols)
            z = W.dot(acts[-1]) + theta[s.b_start:s.end]
            zs.append(z)
            acts.append(_elementwise(_SCALAR_F[name], z))
        g = np.zeros_like(theta)
        a, k = acts[-1], len(slots)
        if cost == "squared_error":
            grad_a = a - y
        elif cost == "binary_cross_entropy":
            grad_a = np.array([(ai - yi) / (ai * (1.0 - ai)) for ai, yi in zip(a, y, strict=True)])
        else:
            raise KeyError(f"unknown cost {cost!r}")
        delta = _elementwise(_SCALAR_DF[activations[k - 1]], zs[k - 1]) * grad_a
        for l in range(k, 0, -1):
            s = slots[l - 1]
            g[s.w_start:s.b_start] = np.outer(delta, acts[l - 1]).ravel()
            g[s.b_start:s.end] = delta
            if l > 1:
                W = theta[s.w_start:s.b_start].reshape(s.rows, s.cols)
                delta = _elementwise(_SCALAR_DF[activations[l - 2]], zs[l - 2]) * W.T.dot(delta)
        return g


# --- 4. explicit Jacobian matrices -------------------------------------------------------


def _vec(M: Array) -> Array:
    """Stack the columns of ``M``."""
    return M.reshape(-1, order="F")


def _unvec(v: Array, rows: int, cols: int) -> Array:
    return np.ascontiguousarray(v.reshape(rows, cols, order="F"))


class JacobianBackprop:
    """Backpropagation with the Jacobian matrices of the lemmas, formed explicitly.

    With ``vec`` stacking columns, for ``Z = W A + b 1_N^T`` and ``A = f(Z)``:
    ``J^A(vec Z) = diag(vec f'(Z))`` (L4), ``J^Z(vec A) = I_N kron W``,
    ``J^Z(vec W) = A^T kron I_{n_l}``, ``J^Z(b) = 1_N kron I_{n_l}`` (L1, L5), and the
    row ``J^C`` is carried from the output back by the chain rule (L3). The
    matrices have ``(n_l N)^2`` entries, so this is for small networks only.
    """

    supported_activations = ACTIVATION_NAMES
    supported_costs = COST_NAMES

    def output_delta(self, dfz: Array, grad_a: Array) -> Array:
        """``vec Delta^k = diag(vec f'(Z^k)) vec dC/dA^k``."""
        return _unvec(np.diag(_vec(dfz)) @ _vec(grad_a), *grad_a.shape)

    def backward_delta(self, W_next: Array, delta_next: Array, dfz: Array) -> Array:
        """``vec Delta^l = diag(vec f'(Z^l)) (I_N kron W^T) vec Delta^{l+1}``."""
        N = delta_next.shape[1]
        J = np.kron(np.eye(N), W_next.T)
        return _unvec(np.diag(_vec(dfz)) @ (J @ _vec(delta_next)), *dfz.shape)

    def weight_grad(self, delta: Array, a_prev: Array) -> Array:
        """``vec dC/dW^l = (A^{l-1} kron I_{n_l}) vec Delta^l``."""
        n_l = delta.shape[0]
        return _unvec(np.kron(a_prev, np.eye(n_l)) @ _vec(delta), n_l, a_prev.shape[0])

    def bias_grad(self, delta: Array) -> Array:
        """``dC/db^l = (1_N^T kron I_{n_l}) vec Delta^l``."""
        n_l, N = delta.shape
        return np.kron(np.ones((1, N)), np.eye(n_l)) @ _vec(delta)

    def gradients(self, weights: Sequence[Array], biases: Sequence[Array],
                  activations: Sequence[str], cost: str, X: Array,
                  Y: Array) -> tuple[list[Array], list[Array]]:
        k, N = len(weights), X.shape[1]
        Zs: list[Array] = []
        As: list[Array] = [X]
        for W, b, name in zip(weights, biases, activations, strict=True):
            vec_z = np.kron(As[-1].T, np.eye(W.shape[0])) @ _vec(W) \
                + np.kron(np.ones(N), np.eye(W.shape[0])).T @ b
            Zs.append(_unvec(vec_z, W.shape[0], N))
            As.append(_F_OF_Z[name](Zs[-1]))
        # J^C(vec A^k): a row, the mean over examples of each example's gradient.
        row = _vec(_cost_gradient(cost, As[k], Y)) / N
        dWs: list[Array] = [np.empty(0)] * k
        dbs: list[Array] = [np.empty(0)] * k
        for l in range(k, 0, -1):
            W = weights[l - 1]
            n_l = W.shape[0]
            row = row @ np.diag(_vec(_DF_OF_Z[activations[l - 1]](Zs[l - 1])))  # J^C(vec Z^l)
            dWs[l - 1] = _unvec(row @ np.kron(As[l - 1].T, np.eye(n_l)), n_l, W.shape[1])
            dbs[l - 1] = row @ np.kron(np.ones((N, 1)), np.eye(n_l))
            row = row @ np.kron(np.eye(N), W)  # J^C(vec A^{l-1})
        return dWs, dbs


# --- 5. module-level functions, recursion over the depth -----------------------------------


def _fn_output_delta(dfz: Array, grad_a: Array) -> Array:
    return np.multiply(grad_a, dfz)


def _fn_backward_delta(W_next: Array, delta_next: Array, dfz: Array) -> Array:
    return (delta_next.T @ W_next).T * dfz  # (Delta^T W)^T = W^T Delta


def _fn_weight_grad(delta: Array, a_prev: Array) -> Array:
    return np.tensordot(delta, a_prev, axes=([1], [1]))


def _fn_bias_grad(delta: Array) -> Array:
    return delta @ np.ones(delta.shape[1])


class _Layer(NamedTuple):
    W: Array
    b: Array
    activation: str


def _fn_tail(layers: Sequence[_Layer], A_prev: Array, cost: str,
             Y: Array) -> tuple[Array, list[Array], list[Array]]:
    """Delta of the first layer of ``layers`` fed ``A_prev``, and the gradients of all of them.

    A network of depth ``k`` is its first layer followed by a network of
    depth ``k - 1`` fed ``A^1`` (T1.tail); the recursion ends at the output.
    """
    first, rest = layers[0], layers[1:]
    Z = first.W @ A_prev + np.outer(first.b, np.ones(A_prev.shape[1]))
    A = _F_ROWS[first.activation](Z)
    dfz = _df_from_activation(first.activation, Z, A)
    if not rest:
        delta = _fn_output_delta(dfz, _cost_gradient(cost, A, Y) / A_prev.shape[1])
        dWs: list[Array] = []
        dbs: list[Array] = []
    else:
        delta_next, dWs, dbs = _fn_tail(rest, A, cost, Y)
        delta = _fn_backward_delta(rest[0].W, delta_next, dfz)
    return delta, [_fn_weight_grad(delta, A_prev), *dWs], [_fn_bias_grad(delta), *dbs]


def _fn_gradients(weights: Sequence[Array], biases: Sequence[Array],
                  activations: Sequence[str], cost: str, X: Array,
                  Y: Array) -> tuple[list[Array], list[Array]]:
    layers = [_Layer(W, b, f) for W, b, f in zip(weights, biases, activations, strict=True)]
    _, dWs, dbs = _fn_tail(layers, X, cost, Y)
    return dWs, dbs


#: The protocol as plain functions in a namespace (as a module would provide it).
functional_backprop = types.SimpleNamespace(
    output_delta=_fn_output_delta,
    backward_delta=_fn_backward_delta,
    weight_grad=_fn_weight_grad,
    bias_grad=_fn_bias_grad,
    gradients=_fn_gradients,
)


# --- 6. monolithic, examples as rows ----------------------------------------------------------


class RowMajorBackprop:
    """``gradients`` only, with the data transposed: one example per row.

    ``H^0 = X^T``, ``H^l = f(H^{l-1} (W^l)^T + 1_N (b^l)^T)``; backwards,
    ``D^l = (D^{l+1} W^{l+1}) * f'(S^l)``, ``dC/dW^l = (D^l)^T H^{l-1}``,
    ``dC/db^l = (D^l)^T 1_N``. A sigmoid output with cross-entropy uses the
    simplified ``D^k = (H^k - Y^T) / N``, in which ``a (1 - a)`` cancels.
    No ``supported_*`` attributes: every activation and cost is handled.
    """

    def gradients(self, weights: Sequence[Array], biases: Sequence[Array],
                  activations: Sequence[str], cost: str, X: Array,
                  Y: Array) -> tuple[list[Array], list[Array]]:
        N = X.shape[1]
        S: list[Array] = []
        H: list[Array] = [X.T]
        for W, b, name in zip(weights, biases, activations, strict=True):
            S.append(H[-1] @ W.T + b)  # b broadcasts over the rows
            H.append(_F_ROWS[name](S[-1]))
        derivatives = [_df_from_activation(name, s, h)
                       for name, s, h in zip(activations, S, H[1:], strict=True)]
        out, target = H[-1], Y.T
        if cost == "binary_cross_entropy" and activations[-1] == "sigmoid":
            D = (out - target) / N
        elif cost == "squared_error":
            D = derivatives[-1] * (out - target) / N
        elif cost == "binary_cross_entropy":
            D = derivatives[-1] * (out - target) / (out * (1.0 - out)) / N
        else:
            raise KeyError(f"unknown cost {cost!r}")
        dWs: list[Array] = []
        dbs: list[Array] = []
        for l in reversed(range(len(weights))):
            dWs.append(D.T @ H[l])
            dbs.append(D.sum(axis=0))
            if l:
                D = (D @ weights[l]) * derivatives[l - 1]
        return dWs[::-1], dbs[::-1]


class Entry(NamedTuple):
    """One correct implementation and the style it is written in."""

    name: str
    impl: Any
    style: str


CORRECT: tuple[Entry, ...] = (
    Entry("EinsumBackprop", EinsumBackprop(), "np.einsum over named indices"),
    Entry("OuterProductBackprop", OuterProductBackprop(),
          "sums of outer products, network in dicts"),
    Entry("ColumnLoopBackprop", ColumnLoopBackprop(),
          "loop over examples with vectors, flat parameter vector, math-module activations"),
    Entry("JacobianBackprop", JacobianBackprop(),
          "explicit diagonal and Kronecker Jacobians, chain rule on a row vector"),
    Entry("functional_backprop", functional_backprop,
          "module-level functions in a SimpleNamespace, recursion over the depth"),
    Entry("RowMajorBackprop", RowMajorBackprop(),
          "gradients only, examples as rows, simplified sigmoid/cross-entropy delta"),
    Entry("RightDerivativeAtKinks", LoopBackprop(kink="right"),
          "gradients only, an explicit loop, relu'(0) = leaky_relu'(0) = 1 (z >= 0)"),
    Entry("MidpointAtKinks", LoopBackprop(kink="midpoint"),
          "gradients only, an explicit loop, relu'(0) = 0.5 and leaky_relu'(0) = 0.505"),
    Entry("RightDerivativeOnReluNetworks",
          LoopBackprop(kink="right", activations={"identity", "relu", "leaky_relu"}),
          "the right derivative at kinks, for networks of relu and leaky relu layers only"),
)

__all__ = [
    "CORRECT",
    "ColumnLoopBackprop",
    "EinsumBackprop",
    "Entry",
    "JacobianBackprop",
    "OuterProductBackprop",
    "RowMajorBackprop",
    "functional_backprop",
]
