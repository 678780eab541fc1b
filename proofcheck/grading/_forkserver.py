"""Each submission's process forked from an interpreter that has already imported JAX.

A check of one submission in a fresh process spends about a second importing JAX
and proofcheck before it loads the submission (``benchmarks/RESULTS.md``, "Where
the suite's time goes"): for a class of two hundred, minutes of the grading. On
Linux the grader therefore starts one *fork server* (:func:`server_main`) per
environment: a Python process that runs :func:`~proofcheck.oracle.compilation.start_own_process`,
imports what every check imports and then only forks. Each submission's process is
a fork of it, so it starts with those modules loaded, and is otherwise what
:func:`~proofcheck.grading._sandbox.run_contained` started before: a new session
(its own process group, killed as one), its own working folder, standard input
from ``/dev/null``, standard output and error on a pipe the grader drains, and
:func:`~proofcheck.grading._sandbox.child_main` as its program, which sets the
process's own alarm. Nothing of a submission reaches the server or another
submission: each is forked from the server, never from another.

The server forks before any JAX computation has run (no backend, no XLA threads
exist yet), is single-threaded itself, and ends when the grader's end of its
socket closes (the grader ended, however it ended) and the processes it forked have
ended. Each process gets exactly the
environment the grader gives it; the server is started again when that environment
changes (its imports read it: JAX's and XLA's variables, ``PYTHONPATH``), except in
the variables of :data:`_VOLATILE`, and when it died. Where it cannot be used (not
Linux, no ``socket.send_fds``), or it fails to start, a submission's process is
started with ``subprocess`` as before.
"""

from __future__ import annotations

import atexit
import contextlib
import importlib
import json
import os
import select
import signal
import socket
import subprocess
import sys
import threading
import time
import warnings
from collections.abc import Callable
from typing import IO, Any

__all__ = ["ForkedProcess", "available", "server_main", "start"]

#: What the server process runs (``-c``, as for the contained process itself).
_ENTRY = ("import sys; from proofcheck.grading._forkserver import server_main; "
          "server_main(int(sys.argv[1]), sys.argv[2])")
#: Seconds the server waits on its socket before it reaps finished children again
#: (written as expressions: a float literal would join the values Hypothesis draws).
_REAP_EVERY = 1 / 50
#: Seconds the grader waits for the server to say it forked (it imports JAX first).
_START_LIMIT = 2 * 60
#: Bytes of one message on the socket (a request names a target and a few options).
_MESSAGE_BYTES = 1 << 20
#: Variables that change while a grader runs and that nothing reads at import: a change
#: of one does not start a new server (pytest names the running test in the first).
_VOLATILE = ("PYTEST_CURRENT_TEST",)


def available() -> bool:
    """Whether submissions' processes can be forked from a server here (Linux)."""
    return sys.platform.startswith("linux") and hasattr(socket, "send_fds")


class ForkedProcess:
    """A submission's process forked by the server: what ``run_contained`` reads of a
    ``subprocess.Popen`` (``pid``, ``stdout``, ``poll``, ``wait``, ``returncode``)."""

    def __init__(self, pid: int, stdout: IO[bytes], server: _Server) -> None:
        self.pid = pid
        self.stdout = stdout
        self.returncode: int | None = None
        self._server = server
        self._ended = threading.Event()

    def _end(self, returncode: int) -> None:
        self.returncode = returncode
        self._ended.set()

    def poll(self) -> int | None:
        """The exit code as ``Popen`` gives it (minus the signal that killed it), or
        ``None`` while it runs."""
        return self.returncode

    def wait(self) -> int:
        """Wait for the process's end; its code."""
        while not self._ended.wait(1):
            # If the server died, the process was taken over by init and its exit code
            # is lost; it is gone once /proc no longer lists it.
            if not self._server.alive() and not os.path.exists(f"/proc/{self.pid}"):
                self._end(-signal.SIGKILL)
        assert self.returncode is not None
        return self.returncode


class _Server:
    """The grader's side of one fork server."""

    def __init__(self, env: dict[str, str], cwd: str, entry: str) -> None:
        self.env = env
        self.entry = entry
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self._socket = ours
        self._process = subprocess.Popen(
            [sys.executable, "-c", _ENTRY, str(theirs.fileno()), entry], env=env, cwd=cwd,
            pass_fds=[theirs.fileno()], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
        theirs.close()
        self._send_lock = threading.Lock()
        self._lock = threading.Lock()
        self._started: dict[int, Any] = {}
        self._children: dict[int, ForkedProcess] = {}
        self._early: dict[int, int] = {}
        self._next = 0
        self._dead = threading.Event()
        threading.Thread(target=self._read, name="proofcheck-fork-server", daemon=True).start()

    def alive(self) -> bool:
        return not self._dead.is_set()

    def _read(self) -> None:
        """Hand each of the server's messages to the submission it is about."""
        try:
            while True:
                data = self._socket.recv(_MESSAGE_BYTES)
                if not data:
                    break
                message = json.loads(data)
                with self._lock:
                    if "forked" in message:
                        slot = self._started.pop(message["id"], None)
                        if slot is not None:
                            slot.append(message["forked"])
                            slot[0].set()
                    elif "ended" in message:
                        child = self._children.pop(message["ended"], None)
                        if child is None:  # ended before its handle was made
                            self._early[message["ended"]] = message["code"]
                        else:
                            child._end(message["code"])
        except OSError:
            pass
        finally:
            self._dead.set()
            with self._lock:
                for slot in self._started.values():
                    slot[0].set()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self._process.wait(timeout=_START_LIMIT)  # it has closed its end: reap it

    def start(self, argument: str, cwd: str, env: dict[str, str]) -> ForkedProcess | None:
        """Fork a process running the entry on ``argument`` in ``cwd`` with the
        environment ``env``; ``None`` if the server is gone."""
        read, write = os.pipe()
        event = threading.Event()
        slot: list[Any] = [event]
        with self._lock:
            self._next += 1
            ident = self._next
            self._started[ident] = slot
        sent = False
        try:
            if self.alive():
                with self._send_lock:
                    socket.send_fds(self._socket, [json.dumps(
                        {"id": ident, "argument": argument, "cwd": cwd, "env": env}
                    ).encode()], [write])
                sent = True
        except OSError:
            self._dead.set()
        finally:
            os.close(write)
        if not sent or not event.wait(_START_LIMIT) or len(slot) < 2:
            with self._lock:
                self._started.pop(ident, None)
            os.close(read)
            return None
        pid = slot[1]
        child = ForkedProcess(pid, os.fdopen(read, "rb"), self)
        with self._lock:
            if pid in self._early:
                child._end(self._early.pop(pid))
            else:
                self._children[pid] = child
        return child

    def close(self) -> None:
        """No more requests: the server still reports the processes it forked as they
        end, then ends (and closes its end, which ends the reading thread)."""
        with contextlib.suppress(OSError):
            self._socket.shutdown(socket.SHUT_WR)


_SERVER: _Server | None = None
_SERVER_LOCK = threading.Lock()


def start(entry: str, argument: str, cwd: str, env: dict[str, str],
          home: str) -> ForkedProcess | None:
    """A process forked from the server for ``entry`` and ``env`` (started, or started
    again, as needed, in the folder ``home``: the one proofcheck is imported from),
    running ``entry([argument])`` in ``cwd``; ``None`` where one cannot be forked (then
    start it another way).

    ``entry`` is ``"module:function"``; the server imports the module (and with it
    what the function needs) once, before it forks.
    """
    global _SERVER
    if not available():
        return None
    with _SERVER_LOCK:
        if _SERVER is not None and (_SERVER.env != _lasting(env) or _SERVER.entry != entry
                                    or not _SERVER.alive()):
            _SERVER.close()
            _SERVER = None
        if _SERVER is None:
            try:
                _SERVER = _Server(_lasting(env), home, entry)
            except OSError:
                return None
        server = _SERVER
    return server.start(argument, cwd, env)


def _lasting(env: dict[str, str]) -> dict[str, str]:
    """``env`` without the variables of :data:`_VOLATILE`."""
    return {k: v for k, v in env.items() if k not in _VOLATILE}


@atexit.register
def _close_server() -> None:
    if _SERVER is not None:
        _SERVER.close()


def _forget_server() -> None:
    """In a process forked from the grader (a worker of a process pool): the server, its
    socket and its reader thread are the parent's; this process starts its own."""
    global _SERVER, _SERVER_LOCK
    _SERVER_LOCK = threading.Lock()  # another thread may have held it at the fork
    if _SERVER is not None:
        with contextlib.suppress(OSError):
            _SERVER._socket.close()  # this process's copy; the parent's stays open
        _SERVER = None


os.register_at_fork(after_in_child=_forget_server)


# --- the server process ------------------------------------------------------------------


def server_main(fd: int, entry: str) -> None:
    """The fork server: import ``entry``'s module (``"module:function"``) and what every
    check imports, then fork a process running the function for each request on the
    socket ``fd``, and report when each one ends."""
    from proofcheck.oracle.compilation import start_own_process

    start_own_process()  # as the entry does, before JAX is imported
    module, _, name = entry.partition(":")
    function = getattr(importlib.import_module(module), name)
    import proofcheck.engine._verify
    import proofcheck.properties  # noqa: F401 (what every check imports)

    channel = socket.socket(fileno=fd)
    try:
        while _serve_once(channel, function):
            pass
        # No more requests: report the processes still running as they end, then go.
        while _report_ended(channel):
            time.sleep(_REAP_EVERY)
    except (KeyboardInterrupt, OSError):
        pass  # Ctrl-C reaches the grader too; it kills the submissions' groups


def _serve_once(channel: socket.socket, function: Callable[[list[str]], None]) -> bool:
    """Report the children that ended, then fork for one request if one came; ``False``
    once the grader's end is closed."""
    _report_ended(channel)
    ready, _, _ = select.select([channel], [], [], _REAP_EVERY)
    if not ready:
        return True
    data, fds, _, _ = socket.recv_fds(channel, _MESSAGE_BYTES, 1)
    if not data:
        return False
    request = json.loads(data)
    # The child says when it leads a session of its own: only then can the grader kill
    # its process group (it may do so as soon as it knows the pid).
    ready_read, ready_write = os.pipe()
    with warnings.catch_warnings():
        # Python 3.12 warns that forking a process with threads may deadlock; the only
        # other thread here is the BLAS library's, which re-initializes itself on fork.
        warnings.simplefilter("ignore", DeprecationWarning)
        pid = os.fork()
    if pid == 0:
        os.close(ready_read)
        _child(channel, function, request, fds[0], ready_write)
    os.close(ready_write)
    for fd in fds:
        os.close(fd)
    with contextlib.suppress(OSError):
        os.read(ready_read, 1)  # b"" if it died first: reported as it ended
    os.close(ready_read)
    channel.send(json.dumps({"id": request["id"], "forked": pid}).encode())
    return True


def _report_ended(channel: socket.socket) -> bool:
    """Send the exit code of each forked process that ended; whether any still runs."""
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return False
        if pid == 0:
            return True
        channel.send(json.dumps({"ended": pid,
                                 "code": os.waitstatus_to_exitcode(status)}).encode())


def _child(channel: socket.socket, function: Callable[[list[str]], None],
           request: dict[str, Any], output: int, ready: int) -> None:
    """The forked process: as ``python -c`` running ``function`` in a new session."""
    code = 1
    try:
        channel.close()
        os.setsid()
        os.write(ready, b"1")
        os.close(ready)
        os.chdir(request["cwd"])
        os.dup2(output, 1)
        os.dup2(output, 2)
        os.close(output)
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.close(null)
        os.environ.clear()
        os.environ.update(request["env"])
        sys.argv = ["-c", request["argument"]]
        function([request["argument"]])
        code = 0
    except SystemExit as exc:
        code = _exit_code(exc)
    except BaseException:  # as the interpreter reports an uncaught one
        import traceback

        traceback.print_exc()
    finally:
        with contextlib.suppress(BaseException):
            sys.stdout.flush()
            sys.stderr.flush()
        os._exit(code)


def _exit_code(exc: SystemExit) -> int:
    """The status Python exits with for ``sys.exit(value)``."""
    if exc.code is None:
        return 0
    if isinstance(exc.code, int):
        return exc.code % 2**8  # as the operating system keeps it
    print(exc.code, file=sys.stderr)
    return 1
