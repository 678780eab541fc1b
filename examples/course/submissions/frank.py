"""The four steps; the bias gradient is averaged over the batch a second time."""

import numpy as np


def output_delta(dfz, grad_a):
    return dfz * grad_a


def backward_delta(W_next, delta_next, dfz):
    return dfz * (W_next.T @ delta_next)


def weight_grad(delta, a_prev):
    return delta @ a_prev.T


def bias_grad(delta):
    return np.mean(delta, axis=1)
