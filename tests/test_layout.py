"""The package's layout: no function longer than a page, and a test-suite that mirrors
the package (``tests/test_<name>.py`` tests ``proofcheck/<name>.py`` and
``proofcheck/_<name>.py``). A module whose tests live elsewhere says where, in
:data:`ELSEWHERE`, so that a new module without tests fails here, not in review."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

#: Modules tested under another name, and why.
ELSEWHERE: dict[str, tuple[str, ...]] = {
    # `python -m proofcheck` is the command line's entry: the CLI's tests run it.
    "__main__.py": ("test_cli.py",),
    # Type aliases only; the type checker reads them.
    "_types.py": (),
    # The frameworks' catalog needs torch; its tests run with the torch extra.
    "_catalog_torch.py": ("test_frameworks.py",),
    "catalog_frameworks.py": ("test_frameworks.py",),
    # A layer type is one file; every registered type is tested by the same parametrized
    # tests (its lemma rows, its mistakes, its networks), Dropout's mask on its own.
    "layers/_affine.py": ("test_layers.py",),
    "layers/_conv1d.py": ("test_layers.py",),
    "layers/_elementwise.py": ("test_layers.py",),
    "layers/_layernorm.py": ("test_layers.py",),
    "layers/_residual.py": ("test_layers.py",),
    "layers/_softmax.py": ("test_layers.py",),
    # Two names of the layer package are also names of top-level modules (whose tests
    # tests/test_oracle.py and tests/test_protocol.py are).
    "layers/_oracle.py": ("test_layers.py", "test_lemma_mutants.py"),
    "layers/_protocol.py": ("test_layers.py", "test_layer_networks.py"),
    "layers/_jax_layer.py": ("test_frameworks.py",),
    "layers/_torch_layer.py": ("test_frameworks.py",),
    "layers/_wrapped.py": ("test_frameworks.py",),
    # A step's property module: every row holds on the reference and fails on the
    # catalog's mistakes of its step.
    "properties/_theorem.py": ("test_reference.py", "test_mutants.py"),
    "properties/_lemmas.py": ("test_reference.py", "test_lemma_mutants.py"),
    "properties/_generalization.py": ("test_reference.py", "test_layers.py",
                                      "test_layer_networks.py"),
    "properties/_oracle_checks.py": ("test_reference.py", "test_oracle.py"),
    # What a class folder's entries are: the grader's tests of submissions.
    "_submissions.py": ("test_grade_submissions.py",),
}


def _modules() -> list[str]:
    package = ROOT / "proofcheck"
    return sorted(str(p.relative_to(package)) for p in package.rglob("*.py")
                  if p.name != "__init__.py")


def _mirror(module: str) -> str:
    return f"test_{Path(module).stem.lstrip('_')}.py"


def test_every_module_has_its_test_module() -> None:
    tests = ROOT / "tests"
    missing = [m for m in _modules()
               if m not in ELSEWHERE and not (tests / _mirror(m)).is_file()]
    assert missing == [], f"without tests/test_<name>.py or an entry in ELSEWHERE: {missing}"
    for module, places in ELSEWHERE.items():
        assert (ROOT / "proofcheck" / module).is_file(), f"ELSEWHERE names {module}: gone"
        assert all((tests / p).is_file() for p in places), (module, places)


def test_a_module_named_elsewhere_has_no_test_module_of_its_own() -> None:
    """An entry of ELSEWHERE is dropped once its module gets tests/test_<name>.py (unless
    that name is a top-level module's)."""
    tests = ROOT / "tests"
    top = {_mirror(m) for m in _modules() if "/" not in m}
    assert [m for m in ELSEWHERE if (tests / _mirror(m)).is_file()
            and not ("/" in m and _mirror(m) in top)] == []


def test_no_function_of_the_package_is_longer_than_60_lines() -> None:
    """A function that reads in a page (docstring included); a longer one is split into
    named stages."""
    import ast

    long = []
    for path in sorted((ROOT / "proofcheck").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                lines = (node.end_lineno or node.lineno) - node.lineno + 1
                if lines > 60:
                    long.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name} ({lines})")
    assert long == []
