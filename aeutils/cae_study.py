"""The convolutional autoencoder architecture study (source report 4), shared by notebook and benchmark.

The source's protocol: one image set (CIFAR-10 train+test merged), scaled to
[-1, 1], split 80/10/10 with seed 42; MSE, Adam 1e-3, batch 128, 15 epochs,
best weights on validation loss, ReduceLROnPlateau(0.5, patience 3),
EarlyStopping(patience 10). Test MSE is reported on [-1, 1] like the source,
PSNR/SSIM on [0, 1].
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from aeutils import data as D
from aeutils import metrics as M
from aeutils.models import CAE_ARCHITECTURES, build_cae, check_latent_size, init_from_pca
from aeutils.train import fit, predict


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
        "source_mse": spec.source_mse,
        "ratio_to_source": None,
        "note": spec.note,
    }
    if spec.source_mse:
        row["ratio_to_source"] = row["test_mse_pm1"] / spec.source_mse
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
    recon = M.pca_baseline(data.train, data.test, k_used)
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
