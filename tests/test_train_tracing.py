"""fit's training of several new models in a row gives no false "retracing" warnings; real retracing still warns."""

import logging

import keras
import numpy as np
import tensorflow as tf

from aeutils import train as T


class _Collect(logging.Handler):
    def __init__(self):
        super().__init__()
        self.messages = []

    def emit(self, record):
        self.messages.append(record.getMessage())


def _tiny():
    inp = keras.Input((8, 8, 1))
    out = keras.layers.Conv2D(1, 3, padding="same")(keras.layers.Conv2D(2, 3, padding="same")(inp))
    return keras.Model(inp, out)


def _retracing(messages):
    return [m for m in messages if "triggered tf.function retracing" in m]


def test_six_new_models_in_a_row_log_no_retracing_warning():
    x = np.random.default_rng(0).uniform(size=(40, 8, 8, 1)).astype("float32")
    handler = _Collect()
    logging.getLogger("tensorflow").addHandler(handler)
    try:
        for seed in range(6):
            T.fit(_tiny, x, validation_data=(x[:8], x[:8]), epochs=1, batch_size=16, seed=seed, verbose=0)
    finally:
        logging.getLogger("tensorflow").removeHandler(handler)
    assert T.fresh_tracing_counts()
    assert _retracing(handler.messages) == []


def test_a_function_that_really_retraces_still_warns_across_a_fit():
    x = np.random.default_rng(0).uniform(size=(16, 8, 8, 1)).astype("float32")

    @tf.function
    def square(t):
        return t * t

    handler = _Collect()
    logging.getLogger("tensorflow").addHandler(handler)
    try:
        for n in range(1, 4):
            square(tf.zeros((n,)))
        T.fit(_tiny, x, epochs=1, batch_size=16, verbose=0)
        for n in range(4, 8):
            square(tf.zeros((n, n)))  # new rank and shapes: a trace per call
    finally:
        logging.getLogger("tensorflow").removeHandler(handler)
    assert any("square" in m for m in _retracing(handler.messages))
