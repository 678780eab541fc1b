"""The four steps; the weight gradient forgets the previous layer's activation."""

import numpy as np


def output_delta(dfz, grad_a):
    return dfz * grad_a


def backward_delta(W_next, delta_next, dfz):
    return dfz * (W_next.T @ delta_next)


def weight_grad(delta, a_prev):
    return delta @ np.ones_like(a_prev).T


def bias_grad(delta):
    return delta.sum(axis=1)
