"""The package's layout: its parts on floors with no import up and no circle, no
function longer than a page, and a test-suite that mirrors the package
(``tests/test_<name>.py`` tests ``proofcheck/<name>.py`` and ``proofcheck/_<name>.py``;
``tests/<part>/test_<name>.py`` tests ``proofcheck/<part>/<name>.py`` and
``proofcheck/<part>/_<name>.py``; ``tests/<part>/test_<part>.py`` tests the code of
``proofcheck/<part>/__init__.py``). A module whose tests live elsewhere says where, in
:data:`ELSEWHERE`, so that a new module without tests fails here, not in review."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

#: Modules tested under another name, and why (paths under ``tests/``).
ELSEWHERE: dict[str, tuple[str, ...]] = {
    # `python -m proofcheck` is the command line's entry: the CLI's tests run it.
    "__main__.py": ("test_cli.py",),
    # Type aliases only; the type checker reads them.
    "_types.py": (),
    # A framework's custom rule made a layer type: one test module for the wrappers
    # and the frameworks' catalog (whose PyTorch entries run with the torch extra).
    "frameworks/__init__.py": ("frameworks/test_custom_rules.py",),
    "frameworks/_jax_layer.py": ("frameworks/test_custom_rules.py",),
    "frameworks/_torch_layer.py": ("frameworks/test_custom_rules.py",),
    "frameworks/_wrapped.py": ("frameworks/test_custom_rules.py",),
    "catalog/_torch.py": ("frameworks/test_custom_rules.py",),
    "catalog/frameworks.py": ("frameworks/test_custom_rules.py",),
    # A layer type is one file; every registered type is tested by the same parametrized
    # tests (its lemma rows, its mistakes, its networks), Dropout's mask on its own.
    "layers/_affine.py": ("layers/test_layers.py",),
    "layers/_conv1d.py": ("layers/test_layers.py",),
    "layers/_elementwise.py": ("layers/test_layers.py",),
    "layers/_layernorm.py": ("layers/test_layers.py",),
    "layers/_residual.py": ("layers/test_layers.py",),
    "layers/_softmax.py": ("layers/test_layers.py",),
    "layers/_protocol.py": ("layers/test_layers.py", "test_layer_networks.py"),
    # The layer types' oracle: their lemma rows against it, its mutants caught.
    "oracle/_layers.py": ("layers/test_layers.py", "test_lemma_mutants.py"),
    # A step's property module: every row holds on the reference and fails on the
    # catalog's mistakes of its step.
    "properties/_theorem.py": ("test_reference.py", "test_mutants.py"),
    "properties/_lemmas.py": ("test_reference.py", "test_lemma_mutants.py"),
    "properties/_generalization.py": ("test_reference.py", "layers/test_layers.py",
                                      "test_layer_networks.py"),
    "properties/_oracle_checks.py": ("test_reference.py", "oracle/test_network.py"),
    # What a class folder's entries are: the grader's tests of submissions.
    "grading/_submissions.py": ("grading/test_grade_submissions.py",),
}


def _has_code(path: Path) -> bool:
    """Whether a package's ``__init__.py`` defines a function or a class (not only
    docstring, imports and the deprecated names' ``__getattr__``)."""
    return any(isinstance(node, ast.FunctionDef | ast.ClassDef)
               and node.name != "__getattr__" for node in ast.parse(path.read_text()).body)


def _modules() -> list[str]:
    package = ROOT / "proofcheck"
    return sorted(str(p.relative_to(package)) for p in package.rglob("*.py")
                  if p.name != "__init__.py" or (p.parent != package and _has_code(p)))


def _mirror(module: str) -> str:
    """``tests/``-relative path of the test module that mirrors ``module``."""
    path = Path(module)
    name = path.parent.name if path.name == "__init__.py" else path.stem.lstrip("_")
    return str(path.parent / f"test_{name}.py")


def test_every_module_has_its_test_module() -> None:
    tests = ROOT / "tests"
    missing = [m for m in _modules()
               if m not in ELSEWHERE and not (tests / _mirror(m)).is_file()]
    assert missing == [], f"without its mirror under tests/ or an entry in ELSEWHERE: {missing}"
    for module, places in ELSEWHERE.items():
        assert (ROOT / "proofcheck" / module).is_file(), f"ELSEWHERE names {module}: gone"
        assert all((tests / p).is_file() for p in places), (module, places)


def test_a_module_named_elsewhere_has_no_test_module_of_its_own() -> None:
    """An entry of ELSEWHERE is dropped once its module gets its mirror."""
    tests = ROOT / "tests"
    assert [m for m in ELSEWHERE if (tests / _mirror(m)).is_file()] == []


def test_every_folder_of_tests_is_a_part_of_the_package() -> None:
    """``tests/<part>/`` holds the tests of ``proofcheck/<part>/`` (a test of several
    parts, or of the whole check, is at the top of ``tests/``)."""
    tests = ROOT / "tests"
    folders = [p.name for p in sorted(tests.iterdir()) if (p / "__init__.py").is_file()]
    # tests/mutation/ is the mutation runner of backprop.py with its sharp tests.
    assert [f for f in folders if f != "mutation"
            and not (ROOT / "proofcheck" / f / "__init__.py").is_file()] == []


def test_no_function_of_the_package_is_longer_than_60_lines() -> None:
    """A function that reads in a page (docstring included); a longer one is split into
    named stages."""

    long = []
    for path in sorted((ROOT / "proofcheck").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                lines = (node.end_lineno or node.lineno) - node.lineno + 1
                if lines > 60:
                    long.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name} ({lines})")
    assert long == []


# --- the parts and their floors -------------------------------------------------------

#: The package's parts from the ground up: a module may import a module of its own floor
#: or of a floor below, never one above. A part is a top-level module (its name without
#: ``.py``) or a folder. Within a floor, imports may run either way but not in a circle.
FLOORS: tuple[tuple[str, tuple[str, ...]], ...] = (
    # What everything reads: step IDs, errors, the protocol, activations and costs,
    # and the deprecated aliases (which resolve by name when an old path is used).
    ("foundations", ("_deprecated", "_registry", "_types", "_validate",
                     "activations", "costs", "errors", "protocol", "steps")),
    # The layer types and the protocol they follow.
    ("layers", ("layers",)),
    # The network, the implementation under check and the strategies that draw both.
    ("the model", ("backprop", "network", "strategies")),
    # JAX float64 autodiff, its compiled programs, finite differences.
    ("oracle", ("oracle",)),
    # How close is close enough; a framework's custom rule made a layer type.
    ("numerics and frameworks", ("frameworks", "numerics")),
    # The catalogued mistakes (the misconception matcher reads them).
    ("catalog", ("catalog",)),
    # The proof's steps as properties, and what a run found said to a person.
    ("properties and diagnosis", ("diagnosis", "properties")),
    # A run planned, each row run, rows run in parallel.
    ("engine", ("engine",)),
    # What a user calls: grading, the pytest plugin, the command line, the package.
    ("grading", ("grading",)),
    ("entry points", ("__init__", "__main__", "cli", "pytest_plugin")),
)

#: The top-level modules the layout keeps beside its folders (``FLOORS``' module names).
ROOT_MODULES = {name for _, parts in FLOORS for name in parts
                if (ROOT / "proofcheck" / f"{name}.py").is_file()}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _package_modules() -> dict[str, Path]:
    return {_module_name(p): p for p in sorted((ROOT / "proofcheck").rglob("*.py"))}


def _imported(name: str, modules: dict[str, Path]) -> str:
    """The module of the package an import names (a name inside a module: that module)."""
    while name not in modules:
        name = name.rpartition(".")[0]
    return name


def import_graph(modules: dict[str, Path] | None = None) -> dict[str, set[str]]:
    """Module -> the modules of the package it imports, read from its source: every
    ``import`` and ``from ... import``, inside functions and ``TYPE_CHECKING`` blocks too."""
    modules = _package_modules() if modules is None else modules
    graph: dict[str, set[str]] = {}
    for module, path in modules.items():
        package = module if path.name == "__init__.py" else module.rpartition(".")[0]
        names: list[str] = []
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names += [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = package.split(".")[:len(package.split(".")) - node.level + 1]
                    base = ".".join(anchor + ([base] if base else []))
                names += [f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base
                          for a in node.names]
        graph[module] = {_imported(n, modules) for n in names
                         if n.split(".")[0] == "proofcheck"} - {module}
    return graph


def floor_of(module: str) -> int:
    """The floor of a module of the package, by its part (see :data:`FLOORS`)."""
    parts = module.split(".")
    part = parts[1] if len(parts) > 1 else "__init__"
    for floor, (_, names) in enumerate(FLOORS):
        if part in names:
            return floor
    raise AssertionError(f"{module} is in no part of FLOORS")


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The import circles of ``graph``: its strongly connected parts of two or more
    modules (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            part = []
            while True:
                w = stack.pop()
                part.append(w)
                if w == v:
                    break
            if len(part) > 1:
                found.append(sorted(part))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def arrows_up(graph: dict[str, set[str]]) -> list[str]:
    """Every import of a module on a floor above the importing module's."""
    return sorted(f"{m} -> {n}" for m, targets in graph.items() for n in targets
                  if floor_of(n) > floor_of(m))


def test_no_module_imports_a_module_on_a_floor_above_it() -> None:
    assert arrows_up(import_graph()) == []


def test_the_imports_make_no_circle() -> None:
    assert circles(import_graph()) == []


def test_every_part_is_on_a_floor_and_the_top_level_holds_only_the_root_modules() -> None:
    package = ROOT / "proofcheck"
    parts = {p.stem if p.is_file() else p.name for p in package.iterdir()
             if (p.suffix == ".py" or (p / "__init__.py").is_file())}
    placed = {name for _, names in FLOORS for name in names}
    assert parts - placed == set(), "a new top-level module or folder: place it in FLOORS"
    assert placed - parts == set(), "FLOORS names a part that is gone"
    assert sorted(p.name for p in package.glob("*.py")) == sorted(f"{m}.py" for m in
                                                                  ROOT_MODULES)


def test_the_layout_checks_catch_an_arrow_up_and_a_circle() -> None:
    """The checks above, on a graph with one arrow added: the layer types importing the
    engine (up, and a circle, since the engine imports the layer types)."""
    graph = import_graph()
    graph["proofcheck.layers"] = graph["proofcheck.layers"] | {"proofcheck.engine._verify"}
    assert arrows_up(graph) == ["proofcheck.layers -> proofcheck.engine._verify"]
    assert circles(graph) != []


def test_the_deprecated_aliases_name_paths_that_exist_and_are_no_files() -> None:
    """Each 0.1 path of ``proofcheck._deprecated`` names a module of the package that
    exists, and is not itself a module file (it is an alias, removed in 0.3)."""
    from proofcheck import _deprecated

    modules = _package_modules()
    for old, new in _deprecated.MOVED_MODULES.items():
        assert new in modules, (old, new)
        assert old not in modules, f"{old} is a file again: drop its alias"
    for package, names in _deprecated.MOVED_NAMES.items():
        assert package in modules
        assert set(names.values()) <= set(modules), (package, names)
