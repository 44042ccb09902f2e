"""Tests for aeutils.color: YUV helpers, colourisation data, colour metrics.

The study is tested in tests/studies/test_colourisation.py.
"""

import numpy as np
import pytest
import tensorflow as tf

from aeutils import color as C
from aeutils import metrics as M
from aeutils.data import DataError


@pytest.fixture
def rgb():
    return np.random.default_rng(0).random((4, 16, 16, 3)).astype(np.float32)


@pytest.fixture
def photo():
    import skimage.data as skd

    return (skd.chelsea()[::8, ::8] / 255.0).astype(np.float32)[None]  # one real photo, 38x57


# --- conversions -------------------------------------------------------------


def test_rgb_to_yuv_matches_tf_image(rgb):
    np.testing.assert_allclose(C.rgb_to_yuv(rgb), tf.image.rgb_to_yuv(rgb).numpy(), atol=1e-6)
    yuv = C.rgb_to_yuv(rgb)
    np.testing.assert_allclose(C.yuv_to_rgb(yuv), tf.image.yuv_to_rgb(yuv).numpy(), atol=1e-6)


def test_round_trip_random_and_real(rgb, photo):
    for x in (rgb, photo):
        back = C.yuv_to_rgb(C.rgb_to_yuv(x))
        assert back.shape == x.shape
        np.testing.assert_allclose(back, x, atol=1e-5)


def test_yuv_ranges(rgb):
    yuv = C.rgb_to_yuv(rgb)
    assert 0.0 <= yuv[..., 0].min() and yuv[..., 0].max() <= 1.0
    assert np.abs(yuv[..., 1]).max() <= 0.437 and np.abs(yuv[..., 2]).max() <= 0.616


def test_minus_one_one_input_doubles_chroma_in_tf_image(rgb):
    # What the source did: tf.image fed [-1, 1] gives Y' = 2Y - 1 and doubled UV.
    true = C.rgb_to_yuv(rgb)
    fed = tf.image.rgb_to_yuv(2 * rgb - 1).numpy()
    np.testing.assert_allclose(fed[..., 0], 2 * true[..., 0] - 1, atol=1e-5)
    np.testing.assert_allclose(fed[..., 1:], C.SOURCE_UV_SCALE * true[..., 1:], atol=1e-5)
    # Ours refuses it unless the range is declared, then converts explicitly.
    with pytest.raises(ValueError, match="value_range"):
        C.rgb_to_yuv(2 * rgb - 1)
    np.testing.assert_allclose(C.rgb_to_yuv(2 * rgb - 1, value_range=(-1, 1)), true, atol=1e-5)


def test_wrong_range_and_nan_raise(rgb):
    with pytest.raises(ValueError, match="255"):
        C.rgb_to_yuv(rgb * 255)
    bad = rgb.copy()
    bad[0, 0, 0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        C.luminance(bad)
    with pytest.raises(ValueError, match="high > low"):
        C.check_range(rgb, (1, 0))


def test_gray_where_colour_is_needed_raises(rgb):
    gray = rgb[..., :1]
    for fn in (C.rgb_to_yuv, C.luminance, C.colourfulness, C.chroma_magnitude):
        with pytest.raises(DataError, match="gray image where colour is needed"):
            fn(gray)
    with pytest.raises(DataError, match="gray"):
        C.colourisation_pairs(gray)
    with pytest.raises(DataError):
        C.yuv_to_rgb(gray)


def test_luminance_methods(rgb):
    np.testing.assert_allclose(C.luminance(rgb), C.rgb_to_yuv(rgb)[..., :1], atol=1e-6)
    np.testing.assert_allclose(C.luminance(rgb, method="mean"), rgb.mean(-1, keepdims=True), atol=1e-6)
    np.testing.assert_allclose(
        C.luminance(2 * rgb - 1, method="mean", value_range=(-1, 1)), rgb.mean(-1, keepdims=True), atol=1e-6
    )
    with pytest.raises(ValueError, match="unknown luminance"):
        C.luminance(rgb, method="lab")


def test_gamut_clipping_is_counted():
    y = np.full((1, 2, 2, 1), 0.5, np.float32)
    uv = np.zeros((1, 2, 2, 2), np.float32)
    uv[0, 0, 0] = [0.0, 0.6]  # strong red at mid luma: R = 0.5 + 1.14 * 0.6 > 1
    rgb, n_out = C.assemble_rgb(y, uv)
    assert n_out == 1
    assert rgb.min() >= 0.0 and rgb.max() <= 1.0
    np.testing.assert_allclose(rgb[0, 1, 1], [0.5, 0.5, 0.5], atol=1e-6)
    # chroma_scale undoes the source's doubling.
    rgb2, _ = C.assemble_rgb(y, uv * 2, chroma_scale=2.0)
    np.testing.assert_allclose(rgb2, rgb, atol=1e-6)
    with pytest.raises(ValueError, match="luma"):
        C.assemble_rgb(y, uv[..., :1])


def test_assemble_from_true_chroma_restores_image(photo):
    yuv = C.rgb_to_yuv(photo)
    rgb, n_out = C.assemble_rgb(yuv[..., :1], yuv[..., 1:])
    assert n_out == 0
    np.testing.assert_allclose(rgb, photo, atol=1e-5)


# --- colourisation data ------------------------------------------------------


def test_pairs_targets_and_scales(rgb):
    x, y = C.colourisation_pairs(rgb, target="uv")
    assert x.shape == (4, 16, 16, 1) and y.shape == (4, 16, 16, 2)
    np.testing.assert_allclose(x, 2 * C.luminance(rgb) - 1, atol=1e-6)
    np.testing.assert_allclose(y, C.SOURCE_UV_SCALE * C.rgb_to_yuv(rgb)[..., 1:], atol=1e-6)
    x, y = C.colourisation_pairs(rgb, target="rgb", gray="mean", value_range=(0, 1))
    np.testing.assert_allclose(x, rgb.mean(-1, keepdims=True), atol=1e-6)
    np.testing.assert_allclose(y, rgb, atol=1e-6)
    with pytest.raises(ValueError, match="bt601"):
        C.colourisation_pairs(rgb, target="uv", gray="mean")
    with pytest.raises(ValueError, match="unknown target"):
        C.colourisation_pairs(rgb, target="lab")
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        C.colourisation_pairs(rgb * 2)


@pytest.mark.parametrize("target,gray", [("uv", "bt601"), ("rgb", "mean"), ("rgb", "bt601")])
def test_dataset_matches_pairs(rgb, target, gray):
    ds = C.colourisation_dataset(rgb, target=target, gray=gray, batch_size=3)
    xb, yb = zip(*[(x.numpy(), y.numpy()) for x, y in ds], strict=True)
    assert [len(b) for b in xb] == [3, 1]
    x, y = C.colourisation_pairs(rgb, target=target, gray=gray)
    np.testing.assert_allclose(np.concatenate(xb), x, atol=1e-5)
    np.testing.assert_allclose(np.concatenate(yb), y, atol=1e-5)


def test_dataset_shuffle_is_seeded(rgb):
    first = [next(iter(C.colourisation_dataset(rgb, shuffle=True, seed=3, batch_size=4)))[0].numpy() for _ in range(2)]
    np.testing.assert_array_equal(first[0], first[1])
    with pytest.raises(DataError):
        C.colourisation_dataset(rgb[..., :1])


# --- metrics -------------------------------------------------------------------


def test_colourfulness():
    gray = np.repeat(np.random.default_rng(1).random((2, 8, 8, 1)), 3, axis=-1)
    np.testing.assert_allclose(C.colourfulness(gray), 0.0, atol=1e-9)
    red = np.zeros((1, 8, 8, 3))
    red[..., 0] = 1.0
    # rg = 255, yb = 127.5, no spread: M = 0.3 * sqrt(255^2 + 127.5^2)
    np.testing.assert_allclose(C.colourfulness(red), 0.3 * np.hypot(255, 127.5), rtol=1e-9)
    with pytest.raises(ValueError, match=r"\(N, H, W, 3\)"):
        C.colourfulness(red[0])


def test_desaturation_lowers_colourfulness_and_chroma(photo):
    y = C.luminance(photo)
    half = C.assemble_rgb(y, C.rgb_to_yuv(photo)[..., 1:] * 0.5)[0]
    assert C.colourfulness(half)[0] < 0.6 * C.colourfulness(photo)[0]
    np.testing.assert_allclose(C.chroma_magnitude(half), 0.5 * C.chroma_magnitude(photo), rtol=0.02)


def test_ciede2000_known_values():
    white = np.ones((1, 2, 2, 3))
    black = np.zeros((1, 2, 2, 3))
    np.testing.assert_allclose(C.ciede2000(white, white), 0.0, atol=1e-9)
    np.testing.assert_allclose(C.ciede2000(white, black), 100.0, atol=1e-3)  # L* 100 vs 0
    with pytest.raises(ValueError, match="one shape"):
        C.ciede2000(white, black[:, :1])


def test_colour_scores(rgb):
    gray = np.repeat(C.luminance(rgb), 3, axis=-1)
    s = C.colour_scores(rgb, gray)
    assert set(s) == {
        "rgb_mse",
        "psnr",
        "ssim",
        "ciede2000",
        "colourfulness",
        "chroma",
        "uv_mse",
        "uv_mse_source",
    }
    assert all(v.shape == (4,) for v in s.values())
    np.testing.assert_allclose(s["uv_mse_source"], 4 * s["uv_mse"])
    true_uv = C.rgb_to_yuv(rgb)[..., 1:]
    np.testing.assert_allclose(s["uv_mse"], (true_uv**2).mean(axis=(1, 2, 3)), rtol=1e-4)
    assert (s["ciede2000"] > 0).all()
    perfect = C.colour_scores(rgb, rgb)
    np.testing.assert_allclose(perfect["rgb_mse"], 0, atol=1e-12)
    np.testing.assert_allclose(perfect["psnr"], M.PSNR_8BIT_DB)  # exact: the 8-bit rounding's PSNR, not 100 dB
    assert M.PSNR_8BIT_DB == pytest.approx(58.92, abs=0.01)
    assert (C.colour_scores(rgb, rgb, psnr_cap_db=M.PSNR_CAP_DB)["psnr"] == M.PSNR_CAP_DB).all()
    with pytest.raises(ValueError, match="pred_uv"):
        C.colour_scores(rgb, rgb, pred_uv=true_uv[..., :1])


def test_paired_difference():
    d = C.paired_difference([1.0, 2.0, 3.0, 4.0], [2.0, 2.5, 3.0, 5.0])
    assert d["mean_diff"] == pytest.approx(-0.625)
    assert d["a_better_fraction"] == 0.75 and d["n"] == 4
    assert d["ci95_low"] < d["mean_diff"] < d["ci95_high"]
    with pytest.raises(ValueError):
        C.paired_difference([1.0], [1.0, 2.0])


# --- plotting ----------------------------------------------------------------


def test_chroma_histograms():
    from aeutils.plotting import chroma_histograms

    uv = np.random.default_rng(0).normal(0, 0.1, (4, 8, 8, 2))
    fig = chroma_histograms(uv, {"model": uv * 0.5}, title="t")
    assert len(fig.axes) == 2 and fig.axes[0].get_xlabel() == "U"
    assert len(fig.axes[1].get_legend().get_texts()) == 2
    with pytest.raises(ValueError, match="2 channels"):
        chroma_histograms(uv[..., :1], {})
