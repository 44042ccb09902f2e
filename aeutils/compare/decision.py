"""The decision on held-out images: the family of four tests, Holm-adjusted, per set pair and per group."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from aeutils.compare.sets import MIN_HELDOUT, PreparedSet
from aeutils.stats import EPS, holm, mann_whitney, mmd_test


def decision_tests(
    errors: Mapping[str, np.ndarray],
    *,
    codes: Mapping[str, np.ndarray] | None = None,
    alpha: float = 0.05,
    n_permutations: int = 1000,
    seed: int = 0,
) -> dict:
    """The held-out tests (three on errors, a fourth on codes), Holm-adjusted, and the verdict with its effect sizes.

    Args:
        errors: held-out per-image errors with keys ``A_by_A``, ``B_by_A``,
            ``B_by_B``, ``A_by_B`` (``X_by_M`` = set X's held-out images
            reconstructed by model M).
        codes: optional held-out codes ``{"A": (n_A, D), "B": (n_B, D)}`` (see
            :func:`heldout_codes`); adds the *codes* test, an MMD permutation
            test of A's codes against B's.
        alpha: family-wise level.
        n_permutations, seed: the codes test's permutations.

    Returns:
        ``{"tests": [...], "p_value", "verdict", "alpha", "effect_ratio",
        "ratios": {...}}``. ``p_value`` is the smallest Holm-adjusted p-value
        (the family's p-value for "same"); ``effect_ratio`` is the geometric
        mean over both directions of the per-image cross/within error ratio
        (about 1 when the sets share one structure, above 1 when each model
        fits its own set better).

    Raises:
        ValueError: missing keys or empty samples.
    """
    missing = [k for k in ("A_by_A", "B_by_A", "B_by_B", "A_by_B") if k not in errors]
    if missing:
        raise ValueError(f"decision_tests needs errors {missing}")
    e = {k: np.maximum(np.asarray(v, dtype=np.float64), EPS) for k, v in errors.items()}
    d_a = np.log(e["A_by_B"]) - np.log(e["A_by_A"])  # A's images: cross over within, log
    d_b = np.log(e["B_by_B"]) - np.log(e["B_by_A"])  # the same difference (model B over model A) for B's
    tests = [
        {
            "name": "model A: cross (B) vs within (A)",
            "key": "model_A",
            **mann_whitney(e["B_by_A"], e["A_by_A"], alternative="two-sided"),
        },
        {
            "name": "model B: cross (A) vs within (B)",
            "key": "model_B",
            **mann_whitney(e["A_by_B"], e["B_by_B"], alternative="two-sided"),
        },
        {
            "name": "preference: log(L_B/L_A), A's images vs B's",
            "key": "preference",
            **mann_whitney(d_a, d_b, alternative="greater"),
        },
    ]
    if codes is not None:
        mmd = mmd_test(codes["A"], codes["B"], n_permutations=n_permutations, seed=seed)
        tests.append(
            {
                "name": "codes: MMD of both encoders' codes, A vs B",
                "key": "codes",
                "statistic": mmd["statistic"],
                "p_value": mmd["p_value"],
                "auc": None,
                "n_x": len(codes["A"]),
                "n_y": len(codes["B"]),
            }
        )
    adjusted = holm([t["p_value"] for t in tests])
    for t, p in zip(tests, adjusted, strict=True):
        t["p_holm"] = float(p)
    p_value = float(adjusted.min())
    ratios = {
        "A_cross_over_within": float(np.exp(np.mean(d_a))),  # A's images: model B / model A
        "B_cross_over_within": float(np.exp(-np.mean(d_b))),  # B's images: model A / model B
        "A_mean_ratio": float(np.mean(e["A_by_B"]) / np.mean(e["A_by_A"])),
        "B_mean_ratio": float(np.mean(e["B_by_A"]) / np.mean(e["B_by_B"])),
    }
    effect = float(np.sqrt(ratios["A_cross_over_within"] * ratios["B_cross_over_within"]))
    return {
        "tests": tests,
        "p_value": p_value,
        "verdict": "different" if p_value < alpha else "same",
        "alpha": alpha,
        "effect_ratio": effect,
        "preference_auc": tests[2]["auc"],
        "ratios": ratios,
    }


def group_breakdown(
    a_held: PreparedSet,
    b_held: PreparedSet,
    errors: Mapping[str, np.ndarray],
    *,
    codes: Mapping[str, np.ndarray] | None = None,
    alpha: float = 0.05,
    min_images: int = MIN_HELDOUT,
    seed: int = 0,
) -> list[dict]:
    """Per-group error means and tests on held-out images, Holm-adjusted across groups.

    A group present in both sets with at least ``min_images`` held-out images
    in each gets the tests of :func:`decision_tests` (its p-value is their Holm minimum); the
    group p-values are then Holm-adjusted across the tested groups.

    Returns:
        One row per group: ``{"group", "n_A", "n_B", mean errors ..., "p_value",
        "p_holm", "verdict", "effect_ratio"}`` (tests absent when untestable).
    """
    if a_held.groups is None and b_held.groups is None:
        return []
    ga = a_held.groups if a_held.groups is not None else np.array([""] * len(a_held))
    gb = b_held.groups if b_held.groups is not None else np.array([""] * len(b_held))
    rows = []
    for g in sorted(set(ga) | set(gb), key=str):
        ia, ib = np.flatnonzero(ga == g), np.flatnonzero(gb == g)
        row = {"group": str(g), "n_A": len(ia), "n_B": len(ib)}
        for key, v in errors.items():
            idx = ia if key.startswith("A_") else ib
            row[key] = float(np.mean(v[idx])) if len(idx) else None
        if len(ia) >= min_images and len(ib) >= min_images:
            sub = {k: v[ia] if k.startswith("A_") else v[ib] for k, v in errors.items()}
            sub_codes = None if codes is None else {"A": codes["A"][ia], "B": codes["B"][ib]}
            dec = decision_tests(sub, codes=sub_codes, alpha=alpha, seed=seed)
            row.update(p_value=dec["p_value"], effect_ratio=dec["effect_ratio"])
        rows.append(row)
    tested = [r for r in rows if "p_value" in r]
    if tested:
        for r, p in zip(tested, holm([r["p_value"] for r in tested]), strict=True):
            r["p_holm"] = float(p)
            r["verdict"] = "different" if p < alpha else "same"
    return rows


def verdict_text(decision: Mapping) -> str:
    """One sentence: the verdict with its p-value and effect sizes (never a bare threshold)."""
    r = decision["ratios"]
    word = "DIFFERENT structure" if decision["verdict"] == "different" else "SAME structure (no difference detected)"
    rel = "<" if decision["verdict"] == "different" else ">="
    return (
        f"{word}: p = {decision['p_value']:.3g} {rel} alpha = {decision['alpha']} "
        f"(Holm, {len(decision['tests'])} tests); "
        f"cross/within error ratio {r['A_cross_over_within']:.2f}x for A's images, "
        f"{r['B_cross_over_within']:.2f}x for B's (geometric mean {decision['effect_ratio']:.2f}x); "
        f"preference AUC {decision['preference_auc']:.2f} (0.5 = none)"
    )
