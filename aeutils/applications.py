"""What autoencoders are used for, each scored properly and beside its baseline (source report 5).

* denoising: corrupt test images (:func:`corrupt`) and compare with a Gaussian
  filter whose width is chosen on validation images (:func:`tune_gaussian_filter`);
* anomaly detection: reconstruction error as the score, AUROC and AUPRC, and a
  threshold set on held-out *normal* images for a stated false-positive rate
  (:func:`anomaly_report`), beside PCA's reconstruction error;
* missing values / inpainting: masks of random pixels or blocks
  (:func:`make_mask`), error on the missing pixels only (:func:`masked_mse`),
  against mean-fill and scikit-image's biharmonic inpainting;
* super-resolution: area-downscaled input (:func:`downscale`), PSNR/SSIM
  against bicubic upscaling (:func:`bicubic_upscale`);
* feature extraction: a logistic-regression probe on codes, on PCA codes of the
  same size and on raw pixels (:func:`probe_comparison`);
* dimension reduction: PCA's error at each code size (:func:`pca_curve`) to set
  an autoencoder's curve against.

All images are float arrays ``(N, H, W, C)`` in [0, 1]. ``tf.image`` makes the
resizing helpers TensorFlow-only.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from aeutils import metrics as M


def _images(x, what: str = "images") -> np.ndarray:
    x = np.asarray(x, dtype=np.float32)
    if x.ndim != 4:
        raise ValueError(f"{what} must be (N, H, W, C), got shape {x.shape}")
    if x.size and (float(x.min()) < -1e-6 or float(x.max()) > 1 + 1e-6):
        raise ValueError(f"{what} must be in [0, 1], got values in [{float(x.min()):.3g}, {float(x.max()):.3g}]")
    return x


# ---------------------------------------------------------------------------
# Denoising
# ---------------------------------------------------------------------------


def corrupt(images, *, kind: str = "gaussian", strength: float = 0.3, seed: int = 0) -> np.ndarray:
    """Corrupt images once, reproducibly, with the same layer a denoising autoencoder trains with.

    Args:
        images: ``(N, H, W, C)`` in [0, 1].
        kind: ``"gaussian"``, ``"salt_pepper"``, ``"masking"`` or ``"block"``
            (see :class:`aeutils.layers.Corruption`).
        strength: noise standard deviation, or fraction of pixels hit.
        seed: seed of the noise.

    Returns:
        Corrupted images, float32, clipped to [0, 1].

    Raises:
        ValueError: bad images, unknown kind or strength out of range.
    """
    from aeutils.layers import Corruption

    x = _images(images)
    layer = Corruption(kind, strength, seed=seed)
    out = [np.asarray(layer(x[i : i + 1024], training=True)) for i in range(0, len(x), 1024)]
    return np.concatenate(out).astype(np.float32) if out else x.copy()


def gaussian_filter_denoise(images, sigma: float) -> np.ndarray:
    """Blur each image with a Gaussian of width ``sigma`` pixels (channels separately): the classical baseline.

    Raises:
        ValueError: bad images or ``sigma < 0``.
    """
    from scipy.ndimage import gaussian_filter

    x = _images(images)
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
# Anomaly detection
# ---------------------------------------------------------------------------


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
    x = _images(images)
    r = np.clip(np.asarray(reconstructions, dtype=np.float32), 0.0, 1.0)
    if score == "mse":
        return M.mse_per_image(x, r)
    if r.shape != x.shape:
        raise ValueError(f"shapes differ: {x.shape} vs {r.shape}")
    from scipy.ndimage import uniform_filter

    local = uniform_filter(((x - r) ** 2).mean(axis=-1), size=(1, int(window), int(window)), mode="constant")
    return local.max(axis=(1, 2))


def reconstruction_errors(model, images, *, batch_size: int = 256, score: str = "mse", window: int = 5) -> np.ndarray:
    """Per-image reconstruction error of ``model`` (the anomaly score), as :func:`error_score`.

    Raises:
        ValueError: bad images or score.
    """
    x = _images(images)
    recon = np.asarray(model.predict(x, batch_size=batch_size, verbose=0), dtype=np.float32)
    return error_score(x, recon, score=score, window=window)


def pca_reconstruction_errors(train, test, k: int, *, seed: int = 0, score: str = "mse", window: int = 5) -> np.ndarray:
    """Per-image error (:func:`error_score`) of ``test`` reconstructed by PCA (``k`` components fitted on ``train``)."""
    x = _images(test)
    return error_score(x, M.pca_baseline(_images(train), x, k, seed=seed), score=score, window=window)


def one_class_split(labels, normal: int, *, fractions=(0.8, 0.1, 0.1), seed: int = 42) -> dict:
    """Indices for one-class anomaly detection: train and validate on ``normal`` only, test on all.

    The images are split ``fractions`` (train/validation/test) with
    :func:`aeutils.data.split_indices`; from the first two parts only the
    ``normal`` class is kept; the test part keeps every class.

    Args:
        labels: int labels ``(N,)``.
        normal: the normal class.
        fractions: train/validation/test fractions.
        seed: split seed.

    Returns:
        ``{"train", "val", "test"}`` index arrays and ``"test_is_anomaly"`` (bool, per test index).

    Raises:
        ValueError: ``normal`` absent from the labels, or a part without normal
            images or without anomalies.
    """
    from aeutils.data import split_indices

    labels = np.asarray(labels)
    if normal not in set(labels.tolist()):
        raise ValueError(f"normal class {normal} does not occur in the labels {sorted(set(labels.tolist()))}")
    tr, va, te = split_indices(len(labels), fractions, seed=seed)
    out = {"train": tr[labels[tr] == normal], "val": va[labels[va] == normal], "test": te}
    out["test_is_anomaly"] = labels[te] != normal
    for part in ("train", "val"):
        if len(out[part]) == 0:
            raise ValueError(f"no normal images (class {normal}) in the {part} part")
    if out["test_is_anomaly"].all() or not out["test_is_anomaly"].any():
        raise ValueError("the test part needs both normal and anomalous images")
    return out


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
    from sklearn.metrics import average_precision_score, roc_auc_score

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
    from sklearn.metrics import roc_curve

    fpr, tpr, _ = roc_curve(np.asarray(test_is_anomaly).astype(bool), np.asarray(test_scores))
    return fpr, tpr


# ---------------------------------------------------------------------------
# Missing values / inpainting
# ---------------------------------------------------------------------------

#: Mask kinds of :func:`make_mask`.
MASK_KINDS = ("pixels", "block")


def make_mask(shape, *, kind: str = "pixels", fraction: float = 0.5, seed: int = 0) -> np.ndarray:
    """Missing-pixel masks: ``True`` where a pixel is missing (all its channels).

    Args:
        shape: image set shape ``(N, H, W)`` or ``(N, H, W, C)``.
        kind: ``"pixels"`` (each pixel missing with probability ``fraction``) or
            ``"block"`` (one square per image covering ``fraction`` of its
            area, at a random place).
        fraction: share of missing pixels, in (0, 1).
        seed: seed.

    Returns:
        Bool array ``(N, H, W, 1)``.

    Raises:
        ValueError: unknown kind, ``fraction`` outside (0, 1), or a bad shape.

    Example:
    >>> m = make_mask((2, 10, 10), kind="block", fraction=0.25, seed=0)
    >>> m.shape, m.sum(axis=(1, 2, 3)).tolist()
    ((2, 10, 10, 1), [25, 25])
    """
    if kind not in MASK_KINDS:
        raise ValueError(f"unknown mask kind {kind!r}; choose from {MASK_KINDS}")
    if not 0.0 < fraction < 1.0:
        raise ValueError(f"fraction must be in (0, 1), got {fraction}")
    if len(shape) not in (3, 4):
        raise ValueError(f"shape must be (N, H, W) or (N, H, W, C), got {shape}")
    n, h, w = (int(s) for s in shape[:3])
    rng = np.random.default_rng(seed)
    if kind == "pixels":
        return (rng.random((n, h, w)) < fraction)[..., None]
    sh = min(h, max(1, round(fraction**0.5 * h)))
    sw = min(w, max(1, round(fraction**0.5 * w)))
    mask = np.zeros((n, h, w, 1), bool)
    tops = rng.integers(0, h - sh + 1, n)
    lefts = rng.integers(0, w - sw + 1, n)
    for i, (t, l) in enumerate(zip(tops, lefts)):
        mask[i, t : t + sh, l : l + sw] = True
    return mask


def _check_mask(images: np.ndarray, mask) -> np.ndarray:
    mask = np.asarray(mask).astype(bool)
    if mask.ndim == 3:
        mask = mask[..., None]
    if mask.shape[:3] != images.shape[:3] or mask.shape[-1] not in (1, images.shape[-1]):
        raise ValueError(f"mask of shape {mask.shape} does not fit images of shape {images.shape}")
    return mask


def apply_mask(images, mask, *, fill: float = 0.0) -> np.ndarray:
    """Set the missing pixels (``mask`` true) to ``fill``.

    Raises:
        ValueError: bad images or a mask of another shape.
    """
    x = _images(images)
    return np.where(_check_mask(x, mask), np.float32(fill), x).astype(np.float32)


def composite(observed, estimate, mask) -> np.ndarray:
    """Keep the observed pixels and take ``estimate`` only where pixels are missing.

    Raises:
        ValueError: shapes that do not match.
    """
    observed = np.asarray(observed, dtype=np.float32)
    estimate = np.clip(np.asarray(estimate, dtype=np.float32), 0.0, 1.0)
    if observed.shape != estimate.shape:
        raise ValueError(f"shapes differ: {observed.shape} vs {estimate.shape}")
    return np.where(_check_mask(observed, mask), estimate, observed).astype(np.float32)


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
    m = np.broadcast_to(_check_mask(truth, mask), truth.shape)
    sq = np.where(m, (truth - estimate) ** 2, 0.0).sum(axis=(1, 2, 3))
    count = m.sum(axis=(1, 2, 3))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, sq / np.maximum(count, 1), np.nan)


def masked_psnr(truth, estimate, mask) -> np.ndarray:
    """Per-image PSNR (dB, data range 1) over the missing pixels only, capped as in ``metrics.psnr_per_image``."""
    mse = masked_mse(truth, estimate, mask)
    with np.errstate(divide="ignore"):
        return np.minimum(10.0 * np.log10(1.0 / mse), M.PSNR_CAP_DB)


def mean_fill(images, mask, *, train_images) -> np.ndarray:
    """Mean imputation: fill each missing pixel with that pixel's mean over the training images.

    Raises:
        ValueError: training images of another image shape.
    """
    x = _images(images)
    train = _images(train_images, "train_images")
    if train.shape[1:] != x.shape[1:]:
        raise ValueError(f"training images {train.shape[1:]} differ from images {x.shape[1:]}")
    return composite(x, np.broadcast_to(train.mean(axis=0), x.shape), mask)


def normalized_convolution_fill(images, mask, *, sigma: float = 1.0, eps: float = 1e-3) -> np.ndarray:
    """Cheap classical inpainting: normalised convolution, ``blur(observed) / blur(valid)`` (NumPy reference).

    ``(blur(x * valid) + eps * m) / (blur(valid) + eps)`` with a Gaussian blur
    of ``sigma`` pixels (zero padding; weights of
    :func:`aeutils.layers.gaussian_kernel_1d`) and ``m`` the image's mean
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
    from scipy.ndimage import correlate1d

    from aeutils.layers import gaussian_kernel_1d

    x = _images(images).astype(np.float64)
    m = _check_mask(x, mask).astype(np.float64)
    valid = 1.0 - m
    observed = x * valid
    g = np.asarray(gaussian_kernel_1d(sigma))

    def blur(a):
        a = correlate1d(a, g, axis=1, mode="constant", cval=0.0)
        return correlate1d(a, g, axis=2, mode="constant", cval=0.0)

    mean = observed.sum(axis=(1, 2), keepdims=True) / (valid.sum(axis=(1, 2), keepdims=True) + 1e-6)
    fill = (blur(observed) + eps * mean) / (blur(np.broadcast_to(valid, x.shape)) + eps)
    return composite(x, fill, m)


def inpainting_input(images, mask=None) -> np.ndarray:
    """Input of an inpainting network: the images with missing pixels zeroed, then the mask as one channel.

    Args:
        images: ``(N, H, W, C)`` in [0, 1].
        mask: missing-pixel mask (``True`` = missing), ``(N, H, W)`` or
            ``(N, H, W, 1)``; ``None`` for none missing (training on clean
            images: the model draws its own masks).

    Returns:
        ``(N, H, W, C + 1)`` float32.

    Raises:
        ValueError: bad images or a mask of another shape.

    Example:
    >>> inpainting_input(np.ones((2, 4, 4, 3)), np.ones((2, 4, 4), bool)).shape
    (2, 4, 4, 4)
    """
    x = _images(images)
    m = np.zeros((*x.shape[:3], 1), bool) if mask is None else _check_mask(x, mask)[..., :1]
    return np.concatenate([np.where(m, np.float32(0), x), m.astype(np.float32)], axis=-1).astype(np.float32)


def biharmonic_fill(images, mask) -> np.ndarray:
    """Classical inpainting: scikit-image's biharmonic inpainting of the missing pixels, image by image.

    Raises:
        ValueError: bad images or mask.
    """
    from skimage.restoration import inpaint_biharmonic

    x = _images(images)
    m = _check_mask(x, mask)[..., 0]
    out = x.copy()
    for i in range(len(x)):
        if m[i].any():
            out[i] = inpaint_biharmonic(x[i], m[i], channel_axis=-1)
    return np.clip(out, 0.0, 1.0).astype(np.float32)


# ---------------------------------------------------------------------------
# Super-resolution
# ---------------------------------------------------------------------------


def downscale(images, factor: int = 2) -> np.ndarray:
    """Make low-resolution inputs: average ``factor x factor`` blocks (area resize).

    Raises:
        ValueError: sizes not divisible by ``factor`` or ``factor < 2``.
    """
    from aeutils.data import resize

    x = _images(images)
    if factor < 2 or x.shape[1] % factor or x.shape[2] % factor:
        raise ValueError(f"image size {x.shape[1]}x{x.shape[2]} is not divisible by factor {factor} (>= 2)")
    return resize(x, (x.shape[1] // factor, x.shape[2] // factor), method="area")


def bicubic_upscale(images, factor: int = 2) -> np.ndarray:
    """The baseline: bicubic upscaling (``tf.image.resize``, no antialiasing), clipped to [0, 1].

    Raises:
        ValueError: bad images or ``factor < 1``.
    """
    import tensorflow as tf

    x = _images(images)
    if factor < 1:
        raise ValueError(f"factor must be >= 1, got {factor}")
    size = (x.shape[1] * factor, x.shape[2] * factor)
    out = [tf.image.resize(x[i : i + 1024], size, method="bicubic").numpy() for i in range(0, len(x), 1024)]
    return np.clip(np.concatenate(out), 0.0, 1.0).astype(np.float32)


def image_scores(truth, estimate) -> dict:
    """Mean PSNR (dB) and SSIM of ``estimate`` against ``truth`` (both in [0, 1]; estimate clipped)."""
    r = M.reconstruction_metrics(truth, np.clip(estimate, 0.0, 1.0))
    return {"psnr_db": float(np.mean(r["psnr"])), "ssim": float(np.mean(r["ssim"])), "mse": float(np.mean(r["mse"]))}


# ---------------------------------------------------------------------------
# Feature extraction and dimension reduction
# ---------------------------------------------------------------------------


def linear_probe(
    train_features, train_labels, test_features, test_labels, *, seed: int = 0, max_iter: int = 500, C: float = 1.0
) -> float:
    """Accuracy on held-out data of a logistic-regression classifier on standardised features.

    Args:
        train_features, test_features: ``(N, ...)`` (flattened here).
        train_labels, test_labels: int labels.
        seed: solver seed.
        max_iter: solver iterations.
        C: inverse L2 regularisation strength.

    Returns:
        Test accuracy in [0, 1].

    Raises:
        ValueError: mismatched lengths or a single class in training.
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    xtr = np.asarray(train_features, dtype=np.float32).reshape(len(train_features), -1)
    xte = np.asarray(test_features, dtype=np.float32).reshape(len(test_features), -1)
    ytr, yte = np.asarray(train_labels), np.asarray(test_labels)
    if len(xtr) != len(ytr) or len(xte) != len(yte):
        raise ValueError("features and labels differ in length")
    if len(np.unique(ytr)) < 2:
        raise ValueError("the training labels hold a single class")
    clf = make_pipeline(StandardScaler(), LogisticRegression(max_iter=max_iter, C=C, random_state=seed))
    import warnings

    from sklearn.exceptions import ConvergenceWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(xtr, ytr)
    return float(np.mean(clf.predict(xte) == yte))


def pca_codes(train, test, k: int, *, seed: int = 0, max_fit: int = 20_000) -> tuple[np.ndarray, np.ndarray]:
    """Project images on the first ``k`` principal components fitted on ``train``.

    Returns:
        ``(train_codes, test_codes)``, each ``(N, k)``.

    Raises:
        ValueError: ``k`` larger than the pixels or training images allow.
    """
    from sklearn.decomposition import PCA

    ftr = np.asarray(train, dtype=np.float32).reshape(len(train), -1)
    fte = np.asarray(test, dtype=np.float32).reshape(len(test), -1)
    fit_on = ftr
    if len(fit_on) > max_fit:
        fit_on = fit_on[np.random.default_rng(seed).choice(len(fit_on), max_fit, replace=False)]
    if not 0 < k <= min(fit_on.shape):
        raise ValueError(f"k={k} must be in 1..{min(fit_on.shape)} for data {fit_on.shape}")
    pca = PCA(n_components=k, svd_solver="randomized", random_state=seed).fit(fit_on)
    return pca.transform(ftr).astype(np.float32), pca.transform(fte).astype(np.float32)


def probe_comparison(
    codes_train,
    codes_test,
    x_train,
    x_test,
    y_train,
    y_test,
    *,
    seed: int = 0,
    max_iter: int = 500,
    name: str = "autoencoder code",
) -> list[dict]:
    """Linear-probe accuracy on the codes, on PCA codes of the same size, and on raw pixels.

    Returns:
        Three rows ``{"features", "dim", "accuracy"}``.

    Raises:
        ValueError: mismatched lengths.
    """
    k = int(np.prod(np.shape(codes_train)[1:]))
    ptr, pte = pca_codes(x_train, x_test, k, seed=seed)
    rows = []
    for label, tr, te in (
        (name, codes_train, codes_test),
        (f"PCA ({k} components)", ptr, pte),
        ("raw pixels", x_train, x_test),
    ):
        acc = linear_probe(tr, y_train, te, y_test, seed=seed, max_iter=max_iter)
        rows.append({"features": label, "dim": int(np.prod(np.shape(tr)[1:])), "accuracy": acc})
    return rows


def pca_curve(train, test, sizes: Sequence[int], *, seed: int = 0) -> list[dict]:
    """PCA reconstruction error of ``test`` for each code size (the linear bound to beat).

    Returns:
        Rows ``{"code_size", "mse", "psnr_db"}``; sizes above what the data allow are skipped.
    """
    train = _images(train, "train")
    test = _images(test, "test")
    limit = min(len(train), int(np.prod(train.shape[1:])))
    rows = []
    for k in sizes:
        if not 0 < k <= limit:
            continue
        recon = np.clip(M.pca_baseline(train, test, int(k), seed=seed), 0.0, 1.0)
        rows.append(
            {
                "code_size": int(k),
                "mse": float(np.mean(M.mse_per_image(test, recon))),
                "psnr_db": float(np.mean(M.psnr_per_image(test, recon))),
            }
        )
    return rows
