"""The layer types' classic mistakes, re-exported from :mod:`proofcheck.catalog`.

From the repository's top folder::

    proofcheck verify --layer tests.layer_mutants:Conv1DKernelNotFlipped
"""

from proofcheck.catalog import (
    LAYER_CATALOG,
    AffineParameterProductsAveraged,
    Conv1DKernelNotFlipped,
    DropoutWithoutMask,
    LayerMistake,
    LayerNormWithoutMean,
    ResidualWithoutSkip,
    SoftmaxWithoutOuterProduct,
)

__all__ = [
    "LAYER_CATALOG",
    "AffineParameterProductsAveraged",
    "Conv1DKernelNotFlipped",
    "DropoutWithoutMask",
    "LayerMistake",
    "LayerNormWithoutMean",
    "ResidualWithoutSkip",
    "SoftmaxWithoutOuterProduct",
]
