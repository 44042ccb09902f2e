"""Pixel transforms of image arrays: value ranges, grayscale, resize, crops, harmonising, mixing, low light.

:func:`to_unit_range`, :func:`scale` / :func:`unscale` (value ranges),
:func:`to_grayscale`, :func:`resize` (``tf.image``), :func:`center_crop_square`,
:func:`harmonise` (one size, channel count and range for two sets),
:func:`mix` (pixel-wise weighted mean) and :func:`simulate_low_light`.
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from aeutils.data.imageset import DataError, as_hw, as_nhwc

#: How far a float value may stray outside its declared range and still count as rounding.
RANGE_TOLERANCE = 1e-4

#: Integer image types and the range of values each one encodes.
INTEGER_RANGES = {np.dtype(np.uint8): 255.0, np.dtype(np.uint16): 65535.0}


def check_finite(x: np.ndarray, *, what: str = "images") -> None:
    """Refuse NaN or infinite values, naming how many there are and where the first one is.

    Raises:
        DataError: ``x`` holds NaN or inf.

    """
    bad = ~np.isfinite(x)
    if bad.any():
        n_nan, n_inf = int(np.isnan(x).sum()), int(np.isinf(x).sum())
        first = tuple(int(i) for i in np.argwhere(bad)[0])
        raise DataError(
            f"{what} holds {n_nan} NaN and {n_inf} infinite values (first at index {first}); "
            "images must be finite: fix or drop those images"
        )


def to_unit_range(x, value_range: tuple[float, float] | None = None, *, what: str = "images") -> np.ndarray:
    """Convert images to float32 in [0, 1], by their type and declared range — never by their extremes.

    Integers are scaled by their type's range (``uint8`` / 255, ``uint16`` / 65535, booleans as
    0 / 1); floats are taken as lying in ``value_range`` (default ``(0, 1)``) and mapped linearly.
    Values outside the declared range by more than rounding (:data:`RANGE_TOLERANCE` of the
    range) are refused, never remapped; rounding overshoot is clipped.

    Args:
        x: images (any shape).
        value_range: the range the values are declared in, e.g. ``(-1, 1)`` or ``(0, 255)``;
            ``None``: the type's own range (``(0, 1)`` for floats). For integer types other
            than ``uint8`` and ``uint16`` it must be given.
        what: a name for error messages (a file name).

    Returns:
        float32 images in [0, 1].

    Raises:
        DataError: NaN or inf values; values outside the declared range; an integer type
            with no known range and none declared.

    Example:
    >>> to_unit_range(np.array([0, 65535], np.uint16)).tolist()
    [0.0, 1.0]
    >>> to_unit_range(np.array([-1.0, 1.0]), (-1, 1)).tolist()
    [0.0, 1.0]
    """
    x = np.asarray(x)
    if x.dtype == bool:
        return x.astype(np.float32)
    if value_range is None and x.dtype in INTEGER_RANGES:
        return (x.astype(np.float32) / INTEGER_RANGES[x.dtype]).astype(np.float32)
    if value_range is None and np.issubdtype(x.dtype, np.integer):
        raise DataError(
            f"{what}: integer images of type {x.dtype} have no standard value range; "
            "declare it (value_range=(0, 255), or --range 0,255 on the command line)"
        )
    if not (np.issubdtype(x.dtype, np.floating) or np.issubdtype(x.dtype, np.integer)):
        raise DataError(f"{what}: images of type {x.dtype} are not numbers")
    lo, hi = (0.0, 1.0) if value_range is None else (float(value_range[0]), float(value_range[1]))
    if not hi > lo:
        raise DataError(f"value_range must be (low, high) with low < high, got {value_range}")
    if np.issubdtype(x.dtype, np.floating):  # integers stay as they are: float32 would round those above 2**24
        check_finite(x, what=what)
    if x.size:
        seen_lo, seen_hi = float(x.min()), float(x.max())
        tol = RANGE_TOLERANCE * (hi - lo)
        if seen_lo < lo - tol or seen_hi > hi + tol:
            hint = "(-1, 1)" if seen_lo < 0 else "(0, 255)" if seen_hi <= 255 else "(low, high)"
            raise DataError(
                f"{what}: values span [{seen_lo:.6g}, {seen_hi:.6g}], outside the declared range "
                f"[{lo:g}, {hi:g}]; declare the range they are in (value_range={hint}, or --range on "
                "the command line) or fix the data: nothing is rescaled silently"
            )
    if (lo, hi) == (0.0, 1.0):
        return np.clip(x, 0.0, 1.0).astype(np.float32)
    # In float64, a block at a time: in float32, x - lo loses the digits that matter when the range sits
    # far from zero (values near 16.74 in a range 0.0625 wide came out 1.2e-5 off; int32 values near 1e8,
    # which float32 rounds to multiples of 8, came out whole steps off), and a whole float64 copy would
    # double the memory of a large set.
    out = np.empty(x.shape, np.float32)
    flat, flat_out = x.reshape(-1), out.reshape(-1)
    for i in range(0, flat.size, _BLOCK):
        block = (flat[i : i + _BLOCK].astype(np.float64) - lo) / (hi - lo)
        flat_out[i : i + _BLOCK] = np.clip(block, 0.0, 1.0)
    return out


#: Values converted at a time by :func:`to_unit_range` (32 MiB of float64).
_BLOCK = 1 << 22


def scale(x: np.ndarray, value_range: tuple[float, float] = (0.0, 1.0)) -> np.ndarray:
    """Map [0, 1] images linearly to ``value_range``, e.g. ``(-1, 1)``.

    Example:
    >>> scale(np.array([0.0, 0.5, 1.0]), (-1, 1)).tolist()
    [-1.0, 0.0, 1.0]
    """
    lo, hi = value_range
    return (np.asarray(x, dtype=np.float32) * (hi - lo) + lo).astype(np.float32)


def unscale(x: np.ndarray, value_range: tuple[float, float] = (0.0, 1.0)) -> np.ndarray:
    """Inverse of :func:`scale`: map ``value_range`` back to [0, 1]."""
    lo, hi = value_range
    return ((np.asarray(x, dtype=np.float32) - lo) / (hi - lo)).astype(np.float32)


def to_grayscale(x: np.ndarray) -> np.ndarray:
    """RGB ``(..., 3)`` → luma ``(..., 1)`` with ITU-R 601 weights (as ``tf.image.rgb_to_grayscale``)."""
    x = np.asarray(x, dtype=np.float32)
    if x.shape[-1] == 1:
        return x
    if x.shape[-1] != 3:
        raise DataError(f"expected 1 or 3 channels, got shape {x.shape}")
    return (x @ np.array([0.2989, 0.5870, 0.1140], dtype=np.float32))[..., None]


def resize(x: np.ndarray, size, *, method: str = "area", batch: int = 256) -> np.ndarray:
    """Resize ``(N, H, W, C)`` images to ``size`` with ``tf.image.resize``.

    ``area`` averages when shrinking (no aliasing); for enlarging, bilinear is
    used whatever ``method`` says for area. Runs in batches to bound memory.
    """
    x = np.asarray(x, dtype=np.float32)
    if x.ndim != 4:
        raise DataError(f"resize expects (N, H, W, C), got {x.shape}")
    h, w = as_hw(size)
    if method == "area" and (h > x.shape[1] or w > x.shape[2]):
        method = "bilinear"
    out = [
        tf.image.resize(x[i : i + batch], (h, w), method=method, antialias=method != "area").numpy()
        for i in range(0, len(x), batch)
    ]
    return np.clip(np.concatenate(out), 0.0, 1.0) if out else np.zeros((0, h, w, x.shape[-1]), np.float32)


def center_crop_square(img: np.ndarray) -> np.ndarray:
    """Crop the largest centred square from an ``(H, W, ...)`` image."""
    h, w = img.shape[:2]
    s = min(h, w)
    top, left = (h - s) // 2, (w - s) // 2
    return img[top : top + s, left : left + s]


def harmonise(images, *, size: int | tuple[int, int] = 32, channels: int = 3) -> np.ndarray:
    """Bring images to one size, channel count and value range ([0, 1] float32).

    Gray images get their one channel repeated to 3 (as ``Grayscale(3)`` or a
    channel repeat would do); colour images asked for 1 channel become luma.
    Images are resized (bilinear up, area down) when their size differs.

    Args:
        images: ``(N, H, W)`` or ``(N, H, W, C)``, uint8 or float (see :func:`to_unit_range`).
        size: output side (int) or ``(H, W)``.
        channels: 1 or 3.

    Returns:
        float32 ``(N, *size, channels)`` in [0, 1].

    Raises:
        DataError: a channel count other than 1 or 3, or images of the wrong rank.

    Example:
    >>> harmonise(np.zeros((2, 28, 28), np.uint8), size=32).shape
    (2, 32, 32, 3)
    """
    if channels not in (1, 3):
        raise DataError(f"channels must be 1 or 3, got {channels}")
    x = to_unit_range(as_nhwc(images, "harmonise"))
    if x.shape[-1] != channels:
        x = np.repeat(x, 3, axis=-1) if channels == 3 else to_grayscale(x)
    if x.shape[1:3] != as_hw(size):
        x = resize(x, size)
    return np.ascontiguousarray(x, dtype=np.float32)


def mix(first, second, *, weight: float = 0.5) -> np.ndarray:
    """Pixel-wise weighted mean ``weight * first + (1 - weight) * second`` of two [0, 1] image arrays.

    Raises:
        DataError: shapes differ, values outside [0, 1], or ``weight`` outside [0, 1].

    Example:
    >>> mix(np.zeros((1, 2, 2, 1)), np.ones((1, 2, 2, 1))).ravel().tolist()
    [0.5, 0.5, 0.5, 0.5]
    """
    a = np.asarray(first, dtype=np.float32)
    b = np.asarray(second, dtype=np.float32)
    if a.shape != b.shape:
        raise DataError(f"cannot mix images of shapes {a.shape} and {b.shape}; harmonise them first")
    if not 0.0 <= weight <= 1.0:
        raise DataError(f"weight must be in [0, 1], got {weight}")
    for name, x in (("first", a), ("second", b)):
        if x.size and (x.min() < 0.0 or x.max() > 1.0):
            raise DataError(f"{name} images span [{x.min():.3g}, {x.max():.3g}]; mix expects [0, 1]")
    return (weight * a + (1.0 - weight) * b).astype(np.float32)


def simulate_low_light(
    images,
    *,
    exposure: float = 0.15,
    gamma: float = 2.2,
    photons: float | None = 400.0,
    read_noise: float = 0.01,
    seed: int = 0,
) -> np.ndarray:
    """Render [0, 1] images as a simple camera would record them with less light.

    The pixel values are taken as gamma-encoded (sRGB-like). They are decoded to
    linear light (``x ** gamma``), scaled by ``exposure`` (the fraction of light
    that still reaches the sensor), turned into photon counts with shot noise
    (Poisson, ``photons`` electrons at full white and full exposure), given
    Gaussian read noise (``read_noise``, a fraction of full scale), clipped,
    re-encoded (``** (1 / gamma)``) and quantised to 8 bits. The output is
    *simulated*: say so wherever it is shown.

    Args:
        images: ``(N, H, W, C)`` floats in [0, 1].
        exposure: light fraction in (0, 1]; 0.15 is about 2.7 stops darker.
        gamma: encoding gamma of the input (2.2 for sRGB-like photos).
        photons: electrons collected at full white; ``None`` for no shot noise.
        read_noise: standard deviation of the sensor's read noise (>= 0).
        seed: seed of the noise.

    Returns:
        float32 ``(N, H, W, C)`` in [0, 1].

    Raises:
        DataError: values outside [0, 1] or parameters out of range.

    Example:
    >>> x = np.full((1, 4, 4, 1), 0.8, np.float32)
    >>> y = simulate_low_light(x, exposure=0.25, photons=None, read_noise=0.0)
    >>> round(float(y.mean()), 2)  # 0.8 * 0.25 ** (1 / 2.2)
    0.43
    """
    x = np.asarray(images, dtype=np.float32)
    if x.size and (x.min() < 0.0 or x.max() > 1.0):
        raise DataError(f"simulate_low_light expects values in [0, 1], got [{x.min()}, {x.max()}]")
    if not 0.0 < exposure <= 1.0:
        raise DataError(f"exposure must be in (0, 1], got {exposure}")
    if gamma <= 0 or read_noise < 0 or (photons is not None and photons <= 0):
        raise DataError(
            f"need gamma > 0, read_noise >= 0 and photons > 0 (or None); got {gamma}, {read_noise}, {photons}"
        )
    rng = np.random.default_rng(seed)
    linear = x.astype(np.float64) ** gamma * exposure
    if photons is not None:
        linear = rng.poisson(linear * photons) / photons
    if read_noise > 0:
        linear = linear + rng.normal(0.0, read_noise, size=linear.shape)
    out = np.clip(linear, 0.0, 1.0) ** (1.0 / gamma)
    return (np.round(out * 255.0) / 255.0).astype(np.float32)
