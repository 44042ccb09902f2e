"""Training throughput of aeutils.train.fit against a plain model.fit on NumPy arrays.

    .venv/bin/python benchmarks/throughput.py [--images 8192] [--epochs 3] [--architecture 32-48-64-single] [--rounds 2]

Both runs train the same architecture from the same initial weights on the same
CIFAR-10 images (or embedded patches if the file is missing); the first epoch
of each is a warm-up and is not timed. Also prints the achieved GFLOP/s
(analytic FLOPs of the convolutions, x3 for forward + backward) against a
float32 matmul measured in the same run.
"""

import argparse
import time
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from aeutils import data as D
from aeutils.models import build_cae
from aeutils.train import fit


def conv_flops(model) -> float:
    """Forward FLOPs per image of every Conv2D / Conv2DTranspose / Dense layer (2 per multiply-add)."""
    total = 0.0
    for layer in _layers(model):
        if isinstance(layer, keras.layers.Conv2DTranspose):
            h, w = layer.input.shape[1:3]
            k = np.prod(layer.kernel_size)
            total += 2.0 * h * w * k * layer.input.shape[-1] * layer.filters
        elif isinstance(layer, keras.layers.Conv2D):
            h, w = layer.output.shape[1:3]
            k = np.prod(layer.kernel_size)
            total += 2.0 * h * w * k * layer.input.shape[-1] * layer.filters
        elif isinstance(layer, keras.layers.Dense):
            total += 2.0 * layer.input.shape[-1] * layer.units
    return total


def _layers(model):
    for layer in model.layers:
        if isinstance(layer, keras.Model):
            yield from _layers(layer)
        else:
            yield layer


def matmul_gflops(n=2048, reps=20) -> float:
    a = tf.random.normal((n, n))
    b = tf.random.normal((n, n))
    tf.matmul(a, b).numpy()
    t = time.perf_counter()
    for _ in range(reps):
        c = tf.matmul(a, b)
    c.numpy()
    return 2.0 * n**3 * reps / (time.perf_counter() - t) / 1e9


class EpochTimer(keras.callbacks.Callback):
    def on_train_begin(self, logs=None):
        self.times = []

    def on_epoch_begin(self, epoch, logs=None):
        self.t = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.times.append(time.perf_counter() - self.t)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dataset", default="npz:../shared/data/cifar10.npz")
    ap.add_argument("--images", type=int, default=8192)
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--batch-size", type=int, default=128)
    ap.add_argument("--architecture", default="32-48-64-single")
    ap.add_argument("--rounds", type=int, default=2)
    args = ap.parse_args()
    src = args.dataset if Path(args.dataset.partition(":")[2]).exists() else "embedded:photo_patches"
    data = D.load(src, limit=args.images, seed=0)
    x = D.scale(data.images, (-1, 1))
    print(f"data: {data.source}; {len(x)} images; batch {args.batch_size}; {args.epochs} epochs (first is warm-up)")

    keras.utils.set_random_seed(0)
    template = build_cae(args.architecture)
    weights = template.get_weights()
    flops = 3 * conv_flops(template)

    # Alternate the two paths for --rounds rounds so that load from other
    # processes on the machine hits both alike; the first epoch of each
    # fit is warm-up (tracing, first batches) and is not timed.
    results = {"plain model.fit(numpy)": [], "aeutils.train.fit": []}
    for _ in range(args.rounds):
        m = build_cae(args.architecture)
        m.set_weights(weights)
        m.compile(optimizer=keras.optimizers.Adam(1e-3), loss="mse")
        timer = EpochTimer()
        m.fit(x, x, batch_size=args.batch_size, epochs=args.epochs, shuffle=True, verbose=0, callbacks=[timer])
        results["plain model.fit(numpy)"] += timer.times[1:]
        m2 = build_cae(args.architecture)
        m2.set_weights(weights)
        timer2 = EpochTimer()
        fit(m2, x, epochs=args.epochs, batch_size=args.batch_size, verbose=0, callbacks=[timer2], restore_best=False)
        results["aeutils.train.fit"] += timer2.times[1:]

    peak = matmul_gflops()
    print(
        f"model: {args.architecture}, {template.count_params():,} parameters, "
        f"{flops / 1e6:.1f} MFLOP per training image (3 x forward)"
    )
    print(f"float32 matmul 2048^3 in the same run: {peak:.1f} GFLOP/s")
    print("path | images/s | GFLOP/s | % of matmul")
    print("--- | --- | --- | ---")
    rate = {}
    for name, times in results.items():
        rate[name] = len(x) / float(np.median(times))
        g = rate[name] * flops / 1e9
        print(f"{name} | {rate[name]:.0f} | {g:.1f} | {100 * g / peak:.0f}%")
    ratio = rate["aeutils.train.fit"] / rate["plain model.fit(numpy)"]
    print(f"ratio aeutils/plain: {ratio:.2f}")


if __name__ == "__main__":
    main()
