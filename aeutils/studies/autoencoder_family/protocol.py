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
from aeutils import plotting
from aeutils.params import parse_list
from aeutils.train import PRECISIONS, fit, set_seed

#: The notebook's parameters (its ``parameters`` cell without ``metrics_path``), as recorded in its metrics.
PARAMETERS = (
    "dataset", "limit", "latent_dim", "filters", "epochs", "batch_size", "learning_rate", "seed",
    "restoration_latent_dim", "restoration_epochs", "noise_kind", "noise_strength", "sparse_penalty",
    "sparse_weight", "sparse_target", "contractive_weight", "contractive_method", "contractive_projections",
    "betas", "vae_latent_dim", "vae_hidden_units", "vae_reconstruction", "normal_class", "anomaly_limit",
    "anomaly_fractions", "anomaly_latent_dim", "anomaly_epochs", "target_fpr", "anomaly_score", "mask_kind",
    "mask_fraction", "max_biharmonic", "sr_dataset", "sr_limit", "sr_factor", "sr_filters", "sr_convs",
    "sr_blocks", "sr_upsample", "sr_loss", "sr_learning_rate", "sr_epochs", "code_sizes", "probe_max_train",
    "precision", "sections",
)  # fmt: skip

#: The notebook's sections, in page order: the ``sections`` parameter selects some of them.
SECTIONS = (
    "plain", "denoising", "sparse", "contractive", "beta_vae", "anomaly", "inpainting", "super_resolution",
    "probes", "code_sizes",
)  # fmt: skip

#: Sections that use the plain autoencoder (as a row, a control, features or a reused model): they bring it in.
NEEDS_PLAIN = ("denoising", "contractive", "probes", "code_sizes")

#: Human column names (with units) of the study's tables, for :func:`table`.
TABLE_LABELS = {
    "method": "method",
    "psnr_db": "PSNR (dB)",
    "ssim": "SSIM",
    "mse": "MSE",
    "code_size": "code size",
    "jacobian_fro_sq": "squared Jacobian norm",
    "mean_activation": "mean |code|",
    "fraction_near_zero": "share of code values < 0.01",
    "dead_units": "dead units",
    "mean_active_units": "active units per image",
    "beta": "β",
    "reconstruction_nats": "reconstruction (nats/image)",
    "kl_nats": "KL (nats/image)",
    "loss": "loss (nats/image)",
    "active_units": "active units",
    "latent_dim": "code size",
    "pca_psnr_db": "PCA, same size: PSNR (dB)",
    "normal_class": "normal digit",
    "score": "score",
    "auroc": "AUROC",
    "auprc": "AUPRC",
    "anomaly_rate": "share anomalous",
    "threshold": "threshold",
    "target_fpr": "target FPR",
    "test_fpr": "test FPR",
    "test_tpr": "test TPR",
    "test_precision": "test precision",
    "n_normal": "normal test images",
    "n_anomalous": "anomalous test images",
    "n_val_normal": "normal validation images",
    "masked_mse": "MSE, missing pixels",
    "masked_psnr_db": "PSNR, missing pixels (dB)",
    "mask": "mask",
    "fraction": "share missing",
    "n_images": "test images",
    "psnr_of_mean_mse_db": "PSNR of the mean MSE (dB)",
    "features": "features",
    "dim": "dimensions",
    "accuracy": "test accuracy",
    "ae_mse": "autoencoder MSE",
    "ae_psnr_db": "autoencoder PSNR (dB)",
    "pca_mse": "PCA MSE",
}


def table(rows, *, index: str | None = None, precision: int = 3):
    """The rows as a display table: :func:`aeutils.plotting.metric_table` with :data:`TABLE_LABELS` as column names.

    Example:
    >>> list(table([{"method": "a", "psnr_db": 20.123456}], index="method").columns)
    ['PSNR (dB)']
    """
    return plotting.metric_table(rows, index=index, precision=precision, labels=TABLE_LABELS)


#: Training losses of :func:`~aeutils.studies.autoencoder_family.run_super_resolution`.
SR_LOSSES = ("log_mse", "mse")

def plain_ticks(ax, values) -> None:
    """Label a log x axis at ``values`` in plain numbers (``1, 4``; ``2, 8, 32``), without minor tick labels.

    Example:
    >>> import matplotlib.pyplot as plt
    >>> fig, ax = plt.subplots(); ax.set_xscale("log"); plain_ticks(ax, [2, 8, 32])
    >>> [t.get_text() for t in ax.get_xticklabels()]
    ['2', '8', '32']
    >>> plt.close(fig)
    """
    from matplotlib.ticker import NullFormatter

    values = sorted({float(v) for v in values})
    ax.set_xticks(values, [f"{v:g}" for v in values])
    ax.xaxis.set_minor_formatter(NullFormatter())


#: Parameters that must be one of a few names, and the names.
CHOICES = {
    "sr_loss": SR_LOSSES,
    "sr_upsample": Mo.SR_UPSAMPLING,
    "sparse_penalty": Mo.SPARSITY_PENALTIES,
    "contractive_method": Mo.JACOBIAN_METHODS,
    "vae_reconstruction": Mo.VAE_RECONSTRUCTIONS,
    "anomaly_score": M.ERROR_SCORES,
    "mask_kind": A.MASK_KINDS,
    "precision": PRECISIONS,
}


def selected_sections(value: str) -> tuple[str, ...]:
    """The sections a run trains, from the ``sections`` parameter, in page order.

    ``"all"`` selects every one of :data:`SECTIONS`; otherwise a comma-separated list of their names. A
    section that uses the plain autoencoder (:data:`NEEDS_PLAIN`) brings ``"plain"`` in. A full-size run
    too long for one sitting runs in parts this way, each part with its own claims.

    Raises:
        ValueError: an empty list or an unknown name (the message names it and lists the known ones).

    Example:
    >>> selected_sections("probes, anomaly")
    ('plain', 'anomaly', 'probes')
    >>> len(selected_sections("all")) == len(SECTIONS)
    True
    """
    text = str(value).strip().lower()
    if text == "all":
        return SECTIONS
    names = {part.strip() for part in text.split(",") if part.strip()}
    unknown = sorted(names - set(SECTIONS))
    if not names or unknown:
        raise ValueError(f"sections must be 'all' or some of {', '.join(SECTIONS)}; got {value!r}"
                         + (f" (unknown: {', '.join(unknown)})" if unknown else ""))
    if names & set(NEEDS_PLAIN):
        names.add("plain")
    return tuple(name for name in SECTIONS if name in names)


def skipped(section: str) -> None:
    """Say on the page that ``section`` did not run (it is not in the ``sections`` parameter)."""
    print(f"{section.replace('_', ' ')}: not run (not among this run's sections)")


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


def train(
    model,
    x,
    cfg: FamilyConfig,
    *,
    y=None,
    validation=None,
    compile_model: bool = True,
    callbacks=(),
    loss="mse",
    precision: str = "float32",
):
    """Train with :func:`aeutils.train.fit` (best validation weights kept); ``y=None`` is an autoencoder.

    Args:
        model: a model or a function building one.
        x: inputs; y: targets (``None``: ``x``).
        cfg: epochs, batch size, learning rate and seed.
        validation: ``x_val`` or ``(x_val, y_val)``.
        compile_model: ``False`` for models with their own ``train_step``.
        callbacks: extra callbacks.
        loss: the Keras loss (when ``compile_model``).
        precision: ``"float32"``, ``"mixed_bfloat16"`` or ``"auto"`` (see :func:`aeutils.train.fit`;
            other than float32, ``model`` must be a function building it).

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
        loss=loss,
        precision=precision,
    )


def seeded(cfg: FamilyConfig, build, **kwargs):
    """Seed everything with ``cfg.seed``, then build: initial weights do not depend on what ran before."""
    set_seed(cfg.seed)
    return build(**kwargs)


def seeded_autoencoder(cfg: FamilyConfig, data: FamilyData, build, **kwargs):
    """:func:`seeded` for the encoder/decoder builders: image shape, code size and filters from ``data``, ``cfg``."""
    shared = {"input_shape": data.shape, "latent_dim": cfg.latent_dim, "filters": cfg.filters}
    return seeded(cfg, build, **{**shared, **kwargs})


def psnr_values(truth, estimate) -> np.ndarray:
    """Per-image PSNR (dB) of ``estimate`` (clipped to [0, 1]) against ``truth``: the paired values of a claim."""
    return np.asarray(M.psnr_per_image(truth, np.clip(estimate, 0.0, 1.0)), dtype=np.float64)


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
    anomaly_fractions(params)
    selected_sections(params["sections"])
    if str(params["normal_class"]).strip().lower() != "all":
        parse_list(str(params["normal_class"]), int, name="normal_class")
    for key, allowed in CHOICES.items():
        if params[key] not in allowed:
            raise ValueError(f"{key} must be one of {allowed}, got {params[key]!r}")
    return params


def anomaly_fractions(params: Mapping) -> tuple[float, float, float]:
    """The one-class split's train/validation/test fractions from the ``anomaly_fractions`` parameter.

    Raises:
        ValueError: not three positive numbers adding up to 1.

    Example:
    >>> anomaly_fractions({"anomaly_fractions": "0.6,0.1,0.3"})
    (0.6, 0.1, 0.3)
    """
    fr = parse_list(params["anomaly_fractions"], float, name="anomaly_fractions")
    if len(fr) != 3 or min(fr) <= 0 or abs(sum(fr) - 1.0) > 1e-6:
        raise ValueError(f"anomaly_fractions must be three positive fractions adding up to 1, got {fr}")
    return tuple(fr)


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


def describe_data(data: FamilyData, anomaly_data: FamilyData | None, sr_data: FamilyData | None,
                  *, dataset: str, sr_dataset: str, sections: tuple[str, ...] = SECTIONS) -> tuple[str, str]:
    """The run's ``data_source`` and ``data_note`` for its metrics: what each section trained on.

    Args:
        data: the grey images of most sections; ``anomaly_data`` and ``sr_data`` those of anomaly detection
            and super-resolution (``None`` when the section did not run).
        dataset, sr_dataset: the parameters they were loaded from (an embedded set gets its plain name).
        sections: the sections that ran (:func:`selected_sections`); a partial run says which, first.
    """
    grey = D.reader_name(dataset) or data.source.split(";")[0]
    source = f"{data.source} | anomaly: {anomaly_data.source if anomaly_data else 'not run'}"
    source += f" | super-resolution: {sr_data.source if sr_data else 'not run'}"
    note = f"{grey}: {len(data.images):,} images for most sections"
    if anomaly_data:
        note += f", {len(anomaly_data.images):,} for anomaly detection"
    if sr_data:
        note += f"; super-resolution: {D.reader_name(sr_dataset) or sr_data.source.split(';')[0]}"
    note += "."
    if tuple(sections) != SECTIONS:  # first, so that the index's shortened data note still says it
        note = f"A partial run, sections {', '.join(sections)} only (its sections parameter). {note}"
    return source, note


def headline(results: Mapping) -> dict:
    """The notebook's headline metrics from its section results (a section that did not run adds none).

    Args:
        results: the ``run_*`` results under ``"plain"``, ``"denoising"``, ``"sparse"``,
            ``"contractive"``, ``"inpainting"``, ``"super_resolution"``, ``"anomaly"``
            and ``"probes"`` (``None`` or absent when skipped).
    """
    r = {k: results.get(k) for k in ("plain", "denoising", "sparse", "contractive", "inpainting",
                                      "super_resolution", "anomaly", "probes")}
    out = {}
    if r["denoising"]:
        out["denoise_gain_db"] = r["denoising"]["headline"]["psnr_gain_db"]
    if r["sparse"]:
        out["sparse_near_zero"] = r["sparse"]["headline"]["sparse_fraction_near_zero"]
    if r["contractive"]:
        h = r["contractive"]["headline"]
        out["contractive_jacobian_ratio"] = h["contractive_jacobian_fro_sq"] / h["plain_jacobian_fro_sq"]
    if r["inpainting"]:
        h = r["inpainting"]["headline"]
        out["inpaint_ae_minus_biharmonic_db"] = h["ae_masked_psnr_db"] - h["biharmonic_masked_psnr_db"]
    if r["super_resolution"]:
        out["sr_gain_db"] = r["super_resolution"]["headline"]["sr_gain_db"]
    if r["plain"]:
        rows = r["plain"]["rows"]
        out["ae_minus_pca_psnr_db"] = rows[0]["psnr_db"] - rows[1]["psnr_db"]
    if r["anomaly"]:
        out["anomaly_auroc"] = r["anomaly"]["headline"]["auroc"]
    if r["probes"]:
        probe = r["probes"]["headline"]
        out["probe_ae_minus_pca"] = probe["probe_ae"] - probe["probe_pca"]
    return out
