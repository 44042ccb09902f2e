"""aeutils: autoencoder experiments on images with Keras 3 and TensorFlow.

The toolkit: ``data`` (loading, embedded sets, transforms, patches, splits,
``tf.data`` pipelines), ``models`` (encoder/decoder builders, layers, VAE,
regularised autoencoders, restoration models, named presets), ``train`` (one
fit helper), ``metrics`` (per-image MSE/PSNR/SSIM, summaries), ``baselines``
(the one PCA, the mean image, classical fills and filters), ``stats``
(two-sample tests, Holm, MMD, power), ``claims`` (what a run claims, and
whether it holds), ``color`` (YUV, luminance, CIEDE2000, colourfulness),
``latent`` (codes, interpolation, grids, ELBO), ``compare`` (two image sets
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
_QUIET_TF = "TF_CPP_MIN_LOG_LEVEL" not in os.environ  # the user's setting wins
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

__version__ = "0.1.0"

#: TensorFlow's C++ start-up lines below error level (absl's ``I0000 ...``/``W0000 ...`` and its
#: "All log messages before absl::InitializeLog()" line), which TensorFlow 2.21 prints at import
#: whatever ``TF_CPP_MIN_LOG_LEVEL`` says.
_TF_NOISE = re.compile(r"^(WARNING: All log messages before absl::InitializeLog\(\)|[IW]\d{4} \d\d:\d\d:\d\d)")


def _import_tensorflow_quietly() -> None:
    """Import TensorFlow with its C++ info and warning lines dropped (errors are printed as they came).

    They are written to file descriptor 2 before Python sees them, so in a notebook every first
    cell would show them as a pink block. Only when the user has not set ``TF_CPP_MIN_LOG_LEVEL``.
    """
    import tempfile

    try:
        saved = os.dup(2)
    except OSError:  # no stderr descriptor to borrow
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
            kept = [line for line in log.read().decode(errors="replace").splitlines() if not _TF_NOISE.match(line)]
            if kept:
                print("\n".join(kept), file=sys.stderr)


if _QUIET_TF and "tensorflow" not in sys.modules:
    _import_tensorflow_quietly()

from aeutils.saving import load_model, save_model  # noqa: E402  (after the environment above)

__all__ = ["__version__", "load_model", "save_model"]
