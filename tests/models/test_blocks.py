"""Encoder/decoder builders, the latent-size formula, layer names and bad arguments."""

import numpy as np
import pytest

from aeutils import models as Mo


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


def test_encoder_of_and_decoder_of_find_the_parts_of_every_kind_of_model():
    plain = Mo.build_plain_autoencoder(input_shape=(8, 8, 1), latent_dim=2, filters=(2,))
    vae = Mo.build_vae(input_shape=(8, 8, 1), latent_dim=2, filters=(2,), hidden_units=None)
    sparse = Mo.build_sparse_autoencoder(input_shape=(8, 8, 1), latent_dim=2, filters=(2,))
    for model in (plain, vae, sparse):
        assert Mo.encoder_of(model).name == "encoder"
        assert Mo.decoder_of(model).name == "decoder"
    assert Mo.encoder_of(vae) is vae.encoder and Mo.decoder_of(sparse) is sparse.decoder
    enc = Mo.encoder_of(plain)
    assert Mo.encoder_of(enc) is enc  # an encoder is its own encoder
    with pytest.raises(ValueError, match="no 'encoder'"):
        Mo.encoder_of(enc, strict=True)


@pytest.mark.parametrize("downsample", ["stride", "maxpool"])
@pytest.mark.parametrize("shape", [(28, 28, 1), (32, 24, 3), (16, 16, 4)])
@pytest.mark.parametrize("latent_dim", [None, 5])
def test_one_call_autoencoder_mirrors_any_shape(shape, downsample, latent_dim):
    ae = Mo.build_autoencoder(input_shape=shape, filters=(4, 8), latent_dim=latent_dim, downsample=downsample)
    assert ae.output_shape[1:] == shape  # gray in, gray out; any channel count
    x = np.random.default_rng(0).random((2, *shape)).astype(np.float32)
    assert ae.predict(x, verbose=0).shape == x.shape


def test_mismatched_halves_name_the_argument_to_change():
    enc = Mo.build_encoder(input_shape=(64, 64, 1), filters=(8, 16))  # maxpool: halves once
    dec = Mo.build_decoder(latent_shape=(32, 32, 16), filters=(16, 8))  # doubles twice, 3 channels
    with pytest.raises(ValueError, match="change the decoder's upsamplings to 1"):
        Mo.build_autoencoder(enc, dec)
    dec = Mo.build_decoder(latent_shape=(32, 32, 16), filters=(8,), upsamplings=1)
    with pytest.raises(ValueError, match="output_channels=1"):
        Mo.build_autoencoder(enc, dec)
    dec = Mo.build_decoder(latent_shape=(16, 16, 16), filters=(8,), upsamplings=1, output_channels=1)
    with pytest.raises(ValueError, match=r"latent_shape=\(32, 32, 16\)"):
        Mo.build_autoencoder(enc, dec)
    ok = Mo.build_decoder(latent_shape=(32, 32, 16), filters=(8,), upsamplings=1, output_channels=1)
    assert Mo.build_autoencoder(enc, ok).output_shape == (None, 64, 64, 1)
    with pytest.raises(ValueError, match="not divisible"):
        Mo.build_autoencoder(input_shape=(30, 30, 1), filters=(4, 8))
    with pytest.raises(ValueError, match="either encoder and decoder"):
        Mo.build_autoencoder(enc)
