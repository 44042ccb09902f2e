"""Tests for aeutils.baselines: the one PCA (fitted once, truncated), the mean image, classical fills and filters."""

import numpy as np
import pytest

from aeutils import applications as A
from aeutils import baselines as B
from aeutils import metrics as M


def _images(n=6, h=8, w=8, c=1, seed=0):
    return np.random.default_rng(seed).random((n, h, w, c)).astype("float32")


def _low_rank(n=120, rank=6, side=6, seed=0):
    """Images near a ``rank``-dimensional subspace with a decaying spectrum, plus a little noise."""
    rng = np.random.default_rng(seed)
    basis = rng.normal(size=(rank, side * side))
    codes = rng.normal(size=(n, rank)) * (2.0 ** -np.arange(rank))
    flat = 0.5 + 0.1 * codes @ basis + 0.002 * rng.normal(size=(n, side * side))
    return np.clip(flat, 0, 1).reshape(n, side, side, 1).astype("float32")


def test_gaussian_filter_denoise_and_tuning():
    clean = np.tile(np.linspace(0, 1, 16, dtype="float32"), (4, 16, 1))[..., None]
    noisy = np.clip(clean + np.random.default_rng(0).normal(0, 0.2, clean.shape), 0, 1).astype("float32")
    np.testing.assert_array_equal(B.gaussian_filter_denoise(noisy, 0), noisy)
    smoothed = B.gaussian_filter_denoise(noisy, 1.0)
    assert np.mean((smoothed - clean) ** 2) < np.mean((noisy - clean) ** 2)
    sigma = B.tune_gaussian_filter(noisy, clean, sigmas=(0.1, 1.0))
    assert sigma == 1.0
    with pytest.raises(ValueError):
        B.gaussian_filter_denoise(noisy, -1)
    with pytest.raises(ValueError):
        B.tune_gaussian_filter(noisy, clean, sigmas=())


def test_biharmonic_fill_recovers_a_linear_ramp():
    ramp = np.add.outer(np.linspace(0, 0.5, 16), np.linspace(0, 0.5, 16)).astype("float32")
    x = np.stack([ramp, ramp[::-1]])[..., None]
    mask = A.make_mask(x.shape, fraction=0.3, seed=0)
    mask[:, 0, :] = mask[:, -1, :] = mask[:, :, 0] = mask[:, :, -1] = False  # keep the border
    out = B.biharmonic_fill(A.apply_mask(x, mask), mask)
    assert M.masked_mse(x, out, mask).max() < 1e-4
    assert M.masked_mse(x, A.apply_mask(x, mask), mask).min() > 1e-2


def test_normalized_convolution_fill_tiny_case():
    # One missing pixel in the middle of a 3x3 image whose left column is 1: with
    # sigma 0.5 (weights g = [a, b, a]) the fill is a / (1 - b^2) by hand.
    x = np.zeros((1, 3, 3, 1), "float32")
    x[0, :, 0] = 1.0
    mask = np.zeros((1, 3, 3, 1), bool)
    mask[0, 1, 1] = True
    a, b, _ = np.exp(-0.5 * (np.array([-1, 0, 1]) / 0.5) ** 2) / np.exp(-0.5 * (np.array([-1, 0, 1]) / 0.5) ** 2).sum()
    out = B.normalized_convolution_fill(x, mask, sigma=0.5, eps=1e-9)
    assert out[0, 1, 1, 0] == pytest.approx(a / (1 - b**2), rel=1e-5)
    np.testing.assert_array_equal(out[~mask], x[~mask])  # observed pixels kept
    # No observed pixel near: the image's mean observed value.
    big = np.full((1, 12, 12, 1), 0.25, "float32")
    hole = np.zeros((1, 12, 12, 1), bool)
    hole[0, :, 3:] = True
    assert B.normalized_convolution_fill(big, hole, sigma=0.5)[0, 5, 11, 0] == pytest.approx(0.25, abs=1e-6)


def test_pca_curve_falls_with_size():
    x = _images(40, 6, 6, 1)
    rows = B.pca_curve(x[:30], x[30:], [1, 4, 16, 10_000])
    assert [r["code_size"] for r in rows] == [1, 4, 16]  # the impossible size is skipped
    mses = [r["mse"] for r in rows]
    assert mses[0] > mses[1] > mses[2]


def test_pca_baseline_exact_at_full_rank_and_better_with_more_components():
    rng = np.random.default_rng(0)
    x = rng.random((50, 4, 4, 1)).astype(np.float32)
    full = B.pca_baseline(x, x, 16)
    np.testing.assert_allclose(full, x, atol=1e-4)
    e2 = M.mse_per_image(x, B.pca_baseline(x, x, 2)).mean()
    e8 = M.mse_per_image(x, B.pca_baseline(x, x, 8)).mean()
    assert e8 < e2
    with pytest.raises(ValueError):
        B.pca_baseline(x, x, 100)


def test_mean_image_baseline():
    x = np.stack([np.zeros((2, 2, 1)), np.ones((2, 2, 1))]).astype(np.float32)
    np.testing.assert_allclose(B.mean_image_baseline(x, x[:1]), np.full((1, 2, 2, 1), 0.5))


def test_pca_truncation_equals_a_fresh_fit_at_smaller_k():
    x = _images(60, 6, 6, 1)
    big = B.fit_pca(x, 20, solver="full")
    for k in (1, 5, 12):
        fresh = B.fit_pca(x, k, solver="full")
        np.testing.assert_allclose(big.reconstruct(x, k), fresh.reconstruct(x), atol=1e-5)
        # codes agree up to each component's sign
        np.testing.assert_allclose(np.abs(big.encode(x, k)), np.abs(fresh.encode(x)), atol=1e-4)
    # the default (randomised) solver truncates to nearly the exact reconstruction on real-like spectra
    y = _low_rank()
    rnd, exact = B.fit_pca(y, 12), B.fit_pca(y, 3, solver="full")
    np.testing.assert_allclose(rnd.reconstruct(y, 3), exact.reconstruct(y), atol=2e-3)


def test_pca_basis_round_trip_shapes_and_errors():
    x = _images(30, 4, 4, 2)
    basis = B.fit_pca(x, 8, seed=1)
    assert basis.k == 8 and basis.image_shape == (4, 4, 2)
    assert basis.components.shape == (8, 32) and basis.mean.shape == (32,)
    codes = basis.encode(x[:5], 3)
    assert codes.shape == (5, 3) and basis.decode(codes).shape == (5, 4, 4, 2)
    np.testing.assert_allclose(basis.decode(basis.encode(x[:5])), basis.reconstruct(x[:5]), atol=1e-6)
    # one reconstruction at the fitted size is the baseline itself, seeded
    np.testing.assert_array_equal(basis.reconstruct(x), B.pca_baseline(x, x, 8, seed=1))
    with pytest.raises(ValueError, match="components fitted"):
        basis.encode(x, 9)
    with pytest.raises(ValueError, match="unknown solver"):
        B.fit_pca(x, 2, solver="magic")
    with pytest.raises(ValueError, match="must be in"):
        B.fit_pca(x, 31)


def test_pca_max_fit_uses_a_seeded_subset():
    x = _images(50, 4, 4, 1)
    a, b = B.fit_pca(x, 3, max_fit=20, seed=0), B.fit_pca(x, 3, max_fit=20, seed=0)
    np.testing.assert_array_equal(a.reconstruct(x), b.reconstruct(x))
    assert not np.allclose(a.mean, B.fit_pca(x, 3, max_fit=None).mean)


def test_old_names_still_work():
    for name in (
        "gaussian_filter_denoise",
        "tune_gaussian_filter",
        "composite",
        "mean_fill",
        "normalized_convolution_fill",
        "biharmonic_fill",
        "bicubic_upscale",
        "pca_codes",
        "pca_curve",
    ):
        assert getattr(A, name) is getattr(B, name)
