"""The catalog of classic mistakes, re-exported from :mod:`proofcheck.catalog`.

The catalog is part of the package, so that an installed proofcheck has it;
this module keeps the names the docs and older commands use working, from
the repository's top folder::

    proofcheck verify --impl tests.mutants:missing_transpose
"""

from proofcheck import catalog as _catalog
from proofcheck.catalog import *  # noqa: F403 (the catalog's names, one list: catalog.__all__)

__all__ = list(_catalog.__all__)
