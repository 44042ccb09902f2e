"""``tf.data`` pipelines: in-memory arrays, image folders streamed from disk, endless random crops."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import tensorflow as tf

from aeutils.data.imageset import DataError
from aeutils.data.patches import check_crop_input


def make_dataset(
    x: np.ndarray,
    y: np.ndarray | None = None,
    *,
    batch_size: int = 128,
    shuffle: bool = False,
    seed: int = 0,
    drop_remainder: bool = False,
):
    """Wrap in-memory arrays in a ``tf.data`` pipeline of ``(x, y)`` batches, prefetched.

    ``y=None`` gives ``(x, x)`` pairs, the autoencoder case. Shuffling permutes
    indices (seeded, new order each epoch) and gathers whole batches, which
    costs far less per image than shuffling single elements.
    """
    xt = tf.convert_to_tensor(np.asarray(x))
    yt = xt if y is None else tf.convert_to_tensor(np.asarray(y))
    n = int(xt.shape[0])
    if int(yt.shape[0]) != n:
        raise DataError(f"x has {n} items but y has {int(yt.shape[0])}")
    ds = tf.data.Dataset.range(n)
    if shuffle:
        ds = ds.shuffle(n, seed=seed, reshuffle_each_iteration=True)
    ds = ds.batch(batch_size, drop_remainder=drop_remainder)
    ds = ds.map(lambda i: (tf.gather(xt, i), tf.gather(yt, i)), num_parallel_calls=tf.data.AUTOTUNE)
    return ds.prefetch(tf.data.AUTOTUNE)


def folder_dataset(
    path: str | os.PathLike,
    *,
    size: int,
    channels: int = 3,
    batch_size: int = 32,
    shuffle: bool = True,
    seed: int = 0,
    cache: str | None = None,
):
    """Stream a folder of images too large for memory as ``(x, x)`` batches in [0, 1].

    Files are decoded per batch by :func:`aeutils.data.read_image` (the in-memory loader's own
    decoder, faithful to bit depth and range) and resized to ``size``; ``channels=1`` converts
    to gray. ``cache``: a folder where the decoded images are kept on disk after one pass, or
    ``None``. See :mod:`aeutils.data.streaming`.

    Raises:
        DataError: missing or empty folder, unreadable files, mixed channel counts with ``channels=3``.
    """
    from aeutils.data.streaming import open_folder  # streaming builds on this module's neighbours

    images = open_folder(Path(path), size=size, grayscale=channels == 1, cache=cache or None).images
    if cache:
        images.check()
    return images.to_dataset(batch_size=batch_size, shuffle=shuffle, seed=seed)


def random_crop_dataset(
    images: np.ndarray,
    *,
    batch_size: int = 16,
    min_scale: float = 0.6,
    flip: bool = True,
    seed: int = 0,
):
    """An endless ``tf.data`` stream of random square crops, as ``(x, x)`` batches.

    The streaming form of :func:`random_crops`: every batch gets fresh crops
    (side ``min_scale``..1 of the image, bilinear-resized back to full size,
    half of them mirrored), made on the fly, so memory holds only the source
    images even at 1024 px. Randomness is stateless and derived from ``seed``:
    the same seed gives the same stream. Pass ``steps_per_epoch`` to ``fit``.

    Args:
        images: square images ``(N, S, S, C)`` in [0, 1].
        batch_size: crops per batch.
        min_scale: smallest crop side as a fraction of ``S``.
        flip: mirror half of the crops left-right.
        seed: stream seed.

    Returns:
        A repeating ``tf.data.Dataset`` of ``(crops, crops)`` batches.

    Raises:
        DataError: non-square or non-4-D images, no images, or ``min_scale``
            outside (0, 1].
    """
    images = check_crop_input(images, min_scale, "random_crop_dataset")
    s = images.shape[1]

    def crop(img, r):
        u = tf.random.stateless_uniform([4], seed=tf.stack([r % 2_147_483_647, tf.constant(seed, tf.int64)]))
        scale = min_scale + (1.0 - min_scale) * u[0]
        top, left = u[1] * (1.0 - scale), u[2] * (1.0 - scale)
        box = tf.stack([top, left, top + scale, left + scale])[None]
        out = tf.image.crop_and_resize(img[None], box, [0], [s, s])[0]
        if flip:
            out = tf.cond(u[3] < 0.5, lambda: tf.reverse(out, axis=[1]), lambda: out)
        return out, out

    pics = tf.data.Dataset.from_tensor_slices(images).repeat().shuffle(len(images), seed=seed)
    noise = tf.data.Dataset.random(seed=seed)
    return (
        tf.data.Dataset.zip((pics, noise))
        .map(crop, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
        .batch(batch_size)
        .prefetch(2)
    )
