"""One fit helper for every experiment: seeds, tf.data, callbacks, precision, distribution, history.

Throughput (see "Training throughput" in benchmarks/README.md): arrays go through ``tf.data`` (indices shuffled,
whole batches gathered, prefetched), several steps run per ``tf.function`` call when no callback
needs every batch, and ``precision="auto"`` trains in ``mixed_bfloat16`` where the hardware has
native bf16 and a one-batch timing check shows it pays. Distribution: ``strategy=`` (or a
process-wide default from :func:`set_default_strategy` / ``AEUTILS_STRATEGY``, in
:mod:`aeutils.distribute`, re-exported here) takes a
``tf.distribute`` strategy, including ``MultiWorkerMirroredStrategy`` across processes; writers
ask :func:`is_chief`. TensorFlow-only (tf.data, tf.distribute).
"""

from __future__ import annotations

import dataclasses
import logging
import os
import time
from collections.abc import Callable
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from aeutils.data import make_dataset
from aeutils.distribute import (  # noqa: F401  (re-exported: train.is_chief() etc.)
    STRATEGIES,
    agree,
    default_strategy,
    in_multi_worker_mode,
    is_chief,
    make_strategy,
    prepare_multi_worker,
    set_default_strategy,
)

logger = logging.getLogger("aeutils.train")
PRECISIONS = ("float32", "mixed_bfloat16", "auto")
BF16_MIN_SPEEDUP = 1.1  # "auto" picks bf16 only when one batch's step is at least this much faster
_BATCH_HOOKS = ("on_train_batch_begin", "on_train_batch_end", "on_batch_begin", "on_batch_end")


@dataclasses.dataclass
class TrainResult:
    """What :func:`fit` returns.

    Attributes:
        model: the trained model (best validation weights restored if asked).
        history: per-epoch lists, e.g. ``{"loss": [...], "val_loss": [...], "lr": [...]}``.
        seconds: wall time of training.
        epochs_run: epochs actually run (early stopping may cut them).
        best_epoch: 1-based epoch whose weights the model holds, when known.
        precision: the precision trained in, ``"float32"`` or ``"mixed_bfloat16"``.
        precision_reason: why (what ``"auto"`` found, or "asked").
    """

    model: keras.Model
    history: dict
    seconds: float
    epochs_run: int
    best_epoch: int | None = None
    precision: str = "float32"
    precision_reason: str = "asked"

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


# --- precision ---------------------------------------------------------------------------------


def native_bf16() -> tuple[bool, str]:
    """Whether this machine computes bfloat16 natively, and where that was read.

    A GPU of compute capability 8.0 or more, or a CPU whose ``/proc/cpuinfo`` flags include
    ``avx512_bf16`` or ``amx_bf16``.

    Returns:
        ``(True/False, reason)``.
    """
    for gpu in tf.config.list_physical_devices("GPU"):
        cc = tf.config.experimental.get_device_details(gpu).get("compute_capability")
        if cc and tuple(cc) >= (8, 0):
            return True, f"GPU compute capability {cc[0]}.{cc[1]}"
    try:
        flags = set()
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("flags"):
                flags.update(line.split(":", 1)[1].split())
    except OSError:
        return False, "no /proc/cpuinfo to read CPU flags from"
    found = sorted(flags & {"avx512_bf16", "amx_bf16"})
    if found:
        return True, f"CPU flags {', '.join(found)}"
    return False, "no native bf16 (CPU has neither avx512_bf16 nor amx_bf16, no bf16 GPU)"


def _float32_outputs(model) -> None:
    """Compute the layers that produce a model's outputs in float32, so the loss sees float32."""
    outputs = getattr(model, "outputs", None)
    if not outputs:  # a subclassed model: Keras' loss still casts its inputs to float32
        return
    for t in outputs:
        history = getattr(t, "_keras_history", None)
        op = history[0] if history else None
        if isinstance(op, keras.Model):
            _float32_outputs(op)
        elif isinstance(op, keras.layers.Layer):
            op.dtype_policy = "float32"


def _build(builder, policy: str, strategy=None):
    """Build with ``builder`` under the global dtype ``policy`` (restored after) and ``strategy``."""
    previous = keras.mixed_precision.global_policy()
    keras.mixed_precision.set_global_policy(policy)
    try:
        if strategy is not None:
            with strategy.scope():
                m = builder()
        else:
            m = builder()
    finally:
        keras.mixed_precision.set_global_policy(previous)
    if policy != "float32":
        _float32_outputs(m)
    return m


def _step(m, batch) -> tuple[float, float]:
    """Wall and process CPU seconds of one training step."""
    t, c = time.perf_counter(), time.process_time()
    m.train_on_batch(*batch)
    return time.perf_counter() - t, time.process_time() - c


def bf16_pays(builder, batch, *, min_speedup: float = BF16_MIN_SPEEDUP, reps: int = 5) -> tuple[bool, str]:
    """Time one batch's training step in float32 and in ``mixed_bfloat16``; bf16 pays if ``min_speedup`` faster.

    The two models' steps alternate ``reps`` times after a traced warm-up, and each keeps its
    fastest step. On a CPU the decision uses the process's CPU time per step (all threads): on
    cores shared with other processes a step's wall time mostly measures their load (one check
    on a loaded 2-core Xeon read 1.09x by wall time, where whole epochs of the same run took 1.5x
    less CPU time in bf16);
    with a GPU it uses wall time, since the GPU's work is not CPU time.

    Args:
        builder: a function returning a compiled model (called once per precision).
        batch: ``(x, y)`` of one training batch.
        min_speedup: float32 step time / bf16 step time needed.

    Returns:
        ``(pays, reason)`` with both step times, wall and CPU, in the reason.
    """
    m32, m16 = _build(builder, "float32"), _build(builder, "mixed_bfloat16")
    _step(m32, batch), _step(m16, batch)  # trace
    times = [(_step(m32, batch), _step(m16, batch)) for _ in range(reps)]
    wall32, wall16 = min(a[0] for a, _ in times), min(b[0] for _, b in times)
    cpu32, cpu16 = min(a[1] for a, _ in times), min(b[1] for _, b in times)
    gpu = bool(tf.config.list_physical_devices("GPU"))
    speedup = wall32 / wall16 if gpu else cpu32 / max(cpu16, 1e-9)
    pays = speedup >= min_speedup
    return pays, (
        f"one batch: float32 {1e3 * wall32:.1f} ms, bf16 {1e3 * wall16:.1f} ms ({wall32 / wall16:.2f}x) wall; "
        f"CPU {1e3 * cpu32:.1f} ms and {1e3 * cpu16:.1f} ms ({cpu32 / max(cpu16, 1e-9):.2f}x); "
        f"decided on {'wall' if gpu else 'CPU'} time"
    )


_precision_cache: dict = {}


def choose_precision(precision: str, builder=None, batch=None, *, strategy=None, key=None) -> tuple[str, str]:
    """Resolve ``precision`` (``"float32"``, ``"mixed_bfloat16"`` or ``"auto"``) to a policy and a reason.

    ``"auto"`` picks ``mixed_bfloat16`` only where :func:`native_bf16` holds and
    :func:`bf16_pays` on ``batch`` (needs ``builder``); the answer is kept per ``key``
    (model, input shape, batch size), so a study that trains the same model many times
    times it once. Under a multi-worker strategy all workers must agree on bf16.

    Raises:
        ValueError: an unknown precision.

    Example:
    >>> choose_precision("float32")
    ('float32', 'asked')
    """
    if precision not in PRECISIONS:
        raise ValueError(f"unknown precision {precision!r}; choose one of {', '.join(PRECISIONS)}")
    if precision != "auto":
        return precision, "asked"
    if key is not None and key in _precision_cache:
        return _precision_cache[key]
    native, why = native_bf16()
    if not native:
        choice = ("float32", why)
    elif builder is None or batch is None:
        choice = ("float32", f"{why}, but no builder to time (pass a function that builds the model)")
    else:
        pays, timing = bf16_pays(builder, batch)
        if in_multi_worker_mode(strategy):
            pays = agree(strategy, pays)
        choice = ("mixed_bfloat16" if pays else "float32", f"{why}; {timing}")
    if key is not None:
        _precision_cache[key] = choice
    return choice


def fresh_tracing_counts() -> bool:
    """Restart TensorFlow's frequent-retracing count for Keras' train, test and predict functions.

    Every new model traces its own ``tf.function`` once, but TensorFlow's detector keys its
    count by the function's *code*, shared by all Keras models, so a notebook that trains
    six small models in a row gets "triggered tf.function retracing" warnings although no
    function was traced twice. :func:`fit` calls this before each fit: the count then covers
    one model's fit, and real retracing inside it still warns. Other functions' counts are
    untouched.

    Returns:
        Whether the counts were found (``False`` if a TensorFlow or Keras version moved them).
    """
    try:
        from keras.src.backend.tensorflow.trainer import TensorFlowTrainer
        from tensorflow.python.eager.polymorphic_function import polymorphic_function as pf

        manager = pf._frequent_tracing_detector_manager
        codes = [
            c
            for maker in (TensorFlowTrainer._make_function, TensorFlowTrainer.make_predict_function)
            for c in maker.__code__.co_consts
            if hasattr(c, "co_name")
        ]
        with manager._lock:
            for code in codes:
                manager._detectors.pop(code, None)
        return True
    except (ImportError, AttributeError, TypeError):
        return False


def build_optimizer(model: keras.Model) -> bool:
    """Create a compiled model's optimizer variables (Adam's moments) now, before its training step is traced.

    Without a distribution strategy Keras creates them inside the first traced step, and a
    ``tf.function`` that creates variables is traced a second time: about 1 s a model on 2 CPU
    cores, a quarter of a small model's fit. :func:`fit` calls it; training is the same either way
    (the variables start at zero).

    Returns:
        Whether it built them (not for a model without an optimizer, one whose optimizer is built,
        or a model not built yet: its variables do not exist before its first call).

    Example:
    >>> m = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    >>> m.compile(optimizer="adam", loss="mse")
    >>> build_optimizer(m), len(m.optimizer.variables), build_optimizer(m)
    (True, 6, False)
    """
    opt = getattr(model, "optimizer", None)
    if opt is None or opt.built or not model.built or not model.trainable_variables:
        return False
    opt.build(model.trainable_variables)
    return True


def _first_batch(ds):
    x, *rest = next(iter(ds.take(1)))
    return x, (rest[0] if rest else x)


def _per_batch_callbacks(callbacks) -> bool:
    base = keras.callbacks.Callback
    return any(getattr(type(c), h, None) is not getattr(base, h) for c in callbacks for h in _BATCH_HOOKS)


# --- fit ---------------------------------------------------------------------------------------


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
    precision: str = "float32",
    steps_per_execution: int | None = None,
    seed: int = 0,
    verbose: int | str = "auto",
    callbacks=(),
    compile_model: bool = True,
    steps_per_epoch: int | None = None,
    log_dir: str | os.PathLike | None = None,
) -> TrainResult:
    """Compile and train a model with Adam, seeded, on arrays through ``tf.data`` (or on a ``tf.data`` dataset).

    Args:
        model: a model, or a function building one. With ``strategy`` or a precision other
            than float32 it must be a function, so the variables are created inside
            ``strategy.scope()`` and under the dtype policy.
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
        strategy: a ``tf.distribute.Strategy`` (e.g. MirroredStrategy, MultiWorkerMirroredStrategy);
            ``None`` uses :func:`default_strategy` (none unless set). Every worker of a
            multi-worker run calls ``fit`` with the same data and seed.
        precision: ``"float32"``, ``"mixed_bfloat16"`` (variables float32, compute bf16, the
            output layers and the loss float32) or ``"auto"`` (see :func:`choose_precision`);
            the global dtype policy is restored afterwards.
        steps_per_execution: training steps per ``tf.function`` call; ``None`` = up to 16 when
            no callback needs every batch (e.g. :class:`BatchValues`) and no strategy, else 1.
        seed: seeds weights, shuffling and any dropout.
        verbose: Keras progress display.
        callbacks: extra callbacks.
        compile_model: set False for models that compile themselves (e.g. a VAE
            with its own ``train_step``); they are still compiled with Adam if
            not compiled yet.
        steps_per_epoch: batches per epoch, for an endless dataset.
        log_dir: if set, TensorBoard logs and a CSV history (``history.csv``) go there
            (the chief's only, in a multi-worker run).

    Returns:
        A :class:`TrainResult` (with the precision chosen and why, also logged).

    Raises:
        ValueError: callbacks that need validation data without it, a strategy or bf16 with a
            ready-made model, ``y`` given with a dataset, an unknown precision.
    """

    set_seed(seed)
    needs_val = restore_best or reduce_lr_patience or early_stopping_patience
    if needs_val and validation_data is None:
        if reduce_lr_patience or early_stopping_patience:
            raise ValueError("reduce_lr_patience/early_stopping_patience need validation_data")
        restore_best = False
    ready_made = isinstance(model, keras.Model)
    if strategy is None and not ready_made:
        strategy = default_strategy()
    if strategy is not None and ready_made:
        raise ValueError("with a strategy, pass a function that builds the model")
    if precision == "mixed_bfloat16" and ready_made:
        raise ValueError("precision='mixed_bfloat16' needs a function that builds the model (under the policy)")

    def build_and_compile():
        m = model if ready_made else model()
        if compile_model or not getattr(m, "compiled", False):
            kwargs = {"loss": loss, "metrics": metrics} if compile_model else {}
            m.compile(optimizer=keras.optimizers.Adam(learning_rate), **kwargs)
        build_optimizer(m)
        return m

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
    multi_worker = in_multi_worker_mode(strategy)
    if multi_worker:
        # In-memory data has no files to shard by: every worker builds the same seeded
        # pipeline and keeps its share of each global batch.
        options = tf.data.Options()
        options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
        train_ds = train_ds.with_options(options)
        val_ds = val_ds.with_options(options) if val_ds is not None else None

    if ready_made:
        chosen, reason = choose_precision(precision, None, None)
    else:
        key = (getattr(model, "__qualname__", None), tuple(train_ds.element_spec[0].shape), batch_size,
               compile_model, str(loss), multi_worker)
        chosen, reason = choose_precision(
            precision, build_and_compile, _first_batch(train_ds) if precision == "auto" else None,
            strategy=strategy, key=key,
        )
    if precision != "float32":
        logger.info("precision %s (%s)", chosen, reason)
    set_seed(seed)  # the timing check (if any) drew from the generators: same weights as without it
    m = build_and_compile() if ready_made else _build(build_and_compile, chosen, strategy)

    if multi_worker:
        prepare_multi_worker(m, strategy)
    cbs = list(callbacks)
    if steps_per_execution is None:
        # Keras 3.15's multi-step loop fails under tf.distribute ("must feed a value for placeholder"
        # in while/cond), so a strategy runs one step per call.
        steps_per_execution = 1 if _per_batch_callbacks(cbs) or strategy is not None else 16
        if steps_per_epoch:
            steps_per_execution = min(steps_per_execution, int(steps_per_epoch))
    if getattr(m, "steps_per_execution", 1) != int(steps_per_execution):
        m.steps_per_execution = int(steps_per_execution)
        m.train_function = m.test_function = m.predict_function = None  # traced for the old value
    best = RestoreBest() if restore_best else None
    if best:
        cbs.append(best)
    if reduce_lr_patience:
        cbs.append(keras.callbacks.ReduceLROnPlateau(factor=reduce_lr_factor, patience=reduce_lr_patience))
    if early_stopping_patience:
        cbs.append(keras.callbacks.EarlyStopping(patience=early_stopping_patience))
    if log_dir is not None and is_chief(strategy):
        Path(log_dir).mkdir(parents=True, exist_ok=True)
        cbs += [
            keras.callbacks.TensorBoard(str(log_dir)),
            keras.callbacks.CSVLogger(str(Path(log_dir) / "history.csv")),
        ]
    fresh_tracing_counts()
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
        precision=chosen,
        precision_reason=reason,
    )


#: Optimizers whose every variable (step, moments) starts at zero, so :func:`restart` can reset them.
ZERO_START_OPTIMIZERS = (keras.optimizers.Adam, keras.optimizers.AdamW, keras.optimizers.SGD, keras.optimizers.RMSprop)


def restart(model: keras.Model, weights, learning_rate: float) -> keras.Model:
    """Put a compiled model back to its start: ``weights``, its optimizer at step 0 (zero moments, ``learning_rate``).

    Training it again with :func:`fit` (``compile_model=False``) then does what a model built with
    ``weights`` and compiled anew does, but keeps the training and validation steps Keras traced for
    it: on 2 CPU cores tracing costs about 1 s a model (0.8 s of a 3 s fit of an anomaly detector of
    :mod:`aeutils.studies.autoencoder_family`, one per class, which use it).

    Raises:
        ValueError: a model that is not compiled, or an optimizer whose state does not start at zero
            (only those of :data:`ZERO_START_OPTIMIZERS` are reset; :func:`fit` uses Adam).

    Example:
    >>> m = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    >>> m.compile(optimizer=keras.optimizers.Adam(0.01), loss="mse")
    >>> start = m.get_weights()
    >>> _ = m.fit(np.ones((4, 2)), np.ones((4, 1)), epochs=2, verbose=0)
    >>> m = restart(m, start, 0.01)
    >>> int(m.optimizer.iterations), all((a == b).all() for a, b in zip(m.get_weights(), start))
    (0, True)
    """
    if not getattr(model, "compiled", False) or model.optimizer is None:
        raise ValueError(f"restart needs a compiled model; {model.name} is not compiled")
    if not isinstance(model.optimizer, ZERO_START_OPTIMIZERS):
        names = ", ".join(o.__name__ for o in ZERO_START_OPTIMIZERS)
        raise ValueError(f"restart resets optimizers whose state starts at zero ({names}); "
                         f"{model.name} has {type(model.optimizer).__name__}")  # fmt: skip
    model.set_weights(weights)
    for v in model.optimizer.variables:
        v.assign(tf.zeros(v.shape, v.dtype))
    model.optimizer.learning_rate = learning_rate
    return model


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

