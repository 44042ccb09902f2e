"""Latent-space helpers, the photo loaders they feed on, and the latent plots."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from PIL import Image  # noqa: E402

from aeutils import data as D  # noqa: E402
from aeutils import latent, models, plotting  # noqa: E402


@pytest.fixture(scope="module")
def vae():
    return models.build_vae(input_shape=(16, 16, 1), latent_dim=2, filters=(4, 8), hidden_units=8, seed=0)


@pytest.fixture
def images():
    return np.random.default_rng(0).random((6, 16, 16, 1), dtype=np.float32)


# ---------------------------------------------------------------------------
# Interpolation
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["linear", "spherical"])
def test_code_interpolation_end_points_are_the_inputs(method):
    z0, z1 = np.array([0.3, -1.2, 2.0]), np.array([-0.7, 0.4, 1.1])
    path = latent.interpolate_codes(z0, z1, 7, method)
    assert path.shape == (7, 3)
    np.testing.assert_allclose(path[0], z0, rtol=1e-6)
    np.testing.assert_allclose(path[-1], z1, rtol=1e-6)


def test_slerp_stays_on_the_circle_and_lerp_cuts_it():
    z0, z1 = np.array([2.0, 0.0]), np.array([0.0, 2.0])
    np.testing.assert_allclose(np.linalg.norm(latent.slerp(z0, z1, 9), axis=1), 2.0, rtol=1e-5)
    assert np.linalg.norm(latent.lerp(z0, z1, 3)[1]) == pytest.approx(np.sqrt(2.0))


def test_slerp_falls_back_to_lerp_for_parallel_or_zero_codes():
    np.testing.assert_allclose(latent.slerp([1.0, 1.0], [2.0, 2.0], 3), latent.lerp([1.0, 1.0], [2.0, 2.0], 3))
    np.testing.assert_allclose(latent.slerp([0.0, 0.0], [1.0, 0.0], 3)[1], [0.5, 0.0])


def test_interpolation_rejects_bad_input():
    with pytest.raises(ValueError, match="unknown interpolation"):
        latent.interpolate_codes([0.0], [1.0], 3, "cubic")
    with pytest.raises(ValueError, match="steps"):
        latent.lerp([0.0], [1.0], 1)
    with pytest.raises(ValueError, match="shape"):
        latent.lerp([0.0], [1.0, 2.0], 3)


def test_pixel_interpolation_is_the_mean_at_half():
    a, b = np.zeros((4, 4, 1)), np.ones((4, 4, 1))
    mix = latent.pixel_interpolation(a, b, 3)
    np.testing.assert_allclose(mix[1], 0.5)
    np.testing.assert_array_equal(mix[0], a)
    np.testing.assert_array_equal(mix[-1], b)


@pytest.mark.parametrize("method", ["linear", "spherical"])
def test_decoded_strip_ends_are_the_reconstructions(vae, images, method):
    strip = latent.interpolate(vae, images[0], images[1], steps=5, method=method)
    assert strip.shape == (5, 16, 16, 1)
    ends = latent.decode(vae, latent.encode(vae, images[:2]))
    np.testing.assert_allclose(strip[0], ends[0], atol=1e-5)
    np.testing.assert_allclose(strip[-1], ends[1], atol=1e-5)


def test_encode_returns_means_not_samples(vae, images):
    a, b = latent.encode(vae, images), latent.encode(vae, images, batch_size=4)
    np.testing.assert_allclose(a, b, atol=1e-6)
    np.testing.assert_allclose(a, np.asarray(vae.encoder(images)[0]), atol=1e-6)
    np.testing.assert_allclose(latent.encode(vae.encoder, images), a, atol=1e-6)


def test_encode_and_decode_check_shapes(vae, images):
    with pytest.raises(ValueError, match="shape"):
        latent.encode(vae, images[:, :8])
    with pytest.raises(ValueError, match="codes must have shape"):
        latent.decode(vae, np.zeros((2, 3)))


def test_interpolation_strips_rows(vae, images):
    strips = latent.interpolation_strips(vae, images, [(0, 1), (2, 3)], steps=4)
    assert len(strips) == 2
    s = strips[1]
    assert s["pair"] == (2, 3)
    assert s["latent"].shape == s["pixel"].shape == (6, 16, 16, 1)
    np.testing.assert_array_equal(s["latent"][0], images[2])
    np.testing.assert_array_equal(s["latent"][-1], images[3])
    with pytest.raises(ValueError, match="out of range"):
        latent.interpolation_strips(vae, images, [(0, 9)])


def test_choose_pairs():
    labels = [3, 1, 3, 8, 1]
    assert latent.choose_pairs("3-8, 1-1", labels) == [(0, 3), (1, 4)]
    assert latent.choose_pairs("4-0", labels, by="index") == [(4, 0)]
    with pytest.raises(ValueError, match="no image has label 7"):
        latent.choose_pairs("3-7", labels)
    with pytest.raises(ValueError, match="out of range"):
        latent.choose_pairs("0-5", labels, by="index")
    with pytest.raises(ValueError, match="form 'a-b'"):
        latent.choose_pairs("3 to 8", labels)
    with pytest.raises(ValueError, match="by must be"):
        latent.choose_pairs("3-8", labels, by="name")


def test_choose_pairs_typical_picks_an_end_inside_its_labels_region():
    # Label 0 sits around x = 0 and label 1 around x = 10; the first 0 (index 0) lies among the 1s.
    codes = np.array([[10.2, 0.0], [0.0, 0.0], [0.3, 0.1], [-0.2, 0.2], [10.0, 0.0], [10.1, 0.1], [9.9, -0.1]])
    labels = [0, 0, 0, 0, 1, 1, 1]
    assert latent.choose_pairs("0-1", labels) == [(0, 4)]  # by label: the first image of each
    (a, b), = latent.choose_pairs("0-1", labels, by="typical", codes=codes, neighbours=2)
    assert a in (1, 2, 3) and labels[b] == 1
    (a, a2), = latent.choose_pairs("0-0", labels, by="typical", codes=codes, neighbours=2)
    assert a != a2 and {a, a2} <= {1, 2, 3}
    with pytest.raises(ValueError, match="needs codes"):
        latent.choose_pairs("0-1", labels, by="typical")
    with pytest.raises(ValueError, match="one code per label"):
        latent.choose_pairs("0-1", labels, by="typical", codes=codes[:3])


# ---------------------------------------------------------------------------
# Grids
# ---------------------------------------------------------------------------


def test_grid_coordinates_orientation_and_limits():
    c = latent.grid_coordinates(5)
    assert c.shape == (5, 5, 2)
    assert c[0, 0, 0] < c[0, -1, 0]  # x grows to the right
    assert c[0, 0, 1] > c[-1, 0, 1]  # y grows upwards
    assert c[0, -1, 0] == pytest.approx(1.6448536, rel=1e-5)  # 95% prior quantile
    np.testing.assert_allclose(latent.grid_coordinates(3, (-2, 2))[-1, :, 0], [-2, 0, 2])
    with pytest.raises(ValueError):
        latent.grid_coordinates(1)
    with pytest.raises(ValueError):
        latent.grid_coordinates(3, (1, 1))


def test_latent_grid_shape_and_content(vae):
    images, coords = latent.latent_grid(vae, n=4)
    assert images.shape == (4, 4, 16, 16, 1)
    assert coords.shape == (4, 4, 2)
    np.testing.assert_allclose(images[1, 2], latent.decode(vae, coords[1, 2][None])[0], atol=1e-5)


def test_latent_grid_on_a_plane_of_a_larger_latent():
    vae3 = models.build_vae(input_shape=(16, 16, 1), latent_dim=3, filters=(4,), hidden_units=None)
    images, coords = latent.latent_grid(vae3, n=3, dims=(0, 2), center=[0.0, 0.7, 0.0])
    z = np.array([coords[0, 0, 0], 0.7, coords[0, 0, 1]])
    np.testing.assert_allclose(images[0, 0], latent.decode(vae3, z[None])[0], atol=1e-5)
    with pytest.raises(ValueError, match="dims"):
        latent.latent_grid(vae3, dims=(1, 1))
    with pytest.raises(ValueError, match="center"):
        latent.latent_grid(vae3, center=[0.0])


def test_latent_grid_needs_two_dimensions():
    vae1 = models.build_vae(input_shape=(16, 16, 1), latent_dim=1, filters=(4,), hidden_units=None)
    with pytest.raises(ValueError, match="at least 2"):
        latent.latent_grid(vae1)


# ---------------------------------------------------------------------------
# Held-out ELBO
# ---------------------------------------------------------------------------


def test_evaluate_elbo_bookkeeping(images):
    vae = models.build_vae(input_shape=(16, 16, 1), filters=(4,), hidden_units=None, beta=3.0)
    s = latent.evaluate_elbo(vae, images, samples=2, batch_size=4, seed=1)
    np.testing.assert_allclose(s["loss"], s["reconstruction"] + 3.0 * s["kl"])
    np.testing.assert_allclose(s["negative_elbo"], s["reconstruction"] + s["kl"])
    assert (s["kl"] >= 0).all() and s["reconstruction"].shape == (6,)
    again = latent.evaluate_elbo(vae, images, samples=2, batch_size=3, seed=1)
    np.testing.assert_allclose(again["kl"], s["kl"], rtol=1e-5)


def test_evaluate_elbo_rejects_bad_input(vae, images):
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        latent.evaluate_elbo(vae, images * 255)
    with pytest.raises(ValueError, match="needs an aeutils.models.VAE"):
        latent.evaluate_elbo(vae.encoder, images)
    with pytest.raises(ValueError, match="samples"):
        latent.evaluate_elbo(vae, images, samples=0)


# ---------------------------------------------------------------------------
# Photo folders at any size, crops
# ---------------------------------------------------------------------------


def _write(path, array):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(array).save(path)


def test_load_square_images_crops_and_resizes(tmp_path):
    rng = np.random.default_rng(0)
    _write(tmp_path / "wide.png", rng.integers(0, 255, (40, 80, 3), dtype=np.uint8))
    _write(tmp_path / "tall.jpg", rng.integers(0, 255, (90, 30, 3), dtype=np.uint8))
    s = D.load_square_images(str(tmp_path), size=16)
    assert s.images.shape == (2, 16, 16, 3)
    assert s.images.dtype == np.float32 and 0.0 <= s.images.min() and s.images.max() <= 1.0
    assert s.label_names == ["tall", "wide"]


def test_load_square_images_bad_folders(tmp_path):
    with pytest.raises(D.DataError, match="no such folder"):
        D.load_square_images(str(tmp_path / "missing"), size=16)
    (tmp_path / "empty").mkdir()
    with pytest.raises(D.DataError, match="holds no image files"):
        D.load_square_images(str(tmp_path / "empty"), size=16)
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "broken.png").write_bytes(b"not a png")
    with pytest.raises(D.DataError, match="unreadable"):
        D.load_square_images(str(bad), size=16)
    mixed = tmp_path / "mixed"
    _write(mixed / "gray.png", np.zeros((20, 20), np.uint8))
    _write(mixed / "rgb.png", np.zeros((20, 20, 3), np.uint8))
    with pytest.raises(D.DataError, match="different channel counts"):
        D.load_square_images(str(mixed), size=16)
    with pytest.raises(D.DataError, match="size"):
        D.load_square_images(str(mixed), size=0)


def test_embedded_photos_at_any_size():
    s = D.load_square_images("embedded:photos", size=32)
    assert s.images.shape == (11, 32, 32, 3)
    assert s.label_names[0] == "astronaut"
    assert s.images.max() > 0.9  # full range, not capped at 0.5 like the source's /511


def test_random_crops_and_stream():
    imgs = np.random.default_rng(0).random((3, 16, 16, 3), dtype=np.float32)
    a, src = D.random_crops(imgs, 10, seed=2)
    b, _ = D.random_crops(imgs, 10, seed=2)
    assert a.shape == (10, 16, 16, 3) and src.shape == (10,) and src.max() < 3
    np.testing.assert_array_equal(a, b)
    ds = D.random_crop_dataset(imgs, batch_size=4, seed=5)
    x1, y1 = next(iter(ds))
    x2, _ = next(iter(D.random_crop_dataset(imgs, batch_size=4, seed=5)))
    assert tuple(x1.shape) == (4, 16, 16, 3)
    np.testing.assert_allclose(x1.numpy(), y1.numpy())
    np.testing.assert_allclose(x1.numpy(), x2.numpy())
    with pytest.raises(D.DataError, match="square"):
        D.random_crops(imgs[:, :8], 2)
    with pytest.raises(D.DataError, match="min_scale"):
        D.random_crop_dataset(imgs, min_scale=0.0)


def test_split_keeping_test():
    s = D.ImageSet(np.zeros((30, 2, 2, 1), np.float32), subset=np.array(["train"] * 20 + ["test"] * 10))
    train, val, test, rule = D.split_keeping_test(s, (0.8, 0.1, 0.1), seed=0)
    assert (len(train), len(val), len(test)) == (18, 2, 10)
    assert (test.subset == "test").all() and "official" in rule
    plain = D.ImageSet(np.zeros((30, 2, 2, 1), np.float32))
    assert [len(p) for p in D.split_keeping_test(plain)[:3]] == [24, 3, 3]


# ---------------------------------------------------------------------------
# Plots
# ---------------------------------------------------------------------------


def test_latent_plots():
    z = np.random.default_rng(0).normal(size=(50, 2))
    fig = plotting.latent_scatter(z, np.arange(50) % 3, label_names=["a", "b", "c"])
    assert [t.get_text() for t in fig.axes[0].get_legend().get_texts()] == ["a", "b", "c"]
    with pytest.raises(ValueError, match="labels"):
        plotting.latent_scatter(z, np.arange(3))
    with pytest.raises(ValueError, match="d>=2"):
        plotting.latent_scatter(z[:, :1])
    grid = np.random.default_rng(0).random((3, 4, 8, 8, 1))
    assert plotting.tile_grid(grid).shape == (24, 32, 1)
    fig2 = plotting.manifold_grid(grid, latent.grid_coordinates(4)[:3], max_side=4)
    assert fig2.axes[0].images[0].get_array().shape[:2] == (12, 16)  # tiles shrunk 8 -> 4
    strips = [{"title": "x", "latent": grid[0], "pixel": grid[1]}]
    fig3 = plotting.interpolation_strips(strips)
    assert len(fig3.axes) == 2 * 4
    with pytest.raises(ValueError):
        plotting.interpolation_strips([])
    plt.close("all")


def test_code_limits_cover_the_codes():
    z = np.random.default_rng(0).normal(size=(1000, 2)) * [1.0, 3.0]
    lo, hi = latent.code_limits(z, quantile=0.0)
    assert lo == pytest.approx(z.min()) and hi == pytest.approx(z.max())
    lo, hi = latent.code_limits(z)
    assert z.min() < lo < 0 < hi < z.max()
    with pytest.raises(ValueError, match="quantile"):
        latent.code_limits(z, quantile=0.5)
    with pytest.raises(ValueError, match="codes"):
        latent.code_limits(z[:, :1])


def test_image_names(tmp_path):
    _write(tmp_path / "cats" / "tom.png", np.zeros((20, 20, 3), np.uint8))
    _write(tmp_path / "dogs" / "rex.png", np.zeros((20, 20, 3), np.uint8))
    s = D.load_square_images(str(tmp_path), size=8)
    assert s.label_names == ["cats", "dogs"]  # sub-folders give labels
    assert D.image_names(s) == ["tom", "rex"]
    assert D.image_names(D.ImageSet(np.zeros((2, 1, 1, 1)))) == ["0", "1"]


def test_load_square_images_resolves_against_the_base_dir(tmp_path, monkeypatch):
    _write(tmp_path / "pics" / "a.png", np.zeros((10, 12, 3), np.uint8))
    monkeypatch.setenv(D.BASE_DIR_ENV, str(tmp_path))
    assert len(D.load_square_images("pics", size=4)) == 1


# --- reading decoded images, strip end points, nearest-neighbour gathering ---


def _toy_digits():
    """Two 'digits' on 4x4 images: a bright left half (label 3) or a bright right half (label 5)."""
    rng = np.random.default_rng(0)
    left = np.zeros((4, 4, 1), np.float32)
    left[:, :2] = 1.0
    right = left[:, ::-1].copy()
    x = np.stack([left] * 10 + [right] * 10) * 0.8 + rng.random((20, 4, 4, 1)).astype(np.float32) * 0.2
    return x, np.array([3] * 10 + [5] * 10), left, right


def test_fit_pixel_reader_and_read_images():
    x, y, left, right = _toy_digits()
    reader = latent.fit_pixel_reader(x, y, C=1.0)
    labels, conf = latent.read_images(reader, np.stack([left, right]))
    assert labels.tolist() == [3, 5] and conf.shape == (2,) and np.all(conf > 0.5)
    grid_labels, _ = latent.read_images(reader, np.stack([left, right] * 2).reshape(2, 2, 4, 4, 1))
    assert grid_labels.tolist() == [3, 5, 3, 5]
    with pytest.raises(ValueError):
        latent.fit_pixel_reader(x, y[:5])
    with pytest.raises(ValueError):
        latent.fit_pixel_reader(x, np.zeros(20))


def test_strip_endpoints_reads_the_decoded_ends():
    x, y, left, right = _toy_digits()
    reader = latent.fit_pixel_reader(x, y, C=1.0)
    good = {"title": "3→5", "latent": np.stack([left, left, left, right, right, right])}
    bad = {"title": "3→5 blob", "latent": np.stack([left, left, left, left, left, right])}
    rows = latent.strip_endpoints(reader, [good, bad], [3, 3], [5, 5])
    assert [r["holds"] for r in rows] == [True, False]
    assert rows[0]["read_path"] == [3, 3, 5, 5] and rows[1]["read_end"] == 3 and rows[1]["title"] == "3→5 blob"
    with pytest.raises(ValueError):
        latent.strip_endpoints(reader, [good], [3, 3], [5])


def test_nearest_neighbour_hits_and_chance():
    ref, query = [[0.0, 0.0], [5.0, 5.0]], [[0.5, 0.0], [4.0, 5.0], [1.0, 1.0]]
    hits = latent.nearest_neighbour_hits(ref, [0, 1], query, [0, 1, 1])
    assert hits.tolist() == [1.0, 1.0, 0.0]
    assert latent.chance_accuracy([0, 0, 1, 1], [0, 1]) == 0.5
    assert latent.chance_accuracy([0, 1, 2, 3], [0, 1, 2, 3]) == pytest.approx(0.25)
    with pytest.raises(ValueError):
        latent.nearest_neighbour_hits([], [], [[0.0, 0.0]], [0])
