"""The step list: every definition, lemma and theorem step of the proof, by ID.

This is the one place where the step IDs live. Properties, the report, the
command line and the documentation all refer to these IDs, and the test-suite
checks that the three agree (every ID with ``checked=True`` has at least one
property; every property names an ID from this list).

The IDs follow the project's specification of the proof of backpropagation in
matrix notation (Ostwald & Usée, arXiv:2107.09384): ``D*`` definitions,
``L*`` lemmas of matrix differential calculus, ``T1.*`` the theorem and its
induction proof for one example, ``T2`` the data-matrix form, ``G.*`` the
generalization to arbitrary differentiable layer types.
"""

from __future__ import annotations

from typing import Literal, NamedTuple

__all__ = ["DOCS_PAGES", "STEPS", "STEP_IDS", "Step", "get_step", "row_key"]

StepKind = Literal["definition", "lemma", "theorem", "generalization"]


class Step(NamedTuple):
    """One step of the proof.

    Attributes
    ----------
    id : str
        Stable step ID, e.g. ``"T1.step"``.
    kind : {"definition", "lemma", "theorem", "generalization"}
        What kind of statement it is.
    title : str
        A few words naming the step.
    statement : str
        The statement in one line of plain-text mathematics.
    checked : bool
        Whether a property checks this step (definitions are implemented and
        documented, not checked by a property of their own).
    meaning : str
        What a failure of the step means, in the proof's terms (empty for the
        definitions, which no property checks on their own).
    """

    id: str
    kind: StepKind
    title: str
    statement: str
    checked: bool = True
    meaning: str = ""

    def docs_url(self, base: str = "") -> str:
        """The docs section that states and proves the step: ``proof/theorem.html#T1.step``
        (each step is a proof environment whose HTML anchor is its ID), after ``base``,
        the address the docs are served from, when one is given."""
        part = self.id.split(".")[0]
        page = DOCS_PAGES.get(part) or DOCS_PAGES[part[0]]
        return f"{base.rstrip('/') + '/' if base else ''}proof/{page}.html#{self.id}"


def row_key(step: str, mode: str, layer: str | None = None) -> str:
    """The key of a row of the check: ``"T1.step/isolated"``, ``"G.step/lemma/Conv1D"``.
    Unique per row of a run; what ``--steps`` rows, workers, the grader and the
    pytest plugin's items match rows by."""
    return f"{step}/{mode}" + (f"/{layer}" if layer else "")


#: The docs page (under ``proof/``) of each part of the proof, by the step ID's prefix.
DOCS_PAGES = {"D": "notation", "L": "lemmas", "T1": "theorem", "T2": "data-matrix",
              "G": "generalization"}


STEPS: tuple[Step, ...] = (
    Step("D1", "definition", "Network",
         "z^l = W^l a^{l-1} + b^l, a^l = f^l(z^l), a^0 = x, output a^k", checked=False),
    Step("D2", "definition", "Cost",
         "c(a^k, y): squared error or binary cross-entropy", checked=False),
    Step("D3", "definition", "Deltas", "delta^l = grad_{z^l} c", checked=False),
    Step("D4", "definition", "Data-matrix form",
         "Z^l = W^l A^{l-1} + b^l 1^T, C = mean_i c(A^k_i, Y_i), Delta^l = dC/dZ^l",
         checked=False),
    Step("L1", "lemma", "vec-Kronecker", "vec(A B C) = (C^T kron A) vec(B)",
         meaning="the vec-Kronecker identity does not hold as computed"),
    Step("L2", "lemma", "Identification",
         "vec(dF) = M(X) vec(dX) for all dX implies J^F(X) = M(X)",
         meaning="a Jacobian read off a differential disagrees with the oracle"),
    Step("L3", "lemma", "Chain rule", "J^{G o F}(X) = J^G(F(X)) J^F(X)",
         meaning="the chain rule does not hold for the oracle's Jacobians"),
    Step("L4", "lemma", "Elementwise maps", "J^f(z) = diag(f'(z))",
         meaning="a hand-derived activation derivative f' is wrong"),
    Step("L5", "lemma", "Affine potential",
         "J^z(a) = W, J^z(vec W) = a^T kron I, J^z(b) = I",
         meaning="the Jacobians of the affine potential are wrong"),
    Step("L6", "lemma", "Cost gradient",
         "grad_a c = a - y (squared error), (a - y) / (a (1 - a)) (cross-entropy)",
         meaning="a hand-derived output gradient of a cost is wrong"),
    Step("L7", "lemma", "Layer map",
         "J of z^l -> W^{l+1} f^l(z^l) + b^{l+1} is W^{l+1} diag(f^l'(z^l))",
         meaning="the Jacobian of the layer map z^l -> z^{l+1} is wrong"),
    Step("T1.base", "theorem", "Base case", "delta^k = diag(f^k'(z^k)) grad_{a^k} c",
         meaning="the base case is wrong: the output delta is not diag(f^k'(z^k)) grad_a c"),
    Step("T1.step", "theorem", "Induction step",
         "delta^l = diag(f^l'(z^l)) (W^{l+1})^T delta^{l+1}",
         meaning="the induction step is wrong: delta^l is not "
                 "diag(f^l'(z^l)) (W^{l+1})^T delta^{l+1}"),
    Step("T1.W", "theorem", "Weight gradient", "dc/dW^l = delta^l (a^{l-1})^T",
         meaning="the weight gradient is wrong: dc/dW^l is not delta^l (a^{l-1})^T"),
    Step("T1.b", "theorem", "Bias gradient", "dc/db^l = delta^l",
         meaning="the bias gradient is wrong: dc/db^l is not delta^l"),
    Step("T1.grad", "theorem", "Full gradient",
         "the gradient assembled from T1.W and T1.b is grad_theta c",
         meaning="the full gradient is wrong"),
    Step("T1.tail", "theorem", "Structural induction over depth",
         "deltas of layers 2..k+1 equal those of the depth-k tail network fed a^1",
         meaning="the gradients of layers 2..k differ from those of the tail network"),
    Step("T2", "theorem", "Data-matrix form",
         "Delta^l = f^l'(Z^l) * ((W^{l+1})^T Delta^{l+1}), dC/dW^l = Delta^l (A^{l-1})^T, "
         "dC/db^l = Delta^l 1_N; the mean of the per-example results",
         meaning="the data-matrix form is wrong (a sum or a mean over the N examples)"),
    Step("G.base", "generalization", "Base case, any layer types",
         "delta^k = J^{f^k}(z^k)^T grad_{a^k} c",
         meaning="an activation's Jacobian-transpose product J^f(z^k)^T g is wrong"),
    Step("G.step", "generalization", "Induction step, any layer types",
         "delta^l = J^{f^l}(z^l)^T J^{phi^{l+1}}_a(a^l)^T delta^{l+1}",
         meaning="a layer's input product J^phi_a^T delta or an activation's product "
                 "is wrong"),
    Step("G.param", "generalization", "Parameter gradients, any layer types",
         "grad_{theta^l} c = J^{phi^l}_theta(a^{l-1})^T delta^l",
         meaning="a layer's parameter product J^phi_theta^T delta is wrong"),
)

STEP_IDS: tuple[str, ...] = tuple(step.id for step in STEPS)

_BY_ID = {step.id: step for step in STEPS}


def get_step(step_id: str) -> Step:
    """Return the step with ID ``step_id``.

    Raises
    ------
    KeyError
        If there is no such step; the message lists the known IDs.
    """
    try:
        return _BY_ID[step_id]
    except KeyError:
        known = ", ".join(STEP_IDS)
        raise KeyError(f"unknown step ID {step_id!r}; the known step IDs are: {known}") from None
