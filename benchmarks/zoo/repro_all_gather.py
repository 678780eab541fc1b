"""_AllGather (torch.distributed.nn.functional, behind ``all_gather``): with the gloo
backend its backward returns the gradient in the wrong order when the gradient it
receives is not contiguous, e.g. when the gathered tensor is transposed downstream.

In a process group of one, ``all_gather(x)`` is ``(x,)``, so ``all_gather(x)[0].T`` is
``x.T`` and the gradient for a cotangent ``g`` is ``g.T``. On gloo, ``backward`` sends the
gradients through ``_AlltoAll`` into buffers made by ``torch.empty_like(grad)``, which
keep the gradient's (transposed) strides, and gloo's ``scatter`` writes into a buffer in
memory order regardless of its strides: the result is ``g.T`` read in the wrong order.
The last lines show that ``dist.scatter`` alone does it. ``torch.autograd.gradcheck``
reports the Jacobian mismatch. Standalone: needs torch only (a gloo group of one
process, rendezvous through a file; no network).

    python benchmarks/zoo/repro_all_gather.py
"""

from __future__ import annotations

import os
import tempfile
import warnings

import torch
import torch.distributed as dist
from torch.autograd.gradcheck import GradcheckError
from torch.distributed.nn.functional import all_gather


def gathered_transposed(x: torch.Tensor) -> torch.Tensor:
    return all_gather(x)[0].T


def main() -> int:
    warnings.simplefilter("ignore", FutureWarning)
    folder = tempfile.mkdtemp()
    dist.init_process_group("gloo", init_method="file://" + os.path.join(folder, "store"),
                            rank=0, world_size=1)
    x = torch.zeros(2, 3, dtype=torch.float64, requires_grad=True)
    g = torch.arange(6, dtype=torch.float64).reshape(3, 2)
    (gx,) = torch.autograd.grad(gathered_transposed(x), x, g)
    print(f"cotangent g of all_gather(x)[0].T:\n{g}\ngradient for x:\n{gx}\nexpected g.T:\n{g.T}")
    try:
        ok = torch.autograd.gradcheck(gathered_transposed, (torch.randn_like(x).requires_grad_(),))
    except GradcheckError as exc:
        ok = False
        print("torch.autograd.gradcheck:", str(exc).splitlines()[0])
    print("torch.autograd.gradcheck passes:", ok)
    source = torch.arange(6, dtype=torch.float64).reshape(2, 3)
    buffer = torch.empty(3, 2, dtype=torch.float64).T
    dist.scatter(buffer, [source], src=0)
    print(f"dist.scatter of\n{source}\ninto a transposed buffer gives\n{buffer}")
    dist.destroy_process_group()
    return 0 if torch.equal(gx, g.T) else 1


if __name__ == "__main__":
    raise SystemExit(main())
