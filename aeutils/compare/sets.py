"""The two image sets of a comparison: loading, preprocessing, group labels, checks and the held-out split.

Two kinds of per-image labels: ``groups`` (e.g. viewing angle) get their own
tests in the per-group breakdown; ``split_groups`` (near-duplicates, e.g. the
left and right camera's tiles of one scene position) are kept on one side of
the train/held-out split (:func:`split_heldout`), so held-out images are
independent of the training images.
"""

from __future__ import annotations

import dataclasses
import hashlib
import math
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from aeutils import data as D
from aeutils.data.splits import group_split, near_duplicate_groups

#: At least this many held-out images per set (a two-sided Mann-Whitney test on
#: 3 against 3 cannot go below p = 0.1; 3 is the floor for any result at all).
MIN_HELDOUT = 3
MIN_TRAIN = 2
#: Images whose side is at most this are fed whole when ``patch`` is not given.
AUTO_PATCH_ABOVE = 64


@dataclasses.dataclass
class PreparedSet:
    """One image set, preprocessed, with per-image group labels and names.

    Attributes:
        name: short name (folder or file stem, or the embedded set's name).
        source: one line saying where the pixels came from.
        images: float32 ``(N, H, W, C)`` in [0, 1], or :class:`aeutils.data.FileImages` (the
            same images left on disk, for a folder larger than the memory budget).
        groups: ``(N,)`` array of group names (str), or ``None``.
        ids: one name per image (file path, or ``"#i"``).
        split_groups: ``(N,)`` array of near-duplicate group names (str) kept
            on one side of every split, or ``None`` (every image independent).
    """

    name: str
    source: str
    images: np.ndarray
    groups: np.ndarray | None = None
    ids: list[str] | None = None
    split_groups: np.ndarray | None = None

    def __post_init__(self):
        if not isinstance(self.images, D.FileImages):  # images on disk stay there (streamed per batch)
            self.images = np.asarray(self.images, dtype=np.float32)
        if self.images.ndim != 4:
            raise D.DataError(f"set {self.name!r}: images must be (N, H, W, C), got {self.images.shape}")
        if self.ids is None:
            self.ids = [f"#{i}" for i in range(len(self.images))]
        if self.groups is not None:
            self.groups = np.asarray(self.groups).astype(str)
            if len(self.groups) != len(self.images):
                raise D.DataError(f"set {self.name!r}: {len(self.groups)} group labels for {len(self.images)} images")
        if self.split_groups is not None:
            self.split_groups = np.asarray(self.split_groups).astype(str)
            if len(self.split_groups) != len(self.images):
                raise D.DataError(
                    f"set {self.name!r}: {len(self.split_groups)} split-group labels for {len(self.images)} images"
                )

    def __len__(self) -> int:
        return len(self.images)

    @property
    def streamed(self) -> bool:
        """Whether the images stay on disk (:class:`aeutils.data.FileImages`), decoded per batch."""
        return isinstance(self.images, D.FileImages)

    def take(self, index) -> PreparedSet:
        """The subset at ``index`` (an int array)."""
        index = np.asarray(index, dtype=np.int64)
        return PreparedSet(
            name=self.name,
            source=self.source,
            images=self.images.take(index) if self.streamed else self.images[index],
            groups=None if self.groups is None else self.groups[index],
            ids=[self.ids[i] for i in index],
            split_groups=None if self.split_groups is None else self.split_groups[index],
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
    directory the command was started from, then ``$AEUTILS_DATA_DIR``).

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
        raise D.DataError(f"no such folder or .npz file: {raw}{D.looked_in(raw)}")
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
    split_groups: str | None = "auto",
    seed: int = 0,
    name: str | None = None,
    value_range: tuple[float, float] | None = None,
    memory_budget=None,
    cache: str | None = None,
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
        split_groups: near-duplicate groups kept on one side of the split:
            ``"auto"`` (the groups the set declares,
            :func:`aeutils.data.splits.near_duplicate_groups`, else none), or a
            spec of :func:`image_groups` (``"key:NAME"``, ``"re:PATTERN"``,
            ``"labels"``, ``"none"``).
        seed: seed of ``limit``.
        name: display name (default: the set's own).
        value_range: the range float inputs are stored in (see :func:`aeutils.data.load`).
        memory_budget: an image folder whose decoded images (after ``size`` and ``limit``) exceed
            this (``"2GiB"``, bytes) stays on disk and is decoded per batch
            (:class:`aeutils.data.FileImages`, by the same decoder); ``None``: always in memory.
        cache: a folder for the on-disk cache of a streamed set's decoded images, or ``None``.

    Returns:
        A :class:`PreparedSet`.

    Raises:
        DataError: anything the data layer refuses (missing or empty folder,
            unreadable files, mixed channel counts ...), or a bad group spec.
    """
    if isinstance(source, PreparedSet):
        return source
    npz = None
    data = None
    if isinstance(source, str):
        source = check_source(source)
        npz = _npz_path(source)
        if memory_budget is not None and source.startswith("folder:"):
            lazy = D.open_folder(source[7:], size=size, grayscale=grayscale, value_range=value_range, cache=cache)
            n_keep = min(len(lazy), limit) if limit else len(lazy)
            if not D.fits(lazy.images.nbytes // len(lazy) * n_keep, memory_budget):
                data = lazy
        if data is None:
            data = D.load(source, size=size, grayscale=grayscale, value_range=value_range)
    elif isinstance(source, D.ImageSet):
        data = source
        if size:
            data = data.with_images(D.resize(data.images, size))
        if grayscale:
            data = data.with_images(D.to_grayscale(data.images))
    else:
        arr = D.to_unit_range(np.asarray(source), value_range, what="array")
        data = D.ImageSet(images=D.as_nhwc(arr, "array"), name=name or "array", source="in-memory array")
        if size:
            data = data.with_images(D.resize(data.images, size))
        if grayscale:
            data = data.with_images(D.to_grayscale(data.images))
    if len(data) == 0:
        raise D.DataError(f"set {data.name!r} holds no images")
    labels = image_groups(data, groups, npz_path=npz)
    if split_groups == "auto":
        dup = near_duplicate_groups(data)
    else:
        dup = image_groups(data, split_groups, npz_path=npz)
    ids = list(data.paths) if data.paths else [f"#{i}" for i in range(len(data))]
    out = PreparedSet(
        name=name or data.name, source=data.source, images=data.images, groups=labels, ids=ids, split_groups=dup
    )
    if limit and limit < len(out):
        keep = D.subsample(len(out), limit, seed)
        out = out.take(keep)
        out.source += f"; {limit} images chosen at random (seed {seed})"
    if out.streamed:
        out.images.check()  # every file decoded once now: unreadable ones are named before any training
        out.source += (
            f"; {out.images.nbytes / 2**20:.0f} MiB decoded, over the memory budget of {memory_budget}: "
            "decoded per batch" + (f", cached in {cache}" if cache else "")
        )
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


def split_heldout(n: int, heldout: float, seed: int, groups=None) -> tuple[np.ndarray, np.ndarray]:
    """Seeded random split of ``range(n)`` into ``(train, heldout)`` index arrays (sorted, disjoint).

    With ``groups`` (one near-duplicate group label per image) whole groups go
    to one side (:func:`aeutils.data.splits.group_split`), so no group has
    images on both sides; without, the split is the plain seeded permutation
    (the one the benchmark's calibration was measured with).

    Raises:
        DataError: fewer than :data:`MIN_HELDOUT` held-out units (images, or
            groups with ``groups``) or :data:`MIN_TRAIN` training images.

    Example:
    >>> tr, te = split_heldout(10, 0.3, seed=0)
    >>> len(tr), len(te), set(tr) & set(te)
    (7, 3, set())
    >>> tr, te = split_heldout(12, 0.5, seed=0, groups=[i // 2 for i in range(12)])
    >>> len(te), sorted({i // 2 for i in tr} & {i // 2 for i in te})
    (6, [])
    """
    if groups is not None:
        if len(groups) != n:
            raise D.DataError(f"{len(groups)} split-group labels for {n} images")
        train, held = group_split(groups, heldout, seed)
        n_units = len(np.unique(np.asarray(groups).astype(str)[held]))
        if n_units < MIN_HELDOUT or len(train) < MIN_TRAIN:
            raise D.DataError(
                f"{n} images in {len(np.unique(np.asarray(groups).astype(str)))} near-duplicate groups are too "
                f"few to hold out {heldout:.0%} in whole groups (need {MIN_HELDOUT} groups held out)"
            )
        return train, held
    n_held = int(math.floor(heldout * n))
    if n_held < MIN_HELDOUT or n - n_held < MIN_TRAIN:
        raise D.DataError(f"{n} images are too few to hold out {heldout:.0%} (need {MIN_HELDOUT} held out)")
    perm = np.random.default_rng(seed).permutation(n)
    return np.sort(perm[n_held:]), np.sort(perm[:n_held])


def _digests(s: PreparedSet, *, by_file: bool, chunk: int = 64) -> list[str]:
    """One content hash per image: of the file's bytes (``by_file``), else of the prepared float32 pixels."""
    if by_file:
        out = []
        for f in s.ids:
            h = hashlib.blake2b(digest_size=16)
            with open(f, "rb") as fh:
                for block in iter(lambda fh=fh: fh.read(1 << 20), b""):
                    h.update(block)
            out.append(h.hexdigest())
        return out
    out = []
    for i in range(0, len(s), chunk):  # a chunk at a time: streamed sets are decoded, never held whole
        for img in np.asarray(s.images[i : i + chunk], dtype=np.float32):
            data = np.ascontiguousarray(img).tobytes() + str(img.shape).encode()
            out.append(hashlib.blake2b(data, digest_size=16).hexdigest())
    return out


def _files(s: PreparedSet) -> list[Path] | None:
    if not s.ids or any(i.startswith("#") for i in s.ids):
        return None
    paths = [Path(i) for i in s.ids]
    return [p.resolve() for p in paths] if all(p.is_file() for p in paths) else None


def set_overlap(a: PreparedSet, b: PreparedSet, *, examples: int = 5) -> dict:
    """Images that sets A and B share, by resolved file path or by content (the same bytes, or the same pixels).

    Files are compared by their resolved paths and by a hash of their bytes when both sets are
    image folders; otherwise by a hash of the prepared images (after resizing), so the same
    picture loaded twice counts whatever its source. A shared image sits on both sides of the
    comparison: it pulls the two sets together, and with a whole set shared the test compares
    a set with itself.

    Returns:
        ``{"shared": images of A also in B, "shared_b": images of B also in A,
        "of_a": shared / len(A), "of_b": shared_b / len(B), "same_files": A and B are the
        same files, "by": "path or file content" | "pixels", "examples": [A's ids]}``.

    Example:
    >>> x = np.random.default_rng(0).random((4, 8, 8, 1)).astype(np.float32)
    >>> o = set_overlap(PreparedSet("a", "", x), PreparedSet("b", "", x[2:]))
    >>> o["shared"], o["of_a"], o["of_b"]
    (2, 0.5, 1.0)
    """
    fa, fb = _files(a), _files(b)
    by_file = fa is not None and fb is not None
    da, db = _digests(a, by_file=by_file), _digests(b, by_file=by_file)
    keys_b, keys_a = set(db), set(da)
    if by_file:
        keys_b |= {str(p) for p in fb}
        keys_a |= {str(p) for p in fa}
        in_b = [d in keys_b or str(p) in keys_b for d, p in zip(da, fa)]
        in_a = [d in keys_a or str(p) in keys_a for d, p in zip(db, fb)]
    else:
        in_b = [d in keys_b for d in da]
        in_a = [d in keys_a for d in db]
    shared, shared_b = int(sum(in_b)), int(sum(in_a))
    return {
        "shared": shared,
        "shared_b": shared_b,
        "of_a": shared / max(len(a), 1),
        "of_b": shared_b / max(len(b), 1),
        "same_files": bool(by_file and set(fa) == set(fb)),
        "by": "path or file content" if by_file else "pixels",
        "examples": [a.ids[i] for i in np.flatnonzero(in_b)[:examples]],
    }


def overlap_warning(overlap: dict) -> str | None:
    """The warning for sets that share images (``None`` when they share none).

    Example:
    >>> overlap_warning({"shared": 0, "shared_b": 0})
    >>> o = {"shared": 3, "shared_b": 3, "of_a": 0.5, "of_b": 1.0, "same_files": False, "by": "pixels"}
    >>> overlap_warning(o)[:40]
    'sets A and B share images: 3 of A (50%) '
    """
    if not overlap["shared"] and not overlap["shared_b"]:
        return None
    if overlap["same_files"] or (overlap["of_a"] == 1.0 and overlap["of_b"] == 1.0):
        return (
            "sets A and B are the same images (by " + overlap["by"] + "): the comparison tests a set "
            "against itself and can only say 'same'"
        )
    return (
        f"sets A and B share images: {overlap['shared']} of A ({overlap['of_a']:.0%}) are also in B, "
        f"{overlap['shared_b']} of B ({overlap['of_b']:.0%}) in A (by {overlap['by']}): shared images pull the "
        "two sets together; remove them from one set for an honest comparison"
    )
