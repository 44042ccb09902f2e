"""Named architectures: the CIFAR-10 study's parameter and latent counts, ours-256 as PCA, save/load, build by name."""

import dataclasses

import keras
import numpy as np
import pytest

from aeutils import models as Mo


@pytest.mark.parametrize(
    "name, params, latent",
    [
        ("classic", 4911, 1024),
        ("4-6-8", 1377, 512),
        ("16-24-32-published", 18459, 2048),
        ("16-24-32", 18459, 2048),
        ("32-48-64-single", 71475, 4096),
        ("32-48-64-double", 144963, 4096),
    ],
)
def test_source_architectures_match_published_counts(name, params, latent):
    model = Mo.build_cae(name)
    assert model.count_params() == params
    check = Mo.check_latent_size(model.get_layer("encoder"))
    assert check == {"formula": latent, "model": latent, "match": True}
    assert model.output_shape == (None, 32, 32, 3)


def test_published_16_24_32_has_valid_first_conv_and_zero_padding():
    enc = Mo.build_cae("16-24-32-published").get_layer("encoder")
    assert enc.get_layer("encoder_s0_conv0").padding == "valid"
    assert enc.get_layer("encoder_s0_zeropad") is not None


def test_unknown_architecture_lists_known():
    with pytest.raises(KeyError, match="classic"):
        Mo.build_cae("nope")


def test_pca_residual_model_starts_as_pca():
    from aeutils.metrics import pca_baseline

    rng = np.random.default_rng(0)
    x = rng.random((60, 8, 8, 3)).astype(np.float32)
    model = Mo.build_pca_residual_ae(input_shape=(8, 8, 3), latent_dim=10, filters=4)
    Mo.init_from_pca(model, x)
    np.testing.assert_allclose(model.predict(x, verbose=0), pca_baseline(x, x, 10), atol=1e-4)
    assert model.get_layer("encoder").output_shape == (None, 10)
    with pytest.raises(ValueError):
        Mo.init_from_pca(Mo.build_cae("classic"), x)


def test_frozen_pca_code_stays_pca_while_the_branches_train():
    from aeutils.train import fit

    rng = np.random.default_rng(1)
    x = rng.random((40, 8, 8, 3)).astype(np.float32)
    model = Mo.build_pca_residual_ae(input_shape=(8, 8, 3), latent_dim=6, filters=4)
    Mo.init_from_pca(model, x, freeze=True)
    code = model.get_layer("encoder").get_layer("encoder_code")
    before = [w.copy() for w in code.get_weights()]
    branch = [w.copy() for w in model.get_layer("decoder").get_layer("decoder_refine_out").get_weights()]
    fit(model, x, epochs=2, batch_size=8, seed=0, verbose=0)
    for w0, w1 in zip(before, code.get_weights()):
        np.testing.assert_array_equal(w0, w1)
    assert any(not np.array_equal(w0, w1) for w0, w1 in
               zip(branch, model.get_layer("decoder").get_layer("decoder_refine_out").get_weights()))
    spec = Mo.CAE_ARCHITECTURES["ours-256"]
    assert spec.freeze_code and spec.flips


def test_saved_model_round_trip(tmp_path):
    model = Mo.build_cae("4-6-8", input_shape=(16, 16, 3))
    path = tmp_path / "m.keras"
    model.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    x = np.random.default_rng(0).random((2, 16, 16, 3)).astype(np.float32)
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0), atol=1e-6)


def test_source_figures_are_not_part_of_the_presets():
    assert "source_mse" not in {f.name for f in dataclasses.fields(Mo.CAESpec)}
    assert not hasattr(Mo.CAESpec, "source_mse") and not hasattr(Mo, "CAE_SOURCE_FIGURES")
    for name, spec in Mo.CAE_ARCHITECTURES.items():
        assert spec.name == name


def test_build_preset_knows_every_named_architecture():
    assert Mo.build_preset("mixed-cae").count_params() == Mo.MIXED_CAE_PARAMS
    assert Mo.build_preset("4-6-8").count_params() == Mo.build_cae("4-6-8").count_params()
    vae = Mo.build_preset("vae-mnist-keras-io", seed=0)
    assert isinstance(vae, Mo.VAE) and vae.encoder.input_shape == (None, 28, 28, 1)
    assert set(Mo.PRESET_NAMES) >= {*Mo.CAE_ARCHITECTURES, "mixed-cae", "vae-mnist-ours"}
    with pytest.raises(KeyError, match="vae-mnist-ours"):
        Mo.build_preset("vae-mnist-nope")
