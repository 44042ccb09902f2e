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
