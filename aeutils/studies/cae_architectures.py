"""The convolutional autoencoder architecture study (source report 4): notebook ``cae_architectures`` and
``benchmarks/cae_table.py``.

The source's protocol: one image set (CIFAR-10 train+test merged), scaled to
[-1, 1], split 80/10/10 with seed 42 (for the embedded photo patches, which
overlap inside a photo, the split holds out whole photos: :func:`group_split`); MSE, Adam 1e-3, batch 128, 15 epochs,
best weights on validation loss, ReduceLROnPlateau(0.5, patience 3),
EarlyStopping(patience 10). Test MSE is reported on [-1, 1] like the source,
PSNR/SSIM on [0, 1].

This module holds that protocol, the notebook's parameter checks, its
summary and claims (:func:`claims`), its display table (:data:`TABLE_LABELS`),
and the source's figures per architecture (:data:`SOURCE_FIGURES`).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from aeutils import baselines as B
from aeutils import claims as C
from aeutils import data as D
from aeutils import metrics as M
from aeutils import plotting
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

#: The source's training protocol as :func:`aeutils.train.fit` keywords (its one home): Adam at 1e-3,
#: batch 128, 15 epochs, best weights on the validation loss, ReduceLROnPlateau(0.5, patience 3),
#: EarlyStopping(patience 10). The notebook's ``epochs``, ``batch_size`` and ``learning_rate`` override the first three.
SOURCE_PROTOCOL = {
    "epochs": 15,
    "batch_size": 128,
    "learning_rate": 1e-3,
    "restore_best": True,
    "reduce_lr_factor": 0.5,
    "reduce_lr_patience": 3,
    "early_stopping_patience": 10,
}


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


#: Photos of ``embedded:photo_patches`` that show one scene (a stereo pair): one group in the split.
SAME_SCENE = {"motorcycle_right": "motorcycle_left"}


def prepare(dataset: str, *, limit: int | None = None, seed: int = 42, size: int = 32) -> StudyData:
    """Load ``dataset``, keep colour, resize to ``size``, scale to [-1, 1] and split 80/10/10.

    The source merged CIFAR-10's train and test sets before splitting; this does
    the same with whatever the source holds (``limit`` images at most). Sets
    whose images overlap inside a group (:data:`aeutils.data.OVERLAPPING_GROUPS`,
    the photo patches) are split by whole photos (:func:`aeutils.data.group_split_parts`, the
    stereo pair in :data:`SAME_SCENE` as one), so no test pixel is seen in training.
    """
    ds = D.load(dataset, size=size, limit=limit, seed=seed)
    if ds.shape[-1] != 3:
        ds = ds.with_images(np.repeat(ds.images, 3, axis=-1))
    x = D.scale(ds.images, (-1, 1))
    if ds.name in D.OVERLAPPING_GROUPS and ds.labels is not None:
        names = list(ds.label_names or map(str, np.unique(ds.labels)))
        groups = np.array([names.index(SAME_SCENE.get(names[g], names[g])) for g in ds.labels])
        tr, va, te = D.group_split_parts(groups, (0.8, 0.1, 0.1), seed=seed)
        held = {part: sorted({names[g] for g in groups[ix]}) for part, ix in (("test", te), ("val", va))}
        how = (f"split by whole photos (seed {seed}): test {held['test']}, "
               f"validation {held['val']}, training the other photos")
    else:
        tr, va, te = D.split_indices(len(x), (0.8, 0.1, 0.1), seed=seed)
        how = f"split seed {seed}"
    return StudyData(x[tr], x[va], x[te], f"{ds.source}; {len(tr)}/{len(va)}/{len(te)} {how}")


def run_architecture(
    name: str,
    data: StudyData,
    *,
    epochs: int = SOURCE_PROTOCOL["epochs"],
    batch_size: int = SOURCE_PROTOCOL["batch_size"],
    learning_rate: float = SOURCE_PROTOCOL["learning_rate"],
    seed: int = 42,
    verbose: int | str = 0,
    pca: bool = True,
) -> dict:
    """Train and score one architecture of :data:`CAE_ARCHITECTURES` under :data:`SOURCE_PROTOCOL`.

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
        init_from_pca(model, data.train, seed=seed, freeze=spec.freeze_code)
    x_train = np.concatenate([data.train, data.train[:, :, ::-1]]) if spec.flips else data.train
    result = fit(
        model,
        x_train,
        validation_data=data.val,
        **{**SOURCE_PROTOCOL, "epochs": epochs, "batch_size": batch_size, "learning_rate": learning_rate},
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
        "best_epoch": result.best_epoch,
        "epochs_run": result.epochs_run,
        "source_mse": source_mse(name),
        "ratio_to_source": None,
        "note": spec.note,
    }
    if row["source_mse"]:
        row["ratio_to_source"] = row["test_mse_pm1"] / row["source_mse"]
    row["source_architecture"] = spec.kind == "cae"
    row["psnr_per_image"] = np.asarray(scores["psnr"], dtype=np.float64)
    if pca:
        row.update(pca_row(data, latent["model"]))
    row["history"] = result.history
    row["reconstructions"] = recon[:16]
    row["model"] = model
    return row


def pca_row(data: StudyData, k: int) -> dict:
    """PCA with ``k`` components fitted on the training images: PSNR and MSE on the test images.

    ``k`` is capped at the number of training images or pixels; the cap is reported.
    """
    k_used = min(k, len(data.train) - 1, math.prod(data.train.shape[1:]))
    recon = B.pca_baseline(data.train, data.test, k_used)
    per_image = M.psnr_per_image((data.test + 1) / 2, np.clip((recon + 1) / 2, 0, 1))
    return {
        "pca_k": k_used,
        "pca_mse_pm1": float(np.mean((data.test - recon) ** 2)),
        "pca_psnr_db": float(np.mean(per_image)),
        "pca_psnr_per_image": np.asarray(per_image, dtype=np.float64),
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


#: Human column names (with units) for :data:`TABLE_COLUMNS`, as the notebook shows them.
TABLE_LABELS = {
    "architecture": "architecture",
    "params": "parameters",
    "latent_formula": "latent (formula)",
    "latent_model": "latent (model)",
    "test_mse_pm1": "test MSE on [-1, 1]",
    "source_mse": "source MSE on [-1, 1] (CIFAR-10)",
    "ratio_to_source": "ours / source MSE",
    "psnr_db": "PSNR (dB)",
    "ssim": "SSIM",
    "pca_k": "PCA components",
    "pca_psnr_db": "PCA PSNR (dB)",
    "train_s": "training time (s)",
    "epochs_run": "epochs run",
}

#: Decimals per column in :func:`display_table`.
TABLE_DECIMALS = {"test_mse_pm1": 5, "source_mse": 5, "ratio_to_source": 2, "psnr_db": 2, "ssim": 3,
                  "pca_psnr_db": 2, "train_s": 0}


def table_rows(rows: list[dict]) -> list[dict]:
    """The printable part of :func:`run_architecture` rows (no history or images)."""
    return [{k: r.get(k) for k in TABLE_COLUMNS} for r in rows]


def display_table(rows: list[dict]) -> pd.DataFrame:
    """:func:`table_rows` as a DataFrame for the page: :data:`TABLE_LABELS` as headers, rounded, ``–`` for none.

    Counts (parameters, latent sizes, components, epochs) are shown with thousands separators.
    """
    df = pd.DataFrame(table_rows(rows)).round(TABLE_DECIMALS).astype(object)
    for col in ("params", "latent_formula", "latent_model", "pca_k", "epochs_run"):
        df[col] = [f"{int(v):,}" if v is not None and v == v else None for v in df[col]]
    df = df.rename(columns=TABLE_LABELS).set_index("architecture")
    return df.where(df.notna(), "–")


def claims(rows: list[dict]) -> list[dict]:
    """The study's claims, evaluated from :func:`run_architecture` rows (with their PCA columns).

    1. the latent-size formula equals the built model's latent for every
       architecture it applies to (a check);
    2. ``ours-256`` (a latent of at most 256 values) beats PCA with as many
       components on test PSNR: paired per-image 95% interval (only when run);
    3. every source architecture run reconstructs worse than PCA with as many
       components (test PSNR; a finding, as a check).

    Returns:
        Claim dicts (:mod:`aeutils.claims`) for :func:`aeutils.reports.write_metrics`.
    """
    out = []
    checked = [r for r in rows if r.get("latent_formula") is not None]
    mismatched = [r["architecture"] for r in checked if r["latent_formula"] != r["latent_model"]]
    out.append(C.check(
        "the latent-size formula equals the built model's latent size for every architecture run",
        bool(checked) and not mismatched,
        ours=len(checked) - len(mismatched), baseline=len(checked), unit="architectures",
        note=("mismatch: " + ", ".join(mismatched)) if mismatched else
        "ours-256 has a dense code (no convolution formula) and is not counted",
    ))
    by_name = {r["architecture"]: r for r in rows}
    ours = by_name.get("ours-256")
    if ours is not None and "pca_psnr_per_image" in ours:
        out.append(C.beats(
            f"ours-256 (latent {ours['latent_model']}) beats PCA with {ours['pca_k']} components on test PSNR",
            ours["psnr_db"], ours["pca_psnr_db"], unit="dB",
            per_image=(ours["psnr_per_image"], ours["pca_psnr_per_image"]),
            note="paired per-image difference ours − PCA on the test images",
        ))
    source = [r for r in rows if r.get("source_architecture") and r.get("pca_psnr_db") is not None]
    if source:
        worse = [r for r in source if r["psnr_db"] < r["pca_psnr_db"]]
        gap = min(r["pca_psnr_db"] - r["psnr_db"] for r in source)
        out.append(C.check(
            "every source architecture run reconstructs worse than PCA with as many components (test PSNR)",
            len(worse) == len(source),
            ours=len(worse), baseline=len(source), unit="architectures",
            note=f"smallest PCA lead {gap:.2f} dB"
            + ("" if len(worse) == len(source) else
               "; not worse: " + ", ".join(r["architecture"] for r in source if r not in worse)),
        ))
    return out


def ours_vs_pca(rows: list[dict]) -> dict:
    """``ours-256`` against PCA at the same latent size and against the source's best row (empty if not run).

    ``ours_beats_pca`` is the paired per-image interval's verdict when the rows
    carry per-image PSNR (as :func:`claims` decides), else the means'.

    Returns:
        ``{"ours_psnr_db", "pca_same_k_psnr_db", "ours_beats_pca", "ours_mse_pm1",
        "source_best_mse_pm1", "ours_over_source_best"}``.
    """
    by_name = {r["architecture"]: r for r in rows}
    if "ours-256" not in by_name:
        return {}
    ours = by_name["ours-256"]
    beats = ours.get("pca_psnr_db") is not None and ours["psnr_db"] > ours["pca_psnr_db"]
    if "psnr_per_image" in ours and "pca_psnr_per_image" in ours:  # the paired interval decides, as in claims()
        beats = C.beats("", ours["psnr_db"], ours["pca_psnr_db"],
                        per_image=(ours["psnr_per_image"], ours["pca_psnr_per_image"]))["holds"]
    summary = {
        "ours_psnr_db": ours["psnr_db"],
        "pca_same_k_psnr_db": ours.get("pca_psnr_db"),
        "ours_beats_pca": bool(beats),
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


def data_note(dataset: str, data: StudyData) -> str:
    """One sentence on the data used: for anything but CIFAR-10, that it is a stand-in for CIFAR-10."""
    n = f"{len(data.train):,}/{len(data.val):,}/{len(data.test):,} training/validation/test images"
    if "cifar10" in dataset.lower():
        return f"CIFAR-10, the source's data ({n}, 32x32 colour)."
    if dataset.startswith("embedded:photo_patches"):
        return (f"Stand-in for CIFAR-10: 32x32 colour patches of the 11 photos scikit-image and "
                f"scikit-learn ship ({n}; test and validation patches come from held-out photos).")
    return f"Stand-in for CIFAR-10: {dataset} ({n}, resized to 32x32 colour)."


def psnr_against_pca_figure(rows: list[dict]):
    """The key figure: each architecture's test PSNR beside PCA's with as many components, by latent size.

    PCA at its 100 dB cap (lossless: as many components as pixel values) is drawn
    at the top of the axis and labelled.

    Returns:
        The matplotlib figure.
    """
    names = [r["architecture"] for r in rows]
    ours = np.array([r["psnr_db"] for r in rows], dtype=float)
    pca = np.array([r.get("pca_psnr_db") or np.nan for r in rows], dtype=float)
    lossless = pca >= M.PSNR_CAP_DB - 1e-6
    finite = np.concatenate([ours, pca[~lossless & np.isfinite(pca)]])
    top = float(np.nanmax(finite)) + 6
    y = np.arange(len(rows))
    fig, ax = plt.subplots(figsize=(8, 0.45 * len(rows) + 1.4))
    ax.barh(y + 0.2, ours, height=0.4, color="tab:blue", label="autoencoder")
    ax.barh(y - 0.2, np.where(lossless, top, pca), height=0.4, color="tab:gray", label="PCA, as many components")
    for i in np.flatnonzero(lossless):
        ax.text(top - 0.5, y[i] - 0.2, "lossless", ha="right", va="center", fontsize=8, color="white")
    lo = max(0.0, float(np.nanmin(finite)) - 6)
    ax.set_xlim(lo, top)
    ax.set_yticks(y, [f"{n} ({r['latent_model']:,})" for n, r in zip(names, rows)])
    ax.invert_yaxis()
    ax.set_xlabel("test PSNR (dB)")
    ax.set_title("autoencoder vs PCA at the same latent size (latent values in brackets)", fontsize=10)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.28), ncol=2, fontsize=8, frameon=False)
    fig.tight_layout()
    return plotting.closed(fig)
