"""Correct backpropagation built on the forward formulas textbooks and libraries use.

Every implementation of :mod:`tests.correct_implementations` evaluates its
activations with the most accurate formula (``expm1``, ``logaddexp``, a sigmoid
by cases). Code written by others often does not: the formulas below are the
standard alternatives, each accurate to a few ``u`` of ``max(|a|, 1)`` but not
relative to a small ``a``, and a backward pass built on any of them is a correct
backpropagation (the rule is :mod:`proofcheck.numerics.forward_precision`'s). They are
here so that the soak and the test-suite meet the false alarms such code would
meet, and each entry must hold on every row it provides.

==========================  ==========================================================
entry                       forward formulas, ``f'`` and the output delta
==========================  ==========================================================
``TextbookFormulas``        ``1 / (1 + exp(-z))``, ``2 / (1 + exp(-2 z)) - 1``,
                            ``exp(z) - 1``, ``log(1 + exp(z))`` (linear above 700,
                            where ``exp`` overflows); ``f'`` from ``a``:
                            ``a (1 - a)``, ``1 - a^2``, ``a + 1``, ``1 - exp(-a)``;
                            cross-entropy as ``-y / a + (1 - y) / (1 - a)``
``TanhFormulas``            sigmoid ``(1 + tanh(z / 2)) / 2``, tanh
                            ``(e^z - e^-z) / (e^z + e^-z)`` (``sign z`` beyond 20,
                            where it would overflow), elu ``exp(z) - 1``, softplus
                            ``log1p(exp(z))``; ``f'`` from ``z``: ``s (1 - s)``,
                            ``1 - t^2``, ``exp(z)``, ``1 / (1 + exp(-z))``;
                            cross-entropy as ``(a - y) / (a (1 - a))``
``SimplifiedDeltaFormulas`` ``TanhFormulas``'s activations in a loop over the layers,
                            with the sigmoid/cross-entropy output delta simplified
                            to ``(a - y) / N``, as most course code writes it
==========================  ==========================================================

All three provide ``gradients`` only (what a student hands in); the step
functions' rows are fed the oracle's ``f'`` and never meet a forward formula.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from numpy.typing import NDArray

from tests.correct_implementations import ACTIVATION_NAMES, COST_NAMES, LEAK, Entry

Array = NDArray[np.float64]
Rule = Callable[[Array], Array]


def _quiet(rule: Rule) -> Rule:
    """``rule`` without numpy's overflow warnings: ``exp`` of a large argument is ``inf``
    and the formulas are written so that the result is still right (``1 / inf = 0``)."""

    def quiet(z: Array) -> Array:
        with np.errstate(over="ignore"):
            return rule(z)

    return quiet


def _guarded_tanh(z: Array) -> Array:
    """``(e^z - e^-z) / (e^z + e^-z)``, and ``sign(z)`` where ``|z| > 20`` (beyond which the
    formula would overflow, and ``tanh`` is within ``u`` of ``+-1``)."""
    c = np.clip(z, -20.0, 20.0)
    return np.where(np.abs(z) > 20.0, np.sign(z),
                    (np.exp(c) - np.exp(-c)) / (np.exp(c) + np.exp(-c)))


#: ``TextbookFormulas``: the formulas of a first course.
_TEXTBOOK_F: dict[str, Rule] = {
    "identity": lambda z: z,
    "sigmoid": _quiet(lambda z: 1.0 / (1.0 + np.exp(-z))),
    "tanh": _quiet(lambda z: 2.0 / (1.0 + np.exp(-2.0 * z)) - 1.0),
    "relu": lambda z: np.maximum(0.0, z),
    "leaky_relu": lambda z: np.where(z > 0, z, LEAK * z),
    "softplus": lambda z: np.where(z > 700.0, z, np.log(1.0 + np.exp(np.minimum(z, 700.0)))),
    "elu": lambda z: np.where(z > 0, z, np.exp(np.minimum(z, 0.0)) - 1.0),
    "sin": np.sin,
}


def _textbook_df(name: str, z: Array, a: Array) -> Array:
    """``f'`` written with ``a = f(z)``, as the proof writes it."""
    rules: dict[str, Callable[[], Array]] = {
        "identity": lambda: np.ones_like(a),
        "sigmoid": lambda: a * (1.0 - a),
        "tanh": lambda: 1.0 - a ** 2,
        "relu": lambda: np.where(z > 0, 1.0, 0.0),
        "leaky_relu": lambda: np.where(z > 0, 1.0, LEAK),
        "softplus": lambda: 1.0 - np.exp(-a),
        "elu": lambda: np.where(z > 0, 1.0, a + 1.0),
        "sin": lambda: np.cos(z),
    }
    return rules[name]()


#: ``TanhFormulas``: the formulas of a library that writes everything through ``tanh``.
_TANH_F: dict[str, Rule] = {
    "identity": lambda z: 1.0 * z,
    "sigmoid": lambda z: (1.0 + np.tanh(z / 2.0)) / 2.0,
    "tanh": _guarded_tanh,
    "relu": lambda z: z * (z > 0),
    "leaky_relu": lambda z: np.maximum(z, LEAK * z),
    "softplus": _quiet(lambda z: np.where(z > 700.0, z, np.log1p(np.exp(z)))),
    "elu": lambda z: np.where(z > 0, z, np.exp(np.minimum(z, 0.0)) - 1.0),
    "sin": np.sin,
}

_TANH_DF: dict[str, Rule] = {
    "identity": np.ones_like,
    "sigmoid": lambda z: _TANH_F["sigmoid"](z) * (1.0 - _TANH_F["sigmoid"](z)),
    "tanh": lambda z: 1.0 - _guarded_tanh(z) ** 2,
    "relu": lambda z: (z > 0).astype(np.float64),
    "leaky_relu": lambda z: np.where(z > 0, 1.0, LEAK),
    "softplus": _quiet(lambda z: 1.0 / (1.0 + np.exp(-z))),
    "elu": lambda z: np.where(z > 0, 1.0, np.exp(np.minimum(z, 0.0))),
    "sin": np.cos,
}


class TextbookFormulas:
    """Column-major, vectorised; the textbook formulas, ``f'`` from ``a``."""

    supported_activations = ACTIVATION_NAMES
    supported_costs = COST_NAMES

    def gradients(self, weights: Sequence[Array], biases: Sequence[Array],
                  activations: Sequence[str], cost: str, X: Array,
                  Y: Array) -> tuple[list[Array], list[Array]]:
        N = X.shape[1]
        Zs, As = [], [X]
        for W, b, name in zip(weights, biases, activations, strict=True):
            Zs.append(W @ As[-1] + b[:, None])
            As.append(_TEXTBOOK_F[name](Zs[-1]))
        A = As[-1]
        grad_a = A - Y if cost == "squared_error" else -Y / A + (1.0 - Y) / (1.0 - A)
        delta = _textbook_df(activations[-1], Zs[-1], A) * grad_a / N
        dWs, dbs = [], []
        for l in range(len(weights), 0, -1):
            dWs.append(delta @ As[l - 1].T)
            dbs.append(delta.sum(axis=1))
            if l > 1:
                delta = (weights[l - 1].T @ delta) * _textbook_df(activations[l - 2],
                                                                  Zs[l - 2], As[l - 1])
        return dWs[::-1], dbs[::-1]


class TanhFormulas:
    """Column-major, vectorised; formulas through ``tanh`` and ``exp``, ``f'`` from ``z``."""

    supported_activations = ACTIVATION_NAMES
    supported_costs = COST_NAMES

    def gradients(self, weights: Sequence[Array], biases: Sequence[Array],
                  activations: Sequence[str], cost: str, X: Array,
                  Y: Array) -> tuple[list[Array], list[Array]]:
        N = X.shape[1]
        Zs, As = [], [X]
        for W, b, name in zip(weights, biases, activations, strict=True):
            Zs.append(W @ As[-1] + np.outer(b, np.ones(N)))
            As.append(_TANH_F[name](Zs[-1]))
        A = As[-1]
        with np.errstate(divide="ignore", invalid="ignore"):
            grad_a = A - Y if cost == "squared_error" else (A - Y) / (A * (1.0 - A))
        delta = _TANH_DF[activations[-1]](Zs[-1]) * grad_a / N
        dWs: list[Array] = [np.empty(0)] * len(weights)
        dbs: list[Array] = [np.empty(0)] * len(weights)
        for l in range(len(weights) - 1, -1, -1):
            dWs[l] = delta @ As[l].T
            dbs[l] = np.sum(delta, axis=1)
            if l > 0:
                delta = _TANH_DF[activations[l - 1]](Zs[l - 1]) * (weights[l].T @ delta)
        return dWs, dbs


class SimplifiedDeltaFormulas:
    """A loop over the layers with ``TanhFormulas``'s activations; the sigmoid and
    cross-entropy output delta simplified to ``(a - y) / N``."""

    supported_activations = ACTIVATION_NAMES
    supported_costs = COST_NAMES

    def gradients(self, weights: Sequence[Array], biases: Sequence[Array],
                  activations: Sequence[str], cost: str, X: Array,
                  Y: Array) -> tuple[list[Array], list[Array]]:
        N = X.shape[1]
        cache = []
        a = X
        for W, b, name in zip(weights, biases, activations, strict=True):
            z = np.dot(W, a) + b.reshape(-1, 1)
            cache.append((a, z))
            a = _TANH_F[name](z)
        if cost == "binary_cross_entropy" and activations[-1] == "sigmoid":
            delta = (a - Y) / N
        else:
            grad_a = a - Y if cost == "squared_error" else -Y / a + (1.0 - Y) / (1.0 - a)
            delta = grad_a * _TANH_DF[activations[-1]](cache[-1][1]) / N
        dWs, dbs = [], []
        for l in reversed(range(len(weights))):
            a_prev, _ = cache[l]
            dWs.insert(0, np.dot(delta, a_prev.T))
            dbs.insert(0, delta.sum(axis=1))
            if l:
                delta = np.dot(weights[l].T, delta) * _TANH_DF[activations[l - 1]](cache[l - 1][1])
        return dWs, dbs


#: The zoo, as entries of the test catalog (:data:`tests.correct_implementations.CORRECT`
#: holds the accurate ones).
ZOO: tuple[Entry, ...] = (
    Entry("TextbookFormulas", TextbookFormulas(),
          "textbook formulas: 1 / (1 + exp(-z)), exp(z) - 1, log(1 + exp(z)); f' from a"),
    Entry("TanhFormulas", TanhFormulas(),
          "formulas through tanh and exp: (1 + tanh(z / 2)) / 2, (e^z - e^-z) / (e^z + e^-z); "
          "f' from z"),
    Entry("SimplifiedDeltaFormulas", SimplifiedDeltaFormulas(),
          "the tanh formulas in a loop, the sigmoid/cross-entropy delta simplified to a - y"),
)

__all__ = ["ZOO", "SimplifiedDeltaFormulas", "TanhFormulas", "TextbookFormulas"]
