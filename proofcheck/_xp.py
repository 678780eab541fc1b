"""The array namespace that forward maps are written against.

Every forward map in proofcheck (activations, costs, the affine potential, the
forward pass) is written once as ``f(..., xp)`` where ``xp`` is either
:mod:`numpy` (the implementation under test) or :mod:`jax.numpy` (the oracle).
The oracle therefore differentiates exactly the definition that the
implementation runs, never a second, hand-copied one.
"""

from __future__ import annotations

from typing import Any, TypeAlias

import numpy as np

#: An array of either namespace (``numpy.ndarray`` or a JAX array).
Array: TypeAlias = Any
#: The namespace module itself (``numpy`` or ``jax.numpy``).
Namespace: TypeAlias = Any

numpy_namespace: Namespace = np
