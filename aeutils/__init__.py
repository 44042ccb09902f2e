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
#: ``TF_CPP_MIN_LOG_LEVEL`` says; :class:`_QuietLoader` applies the level to them.
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


class _QuietLoader:
    """Wraps TensorFlow's own loader: runs its module code with file descriptor 2 captured.

    TensorFlow's C++ start-up lines are written to descriptor 2 before Python sees them, so in a
    notebook the first cell that imports it (directly or through Keras) would show them as a pink
    block; afterwards the lines ``TF_CPP_MIN_LOG_LEVEL`` keeps are printed as they came.
    """

    def __init__(self, loader):
        self._loader = loader

    def __getattr__(self, name):  # everything else is the real loader's
        return getattr(self._loader, name)

    def create_module(self, spec):
        return self._loader.create_module(spec)

    def exec_module(self, module):
        import tempfile

        level = _tf_level()
        try:
            saved = os.dup(2) if level > 0 else None
        except OSError:  # no stderr descriptor to borrow
            saved = None
        if saved is None:
            self._loader.exec_module(module)
            return
        with tempfile.TemporaryFile() as log:
            sys.stderr.flush()
            os.dup2(log.fileno(), 2)
            try:
                self._loader.exec_module(module)
            finally:
                os.dup2(saved, 2)
                os.close(saved)
                log.seek(0)
                text = log.read().decode(errors="replace")
                kept = [line for line in text.splitlines() if not _hidden(line, level)]
                if kept:
                    print("\n".join(kept), file=sys.stderr)


class _QuietTensorFlowFinder:
    """A one-shot import hook: the first ``import tensorflow`` (from any module) loads it quietly.

    aeutils itself imports TensorFlow only where it is used, so ``aeutils.reports``, ``claims``,
    ``cluster`` and the command line start in a fraction of a second.
    """

    def find_spec(self, name, path=None, target=None):
        if name != "tensorflow":
            return None
        import importlib.machinery

        if self in sys.meta_path:
            sys.meta_path.remove(self)
        spec = importlib.machinery.PathFinder.find_spec(name, path)
        if spec is not None and spec.loader is not None:
            spec.loader = _QuietLoader(spec.loader)
        return spec


if "tensorflow" not in sys.modules and not any(isinstance(f, _QuietTensorFlowFinder) for f in sys.meta_path):
    sys.meta_path.insert(0, _QuietTensorFlowFinder())


def __getattr__(name):
    """``aeutils.load_model`` and ``aeutils.save_model``, imported (with Keras) on first use."""
    if name in ("load_model", "save_model"):
        from aeutils import saving

        return getattr(saving, name)
    raise AttributeError(f"module 'aeutils' has no attribute {name!r}")


__all__ = ["__version__", "load_model", "save_model"]
