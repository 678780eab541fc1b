"""MyAutogradFunction of torch.export's example database: its backward is not the
derivative of its forward.

forward is ``x.clone()``, whose vector-Jacobian product is ``g``; backward returns
``g + 1``. ``torch.autograd.gradcheck`` says so at any point. Standalone: needs torch only.

    python benchmarks/zoo/repro_my_autograd_function.py
"""

from __future__ import annotations

import torch
from torch._export.db.examples.autograd_function import MyAutogradFunction
from torch.autograd.gradcheck import GradcheckError


def main() -> int:
    x = torch.tensor([[0.5]], dtype=torch.float64, requires_grad=True)
    (gx,) = torch.autograd.grad(MyAutogradFunction.apply(x), x, torch.ones_like(x))
    print(f"clone at x = {x.item()}: backward gives {gx.item()} for the cotangent 1; "
          "the derivative of clone gives 1.0")
    try:
        torch.autograd.gradcheck(MyAutogradFunction.apply, (x,))
    except GradcheckError as exc:
        print("torch.autograd.gradcheck:", str(exc).splitlines()[0])
        return 1
    print("torch.autograd.gradcheck passed")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
