"""Type (torch.autograd._functions.tensor, deprecated since PyTorch 2.1): its backward
rounds the gradient of a float64 input to float32.

backward returns ``grad_output.type(ctx.input_type)``, where ``input_type`` is
``type(input)``, the class ``torch.Tensor``: that casts to the default dtype, float32,
and autograd casts the result back to float64. The derivative of a cast to the same
dtype is the identity, so the gradient should be ``g`` exactly; it is ``g`` rounded to
float32 (a relative error near 1e-8, below ``torch.autograd.gradcheck``'s tolerances,
which passes). Standalone: needs torch only.

    python benchmarks/zoo/repro_type.py
"""

from __future__ import annotations

import warnings

import torch
from torch.autograd._functions.tensor import Type


def cast(x: torch.Tensor) -> torch.Tensor:
    return Type.apply(x, "torch.DoubleTensor")


def main() -> int:
    warnings.simplefilter("ignore", FutureWarning)
    x = torch.tensor([0.0], dtype=torch.float64, requires_grad=True)
    g = torch.tensor([0.3395317433278885], dtype=torch.float64)
    (gx,) = torch.autograd.grad(cast(x), x, g)
    print(f"cotangent {g.item()!r}, gradient {gx.item()!r} (dtype {gx.dtype}); "
          f"g rounded to float32 is {g.float().double().item()!r}")
    print("torch.autograd.gradcheck:", torch.autograd.gradcheck(cast, (x,)))
    return 1 if gx.item() != g.item() else 0


if __name__ == "__main__":
    raise SystemExit(main())
