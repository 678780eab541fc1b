"""The 0.1 import paths (proofcheck/_deprecated.py): each still imports its names, each
name warns with a DeprecationWarning naming its new path, and each is the very object
at that path."""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest

from proofcheck import _deprecated

#: For each old module path, names a user may have imported from it.
OLD_NAMES: dict[str, tuple[str, ...]] = {
    "proofcheck.catalog_frameworks": ("FRAMEWORK_CATALOG", "JaxGradientsSwapped",
                                      "framework_check"),
    "proofcheck.compilation": ("start_own_process", "cache_directory"),
    "proofcheck.error_model": ("U",),
    "proofcheck.feedback": ("feedback_markdown", "feedback_html"),
    "proofcheck.finite_differences": ("jacobian",),
    "proofcheck.forward_precision": ("network_ranges", "FORWARD_ACCURACY"),
    "proofcheck.gradebook": ("score", "GradeResult"),
    "proofcheck.misconceptions": ("name_misconception",),
    "proofcheck.profiles": ("PROFILES", "get_profile"),
    "proofcheck.report": ("Report", "Row", "Counterexample"),
    "proofcheck.rubric": ("DEFAULT_RUBRIC", "load_rubric"),
    "proofcheck.tolerances": ("TOLERANCES", "compare"),
}


def test_every_moved_module_is_exercised_here() -> None:
    assert set(OLD_NAMES) == set(_deprecated.MOVED_MODULES)


@pytest.mark.parametrize("old", sorted(OLD_NAMES))
def test_an_old_module_path_imports_its_names_and_warns(old: str) -> None:
    new = importlib.import_module(_deprecated.MOVED_MODULES[old])
    module = importlib.import_module(old)
    for name in OLD_NAMES[old]:
        with pytest.warns(DeprecationWarning, match=rf"{old}\.{name} .*removed in "
                                                     rf"proofcheck 0\.3; use "
                                                     rf"{new.__name__}\.{name}$"):
            got = getattr(module, name)
        assert got is getattr(new, name)


@pytest.mark.parametrize("old", sorted(OLD_NAMES))
def test_an_old_module_is_an_attribute_of_the_package(old: str) -> None:
    import proofcheck

    alias = getattr(proofcheck, old.rpartition(".")[2])
    assert alias is sys.modules[old]
    with pytest.raises(AttributeError, match="has no attribute 'no_such_name'"):
        alias.no_such_name  # noqa: B018


def test_asking_an_old_path_for_a_dunder_imports_nothing() -> None:
    """Hypothesis asks every module in sys.modules for ``__file__`` at each test case
    (its local constants): an old path must answer without importing its new module,
    which for the catalog would import torch."""
    code = ("import sys, proofcheck\n"
            "before = set(sys.modules)\n"
            "for old in proofcheck._deprecated.MOVED_MODULES:\n"
            "    assert getattr(sys.modules[old], '__file__', None) is None\n"
            "print(sorted(set(sys.modules) - before))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "[]"


def test_from_import_of_an_old_path_warns() -> None:
    with pytest.warns(DeprecationWarning, match="use proofcheck.numerics.tolerances.compare"):
        from proofcheck.tolerances import compare
    from proofcheck.numerics.tolerances import compare as new

    assert compare is new


@pytest.mark.parametrize(("name", "home"), sorted(
    _deprecated.MOVED_NAMES["proofcheck.layers"].items()))
def test_a_name_the_layer_package_handed_on_still_reads_and_warns(name: str, home: str) -> None:
    import proofcheck.layers

    with pytest.warns(DeprecationWarning, match=rf"use {home}\.{name}$"):
        got = getattr(proofcheck.layers, name)
    assert got is getattr(importlib.import_module(home), name)


@pytest.mark.parametrize("name", ["NetworkGradients", "network_gradients", "in_float64"])
def test_a_name_of_the_old_oracle_module_still_reads_and_warns(name: str) -> None:
    import proofcheck.oracle
    from proofcheck.oracle import network

    with pytest.warns(DeprecationWarning, match=rf"use proofcheck\.oracle\.network\.{name}$"):
        got = getattr(proofcheck.oracle, name)
    assert got is getattr(network, name)


def test_a_name_no_module_had_is_an_attribute_error_without_a_warning() -> None:
    import warnings

    import proofcheck.layers
    import proofcheck.oracle

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for package in (proofcheck.layers, proofcheck.oracle):
            with pytest.raises(AttributeError, match="has no attribute 'no_such_name'"):
                package.no_such_name  # noqa: B018


def test_an_old_layer_target_still_runs_from_the_shell() -> None:
    """``--layer proofcheck.catalog_frameworks:NAME`` (the 0.1 docs' command) loads."""
    script = ("import warnings\n"
              "from proofcheck.engine._loading import load_target\n"
              "with warnings.catch_warnings(record=True) as w:\n"
              "    warnings.simplefilter('always')\n"
              "    layer = load_target('proofcheck.catalog_frameworks:JaxGradientsSwapped')[1]\n"
              "print(layer.__module__, layer.__name__)\n"
              "print(any(issubclass(x.category, DeprecationWarning) for x in w))\n")
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         check=True)
    assert out.stdout.split("\n")[:2] == ["proofcheck.catalog.frameworks JaxGradientsSwapped",
                                           "True"]
