"""False-positive rate and power of the cross-reconstruction test against "Failing Loudly" baselines.

For each dataset (COIL-20: 20 real objects photographed at 72 angles; CIFAR-10)
and each scenario, ``--reps`` pairs of image sets (``--n`` images each) are
drawn at random and compared:

* ``null``: two random halves of one random sample (no difference: every
  "different" verdict is a false positive);
* ``exposure-S``: set B has its exposure reduced to S of the light (gamma 2.2,
  8-bit; no noise), S in 0.9 / 0.75 / 0.5;
* ``objects``: COIL objects 1-10 against 11-20; CIFAR vehicles (plane, car,
  ship, truck) against animals;
* ``angles`` (COIL): views from the front or back (within 45 degrees of 0 or
  180) against views from the sides (within 45 degrees of 90 or 270).

Methods, all on the same held-out images of the same split:

* ``ours``: :func:`aeutils.compare.compare` (two autoencoders; three
  Mann-Whitney tests on held-out errors and an MMD test on the trained
  encoders' held-out codes, Holm), verdict at ``alpha``;
* ``ours-errors``: the same run's three error tests alone, Holm-adjusted (the
  decision rule before the codes test was added);
* ``mmd-pca``, ``ks-pca``: MMD (Gaussian kernel, median heuristic, permutation
  p-value) and per-feature KS with Bonferroni on a 32-component PCA fitted on
  both sets' training images (Rabanser et al., "Failing Loudly", 2019);
* ``mmd-uae``: MMD on the codes of an untrained conv encoder (32 units).

The benchmark's sets declare no near-duplicate groups (``split_groups=None``):
the split and the tests' unit are the image, exactly as when these rates were
measured. Sets that declare groups (the motorcycle tiles) are split and tested
by group, a change these rates do not cover.

Usage (from the repository root)::

    .venv/bin/python benchmarks/compare_power.py --quick            # a few minutes
    nice -n 10 .venv/bin/python benchmarks/compare_power.py         # full size

Prints one table row per (dataset, scenario): the rate of "different"
verdicts per method (the false-positive rate on ``null`` rows, with a
Clopper-Pearson 95% upper bound), the sample sizes and the seconds per pair.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

# aeutils is imported as the installed package (pip install -e .), after the Keras environment above.
from aeutils import compare as C  # noqa: E402
from aeutils import data as D  # noqa: E402
from aeutils import stats as S  # noqa: E402

DEFAULT_DATA = ROOT.parent / "shared" / "data"
METHODS = ("ours", "ours-errors", "mmd-pca", "ks-pca", "mmd-uae")
ERROR_TESTS = ("model_A", "model_B", "preference")
VEHICLES = (0, 1, 8, 9)


def load_coil(data_dir: Path, size: int) -> dict:
    """COIL-20 images resized to ``size`` (area), with object ids and angles."""
    with np.load(data_dir / "coil20.npz") as z:
        images = z["images"][..., None].astype(np.float32) / 255.0
        obj, angle = z["object_id"].astype(int), z["angle_deg"].astype(int)
    return {"images": D.resize(images, size), "object": obj, "angle": angle, "name": "coil20"}


def load_cifar(data_dir: Path, pool: int, seed: int) -> dict:
    """A random pool of CIFAR-10 training images (the whole set does not fit this machine's memory as floats)."""
    with np.load(data_dir / "cifar10.npz") as z:
        x, y = z["x_train"], z["y_train"].astype(int)
    keep = D.subsample(len(x), pool, seed)
    return {"images": x[keep].astype(np.float32) / 255.0, "label": y[keep], "name": "cifar10"}


def scenarios(ds: dict) -> list[str]:
    out = ["null", "exposure-0.9", "exposure-0.75", "exposure-0.5", "objects"]
    return out + (["angles"] if "angle" in ds else [])


def draw_pair(ds: dict, scenario: str, n: int, rng) -> tuple[np.ndarray, np.ndarray]:
    """Two image sets of ``n`` images for one scenario (disjoint images)."""
    x = ds["images"]
    if scenario == "objects":
        first = ds["object"] <= 10 if "object" in ds else np.isin(ds["label"], VEHICLES)
        ia = rng.choice(np.flatnonzero(first), n, replace=False)
        ib = rng.choice(np.flatnonzero(~first), n, replace=False)
        return x[ia], x[ib]
    if scenario == "angles":
        front = np.abs(((ds["angle"] + 45) % 180) - 45) < 45
        ia = rng.choice(np.flatnonzero(front), n, replace=False)
        ib = rng.choice(np.flatnonzero(~front), n, replace=False)
        return x[ia], x[ib]
    idx = rng.choice(len(x), 2 * n, replace=False)
    a, b = x[idx[:n]], x[idx[n:]]
    if scenario.startswith("exposure-"):
        b = D.simulate_low_light(b, exposure=float(scenario.split("-")[1]), photons=None, read_noise=0.0)
    return a, b


def run_pair(a, b, *, seed: int, args) -> dict:
    """All methods on one pair; returns p-values and seconds."""
    t0 = time.perf_counter()
    res = C.compare(
        C.PreparedSet("A", "benchmark", a),
        C.PreparedSet("B", "benchmark", b),
        patch=0,
        groups=None,
        split_groups=None,
        heldout=args.heldout,
        epochs=args.epochs,
        batch_size=args.batch_size,
        seed=seed,
        alpha=args.alpha,
        merged=False,
        null_control=None,
        log=None,
    )
    t_ours = time.perf_counter() - t0
    (tr_a, te_a), (tr_b, te_b) = res.split["A"], res.split["B"]
    t0 = time.perf_counter()
    pooled = np.concatenate([a[tr_a], b[tr_b]])
    ca, cb = C.pca_codes(pooled, a[te_a], b[te_b], k=min(32, len(pooled) - 1), seed=seed)
    ua, ub = C.random_encoder_codes(a[te_a], b[te_b], k=32, seed=seed)
    raw = {t["key"]: t["p_value"] for t in res.decision["tests"]}
    p = {
        "ours": res.p_value,
        "ours-errors": float(S.holm([raw[k] for k in ERROR_TESTS]).min()),
        "mmd-pca": S.mmd_test(ca, cb, n_permutations=args.permutations, seed=seed)["p_value"],
        "ks-pca": S.ks_test(ca, cb)["p_value"],
        "mmd-uae": S.mmd_test(ua, ub, n_permutations=args.permutations, seed=seed)["p_value"],
    }
    return {
        "p": p,
        "tests": {t["key"]: t["p_holm"] for t in res.decision["tests"]},
        "tests_raw": raw,
        "effect_ratio": res.decision["effect_ratio"],
        "n_train": len(tr_a),
        "n_heldout": len(te_a),
        "seconds_ours": t_ours,
        "seconds_baselines": time.perf_counter() - t0,
    }


def clopper_pearson_upper(k: int, n: int, level: float = 0.95) -> float:
    """One-sided upper confidence bound of a binomial rate."""
    from scipy.stats import beta

    return 1.0 if k == n else float(beta.ppf(level, k + 1, n - k))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small budget to check the script (minutes)")
    parser.add_argument("--reps", type=int, help="pairs per shifted scenario (full 20, quick 2)")
    parser.add_argument("--null-reps", type=int, help="null pairs per dataset (full 100, quick 4)")
    parser.add_argument("--n", type=int, help="images per set (full 200, quick 80)")
    parser.add_argument("--epochs", type=int, help="epochs per autoencoder (full 40, quick 10)")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--heldout", type=float, default=0.3)
    parser.add_argument("--size", type=int, default=32, help="COIL-20 images are resized to this side")
    parser.add_argument("--permutations", type=int, help="MMD permutations (full 1000, quick 200)")
    parser.add_argument("--alpha", type=float, default=0.05)
    parser.add_argument("--datasets", default="coil20,cifar10")
    parser.add_argument("--scenarios", default="", help="comma-separated subset (default all)")
    parser.add_argument("--data-dir", default=str(DEFAULT_DATA))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", help="write every pair's p-values here")
    parser.add_argument("--from-json", help="print the tables of an earlier run's --json file, run nothing")
    args = parser.parse_args(argv)
    if args.from_json:
        saved = json.loads(Path(args.from_json).read_text())
        args.alpha, args.epochs = saved["args"]["alpha"], saved["args"]["epochs"]
        print_table(saved["rows"], args)
        print_size_adjusted(saved["pairs"], args)
        return 0
    full = {"reps": 20, "null_reps": 100, "n": 200, "epochs": 40, "permutations": 1000}
    quick = {"reps": 2, "null_reps": 4, "n": 80, "epochs": 10, "permutations": 200}
    for k, v in (quick if args.quick else full).items():
        if getattr(args, k) is None:
            setattr(args, k, v)
    data_dir = Path(args.data_dir)
    wanted = [s for s in args.scenarios.split(",") if s]
    rows, records = [], []
    start = time.perf_counter()
    for name in [d for d in args.datasets.split(",") if d]:
        if name == "coil20":
            ds = load_coil(data_dir, args.size)
        elif name == "cifar10":
            ds = load_cifar(data_dir, pool=max(4 * args.n, 4000), seed=args.seed)
        else:
            parser.error(f"unknown dataset {name!r} (coil20, cifar10)")
        for scen in scenarios(ds):
            if wanted and scen not in wanted:
                continue
            rng = np.random.default_rng([args.seed, len(records) + 1])
            hits = {m: 0 for m in METHODS}
            secs_ours, secs_base, effects = [], [], []
            reps = args.null_reps if scen == "null" else args.reps
            for rep in range(reps):
                a, b = draw_pair(ds, scen, args.n, rng)
                r = run_pair(a, b, seed=args.seed * 1000 + rep, args=args)
                for m in METHODS:
                    hits[m] += r["p"][m] < args.alpha
                secs_ours.append(r["seconds_ours"])
                secs_base.append(r["seconds_baselines"])
                effects.append(r["effect_ratio"])
                records.append({"dataset": name, "scenario": scen, "rep": rep, **r})
                print(
                    f"  {name} {scen} rep {rep + 1}/{reps}: "
                    + " ".join(f"{m} p={r['p'][m]:.3g}" for m in METHODS)
                    + f" (effect {r['effect_ratio']:.2f}x, {r['seconds_ours']:.0f} s)",
                    file=sys.stderr,
                    flush=True,
                )
            row = {
                "dataset": name,
                "scenario": scen,
                "pairs": reps,
                "n_per_set": f"{args.n} ({r['n_train']}+{r['n_heldout']})",
            }
            for m in METHODS:
                row[m] = hits[m] / reps
            if scen == "null":
                row["ours_fpr_upper95"] = clopper_pearson_upper(hits["ours"], reps)
            row["effect"] = float(np.median(effects))
            row["s_ours"] = float(np.mean(secs_ours))
            row["s_base"] = float(np.mean(secs_base))
            rows.append(row)
            if args.json:  # after every scenario: the last write is the whole run; a cut-short run keeps its part
                write_json(args.json, rows, records, args)
    print_table(rows, args)
    print_size_adjusted(records, args)
    print(
        f"\ntotal {time.perf_counter() - start:.0f} s; command: python benchmarks/compare_power.py "
        + " ".join(argv if argv is not None else sys.argv[1:])
    )
    return 0


def write_json(path, rows, records, args) -> None:
    """Write the finished scenarios' rows and every pair's p-values."""
    Path(path).write_text(json.dumps({"rows": rows, "pairs": records, "args": vars(args)}, indent=1))


def print_table(rows, args) -> None:
    print(
        f"\nRate of 'different' verdicts at alpha = {args.alpha} (null rows: false-positive rate; "
        f"others: power). {args.epochs} epochs per autoencoder."
    )
    methods = [m for m in METHODS if m in rows[0]]  # older runs lack "ours-errors"
    head = ["dataset", "scenario", "pairs", "n_per_set", *methods, "effect", "s_ours", "s_base"]
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for r in rows:
        cells = []
        for h in head:
            v = r[h]
            if h in methods:
                v = f"{v:.2f}" + (f" (≤{r['ours_fpr_upper95']:.2f})" if h == "ours" and "ours_fpr_upper95" in r else "")
            elif isinstance(v, float):
                v = f"{v:.2f}" if h == "effect" else f"{v:.1f}"
            cells.append(str(v))
        print("| " + " | ".join(cells) + " |")


def print_size_adjusted(records, args, fpr: float = 0.05) -> None:
    """Power of every method at the threshold that gives it the same empirical false-positive rate on the null pairs."""
    print(
        f"\nSize-adjusted power: each method's p-value threshold is set so that at most {fpr:.0%} of its own "
        "null pairs are rejected (thresholds in brackets), then the share of shifted pairs below it."
    )
    methods = [m for m in METHODS if m in records[0]["p"]]
    head = ["dataset", "scenario", "pairs", *methods]
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for name in dict.fromkeys(r["dataset"] for r in records):
        pairs = [r for r in records if r["dataset"] == name]
        null = {m: [r["p"][m] for r in pairs if r["scenario"] == "null"] for m in methods}
        if not null[METHODS[0]]:
            continue
        for scen in dict.fromkeys(r["scenario"] for r in pairs if r["scenario"] != "null"):
            shifted = [r for r in pairs if r["scenario"] == scen]
            cells = [name, scen, str(len(shifted))]
            for m in methods:
                res = S.size_adjusted_power(null[m], [r["p"][m] for r in shifted], fpr=fpr)
                cells.append(f"{res['power']:.2f} (<{res['threshold']:.3g})")
            print("| " + " | ".join(cells) + " |")


if __name__ == "__main__":
    sys.exit(main())
