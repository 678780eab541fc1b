"""XLA settings for the oracle's many small programs, in proofcheck's own processes.

The oracle compiles many tiny programs: one per depth for the paper's networks,
and, for networks of layer types (run eagerly, see
:mod:`proofcheck.layers._oracle`), one per primitive and shape. On XLA's CPU
backend each such compile costs tens of milliseconds, almost all of it in the
code generator, while running the program costs microseconds. Two compiler
flags make those compiles about twice as fast and change nothing but the
rounding of the last bit (they choose older loop emitters and skip LLVM's
optimizer; the programs are too small for either to matter at run time):

=============================================  ==================================
measured (2 cores, jaxlib 0.10)                 default flags    these flags
=============================================  ==================================
60 compiles of ``jnp.sin`` on new shapes         4.0 s            1.7 s
layer-type oracle, 120 networks (eager)          18.2 s           11.0 s
``proofcheck verify --profile ci`` (2 jobs)      40 s             27 s
=============================================  ==================================

XLA reads its flags once, from ``XLA_FLAGS``, when JAX first starts its
backend, and aborts the process on a flag it does not know. So the flags are
set only (a) in processes proofcheck owns (the command line, the worker
processes of ``verify -j`` and ``grade``) and never in a program that imports
proofcheck as a library, (b) before JAX is imported there, (c) for jaxlib
versions they were tested with, and (d) without overriding a value the user
set in ``XLA_FLAGS``. ``PROOFCHECK_XLA_FLAGS=0`` turns them off.
"""

from __future__ import annotations

import os
import sys
from importlib import metadata

__all__ = ["FAST_COMPILE_FLAGS", "prefer_fast_compiles"]

#: The flags, each ``--name=value``.
FAST_COMPILE_FLAGS = ("--xla_cpu_use_fusion_emitters=false",
                      "--xla_backend_optimization_level=0")

#: jaxlib versions (major, minor) the flags were tested with: from, up to but excluding.
_TESTED = ((0, 10), (0, 11))

#: Set to ``0`` to keep XLA's default flags.
ENVIRONMENT_VARIABLE = "PROOFCHECK_XLA_FLAGS"


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
