"""The properties: one executable check per step of the proof.

A :class:`Property` checks one step ID (from :mod:`proofcheck.steps`) in one
mode:

``lemma``
    a lemma of matrix calculus, checked against the JAX oracle; it does not
    depend on the implementation under check.
``isolated``
    the step's own formula, computed by the implementation, fed the
    *oracle's* values for everything the proof assumes (for T1.step: the
    oracle's ``Delta^{l+1}``), so that a failure points at that one step, as a
    failed induction step would.
``end-to-end``
    every quantity comes from the implementation (and the package's
    hand-derived activations and costs).
``exact``
    an identity over symbolic entries, checked by sympy for every shape up to
    width 3 (:mod:`proofcheck.properties._symbolic`): for every value, not
    sampled; for T1 steps, on the implementation's own functions.
``oracle check``
    the oracle itself, checked against a second oracle that shares no code
    with JAX's autodiff (:mod:`proofcheck.oracle.finite_differences`); it does not
    depend on the implementation under check.

The framework (:class:`Subject`, :class:`Check`, :class:`Property`, the
registry) is :mod:`proofcheck.properties._framework`. Properties are
registered explicitly, one :func:`register` call each, in the modules of the
proof's parts: ``_lemmas`` (L1-L7), ``_theorem`` (T1, T2), ``_generalization``
(G.*), ``_symbolic`` (the exact rows) and ``_oracle_checks``; this package
imports them, so importing it registers every property.
A property's ``check`` takes the :class:`Subject` (the implementation, with
its calls validated) and one drawn example, and returns the list of
:class:`Check` results it compared; the runner fails the example if any
check is outside its tolerance, or if the implementation raised
(:class:`UserCodeFailure`) or returned an array of the wrong shape or with NaN
(:class:`WrongResult`). Each property declares the tolerance kind its checks
use (``Property.tolerance``), which the report shows for its row.

How close is close enough
-------------------------
Every scale a property passes to :func:`check` comes from
:mod:`proofcheck.numerics.error_model`, which also decides kinks: which values of ``f'``
an implementation may use at a potential exactly at a kink, and which
examples are discarded because a potential lies within rounding of one.
"""

from __future__ import annotations

from proofcheck.properties import (  # noqa: F401  (imported to register their properties)
    _generalization,
    _lemmas,
    _oracle_checks,
    _symbolic,
    _theorem,
)
from proofcheck.properties._framework import (
    MODES,
    PROPERTIES,
    Check,
    Context,
    Mode,
    NotApplicable,
    OutsideOracleRange,
    Property,
    Subject,
    UserCodeFailure,
    WrongResult,
    check,
    register,
)
from proofcheck.properties._generalization import lemma_properties_for

__all__ = [
    "MODES",
    "PROPERTIES",
    "Check",
    "Context",
    "Mode",
    "NotApplicable",
    "OutsideOracleRange",
    "Property",
    "Subject",
    "UserCodeFailure",
    "WrongResult",
    "check",
    "lemma_properties_for",
    "register",
]

