"""The fork server (proofcheck/grading/_forkserver.py): a submission's process is a fork
of an interpreter that has already imported JAX, in a session of its own, with the
grader's environment; it exits as ``python -c`` would. Its containment (limits, exits,
signals, an interrupted grader) is tested through ``run_contained`` and ``grade`` in
test_sandbox.py, which run on the fork server wherever it is available."""

from __future__ import annotations

from pathlib import Path

import pytest

from proofcheck.grading import _forkserver
from proofcheck.grading._sandbox import run_contained


@pytest.mark.skipif(not _forkserver.available(), reason="the fork server is Linux's")
def test_a_submission_is_forked_from_the_server_in_a_session_of_its_own(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """On Linux the process is a fork of the server (JAX imported once, not once a
    submission), leads its own session, and sees the environment the grader gives it
    (pytest's name of the running test too): a changed environment starts a new server."""
    (tmp_path / "who.py").write_text(
        "import os, sys, pathlib\n"
        "parent = pathlib.Path(f'/proc/{os.getppid()}/cmdline').read_bytes()\n"
        "print(b'_forkserver' in parent, os.getsid(0) == os.getpid(),\n"
        "      os.environ.get('PROOFCHECK_TEST_MARK'), 'jax' in sys.modules,\n"
        "      os.environ.get('PYTEST_CURRENT_TEST', '').endswith('(call)'))\n"
        "sys.stdout.flush()\nos._exit(0)\n")

    def run() -> str:
        return run_contained(str(tmp_path / "who.py"), profile="ci", steps=["T1.b"],
                             cwd=str(tmp_path), timeout=120, memory=2048).output.strip()

    monkeypatch.setenv("PROOFCHECK_TEST_MARK", "first")
    assert run() == "True True first True True"
    monkeypatch.setenv("PROOFCHECK_TEST_MARK", "second")
    assert run() == "True True second True True"


@pytest.mark.parametrize(("code", "status"), [(None, 0), (3, 3), (256 + 4, 4), (-1, 255),
                                              ("a message", 1)])
def test_sys_exit_gives_the_status_python_exits_with(code: object, status: int) -> None:
    assert _forkserver._exit_code(SystemExit(code)) == status
