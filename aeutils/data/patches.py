"""Cutting images into pieces: overlapping patches (and stitching them back) and random square crops."""

from __future__ import annotations

import numpy as np

from aeutils.data.imageset import DataError
from aeutils.data.transforms import resize


def extract_patches(images: np.ndarray, patch: int, stride: int | None = None):
    """Cut ``(N, H, W, C)`` images into equal square patches.

    The grid starts at the top-left corner; a last row/column of patches is
    added flush with the bottom/right edge so every pixel is covered.

    Args:
        images: array ``(N, H, W, C)``.
        patch: patch side in pixels.
        stride: step between patches (default ``patch``: no overlap).

    Returns:
        ``(patches, index)``: patches ``(M, patch, patch, C)`` and an int array
        ``(M, 3)`` of ``(image, top, left)`` for :func:`stitch_patches`.

    Raises:
        DataError: images smaller than one patch, or a non-positive size.

    Example:
    >>> p, idx = extract_patches(np.zeros((2, 10, 10, 1)), 4, 3)
    >>> p.shape, idx[:2].tolist()
    ((18, 4, 4, 1), [[0, 0, 0], [0, 0, 3]])
    """
    images = np.asarray(images)
    stride = stride or patch
    if images.ndim != 4:
        raise DataError(f"extract_patches expects (N, H, W, C), got {images.shape}")
    if patch <= 0 or stride <= 0:
        raise DataError("patch and stride must be positive")
    n, h, w, _ = images.shape
    if h < patch or w < patch:
        raise DataError(f"images of {h}x{w} are smaller than a {patch}px patch")
    tops = patch_starts(h, patch, stride)
    lefts = patch_starts(w, patch, stride)
    index = np.array([(i, t, l) for i in range(n) for t in tops for l in lefts], dtype=np.int64)
    patches = np.stack([images[i, t : t + patch, l : l + patch] for i, t, l in index])
    return patches, index


def patch_starts(length: int, patch: int, stride: int) -> list[int]:
    """Start offsets of patches along one side: every ``stride`` px, plus one flush with the far edge.

    Example:
    >>> patch_starts(10, 4, 3)
    [0, 3, 6]
    >>> patch_starts(11, 4, 3)
    [0, 3, 6, 7]
    """
    starts = list(range(0, length - patch + 1, stride))
    if starts[-1] != length - patch:
        starts.append(length - patch)
    return starts


def stitch_patches(patches: np.ndarray, index: np.ndarray, image_shape) -> np.ndarray:
    """Reassemble patches from :func:`extract_patches`, averaging where they overlap.

    Args:
        patches: ``(M, p, p, C)``.
        index: ``(M, 3)`` rows of ``(image, top, left)``.
        image_shape: ``(H, W)`` of the original images.

    Returns:
        ``(N, H, W, C)`` with ``N = index[:, 0].max() + 1``.
    """
    patches = np.asarray(patches, dtype=np.float32)
    n = int(index[:, 0].max()) + 1
    h, w = image_shape[:2]
    p = patches.shape[1]
    acc = np.zeros((n, h, w, patches.shape[-1]), np.float32)
    cnt = np.zeros((n, h, w, 1), np.float32)
    for pt, (i, t, l) in zip(patches, index):
        acc[i, t : t + p, l : l + p] += pt
        cnt[i, t : t + p, l : l + p] += 1
    return acc / np.maximum(cnt, 1)


def check_crop_input(images, min_scale: float, caller: str) -> np.ndarray:
    """Square ``(N, S, S, C)`` float32 images with N > 0 and ``min_scale`` in (0, 1], else :class:`DataError`."""
    images = np.asarray(images, dtype=np.float32)
    if images.ndim != 4 or images.shape[1] != images.shape[2] or len(images) == 0:
        raise DataError(f"{caller} needs square images (N, S, S, C) with N > 0, got {images.shape}")
    if not 0 < min_scale <= 1:
        raise DataError(f"min_scale must be in (0, 1], got {min_scale}")
    return images


def random_crops(
    images: np.ndarray,
    n: int,
    *,
    min_scale: float = 0.6,
    flip: bool = True,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """Random square crops (side ``min_scale``..1 of the image), resized back to full size.

    Augmentation for small photo sets: a VAE trained on 11 photos sees each of
    them in many framings instead of memorising 11 points.

    Args:
        images: square images ``(N, S, S, C)`` in [0, 1].
        n: crops to make.
        min_scale: smallest crop side as a fraction of ``S``.
        flip: mirror half of the crops left-right.
        seed: seed for the choice of image, crop and flip.

    Returns:
        ``(crops, source)``: ``(n, S, S, C)`` float32 and the index of the image
        each crop came from.

    Raises:
        DataError: non-square or non-4-D images, no images, or ``min_scale``
            outside (0, 1].
    """
    images = check_crop_input(images, min_scale, "random_crops")
    rng = np.random.default_rng(seed)
    s = images.shape[1]
    src = rng.integers(0, len(images), n)
    out = np.empty((n,) + images.shape[1:], np.float32)
    for k, i in enumerate(src):
        side = max(1, int(round(s * rng.uniform(min_scale, 1.0))))
        top, left = rng.integers(0, s - side + 1, 2)
        crop = images[i, top : top + side, left : left + side]
        if flip and rng.random() < 0.5:
            crop = crop[:, ::-1]
        out[k] = crop if side == s else resize(crop[None], s)[0]
    return out, src
