"""Mixed mean images (source report 2): mixing, both metric conventions, the models, the study helpers."""

import keras
import numpy as np
import pytest

from aeutils import data as D
from aeutils import metrics as M
from aeutils.models import MIXED_CAE_PARAMS, build_mixed_cae, build_unmixer
from aeutils.models.layers import MixtureConsistency

# --- data: harmonise, mix, pairing, hold-out -------------------------------------------------


def test_harmonise_gray_to_colour_and_resize():
    x = np.arange(2 * 28 * 28, dtype=np.float64).reshape(2, 28, 28) % 256
    out = D.harmonise(x.astype(np.uint8), size=32, channels=3)
    assert out.shape == (2, 32, 32, 3) and out.dtype == np.float32
    assert 0.0 <= out.min() and out.max() <= 1.0
    np.testing.assert_array_equal(out[..., 0], out[..., 2])  # gray repeated, not tinted


def test_harmonise_refuses_bad_channels_and_rank():
    with pytest.raises(D.DataError, match="channels"):
        D.harmonise(np.zeros((1, 8, 8, 3)), channels=2)
    with pytest.raises(D.DataError, match="images must be"):
        D.harmonise(np.zeros((8, 8)))


def test_mix_is_the_weighted_mean_and_checks_input():
    a, b = np.zeros((2, 4, 4, 3)), np.ones((2, 4, 4, 3))
    np.testing.assert_allclose(D.mix(a, b), 0.5)
    np.testing.assert_allclose(D.mix(a, b, weight=0.25), 0.75)
    with pytest.raises(D.DataError, match="shapes"):
        D.mix(a, np.ones((2, 4, 4, 1)))
    with pytest.raises(D.DataError, match=r"\[0, 1\]"):
        D.mix(a, b * 255)
    with pytest.raises(D.DataError, match="weight"):
        D.mix(a, b, weight=1.5)




def test_holdout_prefers_official_test_split_then_holds_out_training_tail(toy_sets):
    digits, photos = toy_sets
    tr, te, rule = D.holdout_indices(digits, 6)
    assert te.tolist() == list(range(20, 26)) and tr.tolist() == list(range(20))
    assert "official test split" in rule
    tr, te, rule = D.holdout_indices(photos, 6, n_train=10)
    assert te.tolist() == list(range(16, 22)) and tr.tolist() == list(range(10))
    assert "held out" in rule and "only 2" in rule
    with pytest.raises(D.DataError, match="only 16 remain"):
        D.holdout_indices(photos, 6, n_train=17)


def test_holdout_random_and_grouped_splits_are_disjoint():
    rng = np.random.default_rng(1)
    plain = D.ImageSet(rng.random((40, 4, 4, 1)).astype(np.float32), name="plain")
    tr, te, _ = D.holdout_indices(plain, 10, seed=3)
    assert len(te) == 10 and len(tr) == 30 and not set(tr) & set(te)
    patches = D.ImageSet(
        rng.random((40, 4, 4, 3)).astype(np.float32),
        labels=np.repeat(np.arange(5), 8),
        name="embedded:photo_patches",
        label_names=list("abcde"),
    )
    tr, te, rule = D.holdout_indices(patches, 8, seed=0)
    assert len(te) == 8 and not set(patches.labels[tr]) & set(patches.labels[te])
    assert "held-out groups" in rule
    with pytest.raises(D.DataError, match="too few"):
        D.holdout_indices(patches, 40)
    with pytest.raises(D.DataError, match="n_test"):
        D.holdout_indices(plain, 0)




# --- metrics: both conventions -------------------------------------------------------------


def test_identical_images_give_ssim_one_and_capped_psnr_both_ways():
    x = np.random.default_rng(0).random((3, 16, 16, 3)).astype(np.float32)
    x[2] = 0.3  # a constant image: range 0 in the source's per-image convention
    src = M.source_way_metrics(x, x)
    np.testing.assert_allclose(src["ssim"], 1.0, atol=1e-9)
    np.testing.assert_array_equal(src["psnr"], M.PSNR_CAP_DB)
    assert np.isfinite(src["data_range"]).all() and src["data_range"][2] == 2.0
    np.testing.assert_allclose(M.ssim_per_image(x, x), 1.0, atol=1e-5)
    np.testing.assert_array_equal(M.psnr_per_image(x, x), M.PSNR_CAP_DB)


def test_source_way_psnr_differs_by_the_per_image_range():
    rng = np.random.default_rng(1)
    x = (0.25 + 0.5 * rng.random((4, 16, 16, 1))).astype(np.float32)  # spans about [0.25, 0.75]
    y = np.clip(x + rng.normal(0, 0.02, x.shape), 0, 1).astype(np.float32)
    fixed = M.psnr_per_image(x, y)
    src = M.source_way_metrics(x, y)
    # On [-1, 1] the fixed range is 2; the source used each reference image's own range.
    np.testing.assert_allclose(src["psnr"] - fixed, 20 * np.log10(src["data_range"] / 2), atol=1e-3)
    assert (src["psnr"] < fixed).all()
    with pytest.raises(ValueError, match="shapes differ"):
        M.source_way_metrics(x, y[:2])


def test_rank_examples_best_median_worst():
    scores = np.array([0.5, 0.9, 0.1, 0.7, 0.3, 0.8, 0.2])
    r = M.rank_examples(scores, k=2)
    assert r["best"].tolist() == [1, 5] and r["worst"].tolist() == [6, 2]
    assert len(r["median"]) == 2 and set(r["median"]) <= {0, 3, 4}
    assert M.rank_examples(scores, k=1, higher_is_better=False)["best"].tolist() == [2]
    with pytest.raises(ValueError):
        M.rank_examples([], k=1)


# --- models ------------------------------------------------------------------------------


def test_mixed_cae_matches_the_source_model():
    model = build_mixed_cae()
    assert model.count_params() == MIXED_CAE_PARAMS == 83_619
    assert model.get_layer("mixed_cae_encoder").output_shape[1:] == (4, 4, 64)
    assert model.output_shape == (None, 32, 32, 3)
    assert model.layers[-1].layers[-1].activation.__name__ == "linear"
    small = build_mixed_cae(input_shape=(16, 16, 3))
    assert small.output_shape == (None, 16, 16, 3)
    with pytest.raises(ValueError, match="divisible by 8"):
        build_mixed_cae(input_shape=(28, 28, 3))


def test_unmixer_outputs_add_up_to_the_mixture_and_reloads(tmp_path):
    model = build_unmixer(input_shape=(16, 16, 3), filters=(4, 8))
    x = np.random.default_rng(0).uniform(-1, 1, (2, 16, 16, 3)).astype(np.float32)
    out = np.asarray(model(x))
    assert out.shape == (2, 16, 16, 6)
    np.testing.assert_allclose((out[..., :3] + out[..., 3:]) / 2, x, atol=1e-5)
    path = tmp_path / "unmixer.keras"
    model.save(path)
    again = keras.models.load_model(path, safe_mode=True)
    np.testing.assert_allclose(np.asarray(again(x)), out, atol=1e-6)
    with pytest.raises(ValueError, match="two sources"):
        build_unmixer(sources=1)
    with pytest.raises(ValueError, match="divisible"):
        build_unmixer(input_shape=(18, 18, 3), filters=(4, 8, 16))


def test_mixture_consistency_with_unequal_weights():
    layer = MixtureConsistency((0.25, 0.75))
    m = np.full((1, 2, 2, 1), 0.6, np.float32)
    e = np.random.default_rng(0).random((1, 2, 2, 2)).astype(np.float32)
    out = np.asarray(layer([m, e]))
    np.testing.assert_allclose(0.25 * out[..., :1] + 0.75 * out[..., 1:], m, atol=1e-6)
    assert MixtureConsistency.from_config(layer.get_config()).mix_weights == (0.25, 0.75)
    with pytest.raises(ValueError, match="two mixing weights"):
        MixtureConsistency((1.0,))


def test_source_way_with_fixed_range_matches_fixed_psnr():
    rng = np.random.default_rng(2)
    x = rng.random((3, 16, 16, 3)).astype(np.float32)
    y = np.clip(x + rng.normal(0, 0.05, x.shape), 0, 1).astype(np.float32)
    fixed_range = M.source_way_metrics(x, y, per_image_range=False)
    # PSNR is scale-free with a fixed range: [-1, 1] with range 2 equals [0, 1] with range 1.
    np.testing.assert_allclose(fixed_range["psnr"], M.psnr_per_image(x, y), atol=1e-4)
    assert (fixed_range["data_range"] == 2.0).all()
