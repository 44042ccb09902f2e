"""Benchmark: mixed MNIST + CIFAR-10 mean images (source report 2) on the shared real data.

Pairs MNIST and CIFAR-10 by index as the source did, but with a CIFAR-10 test
set held out of its training split (the shared file has only 1,000 official
test images): training pairs are MNIST x_train[k] with CIFAR-10 x_train[k] for
k < 40,000; test pairs are MNIST x_test[k] with CIFAR-10 x_train[40,000 + k]
for k < 10,000. It then trains, on the same pairs:

* the source's model (83,619 parameters) with minibatches, scored on [0, 1]
  with a fixed data range and also the source's way;
* the same model with the source's schedule (50 full-batch Adam steps), to
  show where the source's SSIM 0.2322 / PSNR 15.62 dB came from;
* PCA with 1024 components (the latent size) as the linear baseline;
* our unmixing U-Net, scored per source image, beside the trivial baseline
  that takes the mixture for both images.

Target: mean test SSIM >= 0.90 and PSNR >= 28 dB on [0, 1] for the source's
model trained properly.

Full run (about 40-45 min on 2 shared CPU cores; measure with --quick first):
    nice -n 10 .venv/bin/python benchmarks/mixed.py
Quick check (a few minutes):
    nice -n 10 .venv/bin/python benchmarks/mixed.py --quick
"""

from __future__ import annotations

import argparse
import json
import resource
import time
from pathlib import Path

from aeutils.studies import mixed_mnist_cifar as S
from aeutils.train import predict

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "data"

TARGET_SSIM = S.TARGET_SSIM
TARGET_PSNR_DB = S.TARGET_PSNR_DB


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--mnist", default=f"npz:{SHARED / 'mnist.npz'}", help="first image source (digits)")
    p.add_argument("--cifar", default=f"npz:{SHARED / 'cifar10.npz'}", help="second image source (photos)")
    p.add_argument("--n-train", type=int, default=40_000, help="training pairs (source: 50,000)")
    p.add_argument("--n-test", type=int, default=10_000, help="test pairs (source: 10,000)")
    p.add_argument("--pairing", default="index", choices=("index", "shuffle"), help="source: index")
    p.add_argument("--epochs", type=int, default=30, help="epochs for the source's model (source: 50)")
    p.add_argument("--batch-size", type=int, default=32, help="source: 32")
    p.add_argument("--lr", type=float, default=1e-3, help="Adam learning rate (source: 1e-3)")
    p.add_argument("--source-steps", type=int, default=50, help="full-batch steps of the source's schedule (0 skips)")
    p.add_argument("--pca", type=int, default=1024, help="PCA components (0 skips)")
    p.add_argument("--unmix-epochs", type=int, default=10, help="epochs for the unmixer (0 skips)")
    p.add_argument("--unmix-width", type=int, default=16, help="unmixer channels at full resolution")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", default="", help="also write the results to this JSON file")
    p.add_argument(
        "--quick", action="store_true", help="4,000/1,000 pairs, 3 epochs, 5 source steps, PCA 256, 1 unmix epoch"
    )
    args = p.parse_args(argv)
    if args.quick:
        args.n_train, args.n_test, args.epochs = 4000, 1000, 3
        args.source_steps, args.pca, args.unmix_epochs = 5, 256, 1
    return args


def fmt(v, nd=4):
    if v is None:
        return "-"
    return f"{v:.{nd}f}" if isinstance(v, float) else str(v)


def print_table(rows, columns):
    widths = {c: max(len(c), *(len(fmt(r.get(c))) for r in rows)) for c in columns}
    print("  ".join(c.ljust(widths[c]) for c in columns))
    for r in rows:
        print("  ".join(fmt(r.get(c)).ljust(widths[c]) for c in columns))


class Clock:
    """Wall and CPU seconds of the parts of a run (CPU time shows the cost on a shared machine)."""

    def __init__(self):
        self.parts = {}

    def start(self):
        self._t = (time.perf_counter(), time.process_time())

    def stop(self, name):
        self.parts[name] = {
            "wall_s": time.perf_counter() - self._t[0],
            "cpu_s": time.process_time() - self._t[1],
            "peak_rss_gb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6,
        }
        return self.parts[name]["wall_s"]


def main(argv=None) -> int:
    args = parse_args(argv)
    clock, t0 = Clock(), time.perf_counter()
    clock.start()
    data = S.prepare(
        args.mnist, args.cifar, n_test=args.n_test, n_train=args.n_train, pairing=args.pairing, seed=args.seed
    )
    print(f"data ({clock.stop('data'):.0f} s): {data.source}")
    for key in ("first", "second"):
        print(f"  {data.info[key]['name']}: {data.info[key]['split']}")
    print(f"  images shared by training and test pairs: {data.info['shared_train_test_images']}")
    rows, unmix_rows = [S.source_row()], []

    if args.source_steps:
        clock.start()
        res = S.train_source_schedule(data, steps=args.source_steps, learning_rate=args.lr, seed=args.seed)
        clock.stop("source_schedule")
        sc = S.score(data.test.mixed, predict(res.model, S.to_model(data.test.mixed)))
        rows.append(
            S.with_ratios(
                S.summary_row(
                    f"source's schedule: {args.source_steps} full-batch steps",
                    sc,
                    test_loss_pm1=res.history["val_loss"][-1],
                    train_s=round(res.seconds, 1),
                )
            )
        )

    clock.start()
    res = S.train_autoencoder(
        data, epochs=args.epochs, batch_size=args.batch_size, learning_rate=args.lr, seed=args.seed, verbose=2
    )
    clock.stop("autoencoder")
    sc = S.score(data.test.mixed, predict(res.model, S.to_model(data.test.mixed)))
    ae_scores, unmixed, mixture = sc, None, None
    ours = S.with_ratios(
        S.summary_row(
            f"source's model, {args.epochs} epochs, batch {args.batch_size}",
            sc,
            test_loss_pm1=res.history["val_loss"][-1],
            train_s=round(res.seconds, 1),
        )
    )
    rows.append(ours)

    if args.pca:
        clock.start()
        recon, k = S.pca_reconstruction(data, args.pca, seed=args.seed)
        pca_s = clock.stop("pca")
        sc = S.score(data.test.mixed, recon, model_scale=False)
        rows.append(S.with_ratios(S.summary_row(f"PCA, {k} components", sc, train_s=round(pca_s, 1))))

    if args.unmix_epochs:
        clock.start()
        res = S.train_unmixer(
            data,
            epochs=args.unmix_epochs,
            batch_size=args.batch_size,
            learning_rate=args.lr,
            width=args.unmix_width,
            seed=args.seed,
            verbose=2,
        )
        clock.stop("unmixer")
        estimates = {
            "unmixer": S.unmix(res.model, data.test.mixed),
            "mixture as both": S.mixture_as_estimate(data.test),
        }
        unmixed, mixture = (S.unmix_scores(data.test, a, b) for a, b in estimates.values())
        for name, scores in zip(estimates, (unmixed, mixture)):
            for part, sc in scores.items():
                unmix_rows.append(S.summary_row(f"{name}: {data.info[part]['name']}", sc))

    print(
        "\nReconstruction of the mean images (test pairs); ssim/psnr on [0,1] with data range 1,"
        " *_source_way on [-1,1] with per-image ranges"
    )
    print_table(
        S.table_rows(rows),
        [
            "run",
            "ssim",
            "psnr_db",
            "ssim_source_way",
            "psnr_source_way_db",
            "mse",
            "test_loss_pm1",
            "ssim_over_source",
            "psnr_db_over_source",
            "train_s",
        ],
    )
    if unmix_rows:
        print("\nUnmixing: each source image recovered from the mean image (test pairs)")
        print_table(unmix_rows, ["run", "ssim", "psnr_db", "ssim_source_way", "psnr_source_way_db", "mse"])
    ok = ours["ssim"] >= TARGET_SSIM and ours["psnr_db"] >= TARGET_PSNR_DB
    print(
        f"\ntarget SSIM >= {TARGET_SSIM} and PSNR >= {TARGET_PSNR_DB} dB: "
        f"{'met' if ok else 'NOT met'} (SSIM {ours['ssim']:.4f}, PSNR {ours['psnr_db']:.2f} dB)"
    )
    claims = S.claims(ae_scores, unmixed, mixture)
    print("\nclaims:")
    for c in claims:
        ci = "" if c["ci95"] is None else f", 95% CI of the difference [{c['ci95'][0]:.3g}, {c['ci95'][1]:.3g}]"
        print(f"  {'✓' if c['holds'] else '✗'} {c['claim']}: {fmt(c['ours'])} vs {fmt(c['baseline'])} {c['unit']}{ci}")
    clock.parts["total"] = {
        "wall_s": time.perf_counter() - t0,
        "cpu_s": time.process_time(),
        "peak_rss_gb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6,
    }
    print(
        "timing (wall s / CPU s / peak GB so far): "
        + ", ".join(
            f"{k} {v['wall_s']:.0f}/{v['cpu_s']:.0f}/{v.get('peak_rss_gb', 0):.1f}" for k, v in clock.parts.items()
        )
    )
    if args.json:
        Path(args.json).write_text(
            json.dumps(
                {
                    "args": vars(args),
                    "data": data.info,
                    "rows": S.table_rows(rows),
                    "unmixing": unmix_rows,
                    "target_met": ok,
                    "claims": claims,
                    "timing": clock.parts,
                },
                indent=2,
            )
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
