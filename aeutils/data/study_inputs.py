"""Study-only data code. MOVES TO THE STUDIES AT MERGE: the lead moves it; no toolkit module imports it.

* the mixed MNIST/CIFAR study's pairing protocol — :data:`PAIRINGS`,
  :func:`pair_indices`, :class:`MixedSet`, :func:`mix_sets`,
  :func:`mixed_train_test` → ``aeutils/studies/mixed_mnist_cifar.py``;
* the dataset comparison's default pair — :func:`tile_image`,
  :data:`LOW_LIGHT_DEFAULTS`, :func:`motorcycle_light_pair` and the two
  embedded sets it registers (``embedded:motorcycle_tiles``,
  ``embedded:motorcycle_tiles_lowlight_sim``) → ``aeutils/studies/dataset_comparison.py``.

``aeutils.data`` re-exports these names until then, so ``D.mixed_train_test``
etc. keep working (that re-export is the only import of this module); importing it registers
the two embedded sets.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from aeutils.data.embedded import register_embedded
from aeutils.data.imageset import DataError, ImageSet
from aeutils.data.splits import holdout_indices
from aeutils.data.transforms import harmonise, mix, simulate_low_light

PAIRINGS = ("index", "shuffle")


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
    import skimage.data as skd  # optional, heavy: imported when called, as in embedded.py

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


def _motorcycle_tiles() -> ImageSet:
    return motorcycle_light_pair()[0]


def _motorcycle_tiles_lowlight_sim() -> ImageSet:
    return motorcycle_light_pair()[1]


register_embedded("motorcycle_tiles", _motorcycle_tiles)
register_embedded("motorcycle_tiles_lowlight_sim", _motorcycle_tiles_lowlight_sim)
