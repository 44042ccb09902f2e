"""Reading image sets: :func:`load`, the one entry point, and the loader of each kind of source.

:func:`load` reads every supported source into an :class:`~aeutils.data.imageset.ImageSet`
(float32 images in [0, 1], shape ``(N, H, W, C)``):

* ``"mnist"``, ``"cifar10"``, ``"tfds:fashion_mnist"`` ... — TensorFlow Datasets
  (needs network or a prepared tfds cache; :func:`load_tfds`);
* ``"npz:path/to/file.npz"`` or any path ending in ``.npz`` — keys
  ``x_train/y_train/x_test/y_test`` or ``images`` (+ optional ``labels``; :func:`load_npz`);
* a folder of image files (recursive; labels from the first sub-folder level; :func:`load_folder`);
* ``"embedded:NAME"`` — offline sets that ship inside pip packages, see
  :data:`aeutils.data.embedded.EMBEDDED`.

Also :func:`load_square_images` (photos of any size, centre-cropped square),
:func:`read_image_files` and :func:`resolve_path` (one rule for relative paths: the working
directory, then ``$AEUTILS_BASE_DIR`` or the project folder, then ``$AEUTILS_DATA_DIR``;
:func:`search_dirs`).
"""

from __future__ import annotations

import os
import socket
from pathlib import Path

import numpy as np
import tifffile
from PIL import Image, UnidentifiedImageError

from aeutils.data.embedded import embedded_photos, load_embedded
from aeutils.data.imageset import DataError, ImageSet, as_hw, as_nhwc
from aeutils.data.splits import subsample
from aeutils.data.transforms import center_crop_square, resize, to_grayscale, to_unit_range
from aeutils.settings import BASE_DIR_ENV, DATA_DIR_ENV

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp")


def load(
    source: str,
    *,
    size: int | tuple[int, int] | None = None,
    grayscale: bool = False,
    limit: int | None = None,
    seed: int = 0,
    value_range: tuple[float, float] | None = None,
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
        value_range: the range float images are stored in (``.npz`` arrays, float image files),
            e.g. ``(-1, 1)``; ``None``: ``(0, 1)`` for floats, the type's range for integers
            (8-bit / 255, 16-bit / 65535). Values outside it are refused, never remapped.

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
        out = load_npz(resolve_path(rest if kind == "npz" else source), value_range=value_range)
    elif kind == "folder" or os.path.sep in source or resolve_path(source).exists():
        out = load_folder(
            resolve_path(rest if kind == "folder" else source), size=size, grayscale=grayscale, value_range=value_range
        )
    elif kind == "tfds":
        out = load_tfds(rest)
    elif not rest:
        out = load_tfds(source)
    else:
        raise DataError(f"unknown source {source!r}: {_SOURCE_HELP}")
    if limit is not None and limit < len(out):
        out = out.take(subsample(len(out), limit, seed))
    if size is not None and out.shape[:2] != as_hw(size):
        out = out.with_images(resize(out.images, size))
    if grayscale and out.shape[-1] != 1:
        out = out.with_images(to_grayscale(out.images))
    return out


def _project_dir() -> Path | None:
    """The checkout this package sits in (it holds ``notebooks/``), or ``None`` for an installed package."""
    root = Path(__file__).resolve().parents[2]
    return root if (root / "notebooks").is_dir() and (root / "aeutils").is_dir() else None


def search_dirs() -> list[Path]:
    """The folders a relative path is looked up in, in order (duplicates dropped).

    The working directory; then ``$AEUTILS_BASE_DIR`` (the directory ``aeutils report`` was
    started from), or, when it is unset, the project folder (the one holding ``notebooks/``), so a
    path means the same file on the command line, in JupyterLab (which runs notebooks from
    ``notebooks/``) and in Python; then ``$AEUTILS_DATA_DIR`` if set.
    """
    base = os.environ.get(BASE_DIR_ENV)
    data = os.environ.get(DATA_DIR_ENV)
    dirs = [Path.cwd(), Path(base).expanduser() if base else _project_dir(),
            Path(data).expanduser() if data else None]
    out: list[Path] = []
    for d in dirs:
        if d is not None and d.resolve() not in [o.resolve() for o in out]:
            out.append(d)
    return out


def resolve_path(path: str | os.PathLike) -> Path:
    """Resolve a relative path against each of :func:`search_dirs` in turn; the first that exists wins.

    Returns the path unchanged when none exists, so the caller's "no such file" error names what
    the user typed (and, with :func:`looked_in`, where it was looked for).

    Example:
    >>> resolve_path("/no/such/file.npz")
    PosixPath('/no/such/file.npz')
    """
    path = Path(os.path.expanduser(str(path)))
    if path.is_absolute():
        return path
    for d in search_dirs():
        if (d / path).exists():
            return path if d == Path.cwd() else d / path
    return path


def looked_in(path: str | os.PathLike) -> str:
    """The tail of an error message for a missing ``path``: the folders a relative path was looked up in.

    Example:
    >>> looked_in("/abs/missing.npz")
    ''
    """
    if Path(os.path.expanduser(str(path))).is_absolute():
        return ""
    return " (a relative path, looked up in " + ", then ".join(str(d) for d in search_dirs()) + ")"


_SOURCE_HELP = (
    "use a tfds name ('mnist', 'tfds:cifar10'), 'npz:PATH', a folder of images, or one of "
    "the offline sets " + ", ".join(f"'embedded:{k}'" for k in ("mnist5000", "digits8x8",
    "photo_patches", "photos", "faces"))
)


def load_npz(path: str | os.PathLike, *, value_range: tuple[float, float] | None = None) -> ImageSet:
    """Read a ``.npz`` file with ``x_train/x_test`` (and ``y_*``) or ``images`` (and ``labels``).

    Train and test parts are concatenated; :attr:`ImageSet.subset` records which
    image came from which, so the official test split can be kept. Values are read
    by their type and ``value_range`` (see :func:`~aeutils.data.transforms.to_unit_range`).

    Raises:
        DataError: missing file, a pickled (object) array, no known keys, images of
            the wrong rank, labels or groups whose count differs from the images', or
            values outside the declared range; every message names the file.
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(f"no such .npz file: {path}{looked_in(path)}")
    try:
        z = dict(np.load(path, allow_pickle=False))
    except ValueError as err:
        if "pickle" in str(err).lower():
            raise DataError(
                f"{path} holds a pickled (object) array, which is refused for safety; "
                "save plain numeric arrays (np.savez with numbers or strings only)"
            ) from err
        raise DataError(f"cannot read {path} as .npz: {err}") from err
    except Exception as err:  # zipfile.BadZipFile, OSError, EOFError ...
        raise DataError(f"cannot read {path} as .npz: {err}") from err
    keys = set(z)
    label_names = [str(n) for n in z["label_names"]] if "label_names" in keys else None
    if {"x_train", "x_test"} <= keys:
        xs = [z["x_train"], z["x_test"]]
        ys = [z[k] if k in keys else None for k in ("y_train", "y_test")]
        subset = np.array(["train"] * len(xs[0]) + ["test"] * len(xs[1]))
        images = np.concatenate([as_nhwc(x, path) for x in xs])
        labels = np.concatenate(ys) if all(y is not None for y in ys) else None
    elif "images" in keys:
        images, subset = as_nhwc(z["images"], path), None
        lab_key = next((k for k in ("labels", "y", "object_id") if k in keys), None)
        labels = z[lab_key] if lab_key else None
    else:
        raise DataError(
            f"{path} has keys {sorted(keys)}; expected 'x_train' and 'x_test' or 'images'"
        )
    if labels is not None:
        labels = np.asarray(labels).ravel()
        if len(labels) != len(images):
            raise DataError(f"{path}: {len(labels)} labels for {len(images)} images; they must match one to one")
    return ImageSet(
        images=to_unit_range(images, value_range, what=str(path)),
        labels=None if labels is None else labels.astype(np.int64),
        name=path.stem,
        source=f"npz file {path.resolve()}",
        label_names=label_names,
        subset=subset,
    )


def load_folder(
    path: str | os.PathLike,
    *,
    size: int | tuple[int, int] | None = None,
    grayscale: bool = False,
    value_range: tuple[float, float] | None = None,
) -> ImageSet:
    """Read every image file below ``path``; labels come from the first sub-folder level.

    Each file is read faithfully (:func:`read_image`): 8-bit / 255, 16-bit / 65535,
    float files as stored (in ``value_range``); with ``size`` each image is decoded at
    reduced size where the format allows (JPEG) and resized as it is read, so memory
    holds only the resized set. Images of different sizes need ``size``; grayscale and
    colour files mixed need ``grayscale=True`` (colour files are then converted to luma).

    Raises:
        DataError: missing or empty folder, unreadable files (all named, with the reason),
            mixed sizes without ``size``, or mixed channel counts without ``grayscale``.
    """
    root = Path(path)
    files, arrays = read_image_files(root, size=size, grayscale=grayscale, value_range=value_range)
    shapes = {a.shape for a in arrays}
    if len(shapes) > 1:
        raise DataError(
            f"images in {root} have {len(shapes)} different sizes, e.g. "
            f"{sorted(shapes)[:3]}; pass size= to resize them"
        )
    return folder_set(root, files, np.stack(arrays).astype(np.float32))


def folder_set(root: str | os.PathLike, files, images, *, how: str = "") -> ImageSet:
    """An image folder's :class:`ImageSet`: ``images`` (array or files on disk), :func:`folder_labels`, paths."""
    root = Path(root)
    labels, names = folder_labels(root, files)
    source = f"image folder {root} ({len(files)} files){how}"
    return ImageSet(images, labels, root.name, source, label_names=names, paths=[str(f) for f in files])


def _unreadable_reason(err: Exception, path: Path | None = None) -> str:
    """Why a file could not be decoded, in words: permission denied, empty, truncated, not an image."""
    text = str(err)
    low = text.lower()
    if isinstance(err, PermissionError):
        return "permission denied"
    if path is not None and path.is_file() and path.stat().st_size == 0:
        return "empty file (0 bytes)"
    if isinstance(err, UnidentifiedImageError) or "not a tiff" in low:
        return "not an image (or a format Pillow cannot read)"
    truncated = ("truncated", "broken data stream", "failed to read", "unexpected end", "buffer is not large enough")
    if isinstance(err, EOFError) or any(t in low for t in truncated):
        return f"truncated file ({text})"
    return f"{type(err).__name__}: {text}"


def read_image(
    path: str | os.PathLike,
    *,
    size: int | tuple[int, int] | None = None,
    grayscale: bool = False,
    value_range: tuple[float, float] | None = None,
    square: bool = False,
) -> np.ndarray:
    """Decode one image file faithfully into float32 ``(H, W, C)`` in [0, 1], C in {1, 3}.

    8-bit files are divided by 255 and 16-bit files (PNG, TIFF) by 65535, keeping their
    precision; float files (TIFF ``F``) are read as stored and mapped from ``value_range``
    (default ``(0, 1)``: values outside it are refused); nothing is stretched per image.
    Alpha is dropped and palettes expanded. 16-bit colour TIFFs are read with tifffile
    (Pillow would cut them to 8 bits). With ``size``, a JPEG is decoded at the smallest
    reduced scale that still covers ``size`` (draft mode) and the image is resized
    (after a centre crop to a square with ``square=True``).

    Raises:
        DataError: the file cannot be read (the reason is named), or its values fall outside
            the declared range.
    """
    path = Path(path)
    what = str(path)
    try:
        if path.suffix.lower() in (".tif", ".tiff"):
            arr = tifffile.imread(path)
            if arr.ndim == 3 and arr.shape[-1] not in (1, 2, 3, 4) and arr.shape[0] in (1, 3, 4):
                arr = np.moveaxis(arr, 0, -1)  # planar (C, H, W) storage
        else:
            with Image.open(path) as im:
                if size is not None and im.format == "JPEG":
                    h, w = as_hw(size)
                    im.draft(im.mode, (w, h))
                im.load()
                arr = _pil_array(im)
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError) as err:
        raise DataError(f"{path}: unreadable: {_unreadable_reason(err, path)}") from err
    if arr.ndim == 2:
        arr = arr[..., None]
    if arr.ndim != 3 or arr.shape[-1] not in (1, 2, 3, 4):
        raise DataError(f"{path}: unsupported image layout {arr.shape}")
    if arr.shape[-1] in (2, 4):  # gray + alpha, RGB + alpha
        arr = arr[..., :-1]
    x = to_unit_range(arr, value_range, what=what)
    if grayscale:
        x = to_grayscale(x)
    if square:
        x = center_crop_square(x)
    if size is not None and x.shape[:2] != as_hw(size):
        x = resize(x[None], size)[0]
    return x


def image_shape(
    path: str | os.PathLike,
    *,
    size: int | tuple[int, int] | None = None,
    grayscale: bool = False,
) -> tuple[int, int, int]:
    """The ``(H, W, C)`` :func:`read_image` returns for a file, from its header (nothing decoded).

    Channels follow :func:`read_image`: gray, gray + alpha, 16-bit, integer and float modes
    give 1, everything else 3 (alpha dropped, palettes expanded).

    Raises:
        DataError: the file cannot be opened (the reason is named).

    Example:
    >>> import tempfile
    >>> f = Path(tempfile.mkdtemp()) / "a.png"
    >>> Image.fromarray(np.zeros((4, 6, 3), np.uint8)).save(f)
    >>> image_shape(f), image_shape(f, size=8, grayscale=True)
    ((4, 6, 3), (8, 8, 1))
    """
    path = Path(path)
    try:
        if path.suffix.lower() in (".tif", ".tiff"):
            with tifffile.TiffFile(path) as t:
                shp = tuple(t.series[0].shape)
            if len(shp) == 3 and shp[-1] not in (1, 2, 3, 4) and shp[0] in (1, 3, 4):
                shp = (*shp[1:], shp[0])  # planar storage, as read_image moves it
            h, w = shp[:2]
            c = 1 if len(shp) == 2 or shp[-1] in (1, 2) else 3
        else:
            with Image.open(path) as im:
                w, h = im.size
                c = 1 if im.mode in ("1", "L", "LA", "I", "F") or im.mode.startswith("I;16") else 3
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError) as err:
        raise DataError(f"{path}: unreadable: {_unreadable_reason(err, path)}") from err
    if grayscale:
        c = 1
    return (*as_hw(size), c) if size is not None else (int(h), int(w), c)


def image_files(root: str | os.PathLike) -> list[Path]:
    """The image files below ``root`` (recursive, sorted), as :func:`load_folder` reads them.

    Raises:
        DataError: a missing folder, or one without image files.
    """
    root = Path(root)
    if not root.is_dir():
        raise DataError(f"no such folder: {root}{looked_in(root)}")
    files = sorted(p for p in root.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file())
    if not files:
        raise DataError(f"folder {root} holds no image files ({', '.join(IMAGE_SUFFIXES)})")
    return files


def folder_labels(root: str | os.PathLike, files) -> tuple[np.ndarray | None, list[str] | None]:
    """Labels from the first sub-folder level below ``root`` (``None`` when there is one level).

    Returns:
        ``(labels, label_names)``: int labels per file and the sorted sub-folder names.
    """
    rel = [Path(f).relative_to(root) for f in files]
    groups = [r.parts[0] if len(r.parts) > 1 else "" for r in rel]
    names = sorted(set(groups))
    if len(names) <= 1:
        return None, None
    return np.array([names.index(g) for g in groups]), names


def read_image_files(
    root: Path,
    *,
    size: int | tuple[int, int] | None = None,
    grayscale: bool = False,
    value_range: tuple[float, float] | None = None,
    square: bool = False,
) -> tuple[list[Path], list[np.ndarray]]:
    """Decode every image file below ``root`` (sorted) with :func:`read_image` (same options).

    Returns:
        ``(files, arrays)``: the paths and float32 ``(H, W, C)`` arrays in [0, 1], C in {1, 3}.

    Raises:
        DataError: missing or empty folder, unreadable files (all named, each with its
            reason), or mixed channel counts without ``grayscale``.
    """
    root = Path(root)
    files = image_files(root)
    arrays, bad = [], []
    for f in files:
        try:
            arrays.append(read_image(f, size=size, grayscale=grayscale, value_range=value_range, square=square))
        except DataError as err:
            if "unreadable" not in str(err):
                raise
            bad.append(str(err).replace(": unreadable: ", " (", 1) + ")")
    if bad:
        raise DataError(f"{len(bad)} unreadable image file(s): " + "; ".join(bad))
    channels = {a.shape[-1] for a in arrays}
    if len(channels) > 1:
        counts = {c: sum(a.shape[-1] == c for a in arrays) for c in sorted(channels)}
        raise DataError(
            f"images in {root} have different channel counts {counts} (1 = grayscale, "
            "3 = colour); load with grayscale=True (--grayscale) to convert the colour ones, or use one kind"
        )
    return files, arrays


def _pil_array(im) -> np.ndarray:
    """A decoded PIL image as an array of its own type: uint8, uint16 (``I;16``) or float32 (``F``)."""
    if im.mode.startswith("I;16"):
        return np.asarray(im).astype(np.uint16)
    if im.mode == "I":  # 32-bit integers: PNGs of 16 bits per sample decode to this on some builds
        arr = np.asarray(im)
        if im.format == "PNG" and arr.min() >= 0 and arr.max() <= 65535:
            return arr.astype(np.uint16)
        raise ValueError("32-bit integer image: declare its range by converting it to 8 or 16 bits first")
    if im.mode == "F":
        return np.asarray(im, dtype=np.float32)
    if im.mode == "1":
        return np.asarray(im, dtype=bool)
    if im.mode in ("L", "LA"):
        return np.asarray(im.convert("L"), dtype=np.uint8)
    return np.asarray(im.convert("RGB"), dtype=np.uint8)


TFDS_OFFLINE_HINT = (
    "tensorflow-datasets could not get {name!r}: this machine has no network and no prepared "
    "copy in {data_dir}. Offline sources: {npz}, a folder of images, or 'embedded:mnist5000', "
    "'embedded:photo_patches', 'embedded:digits8x8', 'embedded:faces', 'embedded:photos'."
)


def offline_npz_hint(name: str) -> str:
    """How to name ``NAME.npz`` as a source from here: a path that resolves, or where to put the file.

    Tries ``NAME.npz`` (in ``$AEUTILS_DATA_DIR``) and ``../shared/data/NAME.npz`` (this project's
    data folder) with :func:`resolve_path`, so the hint is right in JupyterLab and on the command line.
    """
    for candidate in (f"{name}.npz", f"../shared/data/{name}.npz"):
        found = resolve_path(candidate)
        if found.is_file():
            return f"'npz:{candidate}' (found: {found.resolve()})"
    return (f"'npz:PATH/{name}.npz' if you have the file (or 'npz:{name}.npz' with ${DATA_DIR_ENV} set to its "
            f"folder){looked_in(name + '.npz')}")


def load_tfds(name: str, *, data_dir: str | None = None, timeout: float = 3.0) -> ImageSet:
    """Load a TensorFlow Datasets image set (all splits), failing fast when offline.

    Raises:
        DataError: unknown name, or no prepared copy and no network.
    """
    import tensorflow_datasets as tfds  # heavy and optional (only tfds sources need it): imported here

    try:
        builder = tfds.builder(name, data_dir=data_dir)
    except Exception as err:
        raise DataError(f"unknown tensorflow-datasets name {name!r}: {err}") from err
    if not builder.is_prepared():
        try:
            socket.create_connection(("storage.googleapis.com", 443), timeout=timeout).close()
        except OSError as err:
            raise DataError(
                TFDS_OFFLINE_HINT.format(name=name, data_dir=builder.data_dir, npz=offline_npz_hint(name))
            ) from err
        builder.download_and_prepare()
    splits = list(builder.info.splits.keys())
    images, labels, subset = [], [], []
    for split in splits:
        x, y = tfds.as_numpy(builder.as_dataset(split=split, batch_size=-1, as_supervised=True))
        images.append(as_nhwc(x, name))
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
            Relative paths are looked up as :func:`resolve_path` says.
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
        files, arrays = read_image_files(root, size=size, square=True)
        rel = [f.relative_to(root) for f in files]
        groups = [r.parts[0] if len(r.parts) > 1 else "" for r in rel]
        group_names = sorted(set(groups))
        if len(group_names) > 1:
            labels, label_names = np.array([group_names.index(g) for g in groups]), group_names
        else:
            labels, label_names = np.arange(len(files)), [f.stem for f in files]
        out = ImageSet(
            images=np.stack(arrays),
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
        out = out.take(subsample(len(out), limit, seed))
    return out
