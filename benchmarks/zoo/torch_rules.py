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

import atexit
import functools
import importlib
import os
import shutil
import tempfile
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


def switched(x: Any, W: Any) -> Any:
    """``torch.switch`` (a prototype, torch 2.14) at branch 1 of three: tanh(x @ W)."""
    from torch._higher_order_ops.switch import switch

    return switch(1, (lambda a, w: a @ w, lambda a, w: torch.tanh(a @ w),
                      lambda a, w: -(a @ w)), (x, W))


def to_dense_mkldnn(x: Any) -> Any:
    """``_ToDenseMkldnn`` (FakeTensor's to_dense of an MKLDNN tensor, torch 2.14) run on a
    real MKLDNN tensor, which holds float32 only: x rounded to float32 and back."""
    from torch._subclasses.fake_impls import _ToDenseMkldnn

    return _ToDenseMkldnn.apply(x.float().to_mkldnn(), None, None).double()


def float32_round_trip(x: Any) -> Any:
    return x.float().double()


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


def fake_quant(x: Any) -> Any:
    """``FakeQuantPerChannel`` over the features (axis 1), in the float32 it asserts."""
    from torch.ao.quantization.fx._decomposed import FakeQuantPerChannel

    n = x.shape[1]
    out = FakeQuantPerChannel.apply(x.float(), torch.full((n,), 0.125),
                                    torch.zeros(n, dtype=torch.int32), 1, -128, 127)
    return out.double()


def fake_quant_primal(x: Any) -> Any:
    """The same quantization with ordinary torch operations (round has derivative 0)."""
    return torch.clamp(torch.round(x / 0.125), -128, 127) * 0.125


def checkpointed(x: Any, W: Any) -> Any:
    """``tanh(x @ W)`` under reentrant checkpointing (``CheckpointFunction``)."""
    from torch.utils.checkpoint import checkpoint

    return checkpoint(tanh_primal, x, W, use_reentrant=True)


def tanh_primal(x: Any, W: Any) -> Any:
    return torch.tanh(x @ W)


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


# -- collective communication in a process group of one --------------------------------
#
# torch.distributed's Functions run in one CPU process once a group of one process is
# initialised (gloo, world size 1; a file store in a temporary folder, no network).
# There every collective is the identity (all_gather and friends return a tuple of one
# tensor), so the primal is written with ordinary operations, and the check runs the
# library's own backward code: the Function's backward, and the collectives it calls.
# The group is started by the entries' ``function``, when the zoo runs one, not on import.

def group_of_one() -> Any:
    """``torch.distributed``, with its default group initialised once in this process:
    gloo, rank 0 of 1, rendezvous through a file in a temporary folder (never TCP).
    Refuses a default group of another size that something else started."""
    dist = importlib.import_module("torch.distributed")
    if not dist.is_initialized():
        folder = tempfile.mkdtemp(prefix="zoo-group-")
        atexit.register(shutil.rmtree, folder, True)
        dist.init_process_group("gloo", init_method="file://" + os.path.join(folder, "store"),
                                rank=0, world_size=1)
    if dist.get_world_size() != 1:
        raise RuntimeError(f"the zoo's collective entries need a process group of one; this "
                           f"process has one of world size {dist.get_world_size()}")
    return dist


@functools.cache
def mesh_of_one() -> Any:
    """A one-device CPU ``DeviceMesh`` over the group of one."""
    group_of_one()
    from torch.distributed.device_mesh import init_device_mesh

    return init_device_mesh("cpu", (1,))


def _collectives() -> Any:
    return importlib.import_module("torch.distributed.nn.functional")


def all_reduce(x: Any) -> Any:
    return _collectives().all_reduce(x)


def broadcast(x: Any) -> Any:
    return _collectives().broadcast(x, src=0)


def reduce(x: Any) -> Any:
    return _collectives().reduce(x, dst=0)


def scatter(x: Any) -> Any:
    return _collectives().scatter([x], src=0)


def reduce_scatter(x: Any) -> Any:
    return _collectives().reduce_scatter(torch.empty_like(x), [x])


def all_to_all_single(x: Any) -> Any:
    return _collectives().all_to_all_single(torch.empty_like(x), x)


def gather(x: Any) -> Any:
    return _collectives().gather(x, dst=0)


def all_gather(x: Any) -> Any:
    return _collectives().all_gather(x)


def all_to_all(x: Any) -> Any:
    return _collectives().all_to_all([torch.empty_like(x)], [x])


def identity_of_one(x: Any) -> Any:
    """What gather, all_gather and all_to_all return in a group of one: a tuple of one."""
    return (x * 1,)


def _dtensor() -> Any:
    return importlib.import_module("torch.distributed.tensor")


def from_local_replicated(x: Any) -> Any:
    """``DTensor.from_local`` with ``run_check=True`` (it broadcasts a replicated input
    from rank 0), then ``to_local``."""
    d = _dtensor()
    return d.DTensor.from_local(x, mesh_of_one(), (d.Replicate(),), run_check=True).to_local()


def to_local_sharded(x: Any) -> Any:
    """``x`` as the one shard (along the features) of a DTensor, back by ``to_local``
    with the gradient's placement given."""
    d = _dtensor()
    shard = (d.Shard(1),)
    return d.DTensor.from_local(x, mesh_of_one(), shard).to_local(grad_placements=shard)


def full_tensor(x: Any) -> Any:
    """A DTensor sharded along the features, redistributed to replicated (an all-gather
    in a mesh of one) by ``full_tensor``."""
    d = _dtensor()
    return d.DTensor.from_local(x, mesh_of_one(), (d.Shard(1),)).full_tensor()


def redistribute_gradient(x: Any) -> Any:
    """The gradient of ``redistribute`` (replicated to sharded along the features) at the
    cotangent ``x``, kept differentiable: ``Redistribute.backward`` applies
    ``NestedRedistribute``, whose own backward is what differentiating this runs (the
    second derivative of redistribute, which the check's products are)."""
    d = _dtensor()
    mesh = mesh_of_one()
    with torch.enable_grad():
        point = torch.zeros_like(x, requires_grad=True)
        source = d.DTensor.from_local(point, mesh, (d.Replicate(),))
        out = source.redistribute(mesh, (d.Shard(1),))
        cotangent = d.DTensor.from_local(x, mesh, (d.Shard(1),))
        (grad,) = torch.autograd.grad(out, source, grad_outputs=cotangent, create_graph=True)
    return grad.to_local()


def _linear_of_width(width: int) -> Any:
    """``nn.Linear(width, width)`` in float64 with the fixed weights of ``linear_primal``."""
    module = torch.nn.Linear(width, width).double()
    with torch.no_grad():
        module.weight.copy_(_fixed(width, width))
        module.bias.copy_(_fixed(1, width)[0])
    return module


@functools.cache
def _ddp_of_width(width: int) -> Any:
    group_of_one()
    from torch.nn.parallel import DistributedDataParallel

    return DistributedDataParallel(_linear_of_width(width), find_unused_parameters=True)


def ddp_linear(x: Any) -> Any:
    """A linear layer wrapped in ``DistributedDataParallel`` with
    ``find_unused_parameters=True``, which passes its outputs through ``_DDPSink``."""
    return _ddp_of_width(x.shape[1])(x)


@functools.cache
def _fsdp_of_width(width: int) -> Any:
    mesh = mesh_of_one()
    from torch.distributed.fsdp import fully_shard

    return fully_shard(_linear_of_width(width), mesh=mesh)


def fsdp_linear(x: Any) -> Any:
    """A linear layer sharded by ``fully_shard`` over the mesh of one, whose pre-forward
    passes its inputs through ``RegisterPostBackwardFunction``."""
    return _fsdp_of_width(x.shape[1])(x)


def _plain(name: str, rule: str, function: Callable[..., Any], primal: Callable[..., Any],
           note: str, parameters: dict[str, Any] | None = None, min_batch: int = 1) -> Entry:
    options = {"input": "x", "parameters": parameters or {}, "primal": primal,
               "min_batch": min_batch}
    return Entry(name, "torch", rule, options, function=lambda: function, note=note)


def _in_group(name: str, rule: str, function: Callable[..., Any], primal: Callable[..., Any],
              note: str, outputs: tuple[str, ...] | None = None) -> Entry:
    """An entry whose function runs in the process group of one, started when the zoo
    asks for the function (not when this module is imported)."""
    options: dict[str, Any] = {"input": "x", "parameters": {}, "primal": primal}
    if outputs is not None:
        options["outputs"] = outputs

    def started() -> Callable[..., Any]:
        group_of_one()
        return function

    return Entry(name, "torch", rule, options, function=started, note=note)


def _cannot(name: str, rule: str, reason: str, in_scope: bool = True) -> Entry:
    return Entry(name, "torch", rule, reason=reason, in_scope=in_scope)


EW = "torch.nn.utils._expanded_weights"
EW_NOTE = ("through F.{op} with ExpandedWeight weights (as opacus and "
           "torch.nn.utils._per_sample_grad call it); the input's gradient only: the "
           "weights' per-example gradients go to .grad_sample, not to autograd, so the "
           "weights are fixed, not drawn")
GROUP_NOTE = ("in a process group of one (gloo, world size 1), through {what}: the "
              "collective is the identity there; the check runs the library's backward "
              "code path")
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
    _plain("SwitchAutogradOp", "torch._higher_order_ops.switch:SwitchAutogradOp", switched,
           tanh_affine, "through torch.switch (eager; a prototype of torch 2.14) at branch "
           "1 of three: tanh(x @ W)", parameters={"W": ("n_in", "n_out")}),
    _plain("_ToDenseMkldnn", "torch._subclasses.fake_impls:_ToDenseMkldnn", to_dense_mkldnn,
           float32_round_trip, "FakeTensor's to_dense of an MKLDNN tensor (torch 2.14), "
           "on a real MKLDNN tensor: float32 only, so x goes through float32 and back "
           "(the primal too)"),
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
           group_norm_expanded, group_norm_primal, EW_NOTE.format(op="group_norm")
           + "; min_batch 2: F.group_norm, the primal, refuses one value per channel",
           min_batch=2),
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
    _plain("CheckpointFunction", "torch.utils.checkpoint:CheckpointFunction", checkpointed,
           tanh_primal, "through torch.utils.checkpoint(..., use_reentrant=True) of "
           "tanh(x @ W), as training code wraps a block; its forward takes *args, so the "
           "plain function is described", parameters={"W": ("n_in", "n_out")}),
    _plain("FakeQuantPerChannel", "torch.ao.quantization.fx._decomposed:FakeQuantPerChannel",
           fake_quant, fake_quant_primal, "scale 1/8 and zero point 0 per feature, range "
           "-128..127; its forward asserts float32, so the plain function converts to float32 "
           "and back; a straight-through estimator: its backward is by design not the "
           "derivative (0 almost everywhere) of its piecewise-constant forward"),
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
    *[_cannot(n, f"torch.nn.parallel._functions:{n}", "moves tensors between CUDA devices",
              False)
      for n in ("Broadcast", "Gather", "ReduceAddCoalesced", "Scatter")],
    _cannot("SyncBatchNorm", "torch.nn.modules._functions:SyncBatchNorm",
            "its forward calls torch.batch_norm_stats, which has no CPU kernel: "
            "SyncBatchNorm.apply on a float64 CPU input in a gloo group of one raises "
            "NotImplementedError: Could not run 'aten::batch_norm_stats' with arguments from "
            "the 'CPU' backend (a CUDA-only operator)", False),
    _in_group("_DDPSink", "torch.nn.parallel.distributed:_DDPSink", ddp_linear,
              linear_primal, GROUP_NOTE.format(what="DistributedDataParallel(find_unused_"
                                               "parameters=True) of a fixed float64 "
                                               "nn.Linear(n_in, n_in); _DDPSink passes its "
                                               "output through")),
    _cannot("_LocalContiguous", "torch.distributed._local_tensor:_LocalContiguous",
            "a LocalTensor (one process simulating the shards of several ranks) has no "
            "differentiable way in from or out to a plain tensor: LocalTensor(...) asserts "
            "that its shards do not require grad and reconcile() returns a detached clone; "
            "inside LocalTensorMode(1), (x * LocalTensor({0: ones})).T.contiguous() does "
            "reach _LocalContiguousBackward, but its output and the gradient returned for "
            "the plain x are LocalTensors (the gradient one nested in another), not the "
            "float64 tensors from_torch exchanges", False),
    _in_group("RegisterPostBackwardFunction",
              "torch.distributed.fsdp._fully_shard._fsdp_param_group:"
              "RegisterPostBackwardFunction", fsdp_linear, linear_primal,
              GROUP_NOTE.format(what="fully_shard of a fixed float64 nn.Linear(n_in, n_in) "
                                     "over a one-device CPU DeviceMesh; its pre-forward "
                                     "passes the input through the Function") +
              "; the parameters are DTensors all-gathered in forward, their gradients "
              "reduce-scattered in backward"),
    _cannot("RegisterPreBackwardFunction",
            "torch.distributed.fsdp._fully_shard._fsdp_state:RegisterPreBackwardFunction",
            "fully_shard's post-forward applies it only under a torch.func transform, to "
            "outputs that report requires_grad=False there (otherwise it registers a tensor "
            "hook), and its backward then runs in that transform, not in torch.autograd: "
            "fully_shard of an nn.Linear over a one-device CPU mesh in a group of one, called "
            "plainly and under torch.func.vjp, never applied it", False),
    *[_in_group(n, f"torch.distributed.nn.functional:{n}", f, identity,
                GROUP_NOTE.format(what=f"torch.distributed.nn.functional.{call}") + more)
      for n, f, call, more in (
          ("_AllReduce", all_reduce, "all_reduce(x)", "; backward all-reduces the gradient"),
          ("_Broadcast", broadcast, "broadcast(x, src=0)", "; backward is _Reduce"),
          ("_Reduce", reduce, "reduce(x, dst=0)", "; backward is _Broadcast"),
          ("_Scatter", scatter, "scatter([x], src=0)", "; backward is _Gather"),
          ("_Reduce_Scatter", reduce_scatter, "reduce_scatter(empty_like(x), [x])",
           "; backward is _AllGather"),
          ("_AlltoAllSingle", all_to_all_single, "all_to_all_single(empty_like(x), x)",
           "; backward is _AlltoAllSingle"))],
    *[_in_group(n, f"torch.distributed.nn.functional:{n}", f, identity_of_one,
                GROUP_NOTE.format(what=f"torch.distributed.nn.functional.{call}") +
                "; a tuple of one tensor, declared as outputs=('x0',)" + more,
                outputs=("x0",))
      for n, f, call, more in (
          ("_Gather", gather, "gather(x, dst=0)", "; backward is _Scatter"),
          ("_AllGather", all_gather, "all_gather(x)",
           "; backward (gloo) is _AlltoAll and a sum"),
          ("_AlltoAll", all_to_all, "all_to_all([empty_like(x)], [x])",
           "; backward is _AlltoAll"))],
    _cannot("_AllGatherBase", "torch.distributed.nn.functional:_AllGatherBase",
            "its backward supports the NCCL and XCCL (GPU) backends only: in a gloo group "
            "of one, _all_gather_base(empty_like(x), x) runs forward, and its backward "
            "raises RuntimeError: Backend not supported!", False),
    _in_group("_FromTorchTensor", "torch.distributed.tensor._api:_FromTorchTensor",
              from_local_replicated, identity,
              GROUP_NOTE.format(what="DTensor.from_local(x, mesh, (Replicate(),), "
                                     "run_check=True).to_local() over a one-device CPU "
                                     "DeviceMesh (run_check broadcasts from rank 0)")),
    _in_group("_ToTorchTensor", "torch.distributed.tensor._api:_ToTorchTensor",
              to_local_sharded, identity,
              GROUP_NOTE.format(what="DTensor.from_local(x, mesh, (Shard(1),)).to_local("
                                     "grad_placements=(Shard(1),)) over a one-device CPU "
                                     "DeviceMesh")),
    _in_group("Redistribute", "torch.distributed.tensor._redistribute:Redistribute",
              full_tensor, identity,
              GROUP_NOTE.format(what="DTensor.from_local(x, mesh, (Shard(1),))"
                                     ".full_tensor() over a one-device CPU DeviceMesh: a "
                                     "redistribution from sharded to replicated")),
    _in_group("NestedRedistribute", "torch.distributed.tensor._redistribute:NestedRedistribute",
              redistribute_gradient, identity,
              GROUP_NOTE.format(what="the gradient of DTensor.redistribute (replicated to "
                                     "Shard(1), one-device CPU DeviceMesh) at the cotangent "
                                     "x, with create_graph=True: Redistribute.backward "
                                     "applies NestedRedistribute, and differentiating that "
                                     "gradient runs NestedRedistribute.backward (redistribute's "
                                     "second derivative)")),
]
