"""Saving and loading: a model saved in one process loads with aeutils.load_model in another."""

import subprocess
import sys

import numpy as np
import pytest

import aeutils
from aeutils import models as Mo

CHILD = """
import sys, numpy as np, aeutils
m = aeutils.load_model(sys.argv[1])
x = np.load(sys.argv[2])
np.save(sys.argv[3], m.predict(x, verbose=0))
"""


def test_a_saved_vae_loads_in_a_fresh_process_with_identical_outputs(tmp_path):
    vae = Mo.build_vae(input_shape=(8, 8, 1), latent_dim=2, filters=(4,), seed=0)
    x = np.random.default_rng(0).random((3, 8, 8, 1)).astype(np.float32)
    path = aeutils.save_model(vae, tmp_path / "models" / "vae.keras")
    np.save(tmp_path / "x.npy", x)
    subprocess.run([sys.executable, "-c", CHILD, str(path), str(tmp_path / "x.npy"), str(tmp_path / "y.npy")],
                   check=True, capture_output=True)
    np.testing.assert_array_equal(np.load(tmp_path / "y.npy"), vae.predict(x, verbose=0))


def test_load_model_errors():
    with pytest.raises(FileNotFoundError, match="no such model file"):
        aeutils.load_model("nope.keras")
    with pytest.raises(ValueError, match="end in .keras"):
        aeutils.save_model(Mo.build_autoencoder(input_shape=(8, 8, 1), filters=(4,)), "m.h5")
