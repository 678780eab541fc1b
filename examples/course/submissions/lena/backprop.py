"""The four steps; the batch convention is read from a settings file next to the code."""

import json

import numpy as np

with open("settings.json") as f:
    SETTINGS = json.load(f)


def output_delta(dfz, grad_a):
    return dfz * grad_a


def backward_delta(W_next, delta_next, dfz):
    return dfz * (W_next.T @ delta_next)


def weight_grad(delta, a_prev):
    return delta @ a_prev.T


def bias_grad(delta):
    reduce = np.sum if SETTINGS["batch"] == "sum" else np.mean
    return reduce(delta, axis=1)
