"""The comparison's figures: error matrix, error distributions, reconstructions, outliers, groups.

Each returns its figure closed, like :mod:`aeutils.plotting` (shown once where displayed).
"""

from __future__ import annotations

import textwrap

import matplotlib.pyplot as plt
import numpy as np

from aeutils.compare.model import reconstruct
from aeutils.compare.result import Comparison
from aeutils.plotting import closed, heatmap, image_rows
from aeutils.stats import EPS


def _short(name: str, width: int = 22) -> str:
    """A set name cut to fit under a heat-map column: the part after ``embedded:``, wrapped."""

    return "\n".join(textwrap.wrap(name.removeprefix("embedded:"), width, break_on_hyphens=False)[:2])


def plot_error_matrix(result: Comparison):
    """The 3x2 matrix of mean held-out errors (models x sets) as a heat map, with 95% CIs."""

    ann = []
    for m in ("A", "B", "merged"):
        row = []
        for x in ("A", "B"):
            s = result.error_summary(x, m)
            row.append("" if s is None else f"{s['mean']:.4g}\n[{s['ci95_low']:.3g}, {s['ci95_high']:.3g}]")
        ann.append(row)
    return heatmap(
        result.matrix(),
        row_labels=["model A", "model B", "merged"],
        col_labels=[f"held-out A\n{_short(result.a.name)}", f"held-out B\n{_short(result.b.name)}"],
        annotations=ann,
        log=True,
        colorbar_label="mean MSE",
        title="mean reconstruction error (95% CI)",
    )


def plot_error_histograms(result: Comparison, *, bins: int = 25):
    """Per-image held-out errors per direction (within vs cross under each model), and the preference."""

    e = result.errors
    fig, axes = plt.subplots(1, 3, figsize=(14, 3.6))
    for ax, m, other in ((axes[0], "A", "B"), (axes[1], "B", "A")):
        within, cross = (
            np.log10(np.maximum(e[f"{m}_by_{m}"], EPS)),
            np.log10(np.maximum(e[f"{other}_by_{m}"], EPS)),
        )
        edges = np.histogram_bin_edges(np.concatenate([within, cross]), bins=bins)
        ax.hist(within, bins=edges, alpha=0.6, label=f"within: {m}'s images")
        ax.hist(cross, bins=edges, alpha=0.6, label=f"cross: {other}'s images")
        t = result.decision["tests"][0 if m == "A" else 1]
        ax.set_title(f"model {m} (p = {t['p_value']:.2g}, AUC {t['auc']:.2f})", fontsize=10)
        ax.set_xlabel("log10 per-image MSE")
        ax.legend(fontsize=8)
    d_a = np.log(np.maximum(e["A_by_B"], EPS)) - np.log(np.maximum(e["A_by_A"], EPS))
    d_b = np.log(np.maximum(e["B_by_B"], EPS)) - np.log(np.maximum(e["B_by_A"], EPS))
    edges = np.histogram_bin_edges(np.concatenate([d_a, d_b]), bins=bins)
    axes[2].hist(d_a, bins=edges, alpha=0.6, label="A's images")
    axes[2].hist(d_b, bins=edges, alpha=0.6, label="B's images")
    axes[2].axvline(0, color="k", lw=0.8)
    t = result.decision["tests"][2]
    axes[2].set_title(f"preference log(L_B / L_A) (p = {t['p_value']:.2g}, AUC {t['auc']:.2f})", fontsize=10)
    axes[2].set_xlabel("> 0: model A fits the image better")
    axes[2].legend(fontsize=8)
    for ax in axes:
        ax.set_ylabel("held-out images")
    fig.tight_layout()
    return closed(fig)


def plot_reconstructions(result: Comparison, which: str = "A", *, n: int = 8):
    """Held-out images of one set with their reconstructions by model A, model B and the merged model."""

    held = result.heldout(which)
    x = held.images[:n]
    rows, titles = [x], [f"held-out {which}"]
    for m in ("A", "B", "merged"):
        if m in result.models:
            r = reconstruct(result.models[m], x, patch=result.settings["patch"], stride=result.settings["stride"])
            rows.append(r)
            titles.append(f"by {m}" + (" (own)" if m == which else ""))
    errs = [f"{held.ids[i][-14:]}" for i in range(len(x))]
    return image_rows(
        rows,
        row_titles=titles,
        col_titles=errs,
        size=1.3,
        title=f"set {which} ({result.a.name if which == 'A' else result.b.name}): held-out images "
        "and their reconstructions",
    )


def plot_outliers(result: Comparison, *, n: int = 4):
    """The held-out images each own model fits worst (flagged outliers first), with their reconstructions."""

    rows, titles, cols = [], [], []
    for x in ("A", "B"):
        err = result.errors[f"{x}_by_{x}"]
        worst = np.argsort(err)[::-1][:n]
        held = result.heldout(x)
        imgs = held.images[worst]
        rec = reconstruct(result.models[x], imgs, patch=result.settings["patch"], stride=result.settings["stride"])
        flagged = set(result.outliers[x].tolist())
        pad = n - len(worst)
        if pad:
            imgs = np.concatenate([imgs, np.zeros((pad, *imgs.shape[1:]), np.float32)])
            rec = np.concatenate([rec, np.zeros((pad, *rec.shape[1:]), np.float32)])
        rows += [imgs, rec]
        titles += [f"worst {x}", f"by {x}"]
        cols.append([f"{'OUTLIER ' if i in flagged else ''}{err[i]:.4f}" for i in worst] + [""] * pad)
    fig = image_rows(
        rows,
        row_titles=titles,
        size=1.6,
        title="held-out images with the largest own-model error (MSE above each)",
    )
    axes = fig.axes
    for r, labels in enumerate(cols):
        for j, lab in enumerate(labels):
            axes[2 * r * n + j].set_title(lab, fontsize=7)
    return closed(fig)


def plot_groups(result: Comparison):
    """Mean held-out errors per group: within and cross for each set's images (log scale)."""

    rows = result.groups
    fig, ax = plt.subplots(figsize=(max(5, 1.3 * len(rows) + 2) + 3, 3.6))
    if not rows:
        ax.text(0.5, 0.5, "no groups", ha="center", va="center")
        ax.set_axis_off()
        return closed(fig)
    keys = [
        ("A_by_A", "A's images, model A"),
        ("A_by_B", "A's images, model B"),
        ("B_by_B", "B's images, model B"),
        ("B_by_A", "B's images, model A"),
    ]
    width = 0.8 / len(keys)
    for k, (key, label) in enumerate(keys):
        vals = [r.get(key) if r.get(key) is not None else np.nan for r in rows]
        ax.bar(np.arange(len(rows)) + (k - 1.5) * width, vals, width, label=label)
    ax.set_xticks(
        range(len(rows)),
        [f"{r['group']}\n" + (f"p = {r['p_holm']:.2g}" if "p_holm" in r else "untested") for r in rows],
    )
    ax.set_yscale("log")
    ax.set_ylabel("mean held-out MSE")
    ax.set_title("per group (Holm-adjusted across groups)")
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    fig.tight_layout()
    return closed(fig)
