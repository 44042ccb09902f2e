"""The mixed study's protocol: training, scoring, the source's schedule, PCA and unmixing.

The source paired MNIST digits (gray 28x28, repeated to 3 channels, resized to
32x32) with CIFAR-10 images by index, averaged each pair and trained a small
strided conv autoencoder (:func:`aeutils.models.build_mixed_cae`) on the mean
images, normalised to [-1, 1]. Its data loader held one item, so its 50
"epochs" were 50 full-batch optimiser steps, and it scored SSIM/PSNR on the
normalised values with per-image data ranges.

This module trains the same model properly (minibatches), scores it both on
[0, 1] with a fixed data range and the source's way
(:func:`aeutils.metrics.source_way_metrics`), can repeat the source's 50-step
schedule to show where its figures came from, fits PCA as the linear baseline,
and trains an unmixing model (:func:`aeutils.models.build_unmixer`) that
recovers both images from their mean. Models see values in [-1, 1] (the
source's normalisation, mean 0.5 and std 0.5, applied to the mixed image);
all metrics are computed on [0, 1]. The source's figures live in :data:`SOURCE`.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Mapping

import keras
import numpy as np
import tensorflow as tf

from aeutils import baselines as B
from aeutils import data as D
from aeutils import metrics as M
from aeutils.models import build_mixed_cae, build_unmixer
from aeutils.studies.mixed_mnist_cifar.pairs import PAIRINGS, MixedSet, mixed_train_test
from aeutils.train import TrainResult, fit, predict, set_seed

#: The source report's setting and figures.
SOURCE = {
    "params": 83_619,
    "train_pairs": 50_000,
    "test_pairs": 10_000,
    "epochs": 50,
    "batch_size": 32,
    "learning_rate": 1e-3,
    "optimizer_steps": 50,
    "ssim": 0.2322,
    "psnr_db": 15.62,
    "train_loss_first_last": (0.9747, 0.2641),
    "test_loss_first_last": (0.9674, 0.2609),
}

MODEL_RANGE = (-1.0, 1.0)

#: The notebook's parameters (its ``parameters`` cell without ``metrics_path``), as recorded in its metrics.
PARAMETERS = (
    "first",
    "second",
    "n_train",
    "n_test",
    "pairing",
    "pairing_seed",
    "epochs",
    "batch_size",
    "learning_rate",
    "source_steps",
    "pca_components",
    "unmix_epochs",
    "unmix_width",
    "seed",
)


def check_parameters(values: Mapping) -> dict:
    """Check the notebook's parameters (e.g. its ``globals()``) before any data are loaded.

    Returns:
        The run's parameters as recorded in its metrics (:data:`PARAMETERS`).

    Raises:
        ValueError: an unknown pairing, or a negative count.
    """
    params = {k: values[k] for k in PARAMETERS}
    if params["pairing"] not in PAIRINGS:
        raise ValueError(f"pairing must be one of {PAIRINGS}, got {params['pairing']!r}")
    counts = ("n_train", "n_test", "epochs", "source_steps", "pca_components", "unmix_epochs")
    negative = {k: params[k] for k in counts if params[k] < 0}
    if negative:
        raise ValueError(f"counts must not be negative, got {negative}")
    return params


@dataclasses.dataclass
class MixedData:
    """Training and test mean images with their parts, and how they were made.

    Attributes:
        train: training pairs (:class:`MixedSet`, values in [0, 1]).
        test: test pairs, from images no training pair uses.
        info: the report of :func:`mixed_train_test`.
        source: one line naming both sets, the pairing and the sizes.
    """

    train: MixedSet
    test: MixedSet
    info: dict
    source: str


def prepare(
    first: str = "embedded:mnist5000",
    second: str = "embedded:photo_patches",
    *,
    n_test: int = 800,
    n_train: int | None = None,
    pairing: str = "index",
    seed: int = 0,
) -> MixedData:
    """Load two image sources and make training and test mean images (32x32, 3 channels).

    Args:
        first: source of the first images (the digits), any :func:`aeutils.data.load` source.
        second: source of the second images (the photos).
        n_test: test pairs.
        n_train: training pairs (``None`` or 0: as many as the sets allow).
        pairing: ``"index"`` (the source's rule) or ``"shuffle"``.
        seed: seed of the random splits and of the shuffled pairing.

    Returns:
        A :class:`MixedData`.

    Raises:
        aeutils.data.DataError: unknown source or pairing, or sets too small.
    """
    a, b = D.load(first), D.load(second)
    train, test, info = mixed_train_test(a, b, n_test=n_test, n_train=n_train or None, pairing=pairing, seed=seed)
    source = (
        f"mean images of {a.name} ({a.source}) and {b.name} ({b.source}); "
        f"{info['n_train']} training / {info['n_test']} test pairs; pairing {info['pairing']}"
    )
    return MixedData(train, test, info, source)


def to_model(x) -> np.ndarray:
    """[0, 1] images → the models' [-1, 1] scale (the source's normalisation, mean 0.5, std 0.5)."""
    return D.scale(x, MODEL_RANGE)


def from_model(y) -> np.ndarray:
    """Model outputs in [-1, 1] → [0, 1] (not clipped)."""
    return D.unscale(y, MODEL_RANGE)


def train_autoencoder(
    data: MixedData,
    *,
    epochs: int = 50,
    batch_size: int = 32,
    learning_rate: float = 1e-3,
    seed: int = 0,
    verbose: int | str = 0,
) -> TrainResult:
    """Train the source's model properly: shuffled minibatches, Adam, MSE on [-1, 1].

    The test pairs are passed as validation data only to draw the test-loss
    curve; no weights are chosen on them (the last epoch's weights are kept).

    Returns:
        The :class:`aeutils.train.TrainResult` (history keys ``loss``, ``val_loss``).
    """
    return fit(
        lambda: build_mixed_cae(input_shape=data.train.mixed.shape[1:]),
        to_model(data.train.mixed),
        validation_data=to_model(data.test.mixed),
        epochs=epochs,
        batch_size=batch_size,
        learning_rate=learning_rate,
        restore_best=False,
        seed=seed,
        verbose=verbose,
    )


def train_source_schedule(
    data: MixedData,
    *,
    steps: int = 50,
    learning_rate: float = 1e-3,
    seed: int = 0,
    chunk: int = 2048,
) -> TrainResult:
    """Repeat the source's fault: each "epoch" is one Adam step on the full-batch gradient.

    The full-batch gradient is accumulated over chunks of ``chunk`` images
    (the same gradient as one batch of all training images, in bounded
    memory). As in the source's loop, the training loss of a step is measured
    before the update and the test loss after it. TensorFlow-only
    (``tf.GradientTape``).

    Args:
        data: the mixed images.
        steps: optimiser steps (source: 50).
        learning_rate: Adam learning rate (source: 1e-3).
        seed: weight seed.
        chunk: images per gradient chunk.

    Returns:
        A :class:`aeutils.train.TrainResult` with one history entry per step.

    Raises:
        ValueError: ``steps`` or ``chunk`` below 1.
    """
    if steps < 1 or chunk < 1:
        raise ValueError(f"steps and chunk must be at least 1, got {steps} and {chunk}")
    set_seed(seed)
    model = build_mixed_cae(input_shape=data.train.mixed.shape[1:])
    optimizer = keras.optimizers.Adam(learning_rate)
    x, x_test = to_model(data.train.mixed), to_model(data.test.mixed)
    weights = model.trainable_variables

    @tf.function(reduce_retracing=True)
    def chunk_grad(xb, share):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.square(model(xb, training=True) - xb)) * share
        return loss, tape.gradient(loss, weights)

    @tf.function(reduce_retracing=True)
    def chunk_loss(xb):
        return tf.reduce_sum(tf.reduce_mean(tf.square(model(xb, training=False) - xb), axis=[1, 2, 3]))

    history = {"loss": [], "val_loss": []}
    start = time.perf_counter()
    for _ in range(steps):
        total, grads = 0.0, None
        for i in range(0, len(x), chunk):
            xb = x[i : i + chunk]
            loss, g = chunk_grad(tf.constant(xb), tf.constant(len(xb) / len(x), tf.float32))
            total += float(loss)
            grads = list(g) if grads is None else [a + b for a, b in zip(grads, g)]
        optimizer.apply_gradients(zip(grads, weights))
        test_loss = sum(float(chunk_loss(tf.constant(x_test[i : i + chunk]))) for i in range(0, len(x_test), chunk))
        history["loss"].append(total)
        history["val_loss"].append(test_loss / len(x_test))
    return TrainResult(model, history, time.perf_counter() - start, steps, steps)


def score(reference, prediction, *, model_scale: bool = True) -> dict[str, np.ndarray]:
    """Per-image scores both ways: fixed range on [0, 1] and the source's way.

    Args:
        reference: true images in [0, 1].
        prediction: reconstructions, in the models' [-1, 1] scale when
            ``model_scale`` else in [0, 1].
        model_scale: see ``prediction``.

    Returns:
        ``{"mse", "psnr", "ssim"}`` (on [0, 1], predictions clipped, data range 1)
        and ``{"psnr_source_way", "ssim_source_way", "data_range_source_way"}``.
    """
    pred = from_model(prediction) if model_scale else np.asarray(prediction, dtype=np.float32)
    fixed = M.reconstruction_metrics(reference, pred)
    src = M.source_way_metrics(reference, pred)
    return {
        **fixed,
        "psnr_source_way": src["psnr"],
        "ssim_source_way": src["ssim"],
        "data_range_source_way": src["data_range"],
    }


def source_schedule_losses(history: Mapping) -> str:
    """First and last step's training and test loss of :func:`train_source_schedule`, beside the source's."""
    tr, te = SOURCE["train_loss_first_last"], SOURCE["test_loss_first_last"]
    return (
        f"loss first/last step: training {history['loss'][0]:.4f} → {history['loss'][-1]:.4f}, "
        f"test {history['val_loss'][0]:.4f} → {history['val_loss'][-1]:.4f} "
        f"(source: {tr[0]} → {tr[1]} and {te[0]} → {te[1]})"
    )


def summary_row(run: str, scores: dict, **extra) -> dict:
    """One table row: means (and spread) of :func:`score`'s per-image values, plus ``extra`` columns."""
    row = {
        "run": run,
        "ssim": float(np.mean(scores["ssim"])),
        "ssim_std": float(np.std(scores["ssim"])),
        "psnr_db": float(np.mean(scores["psnr"])),
        "psnr_std": float(np.std(scores["psnr"])),
        "ssim_source_way": float(np.mean(scores["ssim_source_way"])),
        "psnr_source_way_db": float(np.mean(scores["psnr_source_way"])),
        "mse": float(np.mean(scores["mse"])),
    }
    row.update(extra)
    return row


def source_row() -> dict:
    """The source report's figures as a table row (they were computed the source's way)."""
    return {
        "run": "source report (PyTorch, 50 full-batch steps)",
        "ssim": None,
        "ssim_std": None,
        "psnr_db": None,
        "psnr_std": None,
        "ssim_source_way": SOURCE["ssim"],
        "psnr_source_way_db": SOURCE["psnr_db"],
        "mse": None,
        "test_loss_pm1": SOURCE["test_loss_first_last"][1],
    }


def with_ratios(row: dict) -> dict:
    """Add ours/source ratios of SSIM and PSNR (ours on [0, 1]) and of the source-way figures."""
    out = dict(row)
    for ours, key in (
        ("ssim", "ssim"),
        ("psnr_db", "psnr_db"),
        ("ssim_source_way", "ssim"),
        ("psnr_source_way_db", "psnr_db"),
    ):
        value = row.get(ours)
        out[f"{ours}_over_source"] = None if value is None else value / SOURCE[key]
    return out


def pca_reconstruction(data: MixedData, k: int = 1024, *, seed: int = 0) -> tuple[np.ndarray, int]:
    """PCA fitted on the training mean images, applied to the test mean images.

    ``k`` is capped at the number of training images minus one and at the
    number of pixels; the count used is returned.

    Returns:
        ``(reconstructions in [0, 1], k_used)``.
    """
    k_used = int(min(k, len(data.train) - 1, math.prod(data.train.mixed.shape[1:])))
    return B.pca_baseline(data.train.mixed, data.test.mixed, k_used, seed=seed), k_used


def unmix_targets(part: MixedSet) -> np.ndarray:
    """The unmixer's target: both source images stacked on the channel axis, in [-1, 1]."""
    return to_model(np.concatenate([part.first, part.second], axis=-1))


def train_unmixer(
    data: MixedData,
    *,
    epochs: int = 10,
    batch_size: int = 32,
    learning_rate: float = 1e-3,
    width: int = 16,
    seed: int = 0,
    verbose: int | str = 0,
) -> TrainResult:
    """Train :func:`aeutils.models.build_unmixer` (levels ``width, 2*width, 4*width``) with MSE on [-1, 1].

    As for the autoencoder, the test pairs only draw the test-loss curve.

    Raises:
        ValueError: ``width`` below 1.
    """
    if width < 1:
        raise ValueError(f"width must be at least 1, got {width}")
    shape = data.train.mixed.shape[1:]
    weight = data.train.weight
    return fit(
        lambda: build_unmixer(
            input_shape=shape, filters=(width, 2 * width, 4 * width), mix_weights=(weight, 1 - weight)
        ),
        to_model(data.train.mixed),
        unmix_targets(data.train),
        validation_data=(to_model(data.test.mixed), unmix_targets(data.test)),
        epochs=epochs,
        batch_size=batch_size,
        learning_rate=learning_rate,
        restore_best=False,
        seed=seed,
        verbose=verbose,
    )


def unmix(model, mixed) -> tuple[np.ndarray, np.ndarray]:
    """Split [0, 1] mean images with a trained unmixer.

    Returns:
        ``(first, second)`` estimates in [0, 1] (not clipped).
    """
    out = from_model(predict(model, to_model(mixed)))
    c = out.shape[-1] // 2
    return out[..., :c], out[..., c:]


def unmix_scores(part: MixedSet, first, second) -> dict[str, dict[str, np.ndarray]]:
    """Score estimates of both source images (fixed range on [0, 1] and the source's way).

    Returns:
        ``{"first": score dict, "second": score dict}`` as :func:`score` gives.
    """
    return {
        "first": score(part.first, first, model_scale=False),
        "second": score(part.second, second, model_scale=False),
    }


def mixture_as_estimate(part: MixedSet) -> tuple[np.ndarray, np.ndarray]:
    """The trivial unmixing baseline: take the mixture itself for both source images."""
    return part.mixed, part.mixed


TABLE_COLUMNS = (
    "run",
    "ssim",
    "ssim_std",
    "psnr_db",
    "psnr_std",
    "ssim_source_way",
    "psnr_source_way_db",
    "mse",
    "test_loss_pm1",
    "ssim_over_source",
    "psnr_db_over_source",
    "ssim_source_way_over_source",
    "psnr_source_way_db_over_source",
    "train_s",
)


def table_rows(rows: list[dict]) -> list[dict]:
    """Rows limited to :data:`TABLE_COLUMNS` (missing columns as ``None``), for tables and JSON."""
    return [{k: r.get(k) for k in TABLE_COLUMNS} for r in rows]


def headline(ae_row: dict, pca_row: dict, source_schedule_row: dict | None, unmix_rows: list[dict]) -> dict:
    """The notebook's headline metrics from its :func:`summary_row` rows (the optional parts when run)."""
    out = {
        "ssim": ae_row["ssim"],
        "psnr_db": ae_row["psnr_db"],
        "ssim_source_way": ae_row["ssim_source_way"],
        "psnr_source_way_db": ae_row["psnr_source_way_db"],
        "pca_psnr_db": pca_row["psnr_db"],
    }
    if source_schedule_row:
        out["source_schedule_ssim_source_way"] = source_schedule_row["ssim_source_way"]
        out["source_schedule_psnr_source_way_db"] = source_schedule_row["psnr_source_way_db"]
    if unmix_rows:
        out["unmix_first_psnr_db"], out["unmix_second_psnr_db"] = unmix_rows[0]["psnr_db"], unmix_rows[1]["psnr_db"]
    return out
