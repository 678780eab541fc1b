"""Test configuration: the Hypothesis profile and JAX's strictness.

The suite is deterministic in CI: with ``CI`` set (as every CI service does),
the package's ``ci`` profile (derandomized, no example database) is loaded;
otherwise ``$PROOFCHECK_PROFILE`` or ``dev``. Tests that call
:func:`proofcheck.verify` pass the same profile explicitly, via the
``profile`` fixture.
"""

from __future__ import annotations

import os

import pytest
from hypothesis import settings

from proofcheck.compilation import start_own_process
from proofcheck.profiles import PROFILES, profile_from_env

# The suite's processes are ours, and JAX is not imported yet: quick XLA compiles
# and the persistent compilation cache (see proofcheck.compilation).
start_own_process()

PROFILE = "ci" if os.environ.get("CI") else profile_from_env()
settings.register_profile("proofcheck-tests", PROFILES[PROFILE])
settings.load_profile("proofcheck-tests")


@pytest.fixture(scope="session")
def profile() -> str:
    """The name of the profile the suite runs under."""
    return PROFILE
