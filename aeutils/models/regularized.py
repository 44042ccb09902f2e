"""The regularised autoencoders of the family (source report 5): penalties, sparse, contractive, denoising.

Penalties: :func:`l1_activity`, :func:`kl_sparsity`, the encoder Jacobian norm
:func:`jacobian_frobenius_sq`; the one activity statistic :func:`code_activity`.
:class:`SparseAutoencoder` and :class:`ContractiveAutoencoder` train with their
own ``train_step`` (TensorFlow-only: ``tf.GradientTape``), because their
penalties need the code (sparse) or the encoder's Jacobian with respect to the
input (contractive). :func:`build_denoising_autoencoder` puts a
:class:`~aeutils.models.layers.Corruption` layer before the encoder.
"""

from __future__ import annotations

from collections.abc import Sequence

import keras
import numpy as np
import tensorflow as tf

from aeutils.models.blocks import build_encoder_decoder, from_pair_config, pair_config
from aeutils.models.layers import Corruption


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
    """A denoising autoencoder: a :class:`~aeutils.models.layers.Corruption` layer before the encoder.

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


def code_activity(z, threshold: float = 0.01, *, numpy: bool = False) -> dict:
    """Mean activation and the fraction of near-zero values of codes: the one activity statistic.

    Args:
        z: codes ``(batch, units)``.
        threshold: ``|z| < threshold`` counts as near zero.
        numpy: ``False`` (default): scalar tensors from ``keras.ops``, usable in a
            ``train_step``; ``True``: a summary of a whole set of codes in NumPy
            float64, as Python numbers, with also ``"dead_units"`` (units below
            the threshold on every image) and ``"mean_active_units"`` (units at
            or above it, per image).

    Returns:
        ``{"mean_activation": mean |z|, "fraction_near_zero": share of values below threshold}``
        (plus the two unit counts with ``numpy=True``).

    Example:
    >>> import numpy as np
    >>> code_activity(np.array([[0.0, 1.0], [0.0, 0.001]]), numpy=True)["dead_units"]
    1
    """
    if numpy:
        a = np.abs(np.asarray(z, dtype=np.float64))
        near = a < threshold
        return {
            "mean_activation": float(a.mean()),
            "fraction_near_zero": float(near.mean()),
            "dead_units": int(near.all(axis=0).sum()),
            "mean_active_units": float((~near).sum(axis=1).mean()),
        }
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
        with tf.GradientTape() as tape:
            recon, pen, stats = self._loss_terms(data, training=True)
            loss = keras.ops.mean(recon + self.weight * pen)
        grads = tape.gradient(loss, self.trainable_weights)
        self.optimizer.apply_gradients(zip(grads, self.trainable_weights))
        return self._update(recon, pen, stats)

    def test_step(self, data):
        return self._update(*self._loss_terms(data, training=False))

    def get_config(self):
        return pair_config(self, weight=self.weight, seed=self.seed)

    @classmethod
    def from_config(cls, config, custom_objects=None):
        return from_pair_config(cls, config, custom_objects)


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
    ``penalty`` (the squared Frobenius norm); :class:`aeutils.train.BatchValues` records it per
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

