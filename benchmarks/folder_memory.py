"""Peak memory of loading a folder of large camera-size JPEGs at a small target size.

Writes ``--count`` synthetic 24-megapixel JPEGs (6000x4000, smooth gradients with texture, the
size of a camera photo) into a temporary folder, then loads the folder with
``aeutils.data.load(folder, size=...)`` in a fresh process and prints the peak resident memory
(``ru_maxrss``), the time, and the same for a full-size decode of one file for scale. JPEGs are
decoded at a reduced scale (Pillow's draft mode) and resized as they are read, so the peak stays
near one decoded reduced image plus the result.

    .venv/bin/python benchmarks/folder_memory.py --count 100 --size 256
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
import json, resource, sys, time
t = time.perf_counter()
from aeutils import data as D
s = D.load(sys.argv[1], size=int(sys.argv[2]))
print(json.dumps({"images": len(s), "shape": list(s.images.shape), "seconds": round(time.perf_counter() - t, 1),
                  "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}))
"""


def write_photos(folder: Path, count: int, *, width: int = 6000, height: int = 4000, seed: int = 0) -> None:
    """``count`` synthetic camera-size JPEGs (quality 90) in ``folder``."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    for i in range(count):
        phase = rng.uniform(0, 6.28, 3)
        img = np.stack([0.5 + 0.4 * np.sin(xx / (300 + 50 * c) + yy / 700 + phase[c]) for c in range(3)], -1)
        img += rng.normal(0, 0.02, (height // 8, width // 8, 1)).repeat(8, 0).repeat(8, 1)
        Image.fromarray((np.clip(img, 0, 1) * 255).astype(np.uint8)).save(folder / f"photo_{i:03d}.jpg", quality=90)


def measure(folder: Path, size: int) -> dict:
    """Load ``folder`` at ``size`` in a fresh process; its peak memory and time."""
    out = subprocess.run([sys.executable, "-c", CHILD, str(folder), str(size)], capture_output=True, text=True,
                         check=True, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=100)
    parser.add_argument("--size", type=int, default=256)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "photos"
        folder.mkdir()
        t = time.perf_counter()
        write_photos(folder, args.count)
        mb = sum(f.stat().st_size for f in folder.iterdir()) / 2**20
        print(f"wrote {args.count} JPEGs of 6000x4000 ({mb:.0f} MiB on disk) in {time.perf_counter() - t:.0f} s")
        res = measure(folder, args.size)
        print(f"load(folder, size={args.size}): {res['images']} images {res['shape']} in {res['seconds']} s, "
              f"peak RSS {res['peak_rss_mib']} MiB")
        one = Path(tmp) / "one"
        one.mkdir()
        (folder / "photo_000.jpg").rename(one / "photo_000.jpg")
        full = measure(one, 4000)
        print(f"for scale, one file decoded at 4000 px: peak RSS {full['peak_rss_mib']} MiB")


if __name__ == "__main__":
    main()
