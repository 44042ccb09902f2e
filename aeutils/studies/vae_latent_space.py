"""The VAE latent-space study (source report 3): notebook ``vae_latent_space`` and ``benchmarks/vae_mnist.py``.

Part 1 trains a 2-D VAE on MNIST and reports the held-out negative ELBO next to
the two public references (:data:`REFERENCES`, their one home). Part 2 trains
the size-adaptive photo VAE (:func:`aeutils.models.build_image_vae`) on a stream
of random crops (:func:`fit_photo_vae`). This module holds those steps, the
notebook's parameter checks and its headline; the models, the latent tools and
the plots are the toolkit's.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Mapping

import keras

from aeutils import data as D
from aeutils import latent, models


@dataclasses.dataclass(frozen=True)
class Reference:
    """A public MNIST VAE figure (``../shared/SOURCES.md``), in nats per image.

    Attributes:
        label: row name in the notebook's table.
        description: what the figure is, for the benchmark's verdict line.
        value: negative ELBO (or loss) in nats per image.
        held_out: ``True`` for a test-set figure, ``False`` for a training loss.
    """

    label: str
    description: str
    value: float
    held_out: bool


#: The public references by data variant: ``"grey"`` (grey levels, Bernoulli/BCE
#: likelihood, as keras.io) and ``"binary"`` (pixels thresholded at 0.5, as the
#: TensorFlow CVAE tutorial). Both use a 2-D latent.
REFERENCES: dict[str, Reference] = {
    "grey": Reference(
        "keras.io VAE (30 epochs, 70k, grey)", "keras.io training loss, 30 epochs on 70k", 146.95, held_out=False
    ),
    "binary": Reference(
        "TF CVAE tutorial (10 epochs, binarised)", "TF CVAE tutorial test ELBO, 10 epochs", 156.0, held_out=True
    ),
}

#: How the notebook picks digit pairs for the strips.
PAIRS_BY = ("label", "index")

#: The notebook's parameters (its ``parameters`` cell without ``metrics_path``), as recorded in its metrics.
PARAMETERS = (
    "mnist",
    "mnist_limit",
    "binarize",
    "layout",
    "mnist_epochs",
    "mnist_batch_size",
    "grid_n",
    "pairs",
    "pairs_by",
    "steps",
    "interpolation",
    "images",
    "size",
    "latent_dim",
    "epochs",
    "crops",
    "batch_size",
    "learning_rate",
    "image_pairs",
    "beta",
    "seed",
)


def check_parameters(values: Mapping) -> dict:
    """Check the notebook's parameters (e.g. its ``globals()``) before any training.

    Refuses a photo size that is not 8 times a power of two
    (:func:`aeutils.models.image_vae_filters`), an unknown MNIST layout
    (:data:`aeutils.models.VAE_MNIST_LAYOUTS`), interpolation
    (:data:`aeutils.latent.INTERPOLATIONS`) or ``pairs_by`` (:data:`PAIRS_BY`).

    Returns:
        The run's parameters as recorded in its metrics (:data:`PARAMETERS`).

    Raises:
        ValueError: the first bad value, named.
    """
    params = {k: values[k] for k in PARAMETERS}
    models.image_vae_filters(params["size"])
    for option, allowed in (
        ("layout", models.VAE_MNIST_LAYOUTS),
        ("interpolation", latent.INTERPOLATIONS),
        ("pairs_by", PAIRS_BY),
    ):
        if params[option] not in allowed:
            raise ValueError(f"{option} must be one of {sorted(allowed)}, got {params[option]!r}")
    return params


def load_digits(source: str, *, limit: int | None = None, binarize: bool = False, seed: int = 0):
    """Load digits as 28x28 gray images, threshold them at 0.5 if asked, and split them.

    The split keeps the source's official test part when it has one
    (:func:`aeutils.data.split_keeping_test`, 80/10/10 otherwise).

    Returns:
        ``(digits, train, val, test, split_rule)``: the whole :class:`aeutils.data.ImageSet`,
        its three parts and the sentence saying how they were made.
    """
    digits = D.load(source, size=28, grayscale=True, limit=limit, seed=seed)
    if binarize:
        digits = digits.with_images((digits.images > 0.5).astype("float32"))
    train, val, test, split_rule = D.split_keeping_test(digits, (0.8, 0.1, 0.1), seed=seed)
    return digits, train, val, test, split_rule


def reference_rows(elbo: Mapping, scores: Mapping, run: str) -> list[dict]:
    """Our held-out negative ELBO beside :data:`REFERENCES`, as table rows.

    Args:
        elbo: :func:`aeutils.metrics.summarize` of ``scores["negative_elbo"]``.
        scores: :func:`aeutils.latent.evaluate_elbo` on the test digits.
        run: the name of our row (model, epochs, training digits).

    Returns:
        ``[ours, keras.io, TF tutorial]`` with ``run``, ``held-out`` and
        ``negative_elbo_nats``; ours also has ``ci95_half_width``,
        ``reconstruction`` and ``kl``.
    """
    ours = {
        "run": run,
        "held-out": True,
        "negative_elbo_nats": elbo["mean"],
        "ci95_half_width": (elbo["ci95_high"] - elbo["ci95_low"]) / 2,
        "reconstruction": float(scores["reconstruction"].mean()),
        "kl": float(scores["kl"].mean()),
    }
    refs = [{"run": r.label, "held-out": r.held_out, "negative_elbo_nats": r.value} for r in REFERENCES.values()]
    return [ours] + refs


def flatten_features(vae) -> int:
    """Features the photo VAE's encoder flattens before its code (at most 8,192 at any size)."""
    return int(vae.encoder.get_layer("encoder_flatten").output.shape[-1])


@dataclasses.dataclass
class PhotoFit:
    """The photo VAE's training: Keras history, wall seconds, and crops seen per epoch."""

    history: dict
    seconds: float
    crops_per_epoch: int


def fit_photo_vae(
    vae,
    images,
    *,
    epochs: int,
    crops: int,
    batch_size: int,
    learning_rate: float,
    seed: int = 0,
    verbose: int | str = 2,
) -> PhotoFit:
    """Train a photo VAE on a stream of fresh random crops of ``images`` (Adam, the VAE's own loss).

    Each epoch is ``max(1, crops // batch_size)`` batches of
    :func:`aeutils.data.random_crop_dataset` (seeded); no validation, the
    last epoch's weights are kept.

    Args:
        vae: a compiled-or-not :class:`aeutils.models.VAE` (it is compiled here).
        images: the square photos ``(N, S, S, C)`` in [0, 1].
        epochs, crops, batch_size, learning_rate: training.
        seed: crop seed.
        verbose: Keras progress display.

    Returns:
        A :class:`PhotoFit`.
    """
    steps = max(1, crops // batch_size)
    stream = D.random_crop_dataset(images, batch_size=batch_size, seed=seed)
    vae.compile(optimizer=keras.optimizers.Adam(learning_rate))
    start = time.perf_counter()
    history = vae.fit(stream, epochs=epochs, steps_per_epoch=steps, shuffle=False, verbose=verbose).history
    return PhotoFit(history, time.perf_counter() - start, steps * batch_size)


def headline(mnist_neg_elbo: float, photo_psnr_db: float, size: int) -> dict:
    """The notebook's headline: MNIST test negative ELBO, the two references, photo size and PSNR."""
    return {
        "mnist_test_neg_elbo_nats": mnist_neg_elbo,
        "keras_io_train_loss_ref": REFERENCES["grey"].value,
        "tf_tutorial_test_neg_elbo_ref": REFERENCES["binary"].value,
        "photo_size_px": size,
        "photo_psnr_db": photo_psnr_db,
    }
