"""Submissions import as Python runs them (proofcheck/engine/_loading.py): a file target's own
folder first on the import path, and each submission its own helpers, also when one
process loads several."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import proofcheck
from proofcheck.cli import main
from proofcheck.engine import _loading
from proofcheck.engine._loading import load_target

CORRECT_BIAS = "def bias_grad(delta):\n    return delta.sum(axis=1)\n"


@pytest.fixture(autouse=True)
def _own_import_state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Each test's imports leave sys.path and sys.modules as they were."""
    monkeypatch.setattr(sys, "path", list(sys.path))
    monkeypatch.setattr(_loading, "_HELPERS", {})
    yield
    for name, module in list(sys.modules.items()):
        file = getattr(module, "__file__", None) or ""
        if name.startswith("proofcheck_target_") or file.startswith(str(tmp_path)):
            del sys.modules[name]


def _submission_with_helper(folder: Path) -> Path:
    """``subs/alice.py`` does ``from _helpers import ...``; ``subs/_helpers.py`` exists."""
    folder.mkdir(parents=True)
    (folder / "_helpers.py").write_text(CORRECT_BIAS)
    (folder / "alice.py").write_text(
        "from _helpers import bias_grad as _bias_grad\n\n\n"
        "class Backprop:\n"
        "    def bias_grad(self, delta):\n"
        "        return _bias_grad(delta)\n")
    return folder / "alice.py"


def test_a_file_imports_the_helper_next_to_it(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    _submission_with_helper(tmp_path / "subs")
    monkeypatch.chdir(tmp_path)  # the helper is not in the current directory
    impl = proofcheck.load_implementation("subs/alice.py:Backprop")
    assert type(impl).__name__ == "Backprop"
    assert impl.bias_grad(__import__("numpy").ones((2, 3))).tolist() == [3.0, 3.0]


def test_verify_impl_of_a_file_with_a_helper(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    _submission_with_helper(tmp_path / "subs")
    monkeypatch.chdir(tmp_path)
    status = main(["verify", "--impl", "subs/alice.py:Backprop", "--profile", "ci",
                   "--steps", "T1.b", "-j", "1", "-q", "--no-database", "--no-cache"])
    assert status == 0


def _two_submissions_with_utils(root: Path) -> tuple[Path, Path]:
    """Two folders, each a submission with a ``utils.py`` of its own (different values)."""
    files = []
    for who, value in (("alice", 1.0), ("bob", 2.0)):
        folder = root / who
        folder.mkdir(parents=True)
        (folder / "utils.py").write_text(f"SCALE = {value}\n")
        (folder / "solution.py").write_text(
            "import utils\n\n"
            "def bias_grad(delta):\n"
            "    return utils.SCALE * delta.sum(axis=1)\n")
        files.append(folder / "solution.py")
    return files[0], files[1]


def test_two_submissions_in_one_process_each_get_their_own_helper(tmp_path: Path) -> None:
    alice, bob = _two_submissions_with_utils(tmp_path)
    first = proofcheck.load_implementation(str(alice))
    second = proofcheck.load_implementation(str(bob))
    assert (first.utils.SCALE, second.utils.SCALE) == (1.0, 2.0)
    # And back again: alice's folder first, bob's helper forgotten.
    assert proofcheck.load_implementation(str(alice)).utils.SCALE == 1.0


def test_a_module_imported_from_elsewhere_is_not_replaced(tmp_path: Path) -> None:
    """Only helpers that a file target loaded are forgotten, never numpy or proofcheck."""
    alice, bob = _two_submissions_with_utils(tmp_path)
    (tmp_path / "alice" / "solution.py").write_text(
        "import numpy\nimport utils\n\ndef bias_grad(delta):\n    return delta.sum(axis=1)\n")
    numpy_module = sys.modules["numpy"]
    proofcheck.load_implementation(str(alice))
    proofcheck.load_implementation(str(bob))
    assert sys.modules["numpy"] is numpy_module
    assert sys.modules["proofcheck"] is proofcheck


def test_a_file_that_fails_to_import_leaves_no_module_behind(tmp_path: Path) -> None:
    (tmp_path / "broken.py").write_text("raise RuntimeError('at import')\n")
    with pytest.raises(proofcheck.ImplementationError,
                       match=r"could not import module .*RuntimeError: at import"):
        proofcheck.load_implementation(str(tmp_path / "broken.py"))
    assert not [name for name in sys.modules if name.startswith("proofcheck_target_")
                and name.endswith("broken_py")]


def test_the_main_block_of_a_file_does_not_run(tmp_path: Path) -> None:
    (tmp_path / "script.py").write_text(
        CORRECT_BIAS + "\nif __name__ == '__main__':\n    raise SystemExit(3)\n")
    assert callable(proofcheck.load_implementation(str(tmp_path / "script.py")).bias_grad)


def test_a_grading_target_may_be_a_layer_type_or_an_implementation(tmp_path: Path) -> None:
    (tmp_path / "mine.py").write_text(
        "from proofcheck.layers import LayerMap\n"
        "from proofcheck import MatrixBackprop\n\n"
        "class MyLayer(LayerMap):\n    pass\n\n"
        "class Mine(MatrixBackprop):\n    pass\n")
    impl, layer = load_target(f"{tmp_path / 'mine.py'}:MyLayer")
    assert impl is None and layer.__name__ == "MyLayer"
    impl, layer = load_target(f"{tmp_path / 'mine.py'}:Mine")
    assert type(impl).__name__ == "Mine" and layer is None
    impl, layer = load_target(f"{tmp_path / 'mine.py'}")
    assert impl.__name__.startswith("proofcheck_target_") and layer is None
