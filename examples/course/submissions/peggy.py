"""Backpropagation as the four steps of the proof, one function each (a module)."""

import numpy as np


def output_delta(dfz, grad_a):
    # T1.base: delta^k = f'(z^k) * dc/da^k, elementwise
    return dfz * grad_a


def backward_delta(W_next, delta_next, dfz):
    # T1.step: delta^l = f'(z^l) * (W^{l+1})^T delta^{l+1}
    return dfz * (W_next.T @ delta_next)


def weight_grad(delta, a_prev):
    # T1.W (summed over the batch: delta already carries the 1/N of the mean)
    return delta @ a_prev.T


def bias_grad(delta):
    return np.sum(delta, axis=1)
