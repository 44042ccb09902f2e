"""The result of a comparison (:class:`Comparison`): tables, the JSON schema, the text summary."""

from __future__ import annotations

import dataclasses

import numpy as np

from aeutils.compare.decision import verdict_text
from aeutils.compare.sets import PreparedSet
from aeutils.metrics import summarize
from aeutils.reports import jsonable
from aeutils.stats import EPS

ERROR_KEYS = ("A_by_A", "A_by_B", "A_by_merged", "B_by_B", "B_by_A", "B_by_merged")


@dataclasses.dataclass
class Comparison:
    """Everything a comparison found; :meth:`to_json` gives the serialisable part.

    Attributes:
        a, b: the two prepared sets.
        split: ``{"A": (train_idx, heldout_idx), "B": ...}`` into ``a``/``b``.
        errors: held-out per-image errors, keys in :data:`ERROR_KEYS`
            (``X_by_M``: set X's held-out images reconstructed by model M).
        train_errors: each model's per-image errors on its own training images.
        decision: output of :func:`decision_tests` (tests, p-value, verdict, effects).
        outliers: ``{"A": indices into A's held-out images, "B": ...}``.
        groups: per-group breakdown rows.
        null_control: the null control's result, or ``None``.
        models: the trained autoencoders ``{"A", "B", "merged"}``.
        histories: training loss per epoch for each model.
        settings: the protocol's parameters.
        seconds: wall time.
        warnings: things the reader must know (e.g. a failed null control).
        split_checks: :func:`~aeutils.compare.protocol.split_check` of every
            split used (``"comparison"``, ``"null_control"``, ``"null_halves"``).
        overlap: images the two sets share, :func:`~aeutils.compare.sets.set_overlap`.
        train_seconds: wall seconds of each model's training (``{"A", "B", "merged"}``).
    """

    a: PreparedSet
    b: PreparedSet
    split: dict
    errors: dict
    train_errors: dict
    decision: dict
    outliers: dict
    groups: list
    null_control: dict | None
    models: dict
    histories: dict
    settings: dict
    seconds: float
    warnings: list
    split_checks: dict = dataclasses.field(default_factory=dict)
    overlap: dict = dataclasses.field(default_factory=dict)
    train_seconds: dict = dataclasses.field(default_factory=dict)

    @property
    def verdict(self) -> str:
        """``"same"`` or ``"different"``."""
        return self.decision["verdict"]

    @property
    def p_value(self) -> float:
        """The smallest Holm-adjusted p-value of the decision's tests."""
        return self.decision["p_value"]

    def heldout(self, which: str) -> PreparedSet:
        """The held-out images of set ``"A"`` or ``"B"``."""
        return (self.a if which == "A" else self.b).take(self.split[which][1])

    def error_summary(self, images: str, model: str) -> dict | None:
        """Mean, 95% CI and median of set ``images``' held-out errors under ``model``; None if not scored."""
        key = f"{images}_by_{model}"
        return summarize(self.errors[key]) if key in self.errors else None

    def error_rows(self) -> list[dict]:
        """The error matrix as table rows: mean, 95% CI and median per (set, model)."""
        rows = []
        for key in ERROR_KEYS:
            if key in self.errors:
                x, m = key.split("_by_")
                s = self.error_summary(x, m)
                rows.append(
                    {
                        "images": f"held-out {x}",
                        "model": m,
                        "mean_mse": s["mean"],
                        "ci95_low": s["ci95_low"],
                        "ci95_high": s["ci95_high"],
                        "median_mse": s["median"],
                        "n": s["n"],
                    }
                )
        return rows

    def fit_rows(self) -> list[dict]:
        """Step 1 as table rows: each model's mean error on its own training and held-out images, outliers."""
        rows = []
        for x in ("A", "B"):
            train, held = float(np.mean(self.train_errors[x])), float(np.mean(self.errors[f"{x}_by_{x}"]))
            rows.append(
                {
                    "set": x,
                    "name": (self.a if x == "A" else self.b).name,
                    "train_mse": train,
                    "heldout_mse": held,
                    "heldout_over_train": held / max(train, EPS),
                    "heldout_images": len(self.split[x][1]),
                    "outliers": len(self.outliers[x]),
                }
            )
        return rows

    def test_rows(self) -> list[dict]:
        """The decision's tests as table rows (raw and Holm-adjusted p-values, AUC or MMD², sample sizes)."""
        return [
            {
                "test": t["name"],
                "p_value": t["p_value"],
                "p_holm": t["p_holm"],
                "auc": t["auc"],
                "statistic": t["statistic"],
                "n_1": t["n_x"],
                "n_2": t["n_y"],
            }
            for t in self.decision["tests"]
        ]

    def matrix(self) -> np.ndarray:
        """Mean held-out errors ``(3, 2)``: rows model A, B, merged; columns set A, B (NaN if absent)."""
        out = np.full((3, 2), np.nan)
        for i, m in enumerate(("A", "B", "merged")):
            for j, x in enumerate(("A", "B")):
                if f"{x}_by_{m}" in self.errors:
                    out[i, j] = float(np.mean(self.errors[f"{x}_by_{m}"]))
        return out

    def to_json(self) -> dict:
        """The serialisable summary (the schema of ``compare --json``)."""
        summaries = {k: summarize(v) for k, v in self.errors.items()}
        held = {k: self.heldout(k) for k in ("A", "B")}
        out = {
            "verdict": self.verdict,
            "p_value": self.p_value,
            "alpha": self.decision["alpha"],
            "effect_ratio": self.decision["effect_ratio"],
            "preference_auc": self.decision["preference_auc"],
            "errors": {k: s["mean"] for k, s in summaries.items()},
            "errors_ci95": {k: [s["ci95_low"], s["ci95_high"]] for k, s in summaries.items()},
            "error_summary": summaries,
            "ratios": self.decision["ratios"],
            "per_image_errors": {k: np.asarray(v).tolist() for k, v in self.errors.items()},
            "heldout_ids": {k: held[k].ids for k in ("A", "B")},
            "merged_over_own": {
                x: float(np.mean(self.errors[f"{x}_by_merged"]) / np.mean(self.errors[f"{x}_by_{x}"]))
                for x in ("A", "B")
                if f"{x}_by_merged" in self.errors
            },
            "fit": {
                x: {
                    "train_mse": float(np.mean(self.train_errors[x])),
                    "heldout_mse": float(np.mean(self.errors[f"{x}_by_{x}"])),
                }
                for x in ("A", "B")
            },
            "tests": self.decision["tests"],
            "null_control": self.null_control and {k: v for k, v in self.null_control.items() if k not in ("errors",)},
            "n_images": {"A": len(self.a), "B": len(self.b)},
            "n_train": {k: len(self.split[k][0]) for k in ("A", "B")},
            "n_heldout": {k: len(self.split[k][1]) for k in ("A", "B")},
            "outliers": {k: [held[k].ids[i] for i in self.outliers[k]] for k in ("A", "B")},
            "groups": self.groups,
            "sets": {
                "A": {"name": self.a.name, "source": self.a.source},
                "B": {"name": self.b.name, "source": self.b.source},
            },
            "settings": self.settings,
            "seconds": round(self.seconds, 1),
            "train_seconds": {k: round(v, 2) for k, v in self.train_seconds.items()},
            "warnings": self.warnings,
            "directions": self.decision.get("directions", []),
            "rejected": self.decision.get("rejected", []),
            "carried_by": self.decision.get("carried_by", []),
            "unit": self.decision.get("unit", "image"),
            "split_checks": self.split_checks,
            "overlap": self.overlap,
            "split_groups": {
                k: None if s.split_groups is None else s.split_groups.tolist()
                for k, s in (("A", self.a), ("B", self.b))
            },
            "split": {k: [v.tolist() for v in self.split[k]] for k in ("A", "B")},
        }
        if out["null_control"] is None:
            out["null_control"] = {"p_value": None, "verdict": None, "skipped": True}
        return jsonable(out)

    def summary(self) -> str:
        """A short text report: sizes, the error matrix, the tests, the verdict, the null control."""
        return summary_text(self)


def summary_text(result: Comparison) -> str:
    """The text summary printed by ``compare``: sets, error matrix with CIs, tests, verdict, null control."""
    lines = [
        f"A: {result.a.name} — {result.a.source}",
        f"B: {result.b.name} — {result.b.source}",
        f"images: A {len(result.a)} ({len(result.split['A'][0])} train / "
        f"{len(result.split['A'][1])} held out), "
        f"B {len(result.b)} ({len(result.split['B'][0])} / {len(result.split['B'][1])}); "
        + (
            f"{result.settings['patch']}px patches, stride {result.settings['stride']}"
            if result.settings["patch"]
            else "whole images"
        ),
        "",
        "held-out per-image MSE, mean [95% CI]:",
        f"  {'model':8s} {'set A images':>28s} {'set B images':>28s}",
    ]
    for m in ("A", "B", "merged"):
        cells = []
        for x in ("A", "B"):
            s = result.error_summary(x, m)
            cells.append("-" if s is None else f"{s['mean']:.5f} [{s['ci95_low']:.5f}, {s['ci95_high']:.5f}]")
        lines.append(f"  {m:8s} {cells[0]:>28s} {cells[1]:>28s}")
    lines.append("")
    lines.append("tests on held-out images (Holm-adjusted):")
    for t in result.decision["tests"]:
        effect = f"AUC {t['auc']:.2f}" if t["auc"] is not None else f"MMD² {t['statistic']:.3g}"
        lines.append(f"  {t['name']:46s} p = {t['p_value']:.3g} (adj. {t['p_holm']:.3g}), {effect}")
    lines.append("")
    lines.append("verdict: " + verdict_text(result.decision))
    nc = result.null_control
    if nc:
        lines.append(
            f"null control (two random halves of set {nc['set']}): {nc['verdict']} "
            f"(p = {nc['p_value']:.3g}, effect {nc['effect_ratio']:.2f}x) — " + ("passed" if nc["passed"] else "FAILED")
        )
    for x in ("A", "B"):
        if len(result.outliers[x]):
            ids = [result.heldout(x).ids[i] for i in result.outliers[x]]
            lines.append(f"outliers among held-out {x} images: {', '.join(ids[:8])}" + (" ..." if len(ids) > 8 else ""))
    tested = [g for g in result.groups if "p_holm" in g]
    if tested:
        lines.append("per group: " + "; ".join(f"{g['group']} {g['verdict']} (p = {g['p_holm']:.3g})" for g in tested))
    for name, chk in result.split_checks.items():
        if chk.get("grouped"):
            lines.append(
                f"split ({name.replace('_', ' ')}): {chk['n_groups_train']} near-duplicate groups trained on, "
                f"{chk['n_groups_heldout']} held out, {len(chk['groups_on_both_sides'])} on both sides"
            )
    for w in result.warnings:
        lines.append(f"warning: {w}")
    return "\n".join(lines)
