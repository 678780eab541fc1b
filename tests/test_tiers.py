"""The full tier's list names tests that exist (a renamed test would silently change tier)."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.tiers import FULL_TIER

ROOT = Path(__file__).resolve().parent.parent


def _tests_in(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {node.name for node in ast.walk(tree)
            if isinstance(node, ast.FunctionDef) and node.name.startswith("test_")}


def test_every_listed_test_exists() -> None:
    missing = {file: sorted(set(names) - _tests_in(ROOT / file))
               for file, names in FULL_TIER.items()}
    assert not {file: names for file, names in missing.items() if names}


def test_the_mutant_catalog_stays_in_the_readmes_tier() -> None:
    for file in ("tests/test_mutants.py", "tests/test_lemma_mutants.py",
                 "tests/test_reference.py"):
        assert file not in FULL_TIER
    assert all("mutant" not in name for names in FULL_TIER.values() for name in names)
