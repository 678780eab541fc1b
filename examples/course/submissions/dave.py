"""The four steps, with a helper of his own next to this file."""

import numpy as np
from _dave_linalg import outer_sum


def output_delta(dfz, grad_a):
    return np.multiply(dfz, grad_a)


def backward_delta(W_next, delta_next, dfz):
    return np.multiply(dfz, np.dot(np.transpose(W_next), delta_next))


def weight_grad(delta, a_prev):
    return outer_sum(delta, a_prev)


def bias_grad(delta):
    return delta @ np.ones(delta.shape[1])
