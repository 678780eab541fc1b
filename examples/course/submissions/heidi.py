"""The four steps; the output delta forgets the output activation's derivative."""


def output_delta(dfz, grad_a):
    return grad_a.copy()


def backward_delta(W_next, delta_next, dfz):
    return dfz * (W_next.T @ delta_next)


def weight_grad(delta, a_prev):
    return delta @ a_prev.T


def bias_grad(delta):
    return delta.sum(axis=1)
