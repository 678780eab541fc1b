"""Errors raised by proofcheck.

Every error says which argument or function is at fault, what it got and what
was expected, so that a user can fix the call without reading our source.
"""

from __future__ import annotations

__all__ = ["ImplementationError", "InputError", "OracleError", "ProofcheckError"]


class ProofcheckError(Exception):
    """Base class of every error that proofcheck raises on purpose."""


class InputError(ProofcheckError, ValueError):
    """An argument has the wrong type, shape, dtype or value.

    Subclasses :class:`ValueError`, so code that catches ``ValueError`` (as
    numpy users do) keeps working.
    """


class ImplementationError(ProofcheckError):
    """The implementation under check cannot be checked at all.

    Raised for an import that fails, a missing attribute, an object with none
    of the protocol's functions, a protocol function that cannot be called with
    the protocol's arguments, or a result that is not a float64 numpy array
    (for ``gradients``, not a pair of lists of them). ``proofcheck verify``
    exits with status 2 on this error and writes no report.

    A result of the wrong shape, or with NaN or infinity where the oracle is
    finite, is not this error: it is a wrong result on that example, and its
    row fails with it as the counterexample.
    """


class ReferenceFailure(ProofcheckError):
    """The forward computation that a user's layer type's reference differentiates raised
    (the ``primal`` given to ``from_jax``/``from_torch``, or the forward run outside its
    rule): a failing example of the row, naming it, not a crash of the check.

    Attributes
    ----------
    function : str
        Whose reference (``"GroupNorm's reference"``).
    last_line : str
        The exception, on one line.
    """

    def __init__(self, function: str, last_line: str) -> None:
        super().__init__(f"{function} raised {last_line}")
        self.function = function
        self.last_line = last_line


class OracleError(ProofcheckError):
    """The JAX oracle cannot give a trustworthy reference value.

    For example: JAX runs in float32 (``jax_enable_x64`` is off).
    """


def one_line(exc: BaseException) -> str:
    """``ValueError: boom``: the exception's type and the first line of its message
    (not a note added to it, not the rest of a long message). How the package names a
    crash of user code, wherever it reports one; not part of ``__all__``, which lists
    the exceptions."""
    lines = [line for line in str(exc).strip().splitlines() if line.strip()]
    return f"{type(exc).__name__}: {lines[0]}" if lines else type(exc).__name__


def a_or_an(noun: str) -> str:
    """``noun`` with its indefinite article, by its first letter: ``"an activation"``,
    ``"a cost"``. The package's one rule for it in messages (a vowel letter, not a
    vowel sound); not part of ``__all__``."""
    return f"{'an' if noun[:1].lower() in 'aeiou' else 'a'} {noun}"
