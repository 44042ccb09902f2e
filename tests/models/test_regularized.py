"""Regularised autoencoders: the activity statistic, and saving sparse/contractive/denoising models to .keras."""

import keras
import numpy as np
import pytest

from aeutils import layers as old_layers
from aeutils import models as Mo
from aeutils.train import fit


def test_code_activity_tensor_and_numpy_forms_agree():
    z = np.array([[0.0, 1.0, -0.5], [0.0, 0.001, 0.2]], "float32")
    graph = Mo.code_activity(z, threshold=0.01)
    summary = Mo.code_activity(z, threshold=0.01, numpy=True)
    assert float(graph["mean_activation"]) == pytest.approx(summary["mean_activation"])
    assert float(graph["fraction_near_zero"]) == pytest.approx(summary["fraction_near_zero"]) == 0.5
    assert summary["dead_units"] == 1 and summary["mean_active_units"] == 1.5


def test_old_layers_module_re_exports_the_same_classes():
    assert old_layers.Sampling is Mo.Sampling is Mo.layers.Sampling
    assert old_layers.Corruption is Mo.Corruption


@pytest.mark.parametrize(
    "build, extra",
    [
        (Mo.build_sparse_autoencoder, {"penalty": "kl", "weight": 0.5, "target": 0.1, "threshold": 0.05}),
        (Mo.build_contractive_autoencoder, {"weight": 0.01, "method": "stochastic", "projections": 2, "seed": 3}),
    ],
)
def test_penalised_autoencoders_save_and_load_with_safe_mode(tmp_path, build, extra):
    x = np.random.default_rng(0).random((8, 8, 8, 1)).astype("float32")
    model = build(input_shape=(8, 8, 1), latent_dim=3, filters=(2, 4), **extra)
    fit(model, x, epochs=1, batch_size=4, compile_model=False, verbose=0)
    path = tmp_path / "model.keras"
    model.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    assert type(loaded) is type(model)
    config = model.get_config()
    for key, value in extra.items():
        assert loaded.get_config()[key] == config[key] == value
    np.testing.assert_array_equal(np.asarray(loaded(x)), np.asarray(model(x)))
    more = fit(loaded, x, epochs=1, batch_size=4, compile_model=False, verbose=0)
    assert np.isfinite(more.history["loss"][0])


def test_denoising_autoencoder_saves_its_corruption_layer(tmp_path):
    model = Mo.build_denoising_autoencoder(input_shape=(8, 8, 1), latent_dim=3, filters=(2,),
                                           corruption="salt_pepper", strength=0.2, seed=4)
    path = tmp_path / "dae.keras"
    model.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    layer = loaded.get_layer("corruption")
    assert isinstance(layer, Mo.Corruption) and (layer.kind, layer.strength, layer.seed) == ("salt_pepper", 0.2, 4)
    x = np.random.default_rng(1).random((2, 8, 8, 1)).astype("float32")
    np.testing.assert_array_equal(np.asarray(loaded(x)), np.asarray(model(x)))
