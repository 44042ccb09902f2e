"""Small custom Keras layers, all registered for serialisation (``.keras`` files load with ``safe_mode=True``)."""

from __future__ import annotations

import keras
import numpy as np
from keras import ops

from aeutils.baselines import gaussian_kernel_1d

# ---------------------------------------------------------------------------
# Sampling for variational autoencoders
# ---------------------------------------------------------------------------


@keras.saving.register_keras_serializable(package="aeutils")
class Sampling(keras.layers.Layer):
    """Draw ``z = z_mean + exp(z_log_var / 2) * eps`` with ``eps ~ N(0, I)`` (the reparameterisation trick).

    The noise comes from the layer's own ``keras.random.SeedGenerator``, so a
    seeded layer gives the same sequence of draws on every run, and its state is
    saved with the model.

    Args:
        seed: integer seed of the generator (``None``: unseeded).
        **kwargs: passed to ``keras.layers.Layer`` (e.g. ``name``).

    Example:
    >>> import numpy as np
    >>> z = Sampling(seed=0)([np.zeros((3, 2), "float32"), np.full((3, 2), -50.0, "float32")])
    >>> bool(np.abs(np.asarray(z)).max() < 1e-6)
    True
    """

    def __init__(self, seed: int | None = None, **kwargs):
        super().__init__(**kwargs)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.built = True  # no weights to create

    def call(self, inputs):
        """Args: inputs: ``[z_mean, z_log_var]`` of equal shape. Returns: a sample of that shape."""
        z_mean, z_log_var = inputs
        eps = keras.random.normal(ops.shape(z_mean), dtype=z_mean.dtype, seed=self.seed_generator)
        return z_mean + ops.exp(0.5 * z_log_var) * eps

    def compute_output_shape(self, input_shape):
        return input_shape[0]

    def get_config(self):
        return {**super().get_config(), "seed": self.seed}


# ---------------------------------------------------------------------------
# Mixture consistency for source separation (unmixing mean images)
# ---------------------------------------------------------------------------


@keras.saving.register_keras_serializable(package="aeutils")
class MixtureConsistency(keras.layers.Layer):
    """Correct source estimates so that their weighted sum equals the mixture exactly.

    For a mixture ``m = sum_s w_s * x_s`` and estimates ``e_s`` (stacked along the
    channel axis, ``sources * C`` channels), the residual ``r = m - sum_s w_s e_s``
    is spread over the sources in proportion to their weights:
    ``e_s + w_s * r / sum_s w_s**2``. That is the smallest (L2) correction that
    makes the estimates add up to the input, so the network only has to decide
    how to split the picture, not how to repaint it.

    Args:
        mix_weights: mixing weight of each source (default two sources, 0.5 each).
        **kwargs: passed to ``keras.layers.Layer`` (e.g. ``name``).

    Raises:
        ValueError: fewer than two weights, or weights whose squares sum to 0.

    Example:
    >>> import numpy as np
    >>> m = np.full((1, 2, 2, 1), 0.5, "float32")
    >>> e = np.zeros((1, 2, 2, 2), "float32")
    >>> out = np.asarray(MixtureConsistency()([m, e]))
    >>> float(out.mean(axis=-1).max())  # (e_1 + e_2) / 2 is the mixture again
    0.5
    """

    def __init__(self, mix_weights=(0.5, 0.5), **kwargs):
        super().__init__(**kwargs)
        mix_weights = tuple(float(w) for w in mix_weights)
        if len(mix_weights) < 2 or sum(w * w for w in mix_weights) <= 0:
            raise ValueError(f"need at least two mixing weights, not all zero; got {mix_weights}")
        self.mix_weights = mix_weights

    def call(self, inputs):
        """Args: inputs: ``[mixture (N, H, W, C), estimates (N, H, W, S*C)]``. Returns: corrected estimates."""
        mixture, estimates = inputs
        c = ops.shape(mixture)[-1]
        parts = [estimates[..., s * c : (s + 1) * c] for s in range(len(self.mix_weights))]
        residual = mixture - sum(w * p for w, p in zip(self.mix_weights, parts))
        norm = sum(w * w for w in self.mix_weights)
        return ops.concatenate([p + (w / norm) * residual for w, p in zip(self.mix_weights, parts)], axis=-1)

    def compute_output_shape(self, input_shape):
        return input_shape[1]

    def get_config(self):
        return {**super().get_config(), "mix_weights": list(self.mix_weights)}


# ---------------------------------------------------------------------------
# Corruption for denoising autoencoders (active in training only)
# ---------------------------------------------------------------------------

#: Corruption kinds of :class:`Corruption`; ``strength`` means the noise
#: standard deviation for ``gaussian`` and the fraction of pixels hit otherwise.
CORRUPTION_KINDS = ("gaussian", "salt_pepper", "masking", "block")


@keras.saving.register_keras_serializable(package="aeutils")
class Corruption(keras.layers.Layer):
    """Corrupt images in training only; at inference the layer is the identity.

    Kinds (images are expected in [0, 1]):

    * ``"gaussian"``: add ``N(0, strength^2)`` noise to every value;
    * ``"salt_pepper"``: set a fraction ``strength`` of pixels (all channels
      together) to 0 or 1 with equal odds;
    * ``"masking"``: set a fraction ``strength`` of pixels to 0 (random pixels);
    * ``"block"``: set one random square per image, covering a fraction
      ``strength`` of its area, to 0.

    Args:
        kind: one of :data:`CORRUPTION_KINDS`.
        strength: noise standard deviation (``gaussian``, >= 0) or fraction of
            pixels hit (other kinds, in [0, 1]).
        clip: clip the result to [0, 1] (only ``gaussian`` can leave it).
        seed: integer seed of the layer's ``SeedGenerator`` (``None``: unseeded).
        **kwargs: passed to ``keras.layers.Layer``.

    Raises:
        ValueError: unknown ``kind`` or a ``strength`` out of range.

    Example:
    >>> import numpy as np
    >>> layer = Corruption("masking", 0.5, seed=0)
    >>> x = np.ones((2, 8, 8, 1), "float32")
    >>> bool((np.asarray(layer(x)) == x).all()), float(np.asarray(layer(x, training=True)).mean()) < 1
    (True, True)
    """

    def __init__(self, kind: str = "gaussian", strength: float = 0.3, clip: bool = True,
                 seed: int | None = None, **kwargs):
        super().__init__(**kwargs)
        if kind not in CORRUPTION_KINDS:
            raise ValueError(f"unknown corruption kind {kind!r}; choose from {CORRUPTION_KINDS}")
        strength = float(strength)
        if strength < 0 or (kind != "gaussian" and strength > 1):
            limit = ">= 0" if kind == "gaussian" else "in [0, 1]"
            raise ValueError(f"{kind} corruption strength must be {limit}, got {strength}")
        self.kind = kind
        self.strength = strength
        self.clip = bool(clip)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, inputs, training=False):
        """Args: inputs: images ``(N, H, W, C)``; training: corrupt only if true. Returns: same shape."""
        if not training or self.strength == 0.0:
            return inputs
        shape = ops.shape(inputs)
        dtype = inputs.dtype
        if self.kind == "gaussian":
            noisy = inputs + self.strength * keras.random.normal(
                shape, dtype=dtype, seed=self.seed_generator
            )
            return ops.clip(noisy, 0.0, 1.0) if self.clip else noisy
        pixel_shape = (shape[0], shape[1], shape[2], 1)
        if self.kind == "salt_pepper":
            u = keras.random.uniform(pixel_shape, dtype=dtype, seed=self.seed_generator)
            half = self.strength / 2.0
            out = ops.where(u < half, ops.zeros_like(inputs), inputs)
            return ops.where((u >= half) & (u < self.strength), ops.ones_like(inputs), out)
        if self.kind == "masking":
            u = keras.random.uniform(pixel_shape, dtype=dtype, seed=self.seed_generator)
            return inputs * ops.cast(u >= self.strength, dtype)
        block = _random_block_mask(shape, self.strength, self.seed_generator)
        return inputs * ops.cast(ops.logical_not(block), dtype)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "kind": self.kind, "strength": self.strength,
                "clip": self.clip, "seed": self.seed}


def _random_block_mask(shape, fraction: float, seed_generator):
    """Boolean ``(N, H, W, 1)``: one square of area ``fraction * H * W`` per image, at a random place."""
    h, w = _static_dim(shape, 1), _static_dim(shape, 2)
    side_h = min(h, int(round(fraction**0.5 * h)))
    side_w = min(w, int(round(fraction**0.5 * w)))
    top = keras.random.randint((shape[0], 1, 1, 1), 0, h - side_h + 1, seed=seed_generator)
    left = keras.random.randint((shape[0], 1, 1, 1), 0, w - side_w + 1, seed=seed_generator)
    rows = ops.reshape(ops.arange(h, dtype="int32"), (1, h, 1, 1))
    cols = ops.reshape(ops.arange(w, dtype="int32"), (1, 1, w, 1))
    top, left = ops.cast(top, "int32"), ops.cast(left, "int32")
    return (rows >= top) & (rows < top + side_h) & (cols >= left) & (cols < left + side_w)


def _static_dim(shape, axis: int) -> int:
    """Static size of ``shape[axis]``; a block mask needs a known height and width."""
    dim = shape[axis]
    if not isinstance(dim, int):
        raise ValueError("block corruption needs images of a fixed height and width")
    return dim


# ---------------------------------------------------------------------------
# Inpainting: the mask as an extra input channel
# ---------------------------------------------------------------------------
# Inpainting models take ``(N, H, W, C + 1)``: the image channels, then one mask
# channel that is 1 where a pixel is missing (see aeutils.applications.inpainting_input).


def _split_mask(inputs):
    """``(image, mask)`` from an ``(N, H, W, C + 1)`` tensor whose last channel is the missing-pixel mask."""
    c = inputs.shape[-1] - 1
    return inputs[..., :c], inputs[..., c:]


@keras.saving.register_keras_serializable(package="aeutils")
class RandomMissing(keras.layers.Layer):
    """Zero the missing pixels of an image-plus-mask input; in training, first add random missing pixels.

    In training the mask channel becomes the union of the given mask and a
    fresh random one (``"pixels"``: each pixel missing with probability
    ``fraction``; ``"block"``: one square of area ``fraction`` per image), so a
    model fitted on clean images with an all-zero mask channel sees new masks
    every batch. At inference only the given mask counts.

    Args:
        kind: ``"pixels"`` or ``"block"``.
        fraction: share of pixels made missing in training, in [0, 1].
        seed: integer seed of the layer's ``SeedGenerator`` (``None``: unseeded).
        **kwargs: passed to ``keras.layers.Layer``.

    Raises:
        ValueError: unknown ``kind`` or ``fraction`` outside [0, 1].

    Example:
    >>> import numpy as np
    >>> x = np.ones((1, 2, 2, 2), "float32"); x[..., 1] = [[1, 0], [0, 0]]
    >>> np.asarray(RandomMissing("pixels", 0.5)(x))[0, ..., 0].tolist()
    [[0.0, 1.0], [1.0, 1.0]]
    """

    def __init__(self, kind: str = "pixels", fraction: float = 0.5, seed: int | None = None, **kwargs):
        super().__init__(**kwargs)
        if kind not in ("pixels", "block"):
            raise ValueError(f"unknown mask kind {kind!r}; choose from ('pixels', 'block')")
        fraction = float(fraction)
        if not 0.0 <= fraction <= 1.0:
            raise ValueError(f"fraction must be in [0, 1], got {fraction}")
        self.kind = kind
        self.fraction = fraction
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, inputs, training=False):
        """Args: inputs: ``(N, H, W, C + 1)``. Returns: the same shape, image zero where the mask is 1."""
        image, mask = _split_mask(inputs)
        if training and self.fraction > 0.0:
            shape = ops.shape(mask)
            if self.kind == "pixels":
                new = keras.random.uniform(shape, dtype=mask.dtype, seed=self.seed_generator) < self.fraction
            else:
                new = _random_block_mask(shape, self.fraction, self.seed_generator)
            mask = ops.maximum(mask, ops.cast(new, mask.dtype))
        return ops.concatenate([image * (1.0 - mask), mask], axis=-1)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "kind": self.kind, "fraction": self.fraction, "seed": self.seed}


@keras.saving.register_keras_serializable(package="aeutils")
class NormalizedConvolutionFill(keras.layers.Layer):
    """A cheap classical fill of missing pixels: normalised convolution, computed in the graph.

    ``fill = (blur(image * valid) + eps * m) / (blur(valid) + eps)`` with
    ``valid = 1 - mask``, ``blur`` a Gaussian of ``sigma`` pixels with zero
    padding, and ``m`` the image's mean observed value per channel (the fill
    where no observed pixel is near). The reference in NumPy is
    :func:`aeutils.applications.normalized_convolution_fill`.

    Args:
        sigma: blur standard deviation in pixels (> 0).
        eps: weight of the per-image mean (> 0).
        **kwargs: passed to ``keras.layers.Layer``.

    Raises:
        ValueError: ``sigma`` or ``eps`` not positive.
    """

    def __init__(self, sigma: float = 1.0, eps: float = 1e-3, **kwargs):
        super().__init__(**kwargs)
        if float(sigma) <= 0 or float(eps) <= 0:
            raise ValueError(f"sigma and eps must be > 0, got {sigma}, {eps}")
        self.sigma = float(sigma)
        self.eps = float(eps)

    def _blur(self, x):
        g = np.asarray(gaussian_kernel_1d(self.sigma), "float32")
        c = x.shape[-1]
        rows = ops.convert_to_tensor(np.tile(g.reshape(-1, 1, 1, 1), (1, 1, c, 1)), dtype=x.dtype)
        cols = ops.convert_to_tensor(np.tile(g.reshape(1, -1, 1, 1), (1, 1, c, 1)), dtype=x.dtype)
        return ops.depthwise_conv(ops.depthwise_conv(x, rows, padding="same"), cols, padding="same")

    def call(self, inputs):
        """Args: inputs: ``(N, H, W, C + 1)`` image then mask. Returns: the fill ``(N, H, W, C)``."""
        image, mask = _split_mask(inputs)
        valid = 1.0 - mask
        observed = image * valid
        mean = ops.sum(observed, axis=(1, 2), keepdims=True) / (ops.sum(valid, axis=(1, 2), keepdims=True) + 1e-6)
        return (self._blur(observed) + self.eps * mean) / (self._blur(valid) + self.eps)

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], input_shape[-1] - 1)

    def get_config(self):
        return {**super().get_config(), "sigma": self.sigma, "eps": self.eps}


@keras.saving.register_keras_serializable(package="aeutils")
class MaskComposite(keras.layers.Layer):
    """Keep the observed pixels exactly; take the estimate only where the mask is 1.

    Inputs ``[image_and_mask (N, H, W, C + 1), estimate (N, H, W, C)]``; output ``(N, H, W, C)``.

    Example:
    >>> import numpy as np
    >>> x = np.array([[[[0.2, 0.0], [0.0, 1.0]]]], "float32"); e = np.full((1, 1, 2, 1), 0.9, "float32")
    >>> np.asarray(MaskComposite()([x, e]))[0, 0, :, 0].tolist()
    [0.20000000298023224, 0.8999999761581421]
    """

    def call(self, inputs):
        """Args: inputs: ``[image_and_mask, estimate]``. Returns: the composite."""
        packed, estimate = inputs
        image, mask = _split_mask(packed)
        return image * (1.0 - mask) + estimate * mask

    def compute_output_shape(self, input_shape):
        return input_shape[1]


@keras.saving.register_keras_serializable(package="aeutils")
class PixelShuffle(keras.layers.Layer):
    """Sub-pixel upsampling: ``(N, H, W, C * r * r)`` to ``(N, H * r, W * r, C)`` (TensorFlow's ``depth_to_space``).

    Channel ``(dy * r + dx) * C + c`` of a pixel becomes channel ``c`` of output pixel
    ``(y * r + dy, x * r + dx)``. A convolution to ``C * r * r`` channels followed by this layer
    upsamples without the checkerboard of a strided transposed convolution.

    Args:
        factor: the upscaling factor ``r`` (>= 2).
        **kwargs: passed to ``keras.layers.Layer``.

    Raises:
        ValueError: ``factor < 2``; at call, channels not divisible by ``factor ** 2``.

    Example:
    >>> import numpy as np
    >>> x = np.arange(4, dtype="float32").reshape(1, 1, 1, 4)
    >>> np.asarray(PixelShuffle(2)(x))[0, :, :, 0].tolist()
    [[0.0, 1.0], [2.0, 3.0]]
    """

    def __init__(self, factor: int = 2, **kwargs):
        super().__init__(**kwargs)
        if int(factor) < 2:
            raise ValueError(f"factor must be >= 2, got {factor}")
        self.factor = int(factor)

    def call(self, inputs):
        """Args: inputs: ``(N, H, W, C * r * r)``. Returns: ``(N, H * r, W * r, C)``."""
        r = self.factor
        shape = ops.shape(inputs)
        h, w = (inputs.shape[a] if inputs.shape[a] is not None else shape[a] for a in (1, 2))
        cr = inputs.shape[3]
        if cr % (r * r):
            raise ValueError(f"channels {cr} not divisible by factor ** 2 = {r * r}")
        c = cr // (r * r)
        x = ops.reshape(inputs, (-1, h, w, r, r, c))
        x = ops.transpose(x, (0, 1, 3, 2, 4, 5))
        return ops.reshape(x, (-1, h * r, w * r, c))

    def compute_output_shape(self, input_shape):
        r = self.factor
        n, h, w, c = input_shape
        return (n, None if h is None else h * r, None if w is None else w * r, c // (r * r))

    def get_config(self):
        return {**super().get_config(), "factor": self.factor}
