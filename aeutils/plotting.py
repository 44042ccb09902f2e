"""Figures and tables for the notebooks: reconstruction grids, loss curves, metric tables.

Every helper that draws returns its figure already closed (:func:`closed`): a notebook cell that
ends with the call shows the figure once (IPython displays the returned figure; the inline
backend draws no second copy), and a cell drawing several wraps all but the last in ``display()``.
A trailing ``;`` would hide a closed figure.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.colors import LogNorm
from matplotlib.ticker import FuncFormatter

from aeutils.data import subsample


def closed(fig):
    """Close ``fig`` in pyplot (it stays drawable) and return it, so a notebook shows it only once.

    pyplot keeps every open figure and the inline backend draws them all at the end of a cell, on
    top of the cell's displayed value; a closed figure is drawn only where it is displayed.

    Example:
        >>> import matplotlib.pyplot as plt
        >>> fig = closed(plt.figure())
        >>> fig.number in plt.get_fignums()
        False
    """
    plt.close(fig)
    return fig


def draw_image(ax, img, value_range=(0.0, 1.0)):
    """Draw one ``(H, W, C)`` image on ``ax`` (gray for one channel), scaled from ``value_range``, without ticks."""
    lo, hi = value_range
    img = np.clip((np.asarray(img, dtype=np.float32) - lo) / (hi - lo), 0, 1)
    if img.shape[-1] == 1:
        ax.imshow(img[..., 0], cmap="gray", vmin=0, vmax=1)
    else:
        ax.imshow(img)
    ax.set_xticks([])
    ax.set_yticks([])


def image_rows(
    rows: Sequence[np.ndarray],
    *,
    row_titles: Sequence[str] | None = None,
    col_titles: Sequence[str] | None = None,
    value_range=(0.0, 1.0),
    size: float = 1.2,
    title: str | None = None,
):
    """Draw image sets as rows of a grid (e.g. originals above reconstructions).

    Args:
        rows: arrays ``(n, H, W, C)`` of equal ``n``.
        row_titles: a label at the left of each row.
        col_titles: a label above each column.
        value_range: range of the pixel values (``(-1, 1)`` for tanh models).
        size: inches per image.
        title: figure title.

    Returns:
        The matplotlib figure.

    Raises:
        ValueError: rows of different lengths, or no rows.
    """
    if not rows:
        raise ValueError("image_rows needs at least one row")
    n = len(rows[0])
    if any(len(r) != n for r in rows):
        raise ValueError(f"rows have different lengths: {[len(r) for r in rows]}")
    fig, axes = plt.subplots(len(rows), n, figsize=(size * n, size * len(rows)), squeeze=False)
    for i, row in enumerate(rows):
        for j in range(n):
            draw_image(axes[i, j], row[j], value_range)
        if row_titles:
            axes[i, 0].set_ylabel(row_titles[i], rotation=0, ha="right", va="center")
    if col_titles:
        for j, t in enumerate(col_titles):
            axes[0, j].set_title(t, fontsize=8)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return closed(fig)


def reconstruction_grid(originals, *reconstructions, titles=None, n: int = 8, value_range=(0, 1)):
    """Originals in the first row, one row per model's reconstructions of the same images."""
    titles = list(titles) if titles else ["original"] + [f"model {i + 1}" for i in range(len(reconstructions))]
    rows = [np.asarray(originals)[:n]] + [np.asarray(r)[:n] for r in reconstructions]
    return image_rows(rows, row_titles=titles, value_range=value_range)


def loss_curves(
    histories: Mapping[str, Mapping[str, Sequence[float]]] | Mapping[str, Sequence[float]],
    *,
    keys=("loss", "val_loss"),
    log: bool = True,
    title: str | None = None,
):
    """Plot training curves.

    Args:
        histories: one history dict (``{"loss": [...], ...}``) or a mapping of
            run name to history dict.
        keys: which series to draw from each history.
        log: logarithmic y axis.
        title: axis title.

    Returns:
        The matplotlib figure.
    """
    if histories and all(not isinstance(v, Mapping) for v in histories.values()):
        histories = {"": histories}
    fig, ax = plt.subplots(figsize=(7.5, 4))
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for i, (name, hist) in enumerate(histories.items()):
        colour = colours[i % len(colours)]  # one colour per run: training solid, validation dashed
        for key in keys:
            if key in hist:
                values = hist[key]
                style = "--" if key.startswith("val") else "-"
                part = CURVE_LABELS.get(key, key.replace("_", " "))
                label = f"{name}: {part}" if name else part
                marker = "o" if len(values) < 8 else None
                ax.plot(range(1, len(values) + 1), values, style, color=colour, marker=marker, label=label)
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss")
    if log:
        ax.set_yscale("log")
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))  # 0.01, not 10^-2
        ax.yaxis.set_minor_formatter(FuncFormatter(_log_minor_label))
    if title:
        ax.set_title(title)
    if len(histories) * len(keys) > 4:  # many curves: the legend goes beside the plot, not over it
        ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0)
    else:
        ax.legend(fontsize=8, loc="best")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return closed(fig)


def _log_minor_label(value: float, _pos=None) -> str:
    """Label the 2x and 5x minor ticks of a log axis in plain numbers (0.02, 0.05), leave the rest bare."""
    if value <= 0:
        return ""
    lead = round(value / 10 ** math.floor(math.log10(value)))
    return f"{value:g}" if lead in (2, 5) else ""


#: Human names of the curves Keras logs.
CURVE_LABELS = {"loss": "training", "val_loss": "validation", "reconstruction_loss": "reconstruction",
                "val_reconstruction_loss": "validation reconstruction", "kl_loss": "KL", "val_kl_loss": "validation KL"}


#: What a table cell shows where a row has no value (pandas would print "NaN").
MISSING = "–"


def metric_table(
    rows, *, index: str | None = None, precision: int = 4, labels: Mapping[str, str] | None = None
) -> pd.DataFrame:
    """Result rows (dicts, or a DataFrame) as a DataFrame for a page: rounded, missing values shown as "–".

    Args:
        rows: one dict per row.
        index: the column to use as the index.
        precision: decimals of float columns.
        labels: display names of columns (and of the index), e.g. ``{"psnr_db": "PSNR (dB)"}``;
            others keep their names.

    Example:
    >>> df = metric_table([{"run": "a", "psnr_db": 30.1234, "ci": None}], index="run", precision=2,
    ...                   labels={"run": "setting", "psnr_db": "PSNR (dB)"})
    >>> df.index.name, df.to_dict("index")
    ('setting', {'a': {'PSNR (dB)': 30.12, 'ci': '–'}})
    """
    labels = labels or {}
    df = rows.copy() if isinstance(rows, pd.DataFrame) else pd.DataFrame(list(rows))
    if index and index in df:
        df = df.set_index(index)
    df = df.round(precision).rename(columns=lambda c: labels.get(c, c))
    df.index.name = labels.get(df.index.name, df.index.name)
    for c in df.columns[df.isna().any().to_numpy()]:  # only these columns become text; the rest stay numbers
        df[c] = _with_missing(df[c])
    return df


def _with_missing(col: pd.Series) -> pd.Series:
    """A column with "–" where values are missing; floats as text with one number of decimals (none for counts)."""
    if pd.api.types.is_float_dtype(col):
        present = col.dropna()
        decimals = max([0] + [len(f"{v:.12f}".rstrip("0").split(".")[1]) for v in present if math.isfinite(v)])
        shown = present.map(lambda v: f"{v:.{min(decimals, 12)}f}" if math.isfinite(v) else str(v))
        return shown.reindex(col.index).astype(object).where(col.notna(), MISSING)
    return col.astype(object).where(col.notna(), MISSING)


def histograms(
    values: Mapping[str, Sequence[float]],
    *,
    bins: int = 40,
    xlabel: str = "",
    ylabel: str = "images",
    title: str | None = None,
):
    """Overlaid histograms of several value sets (e.g. per-image errors per model; ``ylabel`` names what is counted)."""
    fig, ax = plt.subplots(figsize=(7, 3.5))
    for name, v in values.items():
        ax.hist(np.asarray(v), bins=bins, alpha=0.5, label=name)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return closed(fig)


# ---------------------------------------------------------------------------
# Latent spaces: scatter, decoded manifold grid, interpolation strips
# ---------------------------------------------------------------------------


def latent_scatter(
    z,
    labels=None,
    *,
    label_names: Sequence[str] | None = None,
    dims: tuple[int, int] = (0, 1),
    max_points: int = 10_000,
    title: str | None = None,
    seed: int = 0,
):
    """Scatter of latent codes on two coordinates, coloured by label.

    Args:
        z: codes ``(N, d)`` with ``d >= 2`` (e.g. from :func:`aeutils.latent.encode`).
        labels: int labels ``(N,)`` for colours (``None``: one colour).
        label_names: legend names for label values ``0..K-1``.
        dims: the two coordinates to draw.
        max_points: draw at most this many points (a seeded random subset).
        title: axis title.
        seed: seed of the subset.

    Returns:
        The matplotlib figure.

    Raises:
        ValueError: codes that are not ``(N, d >= 2)`` or labels of another length.
    """
    z = np.asarray(z, dtype=np.float32)
    if z.ndim != 2 or z.shape[1] < 2:
        raise ValueError(f"latent_scatter needs codes of shape (N, d>=2), got {z.shape}")
    if labels is not None and len(labels) != len(z):
        raise ValueError(f"{len(labels)} labels for {len(z)} codes")
    keep = np.arange(len(z))
    if len(z) > max_points:
        keep = subsample(len(z), max_points, seed)
    fig, ax = plt.subplots(figsize=(6.5, 5.5))
    a, b = dims
    dot = float(np.clip(20_000 / max(len(keep), 1), 3, 40))  # bigger dots for few points
    if labels is None:
        ax.scatter(z[keep, a], z[keep, b], s=dot, alpha=0.6)
    else:
        lab = np.asarray(labels)[keep]
        values = np.unique(lab)
        cmap = plt.get_cmap("tab10" if len(values) <= 10 else "tab20")
        for k, v in enumerate(values):
            name = label_names[int(v)] if label_names is not None and 0 <= int(v) < len(label_names) else str(v)
            m = lab == v
            ax.scatter(z[keep[m], a], z[keep[m], b], s=dot, alpha=0.6, color=cmap(k % cmap.N), label=name)
        ax.legend(markerscale=6 / np.sqrt(dot), fontsize=7, loc="best", ncol=1 if len(values) <= 12 else 2)
    ax.set_xlabel(f"z[{a}]")
    ax.set_ylabel(f"z[{b}]")
    ax.set_title(title or f"latent means of {len(keep)} images")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return closed(fig)


def tile_grid(images) -> np.ndarray:
    """Tile ``(rows, cols, H, W, C)`` images into one ``(rows*H, cols*W, C)`` image."""
    images = np.asarray(images)
    if images.ndim != 5:
        raise ValueError(f"tile_grid needs (rows, cols, H, W, C), got {images.shape}")
    r, c, h, w, ch = images.shape
    return images.transpose(0, 2, 1, 3, 4).reshape(r * h, c * w, ch)


def manifold_grid(
    images, coords=None, *, value_range=(0.0, 1.0), size: float = 8.0, max_side: int | None = 128,
    title: str | None = None,
):
    """Show a decoded latent grid (from :func:`aeutils.latent.latent_grid`) as one picture.

    Args:
        images: ``(n, n, H, W, C)``.
        coords: ``(n, n, 2)`` latent coordinates, used to label the axes.
        value_range: pixel value range.
        size: figure side in inches.
        max_side: shrink tiles larger than this many pixels by block averaging
            (a 20x20 grid of 1024 px images would be a 400-megapixel figure).
        title: axis title.

    Returns:
        The matplotlib figure.
    """
    images = np.asarray(images, dtype=np.float32)
    if images.ndim != 5:
        raise ValueError(f"manifold_grid needs (rows, cols, H, W, C), got {images.shape}")
    f = int(np.ceil(max(images.shape[2:4]) / max_side)) if max_side else 1
    if f > 1:
        r, c, h, w, ch = images.shape
        h2, w2 = h // f, w // f
        images = images[:, :, : h2 * f, : w2 * f].reshape(r, c, h2, f, w2, f, ch).mean(axis=(3, 5))
    big = tile_grid(images)
    n_rows, n_cols, h, w = images.shape[:4]
    fig, ax = plt.subplots(figsize=(size, size * n_rows * h / (n_cols * w)))
    draw_image(ax, big, value_range)
    if coords is not None:
        coords = np.asarray(coords)
        step = max(1, n_cols // 5)
        xt = np.arange(0, n_cols, step)
        yt = np.arange(0, n_rows, step)
        ax.set_xticks(xt * w + w / 2, [f"{v:.2f}" for v in coords[0, xt, 0]], fontsize=7)
        ax.set_yticks(yt * h + h / 2, [f"{v:.2f}" for v in coords[yt, 0, 1]], fontsize=7)
        ax.set_xlabel("z[0]")
        ax.set_ylabel("z[1]")
    ax.set_title(title or f"decoded {n_rows}x{n_cols} grid over the latent plane")
    fig.tight_layout()
    return closed(fig)


def interpolation_strips(
    strips: Sequence[Mapping], *, value_range=(0.0, 1.0), size: float = 1.0, title: str | None = None
):
    """Draw strips from :func:`aeutils.latent.interpolation_strips`: per pair, the latent row above the pixel row.

    Each row is ``start image, interpolation steps, end image``.

    Returns:
        The matplotlib figure.

    Raises:
        ValueError: no strips.
    """
    if not strips:
        raise ValueError("no strips to draw")
    rows, titles = [], []
    for s in strips:
        rows += [s["latent"], s["pixel"]]
        titles += [f"{s['title']}\nlatent", "pixel mix"]
    n = len(rows[0])
    cols = ["start"] + [f"t={t:.2f}" for t in np.linspace(0, 1, n - 2)] + ["end"]
    return image_rows(rows, row_titles=titles, col_titles=cols, value_range=value_range, size=size, title=title)


# ---------------------------------------------------------------------------
# Annotated heat map (error matrices)
# ---------------------------------------------------------------------------


def heatmap(
    values,
    *,
    row_labels: Sequence[str],
    col_labels: Sequence[str],
    annotations: Sequence[Sequence[str]] | None = None,
    log: bool = False,
    cmap: str = "viridis",
    colorbar_label: str = "",
    title: str | None = None,
):
    """Draw a small matrix as an annotated heat map (e.g. mean errors of models x sets).

    Args:
        values: 2-D array ``(rows, cols)``; NaN cells are left blank.
        row_labels: one label per row.
        col_labels: one label per column.
        annotations: text per cell (default: the value, 4 significant digits).
        log: logarithmic colour scale (values must be positive).
        cmap: matplotlib colour map.
        colorbar_label: label of the colour bar.
        title: axis title.

    Returns:
        The matplotlib figure.

    Raises:
        ValueError: a non-2-D matrix or labels that do not match its shape.
    """

    v = np.asarray(values, dtype=np.float64)
    if v.ndim != 2 or v.shape != (len(row_labels), len(col_labels)):
        raise ValueError(
            f"heatmap needs a (rows, cols) matrix matching {len(row_labels)} row and "
            f"{len(col_labels)} column labels, got shape {v.shape}"
        )
    finite = v[np.isfinite(v)]
    norm = None
    if log and finite.size and finite.min() > 0:
        norm = LogNorm(vmin=finite.min(), vmax=max(finite.max(), finite.min() * 1.0001))
    fig, ax = plt.subplots(figsize=(1.9 * v.shape[1] + 2.2, 0.8 * v.shape[0] + 1.4))
    im = ax.imshow(np.ma.masked_invalid(v), cmap=cmap, norm=norm, aspect="auto")
    ax.set_xticks(range(v.shape[1]), col_labels)
    ax.set_yticks(range(v.shape[0]), row_labels)
    mid = np.nanmean(np.log(finite)) if norm is not None else (np.nanmean(finite) if finite.size else 0)
    for i in range(v.shape[0]):
        for j in range(v.shape[1]):
            if not np.isfinite(v[i, j]):
                continue
            text = annotations[i][j] if annotations is not None else f"{v[i, j]:.4g}"
            level = np.log(v[i, j]) if norm is not None else v[i, j]
            ax.text(j, i, text, ha="center", va="center", fontsize=8,
                    color="black" if level > mid else "white")
    fig.colorbar(im, ax=ax, label=colorbar_label)
    if title:
        ax.set_title(title)
    fig.tight_layout()
    return closed(fig)


# ---------------------------------------------------------------------------
# Colourisation: chroma distributions
# ---------------------------------------------------------------------------


def chroma_histograms(
    truth_uv,
    predictions: Mapping[str, np.ndarray],
    *,
    bins: int = 81,
    limit: float = 0.45,
    title: str | None = None,
):
    """Histograms of the U and V planes, truth against predictions (shows desaturation).

    A colouriser trained on MSE hedges towards zero chroma: its histograms are
    narrower and taller at 0 than the truth's. The y axis is logarithmic so the
    tails, where the colours are, stay visible.

    Args:
        truth_uv: true chroma ``(..., 2)`` (U, V).
        predictions: name → predicted chroma ``(..., 2)``.
        bins: bins over ``[-limit, limit]``.
        limit: half-width of the plotted chroma range (values beyond are
            counted in the outer bins).
        title: figure title.

    Returns:
        The matplotlib figure (two panels: U and V).

    Raises:
        ValueError: arrays whose last axis is not 2.
    """
    series = {"truth": np.asarray(truth_uv)} | {k: np.asarray(v) for k, v in predictions.items()}
    for name, v in series.items():
        if v.shape[-1:] != (2,):
            raise ValueError(f"{name}: chroma must have 2 channels (U, V) in the last axis, got {v.shape}")
    edges = np.linspace(-limit, limit, bins + 1)
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.6), sharey=True)
    for c, ax in enumerate(axes):
        for name, v in series.items():
            vals = np.clip(v[..., c].ravel(), -limit, limit)
            style = {"color": "black", "lw": 2.0} if name == "truth" else {"lw": 1.2}
            ax.hist(vals, bins=edges, histtype="step", density=True, label=name, **style)
        ax.set_yscale("log")
        ax.set_xlabel("UV"[c])
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("density")
    axes[1].legend(fontsize=8)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return closed(fig)


# ---------------------------------------------------------------------------
# Curves for the autoencoder family: ROC, sweeps, per-batch values
# ---------------------------------------------------------------------------


def roc_curves(curves: Mapping[str, tuple[Sequence[float], Sequence[float]]], *, title: str | None = None):
    """ROC curves of several anomaly scores, with the chance diagonal.

    Args:
        curves: ``{name: (fpr, tpr)}``; put the AUROC in the name if wanted.
        title: axis title.

    Returns:
        The matplotlib figure.

    Raises:
        ValueError: no curves, or ``fpr`` and ``tpr`` of different lengths.
    """
    if not curves:
        raise ValueError("roc_curves needs at least one curve")
    fig, ax = plt.subplots(figsize=(8, 4.5))
    for name, (fpr, tpr) in curves.items():
        if len(fpr) != len(tpr):
            raise ValueError(f"{name}: {len(fpr)} false-positive rates but {len(tpr)} true-positive rates")
        ax.plot(fpr, tpr, label=name)
    ax.plot([0, 1], [0, 1], ":", color="gray", label="chance")
    ax.set_xlabel("false-positive rate")
    ax.set_ylabel("true-positive rate")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.01)
    if title:
        ax.set_title(title)
    ax.set_aspect("equal")
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.03, 1))  # beside the square: long names cover no curve
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return closed(fig)


def xy_curves(
    series: Mapping[str, tuple[Sequence[float], Sequence[float]]],
    *,
    xlabel: str = "",
    ylabel: str = "",
    logx: bool = False,
    logy: bool = False,
    markers: bool = True,
    title: str | None = None,
):
    """Several named ``(x, y)`` curves on one axis (sweeps, error versus code size, per-batch values).

    Args:
        series: ``{name: (x, y)}``.
        xlabel, ylabel: axis labels.
        logx, logy: logarithmic axes.
        markers: draw a dot at each point.
        title: axis title.

    Returns:
        The matplotlib figure.

    Raises:
        ValueError: no series, or ``x`` and ``y`` of different lengths.
    """
    if not series:
        raise ValueError("xy_curves needs at least one series")
    fig, ax = plt.subplots(figsize=(6.5, 4))
    for name, (x, y) in series.items():
        if len(x) != len(y):
            raise ValueError(f"{name}: {len(x)} x values but {len(y)} y values")
        ax.plot(x, y, "o-" if markers else "-", ms=4, label=name)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if logx:
        ax.set_xscale("log")
    if logy:
        ax.set_yscale("log")
    if title:
        ax.set_title(title)
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return closed(fig)
