"""Distribution for :func:`aeutils.train.fit`: strategies by name, a process-wide default, the chief.

``MultiWorkerMirroredStrategy`` runs one process per worker (cluster from ``TF_CONFIG``); Keras
3.15's ``fit`` needs two work-arounds under it (:func:`prepare_multi_worker`), applied only in
that mode. TensorFlow-only (tf.distribute).
"""

from __future__ import annotations

import os

import tensorflow as tf

from aeutils.cluster import STRATEGIES, chief_rule, is_chief_process

_default = {"strategy": None, "spec": None}


def make_strategy(name: str | None):
    """A ``tf.distribute`` strategy by name: ``none`` (``None``), ``mirrored``, ``multi_worker``.

    ``mirrored`` mirrors over every local GPU (the CPU if none); ``multi_worker`` is
    ``MultiWorkerMirroredStrategy``, whose cluster comes from the ``TF_CONFIG`` environment
    variable (one process per worker; create it before other TensorFlow work in the process).

    Raises:
        ValueError: an unknown name.

    Example:
    >>> make_strategy("none") is None
    True
    """
    name = (name or "none").lower().replace("-", "_")
    if name == "none":
        return None
    if name == "mirrored":
        return tf.distribute.MirroredStrategy()
    if name == "multi_worker":
        return tf.distribute.MultiWorkerMirroredStrategy()
    raise ValueError(f"unknown strategy {name!r}; choose one of {', '.join(STRATEGIES)}")


def set_default_strategy(strategy) -> object:
    """Make ``strategy`` (a strategy or a name for :func:`make_strategy`) the default of every :func:`fit`.

    This is how a command (``compare --strategy``) or a notebook run (the ``AEUTILS_STRATEGY``
    environment variable, read at the first ``fit``) trains every model of a study under one
    strategy without threading it through the study's code. ``None`` or ``"none"`` clears it.

    Returns:
        The strategy now in force (``None`` for none).
    """
    if isinstance(strategy, str) or strategy is None:
        _default["spec"] = (strategy or "none").lower()
        strategy = make_strategy(strategy)
    else:
        _default["spec"] = type(strategy).__name__
    _default["strategy"] = strategy
    return strategy


def default_strategy():
    """The strategy :func:`fit` uses when given none (from :func:`set_default_strategy` or ``AEUTILS_STRATEGY``)."""
    if _default["spec"] is None and os.environ.get("AEUTILS_STRATEGY"):
        set_default_strategy(os.environ["AEUTILS_STRATEGY"])
    return _default["strategy"]


def is_chief(strategy=None) -> bool:
    """Whether this process should write reports, models and logs: the chief of a multi-worker cluster.

    Single-process runs are always the chief. Otherwise the chief is the task of type
    ``chief``, or worker 0 when the cluster has no ``chief`` task, as read from ``strategy``'s
    cluster resolver or the ``TF_CONFIG`` environment variable (the rule:
    :func:`aeutils.cluster.chief_rule`, which the report runner uses without TensorFlow).

    Example:
    >>> is_chief()  # no TF_CONFIG here
    True
    """
    resolver = getattr(strategy if strategy is not None else default_strategy(), "cluster_resolver", None)
    if resolver is not None and getattr(resolver, "task_type", None) is not None:
        return chief_rule(resolver.task_type, resolver.task_id, resolver.cluster_spec().as_dict())
    return is_chief_process()


def agree(strategy, vote: bool) -> bool:
    """True only if every replica of ``strategy`` (every worker) voted True, so all build alike."""
    per_replica = strategy.run(lambda: tf.constant(1.0 if vote else 0.0))
    total = float(strategy.reduce(tf.distribute.ReduceOp.SUM, per_replica, axis=None))
    return total >= strategy.num_replicas_in_sync - 0.5


def _symbolic_build_per_worker(m, strategy) -> None:
    """Work around Keras 3.15 under MultiWorkerMirroredStrategy, whose ``fit`` starts by reducing a
    tuple of per-replica batches across workers (``_maybe_symbolic_build``), which the collective
    strategy cannot do ("unsupported type PerReplica"). The build only needs the shapes: take this
    worker's local batch instead."""

    def build(iterator=None, data_batch=None):
        if iterator is not None:
            for _, _, it in iterator:
                data_batch = next(it)
                break
        data_batch = tf.nest.map_structure(
            lambda v: (
                strategy.experimental_local_results(v)[0] if isinstance(v, tf.distribute.DistributedValues) else v
            ),
            data_batch,
        )
        with strategy.scope():
            m._symbolic_build(data_batch=data_batch)

    if hasattr(m, "_maybe_symbolic_build") and hasattr(m, "_symbolic_build"):
        m._maybe_symbolic_build = build


def _patch_keras_multi_worker_reduce() -> None:
    """Work around Keras 3 under MultiWorkerMirroredStrategy (tensorflow/tensorflow#72388): each step's
    logs are scalars, which Keras reduces across workers with ``axis=0`` ("Invalid reduction dimension
    0 for input with 0 dimensions"). Reduce scalars with ``axis=None`` (the mean over workers); all
    else goes to Keras unchanged. Applied only when ``fit`` runs in multi-worker mode."""
    from keras.src.backend.tensorflow import trainer as keras_trainer

    original = keras_trainer.reduce_per_replica
    if getattr(original, "_aeutils_patched", False):
        return

    def reduce_per_replica(values, strategy, reduction):
        if reduction not in ("auto", "mean") or not keras_trainer._collective_all_reduce_multi_worker(strategy):
            return original(values, strategy, reduction)

        def one(v):
            first = v.values[0] if isinstance(v, tf.distribute.DistributedValues) else v
            if getattr(first, "shape", None) is not None and first.shape.rank == 0:
                return strategy.reduce("MEAN", v, axis=None)
            return original(v, strategy, reduction)

        return tf.nest.map_structure(one, values)

    reduce_per_replica._aeutils_patched = True
    keras_trainer.reduce_per_replica = reduce_per_replica


def in_multi_worker_mode(strategy) -> bool:
    """Whether ``strategy`` spans several worker processes."""
    return strategy is not None and strategy.extended._in_multi_worker_mode()


def prepare_multi_worker(model, strategy) -> None:
    """Apply the Keras work-arounds a model needs to ``fit`` under a multi-worker strategy."""
    _symbolic_build_per_worker(model, strategy)
    _patch_keras_multi_worker_reduce()


if os.environ.get("AEUTILS_STRATEGY", "").lower().replace("-", "_") == "multi_worker":
    # Collective ops must be configured before the first TensorFlow op of the process, so a
    # notebook or study run with AEUTILS_STRATEGY=multi_worker gets its strategy at import.
    set_default_strategy("multi_worker")
