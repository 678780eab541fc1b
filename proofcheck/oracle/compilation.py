"""How proofcheck's own processes compile the oracle: quick compiles, kept on disk.

The oracle is many tiny JAX programs: one per depth bucket for the paper's
networks and, for networks of layer types, one per operation and shape. On
XLA's CPU backend each compile costs tens of milliseconds, almost all of it in
the code generator, while running the program costs microseconds. Two things
make that cost small, and both are set only in processes proofcheck owns (the
command line, the worker processes of ``verify -j`` and ``grade``, the
test-suite), never in a program that imports proofcheck as a library:

**Quick compiles** (:func:`prefer_fast_compiles`). Two compiler flags choose
older loop emitters and skip LLVM's optimizer; the programs are too small for
either to matter at run time, and only the rounding of the last bit changes
(which the error model allows for). XLA reads its flags once, from
``XLA_FLAGS``, when JAX first starts its backend, and aborts the process on a
flag it does not know. So the flags are added (a) before JAX is imported,
(b) for the jaxlib versions they were tested with, and (c) without overriding
a value the user set in ``XLA_FLAGS``. ``PROOFCHECK_XLA_FLAGS=0`` keeps XLA's
defaults. The measured effect is in ``benchmarks/RESULTS.md``.

**A persistent cache** (:func:`enable_cache`). JAX can keep compiled programs
on disk and serve them to the next process that compiles the same program. It
is turned on in a per-user cache folder that follows the platform's convention
(:func:`cache_directory`; ``PROOFCHECK_CACHE_DIR`` moves it), with the
thresholds lowered so that the oracle's small programs are kept.
``PROOFCHECK_CACHE=0`` or ``proofcheck verify --no-cache`` turn it off. A JAX
cache folder the user configured is never replaced.

The folder has no size limit. JAX's limit scans the whole folder before every
write, which made a first run slower than no cache at all (measured in
``benchmarks/RESULTS.md``); the entries are addressed by their program, so the
folder grows only with new programs or a new JAX, and deleting it is always
safe.

The cache can cost speed, never a verdict: a program read from it is the
program that would have been compiled (JAX's key covers the program, the
compiler's version and its options, which name the folder, so a folder moved
elsewhere is not hit), and an entry that cannot be read (corrupted, or read
while another process is still writing it: the ``-j`` workers and
``pytest -n`` share the folder) is compiled afresh, because a truncated entry
does not decompress. A folder that cannot be written is not used (with a
one-line warning). Inside your own test-suite, where proofcheck leaves JAX's
settings alone, call :func:`enable_cache` once (in ``conftest.py``) to get the
same benefit.
"""

from __future__ import annotations

import os
import sys
import tempfile
import warnings
from importlib import metadata
from pathlib import Path

import platformdirs

__all__ = [
    "CACHE_DIR_VARIABLE",
    "CACHE_VARIABLE",
    "FAST_COMPILE_FLAGS",
    "cache_directory",
    "enable_cache",
    "prefer_fast_compiles",
    "start_own_process",
]

#: The flags, each ``--name=value``.
FAST_COMPILE_FLAGS = ("--xla_cpu_use_fusion_emitters=false",
                      "--xla_backend_optimization_level=0")

#: jaxlib versions (major, minor) the flags were tested with: from, up to but excluding.
_TESTED = ((0, 10), (0, 11))

#: Set to ``0`` to keep XLA's default flags.
ENVIRONMENT_VARIABLE = "PROOFCHECK_XLA_FLAGS"
#: Set to ``0`` to turn the persistent compilation cache off.
CACHE_VARIABLE = "PROOFCHECK_CACHE"
#: A folder to keep the compiled programs in, instead of :func:`cache_directory`'s default.
CACHE_DIR_VARIABLE = "PROOFCHECK_CACHE_DIR"


def _jaxlib_version() -> tuple[int, int] | None:
    try:
        major, minor = metadata.version("jaxlib").split(".")[:2]
        return int(major), int(minor)
    except (metadata.PackageNotFoundError, ValueError):
        return None


def prefer_fast_compiles() -> bool:
    """Add :data:`FAST_COMPILE_FLAGS` to ``XLA_FLAGS`` if that is safe here; say whether.

    Only for proofcheck's own processes, before JAX is imported: see the
    module's docstring.
    """
    if os.environ.get(ENVIRONMENT_VARIABLE, "1") == "0" or "jax" in sys.modules:
        return False
    version = _jaxlib_version()
    if version is None or not _TESTED[0] <= version < _TESTED[1]:
        return False
    current = os.environ.get("XLA_FLAGS", "")
    given = {flag.split("=")[0] for flag in current.split()}
    extra = [flag for flag in FAST_COMPILE_FLAGS if flag.split("=")[0] not in given]
    os.environ["XLA_FLAGS"] = " ".join([current, *extra]).strip()
    return True


def cache_directory() -> Path:
    """The folder of the persistent compilation cache.

    ``$PROOFCHECK_CACHE_DIR`` if set; otherwise a ``jax`` folder in the
    platform's per-user cache folder for proofcheck (on Linux
    ``$XDG_CACHE_HOME/proofcheck/jax``, by default ``~/.cache/proofcheck/jax``;
    on macOS ``~/Library/Caches/proofcheck/jax``; on Windows under
    ``%LOCALAPPDATA%``).
    """
    given = os.environ.get(CACHE_DIR_VARIABLE)
    if given:
        return Path(given).expanduser()
    return Path(platformdirs.user_cache_dir("proofcheck", appauthor=False)) / "jax"


def _writable(folder: Path) -> str | None:
    """``None`` if ``folder`` exists or can be made, and takes a file; else why not."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".probe-"):
            pass
    except OSError as exc:
        return exc.strerror or type(exc).__name__
    return None


def enable_cache(directory: str | os.PathLike[str] | None = None) -> Path | None:
    """Keep the oracle's compiled programs on disk; return the folder, or ``None`` if not.

    Nothing is changed, and ``None`` returned, when ``$PROOFCHECK_CACHE`` is
    ``0``, when JAX already has a cache folder (the user's own setting is kept,
    and used), or when the folder cannot be written (a warning says why; the
    check runs as fast as without a cache). Call it before the process
    compiles its first JAX program: JAX sets its cache up once, at that first
    compile.

    Parameters
    ----------
    directory : path, optional
        Where to keep them (default: :func:`cache_directory`).
    """
    if os.environ.get(CACHE_VARIABLE, "1") == "0":
        return None
    import jax

    if getattr(jax.config, "jax_compilation_cache_dir", None):
        return None
    folder = Path(directory) if directory is not None else cache_directory()
    problem = _writable(folder)
    if problem is not None:
        warnings.warn(f"proofcheck: the compilation cache folder {folder} cannot be written "
                      f"({problem}); compiling without a cache", RuntimeWarning, stacklevel=2)
        return None
    for name, value in (("jax_compilation_cache_dir", str(folder)),
                        ("jax_persistent_cache_min_compile_time_secs", 0.0),
                        ("jax_persistent_cache_min_entry_size_bytes", 0),
                        ("jax_compilation_cache_max_size", -1)):
        jax.config.update(name, value)  # type: ignore[no-untyped-call]
    return folder


def start_own_process(*, cache: bool = True) -> None:
    """Set up a process proofcheck owns: quick compiles, then (unless ``cache`` is false) the cache.

    Call it first thing, before JAX is imported (the command line, the worker
    processes, the test-suite's ``conftest.py``).
    """
    prefer_fast_compiles()
    if not cache:
        os.environ[CACHE_VARIABLE] = "0"  # worker processes inherit the choice
        return
    enable_cache()
