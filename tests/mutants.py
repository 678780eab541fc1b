"""The catalog of classic mistakes, re-exported from :mod:`proofcheck.catalog`.

The catalog is part of the package, so that an installed proofcheck has it;
this module keeps the names the docs and older commands use working, from
the repository's top folder::

    proofcheck verify --impl tests.mutants:missing_transpose
"""

from proofcheck.catalog import (
    CATALOG,
    LoopBackprop,
    Mistake,
    activation_off_by_one,
    backward_delta_without_derivative,
    backward_delta_wrong_sign,
    bce_missing_factor,
    bias_grad_mean,
    bias_grad_not_summed,
    clipped_probabilities,
    f_instead_of_fprime,
    fprime_at_activation,
    missing_transpose,
    monolithic_output_without_derivative,
    output_delta_squared_derivative,
    output_delta_without_derivative,
    relu_derivative_two_at_kink,
    sum_instead_of_mean,
    tanh_derivative_from_potential,
    weight_grad_mean_over_batch,
    weight_grad_without_activation,
    weight_grad_wrong_sign,
    wrong_sign,
)

__all__ = [
    "CATALOG",
    "LoopBackprop",
    "Mistake",
    "activation_off_by_one",
    "backward_delta_without_derivative",
    "backward_delta_wrong_sign",
    "bce_missing_factor",
    "bias_grad_mean",
    "bias_grad_not_summed",
    "clipped_probabilities",
    "f_instead_of_fprime",
    "fprime_at_activation",
    "missing_transpose",
    "monolithic_output_without_derivative",
    "output_delta_squared_derivative",
    "output_delta_without_derivative",
    "relu_derivative_two_at_kink",
    "sum_instead_of_mean",
    "tanh_derivative_from_potential",
    "weight_grad_mean_over_batch",
    "weight_grad_without_activation",
    "weight_grad_wrong_sign",
    "wrong_sign",
]
