"""proofcheck's pytest plugin as pytest loads it (the ``pytest11`` entry point ``proofcheck``).

Every pytest run in an environment that has proofcheck loads this module, so it
imports nothing but pytest: a run that names no target pays nothing (not numpy,
Hypothesis or JAX). What the plugin does, and how to use it, is in
:mod:`proofcheck.pytest_plugin`, which is imported only by a run that declares
a target (``proofcheck_impl`` or ``proofcheck_layer`` in ``conftest.py`` or a test
module) or names one (``--proofcheck-impl``, ``--proofcheck-layer``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

#: The names that declare a target in ``conftest.py`` or a test module.
DECLARATIONS = ("proofcheck_impl", "proofcheck_layer")


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("proofcheck", "proofcheck: backpropagation checked step by step")
    group.addoption("--proofcheck-impl", action="append", default=[], metavar="MODULE:ATTR",
                    help="add one test item per row of the report for this implementation "
                         "(as proofcheck verify --impl names it; may be repeated)")
    group.addoption("--proofcheck-layer", action="append", default=[], metavar="MODULE:CLASS",
                    help="add one test item per row of the report for this layer type "
                         "(as proofcheck verify --layer names it; may be repeated)")
    group.addoption("--proofcheck-profile", default=None, metavar="NAME",
                    help="proofcheck's profile for the items: ci, dev or thorough (default: "
                         "the ini setting proofcheck_profile, $PROOFCHECK_PROFILE or dev)")
    group.addoption("--proofcheck-seed", type=int, default=None, metavar="N",
                    help="seed Hypothesis's generation for the items, to repeat a run exactly")
    group.addoption("--proofcheck-fast", action="store_true", default=None,
                    help="compile the oracle as proofcheck verify does: quick XLA compiles and "
                         "the on-disk compilation cache (JAX settings of the whole run: for runs "
                         "that use JAX for nothing else, such as a grader's)")
    parser.addini("proofcheck_fast", "--proofcheck-fast for every run", type="bool",
                  default=False)
    parser.addini("proofcheck_profile", "proofcheck's profile for the items: ci, dev or "
                  "thorough", default=None)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "proofcheck(step, mode, layer): a row of proofcheck's report, as an item "
                   "of proofcheck's plugin")
    config.pluginmanager.register(_Results(), "proofcheck-results")
    if config.getoption("proofcheck_fast") or config.getini("proofcheck_fast"):
        from proofcheck.oracle.compilation import start_own_process

        start_own_process()  # quick compiles only if JAX is not imported yet


def pytest_pycollect_makeitem(collector: pytest.Collector, name: str, obj: Any) -> Any:
    """A test module's ``proofcheck_impl = ...``: the items of its rows."""
    if (name not in DECLARATIONS or obj is None or not isinstance(collector, pytest.Module)
            or collector.path.name == "conftest.py"):
        return None
    from proofcheck import pytest_plugin

    return pytest_plugin.declared_items(collector, name, obj)


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> Any:
    """A ``conftest.py`` that declares a target: a collector of its items."""
    if file_path.name != "conftest.py":
        return None
    module = _conftest(parent.config, file_path)
    if module is None or all(getattr(module, name, None) is None for name in DECLARATIONS):
        return None
    from proofcheck import pytest_plugin

    return pytest_plugin.ConftestTargets.from_parent(parent, path=file_path, module=module)


def _conftest(config: pytest.Config, path: Path) -> Any:
    """The module pytest loaded from the ``conftest.py`` at ``path``, if it did."""
    for plugin in config.pluginmanager.get_plugins():
        file = getattr(plugin, "__file__", None)
        if file and Path(file).name == "conftest.py" and Path(file).resolve() == path.resolve():
            return plugin
    return None


@pytest.hookimpl(tryfirst=True)  # before -k and -m deselect items
def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config,
                                  items: list[pytest.Item]) -> None:
    """The targets named on the command line: their items, after the collected ones."""
    if not (config.getoption("proofcheck_impl") or config.getoption("proofcheck_layer")):
        return
    from proofcheck import pytest_plugin

    items.extend(pytest_plugin.option_items(session))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    outcome = yield
    finish = getattr(item, "proofcheck_finish_report", None)
    if finish is not None:
        finish(outcome.get_result())


class _Results:
    """The rows reported in this run (from xdist's workers too), for the summary."""

    def __init__(self) -> None:
        self.results: list[dict[str, Any]] = []

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        result = getattr(report, "proofcheck", None)
        if result is not None and report.when == "call":
            self.results.append(result)

    def pytest_terminal_summary(self, terminalreporter: Any, config: pytest.Config) -> None:
        if not self.results or hasattr(config, "workerinput"):
            return
        from proofcheck import pytest_plugin

        pytest_plugin.terminal_summary(terminalreporter, self.results)
