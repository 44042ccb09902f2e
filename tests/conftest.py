"""Test set-up: TensorFlow backend, two logical CPU devices, fixed seeds, no network."""

import os

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("MPLBACKEND", "Agg")

import aeutils  # noqa: E402, F401  (first: TensorFlow's start-up lines then follow TF_CPP_MIN_LOG_LEVEL)

# isort: split
import pytest  # noqa: E402
import tensorflow as tf  # noqa: E402

# Two logical CPUs so MirroredStrategy has two replicas; must run before TF starts.
_cpus = tf.config.list_physical_devices("CPU")
try:
    tf.config.set_logical_device_configuration(
        _cpus[0], [tf.config.LogicalDeviceConfiguration(), tf.config.LogicalDeviceConfiguration()]
    )
except RuntimeError:  # already initialised (e.g. doctest collected first)
    pass

import keras  # noqa: E402
import numpy as np  # noqa: E402
from hypothesis import settings  # noqa: E402

# The same examples on every run, so that CI reruns agree; HYPOTHESIS_PROFILE=explore draws new ones.
settings.register_profile("repeatable", derandomize=True)
settings.register_profile("explore", derandomize=False)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "repeatable"))

from aeutils.data import ImageSet  # noqa: E402


@pytest.fixture(autouse=True)
def _seed():
    keras.utils.set_random_seed(1234)
    yield


@pytest.fixture()
def toy_sets():
    """Gray 28x28 'digits' with an official test split, colour 32x32 'photos' with a tiny one (as the CIFAR file)."""
    rng = np.random.default_rng(0)
    digits = ImageSet(
        images=rng.random((30, 28, 28, 1)).astype(np.float32),
        labels=np.arange(30) % 10,
        name="toy-digits",
        subset=np.array(["train"] * 20 + ["test"] * 10),
    )
    photos = ImageSet(
        images=rng.random((24, 32, 32, 3)).astype(np.float32),
        name="toy-photos",
        subset=np.array(["train"] * 22 + ["test"] * 2),
    )
    return digits, photos


@pytest.fixture
def free_ports():
    """A function giving ``n`` TCP ports on 127.0.0.1 that were free a moment ago (for worker clusters)."""
    import socket

    def ports(n):
        socks = [socket.socket() for _ in range(n)]
        for s in socks:
            s.bind(("127.0.0.1", 0))
        found = [s.getsockname()[1] for s in socks]
        for s in socks:
            s.close()
        return found

    return ports


@pytest.fixture(scope="session")
def load_benchmark():
    """Import a script of ``benchmarks/`` (not a package) by name: ``load_benchmark("scaling")``."""
    import importlib.util
    import pathlib

    def load(name):
        path = pathlib.Path(__file__).resolve().parents[1] / "benchmarks" / f"{name}.py"
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module

    return load
