"""A gated unit with a hand-derived backward pass, written as a ``torch.autograd.Function``.

Needs PyTorch (``pip install "proofcheck[torch]"``). Check it from the
repository's top folder::

    proofcheck verify --layer examples.torch_function:Layer --profile ci
    proofcheck verify --layer examples.torch_function:WrongLayer --profile ci
    proofcheck verify --layer examples.torch_function:ModuleLayer --profile ci

``GatedUnitFunction`` is the code a PyTorch user writes for training;
:func:`proofcheck.frameworks.from_torch` describes its arguments and makes it a
layer type. proofcheck checks what its ``backward`` returns (the input product
in a G.step lemma row, the parameter products in a G.param lemma row) against
torch's autograd of its ``forward`` run outside ``apply``, so that the custom
``backward`` is bypassed, and runs the generalized theorem on networks that
contain the layer next to every registered layer type. ``WrongLayer`` has one
mistake in its ``backward``; ``ModuleLayer`` checks the ``nn.Module`` that
calls the Function.
"""

from __future__ import annotations

from typing import Any

import torch

from proofcheck.frameworks import from_torch

#: The arguments of the gated unit, for ``from_torch``: ``a : (N, n_in)`` is the input.
PARAMETERS = {"W": ("n_in", "n_out"), "V": ("n_in", "n_out"), "b": ("n_out",),
              "c": ("n_out",)}


class GatedUnitFunction(torch.autograd.Function):
    r"""``z = (a W + b) * sigmoid(a V + c)``: a linear unit gated by a second one.

    Shapes: ``a : (N, n_in)``, ``W, V : (n_in, n_out)``, ``b, c : (n_out,)``,
    ``z : (N, n_out)``. With ``u = a W + b`` and ``s = sigmoid(a V + c)``, a
    cotangent ``g`` of ``z`` reaches the branches as ``g_u = g * s`` and
    ``g_v = g * u * s * (1 - s)``, and

        J_a^T g = g_u W^T + g_v V^T,   J_W^T g = a^T g_u,   J_V^T g = a^T g_v,
        J_b^T g = sum_i g_u[i],        J_c^T g = sum_i g_v[i].
    """

    @staticmethod
    def forward(ctx: Any, a: torch.Tensor, W: torch.Tensor, V: torch.Tensor, b: torch.Tensor,
                c: torch.Tensor) -> torch.Tensor:
        u = a @ W + b
        s = torch.sigmoid(a @ V + c)
        ctx.save_for_backward(a, W, V, u, s)
        return u * s

    @staticmethod
    def backward(ctx: Any, g: torch.Tensor) -> tuple[torch.Tensor, ...]:
        a, W, V, u, s = ctx.saved_tensors
        g_u = g * s
        g_v = g * u * s * (1.0 - s)
        return g_u @ W.T + g_v @ V.T, a.T @ g_u, a.T @ g_v, g_u.sum(0), g_v.sum(0)


#: The Function as a layer type: ``--layer examples.torch_function:Layer``.
Layer = from_torch(GatedUnitFunction, parameters=PARAMETERS, name="TorchGatedUnit")


class WrongGatedUnitFunction(GatedUnitFunction):
    """The same gated unit, whose ``backward`` forgets the gate in ``J_W^T g``."""

    @staticmethod
    def backward(ctx: Any, g: torch.Tensor) -> tuple[torch.Tensor, ...]:
        a, W, V, u, s = ctx.saved_tensors
        g_u = g * s
        g_v = g * u * s * (1.0 - s)
        # The mistake: J_W^T g = a^T g_u, not a^T g (the gate s scales the linear branch).
        return g_u @ W.T + g_v @ V.T, a.T @ g, a.T @ g_v, g_u.sum(0), g_v.sum(0)


#: ``--layer examples.torch_function:WrongLayer``: G.param fails, naming J_W^T delta.
WrongLayer = from_torch(WrongGatedUnitFunction, parameters=PARAMETERS,
                        name="WrongTorchGatedUnit")


class GatedUnit(torch.nn.Module):
    """The gated unit as a module that calls the Function, as a model would use it."""

    def __init__(self, n_in: int, n_out: int) -> None:
        super().__init__()
        self.W = torch.nn.Parameter(torch.zeros(n_in, n_out, dtype=torch.float64))
        self.V = torch.nn.Parameter(torch.zeros(n_in, n_out, dtype=torch.float64))
        self.b = torch.nn.Parameter(torch.zeros(n_out, dtype=torch.float64))
        self.c = torch.nn.Parameter(torch.zeros(n_out, dtype=torch.float64))

    def forward(self, a: torch.Tensor) -> torch.Tensor:
        return GatedUnitFunction.apply(a, self.W, self.V, self.b, self.c)


_MODULE = GatedUnit(1, 1)


def gated_module(a: torch.Tensor, W: torch.Tensor, V: torch.Tensor, b: torch.Tensor,
                 c: torch.Tensor) -> torch.Tensor:
    """The module's forward with the parameters proofcheck draws (of any widths)."""
    params = {"W": W, "V": V, "b": b, "c": c}
    return torch.func.functional_call(_MODULE, params, (a,))


def gated_primal(a: torch.Tensor, W: torch.Tensor, V: torch.Tensor, b: torch.Tensor,
                 c: torch.Tensor) -> torch.Tensor:
    """The same computation in plain torch operations: the reference autograd differentiates."""
    return (a @ W + b) * torch.sigmoid(a @ V + c)


#: ``--layer examples.torch_function:ModuleLayer``: the module, through the Function it calls.
ModuleLayer = from_torch(gated_module, primal=gated_primal, parameters=PARAMETERS,
                         name="TorchGatedModule")
