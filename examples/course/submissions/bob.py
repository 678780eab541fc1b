"""The whole gradient in one function, as an explicit loop over the layers."""

import numpy as np

supported_activations = {"identity", "sigmoid", "tanh"}
supported_costs = {"squared_error"}


def _f(name, z):
    if name == "sigmoid":
        return 1.0 / (1.0 + np.exp(-z))
    if name == "tanh":
        return np.tanh(z)
    return z


def _df(name, z):
    if name == "sigmoid":
        s = 1.0 / (1.0 + np.exp(-z))
        return s * (1.0 - s)
    if name == "tanh":
        return 1.0 - np.tanh(z) ** 2
    return np.ones_like(z)


def gradients(weights, biases, activations, cost, X, Y):
    zs, acts = [], [X]
    for W, b, name in zip(weights, biases, activations, strict=True):
        zs.append(W @ acts[-1] + b[:, None])
        acts.append(_f(name, zs[-1]))
    N = X.shape[1]
    delta = _df(activations[-1], zs[-1]) * (acts[-1] - Y) / N
    dWs, dbs = [], []
    for l in range(len(weights) - 1, -1, -1):
        dWs.insert(0, delta @ acts[l].T)
        dbs.insert(0, delta.sum(axis=1))
        if l > 0:
            delta = _df(activations[l - 1], zs[l - 1]) * (weights[l].T @ delta)
    return dWs, dbs
