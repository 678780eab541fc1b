"""Forward precision: how far the standard activation formulas are from the exact values.

Usage::

    python benchmarks/forward_precision.py [--samples 400000]

For each formula of the forward-formula zoo (``tests/formula_zoo.py``) and the
package's own, the largest error over potentials spread log-uniformly over
``1e-20 .. 700`` in both signs, in units of ``u max(|a|, 1)`` (the allowance's
unit, :mod:`proofcheck.numerics.forward_precision`) and of ``u |a|`` (relative). The exact
value is the same function in numpy's extended precision (``np.longdouble``,
64-bit significand on x86). Prints a Markdown table; ``FORWARD_ACCURACY`` must
stay above the first column and below the 9 ``u`` by which a clip at ``1e-15``
moves a saturated output.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from proofcheck.activations import ACTIVATIONS
from proofcheck.numerics.forward_precision import FORWARD_ACCURACY
from tests.formula_zoo import _TANH_F, _TEXTBOOK_F

U = float(np.finfo(np.float64).eps / 2)


def _exact(name: str, z: np.ndarray) -> np.ndarray:
    x = z.astype(np.longdouble)
    if name == "sigmoid":
        return 1 / (1 + np.exp(-x))
    if name == "tanh":
        return np.tanh(x)
    if name == "elu":
        return np.where(x > 0, x, np.expm1(np.minimum(x, 0)))
    if name == "softplus":
        return np.where(x > 40, x + np.log1p(np.exp(-x)), np.log1p(np.exp(np.minimum(x, 40))))
    raise KeyError(name)


FORMULAS: list[tuple[str, str, Callable[[np.ndarray], np.ndarray]]] = [
    ("sigmoid", "proofcheck (by cases)", ACTIVATIONS["sigmoid"]),
    ("sigmoid", "1 / (1 + exp(-z))", _TEXTBOOK_F["sigmoid"]),
    ("sigmoid", "(1 + tanh(z / 2)) / 2", _TANH_F["sigmoid"]),
    ("tanh", "np.tanh", ACTIVATIONS["tanh"]),
    ("tanh", "2 / (1 + exp(-2 z)) - 1", _TEXTBOOK_F["tanh"]),
    ("tanh", "(e^z - e^-z) / (e^z + e^-z), sign z beyond 20", _TANH_F["tanh"]),
    ("elu", "proofcheck (expm1 near 0)", ACTIVATIONS["elu"]),
    ("elu", "exp(z) - 1", _TEXTBOOK_F["elu"]),
    ("softplus", "proofcheck (logaddexp)", ACTIVATIONS["softplus"]),
    ("softplus", "log(1 + exp(z)), z beyond 700", _TEXTBOOK_F["softplus"]),
    ("softplus", "log1p(exp(z)), z beyond 700", _TANH_F["softplus"]),
]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=400_000)
    args = parser.parse_args(argv)
    rng = np.random.default_rng(0)
    magnitudes = 10.0 ** rng.uniform(-20, np.log10(700), args.samples)
    z = np.concatenate([magnitudes, -magnitudes])[None, :]
    print("| activation | formula | max error / (u max(abs(a), 1)) | at z | "
          "max error / (u abs(a)) | c |")
    print("|---|---|---|---|---|---|")
    for name, label, formula in FORMULAS:
        exact = _exact(name, z)
        with np.errstate(all="ignore"):
            error = np.abs(formula(z).astype(np.longdouble) - exact)
            allowance_units = error / (U * np.maximum(np.abs(exact), 1))
            relative = error / (U * np.abs(exact))
        i = np.unravel_index(int(np.argmax(allowance_units)), z.shape)
        print(f"| {name} | `{label}` | {float(allowance_units[i]):.2f} | {float(z[i]):.3g} | "
              f"{float(np.max(relative)):.3g} | {FORWARD_ACCURACY[name]:g} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
