"""Reconstruction metrics per image and per set, and the baselines every result stands beside.

Every metric is computed on images in [0, 1] with a fixed data range of 1, so
numbers are comparable across runs and with the literature. SSIM and PSNR come
from ``tf.image`` (TensorFlow-only).
"""

from __future__ import annotations

import numpy as np


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


def psnr_per_image(x, y, *, max_val: float = 1.0) -> np.ndarray:
    """PSNR in dB of each pair with a fixed data range ``max_val``, capped at :data:`PSNR_CAP_DB`."""
    x, y = _check_pair(x, y)
    mse = mse_per_image(x, y).astype(np.float64)
    with np.errstate(divide="ignore"):
        psnr = 10.0 * np.log10(max_val**2 / mse)
    return np.minimum(psnr, PSNR_CAP_DB)


def ssim_per_image(x, y, *, max_val: float = 1.0, batch: int = 512) -> np.ndarray:
    """SSIM of each pair (``tf.image.ssim``, Gaussian window 11, shrunk for small images).

    Colour images get the mean SSIM over channels.
    """
    import tensorflow as tf

    x, y = _check_pair(x, y)
    size = min(11, x.shape[1], x.shape[2])
    size -= 1 - size % 2  # odd window
    out = [
        tf.image.ssim(
            tf.constant(x[i : i + batch]), tf.constant(y[i : i + batch]), max_val, filter_size=size
        ).numpy()
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


def summarize(values) -> dict[str, float]:
    """Mean, spread and a 95% confidence interval of the mean for a set of per-image values.

    Example:
    >>> s = summarize([1.0, 2.0, 3.0])
    >>> s["mean"], s["median"], s["n"]
    (2.0, 2.0, 3)
    """
    v = np.asarray(values, dtype=np.float64)
    n = len(v)
    sd = float(v.std(ddof=1)) if n > 1 else 0.0
    half = 1.96 * sd / np.sqrt(n) if n > 1 else 0.0
    return {
        "mean": float(v.mean()),
        "std": sd,
        "median": float(np.median(v)),
        "p05": float(np.percentile(v, 5)),
        "p95": float(np.percentile(v, 95)),
        "ci95_low": float(v.mean() - half),
        "ci95_high": float(v.mean() + half),
        "n": n,
    }


def pca_baseline(x_train, x_test, k: int, *, seed: int = 0, max_fit: int = 20_000) -> np.ndarray:
    """Reconstruct ``x_test`` from its first ``k`` principal components fitted on ``x_train``.

    PCA is the best linear autoencoder of code size ``k`` in MSE, so every
    autoencoder result is shown beside it. Uses scikit-learn's randomized SVD on
    at most ``max_fit`` training images.

    Raises:
        ValueError: ``k`` larger than the number of pixels or training images.
    """
    from sklearn.decomposition import PCA

    x_train = np.asarray(x_train, dtype=np.float32)
    shape = x_test.shape
    flat_train = x_train.reshape(len(x_train), -1)
    if len(flat_train) > max_fit:
        flat_train = flat_train[np.random.default_rng(seed).choice(len(flat_train), max_fit, False)]
    if not 0 < k <= min(flat_train.shape):
        raise ValueError(f"k={k} must be in 1..{min(flat_train.shape)} for data {flat_train.shape}")
    solver = "full" if k > 0.5 * min(flat_train.shape) else "randomized"
    pca = PCA(n_components=k, svd_solver=solver, random_state=seed).fit(flat_train)
    flat_test = np.asarray(x_test, dtype=np.float32).reshape(len(x_test), -1)
    return pca.inverse_transform(pca.transform(flat_test)).reshape(shape).astype(np.float32)


def mean_image_baseline(x_train, x_test) -> np.ndarray:
    """Predict every test image as the training set's mean image (code size 0)."""
    mean = np.asarray(x_train, dtype=np.float32).mean(axis=0)
    return np.broadcast_to(mean, np.shape(x_test)).astype(np.float32)


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
    from skimage.metrics import structural_similarity

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
