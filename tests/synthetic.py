"""Synthetic image sets shared by the comparison tests: two clearly different distributions."""

import numpy as np

TINY = dict(filters=(4, 8), code_channels=2, batch_size=8, learning_rate=5e-3, log=None)


def blobs(n, seed, size=16):
    """Smooth Gaussian bumps at random places: one distribution."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[:size, :size]
    out = np.zeros((n, size, size, 1), np.float32)
    for i in range(n):
        for _ in range(2):
            cy, cx = rng.uniform(2, size - 2, 2)
            s = rng.uniform(2.0, 3.5)
            out[i, ..., 0] += np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / (2 * s * s))
    return np.clip(out, 0, 1)


def stripes(n, seed, size=16):
    """High-frequency oriented stripes: a clearly different distribution."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[:size, :size]
    out = np.zeros((n, size, size, 1), np.float32)
    for i in range(n):
        th, f, ph = rng.uniform(0, np.pi), rng.uniform(0.8, 1.4), rng.uniform(0, 2 * np.pi)
        out[i, ..., 0] = 0.5 + 0.5 * np.sin(f * (np.cos(th) * xx + np.sin(th) * yy) + ph)
    return out
