"""The comparison's autoencoder, patch tiling, and per-image errors and codes of a trained model.

Also the embeddings of the baseline tests of "Failing Loudly"
(:func:`pca_codes`, :func:`random_encoder_codes`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import keras
import numpy as np
from keras import ops

from aeutils import data as D
from aeutils.baselines import fit_pca
from aeutils.metrics import mse_per_image
from aeutils.models import build_autoencoder, build_decoder, build_encoder
from aeutils.params import parse_list
from aeutils.stats import EPS


def build_compare_autoencoder(
    *,
    input_shape: Sequence[int],
    filters: Sequence[int] = (16, 32),
    code_channels: int = 4,
    name: str = "autoencoder",
):
    """The small convolutional autoencoder used for all three models of a comparison.

    Each of ``filters`` is a 3x3 convolution with stride 2 (halving the side);
    a 3x3 convolution to ``code_channels`` makes the code (a bottleneck, so that
    a model cannot simply copy any input); the decoder mirrors the encoder with
    stride-2 transposed convolutions and ends in a sigmoid (images in [0, 1]).

    Args:
        input_shape: ``(H, W, C)`` of a patch (or a whole image).
        filters: channels of the downsampling stages.
        code_channels: channels of the code; the code holds
            ``(H / 2**len(filters)) * (W / 2**len(filters)) * code_channels`` values.
        name: model name (the encoder and decoder are ``{name}_encoder``/``_decoder``).

    Returns:
        A ``keras.Model`` named ``name``.

    Raises:
        ValueError: a side that is not a multiple of ``2 ** len(filters)``.
    """

    filters = parse_list(filters, int, name="filters", positive=True)
    step = 2 ** len(filters)
    if input_shape[0] % step or input_shape[1] % step:
        raise ValueError(f"input side {tuple(input_shape[:2])} must be a multiple of {step}")
    encoder = build_encoder(
        input_shape=tuple(input_shape),
        filters=(*filters, int(code_channels)),
        downsample="stride",
        downsamples=len(filters),
        name=f"{name}_encoder",
    )
    decoder = build_decoder(
        latent_shape=encoder.output_shape[1:],
        filters=tuple(reversed(filters)),
        output_channels=int(input_shape[-1]),
        upsample="transpose",
        output_activation="sigmoid",
        name=f"{name}_decoder",
    )
    return build_autoencoder(encoder, decoder, name=name)


def to_patches(images: np.ndarray, patch: int, stride: int | None = None):
    """Cut images into model inputs: equal patches, or the whole images when ``patch`` is 0.

    Returns:
        ``(inputs, index)`` as :func:`aeutils.data.extract_patches`; for whole
        images the index rows are ``(i, 0, 0)``.

    Example:
    >>> x, idx = to_patches(np.zeros((2, 8, 8, 1)), 0)
    >>> x.shape, idx[:, 0].tolist()
    ((2, 8, 8, 1), [0, 1])
    """
    images = np.asarray(images, dtype=np.float32)
    if not patch:
        return images, np.stack([np.arange(len(images)), np.zeros(len(images), int), np.zeros(len(images), int)], 1)
    return D.extract_patches(images, patch, stride)


def reconstruct(
    model, images, *, patch: int = 0, stride: int | None = None, batch_size: int = 256, chunk: int = 128
) -> np.ndarray:
    """Reconstruct whole images with a model, patch by patch, stitched back (overlaps averaged).

    Args:
        model: an autoencoder on ``patch`` x ``patch`` inputs (or whole images).
        images: ``(N, H, W, C)`` in [0, 1] (or :class:`aeutils.data.FileImages`).
        patch, stride: the tiling (``patch=0``: whole images).
        batch_size: prediction batch.
        chunk: images cut and stitched at a time (bounds memory).

    Returns:
        ``(N, H, W, C)`` reconstructions.
    """

    if not isinstance(images, D.FileImages):
        images = np.asarray(images, dtype=np.float32)
    out = np.empty(images.shape, np.float32)
    chunk = _bounded_chunk(images.shape, patch, stride, chunk)
    for s in range(0, len(images), chunk):
        x = np.asarray(images[s : s + chunk], dtype=np.float32)  # images on disk: decoded a chunk at a time
        inputs, index = to_patches(x, patch, stride)
        # Direct calls, not model.predict: predict retraces a tf.function for
        # every new model and batch shape, which is slow and noisy here.
        recon = np.concatenate(
            [
                ops.convert_to_numpy(model(inputs[i : i + batch_size], training=False))
                for i in range(0, len(inputs), batch_size)
            ]
        )
        out[s : s + len(x)] = recon if not patch else D.stitch_patches(recon, index, x.shape[1:3])
    return out


#: At most this many patches are cut at a time when scoring (8,192 patches of 32 px RGB: 100 MB).
MAX_PATCHES_AT_ONCE = 8192


def _bounded_chunk(shape, patch: int, stride: int | None, chunk: int) -> int:
    """Images per chunk, fewer than ``chunk`` when their patches would exceed :data:`MAX_PATCHES_AT_ONCE`."""
    if not patch:
        return chunk
    per_image = len(D.patch_rows(1, shape[1], shape[2], patch, stride))
    return max(1, min(chunk, MAX_PATCHES_AT_ONCE // per_image))


def image_errors(
    model, images, *, patch: int = 0, stride: int | None = None, batch_size: int = 256, chunk: int = 128
) -> np.ndarray:
    """Per-image MSE on [0, 1] of the (stitched) reconstruction, shape ``(N,)``, ``chunk`` images at a time."""
    out = []
    chunk = _bounded_chunk(images.shape, patch, stride, chunk)
    for s in range(0, len(images), chunk):
        x = np.asarray(images[s : s + chunk], dtype=np.float32)
        recon = reconstruct(model, x, patch=patch, stride=stride, batch_size=batch_size, chunk=chunk)
        out.append(mse_per_image(x, recon))
    return np.concatenate(out) if out else np.zeros(0)


def image_codes(model, images, *, patch: int = 0, stride: int | None = None, batch_size: int = 256) -> np.ndarray:
    """Per-image codes of an autoencoder's encoder, flattened, shape ``(N, D)``.

    With patches, an image's code is the mean of its patches' codes (so ``D`` is
    one patch code's size whatever the image size).

    Raises:
        ValueError: a model without a ``{name}_encoder`` layer (see :func:`build_compare_autoencoder`).
    """

    try:
        encoder = model.get_layer(f"{model.name}_encoder")
    except ValueError as err:
        raise ValueError(f"model {model.name!r} has no layer {model.name}_encoder") from err
    step = _bounded_chunk(np.shape(images) if not isinstance(images, D.FileImages) else images.shape, patch,
                          stride, 128)
    if isinstance(images, D.FileImages) or (patch and len(images) > step):  # a chunk at a time: bounded memory
        return np.concatenate(
            [image_codes(model, np.asarray(images[s : s + step]), patch=patch, stride=stride, batch_size=batch_size)
             for s in range(0, len(images), step)]
        )
    inputs, index = to_patches(np.asarray(images, dtype=np.float32), patch, stride)
    codes = np.concatenate(
        [
            ops.convert_to_numpy(encoder(inputs[i : i + batch_size], training=False)).reshape(
                len(inputs[i : i + batch_size]), -1
            )
            for i in range(0, len(inputs), batch_size)
        ]
    ).astype(np.float64)
    n = len(images)
    sums = np.zeros((n, codes.shape[1]))
    np.add.at(sums, index[:, 0], codes)
    counts = np.bincount(index[:, 0], minlength=n)[:, None]
    return sums / np.maximum(counts, 1)


def heldout_codes(
    models: Mapping, held: Mapping[str, np.ndarray], *, patch: int = 0, stride: int | None = None
) -> dict:
    """The codes test's features: every held-out image's codes under models A and B, side by side.

    Each model's block is divided by its root-mean-square over the pooled
    held-out images of both sets, so neither encoder's scale dominates the
    kernel; a function of the pooled sample, this keeps the permutation test exact.

    Returns:
        ``{"A": (n_A, D_A + D_B), "B": (n_B, D_A + D_B)}``.
    """
    blocks = {"A": [], "B": []}
    for m in ("A", "B"):
        c = {x: image_codes(models[m], held[x], patch=patch, stride=stride) for x in ("A", "B")}
        rms = float(np.sqrt(np.mean(np.concatenate([c["A"], c["B"]]) ** 2)))
        for x in ("A", "B"):
            blocks[x].append(c[x] / max(rms, EPS))
    return {x: np.concatenate(blocks[x], axis=1) for x in ("A", "B")}


def pca_codes(train, *sets, k: int = 32, seed: int = 0) -> list[np.ndarray]:
    """Fit PCA (:func:`aeutils.baselines.fit_pca`) with ``k`` components on ``train`` images; project ``sets`` onto it.

    Raises:
        ValueError: ``k`` larger than the training images or pixels allow.
    """
    flat = np.asarray(train, dtype=np.float32).reshape(len(train), -1)
    if not 0 < k <= min(flat.shape):
        raise ValueError(f"k={k} must be in 1..{min(flat.shape)} for {flat.shape[0]} training images")
    # scikit-learn's own solver choice on all training images: the benchmark's seeded p-values stay as they were.
    basis = fit_pca(flat, k, seed=seed, max_fit=None, solver="auto")
    return [basis.encode(s) for s in sets]


def random_encoder_codes(*sets, k: int = 32, seed: int = 0) -> list[np.ndarray]:
    """Codes of an untrained (randomly initialised, seeded) conv encoder with a ``k``-unit dense code.

    The "UAE" embedding of "Failing Loudly": structure-preserving random
    features without any training.
    """

    keras.utils.set_random_seed(seed)
    enc = build_encoder(input_shape=sets[0].shape[1:], filters=(16, 32), downsample="stride", latent_dim=k, name="uae")
    return [ops.convert_to_numpy(enc(np.asarray(s, dtype=np.float32), training=False)) for s in sets]
