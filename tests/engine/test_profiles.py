"""The Hypothesis profiles: proofcheck's own, never registered or loaded for the host on import."""

from __future__ import annotations

import inspect
import subprocess
import sys
import types

import pytest
from hypothesis import settings
from hypothesis.errors import InvalidArgument

from proofcheck import InputError
from proofcheck.engine.profiles import PROFILES, get_profile, profile_from_env, register_profiles


def test_importing_proofcheck_registers_and_loads_nothing() -> None:
    code = ("from hypothesis import settings\n"
            "before = repr(settings.default)\n"
            "import proofcheck, proofcheck.engine.profiles, proofcheck.properties\n"
            "assert repr(settings.default) == before, 'a profile was loaded'\n"
            "for name in ('dev', 'thorough', 'proofcheck-ci'):\n"
            "    try:\n"
            "        settings.get_profile(name)\n"
            "    except Exception:\n"
            "        continue\n"
            "    raise SystemExit(f'{name} was registered')\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=False)
    assert done.returncode == 0, done.stderr


def test_register_profiles_uses_names_that_cannot_collide() -> None:
    names = register_profiles()
    assert names == ["proofcheck-ci", "proofcheck-dev", "proofcheck-thorough", "proofcheck-watch"]
    assert settings.get_profile("proofcheck-ci").derandomize
    with pytest.raises(InvalidArgument):  # ("ci" is Hypothesis's own, built in)
        settings.get_profile("thorough")


def test_profiles_are_found_by_name_or_refused_with_the_known_ones(
        monkeypatch: pytest.MonkeyPatch) -> None:
    assert get_profile("thorough").max_examples == 10 * PROFILES["dev"].max_examples
    with pytest.raises(InputError, match="expected one of: ci, dev, thorough, watch"):
        get_profile("quick")
    monkeypatch.setenv("PROOFCHECK_PROFILE", "ci")
    assert profile_from_env() == "ci"
    monkeypatch.delenv("PROOFCHECK_PROFILE")
    assert profile_from_env() == "dev"


def test_the_suite_fixes_the_literals_hypothesis_mines() -> None:
    """tests/conftest.py replaces a private Hypothesis function so that a derandomized
    property draws the same examples whichever tests ran before it in the worker. If
    Hypothesis renames or stops calling it, this fails: update the conftest."""
    from hypothesis.internal.conjecture import providers

    assert providers._get_local_constants.__qualname__ == "_freeze_literals.<locals>.fixed"
    assert "_get_local_constants()" in inspect.getsource(providers.HypothesisProvider)
    before = providers._get_local_constants()
    module = types.ModuleType("literals_loaded_later")
    module.__file__ = __file__.replace("tests", "elsewhere")
    sys.modules[module.__name__] = module
    try:
        assert providers._get_local_constants() is before
    finally:
        del sys.modules[module.__name__]


def test_the_report_knows_which_profiles_replay_no_database() -> None:
    # A report's rerun line promises a replay from the example database except under
    # these; the report cannot import the profiles (a floor up), so the names are kept
    # there and checked here.
    # (Whether `dev` and `thorough` are derandomized is not theirs to say: they take it
    # from the loaded Hypothesis profile, which under CI is derandomized. So the names
    # are checked, and that each one named sets it itself.)
    from proofcheck.diagnosis.report import _DERANDOMIZED

    assert set(_DERANDOMIZED) == {"ci", "watch"} and set(_DERANDOMIZED) <= set(PROFILES)
    for name in _DERANDOMIZED:
        assert PROFILES[name].derandomize and PROFILES[name].database is None
