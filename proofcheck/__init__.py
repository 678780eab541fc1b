"""proofcheck: the induction proof of backpropagation in matrix notation, as a machine check.

Every definition, lemma and step of the proof (Ostwald & Usée,
arXiv:2107.09384) is an executable property; Hypothesis draws the networks,
JAX autodiff in float64 is the oracle, and the implementation under check is
any object that follows :mod:`proofcheck.protocol`, by default the numpy
:class:`MatrixBackprop`.

The public surface is ``__all__`` and five modules: :mod:`proofcheck.layers`,
:mod:`proofcheck.frameworks`, :mod:`proofcheck.strategies`,
:mod:`proofcheck.pytest_plugin` and :mod:`proofcheck.catalog`. Every other module,
with an underscore in its name or without (``steps``, ``network``, the parts
``numerics``, ``oracle``, ``properties``, ``diagnosis``, ``engine``,
``grading``), is private and may change without notice; the names users need
from them are exported here. Importing proofcheck does not import JAX;
:func:`verify` does, when it runs.
"""

from __future__ import annotations

import sys

from proofcheck import _deprecated
from proofcheck.activations import ACTIVATIONS, Activation
from proofcheck.backprop import MatrixBackprop
from proofcheck.costs import COSTS, Cost
from proofcheck.diagnosis.report import Report
from proofcheck.engine._verify import assert_verified, load_implementation, verify
from proofcheck.errors import ImplementationError, InputError, OracleError, ProofcheckError
from proofcheck.grading._grade import GradeResult, grade, grade_target
from proofcheck.protocol import BackpropImplementation
from proofcheck.steps import STEP_IDS, STEPS, Step

__version__ = "0.1.0"

# The 0.1 paths of modules that moved (deprecated, removed in 0.3).
_deprecated.install(sys.modules[__name__])

__all__ = [
    "ACTIVATIONS",
    "COSTS",
    "STEPS",
    "STEP_IDS",
    "Activation",
    "BackpropImplementation",
    "Cost",
    "GradeResult",
    "ImplementationError",
    "InputError",
    "MatrixBackprop",
    "OracleError",
    "ProofcheckError",
    "Report",
    "Step",
    "assert_verified",
    "grade",
    "grade_target",
    "load_implementation",
    "verify",
]

