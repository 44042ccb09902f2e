"""Dataset comparison by cross-reconstruction (source report 1): do two image sets share one structure?

The protocol, for two image sets A and B of the same kind of object:

1. Each set is split at random (seeded) into training and held-out images.
   Autoencoder A is trained on A's training images, autoencoder B on B's
   (step 1); a merged autoencoder on both (step 2). All three have the same
   architecture and training budget. Large photos are reduced first
   (grayscale, resize) and fed to the models as equal patches; a patch-wise
   reconstruction is stitched back and scored per image.
2. Every held-out image is reconstructed by every model (step 3, the cross
   reconstructions ``L(a, g_B(f_B(a)))`` and ``L(b, g_A(f_A(b)))``). Only
   held-out images are ever scored. The loss is the per-image MSE on [0, 1].
3. The decision is a family of four two-sample tests on held-out images:

   * *model A*: A's held-out errors under model A (within) against B's
     held-out errors under model A (cross), Mann-Whitney, two-sided;
   * *model B*: the same with the roles swapped;
   * *preference*: ``d = log L_B(x) - log L_A(x)`` (how much better model A
     fits an image than model B) for A's held-out images against B's,
     Mann-Whitney, one-sided (A's images prefer model A more);
   * *codes*: the held-out images' codes under both trained encoders
     (``f_A(x)`` and ``f_B(x)`` side by side), A's against B's, MMD with a
     permutation p-value (the trained-autoencoder embedding test of "Failing
     Loudly"). It catches shifts that both models reconstruct equally well but
     encode differently, such as new viewpoints of the same objects.

   If A and B come from one distribution, the held-out images of both sets are
   exchangeable given the trained models (neither model saw them), so each
   test's null distribution is the Mann-Whitney permutation distribution
   (scipy uses its exact form for small samples, the normal approximation
   otherwise) whatever the models learned, and Holm's correction keeps the family at
   level ``alpha`` whatever their dependence. The preference test needs no
   assumption about which model trained better: a uniformly worse model shifts
   ``d`` for all images alike; the codes test permutes images, not models.
   The unit is the image, never the patch: patches
   of one image are not independent.

The verdict ("same" / "different") comes with its Holm-adjusted p-value and
effect sizes (cross/within error ratios per direction, AUCs), and with a null
control: two random halves of one set put through the same protocol, which
must come out "same". Groups (e.g. viewing angle) get the same tests per
group, Holm-adjusted across groups.

The baseline two-sample tests of Rabanser et al., "Failing Loudly" (NeurIPS
2019) — MMD with a Gaussian kernel and per-feature Kolmogorov-Smirnov with
Bonferroni, on a PCA or untrained-encoder embedding — are here too, for the
benchmark in ``benchmarks/compare_power.py``.

``python -m aeutils compare A B`` runs the protocol from the command line.
"""

from __future__ import annotations

import dataclasses
import json
import math
import re
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import numpy as np

from aeutils import data as D

ERROR_KEYS = ("A_by_A", "A_by_B", "A_by_merged", "B_by_B", "B_by_A", "B_by_merged")
#: At least this many held-out images per set (a two-sided Mann-Whitney test on
#: 3 against 3 cannot go below p = 0.1; 3 is the floor for any result at all).
MIN_HELDOUT = 3
MIN_TRAIN = 2
#: Images whose side is at most this are fed whole when ``patch`` is not given.
AUTO_PATCH_ABOVE = 64
_EPS = 1e-12


# ---------------------------------------------------------------------------
# Preparing the two sets
# ---------------------------------------------------------------------------


@dataclasses.dataclass
class PreparedSet:
    """One image set, preprocessed, with per-image group labels and names.

    Attributes:
        name: short name (folder or file stem, or the embedded set's name).
        source: one line saying where the pixels came from.
        images: float32 ``(N, H, W, C)`` in [0, 1].
        groups: ``(N,)`` array of group names (str), or ``None``.
        ids: one name per image (file path, or ``"#i"``).
    """

    name: str
    source: str
    images: np.ndarray
    groups: np.ndarray | None = None
    ids: list[str] | None = None

    def __post_init__(self):
        self.images = np.asarray(self.images, dtype=np.float32)
        if self.images.ndim != 4:
            raise D.DataError(f"set {self.name!r}: images must be (N, H, W, C), got {self.images.shape}")
        if self.ids is None:
            self.ids = [f"#{i}" for i in range(len(self.images))]
        if self.groups is not None:
            self.groups = np.asarray(self.groups).astype(str)
            if len(self.groups) != len(self.images):
                raise D.DataError(f"set {self.name!r}: {len(self.groups)} group labels for {len(self.images)} images")

    def __len__(self) -> int:
        return len(self.images)

    def take(self, index) -> PreparedSet:
        """The subset at ``index`` (an int array)."""
        index = np.asarray(index, dtype=np.int64)
        return PreparedSet(
            name=self.name,
            source=self.source,
            images=self.images[index],
            groups=None if self.groups is None else self.groups[index],
            ids=[self.ids[i] for i in index],
        )


def image_groups(data: D.ImageSet, spec: str | None = "auto", *, npz_path: str | None = None):
    """Per-image group labels (e.g. viewing angle) of an :class:`~aeutils.data.ImageSet`.

    Args:
        data: the loaded set (before any subsetting).
        spec: ``"auto"`` (sub-folder names of an image folder, or the label
            names of a set that has them), ``"folder"`` (sub-folder names,
            required), ``"labels"`` (the set's labels), ``"key:NAME"`` (array
            ``NAME`` of the ``.npz`` file), ``"re:PATTERN"`` (a regular
            expression searched in each file path; its first group, or the
            whole match, is the label), or ``None``/``"none"``.
        npz_path: the ``.npz`` file, for ``key:NAME``.

    Returns:
        ``(N,)`` array of str, or ``None`` when there are no groups.

    Raises:
        DataError: an unknown spec, a missing key, a pattern that does not match
            every file, or labels that the set does not have.

    Example:
    >>> s = D.ImageSet(np.zeros((2, 4, 4, 1), np.float32), paths=["x/a_left.png", "x/b_right.png"])
    >>> image_groups(s, r"re:_(left|right)\\.").tolist()
    ['left', 'right']
    """
    if spec is None or spec in ("", "none"):
        return None
    if spec == "auto":
        if data.labels is not None and data.label_names and len(data.label_names) <= 50:
            return np.array([data.label_names[int(k)] for k in data.labels])
        return None
    if spec in ("folder", "labels"):
        if data.labels is None:
            what = "sub-folders (one per group)" if spec == "folder" else "labels"
            raise D.DataError(f"set {data.name!r} has no {what} to group by")
        names = data.label_names
        return np.array([names[int(k)] if names else str(int(k)) for k in data.labels])
    if spec.startswith("key:"):
        key = spec[4:]
        if not npz_path:
            raise D.DataError(f"groups {spec!r} needs a .npz source, set {data.name!r} is not one")
        with np.load(npz_path, allow_pickle=False) as z:
            if key not in z.files:
                raise D.DataError(f"{npz_path} has no array {key!r} (keys: {sorted(z.files)})")
            values = np.asarray(z[key]).ravel()
        if len(values) != len(data):
            raise D.DataError(f"{npz_path}: {key!r} has {len(values)} entries for {len(data)} images")
        return values.astype(str)
    if spec.startswith("re:"):
        if not data.paths:
            raise D.DataError(f"groups {spec!r} need file names; set {data.name!r} is not an image folder")
        try:
            pattern = re.compile(spec[3:])
        except re.error as err:
            raise D.DataError(f"bad group pattern {spec[3:]!r}: {err}") from err
        out, missing = [], []
        for p in data.paths:
            m = pattern.search(Path(p).as_posix())
            if m is None:
                missing.append(p)
            else:
                out.append(m.group(1) if pattern.groups else m.group(0))
        if missing:
            raise D.DataError(
                f"group pattern {spec[3:]!r} matches no part of {len(missing)} file name(s), e.g. {missing[:3]}"
            )
        return np.array(out)
    raise D.DataError(f"unknown group spec {spec!r}; use auto, folder, labels, key:NAME, re:PATTERN or none")


def _npz_path(source: str) -> str | None:
    if source.startswith("npz:"):
        return source[4:]
    return source if source.endswith(".npz") else None


def check_source(source: str) -> str:
    """Fail early, with a clear message, on a source path that does not exist; return it resolved.

    ``embedded:``/``tfds:`` names pass unchanged; anything else must be an
    existing ``.npz`` file or folder (a bare unknown word would otherwise be
    tried as a TensorFlow Datasets name). Relative paths are resolved with
    :func:`aeutils.data.resolve_path` (the working directory, then the
    directory the command was started from).

    Returns:
        ``"npz:PATH"`` or ``"folder:PATH"`` with the resolved path, or the
        ``embedded:``/``tfds:`` name.

    Raises:
        DataError: a missing file or folder, or an empty folder.
    """
    if not isinstance(source, str) or not source.strip():
        raise D.DataError("an image set must be a folder, a .npz file or an embedded:NAME set")
    if source.startswith(("embedded:", "tfds:")):
        return source
    raw = source[4:] if source.startswith("npz:") else source.removeprefix("folder:")
    path = D.resolve_path(raw)
    if not path.exists():
        raise D.DataError(f"no such folder or .npz file: {raw}")
    if path.is_dir():
        if not any(p.is_file() for p in path.rglob("*")):
            raise D.DataError(f"folder {raw} is empty")
        return f"folder:{path}"
    if path.suffix.lower() != ".npz":
        raise D.DataError(f"{raw} is a file; give a folder of images or a .npz file")
    return f"npz:{path}"


def prepare_set(
    source,
    *,
    size: int | None = None,
    grayscale: bool = False,
    limit: int | None = None,
    groups: str | None = "auto",
    seed: int = 0,
    name: str | None = None,
) -> PreparedSet:
    """Load and preprocess one image set for :func:`compare`.

    Args:
        source: anything :func:`aeutils.data.load` reads (folder, ``.npz``,
            ``embedded:NAME``), an :class:`~aeutils.data.ImageSet`, an array
            ``(N, H, W, C)`` in [0, 1], or a :class:`PreparedSet` (returned as is).
        size: resize every image to ``size`` x ``size`` px (large photos).
        grayscale: convert to one channel.
        limit: keep at most this many images (a seeded random subset, order kept).
        groups: group spec, see :func:`image_groups`.
        seed: seed of ``limit``.
        name: display name (default: the set's own).

    Returns:
        A :class:`PreparedSet`.

    Raises:
        DataError: anything the data layer refuses (missing or empty folder,
            unreadable files, mixed channel counts ...), or a bad group spec.
    """
    if isinstance(source, PreparedSet):
        return source
    npz = None
    if isinstance(source, str):
        source = check_source(source)
        npz = _npz_path(source)
        data = D.load(source, size=size, grayscale=grayscale)
    elif isinstance(source, D.ImageSet):
        data = source
        if size:
            data = data.with_images(D.resize(data.images, size))
        if grayscale:
            data = data.with_images(D.to_grayscale(data.images))
    else:
        arr = D.to_unit_range(np.asarray(source))
        data = D.ImageSet(images=D._as_nhwc(arr, "array"), name=name or "array", source="in-memory array")
        if size:
            data = data.with_images(D.resize(data.images, size))
        if grayscale:
            data = data.with_images(D.to_grayscale(data.images))
    if len(data) == 0:
        raise D.DataError(f"set {data.name!r} holds no images")
    labels = image_groups(data, groups, npz_path=npz)
    ids = list(data.paths) if data.paths else [f"#{i}" for i in range(len(data))]
    out = PreparedSet(name=name or data.name, source=data.source, images=data.images, groups=labels, ids=ids)
    if limit and limit < len(out):
        keep = np.sort(np.random.default_rng(seed).choice(len(out), size=limit, replace=False))
        out = out.take(keep)
        out.source += f"; {limit} images chosen at random (seed {seed})"
    return out


def resolve_patch(a: PreparedSet, b: PreparedSet, patch: int | None, stride: int | None):
    """The patch side and stride to use: ``patch=None`` means whole images up to 64 px, else 32 px patches.

    Returns:
        ``(patch, stride)``; ``patch = 0`` feeds whole images.
    """
    if patch is None:
        side = max(a.images.shape[1], a.images.shape[2], b.images.shape[1], b.images.shape[2])
        patch = 32 if side > AUTO_PATCH_ABOVE else 0
        stride = stride or (16 if patch else None)
    if patch and not stride:
        stride = patch
    return int(patch), (int(stride) if patch else None)


def check_pair(
    a: PreparedSet,
    b: PreparedSet,
    *,
    patch: int,
    stride: int | None,
    heldout: float,
    filters: Sequence[int],
) -> None:
    """Refuse, naming the problem, two sets the protocol cannot compare.

    Raises:
        DataError: different channel counts, different image sizes when whole
            images are fed, images smaller than a patch, a patch or image side
            the model's downsampling cannot halve cleanly, or a set too small to
            split into training and held-out images.
        ValueError: ``heldout`` outside (0, 1).
    """
    if not 0.0 < heldout < 1.0:
        raise ValueError(f"heldout must be a fraction in (0, 1), got {heldout}")
    ca, cb = a.images.shape[-1], b.images.shape[-1]
    if ca != cb:
        raise D.DataError(
            f"set A ({a.name}) has {ca} channel(s) and set B ({b.name}) {cb}: "
            "convert both with grayscale (--grayscale) or use sets of one kind"
        )
    step = 2 ** len(filters)
    if patch:
        if stride is None or stride <= 0 or patch <= 0:
            raise D.DataError(f"patch ({patch}) and stride ({stride}) must be positive")
        if patch % step:
            raise D.DataError(
                f"patch side {patch} must be a multiple of {step} (the model halves it {len(filters)} times)"
            )
        for s in (a, b):
            h, w = s.images.shape[1:3]
            if h < patch or w < patch:
                raise D.DataError(f"images of set {s.name!r} ({h}x{w}) are smaller than a {patch}px patch")
    else:
        if a.images.shape[1:3] != b.images.shape[1:3]:
            raise D.DataError(
                f"set A images are {a.images.shape[1]}x{a.images.shape[2]}, set B images "
                f"{b.images.shape[1]}x{b.images.shape[2]}: resize both (--size) or use patches (--patch)"
            )
        h, w = a.images.shape[1:3]
        if h % step or w % step:
            raise D.DataError(
                f"whole {h}x{w} images cannot be halved {len(filters)} times: "
                f"resize to a multiple of {step} (--size) or use patches (--patch)"
            )
    for label, s in (("A", a), ("B", b)):
        n_held = int(math.floor(heldout * len(s)))
        if n_held < MIN_HELDOUT or len(s) - n_held < MIN_TRAIN:
            need = max(math.ceil(MIN_HELDOUT / heldout), MIN_HELDOUT + MIN_TRAIN)
            raise D.DataError(
                f"set {label} ({s.name}) has {len(s)} image(s): too few to split into training and "
                f"held-out images (with heldout={heldout} it needs at least {need})"
            )


def split_heldout(n: int, heldout: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Seeded random split of ``range(n)`` into ``(train, heldout)`` index arrays (sorted, disjoint).

    Raises:
        DataError: fewer than :data:`MIN_HELDOUT` held-out or :data:`MIN_TRAIN` training images.

    Example:
    >>> tr, te = split_heldout(10, 0.3, seed=0)
    >>> len(tr), len(te), set(tr) & set(te)
    (7, 3, set())
    """
    n_held = int(math.floor(heldout * n))
    if n_held < MIN_HELDOUT or n - n_held < MIN_TRAIN:
        raise D.DataError(f"{n} images are too few to hold out {heldout:.0%} (need {MIN_HELDOUT} held out)")
    perm = np.random.default_rng(seed).permutation(n)
    return np.sort(perm[n_held:]), np.sort(perm[:n_held])


# ---------------------------------------------------------------------------
# Model, patches, per-image errors
# ---------------------------------------------------------------------------


def parse_filters(filters) -> tuple[int, ...]:
    """``"16,32"`` or ``(16, 32)`` → ``(16, 32)``.

    Raises:
        ValueError: empty, non-integer or non-positive entries.
    """
    if isinstance(filters, str):
        parts = [p for p in filters.replace(" ", "").split(",") if p]
        try:
            filters = [int(p) for p in parts]
        except ValueError as err:
            raise ValueError(f"filters must be comma-separated integers, got {filters!r}") from err
    filters = tuple(int(f) for f in filters)
    if not filters or min(filters) <= 0:
        raise ValueError(f"filters must be positive channel counts, got {filters}")
    return filters


def build_compare_autoencoder(
    *,
    input_shape: Sequence[int],
    filters: Sequence[int] = (16, 32),
    code_channels: int = 4,
    name: str = "autoencoder",
):
    """The small convolutional autoencoder used for all three models of a comparison.

    Each of ``filters`` is a 3x3 convolution with stride 2 (halving the side);
    a 3x3 convolution to ``code_channels`` makes the code (a bottleneck, so that
    a model cannot simply copy any input); the decoder mirrors the encoder with
    stride-2 transposed convolutions and ends in a sigmoid (images in [0, 1]).

    Args:
        input_shape: ``(H, W, C)`` of a patch (or a whole image).
        filters: channels of the downsampling stages.
        code_channels: channels of the code; the code holds
            ``(H / 2**len(filters)) * (W / 2**len(filters)) * code_channels`` values.
        name: model name (the encoder and decoder are ``{name}_encoder``/``_decoder``).

    Returns:
        A ``keras.Model`` named ``name``.

    Raises:
        ValueError: a side that is not a multiple of ``2 ** len(filters)``.
    """
    from aeutils.models import build_autoencoder, build_decoder, build_encoder

    filters = parse_filters(filters)
    step = 2 ** len(filters)
    if input_shape[0] % step or input_shape[1] % step:
        raise ValueError(f"input side {tuple(input_shape[:2])} must be a multiple of {step}")
    encoder = build_encoder(
        input_shape=tuple(input_shape),
        filters=(*filters, int(code_channels)),
        downsample="stride",
        downsamples=len(filters),
        name=f"{name}_encoder",
    )
    decoder = build_decoder(
        latent_shape=encoder.output_shape[1:],
        filters=tuple(reversed(filters)),
        output_channels=int(input_shape[-1]),
        upsample="transpose",
        output_activation="sigmoid",
        name=f"{name}_decoder",
    )
    return build_autoencoder(encoder, decoder, name=name)


def to_patches(images: np.ndarray, patch: int, stride: int | None = None):
    """Cut images into model inputs: equal patches, or the whole images when ``patch`` is 0.

    Returns:
        ``(inputs, index)`` as :func:`aeutils.data.extract_patches`; for whole
        images the index rows are ``(i, 0, 0)``.

    Example:
    >>> x, idx = to_patches(np.zeros((2, 8, 8, 1)), 0)
    >>> x.shape, idx[:, 0].tolist()
    ((2, 8, 8, 1), [0, 1])
    """
    images = np.asarray(images, dtype=np.float32)
    if not patch:
        return images, np.stack([np.arange(len(images)), np.zeros(len(images), int), np.zeros(len(images), int)], 1)
    return D.extract_patches(images, patch, stride)


def reconstruct(
    model, images, *, patch: int = 0, stride: int | None = None, batch_size: int = 256, chunk: int = 128
) -> np.ndarray:
    """Reconstruct whole images with a model, patch by patch, stitched back (overlaps averaged).

    Args:
        model: an autoencoder on ``patch`` x ``patch`` inputs (or whole images).
        images: ``(N, H, W, C)`` in [0, 1].
        patch, stride: the tiling (``patch=0``: whole images).
        batch_size: prediction batch.
        chunk: images cut and stitched at a time (bounds memory).

    Returns:
        ``(N, H, W, C)`` reconstructions.
    """
    from keras import ops

    images = np.asarray(images, dtype=np.float32)
    out = np.empty_like(images)
    for s in range(0, len(images), chunk):
        x = images[s : s + chunk]
        inputs, index = to_patches(x, patch, stride)
        # Direct calls, not model.predict: predict retraces a tf.function for
        # every new model and batch shape, which is slow and noisy here.
        recon = np.concatenate(
            [
                ops.convert_to_numpy(model(inputs[i : i + batch_size], training=False))
                for i in range(0, len(inputs), batch_size)
            ]
        )
        out[s : s + len(x)] = recon if not patch else D.stitch_patches(recon, index, x.shape[1:3])
    return out


def image_errors(model, images, *, patch: int = 0, stride: int | None = None, batch_size: int = 256) -> np.ndarray:
    """Per-image MSE on [0, 1] of the (stitched) reconstruction, shape ``(N,)``."""
    from aeutils.metrics import mse_per_image

    return mse_per_image(images, reconstruct(model, images, patch=patch, stride=stride, batch_size=batch_size))


def image_codes(model, images, *, patch: int = 0, stride: int | None = None, batch_size: int = 256) -> np.ndarray:
    """Per-image codes of an autoencoder's encoder, flattened, shape ``(N, D)``.

    With patches, an image's code is the mean of its patches' codes (so ``D`` is
    one patch code's size whatever the image size).

    Raises:
        ValueError: a model without a ``{name}_encoder`` layer (see :func:`build_compare_autoencoder`).
    """
    from keras import ops

    try:
        encoder = model.get_layer(f"{model.name}_encoder")
    except ValueError as err:
        raise ValueError(f"model {model.name!r} has no layer {model.name}_encoder") from err
    inputs, index = to_patches(np.asarray(images, dtype=np.float32), patch, stride)
    codes = np.concatenate(
        [
            ops.convert_to_numpy(encoder(inputs[i : i + batch_size], training=False)).reshape(
                len(inputs[i : i + batch_size]), -1
            )
            for i in range(0, len(inputs), batch_size)
        ]
    ).astype(np.float64)
    n = len(images)
    sums = np.zeros((n, codes.shape[1]))
    np.add.at(sums, index[:, 0], codes)
    counts = np.bincount(index[:, 0], minlength=n)[:, None]
    return sums / np.maximum(counts, 1)


def heldout_codes(
    models: Mapping, held: Mapping[str, np.ndarray], *, patch: int = 0, stride: int | None = None
) -> dict:
    """The codes test's features: every held-out image's codes under models A and B, side by side.

    Each model's block is divided by its root-mean-square over the pooled
    held-out images of both sets, so neither encoder's scale dominates the
    kernel; a function of the pooled sample, this keeps the permutation test exact.

    Returns:
        ``{"A": (n_A, D_A + D_B), "B": (n_B, D_A + D_B)}``.
    """
    blocks = {"A": [], "B": []}
    for m in ("A", "B"):
        c = {x: image_codes(models[m], held[x], patch=patch, stride=stride) for x in ("A", "B")}
        rms = float(np.sqrt(np.mean(np.concatenate([c["A"], c["B"]]) ** 2)))
        for x in ("A", "B"):
            blocks[x].append(c[x] / max(rms, _EPS))
    return {x: np.concatenate(blocks[x], axis=1) for x in ("A", "B")}


# ---------------------------------------------------------------------------
# Statistics: two-sample tests, Holm, outliers; the baselines
# ---------------------------------------------------------------------------


def mann_whitney(x, y, *, alternative: str = "two-sided") -> dict:
    """Mann-Whitney U test of ``x`` against ``y`` with its common-language effect size.

    Args:
        x, y: samples (1-D).
        alternative: ``"two-sided"``, ``"greater"`` (x tends to be larger) or ``"less"``.

    Returns:
        ``{"statistic": U of x, "p_value", "auc": P(X > Y) + P(X = Y) / 2, "n_x", "n_y"}``.

    Raises:
        ValueError: an empty sample.

    Example:
    >>> r = mann_whitney([5, 6, 7, 8], [1, 2, 3, 4], alternative="greater")
    >>> r["auc"], round(r["p_value"], 4)
    (1.0, 0.0143)
    """
    from scipy.stats import mannwhitneyu

    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    if len(x) == 0 or len(y) == 0:
        raise ValueError(f"mann_whitney needs two non-empty samples, got {len(x)} and {len(y)}")
    res = mannwhitneyu(x, y, alternative=alternative)
    return {
        "statistic": float(res.statistic),
        "p_value": float(res.pvalue),
        "auc": float(res.statistic) / (len(x) * len(y)),
        "n_x": len(x),
        "n_y": len(y),
    }


def holm(p_values) -> np.ndarray:
    """Holm's step-down adjustment of a family of p-values (valid under any dependence).

    Example:
    >>> holm([0.01, 0.04, 0.03]).tolist()
    [0.03, 0.06, 0.06]
    """
    p = np.asarray(p_values, dtype=np.float64)
    m = len(p)
    order = np.argsort(p)
    adj = np.empty(m)
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p[i]))
        adj[i] = running
    return adj


def decision_tests(
    errors: Mapping[str, np.ndarray],
    *,
    codes: Mapping[str, np.ndarray] | None = None,
    alpha: float = 0.05,
    n_permutations: int = 1000,
    seed: int = 0,
) -> dict:
    """The held-out tests (three on errors, a fourth on codes), Holm-adjusted, and the verdict with its effect sizes.

    Args:
        errors: held-out per-image errors with keys ``A_by_A``, ``B_by_A``,
            ``B_by_B``, ``A_by_B`` (``X_by_M`` = set X's held-out images
            reconstructed by model M).
        codes: optional held-out codes ``{"A": (n_A, D), "B": (n_B, D)}`` (see
            :func:`heldout_codes`); adds the *codes* test, an MMD permutation
            test of A's codes against B's.
        alpha: family-wise level.
        n_permutations, seed: the codes test's permutations.

    Returns:
        ``{"tests": [...], "p_value", "verdict", "alpha", "effect_ratio",
        "ratios": {...}}``. ``p_value`` is the smallest Holm-adjusted p-value
        (the family's p-value for "same"); ``effect_ratio`` is the geometric
        mean over both directions of the per-image cross/within error ratio
        (about 1 when the sets share one structure, above 1 when each model
        fits its own set better).

    Raises:
        ValueError: missing keys or empty samples.
    """
    missing = [k for k in ("A_by_A", "B_by_A", "B_by_B", "A_by_B") if k not in errors]
    if missing:
        raise ValueError(f"decision_tests needs errors {missing}")
    e = {k: np.maximum(np.asarray(v, dtype=np.float64), _EPS) for k, v in errors.items()}
    d_a = np.log(e["A_by_B"]) - np.log(e["A_by_A"])  # A's images: cross over within, log
    d_b = np.log(e["B_by_B"]) - np.log(e["B_by_A"])  # the same difference (model B over model A) for B's
    tests = [
        {
            "name": "model A: cross (B) vs within (A)",
            "key": "model_A",
            **mann_whitney(e["B_by_A"], e["A_by_A"], alternative="two-sided"),
        },
        {
            "name": "model B: cross (A) vs within (B)",
            "key": "model_B",
            **mann_whitney(e["A_by_B"], e["B_by_B"], alternative="two-sided"),
        },
        {
            "name": "preference: log(L_B/L_A), A's images vs B's",
            "key": "preference",
            **mann_whitney(d_a, d_b, alternative="greater"),
        },
    ]
    if codes is not None:
        mmd = mmd_test(codes["A"], codes["B"], n_permutations=n_permutations, seed=seed)
        tests.append(
            {
                "name": "codes: MMD of both encoders' codes, A vs B",
                "key": "codes",
                "statistic": mmd["statistic"],
                "p_value": mmd["p_value"],
                "auc": None,
                "n_x": len(codes["A"]),
                "n_y": len(codes["B"]),
            }
        )
    adjusted = holm([t["p_value"] for t in tests])
    for t, p in zip(tests, adjusted, strict=True):
        t["p_holm"] = float(p)
    p_value = float(adjusted.min())
    ratios = {
        "A_cross_over_within": float(np.exp(np.mean(d_a))),  # A's images: model B / model A
        "B_cross_over_within": float(np.exp(-np.mean(d_b))),  # B's images: model A / model B
        "A_mean_ratio": float(np.mean(e["A_by_B"]) / np.mean(e["A_by_A"])),
        "B_mean_ratio": float(np.mean(e["B_by_A"]) / np.mean(e["B_by_B"])),
    }
    effect = float(np.sqrt(ratios["A_cross_over_within"] * ratios["B_cross_over_within"]))
    return {
        "tests": tests,
        "p_value": p_value,
        "verdict": "different" if p_value < alpha else "same",
        "alpha": alpha,
        "effect_ratio": effect,
        "preference_auc": tests[2]["auc"],
        "ratios": ratios,
    }


def robust_outliers(errors, *, z: float = 3.5) -> np.ndarray:
    """Indices of errors far above the rest: robust z-score of the log error above ``z``.

    The z-score uses the median and the scaled median absolute deviation
    (``1.4826 * MAD``) of ``log(error)``, so a few bad images do not hide
    themselves by inflating the spread.

    Example:
    >>> robust_outliers([1.0, 1.1, 0.9, 1.05, 0.95, 30.0]).tolist()
    [5]
    """
    v = np.log(np.maximum(np.asarray(errors, dtype=np.float64), _EPS))
    if len(v) < 3:
        return np.zeros(0, dtype=np.int64)
    med = np.median(v)
    mad = 1.4826 * np.median(np.abs(v - med))
    if mad <= 0:
        return np.zeros(0, dtype=np.int64)
    return np.flatnonzero((v - med) / mad > z).astype(np.int64)


def mmd_test(x, y, *, n_permutations: int = 1000, seed: int = 0) -> dict:
    """Kernel two-sample test: unbiased MMD² with a Gaussian kernel, p-value by permutation.

    The bandwidth is the median pairwise distance of the pooled sample (the
    median heuristic), as in Rabanser et al., "Failing Loudly" (2019).

    Args:
        x, y: samples ``(n, d)`` and ``(m, d)`` (e.g. PCA codes).
        n_permutations: label permutations for the p-value.
        seed: permutation seed.

    Returns:
        ``{"statistic": MMD², "p_value"}``; ``p = (1 + #{perm >= obs}) / (1 + n_permutations)``.

    Raises:
        ValueError: samples of fewer than 2 points or of different dimension.
    """
    x = np.asarray(x, dtype=np.float64).reshape(len(x), -1)
    y = np.asarray(y, dtype=np.float64).reshape(len(y), -1)
    if len(x) < 2 or len(y) < 2 or x.shape[1] != y.shape[1]:
        raise ValueError(f"mmd_test needs two samples of >= 2 points in one dimension, got {x.shape}, {y.shape}")
    z = np.concatenate([x, y])
    sq = np.sum(z**2, 1)
    d2 = np.maximum(sq[:, None] + sq[None, :] - 2 * z @ z.T, 0.0)
    med = np.median(d2[np.triu_indices(len(z), 1)])
    k = np.exp(-d2 / max(med, _EPS))
    n = len(x)

    def stat(idx):
        a, b = idx[:n], idx[n:]
        kxx, kyy, kxy = k[np.ix_(a, a)], k[np.ix_(b, b)], k[np.ix_(a, b)]
        m1, m2 = len(a), len(b)
        return (
            (kxx.sum() - np.trace(kxx)) / (m1 * (m1 - 1))
            + (kyy.sum() - np.trace(kyy)) / (m2 * (m2 - 1))
            - 2 * kxy.mean()
        )

    idx = np.arange(len(z))
    obs = stat(idx)
    rng = np.random.default_rng(seed)
    count = sum(stat(rng.permutation(idx)) >= obs for _ in range(n_permutations))
    return {"statistic": float(obs), "p_value": float((1 + count) / (1 + n_permutations))}


def ks_test(x, y) -> dict:
    """Per-feature two-sample Kolmogorov-Smirnov tests combined with Bonferroni ("Failing Loudly").

    Returns:
        ``{"statistic": largest KS distance, "p_value": min(1, d * smallest p)}``.

    Raises:
        ValueError: samples of different dimension or empty.
    """
    from scipy.stats import ks_2samp

    x = np.asarray(x, dtype=np.float64).reshape(len(x), -1)
    y = np.asarray(y, dtype=np.float64).reshape(len(y), -1)
    if not len(x) or not len(y) or x.shape[1] != y.shape[1]:
        raise ValueError(f"ks_test needs two non-empty samples in one dimension, got {x.shape}, {y.shape}")
    res = [ks_2samp(x[:, j], y[:, j]) for j in range(x.shape[1])]
    p = min(r.pvalue for r in res)
    return {"statistic": float(max(r.statistic for r in res)), "p_value": float(min(1.0, p * x.shape[1]))}


def size_adjusted_power(null_p, shifted_p, *, fpr: float = 0.05) -> dict:
    """Power at an empirical false-positive rate: the fairest comparison of tests whose sizes differ.

    The threshold is the smallest null p-value that may not be rejected
    while at most ``floor(fpr * len(null_p))`` null p-values fall strictly
    below it; power is the share of ``shifted_p`` strictly below that threshold.
    A test that is anti-conservative at its nominal level gets a lower
    threshold here, a conservative one a higher one.

    >>> r = size_adjusted_power([0.01, 0.2, 0.5, 0.9], [0.001, 0.005, 0.02, 0.3], fpr=0.25)
    >>> r["threshold"], r["null_rejections"], r["power"]
    (0.2, 1, 0.75)

    Raises:
        ValueError: empty samples or ``fpr`` outside [0, 1).
    """
    null = np.sort(np.asarray(null_p, dtype=np.float64).ravel())
    shifted = np.asarray(shifted_p, dtype=np.float64).ravel()
    if not len(null) or not len(shifted):
        raise ValueError("size_adjusted_power needs null and shifted p-values")
    if not 0.0 <= fpr < 1.0:
        raise ValueError(f"fpr must be in [0, 1), got {fpr}")
    allowed = int(np.floor(fpr * len(null) + 1e-9))
    threshold = float(null[allowed])
    return {
        "threshold": threshold,
        "null_rejections": int(np.sum(null < threshold)),
        "n_null": len(null),
        "power": float(np.mean(shifted < threshold)),
        "n_shifted": len(shifted),
    }


def pca_codes(train, *sets, k: int = 32, seed: int = 0) -> list[np.ndarray]:
    """Fit PCA with ``k`` components on ``train`` images and project ``sets`` onto it.

    Raises:
        ValueError: ``k`` larger than the training images or pixels allow.
    """
    from sklearn.decomposition import PCA

    flat = np.asarray(train, dtype=np.float32).reshape(len(train), -1)
    if not 0 < k <= min(flat.shape):
        raise ValueError(f"k={k} must be in 1..{min(flat.shape)} for {flat.shape[0]} training images")
    pca = PCA(n_components=k, random_state=seed).fit(flat)
    return [pca.transform(np.asarray(s, dtype=np.float32).reshape(len(s), -1)) for s in sets]


def random_encoder_codes(*sets, k: int = 32, seed: int = 0) -> list[np.ndarray]:
    """Codes of an untrained (randomly initialised, seeded) conv encoder with a ``k``-unit dense code.

    The "UAE" embedding of "Failing Loudly": structure-preserving random
    features without any training.
    """
    import keras
    from keras import ops

    from aeutils.models import build_encoder

    keras.utils.set_random_seed(seed)
    enc = build_encoder(input_shape=sets[0].shape[1:], filters=(16, 32), downsample="stride", latent_dim=k, name="uae")
    return [ops.convert_to_numpy(enc(np.asarray(s, dtype=np.float32), training=False)) for s in sets]


# ---------------------------------------------------------------------------
# The protocol
# ---------------------------------------------------------------------------


@dataclasses.dataclass
class Comparison:
    """Everything a comparison found; :meth:`to_json` gives the serialisable part.

    Attributes:
        a, b: the two prepared sets.
        split: ``{"A": (train_idx, heldout_idx), "B": ...}`` into ``a``/``b``.
        errors: held-out per-image errors, keys in :data:`ERROR_KEYS`
            (``X_by_M``: set X's held-out images reconstructed by model M).
        train_errors: each model's per-image errors on its own training images.
        decision: output of :func:`decision_tests` (tests, p-value, verdict, effects).
        outliers: ``{"A": indices into A's held-out images, "B": ...}``.
        groups: per-group breakdown rows.
        null_control: the null control's result, or ``None``.
        models: the trained autoencoders ``{"A", "B", "merged"}``.
        histories: training loss per epoch for each model.
        settings: the protocol's parameters.
        seconds: wall time.
        warnings: things the reader must know (e.g. a failed null control).
    """

    a: PreparedSet
    b: PreparedSet
    split: dict
    errors: dict
    train_errors: dict
    decision: dict
    outliers: dict
    groups: list
    null_control: dict | None
    models: dict
    histories: dict
    settings: dict
    seconds: float
    warnings: list

    @property
    def verdict(self) -> str:
        """``"same"`` or ``"different"``."""
        return self.decision["verdict"]

    @property
    def p_value(self) -> float:
        """The smallest Holm-adjusted p-value of the decision's tests."""
        return self.decision["p_value"]

    def heldout(self, which: str) -> PreparedSet:
        """The held-out images of set ``"A"`` or ``"B"``."""
        return (self.a if which == "A" else self.b).take(self.split[which][1])

    def error_summary(self, images: str, model: str) -> dict | None:
        """Mean, 95% CI and median of set ``images``' held-out errors under ``model``; None if not scored."""
        from aeutils.metrics import summarize

        key = f"{images}_by_{model}"
        return summarize(self.errors[key]) if key in self.errors else None

    def error_rows(self) -> list[dict]:
        """The error matrix as table rows: mean, 95% CI and median per (set, model)."""
        rows = []
        for key in ERROR_KEYS:
            if key in self.errors:
                x, m = key.split("_by_")
                s = self.error_summary(x, m)
                rows.append(
                    {
                        "images": f"held-out {x}",
                        "model": m,
                        "mean_mse": s["mean"],
                        "ci95_low": s["ci95_low"],
                        "ci95_high": s["ci95_high"],
                        "median_mse": s["median"],
                        "n": s["n"],
                    }
                )
        return rows

    def fit_rows(self) -> list[dict]:
        """Step 1 as table rows: each model's mean error on its own training and held-out images, outliers."""
        rows = []
        for x in ("A", "B"):
            train, held = float(np.mean(self.train_errors[x])), float(np.mean(self.errors[f"{x}_by_{x}"]))
            rows.append(
                {
                    "set": x,
                    "name": (self.a if x == "A" else self.b).name,
                    "train_mse": train,
                    "heldout_mse": held,
                    "heldout_over_train": held / max(train, _EPS),
                    "heldout_images": len(self.split[x][1]),
                    "outliers": len(self.outliers[x]),
                }
            )
        return rows

    def test_rows(self) -> list[dict]:
        """The decision's tests as table rows (raw and Holm-adjusted p-values, AUC or MMD², sample sizes)."""
        return [
            {
                "test": t["name"],
                "p_value": t["p_value"],
                "p_holm": t["p_holm"],
                "auc": t["auc"],
                "statistic": t["statistic"],
                "n_1": t["n_x"],
                "n_2": t["n_y"],
            }
            for t in self.decision["tests"]
        ]

    def matrix(self) -> np.ndarray:
        """Mean held-out errors ``(3, 2)``: rows model A, B, merged; columns set A, B (NaN if absent)."""
        out = np.full((3, 2), np.nan)
        for i, m in enumerate(("A", "B", "merged")):
            for j, x in enumerate(("A", "B")):
                if f"{x}_by_{m}" in self.errors:
                    out[i, j] = float(np.mean(self.errors[f"{x}_by_{m}"]))
        return out

    def to_json(self) -> dict:
        """The serialisable summary (the schema of ``compare --json``)."""
        from aeutils.metrics import summarize
        from aeutils.reports import _jsonable

        summaries = {k: summarize(v) for k, v in self.errors.items()}
        held = {k: self.heldout(k) for k in ("A", "B")}
        out = {
            "verdict": self.verdict,
            "p_value": self.p_value,
            "alpha": self.decision["alpha"],
            "effect_ratio": self.decision["effect_ratio"],
            "preference_auc": self.decision["preference_auc"],
            "errors": {k: s["mean"] for k, s in summaries.items()},
            "errors_ci95": {k: [s["ci95_low"], s["ci95_high"]] for k, s in summaries.items()},
            "error_summary": summaries,
            "ratios": self.decision["ratios"],
            "per_image_errors": {k: np.asarray(v).tolist() for k, v in self.errors.items()},
            "heldout_ids": {k: held[k].ids for k in ("A", "B")},
            "merged_over_own": {
                x: float(np.mean(self.errors[f"{x}_by_merged"]) / np.mean(self.errors[f"{x}_by_{x}"]))
                for x in ("A", "B")
                if f"{x}_by_merged" in self.errors
            },
            "fit": {
                x: {
                    "train_mse": float(np.mean(self.train_errors[x])),
                    "heldout_mse": float(np.mean(self.errors[f"{x}_by_{x}"])),
                }
                for x in ("A", "B")
            },
            "tests": self.decision["tests"],
            "null_control": self.null_control and {k: v for k, v in self.null_control.items() if k not in ("errors",)},
            "n_images": {"A": len(self.a), "B": len(self.b)},
            "n_train": {k: len(self.split[k][0]) for k in ("A", "B")},
            "n_heldout": {k: len(self.split[k][1]) for k in ("A", "B")},
            "outliers": {k: [held[k].ids[i] for i in self.outliers[k]] for k in ("A", "B")},
            "groups": self.groups,
            "sets": {
                "A": {"name": self.a.name, "source": self.a.source},
                "B": {"name": self.b.name, "source": self.b.source},
            },
            "settings": self.settings,
            "seconds": round(self.seconds, 1),
            "warnings": self.warnings,
        }
        if out["null_control"] is None:
            out["null_control"] = {"p_value": None, "verdict": None, "skipped": True}
        return _jsonable(out)

    def summary(self) -> str:
        """A short text report: sizes, the error matrix, the tests, the verdict, the null control."""
        return summary_text(self)


def _progress_callback(label: str, epochs: int, stream):
    """A Keras callback printing one compact progress line per model (updated in place on a terminal)."""
    import keras

    tty = bool(getattr(stream, "isatty", lambda: False)())

    class Progress(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            loss = (logs or {}).get("loss", float("nan"))
            last = epoch + 1 == epochs
            if tty or last or (epoch + 1) % max(1, epochs // 4) == 0:
                end = "\n" if (last or not tty) else ""
                stream.write(f"\r  {label}: epoch {epoch + 1}/{epochs}  loss {loss:.5f}        {end}")
                stream.flush()

    return Progress()


def _gather_training_inputs(images, patch, stride, *, cap: int | None, seed: int) -> np.ndarray:
    x, _ = to_patches(images, patch, stride)
    if cap and len(x) > cap:
        x = x[np.sort(np.random.default_rng(seed).choice(len(x), cap, replace=False))]
    return x


def _train_and_score(
    a: PreparedSet,
    b: PreparedSet,
    split: dict,
    *,
    settings: dict,
    merged: bool,
    log: Callable[[str], None],
    stream,
) -> dict:
    """Train the models on training images only and score every held-out image with every model."""
    from aeutils.train import fit

    patch, stride = settings["patch"], settings["stride"]
    shape = (patch, patch, a.images.shape[-1]) if patch else a.images.shape[1:]
    train_sets = {"A": a.images[split["A"][0]], "B": b.images[split["B"][0]]}
    held = {"A": a.images[split["A"][1]], "B": b.images[split["B"][1]]}
    names = ["A", "B"] + (["merged"] if merged else [])
    models, histories, seconds = {}, {}, {}
    for m in names:
        if m == "merged":
            x = np.concatenate(
                [
                    _gather_training_inputs(
                        train_sets[k], patch, stride, cap=settings["max_train_patches"], seed=settings["seed"]
                    )
                    for k in ("A", "B")
                ]
            )
        else:
            x = _gather_training_inputs(
                train_sets[m], patch, stride, cap=settings["max_train_patches"], seed=settings["seed"]
            )
        log(f"training autoencoder {m} on {len(x)} {'patches' if patch else 'images'} ({settings['epochs']} epochs)")
        res = fit(
            lambda m=m: build_compare_autoencoder(
                input_shape=shape,
                filters=settings["filters"],
                code_channels=settings["code_channels"],
                name=f"ae_{m}",
            ),
            x,
            epochs=settings["epochs"],
            batch_size=settings["batch_size"],
            learning_rate=settings["learning_rate"],
            restore_best=False,  # no validation data: held-out images never steer training
            seed=settings["seed"],
            verbose=0,
            callbacks=[_progress_callback(f"autoencoder {m}", settings["epochs"], stream)] if stream else [],
        )
        models[m], histories[m], seconds[m] = res.model, res.history, res.seconds
    errors = {}
    for x_name in ("A", "B"):
        for m in names:
            errors[f"{x_name}_by_{m}"] = image_errors(models[m], held[x_name], patch=patch, stride=stride)
    train_errors = {m: image_errors(models[m], train_sets[m], patch=patch, stride=stride) for m in ("A", "B")}
    codes = heldout_codes(models, held, patch=patch, stride=stride) if settings["code_test"] else None
    return {
        "errors": errors,
        "codes": codes,
        "train_errors": train_errors,
        "models": models,
        "histories": histories,
        "train_seconds": seconds,
    }


def group_breakdown(
    a_held: PreparedSet,
    b_held: PreparedSet,
    errors: Mapping[str, np.ndarray],
    *,
    codes: Mapping[str, np.ndarray] | None = None,
    alpha: float = 0.05,
    min_images: int = MIN_HELDOUT,
    seed: int = 0,
) -> list[dict]:
    """Per-group error means and tests on held-out images, Holm-adjusted across groups.

    A group present in both sets with at least ``min_images`` held-out images
    in each gets the tests of :func:`decision_tests` (its p-value is their Holm minimum); the
    group p-values are then Holm-adjusted across the tested groups.

    Returns:
        One row per group: ``{"group", "n_A", "n_B", mean errors ..., "p_value",
        "p_holm", "verdict", "effect_ratio"}`` (tests absent when untestable).
    """
    if a_held.groups is None and b_held.groups is None:
        return []
    ga = a_held.groups if a_held.groups is not None else np.array([""] * len(a_held))
    gb = b_held.groups if b_held.groups is not None else np.array([""] * len(b_held))
    rows = []
    for g in sorted(set(ga) | set(gb), key=str):
        ia, ib = np.flatnonzero(ga == g), np.flatnonzero(gb == g)
        row = {"group": str(g), "n_A": len(ia), "n_B": len(ib)}
        for key, v in errors.items():
            idx = ia if key.startswith("A_") else ib
            row[key] = float(np.mean(v[idx])) if len(idx) else None
        if len(ia) >= min_images and len(ib) >= min_images:
            sub = {k: v[ia] if k.startswith("A_") else v[ib] for k, v in errors.items()}
            sub_codes = None if codes is None else {"A": codes["A"][ia], "B": codes["B"][ib]}
            dec = decision_tests(sub, codes=sub_codes, alpha=alpha, seed=seed)
            row.update(p_value=dec["p_value"], effect_ratio=dec["effect_ratio"])
        rows.append(row)
    tested = [r for r in rows if "p_value" in r]
    if tested:
        for r, p in zip(tested, holm([r["p_value"] for r in tested]), strict=True):
            r["p_holm"] = float(p)
            r["verdict"] = "different" if p < alpha else "same"
    return rows


def compare(
    a,
    b,
    *,
    size: int | None = None,
    grayscale: bool = False,
    limit: int | None = None,
    groups: str | None = "auto",
    patch: int | None = None,
    stride: int | None = None,
    heldout: float = 0.3,
    epochs: int = 20,
    batch_size: int = 32,
    learning_rate: float = 1e-3,
    filters: Sequence[int] | str = (16, 32),
    code_channels: int = 4,
    max_train_patches: int | None = 20_000,
    seed: int = 0,
    alpha: float = 0.05,
    merged: bool = True,
    code_test: bool = True,
    null_control: str | None = "A",
    outlier_z: float = 3.5,
    log: Callable[[str], None] | None = print,
    progress=None,
) -> Comparison:
    """Compare two image sets by cross-reconstruction, with a calibrated verdict and a null control.

    Args:
        a, b: the two sets: folders, ``.npz`` files, ``embedded:NAME``,
            :class:`~aeutils.data.ImageSet` or :class:`PreparedSet`.
        size: resize every image to this side (px) first.
        grayscale: convert both sets to one channel.
        limit: at most this many images per set (seeded random subset).
        groups: per-image groups, see :func:`image_groups` (default: sub-folders
            or label names when the set has them).
        patch: patch side fed to the models; ``0`` feeds whole images;
            ``None``: whole images up to 64 px, else 32 px patches.
        stride: step between patches (default: ``patch``, or 16 with auto patches).
        heldout: fraction of each set held out for scoring (never trained on).
        epochs, batch_size, learning_rate: the training budget of every model.
        filters, code_channels: the architecture, see :func:`build_compare_autoencoder`.
        max_train_patches: train on at most this many patches per set (seeded subset).
        seed: seeds the splits, the weights and the training order.
        alpha: family-wise level of the decision.
        merged: also train the merged autoencoder (step 2).
        code_test: add the codes test (MMD of the held-out codes) to the decision.
        null_control: ``"A"`` or ``"B"``: repeat the protocol on two random
            halves of that set (must come out "same"); ``None`` skips it.
        outlier_z: robust z-score above which a held-out image is an outlier.
        log: receives one line per stage (``None``: silent).
        progress: a stream for per-epoch progress (e.g. ``sys.stderr``), or ``None``.

    Returns:
        A :class:`Comparison`.

    Raises:
        DataError: bad input (missing or empty folders, unreadable files,
            different channel counts, sets too small to split, bad patch sizes ...).
        ValueError: bad parameters.
    """
    start = time.perf_counter()
    log = log or (lambda _msg: None)
    if epochs < 1 or batch_size < 1 or learning_rate <= 0:
        raise ValueError(
            f"need epochs >= 1, batch_size >= 1, learning_rate > 0; got {epochs}, {batch_size}, {learning_rate}"
        )
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be in (0, 1), got {alpha}")
    if null_control not in (None, "A", "B"):
        raise ValueError(f"null_control must be 'A', 'B' or None, got {null_control!r}")
    filters = parse_filters(filters)
    sa = prepare_set(a, size=size, grayscale=grayscale, limit=limit, groups=groups, seed=seed)
    sb = prepare_set(b, size=size, grayscale=grayscale, limit=limit, groups=groups, seed=seed + 1)
    patch, stride = resolve_patch(sa, sb, patch, stride)
    check_pair(sa, sb, patch=patch, stride=stride, heldout=heldout, filters=filters)
    settings = {
        "size": size,
        "grayscale": grayscale,
        "limit": limit,
        "groups": groups,
        "patch": patch,
        "stride": stride,
        "heldout": heldout,
        "epochs": epochs,
        "batch_size": batch_size,
        "learning_rate": learning_rate,
        "filters": list(filters),
        "code_channels": code_channels,
        "max_train_patches": max_train_patches,
        "seed": seed,
        "alpha": alpha,
        "merged": merged,
        "code_test": code_test,
        "null_control": null_control,
        "outlier_z": outlier_z,
        "loss": "per-image MSE on [0, 1]",
    }
    split = {"A": split_heldout(len(sa), heldout, seed), "B": split_heldout(len(sb), heldout, seed + 1)}
    log(
        f"set A: {sa.name}: {len(sa)} images {sa.images.shape[1:]} ({len(split['A'][0])} train / "
        f"{len(split['A'][1])} held out)"
    )
    log(
        f"set B: {sb.name}: {len(sb)} images {sb.images.shape[1:]} ({len(split['B'][0])} train / "
        f"{len(split['B'][1])} held out)"
    )
    run = _train_and_score(sa, sb, split, settings=settings, merged=merged, log=log, stream=progress)
    decision = decision_tests(run["errors"], codes=run["codes"], alpha=alpha, seed=seed)
    held_a, held_b = sa.take(split["A"][1]), sb.take(split["B"][1])
    outliers = {
        "A": robust_outliers(run["errors"]["A_by_A"], z=outlier_z),
        "B": robust_outliers(run["errors"]["B_by_B"], z=outlier_z),
    }
    groups_rows = group_breakdown(held_a, held_b, run["errors"], codes=run["codes"], alpha=alpha, seed=seed)
    warnings = []
    null = None
    if null_control:
        base = sa if null_control == "A" else sb
        n_half = len(base) // 2
        if math.floor(heldout * n_half) < MIN_HELDOUT or n_half - math.floor(heldout * n_half) < MIN_TRAIN:
            warnings.append(
                f"null control skipped: set {null_control} has {len(base)} images, too few for "
                "two halves that can each be split"
            )
        else:
            log(f"null control: two random halves of set {null_control}")
            perm = np.random.default_rng(seed + 2).permutation(len(base))
            h1, h2 = base.take(np.sort(perm[:n_half])), base.take(np.sort(perm[n_half:]))
            nsplit = {
                "A": split_heldout(len(h1), heldout, seed + 3),
                "B": split_heldout(len(h2), heldout, seed + 4),
            }
            nrun = _train_and_score(h1, h2, nsplit, settings=settings, merged=False, log=log, stream=progress)
            ndec = decision_tests(nrun["errors"], codes=nrun["codes"], alpha=alpha, seed=seed + 2)
            null = {
                "set": null_control,
                "n_images": {"half_1": len(h1), "half_2": len(h2)},
                "p_value": ndec["p_value"],
                "verdict": ndec["verdict"],
                "effect_ratio": ndec["effect_ratio"],
                "preference_auc": ndec["preference_auc"],
                "tests": ndec["tests"],
                "ratios": ndec["ratios"],
                "passed": ndec["verdict"] == "same",
                "errors": nrun["errors"],
            }
            if not null["passed"]:
                warnings.append(
                    f"the null control (two random halves of set {null_control}) came out 'different' "
                    f"(p = {null['p_value']:.3g}): treat the verdict with suspicion (a chance event at rate "
                    f"alpha, or images that are not independent draws)"
                )
    if decision["tests"][0]["n_x"] < 6 or decision["tests"][0]["n_y"] < 6:
        warnings.append(
            "fewer than 6 held-out images in a set: the tests have little power; 'same' means 'no difference detected'"
        )
    result = Comparison(
        a=sa,
        b=sb,
        split=split,
        errors=run["errors"],
        train_errors=run["train_errors"],
        decision=decision,
        outliers=outliers,
        groups=groups_rows,
        null_control=null,
        models=run["models"],
        histories=run["histories"],
        settings=settings,
        seconds=time.perf_counter() - start,
        warnings=warnings,
    )
    return result


def verdict_text(decision: Mapping) -> str:
    """One sentence: the verdict with its p-value and effect sizes (never a bare threshold)."""
    r = decision["ratios"]
    word = "DIFFERENT structure" if decision["verdict"] == "different" else "SAME structure (no difference detected)"
    rel = "<" if decision["verdict"] == "different" else ">="
    return (
        f"{word}: p = {decision['p_value']:.3g} {rel} alpha = {decision['alpha']} "
        f"(Holm, {len(decision['tests'])} tests); "
        f"cross/within error ratio {r['A_cross_over_within']:.2f}x for A's images, "
        f"{r['B_cross_over_within']:.2f}x for B's (geometric mean {decision['effect_ratio']:.2f}x); "
        f"preference AUC {decision['preference_auc']:.2f} (0.5 = none)"
    )


def summary_text(result: Comparison) -> str:
    """The text summary printed by ``compare``: sets, error matrix with CIs, tests, verdict, null control."""
    lines = [
        f"A: {result.a.name} — {result.a.source}",
        f"B: {result.b.name} — {result.b.source}",
        f"images: A {len(result.a)} ({len(result.split['A'][0])} train / "
        f"{len(result.split['A'][1])} held out), "
        f"B {len(result.b)} ({len(result.split['B'][0])} / {len(result.split['B'][1])}); "
        + (
            f"{result.settings['patch']}px patches, stride {result.settings['stride']}"
            if result.settings["patch"]
            else "whole images"
        ),
        "",
        "held-out per-image MSE, mean [95% CI]:",
        f"  {'model':8s} {'set A images':>28s} {'set B images':>28s}",
    ]
    for m in ("A", "B", "merged"):
        cells = []
        for x in ("A", "B"):
            s = result.error_summary(x, m)
            cells.append("-" if s is None else f"{s['mean']:.5f} [{s['ci95_low']:.5f}, {s['ci95_high']:.5f}]")
        lines.append(f"  {m:8s} {cells[0]:>28s} {cells[1]:>28s}")
    lines.append("")
    lines.append("tests on held-out images (Holm-adjusted):")
    for t in result.decision["tests"]:
        effect = f"AUC {t['auc']:.2f}" if t["auc"] is not None else f"MMD² {t['statistic']:.3g}"
        lines.append(f"  {t['name']:46s} p = {t['p_value']:.3g} (adj. {t['p_holm']:.3g}), {effect}")
    lines.append("")
    lines.append("verdict: " + verdict_text(result.decision))
    nc = result.null_control
    if nc:
        lines.append(
            f"null control (two random halves of set {nc['set']}): {nc['verdict']} "
            f"(p = {nc['p_value']:.3g}, effect {nc['effect_ratio']:.2f}x) — " + ("passed" if nc["passed"] else "FAILED")
        )
    for x in ("A", "B"):
        if len(result.outliers[x]):
            ids = [result.heldout(x).ids[i] for i in result.outliers[x]]
            lines.append(f"outliers among held-out {x} images: {', '.join(ids[:8])}" + (" ..." if len(ids) > 8 else ""))
    tested = [g for g in result.groups if "p_holm" in g]
    if tested:
        lines.append("per group: " + "; ".join(f"{g['group']} {g['verdict']} (p = {g['p_holm']:.3g})" for g in tested))
    for w in result.warnings:
        lines.append(f"warning: {w}")
    return "\n".join(lines)


# ---------------------------------------------------------------------------
# Figures and the HTML report
# ---------------------------------------------------------------------------


def _short(name: str, width: int = 22) -> str:
    """A set name cut to fit under a heat-map column: the part after ``embedded:``, wrapped."""
    import textwrap

    return "\n".join(textwrap.wrap(name.removeprefix("embedded:"), width, break_on_hyphens=False)[:2])


def plot_error_matrix(result: Comparison):
    """The 3x2 matrix of mean held-out errors (models x sets) as a heat map, with 95% CIs."""
    from aeutils.plotting import heatmap

    ann = []
    for m in ("A", "B", "merged"):
        row = []
        for x in ("A", "B"):
            s = result.error_summary(x, m)
            row.append("" if s is None else f"{s['mean']:.4g}\n[{s['ci95_low']:.3g}, {s['ci95_high']:.3g}]")
        ann.append(row)
    return heatmap(
        result.matrix(),
        row_labels=["model A", "model B", "merged"],
        col_labels=[f"held-out A\n{_short(result.a.name)}", f"held-out B\n{_short(result.b.name)}"],
        annotations=ann,
        log=True,
        colorbar_label="mean MSE",
        title="mean reconstruction error (95% CI)",
    )


def plot_error_histograms(result: Comparison, *, bins: int = 25):
    """Per-image held-out errors per direction (within vs cross under each model), and the preference."""
    import matplotlib.pyplot as plt

    e = result.errors
    fig, axes = plt.subplots(1, 3, figsize=(14, 3.6))
    for ax, m, other in ((axes[0], "A", "B"), (axes[1], "B", "A")):
        within, cross = (
            np.log10(np.maximum(e[f"{m}_by_{m}"], _EPS)),
            np.log10(np.maximum(e[f"{other}_by_{m}"], _EPS)),
        )
        edges = np.histogram_bin_edges(np.concatenate([within, cross]), bins=bins)
        ax.hist(within, bins=edges, alpha=0.6, label=f"within: {m}'s images")
        ax.hist(cross, bins=edges, alpha=0.6, label=f"cross: {other}'s images")
        t = result.decision["tests"][0 if m == "A" else 1]
        ax.set_title(f"model {m} (p = {t['p_value']:.2g}, AUC {t['auc']:.2f})", fontsize=10)
        ax.set_xlabel("log10 per-image MSE")
        ax.legend(fontsize=8)
    d_a = np.log(np.maximum(e["A_by_B"], _EPS)) - np.log(np.maximum(e["A_by_A"], _EPS))
    d_b = np.log(np.maximum(e["B_by_B"], _EPS)) - np.log(np.maximum(e["B_by_A"], _EPS))
    edges = np.histogram_bin_edges(np.concatenate([d_a, d_b]), bins=bins)
    axes[2].hist(d_a, bins=edges, alpha=0.6, label="A's images")
    axes[2].hist(d_b, bins=edges, alpha=0.6, label="B's images")
    axes[2].axvline(0, color="k", lw=0.8)
    t = result.decision["tests"][2]
    axes[2].set_title(f"preference log(L_B / L_A) (p = {t['p_value']:.2g}, AUC {t['auc']:.2f})", fontsize=10)
    axes[2].set_xlabel("> 0: model A fits the image better")
    axes[2].legend(fontsize=8)
    for ax in axes:
        ax.set_ylabel("held-out images")
    fig.tight_layout()
    return fig


def plot_reconstructions(result: Comparison, which: str = "A", *, n: int = 8):
    """Held-out images of one set with their reconstructions by model A, model B and the merged model."""
    from aeutils.plotting import image_rows

    held = result.heldout(which)
    x = held.images[:n]
    rows, titles = [x], [f"held-out {which}"]
    for m in ("A", "B", "merged"):
        if m in result.models:
            r = reconstruct(result.models[m], x, patch=result.settings["patch"], stride=result.settings["stride"])
            rows.append(r)
            titles.append(f"by {m}" + (" (own)" if m == which else ""))
    errs = [f"{held.ids[i][-14:]}" for i in range(len(x))]
    return image_rows(
        rows,
        row_titles=titles,
        col_titles=errs,
        size=1.3,
        title=f"set {which} ({result.a.name if which == 'A' else result.b.name}): held-out images "
        "and their reconstructions",
    )


def plot_outliers(result: Comparison, *, n: int = 4):
    """The held-out images each own model fits worst (flagged outliers first), with their reconstructions."""
    from aeutils.plotting import image_rows

    rows, titles, cols = [], [], []
    for x in ("A", "B"):
        err = result.errors[f"{x}_by_{x}"]
        worst = np.argsort(err)[::-1][:n]
        held = result.heldout(x)
        imgs = held.images[worst]
        rec = reconstruct(result.models[x], imgs, patch=result.settings["patch"], stride=result.settings["stride"])
        flagged = set(result.outliers[x].tolist())
        pad = n - len(worst)
        if pad:
            imgs = np.concatenate([imgs, np.zeros((pad, *imgs.shape[1:]), np.float32)])
            rec = np.concatenate([rec, np.zeros((pad, *rec.shape[1:]), np.float32)])
        rows += [imgs, rec]
        titles += [f"worst {x}", f"by {x}"]
        cols.append([f"{'OUTLIER ' if i in flagged else ''}{err[i]:.4f}" for i in worst] + [""] * pad)
    fig = image_rows(
        rows,
        row_titles=titles,
        size=1.6,
        title="held-out images with the largest own-model error (MSE above each)",
    )
    axes = fig.axes
    for r, labels in enumerate(cols):
        for j, lab in enumerate(labels):
            axes[2 * r * n + j].set_title(lab, fontsize=7)
    return fig


def plot_groups(result: Comparison):
    """Mean held-out errors per group: within and cross for each set's images (log scale)."""
    import matplotlib.pyplot as plt

    rows = result.groups
    fig, ax = plt.subplots(figsize=(max(5, 1.3 * len(rows) + 2) + 3, 3.6))
    if not rows:
        ax.text(0.5, 0.5, "no groups", ha="center", va="center")
        ax.set_axis_off()
        return fig
    keys = [
        ("A_by_A", "A's images, model A"),
        ("A_by_B", "A's images, model B"),
        ("B_by_B", "B's images, model B"),
        ("B_by_A", "B's images, model A"),
    ]
    width = 0.8 / len(keys)
    for k, (key, label) in enumerate(keys):
        vals = [r.get(key) if r.get(key) is not None else np.nan for r in rows]
        ax.bar(np.arange(len(rows)) + (k - 1.5) * width, vals, width, label=label)
    ax.set_xticks(
        range(len(rows)),
        [f"{r['group']}\n" + (f"p = {r['p_holm']:.2g}" if "p_holm" in r else "untested") for r in rows],
    )
    ax.set_yscale("log")
    ax.set_ylabel("mean held-out MSE")
    ax.set_title("per group (Holm-adjusted across groups)")
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    fig.tight_layout()
    return fig


def _figure_html(fig) -> str:
    import base64
    import io

    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90, bbox_inches="tight")
    plt.close(fig)
    return f'<img src="data:image/png;base64,{base64.b64encode(buf.getvalue()).decode()}">'


def write_html(result: Comparison, path: str | Path) -> Path:
    """Write a self-contained HTML report (summary, figures, the JSON) of a comparison.

    Returns:
        The path written.
    """
    import html

    import matplotlib

    matplotlib.use("Agg", force=False)
    figs = [
        ("Error matrix", plot_error_matrix(result)),
        ("Error distributions per direction", plot_error_histograms(result)),
        ("Reconstructions of set A", plot_reconstructions(result, "A")),
        ("Reconstructions of set B", plot_reconstructions(result, "B")),
        ("Outliers", plot_outliers(result)),
    ]
    if result.groups:
        figs.append(("Per group", plot_groups(result)))
    body = "".join(f"<h2>{html.escape(t)}</h2>{_figure_html(f)}" for t, f in figs)
    page = f"""<!doctype html><html><head><meta charset="utf-8"><title>aeutils compare</title>
<style>body{{font-family:sans-serif;margin:2em;max-width:1200px}}pre{{background:#f6f6f6;padding:1em;
overflow-x:auto}}img{{max-width:100%}}.v{{font-size:1.2em;font-weight:bold}}</style></head><body>
<h1>Dataset comparison by cross-reconstruction</h1>
<p class="v">{html.escape(verdict_text(result.decision))}</p>
<pre>{html.escape(summary_text(result))}</pre>{body}
<h2>JSON</h2><pre>{html.escape(json.dumps(result.to_json(), indent=1))}</pre></body></html>"""
    path = Path(path)
    path.write_text(page)
    return path


# ---------------------------------------------------------------------------
# Command line: python -m aeutils compare A B
# ---------------------------------------------------------------------------


def add_command(subparsers) -> None:
    """Register the ``compare`` sub-command on an argparse sub-parsers object."""
    p = subparsers.add_parser(
        "compare",
        help="do two image sets share one structure? (cross-reconstruction test)",
        description="Train one autoencoder per image set and one on both, reconstruct every held-out "
        "image with each, and test whether within-set and cross-set errors differ (Mann-Whitney, Holm; "
        "null control on two halves of set A). Exit codes: 0 done, 2 bad input.",
    )
    p.add_argument("a", help="set A: image folder (sub-folders = groups), .npz file, or embedded:NAME")
    p.add_argument("b", help="set B: as set A")
    p.add_argument("--size", type=int, metavar="PX", help="resize every image to PX x PX first")
    p.add_argument("--grayscale", action="store_true", help="convert both sets to one channel")
    p.add_argument(
        "--patch",
        type=int,
        metavar="PX",
        help="patch side fed to the models; 0 = whole images (default: whole up to 64 px, else 32)",
    )
    p.add_argument("--stride", type=int, metavar="PX", help="step between patches (default: the patch side)")
    p.add_argument("--epochs", type=int, default=20, metavar="N", help="training epochs of each model (20)")
    p.add_argument("--batch-size", type=int, default=32, metavar="N", help="batch size (32)")
    p.add_argument("--heldout", type=float, default=0.3, metavar="F", help="held-out fraction of each set (0.3)")
    p.add_argument("--limit", type=int, metavar="N", help="at most N images per set (random, seeded)")
    p.add_argument(
        "--groups",
        default="auto",
        metavar="SPEC",
        help="per-image groups: auto, folder, labels, key:NAME (npz array), re:PATTERN, none",
    )
    p.add_argument("--alpha", type=float, default=0.05, help="family-wise level (0.05)")
    p.add_argument("--seed", type=int, default=0, metavar="S", help="seed of splits and training (0)")
    p.add_argument("--no-null-control", action="store_true", help="skip the null control")
    p.add_argument("--json", metavar="FILE", help="write the result as JSON")
    p.add_argument("--html", metavar="FILE", help="write a rendered HTML report")
    p.set_defaults(func=run_command)


def _check_output(path: str | None, inputs: Sequence[str]) -> None:
    if not path:
        return
    out = Path(path).resolve()
    if not out.parent.is_dir():
        raise D.DataError(f"cannot write {path}: folder {out.parent} does not exist")
    if out.is_dir():
        raise D.DataError(f"cannot write {path}: it is a folder")
    for src in inputs:
        if src.startswith(("embedded:", "tfds:")):
            continue
        p = D.resolve_path(src.removeprefix("npz:").removeprefix("folder:")).resolve()
        if out == p or (p.is_dir() and p in out.parents):
            raise D.DataError(f"refusing to write {path}: it is inside input {src} (inputs are never modified)")


def run_command(args) -> int:
    """Run ``compare`` from parsed arguments; returns the exit code (2 on bad input)."""
    try:
        for out in (args.json, args.html):
            _check_output(out, [args.a, args.b])
        result = compare(
            args.a,
            args.b,
            size=args.size,
            grayscale=args.grayscale,
            limit=args.limit,
            groups=args.groups,
            patch=args.patch,
            stride=args.stride,
            heldout=args.heldout,
            epochs=args.epochs,
            batch_size=args.batch_size,
            seed=args.seed,
            alpha=args.alpha,
            null_control=None if args.no_null_control else "A",
            log=lambda msg: print(f"[compare] {msg}", file=sys.stderr, flush=True),
            progress=sys.stderr,
        )
    except (D.DataError, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(result.summary())
    if args.json:
        Path(args.json).write_text(json.dumps(result.to_json(), indent=2))
        print(f"wrote {args.json}", file=sys.stderr)
    if args.html:
        write_html(result, args.html)
        print(f"wrote {args.html}", file=sys.stderr)
    return 0
