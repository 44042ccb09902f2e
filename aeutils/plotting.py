"""Figures and tables for the notebooks: reconstruction grids, loss curves, metric tables."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np


def _show(ax, img, value_range=(0.0, 1.0)):
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
            _show(axes[i, j], row[j], value_range)
        if row_titles:
            axes[i, 0].set_ylabel(row_titles[i], rotation=0, ha="right", va="center")
    if col_titles:
        for j, t in enumerate(col_titles):
            axes[0, j].set_title(t, fontsize=8)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def reconstruction_grid(originals, *reconstructions, titles=None, n: int = 8, value_range=(0, 1)):
    """Originals in the first row, one row per model's reconstructions of the same images."""
    titles = list(titles) if titles else ["original"] + [f"model {i + 1}" for i in range(len(reconstructions))]
    rows = [np.asarray(originals)[:n]] + [np.asarray(r)[:n] for r in reconstructions]
    return image_rows(rows, row_titles=titles, value_range=value_range)


def loss_curves(histories: Mapping[str, Mapping[str, Sequence[float]]] | Mapping[str, Sequence[float]], *, keys=("loss", "val_loss"), log: bool = True, title: str | None = None):
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
    fig, ax = plt.subplots(figsize=(7, 4))
    for name, hist in histories.items():
        for key in keys:
            if key in hist:
                values = hist[key]
                style = "--" if key.startswith("val") else "-"
                label = f"{name} {key}".strip()
                ax.plot(range(1, len(values) + 1), values, style, label=label)
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss")
    if log:
        ax.set_yscale("log")
    if title:
        ax.set_title(title)
    ax.legend(fontsize=7, ncol=2)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig


def metric_table(rows: Sequence[Mapping], *, index: str | None = None, precision: int = 4):
    """Turn result rows (dicts) into a pandas DataFrame rounded for display."""
    import pandas as pd

    df = pd.DataFrame(list(rows))
    if index and index in df:
        df = df.set_index(index)
    return df.round(precision)


def histograms(values: Mapping[str, Sequence[float]], *, bins: int = 40, xlabel: str = "", title: str | None = None):
    """Overlaid histograms of several value sets (e.g. per-image errors per model)."""
    fig, ax = plt.subplots(figsize=(7, 3.5))
    for name, v in values.items():
        ax.hist(np.asarray(v), bins=bins, alpha=0.5, label=name)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("images")
    if title:
        ax.set_title(title)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig
