"""Held-out negative ELBO of a 2-D-latent VAE on MNIST, against the two public references.

References (../shared/SOURCES.md):
* keras.io VAE example: 2-D latent, 30 epochs on all 70k MNIST digits (grey levels,
  BCE summed over pixels), final *training* loss 146.95 per image;
* TensorFlow CVAE tutorial: 2-D latent, statically binarised MNIST (x > 0.5), 10
  epochs, *test* ELBO about -156 nats.

This script trains on the official training set minus a 5,000-image validation
hold-out (for best-epoch selection and learning-rate decay: the test set is never
seen in training) and reports the single-sample negative ELBO (reconstruction +
KL, nats per image) on the 10,000 official test digits, averaged over
``--samples`` draws, for both data variants:

* ``grey``: grey levels in [0, 1], Bernoulli/BCE likelihood (keras.io's setting);
* ``binary``: pixels > 0.5 set to 1, else 0 (the TF tutorial's setting), where
  the number is a true bound on -log p(x) in nats.

Architectures: ``keras-io`` (the example's layout: Conv 32, 64 stride 2, Dense 16,
2-D code; 134,165 parameters) and ``ours`` (the same convolutions with Dense 256
on both sides of the code: the decoder must unfold a 2-D code into a digit, and
a 16-unit or absent hidden layer starves it). Usage::

    python benchmarks/vae_mnist.py --quick   # 8k images, 3 epochs, 2k test digits
    python benchmarks/vae_mnist.py           # full: 40 epochs on 55k digits, both variants

40 epochs of 55,000 digits at batch 128 are 17,200 optimiser steps, about the
16,450 of keras.io's 30 epochs on 70,000 (the TF tutorial trained 10 epochs).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from aeutils import data as D
from aeutils import latent, metrics, models
from aeutils.params import parse_list
from aeutils.studies.vae_latent_space import REFERENCES
from aeutils.train import fit


def load_mnist(path: str, *, limit: int | None, test_limit: int | None, seed: int):
    """Official train/test parts of mnist.npz as (N, 28, 28, 1) in [0, 1]."""
    ds = D.load_npz(path)
    train = ds.images[ds.subset == "train"]
    test = ds.images[ds.subset == "test"]
    rng = np.random.default_rng(seed)
    perm = rng.permutation(len(train))
    val, train = train[perm[:5000]], train[perm[5000:]]
    if limit:
        train, val = train[:limit], val[: max(500, limit // 10)]
    if test_limit:
        test = test[:test_limit]
    return train, val, test


def run_one(variant, arch, train, val, test, *, epochs, batch_size, learning_rate, samples, seed, verbose):
    """Train one VAE and score it on the test set; returns a table row."""
    if variant == "binary":
        train, val, test = ((a > 0.5).astype(np.float32) for a in (train, val, test))
    vae = models.build_vae(input_shape=(28, 28, 1), latent_dim=2, seed=seed, **models.VAE_MNIST_LAYOUTS[arch])
    result = fit(
        vae, train, validation_data=val, epochs=epochs, batch_size=batch_size,
        learning_rate=learning_rate, compile_model=False, reduce_lr_patience=3, seed=seed,
        verbose=verbose,
    )
    t0 = time.perf_counter()
    scores = latent.evaluate_elbo(result.model, test, samples=samples, seed=seed)
    eval_s = time.perf_counter() - t0
    s = metrics.summarize(scores["negative_elbo"])
    ref = REFERENCES[variant]
    best = (result.best_epoch or result.epochs_run) - 1
    return {
        "variant": variant,
        "arch": arch,
        "params": vae.count_params(),
        "epochs": result.epochs_run,
        "best_epoch": result.best_epoch,
        "train_images": len(train),
        "train_s": result.seconds,
        "s_per_epoch": result.seconds / max(result.epochs_run, 1),
        "train_loss": result.history["loss"][best],
        "test_images": len(test),
        "test_neg_elbo": s["mean"],
        "ci95": (s["ci95_high"] - s["ci95_low"]) / 2,
        "test_recon": float(np.mean(scores["reconstruction"])),
        "test_kl": float(np.mean(scores["kl"])),
        "reference": ref.value,
        "ratio": s["mean"] / ref.value,
        "reference_is": ref.description,
        "eval_s": eval_s,
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", default=str(Path(__file__).resolve().parents[2] / "shared/data/mnist.npz"))
    parser.add_argument("--variants", default="grey,binary", help="comma list of grey, binary")
    parser.add_argument("--archs", default="ours", help="comma list of keras-io, ours")  # see models.VAE_MNIST_LAYOUTS
    parser.add_argument("--epochs", type=int, default=40)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--learning-rate", type=float, default=1e-3)
    parser.add_argument("--samples", type=int, default=4, help="z draws per test image")
    parser.add_argument("--limit", type=int, default=0, help="training images (0: all 55,000)")
    parser.add_argument("--test-limit", type=int, default=0, help="test images (0: all 10,000)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--verbose", type=int, default=2)
    parser.add_argument("--quick", action="store_true", help="8k training images, 2k test, 3 epochs")
    args = parser.parse_args(argv)
    if args.quick:
        args.limit, args.test_limit, args.epochs = args.limit or 8000, args.test_limit or 2000, 3
    try:
        variants = parse_list(args.variants, str, name="variants", choices=tuple(REFERENCES))
        archs = parse_list(args.archs, str, name="architectures", choices=tuple(models.VAE_MNIST_LAYOUTS))
    except ValueError as err:
        parser.error(str(err))
    if not Path(args.data).is_file():
        parser.error(f"no MNIST file at {args.data} (see ../shared/data/PROVENANCE.md)")

    train, val, test = load_mnist(
        args.data, limit=args.limit or None, test_limit=args.test_limit or None, seed=args.seed
    )
    print(f"MNIST from {args.data}: train {len(train)}, validation {len(val)}, test {len(test)}", flush=True)
    rows = []
    for variant in variants:
        for arch in archs:
            print(f"--- {variant} / {arch}: {args.epochs} epochs", flush=True)
            rows.append(
                run_one(variant, arch, train, val, test, epochs=args.epochs, batch_size=args.batch_size,
                        learning_rate=args.learning_rate, samples=args.samples, seed=args.seed,
                        verbose=args.verbose)
            )
    cols = ["variant", "arch", "params", "epochs", "best_epoch", "train_s", "s_per_epoch", "train_loss",
            "test_neg_elbo", "ci95", "test_recon", "test_kl", "reference", "ratio"]
    print("\nHeld-out negative ELBO, nats per image (2-D latent; lower is better)")
    print(" | ".join(cols))
    for r in rows:
        print(" | ".join(f"{r[c]:.2f}" if isinstance(r[c], float) else str(r[c]) for c in cols))
    for r in rows:
        verdict = "beats" if r["test_neg_elbo"] < r["reference"] else "does not beat"
        print(f"{r['variant']}/{r['arch']}: {r['test_neg_elbo']:.2f} ± {r['ci95']:.2f} {verdict} "
              f"{r['reference']} ({r['reference_is']})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
