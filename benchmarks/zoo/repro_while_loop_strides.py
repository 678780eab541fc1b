"""``torch.while_loop`` refuses a contiguous carried tensor whose stride along an axis of
size 1 is not the one a new tensor would have.

Standalone (does not import proofcheck): ``python benchmarks/zoo/repro_while_loop_strides.py``.
``torch.zeros(1, 3).t()`` is contiguous by torch's own test (``is_contiguous()``: strides
along an axis of size 1 do not matter), yet its strides are ``(1, 3)``, where a new
``(3, 1)`` tensor has ``(1, 1)``. The body ``sin(a)`` returns the latter, and
``while_loop``'s check that the body keeps the carried tensors' metadata compares the
strides as they are, so it refuses the loop. proofcheck met it through its own arrays
(a transposed view of one row); it now copies every array into a new row-major tensor.
"""

from __future__ import annotations

import torch
from torch._higher_order_ops.while_loop import while_loop


def main() -> None:
    x = torch.zeros(1, 3, dtype=torch.float64).t()
    fresh = torch.zeros(3, 1, dtype=torch.float64)
    print("x:", tuple(x.shape), "strides", x.stride(), "contiguous:", x.is_contiguous())
    for name, value in (("a new tensor", fresh), ("the transposed row", x)):
        try:
            while_loop(lambda i, a: i < 2, lambda i, a: (i + 1, torch.sin(a)),
                       (torch.tensor(0), value))
            print(f"{name}: runs")
        except Exception as exc:
            print(f"{name}: {type(exc).__name__}: {str(exc).splitlines()[0][:160]}")


if __name__ == "__main__":
    main()
