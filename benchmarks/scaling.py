"""How the cost of ``compare`` grows with the number of images and their size, in memory and streamed from disk.

Writes synthetic image folders into a temporary directory (random square crops of the colour
photos scikit-image and scikit-learn ship, :func:`aeutils.data.embedded_photos`, resized and saved
as PNG; set B is set A's kind of crop in dimmer light), then runs ``aeutils.compare.compare`` on
each pair in a fresh process and reads its wall time, the training time per epoch and the peak
resident memory (``ru_maxrss``; the process's memory after importing TensorFlow is given apart).

Modes: ``memory`` (the folders decoded into memory), ``streamed`` (``memory_budget=0``: every
folder stays on disk and each batch is decoded by the same decoder), ``cached`` (streamed, with
the decoded images kept on disk in a cache file, ``cache=DIR``).

Two sweeps: the number of images per set (250 → 4,000 at 64 px; whole images are fed) and the
image side (64 → 512 px at 250 images; above 64 px the models see 32 px patches, at most
20,000 per set and epoch). The table ends with the fitted growth: seconds per image (least
squares on the counts) and the log-log slope of time and of memory against images or pixels.

    nice -n 10 .venv/bin/python benchmarks/scaling.py --quick      # 7 runs on small sets (6 min on the shared 2 cores)
    nice -n 10 .venv/bin/python benchmarks/scaling.py              # the full sweeps
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

from aeutils.reports.record import machine

CHILD = """
import json, resource, sys, time
args = json.loads(sys.argv[1])
from aeutils.compare import compare
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
t = time.perf_counter()
r = compare(args["a"], args["b"], epochs=args["epochs"], memory_budget=args["budget"], cache=args["cache"],
            null_control=args["null_control"], seed=0, log=None)
total = time.perf_counter() - t
print(json.dumps({"seconds": total, "train_seconds": r.train_seconds, "epochs": args["epochs"],
                  "verdict": r.verdict, "streamed": r.settings["streamed"], "patch": r.settings["patch"],
                  "base_rss_mib": base, "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def write_set(folder: Path, count: int, size: int, *, light: float, seed: int) -> None:
    """``count`` PNGs of ``size`` px: random square crops (side 1/4 to all of the short side) of the shipped photos."""
    from aeutils.data import embedded_photos

    photos, _ = embedded_photos()
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        p = photos[rng.integers(len(photos))]
        h, w = p.shape[:2]
        side = int(rng.uniform(0.25, 1.0) * min(h, w))
        top, left = rng.integers(0, h - side + 1), rng.integers(0, w - side + 1)
        crop = Image.fromarray(p[top : top + side, left : left + side]).resize((size, size), Image.BILINEAR)
        arr = np.asarray(crop, dtype=np.float32) * light
        Image.fromarray(np.clip(arr, 0, 255).round().astype(np.uint8)).save(folder / f"{i:05d}.png")


def subset(src: Path, dst: Path, count: int) -> Path:
    """A folder of links to the first ``count`` files of ``src`` (the sweep over counts reuses one set)."""
    dst.mkdir(parents=True, exist_ok=True)
    for f in sorted(src.iterdir())[:count]:
        (dst / f.name).symlink_to(f)
    return dst


def run(a: Path, b: Path, *, mode: str, epochs: int, null_control, cache_dir: Path) -> dict:
    """One comparison in a fresh process; its times and memory."""
    args = {"a": str(a), "b": str(b), "epochs": epochs, "null_control": null_control,
            "budget": None if mode == "memory" else 0,
            "cache": str(cache_dir / f"{a.name}-{time.monotonic_ns()}") if mode == "cached" else None}
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    out = subprocess.run([sys.executable, "-c", CHILD, json.dumps(args)], capture_output=True, text=True, env=env)
    if out.returncode:
        raise RuntimeError(f"compare failed ({mode}, {a}):\n{out.stderr[-3000:]}")
    res = json.loads(out.stdout.strip().splitlines()[-1])
    models = len(res["train_seconds"])
    res["epoch_seconds"] = sum(res["train_seconds"].values()) / (models * epochs)
    return res


def growth(xs, ys) -> dict:
    """Least-squares slope of ``ys`` on ``xs`` (per unit) and the log-log slope (1 = linear, 0 = flat)."""
    xs, ys = np.asarray(xs, float), np.asarray(ys, float)
    per = float(np.polyfit(xs, ys, 1)[0]) if len(xs) > 1 else float("nan")
    ok = ys > 0
    loglog = float(np.polyfit(np.log(xs[ok]), np.log(ys[ok]), 1)[0]) if ok.sum() > 1 else float("nan")
    return {"per_unit": per, "loglog": loglog}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="small sets, 1 epoch, memory and streamed")
    parser.add_argument("--counts", default=None, help="images per set (default 250,500,1000,2000,4000)")
    parser.add_argument("--sizes", default=None, help="image sides in px (default 64,128,256,512)")
    parser.add_argument("--size-count", type=int, default=None, help="images per set in the size sweep (250)")
    parser.add_argument("--modes", help="of memory, streamed, cached (default all three; quick: memory,streamed)")
    parser.add_argument("--size-modes", help="modes of the size sweep (default: --modes)")
    parser.add_argument("--epochs", type=int, default=None, help="epochs of each model (2; quick: 1)")
    parser.add_argument("--null-control", action="store_true", help="also run the null control (off: 3 models)")
    parser.add_argument("--json", help="write the rows as JSON")
    args = parser.parse_args()
    q = args.quick
    counts = [int(v) for v in (args.counts or ("50,100" if q else "250,500,1000,2000,4000")).split(",")]
    sizes = [int(v) for v in (args.sizes or ("64,128" if q else "64,128,256,512")).split(",")]
    size_count = args.size_count or (50 if q else 250)
    modes = (args.modes or ("memory,streamed" if q else "memory,streamed,cached")).split(",")
    size_modes = (args.size_modes or ",".join(modes)).split(",")
    epochs = args.epochs or (1 if q else 2)
    null = "A" if args.null_control else None
    print(f"CPU: {machine()}; {epochs} epoch(s), {'with' if null else 'without'} the null control; modes {modes}")
    rows = []
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        t = time.perf_counter()
        big = max(counts)
        write_set(tmp / "a64", big, 64, light=1.0, seed=1)
        write_set(tmp / "b64", big, 64, light=0.5, seed=2)
        for s in sizes:
            if s != 64:
                write_set(tmp / f"a{s}", size_count, s, light=1.0, seed=1)
                write_set(tmp / f"b{s}", size_count, s, light=0.5, seed=2)
        print(f"wrote the image folders in {time.perf_counter() - t:.0f} s")
        plan = [("images", n, 64, subset(tmp / "a64", tmp / f"a64_{n}", n), subset(tmp / "b64", tmp / f"b64_{n}", n))
                for n in counts]
        plan += [("size", size_count, s,
                  subset(tmp / f"a{s}", tmp / f"a{s}_{size_count}", size_count),
                  subset(tmp / f"b{s}", tmp / f"b{s}_{size_count}", size_count))
                 for s in sizes if not (s == 64 and size_count in counts)]
        run(plan[0][3], plan[0][4], mode="memory", epochs=1, null_control=None, cache_dir=tmp / "cache")  # warm-up
        for sweep, n, s, a, b in plan:
            for mode in modes if sweep == "images" else size_modes:
                r = run(a, b, mode=mode, epochs=epochs, null_control=null, cache_dir=tmp / "cache")
                row = {"sweep": sweep, "images": n, "px": s, "mode": mode, "patch": r["patch"],
                       "total_s": r["seconds"], "epoch_s": r["epoch_seconds"], "peak_rss_mib": r["peak_rss_mib"],
                       "base_rss_mib": r["base_rss_mib"], "verdict": r["verdict"]}
                rows.append(row)
                print(f"  {n:5d} images {s:4d} px  {mode:8s} total {r['seconds']:7.1f} s  "
                      f"epoch {r['epoch_seconds']:6.2f} s  peak RSS {r['peak_rss_mib']:7.0f} MiB "
                      f"(after imports {r['base_rss_mib']:.0f})", flush=True)
    print()
    print("| images per set | px | mode | models see | total s | s per epoch | peak RSS MiB |")
    print("|---:|---:|---|---|---:|---:|---:|")
    order = ["memory", "streamed", "cached"]
    for r in sorted(rows, key=lambda r: (r["px"], r["images"], order.index(r["mode"]))):
        sees = f"{r['patch']} px patches" if r["patch"] else "whole images"
        print(f"| {r['images']:,} | {r['px']} | {r['mode']} | {sees} | {r['total_s']:.1f} | {r['epoch_s']:.2f} "
              f"| {r['peak_rss_mib']:,.0f} |")
    print()
    print("Fitted growth (least squares; log-log slope 1 = linear, 0 = flat):")
    for mode in dict.fromkeys(modes + size_modes):
        by_n = sorted((r for r in rows if r["px"] == 64 and r["mode"] == mode), key=lambda r: r["images"])
        if len(by_n) > 1:
            n = [r["images"] for r in by_n]
            tt, mem = growth(n, [r["total_s"] for r in by_n]), growth(n, [r["peak_rss_mib"] for r in by_n])
            ep = growth(n, [r["epoch_s"] for r in by_n])
            print(f"  {mode:8s} over images (64 px, {n[0]:,} to {n[-1]:,}): {1000 * tt['per_unit']:.1f} ms per image "
                  f"in total (slope {tt['loglog']:.2f}), {1000 * ep['per_unit']:.2f} ms per image per epoch; "
                  f"memory {1000 * mem['per_unit']:.1f} MiB per 1,000 images (slope {mem['loglog']:.2f})")
        by_s = sorted((r for r in rows if r["images"] == size_count and r["mode"] == mode), key=lambda r: r["px"])
        if len(by_s) > 1:
            px = [r["px"] ** 2 for r in by_s]
            tt, mem = growth(px, [r["total_s"] for r in by_s]), growth(px, [r["peak_rss_mib"] for r in by_s])
            print(f"  {mode:8s} over size ({size_count} images, {by_s[0]['px']} to {by_s[-1]['px']} px): "
                  f"log-log slope in pixels: time {tt['loglog']:.2f}, memory {mem['loglog']:.2f}")
    print(f"\nwhole run {time.perf_counter() - start:.0f} s on {machine()}")
    if args.json:
        Path(args.json).write_text(json.dumps({"cpu": machine(), "epochs": epochs, "rows": rows}, indent=1))


if __name__ == "__main__":
    main()
