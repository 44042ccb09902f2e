"""Two-sample statistics: Mann-Whitney with its AUC, Holm's adjustment, MMD and KS tests, size-adjusted power.

* :func:`mann_whitney`: the rank test with its common-language effect size (AUC);
* :func:`holm`: Holm's step-down adjustment of a family of p-values (valid
  under any dependence);
* :func:`mmd_test`: the kernel two-sample test (unbiased MMD², Gaussian kernel
  with the median heuristic, permutation p-value) and :func:`ks_test`:
  per-feature Kolmogorov-Smirnov with Bonferroni, the two baseline tests of
  Rabanser et al., "Failing Loudly" (NeurIPS 2019);
* :func:`size_adjusted_power`: power at an empirical false-positive rate, to
  compare tests whose sizes differ;
* :func:`robust_outliers`: values far above the rest by a robust z-score of their log;
* :func:`ratio_interval`: the geometric-mean ratio of paired positive values
  with a 95% t-interval (one direction's cross/within error ratio).

Used by the dataset comparison (:mod:`aeutils.compare`) and its benchmark
(``benchmarks/compare_power.py``). Plain NumPy/SciPy: no model here.
"""

from __future__ import annotations

import numpy as np
from scipy.stats import ks_2samp, mannwhitneyu
from scipy.stats import t as student_t

#: Floor for errors and scales before a log or a division.
EPS = 1e-12


def mann_whitney(x, y, *, alternative: str = "two-sided") -> dict:
    """Mann-Whitney U test of ``x`` against ``y`` with its common-language effect size.

    Args:
        x, y: samples (1-D).
        alternative: ``"two-sided"``, ``"greater"`` (x tends to be larger) or ``"less"``.

    Returns:
        ``{"statistic": U of x, "p_value", "auc": P(X > Y) + P(X = Y) / 2, "n_x", "n_y"}``.

    Raises:
        ValueError: an empty sample.

    Example:
    >>> r = mann_whitney([5, 6, 7, 8], [1, 2, 3, 4], alternative="greater")
    >>> r["auc"], round(r["p_value"], 4)
    (1.0, 0.0143)
    """
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    if len(x) == 0 or len(y) == 0:
        raise ValueError(f"mann_whitney needs two non-empty samples, got {len(x)} and {len(y)}")
    res = mannwhitneyu(x, y, alternative=alternative)
    return {
        "statistic": float(res.statistic),
        "p_value": float(res.pvalue),
        "auc": float(res.statistic) / (len(x) * len(y)),
        "n_x": len(x),
        "n_y": len(y),
    }


def holm(p_values) -> np.ndarray:
    """Holm's step-down adjustment of a family of p-values (valid under any dependence).

    Example:
    >>> holm([0.01, 0.04, 0.03]).tolist()
    [0.03, 0.06, 0.06]
    """
    p = np.asarray(p_values, dtype=np.float64)
    m = len(p)
    order = np.argsort(p)
    adj = np.empty(m)
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p[i]))
        adj[i] = running
    return adj


def robust_outliers(errors, *, z: float = 3.5) -> np.ndarray:
    """Indices of errors far above the rest: robust z-score of the log error above ``z``.

    The z-score uses the median and the scaled median absolute deviation
    (``1.4826 * MAD``) of ``log(error)``, so a few bad images do not hide
    themselves by inflating the spread.

    Example:
    >>> robust_outliers([1.0, 1.1, 0.9, 1.05, 0.95, 30.0]).tolist()
    [5]
    """
    v = np.log(np.maximum(np.asarray(errors, dtype=np.float64), EPS))
    if len(v) < 3:
        return np.zeros(0, dtype=np.int64)
    med = np.median(v)
    mad = 1.4826 * np.median(np.abs(v - med))
    if mad <= 0:
        return np.zeros(0, dtype=np.int64)
    return np.flatnonzero((v - med) / mad > z).astype(np.int64)


def mmd_test(x, y, *, n_permutations: int = 1000, seed: int = 0) -> dict:
    """Kernel two-sample test: unbiased MMD² with a Gaussian kernel, p-value by permutation.

    The bandwidth is the median pairwise distance of the pooled sample (the
    median heuristic), as in Rabanser et al., "Failing Loudly" (2019).

    Args:
        x, y: samples ``(n, d)`` and ``(m, d)`` (e.g. PCA codes).
        n_permutations: label permutations for the p-value.
        seed: permutation seed.

    Returns:
        ``{"statistic": MMD², "p_value"}``; ``p = (1 + #{perm >= obs}) / (1 + n_permutations)``.

    Raises:
        ValueError: samples of fewer than 2 points or of different dimension.
    """
    x = np.asarray(x, dtype=np.float64).reshape(len(x), -1)
    y = np.asarray(y, dtype=np.float64).reshape(len(y), -1)
    if len(x) < 2 or len(y) < 2 or x.shape[1] != y.shape[1]:
        raise ValueError(f"mmd_test needs two samples of >= 2 points in one dimension, got {x.shape}, {y.shape}")
    z = np.concatenate([x, y])
    sq = np.sum(z**2, 1)
    d2 = np.maximum(sq[:, None] + sq[None, :] - 2 * z @ z.T, 0.0)
    med = np.median(d2[np.triu_indices(len(z), 1)])
    k = np.exp(-d2 / max(med, EPS))
    n = len(x)

    def stat(idx):
        a, b = idx[:n], idx[n:]
        kxx, kyy, kxy = k[np.ix_(a, a)], k[np.ix_(b, b)], k[np.ix_(a, b)]
        m1, m2 = len(a), len(b)
        return (
            (kxx.sum() - np.trace(kxx)) / (m1 * (m1 - 1))
            + (kyy.sum() - np.trace(kyy)) / (m2 * (m2 - 1))
            - 2 * kxy.mean()
        )

    idx = np.arange(len(z))
    obs = stat(idx)
    rng = np.random.default_rng(seed)
    count = sum(stat(rng.permutation(idx)) >= obs for _ in range(n_permutations))
    return {"statistic": float(obs), "p_value": float((1 + count) / (1 + n_permutations))}


def ks_test(x, y) -> dict:
    """Per-feature two-sample Kolmogorov-Smirnov tests combined with Bonferroni ("Failing Loudly").

    Returns:
        ``{"statistic": largest KS distance, "p_value": min(1, d * smallest p)}``.

    Raises:
        ValueError: samples of different dimension or empty.
    """
    x = np.asarray(x, dtype=np.float64).reshape(len(x), -1)
    y = np.asarray(y, dtype=np.float64).reshape(len(y), -1)
    if not len(x) or not len(y) or x.shape[1] != y.shape[1]:
        raise ValueError(f"ks_test needs two non-empty samples in one dimension, got {x.shape}, {y.shape}")
    res = [ks_2samp(x[:, j], y[:, j]) for j in range(x.shape[1])]
    p = min(r.pvalue for r in res)
    return {"statistic": float(max(r.statistic for r in res)), "p_value": float(min(1.0, p * x.shape[1]))}


def size_adjusted_power(null_p, shifted_p, *, fpr: float = 0.05) -> dict:
    """Power at an empirical false-positive rate: the fairest comparison of tests whose sizes differ.

    The threshold is the smallest null p-value that may not be rejected
    while at most ``floor(fpr * len(null_p))`` null p-values fall strictly
    below it; power is the share of ``shifted_p`` strictly below that threshold.
    A test that is anti-conservative at its nominal level gets a lower
    threshold here, a conservative one a higher one.

    >>> r = size_adjusted_power([0.01, 0.2, 0.5, 0.9], [0.001, 0.005, 0.02, 0.3], fpr=0.25)
    >>> r["threshold"], r["null_rejections"], r["power"]
    (0.2, 1, 0.75)

    Raises:
        ValueError: empty samples or ``fpr`` outside [0, 1).
    """
    null = np.sort(np.asarray(null_p, dtype=np.float64).ravel())
    shifted = np.asarray(shifted_p, dtype=np.float64).ravel()
    if not len(null) or not len(shifted):
        raise ValueError("size_adjusted_power needs null and shifted p-values")
    if not 0.0 <= fpr < 1.0:
        raise ValueError(f"fpr must be in [0, 1), got {fpr}")
    allowed = int(np.floor(fpr * len(null) + 1e-9))
    threshold = float(null[allowed])
    return {
        "threshold": threshold,
        "null_rejections": int(np.sum(null < threshold)),
        "n_null": len(null),
        "power": float(np.mean(shifted < threshold)),
        "n_shifted": len(shifted),
    }


def mean_interval(values, *, confidence: float = 0.95) -> tuple[float, float] | None:
    """Student-t interval for the mean of ``values`` (``None`` with fewer than two finite values).

    The t quantile keeps small samples honest (with 3 values it is 4.30, not 1.96); for the
    skewed per-image errors of a few hundred images it agrees with a bootstrap to within a few
    percent, so one rule serves every summary and claim.

    Example:
    >>> lo, hi = mean_interval([1.0, 2.0, 3.0])
    >>> round(lo, 3), round(hi, 3)
    (-0.484, 4.484)
    """
    v = np.asarray(values, dtype=np.float64).ravel()
    v = v[np.isfinite(v)]
    if v.size < 2:
        return None
    half = student_t.ppf(0.5 + confidence / 2, v.size - 1) * v.std(ddof=1) / np.sqrt(v.size)
    return float(v.mean() - half), float(v.mean() + half)


def ratio_interval(numerator, denominator, *, level: float = 0.95) -> dict:
    """Geometric mean of the paired ratios ``numerator / denominator`` with a t-interval of the mean log ratio.

    Args:
        numerator, denominator: paired positive values (e.g. each held-out
            image's error under the other set's model and under its own);
            floored at :data:`EPS`.
        level: confidence level of the interval.

    Returns:
        ``{"ratio", "ci95_low", "ci95_high", "n", "differs"}``: ``differs`` is
        true when the interval excludes 1 (with one pair the interval is the point).

    Raises:
        ValueError: samples of different lengths or empty.

    Example:
    >>> r = ratio_interval([2.0, 2.2, 1.8], [1.0, 1.0, 1.0])
    >>> round(r["ratio"], 2), r["differs"]
    (1.99, True)
    """
    num = np.maximum(np.asarray(numerator, dtype=np.float64), EPS)
    den = np.maximum(np.asarray(denominator, dtype=np.float64), EPS)
    if num.shape != den.shape or num.size == 0:
        raise ValueError(f"ratio_interval needs paired non-empty samples, got {num.shape} and {den.shape}")
    d = np.log(num) - np.log(den)
    mean = float(d.mean())
    ci = mean_interval(d, confidence=level)
    lo, hi = (float(np.exp(ci[0])), float(np.exp(ci[1]))) if ci else (float(np.exp(mean)),) * 2
    return {
        "ratio": float(np.exp(mean)), "ci95_low": lo, "ci95_high": hi, "n": int(d.size), "differs": lo > 1 or hi < 1
    }
