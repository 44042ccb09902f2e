"""Fixtures shared by the data tests."""

import numpy as np
import pytest
from PIL import Image


def _write_images(folder, n=3, size=(20, 16), mode="RGB", sub=None):
    folder = folder / sub if sub else folder
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    for i in range(n):
        shape = (size[1], size[0], 3) if mode == "RGB" else (size[1], size[0])
        Image.fromarray(rng.integers(0, 256, shape, dtype=np.uint8), mode=mode).save(folder / f"im{i}.png")


@pytest.fixture
def write_images():
    """``write_images(folder, n=3, size=(20, 16), mode="RGB", sub=None)``: save ``n`` seeded random PNGs."""
    return _write_images
