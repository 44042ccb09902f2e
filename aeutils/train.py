"""One fit helper for every experiment: seeds, tf.data, callbacks (best weights, per-batch values), history."""

from __future__ import annotations

import dataclasses
import os
import time
from collections.abc import Callable
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from aeutils.data import make_dataset


@dataclasses.dataclass
class TrainResult:
    """What :func:`fit` returns.

    Attributes:
        model: the trained model (best validation weights restored if asked).
        history: per-epoch lists, e.g. ``{"loss": [...], "val_loss": [...], "lr": [...]}``.
        seconds: wall time of training.
        epochs_run: epochs actually run (early stopping may cut them).
        best_epoch: 1-based epoch whose weights the model holds, when known.
    """

    model: keras.Model
    history: dict
    seconds: float
    epochs_run: int
    best_epoch: int | None = None

    def __repr__(self) -> str:
        """A one-line summary: model, epochs, best epoch, final losses and time."""
        last = {k: v[-1] for k, v in self.history.items() if k in ("loss", "val_loss") and len(v)}
        losses = ", ".join(f"{k} {v:.4g}" for k, v in last.items())
        best = f", best epoch {self.best_epoch}" if self.best_epoch else ""
        return (f"TrainResult({self.model.name!r}: {self.epochs_run} epochs{best}"
                f"{', ' + losses if losses else ''}, {self.seconds:.1f} s)")


class RestoreBest(keras.callbacks.Callback):
    """Keep the weights of the epoch with the lowest ``monitor`` and restore them at the end.

    Held in memory (no checkpoint file), so runs leave nothing behind.
    """

    def __init__(self, monitor: str = "val_loss"):
        super().__init__()
        self.monitor = monitor
        self.best = np.inf
        self.best_epoch = None
        self.best_weights = None

    def on_epoch_end(self, epoch, logs=None):
        value = (logs or {}).get(self.monitor)
        if value is not None and value < self.best:
            self.best, self.best_epoch = float(value), epoch + 1
            self.best_weights = self.model.get_weights()

    def on_train_end(self, logs=None):
        if self.best_weights is not None:
            self.model.set_weights(self.best_weights)


class BatchValues(keras.callbacks.Callback):
    """Record chosen training logs per batch (Keras logs running means; this recovers each batch's value).

    After ``fit``, ``callback.values[key]`` lists one value per training batch
    over all epochs (e.g. the contractive ``penalty``, batch by batch).

    Args:
        keys: log names to record.
    """

    def __init__(self, keys=("penalty",)):
        super().__init__()
        self.keys = tuple(keys)
        self.values = {k: [] for k in self.keys}
        self._prev = {}

    def on_epoch_begin(self, epoch, logs=None):
        self._prev = {}

    def on_train_batch_end(self, batch, logs=None):
        logs = logs or {}
        n = batch + 1
        for k in self.keys:
            if k not in logs:
                continue
            mean = float(logs[k])
            # Running mean over equal-weight updates: value_n = n*m_n - (n-1)*m_{n-1}.
            self.values[k].append(n * mean - (n - 1) * self._prev.get(k, 0.0))
            self._prev[k] = mean


def set_seed(seed: int) -> None:
    """Seed Python, NumPy and the backend for a reproducible run."""
    keras.utils.set_random_seed(int(seed))


def fit(
    model: keras.Model | Callable[[], keras.Model],
    x,
    y=None,
    *,
    validation_data=None,
    epochs: int = 10,
    batch_size: int = 128,
    learning_rate: float = 1e-3,
    loss="mse",
    metrics=None,
    restore_best: bool = True,
    reduce_lr_patience: int | None = None,
    reduce_lr_factor: float = 0.5,
    early_stopping_patience: int | None = None,
    strategy=None,
    seed: int = 0,
    verbose: int | str = "auto",
    callbacks=(),
    compile_model: bool = True,
    steps_per_epoch: int | None = None,
    log_dir: str | os.PathLike | None = None,
) -> TrainResult:
    """Compile and train a model with Adam, seeded, on arrays through ``tf.data`` (or on a ``tf.data`` dataset).

    Args:
        model: a model, or a function building one. With ``strategy`` it must be
            a function, so the variables are created inside ``strategy.scope()``.
        x: training inputs: an array, a ``tf.data.Dataset`` of ``(inputs, targets)``
            batches (then ``y`` must be ``None`` and ``batch_size`` is the dataset's own), or
            images streamed from disk (:class:`aeutils.data.FileImages`, :class:`aeutils.data.PatchStream`:
            decoded per batch, in the order the same images in memory would be).
        y: training targets; ``None`` means ``x`` (an autoencoder).
        validation_data: ``x_val``, ``(x_val, y_val)`` or a ``tf.data.Dataset``; needed for
            ``restore_best`` and the plateau/early-stop callbacks.
        epochs, batch_size, learning_rate: as usual. With a strategy,
            ``batch_size`` is the global batch.
        loss: Keras loss (ignored when ``compile_model=False``).
        metrics: Keras metrics to log.
        restore_best: keep the weights with the lowest validation loss.
        reduce_lr_patience: if set, ReduceLROnPlateau(``reduce_lr_factor``, patience).
        early_stopping_patience: if set, EarlyStopping on validation loss.
        strategy: a ``tf.distribute.Strategy`` (e.g. MirroredStrategy).
        seed: seeds weights, shuffling and any dropout.
        verbose: Keras progress display.
        callbacks: extra callbacks.
        compile_model: set False for models that compile themselves (e.g. a VAE
            with its own ``train_step``); they are still compiled with Adam if
            not compiled yet.
        steps_per_epoch: batches per epoch, for an endless dataset.
        log_dir: if set, TensorBoard logs and a CSV history (``history.csv``) go there.

    Returns:
        A :class:`TrainResult`.

    Raises:
        ValueError: callbacks that need validation data without it, a
            strategy with a ready-made model, or ``y`` given with a dataset.
    """

    set_seed(seed)
    needs_val = restore_best or reduce_lr_patience or early_stopping_patience
    if needs_val and validation_data is None:
        if reduce_lr_patience or early_stopping_patience:
            raise ValueError("reduce_lr_patience/early_stopping_patience need validation_data")
        restore_best = False
    if strategy is not None and isinstance(model, keras.Model):
        raise ValueError("with a strategy, pass a function that builds the model")

    def build_and_compile():
        m = model() if callable(model) and not isinstance(model, keras.Model) else model
        if compile_model or not getattr(m, "compiled", False):
            kwargs = {"loss": loss, "metrics": metrics} if compile_model else {}
            m.compile(optimizer=keras.optimizers.Adam(learning_rate), **kwargs)
        return m

    if strategy is not None:
        with strategy.scope():
            m = build_and_compile()
    else:
        m = build_and_compile()

    if isinstance(x, tf.data.Dataset):
        if y is not None:
            raise ValueError("with a tf.data dataset, y must be None: the dataset yields (inputs, targets)")
        train_ds = x
    elif hasattr(x, "to_dataset"):  # images streamed from disk (aeutils.data.streaming), in make_dataset's order
        if y is not None:
            raise ValueError("with images streamed from disk, y must be None (an autoencoder's targets are its inputs)")
        train_ds = x.to_dataset(batch_size=batch_size, shuffle=True, seed=seed)
    else:
        train_ds = make_dataset(x, y, batch_size=batch_size, shuffle=True, seed=seed)
    val_ds = None
    if isinstance(validation_data, tf.data.Dataset):
        val_ds = validation_data
    elif hasattr(validation_data, "to_dataset"):
        val_ds = validation_data.to_dataset(batch_size=batch_size)
    elif validation_data is not None:
        vx, vy = validation_data if isinstance(validation_data, tuple) else (validation_data, None)
        val_ds = make_dataset(vx, vy, batch_size=batch_size)

    cbs = list(callbacks)
    best = RestoreBest() if restore_best else None
    if best:
        cbs.append(best)
    if reduce_lr_patience:
        cbs.append(keras.callbacks.ReduceLROnPlateau(factor=reduce_lr_factor, patience=reduce_lr_patience))
    if early_stopping_patience:
        cbs.append(keras.callbacks.EarlyStopping(patience=early_stopping_patience))
    if log_dir is not None:
        Path(log_dir).mkdir(parents=True, exist_ok=True)
        cbs += [
            keras.callbacks.TensorBoard(str(log_dir)),
            keras.callbacks.CSVLogger(str(Path(log_dir) / "history.csv")),
        ]
    start = time.perf_counter()
    hist = m.fit(
        train_ds, validation_data=val_ds, epochs=epochs, callbacks=cbs, verbose=verbose, shuffle=False,
        steps_per_epoch=steps_per_epoch,
    )
    seconds = time.perf_counter() - start
    history = {k: [float(v) for v in vals] for k, vals in hist.history.items()}
    epochs_run = len(next(iter(history.values()), []))
    return TrainResult(
        model=m,
        history=history,
        seconds=seconds,
        epochs_run=epochs_run,
        best_epoch=best.best_epoch if best else epochs_run,
    )


def predict(model: keras.Model, x, *, batch_size: int = 256):
    """Run ``model`` (inference mode) over ``x`` in batches of one size and return NumPy output.

    The model is called eagerly on fixed-size batches (the last one padded with copies of the
    final image, the padding dropped from the output): nothing is traced, so a notebook that
    trains and scores a dozen models prints no ``tf.function`` retracing warnings (Keras'
    ``model.predict`` traces a function per model and batch shape), and no progress bar.

    Returns:
        An array ``(N, ...)``, or a list of arrays for a model with several outputs.

    Example:
    >>> m = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    >>> predict(m, np.ones((5, 2)), batch_size=4).shape
    (5, 1)
    """
    x = np.asarray(x, dtype=np.float32)
    n = len(x)
    if n == 0:
        raise ValueError("predict needs at least one input")
    size = max(1, min(int(batch_size), n))
    pad = -n % size
    xp = np.concatenate([x, np.repeat(x[-1:], pad, axis=0)]) if pad else x
    outs = [model(xp[i : i + size], training=False) for i in range(0, len(xp), size)]
    if isinstance(outs[0], (list, tuple)):
        return [np.concatenate([np.asarray(o[j]) for o in outs])[:n] for j in range(len(outs[0]))]
    return np.concatenate([np.asarray(o) for o in outs])[:n]
