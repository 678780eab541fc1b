"""The pytest plugin (proofcheck/pytest_plugin.py, loaded as ``_proofcheck_pytestplugin``).

Each run is pytest in a process of its own, in a fresh project in a temporary
folder: nothing but the installed proofcheck, whose ``pytest11`` entry point
loads the plugin (no ``-p`` option, no conftest of this repository). The project
declares one implementation in ``conftest.py`` (correct), one in a test module
(a doubled bias gradient) and names a third on the command line (a module with
``bias_grad`` alone), as a grader would. The runs check the items and their ids,
``-k`` selection, the skipped rows, the failure text, the JUnit XML (with and
without pytest-xdist), a target that cannot be imported, and that a run which
names no target imports neither proofcheck nor JAX.
"""

from __future__ import annotations

import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from proofcheck.pytest_plugin import _declaration_line, item_name

ROOT = Path(__file__).resolve().parents[1]

MYBACKPROP = '''\
import numpy as np


class MyBackprop:
    def output_delta(self, dfz, grad_a):
        return dfz * grad_a

    def backward_delta(self, W_next, delta_next, dfz):
        return dfz * (W_next.T @ delta_next)

    def weight_grad(self, delta, a_prev):
        return delta @ a_prev.T

    def bias_grad(self, delta):
        return delta.sum(axis=1)


class DoubledBias(MyBackprop):
    def bias_grad(self, delta):
        return 2 * delta.sum(axis=1)
'''

#: A plugin of the test (``-p countplans``): how many plans each process made.
COUNTPLANS = '''\
import os

from proofcheck.engine import _verify

made = []
_plan_rows = _verify.plan_rows


def counting(*args, **kwargs):
    made.append(1)
    return _plan_rows(*args, **kwargs)


_verify.plan_rows = counting


def pytest_sessionfinish(session):
    if made:
        with open("plans.txt", "a") as out:
            out.write(f"{len(made)}\\n")
'''

PROJECT = {
    "mybackprop.py": MYBACKPROP,
    "onlybias.py": "def bias_grad(delta):\n    return delta.sum(axis=1)\n",
    "conftest.py": 'proofcheck_impl = "mybackprop:MyBackprop"\n',
    "test_theirs.py": ("from mybackprop import DoubledBias\n\nproofcheck_impl = DoubledBias\n\n\n"
                       "def test_their_own():\n    assert True\n"),
    "countplans.py": COUNTPLANS,
}

#: The three rows of T1.b, by target (the JUnit class name) and outcome.
T1B_OUTCOMES = {
    ("conftest", "proofcheck[T1.b-exact]"): "passed",
    ("conftest", "proofcheck[T1.b-isolated]"): "passed",
    ("conftest", "proofcheck[T1.b-end-to-end]"): "passed",
    ("test_theirs", "proofcheck[T1.b-exact]"): "failure",
    ("test_theirs", "proofcheck[T1.b-isolated]"): "failure",
    ("test_theirs", "proofcheck[T1.b-end-to-end]"): "failure",
    ("onlybias", "proofcheck[T1.b-exact]"): "passed",
    ("onlybias", "proofcheck[T1.b-isolated]"): "passed",
    ("onlybias", "proofcheck[T1.b-end-to-end]"): "skipped",
}


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("fresh-project")
    for name, text in PROJECT.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def run_pytest(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """pytest in ``folder``, in a process of its own, as a user of the installed package runs it."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "PROOFCHECK_"))}
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args],
                          cwd=folder, env=env, capture_output=True, text=True, timeout=900,
                          check=False)


def junit(path: Path) -> dict[tuple[str, str], str]:
    """``(class name, test name) -> outcome`` of a JUnit XML file."""
    outcomes = {}
    for case in ET.parse(path).iter("testcase"):
        children = [c.tag for c in case if c.tag in ("failure", "error", "skipped")]
        outcomes[(case.get("classname", ""), case.get("name", ""))] = (
            children[0] if children else "passed")
    return outcomes


# --- the items ------------------------------------------------------------------------


def test_each_row_of_each_target_is_an_item_named_by_step_and_mode(project: Path) -> None:
    from proofcheck.engine._verify import plan_rows

    done = run_pytest(project, "--collect-only", "-q", "--proofcheck-impl", "onlybias",
                      "--proofcheck-layer", f"{ROOT / 'examples' / 'bilinear_layer.py'}:Bilinear")
    assert done.returncode == 0, done.stdout + done.stderr
    ids = [line for line in done.stdout.splitlines() if "::" in line]
    rows = [item_name(p.step, p.mode, p.layer) for p in plan_rows(
        _Correct(), profile="ci").properties]
    assert [i for i in ids if i.startswith("conftest.py::")] == [
        f"conftest.py::{row}" for row in rows]
    assert [i for i in ids if i.startswith("test_theirs.py::proofcheck")] == [
        f"test_theirs.py::{row}" for row in rows]
    assert "test_theirs.py::test_their_own" in ids
    for expected in ("conftest.py::proofcheck[T1.step-isolated]",
                     "conftest.py::proofcheck[L2-oracle-check]",
                     "onlybias::proofcheck[T2-end-to-end]"):
        assert expected in ids
    layer = [i.split("::", 1)[1] for i in ids if i.split("::")[0].endswith(":Bilinear")]
    assert layer == ["proofcheck[G.base-isolated]", "proofcheck[G.base-end-to-end]",
                     "proofcheck[G.step-lemma-Bilinear]", "proofcheck[G.step-isolated]",
                     "proofcheck[G.step-end-to-end]", "proofcheck[G.param-lemma-Bilinear]",
                     "proofcheck[G.param-isolated]", "proofcheck[G.param-end-to-end]"]
    assert not [i for i in ids if " " in i]


class _Correct:
    """The project's MyBackprop, for the plan of its rows here."""

    def output_delta(self, dfz: object, grad_a: object) -> object: ...
    def backward_delta(self, W_next: object, delta_next: object, dfz: object) -> object: ...
    def weight_grad(self, delta: object, a_prev: object) -> object: ...
    def bias_grad(self, delta: object) -> object: ...


def test_k_selects_rows_and_the_junit_xml_has_one_result_per_row(project: Path) -> None:
    done = run_pytest(project, "-k", "T1.b-", "-rs", "--proofcheck-profile", "ci",
                      "--proofcheck-fast", "--proofcheck-impl", "onlybias",
                      "--junitxml", "t1b.xml", "-p", "countplans")
    out = done.stdout
    assert done.returncode == 1, out + done.stderr
    assert junit(project / "t1b.xml") == T1B_OUTCOMES
    assert "3 failed, 5 passed, 1 skipped" in out
    # A failing row, as the CLI shows it: the statement, the shrunk counterexample.
    assert "T1.b isolated fails for mybackprop.DoubledBias()" in out
    assert "statement: dc/db^l = delta^l" in out
    assert "Minimal counterexample (shrunk by Hypothesis):" in out
    assert "computed by bias_grad" in out and "expected = " in out
    assert "reproduce: @reproduce_failure(" in out
    assert "rerun: pytest 'test_theirs.py::proofcheck[T1.b-isolated]' --proofcheck-profile ci" \
        in out
    # A row that needs functions the target lacks: skipped with the reason, at the target.
    assert ("SKIPPED [1] onlybias.py:1: not provided: the implementation has no output_delta, "
            "backward_delta") in out
    # The diagnosis over the rows that ran.
    assert "T1.b fails in isolation" in out
    assert "T1.b exact and T1.b end-to-end fail only as a consequence" in out
    # The run paid for each target's plan once, not once per item.
    assert (project / "plans.txt").read_text().split() == ["3"]


@pytest.mark.slow  # two worker processes, each importing JAX and compiling its rows' oracle
def test_the_items_run_under_xdist_with_the_same_results(project: Path) -> None:
    done = run_pytest(project, "-n", "2", "-k", "T1.b-", "--proofcheck-profile", "ci",
                      "--proofcheck-fast", "--proofcheck-impl", "onlybias",
                      "--junitxml", "xdist.xml")
    assert done.returncode == 1, done.stdout + done.stderr
    assert junit(project / "xdist.xml") == T1B_OUTCOMES
    assert "T1.b exact and T1.b end-to-end fail only as a consequence" in done.stdout


def test_a_target_that_cannot_be_imported_is_a_collection_error(project: Path) -> None:
    done = run_pytest(project, "--collect-only", "--proofcheck-impl", "nosuch:Backprop",
                      "--junitxml", "bad.xml")
    assert done.returncode == 2, done.stdout + done.stderr
    assert "ERROR collecting nosuch:Backprop" in done.stdout
    assert "could not import module 'nosuch'" in done.stdout
    assert "Traceback" not in done.stdout
    assert junit(project / "bad.xml") == {("", "nosuch:Backprop"): "error"}


def test_a_run_that_names_no_target_imports_neither_proofcheck_nor_jax(tmp_path: Path) -> None:
    (tmp_path / "test_plain.py").write_text(
        "import sys\n\n\ndef test_nothing_heavy_was_imported():\n"
        "    assert '_proofcheck_pytestplugin' in sys.modules\n"
        "    assert 'proofcheck' not in sys.modules and 'jax' not in sys.modules\n",
        encoding="utf-8")
    done = run_pytest(tmp_path, "-q")
    assert done.returncode == 0, done.stdout + done.stderr
    off = run_pytest(tmp_path, "-q", "-p", "no:proofcheck")
    assert off.returncode == 1  # the plugin is not loaded: the first assertion fails


# --- pieces, here ---------------------------------------------------------------------


@pytest.mark.parametrize(("args", "name"), [
    (("T1.step", "isolated"), "proofcheck[T1.step-isolated]"),
    (("L2", "oracle check"), "proofcheck[L2-oracle-check]"),
    (("G.step", "lemma", "Conv1D"), "proofcheck[G.step-lemma-Conv1D]"),
    (("G.param", "lemma", "My  Layer"), "proofcheck[G.param-lemma-My-Layer]"),
])
def test_an_item_name_has_the_step_the_mode_and_the_layer_without_spaces(
        args: tuple[str, ...], name: str) -> None:
    assert item_name(*args) == name


def test_a_declaration_line_is_found(tmp_path: Path) -> None:
    path = tmp_path / "conftest.py"
    path.write_text("import x\n\nproofcheck_layer = 'm:L'\n", encoding="utf-8")
    assert _declaration_line(path) == 3
    assert _declaration_line(tmp_path / "missing.py") == 1


def test_the_module_pytest_loads_and_the_plugin_know_the_same_declarations() -> None:
    import _proofcheck_pytestplugin
    from proofcheck import pytest_plugin

    assert tuple(pytest_plugin.DECLARATIONS) == _proofcheck_pytestplugin.DECLARATIONS


def test_a_file_targets_node_ids_are_relative_to_the_rootdir(tmp_path: Path) -> None:
    """Started in a subfolder and given the submission's path from there, the node ids (and
    the JUnit class names made from them) are the path from the rootdir, as a test file's
    are; never ``../subs/...`` (pytest's own terminal lines show them relative to the
    folder it was started in, as it does for test files)."""
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    (tmp_path / "subs").mkdir()
    (tmp_path / "subs" / "alice.py").write_text(PROJECT["onlybias.py"])
    (tmp_path / "grading").mkdir()
    done = run_pytest(tmp_path / "grading", "-q", "--proofcheck-impl", "../subs/alice.py",
                      "-k", "T1.b-exact", "--rootdir", str(tmp_path), "--junitxml", "out.xml")
    assert done.returncode == 0, done.stdout + done.stderr
    assert junit(tmp_path / "grading" / "out.xml") == {
        ("subs.alice", "proofcheck[T1.b-exact]"): "passed"}
