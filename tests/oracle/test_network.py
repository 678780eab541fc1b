"""The oracle: float64 only, and padding to buckets changes nothing."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings

from proofcheck.activations import ACTIVATIONS
from proofcheck.network import affine_forward, mean_cost
from proofcheck.numerics.tolerances import compare
from proofcheck.oracle import network as oracle
from proofcheck.strategies import Network, networks


@pytest.mark.parametrize("host_x64", [False, True])
def test_the_oracle_runs_in_float64_and_leaves_the_host_as_found(host_x64: bool) -> None:
    W, b = [np.full((1, 1), 1 / 3)], [np.zeros(1)]
    before = (jax.config.jax_enable_x64, jax.config.jax_numpy_rank_promotion)
    with jax.enable_x64(host_x64):
        truth = oracle.network_gradients(Network.paper(W, b, ("tanh",), "squared_error",
                                                 np.ones((1, 1)), np.ones((1, 1))))
        derivative = oracle.elementwise_derivative("tanh", np.full((1, 1), 1 / 3))
        assert jax.config.jax_enable_x64 is host_x64
        assert jnp.ones(1).dtype == (jnp.float64 if host_x64 else jnp.float32)
    assert (jax.config.jax_enable_x64, jax.config.jax_numpy_rank_promotion) == before
    assert truth.dWs[0].dtype == derivative.dtype == np.float64
    assert derivative[0, 0] == pytest.approx(1 - np.tanh(1 / 3) ** 2, rel=1e-15)


def test_bucket_sizes() -> None:
    assert [oracle._bucket(n) for n in (1, 8, 9, 16, 17)] == [8, 8, 16, 16, 32]
    assert [oracle._bucket(k, oracle.MIN_DEPTH_BUCKET) for k in (1, 6, 8, 9)] == [8, 8, 8, 16]


def test_every_depth_up_to_the_bucket_shares_one_program() -> None:
    """Depths 1 to 8 (widths and batch in the first bucket) trace one function, and each
    result has the network's own depth: the padded layers are cut off."""
    function = oracle._network_function(oracle._tables())
    rng = np.random.default_rng(0)
    sizes = []
    for k in range(1, 9):
        weights = [rng.uniform(-1, 1, (3, 3)) for _ in range(k)]
        net = Network.paper(weights, [rng.uniform(-1, 1, 3) for _ in range(k)], ("tanh",) * k,
                      "squared_error", rng.uniform(-1, 1, (3, 2)), rng.uniform(-1, 1, (3, 2)))
        o = oracle.network_gradients(net)
        assert (len(o.Zs), len(o.As), len(o.deltas), len(o.dWs)) == (k, k + 1, k, k)
        sizes.append(function._cache_size())
    assert sizes[-1] == sizes[0]


def _unpadded(net: Network) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Eager jax.grad of the mean cost, with no padding and no switch: a second route."""

    def C(Ws: list[jax.Array], bs: list[jax.Array]) -> jax.Array:
        maps = [lambda Z, f=ACTIVATIONS[name].forward: f(Z, jnp) for name in net.activation_names]
        _, As = affine_forward(Ws, bs, maps, jnp.asarray(net.X), jnp)
        return mean_cost(As[-1], jnp.asarray(net.Y), net.cost, jnp)

    with jax.enable_x64(True):
        dW, db = jax.grad(C, argnums=(0, 1))([jnp.asarray(W) for W in net.weights],
                                             [jnp.asarray(b) for b in net.biases])
    return [np.asarray(x) for x in dW], [np.asarray(x) for x in db]


# Few examples: the unpadded route runs JAX eagerly, which compiles every
# primitive anew for each new shape (about 3 s an example here). Widths up to
# 12 and batches up to 10 cross the first bucket boundary (8).
@settings(max_examples=6)
@given(networks(max_depth=3, min_width=5, max_width=12, max_batch=10))
def test_padding_is_exact(net: Network) -> None:
    """The padded, switched, jitted oracle equals plain eager jax.grad (widths cross a bucket)."""
    o = oracle.network_gradients(net)
    dW, db = _unpadded(net)
    for got, want in zip(o.dWs + o.dbs, dW + db, strict=True):
        assert got.shape == want.shape
        assert compare(got, want).holds


def test_oracle_check_catches_a_broken_oracle(monkeypatch: pytest.MonkeyPatch) -> None:
    """The second oracle is not decoration: a wrong delta in the first one is caught."""
    import proofcheck

    real = oracle.network_gradients

    def broken(*args: object, **kwargs: object) -> oracle.NetworkGradients:
        o = real(*args, **kwargs)  # type: ignore[arg-type]
        return o._replace(deltas=[d * 1.001 for d in o.deltas])

    monkeypatch.setattr(oracle, "network_gradients", broken)
    report = proofcheck.verify(profile="ci", steps=["T1.grad"], database=False)
    row = report.row("T1.grad", "oracle check")
    assert row.status == "fails"
    assert report.diagnosis.mode == "oracle check"
    assert "no verdict of this run can be trusted" in report.diagnosis.message


# --- one oracle for every network ---------------------------------------------------------


def test_the_paper_path_and_the_general_path_agree_on_a_papers_network(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """``network_gradients`` pads the paper's network and runs any other unpadded: a
    network of the same maps written with the general path's layer types must give the
    same values (to rounding: the two programs sum in different orders)."""
    from proofcheck.layers import Affine, Elementwise
    from proofcheck.oracle import _programs

    class Unpadded(Affine):
        """The affine map under a type of its own: ``is_paper`` asks for the type itself,
        so a subclass (which may change anything) takes the general path."""

        name = "Unpadded"

    rng = np.random.default_rng(1)
    Ws = [rng.uniform(-1, 1, (3, 2)), rng.uniform(-1, 1, (1, 3))]
    bs = [rng.uniform(-1, 1, 3), rng.uniform(-1, 1, 1)]
    X, Y = rng.uniform(-1, 1, (2, 4)), rng.uniform(-1, 1, (1, 4))
    paper = Network.paper(Ws, bs, ("tanh", "sigmoid"), "squared_error", X, Y)
    general = Network([Unpadded(2, 3), Unpadded(3, 1)], paper.params,
                      [Elementwise("tanh"), Elementwise("sigmoid")], "squared_error", X, Y)
    assert paper.is_paper and not general.is_paper
    monkeypatch.setattr(_programs, "PROGRAMS", type(_programs.PROGRAMS)())
    p = oracle.network_gradients(paper)
    assert not _programs.PROGRAMS  # the padded path keeps its own programs
    g = oracle.network_gradients(general)
    assert [key[0] for key in _programs.PROGRAMS] == ["network"]  # the general path ran
    assert p.dfzs is not None and g.dfzs is None
    for mine, theirs in zip([*p.deltas, *p.dWs, *p.dbs, p.grad_a, *p.Zs, *p.As],
                            [*g.deltas, *g.dWs, *g.dbs, g.grad_a, *g.Zs, *g.As], strict=True):
        assert compare(mine, theirs, "gradient").holds
    assert abs(p.C - g.C) <= 1e-14 * abs(g.C)
    with pytest.raises(TypeError, match="paper's network"):
        _ = g.derivatives
    with pytest.raises(ValueError, match="kink_derivatives"):
        oracle.network_gradients(general, kink_derivatives={"relu": 1.0})
