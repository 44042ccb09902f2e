"""Bad and awkward input: bit depths and value ranges read faithfully, or a DataError naming the problem."""

import os
from pathlib import Path

import numpy as np
import pytest
import tifffile
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from aeutils import data as D


def _png16(path, value: float, shape=(16, 16)):
    Image.fromarray(np.full(shape, round(value * 65535), np.uint16)).save(path)


def test_16bit_files_keep_their_brightness_and_precision(tmp_path):
    _png16(tmp_path / "dim.png", 0.30)
    _png16(tmp_path / "white.png", 1.0)
    ramp = np.linspace(0, 0.3 * 65535, 256).round().astype(np.uint16).reshape(16, 16)
    Image.fromarray(ramp).save(tmp_path / "ramp.png")
    assert D.read_image(tmp_path / "dim.png").mean() == pytest.approx(0.30, abs=1e-5)  # not stretched to 0..1
    assert D.read_image(tmp_path / "white.png").min() == 1.0  # a flat white 16-bit image is white
    r = D.read_image(tmp_path / "ramp.png")
    assert r.dtype == np.float32 and len(np.unique(r)) == 256  # more levels than 8 bits would keep
    np.testing.assert_allclose(r[..., 0], ramp / 65535, atol=1e-7)


def test_16bit_colour_and_float_tiffs(tmp_path):
    rgb = (np.random.default_rng(0).random((8, 8, 3)) * 65535).round().astype(np.uint16)
    tifffile.imwrite(tmp_path / "c.tif", rgb)
    np.testing.assert_allclose(D.read_image(tmp_path / "c.tif"), rgb / 65535, atol=1e-7)
    f = np.full((8, 8), 0.25, np.float32)
    tifffile.imwrite(tmp_path / "f.tif", f)
    assert D.read_image(tmp_path / "f.tif").mean() == pytest.approx(0.25)
    tifffile.imwrite(tmp_path / "hot.tif", np.full((8, 8), 3.0, np.float32))
    with pytest.raises(D.DataError, match=r"hot.tif: values span \[3, 3\], outside the declared range"):
        D.read_image(tmp_path / "hot.tif")
    assert D.read_image(tmp_path / "hot.tif", value_range=(0, 4)).mean() == pytest.approx(0.75)


def test_value_ranges_come_from_the_type_and_the_declaration():
    x = np.random.default_rng(1).random((3, 4, 4, 1)).astype(np.float32)
    dipped = x.copy()
    dipped[0, 0, 0, 0] = -0.01  # one pixel below zero must not send the set through (x + 1) / 2
    with pytest.raises(D.DataError, match=r"values span \[-0.01"):
        D.to_unit_range(dipped)
    over = x.copy()
    over[0, 0, 0, 0] = 1.00001  # rounding overshoot: clipped, never divided by 255
    out = D.to_unit_range(over)
    assert out.max() == 1.0 and np.allclose(out[1:], x[1:])
    with pytest.raises(D.DataError, match=r"outside the declared range"):
        D.to_unit_range(x * 1.02)
    nan = x.copy()
    nan[1, 2, 3, 0], nan[2, 0, 0, 0] = np.nan, np.inf
    with pytest.raises(D.DataError, match=r"1 NaN and 1 infinite values \(first at index \(1, 2, 3, 0\)\)"):
        D.to_unit_range(nan)
    assert D.to_unit_range(np.array([0, 32768, 65535], np.uint16)).tolist() == pytest.approx([0, 0.50000763, 1])
    with pytest.raises(D.DataError, match="int32 have no standard value range"):
        D.to_unit_range(np.array([0, 255], np.int32))
    assert D.to_unit_range(np.array([0, 255], np.int32), (0, 255)).tolist() == [0.0, 1.0]


def test_npz_checks_labels_and_refuses_pickles(tmp_path):
    np.savez(tmp_path / "bad_labels.npz", images=np.zeros((4, 8, 8), np.uint8), labels=np.arange(3))
    with pytest.raises(D.DataError, match="bad_labels.npz: 3 labels for 4 images"):
        D.load("npz:" + str(tmp_path / "bad_labels.npz"))
    np.savez(tmp_path / "pickled.npz", images=np.array([np.zeros((2, 2)), None], dtype=object))
    with pytest.raises(D.DataError, match="pickled.npz holds a pickled"):
        D.load("npz:" + str(tmp_path / "pickled.npz"))
    np.savez(tmp_path / "pm1.npz", images=np.full((2, 4, 4), -0.5, np.float32))
    with pytest.raises(D.DataError, match="pm1.npz"):
        D.load("npz:" + str(tmp_path / "pm1.npz"))
    assert D.load("npz:" + str(tmp_path / "pm1.npz"), value_range=(-1, 1)).images.mean() == pytest.approx(0.25)


def test_npz_source_names_the_resolved_file(tmp_path, monkeypatch):
    (tmp_path / "sub").mkdir()
    np.savez(tmp_path / "a.npz", images=np.zeros((2, 4, 4), np.uint8))
    monkeypatch.chdir(tmp_path / "sub")
    assert D.load("npz:../a.npz").source == f"npz file {tmp_path.resolve() / 'a.npz'}"  # no "sub/.." in it


def test_mixed_gray_and_colour_folder_with_grayscale(tmp_path):
    Image.fromarray(np.full((8, 8), 100, np.uint8)).save(tmp_path / "g.png")
    Image.fromarray(np.full((8, 8, 3), 100, np.uint8)).save(tmp_path / "c.png")
    with pytest.raises(D.DataError, match="grayscale=True"):
        D.load(str(tmp_path))
    s = D.load(str(tmp_path), grayscale=True)
    assert s.images.shape == (2, 8, 8, 1) and np.allclose(s.images, 100 / 255, atol=1e-3)


def test_unreadable_files_say_why(tmp_path, monkeypatch):
    Image.fromarray(np.zeros((64, 64, 3), np.uint8)).save(tmp_path / "ok.jpg", quality=90)
    data = (tmp_path / "ok.jpg").read_bytes()
    (tmp_path / "cut.jpg").write_bytes(data[: len(data) // 3])
    Image.fromarray((np.random.default_rng(0).random((64, 64)) * 65535).astype(np.uint16)).save(tmp_path / "p.png")
    (tmp_path / "cut16.png").write_bytes((tmp_path / "p.png").read_bytes()[:3000])
    tifffile.imwrite(tmp_path / "t.tif", np.zeros((64, 64), np.uint16))
    (tmp_path / "cut.tif").write_bytes((tmp_path / "t.tif").read_bytes()[:2000])
    (tmp_path / "text.png").write_text("not an image")
    (tmp_path / "empty.png").write_bytes(b"")
    locked = tmp_path / "locked.png"
    locked.write_bytes((tmp_path / "p.png").read_bytes())
    locked.chmod(0)
    if os.access(locked, os.R_OK):  # root reads anything: make the open fail as it would for a user
        real_open = Image.open

        def deny(path, *a, **k):
            if Path(path).name == "locked.png":
                raise PermissionError(13, "Permission denied", str(path))
            return real_open(path, *a, **k)

        monkeypatch.setattr(Image, "open", deny)
    with pytest.raises(D.DataError) as err:
        D.load(str(tmp_path))
    msg = str(err.value)
    assert "6 unreadable" in msg, msg
    for part in ("cut.jpg (truncated", "cut16.png (truncated", "cut.tif (truncated", "text.png (not an image",
                 "empty.png (empty file", "locked.png (permission denied"):
        assert part in msg, (part, msg)


def test_jpeg_is_decoded_at_reduced_size(tmp_path):
    Image.fromarray((np.random.default_rng(0).random((800, 1200, 3)) * 255).astype(np.uint8)).save(tmp_path / "a.jpg")
    x = D.read_image(tmp_path / "a.jpg", size=64)
    assert x.shape == (64, 64, 3)
    with Image.open(tmp_path / "a.jpg") as im:
        im.draft("RGB", (64, 64))
        assert im.size == (150, 100)  # 1/8 scale: what the reader decodes before resizing


def test_a_narrow_range_far_from_zero_keeps_its_digits():
    """float32 values in a range 0.0625 wide around 16.7 (found by hypothesis): float32 math put them 1.2e-5 off."""
    lo, hi = 16.739563747948722, 16.739563747948722 + 0.0625
    x = np.random.default_rng(0).uniform(lo, hi, (2, 3, 3, 1)).astype(np.float32)
    expected = (x.astype(np.float64) - lo) / (hi - lo)
    np.testing.assert_allclose(D.to_unit_range(x, (lo, hi)), np.clip(expected, 0, 1), atol=1e-7)
    ints = np.arange(100_000_000, 100_000_011, dtype=np.int32)  # float32 rounds these to multiples of 8
    np.testing.assert_allclose(D.to_unit_range(ints, (100_000_000, 100_000_010)), np.arange(11) / 10, atol=1e-7)
    big = np.full((1 << 22) + 5, 0.5, np.float32)  # more than one block of the conversion
    assert (D.to_unit_range(big, (0.25, 0.75)) == 0.5).all()


@settings(max_examples=60, deadline=None)
@given(
    dtype=st.sampled_from(["uint8", "uint16", "int16", "int32", "float32", "float64", "bool"]),
    shape=st.tuples(st.integers(1, 3), st.integers(1, 5), st.integers(1, 5), st.sampled_from([1, 3])),
    lo=st.floats(-300, 300, allow_nan=False),
    span=st.floats(1e-3, 600, allow_nan=False),
    declare=st.booleans(),
    seed=st.integers(0, 2**16),
)
def test_property_values_preserved_or_refused(dtype, shape, lo, span, declare, seed):
    rng = np.random.default_rng(seed)
    raw = rng.uniform(lo, lo + span, shape)
    if dtype == "bool":
        x = raw > lo + span / 2
    elif dtype.startswith(("uint", "int")):
        info = np.iinfo(dtype)
        x = np.clip(np.round(raw), info.min, info.max).astype(dtype)
    else:
        x = raw.astype(dtype)
    declared = (float(lo), float(lo + span)) if declare else None
    try:
        out = D.to_unit_range(x, declared)
    except D.DataError:
        return  # a clear refusal is allowed; any other exception fails the test
    assert out.dtype == np.float32 and out.shape == x.shape
    assert np.isfinite(out).all() and out.min() >= 0.0 and out.max() <= 1.0
    if dtype == "bool":
        expected = x.astype(np.float64)
    elif declared is None:
        expected = x.astype(np.float64) / {"uint8": 255, "uint16": 65535}.get(dtype, 1.0)
    else:
        expected = (x.astype(np.float64) - declared[0]) / (declared[1] - declared[0])
    np.testing.assert_allclose(out, np.clip(expected, 0, 1), atol=1e-5 * max(1.0, span))


@settings(max_examples=40, deadline=None)
@given(
    dtype=st.sampled_from(["uint8", "uint16", "int16", "float32", "float64"]),
    shape=st.tuples(st.integers(1, 3), st.integers(1, 6), st.integers(1, 6), st.sampled_from([0, 1, 2, 3, 4])),
    lo=st.floats(-2, 2, allow_nan=False),
    span=st.floats(0.01, 3, allow_nan=False),
    declare=st.booleans(),
    seed=st.integers(0, 2**16),
)
def test_property_loaders_preserve_or_refuse(tmp_path_factory, dtype, shape, lo, span, declare, seed):
    """Random arrays through the file loaders (.npz and TIFF): the documented values, or a DataError."""
    d = tmp_path_factory.mktemp("p")
    n, h, w, c = shape
    rng = np.random.default_rng(seed)
    if dtype.startswith(("uint", "int")):
        info = np.iinfo(dtype)
        x = rng.integers(max(info.min, -300), min(info.max, 300) + 1, (n, h, w, max(c, 1))).astype(dtype)
    else:
        x = rng.uniform(lo, lo + span, (n, h, w, max(c, 1))).astype(dtype)
    if c == 0:
        x = x[..., 0]
    declared = (float(x.min()), float(x.max()) + 1.0) if declare else None
    expect = x.astype(np.float64)
    if c == 0:
        expect = expect[..., None]
    if c in (2, 4):
        expect = expect[..., :-1]
    if declared:
        expect = (expect - declared[0]) / (declared[1] - declared[0])
    else:
        expect = expect / {"uint8": 255, "uint16": 65535}.get(dtype, 1.0)
    np.savez(d / "x.npz", images=x)
    try:
        out = D.load(f"npz:{d / 'x.npz'}", value_range=declared).images
    except D.DataError as err:
        assert "x.npz" in str(err)  # refusals name the file
    else:
        assert c != 2 and out.dtype == np.float32 and out.shape == (n, h, w, 1 if c in (0, 1) else 3)
        np.testing.assert_allclose(out, np.clip(expect, 0, 1), atol=1e-5)
    tifffile.imwrite(d / "x.tif", x[0])
    try:
        one = D.read_image(d / "x.tif", value_range=declared)
    except D.DataError as err:
        assert "x.tif" in str(err)
    else:
        assert one.dtype == np.float32 and one.shape[:2] == (h, w) and one.shape[-1] in (1, 3)
        np.testing.assert_allclose(one, np.clip(expect[0], 0, 1)[..., : one.shape[-1]], atol=1e-5)
