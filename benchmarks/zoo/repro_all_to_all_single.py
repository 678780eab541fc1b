"""_AlltoAllSingle (torch.distributed.nn.functional, behind ``all_to_all_single``): with
the gloo backend its forward refuses an input that is not contiguous.

In a process group of one, ``all_to_all_single(out, x)`` is ``x``. Its siblings
(``all_gather``, ``all_to_all``, ``reduce_scatter``, ``gather``) call ``.contiguous()``
on their inputs before the collective, and ``_AlltoAllSingle.backward`` does so for the
gradient, but ``_AlltoAllSingle.forward`` passes the input as given, and gloo's
``all_to_all_single`` raises ``ValueError: Tensors must be contiguous`` for ``x.T``. Not
a wrong derivative: the same call on ``x.T.contiguous()`` passes
``torch.autograd.gradcheck``. Standalone: needs torch only (a gloo group of one process,
rendezvous through a file; no network).

    python benchmarks/zoo/repro_all_to_all_single.py
"""

from __future__ import annotations

import os
import tempfile
import warnings

import torch
import torch.distributed as dist
from torch.distributed.nn.functional import all_gather, all_to_all_single


def exchanged(x: torch.Tensor) -> torch.Tensor:
    return all_to_all_single(torch.empty_like(x, memory_format=torch.contiguous_format), x)


def main() -> int:
    warnings.simplefilter("ignore", FutureWarning)
    folder = tempfile.mkdtemp()
    dist.init_process_group("gloo", init_method="file://" + os.path.join(folder, "store"),
                            rank=0, world_size=1)
    x = torch.randn(3, 2, dtype=torch.float64).T.requires_grad_()
    print("all_gather(x.T) runs:", all_gather(x)[0].shape)
    refused = False
    try:
        exchanged(x)
    except ValueError as exc:
        refused = True
        print(f"all_to_all_single(out, x.T) raises ValueError: {exc}")
    contiguous = x.detach().contiguous().requires_grad_()
    print("gradcheck on x.T.contiguous():", torch.autograd.gradcheck(exchanged, (contiguous,)))
    dist.destroy_process_group()
    return 1 if refused else 0


if __name__ == "__main__":
    raise SystemExit(main())
