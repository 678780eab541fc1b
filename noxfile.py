"""Developer sessions: ``nox -s tests lint typecheck verify`` (and more, listed by ``nox -l``)."""

from __future__ import annotations

import nox

nox.options.sessions = ["tests", "lint", "typecheck", "verify"]
nox.options.default_venv_backend = "venv"

PYTHON = "3.11"


@nox.session(python=PYTHON)
def tests(session: nox.Session) -> None:
    """The README's tier of the test-suite (deterministic under CI=true: the ``ci``
    Hypothesis profile); ``tests-full`` runs every tier."""
    session.install(".[test]")
    session.run("python", "-m", "pytest", "-n", "auto", *session.posargs)


@nox.session(name="tests-full", python=PYTHON)
def tests_full(session: nox.Session) -> None:
    """Every tier of the test-suite, as CI runs it: the README's tier and the ``slow`` one
    (tests/tiers.py); the soak, batch and mutation runs keep their own sessions."""
    session.install(".[test]")
    session.run("python", "-m", "pytest", "-n", "auto", "-m",
                "not soak and not batch and not mutation", *session.posargs)


@nox.session(python=PYTHON)
def lint(session: nox.Session) -> None:
    """ruff over the package, the tests, the docs' code, the examples and the benchmarks."""
    session.install("ruff>=0.6")
    session.run("ruff", "check", "proofcheck", "_proofcheck_pytestplugin.py", "tests", "docs",
                "examples", "benchmarks", "noxfile.py")


@nox.session(python=PYTHON)
def typecheck(session: nox.Session) -> None:
    """mypy, strict on proofcheck/ and the pytest plugin (pytest's types: the test extra)."""
    session.install(".[test]", "mypy>=1.10")
    session.run("mypy")


@nox.session(python=PYTHON)
def verify(session: nox.Session) -> None:
    """``proofcheck verify`` on the package's own implementation (``ci`` profile by default)."""
    session.install(".")
    session.run("proofcheck", "verify", *(session.posargs or ["--profile", "ci"]))


@nox.session(python=PYTHON)
def docs(session: nox.Session) -> None:
    """Build the HTML docs with warnings as errors, then check them in headless Chromium."""
    session.install(".[docs,test]")
    session.run("python", "docs/build.py", *session.posargs)


@nox.session(python=PYTHON)
def bench(session: nox.Session) -> None:
    """Benchmarks against JAX in the same run: prints a table, writes JSON."""
    session.install(".[bench]")
    session.run("python", "benchmarks/run.py", *session.posargs)


@nox.session(python=PYTHON)
def soak(session: nox.Session) -> None:
    """The soak test: many seeds of ``dev`` and one ``thorough`` run on the reference (slow)."""
    session.install(".[test]")
    session.run("python", "-m", "pytest", "-m", "soak", "-p", "no:cacheprovider",
                "tests/test_soak.py", *session.posargs)


@nox.session(python=PYTHON)
def mutants(session: nox.Session) -> None:
    """Mutation testing of the numpy implementation with the property suite (slow)."""
    session.install(".[test]", "mutmut>=3")
    session.run("python", "tests/mutation/run.py", *session.posargs)


@nox.session(python=PYTHON)
def frameworks(session: nox.Session) -> None:
    """Layer types from JAX and PyTorch code (from_jax, from_torch), with the torch extra:
    tests/frameworks/test_custom_rules.py, its batch tests (the examples' whole verify runs)
    included."""
    session.install(".[test,torch]")
    session.run("python", "-m", "pytest", "-m", "batch or not batch", "-p", "no:cacheprovider",
                "tests/frameworks/test_custom_rules.py", *session.posargs)


@nox.session(python=PYTHON)
def batch(session: nox.Session) -> None:
    """Grade the whole catalog (a process pool, a local Dask cluster); a second verify
    --profile ci served wholly from the compilation cache."""
    session.install(".[test,dask]")
    session.run("python", "-m", "pytest", "-m", "batch", "-p", "no:cacheprovider",
                "tests/test_batch.py", "tests/oracle/test_compilation.py", *session.posargs)


@nox.session(python=PYTHON)
def zoo(session: nox.Session) -> None:
    """The custom rules that JAX and PyTorch ship, each run under the G rows (slow): a table
    of holds / fails / could not be described (``benchmarks/zoo/``, results in RESULTS.md)."""
    session.install(".[test,torch]")
    session.run("python", "benchmarks/zoo/run.py", *session.posargs)
