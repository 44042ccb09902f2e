"""aeutils.data.sources: load and its loaders (npz, folders, tfds offline, relative paths)."""

import numpy as np
import pytest

from aeutils import data as D


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


def test_folder_labels_from_subfolders(tmp_path, write_images):
    write_images(tmp_path, 2, sub="cats")
    write_images(tmp_path, 3, sub="dogs")
    s = D.load(str(tmp_path))
    assert s.images.shape == (5, 16, 20, 3)
    assert s.label_names == ["cats", "dogs"] and s.labels.tolist() == [0, 0, 1, 1, 1]


def test_folder_mixed_sizes_need_size(tmp_path, write_images):
    write_images(tmp_path, 1, size=(20, 16))
    write_images(tmp_path / "b", 1, size=(30, 30))
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


def test_corrupt_image_named_and_nothing_modified(tmp_path, write_images):
    write_images(tmp_path, 2)
    bad = tmp_path / "broken.jpg"
    bad.write_bytes(b"not a jpeg at all")
    with pytest.raises(D.DataError, match="broken.jpg"):
        D.load(str(tmp_path))
    assert bad.read_bytes() == b"not a jpeg at all"


def test_mixed_channels_refused(tmp_path, write_images):
    write_images(tmp_path, 1, mode="RGB")
    write_images(tmp_path / "g", 1, mode="L")
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


def test_one_rule_for_relative_paths_and_errors_name_the_folders(tmp_path, monkeypatch):
    """cwd, then $AEUTILS_BASE_DIR (unset: the project folder), then $AEUTILS_DATA_DIR."""
    from aeutils.data import sources

    project, data_dir = tmp_path / "project", tmp_path / "mydata"
    (project / "notebooks").mkdir(parents=True)
    (project / "sets").mkdir()
    data_dir.mkdir()
    np.savez(project / "sets" / "a.npz", images=np.zeros((2, 4, 4), np.uint8))
    np.savez(data_dir / "b.npz", images=np.zeros((3, 4, 4), np.uint8))
    monkeypatch.setattr(sources, "_project_dir", lambda: project)
    monkeypatch.delenv(D.BASE_DIR_ENV, raising=False)
    monkeypatch.delenv(D.DATA_DIR_ENV, raising=False)
    monkeypatch.chdir(project / "notebooks")  # where JupyterLab runs a notebook
    assert len(D.load("npz:sets/a.npz")) == 2  # the same path as from the project folder
    monkeypatch.chdir(project)
    assert len(D.load("npz:sets/a.npz")) == 2
    with pytest.raises(D.DataError) as err:
        D.load("npz:b.npz")
    assert str(project) in str(err.value) and "looked up in" in str(err.value)
    monkeypatch.setenv(D.DATA_DIR_ENV, str(data_dir))  # named data files from the data folder
    assert len(D.load("npz:b.npz")) == 3
    assert D.search_dirs() == [project, data_dir]
    with pytest.raises(D.DataError, match=f"no such folder: missing.*{data_dir}"):
        D.load("folder:missing")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.setenv(D.BASE_DIR_ENV, str(elsewhere))  # what `aeutils report` sets: its start folder
    monkeypatch.chdir(project / "notebooks")
    with pytest.raises(D.DataError, match=str(elsewhere)):
        D.load("npz:sets/a.npz")


def test_offline_tfds_hint_names_a_path_that_resolves_from_here(tmp_path, monkeypatch):
    from aeutils.data import sources

    project = tmp_path / "project"
    (project / "notebooks").mkdir(parents=True)
    (tmp_path / "shared" / "data").mkdir(parents=True)
    np.savez(tmp_path / "shared" / "data" / "cifar10.npz", images=np.zeros((2, 4, 4, 3), np.uint8))
    monkeypatch.setattr(sources, "_project_dir", lambda: project)
    monkeypatch.delenv(D.BASE_DIR_ENV, raising=False)
    monkeypatch.delenv(D.DATA_DIR_ENV, raising=False)
    for here in (project, project / "notebooks"):  # command line and JupyterLab
        monkeypatch.chdir(here)
        hint = D.offline_npz_hint("cifar10")
        assert hint.startswith("'npz:../shared/data/cifar10.npz'")
        assert len(D.load("npz:../shared/data/cifar10.npz")) == 2
    hint = D.offline_npz_hint("mnist")
    assert "AEUTILS_DATA_DIR" in hint and str(project) in hint
    monkeypatch.setenv(D.DATA_DIR_ENV, str(tmp_path / "shared" / "data"))
    assert D.offline_npz_hint("cifar10").startswith("'npz:cifar10.npz'")


def test_folder_set_builds_the_same_set_for_arrays_and_streamed_files(tmp_path, write_images):
    write_images(tmp_path, 2, sub="cats")
    write_images(tmp_path, 1, sub="dogs")
    files = D.image_files(tmp_path)
    s = D.folder_set(tmp_path, files, np.zeros((3, 4, 4, 3), np.float32), how=", streamed from disk")
    assert s.labels.tolist() == [0, 0, 1] and s.label_names == ["cats", "dogs"]
    assert s.paths == [str(f) for f in files] and s.source.endswith("(3 files), streamed from disk")
    opened = D.open_folder(tmp_path)
    assert opened.labels.tolist() == s.labels.tolist() and opened.source == s.source
