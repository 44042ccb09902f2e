"""Training throughput of aeutils.train.fit against a plain model.fit on NumPy arrays, float32 and bf16.

    nice -n 10 .venv/bin/python benchmarks/throughput.py [--images 3072] [--epochs 6] [--rounds 5] [--profile]
        [--paths all|headline] [--schedule constant|cosine] [--json F]

Every round trains the same architecture from the same initial weights on the same CIFAR-10
images (embedded patches if the file is missing) along each path, in turn: plain
``model.fit(x, x)`` on NumPy, ``aeutils.train.fit`` in float32 and ``aeutils.train.fit`` in
``mixed_bfloat16``. The first epoch of each fit is warm-up (tracing) and untimed; a path's rate
in a round is images / its fastest timed epoch (load from other processes only slows epochs).
Alternating the paths round by round lets load from other processes hit all alike;
the ratio train.fit / plain is taken per round (paired) and
given as the median with a distribution-free interval for the median (order statistics, >= 90%).
``precision="auto"`` is resolved once (what train.fit would choose here) and its path is the
headline. Validation loss (1,024 held-out images) after each fit checks quality, paired by round:
round r starts every path from the same weights and shuffles with seed r, and the ratio
val loss(path) / val loss(plain) of each round gets the same median and interval as the speed.
Read one-sided ("not worse by more than 1%": the interval's upper end <= +1%) and two-sided
("equal within ±1%": the whole interval inside ±1%); a band of ±1% on two medians alone would sit
inside the spread that the order of batches causes (the plain fit and train.fit shuffle
differently), so the interval decides. Equivalence is also read the standard way, by two one-sided tests (TOST):
the Student 90% interval of the mean log ratio inside ±1%; its width shrinks as 1/sqrt(rounds), and
``--paths headline`` (the plain fit and the path "auto" chose) gives more rounds in the same time.
At the default 6 epochs of constant learning rate the final loss still depends on the order of batches
by 3-4% a round; ``--epochs 12 --schedule cosine`` (cosine decay to 0, both paths) lets both settle,
and 30 such rounds show equality within ±1% (the headline run in benchmarks/README.md).
bf16 against float32 inside train.fit sees the same order
of batches each round: that pair shows what the precision alone does to the loss.
``--json F`` saves every round's rates and losses, ``--from-json F`` prints that run's report again.
``--profile`` first splits one epoch: input pipeline alone, compute alone (one cached batch),
the whole epoch.
"""

import argparse
import json
import math
import sys
import time
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from aeutils import data as D
from aeutils import train as T
from aeutils.models import build_cae
from aeutils.reports.record import machine


def conv_flops(model) -> float:
    """Forward FLOPs per image of every Conv2D / Conv2DTranspose / Dense layer (2 per multiply-add)."""
    total = 0.0
    for layer in _layers(model):
        if isinstance(layer, keras.layers.Conv2DTranspose):
            h, w = layer.input.shape[1:3]
            total += 2.0 * h * w * np.prod(layer.kernel_size) * layer.input.shape[-1] * layer.filters
        elif isinstance(layer, keras.layers.Conv2D):
            h, w = layer.output.shape[1:3]
            total += 2.0 * h * w * np.prod(layer.kernel_size) * layer.input.shape[-1] * layer.filters
        elif isinstance(layer, keras.layers.Dense):
            total += 2.0 * layer.input.shape[-1] * layer.units
    return total


def _layers(model):
    for layer in model.layers:
        if isinstance(layer, keras.Model):
            yield from _layers(layer)
        else:
            yield layer


def matmul_gflops(dtype=tf.float32, n=2048, reps=10) -> tuple[float, float]:
    """Best-of-3 rate of an n x n matmul in ``dtype``: GFLOP per second of wall time, and per CPU-second.

    The CPU-second rate (process CPU time, all threads) is what load from other processes hardly
    moves; the training paths' images per CPU-second set against it give the efficiency on shared cores.
    """
    a = tf.cast(tf.random.normal((n, n)), dtype)
    b = tf.cast(tf.random.normal((n, n)), dtype)
    tf.matmul(a, b).numpy()
    best, best_cpu = 0.0, 0.0
    for _ in range(3):
        t, cpu = time.perf_counter(), time.process_time()
        for _ in range(reps):
            c = tf.matmul(a, b)
        c.numpy()
        flop = 2.0 * n**3 * reps / 1e9
        best = max(best, flop / (time.perf_counter() - t))
        best_cpu = max(best_cpu, flop / max(time.process_time() - cpu, 1e-9))
    return best, best_cpu


def median_interval(values, coverage=0.90):
    """Median and the narrowest order-statistic interval (x_(k), x_(n+1-k)) covering the median with >= coverage."""
    v = np.sort(np.asarray(values, float))
    n = len(v)
    best = (v[0], v[-1], 1 - 2 * 0.5**n)
    for k in range(1, n // 2 + 1):
        cover = 1 - 2 * sum(math.comb(n, i) for i in range(k)) / 2**n
        if cover >= coverage:
            best = (v[k - 1], v[n - k], cover)
    return float(np.median(v)), best


def quality(val_path, val_base, band=0.01):
    """Paired validation-loss readings of a path against a baseline, round by round.

    Round r of both paths starts from the same weights with seed r, so ``val_path[r] / val_base[r]``
    is one paired ratio. Two readings of it against ``1 ± band``: its median with the order-statistic
    interval (as the speed ratio has), and the mean of its logarithm with Student's 90% interval, the
    two one-sided tests (TOST) of equivalence: equal within the band at the 5% level when that whole
    interval lies inside it.

    Returns:
        A dict: ``median``, ``lo``, ``hi``, ``cover`` of the paired ratio; ``point`` (median within
        the band), ``not_worse`` (one-sided: the interval's upper end at most ``1 + band``) and
        ``equal`` (two-sided: the whole interval inside ``1 ± band``); ``mean``, ``t_lo``, ``t_hi``
        (the geometric mean ratio and its 90% Student interval) and ``equivalent`` (TOST).
    """
    from scipy import stats

    ratio = np.asarray(val_path, float) / np.asarray(val_base, float)
    med, (lo, hi, cover) = median_interval(ratio)
    logs = np.log(ratio)
    n = len(logs)
    half = float(stats.t.ppf(0.95, n - 1) * logs.std(ddof=1) / math.sqrt(n)) if n > 1 else math.inf
    mean = float(logs.mean())
    t_lo, t_hi = math.exp(mean - half), math.exp(mean + half)
    return {"median": med, "lo": lo, "hi": hi, "cover": cover, "point": abs(med - 1) <= band,
            "not_worse": hi <= 1 + band, "equal": 1 - band <= lo and hi <= 1 + band,
            "mean": math.exp(mean), "t_lo": t_lo, "t_hi": t_hi,
            "equivalent": 1 - band <= t_lo and t_hi <= 1 + band}


def quality_line(q) -> str:
    """One line: the paired ratio as a percentage with its intervals, and the readings."""
    def pct(v):
        return f"{100 * (v - 1):+.2f}%"

    def yes(b):
        return "holds" if b else "not shown"

    return (f"val loss {pct(q['median'])} [{pct(q['lo'])}, {pct(q['hi'])}] ({100 * q['cover']:.0f}%, paired by round); "
            f"not worse by > 1% (one-sided): {yes(q['not_worse'])}; equal within ±1% (two-sided): {yes(q['equal'])}; "
            f"median within ±1%: {yes(q['point'])}; geometric mean {pct(q['mean'])} [{pct(q['t_lo'])}, "
            f"{pct(q['t_hi'])}] (Student 90%): equivalent within ±1% (TOST, 5%): {yes(q['equivalent'])}")


class EpochTimer(keras.callbacks.Callback):
    """Wall and process CPU time of each epoch (epoch-level only, so train.fit keeps several steps per call)."""

    def on_train_begin(self, logs=None):
        self.times, self.cpu = [], []

    def on_epoch_begin(self, epoch, logs=None):
        self.t, self.c = time.perf_counter(), time.process_time()

    def on_epoch_end(self, epoch, logs=None):
        self.times.append(time.perf_counter() - self.t)
        self.cpu.append(time.process_time() - self.c)


def profile(x, arch, batch_size, weights):
    """Where one epoch's time goes: the input pipeline alone, compute alone, the whole epoch."""
    n = len(x)
    ds = D.make_dataset(x, batch_size=batch_size, shuffle=True)
    for _ in ds:
        pass
    t = time.perf_counter()
    for _ in ds:
        pass
    rate = n / (time.perf_counter() - t)
    print(f"profile: input pipeline alone (make_dataset, shuffle + gather + prefetch): {rate:,.0f} img/s")
    steps = math.ceil(n / batch_size)
    for policy in ("float32", "mixed_bfloat16"):
        keras.mixed_precision.set_global_policy(policy)
        m = build_cae(arch)
        keras.mixed_precision.set_global_policy("float32")
        m.set_weights(weights)
        m.compile(optimizer=keras.optimizers.Adam(1e-3), loss="mse", steps_per_execution=16)
        one = tf.data.Dataset.from_tensors((x[:batch_size], x[:batch_size])).cache().repeat()
        timer = EpochTimer()
        m.fit(one, epochs=3, steps_per_epoch=steps, verbose=0, callbacks=[timer])
        print(f"profile: compute alone ({policy}, one cached batch, {steps} steps): "
              f"{steps * batch_size / np.median(timer.times[1:]):,.0f} img/s")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dataset", default="npz:../shared/data/cifar10.npz")
    ap.add_argument("--images", type=int, default=3072)
    ap.add_argument("--epochs", type=int, default=6)
    ap.add_argument("--batch-size", type=int, default=128)
    ap.add_argument("--architecture", default="32-48-64-single")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--profile", action="store_true", help="split one epoch first")
    ap.add_argument("--paths", choices=("all", "headline"), default="all",
                    help="headline: only the plain fit and train.fit at the precision 'auto' chooses (more rounds "
                         "in the same time, for the quality reading)")
    ap.add_argument("--schedule", choices=("constant", "cosine"), default="constant",
                    help="both paths' Adam learning rate: 1e-3 throughout, or cosine decay from 1e-3 to 0 over the fit "
                         "(the last steps settle, so the final validation loss depends less on the order of batches)")
    ap.add_argument("--json", help="write every round's rates and validation losses here")
    ap.add_argument("--from-json", help="print the report of a saved run again, run nothing")
    args = ap.parse_args()
    if args.from_json:
        report(json.loads(Path(args.from_json).read_text()))
        return
    kind, _, path = args.dataset.partition(":")
    # ../shared/data is beside the clone; a worktree sits one level deeper.
    near = [q / "shared" / "data" / Path(path).name for q in Path(__file__).resolve().parents[1:4]]
    found = [p for p in [Path(path), *near] if p.exists()]
    src = f"{kind}:{found[0]}" if found else "embedded:photo_patches"
    data = D.load(src, limit=args.images + 1024, seed=0)
    allx = D.scale(data.images, (-1, 1)).astype(np.float32)
    x, xv = allx[: args.images], allx[args.images :]
    print(f"CPU: {machine()}; TensorFlow {tf.__version__}, Keras {keras.__version__}")
    print(f"data: {data.source}; {len(x)} training + {len(xv)} validation images; batch {args.batch_size}; "
          f"{args.epochs} epochs per fit (first is warm-up); {args.rounds} rounds; learning rate {args.schedule}")
    lr = learning_rate(args.schedule, args.epochs * -(-len(x) // args.batch_size))

    keras.utils.set_random_seed(0)
    template = build_cae(args.architecture)
    weights = template.get_weights()
    flops = 3 * conv_flops(template)

    def builder():
        m = build_cae(args.architecture)
        m.set_weights(weights)
        return m

    native, why = T.native_bf16()
    chosen, reason = T.choose_precision("auto", lambda: _compiled(builder, lr), (x[: args.batch_size],) * 2)
    print(f"precision='auto' chooses {chosen}: {reason}")
    if args.profile:
        profile(x, args.architecture, args.batch_size, weights)

    paths = {
        "plain model.fit(numpy), float32": None,
        "aeutils.train.fit, float32": "float32",
        "aeutils.train.fit, mixed_bfloat16": "mixed_bfloat16",
    }
    if args.paths == "headline":
        paths = {k: v for k, v in paths.items() if v is None or v == chosen}
    rates = {k: [] for k in paths}
    cpu_rates = {k: [] for k in paths}  # images per CPU-second: what load from other processes hardly moves
    val = {k: [] for k in paths}
    result = {
        "cpu": machine(), "command": " ".join(sys.argv), "architecture": args.architecture, "schedule": args.schedule,
        "parameters": template.count_params(), "chosen": chosen, "reason": reason, "matmul_gflops": None,
        "mflop_per_image": flops / 1e6, "rates": rates, "cpu_rates": cpu_rates, "val_loss": val,
    }
    for r in range(args.rounds):
        for name, precision in paths.items():
            timer = EpochTimer()
            if precision is None:
                keras.utils.set_random_seed(r)  # round r's shuffling, as train.fit(seed=r)
                m = _compiled(builder, lr)
                m.fit(x, x, batch_size=args.batch_size, epochs=args.epochs, shuffle=True, verbose=0, callbacks=[timer])
            else:
                m = T.fit(builder, x, epochs=args.epochs, batch_size=args.batch_size, learning_rate=lr,
                          verbose=0, callbacks=[timer],
                          restore_best=False, precision=precision, seed=r).model
            # Fastest timed epoch: load from other processes only ever slows an epoch down.
            rates[name].append(len(x) / float(np.min(timer.times[1:])))
            cpu_rates[name].append(len(x) / float(np.min(timer.cpu[1:])))
            val[name].append(float(m.evaluate(xv, xv, batch_size=256, verbose=0)))
        print(f"round {r + 1}: " + "; ".join(f"{k.split(',')[0].split('.')[-1]} {k.split(', ')[1]} {v[-1]:.0f} img/s, "
                                            f"val {val[k][-1]:.5f}" for k, v in rates.items()), flush=True)

        if args.json:  # after every round, so a run cut short keeps its rounds (matmul rates still missing)
            Path(args.json).write_text(json.dumps(result, indent=1))

    (w32, c32), (w16, c16) = matmul_gflops(tf.float32), matmul_gflops(tf.bfloat16)
    result["matmul_gflops"] = {"float32": w32, "bfloat16": w16}
    result["matmul_gflop_per_cpu_s"] = {"float32": c32, "bfloat16": c16}
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=1))
    report(result)


def report(res):
    """Print the table, the paired ratios of speed and validation loss, and the headline of one run's ``res``."""
    rates, cpu_rates, val, chosen = res["rates"], res["cpu_rates"], res["val_loss"], res["chosen"]
    paths, flops = list(rates), res["mflop_per_image"] * 1e6
    peak32, peak16 = (res["matmul_gflops"] or {"float32": math.nan, "bfloat16": math.nan}).values()
    print(f"\nmodel: {res['architecture']}, {res['parameters']:,} parameters, "
          f"{flops / 1e6:.1f} MFLOP per training image (3 x forward convolutions)")
    print(f"matmul 2048^3 in the same run: float32 {peak32:.0f} GFLOP/s, bfloat16 {peak16:.0f} GFLOP/s")
    print("\n| path | images/s median (min–max) | GFLOP/s | % of float32 matmul | val loss median (min–max) |")
    print("|---|---|---|---|---|")
    for name in paths:
        med = float(np.median(rates[name]))
        g = med * flops / 1e9
        print(f"| {name} | {med:,.0f} ({min(rates[name]):,.0f}–{max(rates[name]):,.0f}) | {g:.0f} | "
              f"{100 * g / peak32:.0f}% | {np.median(val[name]):.5f} ({min(val[name]):.5f}–{max(val[name]):.5f}) |")
    base = "plain model.fit(numpy), float32"
    plain = np.asarray(rates[base])
    print()
    for name in paths[1:]:
        med, (lo, hi, cover) = median_interval(np.asarray(rates[name]) / plain)
        print(f"ratio {name} / plain: median {med:.2f}x, {100 * cover:.0f}% interval {lo:.2f}–{hi:.2f}; "
              f"{quality_line(quality(val[name], val[base]))}")
    f32, b16 = "aeutils.train.fit, float32", "aeutils.train.fit, mixed_bfloat16"
    if f32 in rates and b16 in rates:
        med, (lo, hi, cover) = median_interval(np.asarray(rates[b16]) / np.asarray(rates[f32]))
        print(f"ratio bf16 / float32 within train.fit (same order of batches each round): median {med:.2f}x, "
              f"{100 * cover:.0f}% interval {lo:.2f}–{hi:.2f}; {quality_line(quality(val[b16], val[f32]))}")
    print("\nper CPU-second (process CPU time, all threads; hardly moved by other processes' load):")
    plain_cpu = np.asarray(cpu_rates[base])
    for name in paths:
        print(f"  {name}: {np.median(cpu_rates[name]):,.0f} img per CPU-s "
              f"({min(cpu_rates[name]):,.0f}–{max(cpu_rates[name]):,.0f})")
    for name in paths[1:]:
        med, (lo, hi, cover) = median_interval(np.asarray(cpu_rates[name]) / plain_cpu)
        print(f"  CPU-time ratio {name} / plain: median {med:.2f}x, {100 * cover:.0f}% interval {lo:.2f}–{hi:.2f}")
    per_cpu = res.get("matmul_gflop_per_cpu_s")
    if per_cpu:
        shares = [f"{k} {100 * np.median(cpu_rates[k]) * flops / 1e9 / per_cpu['float32']:.0f}%" for k in paths]
        print(f"  matmul per CPU-second: float32 {per_cpu['float32']:.0f} GFLOP, bfloat16 {per_cpu['bfloat16']:.0f} "
              "GFLOP; training per CPU-second as % of float32 matmul's: " + "; ".join(shares))
    head = "aeutils.train.fit, " + chosen
    med, (lo, hi, cover) = median_interval(np.asarray(rates[head]) / plain)
    q = quality(val[head], val[base])
    fast = med >= 1.3 and lo >= 1.3
    print(f"\nheadline (precision='auto' -> {chosen}): train.fit / plain = {med:.2f}x [{lo:.2f}, {hi:.2f}]: "
          f"1.3x on the median and the lower end {'HOLDS' if fast else 'DOES NOT HOLD'}; never below 1.0 "
          f"(lower end): {'holds' if lo >= 1.0 else 'DOES NOT HOLD'}")
    cmed, (clo, chi, _) = median_interval(np.asarray(cpu_rates[head]) / plain_cpu)
    print(f"  per CPU-second (what shared cores hardly move): {cmed:.2f}x [{clo:.2f}, {chi:.2f}]: 1.3x on the "
          f"median and the lower end {'holds' if cmed >= 1.3 and clo >= 1.3 else 'does not hold'}")
    print(f"  quality, {quality_line(q)}")
    print(f"  so: {'faster' if fast else 'not shown 1.3x faster'}, "
          + ("at equal validation loss (±1%, two-sided)" if q["equal"] else
             "at equal validation loss (±1%, equivalent by TOST on the paired log ratios; the median's "
             "order-statistic interval is wider)" if q["equivalent"] else
             "at no loss of quality (validation loss not worse by more than 1%; equality within ±1% not shown)"
             if q["not_worse"] else "with a quality cost not ruled out (the paired interval reaches above +1%)"))


def learning_rate(schedule: str, steps: int, peak: float = 1e-3):
    """Both paths' Adam learning rate: ``peak`` throughout (``"constant"``), or cosine decay to 0 over ``steps``.

    Example:
    >>> lr = learning_rate("cosine", 100)
    >>> float(lr(0)), round(float(lr(50)), 6), float(lr(100))
    (0.001, 0.0005, 0.0)
    """
    if schedule == "constant":
        return peak
    return keras.optimizers.schedules.CosineDecay(peak, decay_steps=steps)


def _compiled(builder, lr=1e-3):
    m = builder()
    m.compile(optimizer=keras.optimizers.Adam(lr), loss="mse")
    return m


if __name__ == "__main__":
    main()
