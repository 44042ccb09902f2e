"""Colourisation benchmark (source report 4, last part): gray → RGB versus Y → UV, judged alike.

Trains the source's 32-48-64 single model both ways on CIFAR-10 with the
source's protocol (train+test merged, 80/10/10 split with seed 42, inputs and RGB
targets on [-1, 1], MSE, Adam 1e-3, batch 128, 15 epochs, best weights on
validation loss, ReduceLROnPlateau(0.5, 3), EarlyStopping(10)), plus the
source's learning-rate comparison (Y → UV at 1e-5), and our colouriser (issue 16:
:mod:`aeutils.studies.colourisation_ours`, a U-Net over quantised chroma, same data, epochs and
seed). Prints one table scored in RGB on [0, 1] with the two baselines, the rows beside the
source's figures, and the study's checks. The result file is rewritten after every row.

Usage, from the repository root:
    nice -n 10 .venv/bin/python benchmarks/colourisation.py            # full size, every route
    .venv/bin/python benchmarks/colourisation.py --quick               # 3,000 images, 2 epochs
    .venv/bin/python benchmarks/colourisation.py --routes yuv,ours --low-learning-rate 0   # ours beside Y→UV

The CIFAR-10 copy in ../shared/data holds 50,000 training + 1,000 test images
(51,000 merged: 40,800/5,100/5,100); the source had 60,000.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import pandas as pd

from aeutils import color
from aeutils.params import parse_list
from aeutils.reports import write_metrics
from aeutils.studies import colourisation as S
from aeutils.studies import colourisation_ours as O
from aeutils.train import PRECISIONS

ROOT = Path(__file__).resolve().parent.parent

DEFAULT_DATASET = f"npz:{ROOT.parent / 'shared' / 'data' / 'cifar10.npz'}"
COLUMNS = (
    "method", "rgb_mse", "rgb_mse_pm1", "uv_mse", "uv_mse_source", "psnr", "ssim", "ciede2000",
    "colourfulness", "chroma", "out_of_gamut", "train_s", "epochs_run",
)  # fmt: skip


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--dataset", default=DEFAULT_DATASET, help="colour image source (default: CIFAR-10 .npz)")
    p.add_argument("--limit", type=int, default=0, help="at most this many images (0: all)")
    p.add_argument("--epochs", type=int, default=15)
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--learning-rate", type=float, default=1e-3)
    p.add_argument("--low-learning-rate", type=float, default=1e-5, help="0 skips the comparison")
    p.add_argument("--low-lr-routes", default="yuv", help="routes trained at the low rate: yuv and/or rgb")
    p.add_argument("--filters", default="32,48,64")
    p.add_argument("--rgb-route-gray", default="mean", choices=color.LUMINANCE_METHODS)
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--routes", default="rgb,yuv,ours", help="rows to train: rgb, yuv and/or ours (baselines always)")
    p.add_argument("--ours-filters", default=",".join(map(str, O.OURS_FILTERS)), help="our U-Net's channels")
    p.add_argument("--ours-rebalance", type=float, default=1.0, help="Zhang's lambda (1: no rebalancing)")
    p.add_argument("--ours-precision", default="auto", choices=PRECISIONS,
                   help="our U-Net's training precision (auto: bf16 where native and one timed batch shows it pays)")
    p.add_argument("--verbose", type=int, default=0, help="Keras progress lines (2: one per epoch)")
    p.add_argument("--quick", action="store_true", help="small budget: 3,000 images, 2 epochs")
    p.add_argument("--json", default=str(ROOT / "benchmarks" / "results" / "colourisation.json"), help="result file")
    args = p.parse_args(argv)
    if args.quick:
        args.limit = args.limit or 3000
        args.epochs = min(args.epochs, 2)
    return args


def _claims(rows, truth, reproduction):
    """The study's claims that the rows trained allow (all of them with every route)."""
    have = {r.get("route") for r in rows}
    if {"rgb", "yuv"} <= have:
        return S.claims(rows, reproduction=reproduction, truth_colourfulness=truth["colourfulness"])
    out = S.reproduction_claims(rows) if reproduction else []
    if "ours" in have:
        out += O.ours_claims(rows, truth_colourfulness=truth["colourfulness"])
    return out


def _headline(rows):
    have = {r.get("route") for r in rows}
    if {"rgb", "yuv"} <= have:
        return S.headline(rows)
    keys = ("rgb_mse", "psnr", "ssim", "ciede2000", "colourfulness")
    first = {}
    for r in rows:
        first.setdefault(r["method"] if r.get("route") == "baseline" else r.get("route"), r)
    return {f"{name}_{k}": float(r[k]) for name, r in first.items() for k in keys}


def _print_claims(claims):
    print("\nClaims:")
    for c in claims:
        ci = f" (95% CI of the difference {c['ci95'][0]:.4g} .. {c['ci95'][1]:.4g})" if c["ci95"] else ""
        print(f"  {'✓' if c['holds'] else '✗'} {c['claim']}: {c['ours']:.5g} vs {c['baseline']:.5g}{ci}")


def main(argv=None) -> int:
    args = parse_args(argv)
    checked = S.check_parameters({**vars(args), "size": 32})
    filters, low_routes = checked["filters"], checked["low_lr_routes"]
    routes = parse_list(args.routes, str, name="routes", min_len=1, choices=(*S.ROUTES, "ours"))
    ours_filters = checked["ours_filters"]
    reproduction = S.source_setting({**checked, "size": 32})
    start = time.perf_counter()
    data = S.prepare(args.dataset, limit=args.limit or None, seed=args.seed)
    print(f"data: {data.source}", flush=True)
    common = {"epochs": args.epochs, "batch_size": args.batch_size, "seed": args.seed, "verbose": args.verbose}
    truth = S.truth_row(data)
    rows = S.baseline_rows(data)
    for r in rows:
        for k in ("pred_rgb", "pred_uv"):
            r.pop(k, None)

    def write(final: bool):
        """Rewrite the result file with the rows so far (the claims that they allow)."""
        if not args.json:
            return
        have = {r.get("route") for r in rows}
        both = {"rgb", "yuv"} <= have
        write_metrics(
            args.json,
            experiment="colourisation benchmark",
            data_source=data.source,
            headline=_headline(rows),
            details={
                "table": S.table_rows([truth] + rows, COLUMNS),
                "baseline_comparisons": S.comparisons(rows) if both else None,
                "source_comparison": S.source_comparison(rows),
                "verdict": S.verdict(rows) if both else None,
                "temperature_search": next((r["temperature_search"] for r in rows if r.get("route") == "ours"), None),
                "histories": {r["method"]: r["history"] for r in rows if "history" in r},
                "total_s": time.perf_counter() - start,
                "complete": final,
            },
            parameters=vars(args),
            claims=_claims(rows, truth, reproduction),
            data_note=S.data_note(args.dataset, data),
        )

    plan = [(r, args.learning_rate) for r in routes if r in S.ROUTES]
    plan += [(r, args.low_learning_rate) for r in low_routes]
    plan += [("ours", args.learning_rate)] if "ours" in routes else []
    for route, lr in plan:
        if route == "ours":
            row = O.run_ours(data, filters=ours_filters, learning_rate=lr, rebalance=args.ours_rebalance,
                             precision=args.ours_precision, **common)
        else:
            gray = args.rgb_route_gray if route == "rgb" else None
            row = S.run_route(route, data, learning_rate=lr, gray=gray, filters=filters, **common)
        print(f"  {row['method']}: {row['epochs_run']} epochs, {row['train_s']:.0f} s, "
              f"CIEDE2000 {row['ciede2000']:.3f}, colourfulness {row['colourfulness']:.1f}", flush=True)  # fmt: skip
        if route == "ours":
            for t in row["temperature_search"]:
                print(f"    validation T {t['temperature']:g}: CIEDE2000 {t['ciede2000']:.3f}, "
                      f"colourfulness {t['colourfulness']:.1f}", flush=True)  # fmt: skip
        extra = [S.swap_in_true_luma(row, data)] if route == "rgb" and lr == args.learning_rate else []
        for r in [row] + extra:  # images and models are not needed past this point
            for k in ("pred_rgb", "pred_uv", "model"):
                r.pop(k, None)
            rows.append(r)
        write(final=False)
    claims = _claims(rows, truth, reproduction)
    table = S.table_rows([truth] + rows, COLUMNS)
    side = S.source_comparison(rows)

    with pd.option_context("display.width", 250, "display.max_columns", 30):
        print(f"\nColourisation, {args.epochs} epochs, test images scored in RGB on [0, 1]:")
        print(pd.DataFrame(table).set_index("method").to_string(float_format=lambda v: f"{v:.5g}"))
        if side:
            print("\nBeside the source's figures (same metric, same scale):")
            print(pd.DataFrame(side).set_index("setting").to_string(float_format=lambda v: f"{v:.6g}"))
    if {"rgb", "yuv"} <= {r.get("route") for r in rows}:
        print("\nChecks:")
        for k, v in S.verdict(rows).items():
            if isinstance(v, dict):
                v = (
                    f"mean diff {v['mean_diff']:.5g} (95% CI {v['ci95_low']:.5g} .. {v['ci95_high']:.5g}), "
                    f"Y→UV better on {100 * v['a_better_fraction']:.1f}% of {v['n']} images"
                )
            elif isinstance(v, float):
                v = f"{v:.5g}"
            print(f"  {k}: {v}")
        print("\nEach route against each baseline (table means):")
        for c in S.comparisons(rows):
            print(f"  {c['route']} vs {c['baseline']}, {c['metric']}: {c['route_value']:.5g} vs "
                  f"{c['baseline_value']:.5g} -> {'better' if c['route_better'] else 'NOT better'}")  # fmt: skip
    _print_claims(claims)
    for c in claims:
        if c["claim"].startswith("ours beats the plain gray"):
            print(f"  ({c['note']})")
    print(f"\ntotal {(time.perf_counter() - start) / 60:.1f} min")
    write(final=True)
    if args.json:
        print(f"written {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
