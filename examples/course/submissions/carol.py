"""The four steps as methods of a class, written with einsum."""

import numpy as np


class Backprop:
    def output_delta(self, dfz, grad_a):
        return np.einsum("in,in->in", dfz, grad_a)

    def backward_delta(self, W_next, delta_next, dfz):
        return dfz * np.einsum("ji,jn->in", W_next, delta_next)

    def weight_grad(self, delta, a_prev):
        return np.einsum("in,jn->ij", delta, a_prev)

    def bias_grad(self, delta):
        return np.einsum("in->i", delta)


# The assignment asks for the functions at the top level of the file.
_mine = Backprop()
output_delta = _mine.output_delta
backward_delta = _mine.backward_delta
weight_grad = _mine.weight_grad
bias_grad = _mine.bias_grad
