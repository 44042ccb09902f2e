"""Image folders larger than memory: images decoded on demand, and ``tf.data`` streams of them or their patches.

A folder too large to hold decoded (more than a memory budget, :data:`DEFAULT_MEMORY_BUDGET`)
is opened as :class:`FileImages`: a lazy ``(N, H, W, C)`` float32 array whose images are
decoded by :func:`aeutils.data.read_image`, the in-memory loader's own function, when they
are indexed. So the faithfulness rules (bit depth, value range, reduced-size JPEG decoding)
are the same whichever way a folder is read, and the numbers are the same too:

* :meth:`FileImages.to_dataset` and :class:`PatchStream` give ``(x, x)`` batches in the
  order :func:`aeutils.data.make_dataset` gives the in-memory arrays (the same seeded shuffle
  of the same indices), decoding each batch's images as it is needed, so
  :func:`aeutils.train.fit` on a stream trains like ``fit`` on the arrays;
* :func:`patch_stream` picks the same patches as cutting the decoded images with
  :func:`aeutils.data.extract_patches` and keeping a seeded subsample.

An optional on-disk cache (``cache=DIR``) stores each decoded image once, as raw float32 in
one file, so later epochs read pixels (a patch reads only its rows) instead of decoding.
Memory then holds a batch at a time, whatever the folder's size.

``tf.data`` makes this module TensorFlow-only.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import tensorflow as tf

from aeutils.data.imageset import DataError, ImageSet
from aeutils.data.patches import patch_starts
from aeutils.data.sources import folder_set, image_files, image_shape, read_image
from aeutils.data.splits import subsample
from aeutils.settings import DEFAULT_MEMORY_BUDGET

_UNITS = {"": 1, "b": 1, "k": 1e3, "kb": 1e3, "m": 1e6, "mb": 1e6, "g": 1e9, "gb": 1e9, "t": 1e12, "tb": 1e12,
          "kib": 2**10, "mib": 2**20, "gib": 2**30, "tib": 2**40}


def parse_bytes(value) -> int | None:
    """A memory size as bytes: ``"2GiB"``, ``"512 MiB"``, ``"1.5GB"``, ``4096``; ``None``/``"none"`` → ``None``.

    Raises:
        ValueError: a size that cannot be read.

    Example:
    >>> parse_bytes("2GiB"), parse_bytes("1.5 kB"), parse_bytes(0), parse_bytes("none")
    (2147483648, 1500, 0, None)
    """
    if value is None or (isinstance(value, str) and value.strip().lower() in ("none", "inf", "")):
        return None
    if isinstance(value, (int, float, np.integer, np.floating)):
        if value < 0:
            raise ValueError(f"a memory size must be >= 0, got {value}")
        return int(value)
    m = re.fullmatch(r"\s*([0-9]*\.?[0-9]+)\s*([a-zA-Z]*)\s*", str(value))
    if not m or m.group(2).lower() not in _UNITS:
        raise ValueError(f"cannot read memory size {value!r}; write e.g. 2GiB, 512MiB or 1.5GB")
    return int(float(m.group(1)) * _UNITS[m.group(2).lower()])


def fits(nbytes: int, budget) -> bool:
    """Whether ``nbytes`` fit in a memory budget (``None``: no limit, always).

    Example:
    >>> fits(10, "1KiB"), fits(2000, "1KiB"), fits(10**12, None)
    (True, False, True)
    """
    limit = parse_bytes(budget)
    return limit is None or nbytes <= limit


class FileImages:
    """Images in files, decoded on demand with :func:`~aeutils.data.read_image`: a lazy ``(N, H, W, C)`` array.

    Indexing (``x[i]``, ``x[2:5]``, ``x[[0, 3]]``) decodes and returns float32 arrays in
    [0, 1]; :meth:`take` returns a lazy subset; ``np.asarray(x)`` decodes all.

    Args:
        files: the image files.
        size: resize every image to this side (int) or ``(H, W)``; needed when files differ in size.
        grayscale: convert to one channel.
        value_range: the declared range of float files (see :func:`~aeutils.data.read_image`).
        cache: a folder for the on-disk cache of decoded images (``None``: decode every time).

    Raises:
        DataError: files that cannot be opened, of different sizes without ``size``, or of
            mixed channel counts without ``grayscale`` (read from the headers, nothing decoded).
    """

    dtype = np.dtype(np.float32)
    ndim = 4

    def __init__(self, files: Sequence, *, size=None, grayscale: bool = False, value_range=None, cache=None,
                 _shape=None, _rows=None, _store=None):
        self.files = [Path(f) for f in files]
        self.size, self.grayscale, self.value_range, self.cache = size, grayscale, value_range, cache
        if _shape is None:
            if not self.files:
                raise DataError("no image files given")
            shapes, bad = {}, []
            for f in self.files:
                try:
                    shapes.setdefault(image_shape(f, size=size, grayscale=grayscale), []).append(f)
                except DataError as err:  # every unreadable file named, as the in-memory loader does
                    bad.append(str(err).replace(": unreadable: ", " (", 1) + ")")
            if bad:
                raise DataError(f"{len(bad)} unreadable image file(s): " + "; ".join(bad))
            if len({s[-1] for s in shapes}) > 1:
                counts = {c: sum(len(v) for s, v in shapes.items() if s[-1] == c) for c in (1, 3)}
                raise DataError(
                    f"image files have different channel counts {counts} (1 = grayscale, 3 = colour); "
                    "load with grayscale=True (--grayscale) to convert the colour ones, or use one kind"
                )
            if len(shapes) > 1:
                raise DataError(
                    f"image files have {len(shapes)} different sizes, e.g. {sorted(shapes)[:3]}; "
                    "pass size= to resize them"
                )
            _shape = next(iter(shapes))
        self.image_shape = tuple(int(v) for v in _shape)
        self._rows = np.arange(len(self.files)) if _rows is None else np.asarray(_rows)
        self._store = _store if _store is not None else {"path": None, "filled": False}

    @property
    def shape(self) -> tuple[int, int, int, int]:
        """``(N, H, W, C)``, as the decoded array would have."""
        return (len(self.files), *self.image_shape)

    @property
    def nbytes(self) -> int:
        """Bytes the decoded images would take in memory (float32)."""
        return int(np.prod(self.shape)) * 4

    def __len__(self) -> int:
        return len(self.files)

    def __repr__(self) -> str:
        return f"FileImages({len(self)} files, images {self.image_shape}, {self.nbytes / 2**20:.0f} MiB decoded)"

    def take(self, index) -> FileImages:
        """The images at ``index`` (an int array or slice), still on disk."""
        index = np.arange(len(self))[index] if isinstance(index, slice) else np.asarray(index, dtype=np.int64)
        return FileImages([self.files[i] for i in index], size=self.size, grayscale=self.grayscale,
                          value_range=self.value_range, cache=self.cache, _shape=self.image_shape,
                          _rows=self._rows[index], _store=self._store)

    def read(self, i: int) -> np.ndarray:
        """Image ``i`` decoded, ``(H, W, C)`` float32 (from the cache once it is filled)."""
        if self._store["filled"]:
            return np.array(self._memmap()[self._rows[i]])
        x = read_image(self.files[i], size=self.size, grayscale=self.grayscale, value_range=self.value_range)
        if x.shape != self.image_shape:
            raise DataError(f"{self.files[i]}: decoded to {x.shape}, expected {self.image_shape} like the others")
        return x

    def read_patch(self, i: int, top: int, left: int, patch: int) -> np.ndarray:
        """The ``patch`` x ``patch`` square of image ``i`` at ``(top, left)`` (``patch=0``: the whole image)."""
        if not patch:
            return self.read(i)
        if self._store["filled"]:  # only the patch's rows are read from the cache file
            return np.array(self._memmap()[self._rows[i], top : top + patch, left : left + patch])
        return self.read(i)[top : top + patch, left : left + patch]

    def __getitem__(self, key):
        if isinstance(key, (int, np.integer)):
            return self.read(int(key) % len(self))
        index = np.arange(len(self))[key] if isinstance(key, slice) else np.asarray(key)
        if index.dtype == bool:
            index = np.flatnonzero(index)
        if not len(index):
            return np.zeros((0, *self.image_shape), np.float32)
        return np.stack([self.read(int(i)) for i in index])

    def __array__(self, dtype=None, copy=None):
        out = self[:]
        return out if dtype is None else out.astype(dtype)

    def _memmap(self):
        n = int(self._rows.max()) + 1 if self._store.get("n") is None else self._store["n"]
        return np.memmap(self._store["path"], dtype=np.float32, mode="r", shape=(n, *self.image_shape))

    def check(self, *, chunk: int = 64) -> FileImages:
        """Decode every image once, so unreadable files are named before any training; fill the cache if asked.

        Returns:
            ``self`` (its cache filled when ``cache`` is set).

        Raises:
            DataError: unreadable files, all named with their reasons.
        """
        bad, out = [], None
        if self.cache is not None and not self._store["filled"]:
            Path(self.cache).mkdir(parents=True, exist_ok=True)
            fd, path = tempfile.mkstemp(prefix="aeutils-images-", suffix=".f32", dir=self.cache)
            os.close(fd)
            n = int(self._rows.max()) + 1
            self._store.update(path=path, n=n)
            out = np.memmap(path, dtype=np.float32, mode="w+", shape=(n, *self.image_shape))
        for s in range(0, len(self), chunk):
            for i in range(s, min(s + chunk, len(self))):
                try:
                    x = self.read(i)
                except DataError as err:
                    if "unreadable" not in str(err):
                        raise
                    bad.append(str(err).replace(": unreadable: ", " (", 1) + ")")
                    continue
                if out is not None:
                    out[self._rows[i]] = x
            if out is not None:
                out.flush()
        if bad:
            raise DataError(f"{len(bad)} unreadable image file(s): " + "; ".join(bad))
        if out is not None:
            del out
            self._store["filled"] = True
        return self

    def to_dataset(self, *, batch_size: int = 128, shuffle: bool = False, seed: int = 0):
        """``(x, x)`` batches decoded per batch, in :func:`aeutils.data.make_dataset`'s order for the same seed."""
        return patch_stream([self], patch=0).to_dataset(batch_size=batch_size, shuffle=shuffle, seed=seed)


def patch_rows(n: int, h: int, w: int, patch: int, stride: int | None = None) -> np.ndarray:
    """``(image, top, left)`` rows of the patches :func:`aeutils.data.extract_patches` cuts, in its order.

    ``patch=0`` gives one row ``(i, 0, 0)`` per whole image.

    Example:
    >>> patch_rows(2, 10, 10, 4, 3)[:2].tolist(), len(patch_rows(2, 10, 10, 4, 3)), patch_rows(2, 8, 8, 0).tolist()
    ([[0, 0, 0], [0, 0, 3]], 18, [[0, 0, 0], [1, 0, 0]])
    """
    if not patch:
        return np.stack([np.arange(n), np.zeros(n, int), np.zeros(n, int)], 1).astype(np.int64)
    stride = stride or patch
    tops, lefts = patch_starts(h, patch, stride), patch_starts(w, patch, stride)
    return np.array([(i, t, l) for i in range(n) for t in tops for l in lefts], dtype=np.int64).reshape(-1, 3)


class PatchStream:
    """Patches (or whole images) of one or more image sources, gathered per batch: a ``tf.data`` input for ``fit``.

    Args:
        sources: :class:`FileImages` or in-memory ``(N, H, W, C)`` arrays.
        rows: ``(K, 4)`` int rows ``(source, image, top, left)``.
        patch: patch side (``0``: whole images).
        channels, shape: the output's ``(patch, patch, C)`` (read from the sources when omitted).
    """

    def __init__(self, sources: Sequence, rows: np.ndarray, patch: int):
        self.sources, self.rows, self.patch = list(sources), np.asarray(rows, dtype=np.int64), int(patch)
        first = self.sources[0]
        h, w, c = first.image_shape if isinstance(first, FileImages) else np.shape(first)[1:]
        self.element_shape = (self.patch, self.patch, c) if self.patch else (h, w, c)

    def __len__(self) -> int:
        return len(self.rows)

    def gather(self, index) -> np.ndarray:
        """The inputs at ``index`` (rows of :attr:`rows`), as a float32 batch; each image decoded once."""
        decoded = {}
        out = np.empty((len(index), *self.element_shape), np.float32)
        for k, r in enumerate(np.asarray(index, dtype=np.int64)):
            s, i, t, left = (int(v) for v in self.rows[r])
            src = self.sources[s]
            if isinstance(src, FileImages):
                if src._store["filled"]:
                    out[k] = src.read_patch(i, t, left, self.patch)
                    continue
                if (s, i) not in decoded:
                    decoded[(s, i)] = src.read(i)
                img = decoded[(s, i)]
            else:
                img = src[i]
            out[k] = img[t : t + self.patch, left : left + self.patch] if self.patch else img
        return out

    def to_dataset(self, *, batch_size: int = 128, shuffle: bool = False, seed: int = 0):
        """``(x, x)`` batches: the same seeded shuffle of the same indices as :func:`aeutils.data.make_dataset`.

        Build it after the run's seed is set (:func:`aeutils.train.fit` does, when given the stream itself).
        """
        n = len(self)
        ds = tf.data.Dataset.range(n)
        if shuffle:
            ds = ds.shuffle(n, seed=seed, reshuffle_each_iteration=True)
        ds = ds.batch(batch_size)
        shape = (None, *self.element_shape)

        def load(i):
            x = tf.numpy_function(self.gather, [i], tf.float32, stateful=False)
            x.set_shape(shape)
            return x, x

        return ds.map(load, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True).prefetch(2)


def patch_stream(
    sources: Sequence,
    *,
    patch: int,
    stride: int | None = None,
    cap: int | None = None,
    seed: int = 0,
) -> PatchStream:
    """The training inputs of each source (its patches, capped at ``cap`` by a seeded subsample), one after the other.

    Picks exactly what cutting each decoded source with :func:`aeutils.data.extract_patches` and
    keeping ``subsample(len, cap, seed)`` of the patches would, without decoding anything.

    Example:
    >>> s = patch_stream([np.zeros((2, 8, 8, 1)), np.ones((1, 8, 8, 1))], patch=4, cap=3)
    >>> len(s), s.gather([0, 3]).shape
    (6, (2, 4, 4, 1))
    """
    parts = []
    for k, src in enumerate(sources):
        n, h, w = (len(src), *(src.image_shape[:2] if isinstance(src, FileImages) else np.shape(src)[1:3]))
        rows = patch_rows(n, h, w, patch, stride)
        if cap and len(rows) > cap:
            rows = rows[subsample(len(rows), cap, seed)]
        parts.append(np.concatenate([np.full((len(rows), 1), k), rows], axis=1))
    return PatchStream(sources, np.concatenate(parts), patch)


def open_folder(
    path: str | os.PathLike,
    *,
    size=None,
    grayscale: bool = False,
    value_range=None,
    cache=None,
) -> ImageSet:
    """An image folder as an :class:`~aeutils.data.ImageSet` whose ``images`` stay on disk (:class:`FileImages`).

    Labels, names and paths are those :func:`aeutils.data.load_folder` gives; only headers are
    read (sizes and channel counts checked), nothing is decoded.

    Raises:
        DataError: a missing or empty folder, files that cannot be opened, mixed sizes without
            ``size``, mixed channel counts without ``grayscale``.
    """
    root = Path(path)
    files = image_files(root)
    images = FileImages(files, size=size, grayscale=grayscale, value_range=value_range, cache=cache)
    return folder_set(root, files, images, how=", streamed from disk")


def load_or_open(
    path: str | os.PathLike,
    *,
    size=None,
    grayscale: bool = False,
    value_range=None,
    memory_budget=DEFAULT_MEMORY_BUDGET,
    cache=None,
) -> ImageSet:
    """An image folder decoded in memory when it fits ``memory_budget``, else opened on disk (:func:`open_folder`).

    The two give the same pixels (:func:`aeutils.data.read_image` decodes both); pass either
    set's ``images`` to :func:`aeutils.train.fit`.

    Example:
    >>> import tempfile; from PIL import Image
    >>> d = Path(tempfile.mkdtemp())
    >>> for i in range(3): Image.fromarray(np.full((8, 8), 40 * i, np.uint8)).save(d / f"{i}.png")
    >>> type(load_or_open(d).images).__name__, type(load_or_open(d, memory_budget=100).images).__name__
    ('ndarray', 'FileImages')
    """
    from aeutils.data.sources import load_folder

    lazy = open_folder(path, size=size, grayscale=grayscale, value_range=value_range, cache=cache)
    if fits(lazy.images.nbytes, memory_budget):
        return load_folder(path, size=size, grayscale=grayscale, value_range=value_range)
    lazy.images.check()
    return lazy
