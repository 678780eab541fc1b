"""Test configuration: the Hypothesis profile and JAX's strictness.

The suite is deterministic in CI: with ``CI`` set (as every CI service does),
the package's ``ci`` profile (derandomized, no example database) is loaded;
otherwise ``$PROOFCHECK_PROFILE`` or ``dev``. Tests that call
:func:`proofcheck.verify` pass the same profile explicitly, via the
``profile`` fixture.

Derandomized means the same examples only if Hypothesis sees the same literals:
it mixes numbers found in the code under test (every local module loaded so far,
proofcheck's and a test's temporary files alike) into what it draws. Under
``pytest -n auto`` each worker runs its own share of the tests, in an order
that varies from run to run, so the modules loaded before a given property, and
with them its examples, varied too: a ``ci`` run could fail where the same
commit had passed. :func:`_freeze_literals` loads every module of the package
first and fixes the literals Hypothesis takes from them for the whole session.
"""

from __future__ import annotations

import importlib
import os
import pkgutil
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings

from proofcheck.engine.profiles import PROFILES, profile_from_env
from proofcheck.oracle.compilation import start_own_process

# The suite's processes are ours, and JAX is not imported yet: quick XLA compiles
# and the persistent compilation cache (see proofcheck.oracle.compilation).
start_own_process()



def _freeze_literals() -> None:
    """Load every module of proofcheck (those that need PyTorch excepted, so that the
    set is the same with and without the extra), take the literals Hypothesis mines
    from them, and let it see exactly those from now on, whatever else is loaded.

    The one use of a private Hypothesis function in the suite
    (``hypothesis.internal.conjecture.providers._get_local_constants``, read through
    ``HypothesisProvider``); ``tests/engine/test_profiles.py`` fails loudly if it changes.
    """
    import proofcheck

    for module in pkgutil.walk_packages(proofcheck.__path__, "proofcheck."):
        if "torch" not in module.name and module.name != "proofcheck.__main__":
            importlib.import_module(module.name)
    from hypothesis.internal.conjecture import providers

    frozen: Any = providers._get_local_constants()

    def fixed() -> Any:
        return frozen

    providers._get_local_constants = fixed


@pytest.fixture(scope="session", autouse=True)
def _fixed_literals() -> None:
    # Before the first test of each process that runs tests (not in pytest's
    # initialization, where Hypothesis warns against evaluating strategies and
    # reading its storage: importing the package does both).
    _freeze_literals()

@pytest.hookimpl(tryfirst=True)  # before ``-m`` deselects by marker
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark the full tier's tests (``tests/tiers.py``) ``slow``."""
    from tests.tiers import FULL_TIER

    for item in items:
        file = Path(str(item.path)).relative_to(config.rootpath).as_posix()
        name = getattr(item, "originalname", item.name)
        if name in FULL_TIER.get(file, ()):
            item.add_marker(pytest.mark.slow)


PROFILE = "ci" if os.environ.get("CI") else profile_from_env()
settings.register_profile("proofcheck-tests", PROFILES[PROFILE])
settings.load_profile("proofcheck-tests")


@pytest.fixture(scope="session")
def profile() -> str:
    """The name of the profile the suite runs under."""
    return PROFILE
