"""Our colouriser: a U-Net from luminance Y to distributions over quantised U and V values.

Why a classification: a mean-squared fit of U, V predicts, where the colour is uncertain, the
average of the plausible colours, which is near gray (the source's Y→UV model reaches a
colourfulness of 16 against the truth's 34 on CIFAR-10). Predicting a distribution over chroma
bins keeps the plausible colours apart; the annealed mean (Zhang, Isola and Efros 2016, "Colorful
Image Colorization") then decodes it: ``softmax(logits / T)`` weighted over the bin centres, from
the mean (``T = 1``) to the mode (``T -> 0``). The temperature is a decoding choice, made on
validation images, not a weight.

Why U and V each get their own bins (Zhang et al. use joint (a, b) cells): a per-pixel softmax over
the ~370 joint cells of CIFAR-10 at full resolution made a training step 6 times dearer than the
rest of the U-Net (measured on this machine: 1.0 s against 0.17 s per batch of 128), while the ~45
values of U and V together cost little. At ``T = 1`` the two marginals decode to exactly what the
joint distribution would (the mean of U and the mean of V); below 1 they sharpen each channel alone.

* :func:`chroma_bins`: per channel, the values on a grid of ``step`` that training pixels fall on;
* :func:`rebalance_weights`: per-bin weights against the dominance of near-gray pixels (Zhang's
  ``lambda``); :func:`soft_encode`: Gaussian soft targets over bins;
* :class:`SoftEncodedCrossEntropy`: the loss, from the true U, V (no per-pixel target arrays
  of ``K`` values are stored: they are made inside the loss);
* :func:`annealed_mean` and the layer :class:`AnnealedMean`: decoding;
* :func:`build_chroma_unet`: the model (logits of U's bins, then V's), :func:`with_annealed_mean`:
  the same model ending in U, V.

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


def chroma_bins(uv, *, step: float = 0.04, min_count: int = 1) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Per channel (U, then V), the multiples of ``step`` that the given chroma values round to.

    ``0`` is a centre of both (gray has its own bin). Only values with at least ``min_count``
    pixels are kept, so every bin is a chroma that occurs.

    Args:
        uv: chroma ``(..., 2)`` on the true scale (:func:`aeutils.color.rgb_to_yuv` of [0, 1] RGB).
        step: bin width in chroma units.
        min_count: pixels a bin needs.

    Returns:
        ``([centres_u, centres_v], [counts_u, counts_v])``: sorted float32 bin centres and int64
        pixel counts per channel.

    Raises:
        ValueError: not ``(..., 2)``, a non-positive step, or a channel with no bin of ``min_count`` pixels.

    Example:
    >>> c, n = chroma_bins(np.array([[0.0, 0.0], [0.01, -0.01], [0.1, 0.0]]), step=0.05)
    >>> [x.astype(float).round(2).tolist() for x in c], [x.tolist() for x in n]
    ([[0.0, 0.1], [0.0]], [[2, 1], [3]])
    """
    uv = np.asarray(uv, dtype=np.float32)
    if uv.shape[-1:] != (2,):
        raise ValueError(f"chroma must have 2 channels (U, V) in the last axis, got {uv.shape}")
    if not step > 0:
        raise ValueError(f"step must be positive, got {step}")
    centres, counts = [], []
    for ch in range(2):
        idx = np.rint(uv[..., ch].ravel() / step).astype(np.int64)
        lo = idx.min()
        n = np.bincount(idx - lo)
        keep = np.flatnonzero(n >= min_count)
        if keep.size == 0:
            raise ValueError(f"no {'UV'[ch]} bin has {min_count} pixels")
        centres.append(((keep + lo) * step).astype(np.float32))
        counts.append(n[keep].astype(np.int64))
    return centres, counts


def rebalance_weights(counts, *, lam: float = 0.5) -> np.ndarray:
    """Per-bin loss weights ``w ∝ 1 / ((1 - lam) p + lam / K)``, scaled so their mean under ``p`` is 1.

    ``p`` is the bins' share of training pixels. ``lam = 1`` weighs every bin alike (no
    rebalancing); Zhang et al. use 0.5 (with ``p`` smoothed; here the counts of one channel's bins).

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
    """Width of the soft encoding: half the bin step (Zhang et al.: sigma 5 on a grid of 10), read from the centres."""
    d = np.diff(np.unique(np.asarray(centres, dtype=np.float64).ravel()))
    return float(0.5 * d.min()) if d.size else 0.02


def soft_encode(values, centres, *, sigma: float, neighbours: int | None = None):
    """Soft targets over one channel's bins: a Gaussian of the distance to each centre, normalised.

    Args:
        values: one chroma channel, any shape ``S`` (array or tensor).
        centres: ``(K,)`` bin centres.
        sigma: Gaussian width in chroma units.
        neighbours: keep only the this many nearest bins (1 = a one-hot; Zhang et al.: 5);
            ``None``: every bin (with ``sigma`` half the step, a bin two steps beyond the nearest
            gets under 0.1% of its weight).

    Returns:
        A tensor ``S + (K,)`` of non-negative weights summing to 1.

    Example:
    >>> q = soft_encode(np.array([0.0]), np.array([0.0, 0.1]), sigma=0.05, neighbours=1)
    >>> np.asarray(q).tolist()
    [[1.0, 0.0]]
    """
    c = ops.convert_to_tensor(np.asarray(centres, dtype=np.float32).ravel())
    v = ops.expand_dims(ops.cast(ops.convert_to_tensor(values), "float32"), -1)
    logw = -ops.square(v - c) / (2.0 * float(sigma) ** 2)
    w = ops.exp(logw - ops.max(logw, axis=-1, keepdims=True))  # the nearest bin gets 1: no underflow far out
    if neighbours is not None:
        k = min(int(neighbours), int(c.shape[0]))
        kth = ops.top_k(logw, k, sorted=True)[0][..., k - 1 : k]
        w = ops.where(logw >= kth, w, 0.0)
    return w / ops.sum(w, axis=-1, keepdims=True)


def annealed_mean(logits, centres, *, temperature: float = 0.38):
    """Decode one channel's bin logits: ``softmax(logits / T)`` weighted over the bin centres.

    ``T = 1`` gives the distribution's mean, ``T -> 0`` its mode (Zhang et al. chose 0.38).

    Args:
        logits: ``S + (K,)``.
        centres: ``(K,)`` bin centres.
        temperature: ``T > 0``.

    Returns:
        A tensor of shape ``S``.

    Raises:
        ValueError: a temperature that is not positive.

    Example:
    >>> uv = annealed_mean(np.log(np.array([[0.25, 0.75]], "float32")), np.array([0.0, 0.1]), temperature=1.0)
    >>> np.asarray(uv).astype(float).round(3).tolist()
    [0.075]
    """
    if not temperature > 0:
        raise ValueError(f"temperature must be positive, got {temperature}")
    p = ops.softmax(ops.cast(ops.convert_to_tensor(logits), "float32") / float(temperature), axis=-1)
    return ops.sum(p * ops.convert_to_tensor(np.asarray(centres, dtype=np.float32).ravel()), axis=-1)


def decode_uv(logits, centres_u, centres_v, *, temperature: float = 0.38):
    """U and V ``(..., 2)`` from logits ``(..., K_u + K_v)`` (U's bins first), each by :func:`annealed_mean`.

    Example:
    >>> uv = decode_uv(np.zeros((1, 4), "float32"), [0.0, 0.2], [0.1, 0.3], temperature=1.0)  # flat: bin means
    >>> [[round(float(c), 3) for c in row] for row in np.asarray(uv)]
    [[0.1, 0.2]]
    """
    ku = len(centres_u)
    u = annealed_mean(logits[..., :ku], centres_u, temperature=temperature)
    v = annealed_mean(logits[..., ku:], centres_v, temperature=temperature)
    return ops.stack([u, v], axis=-1)


# ---------------------------------------------------------------------------
# Loss and decoding layer
# ---------------------------------------------------------------------------


def _as_list(x):
    return None if x is None else np.asarray(x, dtype=np.float32).ravel().tolist()


@keras.saving.register_keras_serializable(package="aeutils")
class SoftEncodedCrossEntropy(keras.losses.Loss):
    """Cross-entropy of U's and V's bin logits against soft-encoded true chroma, optionally rebalanced per bin.

    ``y_true`` is the true U, V ``(B, H, W, 2)``; ``y_pred`` the logits ``(B, H, W, K_u + K_v)``, U's
    bins first. Per pixel and channel the loss is ``-w[nearest bin] * sum_k q_k log softmax(logits)_k``
    with ``q`` from :func:`soft_encode`; U's and V's are added, then averaged over pixels.

    Args:
        centres_u, centres_v: bin centres of U and V (stored in the config as lists).
        sigma: soft-encoding width (default :func:`default_sigma` of U's centres).
        neighbours: bins per soft target (``None``: all, see :func:`soft_encode`).
        weights_u, weights_v: per-bin weights (:func:`rebalance_weights`); ``None`` = all 1.
        **kwargs: passed to ``keras.losses.Loss`` (``name``, ``reduction``).

    Raises:
        ValueError: weights whose length is not their channel's number of bins.

    Example:
    >>> loss = SoftEncodedCrossEntropy([0.0, 0.1], [0.0], neighbours=1)
    >>> round(float(loss(np.zeros((1, 1, 1, 2)), np.zeros((1, 1, 1, 3)))), 4)  # uniform: log 2 + log 1
    0.6931
    """

    def __init__(
        self, centres_u, centres_v, sigma=None, neighbours=None, weights_u=None, weights_v=None, **kwargs
    ):  # fmt: skip
        kwargs.setdefault("name", "soft_encoded_cross_entropy")
        super().__init__(**kwargs)
        self.centres_u, self.centres_v = _as_list(centres_u), _as_list(centres_v)
        self.sigma = float(default_sigma(self.centres_u) if sigma is None else sigma)
        self.neighbours = None if neighbours is None else int(neighbours)
        self.weights_u, self.weights_v = _as_list(weights_u), _as_list(weights_v)
        for w, c, ch in ((self.weights_u, self.centres_u, "U"), (self.weights_v, self.centres_v, "V")):
            if w is not None and len(w) != len(c):
                raise ValueError(f"{len(w)} {ch} weights for {len(c)} {ch} bins")

    def _channel(self, values, logits, centres, weights):
        q = soft_encode(values, centres, sigma=self.sigma, neighbours=self.neighbours)
        ce = -ops.sum(q * ops.log_softmax(logits, axis=-1), axis=-1)
        if weights is not None:
            ce = ce * ops.take(ops.convert_to_tensor(np.asarray(weights, np.float32)), ops.argmax(q, axis=-1))
        return ce

    def call(self, y_true, y_pred):
        y_pred = ops.cast(y_pred, "float32")
        ku = len(self.centres_u)
        return self._channel(y_true[..., 0], y_pred[..., :ku], self.centres_u, self.weights_u) + self._channel(
            y_true[..., 1], y_pred[..., ku:], self.centres_v, self.weights_v
        )

    def get_config(self):
        return {
            **super().get_config(),
            "centres_u": self.centres_u,
            "centres_v": self.centres_v,
            "sigma": self.sigma,
            "neighbours": self.neighbours,
            "weights_u": self.weights_u,
            "weights_v": self.weights_v,
        }


@keras.saving.register_keras_serializable(package="aeutils")
class AnnealedMean(keras.layers.Layer):
    """Layer form of :func:`decode_uv`: bin logits ``(..., K_u + K_v)`` → chroma ``(..., 2)``.

    Args:
        centres_u, centres_v: bin centres of U and V (stored in the config as lists).
        temperature: softmax temperature ``T > 0``.
        **kwargs: passed to ``keras.layers.Layer``.

    Raises:
        ValueError: a temperature that is not positive.
    """

    def __init__(self, centres_u, centres_v, temperature: float = 0.38, **kwargs):
        super().__init__(**kwargs)
        self.centres_u, self.centres_v = _as_list(centres_u), _as_list(centres_v)
        if not temperature > 0:
            raise ValueError(f"temperature must be positive, got {temperature}")
        self.temperature = float(temperature)
        self.built = True

    def call(self, logits):
        return decode_uv(logits, self.centres_u, self.centres_v, temperature=self.temperature)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (2,)

    def get_config(self):
        return {
            **super().get_config(),
            "centres_u": self.centres_u,
            "centres_v": self.centres_v,
            "temperature": self.temperature,
        }


# ---------------------------------------------------------------------------
# The U-Net
# ---------------------------------------------------------------------------


def _double_conv(x, channels: int, name: str, batch_norm: bool, momentum: float):
    for i in (1, 2):
        x = keras.layers.Conv2D(channels, 3, padding="same", use_bias=not batch_norm, name=f"{name}_conv{i}")(x)
        if batch_norm:
            x = keras.layers.BatchNormalization(momentum=momentum, name=f"{name}_bn{i}")(x)
        x = keras.layers.Activation("relu", name=f"{name}_relu{i}")(x)
    return x


def build_chroma_unet(
    *,
    input_shape: Sequence[int] = (32, 32, 1),
    n_bins: int,
    filters: Sequence[int] = (16, 32, 64, 128),
    batch_norm: bool = True,
    bn_momentum: float = 0.9,
    name: str = "chroma_unet",
) -> keras.Model:
    """A U-Net from Y to per-pixel chroma-bin logits, with a skip connection at every scale including the full one.

    Encoder: two 3x3 conv-BN-ReLU (conv-ReLU without ``batch_norm``) per stage, a 2x2 max-pool
    between stages (``filters`` from the full resolution down). Decoder: upsample, concatenate the
    encoder's output of the same scale, two conv-BN-ReLU; a 1x1 conv to ``n_bins`` logits at full
    resolution (float32 under mixed precision, by :func:`aeutils.train.fit`).

    Args:
        input_shape: ``(H, W, 1)``; ``H``, ``W`` divisible by ``2 ** (len(filters) - 1)``.
        n_bins: chroma bins ``K_u + K_v`` (:func:`chroma_bins`).
        filters: channels per scale, full resolution first.
        batch_norm: batch normalisation after every 3x3 conv.
        bn_momentum: momentum of batch normalisation's moving mean and variance (the statistics used
            at inference). 0.9 (an average over about the last 10 batches) rather than Keras' 0.99:
            a short run of a few hundred steps with 0.99 predicts with statistics still 10% the
            initial ones and averaged over weights since changed (on the photo patches, 8 epochs of
            29 steps: validation loss 3.98 against 3.31 at 0.9, test CIEDE2000 10.4 against 7.4).
        name: model name.

    Returns:
        An uncompiled ``keras.Model`` ``(B, H, W, 1) -> (B, H, W, n_bins)``.

    Raises:
        ValueError: fewer than two stages, a size the poolings do not divide, ``n_bins < 2`` or a
            momentum outside [0, 1).

    Example:
    >>> build_chroma_unet(input_shape=(16, 16, 1), n_bins=7, filters=(4, 8)).output_shape
    (None, 16, 16, 7)
    """
    filters = [int(f) for f in filters]
    if len(filters) < 2 or min(filters) < 1:
        raise ValueError(f"filters must be at least two positive channel counts, got {filters}")
    if int(n_bins) < 2:
        raise ValueError(f"n_bins must be at least 2, got {n_bins}")
    if not 0.0 <= bn_momentum < 1.0:
        raise ValueError(f"bn_momentum must be in [0, 1), got {bn_momentum}")
    h, w = int(input_shape[0]), int(input_shape[1])
    steps = len(filters) - 1
    if h % 2**steps or w % 2**steps:
        raise ValueError(f"image size {h}x{w} is not divisible by 2**{steps} ({steps} poolings); change filters")
    inputs = keras.Input(tuple(input_shape), name="y")
    x, skips = inputs, []
    for i, f in enumerate(filters):
        if i:
            x = keras.layers.MaxPooling2D(2, name=f"down{i}_pool")(x)
        x = _double_conv(x, f, f"down{i}", batch_norm, bn_momentum)
        skips.append(x)
    for i in range(steps - 1, -1, -1):
        x = keras.layers.UpSampling2D(2, name=f"up{i}_upsample")(x)
        x = keras.layers.Concatenate(name=f"up{i}_skip")([x, skips[i]])
        x = _double_conv(x, filters[i], f"up{i}", batch_norm, bn_momentum)
    logits = keras.layers.Conv2D(int(n_bins), 1, name="bin_logits")(x)
    return keras.Model(inputs, logits, name=name)


def with_annealed_mean(
    model: keras.Model, centres_u, centres_v, *, temperature: float, name: str | None = None
) -> keras.Model:
    """The logits model followed by :class:`AnnealedMean`: Y in, U and V out (the colouriser to save and use).

    Example:
    >>> m = build_chroma_unet(input_shape=(8, 8, 1), n_bins=3, filters=(2, 2))
    >>> with_annealed_mean(m, [0.0, 0.1], [0.0], temperature=0.5).output_shape
    (None, 8, 8, 2)
    """
    layer = AnnealedMean(centres_u, centres_v, temperature=temperature, name="annealed_mean", dtype="float32")
    uv = layer(model.output)
    return keras.Model(model.input, uv, name=name or f"{model.name}_uv")
