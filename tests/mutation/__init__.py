"""Mutation testing of the reference implementation (``nox -s mutants``)."""
