"""Tests for the autoencoder family's toolkit parts: corruption layer, sparse and contractive penalties, variants.

The study runners are tested in tests/studies/test_autoencoder_family.py.
"""

import keras
import matplotlib
import numpy as np
import pytest
import tensorflow as tf

from aeutils import baselines as B
from aeutils import models as Mo
from aeutils import plotting
from aeutils.models.layers import CORRUPTION_KINDS, Corruption

matplotlib.use("Agg")


def _x(n=8, h=16, w=16, c=1, seed=0):
    return np.random.default_rng(seed).random((n, h, w, c)).astype("float32")


# --- corruption --------------------------------------------------------------


@pytest.mark.parametrize("kind", CORRUPTION_KINDS)
def test_corruption_only_in_training(kind):
    x = np.full((16, 16, 16, 1), 0.5, "float32")
    layer = Corruption(kind, 0.25, seed=0)
    np.testing.assert_array_equal(np.asarray(layer(x)), x)
    np.testing.assert_array_equal(np.asarray(layer(x, training=False)), x)
    y = np.asarray(layer(x, training=True))
    assert y.shape == x.shape and not np.array_equal(y, x)
    assert y.min() >= 0 and y.max() <= 1


def test_corruption_statistics():
    x = np.full((64, 16, 16, 3), 0.5, "float32")
    g = np.asarray(Corruption("gaussian", 0.1, seed=1)(x, training=True))
    assert abs(float((g - x).std()) - 0.1) < 0.005
    m = np.asarray(Corruption("masking", 0.3, seed=1)(x, training=True))
    hit = (m == 0).all(axis=-1)
    assert abs(hit.mean() - 0.3) < 0.02 and ((m == 0).any(axis=-1) == hit).all()  # whole pixels
    s = np.asarray(Corruption("salt_pepper", 0.4, seed=1)(x, training=True))
    assert abs((s != 0.5).all(axis=-1).mean() - 0.4) < 0.02
    assert set(np.unique(s)) == {0.0, 0.5, 1.0}
    b = np.asarray(Corruption("block", 0.25, seed=1)(x, training=True))
    assert ((b == 0).all(axis=-1).sum(axis=(1, 2)) == 64).all()  # an 8x8 square each


def test_corruption_errors_and_config():
    with pytest.raises(ValueError, match="unknown corruption"):
        Corruption("blur")
    with pytest.raises(ValueError, match=r"in \[0, 1\]"):
        Corruption("masking", 1.5)
    with pytest.raises(ValueError, match=">= 0"):
        Corruption("gaussian", -0.1)
    cfg = Corruption("block", 0.2, seed=3, name="c").get_config()
    again = Corruption.from_config(cfg)
    assert (again.kind, again.strength, again.seed) == ("block", 0.2, 3)


def test_denoising_autoencoder_corrupts_in_training_only():
    model = Mo.build_denoising_autoencoder(
        input_shape=(16, 16, 1), latent_dim=4, filters=(4, 8), corruption="masking", strength=0.5, seed=0
    )
    x = _x()
    clean_path = model.get_layer("decoder")(model.get_layer("encoder")(x))
    np.testing.assert_allclose(np.asarray(model(x, training=False)), np.asarray(clean_path), atol=1e-6)
    np.testing.assert_allclose(model.predict(x, verbose=0), np.asarray(clean_path), atol=1e-6)
    assert not np.allclose(np.asarray(model(x, training=True)), np.asarray(clean_path), atol=1e-4)


# --- sparse penalties --------------------------------------------------------


def test_sparsity_penalties_known_values():
    z = np.array([[1.0, -2.0, 0.0], [0.5, 0.0, 0.0]], "float32")
    assert float(Mo.l1_activity(z)) == pytest.approx(1.75)
    half = np.full((4, 3), 0.5, "float32")
    rho, t = 0.5, 0.05
    expected = 3 * (t * np.log(t / rho) + (1 - t) * np.log((1 - t) / (1 - rho)))
    assert float(Mo.kl_sparsity(half, t)) == pytest.approx(expected, rel=1e-5)
    assert float(Mo.kl_sparsity(np.full((4, 3), t, "float32"), t)) == pytest.approx(0.0, abs=1e-6)
    with pytest.raises(ValueError, match="target"):
        Mo.kl_sparsity(half, 1.5)
    act = Mo.code_activity(z, threshold=0.1)
    assert float(act["mean_activation"]) == pytest.approx(3.5 / 6)
    assert float(act["fraction_near_zero"]) == pytest.approx(3 / 6)


def test_sparse_autoencoder_logs_penalty_and_activity():
    model = Mo.build_sparse_autoencoder(input_shape=(16, 16, 1), latent_dim=6, filters=(4, 8), weight=0.1)
    assert model.encoder.layers[-1].name == "encoder_code_act"
    x = _x(16)
    z, pen, stats = model.penalty_terms(x)
    np.testing.assert_allclose(np.asarray(pen), np.abs(np.asarray(z)).sum(axis=1), rtol=1e-5)
    model.compile(optimizer="adam")
    logs = model.evaluate(x, x, batch_size=16, verbose=0, return_dict=True)
    recon = np.mean((model.predict(x, verbose=0) - x) ** 2)
    assert logs["reconstruction_loss"] == pytest.approx(recon, rel=1e-4)
    assert logs["loss"] == pytest.approx(recon + 0.1 * float(np.mean(pen)), rel=1e-4)
    assert 0 <= logs["fraction_near_zero"] <= 1 and logs["mean_activation"] >= 0
    kl = Mo.build_sparse_autoencoder(input_shape=(16, 16, 1), latent_dim=6, filters=(4, 8), penalty="kl")
    assert kl.encoder.layers[-1].get_config()["activation"] == "sigmoid"
    with pytest.raises(ValueError, match="penalty"):
        Mo.build_sparse_autoencoder(input_shape=(16, 16, 1), penalty="l2")


# --- contractive penalty ----------------------------------------------------


def _linear_encoder(units=3, shape=(4, 4, 1)):
    inp = keras.Input(shape)
    z = keras.layers.Dense(units, name="code")(keras.layers.Flatten()(inp))
    return keras.Model(inp, z, name="encoder")


def test_contractive_penalty_of_linear_encoder_is_weight_norm():
    enc = _linear_encoder()
    w = enc.get_layer("code").kernel.numpy()
    x = _x(5, 4, 4)
    _, exact = Mo.jacobian_frobenius_sq(enc, x, method="exact")
    np.testing.assert_allclose(np.asarray(exact), np.sum(w**2), rtol=1e-5)
    _, auto = Mo.jacobian_frobenius_sq(enc, x, method="auto", exact_max_code=2)  # stochastic
    _, est = Mo.jacobian_frobenius_sq(enc, x, method="stochastic", projections=400, seed=keras.random.SeedGenerator(0))
    assert abs(float(np.mean(est)) / np.sum(w**2) - 1) < 0.05
    assert not np.allclose(np.asarray(auto), np.sum(w**2), rtol=1e-5)  # one projection: noisy
    with pytest.raises(ValueError, match="method"):
        Mo.jacobian_frobenius_sq(enc, x, method="finite")


def test_contractive_penalty_is_differentiable():
    enc = _linear_encoder()
    kernel = enc.get_layer("code").kernel
    with tf.GradientTape() as tape:
        _, fro = Mo.jacobian_frobenius_sq(enc, _x(2, 4, 4), method="exact")
        loss = tf.reduce_mean(fro)
    grad = tape.gradient(loss, kernel)
    np.testing.assert_allclose(grad.numpy(), 2 * kernel.numpy(), rtol=1e-4)


def test_contractive_autoencoder_reports_penalty_per_batch():
    enc = _linear_encoder(units=3, shape=(4, 4, 1))
    dec_in = keras.Input((3,))
    dec = keras.Model(dec_in, keras.layers.Reshape((4, 4, 1))(keras.layers.Dense(16)(dec_in)), name="decoder")
    model = Mo.ContractiveAutoencoder(enc, dec, weight=0.5, method="exact")
    w2 = float(np.sum(enc.get_layer("code").kernel.numpy() ** 2))
    model.compile(optimizer=keras.optimizers.SGD(0.0))  # no update: the penalty stays ||W||^2
    rec = Mo.BatchValues(("penalty", "loss"))
    x = _x(12, 4, 4)
    hist = model.fit(x, x, batch_size=4, epochs=2, verbose=0, callbacks=[rec], shuffle=False)
    assert len(rec.values["penalty"]) == 6
    np.testing.assert_allclose(rec.values["penalty"], w2, rtol=1e-4)
    assert hist.history["penalty"][-1] == pytest.approx(w2, rel=1e-4)
    recon = [float(np.mean((model.predict(x[i : i + 4], verbose=0) - x[i : i + 4]) ** 2)) for i in (0, 4, 8)]
    np.testing.assert_allclose(rec.values["loss"][:3], np.array(recon) + 0.5 * w2, rtol=1e-4)


def test_batch_values_recovers_each_batch():
    cb = Mo.BatchValues(("penalty",))
    values = [3.0, 5.0, 1.0]
    cb.on_epoch_begin(0)
    for i in range(3):
        cb.on_train_batch_end(i, {"penalty": float(np.mean(values[: i + 1]))})
    np.testing.assert_allclose(cb.values["penalty"], values, rtol=1e-6)


# --- builders and saving ----------------------------------------------------


def test_build_encoder_decoder_checks_sizes():
    enc, dec = Mo.build_encoder_decoder(input_shape=(16, 16, 3), latent_dim=5, filters=(4, 8))
    assert enc.output_shape == (None, 5) and dec.output_shape == (None, 16, 16, 3)
    with pytest.raises(ValueError, match="divisible"):
        Mo.build_encoder_decoder(input_shape=(18, 18, 1), filters=(4, 8, 8))
    with pytest.raises(ValueError, match="latent_dim"):
        Mo.build_encoder_decoder(input_shape=(16, 16, 1), latent_dim=0)
    enc, dec = Mo.build_encoder_decoder(input_shape=(16, 16, 3), latent_dim=None, filters=(4, 8))
    assert enc.output_shape == (None, 4, 4, 8) and dec.output_shape == (None, 16, 16, 3)
    dae = Mo.build_denoising_autoencoder(
        input_shape=(16, 16, 1), latent_dim=None, filters=(4, 8), output_activation=None
    )
    assert dae.get_layer("decoder").layers[-1].get_config()["activation"] == "linear"


def test_super_resolution_starts_as_bicubic():
    from aeutils.applications import bicubic_upscale

    m = Mo.build_super_resolution(low_res_shape=(8, 8, 3), factor=2, filters=4, convs=1)
    lo = _x(3, 8, 8, 3)
    np.testing.assert_allclose(np.clip(m.predict(lo, verbose=0), 0, 1), bicubic_upscale(lo, 2), atol=1e-5)
    x4 = Mo.build_super_resolution(low_res_shape=(4, 4, 1), factor=4, filters=4, convs=1)
    assert x4.output_shape == (None, 16, 16, 1)
    with pytest.raises(ValueError, match="power of two"):
        Mo.build_super_resolution(low_res_shape=(8, 8, 1), factor=3)
    # Residual blocks and sub-pixel upsampling: still bicubic untrained, at any factor.
    res = Mo.build_super_resolution(low_res_shape=(8, 8, 3), filters=4, convs=1, blocks=2, upsample="subpixel")
    np.testing.assert_allclose(np.clip(res.predict(lo, verbose=0), 0, 1), bicubic_upscale(lo, 2), atol=1e-5)
    assert len([la for la in res.layers if la.name.endswith("_add")]) == 3  # two blocks and the output
    sub4 = Mo.build_super_resolution(low_res_shape=(4, 4, 1), factor=4, filters=4, blocks=1, upsample="subpixel")
    assert sub4.output_shape == (None, 16, 16, 1)
    with pytest.raises(ValueError, match="upsample"):
        Mo.build_super_resolution(low_res_shape=(8, 8, 1), upsample="nearest")
    with pytest.raises(ValueError, match="blocks"):
        Mo.build_super_resolution(low_res_shape=(8, 8, 1), blocks=-1)


def test_pixel_shuffle_is_depth_to_space():
    import tensorflow as tf

    x = _x(2, 3, 4, 12)
    out = Mo.PixelShuffle(2)(x)
    assert tuple(out.shape) == (2, 6, 8, 3)
    np.testing.assert_array_equal(np.asarray(out), tf.nn.depth_to_space(x, 2).numpy())
    with pytest.raises(ValueError, match="factor"):
        Mo.PixelShuffle(1)
    with pytest.raises(ValueError, match="divisible"):
        Mo.PixelShuffle(2)(_x(1, 2, 2, 6))


def test_residual_blocks_dilations():
    inputs = keras.Input((16, 16, 4))
    out = Mo.residual_blocks(inputs, 4, dilations=(1, 2, 4), name="b")
    model = keras.Model(inputs, out)
    rates = [la.dilation_rate[0] for la in model.layers if isinstance(la, keras.layers.Conv2D)]
    assert rates == [1, 1, 2, 2, 4, 4, 1, 1] and model.output_shape == (None, 16, 16, 4)
    assert Mo.residual_blocks(inputs, 0, name="none") is inputs
    x = _x(2, 16, 16, 4)
    np.testing.assert_allclose(model.predict(x, verbose=0), x, atol=1e-6)  # every block starts as the identity


def test_inpainter_keeps_observed_pixels_and_starts_as_normalized_convolution():
    from aeutils import applications as A
    from aeutils.models.layers import NormalizedConvolutionFill, gaussian_kernel_1d

    assert sum(gaussian_kernel_1d(1.3)) == pytest.approx(1.0) and len(gaussian_kernel_1d(1.0)) == 5
    x = _x(3, 8, 10, 3)
    mask = A.make_mask(x.shape, fraction=0.6, seed=1)
    mask[0] = True  # nothing observed: the fill falls back to the (zero) mean
    packed = A.inpainting_input(x, mask)
    reference = B.normalized_convolution_fill(x, mask, sigma=1.3)
    fill = np.asarray(NormalizedConvolutionFill(1.3)(packed))
    np.testing.assert_allclose(np.where(mask, fill, x), reference, atol=1e-6)
    m = Mo.build_inpainter(input_shape=(8, 10, 3), filters=4, convs=2, sigma=1.3, seed=0)
    assert m.input_shape == (None, 8, 10, 4) and m.output_shape == (None, 8, 10, 3)
    np.testing.assert_allclose(m.predict(packed, verbose=0), reference, atol=1e-6)  # untrained: the fill
    # Perturbed weights change the estimate but never an observed pixel.
    m.get_layer("inpainter_residual").set_weights([w + 0.5 for w in m.get_layer("inpainter_residual").get_weights()])
    out = m.predict(packed, verbose=0)
    observed = ~np.broadcast_to(mask, x.shape)
    np.testing.assert_array_equal(out[observed], x[observed])
    assert np.abs(out - reference)[~observed].min() > 0.1
    with pytest.raises(ValueError, match="convs"):
        Mo.build_inpainter(input_shape=(8, 8, 1), convs=0)
    deep = Mo.build_inpainter(input_shape=(8, 10, 3), filters=4, convs=1, blocks=2, dilations=(1, 2), sigma=1.3)
    assert deep.output_shape == (None, 8, 10, 3)
    np.testing.assert_allclose(deep.predict(packed, verbose=0), reference, atol=1e-6)  # untrained: the fill
    with pytest.raises(ValueError, match="dilations"):
        Mo.build_inpainter(input_shape=(8, 8, 1), blocks=1, dilations=(0,))


def test_random_missing_only_in_training():
    from aeutils.models.layers import RandomMissing

    x = np.concatenate([np.full((16, 16, 16, 2), 0.5, "float32"), np.zeros((16, 16, 16, 1), "float32")], -1)
    x[:, 0, 0, 2] = 1.0  # one given missing pixel
    layer = RandomMissing("pixels", 0.3, seed=0)
    y = np.asarray(layer(x))
    np.testing.assert_array_equal(y[..., 2], x[..., 2])
    assert (y[:, 0, 0, :2] == 0).all() and (y[:, 1:, 1:, :2] == 0.5).all()
    t = np.asarray(layer(x, training=True))
    missing = t[..., 2] == 1
    assert missing[:, 0, 0].all() and abs(missing.mean() - 0.3) < 0.02  # the given mask kept, new ones added
    np.testing.assert_array_equal(t[..., :2], np.where(missing[..., None], 0.0, np.full_like(t[..., :2], 0.5)))
    b = np.asarray(RandomMissing("block", 0.25, seed=0)(x, training=True))
    assert ((b[..., 2] == 1).sum(axis=(1, 2)) >= 64).all()
    with pytest.raises(ValueError, match="mask kind"):
        RandomMissing("stripes")
    with pytest.raises(ValueError, match="fraction"):
        RandomMissing("pixels", 1.5)


@pytest.mark.parametrize("which", ["denoising", "sparse", "contractive", "super_resolution", "inpainter"])
def test_variants_save_and_load_safely(tmp_path, which):
    shape = (16, 16, 1)
    model = {
        "denoising": lambda: Mo.build_denoising_autoencoder(
            input_shape=shape, latent_dim=4, filters=(4, 8), corruption="block", strength=0.2, seed=1
        ),
        "sparse": lambda: Mo.build_sparse_autoencoder(
            input_shape=shape, latent_dim=4, filters=(4, 8), penalty="kl", weight=0.2, target=0.1
        ),
        "contractive": lambda: Mo.build_contractive_autoencoder(
            input_shape=shape, latent_dim=4, filters=(4, 8), weight=0.3, method="stochastic", projections=2
        ),
        "super_resolution": lambda: Mo.build_super_resolution(
            low_res_shape=(8, 8, 1), filters=4, convs=1, blocks=1, upsample="subpixel"
        ),
        "inpainter": lambda: Mo.build_inpainter(
            input_shape=shape, filters=4, convs=1, blocks=2, dilations=(1, 2), kind="block", seed=2
        ),
    }[which]()
    if which in ("super_resolution", "inpainter"):  # non-zero output weights, so the comparison sees the body
        last = model.get_layer("super_resolution_detail" if which == "super_resolution" else "inpainter_residual")
        last.set_weights([w + 0.1 for w in last.get_weights()])
    x = {"super_resolution": _x(4, 8, 8), "inpainter": _x(4, 16, 16, 2)}.get(which, _x(4, 16, 16))
    path = tmp_path / f"{which}.keras"
    model.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0), atol=1e-6)
    assert type(loaded) is type(model)
    if which == "sparse":
        assert (loaded.penalty, loaded.weight, loaded.target) == ("kl", 0.2, 0.1)
    if which == "contractive":
        assert (loaded.method, loaded.projections, loaded.weight) == ("stochastic", 2, 0.3)


# --- plotting helpers -----------------------------------------------------------


def test_roc_and_xy_curves():
    fig = plotting.roc_curves({"a": ([0, 0.5, 1], [0, 0.9, 1])}, title="t")
    assert len(fig.axes[0].lines) == 2  # the curve and the chance line
    fig.canvas.draw()  # the legend sits beside the axes, so long score names cover no curve
    assert fig.axes[0].get_legend().get_window_extent().x0 > fig.axes[0].get_window_extent().x1
    fig2 = plotting.xy_curves({"ae": ([2, 8], [13.0, 17.0]), "pca": ([2, 8], [12.0, 14.0])}, logx=True)
    assert len(fig2.axes[0].lines) == 2 and fig2.axes[0].get_xscale() == "log"
    with pytest.raises(ValueError):
        plotting.roc_curves({})
    with pytest.raises(ValueError, match="values"):
        plotting.xy_curves({"a": ([1, 2], [1])})


def test_log_mse_is_the_negative_per_image_psnr():
    from aeutils.models.restoration import log_mse

    truth = np.zeros((2, 4, 4, 1), "float32")
    est = np.stack([np.full((4, 4, 1), 0.1), np.full((4, 4, 1), 0.01)]).astype("float32")
    got = np.asarray(log_mse(truth, est))
    assert got.shape == (2,) and np.allclose(got, [-20.0, -40.0], atol=1e-3)
    assert float(np.asarray(log_mse(truth, truth))[0]) == pytest.approx(-80.0, abs=1e-3)
