"""The oracle: JAX autodiff in float64, never the implementation's own derivatives.

:mod:`.network` differentiates the paper's networks and the layer maps;
:mod:`._layers` the networks of layer types; :mod:`._programs` holds the
compiled JAX programs they share; :mod:`.compilation` sets how proofcheck's own
processes compile them (quick compiles, a cache on disk);
:mod:`.finite_differences` is the independent check of the oracle itself.

Private: :func:`proofcheck.verify` runs it. Importing this package imports
neither JAX nor its modules. Until 0.2 this was
the module that :mod:`.network` is now; its names still read from here, with a
:class:`DeprecationWarning` (removed in 0.3).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from proofcheck import _deprecated

# Hidden from the type checker, which would otherwise accept any name of the package.
if not TYPE_CHECKING:

    def __getattr__(name: str) -> Any:
        """The names of the 0.1 module ``proofcheck.oracle`` (deprecated, removed in 0.3)."""
        return _deprecated.moved_name(__name__, name)
