"""Tests for aeutils.applications: the tasks' inputs (corruptions, one-class split, masks, downscaling) and probes."""

import keras
import numpy as np
import pytest

from aeutils import applications as A
from aeutils import baselines as B
from aeutils import metrics as M
from aeutils import train as T


def _images(n=6, h=8, w=8, c=1, seed=0):
    return np.random.default_rng(seed).random((n, h, w, c)).astype("float32")


# --- denoising -------------------------------------------------------------


def test_corrupt_is_seeded_and_in_range():
    x = _images()
    a = A.corrupt(x, kind="gaussian", strength=0.3, seed=1)
    b = A.corrupt(x, kind="gaussian", strength=0.3, seed=1)
    c = A.corrupt(x, kind="gaussian", strength=0.3, seed=2)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    assert a.min() >= 0 and a.max() <= 1 and not np.array_equal(a, x)


def test_corrupt_rejects_bad_input():
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        A.corrupt(_images() * 255, kind="gaussian")
    with pytest.raises(ValueError, match="unknown corruption"):
        A.corrupt(_images(), kind="blur")
    with pytest.raises(ValueError, match=r"\(N, H, W, C\)"):
        A.corrupt(np.zeros((8, 8)), kind="gaussian")


# --- anomaly detection -----------------------------------------------------


def test_one_class_split():
    labels = np.repeat(np.arange(3), 40)
    s = A.one_class_split(labels, 1, seed=0)
    assert (labels[s["train"]] == 1).all() and (labels[s["val"]] == 1).all()
    np.testing.assert_array_equal(s["test_is_anomaly"], labels[s["test"]] != 1)
    assert len(set(s["train"]) & set(s["test"])) == 0
    with pytest.raises(ValueError, match="does not occur"):
        A.one_class_split(labels, 7)


def test_reconstruction_errors_identity_and_pca():
    x = _images(10, 4, 4)
    inp = keras.Input((4, 4, 1))
    identity = keras.Model(inp, keras.layers.Identity()(inp))
    np.testing.assert_allclose(A.reconstruction_errors(identity, x), 0.0, atol=1e-7)
    err = A.pca_reconstruction_errors(x, x, 10)  # 10 components span 10 images exactly
    np.testing.assert_allclose(err, 0.0, atol=1e-6)
    assert A.pca_reconstruction_errors(x, x, 1).mean() > 1e-3
    local = A.pca_reconstruction_errors(x, x, 1, score="local_max", window=2)
    assert local.shape == (len(x),) and (local >= A.pca_reconstruction_errors(x, x, 1)).all()


def test_knn_distances_known_answer_and_errors():
    ref = [[0.0, 0.0], [1.0, 0.0], [5.0, 0.0]]
    d = A.knn_distances(ref, [[0.0, 0.0], [4.0, 0.0]], k=2, metric="euclidean")
    np.testing.assert_allclose(d, [0.5, 2.0])  # (0 + 1) / 2 and (1 + 3) / 2
    np.testing.assert_allclose(A.knn_distances(ref, [[10.0, 0.0]], k=3, metric="euclidean"), [(10 + 9 + 5) / 3])
    # Cosine: only the direction counts; opposite directions are 2 apart on the unit circle.
    cos = A.knn_distances([[1.0, 0.0]], [[3.0, 0.0], [0.0, 2.0], [-1.0, 0.0]], k=1)
    np.testing.assert_allclose(cos, [0.0, np.sqrt(2.0), 2.0], atol=1e-12)
    # Batching gives the same distances.
    rng = np.random.default_rng(0)
    r, q = rng.normal(size=(30, 5)), rng.normal(size=(25, 5))
    np.testing.assert_allclose(A.knn_distances(r, q, k=4, batch_size=7), A.knn_distances(r, q, k=4), rtol=1e-10)
    with pytest.raises(ValueError, match="k must be"):
        A.knn_distances(ref, [[0.0, 0.0]], k=4)
    with pytest.raises(ValueError, match="unknown metric"):
        A.knn_distances(ref, [[0.0, 0.0]], k=1, metric="manhattan")
    with pytest.raises(ValueError, match="values"):
        A.knn_distances(ref, [[0.0, 0.0, 0.0]], k=1)


def test_knn_scores_far_points_score_higher_and_use_training_normals_only():
    rng = np.random.default_rng(1)
    normals = rng.normal(size=(50, 3)) * 0.1 + [1.0, 0.0, 0.0]
    val = rng.normal(size=(10, 3)) * 0.1 + [1.0, 0.0, 0.0]
    near = rng.normal(size=(20, 3)) * 0.1 + [1.0, 0.0, 0.0]
    far = rng.normal(size=(20, 3)) * 0.1 + [0.0, 1.0, 0.0]
    v, t = A.knn_scores(normals, val, np.r_[near, far], k=5)
    assert v.shape == (10,) and t.shape == (40,)
    assert t[20:].min() > t[:20].max()
    assert M.anomaly_report(v, t, np.r_[np.zeros(20), np.ones(20)])["auroc"] == 1.0
    # The validation scores are distances to the training normals, not to each other.
    np.testing.assert_allclose(v, A.knn_distances(normals, val, k=5))
    # A feature map: the scores are computed on its output.
    _, t2 = A.knn_scores(normals, val, np.r_[near, far], features=lambda x: np.asarray(x)[:, :2], k=5)
    np.testing.assert_allclose(t2, A.knn_distances(normals[:, :2], np.r_[near, far][:, :2], k=5))


def test_encoder_features_shape_and_layer():
    from aeutils import models as Mo

    model = Mo.build_plain_autoencoder(input_shape=(8, 8, 1), latent_dim=3, filters=(2, 4))
    x = _images(5, 8, 8)
    f = A.encoder_features(model, x)
    assert f.shape == (5, 2 * 2 * 4) and f.dtype == np.float32
    assert A.encoder_features(model, x, layer="encoder_code").shape == (5, 3)
    with pytest.raises(ValueError, match="no layer"):
        A.encoder_features(model, x, layer="nope")


# --- inpainting --------------------------------------------------------------


def test_make_mask_kinds():
    m = A.make_mask((50, 20, 20), kind="pixels", fraction=0.3, seed=0)
    assert m.shape == (50, 20, 20, 1) and m.dtype == bool
    assert abs(m.mean() - 0.3) < 0.03
    b = A.make_mask((3, 16, 16, 3), kind="block", fraction=0.25, seed=1)
    assert b.sum(axis=(1, 2, 3)).tolist() == [64, 64, 64]
    for i in range(3):  # one square
        rows, cols = np.nonzero(b[i, ..., 0])
        assert rows.max() - rows.min() == 7 and cols.max() - cols.min() == 7
    with pytest.raises(ValueError, match="kind"):
        A.make_mask((1, 4, 4), kind="stripes")
    with pytest.raises(ValueError, match="fraction"):
        A.make_mask((1, 4, 4), fraction=1.0)


def test_apply_mask_composite_and_mean_fill():
    x = _images(4, 5, 5, 1)
    mask = A.make_mask(x.shape, fraction=0.4, seed=3)
    obs = A.apply_mask(x, mask, fill=0.0)
    assert (obs[mask] == 0).all() and np.array_equal(obs[~mask], x[~mask])
    comp = B.composite(obs, np.ones_like(x), mask)
    assert (comp[mask] == 1).all() and np.array_equal(comp[~mask], x[~mask])
    train = np.stack([np.full((5, 5, 1), 0.2), np.full((5, 5, 1), 0.6)]).astype("float32")
    filled = B.mean_fill(obs, mask, train_images=train)
    np.testing.assert_allclose(filled[mask], 0.4, rtol=1e-6)
    with pytest.raises(ValueError, match="differ"):
        B.mean_fill(obs, mask, train_images=train[:, :4])


def test_inpainting_input():
    x = _images(2, 4, 4, 3)
    mask = A.make_mask(x.shape, fraction=0.5, seed=0)
    packed = A.inpainting_input(x, mask)
    assert packed.shape == (2, 4, 4, 4) and packed.dtype == np.float32
    np.testing.assert_array_equal(packed[..., 3:], mask.astype("float32"))
    np.testing.assert_array_equal(packed[..., :3], A.apply_mask(x, mask))
    np.testing.assert_array_equal(A.inpainting_input(x), np.concatenate([x, np.zeros_like(x[..., :1])], -1))
    with pytest.raises(ValueError, match="does not fit"):
        A.inpainting_input(x, mask[:1])


# --- super-resolution ------------------------------------------------------


def test_downscale_and_bicubic():
    x = np.zeros((1, 4, 4, 1), "float32")
    x[0, :2, :2] = 1.0
    lo = A.downscale(x, 2)
    np.testing.assert_allclose(lo[0, ..., 0], [[1, 0], [0, 0]], atol=1e-6)
    const = np.full((2, 4, 4, 3), 0.3, "float32")
    np.testing.assert_allclose(B.bicubic_upscale(const, 2), 0.3, atol=1e-6)
    assert B.bicubic_upscale(const, 2).shape == (2, 8, 8, 3)
    with pytest.raises(ValueError, match="divisible"):
        A.downscale(np.zeros((1, 5, 5, 1), "float32"), 2)
    s = M.image_scores(const, const)
    assert s["psnr_db"] == 100.0 and s["mse"] == 0.0 and s["ssim"] == pytest.approx(1.0)


# --- features ----------------------------------------------------------------


def test_linear_probe_and_comparison():
    rng = np.random.default_rng(0)
    y = np.repeat([0, 1], 40)
    x = (rng.random((80, 4, 4, 1)) * 0.2 + y[:, None, None, None] * 0.7).astype("float32")
    assert A.linear_probe(x[::2], y[::2], x[1::2], y[1::2]) == 1.0
    with pytest.raises(ValueError, match="single class"):
        A.linear_probe(x[:10], np.zeros(10), x, y)
    codes = x.reshape(80, -1)[:, :3]
    rows = A.probe_comparison(codes[::2], codes[1::2], x[::2], x[1::2], y[::2], y[1::2])
    assert [r["dim"] for r in rows] == [3, 3, 16]
    assert all(r["accuracy"] == 1.0 for r in rows)
    tr, te = B.pca_codes(x[::2], x[1::2], 3)
    assert tr.shape == (40, 3) and te.shape == (40, 3)


def test_probe_correct_and_batched_predict():
    rng = np.random.default_rng(0)
    y = np.repeat([0, 1], 20)
    x = (rng.random((40, 3)) * 0.2 + y[:, None] * 0.7).astype("float32")
    right = A.probe_correct(x[::2], y[::2], x[1::2], y[1::2])
    assert right.dtype == bool and right.shape == (20,) and right.all()
    correct = {}
    rows = A.probe_comparison(x[::2, :2], x[1::2, :2], x[::2], x[1::2], y[::2], y[1::2], correct=correct)
    assert set(correct) == {"code", "pca", "pixels"}
    assert [float(np.mean(correct[k])) for k in ("code", "pca", "pixels")] == [r["accuracy"] for r in rows]
    m = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    out = T.predict(m, x, batch_size=16)
    assert out.shape == (40, 2) and np.allclose(out, m.predict(x, verbose=0), atol=1e-5)
