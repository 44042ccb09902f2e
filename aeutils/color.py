"""RGB <-> YUV helpers, colourisation data and colour scores (the colour science of source report 4's last part).

Value ranges are explicit everywhere. ``tf.image.rgb_to_yuv`` is a plain matrix
product that assumes RGB in [0, 1] and checks nothing. Fed [-1, 1] data (as the
source did) it returns ``Y' = 2Y - 1`` and ``U' = 2U, V' = 2V``: the U and V
rows of the matrix sum to zero, so the offset cancels and only the factor 2
stays. Chroma is then twice the true chroma and every UV squared error four
times larger. The functions here refuse values outside the range they are told
to expect, and convert [-1, 1] only when asked to (``value_range=(-1, 1)``).
:data:`SOURCE_UV_SCALE` names the source's factor so its UV figures can be
reproduced on purpose.

The YUV matrices are ``tf.image``'s (BT.601 luma, analogue U/V scaling), so
arrays converted here equal ``tf.image.rgb_to_yuv`` / ``yuv_to_rgb`` on [0, 1]
data. :func:`colourisation_dataset` uses
``tf.data``/``tf.image`` and is TensorFlow-only; the array helpers are NumPy.

The colourisation study that uses them (two routes, baselines, the source's
figures) is :mod:`aeutils.studies.colourisation`.
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf
from skimage.color import deltaE_ciede2000, rgb2lab

from aeutils import metrics as M
from aeutils.data import DataError

#: RGB (rows of a right-multiplied matrix) → YUV, as ``tf.image.rgb_to_yuv``.
YUV_FROM_RGB = np.array(
    [
        [0.299, -0.14714119, 0.61497538],
        [0.587, -0.28886916, -0.51496512],
        [0.114, 0.43601035, -0.10001026],
    ],
    dtype=np.float64,
)
#: YUV → RGB, as ``tf.image.yuv_to_rgb`` (the inverse of :data:`YUV_FROM_RGB` to 5e-9).
RGB_FROM_YUV = np.array(
    [[1.0, 1.0, 1.0], [0.0, -0.394642334, 2.03206185], [1.13988303, -0.58062185, 0.0]],
    dtype=np.float64,
)

#: Factor by which the source's chroma exceeds true chroma: it fed RGB in
#: [-1, 1] to ``rgb_to_yuv``, which doubles U and V. A UV-only MSE on such data
#: is ``SOURCE_UV_SCALE**2 = 4`` times the MSE of true UV. Whether the source's
#: reported figure is in this scale is checked, not assumed: :func:`verdict` and
#: :func:`source_comparison` give both readings.
SOURCE_UV_SCALE = 2.0

#: Luminance definitions: ``"bt601"`` is the Y of YUV (0.299 R + 0.587 G +
#: 0.114 B); ``"mean"`` is the plain mean of R, G, B that the source's gray → RGB route used.
LUMINANCE_METHODS = ("bt601", "mean")

_RANGE_TOL = 1e-5


# ---------------------------------------------------------------------------
# Checks
# ---------------------------------------------------------------------------


def check_colour(images, *, what: str = "images") -> np.ndarray:
    """Return ``images`` as a float32 array whose last axis is 3 (RGB), or raise.

    Args:
        images: array ``(..., 3)``, e.g. ``(N, H, W, 3)``.
        what: name used in the error message.

    Returns:
        The images as float32.

    Raises:
        DataError: one channel (a gray image where colour is needed) or any
            other channel count.

    Example:
    >>> check_colour(np.zeros((2, 4, 4, 3))).shape
    (2, 4, 4, 3)
    """
    x = np.asarray(images, dtype=np.float32)
    if x.ndim < 1 or x.shape[-1] != 3:
        channels = x.shape[-1] if x.ndim else 0
        hint = " (a gray image where colour is needed)" if channels == 1 else ""
        raise DataError(f"{what} must be RGB with 3 channels in the last axis, got shape {x.shape}{hint}")
    return x


def check_range(x, value_range: tuple[float, float] = (0.0, 1.0), *, what: str = "images") -> np.ndarray:
    """Return ``x`` as float32 if all its values lie in ``value_range``, else raise.

    Args:
        x: array of any shape.
        value_range: ``(low, high)`` the values must lie in (a tolerance of
            1e-5 allows float round-off).
        what: name used in the error message.

    Returns:
        ``x`` as float32.

    Raises:
        ValueError: values outside the range (the message gives the range found),
            NaNs, or an empty range.

    Example:
    >>> check_range(np.array([0.0, 1.0])).tolist()
    [0.0, 1.0]
    """
    lo, hi = float(value_range[0]), float(value_range[1])
    if not hi > lo:
        raise ValueError(f"value_range must be (low, high) with high > low, got {value_range}")
    x = np.asarray(x, dtype=np.float32)
    if x.size == 0:
        return x
    if np.isnan(x).any():
        raise ValueError(f"{what} contain NaN values")
    xmin, xmax = float(x.min()), float(x.max())
    if xmin < lo - _RANGE_TOL or xmax > hi + _RANGE_TOL:
        hint = ""
        if (lo, hi) == (0.0, 1.0) and xmin >= -1.0 - _RANGE_TOL and xmax <= 1.0 + _RANGE_TOL:
            hint = "; for [-1, 1] data pass value_range=(-1, 1) to convert it explicitly"
        elif (lo, hi) == (0.0, 1.0) and xmax > 1.0 + _RANGE_TOL:
            hint = "; 0..255 data must be divided by 255 first"
        raise ValueError(f"{what} must lie in [{lo:g}, {hi:g}], got values in [{xmin:g}, {xmax:g}]{hint}")
    return x


def _to_unit(x, value_range) -> np.ndarray:
    lo, hi = float(value_range[0]), float(value_range[1])
    x = check_range(x, (lo, hi))
    return x if (lo, hi) == (0.0, 1.0) else ((x - lo) / (hi - lo)).astype(np.float32)


# ---------------------------------------------------------------------------
# Conversions
# ---------------------------------------------------------------------------


def rgb_to_yuv(rgb, *, value_range: tuple[float, float] = (0.0, 1.0)) -> np.ndarray:
    """Convert RGB to YUV (``tf.image``'s matrix) after mapping ``value_range`` to [0, 1].

    Y lies in [0, 1], U in about [-0.436, 0.436], V in about [-0.615, 0.615].

    Args:
        rgb: array ``(..., 3)``.
        value_range: the range ``rgb`` is in; ``(-1, 1)`` converts to [0, 1]
            first (the source skipped this and got doubled chroma, see the module
            docstring).

    Returns:
        float32 array ``(..., 3)`` of Y, U, V.

    Raises:
        DataError: not 3 channels.
        ValueError: values outside ``value_range``.

    Example:
    >>> (rgb_to_yuv(np.array([1.0, 1.0, 1.0])).round(6) + 0.0).tolist()
    [1.0, 0.0, 0.0]
    >>> (rgb_to_yuv(np.array([1.0, 1.0, 1.0]), value_range=(-1, 1)).round(6) + 0.0).tolist()
    [1.0, 0.0, 0.0]
    """
    x = _to_unit(check_colour(rgb, what="rgb"), value_range)
    return (x.astype(np.float64) @ YUV_FROM_RGB).astype(np.float32)


def yuv_to_rgb(yuv) -> np.ndarray:
    """Convert YUV to RGB (``tf.image``'s matrix), without clipping.

    Predicted chroma can give RGB outside [0, 1] (out of gamut); use
    :func:`clip_to_gamut` or :func:`assemble_rgb` to clip and count it.

    Args:
        yuv: array ``(..., 3)`` of Y, U, V.

    Returns:
        float32 RGB array ``(..., 3)``, possibly outside [0, 1].

    Raises:
        DataError: not 3 channels.
    """
    x = np.asarray(yuv, dtype=np.float64)
    if x.ndim < 1 or x.shape[-1] != 3:
        raise DataError(f"yuv must have 3 channels (Y, U, V) in the last axis, got shape {x.shape}")
    return (x @ RGB_FROM_YUV).astype(np.float32)


def luminance(rgb, *, method: str = "bt601", value_range: tuple[float, float] = (0.0, 1.0)) -> np.ndarray:
    """Gray image ``(..., 1)`` in [0, 1] from RGB.

    Args:
        rgb: array ``(..., 3)`` in ``value_range``.
        method: ``"bt601"`` (the Y of :func:`rgb_to_yuv`) or ``"mean"`` (plain
            mean of R, G, B, the source's gray).
        value_range: the range ``rgb`` is in.

    Returns:
        float32 array ``(..., 1)`` in [0, 1].

    Raises:
        DataError: not 3 channels.
        ValueError: unknown method or values outside ``value_range``.

    Example:
    >>> red = np.array([1.0, 0.0, 0.0])
    >>> [luminance(red, method=m).astype(float).round(3).tolist() for m in ("bt601", "mean")]
    [[0.299], [0.333]]
    """
    if method not in LUMINANCE_METHODS:
        raise ValueError(f"unknown luminance method {method!r}; choose from {LUMINANCE_METHODS}")
    x = _to_unit(check_colour(rgb, what="rgb"), value_range)
    if method == "mean":
        return x.mean(axis=-1, keepdims=True, dtype=np.float64).astype(np.float32)
    return (x.astype(np.float64) @ YUV_FROM_RGB[:, :1]).astype(np.float32)


def clip_to_gamut(rgb, *, tol: float = 1e-6) -> tuple[np.ndarray, int]:
    """Clip RGB to [0, 1] and count the pixels that were outside.

    Args:
        rgb: array ``(..., 3)``.
        tol: slack below 0 and above 1 not counted (float round-off).

    Returns:
        ``(clipped, n_out)``: the clipped float32 array and the number of pixels
        (positions, not values) with at least one channel out of range.

    Example:
    >>> clip_to_gamut(np.array([[1.2, 0.5, 0.0], [0.1, 0.2, 0.3]]))[1]
    1
    """
    x = np.asarray(rgb, dtype=np.float32)
    out = ((x < -tol) | (x > 1.0 + tol)).any(axis=-1)
    return np.clip(x, 0.0, 1.0), int(out.sum())


def assemble_rgb(luma, chroma, *, chroma_scale: float = 1.0) -> tuple[np.ndarray, int]:
    """RGB in [0, 1] from a luminance channel and (predicted) U, V chroma.

    Args:
        luma: Y in [0, 1], shape ``(..., 1)`` (the BT.601 Y of :func:`rgb_to_yuv`).
        chroma: U, V, shape ``(..., 2)``, in units of ``chroma_scale`` times the
            true chroma (``SOURCE_UV_SCALE`` for the source's doubled UV).
        chroma_scale: factor to divide ``chroma`` by first.

    Returns:
        ``(rgb, n_out)``: RGB clipped to [0, 1] and the number of pixels that
        were out of gamut before clipping.

    Raises:
        ValueError: shapes that do not fit, or Y outside [0, 1].

    Example:
    >>> rgb, n = assemble_rgb(np.full((1, 1, 1), 0.5), np.zeros((1, 1, 2)))
    >>> rgb.round(6).tolist(), n
    ([[[0.5, 0.5, 0.5]]], 0)
    """
    y = check_range(luma, (0.0, 1.0), what="luma")
    c = np.asarray(chroma, dtype=np.float32)
    if y.shape[-1:] != (1,) or c.shape[-1:] != (2,) or y.shape[:-1] != c.shape[:-1]:
        raise ValueError(f"need luma (..., 1) and chroma (..., 2) of one size, got {y.shape} and {c.shape}")
    yuv = np.concatenate([y, c / float(chroma_scale)], axis=-1)
    return clip_to_gamut(yuv_to_rgb(yuv))


# ---------------------------------------------------------------------------
# Colourisation data
# ---------------------------------------------------------------------------

COLOURISATION_TARGETS = ("rgb", "uv")


def _check_target(target: str, gray: str) -> None:
    if target not in COLOURISATION_TARGETS:
        raise ValueError(f"unknown target {target!r}; choose from {COLOURISATION_TARGETS}")
    if gray not in LUMINANCE_METHODS:
        raise ValueError(f"unknown gray {gray!r}; choose from {LUMINANCE_METHODS}")
    if target == "uv" and gray != "bt601":
        raise ValueError("target 'uv' needs gray='bt601': RGB is rebuilt from this Y and the predicted UV")


def colourisation_pairs(
    images,
    *,
    target: str = "uv",
    gray: str = "bt601",
    value_range: tuple[float, float] = (-1.0, 1.0),
) -> tuple[np.ndarray, np.ndarray]:
    """Inputs (1 channel) and targets (RGB or UV) for a colourisation model, as arrays.

    The luminance input and an RGB target are mapped from [0, 1] to
    ``value_range``. A UV target is what ``rgb_to_yuv`` gives when fed data in
    ``value_range``: the true UV times ``high - low`` (2 for the source's
    [-1, 1], i.e. :data:`SOURCE_UV_SCALE`).

    Args:
        images: colour images ``(N, H, W, 3)`` in [0, 1].
        target: ``"rgb"`` (3-channel target) or ``"uv"`` (2-channel chroma).
        gray: luminance of the input (``"bt601"`` or ``"mean"``); ``"uv"`` needs ``"bt601"``.
        value_range: range of the model's input and RGB target.

    Returns:
        ``(x, y)``: float32 arrays ``(N, H, W, 1)`` and ``(N, H, W, 3 or 2)``.

    Raises:
        DataError: gray (1-channel) or otherwise non-RGB images.
        ValueError: images outside [0, 1], unknown target or gray.

    Example:
    >>> x, y = colourisation_pairs(np.ones((2, 4, 4, 3)) * 0.5, target="uv")
    >>> x.shape, y.shape, bool(abs(y).max() < 1e-6)
    ((2, 4, 4, 1), (2, 4, 4, 2), True)
    """
    _check_target(target, gray)
    rgb = check_range(check_colour(images), (0.0, 1.0))
    lo, hi = float(value_range[0]), float(value_range[1])
    x = luminance(rgb, method=gray) * (hi - lo) + lo
    if target == "rgb":
        y = rgb * (hi - lo) + lo
    else:
        y = rgb_to_yuv(rgb)[..., 1:] * (hi - lo)
    return x.astype(np.float32), y.astype(np.float32)


def colourisation_dataset(
    images,
    *,
    target: str = "uv",
    gray: str = "bt601",
    value_range: tuple[float, float] = (-1.0, 1.0),
    batch_size: int = 128,
    shuffle: bool = False,
    seed: int = 0,
):
    """A ``tf.data`` pipeline of ``(luminance, target)`` batches made on the fly (TensorFlow-only).

    Same pairs as :func:`colourisation_pairs`, but converted per batch with
    ``tf.image.rgb_to_yuv`` inside the pipeline, so only the RGB images are held
    in memory.

    Args:
        images: colour images ``(N, H, W, 3)`` in [0, 1].
        target, gray, value_range: as :func:`colourisation_pairs`.
        batch_size: batch size.
        shuffle: reshuffle every epoch (seeded).
        seed: shuffle seed.

    Returns:
        A ``tf.data.Dataset`` of ``(x, y)`` float32 batches.

    Raises:
        DataError: gray or otherwise non-RGB images.
        ValueError: images outside [0, 1], unknown target or gray.
    """

    _check_target(target, gray)
    rgb = check_range(check_colour(images), (0.0, 1.0))
    lo, hi = float(value_range[0]), float(value_range[1])

    def to_pair(batch):
        if gray == "mean":
            luma = tf.reduce_mean(batch, axis=-1, keepdims=True)
        else:
            luma = tf.image.rgb_to_yuv(batch)[..., :1]
        x = luma * (hi - lo) + lo
        if target == "rgb":
            y = batch * (hi - lo) + lo
        else:
            y = tf.image.rgb_to_yuv(batch)[..., 1:] * (hi - lo)
        return x, y

    ds = tf.data.Dataset.from_tensor_slices(rgb)
    if shuffle:
        ds = ds.shuffle(min(len(rgb), 50_000), seed=seed, reshuffle_each_iteration=True)
    return ds.batch(batch_size).map(to_pair, num_parallel_calls=tf.data.AUTOTUNE).prefetch(tf.data.AUTOTUNE)


# ---------------------------------------------------------------------------
# Colour metrics
# ---------------------------------------------------------------------------


def colourfulness(rgb) -> np.ndarray:
    """Hasler and Süsstrunk's colourfulness of each image, on the 0..255 scale of their paper.

    ``M = sqrt(sd(rg)^2 + sd(yb)^2) + 0.3 sqrt(mean(rg)^2 + mean(yb)^2)`` with
    ``rg = R - G`` and ``yb = (R + G) / 2 - B``. A gray image scores 0; the
    paper calls about 15 "slightly", 33 "moderately" and 59 "quite" colourful.

    Args:
        rgb: images ``(N, H, W, 3)`` in [0, 1].

    Returns:
        float64 array ``(N,)``.

    Raises:
        DataError: not RGB.
        ValueError: values outside [0, 1] or not ``(N, H, W, 3)``.

    Example:
    >>> colourfulness(np.full((1, 4, 4, 3), 0.5)).tolist()
    [0.0]
    """
    x = check_range(check_colour(rgb), (0.0, 1.0)).astype(np.float64) * 255.0
    if x.ndim != 4:
        raise ValueError(f"colourfulness expects (N, H, W, 3) images, got {x.shape}")
    rg = x[..., 0] - x[..., 1]
    yb = 0.5 * (x[..., 0] + x[..., 1]) - x[..., 2]
    sd = np.sqrt(rg.std(axis=(1, 2)) ** 2 + yb.std(axis=(1, 2)) ** 2)
    mu = np.sqrt(rg.mean(axis=(1, 2)) ** 2 + yb.mean(axis=(1, 2)) ** 2)
    return sd + 0.3 * mu


def ciede2000(truth, pred, *, batch: int = 1024) -> np.ndarray:
    """Mean CIEDE2000 colour difference per image pair (sRGB [0, 1] → CIELAB, D65).

    About 1 is a just-noticeable difference; 2-10 is visible at a glance.

    Args:
        truth: images ``(N, H, W, 3)`` in [0, 1].
        pred: images of the same shape in [0, 1].
        batch: images per chunk (bounds memory).

    Returns:
        float64 array ``(N,)``.

    Raises:
        DataError: not RGB.
        ValueError: different shapes or values outside [0, 1].

    Example:
    >>> ciede2000(np.full((1, 2, 2, 3), 0.5), np.full((1, 2, 2, 3), 0.5)).tolist()
    [0.0]
    """

    a = check_range(check_colour(truth, what="truth"), (0.0, 1.0), what="truth")
    b = check_range(check_colour(pred, what="pred"), (0.0, 1.0), what="pred")
    if a.shape != b.shape or a.ndim != 4:
        raise ValueError(f"need two (N, H, W, 3) sets of one shape, got {a.shape} and {b.shape}")
    out = []
    for i in range(0, len(a), batch):
        la = rgb2lab(a[i : i + batch].astype(np.float64))
        lb = rgb2lab(np.clip(b[i : i + batch], 0.0, 1.0).astype(np.float64))
        out.append(deltaE_ciede2000(la, lb, channel_axis=-1).mean(axis=(1, 2)))
    return np.concatenate(out) if out else np.zeros(0)


def chroma_magnitude(rgb) -> np.ndarray:
    """Mean chroma ``sqrt(U^2 + V^2)`` of each image (true UV scale): 0 for gray images.

    Args:
        rgb: images ``(N, H, W, 3)`` in [0, 1].

    Returns:
        float64 array ``(N,)``.

    Raises:
        DataError: not RGB.
        ValueError: values outside [0, 1].
    """
    uv = rgb_to_yuv(rgb)[..., 1:].astype(np.float64)
    return np.sqrt((uv**2).sum(axis=-1)).reshape(len(uv), -1).mean(axis=1)


def colour_scores(truth, pred, *, pred_uv=None, psnr_cap_db: float = M.PSNR_8BIT_DB) -> dict[str, np.ndarray]:
    """Per-image scores of a colourisation, all judged in RGB on [0, 1] except ``uv_mse_source``.

    Args:
        truth: true images ``(N, H, W, 3)`` in [0, 1].
        pred: predicted images, same shape, in [0, 1].
        pred_uv: the model's own chroma ``(N, H, W, 2)`` in true UV scale, before
            gamut clipping (Y → UV route); default: the chroma of ``pred``.
        psnr_cap_db: the per-image PSNR cap. A colourisation baseline reproduces every
            gray photo exactly (the gray image of one, 67 of CIFAR-10's 5,100 test images
            in the source's split); at :data:`aeutils.metrics.PSNR_CAP_DB` (100 dB) those
            images alone raised its mean PSNR from 24.65 to 25.19 dB, past every model's.
            The default caps at the 8-bit rounding's own PSNR,
            :data:`aeutils.metrics.PSNR_8BIT_DB` (58.92 dB).

    Returns:
        ``{"rgb_mse", "psnr", "ssim", "ciede2000", "colourfulness", "chroma",
        "uv_mse", "uv_mse_source"}``, each ``(N,)``. ``uv_mse`` is the UV-only
        MSE of true chroma; ``uv_mse_source`` the same in the source's doubled
        scale (``SOURCE_UV_SCALE**2 = 4`` times larger).

    Raises:
        DataError: not RGB.
        ValueError: shapes or ranges that do not fit.
    """
    t = check_range(check_colour(truth, what="truth"), what="truth")
    p = check_range(check_colour(pred, what="pred"), what="pred")
    true_uv = rgb_to_yuv(t)[..., 1:]
    puv = rgb_to_yuv(p)[..., 1:] if pred_uv is None else np.asarray(pred_uv, dtype=np.float32)
    if puv.shape != true_uv.shape:
        raise ValueError(f"pred_uv has shape {puv.shape}, expected {true_uv.shape}")
    diff = (true_uv - puv).astype(np.float64) * SOURCE_UV_SCALE
    return {
        "rgb_mse": M.mse_per_image(t, p).astype(np.float64),
        "psnr": M.psnr_per_image(t, p, cap_db=psnr_cap_db),
        "ssim": M.ssim_per_image(t, p),
        "ciede2000": ciede2000(t, p),
        "colourfulness": colourfulness(p),
        "chroma": chroma_magnitude(p),
        "uv_mse": (diff**2).reshape(len(diff), -1).mean(axis=1) / SOURCE_UV_SCALE**2,
        "uv_mse_source": (diff**2).reshape(len(diff), -1).mean(axis=1),
    }


def paired_difference(a, b) -> dict[str, float]:
    """Compare per-image scores on the same images: mean of ``a - b``, its 95% CI, how often ``a < b``.

    Args:
        a: per-image values ``(N,)`` of one method (lower is better, e.g. MSE).
        b: per-image values ``(N,)`` of another, same images.

    Returns:
        ``{"mean_diff", "ci95_low", "ci95_high", "a_better_fraction", "n"}``.

    Raises:
        ValueError: arrays of different lengths or empty.

    Example:
    >>> paired_difference([1.0, 2.0, 3.0], [2.0, 3.0, 3.5])["a_better_fraction"]
    1.0
    """
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.shape != b.shape or a.ndim != 1 or len(a) == 0:
        raise ValueError(f"need two non-empty 1-D arrays of one length, got {a.shape} and {b.shape}")
    s = M.summarize(a - b)
    return {
        "mean_diff": s["mean"],
        "ci95_low": s["ci95_low"],
        "ci95_high": s["ci95_high"],
        "a_better_fraction": float(np.mean(a < b)),
        "n": int(len(a)),
    }
