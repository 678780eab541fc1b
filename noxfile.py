"""Developer sessions: ``nox -s tests lint typecheck verify`` (and more, listed by ``nox -l``)."""

from __future__ import annotations

import nox

nox.options.sessions = ["tests", "lint", "typecheck", "verify"]
nox.options.default_venv_backend = "venv"

PYTHON = "3.11"


@nox.session(python=PYTHON)
def tests(session: nox.Session) -> None:
    """The test-suite (deterministic under CI=true: the ``ci`` Hypothesis profile)."""
    session.install(".[test]")
    session.run("python", "-m", "pytest", "-n", "auto", *session.posargs)


@nox.session(python=PYTHON)
def lint(session: nox.Session) -> None:
    """ruff over the package, the tests and the sessions."""
    session.install("ruff>=0.6")
    session.run("ruff", "check", "proofcheck", "tests", "noxfile.py")


@nox.session(python=PYTHON)
def typecheck(session: nox.Session) -> None:
    """mypy, strict on proofcheck/."""
    session.install(".", "mypy>=1.10")
    session.run("mypy")


@nox.session(python=PYTHON)
def verify(session: nox.Session) -> None:
    """``proofcheck verify`` on the package's own implementation (``ci`` profile by default)."""
    session.install(".")
    session.run("proofcheck", "verify", *(session.posargs or ["--profile", "ci"]))
