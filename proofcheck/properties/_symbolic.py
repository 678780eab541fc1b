"""Exact rows: identities over symbolic matrix entries, with sympy, for every small shape.

A property that Hypothesis samples shows a statement on the examples drawn; an
identity in symbolic entries shows it for *every* value of those entries. For
widths up to 3 (and one example) this module checks, exactly:

* L1, L4, L5, L7 as identities of matrices of symbols (the activation is an
  undefined function ``f``, so L4 and L7 hold for every differentiable ``f``);
* T1.base, T1.step, T1.W and T1.b **of the implementation**: its protocol
  function is called with arrays of sympy symbols (numpy object arrays) and
  its result must equal, symbol for symbol, the derivative sympy takes of the
  cost. The cost is linear in the next potential with symbolic coefficients
  ``g``: by the chain rule a delta depends on the cost only through its
  gradient at the point, so a symbolic gradient covers every cost.

An implementation that cannot compute with object arrays (one that calls a
float-only routine) gets "not provided" on these rows with that reason; the
sampled rows still check it.
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
from hypothesis import strategies as st

from proofcheck.numerics.tolerances import Comparison, Tolerance
from proofcheck.properties._framework import (
    Check,
    NotApplicable,
    Property,
    Subject,
    UserCodeFailure,
    register,
)

__all__: list[str] = []

#: The widths the exact rows enumerate.
WIDTHS = (1, 2, 3)

_EXACT = Tolerance(0.0, 0.0, "exact: the difference of the two sides expands to 0",
                   kind="exact")


def _sympy() -> Any:
    import sympy

    return sympy


def _matrix(name: str, rows: int, cols: int) -> np.ndarray:
    sp = _sympy()
    return np.array(sp.symbols(f"{name}_0:{rows * cols}"), dtype=object).reshape(rows, cols)


def _vec(X: np.ndarray) -> np.ndarray:
    return X.reshape(-1, order="F")


def _exact_check(quantity: str, actual: Any, expected: Any, *, function: str | None = None,
                 layer: int | None = None) -> Check:
    sp = _sympy()
    a = np.asarray(actual, dtype=object)
    e = np.asarray(expected, dtype=object)
    if a.shape != e.shape:
        difference = [np.inf]
    else:
        difference = [0.0 if sp.expand(x - y) == 0 else np.inf for x, y in zip(a.flat, e.flat,
                                                                            strict=True)]
    ratio = max(difference, default=0.0)
    where = int(np.argmax(difference)) if difference else 0
    index = tuple(int(i) for i in np.unravel_index(where, a.shape)) if a.shape == e.shape \
        else ()
    comparison = Comparison(float(ratio), float(ratio), index, float("nan"), float("nan"),
                            _EXACT)
    return Check(quantity, function, layer, {}, np.array([str(x) for x in a.flat]),
                 np.array([str(x) for x in e.flat]), comparison)


def _only(_: Any) -> st.SearchStrategy[None]:
    # One example: the row enumerates every shape itself.
    return st.just(None)


# --- the lemmas ---------------------------------------------------------------------


def check_L1_exact(subject: Subject, _: None) -> list[Check]:
    """L1 exactly: ``vec(A B C) = (C^T kron A) vec(B)`` for every shape with sides 1..3."""
    checks = []
    for m, n, p, q in itertools.product(WIDTHS, repeat=4):
        if max(m, n, p, q) == 3 and len({m, n, p, q}) > 1:
            continue  # sides 1..2 in every combination, and all sides 3
        A, B, C = _matrix("a", m, n), _matrix("b", n, p), _matrix("c", p, q)
        checks.append(_exact_check(f"vec(A B C), shapes {m}x{n}, {n}x{p}, {p}x{q}",
                                   np.kron(C.T, A) @ _vec(B), _vec(A @ B @ C)))
    return checks


def check_L4_exact(subject: Subject, _: None) -> list[Check]:
    """L4 exactly: the Jacobian of ``f`` applied elementwise is ``diag(f'(z))``, any ``f``."""
    sp = _sympy()
    f = sp.Function("f")
    checks = []
    for n in WIDTHS:
        z = sp.symbols(f"z_0:{n}")
        J = sp.Matrix([f(zi) for zi in z]).jacobian(sp.Matrix(z))
        D = sp.diag(*[sp.diff(f(zi), zi) for zi in z])
        checks.append(_exact_check(f"J^f(z), n={n}", np.array(J.tolist(), dtype=object),
                                   np.array(D.tolist(), dtype=object)))
    return checks


def check_L5_exact(subject: Subject, _: None) -> list[Check]:
    """L5 exactly: the Jacobians of ``Z = W A + b 1^T`` are the Kronecker products."""
    sp = _sympy()
    checks = []
    for m, n, N in itertools.product(WIDTHS, WIDTHS, (1, 2)):
        W, A, b = _matrix("w", m, n), _matrix("a", n, N), _matrix("b", m, 1)[:, 0]
        Z = sp.Matrix(_vec(W @ A + b[:, None]))
        for name, variables, expected in (
            ("J^Z(vec A)", _vec(A), np.kron(np.eye(N, dtype=int), W)),
            ("J^Z(vec W)", _vec(W), np.kron(A.T, np.eye(m, dtype=int))),
            ("J^Z(b)", b, np.kron(np.ones((N, 1), dtype=int), np.eye(m, dtype=int))),
        ):
            J = np.array(Z.jacobian(sp.Matrix(variables)).tolist(), dtype=object)
            checks.append(_exact_check(f"{name}, W {m}x{n}, N={N}", J, expected))
    return checks


def check_L7_exact(subject: Subject, _: None) -> list[Check]:
    """L7 exactly: ``z -> W f(z) + b`` has Jacobian ``W diag(f'(z))``, any ``f``."""
    sp = _sympy()
    f = sp.Function("f")
    checks = []
    for m, n in itertools.product(WIDTHS, WIDTHS):
        W, b = _matrix("w", m, n), _matrix("b", m, 1)[:, 0]
        z = sp.symbols(f"z_0:{n}")
        fz = np.array([f(zi) for zi in z], dtype=object)
        image = sp.Matrix(W @ fz + b)
        J = np.array(image.jacobian(sp.Matrix(z)).tolist(), dtype=object)
        expected = W @ np.diag(np.array([sp.diff(f(zi), zi) for zi in z], dtype=object))
        checks.append(_exact_check(f"J, W {m}x{n}", J, expected))
    return checks


# --- the theorem, on the implementation -----------------------------------------------


def _on_symbols(subject: Subject, function: str, *args: Any) -> Any:
    """Call ``function`` on symbols; first on floats of the same shapes.

    A crash on floats is the implementation's (a failing row, as in the sampled
    rows); a crash only on symbols means it cannot compute with them.
    """
    floats = {f"arg{i}": np.ones(a.shape) if isinstance(a, np.ndarray) else a
              for i, a in enumerate(args)}
    subject.call(function, floats)  # a UserCodeFailure here fails the row
    try:
        return subject.call(function, {f"arg{i}": a for i, a in enumerate(args)})
    except UserCodeFailure as failure:
        raise NotApplicable(
            f"not applicable: {function} does not compute with symbolic (object) arrays "
            f"({failure.last_line}); the sampled rows check it") from None


def _column(values: list[Any]) -> np.ndarray:
    return np.array(values, dtype=object).reshape(-1, 1)


def check_T1_base_exact(subject: Subject, _: None) -> list[Check]:
    """T1.base exactly: ``output_delta(f'(z), g)`` equals sympy's ``dc/dz`` for ``a = f(z)``."""
    sp = _sympy()
    f = sp.Function("f")
    checks = []
    for n in WIDTHS:
        z, g = sp.symbols(f"z_0:{n}"), sp.symbols(f"g_0:{n}")
        c = sum(gi * f(zi) for gi, zi in zip(g, z, strict=True))  # gradient g at a = f(z)
        expected = _column([sp.diff(c, zi) for zi in z])
        actual = _on_symbols(subject, "output_delta",
                             _column([sp.diff(f(zi), zi) for zi in z]), _column(list(g)))
        checks.append(_exact_check(f"delta^k, n_k={n}", actual, expected,
                                   function="output_delta"))
    return checks


def check_T1_step_exact(subject: Subject, _: None) -> list[Check]:
    """T1.step exactly: ``backward_delta(W, g, f'(z))`` equals sympy's ``dc/dz^l`` where
    ``c`` depends on ``z^l`` through ``z^{l+1} = W f(z^l) + b`` with gradient ``g``."""
    sp = _sympy()
    f = sp.Function("f")
    checks = []
    for m, n in itertools.product(WIDTHS, WIDTHS):  # m = n_{l+1}, n = n_l
        W, b = _matrix("w", m, n), _matrix("b", m, 1)[:, 0]
        z, g = sp.symbols(f"z_0:{n}"), sp.symbols(f"g_0:{m}")
        z_next = W @ np.array([f(zi) for zi in z], dtype=object) + b
        c = sum(gj * zj for gj, zj in zip(g, z_next, strict=True))
        expected = _column([sp.diff(c, zi) for zi in z])
        actual = _on_symbols(subject, "backward_delta", W, _column(list(g)),
                             _column([sp.diff(f(zi), zi) for zi in z]))
        checks.append(_exact_check(f"delta^l, n_(l+1)={m}, n_l={n}", actual, expected,
                                   function="backward_delta"))
    return checks


def check_T1_W_exact(subject: Subject, _: None) -> list[Check]:
    """T1.W exactly: ``weight_grad(g, a)`` equals sympy's ``dc/dW`` for ``z = W a + b``."""
    sp = _sympy()
    checks = []
    for m, n in itertools.product(WIDTHS, WIDTHS):
        W, b, a = _matrix("w", m, n), _matrix("b", m, 1)[:, 0], _matrix("a", n, 1)
        g = sp.symbols(f"g_0:{m}")
        c = sum(gj * zj for gj, zj in zip(g, (W @ a)[:, 0] + b, strict=True))
        expected = np.array([[sp.diff(c, w) for w in row] for row in W], dtype=object)
        actual = _on_symbols(subject, "weight_grad", _column(list(g)), a)
        checks.append(_exact_check(f"dc/dW, W {m}x{n}", actual, expected,
                                   function="weight_grad"))
    return checks


def check_T1_b_exact(subject: Subject, _: None) -> list[Check]:
    """T1.b exactly: ``bias_grad(g)`` equals sympy's ``dc/db`` for ``z = W a + b``."""
    sp = _sympy()
    checks = []
    for m in WIDTHS:
        b, g = _matrix("b", m, 1)[:, 0], sp.symbols(f"g_0:{m}")
        c = sum(gj * bj for gj, bj in zip(g, b, strict=True))
        expected = np.array([sp.diff(c, bj) for bj in b], dtype=object)
        actual = _on_symbols(subject, "bias_grad", _column(list(g)))
        checks.append(_exact_check(f"dc/db, n_l={m}", actual, expected, function="bias_grad"))
    return checks


_SYMPY = "sympy: exact identities over symbolic entries"

for _step, _check, _needs, _about, _what in (
    ("L1", check_L1_exact, (), "mathematics",
     "vec(A B C) and (C^T kron A) vec(B) for symbolic A, B, C with sides 1..3"),
    ("L4", check_L4_exact, (), "mathematics",
     "sympy's Jacobian of an undefined f applied elementwise with diag(f'(z)), n = 1..3"),
    ("L5", check_L5_exact, (), "mathematics",
     "sympy's Jacobians of Z = W A + b 1^T with the Kronecker products, sides 1..3, N = 1..2"),
    ("L7", check_L7_exact, (), "mathematics",
     "sympy's Jacobian of z -> W f(z) + b (undefined f) with W diag(f'(z)), sides 1..3"),
    ("T1.base", check_T1_base_exact, ("output_delta",), "implementation",
     "output_delta on symbols with sympy's dc/dz^k, n_k = 1..3"),
    ("T1.step", check_T1_step_exact, ("backward_delta",), "implementation",
     "backward_delta on symbols with sympy's dc/dz^l through z^{l+1} = W f(z^l) + b, "
     "widths 1..3"),
    ("T1.W", check_T1_W_exact, ("weight_grad",), "implementation",
     "weight_grad on symbols with sympy's dc/dW, widths 1..3"),
    ("T1.b", check_T1_b_exact, ("bias_grad",), "implementation",
     "bias_grad on symbols with sympy's dc/db, widths 1..3"),
):
    register(Property(
        _step, "exact", _needs, about=_about,  # type: ignore[arg-type]
        generates="no samples: every shape with widths up to 3, entries as symbols",
        compares=_what, strategy=_only, check=_check, oracle=_SYMPY,
        tolerance=_EXACT))
