"""Variational autoencoders (source report 3): :class:`VAE`, :func:`build_vae`, :func:`build_image_vae`."""

from __future__ import annotations

import math
from collections.abc import Sequence

import keras
import numpy as np
import tensorflow as tf
from keras import layers

from aeutils.models.blocks import from_pair_config, pair_config
from aeutils.models.layers import Sampling

#: Reconstruction likelihoods of :class:`VAE`: ``"bernoulli"`` (binary cross-entropy
#: summed over pixels, for MNIST-like data) and ``"gaussian"`` (squared error
#: scaled by a fixed ``sigma``, for photos).
VAE_RECONSTRUCTIONS = ("bernoulli", "gaussian")

_BCE_EPS = 1e-7


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
        kl_warmup_steps: KL warm-up: the gradient step optimises
            ``reconstruction + w * beta * kl`` with ``w`` rising linearly from
            ``1 / kl_warmup_steps`` to 1 over the first ``kl_warmup_steps``
            optimizer steps (0, the default: ``w = 1`` throughout). The logged
            ``loss`` is always the full ``reconstruction + beta * kl``.
        name: model name.

    Raises:
        ValueError: unknown ``reconstruction``, negative ``beta`` or
            ``kl_warmup_steps``, non-positive ``sigma``, an encoder without two outputs of equal size, or a
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
        kl_warmup_steps: int = 0,
        name: str = "vae",
        **kwargs,
    ):
        if reconstruction not in VAE_RECONSTRUCTIONS:
            raise ValueError(
                f"reconstruction must be one of {VAE_RECONSTRUCTIONS}, got {reconstruction!r}"
            )
        if not float(beta) >= 0:
            raise ValueError(f"beta must be >= 0, got {beta}")
        if not float(sigma) > 0:
            raise ValueError(f"sigma must be > 0, got {sigma}")
        if int(kl_warmup_steps) < 0:
            raise ValueError(f"kl_warmup_steps must be >= 0, got {kl_warmup_steps}")
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
        self.kl_warmup_steps = int(kl_warmup_steps)
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
        x = data[0] if isinstance(data, (tuple, list)) else data
        with tf.GradientTape() as tape:
            recon, kl = self.loss_terms(x, training=True)
            beta = self.beta
            if self.kl_warmup_steps:
                step = keras.ops.cast(self.optimizer.iterations + 1, recon.dtype)
                beta = beta * keras.ops.minimum(1.0, step / float(self.kl_warmup_steps))
            loss = keras.ops.mean(recon + beta * kl)
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
        return np.asarray(self.encoder.predict(x, batch_size=batch_size, verbose=0)[0])

    def decode(self, z, *, batch_size: int = 256):
        """Decode codes ``(N, latent_dim)`` to images, as a NumPy array."""
        return np.asarray(self.decoder.predict(z, batch_size=batch_size, verbose=0))

    def get_config(self):
        extra = {"kl_warmup_steps": self.kl_warmup_steps} if self.kl_warmup_steps else {}
        return pair_config(
            self, beta=self.beta, reconstruction=self.reconstruction, sigma=self.sigma, seed=self.seed, **extra
        )

    @classmethod
    def from_config(cls, config, custom_objects=None):
        return from_pair_config(cls, config, custom_objects)


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
    kl_warmup_steps: int = 0,
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
        kl_warmup_steps: KL warm-up length in optimizer steps (see :class:`VAE`; 0: none).
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
        encoder, decoder, beta=beta, reconstruction=reconstruction, sigma=sigma, seed=seed,
        kl_warmup_steps=kl_warmup_steps, name=name,
    )




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


