"""The layer types' classic mistakes, re-exported from :mod:`proofcheck.catalog`.

From the repository's top folder::

    proofcheck verify --layer tests.layer_mutants:Conv1DKernelNotFlipped
"""

from proofcheck import catalog as _catalog
from proofcheck.catalog import *  # noqa: F403 (the catalog's names, one list: catalog.__all__)

__all__ = list(_catalog.__all__)
