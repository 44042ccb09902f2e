"""Kept so that ``from aeutils.layers import ...`` still works: the layers live in :mod:`aeutils.models.layers`."""

from aeutils.models.layers import (  # noqa: F401
    CORRUPTION_KINDS,
    Corruption,
    MaskComposite,
    MixtureConsistency,
    NormalizedConvolutionFill,
    RandomMissing,
    Sampling,
    gaussian_kernel_1d,
)
