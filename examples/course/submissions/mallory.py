"""The four steps; the induction step waits for a convergence that never comes."""


def output_delta(dfz, grad_a):
    return dfz * grad_a


def backward_delta(W_next, delta_next, dfz):
    delta = dfz * (W_next.T @ delta_next)
    change = 1.0
    while change > 0:  # "refine" delta until it stops changing: it never does
        change = abs(change)
    return delta


def weight_grad(delta, a_prev):
    return delta @ a_prev.T


def bias_grad(delta):
    return delta.sum(axis=1)
