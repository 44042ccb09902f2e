"""aeutils.data.transforms: value ranges, grayscale, resize."""

import numpy as np
import pytest

from aeutils import data as D


def test_ranges_and_grayscale():
    x = np.random.default_rng(0).random((2, 4, 4, 3)).astype(np.float32)
    np.testing.assert_allclose(D.unscale(D.scale(x, (-1, 1)), (-1, 1)), x, atol=1e-6)
    np.testing.assert_allclose(D.to_unit_range((x * 255).astype(np.uint8)), np.floor(x * 255) / 255, atol=1e-6)
    np.testing.assert_allclose(D.to_unit_range(x * 2 - 1, (-1, 1)), x, atol=1e-6)
    with pytest.raises(D.DataError, match=r"outside the declared range \[0, 1\].*value_range=\(-1, 1\)"):
        D.to_unit_range(x * 2 - 1)  # never remapped silently
    with pytest.raises(D.DataError):
        D.to_unit_range(np.array([-5.0, 300.0]))
    g = D.to_grayscale(np.ones((1, 2, 2, 3)))
    assert g.shape == (1, 2, 2, 1) and np.allclose(g, 0.9999)
    with pytest.raises(D.DataError):
        D.to_grayscale(np.ones((1, 2, 2, 2)))


def test_resize_shapes():
    x = np.random.default_rng(0).random((3, 16, 16, 1)).astype(np.float32)
    assert D.resize(x, 8).shape == (3, 8, 8, 1)
    assert D.resize(x, (20, 24)).shape == (3, 20, 24, 1)
    with pytest.raises(D.DataError):
        D.resize(x[0], 8)
