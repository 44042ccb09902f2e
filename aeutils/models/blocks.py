"""Encoder/decoder builders, the latent-size formula, and the encoder/decoder of a model.

Builders are keyword-only and return named ``keras.Model`` objects; layers are
named ``f"{name}_s{stage}_conv{i}"`` so weights can be found and compared.
:func:`latent_size` is the formula ``((W - K + 2P) / S + 1)^2 * C`` and
:func:`check_latent_size` compares it with a built encoder. :func:`encoder_of`
and :func:`decoder_of` find the encoder/decoder sub-model of any model here.
"""

from __future__ import annotations

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


def _halvings(encoder: keras.Model) -> int:
    """How many times an encoder halves its input side (from its layers' strides and poolings)."""
    n = 0
    for layer in encoder.layers:
        if isinstance(layer, layers.MaxPooling2D):
            n += 1
        elif isinstance(layer, layers.Conv2D) and tuple(layer.strides) == (2, 2):
            n += 1
    return n


def _doublings(decoder: keras.Model) -> int:
    n = 0
    for layer in decoder.layers:
        if isinstance(layer, layers.UpSampling2D) or (
            isinstance(layer, layers.Conv2DTranspose) and tuple(layer.strides) == (2, 2)
        ):
            n += 1
    return n


def check_halves(encoder: keras.Model, decoder: keras.Model, *, output_channels: int | None = None) -> None:
    """Check that ``decoder`` takes the ``encoder``'s codes and returns images of the encoder's input shape.

    ``output_channels`` declares a decoder that returns another channel count on purpose (a
    colouriser: 1 channel in, 3 or 2 out); by default the channels must match the input's.

    Raises:
        ValueError: naming the argument to change (the decoder's ``latent_shape``/``dense_shape``,
            ``upsamplings`` or ``output_channels``).
    """
    code, wants = tuple(encoder.output_shape[1:]), tuple(decoder.input_shape[1:])
    if code != wants:
        raise ValueError(
            f"the decoder takes codes of shape {wants} but the encoder makes {code}: build the decoder "
            f"with latent_shape={code}" + (" and dense_shape=(h, w, c) for a flat code" if len(code) == 1 else "")
        )
    image, out = tuple(encoder.input_shape[1:]), tuple(decoder.output_shape[1:])
    if image[:2] != out[:2]:
        raise ValueError(
            f"the decoder returns {out[0]}x{out[1]} images but the encoder takes {image[0]}x{image[1]}: the "
            f"encoder halves {_halvings(encoder)} times and the decoder doubles {_doublings(decoder)} times; "
            f"change the decoder's upsamplings to {_halvings(encoder)}"
        )
    wanted = image[2:] if output_channels is None else (int(output_channels),)
    if wanted != out[2:]:
        raise ValueError(
            f"the decoder returns {out[2]} channel(s) but {wanted[0]} are wanted "
            f"(the images have {image[2]}): build the decoder with output_channels={wanted[0]}"
            + ("" if output_channels is not None else ", or pass output_channels= for a different count on purpose")
        )


def build_autoencoder(
    encoder: keras.Model | None = None,
    decoder: keras.Model | None = None,
    *,
    input_shape: Sequence[int] | None = None,
    filters: Sequence[int] = (32, 64),
    latent_dim: int | None = None,
    kernel_size: int = 3,
    downsample: str = "stride",
    output_activation: str | None = "sigmoid",
    output_channels: int | None = None,
    name: str = "autoencoder",
) -> keras.Model:
    """A mirrored convolutional autoencoder in one call, or an encoder and a decoder chained.

    One call: ``build_autoencoder(input_shape=(64, 64, 1), filters=(16, 32), latent_dim=32)`` builds
    an encoder (one stage per filter count; ``downsample="stride"`` halves at every stage,
    ``"maxpool"`` after all but the last) and the decoder that mirrors it: as many doublings as
    halvings, the flat code's reshape and the image's channel count taken from the encoder, so
    the output shape always equals the input shape. ``latent_dim=None`` keeps the last feature
    map as the code.

    Two models: ``build_autoencoder(encoder, decoder)`` chains them after :func:`check_halves`.

    Args:
        encoder, decoder: the two halves (the second form).
        input_shape: ``(H, W, C)`` (the first form); ``H`` and ``W`` divisible by the halvings.
        filters: encoder channels per stage; the decoder mirrors them.
        latent_dim: size of a flat code, or ``None`` for a convolutional code.
        kernel_size: kernel side.
        downsample: ``"stride"`` or ``"maxpool"``.
        output_activation: ``"sigmoid"`` for images in [0, 1], ``"tanh"`` for [-1, 1], ``None`` linear.
        output_channels: channels of the output when they differ from the input's on purpose
            (a colouriser); default: the input's.
        name: model name (the halves are ``"encoder"`` and ``"decoder"``).

    Returns:
        A ``keras.Model`` whose output shape equals its input shape.

    Raises:
        ValueError: neither or both forms given, sizes the stages do not divide, or halves that do
            not fit (naming the argument to change).

    Example:
    >>> ae = build_autoencoder(input_shape=(28, 28, 1), filters=(4, 8), latent_dim=6)
    >>> ae.output_shape, ae.get_layer("encoder").output_shape
    ((None, 28, 28, 1), (None, 6))
    """
    if encoder is not None or decoder is not None:
        if encoder is None or decoder is None or input_shape is not None:
            raise ValueError("pass either encoder and decoder, or input_shape (and filters, latent_dim)")
        check_halves(encoder, decoder, output_channels=output_channels)
        inputs = keras.Input(shape=encoder.input_shape[1:], name=f"{name}_input")
        return keras.Model(inputs, decoder(encoder(inputs)), name=name)
    if input_shape is None:
        raise ValueError("pass input_shape=(H, W, C) (or an encoder and a decoder)")
    input_shape = tuple(int(v) for v in input_shape)
    filters = tuple(int(f) for f in filters)
    if len(input_shape) != 3 or not filters:
        raise ValueError(f"input_shape must be (H, W, C) and filters non-empty, got {input_shape}, {filters}")
    if downsample not in ("stride", "maxpool"):
        raise ValueError(f"downsample must be 'stride' or 'maxpool', got {downsample!r}")
    halvings = len(filters) if downsample == "stride" else len(filters) - 1
    h, w, c = input_shape
    if h % 2**halvings or w % 2**halvings:
        raise ValueError(
            f"image size {h}x{w} is not divisible by 2**{halvings} = {2**halvings} ({halvings} halvings): "
            "resize the images or pass fewer filters"
        )
    enc = build_encoder(
        input_shape=input_shape, filters=filters, kernel_size=kernel_size, downsample=downsample,
        latent_dim=None if latent_dim is None else int(latent_dim), name="encoder",
    )
    feature_shape = (h // 2**halvings, w // 2**halvings, filters[-1])
    dec = build_decoder(
        latent_shape=feature_shape if latent_dim is None else (int(latent_dim),),
        filters=tuple(reversed(filters[:halvings])), upsamplings=halvings,
        output_channels=c if output_channels is None else int(output_channels),
        kernel_size=kernel_size, output_activation=output_activation,
        dense_shape=None if latent_dim is None else feature_shape, name="decoder",
    )
    return build_autoencoder(enc, dec, output_channels=output_channels, name=name)


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
# The autoencoder family's encoder/decoder pair (dense or convolutional code)
# ---------------------------------------------------------------------------


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



# ---------------------------------------------------------------------------
# The encoder / decoder of a model
# ---------------------------------------------------------------------------


def _part_of(model, part: str, strict: bool):
    sub = getattr(model, part, None)
    if isinstance(sub, keras.layers.Layer):
        return sub
    try:
        return model.get_layer(part)
    except ValueError:
        if strict:
            raise ValueError(f"{model.name!r} has no {part!r} sub-model") from None
        return model


def encoder_of(model, *, strict: bool = False):
    """The encoder of ``model``: its ``encoder`` attribute (VAE, sparse, contractive), else its layer ``"encoder"``.

    Args:
        model: a model of this package, or an encoder itself.
        strict: raise when ``model`` has no encoder; by default ``model`` itself
            is returned (taken to be an encoder).

    Raises:
        ValueError: ``strict`` and no encoder found.

    Example:
    >>> ae = build_plain_autoencoder(input_shape=(8, 8, 1), latent_dim=2, filters=(2,))
    >>> encoder_of(ae).name, decoder_of(ae).name
    ('encoder', 'decoder')
    """
    return _part_of(model, "encoder", strict)


def decoder_of(model, *, strict: bool = False):
    """The decoder of ``model`` (as :func:`encoder_of`, for the ``decoder`` part)."""
    return _part_of(model, "decoder", strict)


def pair_config(model, **extra) -> dict:
    """Keras config of a model built from an ``encoder`` and a ``decoder`` sub-model, plus its own arguments."""
    return {
        "name": model.name,
        "trainable": model.trainable,
        "encoder": keras.saving.serialize_keras_object(model.encoder),
        "decoder": keras.saving.serialize_keras_object(model.decoder),
        **extra,
    }


def from_pair_config(cls, config, custom_objects=None):
    """Rebuild ``cls(encoder, decoder, **rest)`` from :func:`pair_config` output."""
    config = dict(config)
    encoder = keras.saving.deserialize_keras_object(config.pop("encoder"), custom_objects)
    decoder = keras.saving.deserialize_keras_object(config.pop("decoder"), custom_objects)
    return cls(encoder, decoder, **config)
