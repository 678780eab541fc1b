"""CrossMapLRN2d (torch.nn.modules._functions, the Function behind
``nn.CrossMapLRN2d``): its backward disagrees with its own forward.

Three channels of a 1x1 image, ``size=3, alpha=1, beta=0.75, k=1``: the vector-Jacobian
product that ``backward`` returns is compared with central finite differences of the
Function's own forward (``torch.autograd.gradcheck``). For comparison it also prints
autograd of ``local_response_norm``: that forward is not the same map (its window over
the channels differs at the last channel), so it is no reference here. Standalone: needs
torch only.

    python benchmarks/zoo/repro_cross_map_lrn2d.py
"""

from __future__ import annotations

import torch
from torch.autograd.gradcheck import GradcheckError
from torch.nn.functional import local_response_norm
from torch.nn.modules._functions import CrossMapLRN2d

SIZE, ALPHA, BETA, K = 3, 1.0, 0.75, 1.0


def lrn(x: torch.Tensor) -> torch.Tensor:
    return CrossMapLRN2d.apply(x, SIZE, ALPHA, BETA, K)


def smallest() -> None:
    """The case proofcheck shrank to: two channels, both 1, cotangent 1 on both. The
    forward treats the two channels alike (each is scaled by the sum of both squares),
    so the two gradients must be equal; backward makes them differ."""
    x = torch.ones(1, 2, 1, 1, dtype=torch.float64, requires_grad=True)
    (rule,) = torch.autograd.grad(lrn(x), x, torch.ones_like(x))
    print("two channels at 1, cotangent 1: backward gives", rule.flatten().tolist())


def main() -> int:
    smallest()
    x = torch.tensor([0.3, -0.7, 0.5], dtype=torch.float64).reshape(1, 3, 1, 1)
    x.requires_grad_()
    g = torch.tensor([0.0, 0.0, 1.0], dtype=torch.float64).reshape(1, 3, 1, 1)
    plain = local_response_norm(x, SIZE, ALPHA, BETA, K)
    print("forward equals local_response_norm's:", torch.allclose(lrn(x), plain))
    (rule,) = torch.autograd.grad(lrn(x), x, g)
    (reference,) = torch.autograd.grad(plain, x, g)
    print("backward of CrossMapLRN2d:       ", rule.flatten().tolist())
    print("autograd of local_response_norm: ", reference.flatten().tolist())
    try:
        torch.autograd.gradcheck(lrn, (x,))
    except GradcheckError as exc:
        print("torch.autograd.gradcheck:", str(exc).splitlines()[0])
        return 1
    print("torch.autograd.gradcheck passed")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
