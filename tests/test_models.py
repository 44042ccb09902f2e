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


def test_latent_formula_cases():
    assert Mo.conv_output_size(32, 5, 0, 1) == 28
    # the source's 5x5 row: formula once on the 8x8 latent with P=1
    assert Mo.latent_size(8, [(5, 1, 1)], 32) == 1152
    assert Mo.latent_size(32, [(3, 0, 1), (2, 0, 2), (2, 0, 2)], 32) == 7 * 7 * 32


def test_strided_encoder_transpose_decoder_like_mixed_source():
    enc = Mo.build_encoder(
        input_shape=(32, 32, 3), filters=(16, 32, 64), kernel_size=4, downsample="stride", activation="leaky_relu:0.01"
    )
    dec = Mo.build_decoder(
        latent_shape=enc.output_shape[1:],
        filters=(32, 16),
        kernel_size=4,
        upsample="transpose",
        upsamplings=3,
        activation="leaky_relu:0.01",
        output_activation=None,
    )
    ae = Mo.build_autoencoder(enc, dec)
    assert ae.count_params() == 83619
    assert Mo.check_latent_size(enc)["match"]
    assert ae.output_shape == (None, 32, 32, 3)


def test_dense_bottleneck_and_decoder_from_flat_code():
    enc = Mo.build_encoder(input_shape=(16, 16, 1), filters=(4, 8), latent_dim=3)
    assert enc.output_shape == (None, 3)
    assert Mo.check_latent_size(enc) == {"formula": None, "model": 3, "match": None}
    dec = Mo.build_decoder(latent_shape=(3,), dense_shape=(8, 8, 8), filters=(4,), output_channels=1)
    assert dec.output_shape == (None, 16, 16, 1)


def test_layer_names_are_predictable():
    enc = Mo.build_encoder(input_shape=(16, 16, 1), filters=(4, 8), convs_per_stage=2, name="enc")
    names = [layer.name for layer in enc.layers]
    assert "enc_s0_conv1" in names and "enc_s0_pool" in names and "enc_s1_conv1" in names


@pytest.mark.parametrize(
    "kwargs",
    [
        {"downsample": "avgpool"},
        {"downsamples": 5},
        {"convs_per_stage": (1,)},
    ],
)
def test_bad_builder_arguments(kwargs):
    with pytest.raises(ValueError):
        Mo.build_encoder(input_shape=(16, 16, 1), filters=(4, 8), **kwargs)


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


def test_saved_model_round_trip(tmp_path):
    model = Mo.build_cae("4-6-8", input_shape=(16, 16, 3))
    path = tmp_path / "m.keras"
    model.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    x = np.random.default_rng(0).random((2, 16, 16, 3)).astype(np.float32)
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0), atol=1e-6)
