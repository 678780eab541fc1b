"""The four steps; a typo at the top of the file stops it from loading."""


LEARNING_RATE = learning_rate  # noqa: F821 (the name is never defined)


def output_delta(dfz, grad_a):
    return dfz * grad_a


def backward_delta(W_next, delta_next, dfz):
    return dfz * (W_next.T @ delta_next)


def weight_grad(delta, a_prev):
    return delta @ a_prev.T


def bias_grad(delta):
    return delta.sum(axis=1)
