"""Our colouriser: a U-Net from luminance Y to a distribution over quantised chroma (U, V) bins.

Why a classification: a mean-squared fit of U, V predicts, where the colour is uncertain, the
average of the plausible colours, which is near gray (the source's Y→UV model reaches a
colourfulness of 16 against the truth's 34 on CIFAR-10). Predicting a distribution over chroma
bins keeps the plausible colours apart; the annealed mean (Zhang, Isola and Efros 2016, "Colorful
Image Colorization") then decodes it: ``softmax(logits / T)`` weighted over the bin centres, from
the mean (``T = 1``) to the mode (``T -> 0``). The temperature is a decoding choice, made on
validation images, not a weight.

* :func:`chroma_bins`: the grid cells of ``step`` in the UV plane that training pixels fall in;
* :func:`rebalance_weights`: per-bin weights against the dominance of near-gray pixels (Zhang's
  ``lambda``); :func:`soft_encode`: Gaussian soft targets over the nearest bins;
* :class:`SoftEncodedCrossEntropy`: the loss, from the true U, V (no per-pixel target arrays
  of ``K`` values are stored: they are made inside the loss);
* :func:`annealed_mean` and the layer :class:`AnnealedMean`: decoding;
* :func:`build_chroma_unet`: the model (logits), :func:`with_annealed_mean`: the same model
  ending in U, V.

All classes are registered (package ``aeutils``): saved ``.keras`` files load with ``safe_mode=True``.
"""

from __future__ import annotations

from collections.abc import Sequence

import keras
import numpy as np
from keras import ops

# ---------------------------------------------------------------------------
# Quantised chroma
# ---------------------------------------------------------------------------


def chroma_bins(uv, *, step: float = 0.04, min_count: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """The cells of a square grid over the UV plane that the given chroma values fall in.

    Cells are centred on multiples of ``step`` (``(0, 0)`` is a centre: gray has its own bin).
    Only cells with at least ``min_count`` pixels are kept, so every bin is a colour that occurs.

    Args:
        uv: chroma ``(..., 2)`` on the true scale (:func:`aeutils.color.rgb_to_yuv` of [0, 1] RGB).
        step: cell side in chroma units.
        min_count: pixels a cell needs to become a bin.

    Returns:
        ``(centres, counts)``: float32 ``(K, 2)`` bin centres sorted by U then V, and int64 ``(K,)``
        pixel counts.

    Raises:
        ValueError: not ``(..., 2)``, a non-positive step, or no cell with ``min_count`` pixels.

    Example:
    >>> c, n = chroma_bins(np.array([[0.0, 0.0], [0.01, -0.01], [0.1, 0.0]]), step=0.05)
    >>> c.astype(float).round(2).tolist(), n.tolist()
    ([[0.0, 0.0], [0.1, 0.0]], [2, 1])
    """
    uv = np.asarray(uv, dtype=np.float32)
    if uv.shape[-1:] != (2,):
        raise ValueError(f"chroma must have 2 channels (U, V) in the last axis, got {uv.shape}")
    if not step > 0:
        raise ValueError(f"step must be positive, got {step}")
    idx = np.rint(uv.reshape(-1, 2) / step).astype(np.int64)
    lo = idx.min(axis=0)
    span = idx.max(axis=0) - lo + 1
    code = (idx[:, 0] - lo[0]) * span[1] + (idx[:, 1] - lo[1])
    counts = np.bincount(code, minlength=int(span[0] * span[1]))
    keep = np.flatnonzero(counts >= min_count)
    if keep.size == 0:
        raise ValueError(f"no chroma cell has {min_count} pixels")
    centres = np.stack([keep // span[1] + lo[0], keep % span[1] + lo[1]], axis=1) * step
    return centres.astype(np.float32), counts[keep].astype(np.int64)


def rebalance_weights(counts, *, lam: float = 0.5) -> np.ndarray:
    """Per-bin loss weights ``w ∝ 1 / ((1 - lam) p + lam / K)``, scaled so their mean under ``p`` is 1.

    ``p`` is the bins' share of training pixels. ``lam = 1`` weighs every bin alike (no
    rebalancing); Zhang et al. use 0.5 (with ``p`` smoothed; here the counts of a fine grid).

    Args:
        counts: pixels per bin, ``(K,)``.
        lam: mixing weight of the uniform distribution, in (0, 1].

    Returns:
        float32 ``(K,)``.

    Raises:
        ValueError: ``lam`` outside (0, 1] or counts that sum to zero.

    Example:
    >>> rebalance_weights([3, 1], lam=1.0).tolist()
    [1.0, 1.0]
    """
    p = np.asarray(counts, dtype=np.float64)
    if not 0.0 < lam <= 1.0:
        raise ValueError(f"lam must be in (0, 1], got {lam}")
    if p.sum() <= 0:
        raise ValueError("counts sum to zero")
    p = p / p.sum()
    w = 1.0 / ((1.0 - lam) * p + lam / len(p))
    return (w / np.sum(p * w)).astype(np.float32)


def default_sigma(centres) -> float:
    """Width of the soft encoding: half the grid step (Zhang et al.: sigma 5 on a grid of 10), read from the centres."""
    c = np.asarray(centres, dtype=np.float64)
    d = np.abs(np.diff(np.unique(c[:, 0])))
    return float(0.5 * d.min()) if d.size else 0.02


def soft_encode(uv, centres, *, sigma: float, neighbours: int = 5):
    """Soft targets over bins: a Gaussian of the distance to each of the ``neighbours`` nearest centres, normalised.

    Args:
        uv: chroma ``(..., 2)`` (array or tensor).
        centres: ``(K, 2)`` bin centres.
        sigma: Gaussian width in chroma units.
        neighbours: bins that get weight (at most ``K``; 1 = the nearest bin alone, a one-hot).

    Returns:
        A tensor ``(..., K)`` of non-negative weights summing to 1.

    Example:
    >>> q = soft_encode(np.array([[0.0, 0.0]]), np.array([[0.0, 0.0], [0.1, 0.0]]), sigma=0.05, neighbours=1)
    >>> np.asarray(q).tolist()
    [[1.0, 0.0]]
    """
    c = ops.convert_to_tensor(np.asarray(centres, dtype=np.float32))
    uv = ops.cast(ops.convert_to_tensor(uv), "float32")
    k = min(int(neighbours), int(c.shape[0]))
    # |uv - c|^2 = |uv|^2 - 2 uv.c + |c|^2 with one matmul: no (..., K, 2) tensor.
    d2 = ops.sum(uv * uv, axis=-1, keepdims=True) - 2.0 * ops.matmul(uv, ops.transpose(c)) + ops.sum(c * c, axis=-1)
    logw = -ops.maximum(d2, 0.0) / (2.0 * float(sigma) ** 2)
    kth = ops.top_k(logw, k, sorted=True)[0][..., k - 1 : k]
    w = ops.where(logw >= kth, ops.exp(logw - ops.max(logw, axis=-1, keepdims=True)), 0.0)
    return w / ops.sum(w, axis=-1, keepdims=True)


def annealed_mean(logits, centres, *, temperature: float = 0.38):
    """Decode bin logits to chroma: ``softmax(logits / T)`` weighted over the bin centres.

    ``T = 1`` gives the distribution's mean, ``T -> 0`` its mode (Zhang et al. chose 0.38).

    Args:
        logits: ``(..., K)``.
        centres: ``(K, 2)`` bin centres.
        temperature: ``T > 0``.

    Returns:
        A tensor ``(..., 2)`` of U, V.

    Raises:
        ValueError: a temperature that is not positive.

    Example:
    >>> c = np.array([[0.0, 0.0], [0.1, 0.0]], "float32")
    >>> uv = annealed_mean(np.log(np.array([[0.25, 0.75]], "float32")), c, temperature=1.0)
    >>> np.asarray(uv).astype(float).round(3).tolist()
    [[0.075, 0.0]]
    """
    if not temperature > 0:
        raise ValueError(f"temperature must be positive, got {temperature}")
    z = ops.cast(ops.convert_to_tensor(logits), "float32") / float(temperature)
    p = ops.softmax(z, axis=-1)
    return ops.matmul(p, ops.convert_to_tensor(np.asarray(centres, dtype=np.float32)))


# ---------------------------------------------------------------------------
# Loss and decoding layer
# ---------------------------------------------------------------------------


@keras.saving.register_keras_serializable(package="aeutils")
class SoftEncodedCrossEntropy(keras.losses.Loss):
    """Cross-entropy of bin logits against soft-encoded true chroma, optionally rebalanced per bin.

    ``y_true`` is the true U, V ``(B, H, W, 2)``; ``y_pred`` the logits ``(B, H, W, K)``. Per pixel
    the loss is ``-w[nearest bin] * sum_k q_k log softmax(logits)_k`` with ``q`` from
    :func:`soft_encode`, averaged over pixels.

    Args:
        centres: ``(K, 2)`` bin centres (stored in the config as a list).
        sigma: soft-encoding width (default :func:`default_sigma`).
        neighbours: bins per soft target.
        class_weights: ``(K,)`` per-bin weights (:func:`rebalance_weights`); ``None`` = all 1.
        **kwargs: passed to ``keras.losses.Loss`` (``name``, ``reduction``).

    Example:
    >>> loss = SoftEncodedCrossEntropy(centres=[[0.0, 0.0], [0.1, 0.0]], neighbours=1)
    >>> round(float(loss(np.zeros((1, 1, 1, 2)), np.zeros((1, 1, 1, 2)))), 4)  # uniform logits: log 2
    0.6931
    """

    def __init__(self, centres, sigma: float | None = None, neighbours: int = 5, class_weights=None, **kwargs):
        kwargs.setdefault("name", "soft_encoded_cross_entropy")
        super().__init__(**kwargs)
        self.centres = np.asarray(centres, dtype=np.float32).tolist()
        self.sigma = float(default_sigma(self.centres) if sigma is None else sigma)
        self.neighbours = int(neighbours)
        self.class_weights = None if class_weights is None else np.asarray(class_weights, np.float32).tolist()
        if self.class_weights is not None and len(self.class_weights) != len(self.centres):
            raise ValueError(f"{len(self.class_weights)} class weights for {len(self.centres)} bins")

    def call(self, y_true, y_pred):
        q = soft_encode(y_true, self.centres, sigma=self.sigma, neighbours=self.neighbours)
        logp = ops.log_softmax(ops.cast(y_pred, "float32"), axis=-1)
        ce = -ops.sum(q * logp, axis=-1)
        if self.class_weights is not None:
            w = ops.take(ops.convert_to_tensor(np.asarray(self.class_weights, np.float32)), ops.argmax(q, axis=-1))
            ce = ce * w
        return ce

    def get_config(self):
        return {
            **super().get_config(),
            "centres": self.centres,
            "sigma": self.sigma,
            "neighbours": self.neighbours,
            "class_weights": self.class_weights,
        }


@keras.saving.register_keras_serializable(package="aeutils")
class AnnealedMean(keras.layers.Layer):
    """Layer form of :func:`annealed_mean`: bin logits ``(..., K)`` → chroma ``(..., 2)``.

    Args:
        centres: ``(K, 2)`` bin centres (stored in the config as a list).
        temperature: softmax temperature ``T > 0``.
        **kwargs: passed to ``keras.layers.Layer``.
    """

    def __init__(self, centres, temperature: float = 0.38, **kwargs):
        super().__init__(**kwargs)
        self.centres = np.asarray(centres, dtype=np.float32).tolist()
        if not temperature > 0:
            raise ValueError(f"temperature must be positive, got {temperature}")
        self.temperature = float(temperature)
        self.built = True

    def call(self, logits):
        return annealed_mean(logits, self.centres, temperature=self.temperature)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (2,)

    def get_config(self):
        return {**super().get_config(), "centres": self.centres, "temperature": self.temperature}


# ---------------------------------------------------------------------------
# The U-Net
# ---------------------------------------------------------------------------


def _double_conv(x, channels: int, name: str):
    for i in (1, 2):
        x = keras.layers.Conv2D(channels, 3, padding="same", use_bias=False, name=f"{name}_conv{i}")(x)
        x = keras.layers.BatchNormalization(name=f"{name}_bn{i}")(x)
        x = keras.layers.Activation("relu", name=f"{name}_relu{i}")(x)
    return x


def build_chroma_unet(
    *,
    input_shape: Sequence[int] = (32, 32, 1),
    n_bins: int,
    filters: Sequence[int] = (16, 32, 64, 128),
    name: str = "chroma_unet",
) -> keras.Model:
    """A U-Net from Y to per-pixel chroma-bin logits, with a skip connection at every scale including the full one.

    Encoder: two 3x3 conv-BN-ReLU per stage, a 2x2 max-pool between stages (``filters`` from
    the full resolution down). Decoder: upsample, concatenate the encoder's output of the same
    scale, two conv-BN-ReLU; a 1x1 conv to ``n_bins`` logits at full resolution (float32 under
    mixed precision, by :func:`aeutils.train.fit`).

    Args:
        input_shape: ``(H, W, 1)``; ``H``, ``W`` divisible by ``2 ** (len(filters) - 1)``.
        n_bins: chroma bins ``K`` (:func:`chroma_bins`).
        filters: channels per scale, full resolution first.
        name: model name.

    Returns:
        An uncompiled ``keras.Model`` ``(B, H, W, 1) -> (B, H, W, n_bins)``.

    Raises:
        ValueError: fewer than two stages, a size the poolings do not divide, or ``n_bins < 2``.

    Example:
    >>> build_chroma_unet(input_shape=(16, 16, 1), n_bins=7, filters=(4, 8)).output_shape
    (None, 16, 16, 7)
    """
    filters = [int(f) for f in filters]
    if len(filters) < 2 or min(filters) < 1:
        raise ValueError(f"filters must be at least two positive channel counts, got {filters}")
    if int(n_bins) < 2:
        raise ValueError(f"n_bins must be at least 2, got {n_bins}")
    h, w = int(input_shape[0]), int(input_shape[1])
    steps = len(filters) - 1
    if h % 2**steps or w % 2**steps:
        raise ValueError(f"image size {h}x{w} is not divisible by 2**{steps} ({steps} poolings); change filters")
    inputs = keras.Input(tuple(input_shape), name="y")
    x, skips = inputs, []
    for i, f in enumerate(filters):
        if i:
            x = keras.layers.MaxPooling2D(2, name=f"down{i}_pool")(x)
        x = _double_conv(x, f, f"down{i}")
        skips.append(x)
    for i in range(steps - 1, -1, -1):
        x = keras.layers.UpSampling2D(2, name=f"up{i}_upsample")(x)
        x = keras.layers.Concatenate(name=f"up{i}_skip")([x, skips[i]])
        x = _double_conv(x, filters[i], f"up{i}")
    logits = keras.layers.Conv2D(int(n_bins), 1, name="bin_logits")(x)
    return keras.Model(inputs, logits, name=name)


def with_annealed_mean(model: keras.Model, centres, *, temperature: float, name: str | None = None) -> keras.Model:
    """The logits model followed by :class:`AnnealedMean`: Y in, U and V out (the colouriser to save and use).

    Example:
    >>> m = build_chroma_unet(input_shape=(8, 8, 1), n_bins=3, filters=(2, 2))
    >>> with_annealed_mean(m, np.zeros((3, 2)), temperature=0.5).output_shape
    (None, 8, 8, 2)
    """
    uv = AnnealedMean(centres, temperature=temperature, name="annealed_mean", dtype="float32")(model.output)
    return keras.Model(model.input, uv, name=name or f"{model.name}_uv")
