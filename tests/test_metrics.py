import numpy as np
import pytest

from aeutils import metrics as M


def test_identical_images_give_ssim_one_and_capped_psnr():
    x = np.random.default_rng(0).random((3, 16, 16, 3)).astype(np.float32)
    assert np.allclose(M.ssim_per_image(x, x), 1.0, atol=1e-5)
    assert np.all(M.psnr_per_image(x, x) == M.PSNR_CAP_DB)
    assert np.all(M.mse_per_image(x, x) == 0)


def test_psnr_known_value_and_fixed_range():
    x = np.zeros((1, 8, 8, 1), np.float32)
    y = np.full_like(x, 0.1)
    assert M.psnr_per_image(x, y)[0] == pytest.approx(20.0, abs=1e-4)  # 10 log10(1/0.01)


def test_ssim_small_images_and_value_ranges():
    rng = np.random.default_rng(0)
    x = rng.random((4, 8, 8, 1)).astype(np.float32)
    assert M.ssim_per_image(x, x + 0).shape == (4,)
    m = M.reconstruction_metrics(2 * x - 1, 2 * x - 1, value_range=(-1, 1))
    assert np.allclose(m["mse"], 0) and np.allclose(m["ssim"], 1, atol=1e-5)


def test_shape_errors():
    with pytest.raises(ValueError, match="shapes differ"):
        M.mse_per_image(np.zeros((1, 4, 4, 1)), np.zeros((1, 4, 4, 3)))
    with pytest.raises(ValueError, match="expected"):
        M.psnr_per_image(np.zeros((4, 4)), np.zeros((4, 4)))


def test_summarize_ci_contains_mean():
    s = M.summarize(np.arange(10.0))
    assert s["ci95_low"] < s["mean"] == 4.5 < s["ci95_high"] and s["n"] == 10


def test_pca_baseline_exact_at_full_rank_and_better_with_more_components():
    rng = np.random.default_rng(0)
    x = rng.random((50, 4, 4, 1)).astype(np.float32)
    full = M.pca_baseline(x, x, 16)
    np.testing.assert_allclose(full, x, atol=1e-4)
    e2 = M.mse_per_image(x, M.pca_baseline(x, x, 2)).mean()
    e8 = M.mse_per_image(x, M.pca_baseline(x, x, 8)).mean()
    assert e8 < e2
    with pytest.raises(ValueError):
        M.pca_baseline(x, x, 100)


def test_mean_image_baseline():
    x = np.stack([np.zeros((2, 2, 1)), np.ones((2, 2, 1))]).astype(np.float32)
    np.testing.assert_allclose(M.mean_image_baseline(x, x[:1]), np.full((1, 2, 2, 1), 0.5))
