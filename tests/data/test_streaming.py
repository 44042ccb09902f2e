"""aeutils.data.streaming: folders larger than memory, decoded per batch by the in-memory loader's own decoder."""

import keras
import numpy as np
import pytest
import tifffile
from PIL import Image

from aeutils import data as D
from aeutils.train import fit, set_seed


def _folder(path, n=10, seed=0, size=(12, 16), gray=False, sixteen=False):
    path.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    for i in range(n):
        shape = size if gray else (*size, 3)
        if sixteen:
            tifffile.imwrite(path / f"{i:02d}.tif", (rng.random(shape) * 65535).astype(np.uint16))
        else:
            Image.fromarray((rng.random(shape) * 255).astype(np.uint8)).save(path / f"{i:02d}.png")
    return path


def test_parse_bytes_and_fits():
    assert D.parse_bytes("2GiB") == 2**31 and D.parse_bytes("512 MiB") == 2**29 and D.parse_bytes("1.5GB") == 1.5e9
    assert D.parse_bytes(None) is None and D.parse_bytes("none") is None and D.parse_bytes(7) == 7
    with pytest.raises(ValueError, match="cannot read memory size"):
        D.parse_bytes("lots")
    assert D.fits(10, "1KiB") and not D.fits(2000, "1KiB") and D.fits(10**15, None)


def test_file_images_decode_like_the_loader(tmp_path):
    d = _folder(tmp_path / "c", sixteen=True)
    _folder(tmp_path / "c" / "sub", n=3, seed=1, sixteen=True)
    lazy = D.open_folder(d, size=8)
    eager = D.load_folder(d, size=8)
    assert isinstance(lazy.images, D.FileImages) and lazy.images.shape == eager.images.shape == (13, 8, 8, 3)
    assert lazy.images.nbytes == eager.images.nbytes and lazy.paths == eager.paths
    np.testing.assert_array_equal(np.asarray(lazy.images), eager.images)  # the same decoder: identical pixels
    assert lazy.labels.tolist() == eager.labels.tolist() and lazy.label_names == eager.label_names
    sub = lazy.images.take([3, 0])
    assert isinstance(sub, D.FileImages) and len(sub) == 2
    np.testing.assert_array_equal(sub[1], eager.images[0])
    np.testing.assert_array_equal(lazy.images[[True] + [False] * 12], eager.images[:1])
    _folder(tmp_path / "mixed", n=2, gray=True)
    _folder(tmp_path / "mixed" / "c", n=2)
    with pytest.raises(D.DataError, match="different channel counts"):
        D.open_folder(tmp_path / "mixed")
    assert D.open_folder(tmp_path / "mixed", grayscale=True).images.shape == (4, 12, 16, 1)
    _folder(tmp_path / "sizes", n=1)
    _folder(tmp_path / "sizes" / "b", n=1, size=(8, 8))
    with pytest.raises(D.DataError, match="different sizes"):
        D.open_folder(tmp_path / "sizes")


def test_load_or_open_follows_the_budget_and_names_bad_files(tmp_path):
    d = _folder(tmp_path / "a", n=6)
    assert isinstance(D.load_or_open(d).images, np.ndarray)
    assert isinstance(D.load_or_open(d, memory_budget="1KiB").images, D.FileImages)
    data = (d / "00.png").read_bytes()
    (d / "00.png").write_bytes(data[: len(data) // 2])
    with pytest.raises(D.DataError, match=r"1 unreadable image file\(s\): .*00.png \(truncated"):
        D.load_or_open(d, memory_budget=0)  # decoded once before use: named before any training


def test_streams_batch_in_make_dataset_order(tmp_path):
    d = _folder(tmp_path / "a", n=11)
    eager = D.load_folder(d)
    lazy = D.open_folder(d).images
    set_seed(3)
    want = [b[0].numpy() for b in D.make_dataset(eager.images, batch_size=4, shuffle=True, seed=3)]
    set_seed(3)
    got = [b[0].numpy() for b in lazy.to_dataset(batch_size=4, shuffle=True, seed=3)]
    assert [len(b) for b in got] == [4, 4, 3]
    for w, g in zip(want, got):
        np.testing.assert_array_equal(w, g)
    x, _ = D.extract_patches(eager.images, 8, 4)
    keep = D.subsample(len(x), 20, 5)
    stream = D.patch_stream([lazy], patch=8, stride=4, cap=20, seed=5)
    np.testing.assert_array_equal(stream.gather(np.arange(len(stream))), x[keep])


def test_fit_on_a_stream_equals_fit_in_memory(tmp_path):
    d = _folder(tmp_path / "a", n=20, size=(8, 8))
    x = D.load_folder(d).images

    def build():
        return keras.Sequential([keras.Input((8, 8, 3)), keras.layers.Flatten(), keras.layers.Dense(4),
                                 keras.layers.Dense(192, activation="sigmoid"), keras.layers.Reshape((8, 8, 3))])

    eager = fit(build, x, epochs=3, batch_size=6, seed=1, verbose=0)
    lazy = fit(build, D.open_folder(d).images, epochs=3, batch_size=6, seed=1, verbose=0)
    np.testing.assert_allclose(lazy.history["loss"], eager.history["loss"], rtol=1e-6)
    with pytest.raises(ValueError, match="y must be None"):
        fit(build, D.open_folder(d).images, x, epochs=1, verbose=0)


def test_disk_cache_holds_the_decoded_images(tmp_path):
    d = _folder(tmp_path / "a", n=5, size=(16, 16))
    eager = D.load_folder(d).images
    imgs = D.open_folder(d, cache=tmp_path / "cache").images.check()
    files = list((tmp_path / "cache").glob("*.f32"))
    assert len(files) == 1 and files[0].stat().st_size == eager.nbytes
    (d / "00.png").unlink()  # read from the cache from now on, not from the files
    np.testing.assert_array_equal(np.asarray(imgs), eager)
    np.testing.assert_array_equal(imgs.take([4, 1])[0], eager[4])
    np.testing.assert_array_equal(imgs.read_patch(2, 4, 8, 8), eager[2, 4:12, 8:16])
    assert D.folder_dataset(tmp_path / "a", size=8, batch_size=2, cache=str(tmp_path / "c2")) is not None
