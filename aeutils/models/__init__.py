"""Models: encoder/decoder builders, custom layers, VAEs, regularised and restoration autoencoders, named presets.

* :mod:`~aeutils.models.blocks`: ``conv_stage``, ``build_encoder``/``build_decoder``/
  ``build_autoencoder``, the family's ``build_encoder_decoder``/``build_plain_autoencoder``,
  the latent-size formula (``latent_size``, ``check_latent_size``, ``encoder_layer_geometry``)
  and the one ``encoder_of``/``decoder_of`` of a model;
* :mod:`~aeutils.models.layers`: the custom layers (``Sampling``, ``Corruption``,
  ``MixtureConsistency``, ``RandomMissing``, ``NormalizedConvolutionFill``, ``MaskComposite``);
* :mod:`~aeutils.models.vae`: ``VAE``, ``build_vae``, ``build_image_vae``;
* :mod:`~aeutils.models.regularized`: penalties (``l1_activity``, ``kl_sparsity``,
  ``jacobian_frobenius_sq``), the one activity statistic ``code_activity``,
  sparse, contractive and denoising autoencoders;
* :mod:`~aeutils.models.restoration`: super-resolution, inpainter, unmixer;
* :mod:`~aeutils.models.presets`: every named architecture, built by name
  (``CAE_ARCHITECTURES``/``build_cae``, ``build_mixed_cae``, ``VAE_MNIST_LAYOUTS``,
  ``build_preset``).

Every public name is re-exported here, so ``aeutils.models.build_vae`` and
``from aeutils.models import CAE_ARCHITECTURES`` work as before. All custom
classes keep their registered Keras names (package ``aeutils``), so saved
``.keras`` files load with ``safe_mode=True`` once :mod:`aeutils.models` is imported.
"""

from aeutils.models.blocks import (
    build_autoencoder,
    build_decoder,
    build_encoder,
    build_encoder_decoder,
    build_plain_autoencoder,
    check_halves,
    check_latent_size,
    conv_output_size,
    conv_stage,
    decoder_of,
    encoder_layer_geometry,
    encoder_of,
    latent_size,
)
from aeutils.models.colouriser import (
    AnnealedMean,
    SoftEncodedCrossEntropy,
    annealed_mean,
    build_chroma_unet,
    chroma_bins,
    decode_uv,
    rebalance_weights,
    soft_encode,
    with_annealed_mean,
)
from aeutils.models.layers import (
    CORRUPTION_KINDS,
    Corruption,
    MaskComposite,
    MixtureConsistency,
    NormalizedConvolutionFill,
    PixelShuffle,
    RandomMissing,
    Sampling,
    gaussian_kernel_1d,
)
from aeutils.models.presets import (
    CAE_ARCHITECTURES,
    MIXED_CAE_PARAMS,
    PRESET_NAMES,
    VAE_MNIST_LAYOUTS,
    CAESpec,
    build_cae,
    build_mixed_cae,
    build_pca_residual_ae,
    build_preset,
    init_from_pca,
)
from aeutils.models.regularized import (
    JACOBIAN_METHODS,
    SPARSITY_PENALTIES,
    ContractiveAutoencoder,
    SparseAutoencoder,
    build_contractive_autoencoder,
    build_denoising_autoencoder,
    build_sparse_autoencoder,
    code_activity,
    jacobian_frobenius_sq,
    kl_sparsity,
    l1_activity,
)
from aeutils.models.restoration import (
    SR_UPSAMPLING,
    build_inpainter,
    build_super_resolution,
    build_unmixer,
    residual_blocks,
)
from aeutils.models.vae import VAE, VAE_RECONSTRUCTIONS, build_image_vae, build_vae, image_vae_filters
from aeutils.train import BatchValues  # moved to aeutils.train (a callback); kept here for old calls

__all__ = [
    "AnnealedMean", "SoftEncodedCrossEntropy", "annealed_mean", "build_chroma_unet", "chroma_bins",
    "decode_uv", "rebalance_weights", "soft_encode", "with_annealed_mean",
    "BatchValues", "CAESpec", "CAE_ARCHITECTURES", "CORRUPTION_KINDS",
    "ContractiveAutoencoder", "Corruption", "JACOBIAN_METHODS", "MIXED_CAE_PARAMS", "MaskComposite",
    "MixtureConsistency", "NormalizedConvolutionFill", "PixelShuffle", "PRESET_NAMES", "RandomMissing",
    "SPARSITY_PENALTIES", "SR_UPSAMPLING",
    "Sampling", "SparseAutoencoder", "VAE", "VAE_MNIST_LAYOUTS", "VAE_RECONSTRUCTIONS",
    "build_autoencoder", "build_cae", "build_contractive_autoencoder", "build_decoder",
    "build_denoising_autoencoder", "build_encoder", "build_encoder_decoder", "build_image_vae",
    "build_inpainter", "build_mixed_cae", "build_pca_residual_ae", "build_plain_autoencoder",
    "build_preset", "build_sparse_autoencoder", "build_super_resolution", "build_unmixer", "build_vae",
    "residual_blocks",
    "check_halves", "check_latent_size", "code_activity", "conv_output_size", "conv_stage", "decoder_of",
    "encoder_layer_geometry", "encoder_of", "gaussian_kernel_1d", "image_vae_filters",
    "init_from_pca", "jacobian_frobenius_sq", "kl_sparsity", "l1_activity", "latent_size",
]
