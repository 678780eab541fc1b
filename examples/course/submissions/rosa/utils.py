"""Rosa's helpers."""


def back(W_next, delta_next):
    # carries delta^{l+1} back through the weights: (W^{l+1})^T delta^{l+1}
    return W_next.T @ delta_next


def outer(delta, a_prev):
    return delta @ a_prev.T
