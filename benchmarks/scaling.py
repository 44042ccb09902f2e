"""How the cost of ``compare`` grows with the number of images and their size, in memory and streamed from disk.

Writes synthetic image folders into a temporary directory (random square crops of the colour
photos scikit-image and scikit-learn ship, :func:`aeutils.data.embedded_photos`, resized and saved
as PNG; set B is set A's kind of crop in dimmer light), then runs ``aeutils.compare.compare`` on
each pair in a fresh process, one process per configuration, and reads its wall time, the training
time per epoch and the peak resident memory of that process (``ru_maxrss``; the process's memory
after importing TensorFlow is given apart).

Modes: ``memory`` (the folders decoded into memory), ``streamed`` (``memory_budget=0``: every
folder stays on disk and each batch is decoded by the same decoder), ``cached`` (streamed, with
the decoded images kept on disk in a cache file, ``cache=DIR``).

Two sweeps: the number of images per set (250 → 4,000 at 64 px; whole images are fed) and the
image side (64 → 512 px at 250 images; above 64 px the models see 32 px patches, at most
20,000 per set and epoch). The table ends with the fitted growth: seconds per image (least
squares on the counts) and the log-log slope of time and of memory against images or pixels.

With ``--json`` the rows are written after every configuration, so a run cut short keeps what it
measured; ``--max-seconds`` stops a configuration that runs longer (its row says so);
``--from-json`` prints the table and the fits of a saved run again.

    nice -n 10 .venv/bin/python benchmarks/scaling.py --quick      # 4 small runs (counts in memory, sizes cached)
    nice -n 10 .venv/bin/python benchmarks/scaling.py --json scaling.json   # the full sweeps
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

CHILD = """
import json, os, resource, sys, time
args = json.loads(sys.argv[1])
from aeutils.compare import compare
from aeutils.reports.record import machine
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
t = time.perf_counter()
r = compare(args["a"], args["b"], epochs=args["epochs"], memory_budget=args["budget"], cache=args["cache"],
            null_control=args["null_control"], seed=0, log=None)
total = time.perf_counter() - t
print(json.dumps({"seconds": total, "train_seconds": r.train_seconds, "epochs": args["epochs"],
                  "verdict": r.verdict, "streamed": r.settings["streamed"], "patch": r.settings["patch"],
                  "base_rss_mib": base, "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "cpu": machine()}), flush=True)
os._exit(0)  # the numbers are out: skip TensorFlow's seconds of teardown
"""

#: The two sweeps' defaults, full and ``--quick`` (one epoch, four small configurations: the count sweep
#: in memory, the size sweep streamed through the disk cache, so in-memory and streamed data, whole
#: images and patches, and both fits each run once; every process spends about 10 s importing
#: TensorFlow, and uncached streaming of patches decodes a file per patch, so a minute holds no more).
FULL = {
    "counts": "250,500,1000,2000,4000",
    "sizes": "64,128,256,512",
    "size_count": 250,
    "modes": "memory,streamed,cached",
    "epochs": 2,
}
QUICK = {
    "counts": "40,120",
    "sizes": "64,128",
    "size_count": 40,
    "modes": "memory",
    "size_modes": "cached",
    "epochs": 1,
}
ORDER = ("memory", "streamed", "cached")


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


def run(a: Path, b: Path, *, mode: str, epochs: int, null_control, cache_dir: Path, max_seconds=None) -> dict:
    """One comparison in a fresh process; its times and memory.

    ``{"timed_out": True, ...}`` past ``max_seconds``, ``{"failed": exit code}`` when the process fails.
    """
    args = {
        "a": str(a),
        "b": str(b),
        "epochs": epochs,
        "null_control": null_control,
        "budget": None if mode == "memory" else 0,
        "cache": str(cache_dir / f"{a.name}-{time.monotonic_ns()}") if mode == "cached" else None,
    }
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    try:
        out = subprocess.run(
            [sys.executable, "-c", CHILD, json.dumps(args)],
            capture_output=True,
            text=True,
            env=env,
            timeout=max_seconds,
        )
    except subprocess.TimeoutExpired:
        return {"timed_out": True, "seconds": float(max_seconds)}
    if out.returncode:  # e.g. killed for memory (-9): a row that says so, and the sweep goes on
        print(f"compare failed ({mode}, {a}), exit code {out.returncode}:\n{out.stderr[-2000:]}", flush=True)
        return {"failed": out.returncode}
    res = json.loads(out.stdout.strip().splitlines()[-1])
    models = len(res["train_seconds"])
    res["epoch_seconds"] = sum(res["train_seconds"].values()) / (models * epochs)
    return res


def growth(xs, ys) -> dict:
    """Least-squares slope of ``ys`` on ``xs`` (per unit) and the log-log slope (1 = linear, 0 = flat).

    Example:
    >>> g = growth([1, 2, 4], [3, 6, 12])
    >>> round(g["per_unit"], 6), round(g["loglog"], 6)
    (3.0, 1.0)
    """
    xs, ys = np.asarray(xs, float), np.asarray(ys, float)
    per = float(np.polyfit(xs, ys, 1)[0]) if len(xs) > 1 else float("nan")
    ok = ys > 0
    loglog = float(np.polyfit(np.log(xs[ok]), np.log(ys[ok]), 1)[0]) if ok.sum() > 1 else float("nan")
    # round off the fit's floating-point dust, so that a flat series prints 0.0, never -0.0
    return {"per_unit": float(np.round(per, 12)) + 0.0, "loglog": float(np.round(loglog, 12)) + 0.0}


def plan(counts, sizes, size_count: int, modes, size_modes) -> list[tuple[str, int, int, str]]:
    """The configurations in the order they run: ``(sweep, images, px, mode)``, counts first, then sizes.

    The size sweep's 64 px row is the count sweep's row when ``size_count`` is one of the counts.

    Example:
    >>> plan([50, 100], [64, 128], 50, ["memory"], ["cached"])
    [('images', 50, 64, 'memory'), ('images', 100, 64, 'memory'), ('size', 50, 128, 'cached')]
    """
    rows = [("images", n, 64, m) for n in counts for m in modes]
    for s in sizes:
        for m in size_modes:
            if not (s == 64 and size_count in counts and m in modes):
                rows.append(("size", size_count, s, m))
    return rows


def table(rows) -> str:
    """The Markdown table of the rows, by size, count and mode (a stopped or failed row says so)."""
    lines = [
        "| images per set | px | mode | models see | total s | s per epoch | peak RSS MiB |",
        "|---:|---:|---|---|---:|---:|---:|",
    ]
    for r in sorted(rows, key=lambda r: (r["px"], r["images"], ORDER.index(r["mode"]))):
        if r.get("timed_out") or r.get("failed") is not None:
            what = f"> {r['total_s']:.0f} (stopped)" if r.get("timed_out") else f"failed (exit code {r['failed']})"
            lines.append(f"| {r['images']:,} | {r['px']} | {r['mode']} | | {what} | | |")
            continue
        sees = f"{r['patch']} px patches" if r["patch"] else "whole images"
        lines.append(
            f"| {r['images']:,} | {r['px']} | {r['mode']} | {sees} | {r['total_s']:.1f} "
            f"| {r['epoch_s']:.2f} | {r['peak_rss_mib']:,.0f} |"
        )
    return "\n".join(lines)


def _growths(xs, rows):
    """:func:`growth` of total time, peak RSS and time per epoch over ``xs``."""
    return [growth(xs, [r[key] for r in rows]) for key in ("total_s", "peak_rss_mib", "epoch_s")]


def fits(rows, size_count: int) -> list[str]:
    """The fitted growth per mode: over images at 64 px (ms per image, MiB per 1,000 images) and over pixels."""
    done = [r for r in rows if "epoch_s" in r]
    out = []
    for mode in [m for m in ORDER if any(r["mode"] == m for r in done)]:
        by_n = sorted((r for r in done if r["px"] == 64 and r["mode"] == mode), key=lambda r: r["images"])
        by_n = list({r["images"]: r for r in by_n}.values())
        if len(by_n) > 1:
            n = [r["images"] for r in by_n]
            tt, mem, ep = _growths(n, by_n)
            out.append(
                f"{mode:8s} over images (64 px, {n[0]:,} to {n[-1]:,}): {1000 * tt['per_unit']:.1f} ms per "
                f"image in total (slope {tt['loglog']:.2f}), {1000 * ep['per_unit']:.2f} ms per image per "
                f"epoch (slope {ep['loglog']:.2f}); memory {1000 * mem['per_unit']:.1f} MiB per 1,000 images "
                f"(slope {mem['loglog']:.2f})"
            )
        by_s = sorted((r for r in done if r["images"] == size_count and r["mode"] == mode), key=lambda r: r["px"])
        if len(by_s) > 1:
            px = [r["px"] ** 2 for r in by_s]
            tt, mem, ep = _growths(px, by_s)
            out.append(
                f"{mode:8s} over size ({size_count:,} images, {by_s[0]['px']} to {by_s[-1]['px']} px): "
                f"log-log slope in pixels: time {tt['loglog']:.2f}, per epoch {ep['loglog']:.2f}, "
                f"memory {mem['loglog']:.2f}"
            )
    return out


def report(result: dict) -> str:
    """The table, the import baseline and the fits of a run (as written by ``--json``)."""
    rows = result["rows"]
    base = [r["base_rss_mib"] for r in rows if "base_rss_mib" in r]
    text = [table(rows), ""]
    if base:
        text.append(f"After importing TensorFlow a process holds {min(base):,.0f} to {max(base):,.0f} MiB.")
    text += ["Fitted growth (least squares; log-log slope 1 = linear, 0 = flat):"]
    text += ["  " + line for line in fits(rows, result["size_count"])]
    return "\n".join(text)


def save(path, result: dict) -> None:
    """Write ``result`` to ``path`` through a temporary file, so a cut-short run leaves a whole file."""
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(result, indent=1))
    os.replace(tmp, path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--quick", action="store_true", help="40 and 120 images in memory, 64 and 128 px cached, 1 epoch: 4 runs"
    )
    parser.add_argument("--counts", default=None, help=f"images per set (default {FULL['counts']})")
    parser.add_argument("--sizes", default=None, help=f"image sides in px (default {FULL['sizes']})")
    parser.add_argument("--size-count", type=int, default=None, help="images per set in the size sweep (250)")
    parser.add_argument("--modes", help="of memory, streamed, cached (default all three; quick: memory)")
    parser.add_argument("--size-modes", help="modes of the size sweep (default: --modes; quick: streamed)")
    parser.add_argument("--epochs", type=int, default=None, help="epochs of each model (2; quick: 1)")
    parser.add_argument("--null-control", action="store_true", help="also run the null control (off: 3 models)")
    parser.add_argument("--max-seconds", type=float, help="stop a configuration after this long (its row says so)")
    parser.add_argument("--json", help="write the rows as JSON, after every configuration")
    parser.add_argument("--from-json", help="print the table and fits of a saved run, run nothing")
    args = parser.parse_args()
    if args.from_json:
        print(report(json.loads(Path(args.from_json).read_text())))
        return
    d = QUICK if args.quick else FULL
    counts = [int(v) for v in (args.counts or d["counts"]).split(",")]
    sizes = [int(v) for v in (args.sizes or d["sizes"]).split(",")]
    size_count = args.size_count or d["size_count"]
    modes = (args.modes or d["modes"]).split(",")
    size_modes = (args.size_modes or d.get("size_modes") or ",".join(modes)).split(",")
    epochs = args.epochs or d["epochs"]
    null = "A" if args.null_control else None
    configs = plan(counts, sizes, size_count, modes, size_modes)
    print(
        f"{len(configs)} configurations, one process each; {epochs} epoch(s), "
        f"{'with' if null else 'without'} the null control",
        flush=True,
    )
    result = {"command": " ".join(sys.argv), "cpu": None, "epochs": epochs, "size_count": size_count, "rows": []}
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        t = time.perf_counter()
        need = {}  # the largest set each size needs; smaller ones are links to its first files
        for _, n, s, _ in configs:
            need[s] = max(need.get(s, 0), n)
        for s, n in need.items():
            write_set(tmp / f"a{s}", n, s, light=1.0, seed=1)
            write_set(tmp / f"b{s}", n, s, light=0.5, seed=2)
        print(f"wrote the image folders in {time.perf_counter() - t:.0f} s", flush=True)

        def pair(n, s):
            a, b = tmp / f"a{s}_{n}", tmp / f"b{s}_{n}"
            if not a.exists():
                subset(tmp / f"a{s}", a, n), subset(tmp / f"b{s}", b, n)
            return a, b

        if not args.quick:  # the first process after writing pays for cold caches; --quick skips this
            run(
                *pair(configs[0][1], configs[0][2]), mode="memory", epochs=1, null_control=None, cache_dir=tmp / "cache"
            )
        for sweep, n, s, mode in configs:
            r = run(
                *pair(n, s),
                mode=mode,
                epochs=epochs,
                null_control=null,
                cache_dir=tmp / "cache",
                max_seconds=args.max_seconds,
            )
            row = {"sweep": sweep, "images": n, "px": s, "mode": mode}
            if r.get("failed") is not None:
                row.update(failed=r["failed"])
                print(f"  {n:5d} images {s:4d} px  {mode:8s} failed (exit code {r['failed']})", flush=True)
            elif r.get("timed_out"):
                row.update(timed_out=True, total_s=r["seconds"])
                print(f"  {n:5d} images {s:4d} px  {mode:8s} stopped after {r['seconds']:.0f} s", flush=True)
            else:
                result["cpu"] = result["cpu"] or r["cpu"]
                row.update(
                    patch=r["patch"],
                    total_s=r["seconds"],
                    epoch_s=r["epoch_seconds"],
                    peak_rss_mib=r["peak_rss_mib"],
                    base_rss_mib=r["base_rss_mib"],
                    verdict=r["verdict"],
                )
                print(
                    f"  {n:5d} images {s:4d} px  {mode:8s} total {r['seconds']:7.1f} s  "
                    f"epoch {r['epoch_seconds']:6.2f} s  peak RSS {r['peak_rss_mib']:7.0f} MiB "
                    f"(after imports {r['base_rss_mib']:.0f})",
                    flush=True,
                )
            result["rows"].append(row)
            result["whole_run_s"] = time.perf_counter() - start
            if args.json:
                save(args.json, result)
    print()
    print(report(result))
    print(f"\nwhole run {time.perf_counter() - start:.0f} s on {result['cpu']}")


if __name__ == "__main__":
    main()
