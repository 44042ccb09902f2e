"""aeutils: autoencoder experiments on images with Keras 3 and TensorFlow.

The toolkit: ``data`` (loading, embedded sets, transforms, patches, splits,
``tf.data`` pipelines), ``models`` (encoder/decoder builders, layers, VAE,
regularised autoencoders, restoration models, named presets), ``train`` (one
fit helper), ``metrics`` (per-image MSE/PSNR/SSIM, summaries), ``baselines``
(the one PCA, the mean image, classical fills and filters), ``stats``
(two-sample tests, Holm, MMD, power), ``claims`` (what a run claims, and
whether it holds), ``color`` (YUV, luminance, CIEDE2000, colourfulness),
``latent`` (codes, interpolation, grids, ELBO; ``latent.explorer``, an ipywidgets explorer of the
latent plane, lives in ``latent_explorer``), ``compare`` (two image sets
compared by cross-reconstruction), ``applications`` (anomaly detection,
inpainting, super-resolution inputs, probes), ``params`` (list parameters),
``plotting``, ``reports`` (papermill runner, pages, index) and ``saving``
(:func:`load_model` and :func:`save_model`, also at the top: ``aeutils.load_model``).
``studies`` holds one module per notebook: each experiment's protocol, its
source's figures and its parameter checks; the toolkit never imports it.
"""

import os
import re
import sys

# Keras 3 runs on TensorFlow here; set before keras is first imported.
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # the user's setting wins

__version__ = "0.1.0"

#: TensorFlow's C++ start-up lines (absl's ``I0000 ...``, ``W0000 ...``, ``E0000 ...`` and its "All log
#: messages before absl::InitializeLog()" line), which TensorFlow 2.21 prints at import whatever
#: ``TF_CPP_MIN_LOG_LEVEL`` says; :func:`_import_tensorflow_quietly` applies the level to them.
_TF_LINE = re.compile(r"^([IWEF])\d{4} \d\d:\d\d:\d\d")
_TF_PREAMBLE = "WARNING: All log messages before absl::InitializeLog()"


def _tf_level() -> int:
    try:
        return int(os.environ.get("TF_CPP_MIN_LOG_LEVEL", "2"))
    except ValueError:
        return 0


def _hidden(line: str, level: int) -> bool:
    """Whether ``TF_CPP_MIN_LOG_LEVEL=level`` hides this start-up line (1: info, 2: and warnings, 3: and errors)."""
    m = _TF_LINE.match(line)
    if m:
        return "IWE".find(m.group(1)) in range(level)
    return level >= 1 and line.startswith(_TF_PREAMBLE)


def _import_tensorflow_quietly() -> None:
    """Import TensorFlow with its C++ start-up lines filtered by ``TF_CPP_MIN_LOG_LEVEL`` (default 2).

    They are written to file descriptor 2 before Python sees them, so in a notebook every first
    cell would show them as a pink block; the lines the level keeps are printed as they came.
    """
    import tempfile

    level = _tf_level()
    try:
        saved = os.dup(2) if level > 0 else None
    except OSError:  # no stderr descriptor to borrow
        saved = None
    if saved is None:
        import tensorflow  # noqa: F401

        return
    with tempfile.TemporaryFile() as log:
        sys.stderr.flush()
        os.dup2(log.fileno(), 2)
        try:
            import tensorflow  # noqa: F401
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            log.seek(0)
            kept = [line for line in log.read().decode(errors="replace").splitlines() if not _hidden(line, level)]
            if kept:
                print("\n".join(kept), file=sys.stderr)


if "tensorflow" not in sys.modules:
    _import_tensorflow_quietly()

from aeutils.saving import load_model, save_model  # noqa: E402  (after the environment above)

__all__ = ["__version__", "load_model", "save_model"]
