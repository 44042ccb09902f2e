import keras
import numpy as np
import pytest
import tensorflow as tf

from aeutils import models as Mo
from aeutils import train as T
from aeutils.train import fit


def _tiny():
    enc = Mo.build_encoder(input_shape=(16, 16, 1), filters=(4, 8))
    dec = Mo.build_decoder(latent_shape=enc.output_shape[1:], filters=(4,), output_channels=1)
    return Mo.build_autoencoder(enc, dec)


def _data(n=64):
    return np.random.default_rng(0).random((n, 16, 16, 1)).astype(np.float32)


def test_fit_returns_history_and_reduces_loss():
    x = _data()
    r = T.fit(_tiny, x, validation_data=x[:16], epochs=3, batch_size=16, verbose=0)
    assert r.epochs_run == 3 and set(r.history) >= {"loss", "val_loss"}
    assert r.history["loss"][-1] < r.history["loss"][0]
    assert r.seconds > 0 and 1 <= r.best_epoch <= 3


def test_fit_is_reproducible_with_seed():
    x = _data()
    a = T.fit(_tiny, x, epochs=2, batch_size=16, seed=7, verbose=0)
    b = T.fit(_tiny, x, epochs=2, batch_size=16, seed=7, verbose=0)
    np.testing.assert_allclose(a.history["loss"], b.history["loss"], rtol=1e-5)


def test_fit_traces_the_training_step_once_and_trains_as_keras_would(monkeypatch):
    """Adam's moments exist before the first trace, so TensorFlow traces the step once (it traced it twice when
    they were created inside it); the training is the same with them created inside."""
    traces = []

    class Counted(keras.Model):
        def train_step(self, data):
            traces.append(1)
            return super().train_step(data)

    def build():
        m = _tiny()
        return Counted(m.inputs, m.outputs)

    x = _data()
    a = T.fit(build, x, epochs=2, batch_size=16, seed=3, verbose=0)
    assert len(traces) == 1
    monkeypatch.setattr(T, "build_optimizer", lambda m: False)  # Keras' own way: moments made in the first trace
    b = T.fit(build, x, epochs=2, batch_size=16, seed=3, verbose=0)
    assert len(traces) == 3
    assert a.history["loss"] == b.history["loss"]
    for u, v in zip(a.model.get_weights(), b.model.get_weights()):
        np.testing.assert_array_equal(u, v)


def test_restore_best_puts_back_best_weights():
    x = _data()
    r = T.fit(_tiny, x, validation_data=x[:16], epochs=4, batch_size=16, verbose=0, learning_rate=0.05)
    val = r.model.evaluate(x[:16], x[:16], verbose=0)
    assert val == pytest.approx(min(r.history["val_loss"]), rel=1e-4)


def test_callbacks_need_validation_and_strategy_needs_builder():
    x = _data(8)
    with pytest.raises(ValueError, match="validation_data"):
        T.fit(_tiny, x, epochs=1, early_stopping_patience=2, verbose=0)
    with pytest.raises(ValueError, match="strategy"):
        T.fit(_tiny(), x, epochs=1, strategy=tf.distribute.OneDeviceStrategy("/cpu:0"), verbose=0)


def test_reduce_lr_and_early_stopping_are_wired():
    x = _data(32)
    r = T.fit(
        _tiny,
        x,
        validation_data=x[:8],
        epochs=6,
        batch_size=16,
        learning_rate=1e-9,
        reduce_lr_patience=1,
        early_stopping_patience=2,
        verbose=0,
    )
    assert r.epochs_run < 6  # no progress at lr 1e-9: early stop
    assert r.history["learning_rate"][-1] < 1e-9


def test_mirrored_strategy_over_two_logical_cpus():
    devices = tf.config.list_logical_devices("CPU")
    assert len(devices) >= 2, "conftest configures two logical CPUs"
    strategy = tf.distribute.MirroredStrategy([d.name for d in devices[:2]])
    x = _data(32)
    r = T.fit(_tiny, x, validation_data=x[:8], epochs=2, batch_size=16, strategy=strategy, verbose=0)
    assert strategy.num_replicas_in_sync == 2
    assert np.isfinite(r.history["loss"]).all()
    assert r.model.predict(x[:2], verbose=0).shape == (2, 16, 16, 1)


def test_fit_takes_a_tf_data_dataset_and_writes_logs(tmp_path):
    x = np.random.default_rng(0).random((16, 8, 8, 1)).astype(np.float32)
    ds = tf.data.Dataset.from_tensor_slices((x, x)).batch(8)
    res = fit(lambda: Mo.build_autoencoder(input_shape=(8, 8, 1), filters=(4,)), ds, validation_data=ds,
              epochs=2, verbose=0, log_dir=tmp_path / "logs")
    assert res.epochs_run == 2 and (tmp_path / "logs" / "history.csv").read_text().count("\n") == 3
    assert len(repr(res)) < 300 and "2 epochs" in repr(res)
    with pytest.raises(ValueError, match="y must be None"):
        fit(Mo.build_autoencoder(input_shape=(8, 8, 1), filters=(4,)), ds, x, epochs=1)


def test_image_set_repr_is_short():
    from aeutils import data

    s = data.load("embedded:digits8x8")
    text = repr(s)
    assert len(text) < 300 and "1797 images of 8x8x1" in text and "10 classes" in text


def test_restart_gives_a_fresh_start_and_needs_a_compiled_model():
    m = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    with pytest.raises(ValueError, match="not compiled"):
        T.restart(m, m.get_weights(), 0.01)
    m.compile(optimizer=keras.optimizers.Adagrad(0.01), loss="mse")  # its accumulators start at 0.1
    with pytest.raises(ValueError, match="Adagrad"):
        T.restart(m, m.get_weights(), 0.01)
    x = np.random.default_rng(0).random((16, 3)).astype("float32")
    start = m.get_weights()
    first = T.fit(m, x, x[:, :2], epochs=2, batch_size=4, learning_rate=0.01, seed=1, verbose=0)
    m.optimizer.learning_rate = 0.5  # as ReduceLROnPlateau would leave it
    again = T.fit(T.restart(m, start, 0.01), x, x[:, :2], epochs=2, batch_size=4, seed=1, verbose=0,
                  compile_model=False)  # fmt: skip
    np.testing.assert_allclose(again.history["loss"], first.history["loss"], rtol=1e-6)
