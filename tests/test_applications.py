"""Tests for aeutils.applications: denoising, anomaly, inpainting, super-resolution, probes, PCA curves."""

import keras
import numpy as np
import pytest

from aeutils import applications as A


def _images(n=6, h=8, w=8, c=1, seed=0):
    return np.random.default_rng(seed).random((n, h, w, c)).astype("float32")


# --- denoising -------------------------------------------------------------


def test_corrupt_is_seeded_and_in_range():
    x = _images()
    a = A.corrupt(x, kind="gaussian", strength=0.3, seed=1)
    b = A.corrupt(x, kind="gaussian", strength=0.3, seed=1)
    c = A.corrupt(x, kind="gaussian", strength=0.3, seed=2)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    assert a.min() >= 0 and a.max() <= 1 and not np.array_equal(a, x)


def test_corrupt_rejects_bad_input():
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        A.corrupt(_images() * 255, kind="gaussian")
    with pytest.raises(ValueError, match="unknown corruption"):
        A.corrupt(_images(), kind="blur")
    with pytest.raises(ValueError, match=r"\(N, H, W, C\)"):
        A.corrupt(np.zeros((8, 8)), kind="gaussian")


def test_gaussian_filter_denoise_and_tuning():
    clean = np.tile(np.linspace(0, 1, 16, dtype="float32"), (4, 16, 1))[..., None]
    noisy = np.clip(clean + np.random.default_rng(0).normal(0, 0.2, clean.shape), 0, 1).astype("float32")
    np.testing.assert_array_equal(A.gaussian_filter_denoise(noisy, 0), noisy)
    smoothed = A.gaussian_filter_denoise(noisy, 1.0)
    assert np.mean((smoothed - clean) ** 2) < np.mean((noisy - clean) ** 2)
    sigma = A.tune_gaussian_filter(noisy, clean, sigmas=(0.1, 1.0))
    assert sigma == 1.0
    with pytest.raises(ValueError):
        A.gaussian_filter_denoise(noisy, -1)
    with pytest.raises(ValueError):
        A.tune_gaussian_filter(noisy, clean, sigmas=())


# --- anomaly detection -----------------------------------------------------


def test_anomaly_report_toy_auroc_and_threshold():
    # Normals 0.1, 0.2, 0.3; anomalies 0.25, 0.4, 0.5: 8 of 9 pairs ordered right.
    scores = [0.1, 0.2, 0.3, 0.25, 0.4, 0.5]
    y = [0, 0, 0, 1, 1, 1]
    val = np.arange(100) / 100.0  # held-out normals: the 95% quantile is 0.95
    r = A.anomaly_report(val, scores, y, fpr=0.05)
    assert r["auroc"] == pytest.approx(8 / 9)
    # Average precision by hand: ranks 0.5 (1/1), 0.4 (2/2), 0.3 (neg), 0.25 (3/4).
    assert r["auprc"] == pytest.approx((1 + 1 + 0.75) / 3)
    assert r["threshold"] == pytest.approx(0.95)
    assert r["test_fpr"] == 0.0 and r["test_tpr"] == 0.0
    r2 = A.anomaly_report([0.1, 0.2, 0.22], scores, y, fpr=0.5)
    assert r2["threshold"] == pytest.approx(0.2)
    assert r2["test_fpr"] == pytest.approx(1 / 3) and r2["test_tpr"] == 1.0
    assert r2["test_precision"] == pytest.approx(3 / 4)


def test_anomaly_report_perfect_and_errors():
    r = A.anomaly_report([0.1], [0.1, 0.2, 0.9, 1.0], [0, 0, 1, 1])
    assert r["auroc"] == 1.0 and r["auprc"] == 1.0 and r["anomaly_rate"] == 0.5
    with pytest.raises(ValueError, match="both"):
        A.anomaly_report([0.1], [0.1, 0.2], [0, 0])
    with pytest.raises(ValueError, match="labels"):
        A.anomaly_report([0.1], [0.1, 0.2], [0, 1, 1])
    with pytest.raises(ValueError, match="fpr"):
        A.anomaly_report([0.1], [0.1, 0.2], [0, 1], fpr=1.5)
    with pytest.raises(ValueError, match="held-out"):
        A.anomaly_report([], [0.1, 0.2], [0, 1])


def test_roc_points_ends():
    fpr, tpr = A.roc_points([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1])
    assert fpr[0] == 0 and tpr[-1] == 1 and fpr[-1] == 1


def test_one_class_split():
    labels = np.repeat(np.arange(3), 40)
    s = A.one_class_split(labels, 1, seed=0)
    assert (labels[s["train"]] == 1).all() and (labels[s["val"]] == 1).all()
    np.testing.assert_array_equal(s["test_is_anomaly"], labels[s["test"]] != 1)
    assert len(set(s["train"]) & set(s["test"])) == 0
    with pytest.raises(ValueError, match="does not occur"):
        A.one_class_split(labels, 7)


def test_error_score_local_max_finds_a_local_defect():
    x = np.zeros((2, 12, 12, 3), "float32")
    spot, spread = x.copy(), x.copy()
    spot[0, 4:7, 4:7] = 0.6  # a 3x3 defect
    spread[0] = np.sqrt(9 * 0.36 / 144)  # the same total squared error spread over the image
    spot[1] = spread[1] = 0.01
    np.testing.assert_allclose(A.error_score(x, spot), A.error_score(x, spread), rtol=1e-5)
    local = A.error_score(x, spot, score="local_max", window=3)
    assert local[0] == pytest.approx(0.36) and local[1] == pytest.approx(1e-4, rel=1e-4)
    assert A.error_score(x, spread, score="local_max", window=3)[0] == pytest.approx(9 * 0.36 / 144, rel=1e-4)
    with pytest.raises(ValueError, match="unknown score"):
        A.error_score(x, spot, score="max")
    with pytest.raises(ValueError, match="window"):
        A.error_score(x, spot, score="local_max", window=0)


def test_reconstruction_errors_identity_and_pca():
    x = _images(10, 4, 4)
    inp = keras.Input((4, 4, 1))
    identity = keras.Model(inp, keras.layers.Identity()(inp))
    np.testing.assert_allclose(A.reconstruction_errors(identity, x), 0.0, atol=1e-7)
    err = A.pca_reconstruction_errors(x, x, 10)  # 10 components span 10 images exactly
    np.testing.assert_allclose(err, 0.0, atol=1e-6)
    assert A.pca_reconstruction_errors(x, x, 1).mean() > 1e-3
    local = A.pca_reconstruction_errors(x, x, 1, score="local_max", window=2)
    assert local.shape == (len(x),) and (local >= A.pca_reconstruction_errors(x, x, 1)).all()


# --- inpainting --------------------------------------------------------------


def test_make_mask_kinds():
    m = A.make_mask((50, 20, 20), kind="pixels", fraction=0.3, seed=0)
    assert m.shape == (50, 20, 20, 1) and m.dtype == bool
    assert abs(m.mean() - 0.3) < 0.03
    b = A.make_mask((3, 16, 16, 3), kind="block", fraction=0.25, seed=1)
    assert b.sum(axis=(1, 2, 3)).tolist() == [64, 64, 64]
    for i in range(3):  # one square
        rows, cols = np.nonzero(b[i, ..., 0])
        assert rows.max() - rows.min() == 7 and cols.max() - cols.min() == 7
    with pytest.raises(ValueError, match="kind"):
        A.make_mask((1, 4, 4), kind="stripes")
    with pytest.raises(ValueError, match="fraction"):
        A.make_mask((1, 4, 4), fraction=1.0)


def test_masked_mse_scores_missing_pixels_only():
    truth = _images(3, 6, 6, 3)
    mask = A.make_mask(truth.shape, fraction=0.5, seed=0)
    est = truth.copy()
    est[~np.broadcast_to(mask, truth.shape)] = 0.0  # wrong only where pixels were observed
    np.testing.assert_allclose(A.masked_mse(truth, est, mask), 0.0)
    est2 = np.where(mask, truth + 0.1, truth)
    np.testing.assert_allclose(A.masked_mse(truth, est2, mask), 0.01, rtol=1e-5)
    np.testing.assert_allclose(A.masked_psnr(truth, est2, mask), 20.0, rtol=1e-4)
    empty = np.zeros_like(mask)
    assert np.isnan(A.masked_mse(truth, est2, empty)).all()
    with pytest.raises(ValueError, match="does not fit"):
        A.masked_mse(truth, est2, mask[:, :3])


def test_apply_mask_composite_and_mean_fill():
    x = _images(4, 5, 5, 1)
    mask = A.make_mask(x.shape, fraction=0.4, seed=3)
    obs = A.apply_mask(x, mask, fill=0.0)
    assert (obs[mask] == 0).all() and np.array_equal(obs[~mask], x[~mask])
    comp = A.composite(obs, np.ones_like(x), mask)
    assert (comp[mask] == 1).all() and np.array_equal(comp[~mask], x[~mask])
    train = np.stack([np.full((5, 5, 1), 0.2), np.full((5, 5, 1), 0.6)]).astype("float32")
    filled = A.mean_fill(obs, mask, train_images=train)
    np.testing.assert_allclose(filled[mask], 0.4, rtol=1e-6)
    with pytest.raises(ValueError, match="differ"):
        A.mean_fill(obs, mask, train_images=train[:, :4])


def test_biharmonic_fill_recovers_a_linear_ramp():
    ramp = np.add.outer(np.linspace(0, 0.5, 16), np.linspace(0, 0.5, 16)).astype("float32")
    x = np.stack([ramp, ramp[::-1]])[..., None]
    mask = A.make_mask(x.shape, fraction=0.3, seed=0)
    mask[:, 0, :] = mask[:, -1, :] = mask[:, :, 0] = mask[:, :, -1] = False  # keep the border
    out = A.biharmonic_fill(A.apply_mask(x, mask), mask)
    assert A.masked_mse(x, out, mask).max() < 1e-4
    assert A.masked_mse(x, A.apply_mask(x, mask), mask).min() > 1e-2


def test_normalized_convolution_fill_tiny_case():
    # One missing pixel in the middle of a 3x3 image whose left column is 1: with
    # sigma 0.5 (weights g = [a, b, a]) the fill is a / (1 - b^2) by hand.
    x = np.zeros((1, 3, 3, 1), "float32")
    x[0, :, 0] = 1.0
    mask = np.zeros((1, 3, 3, 1), bool)
    mask[0, 1, 1] = True
    a, b, _ = np.exp(-0.5 * (np.array([-1, 0, 1]) / 0.5) ** 2) / np.exp(-0.5 * (np.array([-1, 0, 1]) / 0.5) ** 2).sum()
    out = A.normalized_convolution_fill(x, mask, sigma=0.5, eps=1e-9)
    assert out[0, 1, 1, 0] == pytest.approx(a / (1 - b**2), rel=1e-5)
    np.testing.assert_array_equal(out[~mask], x[~mask])  # observed pixels kept
    # No observed pixel near: the image's mean observed value.
    big = np.full((1, 12, 12, 1), 0.25, "float32")
    hole = np.zeros((1, 12, 12, 1), bool)
    hole[0, :, 3:] = True
    assert A.normalized_convolution_fill(big, hole, sigma=0.5)[0, 5, 11, 0] == pytest.approx(0.25, abs=1e-6)


def test_inpainting_input():
    x = _images(2, 4, 4, 3)
    mask = A.make_mask(x.shape, fraction=0.5, seed=0)
    packed = A.inpainting_input(x, mask)
    assert packed.shape == (2, 4, 4, 4) and packed.dtype == np.float32
    np.testing.assert_array_equal(packed[..., 3:], mask.astype("float32"))
    np.testing.assert_array_equal(packed[..., :3], A.apply_mask(x, mask))
    np.testing.assert_array_equal(A.inpainting_input(x), np.concatenate([x, np.zeros_like(x[..., :1])], -1))
    with pytest.raises(ValueError, match="does not fit"):
        A.inpainting_input(x, mask[:1])


# --- super-resolution ------------------------------------------------------


def test_downscale_and_bicubic():
    x = np.zeros((1, 4, 4, 1), "float32")
    x[0, :2, :2] = 1.0
    lo = A.downscale(x, 2)
    np.testing.assert_allclose(lo[0, ..., 0], [[1, 0], [0, 0]], atol=1e-6)
    const = np.full((2, 4, 4, 3), 0.3, "float32")
    np.testing.assert_allclose(A.bicubic_upscale(const, 2), 0.3, atol=1e-6)
    assert A.bicubic_upscale(const, 2).shape == (2, 8, 8, 3)
    with pytest.raises(ValueError, match="divisible"):
        A.downscale(np.zeros((1, 5, 5, 1), "float32"), 2)
    s = A.image_scores(const, const)
    assert s["psnr_db"] == 100.0 and s["mse"] == 0.0 and s["ssim"] == pytest.approx(1.0)


# --- features and dimension reduction ---------------------------------------


def test_linear_probe_and_comparison():
    rng = np.random.default_rng(0)
    y = np.repeat([0, 1], 40)
    x = (rng.random((80, 4, 4, 1)) * 0.2 + y[:, None, None, None] * 0.7).astype("float32")
    assert A.linear_probe(x[::2], y[::2], x[1::2], y[1::2]) == 1.0
    with pytest.raises(ValueError, match="single class"):
        A.linear_probe(x[:10], np.zeros(10), x, y)
    codes = x.reshape(80, -1)[:, :3]
    rows = A.probe_comparison(codes[::2], codes[1::2], x[::2], x[1::2], y[::2], y[1::2])
    assert [r["dim"] for r in rows] == [3, 3, 16]
    assert all(r["accuracy"] == 1.0 for r in rows)
    tr, te = A.pca_codes(x[::2], x[1::2], 3)
    assert tr.shape == (40, 3) and te.shape == (40, 3)


def test_pca_curve_falls_with_size():
    x = _images(40, 6, 6, 1)
    rows = A.pca_curve(x[:30], x[30:], [1, 4, 16, 10_000])
    assert [r["code_size"] for r in rows] == [1, 4, 16]  # the impossible size is skipped
    mses = [r["mse"] for r in rows]
    assert mses[0] > mses[1] > mses[2]
