"""The four steps, the matrix products in a helper module of my own (utils.py)."""

from utils import back, outer


def output_delta(dfz, grad_a):
    return dfz * grad_a


def backward_delta(W_next, delta_next, dfz):
    return dfz * back(W_next, delta_next)


def weight_grad(delta, a_prev):
    return outer(delta, a_prev)


def bias_grad(delta):
    return delta.sum(axis=1)
