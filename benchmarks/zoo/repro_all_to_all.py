"""_AlltoAll (torch.distributed.nn.functional, behind ``all_to_all``): with the gloo
backend its forward fills an output buffer that is not contiguous in memory order, so
the values come out permuted.

In a process group of one, ``all_to_all([out], [x])`` is ``(x,)``. On gloo, ``forward``
runs one ``dist.scatter`` per rank into the caller's buffers; for ``x`` transposed (a
valid, non-contiguous tensor) ``torch.empty_like(x)`` keeps its strides, and gloo's
``scatter`` writes the contiguous data into it in memory order. The result is not ``x``;
``backward`` (which allocates contiguous buffers) returns the cotangent unchanged, the
derivative of the identity, not of that permuted forward, so ``torch.autograd.gradcheck``
reports a Jacobian mismatch. Standalone: needs torch only (a gloo group of one process,
rendezvous through a file; no network).

    python benchmarks/zoo/repro_all_to_all.py
"""

from __future__ import annotations

import os
import tempfile
import warnings

import torch
import torch.distributed as dist
from torch.autograd.gradcheck import GradcheckError
from torch.distributed.nn.functional import all_to_all


def exchanged(x: torch.Tensor) -> torch.Tensor:
    return all_to_all([torch.empty_like(x)], [x])[0]


def main() -> int:
    warnings.simplefilter("ignore", FutureWarning)
    folder = tempfile.mkdtemp()
    dist.init_process_group("gloo", init_method="file://" + os.path.join(folder, "store"),
                            rank=0, world_size=1)
    x = torch.arange(6, dtype=torch.float64).reshape(3, 2).T
    y = exchanged(x)
    print(f"x (transposed, strides {x.stride()}):\n{x}\nall_to_all([empty_like(x)], [x])[0]:"
          f"\n{y}\nexpected x (a group of one)")
    try:
        ok = torch.autograd.gradcheck(
            exchanged, (torch.randn(3, 2, dtype=torch.float64).T.requires_grad_(),))
    except GradcheckError as exc:
        ok = False
        print("torch.autograd.gradcheck:", str(exc).splitlines()[0])
    print("torch.autograd.gradcheck passes:", ok)
    dist.destroy_process_group()
    return 0 if torch.equal(y, x) else 1


if __name__ == "__main__":
    raise SystemExit(main())
