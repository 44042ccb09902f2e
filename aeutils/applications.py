"""The inputs of what autoencoders are used for, each task scored beside its baseline (source report 5).

What is here builds each application's inputs and scores models on them:

* denoising: :func:`corrupt` (the corruption a denoising autoencoder trains with, applied once, seeded);
* anomaly detection: :func:`one_class_split` (train on one class, test on all),
  :func:`reconstruction_errors` of a model and :func:`pca_reconstruction_errors` (the baseline),
  and the density score :func:`knn_scores` (distance to the nearest training normals in a
  feature space: the encoder's features from :func:`encoder_features`, PCA codes or pixels);
* missing values / inpainting: :func:`make_mask` (random pixels or blocks),
  :func:`apply_mask`, :func:`inpainting_input` (the network's input);
* super-resolution: :func:`downscale` (area-downscaled inputs);
* feature extraction: :func:`linear_probe` and :func:`probe_comparison`
  (codes against PCA codes of the same size and raw pixels).

The pieces that are not task inputs live in their own homes and are
re-exported here, so ``aeutils.applications.NAME`` keeps working:

* the baselines (:mod:`aeutils.baselines`): ``gaussian_filter_denoise``,
  ``tune_gaussian_filter``, ``mean_fill``, ``normalized_convolution_fill``,
  ``biharmonic_fill``, ``composite``, ``bicubic_upscale``, ``pca_codes``, ``pca_curve``;
* the per-image scores (:mod:`aeutils.metrics`): ``error_score``,
  ``ERROR_SCORES``, ``anomaly_report``, ``roc_points``, ``masked_mse``,
  ``masked_psnr``, ``image_scores``.

All images are float arrays ``(N, H, W, C)`` in [0, 1].
"""

from __future__ import annotations

import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from aeutils import baselines as B
from aeutils import metrics as M
from aeutils.baselines import (  # noqa: F401  (re-exported: their old home)
    bicubic_upscale,
    biharmonic_fill,
    composite,
    gaussian_filter_denoise,
    mean_fill,
    normalized_convolution_fill,
    pca_codes,
    pca_curve,
    tune_gaussian_filter,
)
from aeutils.data import resize, split_indices
from aeutils.metrics import (  # noqa: F401  (re-exported: their old home)
    ERROR_SCORES,
    anomaly_report,
    error_score,
    image_scores,
    masked_mse,
    masked_psnr,
    roc_points,
)
from aeutils.models.layers import Corruption
from aeutils.train import predict

# ---------------------------------------------------------------------------
# Denoising
# ---------------------------------------------------------------------------


def corrupt(images, *, kind: str = "gaussian", strength: float = 0.3, seed: int = 0) -> np.ndarray:
    """Corrupt images once, reproducibly, with the same layer a denoising autoencoder trains with.

    Args:
        images: ``(N, H, W, C)`` in [0, 1].
        kind: ``"gaussian"``, ``"salt_pepper"``, ``"masking"`` or ``"block"``
            (see :class:`aeutils.models.layers.Corruption`).
        strength: noise standard deviation, or fraction of pixels hit.
        seed: seed of the noise.

    Returns:
        Corrupted images, float32, clipped to [0, 1].

    Raises:
        ValueError: bad images, unknown kind or strength out of range.
    """

    x = M.check_images(images)
    layer = Corruption(kind, strength, seed=seed)
    out = [np.asarray(layer(x[i : i + 1024], training=True)) for i in range(0, len(x), 1024)]
    return np.concatenate(out).astype(np.float32) if out else x.copy()


# ---------------------------------------------------------------------------
# Anomaly detection
# ---------------------------------------------------------------------------


def reconstruction_errors(model, images, *, batch_size: int = 256, score: str = "mse", window: int = 5) -> np.ndarray:
    """Per-image reconstruction error of ``model`` (the anomaly score), as :func:`error_score`.

    Raises:
        ValueError: bad images or score.
    """
    x = M.check_images(images)
    recon = predict(model, x, batch_size=batch_size).astype(np.float32)
    return error_score(x, recon, score=score, window=window)


def pca_reconstruction_errors(train, test, k: int, *, seed: int = 0, score: str = "mse", window: int = 5) -> np.ndarray:
    """Per-image error (:func:`error_score`) of ``test`` reconstructed by PCA (``k`` components fitted on ``train``)."""
    x = M.check_images(test)
    return error_score(x, B.pca_baseline(M.check_images(train), x, k, seed=seed), score=score, window=window)


#: Distances of :func:`knn_scores`.
KNN_METRICS = ("cosine", "euclidean")


def encoder_features(model, images, *, layer: str = "encoder_flatten", batch_size: int = 256) -> np.ndarray:
    """The output of one layer of ``model``'s encoder, flattened: a learned feature space for :func:`knn_scores`.

    The default, ``"encoder_flatten"``, is the encoder's last convolutional feature map (for the
    family's models ``filters[-1]`` channels at 1/4 of the image side: 7 x 7 x 32 = 1,568 values on
    MNIST with filters 16, 32), the input of the dense code layer.

    Args:
        model: a model with an encoder (:func:`aeutils.models.blocks.encoder_of`), or an encoder.
        images: ``(N, H, W, C)`` in [0, 1].
        layer: name of the encoder layer.
        batch_size: prediction batch size.

    Returns:
        ``(N, D)`` float32.

    Raises:
        ValueError: bad images, or no such layer in the encoder.
    """
    import keras

    from aeutils.models.blocks import encoder_of

    x = M.check_images(images)
    enc = encoder_of(model)
    try:
        out = enc.get_layer(layer).output
    except ValueError:
        names = [lay.name for lay in enc.layers]
        raise ValueError(f"the encoder has no layer {layer!r}; it has {names}") from None
    f = predict(keras.Model(enc.input, out), x, batch_size=batch_size)
    return np.asarray(f, dtype=np.float32).reshape(len(x), -1)


def knn_distances(reference, queries, *, k: int = 5, metric: str = "cosine", batch_size: int = 1024) -> np.ndarray:
    """Mean distance of each query to its ``k`` nearest reference points (exact, batched).

    With ``metric="cosine"`` both sets are scaled to unit length first and the distance is the
    Euclidean one between the unit vectors (``sqrt(2 - 2 cos)``): only the direction of a feature
    vector counts, not its overall strength (how much ink a digit has).

    Args:
        reference: ``(N, ...)`` points (flattened here), e.g. the training normals' features.
        queries: ``(M, ...)`` points of the same size.
        k: neighbours averaged, ``1 <= k <= N``.
        metric: ``"cosine"`` or ``"euclidean"``.
        batch_size: queries per distance block.

    Returns:
        ``(M,)`` float64, larger = farther from the reference set (lower density).

    Raises:
        ValueError: sizes that differ, ``k`` out of range, or an unknown metric.

    Example:
    >>> knn_distances([[0.0, 0.0], [1.0, 0.0], [5.0, 0.0]], [[0.0, 0.0], [4.0, 0.0]], k=2, metric="euclidean").tolist()
    [0.5, 2.0]
    """
    ref = np.asarray(reference, dtype=np.float64).reshape(len(reference), -1)
    q = np.asarray(queries, dtype=np.float64).reshape(len(queries), -1)
    if ref.shape[1] != q.shape[1]:
        raise ValueError(f"reference points have {ref.shape[1]} values, queries {q.shape[1]}")
    if not 1 <= k <= len(ref):
        raise ValueError(f"k must be between 1 and the {len(ref)} reference points, got {k}")
    if metric not in KNN_METRICS:
        raise ValueError(f"unknown metric {metric!r}; choose from {KNN_METRICS}")
    if metric == "cosine":
        ref = ref / np.maximum(np.linalg.norm(ref, axis=1, keepdims=True), 1e-12)
        q = q / np.maximum(np.linalg.norm(q, axis=1, keepdims=True), 1e-12)
    ref_sq = (ref**2).sum(axis=1)[None, :]
    out = []
    for i in range(0, len(q), batch_size):
        b = q[i : i + batch_size]
        d2 = np.maximum((b**2).sum(axis=1)[:, None] - 2.0 * b @ ref.T + ref_sq, 0.0)
        near = np.partition(d2, k - 1, axis=1)[:, :k] if k < len(ref) else d2
        out.append(np.sqrt(near).mean(axis=1))
    return np.concatenate(out) if out else np.zeros(0)


def knn_scores(train, val, test, *, features=None, k: int = 5, metric: str = "cosine") -> tuple[np.ndarray, np.ndarray]:
    """One-class anomaly scores by density: each image's mean distance to its ``k`` nearest training normals.

    The scores of the held-out normal images (``val``, for the threshold of
    :func:`anomaly_report`) and of the test images, both measured against the training normals
    only, in the space ``features`` maps images to. With
    ``features=lambda x: encoder_features(model, x)`` the score is a latent density estimate of
    an autoencoder trained on the normals; with PCA codes or the raw pixels it is a baseline
    scored the same way.

    Args:
        train: the training normals, ``(N, ...)`` images (or feature vectors when ``features`` is ``None``).
        val: held-out normal images.
        test: test images.
        features: a function from a batch of images to ``(n, D)`` features; ``None`` uses the
            inputs flattened (raw pixels).
        k: neighbours averaged.
        metric: ``"cosine"`` or ``"euclidean"`` (:func:`knn_distances`).

    Returns:
        ``(val_scores, test_scores)``, higher = more anomalous.

    Raises:
        ValueError: as :func:`knn_distances`.

    Example:
    >>> normals = [[1.0, 0.0], [1.0, 0.1], [1.0, -0.1]]
    >>> val, test = knn_scores(normals, [[2.0, 0.05]], [[1.0, 0.0], [0.0, 1.0]], k=2)
    >>> bool(test[1] > test[0] > 0), val.shape
    (True, (1,))
    """
    f = features if features is not None else (lambda x: np.asarray(x))
    ref = f(train)
    return knn_distances(ref, f(val), k=k, metric=metric), knn_distances(ref, f(test), k=k, metric=metric)


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


def apply_mask(images, mask, *, fill: float = 0.0) -> np.ndarray:
    """Set the missing pixels (``mask`` true) to ``fill``.

    Raises:
        ValueError: bad images or a mask of another shape.
    """
    x = M.check_images(images)
    return np.where(M.check_mask(x, mask), np.float32(fill), x).astype(np.float32)


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
    x = M.check_images(images)
    m = np.zeros((*x.shape[:3], 1), bool) if mask is None else M.check_mask(x, mask)[..., :1]
    return np.concatenate([np.where(m, np.float32(0), x), m.astype(np.float32)], axis=-1).astype(np.float32)


# ---------------------------------------------------------------------------
# Super-resolution
# ---------------------------------------------------------------------------


def downscale(images, factor: int = 2) -> np.ndarray:
    """Make low-resolution inputs: average ``factor x factor`` blocks (area resize).

    Raises:
        ValueError: sizes not divisible by ``factor`` or ``factor < 2``.
    """

    x = M.check_images(images)
    if factor < 2 or x.shape[1] % factor or x.shape[2] % factor:
        raise ValueError(f"image size {x.shape[1]}x{x.shape[2]} is not divisible by factor {factor} (>= 2)")
    return resize(x, (x.shape[1] // factor, x.shape[2] // factor), method="area")


# ---------------------------------------------------------------------------
# Feature extraction
# ---------------------------------------------------------------------------


def linear_probe(
    train_features, train_labels, test_features, test_labels, *, seed: int = 0, max_iter: int = 500, C: float = 1.0
) -> float:
    """Accuracy on held-out data of a logistic-regression classifier on standardised features.

    The mean of :func:`probe_correct`.

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
    correct = probe_correct(train_features, train_labels, test_features, test_labels, seed=seed, max_iter=max_iter, C=C)
    return float(np.mean(correct))


def probe_correct(
    train_features, train_labels, test_features, test_labels, *, seed: int = 0, max_iter: int = 500, C: float = 1.0
) -> np.ndarray:
    """Per test image, whether a logistic-regression probe (standardised features) classifies it right.

    Args: as :func:`linear_probe`.

    Returns:
        Bool array ``(N_test,)``: the paired per-image values of two probes' comparison.

    Raises:
        ValueError: mismatched lengths or a single class in training.

    Example:
    >>> x = np.array([[0.0], [0.1], [1.0], [1.1]]); y = np.array([0, 0, 1, 1])
    >>> probe_correct(x, y, np.array([[0.05], [1.05]]), np.array([0, 0])).tolist()
    [True, False]
    """

    xtr = np.asarray(train_features, dtype=np.float32).reshape(len(train_features), -1)
    xte = np.asarray(test_features, dtype=np.float32).reshape(len(test_features), -1)
    ytr, yte = np.asarray(train_labels), np.asarray(test_labels)
    if len(xtr) != len(ytr) or len(xte) != len(yte):
        raise ValueError("features and labels differ in length")
    if len(np.unique(ytr)) < 2:
        raise ValueError("the training labels hold a single class")
    clf = make_pipeline(StandardScaler(), LogisticRegression(max_iter=max_iter, C=C, random_state=seed))

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(xtr, ytr)
    return clf.predict(xte) == yte


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
    correct: dict | None = None,
) -> list[dict]:
    """Linear-probe accuracy on the codes, on PCA codes of the same size, and on raw pixels.

    Args:
        correct: if given, filled with each probe's per-test-image correctness
            (:func:`probe_correct`) under ``"code"``, ``"pca"`` and ``"pixels"``.

    Returns:
        Three rows ``{"features", "dim", "accuracy"}``.

    Raises:
        ValueError: mismatched lengths.
    """
    k = int(np.prod(np.shape(codes_train)[1:]))
    ptr, pte = pca_codes(x_train, x_test, k, seed=seed)
    rows = []
    for key, label, tr, te in (
        ("code", name, codes_train, codes_test),
        ("pca", f"PCA ({k} components)", ptr, pte),
        ("pixels", "raw pixels", x_train, x_test),
    ):
        right = probe_correct(tr, y_train, te, y_test, seed=seed, max_iter=max_iter)
        if correct is not None:
            correct[key] = right
        rows.append({"features": label, "dim": int(np.prod(np.shape(tr)[1:])), "accuracy": float(np.mean(right))})
    return rows
