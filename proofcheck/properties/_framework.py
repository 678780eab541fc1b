"""The framework the properties are written in: subjects, checks, properties, the registry.

A property module (:mod:`~proofcheck.properties._lemmas`,
:mod:`~proofcheck.properties._theorem`, ...) imports from here, defines its
check functions and registers each with :func:`register`; the package's
``__init__`` imports those modules so that every property is registered, and
re-exports what users and the runner need. See the package's docstring for
the modes and how a property's checks are judged.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Literal, NamedTuple

import numpy as np
from hypothesis import strategies as st
from numpy.typing import NDArray

from proofcheck._types import Float64Array
from proofcheck.errors import ImplementationError, InputError, one_line
from proofcheck.network import Network
from proofcheck.numerics.tolerances import TOLERANCES, Comparison, Tolerance, compare, term_scale
from proofcheck.protocol import PROTOCOL_FUNCTIONS
from proofcheck.steps import STEP_IDS, row_key

__all__ = [
    "MODES",
    "PROPERTIES",
    "Check",
    "Context",
    "Mode",
    "NotApplicable",
    "NotJudged",
    "OutsideOracleRange",
    "Property",
    "Subject",
    "UserCodeFailure",
    "WrongResult",
    "check",
    "register",
    "require_in_oracle_range",
    "result_array",
]

Mode = Literal["exact", "lemma", "isolated", "end-to-end", "oracle check"]
MODES: tuple[Mode, ...] = ("exact", "lemma", "isolated", "end-to-end", "oracle check")

class Check(NamedTuple):
    """One comparison made by a property on one example.

    Attributes
    ----------
    quantity : str
        What was compared, in the paper's notation (``"Delta^2"``).
    function : str or None
        The protocol function that computed the actual value, if any.
    layer : int or None
        The layer ``l`` the quantity belongs to.
    inputs : dict of str to array
        The arrays the function was given.
    actual, expected : arrays
        The implementation's value and the oracle's.
    comparison : Comparison
        The outcome, with the :class:`~proofcheck.numerics.tolerances.Tolerance` it
        was judged by (whose :attr:`~proofcheck.numerics.tolerances.Tolerance.name` is
        the row's tolerance kind).
    kink_convention : str or None
        Which value of the subdifferential the actual side used at potentials
        exactly at a kink, when the comparison accepted one
        (``"relu'(0) = 1: the right derivative"``); the report lists the
        conventions each row saw.
    note : str or None
        A numerical fact the verdict relied on beyond the reference's rounding
        (a forward formula accurate to the allowance of
        :mod:`proofcheck.numerics.forward_precision`); the report lists each row's notes.
    overruled : str or None
        Where the comparison was decided against one-sided finite differences of a
        layer's forward map, because the reference (autodiff of that forward map)
        disagreed with a value that lies within the one-sided derivatives there
        (:mod:`proofcheck.properties._third_opinion`); the report lists them.
    """

    quantity: str
    function: str | None
    layer: int | None
    inputs: dict[str, Float64Array]
    actual: Float64Array
    expected: Float64Array
    comparison: Comparison
    kink_convention: str | None = None
    note: str | None = None
    overruled: str | None = None


def check(quantity: str, actual: NDArray[Any], expected: NDArray[Any], *,
          kind: str = "gradient", function: str | None = None, layer: int | None = None,
          inputs: dict[str, Float64Array] | None = None,
          scale: float | Float64Array | None = None,
          kink_convention: str | None = None, overruled: str | None = None) -> Check:
    """Compare ``actual`` with ``expected`` and record what was compared.

    The comparison's scale is at least :func:`~proofcheck.numerics.tolerances.term_scale`
    of the ``inputs`` (the factors of the products the function formed), so a
    result that is small by cancellation is judged at the size of its terms.
    ``kind`` is a key of :data:`~proofcheck.numerics.tolerances.TOLERANCES`; the
    property that makes the check declares the same kind (``Property.tolerance``).
    """
    arrays = [v for v in (inputs or {}).values() if isinstance(v, np.ndarray)]
    if scale is None and arrays:
        scale = term_scale(*arrays)
    return Check(quantity, function, layer, dict(inputs or {}), np.asarray(actual),
                 np.asarray(expected), compare(actual, expected, kind, scale=scale),
                 kink_convention, overruled=overruled)


class NotApplicable(Exception):
    """A row cannot run on this implementation (the reason is the message): it reads
    "not provided"."""


class NotJudged(Exception):
    """The example is outside what the row can judge, for a reason that is not the
    implementation's fault (the message, a note for the report): its forward formula
    left the statement where a correct one may (:func:`proofcheck.numerics.forward_precision.
    leaves_domain`). The row counts it and shows the note; it is not a failure."""


class OutsideOracleRange(Exception):
    """The oracle's value on this example is not finite: the example is discarded, not judged.

    The oracle is JAX's autodiff of the forward maps as their authors wrote them; a
    formula that is fine in float64 can have a derivative that autodiff cannot form
    there (``1 / (1 + exp(-q))`` at ``q = -710``: ``exp(710)`` overflows and its
    derivative is ``inf / inf``). Such an example says nothing about the products
    under check, and no function may be blamed for an input the oracle made: the
    runner counts it (the row's ``outside_oracle_range``) and rejects it, and
    Hypothesis draws another. The message says which value was not finite.
    """


def require_in_oracle_range(values: dict[str, Any], where: str) -> None:
    """Raise :class:`OutsideOracleRange` if an oracle value in ``values`` is not finite.

    ``values`` maps a name in the paper's notation (``"delta^2"``, ``"dC/dW^1"``)
    to an array of the oracle's (or a list or dict of them); ``where`` says what
    the oracle differentiated, for the message.
    """
    for name, value in values.items():
        if isinstance(value, dict):
            require_in_oracle_range({f"{name}[{k!r}]": v for k, v in value.items()}, where)
            continue
        if isinstance(value, list | tuple):
            require_in_oracle_range({f"{name}[{i}]": v for i, v in enumerate(value)}, where)
            continue
        x = np.asarray(value, dtype=np.float64)
        bad = ~np.isfinite(x)
        if np.any(bad):
            index = [int(i) for i in np.argwhere(bad)[0]]
            raise OutsideOracleRange(f"the oracle's {name} is {float(x[tuple(index)])!r} at "
                                     f"index {index} ({where})")


class UserCodeFailure(Exception):
    """The implementation raised inside one of its functions: a failing example."""

    def __init__(self, function: str, last_line: str, inputs: dict[str, Float64Array]) -> None:
        super().__init__(f"{function} raised {last_line}")
        self.function = function
        self.last_line = last_line
        self.inputs = inputs


class WrongResult(UserCodeFailure):
    """A protocol function returned an array that cannot be compared: a failing example.

    The array is of the wrong shape (or a list of the wrong length), or holds
    NaN or infinity where the oracle is finite. That is a wrong result on this
    example, like a wrong value: Hypothesis shrinks it and the row fails with
    it as its counterexample.

    Attributes
    ----------
    message : str
        What was returned and what was expected ("gradients returned dWs[0]
        with shape (3, 2); expected (2, 3) (dW^1 : (n_1, n_0))").
    nonfinite : bool
        Whether the array was rejected for a NaN or an infinity (not its shape).
    """

    def __init__(self, function: str, message: str, inputs: dict[str, Float64Array], *,
                 nonfinite: bool = False) -> None:
        super().__init__(function, message, inputs)
        self.message = message
        self.nonfinite = nonfinite


@dataclass
class Subject:
    """The implementation under check, with every call validated.

    A call to a protocol function is given copies of its arguments (so the
    implementation cannot change the oracle's values), and its result is
    checked:

    - an exception in the function becomes a :class:`UserCodeFailure`, and an
      array of the wrong shape (for ``gradients``, also a list with the wrong
      number of arrays) or with NaN or infinity a :class:`WrongResult`: both
      are failing examples, which Hypothesis shrinks;
    - a result that is not a float64 numpy array (for ``gradients``, not a pair
      of lists or tuples) raises :class:`~proofcheck.errors.ImplementationError`:
      the implementation does not follow the protocol, and nothing of it can be
      compared.

    It also records which protocol functions ran (:attr:`called`): while a
    protocol function of the implementation runs, every protocol function it
    provides is wrapped on the implementation object (an instance attribute,
    or a module's global), so that a call its own code makes, such as a
    ``gradients`` that calls ``self.weight_grad``, is recorded as well as the
    calls the check makes; the wrappers are removed when the call returns, so
    the object is left as it was. The report decides from these facts whether
    a failing row ran the root cause's function
    (:func:`proofcheck.diagnosis.report.consequences`).

    Attributes
    ----------
    called : list of str or None
        The protocol functions that ran since :meth:`start_example`, in the
        order first called; ``None`` when the implementation's functions cannot
        be wrapped (an object without an instance dictionary, a frozen
        dataclass, a read-only property), so that only what the check calls
        directly is known.
    """

    impl: Any
    name: str = "implementation"
    called: list[str] | None = field(default_factory=list, repr=False, compare=False)

    def start_example(self) -> None:
        """Forget the calls recorded so far (a new example starts)."""
        self.called = [] if self.called is not None else None

    def _note(self, function: str) -> None:
        if self.called is not None and function not in self.called:
            self.called.append(function)

    @contextlib.contextmanager
    def _recording(self) -> Iterator[None]:
        """Wrap the implementation's protocol functions while its code runs (see above)."""
        impl, saved = self.impl, []
        try:
            for f in PROTOCOL_FUNCTIONS:
                if not self.provides(f.name):
                    continue
                own = vars(impl)
                saved.append((f.name, f.name in own, own.get(f.name)))
                setattr(impl, f.name, _recorder(self, f.name, getattr(impl, f.name)))
        except (AttributeError, TypeError):  # no instance dictionary, or attributes refused
            self.called = None
        try:
            yield
        finally:
            for name, had, value in reversed(saved):
                with contextlib.suppress(AttributeError, TypeError):
                    if had:
                        setattr(impl, name, value)
                    else:
                        delattr(impl, name)

    def provides(self, function: str) -> bool:
        return callable(getattr(self.impl, function, None))

    def missing(self, prop: Property) -> list[str]:
        """The protocol functions ``prop`` needs that the implementation does not provide."""
        missing = [f for f in prop.needs if not self.provides(f)]
        if prop.needs_any and not any(self.provides(f) for f in prop.needs_any):
            missing.append(" or ".join(prop.needs_any))
        return missing

    def calls_of(self, prop: Property) -> list[str]:
        """The protocol functions ``prop`` calls on this implementation.

        Its ``needs``, and those of its ``needs_any`` that the implementation
        provides.
        """
        return [*prop.needs, *(f for f in prop.needs_any if self.provides(f))]

    def call(self, function: str, args: dict[str, Any], *, owner: Any = None) -> Any:
        """Call user code safely: ``function`` of the implementation (or of ``owner``).

        The function gets copies of ``args`` (in order, positionally), so it
        cannot change the oracle's values. An exception it raises becomes a
        :class:`UserCodeFailure` naming the function and the exception's last
        line (a failing example); :class:`~proofcheck.errors.ImplementationError`
        and :class:`~proofcheck.errors.InputError` pass through. ``owner`` is
        another object of the user's whose method is called, such as a layer
        type in a network (its label is then ``Type.method``).
        """
        target = self.impl if owner is None else owner
        label = function if owner is None else f"{type(owner).__name__}.{function}"
        copies = {k: _copy(v) for k, v in args.items()}
        recording = self._recording() if owner is None else contextlib.nullcontext()
        try:
            if owner is None:
                self._note(function)
            with recording:
                return getattr(target, function)(*copies.values())
        except (ImplementationError, InputError):
            raise
        except Exception as exc:  # the user's code crashed: a failing row, not our crash
            last = one_line(exc)
            raise UserCodeFailure(label, last, _arrays(args)) from None

    def array(self, function: str, args: dict[str, Any], shape: tuple[int, ...],
              shape_text: str | None = None, *, owner: Any = None) -> Float64Array:
        """:meth:`call`, for a function that returns one finite float64 array of ``shape``.

        Raises :class:`WrongResult` (a failing example) for a wrong shape or a
        NaN or infinity, :class:`~proofcheck.errors.ImplementationError` for
        anything that is not a float64 array.
        """
        label = function if owner is None else f"{type(owner).__name__}.{function}"
        return result_array(label, self.call(function, args, owner=owner), shape,
                            str(shape) if shape_text is None else shape_text, args)

    def gradients(self, net: Network) -> tuple[list[Float64Array], list[Float64Array]]:
        """Call ``gradients`` on the paper's network ``net`` (its arrays and names, as the
        implementation protocol takes them) and check the two lists it returns."""
        weights = net.weights
        args = {"weights": weights, "biases": net.biases,
                "activations": list(net.activation_names), "cost": net.cost, "X": net.X,
                "Y": net.Y}
        result = self.call("gradients", args)
        k = len(weights)
        if not (isinstance(result, (tuple, list)) and len(result) == 2):
            raise ImplementationError(
                f"gradients returned {_what(result)}; expected a pair (dWs, dbs) of lists "
                f"with one array per layer (called with {_shapes(args)})")
        dWs, dbs = result
        for name, value in (("dWs", dWs), ("dbs", dbs)):
            if not isinstance(value, (tuple, list)):
                raise ImplementationError(
                    f"gradients returned {name} as {_what(value)}; expected a list of k = {k} "
                    f"arrays, one per layer (called with {_shapes(args)})")
        for name, value in (("dWs", dWs), ("dbs", dbs)):
            if len(value) != k:
                raise WrongResult("gradients", (
                    f"gradients returned {name} as a {type(value).__name__} of {len(value)} "
                    f"arrays; expected k = {k}, one per layer"), _arrays(args))
        out_W = [result_array("gradients", dW, W.shape, f"dW^{l + 1} : (n_{l + 1}, n_{l})",
                               args, label=f"dWs[{l}]")
                 for l, (dW, W) in enumerate(zip(dWs, weights, strict=True))]
        out_b = [result_array("gradients", db, b.shape, f"db^{l + 1} : (n_{l + 1},)",
                               args, label=f"dbs[{l}]")
                 for l, (db, b) in enumerate(zip(dbs, net.biases, strict=True))]
        return out_W, out_b


def _recorder(subject: Subject, function: str, original: Callable[..., Any]) -> Callable[..., Any]:
    """``original``, which notes on ``subject`` that ``function`` ran."""

    @functools.wraps(original)
    def recorded(*args: Any, **kwargs: Any) -> Any:
        subject._note(function)
        return original(*args, **kwargs)

    return recorded


def _copy(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return value.copy()
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value


def _arrays(args: dict[str, Any]) -> dict[str, Float64Array]:
    """The array arguments of a call, for a counterexample (the network holds the rest)."""
    return {k: v for k, v in args.items() if isinstance(v, np.ndarray)}


def _what(value: Any) -> str:
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape} and dtype {value.dtype}"
    if isinstance(value, (list, tuple)):
        return f"a {type(value).__name__} of length {len(value)}"
    return f"a {type(value).__name__}"


def _shapes(args: dict[str, Any]) -> str:
    parts = []
    for name, value in args.items():
        if isinstance(value, np.ndarray):
            parts.append(f"{name} {value.shape}")
        elif isinstance(value, list) and value and isinstance(value[0], np.ndarray):
            parts.append(f"{name} [{', '.join(str(v.shape) for v in value)}]")
        else:
            parts.append(f"{name}={value!r}")
    return ", ".join(parts)


def _expected_shape(shape: tuple[int, ...], shape_text: str) -> str:
    """``(2, 3) (dW^1 : (n_1, n_0))``, or ``(n_l, N) = (2, 1)`` for a bare shape formula."""
    if shape_text == str(shape):
        return str(shape)
    if shape_text.startswith("("):
        return f"{shape_text} = {shape}"
    return f"{shape} ({shape_text})"


def result_array(function: str, value: Any, shape: tuple[int, ...], shape_text: str,
                 args: dict[str, Any], label: str = "") -> Float64Array:
    """``value`` if it is a finite float64 array of ``shape`` (``function`` returned it).

    Raises
    ------
    ImplementationError
        If it is not a float64 numpy array (the protocol is not followed).
    WrongResult
        If its shape is wrong or it holds NaN or infinity (a failing example).
    """
    what = f"{function} returned {label + ' as ' if label else ''}"
    if not isinstance(value, np.ndarray):
        raise ImplementationError(
            f"{what}{_what(value)}; expected a float64 numpy array of shape "
            f"{_expected_shape(shape, shape_text)} (called with {_shapes(args)})")
    if value.dtype != np.float64:
        raise ImplementationError(
            f"{what}an array of dtype {value.dtype}; expected float64, shape "
            f"{_expected_shape(shape, shape_text)} (called with {_shapes(args)})")
    returned = f"{function} returned {label or 'an array'}"
    if value.shape != shape:
        raise WrongResult(function, (
            f"{returned} with shape {value.shape}; expected "
            f"{_expected_shape(shape, shape_text)}"), _arrays(args))
    if not np.all(np.isfinite(value)):
        index = tuple(int(i) for i in np.argwhere(~np.isfinite(value))[0])
        raise WrongResult(function, (
            f"{returned} with {float(value[index])!r} at index {list(index)} (shape {shape}) "
            "where the oracle is finite"), _arrays(args), nonfinite=True)
    return value


class Context(NamedTuple):
    """What a property's strategy may draw from, for one run of the check.

    Attributes
    ----------
    activations, costs : frozenset of str or None
        The implementation's ``supported_activations`` / ``supported_costs``
        (``None``: every registered one).
    layers : tuple of layer types
        The layer maps and activation maps the generalized properties mix
        (see :mod:`proofcheck.layers`).
    focus : layer type or None
        A layer type that every generated network must contain (``verify(layer=...)``).
    """

    activations: frozenset[str] | None = None
    costs: frozenset[str] | None = None
    layers: tuple[Any, ...] = ()
    focus: Any = None


@dataclass(frozen=True)
class Property:
    """An executable check of one step in one mode.

    Attributes
    ----------
    step : str
        The step ID it checks.
    mode : {"exact", "lemma", "isolated", "end-to-end", "oracle check"}
    needs : tuple of str
        Protocol functions it calls (empty for lemmas); a subject without one
        of them gets the row "not provided".
    generates : str
        What Hypothesis draws for it, in a sentence.
    compares : str
        What it compares with what, in a sentence.
    strategy : callable ``(context) -> strategy``
        The examples, drawn within the run's :class:`Context`.
    check : callable ``(subject, example) -> list of Check``
    oracle : str
        Where the expected values come from.
    layer : str or None
        The layer type a lemma-level property of the generalization checks.
    needs_any : tuple of str
        Protocol functions of which at least one must be provided (the
        property checks those that are).
    about : {"mathematics", "implementation", "layers"}
        What a failure would be about: the lemmas and the oracle (independent
        of what is checked), the implementation of the protocol (T1, T2), or
        the layer types (G.*); ``verify`` runs the rows that concern what it
        was given.
    tolerance : str or Tolerance
        The tolerance kind its checks compare with: a key of
        :data:`~proofcheck.numerics.tolerances.TOLERANCES` (default ``"gradient"``) or a
        :class:`~proofcheck.numerics.tolerances.Tolerance` of its own (the exact rows').
        The report shows it for the row, also when the row did not run.
    examples : callable ``(context) -> list``, optional
        Examples every run checks first, in every profile, before the drawn ones:
        regimes that a mistake may need and that the strategy reaches only
        now and then.
    """

    step: str
    mode: Mode
    needs: tuple[str, ...]
    generates: str
    compares: str
    strategy: Callable[[Context], st.SearchStrategy[Any]]
    check: Callable[[Subject, Any], list[Check]]
    oracle: str = "JAX autodiff, float64"
    layer: str | None = None
    about: Literal["mathematics", "implementation", "layers"] = "implementation"
    needs_any: tuple[str, ...] = ()
    tolerance: str | Tolerance = "gradient"
    examples: Callable[[Context], list[Any]] | None = None

    @property
    def declared_tolerance(self) -> Tolerance:
        """The :class:`~proofcheck.numerics.tolerances.Tolerance` that ``tolerance`` names."""
        return TOLERANCES[self.tolerance] if isinstance(self.tolerance, str) else self.tolerance

    @property
    def name(self) -> str:
        """The name of the function that implements the check."""
        return getattr(self.check, "__name__", repr(self.check))

    @property
    def key(self) -> str:
        """``"T1.step/isolated"`` (``"G.step/lemma/Conv1D"``): unique per property."""
        return row_key(self.step, self.mode, self.layer)


#: Every property, in registration (proof) order.
PROPERTIES: list[Property] = []


def register(prop: Property) -> Property:
    """Add ``prop`` to :data:`PROPERTIES` (its step ID must be in the step list)."""
    if prop.step not in STEP_IDS:
        raise ValueError(f"property {prop.name} names step {prop.step!r}, which is not in "
                         f"proofcheck.steps.STEP_IDS")
    if prop.mode not in MODES:
        raise ValueError(f"property {prop.name} has mode {prop.mode!r}; expected one of {MODES}")
    if isinstance(prop.tolerance, str) and prop.tolerance not in TOLERANCES:
        raise ValueError(f"property {prop.name} declares the tolerance kind {prop.tolerance!r}; "
                         f"expected a key of proofcheck.tolerances.TOLERANCES: "
                         f"{', '.join(TOLERANCES)}, or a Tolerance")
    if any(p.key == prop.key for p in PROPERTIES):
        raise ValueError(f"a property for {prop.key} is already registered")
    PROPERTIES.append(prop)
    return prop
