"""Per-image metrics and their summaries.

* reconstruction: :func:`mse_per_image`, :func:`psnr_per_image`,
  :func:`ssim_per_image`, :func:`reconstruction_metrics`, :func:`image_scores`;
  the source's way of scoring (:func:`source_way_metrics`), to explain its figures;
* summaries: :func:`summarize` (mean with a 95% CI), :func:`rank_examples`,
  :func:`reconstruction_table` (several reconstructions of one set in one table);
* inpainting: errors over the missing pixels only (:func:`masked_mse`, :func:`masked_psnr`);
* anomaly detection: the per-image score (:func:`error_score`), AUROC/AUPRC
  and a threshold for a stated false-positive rate (:func:`anomaly_report`),
  the ROC curve (:func:`roc_points`);
* the input checks the metrics and baselines share (:func:`check_images`, :func:`check_mask`).

Every metric is computed on images in [0, 1] with a fixed data range of 1, so
numbers are comparable across runs and with the literature. SSIM and PSNR come
from ``tf.image`` (TensorFlow-only).
The baselines (PCA, the mean image) moved to :mod:`aeutils.baselines`;
``metrics.pca_baseline`` and ``metrics.mean_image_baseline`` still work.
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf
from scipy.ndimage import uniform_filter
from skimage.metrics import structural_similarity
from sklearn.metrics import average_precision_score, roc_auc_score, roc_curve

from aeutils.stats import mean_interval  # the one Student-t interval of a mean (re-exported here)


def _check_pair(x, y):
    x = np.asarray(x, dtype=np.float32)
    y = np.asarray(y, dtype=np.float32)
    if x.shape != y.shape:
        raise ValueError(f"shapes differ: {x.shape} vs {y.shape}")
    if x.ndim != 4:
        raise ValueError(f"expected (N, H, W, C) images, got {x.shape}")
    return x, y


def mse_per_image(x, y) -> np.ndarray:
    """Mean squared error of each image pair, shape ``(N,)``.

    Example:
    >>> mse_per_image(np.zeros((2, 4, 4, 1)), np.full((2, 4, 4, 1), 0.5)).tolist()
    [0.25, 0.25]
    """
    x, y = _check_pair(x, y)
    return np.mean((x - y) ** 2, axis=(1, 2, 3))


#: PSNR reported for identical images (tf.image gives inf); 100 dB is far above
#: any real reconstruction and keeps means finite.
PSNR_CAP_DB = 100.0

#: PSNR of 8-bit rounding itself, 10 log10(12 * 255^2) = 58.92 dB (uniform noise of one
#: quantisation step): the most an estimate can be scored against an 8-bit truth and still
#: measure the image rather than its rounding. Where a method reproduces some truths exactly
#: (the gray image of a gray photo), capping there keeps those images from dominating a mean.
PSNR_8BIT_DB = float(10.0 * np.log10(12.0 * 255.0**2))


def psnr_per_image(x, y, *, max_val: float = 1.0, cap_db: float = PSNR_CAP_DB) -> np.ndarray:
    """PSNR in dB of each pair with a fixed data range ``max_val``, capped at ``cap_db``.

    Example:
    >>> x = np.zeros((2, 4, 4, 1)); y = x.copy(); y[1] += 0.1
    >>> psnr_per_image(x, y).round(2).tolist(), psnr_per_image(x, y, cap_db=PSNR_8BIT_DB).round(2).tolist()
    ([100.0, 20.0], [58.92, 20.0])
    """
    x, y = _check_pair(x, y)
    mse = mse_per_image(x, y).astype(np.float64)
    with np.errstate(divide="ignore"):
        psnr = 10.0 * np.log10(max_val**2 / mse)
    return np.minimum(psnr, cap_db)


def ssim_per_image(x, y, *, max_val: float = 1.0, batch: int = 512) -> np.ndarray:
    """SSIM of each pair (``tf.image.ssim``, Gaussian window 11, shrunk for small images).

    Colour images get the mean SSIM over channels.
    """

    x, y = _check_pair(x, y)
    size = min(11, x.shape[1], x.shape[2])
    size -= 1 - size % 2  # odd window
    out = [
        tf.image.ssim(tf.constant(x[i : i + batch]), tf.constant(y[i : i + batch]), max_val, filter_size=size).numpy()
        for i in range(0, len(x), batch)
    ]
    return np.concatenate(out).astype(np.float64) if out else np.zeros(0)


def reconstruction_metrics(x, y, *, value_range=(0.0, 1.0)) -> dict[str, np.ndarray]:
    """Per-image MSE, PSNR and SSIM after mapping both sets from ``value_range`` to [0, 1].

    Returns:
        ``{"mse": (N,), "psnr": (N,), "ssim": (N,)}``; MSE is on [0, 1].
    """
    lo, hi = value_range
    x = (np.asarray(x, dtype=np.float32) - lo) / (hi - lo)
    y = np.clip((np.asarray(y, dtype=np.float32) - lo) / (hi - lo), 0.0, 1.0)
    return {"mse": mse_per_image(x, y), "psnr": psnr_per_image(x, y), "ssim": ssim_per_image(x, y)}


#: Column names of :func:`reconstruction_table`, per metric of :func:`reconstruction_metrics`.
TABLE_COLUMNS = {"mse": "MSE", "psnr": "PSNR (dB)", "ssim": "SSIM"}


def reconstruction_table(truth, reconstructions, *, value_range=(0.0, 1.0)) -> list[dict]:
    """One row per reconstruction of the same images: mean MSE, PSNR and SSIM, each with its 95% interval.

    Args:
        truth: the images, ``(N, H, W, C)`` in ``value_range``.
        reconstructions: ``{name: images of truth's shape}`` (e.g. a model's and PCA's).
        value_range: the images' range; scores are on [0, 1] (:func:`reconstruction_metrics`).

    Returns:
        Rows for :func:`aeutils.plotting.metric_table`: ``method``, each metric's mean
        (``MSE``, ``PSNR (dB)``, ``SSIM``) and its Student-t half-width (``... ±95%``), ``images``.

    Raises:
        ValueError: no reconstructions, or one whose shape differs from ``truth``'s.

    Example:
    >>> x = np.zeros((4, 2, 2, 1), np.float32)
    >>> [r["method"] for r in reconstruction_table(x, {"copy": x, "grey": x + 0.5})]
    ['copy', 'grey']
    """
    if not reconstructions:
        raise ValueError("reconstruction_table needs at least one reconstruction")
    rows = []
    for name, recon in reconstructions.items():
        if np.shape(recon) != np.shape(truth):
            raise ValueError(f"reconstruction {name!r} has shape {np.shape(recon)}, the images {np.shape(truth)}")
        row = {"method": name}
        for key, values in reconstruction_metrics(truth, recon, value_range=value_range).items():
            s = summarize(values)
            row[TABLE_COLUMNS[key]] = s["mean"]
            row[f"{TABLE_COLUMNS[key]} ±95%"] = (s["ci95_high"] - s["ci95_low"]) / 2
        row["images"] = len(truth)
        rows.append(row)
    return rows


def summarize(values) -> dict[str, float]:
    """Mean, spread and a 95% Student-t confidence interval of the mean for a set of per-image values.

    Example:
    >>> s = summarize([1.0, 2.0, 3.0])
    >>> s["mean"], s["median"], s["n"], round(s["ci95_high"], 3)
    (2.0, 2.0, 3, 4.484)
    """
    v = np.asarray(values, dtype=np.float64)
    n = len(v)
    sd = float(v.std(ddof=1)) if n > 1 else 0.0
    ci = mean_interval(v)
    lo, hi = ci if ci is not None else (float(v.mean()), float(v.mean()))
    return {
        "mean": float(v.mean()),
        "std": sd,
        "median": float(np.median(v)),
        "p05": float(np.percentile(v, 5)),
        "p95": float(np.percentile(v, 95)),
        "ci95_low": lo,
        "ci95_high": hi,
        "n": n,
    }


# ---------------------------------------------------------------------------
# SSIM and PSNR the source's way (source report 2), to explain its figures
# ---------------------------------------------------------------------------


def source_way_metrics(
    x, y, *, mean: float = 0.5, std: float = 0.5, win_size: int = 7, per_image_range: bool = True
) -> dict[str, np.ndarray]:
    """PSNR and SSIM per image computed as the source report did, for comparison only.

    The source scored its reconstructions on *normalised* values
    (``(v - mean) / std``, i.e. [-1, 1]) with the data range of each reference
    image (its max minus min) instead of the fixed range of the scale, and with
    scikit-image's SSIM (uniform 7x7 window). Predictions are not clipped. A
    per-image range shifts PSNR by ``20 log10(range / 2)`` dB against the fixed
    [-1, 1] range (lower for low-contrast images) and changes SSIM's stabilising
    constants image by image, so numbers are not comparable between images or
    with the literature. Use :func:`reconstruction_metrics` for results.

    Args:
        x: reference images ``(N, H, W, C)`` in [0, 1].
        y: reconstructions in the same scale (unclipped is fine).
        mean: normalisation mean (source: 0.5).
        std: normalisation std (source: 0.5).
        win_size: SSIM window side (odd; shrunk for images smaller than it).
        per_image_range: ``False`` uses the scale's fixed range ``1 / std``
            instead, which isolates the effect of the window and the scale.

    Returns:
        ``{"psnr": (N,), "ssim": (N,), "data_range": (N,)}``. Identical images
        give SSIM 1 and PSNR :data:`PSNR_CAP_DB`; a constant reference image
        (range 0) is scored with the scale's full range ``1 / std``.

    Raises:
        ValueError: shapes differ or are not ``(N, H, W, C)``.

    Example:
    >>> x = np.linspace(0, 1, 2 * 8 * 8).reshape(2, 8, 8, 1)
    >>> m = source_way_metrics(x, x)
    >>> m["ssim"].tolist(), m["psnr"].tolist()
    ([1.0, 1.0], [100.0, 100.0])
    """

    x, y = _check_pair(x, y)
    xn = ((x - mean) / std).astype(np.float64)
    yn = ((y - mean) / std).astype(np.float64)
    ranges = xn.max(axis=(1, 2, 3)) - xn.min(axis=(1, 2, 3))
    ranges = np.where((ranges > 0) & per_image_range, ranges, 1.0 / std)
    win = min(win_size, x.shape[1], x.shape[2])
    win -= 1 - win % 2
    multichannel = x.shape[-1] > 1
    ssim = np.array(
        [
            structural_similarity(
                a if multichannel else a[..., 0],
                b if multichannel else b[..., 0],
                data_range=float(r),
                win_size=win,
                channel_axis=-1 if multichannel else None,
            )
            for a, b, r in zip(xn, yn, ranges)
        ],
        dtype=np.float64,
    )
    mse = np.mean((xn - yn) ** 2, axis=(1, 2, 3))
    with np.errstate(divide="ignore"):
        psnr = 10.0 * np.log10(ranges**2 / mse)
    return {"psnr": np.minimum(psnr, PSNR_CAP_DB), "ssim": ssim, "data_range": ranges}


def rank_examples(scores, *, k: int = 3, higher_is_better: bool = True) -> dict[str, np.ndarray]:
    """Indices of the best, median and worst ``k`` images by a per-image score.

    Args:
        scores: per-image values, e.g. SSIM.
        k: images per group (fewer if there are fewer than ``3 * k`` images).
        higher_is_better: ``True`` for SSIM/PSNR, ``False`` for MSE.

    Returns:
        ``{"best": idx, "median": idx, "worst": idx}``, each best first.

    Raises:
        ValueError: no scores, or ``k < 1``.

    Example:
    >>> {g: i.tolist() for g, i in rank_examples([0.1, 0.9, 0.5, 0.7, 0.3], k=1).items()}
    {'best': [1], 'median': [2], 'worst': [0]}
    """
    s = np.asarray(scores, dtype=np.float64).ravel()
    if s.size == 0 or k < 1:
        raise ValueError(f"need at least one score and k >= 1, got {s.size} scores and k={k}")
    order = np.argsort(-s if higher_is_better else s, kind="stable")
    k = min(k, max(1, len(s) // 3))
    mid = max(0, min(len(s) - k, len(s) // 2 - k // 2))
    return {"best": order[:k], "median": order[mid : mid + k], "worst": order[len(s) - k :]}


# ---------------------------------------------------------------------------
# Checks shared by the image metrics and the baselines
# ---------------------------------------------------------------------------


def check_images(x, what: str = "images") -> np.ndarray:
    """``x`` as float32 ``(N, H, W, C)`` images, refused (``ValueError``) unless 4-D and in [0, 1]."""
    x = np.asarray(x, dtype=np.float32)
    if x.ndim != 4:
        raise ValueError(f"{what} must be (N, H, W, C), got shape {x.shape}")
    if x.size and (float(x.min()) < -1e-6 or float(x.max()) > 1 + 1e-6):
        raise ValueError(f"{what} must be in [0, 1], got values in [{float(x.min()):.3g}, {float(x.max()):.3g}]")
    return x


def check_mask(images: np.ndarray, mask) -> np.ndarray:
    """A missing-pixel mask (``True`` = missing) as bool ``(N, H, W, 1 or C)``, refused unless it fits ``images``."""
    mask = np.asarray(mask).astype(bool)
    if mask.ndim == 3:
        mask = mask[..., None]
    if mask.shape[:3] != images.shape[:3] or mask.shape[-1] not in (1, images.shape[-1]):
        raise ValueError(f"mask of shape {mask.shape} does not fit images of shape {images.shape}")
    return mask


# ---------------------------------------------------------------------------
# Inpainting: errors on the missing pixels only
# ---------------------------------------------------------------------------


def masked_mse(truth, estimate, mask) -> np.ndarray:
    """Per-image mean squared error over the missing pixels only (all channels).

    Returns:
        ``(N,)``; ``nan`` for an image with no missing pixel.

    Raises:
        ValueError: shapes that do not match.

    Example:
    >>> t = np.zeros((1, 2, 2, 1)); e = np.array([[[[1.0], [0.5]], [[9.0], [9.0]]]])
    >>> m = np.array([[[[True], [True]], [[False], [False]]]])
    >>> masked_mse(t, e, m).tolist()
    [0.625]
    """
    truth = np.asarray(truth, dtype=np.float64)
    estimate = np.asarray(estimate, dtype=np.float64)
    if truth.shape != estimate.shape or truth.ndim != 4:
        raise ValueError(f"shapes differ or are not (N, H, W, C): {truth.shape} vs {estimate.shape}")
    m = np.broadcast_to(check_mask(truth, mask), truth.shape)
    sq = np.where(m, (truth - estimate) ** 2, 0.0).sum(axis=(1, 2, 3))
    count = m.sum(axis=(1, 2, 3))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, sq / np.maximum(count, 1), np.nan)


def masked_psnr(truth, estimate, mask) -> np.ndarray:
    """Per-image PSNR (dB, data range 1) over the missing pixels only, capped as in ``metrics.psnr_per_image``."""
    mse = masked_mse(truth, estimate, mask)
    with np.errstate(divide="ignore"):
        return np.minimum(10.0 * np.log10(1.0 / mse), PSNR_CAP_DB)


# ---------------------------------------------------------------------------
# Restoration and anomaly detection scores
# ---------------------------------------------------------------------------


def image_scores(truth, estimate) -> dict:
    """Mean PSNR (dB) and SSIM of ``estimate`` against ``truth`` (both in [0, 1]; estimate clipped)."""
    r = reconstruction_metrics(truth, np.clip(estimate, 0.0, 1.0))
    return {"psnr_db": float(np.mean(r["psnr"])), "ssim": float(np.mean(r["ssim"])), "mse": float(np.mean(r["mse"]))}


#: Anomaly scores of :func:`error_score`.
ERROR_SCORES = ("mse", "local_max")


def error_score(images, reconstructions, *, score: str = "mse", window: int = 5) -> np.ndarray:
    """Per-image anomaly score from the reconstruction error.

    ``"mse"``: the mean squared error over the image. ``"local_max"``: the
    largest mean squared error of any ``window x window`` patch (zero padding
    at the border): an anomaly differs in a few strokes or parts, and averaging
    over the whole image dilutes that with the well-reconstructed background.

    Args:
        images: ``(N, H, W, C)`` in [0, 1].
        reconstructions: same shape (clipped to [0, 1]).
        score: one of :data:`ERROR_SCORES`.
        window: patch side for ``"local_max"``.

    Returns:
        ``(N,)`` scores, higher meaning more anomalous.

    Raises:
        ValueError: unknown score, ``window < 1`` or shapes that differ.

    Example:
    >>> x = np.zeros((2, 8, 8, 1)); r = x.copy(); r[0, 2, 2] = 1.0; r[1] = 1 / 8
    >>> error_score(x, r).tolist(), error_score(x, r, score="local_max", window=2).tolist()
    ([0.015625, 0.015625], [0.25, 0.015625])
    """
    if score not in ERROR_SCORES:
        raise ValueError(f"unknown score {score!r}; choose from {ERROR_SCORES}")
    if int(window) < 1:
        raise ValueError(f"window must be >= 1, got {window}")
    x = check_images(images)
    r = np.clip(np.asarray(reconstructions, dtype=np.float32), 0.0, 1.0)
    if score == "mse":
        return mse_per_image(x, r)
    if r.shape != x.shape:
        raise ValueError(f"shapes differ: {x.shape} vs {r.shape}")

    local = uniform_filter(((x - r) ** 2).mean(axis=-1), size=(1, int(window), int(window)), mode="constant")
    return local.max(axis=(1, 2))


def anomaly_report(val_normal_scores, test_scores, test_is_anomaly, *, fpr: float = 0.05) -> dict:
    """Score an anomaly detector: AUROC, AUPRC and a threshold for a stated false-positive rate.

    The threshold is the ``1 - fpr`` quantile of the scores of held-out normal
    images (never seen in training), so about ``fpr`` of new normal images are
    flagged; the test rows show what it really gives.

    Args:
        val_normal_scores: scores of held-out normal images (threshold set).
        test_scores: scores of the test images (higher = more anomalous).
        test_is_anomaly: bool per test image.
        fpr: target false-positive rate in (0, 1).

    Returns:
        ``{"auroc", "auprc", "anomaly_rate" (AUPRC of a random score), "threshold",
        "target_fpr", "test_fpr", "test_tpr", "test_precision", "n_normal", "n_anomalous",
        "n_val_normal"}``.

    Raises:
        ValueError: lengths differ, a class missing from the test set, no
            validation scores, or ``fpr`` outside (0, 1).

    Example:
    >>> r = anomaly_report([0.1, 0.2], [0.1, 0.2, 0.3, 0.25, 0.4, 0.5], [0, 0, 0, 1, 1, 1])
    >>> round(r["auroc"], 4)
    0.8889
    """

    test_scores = np.asarray(test_scores, dtype=np.float64)
    y = np.asarray(test_is_anomaly).astype(bool)
    val = np.asarray(val_normal_scores, dtype=np.float64)
    if len(test_scores) != len(y):
        raise ValueError(f"{len(test_scores)} scores but {len(y)} labels")
    if y.all() or not y.any():
        raise ValueError("the test set needs both normal and anomalous images")
    if len(val) == 0:
        raise ValueError("no held-out normal scores to set the threshold on")
    if not 0.0 < fpr < 1.0:
        raise ValueError(f"fpr must be in (0, 1), got {fpr}")
    threshold = float(np.quantile(val, 1.0 - fpr, method="higher"))
    flagged = test_scores > threshold
    tp = int(np.sum(flagged & y))
    return {
        "auroc": float(roc_auc_score(y, test_scores)),
        "auprc": float(average_precision_score(y, test_scores)),
        "anomaly_rate": float(y.mean()),
        "threshold": threshold,
        "target_fpr": float(fpr),
        "test_fpr": float(np.mean(flagged[~y])),
        "test_tpr": float(np.mean(flagged[y])),
        "test_precision": float(tp / max(int(flagged.sum()), 1)),
        "n_normal": int((~y).sum()),
        "n_anomalous": int(y.sum()),
        "n_val_normal": int(len(val)),
    }


def roc_points(test_scores, test_is_anomaly) -> tuple[np.ndarray, np.ndarray]:
    """False- and true-positive rates along the ROC curve (for plotting).

    Returns:
        ``(fpr, tpr)`` arrays.
    """

    fpr, tpr, _ = roc_curve(np.asarray(test_is_anomaly).astype(bool), np.asarray(test_scores))
    return fpr, tpr


#: Names that moved to :mod:`aeutils.baselines`, still importable from here.
_MOVED_TO_BASELINES = ("pca_baseline", "mean_image_baseline")


def __getattr__(name):
    # A lazy re-export: aeutils.baselines imports this module, so a top-level
    # import of it here would be a cycle.
    if name in _MOVED_TO_BASELINES:
        from aeutils import baselines

        return getattr(baselines, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
