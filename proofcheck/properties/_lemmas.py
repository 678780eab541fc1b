"""Properties of the lemmas L1–L7: matrix calculus, checked against the JAX oracle.

The lemmas do not depend on the implementation under check: they check the
mathematics the proof rests on, and the package's hand-derived activation
derivatives (L4, L7) and cost gradients (L6) that end-to-end properties use.
Matrices here are small (sides 1..4): the lemmas are identities of shapes and
entries, and small sides keep full Jacobians cheap.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from hypothesis import strategies as st

from proofcheck._types import Float64Array
from proofcheck.activations import ACTIVATIONS
from proofcheck.costs import COSTS
from proofcheck.network import potential
from proofcheck.numerics import error_model
from proofcheck.oracle import network as oracle
from proofcheck.properties._framework import Check, Property, Subject, check, register
from proofcheck.strategies import activation_names, cost_names, matrices

Names = frozenset[str] | None

#: Largest side of a lemma's matrices.
MAX_SIDE = 4


def vec(X: Float64Array) -> Float64Array:
    """``vec(X)``: the columns of ``X`` stacked, ``(m, n) -> (m n,)``."""
    return X.reshape(-1, order="F")


def _side() -> st.SearchStrategy[int]:
    return st.integers(1, MAX_SIDE)


# --- L1 --------------------------------------------------------------------------


class Triple(NamedTuple):
    A: Float64Array
    B: Float64Array
    C: Float64Array


@st.composite
def _triples(draw: st.DrawFn) -> Triple:
    m, n, p, q = (draw(_side()) for _ in range(4))
    return Triple(draw(matrices(m, n)), draw(matrices(n, p)), draw(matrices(p, q)))


def check_L1_vec_kronecker(subject: Subject, t: Triple) -> list[Check]:
    """L1: ``vec(A B C) == (C^T kron A) vec(B)``."""
    left = vec(t.A @ t.B @ t.C)
    right = np.kron(t.C.T, t.A) @ vec(t.B)
    return [check("vec(A B C)", right, left, kind="identity",
                  inputs={"A": t.A, "B": t.B, "C": t.C})]


register(Property(
    "L1", "lemma", (), about="mathematics", tolerance="identity",
    generates="matrices A (m, n), B (n, p), C (p, q) with sides 1..4 and entries in [-1, 1]",
    compares="(C^T kron A) vec(B) with vec(A B C), both formed in numpy",
    strategy=lambda ctx: _triples(),
    check=check_L1_vec_kronecker,
    oracle="numpy: the product A B C formed directly",
))


# --- L2 --------------------------------------------------------------------------


class DifferentialPoint(NamedTuple):
    """L2's example: a layer function ``X -> f(W X + b)`` (for each activation), a
    point ``X`` and a direction ``dX`` of its differential."""

    activations: tuple[str, ...]
    W: Float64Array
    b: Float64Array
    X: Float64Array
    dX: Float64Array


def differential_points(acts: Names) -> st.SearchStrategy[DifferentialPoint]:
    """L2's examples, for the activations ``acts`` (``None``: every one)."""
    @st.composite
    def draw_point(draw: st.DrawFn) -> DifferentialPoint:
        m, n, N = draw(_side()), draw(_side()), draw(_side())
        W = draw(matrices(m, n, bound=1.0 / n))
        b = draw(matrices(m, 1))[:, 0]
        # Every activation at every drawn layer, as in L4 and L7: a derivative wrong
        # only for one activation cannot hide behind the draw of the others.
        names = tuple(a for a in ACTIVATIONS if acts is None or a in acts)
        return DifferentialPoint(names, W, b, draw(matrices(n, N)), draw(matrices(n, N)))

    return draw_point()


def _layer_differential_matrix(activation: str, p: DifferentialPoint
                               ) -> tuple[Float64Array, Float64Array]:
    """``M(X) = diag(vec f'(Z)) (I_N kron W)`` for ``F(X) = f(W X + b 1^T)`` (L4, L5, L3),
    and ``f'(Z)``."""
    Z = potential(p.W, p.X, p.b, np)
    dfz = ACTIVATIONS[activation].derivative(Z)
    return np.diag(vec(dfz)) @ np.kron(np.eye(p.X.shape[1]), p.W), dfz


def check_L2_identification(subject: Subject, p: DifferentialPoint) -> list[Check]:
    """L2: the oracle's ``jvp`` along ``dX`` and its Jacobian both equal ``M(X)``, for every
    activation.

    Each is judged at its own terms: ``|f'(Z)| (|W| |dX|)`` for the directional
    derivative (``W dX`` may cancel to a few ``u`` where ``b = 0`` and ``X = 0`` make no
    factor of it), and each entry ``|f'_i W_ij|`` of ``M``. An activation with a kink is
    left out at a point whose potential lies within rounding of the kink
    (:func:`~proofcheck.numerics.error_model.within_rounding_of_kink`), where ``f'`` itself is
    indeterminate; the others are checked there.
    """
    inputs = {"W": p.W, "b": p.b, "X": p.X, "dX": p.dX}
    Z = potential(p.W, p.X, p.b, np)
    terms_z = error_model.product_terms(p.W, p.X) + np.abs(p.b)[:, None]
    checks = []
    for name in p.activations:
        if error_model.within_rounding_of_kink(name, Z, terms_z):
            continue  # f' is indeterminate there (numpy and XLA may round to either side)
        M, dfz = _layer_differential_matrix(name, p)
        dF, J = oracle.layer_jacobian_and_jvp(name, p.W, p.b, p.X, p.dX)
        terms = vec(np.abs(dfz) * error_model.product_terms(p.W, p.dX))
        checks += [
            check(f"M(X) vec(dX) ({name})", M @ vec(p.dX), vec(dF), kind="jacobian",
                  inputs=inputs, scale=error_model.judged_scale(terms)),
            check(f"M(X) ({name})", M, J, kind="jacobian", inputs=inputs,
                  scale=error_model.judged_scale(np.abs(M))),
        ]
    return checks


register(Property(
    "L2", "lemma", (), about="mathematics", tolerance="jacobian",
    generates="a layer F(X) = f(W X + b 1^T) (W (m, n), b, X and a direction dX (n, N), "
              "sides 1..4), for every activation",
    compares="M(X) vec(dX) with jax.jvp of F along dX, and M(X) with jax.jacfwd of F, "
             "where M(X) = diag(vec f'(Z)) (I_N kron W) is read off the differential",
    strategy=lambda ctx: differential_points(ctx.activations),
    check=check_L2_identification,
))


# --- L3 --------------------------------------------------------------------------


class Composite(NamedTuple):
    first: tuple[str, Float64Array, Float64Array]
    second: tuple[str, Float64Array, Float64Array]
    X: Float64Array


def _composites(acts: Names) -> st.SearchStrategy[Composite]:
    @st.composite
    def draw_composite(draw: st.DrawFn) -> Composite:
        n, m, p, N = (draw(_side()) for _ in range(4))
        first = (draw(activation_names(acts)), draw(matrices(m, n, bound=1.0 / n)),
                 draw(matrices(m, 1))[:, 0])
        second = (draw(activation_names(acts)), draw(matrices(p, m, bound=1.0 / m)),
                  draw(matrices(p, 1))[:, 0])
        return Composite(first, second, draw(matrices(n, N)))

    return draw_composite()


def check_L3_chain_rule(subject: Subject, c: Composite) -> list[Check]:
    """L3: ``J^{G o F}(X) == J^G(F(X)) J^F(X)``, all three Jacobians by the oracle."""
    J_GF, J_G, J_F = oracle.chain_jacobians(c.first, c.second, c.X)
    return [check("J^{G o F}(X)", J_G @ J_F, J_GF, kind="jacobian",
                  inputs={"W1": c.first[1], "W2": c.second[1], "X": c.X})]


register(Property(
    "L3", "lemma", (), about="mathematics", tolerance="jacobian",
    generates="two layers F, G (activations, weights, biases; sides 1..4) and X",
    compares="the product of jax.jacfwd of G at F(X) and of F at X with jax.jacfwd of G o F",
    strategy=lambda ctx: _composites(ctx.activations),
    check=check_L3_chain_rule,
))


# --- L4 --------------------------------------------------------------------------


class ElementwisePoint(NamedTuple):
    """L4's example: potentials ``z`` at which each activation's ``f'`` is compared."""

    activations: tuple[str, ...]
    z: Float64Array


def _elementwise_points(acts: Names) -> st.SearchStrategy[ElementwisePoint]:
    # Potentials over [-20, 20], and the kink 0.0 itself with good probability
    # (Hypothesis draws 0.0 often; sampled_from makes sure of it).
    entry = st.one_of(st.sampled_from([0.0, -0.0]),
                      st.floats(-20.0, 20.0, allow_nan=False, allow_subnormal=False))
    # Every activation at every drawn z: a derivative wrong only for one activation
    # cannot hide behind the draw of the others.
    names = tuple(a for a in ACTIVATIONS if acts is None or a in acts)
    return st.builds(ElementwisePoint, st.just(names),
                     st.lists(entry, min_size=1, max_size=2 * MAX_SIDE).map(np.array))


def check_L4_elementwise(subject: Subject, p: ElementwisePoint) -> list[Check]:
    """L4: the hand-derived ``f'(z)`` equals JAX's, and ``J^f(z) == diag(f'(z))``, for every
    activation."""
    checks = []
    for name in p.activations:
        hand = ACTIVATIONS[name].derivative(p.z)
        # Scale 1: both sides form f' from terms of size 1 (1 - tanh^2, expm1(z) + 1), so
        # their rounding is absolute, relative to 1 (see the "derivative" tolerance).
        checks += [
            check(f"{name}'(z)", hand,
                  oracle.elementwise_derivative(name, p.z[:, None])[:, 0],
                  kind="derivative", inputs={"z": p.z}, scale=1.0),
            check(f"J^{name}(z)", np.diag(hand), oracle.elementwise_jacobian(name, p.z),
                  kind="derivative", inputs={"z": p.z}, scale=1.0),
        ]
    return checks


register(Property(
    "L4", "lemma", (), about="mathematics", tolerance="derivative",
    generates="a vector z with entries in [-20, 20], the kink 0 often; every activation",
    compares="the hand-derived f'(z) with jax.jvp of f, and diag(f'(z)) with jax.jacfwd of f",
    strategy=lambda ctx: _elementwise_points(ctx.activations),
    check=check_L4_elementwise,
))


# --- L5 --------------------------------------------------------------------------


class AffinePoint(NamedTuple):
    """L5's example: the affine map ``A -> W A + b`` at a point ``A``."""

    W: Float64Array
    A: Float64Array
    b: Float64Array


@st.composite
def _affine_points(draw: st.DrawFn) -> AffinePoint:
    m, n, N = draw(_side()), draw(_side()), draw(_side())
    return AffinePoint(draw(matrices(m, n)), draw(matrices(n, N)), draw(matrices(m, 1))[:, 0])


def check_L5_affine(subject: Subject, p: AffinePoint) -> list[Check]:
    """L5: ``J^Z(vec A) = I_N kron W``, ``J^Z(vec W) = A^T kron I``, ``J^Z(b) = 1_N kron I``."""
    m, N = p.W.shape[0], p.A.shape[1]
    J_A, J_W, J_b = oracle.affine_jacobians(p.W, p.A, p.b)
    inputs = {"W": p.W, "A": p.A, "b": p.b}
    return [
        check("J^Z(vec A)", np.kron(np.eye(N), p.W), J_A, kind="jacobian", inputs=inputs),
        check("J^Z(vec W)", np.kron(p.A.T, np.eye(m)), J_W, kind="jacobian", inputs=inputs),
        check("J^Z(b)", np.kron(np.ones((N, 1)), np.eye(m)), J_b, kind="jacobian",
              inputs=inputs),
    ]


register(Property(
    "L5", "lemma", (), about="mathematics", tolerance="jacobian",
    generates="W (m, n), A (n, N), b (m,) with sides 1..4",
    compares="I_N kron W, A^T kron I and 1_N kron I with jax.jacfwd of Z = W A + b 1^T "
             "with respect to vec A, vec W and b",
    strategy=lambda ctx: _affine_points(),
    check=check_L5_affine,
))


# --- L6 --------------------------------------------------------------------------


class Output(NamedTuple):
    cost: str
    A: Float64Array
    Y: Float64Array


def _outputs(costs: Names) -> st.SearchStrategy[Output]:
    @st.composite
    def draw_output(draw: st.DrawFn) -> Output:
        name = draw(cost_names(costs))
        n, N = draw(_side()), draw(_side())
        low, high = COSTS[name].target_range
        if COSTS[name].output_activations is None:
            A = draw(matrices(n, N))
        else:
            # outputs of the sigmoid, strictly inside (0, 1): a = sigmoid(z), |z| <= 12
            A = ACTIVATIONS["sigmoid"](draw(matrices(n, N, bound=12.0)))
        Y = draw(matrices(n, N)) * (high - low) / 2 + (high + low) / 2
        return Output(name, A, np.clip(Y, low, high))

    return draw_output()


def check_L6_cost_gradient(subject: Subject, p: Output) -> list[Check]:
    """L6: the hand-derived ``grad_a c`` equals ``jax.grad`` of the cost."""
    hand = COSTS[p.cost].gradient(p.A, p.Y)
    # JAX differentiates the cost term by term (-y/a + (1-y)/(1-a) for cross-entropy),
    # which cancels where a is close to y: compare at the size of those terms, bounded
    # by the hand-derived gradient at |A| and -|Y|.
    terms = float(np.max(np.abs(COSTS[p.cost].gradient(np.abs(p.A), -np.abs(p.Y)))))
    return [check(f"grad_a {p.cost}", hand, oracle.cost_gradient(p.cost, p.A, p.Y),
                  inputs={"A": p.A, "Y": p.Y}, scale=terms)]


register(Property(
    "L6", "lemma", (), about="mathematics", tolerance="gradient",
    generates="a cost, outputs A (n, N) in its domain (sigmoid outputs for cross-entropy) "
              "and targets Y in its target range",
    compares="the hand-derived output gradient with jax.grad of the summed cost",
    strategy=lambda ctx: _outputs(ctx.costs),
    check=check_L6_cost_gradient,
))


# --- L7 --------------------------------------------------------------------------


class LayerMapPoint(NamedTuple):
    """L7's example: the map ``z^l -> W^{l+1} f^l(z^l) + b^{l+1}`` at a point."""

    activations: tuple[str, ...]
    W_next: Float64Array
    b_next: Float64Array
    z: Float64Array


def _layer_map_points(acts: Names) -> st.SearchStrategy[LayerMapPoint]:
    @st.composite
    def draw_map(draw: st.DrawFn) -> LayerMapPoint:
        m, n = draw(_side()), draw(_side())
        names = tuple(a for a in ACTIVATIONS if acts is None or a in acts)
        return LayerMapPoint(names, draw(matrices(m, n)),
                        draw(matrices(m, 1))[:, 0], draw(matrices(n, 1, bound=5.0))[:, 0])

    return draw_map()


def check_L7_layer_map(subject: Subject, p: LayerMapPoint) -> list[Check]:
    """L7: ``J`` of ``z -> W^{l+1} f(z) + b^{l+1}`` equals ``W^{l+1} diag(f'(z))``, for every
    activation."""
    checks = []
    for name in p.activations:
        hand = p.W_next @ np.diag(ACTIVATIONS[name].derivative(p.z))
        checks.append(check(f"J^{{z^{{l+1}}}}(z^l), {name}", hand,
                            oracle.layer_map_jacobian(name, p.W_next, p.b_next, p.z),
                            kind="jacobian", inputs={"W_next": p.W_next, "z": p.z}))
    return checks


register(Property(
    "L7", "lemma", (), about="mathematics", tolerance="jacobian",
    generates="W^{l+1} (m, n), b^{l+1} (m,) and z^l (n,) in [-5, 5]; every activation",
    compares="W^{l+1} diag(f'(z^l)) (hand-derived f') with jax.jacfwd of the layer map",
    strategy=lambda ctx: _layer_map_points(ctx.activations),
    check=check_L7_layer_map,
))

__all__: list[str] = []
