"""Latent spaces: encode sets to codes, interpolate between codes, decode grids over a 2-D plane.

Works with a :class:`aeutils.models.VAE` (codes are the posterior *means*, never
samples: the source's interpolation used a sampled ``z`` and so decoded a
different picture on every run) and with plain encoder/decoder models. Also
the per-image held-out negative ELBO of a VAE and the naive pixel-space
interpolation to compare latent strips with, and the checks that read decoded
images with a pixel classifier (:func:`fit_pixel_reader`, :func:`read_images`,
:func:`strip_endpoints`) and score how codes gather by label
(:func:`nearest_neighbour_hits`, :func:`chance_accuracy`). Over 600 lines: all of it
answers one question, what a code means, and the interactive explorer already lives
apart (:mod:`aeutils.latent_explorer`).
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Sequence

import numpy as np
from scipy.stats import norm
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression

from aeutils.models import VAE, decoder_of, encoder_of
from aeutils.train import predict


def _is_vae(model) -> bool:
    return isinstance(model, VAE)


def _check_images(x, model_input_shape, what: str = "images") -> np.ndarray:
    x = np.asarray(x, dtype=np.float32)
    want = tuple(model_input_shape[1:])
    if x.ndim != len(want) + 1 or any(a is not None and a != b for a, b in zip(want, x.shape[1:])):
        raise ValueError(f"{what} must have shape (N, {', '.join(map(str, want))}), got {x.shape}")
    return x


def _check_unit_range(x: np.ndarray) -> None:
    if x.size and (float(x.min()) < 0.0 or float(x.max()) > 1.0):
        raise ValueError(
            f"images must be in [0, 1] (got values in [{float(x.min()):.3g}, {float(x.max()):.3g}]); "
            "see aeutils.data.to_unit_range"
        )


def encode(model, x, *, batch_size: int = 256) -> np.ndarray:
    """Encode images to latent codes: the posterior means for a VAE.

    Args:
        model: a :class:`~aeutils.models.VAE`, a model with an ``encoder`` sub-model,
            or an encoder (whose first output is used when it has several, e.g.
            ``[z_mean, z_log_var]``).
        x: images ``(N, H, W, C)`` matching the encoder's input.
        batch_size: prediction batch size.

    Returns:
        Codes ``(N, ...)`` as a NumPy array.

    Raises:
        ValueError: images of the wrong shape.
    """
    encoder = encoder_of(model)
    x = _check_images(x, encoder.input_shape)
    return _batched(encoder, x, batch_size, first_output=True)


def decode(model, z, *, batch_size: int = 256) -> np.ndarray:
    """Decode codes ``(N, latent_dim)`` to images with the model's decoder.

    Raises:
        ValueError: codes of the wrong size.
    """
    decoder = decoder_of(model)
    z = np.asarray(z, dtype=np.float32)
    want = tuple(decoder.input_shape[1:])
    if z.shape[1:] != want:
        raise ValueError(f"codes must have shape (N, {', '.join(map(str, want))}), got {z.shape}")
    return _batched(decoder, z, batch_size)


def _batched(model, x, batch_size: int, first_output: bool = False) -> np.ndarray:
    """:func:`aeutils.train.predict` (fixed-size eager batches, no retracing), first output only if asked."""
    if len(x) == 0:
        shape = model.output_shape[0] if first_output and isinstance(model.output_shape, list) else model.output_shape
        return np.zeros((0,) + tuple(shape[1:]), np.float32)
    out = predict(model, x, batch_size=batch_size)
    return out[0] if first_output and isinstance(out, list) else out


# ---------------------------------------------------------------------------
# Interpolation
# ---------------------------------------------------------------------------


def _endpoints(z0, z1, steps):
    z0 = np.asarray(z0, dtype=np.float64)
    z1 = np.asarray(z1, dtype=np.float64)
    if z0.shape != z1.shape:
        raise ValueError(f"codes differ in shape: {z0.shape} vs {z1.shape}")
    if int(steps) < 2:
        raise ValueError(f"steps must be >= 2 (the two end points included), got {steps}")
    return z0, z1, np.linspace(0.0, 1.0, int(steps))


def lerp(z0, z1, steps: int = 8) -> np.ndarray:
    """Linear interpolation ``(1 - t) z0 + t z1`` at ``steps`` evenly spaced ``t`` in [0, 1].

    Returns:
        ``(steps, *z0.shape)``; the first row is ``z0``, the last ``z1``.

    Raises:
        ValueError: codes of different shapes or ``steps < 2``.

    Example:
    >>> lerp([0.0, 0.0], [1.0, 2.0], 3).tolist()
    [[0.0, 0.0], [0.5, 1.0], [1.0, 2.0]]
    """
    z0, z1, t = _endpoints(z0, z1, steps)
    t = t.reshape((-1,) + (1,) * z0.ndim)
    out = (1.0 - t) * z0 + t * z1
    out[0], out[-1] = z0, z1
    return out.astype(np.float32)


def slerp(z0, z1, steps: int = 8) -> np.ndarray:
    """Spherical interpolation: along the great circle between the codes' directions.

    ``sin((1 - t) W) / sin W * z0 + sin(t W) / sin W * z1`` with ``W`` the angle
    between ``z0`` and ``z1`` (White, "Sampling generative networks", 2016). Under
    a Gaussian prior the midpoints keep a typical norm, where the linear
    midpoint of two far-apart codes falls towards the low-density origin.
    Falls back to :func:`lerp` for (nearly) parallel or zero codes.

    Returns:
        ``(steps, *z0.shape)``; the first row is ``z0``, the last ``z1``.

    Raises:
        ValueError: codes of different shapes or ``steps < 2``.

    Example:
    >>> [round(float(v), 4) for v in slerp([1.0, 0.0], [0.0, 1.0], 3)[1]]
    [0.7071, 0.7071]
    """
    z0, z1, t = _endpoints(z0, z1, steps)
    n0, n1 = np.linalg.norm(z0), np.linalg.norm(z1)
    if n0 < 1e-12 or n1 < 1e-12:
        return lerp(z0, z1, steps)
    cos = np.clip(np.sum(z0 * z1) / (n0 * n1), -1.0, 1.0)
    omega = np.arccos(cos)
    if np.sin(omega) < 1e-6:
        return lerp(z0, z1, steps)
    t = t.reshape((-1,) + (1,) * z0.ndim)
    out = (np.sin((1.0 - t) * omega) * z0 + np.sin(t * omega) * z1) / np.sin(omega)
    out[0], out[-1] = z0, z1
    return out.astype(np.float32)


INTERPOLATIONS = {"linear": lerp, "spherical": slerp}


def interpolate_codes(z0, z1, steps: int = 8, method: str = "linear") -> np.ndarray:
    """Codes between ``z0`` and ``z1`` by ``method`` (``"linear"`` or ``"spherical"``).

    Raises:
        ValueError: unknown method (and see :func:`lerp`).
    """
    if method not in INTERPOLATIONS:
        raise ValueError(f"unknown interpolation {method!r}; choose from {sorted(INTERPOLATIONS)}")
    return INTERPOLATIONS[method](z0, z1, steps)


def interpolate(model, x0, x1, *, steps: int = 8, method: str = "linear") -> np.ndarray:
    """Decode the interpolation between the codes (means) of two images.

    Args:
        model: a VAE or an autoencoder with ``encoder``/``decoder`` sub-models.
        x0, x1: two images ``(H, W, C)``.
        steps: decoded images, end points included.
        method: ``"linear"`` or ``"spherical"``.

    Returns:
        Images ``(steps, H, W, C)``; the first and last are the reconstructions
        of ``x0`` and ``x1``.
    """
    z = encode(model, np.stack([x0, x1]))
    return decode(model, interpolate_codes(z[0], z[1], steps, method))


def pixel_interpolation(x0, x1, steps: int = 8) -> np.ndarray:
    """Naive interpolation in pixel space, ``(1 - t) x0 + t x1``: a cross-fade, for comparison.

    Returns:
        ``(steps, *x0.shape)``, starting at ``x0`` and ending at ``x1``.
    """
    return lerp(x0, x1, steps)


def choose_pairs(
    spec: str, labels: Sequence[int] | None = None, *, by: str = "label", codes=None, neighbours: int = 20
) -> list[tuple[int, int]]:
    """Turn a pair list such as ``"3-8, 1-7"`` into image index pairs.

    Args:
        spec: comma-separated ``a-b`` pairs.
        labels: per-image labels (needed for ``by="label"``); also used to
            check indices.
        by: ``"label"``: ``a`` and ``b`` are labels and the pair is the first
            image of each label (the second image of that label when ``a == b``);
            ``"typical"``: labels too, and the pair is each label's most typical
            image by its code alone (needs ``codes``): the one whose
            ``neighbours`` nearest codes hold the largest share of its own
            label, ties going to the code nearest the label's median (the
            runner-up when ``a == b``). In a 2-D code, where similar digits
            overlap, this picks an end inside its digit's own region rather
            than on a border;
            ``"index"``: ``a`` and ``b`` are image indices.
        codes: per-image latent codes, one row per image (``by="typical"``).
        neighbours: neighbourhood size for ``by="typical"``.

    Returns:
        A list of ``(i, j)`` index pairs.

    Raises:
        ValueError: a malformed spec, an unknown ``by``, a label with no image,
            or an index out of range.

    Example:
    >>> choose_pairs("1-0, 1-1", [0, 1, 0, 1])
    [(1, 0), (1, 3)]
    """
    if by not in ("label", "typical", "index"):
        raise ValueError(f"by must be 'label', 'typical' or 'index', got {by!r}")
    if by == "typical":
        if codes is None:
            raise ValueError("choosing pairs by='typical' needs codes (one latent code per image)")
        codes = np.asarray(codes, dtype=np.float64).reshape(len(codes), -1)
        if labels is None or len(codes) != len(labels):
            raise ValueError(f"by='typical' needs one code per label: {len(codes)} codes, "
                             f"{'no' if labels is None else len(labels)} labels")
        purity = _neighbourhood_purity(codes, np.asarray(labels), neighbours)
    items = [s.strip() for s in str(spec).split(",") if s.strip()]
    if not items:
        raise ValueError("no pairs given; write them as 'a-b, c-d'")
    pairs = []
    for item in items:
        m = re.fullmatch(r"(\d+)\s*-\s*(\d+)", item)
        if not m:
            raise ValueError(f"pair {item!r} is not of the form 'a-b' with whole numbers")
        a, b = int(m.group(1)), int(m.group(2))
        if by == "index":
            n = None if labels is None else len(labels)
            for i in (a, b):
                if n is not None and i >= n:
                    raise ValueError(f"image index {i} out of range (there are {n} images)")
            pairs.append((a, b))
            continue
        if labels is None:
            raise ValueError("choosing pairs by label needs labels")
        labels = np.asarray(labels)
        found = []
        for k, lab in enumerate((a, b)):
            where = np.flatnonzero(labels == lab)
            if len(where) == 0:
                raise ValueError(f"no image has label {lab} (labels present: {sorted(set(labels.tolist()))})")
            rank = 1 if (k == 1 and a == b and len(where) > 1) else 0
            if by == "typical":
                centre = np.median(codes[where], axis=0)
                where = where[np.lexsort((((codes[where] - centre) ** 2).sum(axis=1), -purity[where]))]
            found.append(int(where[rank]))
        pairs.append((found[0], found[1]))
    return pairs


def _neighbourhood_purity(codes: np.ndarray, labels: np.ndarray, k: int) -> np.ndarray:
    """Per code, the share of its ``k`` nearest other codes (Euclidean) that carry its label."""
    from sklearn.neighbors import NearestNeighbors

    k = max(1, min(int(k), len(codes) - 1))
    _, nearest = NearestNeighbors(n_neighbors=k + 1).fit(codes).kneighbors(codes)
    return (labels[nearest[:, 1:]] == labels[:, None]).mean(axis=1)


def interpolation_strips(
    model, x, pairs: Sequence[tuple[int, int]], *, steps: int = 8, method: str = "linear",
    titles: Sequence[str] | None = None,
) -> list[dict]:
    """Latent and pixel-space strips for several image pairs.

    Each strip is ``[start image, steps decoded codes, end image]`` in the
    latent row and ``[start, steps cross-fades, end]`` in the pixel row, so the
    columns line up.

    Args:
        model: a VAE or an autoencoder with ``encoder``/``decoder`` sub-models.
        x: images ``(N, H, W, C)``.
        pairs: ``(i, j)`` indices into ``x`` (see :func:`choose_pairs`).
        steps: interpolation points including the ends.
        method: ``"linear"`` or ``"spherical"`` for the latent row.
        titles: one title per pair (default ``"i → j"``).

    Returns:
        One dict per pair: ``{"pair", "title", "latent", "pixel"}``, the last two
        arrays of ``steps + 2`` images.

    Raises:
        ValueError: an index out of range.
    """
    x = np.asarray(x, dtype=np.float32)
    out = []
    for k, (i, j) in enumerate(pairs):
        if not (0 <= i < len(x) and 0 <= j < len(x)):
            raise ValueError(f"pair {(i, j)} out of range for {len(x)} images")
        latent_row = interpolate(model, x[i], x[j], steps=steps, method=method)
        pixel_row = pixel_interpolation(x[i], x[j], steps)
        out.append(
            {
                "pair": (int(i), int(j)),
                "title": titles[k] if titles else f"{i} → {j}",
                "latent": np.concatenate([x[i : i + 1], latent_row, x[j : j + 1]]),
                "pixel": np.concatenate([x[i : i + 1], pixel_row, x[j : j + 1]]),
            }
        )
    return out


# ---------------------------------------------------------------------------
# Latent grids
# ---------------------------------------------------------------------------


def grid_coordinates(n: int = 20, limits: tuple[float, float] | None = None) -> np.ndarray:
    """Coordinates of an ``n`` x ``n`` grid on a 2-D latent plane.

    Args:
        n: points per side.
        limits: ``(low, high)`` for both axes; ``None`` spaces the points at
            equal probability under the N(0, 1) prior, from its 5% to 95%
            quantile (as Kingma and Welling's figures do).

    Returns:
        ``(n, n, 2)``: ``[row, col] = (x, y)`` with ``x`` growing to the right and
        ``y`` growing upwards (row 0 is the top), matching a scatter plot.

    Raises:
        ValueError: ``n < 2`` or ``low >= high``.
    """

    if n < 2:
        raise ValueError(f"a grid needs n >= 2, got {n}")
    if limits is None:
        ticks = norm.ppf(np.linspace(0.05, 0.95, n))
    else:
        lo, hi = float(limits[0]), float(limits[1])
        if not lo < hi:
            raise ValueError(f"limits must be (low, high) with low < high, got {limits}")
        ticks = np.linspace(lo, hi, n)
    xs, ys = np.meshgrid(ticks, ticks[::-1])
    return np.stack([xs, ys], axis=-1).astype(np.float32)


def code_limits(z, *, quantile: float = 0.01, dims: tuple[int, int] = (0, 1)) -> tuple[float, float]:
    """Grid limits that cover the encoded data: the ``quantile`` and ``1 - quantile`` points of both coordinates.

    A trained VAE's codes rarely fill exactly the prior's 5-95 % box; a grid over
    this range shows every region the scatter shows.

    Args:
        z: codes ``(N, d)``.
        quantile: fraction of codes left outside on each side and axis.
        dims: the two coordinates of the plane.

    Returns:
        ``(low, high)`` for :func:`latent_grid`.

    Raises:
        ValueError: codes that are not ``(N, d >= 2)`` or a quantile outside [0, 0.5).

    Example:
    >>> code_limits(np.array([[0.0, -3.0], [1.0, 2.0]]), quantile=0.0)
    (-3.0, 2.0)
    """
    z = np.asarray(z, dtype=np.float64)
    if z.ndim != 2 or z.shape[1] < 2 or len(z) == 0:
        raise ValueError(f"codes must have shape (N, d>=2), got {z.shape}")
    if not 0.0 <= quantile < 0.5:
        raise ValueError(f"quantile must be in [0, 0.5), got {quantile}")
    plane = z[:, list(dims)]
    lo, hi = float(np.quantile(plane, quantile)), float(np.quantile(plane, 1.0 - quantile))
    if hi <= lo:
        lo, hi = lo - 1.0, hi + 1.0
    return lo, hi


def latent_grid(
    model,
    *,
    n: int = 20,
    limits: tuple[float, float] | None = None,
    dims: tuple[int, int] = (0, 1),
    center=None,
    batch_size: int = 256,
) -> tuple[np.ndarray, np.ndarray]:
    """Decode an ``n`` x ``n`` grid over a 2-D plane of the latent space.

    For a latent of more than two dimensions the plane is spanned by ``dims``
    and the other coordinates stay at ``center`` (default: zeros, the prior mean).

    Args:
        model: a VAE, an autoencoder with a ``decoder`` or a decoder, whose
            codes are flat vectors.
        n: images per side.
        limits: see :func:`grid_coordinates`.
        dims: the two latent coordinates that vary.
        center: a full code the grid passes through.
        batch_size: prediction batch size.

    Returns:
        ``(images, coords)``: ``(n, n, H, W, C)`` and ``(n, n, 2)``.

    Raises:
        ValueError: a latent of fewer than two dimensions, or bad ``dims``/``center``.
    """
    decoder = decoder_of(model)
    shape = tuple(decoder.input_shape[1:])
    if len(shape) != 1 or shape[0] < 2:
        raise ValueError(f"a latent grid needs a flat code of at least 2 dimensions, got {shape}")
    d = shape[0]
    if len(dims) != 2 or dims[0] == dims[1] or not all(0 <= k < d for k in dims):
        raise ValueError(f"dims must be two different coordinates in 0..{d - 1}, got {dims}")
    coords = grid_coordinates(n, limits)
    base = np.zeros(d, np.float32) if center is None else np.asarray(center, np.float32)
    if base.shape != (d,):
        raise ValueError(f"center must have shape ({d},), got {base.shape}")
    z = np.tile(base, (n * n, 1))
    z[:, dims[0]] = coords[..., 0].ravel()
    z[:, dims[1]] = coords[..., 1].ravel()
    images = decode(decoder, z, batch_size=batch_size)
    return images.reshape((n, n) + images.shape[1:]), coords


# ---------------------------------------------------------------------------
# Held-out ELBO
# ---------------------------------------------------------------------------


def evaluate_elbo(vae, x, *, samples: int = 1, batch_size: int = 256, seed: int = 0) -> dict[str, np.ndarray]:
    """Per-image terms of a VAE's negative ELBO, averaged over ``samples`` draws of ``z``.

    The noise comes from a NumPy generator seeded with ``seed``, so the
    estimate is reproducible and does not move the model's own sampler.

    Args:
        vae: a :class:`~aeutils.models.VAE`.
        x: images ``(N, H, W, C)`` in [0, 1].
        samples: draws of ``z`` per image (1 is the usual single-sample estimate).
        batch_size: images per batch.
        seed: noise seed.

    Returns:
        ``{"reconstruction", "kl", "loss", "negative_elbo"}``, arrays ``(N,)`` in
        nats: ``loss = reconstruction + beta * kl`` (the training objective) and
        ``negative_elbo = reconstruction + kl`` (β = 1, the bound on ``-log p(x)``).

    Raises:
        ValueError: not a VAE, wrong shapes, values outside [0, 1] or ``samples < 1``.
    """
    if not _is_vae(vae):
        raise ValueError(f"evaluate_elbo needs an aeutils.models.VAE, got {type(vae).__name__}")
    if samples < 1:
        raise ValueError(f"samples must be >= 1, got {samples}")
    x = _check_images(x, vae.encoder.input_shape)
    _check_unit_range(x)
    rng = np.random.default_rng(seed)
    recon = np.zeros(len(x), np.float64)
    kl = np.zeros(len(x), np.float64)
    for start in range(0, len(x), batch_size):
        xb = x[start : start + batch_size]
        z_mean, z_log_var = (np.asarray(t) for t in vae.encoder(xb, training=False)[:2])
        kl[start : start + len(xb)] = np.asarray(vae.kl_divergence(z_mean, z_log_var))
        for _ in range(samples):
            z = z_mean + np.exp(0.5 * z_log_var) * rng.standard_normal(z_mean.shape).astype(np.float32)
            x_hat = vae.decoder(z, training=False)
            recon[start : start + len(xb)] += np.asarray(vae.reconstruction_nll(xb, x_hat)) / samples
    return {
        "reconstruction": recon,
        "kl": kl,
        "loss": recon + vae.beta * kl,
        "negative_elbo": recon + kl,
    }


# ---------------------------------------------------------------------------
# Reading decoded images, and how codes gather
# ---------------------------------------------------------------------------


def fit_pixel_reader(images, labels, *, C: float = 0.05, max_iter: int = 100, seed: int = 0) -> LogisticRegression:
    """A classifier that reads images from their pixels: multinomial logistic regression.

    Trained on the *training* images and their labels, it reads what a decoder
    draws (grid cells, strip frames) instead of a reader's eye.

    Args:
        images: ``(N, ...)`` images in [0, 1].
        labels: ``(N,)`` integer labels.
        C: inverse L2 strength (small: smooth weights that read blurry decodes well).
        max_iter: L-BFGS iterations (convergence warnings are silenced: a reader need not be optimal).
        seed: solver seed.

    Returns:
        A fitted scikit-learn ``LogisticRegression`` on flattened pixels.

    Raises:
        ValueError: images and labels of different lengths, or fewer than two labels.
    """
    x = np.asarray(images, dtype=np.float32).reshape(len(images), -1)
    y = np.asarray(labels)
    if len(x) != len(y):
        raise ValueError(f"{len(x)} images but {len(y)} labels")
    if len(np.unique(y)) < 2:
        raise ValueError("a reader needs at least two labels")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return LogisticRegression(C=C, max_iter=max_iter, tol=1e-3, random_state=seed).fit(x, y)


def read_images(reader, images) -> tuple[np.ndarray, np.ndarray]:
    """Labels a pixel reader (:func:`fit_pixel_reader`) gives images, and its confidence.

    Args:
        reader: a fitted classifier with ``predict_proba`` and ``classes_``.
        images: ``(N, ...)`` images (any leading grid shape is flattened first: ``(n, n, H, W, C)`` works).

    Returns:
        ``(labels, confidence)``: arrays ``(N,)``, the most probable label and its probability.
    """
    x = np.asarray(images, dtype=np.float32)
    n_features = int(np.prod(reader.coef_.shape[1:]))
    x = x.reshape(-1, n_features)
    proba = reader.predict_proba(x)
    best = proba.argmax(axis=1)
    return np.asarray(reader.classes_)[best], proba[np.arange(len(x)), best]


def strip_endpoints(reader, strips: Sequence[dict], starts, ends) -> list[dict]:
    """Whether each latent strip's first and last decoded frame read as its start and end labels.

    The decoded frames at ``t = 0`` and ``t = 1`` are the reconstructions of the
    two end images (:func:`interpolation_strips` puts the originals around them).

    Args:
        reader: see :func:`read_images`.
        strips: :func:`interpolation_strips` output.
        starts, ends: the label of each strip's start and end image.

    Returns:
        One dict per strip: ``title``, ``start``, ``end``, ``read_start``,
        ``read_end``, ``read_path`` (every decoded frame's reading) and ``holds``
        (both ends read right).

    Raises:
        ValueError: ``starts``/``ends`` not one per strip.
    """
    if not (len(starts) == len(ends) == len(strips)):
        raise ValueError(f"{len(strips)} strips need as many start and end labels, got {len(starts)} and {len(ends)}")
    rows = []
    for strip, a, b in zip(strips, starts, ends):
        decoded = np.asarray(strip["latent"])[1:-1]
        read, _ = read_images(reader, decoded)
        rows.append(
            {
                "title": strip["title"],
                "start": int(a),
                "end": int(b),
                "read_start": int(read[0]),
                "read_end": int(read[-1]),
                "read_path": [int(r) for r in read],
                "holds": bool(read[0] == a and read[-1] == b),
            }
        )
    return rows


def nearest_neighbour_hits(z_reference, labels_reference, z_query, labels_query) -> np.ndarray:
    """1 where a query code's nearest reference code (Euclidean) has the query's label, else 0.

    Example:
    >>> ref, query = [[0.0, 0.0], [5.0, 5.0]], [[0.5, 0.0], [4.0, 5.0], [1.0, 1.0]]
    >>> nearest_neighbour_hits(ref, [0, 1], query, [0, 1, 1]).tolist()
    [1.0, 1.0, 0.0]
    """
    ref = np.asarray(z_reference, dtype=np.float64)
    qry = np.asarray(z_query, dtype=np.float64)
    lab_ref, lab_qry = np.asarray(labels_reference), np.asarray(labels_query)
    if len(ref) != len(lab_ref) or len(qry) != len(lab_qry) or len(ref) == 0:
        raise ValueError("codes and labels must match in length, with at least one reference code")
    d = ((qry[:, None, :] - ref[None, :, :]) ** 2).sum(axis=-1)
    return (lab_ref[d.argmin(axis=1)] == lab_qry).astype(np.float64)


def chance_accuracy(labels_reference, labels_query) -> float:
    """Accuracy of guessing labels at random with the reference labels' frequencies.

    ``sum_k p_ref(k) * p_query(k)``: what a nearest-neighbour rule scores when the
    codes carry no information about the label.

    Example:
    >>> chance_accuracy([0, 0, 1, 1], [0, 1])
    0.5
    """
    ref, qry = np.asarray(labels_reference), np.asarray(labels_query)
    labels = np.union1d(ref, qry)
    p_ref = np.array([(ref == k).mean() for k in labels])
    p_qry = np.array([(qry == k).mean() for k in labels])
    return float((p_ref * p_qry).sum())



def explorer(vae, images, labels=None, **options):
    """An ipywidgets widget for JupyterLab: sliders move a point over the latent plane (two chosen
    coordinates for larger codes), showing the decoded image beside the nearest encoded images.

    Options and details: :func:`aeutils.latent_explorer.explorer`.
    """
    from aeutils.latent_explorer import explorer as build  # ipywidgets: only for the explorer

    return build(vae, images, labels, **options)
