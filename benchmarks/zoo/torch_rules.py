"""The zoo's PyTorch entries: each ``torch.autograd.Function`` subclass that
``enumerate_rules.find_torch`` finds, with its ``from_torch`` description or the reason
it has none.

A Function whose ``forward`` takes arguments that are not float tensors (a size, a
dtype, a function) is described through a plain function of the tensors that calls
``Function.apply`` (or the public entry point that does) with those values, and a
``primal``: the same computation written with ordinary differentiable torch operations.
The products are then torch's autograd through the plain function, which reaches the
Function's ``backward``; the reference is autograd of the primal.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

from benchmarks.zoo.entries import Entry

torch: Any = importlib.import_module("torch")
F: Any = importlib.import_module("torch.nn.functional")
ROWS = {"input": "x", "parameters": {}}


def _class(rule: str) -> Callable[[], Any]:
    from benchmarks.zoo.entries import resolve

    return lambda: resolve(rule)


# -- plain functions around Functions that take more than float tensors ---------------

def resize(x: Any) -> Any:
    """``Resize`` to the transposed shape (a reshape, not a transpose), then ``.T``."""
    from torch.autograd._functions.tensor import Resize

    return Resize.apply(x, (x.shape[1], x.shape[0])).T


def resize_primal(x: Any) -> Any:
    return x.reshape(x.shape[1], x.shape[0]).T


def type_cast(x: Any) -> Any:
    from torch.autograd._functions.tensor import Type

    return Type.apply(x, "torch.DoubleTensor")


def identity(x: Any) -> Any:
    return x * 1


def hook(x: Any) -> Any:
    from torch.nn.modules._functions import BackwardHookFunction

    out = BackwardHookFunction.apply(x)
    return out[0] if isinstance(out, tuple) else out


LRN = {"size": 3, "alpha": 1.0, "beta": 0.75, "k": 1.0}


def cross_map_lrn(x: Any) -> Any:
    from torch.nn.modules._functions import CrossMapLRN2d

    return CrossMapLRN2d.apply(x[:, :, None, None], *LRN.values())[:, :, 0, 0]


def cond(x: Any, W: Any) -> Any:
    return torch.cond(torch.tensor(True), lambda a, w: torch.tanh(a @ w),
                      lambda a, w: a @ w, (x, W))


def tanh_affine(x: Any, W: Any) -> Any:
    return torch.tanh(x @ W)


def map_rows(x: Any, W: Any) -> Any:
    from torch._higher_order_ops.map import map as map_hop

    return map_hop(lambda row, w: torch.tanh(row @ w), x, W)


def scan_columns(x: Any) -> Any:
    """A running sum along each example's features, through ``sin``, by ``scan``."""
    from torch._higher_order_ops.scan import scan

    _, ys = scan(lambda c, col: (c + col, torch.sin(c + col)), torch.zeros_like(x[:, 0]),
                 x.T)
    return ys.T


def scan_primal(x: Any) -> Any:
    return torch.sin(torch.cumsum(x, dim=1))


def while_sin(x: Any) -> Any:
    from torch._higher_order_ops.while_loop import while_loop

    return while_loop(lambda i, a: i < 2, lambda i, a: (i + 1, torch.sin(a)),
                      (torch.tensor(0), x))[1]


def sin_sin(x: Any) -> Any:
    return torch.sin(torch.sin(x))


def _order(x: Any) -> list[Any]:
    n, width = x.shape
    return [torch.arange(n)[:, None], torch.arange(width - 1, -1, -1)[None, :]]


def mod_index(x: Any) -> Any:
    from torch._dynamo._trace_wrapped_higher_order_op import ModIndex

    return ModIndex.apply(x, _order(x))


def flip_primal(x: Any) -> Any:
    return torch.flip(x, dims=(1,))


def _fixed(n: int, m: int) -> Any:
    """A fixed weight matrix of shape ``(n, m)`` (not drawn: see the expanded-weight notes)."""
    return torch.linspace(-1, 1, n * m, dtype=torch.float64).reshape(n, m)


def _expanded(t: Any, n: int) -> Any:
    from torch.nn.utils._expanded_weights import ExpandedWeight

    return ExpandedWeight(t.requires_grad_(), n, "sum")


def linear_expanded(x: Any) -> Any:
    n, width = x.shape
    W, b = _fixed(width, width), _fixed(1, width)[0]
    return F.linear(x, _expanded(W, n), _expanded(b, n))


def linear_primal(x: Any) -> Any:
    width = x.shape[1]
    return F.linear(x, _fixed(width, width), _fixed(1, width)[0])


def layer_norm_expanded(x: Any) -> Any:
    n, width = x.shape
    return F.layer_norm(x, (width,), _expanded(_fixed(1, width)[0], n),
                        _expanded(_fixed(1, width)[0] / 2, n))


def layer_norm_primal(x: Any) -> Any:
    width = x.shape[1]
    return F.layer_norm(x, (width,), _fixed(1, width)[0], _fixed(1, width)[0] / 2)


def group_norm_expanded(x: Any) -> Any:
    n, width = x.shape
    return F.group_norm(x, 1, _expanded(_fixed(1, width)[0], n),
                        _expanded(_fixed(1, width)[0] / 2, n))


def group_norm_primal(x: Any) -> Any:
    width = x.shape[1]
    return F.group_norm(x, 1, _fixed(1, width)[0], _fixed(1, width)[0] / 2)


def instance_norm_expanded(x: Any) -> Any:
    """Each feature a channel of two positions (the example's feature and its square)."""
    n, width = x.shape
    pair = torch.stack([x, x * x], dim=2)
    return F.instance_norm(pair, weight=_expanded(_fixed(1, width)[0], n),
                           bias=_expanded(_fixed(1, width)[0] / 2, n))[:, :, 0]


def instance_norm_primal(x: Any) -> Any:
    width = x.shape[1]
    pair = torch.stack([x, x * x], dim=2)
    return F.instance_norm(pair, weight=_fixed(1, width)[0],
                           bias=_fixed(1, width)[0] / 2)[:, :, 0]


def conv_expanded(x: Any) -> Any:
    n = x.shape[0]
    kernel = _fixed(1, 2).reshape(1, 1, 2)
    return F.conv1d(x[:, None, :], _expanded(kernel, n), padding=1)[:, 0, :]


def conv_primal(x: Any) -> Any:
    return F.conv1d(x[:, None, :], _fixed(1, 2).reshape(1, 1, 2), padding=1)[:, 0, :]


def _plain(name: str, rule: str, function: Callable[..., Any], primal: Callable[..., Any],
           note: str, parameters: dict[str, Any] | None = None) -> Entry:
    options = {"input": "x", "parameters": parameters or {}, "primal": primal}
    return Entry(name, "torch", rule, options, function=lambda: function, note=note)


def _cannot(name: str, rule: str, reason: str, in_scope: bool = True) -> Entry:
    return Entry(name, "torch", rule, reason=reason, in_scope=in_scope)


EW = "torch.nn.utils._expanded_weights"
EW_NOTE = ("through F.{op} with ExpandedWeight weights (as opacus and "
           "torch.nn.utils._per_sample_grad call it); the input's gradient only: the "
           "weights' per-example gradients go to .grad_sample, not to autograd, so the "
           "weights are fixed, not drawn")
DIST = "needs an initialised torch.distributed process group (collective communication)"
HOP = ("internal to torch.compile's higher-order operators: its arguments are graphs and "
       "their operands, reached only by tracing")
ENTRIES = [
    Entry("MyAutogradFunction", "torch",
          "torch._export.db.examples.autograd_function:MyAutogradFunction", dict(ROWS),
          function=_class("torch._export.db.examples.autograd_function:MyAutogradFunction"),
          note="an example of torch.export's example database"),
    Entry("Realize", "torch", "torch._inductor.test_operators:Realize", dict(ROWS),
          function=_class("torch._inductor.test_operators:Realize"),
          note="a test operator of inductor"),
    _plain("Resize", "torch.autograd._functions.tensor:Resize", resize, resize_primal,
           "sizes static: the transposed shape, a reshape; then .T"),
    _plain("Type", "torch.autograd._functions.tensor:Type", type_cast, identity,
           "dest_type static: 'torch.DoubleTensor'"),
    _plain("BackwardHookFunction", "torch.nn.modules._functions:BackwardHookFunction", hook,
           identity, "the identity that nn.Module's full backward hooks wrap around"),
    Entry("CrossMapLRN2d", "torch", "torch.nn.modules._functions:CrossMapLRN2d",
          {"input": "x", "parameters": {}}, function=lambda: cross_map_lrn,
          note="size=3, alpha=1, beta=0.75, k=1 static; features as channels of a 1x1 "
               "image; reference: finite differences of its forward (which writes with out= "
               "and so cannot be recorded by autograd; F.local_response_norm is another "
               "window, so no primal)"),
    _plain("CondAutogradOp", "torch._higher_order_ops.cond:CondAutogradOp", cond,
           tanh_affine, "through torch.cond (eager), predicate true: tanh(x @ W)",
           parameters={"W": ("n_in", "n_out")}),
    _plain("MapAutogradOp", "torch._higher_order_ops.map:MapAutogradOp", map_rows,
           tanh_affine, "through the map operator over the examples: tanh(row @ W)",
           parameters={"W": ("n_in", "n_out")}),
    _plain("ScanAutogradOp", "torch._higher_order_ops.scan:ScanAutogradOp", scan_columns,
           scan_primal, "through scan along the features: sin(cumsum(x))"),
    _cannot("AssociativeScanAutogradOp",
            "torch._higher_order_ops.associative_scan:AssociativeScanAutogradOp",
            "not reached in eager mode on the CPU: associative_scan's generic mode runs as "
            "ordinary operations (its autograd graph has no AssociativeScanAutogradOp node), "
            "its pointwise mode needs CUDA"),
    _plain("WhileLoopAutogradOp", "torch._higher_order_ops.while_loop:WhileLoopAutogradOp",
           while_sin, sin_sin, "through while_loop: sin applied twice"),
    _plain("ModIndex", "torch._dynamo._trace_wrapped_higher_order_op:ModIndex", mod_index,
           flip_primal, "indices static: each example's features in reverse order"),
    _plain("LinearPerSampleGrad", f"{EW}.linear_expanded_weights:LinearPerSampleGrad",
           linear_expanded, linear_primal, EW_NOTE.format(op="linear")),
    _plain("LayerNormPerSampleGrad", f"{EW}.layer_norm_expanded_weights:LayerNormPerSampleGrad",
           layer_norm_expanded, layer_norm_primal, EW_NOTE.format(op="layer_norm")),
    _plain("GroupNormPerSampleGrad", f"{EW}.group_norm_expanded_weights:GroupNormPerSampleGrad",
           group_norm_expanded, group_norm_primal, EW_NOTE.format(op="group_norm")),
    _plain("InstanceNormPerSampleGrad",
           f"{EW}.instance_norm_expanded_weights:InstanceNormPerSampleGrad",
           instance_norm_expanded, instance_norm_primal,
           EW_NOTE.format(op="instance_norm") + "; each feature a channel of (x, x**2)"),
    _plain("ConvPerSampleGrad", f"{EW}.conv_expanded_weights:ConvPerSampleGrad",
           conv_expanded, conv_primal,
           EW_NOTE.format(op="conv1d") + "; features as positions, kernel 2, padding 1"),
    _cannot("EmbeddingPerSampleGrad", f"{EW}.embedding_expanded_weights:EmbeddingPerSampleGrad",
            "its input is integer indices; only the weight, whose gradient goes to "
            ".grad_sample, is differentiable", False),
    _cannot("CheckpointFunction", "torch.utils.checkpoint:CheckpointFunction",
            "its forward takes *args (from_torch needs a named argument for the input and "
            "each parameter; run_function and preserve_rng_state could be static), and a "
            "plain function calling checkpoint(..., use_reentrant=True) is differentiated "
            "by from_torch with torch.autograd.grad, which reentrant checkpointing refuses"),
    _cannot("FakeQuantPerChannel", "torch.ao.quantization.fx._decomposed:FakeQuantPerChannel",
            "forward asserts a float32 input (proofcheck runs float64); a straight-through "
            "estimator besides: its backward is by design not the derivative of its "
            "piecewise-constant forward"),
    _cannot("_Dirichlet", "torch.distributions.dirichlet:_Dirichlet",
            "its forward draws a random sample: no deterministic forward to differentiate"),
    _cannot("LOBPCGAutogradFunction", "torch._lobpcg:LOBPCGAutogradFunction",
            "its input is one symmetric matrix, not a batch of examples, and it returns "
            "two outputs (eigenvalues, eigenvectors)"),
    _cannot("Complex", "torch._subclasses.complex_tensor._core:Complex",
            "builds a complex tensor subclass; proofcheck's networks are real", False),
    _cannot("TracableCreateParameter", "torch._dynamo.create_parameter_op:TracableCreateParameter",
            "internal to torch.compile: it sets a placeholder nn.Parameter's storage in "
            "place", False),
    _cannot("FlexAttentionAutogradOp",
            "torch._higher_order_ops.flex_attention:FlexAttentionAutogradOp",
            "flex_attention's backward is not implemented on the CPU (NotImplementedError)"),
    _cannot("ViewBufferFromNested", "torch.nested._internal.nested_tensor:ViewBufferFromNested",
            "its input is a nested (jagged) tensor", False),
    _cannot("ViewNestedFromBuffer", "torch.nested._internal.nested_tensor:ViewNestedFromBuffer",
            "its output is a nested (jagged) tensor", False),
    _cannot("BaseHOPFunction", "torch._higher_order_ops.base_hop:BaseHOPFunction", HOP, False),
    _cannot("InvokeSubgraphAutogradOp",
            "torch._higher_order_ops.invoke_subgraph:InvokeSubgraphAutogradOp", HOP, False),
    _cannot("InvokeLeafFunctionAutogradOp",
            "torch._higher_order_ops.invoke_leaf_function:InvokeLeafFunctionAutogradOp", HOP,
            False),
    _cannot("LocalMapAutogradOp", "torch._higher_order_ops.local_map:LocalMapAutogradOp",
            HOP + "; for DTensor placements", False),
    _cannot("SyncBatchNorm", "torch.nn.modules._functions:SyncBatchNorm", DIST, False),
    *[_cannot(n, f"torch.nn.parallel._functions:{n}", "moves tensors between CUDA devices",
              False)
      for n in ("Broadcast", "Gather", "ReduceAddCoalesced", "Scatter")],
    _cannot("_DDPSink", "torch.nn.parallel.distributed:_DDPSink", DIST + " (DDP)", False),
    _cannot("_LocalContiguous", "torch.distributed._local_tensor:_LocalContiguous",
            "a LocalTensor (simulated distributed tensor) operation", False),
    *[_cannot(n, f"torch.distributed.fsdp._fully_shard.{m}:{n}", DIST + " (FSDP hooks)", False)
      for m, n in (("_fsdp_param_group", "RegisterPostBackwardFunction"),
                   ("_fsdp_state", "RegisterPreBackwardFunction"))],
    *[_cannot(n, f"torch.distributed.nn.functional:{n}", DIST, False)
      for n in ("_AllGather", "_AllGatherBase", "_AllReduce", "_AlltoAll", "_AlltoAllSingle",
                "_Broadcast", "_Gather", "_Reduce", "_Reduce_Scatter", "_Scatter")],
    *[_cannot(n, f"torch.distributed.tensor.{m}:{n}", DIST + " (DTensor)", False)
      for m, n in (("_api", "_FromTorchTensor"), ("_api", "_ToTorchTensor"),
                   ("_redistribute", "NestedRedistribute"), ("_redistribute", "Redistribute"))],
]
