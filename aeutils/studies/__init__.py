"""The studies: one module per notebook, with its experiment's protocol, its source's figures, its parameter checks.

Each study is used by its notebook (``notebooks/NAME.ipynb``) and its
benchmark; toolkit modules never import a study (only :mod:`aeutils.cli`
registers a study's command).

* :mod:`aeutils.studies.cae_architectures`: convolutional autoencoder architectures (source report 4);
* :mod:`aeutils.studies.colourisation`: gray → RGB versus Y → UV colourisation (source report 4, last part);
* :mod:`aeutils.studies.vae_latent_space`: a VAE with a 2-D latent: scatter, manifold, interpolation (source report 3);
* :mod:`aeutils.studies.mixed_mnist_cifar`: mixed MNIST + CIFAR-10 mean images (source report 2);
* :mod:`aeutils.studies.dataset_comparison`: two image sets compared by cross-reconstruction
  (source report 1): the notebook's checks, the ``compare`` command and its HTML page;
* :mod:`aeutils.studies.autoencoder_family`: the autoencoder family and its applications (source report 5).
"""
