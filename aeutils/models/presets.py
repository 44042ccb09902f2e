"""Every named architecture, built by name: the CIFAR-10 study's autoencoders, ours, the mixed model, MNIST VAEs.

* :data:`CAE_ARCHITECTURES` / :func:`build_cae`: the convolutional autoencoders
  of the CIFAR-10 architecture study (source report 4) and this project's own
  PCA-initialised design ``"ours-256"`` (:func:`build_pca_residual_ae`,
  :func:`init_from_pca`);
* :func:`build_mixed_cae`: the mixed MNIST + CIFAR-10 study's autoencoder
  (source report 2, :data:`MIXED_CAE_PARAMS` parameters);
* :data:`VAE_MNIST_LAYOUTS`: :func:`~aeutils.models.vae.build_vae` settings for 28x28 digits;
* :func:`build_preset`: any of them by one name (:data:`PRESET_NAMES`).

The source's *result* figures are not part of an architecture: they live in the
study (:mod:`aeutils.studies.cae_architectures`).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence

import keras
import numpy as np
from keras import layers

from aeutils.baselines import fit_pca
from aeutils.models.blocks import build_autoencoder, build_decoder, build_encoder
from aeutils.models.vae import VAE, build_vae

# ---------------------------------------------------------------------------
# The CIFAR-10 architecture study (source report 4)
# ---------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class CAESpec:
    """A convolutional autoencoder of the architecture study.

    Attributes:
        encoder_filters: channels per encoder stage (MaxPooling between stages).
        decoder_filters: channels per decoder stage (UpSampling before each).
        kernel_size: kernel side.
        encoder_convs: convolutions per encoder stage (int or per stage).
        decoder_convs: convolutions per decoder stage.
        first_padding: ``"valid"`` only for the published 16-24-32 fault.
        downsamples: encoder stages followed by a MaxPooling (default all but the last).
        note: one line on what the row shows.
        kind: ``"cae"`` (the study's conv autoencoder) or ``"pca_residual"``
            (:func:`build_pca_residual_ae`).
        latent_dim: code size of a ``pca_residual`` model.
        freeze_code: keep a ``pca_residual`` model's linear code pair at its PCA
            start and train only the convolution branches (:func:`init_from_pca`).
        flips: train on the images and their mirror images (left-right).
        name: the key in :data:`CAE_ARCHITECTURES`.
    """

    encoder_filters: tuple[int, ...]
    decoder_filters: tuple[int, ...]
    kernel_size: int = 3
    encoder_convs: int | tuple[int, ...] = 1
    decoder_convs: int | tuple[int, ...] = 1
    first_padding: str | None = None
    downsamples: int | None = None
    note: str = ""
    kind: str = "cae"
    latent_dim: int | None = None
    freeze_code: bool = False
    flips: bool = False
    name: str = ""


CAE_ARCHITECTURES: dict[str, CAESpec] = {
    spec.name: spec
    for spec in (
        CAESpec((8, 12, 16), (12,), name="classic"),
        CAESpec((4, 6, 8), (6,), name="4-6-8"),
        CAESpec((16, 24, 32), (24,), first_padding="valid", name="16-24-32-published",
                note="as published: valid first conv + ZeroPadding2D"),
        CAESpec((16, 24, 32), (24,), name="16-24-32", note="padding fixed (same)"),
        CAESpec((16, 24, 32), (24,), kernel_size=5, name="16-24-32-5x5",
                note="no code published; same padding"),
        CAESpec((32, 48, 64), (48,), name="32-48-64-single"),
        CAESpec((32, 48, 64), (48, 32), encoder_convs=(2, 2, 1), decoder_convs=2, name="32-48-64-double"),
        # Ours: a 256-value linear code (12:1 on 32x32x3) between residual conv
        # refinements; the dense code is PCA's optimum and stays there (see
        # build_pca_residual_ae): only the 13 k branch weights train, on mirrored images too.
        CAESpec((), (), kind="pca_residual", latent_dim=256, freeze_code=True, flips=True, name="ours-256",
                note="ours: PCA 256 code (kept) + residual convs, trained with mirror images"),
    )
}


def build_cae(
    name: str,
    *,
    input_shape: Sequence[int] = (32, 32, 3),
    output_activation: str | None = "tanh",
) -> keras.Model:
    """Build one autoencoder of :data:`CAE_ARCHITECTURES` by name.

    ``tanh`` output matches the study's [-1, 1] data; use ``"sigmoid"`` for [0, 1].

    Raises:
        KeyError: unknown name (the message lists the known ones).
    """
    if name not in CAE_ARCHITECTURES:
        raise KeyError(f"unknown architecture {name!r}; choose from {sorted(CAE_ARCHITECTURES)}")
    spec = CAE_ARCHITECTURES[name]
    if spec.kind == "pca_residual":
        return build_pca_residual_ae(
            input_shape=input_shape, latent_dim=spec.latent_dim, name=name
        )
    encoder = build_encoder(
        input_shape=input_shape,
        filters=spec.encoder_filters,
        kernel_size=spec.kernel_size,
        convs_per_stage=spec.encoder_convs,
        first_padding=spec.first_padding,
        downsamples=spec.downsamples,
        name="encoder",
    )
    steps = (spec.downsamples if spec.downsamples is not None else len(spec.encoder_filters) - 1)
    decoder = build_decoder(
        latent_shape=encoder.output_shape[1:],
        filters=spec.decoder_filters,
        output_channels=input_shape[-1],
        kernel_size=spec.kernel_size,
        convs_per_stage=spec.decoder_convs,
        upsamplings=steps,
        output_activation=output_activation,
        name="decoder",
    )
    return build_autoencoder(encoder, decoder, name=name)


# ---------------------------------------------------------------------------
# Our 12:1 design: PCA-initialised linear code with residual conv refinement
# ---------------------------------------------------------------------------


def _residual_refiner(x, *, filters: int, convs: int, name: str):
    """``x + f(x)`` where ``f`` is a small conv stack whose last layer starts at zero."""
    h = x
    for i in range(convs):
        h = layers.Conv2D(filters, 3, padding="same", activation="relu", name=f"{name}_conv{i}")(h)
    h = layers.Conv2D(
        x.shape[-1], 3, padding="same", kernel_initializer="zeros", name=f"{name}_out"
    )(h)
    return layers.Add(name=f"{name}_add")([x, h])


def build_pca_residual_ae(
    *,
    input_shape: Sequence[int] = (32, 32, 3),
    latent_dim: int = 256,
    filters: int = 32,
    encoder_convs: int = 1,
    decoder_convs: int = 2,
    name: str = "pca_residual_ae",
) -> keras.Model:
    """An autoencoder whose code is ``latent_dim`` linear values, refined by residual convolutions.

    Encoder: image + residual conv branch → flatten → ``Dense(latent_dim)``.
    Decoder: ``Dense(H·W·C)`` → reshape → + residual conv branch. The branches'
    last convolutions start at zero, so after :func:`init_from_pca` the model
    *is* PCA with ``latent_dim`` components, and training can only move it to a
    lower loss (nonlinear corrections PCA cannot make). Linear output.

    Returns:
        A model with sub-models ``encoder`` and ``decoder``.
    """
    inputs = keras.Input(shape=tuple(input_shape), name="encoder_input")
    x = _residual_refiner(inputs, filters=filters, convs=encoder_convs, name="encoder_refine")
    x = layers.Flatten(name="encoder_flatten")(x)
    code = layers.Dense(latent_dim, name="encoder_code")(x)
    encoder = keras.Model(inputs, code, name="encoder")
    z = keras.Input(shape=(latent_dim,), name="decoder_input")
    y = layers.Dense(math.prod(input_shape), name="decoder_linear")(z)
    y = layers.Reshape(tuple(input_shape), name="decoder_reshape")(y)
    y = _residual_refiner(y, filters=filters, convs=decoder_convs, name="decoder_refine")
    decoder = keras.Model(z, y, name="decoder")
    return build_autoencoder(encoder, decoder, name=name)


def init_from_pca(
    model: keras.Model, x_train, *, seed: int = 0, max_fit: int = 20_000, freeze: bool = False
) -> None:
    """Set the linear code layers of a :func:`build_pca_residual_ae` model to PCA fitted on ``x_train``.

    With fewer images than code units, the surplus units start at zero. With
    ``freeze`` the two layers stop training, so the code stays PCA's and fitting
    moves only the residual branches: on a few thousand images this generalises
    where a trainable 1.6 M-weight pair overfits. Compile (or fit) after this call.

    Raises:
        ValueError: a model without ``encoder_code``/``decoder_linear`` layers.
    """
    try:
        enc = model.get_layer("encoder").get_layer("encoder_code")
        dec = model.get_layer("decoder").get_layer("decoder_linear")
    except ValueError as err:
        raise ValueError("init_from_pca needs a build_pca_residual_ae model") from err
    k = enc.units
    flat = np.asarray(x_train, dtype=np.float32).reshape(len(x_train), -1)
    n_fit = min(len(flat), max_fit)
    k_fit = min(k, n_fit - 1, flat.shape[1])
    basis = fit_pca(flat, k_fit, seed=seed, max_fit=max_fit, solver="randomized")
    comps = np.zeros((k, flat.shape[1]), np.float32)  # (k, D); rows past the data's rank stay 0
    comps[:k_fit] = basis.components
    mean = basis.mean.astype(np.float32)
    enc.set_weights([comps.T, -mean @ comps.T])
    dec.set_weights([comps, mean])
    if freeze:
        enc.trainable = False
        dec.trainable = False


# ---------------------------------------------------------------------------
# Variational autoencoders for MNIST (source report 3)
# ---------------------------------------------------------------------------

#: :func:`build_vae` settings for 28x28 digits. ``keras-io``: the keras.io example's
#: layout (Conv 32, 64 stride 2, Dense 16, no decoder hidden layer; 134,165
#: parameters). ``ours``: the same convolutions with Dense 256 on both sides of
#: the code, so the decoder has room to unfold a 2-D code into a digit.
VAE_MNIST_LAYOUTS: dict[str, dict] = {
    "keras-io": {"filters": (32, 64), "hidden_units": 16, "decoder_hidden_units": None},
    "ours": {"filters": (32, 64), "hidden_units": 256, "decoder_hidden_units": 256},
}


# ---------------------------------------------------------------------------
# Mixed MNIST + CIFAR-10 mean images (source report 2)
# ---------------------------------------------------------------------------

#: Parameters of the source's mixed-image autoencoder (PyTorch original).
MIXED_CAE_PARAMS = 83_619


def build_mixed_cae(*, input_shape: Sequence[int] = (32, 32, 3), name: str = "mixed_cae") -> keras.Model:
    """Build the source's mixed-image autoencoder (83,619 parameters at 32x32x3).

    Encoder: Conv 3→16→32→64, kernel 4, stride 2, same padding, LeakyReLU(0.01),
    a 4x4x64 = 1024-value code for 32x32 input. Decoder: Conv2DTranspose
    64→32→16→3 (kernel 4, stride 2), LeakyReLU between, no output activation
    (the source trained on [-1, 1] values).

    Args:
        input_shape: ``(H, W, C)`` with H and W divisible by 8.
        name: model name; the parts are ``f"{name}_encoder"``/``f"{name}_decoder"``.

    Returns:
        A ``keras.Model`` from images to reconstructions of the same shape.

    Raises:
        ValueError: a side not divisible by 8.
    """
    if input_shape[0] % 8 or input_shape[1] % 8:
        raise ValueError(f"input sides must be divisible by 8 (three stride-2 stages), got {input_shape}")
    encoder = build_encoder(
        input_shape=input_shape,
        filters=(16, 32, 64),
        kernel_size=4,
        downsample="stride",
        activation="leaky_relu:0.01",
        name=f"{name}_encoder",
    )
    decoder = build_decoder(
        latent_shape=encoder.output_shape[1:],
        filters=(32, 16),
        output_channels=input_shape[-1],
        kernel_size=4,
        upsample="transpose",
        upsamplings=3,
        activation="leaky_relu:0.01",
        output_activation=None,
        name=f"{name}_decoder",
    )
    return build_autoencoder(encoder, decoder, name=name)



# ---------------------------------------------------------------------------
# Any named architecture by one name
# ---------------------------------------------------------------------------

#: Names :func:`build_preset` knows: the CIFAR-10 study's, ``"mixed-cae"``, and
#: ``"vae-mnist-<layout>"`` for each of :data:`VAE_MNIST_LAYOUTS`.
PRESET_NAMES: tuple[str, ...] = (
    *CAE_ARCHITECTURES,
    "mixed-cae",
    *(f"vae-mnist-{layout}" for layout in VAE_MNIST_LAYOUTS),
)


def build_preset(name: str, **kwargs) -> keras.Model | VAE:
    """Build any named architecture: a :func:`build_cae` name, ``"mixed-cae"`` or ``"vae-mnist-<layout>"``.

    Args:
        name: one of :data:`PRESET_NAMES`.
        **kwargs: passed to the builder (e.g. ``input_shape``, ``seed`` for a VAE).

    Raises:
        KeyError: unknown name (the message lists the known ones).

    Example:
    >>> build_preset("mixed-cae").count_params() == MIXED_CAE_PARAMS
    True
    """
    if name in CAE_ARCHITECTURES:
        return build_cae(name, **kwargs)
    if name == "mixed-cae":
        return build_mixed_cae(**kwargs)
    layout = name.removeprefix("vae-mnist-")
    if name.startswith("vae-mnist-") and layout in VAE_MNIST_LAYOUTS:
        args = {"input_shape": (28, 28, 1), "latent_dim": 2, **VAE_MNIST_LAYOUTS[layout], **kwargs}
        return build_vae(**args)
    raise KeyError(f"unknown architecture {name!r}; choose from {list(PRESET_NAMES)}")
