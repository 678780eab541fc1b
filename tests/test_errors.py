"""The errors proofcheck raises: one base class, InputError also a ValueError, the
others not, all exported by the package."""

from __future__ import annotations

import pytest

import proofcheck
from proofcheck import errors
from proofcheck.errors import ImplementationError, InputError, OracleError, ProofcheckError

ERRORS = [InputError, ImplementationError, OracleError]


def test_the_package_exports_the_same_classes() -> None:
    assert set(errors.__all__) == {"ImplementationError", "InputError", "OracleError",
                                   "ProofcheckError"}
    for name in errors.__all__:
        assert getattr(proofcheck, name) is getattr(errors, name)
        assert name in proofcheck.__all__


@pytest.mark.parametrize("error", ERRORS, ids=lambda e: e.__name__)
def test_every_error_is_a_proofcheck_error(error: type[ProofcheckError]) -> None:
    with pytest.raises(ProofcheckError, match="what went wrong"):
        raise error("what went wrong")
    assert error.__doc__


def test_an_input_error_is_caught_as_a_value_error() -> None:
    """Code that catches ValueError, as numpy users do, keeps working."""
    with pytest.raises(ValueError, match="bad argument"):
        raise InputError("bad argument")


@pytest.mark.parametrize("error", [ImplementationError, OracleError], ids=lambda e: e.__name__)
def test_the_other_errors_are_not_value_errors(error: type[ProofcheckError]) -> None:
    """A broken implementation or oracle is not a bad argument of the caller's."""
    assert not issubclass(error, ValueError)


def test_the_base_class_is_an_exception_and_nothing_more() -> None:
    assert ProofcheckError.__bases__ == (Exception,)
    assert not issubclass(ProofcheckError, ValueError)


def test_the_errors_are_distinct() -> None:
    for error in ERRORS:
        for other in ERRORS:
            assert issubclass(error, other) == (error is other)


@pytest.mark.parametrize(("target", "message"), [
    ("a_module_that_does_not_exist", "could not import module 'a_module_that_does_not_exist'"),
    ("proofcheck:no_such_function", "module 'proofcheck' has no attribute 'no_such_function'"),
])
def test_an_implementation_that_cannot_be_loaded_is_an_implementation_error(
        target: str, message: str) -> None:
    with pytest.raises(ImplementationError, match=message):
        proofcheck.load_implementation(target)


def test_a_or_an_goes_by_the_first_letter() -> None:
    from proofcheck.errors import a_or_an

    assert [a_or_an(n) for n in ("activation", "cost", "Elu", "MatrixBackprop")] == [
        "an activation", "a cost", "an Elu", "a MatrixBackprop"]
