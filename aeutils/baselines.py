"""The baselines every autoencoder result stands beside: the one PCA, the mean image, classical fills and filters.

* PCA (:func:`fit_pca`, a :class:`PCABasis`): the best linear autoencoder of a
  code size in MSE, fitted once at the largest code size wanted and truncated
  for smaller ones (:meth:`PCABasis.reconstruct` with ``k``). Everything that
  needs principal components goes through it: :func:`pca_baseline` (one
  reconstruction), :func:`pca_curve` (error per code size),
  :func:`pca_codes` (codes for a probe), ``aeutils.compare.pca_codes``
  (the "Failing Loudly" embedding);
* :func:`mean_image_baseline`: every image predicted as the training mean (code size 0);
* denoising: :func:`gaussian_filter_denoise` with its width chosen on
  validation images (:func:`tune_gaussian_filter`);
* inpainting: :func:`mean_fill`, :func:`normalized_convolution_fill`,
  :func:`biharmonic_fill` (with :func:`composite`, keeping observed pixels);
* super-resolution: :func:`bicubic_upscale`.

All images are float arrays ``(N, H, W, C)`` in [0, 1].
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence

import numpy as np
import tensorflow as tf
from scipy.ndimage import correlate1d, gaussian_filter
from skimage.restoration import inpaint_biharmonic
from sklearn.decomposition import PCA

from aeutils import metrics as M
from aeutils.data import subsample

# ---------------------------------------------------------------------------
# PCA: fitted once, truncated for smaller code sizes
# ---------------------------------------------------------------------------

#: ``solver=None`` in :func:`fit_pca`: an exact SVD when ``k`` is above half the
#: rank (randomised SVD is then no faster and less accurate), randomised below.
PCA_SOLVERS = (None, "full", "randomized", "auto", "covariance_eigh", "arpack")


def gaussian_kernel_1d(sigma: float) -> list[float]:
    """Normalised 1-D Gaussian weights of radius ``max(1, ceil(2 * sigma))`` (the normalised convolution's blur).

    Example:
    >>> [round(v, 3) for v in gaussian_kernel_1d(0.5)]
    [0.107, 0.787, 0.107]
    """
    radius = max(1, math.ceil(2.0 * float(sigma)))
    w = [math.exp(-0.5 * (i / float(sigma)) ** 2) for i in range(-radius, radius + 1)]
    total = sum(w)
    return [v / total for v in w]


@dataclasses.dataclass(frozen=True)
class PCABasis:
    """Principal components fitted on training images; codes and reconstructions at any ``k <= self.k``.

    Attributes:
        pca: the fitted ``sklearn.decomposition.PCA`` (``k`` components).
        image_shape: ``(H, W, C)`` of the training images (the shape of decoded images).
    """

    pca: object
    image_shape: tuple

    @property
    def k(self) -> int:
        """Number of fitted components (the largest code size)."""
        return int(self.pca.n_components_)

    @property
    def components(self) -> np.ndarray:
        """The principal axes ``(k, H * W * C)``, largest variance first."""
        return self.pca.components_

    @property
    def mean(self) -> np.ndarray:
        """The training images' mean, flattened ``(H * W * C,)``."""
        return self.pca.mean_

    def _k(self, k) -> int:
        k = self.k if k is None else int(k)
        if not 0 < k <= self.k:
            raise ValueError(f"k={k} must be in 1..{self.k} (the components fitted)")
        return k

    def encode(self, x, k: int | None = None) -> np.ndarray:
        """Codes ``(N, k)`` of images ``x``: their first ``k`` principal components (default all)."""
        flat = np.asarray(x, dtype=np.float32).reshape(len(x), -1)
        k = self._k(k)
        if k == self.k:
            return self.pca.transform(flat)
        return (flat - self.mean) @ self.components[:k].T

    def decode(self, codes) -> np.ndarray:
        """Images ``(N, H, W, C)`` from codes ``(N, k)`` (``k`` taken from the codes' width)."""
        codes = np.asarray(codes)
        k = self._k(codes.shape[1])
        if k == self.k:
            flat = self.pca.inverse_transform(codes)
        else:
            flat = codes @ self.components[:k] + self.mean
        return flat.reshape(len(codes), *self.image_shape).astype(np.float32)

    def reconstruct(self, x, k: int | None = None) -> np.ndarray:
        """``x`` projected on its first ``k`` principal components and back, same shape as ``x``, float32."""
        return self.decode(self.encode(x, k)).reshape(np.shape(x)).astype(np.float32)


def fit_pca(x_train, k: int, *, seed: int = 0, max_fit: int | None = 20_000, solver: str | None = None) -> PCABasis:
    """Fit ``k`` principal components on images ``x_train`` (flattened), once.

    Args:
        x_train: ``(N, ...)`` training images.
        k: components to fit: the largest code size wanted (smaller ones truncate).
        seed: seeds the subset of ``max_fit`` images and the randomised solver.
        max_fit: fit on at most this many training images (a seeded random
            subset); ``None`` fits on all.
        solver: scikit-learn's ``svd_solver``, or ``None``: ``"full"`` when
            ``k`` is above half of ``min(images, pixels)``, else ``"randomized"``.
            (``aeutils.compare.pca_codes`` keeps scikit-learn's ``"auto"``, the
            probes' :func:`pca_codes` ``"randomized"``: their seeded results
            stay as they were.)

    Returns:
        A :class:`PCABasis`.

    Raises:
        ValueError: ``k`` larger than the number of pixels or training images, or an unknown solver.

    Example:
    >>> x = np.random.default_rng(0).uniform(size=(20, 4, 4, 1)).astype(np.float32)
    >>> basis = fit_pca(x, 16, solver="full")
    >>> float(np.abs(basis.reconstruct(x) - x).max()) < 1e-5, basis.encode(x, 3).shape
    (True, (20, 3))
    """

    if solver not in PCA_SOLVERS:
        raise ValueError(f"unknown solver {solver!r}; choose from {PCA_SOLVERS}")
    x_train = np.asarray(x_train, dtype=np.float32)
    flat = x_train.reshape(len(x_train), -1)
    if max_fit is not None and len(flat) > max_fit:
        flat = flat[subsample(len(flat), max_fit, seed, keep_order=False)]
    if not 0 < k <= min(flat.shape):
        raise ValueError(f"k={k} must be in 1..{min(flat.shape)} for data {flat.shape}")
    if solver is None:
        solver = "full" if k > 0.5 * min(flat.shape) else "randomized"
    pca = PCA(n_components=int(k), svd_solver=solver, random_state=seed).fit(flat)
    return PCABasis(pca=pca, image_shape=tuple(x_train.shape[1:]))


def pca_baseline(x_train, x_test, k: int, *, seed: int = 0, max_fit: int = 20_000) -> np.ndarray:
    """Reconstruct ``x_test`` from its first ``k`` principal components fitted on ``x_train``.

    PCA is the best linear autoencoder of code size ``k`` in MSE, so every
    autoencoder result is shown beside it. Fits :func:`fit_pca` (randomised
    SVD unless ``k`` is above half the rank) on at most ``max_fit`` training images.

    Raises:
        ValueError: ``k`` larger than the number of pixels or training images.
    """
    return fit_pca(x_train, k, seed=seed, max_fit=max_fit).reconstruct(x_test)


def pca_codes(train, test, k: int, *, seed: int = 0, max_fit: int = 20_000) -> tuple[np.ndarray, np.ndarray]:
    """Project images on the first ``k`` principal components fitted on ``train`` (randomised SVD).

    Returns:
        ``(train_codes, test_codes)``, each ``(N, k)`` float32.

    Raises:
        ValueError: ``k`` larger than the pixels or training images allow.
    """
    basis = fit_pca(train, k, seed=seed, max_fit=max_fit, solver="randomized")
    return basis.encode(train).astype(np.float32), basis.encode(test).astype(np.float32)


def pca_curve(train, test, sizes: Sequence[int], *, seed: int = 0) -> list[dict]:
    """PCA reconstruction error of ``test`` for each code size (the linear bound to beat).

    One fit at the largest valid size (:func:`fit_pca`), truncated for the others.

    Returns:
        Rows ``{"code_size", "mse", "psnr_db"}``; sizes above what the data allow are skipped.
    """
    train = M.check_images(train, "train")
    test = M.check_images(test, "test")
    limit = min(len(train), int(np.prod(train.shape[1:])))
    valid = [int(k) for k in sizes if 0 < k <= limit]
    if not valid:
        return []
    basis = fit_pca(train, max(valid), seed=seed)
    rows = []
    for k in valid:
        recon = np.clip(basis.reconstruct(test, k), 0.0, 1.0)
        rows.append(
            {
                "code_size": k,
                "mse": float(np.mean(M.mse_per_image(test, recon))),
                "psnr_db": float(np.mean(M.psnr_per_image(test, recon))),
            }
        )
    return rows


def mean_image_baseline(x_train, x_test) -> np.ndarray:
    """Predict every test image as the training set's mean image (code size 0)."""
    mean = np.asarray(x_train, dtype=np.float32).mean(axis=0)
    return np.broadcast_to(mean, np.shape(x_test)).astype(np.float32)


# ---------------------------------------------------------------------------
# Denoising
# ---------------------------------------------------------------------------


def gaussian_filter_denoise(images, sigma: float) -> np.ndarray:
    """Blur each image with a Gaussian of width ``sigma`` pixels (channels separately): the classical baseline.

    Raises:
        ValueError: bad images or ``sigma < 0``.
    """

    x = M.check_images(images)
    if sigma < 0:
        raise ValueError(f"sigma must be >= 0, got {sigma}")
    if sigma == 0:
        return x.copy()
    return gaussian_filter(x, sigma=(0, sigma, sigma, 0), mode="reflect").astype(np.float32)


def tune_gaussian_filter(noisy, clean, sigmas: Sequence[float] = (0.5, 0.75, 1.0, 1.5, 2.0)) -> float:
    """Pick the Gaussian filter width with the best mean PSNR on a validation pair ``noisy`` → ``clean``.

    Returns:
        The chosen ``sigma``.

    Raises:
        ValueError: empty ``sigmas`` or mismatched images.
    """
    if not len(sigmas):
        raise ValueError("sigmas must not be empty")
    scores = [float(np.mean(M.psnr_per_image(clean, gaussian_filter_denoise(noisy, s)))) for s in sigmas]
    return float(sigmas[int(np.argmax(scores))])


# ---------------------------------------------------------------------------
# Inpainting
# ---------------------------------------------------------------------------


def composite(observed, estimate, mask) -> np.ndarray:
    """Keep the observed pixels and take ``estimate`` only where pixels are missing.

    Raises:
        ValueError: shapes that do not match.
    """
    observed = np.asarray(observed, dtype=np.float32)
    estimate = np.clip(np.asarray(estimate, dtype=np.float32), 0.0, 1.0)
    if observed.shape != estimate.shape:
        raise ValueError(f"shapes differ: {observed.shape} vs {estimate.shape}")
    return np.where(M.check_mask(observed, mask), estimate, observed).astype(np.float32)


def mean_fill(images, mask, *, train_images) -> np.ndarray:
    """Mean imputation: fill each missing pixel with that pixel's mean over the training images.

    Raises:
        ValueError: training images of another image shape.
    """
    x = M.check_images(images)
    train = M.check_images(train_images, "train_images")
    if train.shape[1:] != x.shape[1:]:
        raise ValueError(f"training images {train.shape[1:]} differ from images {x.shape[1:]}")
    return composite(x, np.broadcast_to(train.mean(axis=0), x.shape), mask)


def normalized_convolution_fill(images, mask, *, sigma: float = 1.0, eps: float = 1e-3) -> np.ndarray:
    """Cheap classical inpainting: normalised convolution, ``blur(observed) / blur(valid)`` (NumPy reference).

    ``(blur(x * valid) + eps * m) / (blur(valid) + eps)`` with a Gaussian blur
    of ``sigma`` pixels (zero padding; weights of
    :func:`aeutils.models.layers.gaussian_kernel_1d`) and ``m`` the image's mean
    observed value per channel; observed pixels are kept. The inpainting
    network (:func:`aeutils.models.build_inpainter`) computes the same fill in
    its graph and learns a correction to it.

    Raises:
        ValueError: bad images or mask.

    Example:
    >>> x = np.zeros((1, 3, 3, 1)); x[0, :, 0] = 1.0
    >>> m = np.zeros((1, 3, 3, 1), bool); m[0, 1, 1] = True
    >>> round(float(normalized_convolution_fill(x, m, sigma=0.5)[0, 1, 1, 0]), 2)
    0.28
    """

    x = M.check_images(images).astype(np.float64)
    m = M.check_mask(x, mask).astype(np.float64)
    valid = 1.0 - m
    observed = x * valid
    g = np.asarray(gaussian_kernel_1d(sigma))

    def blur(a):
        a = correlate1d(a, g, axis=1, mode="constant", cval=0.0)
        return correlate1d(a, g, axis=2, mode="constant", cval=0.0)

    mean = observed.sum(axis=(1, 2), keepdims=True) / (valid.sum(axis=(1, 2), keepdims=True) + 1e-6)
    fill = (blur(observed) + eps * mean) / (blur(np.broadcast_to(valid, x.shape)) + eps)
    return composite(x, fill, m)


def biharmonic_fill(images, mask) -> np.ndarray:
    """Classical inpainting: scikit-image's biharmonic inpainting of the missing pixels, image by image.

    Raises:
        ValueError: bad images or mask.
    """

    x = M.check_images(images)
    m = M.check_mask(x, mask)[..., 0]
    out = x.copy()
    for i in range(len(x)):
        if m[i].any():
            out[i] = inpaint_biharmonic(x[i], m[i], channel_axis=-1)
    return np.clip(out, 0.0, 1.0).astype(np.float32)


# ---------------------------------------------------------------------------
# Super-resolution
# ---------------------------------------------------------------------------


def bicubic_upscale(images, factor: int = 2) -> np.ndarray:
    """The baseline: bicubic upscaling (``tf.image.resize``, no antialiasing), clipped to [0, 1].

    Raises:
        ValueError: bad images or ``factor < 1``.
    """

    x = M.check_images(images)
    if factor < 1:
        raise ValueError(f"factor must be >= 1, got {factor}")
    size = (x.shape[1] * factor, x.shape[2] * factor)
    out = [tf.image.resize(x[i : i + 1024], size, method="bicubic").numpy() for i in range(0, len(x), 1024)]
    return np.clip(np.concatenate(out), 0.0, 1.0).astype(np.float32)
