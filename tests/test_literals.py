"""The float literals of the package: a new value is a decision, not an accident.

Hypothesis mixes the constants it finds in the code under test into what it draws
(``tests/conftest.py`` freezes the set the package gives it for a whole run). A new
float value in ``proofcheck/`` therefore moves every ``ci`` draw of every row, and a
value at an edge (``1e-15``, ``1e300``) is drawn far more often than its strategy's
distribution would give it. The package writes such constants as computed
expressions (``2.0**-52``, ``10.0**-15``), whose value Hypothesis does not see, and
this test keeps it so: it fails on a float value that the package did not have,
naming the file. Add the value below only with the reason it must be a literal.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

#: The float values the package's source writes as literals, each ordinary enough
#: that Hypothesis mixing it into draws does no harm (0, 1, halves, small integers,
#: the tolerances' own orders), except the two overflow guards, which lie outside
#: every strategy's bounds and so are never drawn.
ALLOWED = {
    0.0, 0.1, 0.2, 0.25, 0.3, 0.5, 0.6, 1.0, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 10.0, 12.0,
    16.0, 20.0, 64.0, 100.0,
    1e-12, 1e-09, 1e-07, 1e-05, 0.001, 0.01,  # tolerances and finite-difference steps
    1e290, 1e300,  # overflow guards (error model, the runner's ratio cap)
}


def _float_literals() -> dict[float, list[str]]:
    found: dict[float, list[str]] = {}
    for path in sorted((ROOT / "proofcheck").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, float):
                where = f"{path.relative_to(ROOT)}:{node.lineno}"
                found.setdefault(node.value, []).append(where)
    return found


def test_no_new_float_value_is_written_as_a_literal() -> None:
    new = {value: places for value, places in _float_literals().items()
           if value not in ALLOWED}
    assert new == {}, (
        "float literals Hypothesis would mix into every draw (write them as a computed "
        f"expression, or add them to ALLOWED with the reason): {new}")


def _constants(source: str) -> set[object]:
    return {n.value for n in ast.walk(ast.parse(source)) if isinstance(n, ast.Constant)}


def test_the_guard_sees_a_literal_and_not_a_computed_one() -> None:
    assert 1e-15 in _constants("EPS = 1e-15\n")
    assert _constants("EPS = 10.0**-15\n") == {10.0, 15}
