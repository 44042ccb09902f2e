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

# Keras 3 runs on TensorFlow here; set before keras is first imported.
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

__version__ = "0.1.0"

from aeutils.saving import load_model, save_model  # noqa: E402  (after the environment above)

__all__ = ["__version__", "load_model", "save_model"]
