"""Tests for aeutils.metrics: per-image reconstruction metrics, masked errors, anomaly scores and their ROC."""

import numpy as np
import pytest

from aeutils import applications as A
from aeutils import metrics as M


def _images(n=6, h=8, w=8, c=1, seed=0):
    return np.random.default_rng(seed).random((n, h, w, c)).astype("float32")


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


def test_anomaly_report_toy_auroc_and_threshold():
    # Normals 0.1, 0.2, 0.3; anomalies 0.25, 0.4, 0.5: 8 of 9 pairs ordered right.
    scores = [0.1, 0.2, 0.3, 0.25, 0.4, 0.5]
    y = [0, 0, 0, 1, 1, 1]
    val = np.arange(100) / 100.0  # held-out normals: the 95% quantile is 0.95
    r = M.anomaly_report(val, scores, y, fpr=0.05)
    assert r["auroc"] == pytest.approx(8 / 9)
    # Average precision by hand: ranks 0.5 (1/1), 0.4 (2/2), 0.3 (neg), 0.25 (3/4).
    assert r["auprc"] == pytest.approx((1 + 1 + 0.75) / 3)
    assert r["threshold"] == pytest.approx(0.95)
    assert r["test_fpr"] == 0.0 and r["test_tpr"] == 0.0
    r2 = M.anomaly_report([0.1, 0.2, 0.22], scores, y, fpr=0.5)
    assert r2["threshold"] == pytest.approx(0.2)
    assert r2["test_fpr"] == pytest.approx(1 / 3) and r2["test_tpr"] == 1.0
    assert r2["test_precision"] == pytest.approx(3 / 4)


def test_anomaly_report_perfect_and_errors():
    r = M.anomaly_report([0.1], [0.1, 0.2, 0.9, 1.0], [0, 0, 1, 1])
    assert r["auroc"] == 1.0 and r["auprc"] == 1.0 and r["anomaly_rate"] == 0.5
    with pytest.raises(ValueError, match="both"):
        M.anomaly_report([0.1], [0.1, 0.2], [0, 0])
    with pytest.raises(ValueError, match="labels"):
        M.anomaly_report([0.1], [0.1, 0.2], [0, 1, 1])
    with pytest.raises(ValueError, match="fpr"):
        M.anomaly_report([0.1], [0.1, 0.2], [0, 1], fpr=1.5)
    with pytest.raises(ValueError, match="held-out"):
        M.anomaly_report([], [0.1, 0.2], [0, 1])


def test_roc_points_ends():
    fpr, tpr = M.roc_points([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1])
    assert fpr[0] == 0 and tpr[-1] == 1 and fpr[-1] == 1


def test_error_score_local_max_finds_a_local_defect():
    x = np.zeros((2, 12, 12, 3), "float32")
    spot, spread = x.copy(), x.copy()
    spot[0, 4:7, 4:7] = 0.6  # a 3x3 defect
    spread[0] = np.sqrt(9 * 0.36 / 144)  # the same total squared error spread over the image
    spot[1] = spread[1] = 0.01
    np.testing.assert_allclose(M.error_score(x, spot), M.error_score(x, spread), rtol=1e-5)
    local = M.error_score(x, spot, score="local_max", window=3)
    assert local[0] == pytest.approx(0.36) and local[1] == pytest.approx(1e-4, rel=1e-4)
    assert M.error_score(x, spread, score="local_max", window=3)[0] == pytest.approx(9 * 0.36 / 144, rel=1e-4)
    with pytest.raises(ValueError, match="unknown score"):
        M.error_score(x, spot, score="max")
    with pytest.raises(ValueError, match="window"):
        M.error_score(x, spot, score="local_max", window=0)


def test_masked_mse_scores_missing_pixels_only():
    truth = _images(3, 6, 6, 3)
    mask = A.make_mask(truth.shape, fraction=0.5, seed=0)
    est = truth.copy()
    est[~np.broadcast_to(mask, truth.shape)] = 0.0  # wrong only where pixels were observed
    np.testing.assert_allclose(M.masked_mse(truth, est, mask), 0.0)
    est2 = np.where(mask, truth + 0.1, truth)
    np.testing.assert_allclose(M.masked_mse(truth, est2, mask), 0.01, rtol=1e-5)
    np.testing.assert_allclose(M.masked_psnr(truth, est2, mask), 20.0, rtol=1e-4)
    empty = np.zeros_like(mask)
    assert np.isnan(M.masked_mse(truth, est2, empty)).all()
    with pytest.raises(ValueError, match="does not fit"):
        M.masked_mse(truth, est2, mask[:, :3])


def test_image_checks_refuse_bad_input():
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        M.check_images(_images() * 255)
    with pytest.raises(ValueError, match=r"\(N, H, W, C\)"):
        M.check_images(np.zeros((8, 8)))
    assert M.check_mask(_images(2, 4, 4, 3), np.zeros((2, 4, 4), bool)).shape == (2, 4, 4, 1)


def test_old_names_still_work():
    from aeutils import baselines as B

    assert M.pca_baseline is B.pca_baseline and M.mean_image_baseline is B.mean_image_baseline
    for name in (
        "anomaly_report",
        "roc_points",
        "error_score",
        "ERROR_SCORES",
        "masked_mse",
        "masked_psnr",
        "image_scores",
    ):
        assert getattr(A, name) is getattr(M, name)


def test_small_sample_intervals_use_student_t():
    v = [1.0, 2.0, 4.0]
    s = M.summarize(v)
    half = (s["ci95_high"] - s["ci95_low"]) / 2
    z_half = 1.96 * np.std(v, ddof=1) / np.sqrt(3)
    assert half / z_half == pytest.approx(4.303 / 1.96, rel=1e-3)  # 2.2 times wider than 1.96 gave
    big = np.random.default_rng(0).normal(size=2000)
    lo, hi = M.mean_interval(big)
    assert (hi - lo) / 2 == pytest.approx(1.96 * big.std(ddof=1) / np.sqrt(2000), rel=2e-3)


def test_vae_elbo_interval_is_student_t():
    """The VAE's held-out ELBO interval (the study's table row) is the t-interval: with 3 digits t = 4.30, not 1.96."""
    from scipy.stats import t as student_t

    from aeutils.stats import mean_interval, ratio_interval
    from aeutils.studies.vae_latent_space import reference_rows

    nelbo = np.array([101.0, 96.0, 110.0])
    scores = {"negative_elbo": nelbo, "reconstruction": nelbo - 5, "kl": np.full(3, 5.0)}
    row = reference_rows(M.summarize(nelbo), scores, "ours")[0]
    assert row["ci95_half_width"] == pytest.approx(student_t.ppf(0.975, 2) * nelbo.std(ddof=1) / np.sqrt(3))
    assert M.mean_interval is mean_interval  # one t helper, shared by summaries, claims and ratios
    r = ratio_interval([2.0, 3.0, 2.5], [1.0, 1.0, 1.0])
    lo, hi = mean_interval(np.log([2.0, 3.0, 2.5]))
    assert (r["ci95_low"], r["ci95_high"]) == pytest.approx((np.exp(lo), np.exp(hi)))


def test_reconstruction_table_one_row_per_reconstruction_with_intervals():
    rng = np.random.default_rng(0)
    x = rng.random((6, 8, 8, 1)).astype(np.float32)
    noisy = np.clip(x + rng.normal(0, 0.1, x.shape), 0, 1).astype(np.float32)
    rows = M.reconstruction_table(x, {"copy": x, "noisy": noisy})
    assert [r["method"] for r in rows] == ["copy", "noisy"] and rows[0]["images"] == 6
    assert rows[0]["MSE"] == 0.0 and rows[0]["MSE ±95%"] == 0.0
    expected = M.summarize(M.reconstruction_metrics(x, noisy)["psnr"])
    assert rows[1]["PSNR (dB)"] == pytest.approx(expected["mean"])
    assert rows[1]["PSNR (dB) ±95%"] == pytest.approx((expected["ci95_high"] - expected["ci95_low"]) / 2)
    assert rows[0]["SSIM"] > rows[1]["SSIM"]
    with pytest.raises(ValueError, match="shape"):
        M.reconstruction_table(x, {"bad": x[:3]})
    with pytest.raises(ValueError, match="at least one"):
        M.reconstruction_table(x, {})
