"""Type aliases shared by the package's modules, defined once.

``Array`` and ``Namespace`` are what forward maps are written against: every
forward map in proofcheck (activations, costs, the affine potential, the
forward pass, the layer types) is written once as ``f(..., xp)`` where ``xp``
is either :mod:`numpy` (the implementation under check) or :mod:`jax.numpy`
(the oracle), so the oracle differentiates exactly the definition that the
implementation runs, never a second, hand-copied one. ``Float64Array`` is the
numpy array every protocol function takes and returns.
"""

from __future__ import annotations

from typing import Any, TypeAlias

import numpy as np
from numpy.typing import NDArray

__all__ = ["Array", "Float64Array", "Namespace"]

#: An array of either namespace (``numpy.ndarray`` or a JAX array).
Array: TypeAlias = Any
#: The namespace module itself (``numpy`` or ``jax.numpy``).
Namespace: TypeAlias = Any
#: A numpy array of float64.
Float64Array: TypeAlias = NDArray[np.float64]
