"""The VAE latent-space study (source report 3): notebook ``vae_latent_space`` and ``benchmarks/vae_mnist.py``.

Part 1 trains a 2-D VAE on MNIST and reports the held-out negative ELBO next to
the two public references (:data:`REFERENCES`, their one home). Part 2 trains
the size-adaptive photo VAE (:func:`aeutils.models.build_image_vae`) on a stream
of random crops (:func:`fit_photo_vae`) from three quadrants of each photo, the
fourth held out (:func:`photo_regions`). This module holds those steps, the
notebook's parameter checks, the claim computations (:func:`grid_reading`,
:func:`photo_gathering`, :func:`claims`), its table labels and its headline; the
models, the latent tools (the pixel reader, strip end points, nearest-neighbour
hits) and the plots are the toolkit's.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Mapping, Sequence

import keras
import numpy as np

from aeutils import claims as C
from aeutils import data as D
from aeutils import latent, models
from aeutils.train import build_optimizer


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
PAIRS_BY = ("label", "typical", "index")

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
    "kl_warmup",
    "min_confidence",
    "seed",
)

#: Human column names for the notebook's tables.
TABLE_LABELS = {
    "run": "run",
    "held-out": "held-out",
    "negative_elbo_nats": "−ELBO (nats/image)",
    "ci95_half_width": "± 95 % CI (nats)",
    "reconstruction": "reconstruction (nats)",
    "kl": "KL (nats)",
    "digit": "digit",
    "cells": "grid cells read as it",
    "title": "strip",
    "read_start": "t = 0 read as",
    "read_end": "t = 1 read as",
    "read_path": "frames read as (t = 0 … 1)",
    "holds": "both ends right",
}


def labelled(rows: list[dict], columns=None) -> list[dict]:
    """Rows with :data:`TABLE_LABELS` column names (only ``columns``, in that order, when given).

    Example:
    >>> labelled([{"kl": 1.0, "x": 2}], ["kl"])
    [{'KL (nats)': 1.0}]
    """
    return [{TABLE_LABELS.get(k, k): row[k] for k in (columns or row)} for row in rows]


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
    if not 0.0 <= float(params["min_confidence"]) < 1.0:
        raise ValueError(f"min_confidence must be in [0, 1), got {params['min_confidence']!r}")
    if int(params["kl_warmup"]) < 0:
        raise ValueError(f"kl_warmup must be >= 0 epochs, got {params['kl_warmup']!r}")
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
    build_optimizer(vae)  # its training step is then traced once, not twice
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


def grid_reading(reader, grid, *, min_confidence: float = 0.5, labels=range(10)) -> dict:
    """Which labels a pixel reader finds on a decoded grid (:func:`aeutils.latent.latent_grid`).

    A cell counts for a label only when the reader gives that label at least
    ``min_confidence`` probability, so a blur that is "most like an 8" at 20 %
    does not count as an 8.

    Args:
        reader: :func:`aeutils.latent.fit_pixel_reader` trained on the training digits.
        grid: decoded images ``(n, n, H, W, C)`` (or ``(N, H, W, C)``).
        min_confidence: smallest probability for a cell to count.
        labels: the labels to look for (rows of the table).

    Returns:
        ``{"rows": [{"digit", "cells"}], "distinct": labels found, "missing": labels not found,
        "cells": grid cells, "unsure": cells below min_confidence}``.
    """
    read, conf = latent.read_images(reader, grid)
    sure = read[conf >= min_confidence]
    counts = {int(k): int((sure == k).sum()) for k in labels}
    found = [k for k, n in counts.items() if n > 0]
    return {
        "rows": [{"digit": k, "cells": n} for k, n in counts.items()],
        "distinct": found,
        "missing": [k for k, n in counts.items() if n == 0],
        "cells": int(len(read)),
        "unsure": int((conf < min_confidence).sum()),
    }


def photo_regions(images) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Cut each photo ``(2S, 2S)`` into four ``S`` px quadrants; photo ``k`` holds out quadrant ``k % 4``.

    Quadrants are numbered top-left, top-right, bottom-left, bottom-right. The
    held-out quadrant of each photo is never shown to the VAE in training, so
    its crops test whether the latent plane groups *unseen* parts of a photo
    with the photo's other parts (rotating the quadrant avoids always holding
    out, say, the sky).

    Args:
        images: square photos ``(N, 2S, 2S, C)``.

    Returns:
        ``(train, train_photo, held_out, held_out_photo)``: ``(3N, S, S, C)`` and
        ``(N, S, S, C)`` quadrants with the index of the photo each comes from.

    Raises:
        ValueError: non-square images or an odd side.

    Example:
    >>> tr, tp, ho, hp = photo_regions(np.zeros((2, 4, 4, 3)))
    >>> tr.shape, tp.tolist(), ho.shape, hp.tolist()
    ((6, 2, 2, 3), [0, 0, 0, 1, 1, 1], (2, 2, 2, 3), [0, 1])
    """
    x = np.asarray(images, dtype=np.float32)
    if x.ndim != 4 or x.shape[1] != x.shape[2] or x.shape[1] % 2:
        raise ValueError(f"photo_regions needs square photos of even side (N, 2S, 2S, C), got {x.shape}")
    s = x.shape[1] // 2
    train, train_photo, held, held_photo = [], [], [], []
    for k, img in enumerate(x):
        quads = [img[:s, :s], img[:s, s:], img[s:, :s], img[s:, s:]]
        for q, quad in enumerate(quads):
            if q == k % 4:
                held.append(quad)
                held_photo.append(k)
            else:
                train.append(quad)
                train_photo.append(k)
    return np.stack(train), np.array(train_photo), np.stack(held), np.array(held_photo)


def photo_gathering(z_train, photo_train, z_held, photo_held) -> dict:
    """Nearest-neighbour photo accuracy of held-out crops' codes against the training crops' codes.

    Returns:
        ``{"hits": per held-out crop 0/1, "accuracy", "chance"}`` with chance from
        :func:`aeutils.latent.chance_accuracy` (about 1 / number of photos).
    """
    hits = latent.nearest_neighbour_hits(z_train, photo_train, z_held, photo_held)
    return {"hits": hits, "accuracy": float(hits.mean()), "chance": latent.chance_accuracy(photo_train, photo_held)}


def claims(
    grid: Mapping, strips: Sequence[Mapping], gathering: Mapping, *, photos: int,
    reconstruction_accuracy: float | None = None,
) -> list[dict]:
    """The notebook's three claims, from the run's own numbers.

    Args:
        grid: :func:`grid_reading` of the decoded manifold.
        strips: :func:`aeutils.latent.strip_endpoints` of the digit strips.
        gathering: :func:`photo_gathering` of the held-out photo crops.
        photos: number of photos (for the text).
        reconstruction_accuracy: the reader's accuracy on the VAE's reconstructions of the test
            digits (the chance that one strip end reads right), quoted in the strip claim's note.

    Returns:
        ``[manifold shows all ten digits, every strip ends right, held-out crops gather by photo]``
        as :mod:`aeutils.claims` dicts.
    """
    found = len(grid["distinct"])
    ends = sum(bool(s["holds"]) for s in strips)
    missing = ", ".join(map(str, grid["missing"])) or "none"
    hits = np.asarray(gathering["hits"], dtype=np.float64)
    return [
        C.check(
            "the decoded manifold grid shows all ten digits (read by a pixel classifier trained on the training "
            "digits)",
            found == 10,
            ours=found,
            baseline=10,
            unit="digits",
            note=f"{grid['cells']} cells, {grid['unsure']} read with low confidence; missing: {missing}",
        ),
        C.check(
            "every interpolation strip starts at its start digit and ends at its end digit (classifier-read)",
            len(strips) > 0 and ends == len(strips),
            ours=ends,
            baseline=len(strips),
            unit="strips",
            note="; ".join(f"{s['title']}: read {s['read_start']}→{s['read_end']}" for s in strips)
            + ("" if reconstruction_accuracy is None else
               f"; the reader reads {reconstruction_accuracy:.0%} of all test reconstructions as their own digit "
               "(a 2-D code overlaps similar digits such as 4 and 9), so a strip end can fail even when the path is "
               "smooth"),
        ),
        C.beats(
            f"held-out photo crops land nearest to crops of their own photo in the latent plane (beats chance, "
            f"{photos} photos)",
            gathering["accuracy"],
            gathering["chance"],
            unit="accuracy",
            per_image=(hits, np.full_like(hits, gathering["chance"])),
            note="crops of a quadrant of each photo the VAE never saw, 1-nearest neighbour among crops of the "
            "other quadrants",
        ),
    ]
