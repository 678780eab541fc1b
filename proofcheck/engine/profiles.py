"""Hypothesis settings profiles: ``ci``, ``dev`` (the default) and ``thorough``.

============  ===============  ================================================
profile       examples a row   what it is for
============  ===============  ================================================
``ci``        60               derandomized (the same examples every run), no
                               example database: deterministic CI and docs
                               builds
``dev``       100              the default: random examples, failing ones are
                               kept in the example database and tried first
                               next time
``thorough``  1000             ten times ``dev``, before a release or a grade
``watch``     10               derandomized, as ``ci``: the glance that
                               ``proofcheck watch`` gives after each save (the
                               same examples every save, so a verdict that
                               changes was changed by the code)
============  ===============  ================================================

Choose one with ``proofcheck verify --profile NAME`` or the environment
variable ``PROOFCHECK_PROFILE``. proofcheck passes them to its own properties
and never registers or loads a Hypothesis profile for the host program on
import. To use one for your own Hypothesis tests, call
:func:`register_profiles` and load e.g. ``proofcheck-ci``: the names carry the
prefix so that they cannot collide with your profiles.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, Phase, settings

from proofcheck.errors import InputError

__all__ = ["DEFAULT_PROFILE", "ENVIRONMENT_VARIABLE", "PROFILES", "get_profile", "profile_from_env",
           "register_profiles"]

#: The environment variable that selects a profile when none is given.
ENVIRONMENT_VARIABLE = "PROOFCHECK_PROFILE"
#: The profile used when neither an argument nor the environment chooses one.
DEFAULT_PROFILE = "dev"

# The first example of each depth traces and compiles the JAX oracle (about a
# second), so deadlines and the too-slow health check would only measure JIT
# compilation, not the property.
_COMMON = {
    "deadline": None,
    "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large],
    "print_blob": True,
    "report_multiple_bugs": False,
}

PROFILES: dict[str, settings] = {
    "ci": settings(max_examples=60, derandomize=True, database=None,
                   phases=[Phase.explicit, Phase.generate, Phase.target, Phase.shrink],
                   **_COMMON),  # type: ignore[arg-type]
    "dev": settings(max_examples=100, **_COMMON),  # type: ignore[arg-type]
    "thorough": settings(max_examples=1000, **_COMMON),  # type: ignore[arg-type]
    # Ten: the mutant catalog's mistakes show on almost every network, and ten warm
    # examples keep a row under a second (benchmarks/watch.py measures it); it is a
    # glance, and `proofcheck watch --profile dev` or `verify` gives the full check.
    "watch": settings(max_examples=10, derandomize=True, database=None,
                      phases=[Phase.explicit, Phase.generate, Phase.shrink],
                      **_COMMON),  # type: ignore[arg-type]
}

#: The prefix of the names :func:`register_profiles` registers with Hypothesis.
PREFIX = "proofcheck-"


def register_profiles() -> list[str]:
    """Register the profiles with Hypothesis as ``proofcheck-ci``, ...; return the names.

    Loads none of them. Calling it again registers the same settings again.
    """
    for name, chosen in PROFILES.items():
        settings.register_profile(PREFIX + name, chosen)
    return [PREFIX + name for name in PROFILES]


def get_profile(name: str) -> settings:
    """The settings of profile ``name``; :class:`InputError` naming the known ones otherwise."""
    try:
        return PROFILES[name]
    except KeyError:
        raise InputError(
            f"unknown profile {name!r}; expected one of: {', '.join(PROFILES)}"
        ) from None


def profile_from_env() -> str:
    """The profile named by ``PROOFCHECK_PROFILE``, or ``dev``."""
    return os.environ.get(ENVIRONMENT_VARIABLE, DEFAULT_PROFILE)
