"""The README's quick start runs exactly as printed, on a small temporary folder of images."""

import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
from PIL import Image

README = Path(__file__).resolve().parents[1] / "README.md"


def quick_start() -> tuple[str, int]:
    """The quick start's code block and the section's length in lines (heading to closing fence)."""
    text = README.read_text()
    m = re.search(r"^### Quick start.*?\n```python\n(.*?)\n```\n", text, re.S | re.M)
    assert m, "README has no '### Quick start' section with a python block"
    return m.group(1), m.group(0).count("\n")


def _photo_folder(root: Path) -> None:
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[:48, :48]
    for label, axis in (("stripes", xx), ("bands", yy)):
        (root / label).mkdir(parents=True)
        for i in range(30):
            grey = 127 + 100 * np.sin(rng.uniform(0.05, 0.3) * axis + rng.uniform(0, 6))
            rgb = grey[..., None] * np.array([1.0, 0.8, 0.6]) + rng.uniform(0, 20, (48, 48, 3))
            Image.fromarray(rgb.clip(0, 255).astype(np.uint8)).save(root / label / f"{i}.jpg")


def test_quick_start_runs_as_printed(tmp_path):
    code, lines = quick_start()
    assert lines <= 30, f"the quick start is {lines} lines"
    assert '"my_photos"' in code
    _photo_folder(tmp_path / "my_photos")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(README.parent), os.environ.get("PYTHONPATH", "")])}
    run = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, env=env,
                         timeout=600)
    assert run.returncode == 0, run.stderr[-3000:]
    assert "autoencoder" in run.stdout and "PCA, 16 components" in run.stdout and "PSNR (dB)" in run.stdout
    for name in ("scatter.png", "strip.png", "vae.keras"):
        assert (tmp_path / name).stat().st_size > 1000, name
