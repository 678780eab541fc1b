"""Layer types beyond the paper, checked by the generalized theorem (G.base, G.step, G.param).

A layer type is one class in one file of this package: its forward map, written
once for numpy and ``jax.numpy``, next to its hand-derived transposed-Jacobian
products, with the derivation in its docstring (see :mod:`._protocol`). It is
registered by one line below; from then on its lemma-level property (its
products against ``jax.vjp`` of its forward map) and the generalized theorem's
properties run on networks that mix it with every other registered type.

A user's own layer type, in the user's own file, is checked without
registering it: ``proofcheck verify --layer MODULE:CLASS``. So is a function
with a custom backward rule written for JAX or PyTorch, made a layer type by
:func:`proofcheck.frameworks.from_jax` or :func:`~proofcheck.frameworks.from_torch`.

The package imports nothing above it: the network, backpropagation over layer
types, the strategies and the framework wrappers import it, not the other way.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from proofcheck import _deprecated
from proofcheck.activations import ACTIVATIONS
from proofcheck.layers._affine import Affine
from proofcheck.layers._conv1d import Conv1D
from proofcheck.layers._dropout import Dropout
from proofcheck.layers._elementwise import Elementwise
from proofcheck.layers._layernorm import LayerNorm
from proofcheck.layers._protocol import ActivationMap, LayerMap, Parameters
from proofcheck.layers._residual import Residual
from proofcheck.layers._softmax import Softmax

__all__ = [
    "ACTIVATION_MAPS",
    "LAYER_TYPES",
    "ActivationMap",
    "Affine",
    "Conv1D",
    "Dropout",
    "Elementwise",
    "LayerMap",
    "LayerNorm",
    "Parameters",
    "Residual",
    "Softmax",
    "register",
]


# Hidden from the type checker, which would otherwise accept any name of the package.
if not TYPE_CHECKING:

    def __getattr__(name: str) -> Any:
        """Names this package handed on from above it until 0.2 (deprecated, removed in 0.3)."""
        return _deprecated.moved_name(__name__, name)

#: Every registered layer map type, in registration order.
LAYER_TYPES: list[type[LayerMap]] = []
#: Every registered activation map: the elementwise activations of the paper,
#: then the activation types registered below.
ACTIVATION_MAPS: list[ActivationMap] = [Elementwise(name) for name in ACTIVATIONS]


def register(layer_type: type[LayerMap] | type[ActivationMap]) -> None:
    """Register a layer map type or an activation map type (by its class)."""
    if isinstance(layer_type, type) and issubclass(layer_type, LayerMap):
        if any(t.name == layer_type.name for t in LAYER_TYPES):
            raise ValueError(f"a layer type named {layer_type.name!r} is already registered")
        LAYER_TYPES.append(layer_type)
    elif isinstance(layer_type, type) and issubclass(layer_type, ActivationMap):
        if any(f.name == layer_type.name for f in ACTIVATION_MAPS):
            raise ValueError(f"an activation named {layer_type.name!r} is already registered")
        ACTIVATION_MAPS.append(layer_type())
    else:
        raise TypeError(f"register() takes a subclass of LayerMap or ActivationMap, got "
                        f"{layer_type!r}")


# One line per layer type.
register(Affine)
register(Conv1D)
register(LayerNorm)
register(Residual)
register(Dropout)
register(Softmax)
