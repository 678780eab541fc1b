"""The catalog of classic mistakes in backpropagation, each an implementation to check.

Every entry is a small implementation with one deliberate mistake of the kind
students and engineers make, the step of the proof it breaks (the root cause
``proofcheck verify`` must diagnose), a line saying what is wrong, a
paragraph for a student (what the mistake is, why it is wrong in the terms of
that step, how to fix it) and a link to the step's section of the docs. Any
entry can be checked from the shell::

    proofcheck verify --impl proofcheck.catalog:missing_transpose
    proofcheck verify --layer proofcheck.catalog:Conv1DKernelNotFlipped

Three kinds, as in real code:

* *step mistakes* subclass :class:`proofcheck.MatrixBackprop` and get one
  protocol function wrong (``function`` names it), so the isolated row of
  that step fails;
* *monolithic mistakes* provide only ``gradients`` (how most hand-written code
  looks), an explicit loop over the layers (:class:`LoopBackprop`) with the
  mistake inside; only the end-to-end rows T1.grad, T1.tail and T2 can see
  them, and the diagnosis is a composition error;
* *layer mistakes* subclass a registered layer type
  (:mod:`proofcheck.layers`) and get one hand-derived product wrong, so the
  type's lemma row under G.base, G.step or G.param fails.

The mistakes keep every array's shape where the widths allow it, so each is a
wrong *value* (exit status 1), not a protocol violation (exit status 2); the
one whose mistake is a shape (``bias_grad_unsummed``, an ``(n_l, N)`` array
where an ``(n_l,)`` vector belongs) fails its step as a wrong result too.

:data:`CATALOG` lists the implementations' mistakes (:class:`Mistake`),
:data:`LAYER_CATALOG` the layer types' (:class:`LayerMistake`).
:func:`proofcheck.diagnosis.misconceptions.name_misconception` compares a failing
submission with every entry on the counterexample and names the entries it
reproduces.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import NamedTuple

import numpy as np

from proofcheck._types import Float64Array
from proofcheck.backprop import MatrixBackprop
from proofcheck.layers import Affine, Conv1D, Dropout, LayerNorm, Parameters, Residual, Softmax
from proofcheck.steps import get_step

__all__ = [
    "CATALOG",
    "LAYER_CATALOG",
    "MISTAKES",
    "AffineParameterProductsAveraged",
    "Conv1DKernelNotFlipped",
    "DropoutWithoutMask",
    "LayerMistake",
    "LayerNormWithoutMean",
    "LoopBackprop",
    "Mistake",
    "ResidualWithoutSkip",
    "SoftmaxWithoutOuterProduct",
    "activation_off_by_one",
    "backward_delta_without_derivative",
    "backward_delta_wrong_sign",
    "bce_missing_factor",
    "bias_grad_mean",
    "bias_grad_not_summed",
    "bias_grad_unsummed",
    "clipped_probabilities",
    "docs_link",
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

def docs_link(step_id: str) -> str:
    """The section of the docs that states and proves ``step_id``, as a relative URL.

    Each step is a proof environment labelled with its ID, whose HTML anchor
    is the ID itself: ``docs_link("T1.step") == "proof/theorem.html#T1.step"``.
    Prefix the address the docs are served from.

    Raises
    ------
    KeyError
        If ``step_id`` is not a step ID (see :data:`proofcheck.STEP_IDS`).
    """
    return get_step(step_id).docs_url()


# --- step mistakes ---------------------------------------------------------------


class missing_transpose(MatrixBackprop):  # noqa: N801  (named after the mistake)
    """T1.step with W^{l+1} instead of (W^{l+1})^T."""

    def backward_delta(self, W_next: Float64Array, delta_next: Float64Array,
                       dfz: Float64Array) -> Float64Array:
        return dfz * (W_next @ delta_next)


class backward_delta_without_derivative(MatrixBackprop):  # noqa: N801
    """T1.step without the factor diag(f^l'(z^l))."""

    def backward_delta(self, W_next: Float64Array, delta_next: Float64Array,
                       dfz: Float64Array) -> Float64Array:
        return W_next.T @ delta_next


class backward_delta_wrong_sign(MatrixBackprop):  # noqa: N801
    """T1.step with a minus sign."""

    def backward_delta(self, W_next: Float64Array, delta_next: Float64Array,
                       dfz: Float64Array) -> Float64Array:
        return -dfz * (W_next.T @ delta_next)


class output_delta_without_derivative(MatrixBackprop):  # noqa: N801
    """T1.base without diag(f^k'(z^k)): delta^k = grad_a c."""

    def output_delta(self, dfz: Float64Array, grad_a: Float64Array) -> Float64Array:
        return grad_a.copy()


class output_delta_squared_derivative(MatrixBackprop):  # noqa: N801
    """T1.base with f^k' applied twice."""

    def output_delta(self, dfz: Float64Array, grad_a: Float64Array) -> Float64Array:
        return dfz * dfz * grad_a


class weight_grad_wrong_sign(MatrixBackprop):  # noqa: N801
    """T1.W with a minus sign."""

    def weight_grad(self, delta: Float64Array, a_prev: Float64Array) -> Float64Array:
        return -(delta @ a_prev.T)


class weight_grad_without_activation(MatrixBackprop):  # noqa: N801
    """T1.W as delta^l 1^T: the previous layer's activation forgotten."""

    def weight_grad(self, delta: Float64Array, a_prev: Float64Array) -> Float64Array:
        return delta @ np.ones_like(a_prev).T


class weight_grad_mean_over_batch(MatrixBackprop):  # noqa: N801
    """T2: the weight gradient divided by N once more (a mean of a mean)."""

    def weight_grad(self, delta: Float64Array, a_prev: Float64Array) -> Float64Array:
        dW: Float64Array = (delta @ a_prev.T) / delta.shape[1]
        return dW


class bias_grad_not_summed(MatrixBackprop):  # noqa: N801
    """T2: the bias gradient of the first example only, not summed over the batch."""

    def bias_grad(self, delta: Float64Array) -> Float64Array:
        return delta[:, 0].copy()


class bias_grad_unsummed(MatrixBackprop):  # noqa: N801
    """T1.b: the bias gradient left as delta, one column per example, never summed."""

    def bias_grad(self, delta: Float64Array) -> Float64Array:
        return delta.copy()


class bias_grad_mean(MatrixBackprop):  # noqa: N801
    """T2: the bias gradient averaged over the batch (Delta already carries 1/N)."""

    def bias_grad(self, delta: Float64Array) -> Float64Array:
        return np.asarray(delta.mean(axis=1), dtype=np.float64)


# --- monolithic mistakes ---------------------------------------------------------


def _sigmoid(z: Float64Array) -> Float64Array:
    e = np.exp(-np.abs(z))
    return np.asarray(np.where(z >= 0, 1 / (1 + e), e / (1 + e)), dtype=np.float64)


_F: dict[str, Callable[[Float64Array], Float64Array]] = {
    "identity": lambda z: z,
    "sigmoid": _sigmoid,
    "tanh": np.tanh,
    "relu": lambda z: np.where(z > 0, z, 0.0),
    "leaky_relu": lambda z: np.where(z > 0, z, 0.01 * z),
    "softplus": lambda z: np.logaddexp(0.0, z),
    "elu": lambda z: np.where(z > 0, z, np.expm1(np.minimum(z, 0.0))),
    "sin": np.sin,
}
_DF: dict[str, Callable[[Float64Array], Float64Array]] = {
    "identity": np.ones_like,
    "sigmoid": lambda z: _sigmoid(z) * (1 - _sigmoid(z)),
    "tanh": lambda z: 1 - np.tanh(z) ** 2,
    "relu": lambda z: (z > 0).astype(np.float64),
    "leaky_relu": lambda z: np.where(z > 0, 1.0, 0.01),
    "softplus": _sigmoid,
    "elu": lambda z: np.where(z > 0, 1.0, np.exp(np.minimum(z, 0.0))),
    "sin": np.cos,
}
#: The mistakes :class:`LoopBackprop` can make, by name.
_LOOP_MISTAKES = ("f_instead_of_fprime", "fprime_at_activation", "activation_off_by_one",
                  "sum_instead_of_mean", "output_delta_without_derivative",
                  "bce_missing_factor", "clipped_probabilities", "wrong_sign",
                  "tanh_derivative_from_potential")
_KINKS = ("left", "right", "midpoint")
#: Where clipped_probabilities clips. Written as a power: Hypothesis adds the float
#: literals of every imported module of the package to what it draws from, so a literal
#: here would change the examples of every derandomized run that imports the catalog.
_CLIP = 10.0 ** -15


def _f(name: str, z: Float64Array) -> Float64Array:
    return np.asarray(_F[name](z), dtype=np.float64)


def _df(name: str, z: Float64Array, mistake: str | None = None) -> Float64Array:
    if name == "tanh" and mistake == "tanh_derivative_from_potential":
        return 1.0 - z * z
    return np.asarray(_DF[name](z), dtype=np.float64)


class LoopBackprop:
    """A correct backpropagation in another style: an explicit loop, ``gradients`` only.

    Parameters
    ----------
    mistake : str, optional
        One classic mistake to make (the names in the module's monolithic
        entries, e.g. ``"f_instead_of_fprime"``); ``None`` is correct.
    kink : {"left", "right", "midpoint"} or float
        The value ``relu'(0)`` and ``leaky_relu'(0)`` take: ``"left"`` (0 and
        0.01), ``"right"`` (1), ``"midpoint"`` (0.5 and 0.505), all correct, or
        a number (``2.0``: outside the subdifferential, a mistake).
    activations, costs : set of str, optional
        Its ``supported_activations`` and ``supported_costs`` (the networks the
        check draws); default every one.

    Raises
    ------
    ValueError
        For an unknown ``mistake`` or ``kink``.
    """

    def __init__(self, mistake: str | None = None, kink: str | float = "left",
                 activations: set[str] | None = None, costs: set[str] | None = None) -> None:
        if mistake is not None and mistake not in _LOOP_MISTAKES:
            raise ValueError(f"LoopBackprop: unknown mistake {mistake!r}; the known ones are "
                             f"{', '.join(_LOOP_MISTAKES)} (or None for a correct one)")
        known = (kink in _KINKS if isinstance(kink, str) else
                 isinstance(kink, (int, float)) and not isinstance(kink, bool))
        if not known:
            raise ValueError(f"LoopBackprop: kink={kink!r} must be one of "
                             f"{', '.join(map(repr, _KINKS))} or a number (the value of f'(0))")
        self.mistake = mistake
        self.kink = kink
        if activations is not None:  # restricts the networks the check draws
            self.supported_activations = frozenset(activations)
        if costs is not None:
            self.supported_costs = frozenset(costs)

    def _output_gradient(self, cost: str, a: Float64Array, y: Float64Array) -> Float64Array:
        """``dC/dA^k``: the cost's gradient, divided by ``N`` (or not, as the mistake says)."""
        m = self.mistake
        if cost == "squared_error":
            grad = a - y
        elif m == "bce_missing_factor":
            grad = (a - y) / a
        elif m == "clipped_probabilities":  # a common guard against log(0)
            p = np.clip(a, _CLIP, 1 - _CLIP)
            grad = (p - y) / (p * (1 - p))
        else:
            grad = (a - y) / (a * (1 - a))
        return grad if m == "sum_instead_of_mean" else grad / a.shape[1]

    def gradients(self, weights: Sequence[Float64Array], biases: Sequence[Float64Array],
                  activations: Sequence[str], cost: str, X: Float64Array,
                  Y: Float64Array) -> tuple[list[Float64Array], list[Float64Array]]:
        """The gradient of the mean cost (T1.grad, T2), with ``mistake`` if one is set.

        Parameters and results as :meth:`proofcheck.MatrixBackprop.gradients`.
        """
        m, k = self.mistake, len(weights)
        zs: list[Float64Array] = []
        acts: list[Float64Array] = [X]
        for W, b, name in zip(weights, biases, activations, strict=True):
            zs.append(W @ acts[-1] + b[:, None])
            acts.append(_f(name, zs[-1]))
        grad = self._output_gradient(cost, acts[-1], Y)

        def derivative(l: int) -> Float64Array:  # f^l'(Z^l), l = 1..k
            name = activations[l - 1]
            if m == "f_instead_of_fprime":
                return _f(name, zs[l - 1])
            if m == "fprime_at_activation":
                return _df(name, acts[l])
            if m == "activation_off_by_one":
                name = activations[l % k]
            return _at_kink(name, zs[l - 1], _df(name, zs[l - 1], m), self.kink)

        delta = grad if m == "output_delta_without_derivative" else derivative(k) * grad
        dWs: list[Float64Array] = [np.empty(0)] * k
        dbs: list[Float64Array] = [np.empty(0)] * k
        for l in range(k, 0, -1):
            dWs[l - 1] = delta @ acts[l - 1].T
            dbs[l - 1] = delta.sum(axis=1)
            if l > 1:
                delta = derivative(l - 1) * (weights[l - 1].T @ delta)
        if m == "wrong_sign":
            dWs = [-dW for dW in dWs]
            dbs = [-db for db in dbs]
        return dWs, dbs


def _at_kink(name: str, z: Float64Array, df: Float64Array, kink: str | float) -> Float64Array:
    """``df`` with the value of ``f'(0)`` that ``kink`` chooses for relu and leaky relu."""
    if name not in ("relu", "leaky_relu") or kink == "left":
        return df
    left = 0.0 if name == "relu" else 0.01
    if kink == "right":
        value = 1.0
    elif kink == "midpoint":
        value = (left + 1.0) / 2
    else:
        value = float(kink)
    return np.where(z == 0, value, df)


f_instead_of_fprime = LoopBackprop("f_instead_of_fprime")
fprime_at_activation = LoopBackprop("fprime_at_activation")
activation_off_by_one = LoopBackprop("activation_off_by_one")
sum_instead_of_mean = LoopBackprop("sum_instead_of_mean")
monolithic_output_without_derivative = LoopBackprop("output_delta_without_derivative")
bce_missing_factor = LoopBackprop("bce_missing_factor")
wrong_sign = LoopBackprop("wrong_sign")
tanh_derivative_from_potential = LoopBackprop("tanh_derivative_from_potential")
clipped_probabilities = LoopBackprop("clipped_probabilities", costs={"binary_cross_entropy"})
relu_derivative_two_at_kink = LoopBackprop(kink=2.0, activations={"identity", "relu"})


# --- layer mistakes --------------------------------------------------------------


class Conv1DKernelNotFlipped(Conv1D):
    """The input product slides the kernel the wrong way: a correlation where the
    transposed convolution belongs (the transpose of the Toeplitz matrix missing)."""

    def input_product(self, a: Float64Array, params: Parameters,
                      delta: Float64Array) -> Float64Array:
        K = params["K"][:, :, ::-1]
        return super().input_product(a, {**params, "K": K}, delta)


class SoftmaxWithoutOuterProduct(Softmax):
    """``J^T g = s * g``: the ``- s s^T`` term of the softmax Jacobian dropped."""

    def product(self, z: Float64Array, a: Float64Array, g: Float64Array) -> Float64Array:
        return a * g


class LayerNormWithoutMean(LayerNorm):
    """The input product without the ``- mean(g)`` term (the mean's own derivative)."""

    def input_product(self, a: Float64Array, params: Parameters,
                      delta: Float64Array) -> Float64Array:
        x, sigma = self._normalize(a, np)
        g = params["gamma"][:, None] * delta if self.learned else delta
        return np.asarray((g - x * (g * x).mean(axis=0, keepdims=True)) / sigma)


class ResidualWithoutSkip(Residual):
    """The input product ``W^T delta``: the identity of the skip connection forgotten."""

    def input_product(self, a: Float64Array, params: Parameters,
                      delta: Float64Array) -> Float64Array:
        result: Float64Array = params["W"].T @ delta
        return result


class DropoutWithoutMask(Dropout):
    """The input product passes every unit's delta back, dropped ones too."""

    def input_product(self, a: Float64Array, params: Parameters,
                      delta: Float64Array) -> Float64Array:
        return delta.copy()


class AffineParameterProductsAveraged(Affine):
    """The parameter products average over the ``N`` columns instead of summing: the
    gradient of the mean cost divided by ``N`` once more (``Delta`` already carries the
    ``1 / N`` of the cost). Right at ``N = 1``, so only a batch of several shows it."""

    def parameter_products(self, a: Float64Array, params: Parameters,
                           delta: Float64Array) -> dict[str, Float64Array]:
        N = delta.shape[1]
        return {name: value / N
                for name, value in super().parameter_products(a, params, delta).items()}


# --- the catalog -----------------------------------------------------------------


class Mistake(NamedTuple):
    """One classic mistake in an implementation of backpropagation (:mod:`proofcheck.protocol`).

    Attributes
    ----------
    name : str
        The entry's name, also its attribute in this module
        (``--impl proofcheck.catalog:NAME``).
    impl : object
        An implementation with this one mistake.
    root_cause : str
        The step ID that ``verify`` diagnoses as the root cause.
    mistake : str
        What is wrong, in one line.
    function : str
        The protocol function that holds the mistake (``"gradients"`` for an
        implementation that provides only that).
    code : str
        What the mistaken line computes, in the protocol's argument names.
    explanation : str
        One paragraph for a student: what the mistake is, why it is wrong in
        the terms of the step, how to fix it.
    """

    name: str
    impl: object
    root_cause: str
    mistake: str
    function: str
    code: str
    explanation: str

    @property
    def docs(self) -> str:
        """The docs section of the root cause's step (:func:`docs_link`)."""
        return docs_link(self.root_cause)


class LayerMistake(NamedTuple):
    """One classic mistake in a layer type's hand-derived products (:mod:`proofcheck.layers`).

    Attributes
    ----------
    layer : type
        The wrong layer type: a subclass of a registered one with one product
        changed (``--layer proofcheck.catalog:NAME``).
    root_cause : str
        The step ID whose lemma row ``verify`` diagnoses.
    layer_name : str
        The registered type's ``name``, as report rows name it (``"Conv1D"``).
    mistake : str
        What is wrong, in one line.
    function : str
        The product that holds the mistake: ``"input_product"``,
        ``"parameter_products"`` or, for an activation map, ``"product"``.
    code : str
        What the mistaken product computes.
    explanation : str
        One paragraph for a student.
    """

    layer: type
    root_cause: str
    layer_name: str
    mistake: str
    function: str
    code: str
    explanation: str

    @property
    def name(self) -> str:
        """The wrong layer type's class name, also its attribute in this module."""
        return self.layer.__name__

    @property
    def docs(self) -> str:
        """The docs section of the root cause's step (:func:`docs_link`)."""
        return docs_link(self.root_cause)


CATALOG: tuple[Mistake, ...] = (
    Mistake(
        "missing_transpose", missing_transpose(), "T1.step",
        "W^{l+1} instead of its transpose in the induction step",
        "backward_delta", "dfz * (W_next @ delta_next)",
        "The induction step carries the error of layer l+1 back to layer l. Layer l+1 "
        "computes z^{l+1} = W^{l+1} a^l + b^{l+1}, so its Jacobian with respect to a^l is "
        "W^{l+1} (lemma L5), and the chain rule (L3) takes a gradient back through a linear "
        "map by its transpose: delta^l = diag(f^l'(z^l)) (W^{l+1})^T delta^{l+1}. "
        "Multiplying by W^{l+1} itself sends the error forward instead of back: it raises a "
        "shape error when layers l and l+1 have different widths, and gives wrong values "
        "when they have the same. Fix: dfz * (W_next.T @ delta_next)."),
    Mistake(
        "backward_delta_without_derivative", backward_delta_without_derivative(), "T1.step",
        "the induction step without f^l'(z^l)",
        "backward_delta", "W_next.T @ delta_next",
        "delta^l is the gradient of the cost with respect to the potential z^l, not the "
        "activation a^l. (W^{l+1})^T delta^{l+1} is the gradient with respect to a^l; the "
        "step from a^l back to z^l goes through a^l = f^l(z^l), whose Jacobian is "
        "diag(f^l'(z^l)) (lemma L4). Leaving the factor out is right only for the identity "
        "activation. Fix: multiply elementwise by the derivative, "
        "dfz * (W_next.T @ delta_next)."),
    Mistake(
        "backward_delta_wrong_sign", backward_delta_wrong_sign(), "T1.step",
        "a minus sign in the induction step",
        "backward_delta", "-dfz * (W_next.T @ delta_next)",
        "Backpropagation computes derivatives: delta^l = dc/dz^l = diag(f^l'(z^l)) "
        "(W^{l+1})^T delta^{l+1} has no minus sign. The minus belongs to the update of "
        "gradient descent (W <- W - eta dc/dW), after the gradient is computed. With the sign "
        "in the step, every step flips the sign again, so the layers below the output "
        "alternate between the gradient and its negative, and training climbs the cost in "
        "half of them. Fix: drop the minus sign."),
    Mistake(
        "output_delta_without_derivative", output_delta_without_derivative(), "T1.base",
        "output delta without the activation derivative",
        "output_delta", "grad_a",
        "The base case starts the recursion at the output: delta^k = dc/dz^k. The cost "
        "depends on z^k only through the output a^k = f^k(z^k), so by the chain rule "
        "delta^k = diag(f^k'(z^k)) grad_{a^k} c. Returning grad_a alone is the gradient with "
        "respect to a^k, one step short; it is right only for an identity output (the "
        "shortcut delta^k = a - y is the special case of a sigmoid output with "
        "cross-entropy, where the two factors cancel). Fix: dfz * grad_a."),
    Mistake(
        "output_delta_squared_derivative", output_delta_squared_derivative(), "T1.base",
        "f^k' applied twice in the output delta",
        "output_delta", "dfz * dfz * grad_a",
        "Between z^k and the cost there is one activation, so the base case "
        "delta^k = diag(f^k'(z^k)) grad_{a^k} c has the factor f^k'(z^k) once. Applying it "
        "twice usually means the derivative was already folded into the gradient and is "
        "multiplied in again. Fix: dfz * grad_a, with grad_a the gradient of the cost with "
        "respect to the output a^k and nothing else."),
    Mistake(
        "weight_grad_wrong_sign", weight_grad_wrong_sign(), "T1.W",
        "a minus sign in the weight gradient",
        "weight_grad", "-(delta @ a_prev.T)",
        "W^l enters z^l = W^l a^{l-1} + b^l linearly, so (lemma L5) the derivative of the "
        "cost with respect to the entry W^l_ij is delta^l_i a^{l-1}_j: "
        "dc/dW^l = delta^l (a^{l-1})^T, with no minus sign. The minus of gradient descent "
        "belongs to the update (W <- W - eta dc/dW), not to the gradient. "
        "Fix: delta @ a_prev.T."),
    Mistake(
        "weight_grad_without_activation", weight_grad_without_activation(), "T1.W",
        "delta 1^T instead of delta (a^{l-1})^T",
        "weight_grad", "delta @ np.ones_like(a_prev).T",
        "The derivative of z^l = W^l a^{l-1} + b^l with respect to the weight W^l_ij is the "
        "input it multiplies, a^{l-1}_j (lemma L5), so dc/dW^l = delta^l (a^{l-1})^T: a "
        "weight on a large input matters more. Replacing a^{l-1} by ones treats every weight "
        "like a bias. Fix: delta @ a_prev.T."),
    Mistake(
        "weight_grad_mean_over_batch", weight_grad_mean_over_batch(), "T2",
        "the weight gradient divided by N twice",
        "weight_grad", "(delta @ a_prev.T) / N",
        "In the data-matrix form the cost C is the mean over the N examples, and its 1/N is "
        "already in Delta^k = f^k'(Z^k) * dC/dA^k, hence in every Delta^l. The product "
        "Delta^l (A^{l-1})^T sums the examples' contributions, and that sum is already the "
        "gradient of the mean. Dividing by N again gives the gradient of C / N; it is right "
        "for one example, so only a batch shows it. Fix: delta @ a_prev.T."),
    Mistake(
        "bias_grad_not_summed", bias_grad_not_summed(), "T2",
        "bias gradient not summed over the examples",
        "bias_grad", "delta[:, 0]",
        "The bias is added to every column: Z^l = W^l A^{l-1} + b^l 1_N^T, so every example "
        "contributes to its gradient, dC/db^l = Delta^l 1_N, the sum of Delta^l over its "
        "columns. Taking one column keeps one example's contribution; it is right for one "
        "example, so only a batch shows it. Fix: delta.sum(axis=1)."),
    Mistake(
        "bias_grad_unsummed", bias_grad_unsummed(), "T1.b",
        "the bias gradient returned as delta, one column per example, not summed",
        "bias_grad", "delta",
        "The bias b^l has one entry per unit, and so has its gradient: dC/db^l = Delta^l 1_N, "
        "the sum of Delta^l over its N columns, an (n_l,) vector. Returning Delta^l itself "
        "gives an (n_l, N) array, one column per example: the examples' contributions are "
        "there, but never added up. Fix: delta.sum(axis=1)."),
    Mistake(
        "bias_grad_mean", bias_grad_mean(), "T2",
        "bias gradient averaged instead of summed over the examples",
        "bias_grad", "delta.mean(axis=1)",
        "dC/db^l = Delta^l 1_N is the sum over the columns: Delta^l already carries the 1/N "
        "of the mean cost C, which entered at the output, dC/dA^k = grad_a c / N. Averaging "
        "over the columns divides by N a second time. Fix: delta.sum(axis=1)."),
    Mistake(
        "f_instead_of_fprime", f_instead_of_fprime, "T1.grad",
        "f(z) used where f'(z) belongs",
        "gradients", "dfz = f(Z)",
        "Every delta needs the derivative of its layer's activation, diag(f^l'(z^l)) "
        "(lemma L4), in the base case and in each induction step. Using the activation "
        "f(z^l) itself is a slip of notation that keeps every shape, so nothing crashes and "
        "the gradient is wrong everywhere. Fix: the derivative, e.g. s(z) (1 - s(z)) for the "
        "sigmoid s, 1 - tanh(z)^2 for tanh, (z > 0) for relu."),
    Mistake(
        "fprime_at_activation", fprime_at_activation, "T1.grad",
        "f' evaluated at the activation a^l instead of the potential z^l",
        "gradients", "dfz = f'(A)",
        "The step needs f^l' at the potential, f^l'(z^l). Some derivatives are usually "
        "written in terms of the activation a^l = f^l(z^l) (sigmoid' = a (1 - a), "
        "tanh' = 1 - a^2); mixing the two forms evaluates the formula in z at a, which is "
        "f'(f(z)). Fix: either the formula in z at Z^l, or the formula in a at A^l, not a "
        "formula in z at A^l."),
    Mistake(
        "activation_off_by_one", activation_off_by_one, "T1.grad",
        "the derivative of the next layer's activation function (index off by one)",
        "gradients", "dfz = f^{l+1}'(Z^l)",
        "Each layer has its own activation f^l, and delta^l needs the derivative of layer "
        "l's: diag(f^l'(z^l)). Taking the next layer's activation is an index off by one "
        "that no test with the same activation in every layer can see. Fix: for layer l "
        "(1-based) use activations[l - 1] with Z^l; check the indices of the loop once "
        "against the paper's l = k, ..., 1."),
    Mistake(
        "sum_instead_of_mean", sum_instead_of_mean, "T2",
        "the gradient of the summed cost, not the mean over the batch",
        "gradients", "grad_a = c'(A, Y)  (no / N)",
        "The cost of a batch is the mean C = (1/N) sum_i c(a^k_i, y_i) (definition D4), so "
        "dC/dA^k = grad_a c / N, and that 1/N flows through every Delta^l into every "
        "gradient. Leaving it out gives the gradient of the sum of the costs, N times too "
        "large; it is right for one example, so only a batch shows it. Fix: divide the "
        "output gradient by N, once, and nowhere else."),
    Mistake(
        "monolithic_output_without_derivative", monolithic_output_without_derivative,
        "T1.grad", "output delta without the activation derivative, inside gradients",
        "gradients", "delta = grad_a",
        "The recursion starts at the output with delta^k = diag(f^k'(z^k)) grad_{a^k} c "
        "(the base case, T1.base): the cost depends on z^k through the output activation. "
        "Starting from grad_a alone is the gradient with respect to a^k, one step short, "
        "and every delta below inherits the error; it is right only for an identity output "
        "(delta^k = a - y is the special case of a sigmoid output with cross-entropy). "
        "Fix: delta = dfz * grad_a at the output."),
    Mistake(
        "bce_missing_factor", bce_missing_factor, "T1.grad",
        "cross-entropy gradient (a - y) / a, missing the factor 1 / (1 - a)",
        "gradients", "grad_a = (A - Y) / A",
        "The gradient of the binary cross-entropy c = -(y log a + (1 - y) log(1 - a)) with "
        "respect to a is -y/a + (1 - y)/(1 - a) = (a - y) / (a (1 - a)) (lemma L6). "
        "(a - y) / a misses the factor 1 / (1 - a), typically from differentiating one of "
        "the two logarithms only or from putting the fractions together wrongly. "
        "Fix: (A - Y) / (A * (1 - A)), or, for a sigmoid output, delta^k = A - Y directly."),
    Mistake(
        "wrong_sign", wrong_sign, "T1.grad", "the gradient with the wrong sign",
        "gradients", "return -dWs, -dbs",
        "The gradient has no minus sign; gradient descent subtracts it in the update "
        "(W <- W - eta dC/dW). Returning the negated gradient makes an optimizer that "
        "subtracts it climb the cost. Fix: return dC/dW^l and dC/db^l as computed, and put "
        "the minus sign in the update."),
    Mistake(
        "tanh_derivative_from_potential", tanh_derivative_from_potential, "T1.grad",
        "tanh' written as 1 - z^2 instead of 1 - tanh(z)^2",
        "gradients", "dfz = 1 - Z**2  (tanh)",
        "tanh'(z) = 1 - tanh(z)^2, which is 1 - a^2 in terms of the activation "
        "a = tanh(z). Writing 1 - z^2 mixes the two forms: the shortcut in a, evaluated at "
        "the potential z. It is close to right only near z = 0, which is why small tests "
        "miss it. Fix: 1 - np.tanh(Z)**2, or 1 - A**2 with the layer's activation."),
    Mistake(
        "clipped_probabilities", clipped_probabilities, "T1.grad",
        "cross-entropy gradient of outputs clipped to [1e-15, 1 - 1e-15]: wrong by up to "
        "100 per cent where a sigmoid output is below 1e-15 (a binary classifier)",
        "gradients", "p = np.clip(A, 1e-15, 1 - 1e-15); grad_a = (p - Y) / (p * (1 - p))",
        "Clipping the output before the cross-entropy gradient guards against log(0) and a "
        "division by zero, but where the sigmoid output a is below the clip, the gradient is "
        "taken at p instead of a, while f'(z^k) = a (1 - a) is taken at the real output: the "
        "factors of the base case delta^k = diag(f^k'(z^k)) grad_{a^k} c no longer belong to "
        "the same point, and delta^k = a (p - y) / p is off by up to the whole value for a "
        "confident wrong prediction. Fix: for a sigmoid output with cross-entropy, "
        "delta^k = a - y, which is exact and needs no clipping."),
    Mistake(
        "relu_derivative_two_at_kink", relu_derivative_two_at_kink, "T1.grad",
        "relu'(0) = 2 at units exactly at the kink, outside the subdifferential [0, 1] "
        "(an implementation for relu networks)",
        "gradients", "relu'(0) = 2",
        "relu has no derivative at 0, and the check accepts any value of its "
        "subdifferential there, the interval [0, 1] (0, 1 and 0.5 are the usual choices): "
        "each gives a valid gradient of a one-sided limit. A value outside it, such as 2 "
        "from (z >= 0) + (z > 0), is the derivative of no side, and units exactly at 0 are "
        "common (zero biases, zero inputs). Fix: choose relu'(0) in [0, 1], e.g. (Z > 0)."),
)
"""The implementations' mistakes, in the order of the proof's steps within each kind."""

LAYER_CATALOG: tuple[LayerMistake, ...] = (
    LayerMistake(
        Conv1DKernelNotFlipped, "G.step", "Conv1D",
        "the input product slides the kernel the wrong way (tap j gets tap w-1-j's weights)",
        "input_product", "Conv1D.input_product(self, a, {**params, 'K': K[:, :, ::-1]}, delta)",
        "The input product J_a^T delta sends each output's delta back to the inputs that "
        "produced it: output position t read input s t + d j through tap j, so that input "
        "receives K_j^T delta_t. This is the transpose of the convolution's Toeplitz "
        "matrix; written as a sliding window it is a correlation with the kernel flipped. "
        "Reversing the kernel as well (or flipping it where it must not be) hands tap j's "
        "deltas to the weights of tap w-1-j, mirroring the input positions. Fix: scatter "
        "back through the forward pass's own windows, dA[:, window_j] += K[:, :, j]^T delta, "
        "for every tap j."),
    LayerMistake(
        SoftmaxWithoutOuterProduct, "G.base", "softmax",
        "the softmax product without its - s s^T term", "product", "a * g",
        "Softmax is not elementwise: every output s_i depends on every input z_j, so its "
        "Jacobian is diag(s) - s s^T, not a diagonal matrix (lemma L4 holds for elementwise "
        "activations only). Its product is J^T g = s * g - s (s^T g) = s * (g - s^T g). "
        "Dropping the outer-product term treats softmax as if it were elementwise. "
        "Fix: a * (g - np.sum(a * g, axis=0, keepdims=True))."),
    LayerMistake(
        LayerNormWithoutMean, "G.step", "LayerNorm",
        "the input product without the - mean(g) term",
        "input_product", "(g - x * mean(g * x)) / sigma",
        "LayerNorm subtracts each column's mean before dividing by its standard deviation, "
        "so every output depends on every input twice: through the mean and through sigma. "
        "The input product has a term for each, J_a^T delta = (g - mean(g) - x mean(g x)) / "
        "sigma with g = gamma * delta; leaving out - mean(g), the derivative of subtracting "
        "the mean, treats the mean as a constant. Fix: subtract "
        "g.mean(axis=0, keepdims=True) as well."),
    LayerMistake(
        ResidualWithoutSkip, "G.step", "Residual",
        "the input product W^T delta: the skip connection forgotten",
        "input_product", "W.T @ delta",
        "A residual layer z = a + W a + b adds its input to the affine branch, so its "
        "Jacobian with respect to a is I + W (lemma L5 plus the identity), and "
        "J_a^T delta = delta + W^T delta. Forgetting the identity pulls the delta back "
        "through the affine branch only, which is exactly the path a skip connection exists "
        "to bypass. Fix: delta + W.T @ delta."),
    LayerMistake(
        DropoutWithoutMask, "G.step", "Dropout",
        "the input product passes every unit's delta back, dropped ones too",
        "input_product", "delta",
        "Dropout multiplies each unit by its mask m (0 for a dropped unit, 1 / (1 - p) for "
        "a kept one), so its Jacobian is diag(m) and J_a^T delta = m * delta: a dropped unit "
        "gets no gradient and a kept one is scaled as in the forward pass. Passing delta "
        "through unchanged trains the dropped units on outputs they did not produce. "
        "Fix: mask[:, None] * delta, with the forward pass's mask."),
    LayerMistake(
        AffineParameterProductsAveraged, "G.param", "Affine",
        "the parameter products average over the N columns instead of summing",
        "parameter_products", "{'W': delta @ a.T / N, 'b': delta.sum(axis=1) / N}",
        "The parameter products sum the examples' contributions: J_W^T delta = delta A^T "
        "and J_b^T delta = delta 1_N. The deltas already carry the 1/N of the mean cost, "
        "which entered at the output (dC/dA^k = grad_a c / N); averaging over the columns "
        "divides by N a second time. It is right for one example, so only a batch shows "
        "it. Fix: delta @ a.T and delta.sum(axis=1)."),
)
"""The layer types' mistakes: one wrong product of each registered type, and of softmax."""

MISTAKES: tuple[Mistake | LayerMistake, ...] = CATALOG + LAYER_CATALOG
"""Every entry of both catalogs."""
