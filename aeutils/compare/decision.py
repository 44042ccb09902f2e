"""The decision on held-out images: the family of four tests, Holm-adjusted, per set pair and per group.

Besides the verdict, :func:`decision_tests` reports each *direction* on its
own (A's images: model B against model A; B's images: model A against model
B) with its cross/within error ratio and 95% interval, and the tests that
rejected; :func:`verdict_text` names the direction(s) that carry a verdict.
:func:`unit_means` averages per-image values over near-duplicate groups (the
test unit when a set declares them).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from aeutils.compare.sets import MIN_HELDOUT, PreparedSet
from aeutils.stats import EPS, holm, mann_whitney, mmd_test, ratio_interval

#: The two directions: (whose images, their own model, the other model).
DIRECTIONS = (("A", "A", "B"), ("B", "B", "A"))


def unit_means(values, groups) -> tuple[np.ndarray, np.ndarray]:
    """Average per-image values (``(n,)`` errors or ``(n, D)`` codes) within each group.

    Returns:
        ``(means, names)``: one row per group, groups in sorted order.

    Example:
    >>> m, g = unit_means(np.array([1.0, 3.0, 5.0]), ["x", "x", "y"])
    >>> m.tolist(), g.tolist()
    ([2.0, 5.0], ['x', 'y'])
    """
    v = np.asarray(values, dtype=np.float64)
    names, inverse = np.unique(np.asarray(groups).astype(str), return_inverse=True)
    counts = np.bincount(inverse, minlength=len(names)).astype(np.float64)
    flat = v.reshape(len(v), -1)
    sums = np.zeros((len(names), flat.shape[1]))
    np.add.at(sums, inverse, flat)
    means = sums / counts[:, None]
    return (means.reshape((len(names),) + v.shape[1:])), names


def direction_effects(errors: Mapping[str, np.ndarray]) -> list[dict]:
    """Each direction's cross/within error ratio: a set's held-out images under the other set's model over its own.

    Returns:
        Two rows ``{"images", "own_model", "other_model", "ratio", "ci95_low",
        "ci95_high", "n", "differs", "reading"}``: ``ratio`` is the geometric
        mean over units of ``L_other(x) / L_own(x)`` (above 1: the own model
        fits better), with a 95% t-interval; ``differs`` when it excludes 1.
    """
    rows = []
    for x, own, other in DIRECTIONS:
        r = ratio_interval(errors[f"{x}_by_{other}"], errors[f"{x}_by_{own}"])
        if not r["differs"]:
            reading = f"model {other} and model {own} reconstruct {x}'s images alike"
        elif r["ratio"] > 1:
            reading = f"model {own} reconstructs its own set {x}'s images better than model {other} does"
        else:
            reading = f"model {other} reconstructs {x}'s images better than {x}'s own model {own} does"
        rows.append({"images": x, "own_model": own, "other_model": other, **r, "reading": reading})
    return rows


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
        "ratios": {...}, "directions": [...], "rejected": [...], "carried_by": [...]}``.
        ``directions`` are :func:`direction_effects`; ``rejected`` the keys of
        the tests whose Holm-adjusted p-value is below ``alpha``;
        ``carried_by`` the sets (``"A"``, ``"B"``) whose direction's interval
        excludes 1 when the verdict is "different" (else empty). ``p_value`` is the smallest Holm-adjusted p-value
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
    verdict = "different" if p_value < alpha else "same"
    directions = direction_effects(e)
    return {
        "tests": tests,
        "p_value": p_value,
        "verdict": verdict,
        "directions": directions,
        "rejected": [t["key"] for t in tests if t["p_holm"] < alpha],
        "carried_by": [d["images"] for d in directions if d["differs"]] if verdict == "different" else [],
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
    """The verdict with its p-value, the tests that rejected, each direction's effect and the one(s) that carry it."""
    r = decision["ratios"]
    word = "DIFFERENT structure" if decision["verdict"] == "different" else "SAME structure (no difference detected)"
    rel = "<" if decision["verdict"] == "different" else ">="
    text = (
        f"{word}: p = {decision['p_value']:.3g} {rel} alpha = {decision['alpha']} "
        f"(Holm, {len(decision['tests'])} tests); "
    )
    directions = decision.get("directions")
    if not directions:
        return text + (
            f"cross/within error ratio {r['A_cross_over_within']:.2f}x for A's images, "
            f"{r['B_cross_over_within']:.2f}x for B's (geometric mean {decision['effect_ratio']:.2f}x); "
            f"preference AUC {decision['preference_auc']:.2f} (0.5 = none)"
        )
    rejected = decision.get("rejected", [])
    text += ("rejected: " + ", ".join(rejected) if rejected else "no test rejected") + ". "
    cells = [
        f"{d['images']}'s images, model {d['other_model']} over model {d['own_model']}: {d['ratio']:.2f}x "
        f"[{d['ci95_low']:.2f}, {d['ci95_high']:.2f}]"
        for d in directions
    ]
    text += "Cross/within error ratio, " + "; ".join(cells) + f" (geometric mean {decision['effect_ratio']:.2f}x). "
    if decision["verdict"] == "different":
        carried = [d for d in directions if d["images"] in decision.get("carried_by", [])]
        if carried:
            which = " and ".join(f"{d['images']}'s images" for d in carried)
            text += f"Carried by {which}: " + "; ".join(d["reading"] for d in carried) + "."
        else:
            text += "No direction's error ratio excludes 1: carried by the tests above alone."
    else:
        text += f"Preference AUC {decision['preference_auc']:.2f} (0.5 = none)."
    return text
