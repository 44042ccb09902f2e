"""The convolutional autoencoder architecture study (source report 4): notebook ``cae_architectures`` and
``benchmarks/cae_table.py``.

The source's protocol: one image set (CIFAR-10 train+test merged), scaled to
[-1, 1], split 80/10/10 with seed 42; MSE, Adam 1e-3, batch 128, 15 epochs,
best weights on validation loss, ReduceLROnPlateau(0.5, patience 3),
EarlyStopping(patience 10). Test MSE is reported on [-1, 1] like the source,
PSNR/SSIM on [0, 1].

This module holds that protocol, the notebook's parameter checks and its
summary, and the source's figures per architecture (:data:`SOURCE_FIGURES`).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence

import numpy as np

from aeutils import baselines as B
from aeutils import data as D
from aeutils import metrics as M
from aeutils.models import CAE_ARCHITECTURES, build_cae, check_latent_size, init_from_pca
from aeutils.params import parse_list
from aeutils.train import fit, predict

#: The notebook's parameters (its ``parameters`` cell without ``metrics_path``), as recorded in its metrics.
PARAMETERS = ("dataset", "limit", "architectures", "epochs", "batch_size", "learning_rate", "seed")

#: The source report's figures per architecture (its one home): ``source_mse``, the test MSE on
#: [-1, 1]; ``source_latent``, the latent size the source reported (1152 for the 5x5 row is the
#: formula applied once to the 8x8 map with P=1, not the model's 2048).
SOURCE_FIGURES: dict[str, dict] = {
    "classic": {"source_mse": 0.017909, "source_latent": 1024},
    "4-6-8": {"source_mse": 0.026883, "source_latent": 512},
    "16-24-32-published": {"source_mse": 0.047514, "source_latent": 2048},
    "16-24-32-5x5": {"source_mse": 0.003731, "source_latent": 1152},
    "32-48-64-single": {"source_mse": 0.007290, "source_latent": 4096},
    "32-48-64-double": {"source_mse": 0.006165, "source_latent": 4096},
}

#: The source's best row, the one ``ours-256`` is measured against.
SOURCE_BEST = "32-48-64-double"


def source_mse(name: str) -> float | None:
    """The source's test MSE on [-1, 1] for architecture ``name`` (``None`` for ours)."""
    if name not in CAE_ARCHITECTURES:
        raise ValueError(f"unknown architecture {name!r}; choose from {sorted(CAE_ARCHITECTURES)}")
    return SOURCE_FIGURES.get(name, {}).get("source_mse")


def architecture_names(text: str | Sequence[str]) -> list[str]:
    """Read ``"all"`` or comma-separated names of :data:`CAE_ARCHITECTURES`.

    Raises:
        ValueError: an unknown name (the message lists the known ones).

    Example:
    >>> architecture_names("classic, ours-256")
    ['classic', 'ours-256']
    """
    if isinstance(text, str) and text.strip() == "all":
        return list(CAE_ARCHITECTURES)
    return list(parse_list(text, str, name="architectures", choices=tuple(CAE_ARCHITECTURES)))


def check_parameters(values: Mapping) -> dict:
    """Check the notebook's parameters (e.g. its ``globals()``) before any training.

    Returns:
        The run's parameters as recorded in its metrics (:data:`PARAMETERS`),
        ``architectures`` as the list of names.

    Raises:
        ValueError: an unknown architecture.
    """
    params = {k: values[k] for k in PARAMETERS}
    params["architectures"] = architecture_names(params["architectures"])
    return params


@dataclasses.dataclass
class StudyData:
    """Train/validation/test images in [-1, 1] and where they came from."""

    train: np.ndarray
    val: np.ndarray
    test: np.ndarray
    source: str


def prepare(dataset: str, *, limit: int | None = None, seed: int = 42, size: int = 32) -> StudyData:
    """Load ``dataset``, keep colour, resize to ``size``, scale to [-1, 1] and split 80/10/10.

    The source merged CIFAR-10's train and test sets before splitting; this does
    the same with whatever the source holds (``limit`` images at most).
    """
    ds = D.load(dataset, size=size, limit=limit, seed=seed)
    if ds.shape[-1] != 3:
        ds = ds.with_images(np.repeat(ds.images, 3, axis=-1))
    x = D.scale(ds.images, (-1, 1))
    tr, va, te = D.split_indices(len(x), (0.8, 0.1, 0.1), seed=seed)
    return StudyData(x[tr], x[va], x[te], f"{ds.source}; {len(tr)}/{len(va)}/{len(te)} split, seed {seed}")


def run_architecture(
    name: str,
    data: StudyData,
    *,
    epochs: int = 15,
    batch_size: int = 128,
    learning_rate: float = 1e-3,
    seed: int = 42,
    verbose: int | str = 0,
    pca: bool = True,
) -> dict:
    """Train and score one architecture of :data:`CAE_ARCHITECTURES`.

    Returns:
        A table row: parameters, latent size by formula and by model, test MSE
        on [-1, 1], PSNR/SSIM on [0, 1], the PCA baseline at the same latent
        size (when it fits the data), train seconds, the source's figure and the
        ratio ours/source; plus ``history`` and ``reconstructions`` (first 16
        test images) for plots.
    """
    spec = CAE_ARCHITECTURES[name]
    model = build_cae(name, input_shape=data.train.shape[1:])
    if spec.kind == "pca_residual":
        init_from_pca(model, data.train, seed=seed)
    result = fit(
        model,
        data.train,
        validation_data=data.val,
        epochs=epochs,
        batch_size=batch_size,
        learning_rate=learning_rate,
        reduce_lr_patience=3,
        early_stopping_patience=10,
        seed=seed,
        verbose=verbose,
    )
    model = result.model
    recon = predict(model, data.test)
    scores = M.reconstruction_metrics(data.test, recon, value_range=(-1, 1))
    latent = check_latent_size(model.get_layer("encoder"))
    row = {
        "architecture": name,
        "params": model.count_params(),
        "latent_formula": latent["formula"],
        "latent_model": latent["model"],
        "test_mse_pm1": float(np.mean((data.test - np.clip(recon, -1, 1)) ** 2)),
        "psnr_db": float(np.mean(scores["psnr"])),
        "ssim": float(np.mean(scores["ssim"])),
        "train_s": round(result.seconds, 1),
        "epochs_run": result.epochs_run,
        "source_mse": source_mse(name),
        "ratio_to_source": None,
        "note": spec.note,
    }
    if row["source_mse"]:
        row["ratio_to_source"] = row["test_mse_pm1"] / row["source_mse"]
    if pca:
        row.update(pca_row(data, latent["model"]))
    row["history"] = result.history
    row["reconstructions"] = recon[:16]
    return row


def pca_row(data: StudyData, k: int) -> dict:
    """PCA with ``k`` components fitted on the training images: PSNR and MSE on the test images.

    ``k`` is capped at the number of training images or pixels; the cap is reported.
    """
    k_used = min(k, len(data.train) - 1, math.prod(data.train.shape[1:]))
    recon = B.pca_baseline(data.train, data.test, k_used)
    return {
        "pca_k": k_used,
        "pca_mse_pm1": float(np.mean((data.test - recon) ** 2)),
        "pca_psnr_db": float(np.mean(M.psnr_per_image((data.test + 1) / 2, np.clip((recon + 1) / 2, 0, 1)))),
    }


TABLE_COLUMNS = (
    "architecture",
    "params",
    "latent_formula",
    "latent_model",
    "test_mse_pm1",
    "source_mse",
    "ratio_to_source",
    "psnr_db",
    "ssim",
    "pca_k",
    "pca_psnr_db",
    "train_s",
    "epochs_run",
)


def table_rows(rows: list[dict]) -> list[dict]:
    """The printable part of :func:`run_architecture` rows (no history or images)."""
    return [{k: r.get(k) for k in TABLE_COLUMNS} for r in rows]


def ours_vs_pca(rows: list[dict]) -> dict:
    """``ours-256`` against PCA at the same latent size and against the source's best row (empty if not run).

    Returns:
        ``{"ours_psnr_db", "pca_same_k_psnr_db", "ours_beats_pca", "ours_mse_pm1",
        "source_best_mse_pm1", "ours_over_source_best"}``.
    """
    by_name = {r["architecture"]: r for r in rows}
    if "ours-256" not in by_name:
        return {}
    ours = by_name["ours-256"]
    summary = {
        "ours_psnr_db": ours["psnr_db"],
        "pca_same_k_psnr_db": ours.get("pca_psnr_db"),
        "ours_beats_pca": bool(ours.get("pca_psnr_db") is not None and ours["psnr_db"] > ours["pca_psnr_db"]),
        "ours_mse_pm1": ours["test_mse_pm1"],
        "source_best_mse_pm1": source_mse(SOURCE_BEST),
    }
    summary["ours_over_source_best"] = summary["ours_mse_pm1"] / summary["source_best_mse_pm1"]
    return summary


def headline(rows: list[dict], summary: dict) -> dict:
    """The notebook's headline metrics: the best row by test MSE and, when run, ours against PCA."""
    best = min(rows, key=lambda r: r["test_mse_pm1"])
    return {
        "best": best["architecture"],
        "best_test_mse_pm1": best["test_mse_pm1"],
        "best_psnr_db": best["psnr_db"],
        **{k: v for k, v in summary.items() if k.startswith("ours_psnr") or k == "ours_beats_pca"},
    }
