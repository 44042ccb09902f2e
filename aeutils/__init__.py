"""aeutils: autoencoder experiments on images with Keras 3 and TensorFlow.

Modules: ``data`` (loading, preprocessing), ``models`` (builders, VAE, family
variants), ``layers`` (custom layers), ``train`` (one fit helper), ``metrics``
(MSE/PSNR/SSIM, baselines), ``latent`` (codes, interpolation, grids), ``color``
(YUV, colourisation), ``compare`` (dataset comparison), ``applications``
(anomaly, inpainting, super-resolution, probes), ``plotting``, ``reports``
(papermill + nbconvert runner); ``cae_study``, ``mixed_study`` and
``family_study`` hold each experiment's protocol.
"""

import os

# Keras 3 runs on TensorFlow here; set before keras is first imported.
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

__version__ = "0.1.0"
