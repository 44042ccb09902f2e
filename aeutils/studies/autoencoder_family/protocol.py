"""The shared protocol of the autoencoder family study: data split, training settings, seeding, parameters.

:class:`FamilyData` splits one image set 80/10/10; :class:`FamilyConfig` holds
the training settings every model shares; :func:`train` and :func:`seeded`
train and build alike; :func:`check_parameters` checks the notebook's
parameters and :func:`headline` gives its headline metrics.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

import numpy as np

from aeutils import applications as A
from aeutils import data as D
from aeutils import metrics as M
from aeutils import models as Mo
from aeutils.params import parse_list
from aeutils.train import fit, set_seed

#: The notebook's parameters (its ``parameters`` cell without ``metrics_path``), as recorded in its metrics.
PARAMETERS = (
    "dataset", "limit", "latent_dim", "filters", "epochs", "batch_size", "learning_rate", "seed",
    "restoration_latent_dim", "noise_kind", "noise_strength", "sparse_penalty", "sparse_weight", "sparse_target",
    "contractive_weight", "contractive_method", "contractive_projections", "betas", "vae_latent_dim",
    "vae_reconstruction", "normal_class", "anomaly_latent_dim", "anomaly_epochs", "target_fpr", "anomaly_score",
    "mask_kind", "mask_fraction", "max_biharmonic", "sr_dataset", "sr_limit", "sr_factor", "sr_filters",
    "code_sizes", "probe_max_train",
)  # fmt: skip

#: Parameters that must be one of a few names, and the names.
CHOICES = {
    "sparse_penalty": Mo.SPARSITY_PENALTIES,
    "contractive_method": Mo.JACOBIAN_METHODS,
    "vae_reconstruction": Mo.VAE_RECONSTRUCTIONS,
    "anomaly_score": M.ERROR_SCORES,
    "mask_kind": A.MASK_KINDS,
}


@dataclasses.dataclass
class FamilyData:
    """Images in [0, 1] with labels, split train/validation/test by :func:`aeutils.data.split_indices`.

    Attributes:
        images: all images ``(N, H, W, C)``.
        labels: int labels ``(N,)`` or ``None``.
        source: where the images came from, and the split.
        fractions: train/validation/test fractions.
        seed: split seed.
    """

    images: np.ndarray
    labels: np.ndarray | None
    source: str
    fractions: tuple[float, float, float] = (0.8, 0.1, 0.1)
    seed: int = 42

    def __post_init__(self):
        self.parts = D.split_indices(len(self.images), self.fractions, seed=self.seed)

    @property
    def train(self) -> np.ndarray:
        return self.images[self.parts[0]]

    @property
    def val(self) -> np.ndarray:
        return self.images[self.parts[1]]

    @property
    def test(self) -> np.ndarray:
        return self.images[self.parts[2]]

    def part_labels(self, part: int) -> np.ndarray:
        """Labels of part 0 (train), 1 (validation) or 2 (test).

        Raises:
            ValueError: the set has no labels.
        """
        if self.labels is None:
            raise ValueError(f"{self.source} has no labels")
        return self.labels[self.parts[part]]

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(self.images.shape[1:])

    def example_index(self, n: int = 8, total: int | None = None) -> np.ndarray:
        """``n`` test-image indices spread evenly over the test part (or over its first ``total``), for figures.

        Sets stored by class (e.g. the embedded MNIST) would otherwise show one class only.
        """
        total = len(self.parts[2]) if total is None else min(total, len(self.parts[2]))
        return np.unique(np.linspace(0, total - 1, min(n, total)).round().astype(int))

    @property
    def test_examples(self) -> np.ndarray:
        """The test images at :meth:`example_index`."""
        return self.test[self.example_index()]


def prepare(
    dataset: str,
    *,
    limit: int | None = None,
    seed: int = 42,
    size: int | None = None,
    grayscale: bool = False,
    fractions=(0.8, 0.1, 0.1),
) -> FamilyData:
    """Load ``dataset`` (any :func:`aeutils.data.load` source) and split it 80/10/10 with ``seed``.

    Args:
        dataset: e.g. ``"embedded:mnist5000"`` or ``"npz:../shared/data/mnist.npz"``.
        limit: keep at most this many images (random, seeded).
        seed: sampling and split seed.
        size: resize to this side (``None`` keeps the size).
        grayscale: convert to one channel.
        fractions: train/validation/test fractions.

    Returns:
        A :class:`FamilyData`.

    Raises:
        aeutils.data.DataError: as :func:`aeutils.data.load`, or too few images to split.
    """
    ds = D.load(dataset, limit=limit, seed=seed, size=size, grayscale=grayscale)
    out = FamilyData(ds.images, ds.labels, "", tuple(fractions), seed)
    n = [len(p) for p in out.parts]
    out.source = f"{ds.source}; {n[0]}/{n[1]}/{n[2]} train/val/test split, seed {seed}"
    return out


@dataclasses.dataclass
class FamilyConfig:
    """Training settings shared by every model of the study.

    Attributes:
        latent_dim: code size; ``None`` (denoising and inpainting only) for a
            convolutional code without a dense bottleneck.
        filters: encoder stages (stride 2 each); the decoder mirrors them.
        epochs, batch_size, learning_rate: Adam training.
        seed: weights, shuffling, corruption and test noise.
    """

    latent_dim: int | None = 32
    filters: tuple[int, ...] = (16, 32)
    epochs: int = 8
    batch_size: int = 32
    learning_rate: float = 2e-3
    seed: int = 42

    def replace(self, **changes) -> FamilyConfig:
        """A copy with some fields changed."""
        return dataclasses.replace(self, **changes)


def train(model, x, cfg: FamilyConfig, *, y=None, validation=None, compile_model: bool = True, callbacks=()):
    """Train with :func:`aeutils.train.fit` (best validation weights kept); ``y=None`` is an autoencoder.

    Args:
        model: a model or a function building one.
        x: inputs; y: targets (``None``: ``x``).
        cfg: epochs, batch size, learning rate and seed.
        validation: ``x_val`` or ``(x_val, y_val)``.
        compile_model: ``False`` for models with their own ``train_step``.
        callbacks: extra callbacks.

    Returns:
        A :class:`aeutils.train.TrainResult`.
    """
    return fit(
        model,
        x,
        y,
        validation_data=validation,
        epochs=cfg.epochs,
        batch_size=cfg.batch_size,
        learning_rate=cfg.learning_rate,
        seed=cfg.seed,
        verbose=0,
        compile_model=compile_model,
        callbacks=callbacks,
    )


def seeded(cfg: FamilyConfig, build, **kwargs):
    """Seed everything with ``cfg.seed``, then build: initial weights do not depend on what ran before."""
    set_seed(cfg.seed)
    return build(**kwargs)


def seeded_autoencoder(cfg: FamilyConfig, data: FamilyData, build, **kwargs):
    """:func:`seeded` for the encoder/decoder builders: image shape, code size and filters from ``data``, ``cfg``."""
    shared = {"input_shape": data.shape, "latent_dim": cfg.latent_dim, "filters": cfg.filters}
    return seeded(cfg, build, **{**shared, **kwargs})


def score_row(name: str, truth, estimate, **extra) -> dict:
    """A table row: ``method`` name, :func:`aeutils.applications.image_scores` of ``estimate``, then ``extra``."""
    return {"method": name, **M.image_scores(truth, estimate), **extra}


def check_parameters(values: Mapping) -> dict:
    """Check the notebook's parameters (e.g. its ``globals()``) before any training.

    The list parameters (``filters``, ``betas``, ``code_sizes``) must parse with
    :func:`aeutils.params.parse_list`; the named options must be known.

    Returns:
        The run's parameters as recorded in its metrics (:data:`PARAMETERS`, values as given).

    Raises:
        ValueError: a list that does not parse, or an unknown option (the message names it).
    """
    params = {k: values[k] for k in PARAMETERS}
    parse_list(params["filters"], name="filters", positive=True)
    parse_list(params["betas"], float, name="betas")
    parse_list(params["code_sizes"], name="code_sizes", positive=True)
    for key, allowed in CHOICES.items():
        if params[key] not in allowed:
            raise ValueError(f"{key} must be one of {allowed}, got {params[key]!r}")
    return params


def config(params: Mapping) -> FamilyConfig:
    """The shared :class:`FamilyConfig` of checked notebook parameters (see :func:`check_parameters`)."""
    return FamilyConfig(
        latent_dim=params["latent_dim"],
        filters=parse_list(params["filters"], name="filters"),
        epochs=params["epochs"],
        batch_size=params["batch_size"],
        learning_rate=params["learning_rate"],
        seed=params["seed"],
    )


def headline(results: Mapping) -> dict:
    """The notebook's headline metrics from its section results.

    Args:
        results: the ``run_*`` results under ``"plain"``, ``"denoising"``, ``"sparse"``,
            ``"contractive"``, ``"inpainting"``, ``"super_resolution"``, and ``"anomaly"``
            and ``"probes"`` (``None`` when skipped).
    """
    plain, den, sp, con = (results[k] for k in ("plain", "denoising", "sparse", "contractive"))
    inp, sr = results["inpainting"]["headline"], results["super_resolution"]["headline"]
    out = {
        "denoise_gain_db": den["headline"]["psnr_gain_db"],
        "sparse_near_zero": sp["headline"]["sparse_fraction_near_zero"],
        "contractive_jacobian_ratio": con["headline"]["contractive_jacobian_fro_sq"]
        / con["headline"]["plain_jacobian_fro_sq"],
        "inpaint_ae_minus_biharmonic_db": inp["ae_masked_psnr_db"] - inp["biharmonic_masked_psnr_db"],
        "sr_gain_db": sr["sr_gain_db"],
        "ae_minus_pca_psnr_db": plain["rows"][0]["psnr_db"] - plain["rows"][1]["psnr_db"],
    }
    if results.get("anomaly"):
        out["anomaly_auroc"] = results["anomaly"]["headline"]["auroc"]
    if results.get("probes"):
        probe = results["probes"]["headline"]
        out["probe_ae_minus_pca"] = probe["probe_ae"] - probe["probe_pca"]
    return out
