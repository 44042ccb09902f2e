"""aeutils.train.fit's precision option and steps per execution."""

import logging
from pathlib import Path

import keras
import numpy as np
import pytest

from aeutils import models as Mo
from aeutils import train as T


def _tiny():
    return Mo.build_autoencoder(input_shape=(16, 16, 1), filters=(4, 8))


def _data(n=64):
    return np.random.default_rng(0).random((n, 16, 16, 1)).astype(np.float32)


@pytest.fixture(autouse=True)
def _fresh_cache():
    T._precision_cache.clear()
    yield
    T._precision_cache.clear()


def test_bf16_trains_with_float32_outputs_and_restores_the_policy():
    x = _data()
    r = T.fit(_tiny, x, validation_data=x[:16], epochs=3, batch_size=16, verbose=0, learning_rate=3e-3,
              precision="mixed_bfloat16")
    assert r.precision == "mixed_bfloat16" and r.precision_reason == "asked"
    assert keras.mixed_precision.global_policy().name == "float32"
    inner = [layer for layer in r.model.get_layer("encoder").layers if layer.weights]
    assert inner[0].dtype_policy.name == "mixed_bfloat16" and inner[0].kernel.dtype == "float32"
    assert keras.backend.standardize_dtype(r.model(x[:2]).dtype) == "float32"  # the loss sees float32 outputs
    assert r.history["loss"][-1] < r.history["loss"][0]
    # Same weights at the start: bf16 ends close to float32 on this small problem.
    f = T.fit(_tiny, x, validation_data=x[:16], epochs=3, batch_size=16, verbose=0, learning_rate=3e-3)
    assert f.precision == "float32"
    assert r.history["val_loss"][-1] == pytest.approx(f.history["val_loss"][-1], rel=0.05)


def test_auto_says_what_it_chose(monkeypatch, caplog):
    x = _data(32)
    monkeypatch.setattr(T, "native_bf16", lambda: (False, "no native bf16 (test)"))
    with caplog.at_level(logging.INFO, logger="aeutils.train"):
        r = T.fit(_tiny, x, epochs=1, batch_size=16, verbose=0, precision="auto")
    assert r.precision == "float32" and "no native bf16" in r.precision_reason
    assert "precision float32" in caplog.text
    T._precision_cache.clear()
    monkeypatch.setattr(T, "native_bf16", lambda: (True, "CPU flags avx512_bf16 (test)"))
    monkeypatch.setattr(T, "bf16_pays", lambda builder, batch: (True, "one batch: 2.00x (test)"))
    r = T.fit(_tiny, x, epochs=1, batch_size=16, verbose=0, precision="auto")
    assert r.precision == "mixed_bfloat16" and "2.00x" in r.precision_reason
    assert keras.mixed_precision.global_policy().name == "float32"


def test_bf16_pays_times_one_batch():
    x = _data(16)

    def build():
        m = _tiny()
        m.compile(optimizer="adam", loss="mse")
        return m

    pays, reason = T.bf16_pays(build, (x, x), min_speedup=0.0)
    assert pays is True and "float32" in reason and "bf16" in reason and "ms" in reason
    assert "wall" in reason and "CPU" in reason and "decided on" in reason
    assert T.bf16_pays(build, (x, x), min_speedup=1e9)[0] is False


def test_bf16_pays_decides_on_cpu_time_without_a_gpu(monkeypatch):
    x = _data(16)

    def build():
        m = _tiny()
        m.compile(optimizer="adam", loss="mse")
        return m

    # Loaded cores: equal wall times, bf16 costing half the CPU time; then the other way round.
    steps = iter([(0.2, 0.4), (0.2, 0.2)] * 6)
    monkeypatch.setattr(T, "_step", lambda m, batch: next(steps))
    monkeypatch.setattr(T.tf.config, "list_physical_devices", lambda kind=None: [])
    pays, reason = T.bf16_pays(build, (x, x))
    assert pays is True and "(1.00x) wall" in reason and "(2.00x); decided on CPU time" in reason
    steps = iter([(0.2, 0.2), (0.1, 0.2)] * 6)
    assert T.bf16_pays(build, (x, x))[0] is False


def test_native_bf16_reads_cpu_flags():
    native, reason = T.native_bf16()
    flags = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").exists() else ""
    has = "avx512_bf16" in flags or "amx_bf16" in flags
    assert native == has or "GPU" in reason
    assert reason


def test_precision_errors():
    x = _data(8)
    with pytest.raises(ValueError, match="unknown precision"):
        T.fit(_tiny, x, epochs=1, verbose=0, precision="float16")
    with pytest.raises(ValueError, match="builds the model"):
        T.fit(_tiny(), x, epochs=1, verbose=0, precision="mixed_bfloat16")
    r = T.fit(_tiny(), x, epochs=1, verbose=0, precision="auto")  # ready-made: float32, with the reason
    assert r.precision == "float32"


def test_steps_per_execution_same_numbers_and_one_with_batch_callbacks():
    x = _data(64)
    many = T.fit(_tiny, x, epochs=2, batch_size=8, verbose=0)
    assert many.model.steps_per_execution == 16
    one = T.fit(_tiny, x, epochs=2, batch_size=8, verbose=0, steps_per_execution=1)
    np.testing.assert_allclose(many.history["loss"], one.history["loss"], rtol=1e-5)
    values = T.BatchValues(("loss",))
    r = T.fit(_tiny, x, epochs=1, batch_size=8, verbose=0, callbacks=[values])
    assert r.model.steps_per_execution == 1 and len(values.values["loss"]) == 8
