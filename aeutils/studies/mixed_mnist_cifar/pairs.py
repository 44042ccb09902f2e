"""The mixed study's pairing protocol: which digit goes with which photo, and the mixed training and test sets."""

from __future__ import annotations

import dataclasses

import numpy as np

from aeutils.data.imageset import DataError, ImageSet
from aeutils.data.splits import holdout_indices
from aeutils.data.transforms import harmonise, mix

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
