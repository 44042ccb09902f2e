"""The VAE model, its sampling layer and builders: loss bookkeeping, save/load, shapes, bad input."""

import math

import keras
import numpy as np
import pytest

from aeutils import models
from aeutils.models import Sampling
from aeutils.train import fit


def tiny_vae(**kwargs):
    args = dict(input_shape=(16, 16, 1), latent_dim=2, filters=(4, 8), hidden_units=8, seed=0)
    args.update(kwargs)
    return models.build_vae(**args)


def digits(n=32, seed=0):
    """Blobs in [0, 1] on 16x16: enough structure for a loss to fall."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:16, 0:16]
    cy, cx = rng.uniform(4, 12, (2, n, 1, 1))
    return np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / 8.0)[..., None].astype("float32")


# ---------------------------------------------------------------------------
# Sampling layer
# ---------------------------------------------------------------------------


def test_sampling_is_seeded_and_uses_the_variance():
    mean = np.zeros((2000, 2), "float32")
    log_var = np.full((2000, 2), np.log(4.0), "float32")  # std 2
    a = np.asarray(Sampling(seed=3)([mean, log_var]))
    b = np.asarray(Sampling(seed=3)([mean, log_var]))
    np.testing.assert_array_equal(a, b)
    assert a.shape == (2000, 2)
    assert abs(a.std() - 2.0) < 0.15
    assert abs(a.mean()) < 0.15


def test_sampling_config_round_trip():
    layer = Sampling(seed=7, name="z")
    clone = Sampling.from_config(layer.get_config())
    assert clone.seed == 7 and clone.name == "z"


# ---------------------------------------------------------------------------
# Builders
# ---------------------------------------------------------------------------


def test_build_vae_names_and_shapes():
    vae = tiny_vae(latent_dim=3)
    assert isinstance(vae, models.VAE) and vae.name == "vae"
    assert vae.encoder.get_layer("z_mean").units == 3
    assert vae.encoder.get_layer("z_log_var").units == 3
    assert vae.encoder.output_shape == [(None, 3), (None, 3)]
    assert vae.decoder.output_shape == (None, 16, 16, 1)
    assert vae.latent_dim == 3
    # Every conv feeds the next (the source applied each to the input).
    conv1 = vae.encoder.get_layer("encoder_conv1")
    assert conv1.input.shape[1:] == (8, 8, 4)


def test_keras_io_layout_has_the_examples_parameter_count():
    vae = models.build_vae(input_shape=(28, 28, 1), **models.VAE_MNIST_LAYOUTS["keras-io"])
    assert vae.encoder.count_params() == 69_076
    assert vae.decoder.count_params() == 65_089


def test_image_vae_filters_grow_with_size():
    assert models.image_vae_filters(64) == (16, 32, 64)
    assert len(models.image_vae_filters(1024)) == 7
    with pytest.raises(ValueError, match="power of two"):
        models.image_vae_filters(100)
    with pytest.raises(ValueError, match="power of two"):
        models.image_vae_filters(4)


@pytest.mark.parametrize("size", [256, 1024])
def test_large_image_vae_keeps_the_flatten_small(size):
    vae = models.build_image_vae(input_shape=(size, size, 3), latent_dim=2)
    flat = vae.encoder.get_layer("encoder_flatten").output.shape[-1]
    assert flat == 8 * 8 * 128
    assert vae.decoder.output_shape == (None, size, size, 3)
    assert vae.count_params() < 3_000_000
    # No full-resolution hidden map in the decoder: the output layer upsamples.
    last_hidden = [layer for layer in vae.decoder.layers if layer.name.startswith("decoder_deconv")][-1]
    assert last_hidden.output.shape[1] == size // 2


def test_image_vae_runs_forward():
    vae = models.build_image_vae(input_shape=(32, 32, 3), base_filters=4, max_filters=8)
    out = np.asarray(vae(np.random.default_rng(0).random((2, 32, 32, 3), dtype="float32")))
    assert out.shape == (2, 32, 32, 3)
    assert out.min() >= 0.0 and out.max() <= 1.0


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(reconstruction="poisson"), "reconstruction must be one of"),
        (dict(beta=-1.0), "beta must be >= 0"),
        (dict(sigma=0.0), "sigma must be > 0"),
        (dict(input_shape=(18, 18, 1)), "not divisible"),
        (dict(filters=()), "at least one"),
        (dict(latent_dim=0), "latent_dim"),
        (dict(output_layer="dense"), "output_layer"),
    ],
)
def test_bad_builder_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        tiny_vae(**kwargs)


def test_vae_refuses_an_encoder_without_mean_and_log_variance():
    inp = keras.Input((16, 16, 1))
    enc = keras.Model(inp, keras.layers.Dense(2)(keras.layers.Flatten()(inp)))
    dec = tiny_vae().decoder
    with pytest.raises(ValueError, match="z_mean, z_log_var"):
        models.VAE(enc, dec)


def test_image_vae_refuses_non_square_input():
    with pytest.raises(ValueError, match="square"):
        models.build_image_vae(input_shape=(64, 32, 3))


# ---------------------------------------------------------------------------
# Loss bookkeeping
# ---------------------------------------------------------------------------


def test_kl_divergence_closed_form():
    kl = models.VAE.kl_divergence(np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 0.0]], "float32"),
                                  np.array([[0.0, 0.0], [0.0, 0.0], [np.log(2.0), 0.0]], "float32"))
    expected = [0.0, 0.5, 0.5 * (2.0 - 1.0 - np.log(2.0))]
    np.testing.assert_allclose(np.asarray(kl), expected, atol=1e-6)


def test_reconstruction_nll_in_nats():
    d = 16 * 16
    x = np.ones((2, 16, 16, 1), "float32")
    half = np.full_like(x, 0.5)
    bern = tiny_vae(reconstruction="bernoulli")
    np.testing.assert_allclose(np.asarray(bern.reconstruction_nll(x, half)), d * math.log(2.0), rtol=1e-5)
    gauss = tiny_vae(reconstruction="gaussian", sigma=0.1)
    exact = np.asarray(gauss.reconstruction_nll(x, x))
    np.testing.assert_allclose(exact, 0.5 * d * math.log(2 * math.pi * 0.01), rtol=1e-5)
    off = np.asarray(gauss.reconstruction_nll(x, x - 0.1))  # one sigma off at every pixel
    np.testing.assert_allclose(off - exact, 0.5 * d, rtol=1e-4)


@pytest.mark.parametrize("reconstruction", ["bernoulli", "gaussian"])
def test_logged_losses_add_up_through_fit(reconstruction):
    beta = 2.5
    x = digits(48)
    vae = tiny_vae(beta=beta, reconstruction=reconstruction)
    result = fit(vae, x[:32], validation_data=x[32:], epochs=2, batch_size=10, compile_model=False, verbose=0)
    h = result.history
    for prefix in ("", "val_"):
        total = np.array(h[prefix + "loss"])
        parts = np.array(h[prefix + "reconstruction_loss"]) + beta * np.array(h[prefix + "kl_loss"])
        np.testing.assert_allclose(total, parts, rtol=1e-5)
    assert all(k >= 0 for k in h["kl_loss"])


def test_training_lowers_the_loss():
    x = digits(64)
    vae = tiny_vae()
    result = fit(vae, x, epochs=6, batch_size=16, learning_rate=3e-3, compile_model=False, verbose=0)
    assert result.history["loss"][-1] < 0.9 * result.history["loss"][0]


def test_call_decodes_the_mean():
    vae = tiny_vae()
    x = digits(4)
    a, b = np.asarray(vae(x)), np.asarray(vae(x))
    np.testing.assert_array_equal(a, b)
    z_mean = np.asarray(vae.encoder(x)[0])
    np.testing.assert_allclose(a, np.asarray(vae.decoder(z_mean)), atol=1e-6)
    np.testing.assert_allclose(vae.encode_mean(x), z_mean, atol=1e-6)


# ---------------------------------------------------------------------------
# Saving
# ---------------------------------------------------------------------------


def test_save_and_load_with_safe_mode(tmp_path):
    x = digits(16)
    vae = tiny_vae(beta=0.5, reconstruction="gaussian", sigma=0.2, seed=11)
    fit(vae, x, epochs=1, batch_size=8, compile_model=False, verbose=0)
    path = tmp_path / "vae.keras"
    vae.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    assert isinstance(loaded, models.VAE)
    assert (loaded.beta, loaded.reconstruction, loaded.sigma, loaded.seed) == (0.5, "gaussian", 0.2, 11)
    np.testing.assert_array_equal(np.asarray(loaded(x)), np.asarray(vae(x)))
    np.testing.assert_array_equal(loaded.encode_mean(x), vae.encode_mean(x))
    # The loaded model can go on training.
    more = fit(loaded, x, epochs=1, batch_size=8, compile_model=False, verbose=0)
    assert np.isfinite(more.history["loss"][0])


def test_kl_warmup_is_off_by_default_and_saved_when_on(tmp_path):
    assert tiny_vae().kl_warmup_steps == 0 and "kl_warmup_steps" not in tiny_vae().get_config()
    with pytest.raises(ValueError, match="kl_warmup_steps"):
        tiny_vae(kl_warmup_steps=-1)
    x = digits(32)
    vae = tiny_vae(kl_warmup_steps=100)
    h = fit(vae, x, epochs=2, batch_size=8, compile_model=False, verbose=0).history
    # The logged loss is still the full objective, whatever the warm-up weight.
    np.testing.assert_allclose(h["loss"], np.array(h["reconstruction_loss"]) + np.array(h["kl_loss"]), rtol=1e-5)
    path = tmp_path / "warm.keras"
    vae.save(path)
    assert keras.saving.load_model(path, safe_mode=True).kl_warmup_steps == 100


def test_kl_warmup_lets_the_code_carry_more_early_on():
    """With beta weighted near 0 the first steps optimise reconstruction: the KL grows more than without warm-up."""
    x = digits(64)
    kl = {}
    for steps in (0, 10_000):
        vae = tiny_vae(kl_warmup_steps=steps)
        h = fit(vae, x, epochs=4, batch_size=16, learning_rate=3e-3, compile_model=False, verbose=0).history
        kl[steps] = h["kl_loss"][-1]
    assert kl[10_000] > kl[0]
