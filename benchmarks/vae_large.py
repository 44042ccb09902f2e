"""Peak memory and seconds per epoch of the size-adaptive photo VAE at 256, 512 and 1024 px.

The source's notebook crashed above 256 px: its only connected encoder layer fed a
Dense layer with millions of inputs. ``aeutils.models.build_image_vae`` adds one
stride-2 stage per halving, so the flatten stays at 8x8x128 = 8,192 features.
This script trains it on 64 images per size — random square crops of the 11 real
photos that scikit-image and scikit-learn ship (``embedded:photos``, rebuilt from
the full-size originals) — through ``aeutils.train.fit``, each size in its own
child process so that peak resident memory (``ru_maxrss``) is per size. Epoch 1
includes graph tracing; the table reports the later epochs' mean as s/epoch (wall
time: it grows when other jobs share the cores) and the CPU seconds the process
used per epoch (``cpu_s_per_epoch``, summed over threads: about twice the wall
time of an idle 2-core machine).

Usage::

    python benchmarks/vae_large.py --quick     # 256 and 512 px, 16 images, 2 epochs
    python benchmarks/vae_large.py             # 256, 512, 1024 px, 64 images, 3 epochs
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time

# Importing aeutils sets KERAS_BACKEND and TF_CPP_MIN_LOG_LEVEL; params loads no TensorFlow.
from aeutils.params import parse_list

GIB = 1024**3


def child(size: int, n: int, epochs: int, batch_size: int, seed: int) -> dict:
    """Train one size in this process and return its row (run in a fresh child process)."""
    # Imported here: only the child processes need TensorFlow (the parent measures them).
    import keras
    import numpy as np

    from aeutils import data as D
    from aeutils import latent, models
    from aeutils.train import fit

    class EpochTimes(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            self.times, self.cpu = [], []

        def on_epoch_begin(self, epoch, logs=None):
            self.t0, self.c0 = time.perf_counter(), time.process_time()

        def on_epoch_end(self, epoch, logs=None):
            self.times.append(time.perf_counter() - self.t0)
            self.cpu.append(time.process_time() - self.c0)

    photos = D.load_square_images("embedded:photos", size=size)
    x, _ = D.random_crops(photos.images, n, seed=seed)
    del photos
    vae = models.build_image_vae(input_shape=(size, size, 3), latent_dim=2, seed=seed)
    flat = int(vae.encoder.get_layer("encoder_flatten").output.shape[-1])
    timer = EpochTimes()
    result = fit(vae, x, epochs=epochs, batch_size=batch_size, compile_model=False, seed=seed,
                 verbose=0, callbacks=[timer])
    recon = np.asarray(result.model.predict(x[:4], batch_size=2, verbose=0))
    kl = latent.evaluate_elbo(result.model, x[:4], batch_size=2)["kl"]
    later = timer.times[1:] or timer.times
    later_cpu = timer.cpu[1:] or timer.cpu
    return {
        "size": size,
        "images": n,
        "batch": batch_size,
        "params": vae.count_params(),
        "flatten": flat,
        "epochs": result.epochs_run,
        "first_epoch_s": timer.times[0],
        "s_per_epoch": float(np.mean(later)),
        "cpu_s_per_epoch": float(np.mean(later_cpu)),
        "final_loss": result.history["loss"][-1],
        "recon_mse": float(np.mean((recon - x[:4]) ** 2)),
        "kl_nats": float(np.mean(kl)),
        "peak_rss_gib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / GIB,
        "data_gib": x.nbytes / GIB,
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="256,512,1024")
    parser.add_argument("--images", type=int, default=64)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--limit-gib", type=float, default=8.0, help="memory budget to check against")
    parser.add_argument("--quick", action="store_true", help="256 and 512 px, 16 images, 2 epochs")
    parser.add_argument("--child", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(args.child, args.images, args.epochs, args.batch_size, args.seed)))
        return 0
    if args.quick:
        args.sizes, args.images, args.epochs = "256,512", 16, 2
    sizes = parse_list(args.sizes, name="sizes", positive=True)
    rows = []
    for size in sizes:
        print(f"--- {size} px: {args.images} images, {args.epochs} epochs, batch {args.batch_size}", flush=True)
        cmd = [sys.executable, __file__, "--child", str(size), "--images", str(args.images),
               "--epochs", str(args.epochs), "--batch-size", str(args.batch_size), "--seed", str(args.seed)]
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode != 0:
            print(proc.stderr[-3000:], file=sys.stderr)
            rows.append({"size": size, "error": f"exit code {proc.returncode}"})
            continue
        row = json.loads(proc.stdout.strip().splitlines()[-1])
        row["wall_s"] = time.perf_counter() - t0
        rows.append(row)
        print(json.dumps(row), flush=True)
    cols = ["size", "images", "batch", "params", "flatten", "first_epoch_s", "s_per_epoch", "cpu_s_per_epoch",
            "peak_rss_gib",
            "data_gib", "final_loss", "recon_mse", "wall_s"]
    print("\nSize-adaptive VAE (build_image_vae), training through aeutils.train.fit on 2 CPU cores")
    print(" | ".join(cols))
    for r in rows:
        if "error" in r:
            print(f"{r['size']} | failed: {r['error']}")
            continue
        print(" | ".join(f"{r[c]:.3g}" if isinstance(r[c], float) else str(r[c]) for c in cols))
    ok = [r for r in rows if "error" not in r]
    for r in ok:
        verdict = "within" if r["peak_rss_gib"] <= args.limit_gib else "OVER"
        print(f"{r['size']} px: peak RSS {r['peak_rss_gib']:.2f} GiB, {verdict} the {args.limit_gib:g} GiB budget")
    return 0 if len(ok) == len(rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())
