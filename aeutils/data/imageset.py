"""The in-memory image set and the array-shape helpers every data module uses.

:class:`ImageSet` (float32 images in [0, 1], shape ``(N, H, W, C)``, with
labels, names and provenance), :class:`DataError` (the one error the data layer
raises), :func:`as_nhwc` and :func:`as_hw` (shape normalisation) and
:func:`image_names`.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np


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

    def __repr__(self) -> str:
        """A one-line summary: name, count, shape, value range and labels (never the pixels).

        Example:
        >>> ImageSet(np.zeros((3, 2, 2, 1), np.float32), labels=np.array([0, 1, 1]), name="toy")
        ImageSet('toy': 3 images of 2x2x1, labels 0..1 (2 classes))
        """
        shape = "x".join(str(v) for v in self.images.shape[1:])
        if self.labels is not None and len(self.labels):
            names = self.label_names
            k = len(np.unique(self.labels))
            labels = f", labels {int(np.min(self.labels))}..{int(np.max(self.labels))} ({k} classes)"
            if names and len(names) <= 4:
                labels = f", labels {', '.join(map(str, names))}"
        else:
            labels = ""
        subset = ""
        if self.subset is not None:
            n_test = int((np.asarray(self.subset) == "test").sum())
            subset = f", {n_test} official test images"
        text = f"ImageSet({self.name!r}: {len(self)} images of {shape}{labels}{subset})"
        return text if len(text) <= 200 else text[:197] + "...)"

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


def as_hw(size) -> tuple[int, int]:
    """An image size given as one int (square) or ``(H, W)`` → ``(H, W)`` ints.

    Example:
    >>> as_hw(32), as_hw((20, 24.0))
    ((32, 32), (20, 24))
    """
    return (int(size), int(size)) if np.isscalar(size) else (int(size[0]), int(size[1]))


def as_nhwc(x: np.ndarray, where) -> np.ndarray:
    """``(N, H, W)`` or ``(N, H, W, C)`` images → ``(N, H, W, C)`` with C in {1, 3} (alpha dropped).

    Raises:
        DataError: another rank or channel count; the message starts with ``where``.
    """
    x = np.asarray(x)
    if x.ndim == 3:
        x = x[..., None]
    if x.ndim != 4 or x.shape[-1] not in (1, 3, 4):
        raise DataError(f"{where}: images must be (N, H, W) or (N, H, W, C), got {x.shape}")
    return x[..., :3]


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
