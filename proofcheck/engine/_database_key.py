"""The one place proofcheck relies on a private attribute of Hypothesis.

Hypothesis keeps the failing examples of a test in its example database under
a key it derives from the test function's source. Every row of a report runs
through the same function (the runner's ``body``), so each row must name its
own key, or the rows would replay each other's failures. Hypothesis has no
public way to give a ``@given`` test a key; it reads the attribute below when
the test runs (its own ``find`` sets it the same way).
``tests/engine/test_database_key.py`` runs a failing test under a key and fails
loudly if a Hypothesis release stops storing the example under it.
"""

from __future__ import annotations

from typing import Any

__all__ = ["ATTRIBUTE", "set_database_key"]

#: The attribute of a ``@given`` test that Hypothesis reads as its database key.
ATTRIBUTE = "_hypothesis_internal_database_key"


def set_database_key(test: Any, key: str) -> None:
    """Store ``test``'s failing examples under ``proofcheck:<key>`` in the example database."""
    setattr(test, ATTRIBUTE, f"proofcheck:{key}".encode())
