"""Encoder/decoder builders and autoencoder models.

Builders are keyword-only and return named ``keras.Model`` objects; layers are
named ``f"{name}_s{stage}_conv{i}"`` so weights can be found and compared.
:data:`CAE_ARCHITECTURES` holds the convolutional autoencoders of the CIFAR-10
architecture study (source report 4) and this project's own design.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence

import keras
from keras import layers


def conv_stage(
    x,
    filters: int,
    *,
    convs: int = 1,
    kernel_size: int = 3,
    activation="relu",
    first_strides: int = 1,
    transpose: bool = False,
    padding: str = "same",
    first_padding: str | None = None,
    name: str,
):
    """Apply ``convs`` convolutions of ``filters`` channels to tensor ``x`` and return the result.

    The first convolution may be strided (down- or, with ``transpose``, upsampling)
    and may use its own padding (``first_padding``) — the published 16-24-32
    model's ``valid`` first layer needs that.
    """
    for i in range(convs):
        cls = layers.Conv2DTranspose if (transpose and i == 0) else layers.Conv2D
        x = cls(
            filters,
            kernel_size,
            strides=first_strides if i == 0 else 1,
            padding=(first_padding or padding) if i == 0 else padding,
            name=f"{name}_conv{i}",
        )(x)
        x = _activation(activation, f"{name}_act{i}")(x)
    return x


def _activation(activation, name):
    if isinstance(activation, str) and activation.startswith("leaky_relu"):
        slope = float(activation.partition(":")[2] or 0.01)
        return layers.LeakyReLU(negative_slope=slope, name=name)
    return layers.Activation(activation, name=name)


def build_encoder(
    *,
    input_shape: Sequence[int],
    filters: Sequence[int] = (32, 64),
    kernel_size: int = 3,
    convs_per_stage: int | Sequence[int] = 1,
    downsample: str = "maxpool",
    downsamples: int | None = None,
    activation="relu",
    first_padding: str | None = None,
    latent_dim: int | None = None,
    name: str = "encoder",
) -> keras.Model:
    """Build a convolutional encoder.

    Args:
        input_shape: ``(H, W, C)``.
        filters: channels of each stage.
        kernel_size: square kernel side.
        convs_per_stage: 1 (single) or 2 (double) convolutions per stage, or
            one count per stage.
        downsample: ``"maxpool"`` (MaxPooling2D(2) after a stage) or
            ``"stride"`` (the stage's first convolution has stride 2).
        downsamples: how many stages downsample, counted from the first.
            Default: all but the last for ``maxpool``, all for ``stride``.
        activation: Keras activation name, or ``"leaky_relu:0.01"``.
        first_padding: padding of the very first convolution (default same).
        latent_dim: if set, flatten and end in ``Dense(latent_dim)`` (a dense
            bottleneck); otherwise the code is the last feature map.
        name: model name and layer-name prefix.

    Returns:
        A ``keras.Model`` from images to codes.

    Raises:
        ValueError: unknown ``downsample`` or more downsamples than stages.
    """
    if downsample not in ("maxpool", "stride"):
        raise ValueError(f"downsample must be 'maxpool' or 'stride', got {downsample!r}")
    n = len(filters)
    if downsamples is None:
        downsamples = n - 1 if downsample == "maxpool" else n
    if not 0 <= downsamples <= n:
        raise ValueError(f"downsamples={downsamples} but only {n} stages")
    convs = _per_stage(convs_per_stage, n)
    inputs = keras.Input(shape=tuple(input_shape), name=f"{name}_input")
    x = inputs
    for s, f in enumerate(filters):
        strided = downsample == "stride" and s < downsamples
        x = conv_stage(
            x,
            f,
            convs=convs[s],
            kernel_size=kernel_size,
            activation=activation,
            first_strides=2 if strided else 1,
            first_padding=first_padding if s == 0 else None,
            name=f"{name}_s{s}",
        )
        if s == 0 and first_padding == "valid":
            # The published 16-24-32 model restores the size lost by its valid
            # convolution with zero padding; kept only to reproduce it.
            pad = (kernel_size - 1) // 2
            x = layers.ZeroPadding2D(pad, name=f"{name}_s0_zeropad")(x)
        if downsample == "maxpool" and s < downsamples:
            x = layers.MaxPooling2D(2, name=f"{name}_s{s}_pool")(x)
    if latent_dim is not None:
        x = layers.Flatten(name=f"{name}_flatten")(x)
        x = layers.Dense(latent_dim, name=f"{name}_code")(x)
    return keras.Model(inputs, x, name=name)


def build_decoder(
    *,
    latent_shape: Sequence[int],
    filters: Sequence[int] = (64, 32),
    output_channels: int = 3,
    kernel_size: int = 3,
    convs_per_stage: int | Sequence[int] = 1,
    upsample: str = "upsampling",
    upsamplings: int | None = None,
    activation="relu",
    output_activation: str | None = "sigmoid",
    dense_shape: Sequence[int] | None = None,
    name: str = "decoder",
) -> keras.Model:
    """Build a convolutional decoder.

    The decoder makes ``upsamplings`` (default ``len(filters)``) doubling steps.
    Step ``i`` is followed by a stage of ``filters[i]`` channels when there is
    one; then an output convolution maps to ``output_channels``. With
    ``upsample="transpose"`` the doubling is the stage's first convolution (a
    strided ``Conv2DTranspose``); a last step without filters is then the output
    layer itself.

    Args:
        latent_shape: shape of the code, ``(h, w, c)`` or ``(d,)`` with ``dense_shape``.
        filters: channels of each stage.
        output_channels: channels of the image.
        kernel_size: square kernel side.
        convs_per_stage: convolutions per stage, or one count per stage.
        upsample: ``"upsampling"`` (UpSampling2D(2)) or ``"transpose"``.
        upsamplings: number of doubling steps.
        activation: hidden activation.
        output_activation: e.g. ``"sigmoid"`` for [0,1], ``"tanh"`` for [-1,1],
            ``None`` for linear.
        dense_shape: for a flat code, ``(h, w, c)`` to project to with a Dense layer.
        name: model name and layer-name prefix.

    Returns:
        A ``keras.Model`` from codes to images.

    Raises:
        ValueError: unknown ``upsample`` or an impossible stage layout.
    """
    if upsample not in ("upsampling", "transpose"):
        raise ValueError(f"upsample must be 'upsampling' or 'transpose', got {upsample!r}")
    steps = len(filters) if upsamplings is None else upsamplings
    if steps < len(filters) or (upsample == "transpose" and steps > len(filters) + 1):
        raise ValueError(f"{steps} upsamplings cannot hold {len(filters)} stages with {upsample}")
    convs = _per_stage(convs_per_stage, len(filters))
    inputs = keras.Input(shape=tuple(latent_shape), name=f"{name}_input")
    x = inputs
    if dense_shape is not None:
        x = layers.Dense(math.prod(dense_shape), name=f"{name}_dense")(x)
        x = _activation(activation, f"{name}_dense_act")(x)
        x = layers.Reshape(tuple(dense_shape), name=f"{name}_reshape")(x)
    out_is_transpose = upsample == "transpose" and steps == len(filters) + 1
    for s in range(steps):
        if s >= len(filters):
            if not out_is_transpose:
                x = layers.UpSampling2D(2, name=f"{name}_s{s}_up")(x)
            continue
        if upsample == "upsampling":
            x = layers.UpSampling2D(2, name=f"{name}_s{s}_up")(x)
        x = conv_stage(
            x,
            filters[s],
            convs=convs[s],
            kernel_size=kernel_size,
            activation=activation,
            first_strides=2 if upsample == "transpose" else 1,
            transpose=upsample == "transpose",
            name=f"{name}_s{s}",
        )
    out_cls = layers.Conv2DTranspose if out_is_transpose else layers.Conv2D
    x = out_cls(
        output_channels,
        kernel_size,
        strides=2 if out_is_transpose else 1,
        padding="same",
        activation=output_activation,
        name=f"{name}_output",
    )(x)
    return keras.Model(inputs, x, name=name)


def _per_stage(convs, n: int) -> list[int]:
    convs = [int(convs)] * n if isinstance(convs, int) else [int(c) for c in convs]
    if len(convs) != n or min(convs, default=1) < 1:
        raise ValueError(f"need {n} positive conv counts, got {convs}")
    return convs


def build_autoencoder(encoder: keras.Model, decoder: keras.Model, *, name: str = "autoencoder"):
    """Chain an encoder and a decoder into one model (the two stay reachable as layers)."""
    inputs = keras.Input(shape=encoder.input_shape[1:], name=f"{name}_input")
    return keras.Model(inputs, decoder(encoder(inputs)), name=name)


# ---------------------------------------------------------------------------
# Latent size: ((W - K + 2P) / S + 1)^2 * C
# ---------------------------------------------------------------------------


def conv_output_size(width: int, kernel: int, padding: int, stride: int) -> int:
    """One layer of the formula: ``floor((W - K + 2P) / S) + 1``.

    Example:
    >>> conv_output_size(32, 3, 1, 1), conv_output_size(32, 2, 0, 2)
    (32, 16)
    """
    return (width - kernel + 2 * padding) // stride + 1


def latent_size(width: int, layers_kps: Sequence[tuple[int, int, int]], channels: int) -> int:
    """Latent size of a square input after a stack of conv/pool layers.

    Args:
        width: input side W.
        layers_kps: ``(kernel, padding, stride)`` per layer in order; a
            MaxPooling2D(2) is ``(2, 0, 2)``, a same-padded 3x3 conv ``(3, 1, 1)``.
        channels: channels C of the last layer.

    Returns:
        ``w_out ** 2 * C``.

    Example:
    >>> latent_size(32, [(3, 1, 1), (2, 0, 2), (3, 1, 1), (2, 0, 2), (3, 1, 1)], 16)
    1024
    """
    for k, p, s in layers_kps:
        width = conv_output_size(width, k, p, s)
    return width * width * channels


def encoder_layer_geometry(encoder: keras.Model) -> list[tuple[int, int, int]]:
    """Read ``(kernel, padding, stride)`` of every size-changing layer of a built encoder.

    Same padding counts as ``P = (K - 1) // 2`` for odd K (what keeps W for S=1).
    For even kernels with stride (the mixed-image model's 4x4/2), Keras pads so
    that the output is ``ceil(W / S)``; the returned padding gives that.
    """
    out = []
    for layer in encoder.layers:
        if isinstance(layer, layers.Conv2D) and not isinstance(layer, layers.Conv2DTranspose):
            k, s = layer.kernel_size[0], layer.strides[0]
            p = (k - 1) // 2 if layer.padding == "same" else 0
            if layer.padding == "same" and k % 2 == 0:
                p = k // 2 - (1 if s == 1 else 0)
                if s > 1:
                    p = (k - s + 1) // 2
            out.append((k, p, s))
        elif isinstance(layer, layers.MaxPooling2D):
            out.append((layer.pool_size[0], 0, layer.strides[0]))
        elif isinstance(layer, layers.ZeroPadding2D):
            # ZeroPadding2D(P) acts as (K=1, P, S=1).
            pad = layer.padding[0][0]
            out.append((1, pad, 1))
    return out


def check_latent_size(encoder: keras.Model) -> dict:
    """Compare the formula's latent size with the built encoder's output size.

    Returns:
        ``{"formula": int, "model": int, "match": bool}``; for an encoder
        ending in a flat (Dense) code the formula does not apply and
        ``formula``/``match`` are ``None``.
    """
    if len(encoder.output_shape) == 2:
        return {"formula": None, "model": int(encoder.output_shape[-1]), "match": None}
    width = encoder.input_shape[1]
    channels = encoder.output_shape[-1]
    formula = latent_size(width, encoder_layer_geometry(encoder), channels)
    model = math.prod(encoder.output_shape[1:])
    return {"formula": formula, "model": model, "match": formula == model}


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
        source_mse: the source's test MSE on [-1,1], ``None`` for ours.
        source_latent: the latent size the source reported.
        note: one line on what the row shows.
        kind: ``"cae"`` (the study's conv autoencoder) or ``"pca_residual"``
            (:func:`build_pca_residual_ae`).
        latent_dim: code size of a ``pca_residual`` model.
    """

    encoder_filters: tuple[int, ...]
    decoder_filters: tuple[int, ...]
    kernel_size: int = 3
    encoder_convs: int | tuple[int, ...] = 1
    decoder_convs: int | tuple[int, ...] = 1
    first_padding: str | None = None
    downsamples: int | None = None
    source_mse: float | None = None
    source_latent: int | None = None
    note: str = ""
    kind: str = "cae"
    latent_dim: int | None = None


CAE_ARCHITECTURES: dict[str, CAESpec] = {
    "classic": CAESpec((8, 12, 16), (12,), source_mse=0.017909, source_latent=1024),
    "4-6-8": CAESpec((4, 6, 8), (6,), source_mse=0.026883, source_latent=512),
    "16-24-32-published": CAESpec(
        (16, 24, 32), (24,), first_padding="valid", source_mse=0.047514, source_latent=2048,
        note="as published: valid first conv + ZeroPadding2D",
    ),
    "16-24-32": CAESpec((16, 24, 32), (24,), note="padding fixed (same)"),
    "16-24-32-5x5": CAESpec(
        (16, 24, 32), (24,), kernel_size=5, source_mse=0.003731, source_latent=1152,
        note="no code published; same padding",
    ),
    "32-48-64-single": CAESpec((32, 48, 64), (48,), source_mse=0.007290, source_latent=4096),
    "32-48-64-double": CAESpec(
        (32, 48, 64), (48, 32), encoder_convs=(2, 2, 1), decoder_convs=2,
        source_mse=0.006165, source_latent=4096,
    ),
    # Ours: a 256-value linear code (12:1 on 32x32x3) between residual conv
    # refinements; the dense code starts at PCA's optimum (see build_pca_residual_ae).
    "ours-256": CAESpec((), (), kind="pca_residual", latent_dim=256,
                        note="ours: PCA-initialised 256 code + residual convs"),
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


def init_from_pca(model: keras.Model, x_train, *, seed: int = 0, max_fit: int = 20_000) -> None:
    """Set the linear code layers of a :func:`build_pca_residual_ae` model to PCA fitted on ``x_train``.

    With fewer images than code units, the surplus units start at zero.

    Raises:
        ValueError: a model without ``encoder_code``/``decoder_linear`` layers.
    """
    import numpy as np
    from sklearn.decomposition import PCA

    try:
        enc = model.get_layer("encoder").get_layer("encoder_code")
        dec = model.get_layer("decoder").get_layer("decoder_linear")
    except ValueError as err:
        raise ValueError("init_from_pca needs a build_pca_residual_ae model") from err
    k = enc.units
    flat = np.asarray(x_train, dtype=np.float32).reshape(len(x_train), -1)
    if len(flat) > max_fit:
        flat = flat[np.random.default_rng(seed).choice(len(flat), max_fit, replace=False)]
    k_fit = min(k, len(flat) - 1, flat.shape[1])
    pca = PCA(n_components=k_fit, svd_solver="randomized", random_state=seed).fit(flat)
    comps = np.zeros((k, flat.shape[1]), np.float32)  # (k, D); rows past the data's rank stay 0
    comps[:k_fit] = pca.components_
    mean = pca.mean_.astype(np.float32)
    enc.set_weights([comps.T, -mean @ comps.T])
    dec.set_weights([comps, mean])


# ---------------------------------------------------------------------------
# Variational autoencoder (source report 3)
# ---------------------------------------------------------------------------

#: Reconstruction likelihoods of :class:`VAE`: ``"bernoulli"`` (binary cross-entropy
#: summed over pixels, for MNIST-like data) and ``"gaussian"`` (squared error
#: scaled by a fixed ``sigma``, for photos).
VAE_RECONSTRUCTIONS = ("bernoulli", "gaussian")

_BCE_EPS = 1e-7


def _pair_config(model, **extra) -> dict:
    """Config of a model built from an ``encoder`` and a ``decoder`` sub-model, plus its own arguments."""
    return {
        "name": model.name,
        "trainable": model.trainable,
        "encoder": keras.saving.serialize_keras_object(model.encoder),
        "decoder": keras.saving.serialize_keras_object(model.decoder),
        **extra,
    }


def _from_pair_config(cls, config, custom_objects=None):
    """Rebuild ``cls(encoder, decoder, **rest)`` from :func:`_pair_config` output."""
    config = dict(config)
    encoder = keras.saving.deserialize_keras_object(config.pop("encoder"), custom_objects)
    decoder = keras.saving.deserialize_keras_object(config.pop("decoder"), custom_objects)
    return cls(encoder, decoder, **config)


@keras.saving.register_keras_serializable(package="aeutils")
class VAE(keras.Model):
    """A variational autoencoder: encoder → ``[z_mean, z_log_var]`` → sample ``z`` → decoder.

    Trained by its own ``train_step`` (TensorFlow-only: it uses
    ``tf.GradientTape``) on the negative ELBO per image::

        loss = reconstruction_loss + beta * kl_loss

    where ``reconstruction_loss`` is ``-log p(x | z)`` summed over pixels for one
    sample ``z ~ q(z | x)`` and ``kl_loss`` is ``KL(q(z | x) || N(0, I))``, both
    in nats per image. The three are logged under those names (``val_`` for
    validation) as exact means over images, so the logged ``loss`` equals
    ``reconstruction_loss + beta * kl_loss``. Losses added by layers
    (``add_loss``) are optimised too but are not part of the logged ``loss``.

    With ``reconstruction="bernoulli"`` the term is binary cross-entropy summed
    over pixels: a true log-likelihood in nats for binary images, the usual
    surrogate for grey levels in [0, 1]. With ``"gaussian"`` it is the negative
    log-density of ``N(x_hat, sigma^2)`` per pixel, constant included, so it is
    in nats of a density (it can be negative; only differences compare).

    ``model(x)`` returns the reconstruction decoded from the *mean* code (no
    sampling), as do :meth:`encode_mean` and ``predict``. Train it with
    ``aeutils.train.fit(vae, x, compile_model=False, ...)`` or
    ``vae.compile(optimizer=...); vae.fit(x, ...)`` (no ``loss`` argument).

    Args:
        encoder: model from images to ``[z_mean, z_log_var]`` (a third output,
            e.g. a sample ``z``, is ignored).
        decoder: model from codes of size ``latent_dim`` to images in [0, 1].
        beta: weight of the KL term (1 is the ELBO; β-VAE uses > 1).
        reconstruction: ``"bernoulli"`` or ``"gaussian"``.
        sigma: standard deviation of the Gaussian likelihood (ignored for Bernoulli).
        seed: seed of the sampling layer's generator.
        name: model name.

    Raises:
        ValueError: unknown ``reconstruction``, negative ``beta``, non-positive
            ``sigma``, an encoder without two outputs of equal size, or a
            decoder whose input size differs from the latent size.
    """

    def __init__(
        self,
        encoder: keras.Model,
        decoder: keras.Model,
        *,
        beta: float = 1.0,
        reconstruction: str = "bernoulli",
        sigma: float = 0.1,
        seed: int | None = None,
        name: str = "vae",
        **kwargs,
    ):
        from aeutils.layers import Sampling

        if reconstruction not in VAE_RECONSTRUCTIONS:
            raise ValueError(
                f"reconstruction must be one of {VAE_RECONSTRUCTIONS}, got {reconstruction!r}"
            )
        if not float(beta) >= 0:
            raise ValueError(f"beta must be >= 0, got {beta}")
        if not float(sigma) > 0:
            raise ValueError(f"sigma must be > 0, got {sigma}")
        outs = encoder.output_shape if isinstance(encoder.output_shape, list) else [encoder.output_shape]
        if len(outs) < 2 or tuple(outs[0]) != tuple(outs[1]):
            raise ValueError(
                "the encoder must output [z_mean, z_log_var] of equal shape, got output shapes "
                f"{outs}"
            )
        if tuple(decoder.input_shape[1:]) != tuple(outs[0][1:]):
            raise ValueError(
                f"decoder input {decoder.input_shape[1:]} does not match the latent {outs[0][1:]}"
            )
        super().__init__(name=name, **kwargs)
        self.encoder = encoder
        self.decoder = decoder
        self.beta = float(beta)
        self.reconstruction = reconstruction
        self.sigma = float(sigma)
        self.seed = seed
        self.sampler = Sampling(seed=seed, name="z")
        self.loss_tracker = keras.metrics.Mean(name="loss")
        self.reconstruction_tracker = keras.metrics.Mean(name="reconstruction_loss")
        self.kl_tracker = keras.metrics.Mean(name="kl_loss")
        # Encoder and decoder are built functional models, so the VAE has all its variables.
        self.built = True

    @property
    def latent_dim(self) -> int:
        """Size of the latent code."""
        return int(self.decoder.input_shape[-1])

    @property
    def metrics(self):
        return [self.loss_tracker, self.reconstruction_tracker, self.kl_tracker]

    def _encode(self, x, training=False):
        out = self.encoder(x, training=training)
        return out[0], out[1]

    def call(self, inputs, training=False):
        """Reconstruct ``inputs`` from their mean codes (deterministic)."""
        z_mean, _ = self._encode(inputs, training=training)
        return self.decoder(z_mean, training=training)

    def reconstruction_nll(self, x, x_hat):
        """``-log p(x | x_hat)`` summed over pixels: a tensor of shape ``(batch,)`` in nats.

        Args:
            x: images in [0, 1].
            x_hat: decoder outputs (Bernoulli means / Gaussian means) of the same shape.

        Returns:
            Per-image negative log-likelihood.
        """
        x = keras.ops.cast(x, x_hat.dtype)
        axes = tuple(range(1, len(x.shape)))
        if self.reconstruction == "bernoulli":
            p = keras.ops.clip(x_hat, _BCE_EPS, 1.0 - _BCE_EPS)
            return -keras.ops.sum(x * keras.ops.log(p) + (1.0 - x) * keras.ops.log(1.0 - p), axis=axes)
        d = math.prod(x.shape[1:])
        const = 0.5 * d * math.log(2.0 * math.pi * self.sigma**2)
        return 0.5 * keras.ops.sum(keras.ops.square((x - x_hat) / self.sigma), axis=axes) + const

    @staticmethod
    def kl_divergence(z_mean, z_log_var):
        """``KL(N(z_mean, exp(z_log_var)) || N(0, I))`` per image, shape ``(batch,)``, in nats."""
        return -0.5 * keras.ops.sum(1.0 + z_log_var - keras.ops.square(z_mean) - keras.ops.exp(z_log_var), axis=-1)

    def loss_terms(self, x, training=False, sample=True):
        """Per-image reconstruction and KL terms of the negative ELBO.

        Args:
            x: a batch of images in [0, 1].
            training: passed to the sub-models.
            sample: decode a sample ``z ~ q(z|x)`` (the ELBO estimate); ``False``
                decodes the mean.

        Returns:
            ``(reconstruction, kl)``, two tensors of shape ``(batch,)``.
        """
        z_mean, z_log_var = self._encode(x, training=training)
        z = self.sampler([z_mean, z_log_var]) if sample else z_mean
        x_hat = self.decoder(z, training=training)
        return self.reconstruction_nll(x, x_hat), self.kl_divergence(z_mean, z_log_var)

    def _update_trackers(self, recon, kl):
        total = recon + self.beta * kl
        self.loss_tracker.update_state(total)
        self.reconstruction_tracker.update_state(recon)
        self.kl_tracker.update_state(kl)
        return {m.name: m.result() for m in self.metrics}

    def train_step(self, data):
        import tensorflow as tf

        x = data[0] if isinstance(data, (tuple, list)) else data
        with tf.GradientTape() as tape:
            recon, kl = self.loss_terms(x, training=True)
            loss = keras.ops.mean(recon + self.beta * kl)
            if self.losses:
                loss = loss + sum(self.losses)
        grads = tape.gradient(loss, self.trainable_weights)
        self.optimizer.apply_gradients(zip(grads, self.trainable_weights))
        return self._update_trackers(recon, kl)

    def test_step(self, data):
        x = data[0] if isinstance(data, (tuple, list)) else data
        recon, kl = self.loss_terms(x, training=False)
        return self._update_trackers(recon, kl)

    def encode_mean(self, x, *, batch_size: int = 256):
        """Latent means of images ``x`` as a NumPy array ``(N, latent_dim)`` (no sampling)."""
        import numpy as np

        return np.asarray(self.encoder.predict(x, batch_size=batch_size, verbose=0)[0])

    def decode(self, z, *, batch_size: int = 256):
        """Decode codes ``(N, latent_dim)`` to images, as a NumPy array."""
        import numpy as np

        return np.asarray(self.decoder.predict(z, batch_size=batch_size, verbose=0))

    def get_config(self):
        return _pair_config(
            self, beta=self.beta, reconstruction=self.reconstruction, sigma=self.sigma, seed=self.seed
        )

    @classmethod
    def from_config(cls, config, custom_objects=None):
        return _from_pair_config(cls, config, custom_objects)


def build_vae(
    *,
    input_shape: Sequence[int],
    latent_dim: int = 2,
    filters: Sequence[int] = (32, 64),
    kernel_size: int = 3,
    beta: float = 1.0,
    reconstruction: str = "bernoulli",
    hidden_units: int | None = 16,
    decoder_hidden_units: int | None = None,
    output_layer: str = "conv",
    sigma: float = 0.1,
    seed: int | None = None,
    name: str = "vae",
) -> VAE:
    """Build a convolutional :class:`VAE`.

    Encoder: one stride-2 ``Conv2D`` + ReLU per entry of ``filters``
    (``encoder_conv{i}``) → ``Flatten`` → optional ``Dense(hidden_units)`` →
    ``Dense(latent_dim)`` twice (``z_mean``, ``z_log_var``). Decoder: ``Dense`` to
    the last feature map → stride-2 ``Conv2DTranspose`` in reverse
    (``decoder_deconv{i}``) → sigmoid output (``decoder_output``). The defaults
    are the keras.io MNIST VAE's layout. Every conv layer feeds the next (the
    source's notebook applied each to the input).

    Args:
        input_shape: ``(H, W, C)``; ``H`` and ``W`` must be divisible by
            ``2 ** len(filters)``.
        latent_dim: code size (2 for scatter plots and latent grids).
        filters: channels of the encoder's stride-2 convolutions.
        kernel_size: kernel side of every convolution.
        beta: KL weight.
        reconstruction: ``"bernoulli"`` (MNIST-like) or ``"gaussian"`` (photos).
        hidden_units: width of a Dense layer before the code (``None``: none).
        decoder_hidden_units: width of a Dense layer after the code in the
            decoder (``None``: none, as in keras.io).
        output_layer: ``"conv"``: the decoder upsamples to full size with
            ``filters[0]`` channels, then a stride-1 conv makes the image;
            ``"transpose"``: the last upsampling *is* the output layer, so no
            full-resolution hidden feature map exists (for large images).
        sigma: Gaussian likelihood's standard deviation.
        seed: sampling seed.
        name: model name (sub-models are ``encoder`` and ``decoder``).

    Returns:
        An uncompiled :class:`VAE`.

    Raises:
        ValueError: sizes not divisible by ``2 ** len(filters)``, empty
            ``filters``, ``latent_dim < 1`` or an unknown ``output_layer``.

    Example:
    >>> vae = build_vae(input_shape=(28, 28, 1), latent_dim=2)
    >>> vae.encoder.output_shape, vae.decoder.output_shape
    ([(None, 2), (None, 2)], (None, 28, 28, 1))
    """
    input_shape = tuple(int(s) for s in input_shape)
    filters = tuple(int(f) for f in filters)
    if len(input_shape) != 3:
        raise ValueError(f"input_shape must be (H, W, C), got {input_shape}")
    if not filters:
        raise ValueError("filters must name at least one convolution")
    if latent_dim < 1:
        raise ValueError(f"latent_dim must be >= 1, got {latent_dim}")
    if output_layer not in ("conv", "transpose"):
        raise ValueError(f"output_layer must be 'conv' or 'transpose', got {output_layer!r}")
    factor = 2 ** len(filters)
    h, w, c = input_shape
    if h % factor or w % factor:
        raise ValueError(
            f"image size {h}x{w} is not divisible by 2**{len(filters)} = {factor} "
            f"({len(filters)} stride-2 stages); resize or change filters"
        )
    inputs = keras.Input(shape=input_shape, name="encoder_input")
    x = inputs
    for i, f in enumerate(filters):
        x = layers.Conv2D(
            f, kernel_size, strides=2, padding="same", activation="relu", name=f"encoder_conv{i}"
        )(x)
    x = layers.Flatten(name="encoder_flatten")(x)
    if hidden_units:
        x = layers.Dense(hidden_units, activation="relu", name="encoder_hidden")(x)
    z_mean = layers.Dense(latent_dim, name="z_mean")(x)
    z_log_var = layers.Dense(latent_dim, name="z_log_var")(x)
    encoder = keras.Model(inputs, [z_mean, z_log_var], name="encoder")

    fh, fw = h // factor, w // factor
    z = keras.Input(shape=(latent_dim,), name="decoder_input")
    y = z
    if decoder_hidden_units:
        y = layers.Dense(decoder_hidden_units, activation="relu", name="decoder_hidden")(y)
    y = layers.Dense(fh * fw * filters[-1], activation="relu", name="decoder_dense")(y)
    y = layers.Reshape((fh, fw, filters[-1]), name="decoder_reshape")(y)
    up = list(reversed(filters))
    if output_layer == "transpose":
        up = up[1:]
    for i, f in enumerate(up):
        y = layers.Conv2DTranspose(
            f, kernel_size, strides=2, padding="same", activation="relu", name=f"decoder_deconv{i}"
        )(y)
    out_cls, stride = (layers.Conv2D, 1) if output_layer == "conv" else (layers.Conv2DTranspose, 2)
    y = out_cls(
        c, kernel_size, strides=stride, padding="same", activation="sigmoid", name="decoder_output"
    )(y)
    decoder = keras.Model(z, y, name="decoder")
    return VAE(
        encoder, decoder, beta=beta, reconstruction=reconstruction, sigma=sigma, seed=seed, name=name
    )


#: :func:`build_vae` settings for 28x28 digits. ``keras-io``: the keras.io example's
#: layout (Conv 32, 64 stride 2, Dense 16, no decoder hidden layer; 134,165
#: parameters). ``ours``: the same convolutions with Dense 256 on both sides of
#: the code, so the decoder has room to unfold a 2-D code into a digit.
VAE_MNIST_LAYOUTS: dict[str, dict] = {
    "keras-io": {"filters": (32, 64), "hidden_units": 16, "decoder_hidden_units": None},
    "ours": {"filters": (32, 64), "hidden_units": 256, "decoder_hidden_units": 256},
}


def image_vae_filters(
    size: int, *, base_filters: int = 16, max_filters: int = 128, final_size: int = 8
) -> tuple[int, ...]:
    """Channels of a stride-2 stack that takes a ``size`` px image down to ``final_size`` px.

    Channels double per stage from ``base_filters`` up to ``max_filters``, so
    the flattened feature map before the code is at most
    ``final_size**2 * max_filters`` values whatever the image size (8,192 by
    default: 256 px needs 5 stages, 1024 px needs 7).

    Raises:
        ValueError: ``size`` not ``final_size`` times a power of two.

    Example:
    >>> image_vae_filters(256), image_vae_filters(1024)
    ((16, 32, 64, 128, 128), (16, 32, 64, 128, 128, 128, 128))
    """
    stages = math.log2(size / final_size) if size >= final_size > 0 else -1
    if stages < 1 or stages != int(stages):
        raise ValueError(
            f"image size {size} must be {final_size} times a power of two (e.g. 64, 128, 256, 512, 1024)"
        )
    return tuple(min(base_filters * 2**i, max_filters) for i in range(int(stages)))


def build_image_vae(
    *,
    input_shape: Sequence[int],
    latent_dim: int = 2,
    base_filters: int = 16,
    max_filters: int = 128,
    final_size: int = 8,
    kernel_size: int = 4,
    beta: float = 1.0,
    reconstruction: str = "gaussian",
    sigma: float = 0.1,
    seed: int | None = None,
    name: str = "image_vae",
) -> VAE:
    """A :func:`build_vae` whose depth grows with the image size (64 to 1024 px and beyond).

    One stride-2 stage per halving down to ``final_size`` px
    (:func:`image_vae_filters`), so the Dense layers see at most
    ``final_size**2 * max_filters`` features: about 8k at any size, where the
    source's single-conv notebook flattened 4 million at 512 px. The decoder's
    last upsampling is its output layer (no full-resolution hidden maps), and
    4x4 kernels on stride 2 avoid the checkerboard of 3x3 transposed convolutions.

    Args:
        input_shape: ``(S, S, C)`` with ``S = final_size * 2**k``.
        latent_dim, beta, reconstruction, sigma, seed, name: as :func:`build_vae`.
        base_filters, max_filters, final_size: see :func:`image_vae_filters`.
        kernel_size: kernel side.

    Returns:
        An uncompiled :class:`VAE`.

    Raises:
        ValueError: non-square input or a side that is not ``final_size * 2**k``.
    """
    h, w = int(input_shape[0]), int(input_shape[1])
    if h != w:
        raise ValueError(f"build_image_vae needs square images, got {h}x{w}")
    filters = image_vae_filters(
        h, base_filters=base_filters, max_filters=max_filters, final_size=final_size
    )
    return build_vae(
        input_shape=input_shape,
        latent_dim=latent_dim,
        filters=filters,
        kernel_size=kernel_size,
        beta=beta,
        reconstruction=reconstruction,
        hidden_units=None,
        output_layer="transpose",
        sigma=sigma,
        seed=seed,
        name=name,
    )


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


def build_unmixer(
    *,
    input_shape: Sequence[int] = (32, 32, 3),
    filters: Sequence[int] = (16, 32, 64),
    sources: int = 2,
    mix_weights: Sequence[float] | None = None,
    name: str = "unmixer",
) -> keras.Model:
    """Build a small U-Net that splits a mean image back into its source images.

    Beyond the source report: the autoencoder only reproduces the mixture; this
    model recovers the parts. Each level has two 3x3 convolutions (ReLU);
    levels after the first start with a stride-2 convolution; the way up uses
    stride-2 transposed convolutions and concatenates the encoder's feature map
    of the same size (skip connections keep the strokes and edges sharp). A 1x1
    convolution gives ``sources * C`` linear channels and
    :class:`aeutils.layers.MixtureConsistency` corrects them so that their
    weighted sum equals the input mixture exactly.

    Args:
        input_shape: ``(H, W, C)`` of the mixture, sides divisible by
            ``2 ** (len(filters) - 1)``.
        filters: channels per level, finest first.
        sources: number of mixed images.
        mix_weights: the mixing weights (default equal: the mean image).
        name: model name and layer-name prefix.

    Returns:
        A ``keras.Model`` from ``(N, H, W, C)`` mixtures to ``(N, H, W, sources*C)``
        estimates: channels ``[s*C:(s+1)*C]`` are source ``s``.

    Raises:
        ValueError: fewer than two sources, mismatched weights, or sides not
            divisible by the total downsampling.
    """
    from aeutils.layers import MixtureConsistency

    if sources < 2:
        raise ValueError(f"unmixing needs at least two sources, got {sources}")
    mix_weights = tuple(mix_weights) if mix_weights is not None else (1.0 / sources,) * sources
    if len(mix_weights) != sources:
        raise ValueError(f"{len(mix_weights)} mixing weights for {sources} sources")
    step = 2 ** (len(filters) - 1)
    if input_shape[0] % step or input_shape[1] % step:
        raise ValueError(f"input sides must be divisible by {step}, got {input_shape}")
    channels = input_shape[-1]
    inputs = keras.Input(shape=tuple(input_shape), name=f"{name}_input")
    x, skips = inputs, []
    for level, f in enumerate(filters):
        x = conv_stage(x, f, convs=2, first_strides=2 if level else 1, name=f"{name}_down{level}")
        skips.append(x)
    for level in range(len(filters) - 2, -1, -1):
        x = layers.Conv2DTranspose(
            filters[level], 3, strides=2, padding="same", activation="relu", name=f"{name}_up{level}_convT"
        )(x)
        x = layers.Concatenate(name=f"{name}_up{level}_skip")([x, skips[level]])
        x = conv_stage(x, filters[level], convs=1, name=f"{name}_up{level}")
    x = layers.Conv2D(sources * channels, 1, name=f"{name}_estimates")(x)
    outputs = MixtureConsistency(mix_weights, name=f"{name}_consistency")([inputs, x])
    return keras.Model(inputs, outputs, name=name)


# ---------------------------------------------------------------------------
# The autoencoder family (source report 5): denoising, sparse, contractive
# ---------------------------------------------------------------------------
# The regularised variants train with their own ``train_step`` (TensorFlow-only:
# ``tf.GradientTape``), because their penalties need the code (sparse) or the
# encoder's Jacobian with respect to the input (contractive).


def build_encoder_decoder(
    *,
    input_shape: Sequence[int],
    latent_dim: int | None = 32,
    filters: Sequence[int] = (32, 64),
    kernel_size: int = 3,
    code_activation: str | None = None,
    output_activation: str | None = "sigmoid",
) -> tuple[keras.Model, keras.Model]:
    """A strided conv encoder with a dense code and its mirror decoder, shared by the family's variants.

    Encoder: one stride-2 stage per entry of ``filters`` (:func:`build_encoder`),
    flatten, ``Dense(latent_dim)`` (``encoder_code``), then ``code_activation``
    (``encoder_code_act``) if given. Decoder: ``Dense`` to the last feature map,
    then upsampling stages in reverse (:func:`build_decoder`). With
    ``latent_dim=None`` the code is the last feature map itself (a convolutional
    code of ``(H/2^k, W/2^k, filters[-1])`` values, no dense bottleneck): the
    choice for restoration (denoising, inpainting), where spatial detail matters
    more than a small code.

    Args:
        input_shape: ``(H, W, C)``; ``H`` and ``W`` divisible by ``2 ** len(filters)``.
        latent_dim: code size, or ``None`` for a convolutional code.
        filters: channels of the encoder stages (the decoder mirrors them).
        kernel_size: kernel side.
        code_activation: activation of the code (``"relu"`` for an L1-sparse
            code, ``"sigmoid"`` for a KL-sparse code, ``None`` linear).
        output_activation: ``"sigmoid"`` for [0, 1] images.

    Returns:
        ``(encoder, decoder)``, named ``"encoder"`` and ``"decoder"``.

    Raises:
        ValueError: sizes not divisible by ``2 ** len(filters)``, no filters, or ``latent_dim < 1``.

    Example:
    >>> enc, dec = build_encoder_decoder(input_shape=(16, 16, 1), latent_dim=4, filters=(4, 8))
    >>> enc.output_shape, dec.output_shape
    ((None, 4), (None, 16, 16, 1))
    """
    input_shape = tuple(int(s) for s in input_shape)
    filters = tuple(int(f) for f in filters)
    if len(input_shape) != 3:
        raise ValueError(f"input_shape must be (H, W, C), got {input_shape}")
    if not filters:
        raise ValueError("filters must name at least one stage")
    if latent_dim is not None and int(latent_dim) < 1:
        raise ValueError(f"latent_dim must be >= 1 or None, got {latent_dim}")
    factor = 2 ** len(filters)
    h, w, c = input_shape
    if h % factor or w % factor:
        raise ValueError(
            f"image size {h}x{w} is not divisible by 2**{len(filters)} = {factor}; "
            "resize the images or use fewer filters"
        )
    feature_shape = (h // factor, w // factor, filters[-1])
    encoder = build_encoder(
        input_shape=input_shape, filters=filters, kernel_size=kernel_size, downsample="stride",
        latent_dim=None if latent_dim is None else int(latent_dim), name="encoder",
    )
    if code_activation is not None:
        code = layers.Activation(code_activation, name="encoder_code_act")(encoder.output)
        encoder = keras.Model(encoder.input, code, name="encoder")
    decoder = build_decoder(
        latent_shape=feature_shape if latent_dim is None else (int(latent_dim),),
        filters=tuple(reversed(filters)), output_channels=c, kernel_size=kernel_size,
        output_activation=output_activation, dense_shape=None if latent_dim is None else feature_shape,
        name="decoder",
    )
    return encoder, decoder


def build_plain_autoencoder(
    *,
    input_shape: Sequence[int],
    latent_dim: int = 32,
    filters: Sequence[int] = (32, 64),
    kernel_size: int = 3,
    code_activation: str | None = None,
    name: str = "autoencoder",
) -> keras.Model:
    """The family's unregularised autoencoder (:func:`build_encoder_decoder` chained); train with MSE.

    Returns:
        A functional model with sub-models ``encoder`` and ``decoder``.

    Raises:
        ValueError: as :func:`build_encoder_decoder`.
    """
    encoder, decoder = build_encoder_decoder(
        input_shape=input_shape, latent_dim=latent_dim, filters=filters,
        kernel_size=kernel_size, code_activation=code_activation,
    )
    return build_autoencoder(encoder, decoder, name=name)


def build_denoising_autoencoder(
    *,
    input_shape: Sequence[int],
    latent_dim: int | None = 32,
    filters: Sequence[int] = (32, 64),
    kernel_size: int = 3,
    corruption: str = "gaussian",
    strength: float = 0.3,
    output_activation: str | None = "sigmoid",
    seed: int | None = None,
    name: str = "denoising_autoencoder",
) -> keras.Model:
    """A denoising autoencoder: a :class:`aeutils.layers.Corruption` layer before the encoder.

    The corruption acts only in training, so ``fit(model, x)`` (targets = the
    clean ``x``) learns to undo it, and ``model(x_noisy)`` denoises.

    Args:
        input_shape, latent_dim, filters, kernel_size: as :func:`build_encoder_decoder`
            (``latent_dim=None``: a convolutional code).
        corruption: ``"gaussian"``, ``"salt_pepper"``, ``"masking"`` or ``"block"``.
        strength: noise standard deviation or fraction of pixels hit.
        output_activation: ``"sigmoid"``, or ``None`` for a linear output
            (clip predictions to [0, 1]); a linear output cannot saturate, which
            keeps a convolutional-code model on mostly black images such as
            MNIST from collapsing to an all-black output early in training.
        seed: seed of the corruption's generator.
        name: model name.

    Returns:
        A functional model with layers ``corruption``, ``encoder``, ``decoder``.

    Raises:
        ValueError: unknown corruption or bad strength, or as :func:`build_encoder_decoder`.
    """
    from aeutils.layers import Corruption

    corrupt = Corruption(corruption, strength, seed=seed, name="corruption")
    encoder, decoder = build_encoder_decoder(
        input_shape=input_shape, latent_dim=latent_dim, filters=filters, kernel_size=kernel_size,
        output_activation=output_activation,
    )
    inputs = keras.Input(shape=tuple(input_shape), name=f"{name}_input")
    return keras.Model(inputs, decoder(encoder(corrupt(inputs))), name=name)


def l1_activity(z):
    """L1 activity penalty: the sum of ``|z|`` over code units, averaged over the batch.

    Example:
    >>> import numpy as np
    >>> float(l1_activity(np.array([[1.0, -2.0], [0.0, 3.0]], "float32")))
    3.0
    """
    z = keras.ops.convert_to_tensor(z)
    return keras.ops.mean(keras.ops.sum(keras.ops.abs(z), axis=-1))


def kl_sparsity(z, target: float = 0.05, eps: float = 1e-6):
    """KL sparsity penalty: ``sum_j KL(target || rho_j)`` with ``rho_j`` unit ``j``'s mean activation.

    Codes should lie in (0, 1) (a sigmoid code). It is 0 when every unit's mean
    activation over the batch equals ``target``.

    Args:
        z: codes ``(batch, units)``.
        target: desired mean activation ``rho`` in (0, 1).
        eps: clip for the logarithms.

    Returns:
        A scalar tensor.

    Raises:
        ValueError: ``target`` outside (0, 1).

    Example:
    >>> import numpy as np
    >>> float(kl_sparsity(np.full((4, 3), 0.05, "float32"), 0.05)) < 1e-6
    True
    """
    if not 0.0 < target < 1.0:
        raise ValueError(f"sparsity target must be in (0, 1), got {target}")
    z = keras.ops.convert_to_tensor(z)
    rho = keras.ops.clip(keras.ops.mean(z, axis=0), eps, 1.0 - eps)
    kl = target * keras.ops.log(target / rho) + (1.0 - target) * keras.ops.log(
        (1.0 - target) / (1.0 - rho)
    )
    return keras.ops.sum(kl)


def code_activity(z, threshold: float = 0.01) -> dict:
    """Mean activation and the fraction of near-zero values of a batch of codes.

    Args:
        z: codes ``(batch, units)``.
        threshold: ``|z| < threshold`` counts as near zero.

    Returns:
        ``{"mean_activation": mean |z|, "fraction_near_zero": share of values below threshold}``
        as scalar tensors.
    """
    z = keras.ops.abs(keras.ops.convert_to_tensor(z))
    return {
        "mean_activation": keras.ops.mean(z),
        "fraction_near_zero": keras.ops.mean(keras.ops.cast(z < threshold, z.dtype)),
    }


#: How :func:`jacobian_frobenius_sq` computes the penalty.
JACOBIAN_METHODS = ("auto", "exact", "stochastic")


def jacobian_frobenius_sq(
    encoder,
    x,
    *,
    method: str = "auto",
    exact_max_code: int = 32,
    projections: int = 1,
    seed=None,
    training: bool = False,
):
    """Squared Frobenius norm of the encoder's Jacobian ``dz/dx`` for each image (TensorFlow-only).

    ``"exact"`` builds the whole Jacobian (``tf.GradientTape.batch_jacobian``:
    one backward pass per code unit). ``"stochastic"`` uses Hutchinson's
    estimator ``E_v ||J^T v||^2 = ||J||_F^2`` with Rademacher vectors ``v`` in
    code space: one backward pass per projection, unbiased. ``"auto"`` is exact
    for codes of at most ``exact_max_code`` units and stochastic above.

    Called inside an outer ``GradientTape`` the result is differentiable with
    respect to the encoder's weights (that is how the contractive penalty trains).

    Args:
        encoder: model from images to flat codes ``(batch, units)``.
        x: images.
        method: one of :data:`JACOBIAN_METHODS`.
        exact_max_code: largest code computed exactly under ``"auto"``.
        projections: random vectors per image for ``"stochastic"``.
        seed: int or ``keras.random.SeedGenerator`` for the random vectors.
        training: passed to the encoder.

    Returns:
        ``(z, fro_sq)``: the codes and a ``(batch,)`` tensor.

    Raises:
        ValueError: unknown method, non-flat codes, or ``projections < 1``.
    """
    import tensorflow as tf

    if method not in JACOBIAN_METHODS:
        raise ValueError(f"unknown Jacobian method {method!r}; choose from {JACOBIAN_METHODS}")
    if projections < 1:
        raise ValueError(f"projections must be >= 1, got {projections}")
    x = tf.convert_to_tensor(x, dtype=tf.float32)
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        z = encoder(x, training=training)
        if len(z.shape) != 2:
            raise ValueError(f"the encoder must output flat codes (batch, units), got {z.shape}")
        units = int(z.shape[-1])
        if method == "auto":
            method = "exact" if units <= exact_max_code else "stochastic"
        dots = []
        if method == "stochastic":
            for _ in range(projections):
                v = keras.random.uniform(tf.shape(z), 0.0, 1.0, seed=seed)
                v = tf.where(v < 0.5, -1.0, 1.0)  # Rademacher: E[v v^T] = I
                dots.append(tf.reduce_sum(z * v))
    if method == "exact":
        jac = tape.batch_jacobian(z, x)  # (batch, units, *image)
        fro = tf.reduce_sum(tf.square(jac), axis=list(range(1, len(jac.shape))))
    else:
        axes = list(range(1, len(x.shape)))
        # d(sum_b v_b . z_b)/dx_b = J_b^T v_b, as the images do not interact.
        fro = tf.add_n([tf.reduce_sum(tf.square(tape.gradient(d, x)), axis=axes) for d in dots])
        fro = fro / float(projections)
    del tape
    return z, fro


class _PenalisedAutoencoder(keras.Model):
    """Encoder + decoder trained on ``mse(x, x_hat) + weight * penalty`` (TensorFlow-only train_step).

    Logs ``loss``, ``reconstruction_loss`` (mean squared error per pixel),
    ``penalty`` (unweighted, per image) and the subclass's statistics, each as
    the mean of the batch means over the epoch; validation as ``val_*``.
    ``model(x)`` reconstructs.
    """

    def __init__(self, encoder, decoder, *, weight: float = 1e-3, seed=None, name="autoencoder", **kwargs):
        if float(weight) < 0:
            raise ValueError(f"penalty weight must be >= 0, got {weight}")
        super().__init__(name=name, **kwargs)
        self.encoder = encoder
        self.decoder = decoder
        self.weight = float(weight)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.trackers = {
            key: keras.metrics.Mean(name=key)
            for key in ("loss", "reconstruction_loss", "penalty", *self.stat_names)
        }
        # Encoder and decoder are built functional models, so all variables exist.
        self.built = True

    stat_names: tuple[str, ...] = ()

    @property
    def metrics(self):
        return list(self.trackers.values())

    def call(self, inputs, training=False):
        """Reconstruct ``inputs``."""
        return self.decoder(self.encoder(inputs, training=training), training=training)

    def penalty_terms(self, x, training=False):
        """Return ``(z, per-image penalty (batch,), stats dict)`` for images ``x``."""
        raise NotImplementedError

    def _loss_terms(self, data, training):
        if isinstance(data, (tuple, list)):
            x = data[0]
            y = data[1] if len(data) > 1 and data[1] is not None else x
        else:
            x = y = data
        z, pen, stats = self.penalty_terms(x, training=training)
        x_hat = self.decoder(z, training=training)
        y = keras.ops.cast(y, x_hat.dtype)
        recon = keras.ops.mean(keras.ops.square(y - x_hat), axis=list(range(1, len(y.shape))))
        return recon, pen, stats

    def _update(self, recon, pen, stats):
        # One equal-weight update per batch (batch means), so BatchValues can
        # recover each batch's value from the running means.
        self.trackers["loss"].update_state(keras.ops.mean(recon + self.weight * pen))
        self.trackers["reconstruction_loss"].update_state(keras.ops.mean(recon))
        self.trackers["penalty"].update_state(keras.ops.mean(pen))
        for key, value in stats.items():
            self.trackers[key].update_state(keras.ops.mean(value))
        return {k: m.result() for k, m in self.trackers.items()}

    def train_step(self, data):
        import tensorflow as tf

        with tf.GradientTape() as tape:
            recon, pen, stats = self._loss_terms(data, training=True)
            loss = keras.ops.mean(recon + self.weight * pen)
        grads = tape.gradient(loss, self.trainable_weights)
        self.optimizer.apply_gradients(zip(grads, self.trainable_weights))
        return self._update(recon, pen, stats)

    def test_step(self, data):
        return self._update(*self._loss_terms(data, training=False))

    def get_config(self):
        return _pair_config(self, weight=self.weight, seed=self.seed)

    @classmethod
    def from_config(cls, config, custom_objects=None):
        return _from_pair_config(cls, config, custom_objects)


#: Penalties of :class:`SparseAutoencoder`.
SPARSITY_PENALTIES = ("l1", "kl")


@keras.saving.register_keras_serializable(package="aeutils")
class SparseAutoencoder(_PenalisedAutoencoder):
    """A sparse autoencoder: MSE plus ``weight`` times an activity penalty on the code.

    ``penalty="l1"``: :func:`l1_activity` (use a ReLU code); ``"kl"``:
    :func:`kl_sparsity` towards mean activation ``target`` (use a sigmoid code).
    Logs ``mean_activation`` and ``fraction_near_zero`` (:func:`code_activity`)
    besides the losses. Train with ``aeutils.train.fit(model, x, compile_model=False)``.

    Args:
        encoder: images → flat codes.
        decoder: codes → images in [0, 1].
        penalty: ``"l1"`` or ``"kl"``.
        weight: penalty weight (0 gives a plain autoencoder with the same logs).
        target: KL target activation.
        threshold: near-zero threshold for the logged fraction.
        seed: unused by the penalty; kept for a uniform interface.
        name: model name.

    Raises:
        ValueError: unknown penalty, negative weight, target outside (0, 1).
    """

    stat_names = ("mean_activation", "fraction_near_zero")

    def __init__(self, encoder, decoder, *, penalty: str = "l1", weight: float = 1e-3,
                 target: float = 0.05, threshold: float = 0.01, seed=None,
                 name: str = "sparse_autoencoder", **kwargs):
        if penalty not in SPARSITY_PENALTIES:
            raise ValueError(f"unknown sparsity penalty {penalty!r}; choose from {SPARSITY_PENALTIES}")
        if not 0.0 < float(target) < 1.0:
            raise ValueError(f"sparsity target must be in (0, 1), got {target}")
        super().__init__(encoder, decoder, weight=weight, seed=seed, name=name, **kwargs)
        self.penalty = penalty
        self.target = float(target)
        self.threshold = float(threshold)

    def penalty_terms(self, x, training=False):
        """Codes, the per-image penalty (the batch penalty repeated for KL) and activity statistics."""
        z = self.encoder(x, training=training)
        if self.penalty == "l1":
            pen = keras.ops.sum(keras.ops.abs(z), axis=-1)
        else:
            pen = keras.ops.ones_like(z[:, 0]) * kl_sparsity(z, self.target)
        return z, pen, code_activity(z, self.threshold)

    def get_config(self):
        return {**super().get_config(), "penalty": self.penalty, "target": self.target,
                "threshold": self.threshold}


@keras.saving.register_keras_serializable(package="aeutils")
class ContractiveAutoencoder(_PenalisedAutoencoder):
    """A contractive autoencoder: MSE plus ``weight * ||dz/dx||_F^2`` per image.

    The Jacobian norm is computed by :func:`jacobian_frobenius_sq` (exact for
    codes up to ``exact_max_code`` units, Hutchinson's estimate with
    ``projections`` random vectors above). The per-image value is logged as
    ``penalty`` (the squared Frobenius norm); :class:`BatchValues` records it per
    batch. Train with ``aeutils.train.fit(model, x, compile_model=False)``.

    Args:
        encoder: images → flat codes.
        decoder: codes → images in [0, 1].
        weight: penalty weight.
        method: ``"auto"``, ``"exact"`` or ``"stochastic"``.
        exact_max_code: largest code computed exactly under ``"auto"``.
        projections: random vectors per image for the stochastic estimate.
        seed: seed of the random vectors.
        name: model name.

    Raises:
        ValueError: unknown method, negative weight, ``projections < 1``.
    """

    def __init__(self, encoder, decoder, *, weight: float = 1e-3, method: str = "auto",
                 exact_max_code: int = 32, projections: int = 1, seed=None,
                 name: str = "contractive_autoencoder", **kwargs):
        if method not in JACOBIAN_METHODS:
            raise ValueError(f"unknown Jacobian method {method!r}; choose from {JACOBIAN_METHODS}")
        if int(projections) < 1:
            raise ValueError(f"projections must be >= 1, got {projections}")
        super().__init__(encoder, decoder, weight=weight, seed=seed, name=name, **kwargs)
        self.method = method
        self.exact_max_code = int(exact_max_code)
        self.projections = int(projections)

    def penalty_terms(self, x, training=False):
        """Codes, the per-image squared Jacobian norm, and no extra statistics."""
        z, fro = jacobian_frobenius_sq(
            self.encoder, x, method=self.method, exact_max_code=self.exact_max_code,
            projections=self.projections, seed=self.seed_generator, training=training,
        )
        return z, fro, {}

    def get_config(self):
        return {**super().get_config(), "method": self.method,
                "exact_max_code": self.exact_max_code, "projections": self.projections}


def build_sparse_autoencoder(
    *,
    input_shape: Sequence[int],
    latent_dim: int = 32,
    filters: Sequence[int] = (32, 64),
    kernel_size: int = 3,
    penalty: str = "l1",
    weight: float = 1e-3,
    target: float = 0.05,
    threshold: float = 0.01,
    name: str = "sparse_autoencoder",
) -> SparseAutoencoder:
    """Build a :class:`SparseAutoencoder`: ReLU code for ``"l1"``, sigmoid code for ``"kl"``.

    Returns:
        An uncompiled model (train with ``fit(..., compile_model=False)``).

    Raises:
        ValueError: unknown penalty, or as :func:`build_encoder_decoder`.
    """
    if penalty not in SPARSITY_PENALTIES:
        raise ValueError(f"unknown sparsity penalty {penalty!r}; choose from {SPARSITY_PENALTIES}")
    encoder, decoder = build_encoder_decoder(
        input_shape=input_shape, latent_dim=latent_dim, filters=filters, kernel_size=kernel_size,
        code_activation="relu" if penalty == "l1" else "sigmoid",
    )
    return SparseAutoencoder(encoder, decoder, penalty=penalty, weight=weight, target=target,
                             threshold=threshold, name=name)


def build_contractive_autoencoder(
    *,
    input_shape: Sequence[int],
    latent_dim: int = 32,
    filters: Sequence[int] = (32, 64),
    kernel_size: int = 3,
    weight: float = 1e-3,
    method: str = "auto",
    exact_max_code: int = 32,
    projections: int = 1,
    seed: int | None = None,
    name: str = "contractive_autoencoder",
) -> ContractiveAutoencoder:
    """Build a :class:`ContractiveAutoencoder` on :func:`build_encoder_decoder` (linear code).

    Returns:
        An uncompiled model (train with ``fit(..., compile_model=False)``).

    Raises:
        ValueError: as :class:`ContractiveAutoencoder` and :func:`build_encoder_decoder`.
    """
    encoder, decoder = build_encoder_decoder(
        input_shape=input_shape, latent_dim=latent_dim, filters=filters, kernel_size=kernel_size
    )
    return ContractiveAutoencoder(encoder, decoder, weight=weight, method=method,
                                  exact_max_code=exact_max_code, projections=projections,
                                  seed=seed, name=name)


class BatchValues(keras.callbacks.Callback):
    """Record chosen training logs per batch (Keras logs running means; this recovers each batch's value).

    After ``fit``, ``callback.values[key]`` lists one value per training batch
    over all epochs (e.g. the contractive ``penalty``, batch by batch).

    Args:
        keys: log names to record.
    """

    def __init__(self, keys=("penalty",)):
        super().__init__()
        self.keys = tuple(keys)
        self.values = {k: [] for k in self.keys}
        self._prev = {}

    def on_epoch_begin(self, epoch, logs=None):
        self._prev = {}

    def on_train_batch_end(self, batch, logs=None):
        logs = logs or {}
        n = batch + 1
        for k in self.keys:
            if k not in logs:
                continue
            mean = float(logs[k])
            # Running mean over equal-weight updates: value_n = n*m_n - (n-1)*m_{n-1}.
            self.values[k].append(n * mean - (n - 1) * self._prev.get(k, 0.0))
            self._prev[k] = mean


def build_super_resolution(
    *,
    low_res_shape: Sequence[int],
    factor: int = 2,
    filters: int = 64,
    convs: int = 3,
    kernel_size: int = 3,
    name: str = "super_resolution",
) -> keras.Model:
    """A super-resolution autoencoder: low-resolution image in, ``factor`` times larger image out.

    Encoder: ``convs`` convolutions at the low resolution (:func:`conv_stage`).
    Decoder: one stride-2 ``Conv2DTranspose`` per doubling, then a linear
    convolution to the image channels that starts at zero. Its output is added
    to the bicubic upscaling of the input (``Resizing``), so the untrained model
    *is* bicubic and training learns only the missing detail. Train with MSE on
    (low-res, high-res) pairs; clip predictions to [0, 1] for scoring.

    Args:
        low_res_shape: ``(h, w, C)`` of the input.
        factor: upscaling factor, a power of two.
        filters: channels of the hidden convolutions.
        convs: convolutions at the low resolution.
        kernel_size: kernel side.
        name: model name.

    Returns:
        A model from ``(h, w, C)`` to ``(h * factor, w * factor, C)``.

    Raises:
        ValueError: ``factor`` not a power of two >= 2, or ``convs < 1``.

    Example:
    >>> m = build_super_resolution(low_res_shape=(8, 8, 3), factor=2, filters=4, convs=1)
    >>> m.output_shape
    (None, 16, 16, 3)
    """
    factor = int(factor)
    if factor < 2 or factor & (factor - 1):
        raise ValueError(f"factor must be a power of two >= 2, got {factor}")
    if convs < 1:
        raise ValueError(f"convs must be >= 1, got {convs}")
    h, w, c = (int(s) for s in low_res_shape)
    inputs = keras.Input(shape=(h, w, c), name=f"{name}_input")
    base = layers.Resizing(h * factor, w * factor, interpolation="bicubic", name=f"{name}_bicubic")(inputs)
    x = conv_stage(inputs, filters, convs=convs, kernel_size=kernel_size, name=f"{name}_encoder")
    for i in range(int(math.log2(factor))):
        x = layers.Conv2DTranspose(
            max(filters // 2, 4), 4, strides=2, padding="same", activation="relu",
            name=f"{name}_decoder_up{i}",
        )(x)
    detail = layers.Conv2D(
        c, kernel_size, padding="same", kernel_initializer="zeros", name=f"{name}_detail"
    )(x)
    return keras.Model(inputs, layers.Add(name=f"{name}_add")([base, detail]), name=name)


def build_inpainter(
    *,
    input_shape: Sequence[int],
    filters: int = 32,
    convs: int = 4,
    kernel_size: int = 3,
    kind: str = "pixels",
    fraction: float = 0.5,
    sigma: float = 1.0,
    seed: int | None = None,
    name: str = "inpainter",
) -> keras.Model:
    """An inpainting network: the mask as an extra input channel, a residual over a classical fill.

    Input ``(H, W, C + 1)``: the image with its missing pixels, then a mask
    channel that is 1 where a pixel is missing
    (:func:`aeutils.applications.inpainting_input`). The layers:
    :class:`~aeutils.layers.RandomMissing` (in training, adds fresh random
    missing pixels of ``kind`` and ``fraction``, so the model trains on clean
    images with an all-zero mask channel), a normalised-convolution fill
    computed in the graph (:class:`~aeutils.layers.NormalizedConvolutionFill`),
    ``convs`` full-resolution convolutions on (image, mask, fill) — fully
    convolutional, no bottleneck — and a linear convolution that starts at
    zero and predicts a correction to the fill; finally
    :class:`~aeutils.layers.MaskComposite` keeps the observed pixels exactly.
    Untrained, the model *is* the normalised convolution. Train with MSE
    against the clean images: only missing pixels carry error.

    Args:
        input_shape: ``(H, W, C)`` of the images (the mask channel is added).
        filters: channels of the hidden convolutions.
        convs: hidden convolutions (>= 1).
        kernel_size: kernel side.
        kind: training masks, ``"pixels"`` or ``"block"``.
        fraction: share of pixels missing in training.
        sigma: blur of the normalised convolution, in pixels.
        seed: seed of the training masks.
        name: model name.

    Returns:
        A model from ``(H, W, C + 1)`` to ``(H, W, C)``.

    Raises:
        ValueError: ``convs < 1``, or as the layers (bad kind, fraction or sigma).

    Example:
    >>> m = build_inpainter(input_shape=(8, 8, 3), filters=4, convs=1)
    >>> m.input_shape, m.output_shape
    ((None, 8, 8, 4), (None, 8, 8, 3))
    """
    from aeutils.layers import MaskComposite, NormalizedConvolutionFill, RandomMissing

    if convs < 1:
        raise ValueError(f"convs must be >= 1, got {convs}")
    h, w, c = (int(s) for s in input_shape)
    inputs = keras.Input(shape=(h, w, c + 1), name=f"{name}_input")
    x = RandomMissing(kind, fraction, seed=seed, name=f"{name}_missing")(inputs)
    fill = NormalizedConvolutionFill(sigma, name=f"{name}_fill")(x)
    hidden = layers.Concatenate(name=f"{name}_concat")([x, fill])
    hidden = conv_stage(hidden, filters, convs=convs, kernel_size=kernel_size, name=f"{name}_body")
    residual = layers.Conv2D(
        c, kernel_size, padding="same", kernel_initializer="zeros", name=f"{name}_residual"
    )(hidden)
    estimate = layers.Add(name=f"{name}_add")([fill, residual])
    return keras.Model(inputs, MaskComposite(name=f"{name}_composite")([x, estimate]), name=name)
