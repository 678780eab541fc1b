"""The zoo's JAX entries: each ``custom_jvp``/``custom_vjp`` that ``enumerate_rules.find_jax``
finds, with its ``from_jax`` description or the reason it has none.

A second array argument (``y`` of ``xlogy``, ``x2`` of ``logaddexp``) is described as a
second per-example input (``per_example``): the layer's input stacks both, so the rule's
cotangent of each is checked.
"""

from __future__ import annotations

from typing import Any

from benchmarks.zoo.entries import Entry

ROW = (1, "n_in")
SECOND = "the second array argument {arg} is a second per-example input"


def _unary(name: str, rule: str, arg: str = "x", note: str = "") -> Entry:
    return Entry(name, "jax", rule, {"input": arg, "parameters": {}}, note=note)


def _binary(name: str, rule: str, arg: str, other: str) -> Entry:
    return Entry(name, "jax", rule, {"input": arg, "per_example": (other,), "parameters": {}},
                 note=SECOND.format(arg=other))


def poch_primal(z: Any, m: Any) -> Any:
    """``Gamma(z + m) / Gamma(z)`` without poch's branch at ``m = 0``, through the log-gamma
    function and the signs: the quotient of gammas themselves overflows in its autodiff
    (at ``z = m = 1.2e-284`` it gave ``-2.0e283`` for ``+2.0e283``)."""
    import jax.numpy as jnp
    from jax.scipy.special import gammaln, gammasgn

    return gammasgn(z + m) * gammasgn(z) * jnp.exp(gammaln(z + m) - gammaln(z))


NN = "jax._src.nn.functions"
SP = "jax._src.scipy.special"
ENTRIES = [
    _unary("relu", f"{NN}:relu"),
    _unary("relu6", f"{NN}:relu6"),
    _unary("log1mexp", f"{NN}:log1mexp", note="defined for x > 0 only"),
    Entry("softmax", "jax", f"{NN}:_softmax",
          {"input": "x", "parameters": {}, "static": {"axis": -1}},
          note="the rule inside jax.nn.softmax; axis (nondiff_argnums) static at -1, "
               "where and initial at their defaults"),
    _binary("logaddexp", "jax._src.lax.other:logaddexp", "x1", "x2"),
    _binary("logaddexp2", "jax._src.lax.other:logaddexp2", "x1", "x2"),
    _unary("i0", "jax._src.numpy.lax_numpy:_i0", note="the rule inside jnp.i0"),
    Entry("sinc_maclaurin", "jax", "jax._src.numpy.ufuncs:_sinc_maclaurin",
          {"input": "x", "parameters": {}, "static": {"k": 0}},
          note="the rule inside jnp.sinc, used there at x = 0 only; k static at 0"),
    _unary("dawsn", f"{SP}:_dawsn", note="the rule inside jax.scipy.special.dawsn"),
    _unary("erfcx", f"{SP}:_erfcx", note="the rule inside jax.scipy.special.erfcx"),
    _unary("xlogx", f"{SP}:_xlogx", note="the rule inside jax.scipy.special.entr; x >= 0"),
    _binary("owens_t", f"{SP}:_owens_t_impl", "h", "a"),
    _unary("expi", f"{SP}:expi"),
    Entry("expn", "jax", f"{SP}:expn", {"input": "x", "parameters": {}, "static": {"n": 1}},
          note="n (nondiff_argnums) static at 1; defined for x > 0"),
    Entry("hyp1f1", "jax", f"{SP}:hyp1f1",
          {"input": "x", "parameters": {"a": ROW, "b": ROW},
           "reference": "finite differences"},
          note="a and b described as parameters of shape (1, n_in); reference: finite "
               "differences, since autodiff of its series primal is wrong (0 for a/b at "
               "x = 0)"),
    Entry("hyp2f1", "jax", f"{SP}:hyp2f1",
          {"input": "x", "parameters": {"a": ROW, "b": ROW, "c": ROW}},
          note="a, b, c described as parameters of shape (1, n_in); defined for |x| < 1"),
    Entry("log_ndtr", "jax", f"{SP}:log_ndtr",
          {"input": "x", "parameters": {}, "static": {"series_order": 3}},
          note="series_order (nondiff_argnums) static at its default 3"),
    _unary("logit", f"{SP}:logit", note="defined for 0 < x < 1"),
    Entry("poch", "jax", f"{SP}:poch",
          {"input": "z", "per_example": ("m",), "parameters": {}, "primal": poch_primal},
          note="the second array argument m is a second per-example input; reference: "
               "autodiff of Gamma(z + m) / Gamma(z), through log-gamma, given as primal, "
               "since poch's own "
               "primal returns 1 where m == 0 through jnp.where, whose autodiff gives 0 "
               "for d/dm there (the rule's digamma(z) is right)"),
    _binary("xlog1py", f"{SP}:xlog1py", "x", "y"),
    _binary("xlogy", f"{SP}:xlogy", "x", "y"),
    _binary("zeta", f"{SP}:zeta", "x", "q"),
    Entry("custom_root", "jax", "jax._src.lax.control_flow.solves:_custom_root",
          reason="internal to lax.custom_root: its arguments are jaxprs and their "
                 "constants, not arrays (lax.custom_root's own rule is this one with "
                 "user functions)", in_scope=False),
    Entry("frexp", "jax", "jax._src.numpy.ufuncs:_frexp",
          {"input": "x", "parameters": {}, "outputs": ("mantissa", "exponent"),
           "ignore": ("exponent",), "reference": "finite differences"},
          note="the rule inside jnp.frexp; the integer exponent ignored by name, the "
               "mantissa checked; reference: finite differences, since its primal works "
               "on the bits of x and autodiff of it is 0"),
    Entry("wofz", "jax", f"{SP}:_wofz",
          reason="complex input and output; proofcheck's networks are real", in_scope=False),
    Entry("sici", "jax", f"{SP}:sici",
          {"input": "x", "parameters": {}, "outputs": ("Si", "Ci")},
          note="two outputs, both checked (z stacks Si and Ci); Ci defined for x > 0"),
    Entry("fresnel", "jax", "jax._src.third_party.scipy.special:fresnel",
          {"input": "x", "parameters": {}, "outputs": ("S", "C")},
          note="two outputs, both checked (z stacks S and C)"),
]
