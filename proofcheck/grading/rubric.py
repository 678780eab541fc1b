"""Rubrics: points per step of the theorem, read from a TOML file.

A rubric gives points to the steps of the theorem that concern a submission:
``T1.*`` and ``T2`` for an implementation of backpropagation, ``G.*`` for a
layer type. The definitions and lemmas (``D*``, ``L*``) check the mathematics
and proofcheck's own oracle, which are the same for every student, and get no
points. The default rubric (:data:`DEFAULT_RUBRIC_TOML`)::

{default_rubric}

An implementation can earn 20 points, a layer type 10: a step counts only for
the targets it concerns, and only when it is checked (``--steps`` leaves the
others out of the total).

**What a step earns.** Its points when every row of it holds, or fails only as
a consequence of the root cause in another step (:func:`proofcheck.diagnosis.report.consequences`:
the student made one mistake, not five; decided, as the report's diagnosis is, from
the functions that ran on the row's failing example, those the submission's own
``gradients`` called included); nothing when one of its rows is the
root cause, fails on its own, or did not finish (a time or memory limit, an
exit).

**A step the submission does not provide** (every row of it "not provided",
e.g. the four step functions of a submission with only ``gradients``), by the
policy ``not_provided``:

- ``"implied"`` (default): it earns its points when the steps that imply it
  earn theirs (:data:`IMPLIED_BY`). ``T1.base``, ``T1.step``, ``T1.W`` and
  ``T1.b`` are implied by ``T1.grad``: the full gradient of one example is
  their composition, right on every network only if each is. A
  ``gradients``-only submission with a wrong gradient therefore loses the four
  hidden steps too: the mistake is somewhere inside them, and the check cannot
  tell where. ``T1.grad`` and ``T1.tail`` are implied by the four step
  functions (a submission of step functions only, where the composition is
  the proof's, not the student's code): they earn their points when the four
  do, and also when the only one that does not is the root cause, since the
  composition then fails only as a consequence of it (one mistake costs one
  step). ``T2`` and the ``G.*`` steps are implied by nothing: every submission
  that can be checked has rows of its own for them.
- ``"nothing"``: no points; use it to require the step functions.

**What every submission must support.** A submission may declare the networks
it supports (``supported_activations``, ``supported_costs``), and the check
then draws only those. A ``[require]`` table names the activations and costs
every submission must support (a list of names, or ``"all"``, every one
proofcheck knows)::

    [require]
    activations = "all"
    costs = ["squared_error", "binary_cross_entropy"]

A submission whose declared restriction leaves some of them out earns, on
every step, the share of its points that it supports: the required
activations it supports over those required, times the same for the costs
(``{"identity"}`` against eight required activations: an eighth). Its
feedback says what it left out and what that cost. Without ``[require]`` a
restriction costs nothing, but every output still shows it.
"""

from __future__ import annotations

import math
import textwrap
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import NamedTuple

from proofcheck.errors import InputError, a_or_an
from proofcheck.steps import STEP_IDS, get_step

__all__ = ["COMPOSITIONS", "DEFAULT_RUBRIC", "DEFAULT_RUBRIC_TOML", "IMPLIED_BY", "POLICIES",
           "Rubric",
           "load_rubric", "parse_rubric"]

#: The values of ``[policy] not_provided``.
POLICIES = ("implied", "nothing")

#: Under the ``"implied"`` policy: the steps whose points a step that is not
#: provided earns with (all of them must earn theirs; for the steps of
#: :data:`COMPOSITIONS`, all but the root cause's).
IMPLIED_BY: dict[str, tuple[str, ...]] = {
    "T1.base": ("T1.grad",),
    "T1.step": ("T1.grad",),
    "T1.W": ("T1.grad",),
    "T1.b": ("T1.grad",),
    "T1.grad": ("T1.base", "T1.step", "T1.W", "T1.b"),
    "T1.tail": ("T1.base", "T1.step", "T1.W", "T1.b"),
}

#: The steps that are compositions of others and hold no code of the student's when
#: not provided: a root cause among their parts costs them nothing.
COMPOSITIONS = frozenset({"T1.grad", "T1.tail"})

#: The default rubric, as a teacher would write it (see the module docstring).
DEFAULT_RUBRIC_TOML = """\
# proofcheck rubric: points per step of the theorem (see the grading guide).
[points]
"T1.base" = 3     # the base case: delta^k
"T1.step" = 4     # the induction step: delta^l from delta^{l+1}
"T1.W" = 3        # the weight gradient
"T1.b" = 2        # the bias gradient
"T1.grad" = 3     # the full gradient of one example
"T1.tail" = 2     # the structural induction over depth
"T2" = 3          # the data-matrix form: the mean over the batch
"G.base" = 3      # a layer type: the base case
"G.step" = 4      # a layer type: the induction step
"G.param" = 3     # a layer type: the parameter gradients

[policy]
# A step the submission does not provide as a function of its own:
# "implied" earns its points when the steps that compose it earn theirs;
# "nothing" earns none.
not_provided = "implied"
"""
# The module docstring shows the default rubric from this one text.
__doc__ = (__doc__ or "").replace("{default_rubric}",
                                  textwrap.indent(DEFAULT_RUBRIC_TOML.rstrip("\n"), "    "))


class Rubric(NamedTuple):
    """Points per step of the theorem, and the policy for steps not provided.

    Attributes
    ----------
    points : dict of str to float
        Step ID to points, in the proof's order; only ``T1.*``, ``T2``, ``G.*``.
    not_provided : {"implied", "nothing"}
        What a step the submission does not provide earns (module docstring).
    source : str
        Where the rubric came from, for messages ("the default rubric", a path).
    require_activations, require_costs : tuple of str
        The activations and costs every submission must support (module docstring);
        empty: none required.
    """

    points: dict[str, float]
    not_provided: str = "implied"
    source: str = "the default rubric"
    require_activations: tuple[str, ...] = ()
    require_costs: tuple[str, ...] = ()

    def steps_for(self, kind: str) -> list[str]:
        """The rubric's steps that concern a target of ``kind`` ("implementation" or "layer")."""
        return [s for s in self.points if _kind(s) == kind]


def _kind(step: str) -> str:
    return "layer" if get_step(step).kind == "generalization" else "implementation"


def parse_rubric(text: str, source: str = "the rubric") -> Rubric:
    """A :class:`Rubric` from TOML text.

    Raises
    ------
    InputError
        Naming the file and what is wrong: not TOML, no ``[points]`` table, an
        unknown step ID, a step that earns no points by its nature (a
        definition or a lemma), points that are not a number of at least 0, no
        step with points, an unknown policy, an unknown table or key.
    """
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{source} is not valid TOML: {exc}") from None
    unknown = sorted(set(data) - {"points", "policy", "require"})
    if unknown:
        raise InputError(f"{source} has unknown tables or keys {unknown}; expected [points] "
                         "and optionally [policy] and [require]")
    if not isinstance(data.get("points"), dict):
        raise InputError(f"{source} has no [points] table; expected e.g. [points] "
                         '"T1.step" = 4')
    points = _points(data["points"], source)
    policy = data.get("policy", {})
    if not isinstance(policy, dict):
        raise InputError(f"{source}: policy must be a table, [policy]")
    extra = sorted(set(policy) - {"not_provided"})
    if extra:
        raise InputError(f"{source}: [policy] has unknown keys {extra}; expected not_provided")
    not_provided = policy.get("not_provided", "implied")
    if not_provided not in POLICIES:
        raise InputError(f"{source}: [policy] not_provided is {not_provided!r}; expected one "
                         f"of {', '.join(repr(p) for p in POLICIES)}")
    activations, costs = _requirements(data.get("require", {}), source)
    return Rubric(points, not_provided, source, activations, costs)


def _requirements(table: object, source: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The ``[require]`` table's activations and costs, checked against the registries."""
    from proofcheck.activations import ACTIVATIONS
    from proofcheck.costs import COSTS

    if not isinstance(table, dict):
        raise InputError(f"{source}: require must be a table, [require]")
    extra = sorted(set(table) - {"activations", "costs"})
    if extra:
        raise InputError(f"{source}: [require] has unknown keys {extra}; expected activations "
                         "and costs")
    found = []
    for kind, registry in (("activations", ACTIVATIONS), ("costs", COSTS)):
        value = table.get(kind, [])
        known = list(registry)
        if value == "all":
            value = known
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise InputError(f"{source}: [require] {kind} = {value!r}; expected a list of "
                             f'names or "all"')
        unknown_names = [v for v in value if v not in known]
        if unknown_names:
            raise InputError(f"{source}: [require] {kind} names {unknown_names}, which "
                             f"proofcheck does not know; known: {', '.join(known)}")
        found.append(tuple(v for v in known if v in value))
    return found[0], found[1]


def _points(table: Mapping[str, object], source: str) -> dict[str, float]:
    checked: dict[str, float] = {}
    for step, value in table.items():
        if step not in STEP_IDS:
            raise InputError(f"{source}: [points] names {step!r}, which is not a step ID; "
                             f"the theorem's steps are {', '.join(_gradable())}")
        if step not in _gradable():
            kind = get_step(step).kind
            raise InputError(
                f"{source}: [points] gives points to {step}, {a_or_an(kind)} about the "
                "mathematics, the same for every student; only the theorem's steps earn "
                f"points: {', '.join(_gradable())}")
        if isinstance(value, bool) or not isinstance(value, (int, float)) or \
                not math.isfinite(value) or value < 0:
            raise InputError(f"{source}: [points] {step} = {value!r}; expected a number of "
                             "points, 0 or more")
        checked[step] = float(value)
    if not any(v > 0 for v in checked.values()):
        raise InputError(f"{source}: no step has points; give at least one step more than 0")
    order = {step: i for i, step in enumerate(STEP_IDS)}
    return {step: checked[step] for step in sorted(checked, key=order.__getitem__)}




def _gradable() -> list[str]:
    """The steps a rubric may give points: the theorem's and the generalization's."""
    return [s for s in STEP_IDS if get_step(s).kind in ("theorem", "generalization")]


def load_rubric(path: str | Path) -> Rubric:
    """Read a rubric from a TOML file (see the module docstring for its form).

    Raises
    ------
    InputError
        If the file cannot be read, or as :func:`parse_rubric`.
    """
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot read the rubric {str(path)!r}: "
                         f"{exc.strerror or type(exc).__name__}") from None
    return parse_rubric(text, f"the rubric {str(path)!r}")


#: The default rubric (:data:`DEFAULT_RUBRIC_TOML`).
DEFAULT_RUBRIC = parse_rubric(DEFAULT_RUBRIC_TOML, "the default rubric")
