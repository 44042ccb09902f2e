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
