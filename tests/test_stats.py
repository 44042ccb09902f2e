"""Tests for aeutils.stats: Mann-Whitney, Holm, MMD and KS tests, size-adjusted power, robust outliers."""

import numpy as np
import pytest

from aeutils import compare as C
from aeutils import stats as S


def test_holm_and_mann_whitney():
    np.testing.assert_allclose(S.holm([0.01, 0.04, 0.03, 0.5]), [0.04, 0.09, 0.09, 0.5])
    r = S.mann_whitney([1, 2, 3], [1, 2, 3])
    assert r["auc"] == 0.5 and r["p_value"] > 0.9
    with pytest.raises(ValueError):
        S.mann_whitney([], [1.0])


def test_baseline_tests_calibrated_and_powerful():
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(40, 5)), rng.normal(size=(40, 5))
    assert S.mmd_test(x, y, n_permutations=200)["p_value"] > 0.05
    assert S.mmd_test(x, y + 1.0, n_permutations=200)["p_value"] < 0.01
    assert S.ks_test(x, y)["p_value"] > 0.05
    assert S.ks_test(x, y + 1.0)["p_value"] < 0.01
    with pytest.raises(ValueError):
        S.mmd_test(x[:1], y)


def test_size_adjusted_power_matches_the_empirical_rate():
    rng = np.random.default_rng(0)
    null = rng.uniform(size=100)
    shifted = rng.uniform(size=50) ** 4  # skewed towards 0: some power
    res = S.size_adjusted_power(null, shifted, fpr=0.05)
    assert res["null_rejections"] <= 5
    assert res["threshold"] == np.sort(null)[5]
    assert res["power"] == np.mean(shifted < res["threshold"])
    # an anti-conservative test (all p-values halved) gets the same size-adjusted power
    halved = S.size_adjusted_power(null / 2, shifted / 2, fpr=0.05)
    assert halved["power"] == res["power"]
    with pytest.raises(ValueError, match="needs null"):
        S.size_adjusted_power([], [0.1])
    with pytest.raises(ValueError, match="fpr"):
        S.size_adjusted_power([0.1], [0.1], fpr=1.0)


def test_robust_outliers():
    assert S.robust_outliers([1.0, 1.1, 0.9, 1.05, 0.95, 1.02, 40.0]).tolist() == [6]
    assert S.robust_outliers([1.0, 1.0, 1.0]).tolist() == []


def test_compare_re_exports_the_statistics():
    for name in ("mann_whitney", "holm", "mmd_test", "ks_test", "size_adjusted_power", "robust_outliers"):
        assert getattr(C, name) is getattr(S, name)


def test_ratio_interval_is_the_geometric_mean_ratio_with_a_t_interval():
    from aeutils.stats import ratio_interval

    r = ratio_interval([2.0, 2.0, 2.0], [1.0, 1.0, 1.0])
    assert r["ratio"] == pytest.approx(2.0) and r["ci95_low"] == pytest.approx(2.0) and r["differs"]
    rng = np.random.default_rng(0)
    base = rng.uniform(0.5, 1.0, 200)
    same = ratio_interval(base * np.exp(rng.normal(0, 0.1, 200)), base)
    assert same["ci95_low"] < 1 < same["ci95_high"] and not same["differs"] and same["n"] == 200
    worse = ratio_interval(base * 0.8, base)
    assert worse["ratio"] == pytest.approx(0.8) and worse["differs"] and worse["ci95_high"] < 1
    assert ratio_interval([3.0], [1.0])["ci95_low"] == pytest.approx(3.0)
    with pytest.raises(ValueError):
        ratio_interval([1.0, 2.0], [1.0])
