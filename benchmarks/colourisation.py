"""Colourisation benchmark (source report 4, last part): gray → RGB versus Y → UV, judged alike.

Trains the source's 32-48-64 single model both ways on CIFAR-10 with the
source's protocol (train+test merged, 80/10/10 split with seed 42, inputs and RGB
targets on [-1, 1], MSE, Adam 1e-3, batch 128, 15 epochs, best weights on
validation loss, ReduceLROnPlateau(0.5, 3), EarlyStopping(10)), plus the
source's learning-rate comparison (Y → UV at 1e-5). Prints one table scored in
RGB on [0, 1] with the two baselines, the rows beside the source's figures, and
the study's checks.

Usage, from the repository root:
    nice -n 10 .venv/bin/python benchmarks/colourisation.py            # full size
    .venv/bin/python benchmarks/colourisation.py --quick               # 3,000 images, 2 epochs

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
from aeutils.reports import write_metrics
from aeutils.studies import colourisation as S

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
    p.add_argument("--quick", action="store_true", help="small budget: 3,000 images, 2 epochs")
    p.add_argument("--json", default=str(ROOT / "benchmarks" / "results" / "colourisation.json"), help="result file")
    args = p.parse_args(argv)
    if args.quick:
        args.limit = args.limit or 3000
        args.epochs = min(args.epochs, 2)
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    checked = S.check_parameters({**vars(args), "size": 32})
    filters, low_routes = checked["filters"], checked["low_lr_routes"]
    start = time.perf_counter()
    data = S.prepare(args.dataset, limit=args.limit or None, seed=args.seed)
    print(f"data: {data.source}", flush=True)
    common = {"filters": filters, "epochs": args.epochs, "batch_size": args.batch_size, "seed": args.seed}
    truth = S.truth_row(data)
    rows = S.baseline_rows(data)
    for route, lr in [("rgb", args.learning_rate), ("yuv", args.learning_rate)] + [
        (r, args.low_learning_rate) for r in low_routes
    ]:
        gray = args.rgb_route_gray if route == "rgb" else None
        row = S.run_route(route, data, learning_rate=lr, gray=gray, **common)
        print(f"  {row['method']}: {row['epochs_run']} epochs, {row['train_s']:.0f} s", flush=True)
        rows.append(row)
        if route == "rgb" and lr == args.learning_rate:
            rows.append(S.swap_in_true_luma(row, data))
    for r in rows:  # images are not needed past this point
        r.pop("pred_rgb", None)
        r.pop("pred_uv", None)
    verdict = S.verdict(rows)
    claims = S.claims(rows)
    comparison = S.comparisons(rows)
    table = S.table_rows([truth] + rows, COLUMNS)
    side = S.source_comparison(rows)

    with pd.option_context("display.width", 250, "display.max_columns", 30):
        print(f"\nColourisation, {args.epochs} epochs, test images scored in RGB on [0, 1]:")
        print(pd.DataFrame(table).set_index("method").to_string(float_format=lambda v: f"{v:.5g}"))
        print("\nBeside the source's figures (same metric, same scale):")
        print(pd.DataFrame(side).set_index("setting").to_string(float_format=lambda v: f"{v:.6g}"))
    print("\nChecks:")
    for k, v in verdict.items():
        if isinstance(v, dict):
            v = (
                f"mean diff {v['mean_diff']:.5g} (95% CI {v['ci95_low']:.5g} .. {v['ci95_high']:.5g}), "
                f"Y→UV better on {100 * v['a_better_fraction']:.1f}% of {v['n']} images"
            )
        elif isinstance(v, float):
            v = f"{v:.5g}"
        print(f"  {k}: {v}")
    print("\nEach route against each baseline (table means):")
    for c in comparison:
        print(f"  {c['route']} vs {c['baseline']}, {c['metric']}: {c['route_value']:.5g} vs {c['baseline_value']:.5g}"
              f" -> {'better' if c['route_better'] else 'NOT better'}")  # fmt: skip
    print("\nClaims:")
    for c in claims:
        ci = f" (95% CI of the difference {c['ci95'][0]:.4g} .. {c['ci95'][1]:.4g})" if c["ci95"] else ""
        print(f"  {'✓' if c['holds'] else '✗'} {c['claim']}: {c['ours']:.5g} vs {c['baseline']:.5g}{ci}")
    total = time.perf_counter() - start
    print(f"\ntotal {total / 60:.1f} min")
    if args.json:
        write_metrics(
            args.json,
            experiment="colourisation benchmark",
            data_source=data.source,
            headline=S.headline(rows),
            details={
                "table": table,
                "baseline_comparisons": comparison,
                "source_comparison": side,
                "verdict": verdict,
                "histories": {r["method"]: r["history"] for r in rows if "history" in r},
                "total_s": total,
            },
            parameters=vars(args),
            claims=claims,
            data_note=S.data_note(args.dataset, data),
        )
        print(f"written {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
