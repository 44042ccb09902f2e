"""Seeded choices of images: the one subsample helper, train/validation/test splits, held-out test sets.

:func:`subsample` (the toolkit's one seeded subsample: sorted indices),
:func:`split_indices` / :func:`split` (shuffled fractions),
:func:`holdout_indices` (disjoint train/test, keeping official splits and
whole overlapping groups apart), :func:`split_keeping_test`, and the
group-aware split :func:`group_split` with its check :func:`groups_on_both_sides`
and the registry of near-duplicate groups that sets declare
(:func:`near_duplicate_groups`, :func:`register_near_duplicate_groups`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np

from aeutils.data.imageset import DataError, ImageSet


def subsample(n: int, k: int | None, seed: int = 0, *, keep_order: bool = True) -> np.ndarray:
    """Indices of ``k`` of ``n`` items chosen at random without replacement (seeded).

    This is the toolkit's one seeded subsample: ``limit=`` of the loaders and
    any "at most ``k`` images" cap use it, so the same seed picks the same items.

    Args:
        n: number of items.
        k: how many to keep; ``None`` or ``k >= n`` keeps all (``arange(n)``,
            no random draw).
        seed: seed of ``np.random.default_rng``.
        keep_order: sort the indices (the items keep their order); ``False``
            returns them in the order drawn.

    Returns:
        int array of ``min(k, n)`` distinct indices.

    Raises:
        DataError: negative ``k``.

    Example:
    >>> subsample(10, 4, seed=0).tolist()
    [2, 4, 5, 7]
    >>> subsample(3, None).tolist()
    [0, 1, 2]
    """
    if k is None or k >= n:
        return np.arange(n)
    if k < 0:
        raise DataError(f"cannot keep {k} items; k must be >= 0 (or None for all)")
    keep = np.random.default_rng(seed).choice(n, size=int(k), replace=False)
    return np.sort(keep) if keep_order else keep


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


#: Sets whose images overlap inside one label group (patches cut from one
#: photo with a stride smaller than the patch). :func:`holdout_indices` keeps
#: whole groups apart for them, so no test pixel is ever seen in training.
OVERLAPPING_GROUPS = frozenset({"embedded:photo_patches"})


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


def group_split(groups: Sequence, heldout: float, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Seeded split of ``range(len(groups))`` into ``(train, heldout)`` that keeps every group on one side.

    The groups are shuffled (``seed``) and whole groups are moved to the
    held-out side until it holds ``floor(heldout * n)`` images or more; a group
    that would overshoot the target by more than it undershoots is skipped.
    With one image per group this is a plain random split of that size.

    Args:
        groups: one group label per item (any hashable values; near-duplicates
            share a label).
        heldout: the held-out fraction, in (0, 1).
        seed: seed of the shuffle.

    Returns:
        ``(train, heldout)``: sorted, disjoint index arrays covering every item;
        no group has items in both.

    Raises:
        DataError: ``heldout`` outside (0, 1).

    Example:
    >>> tr, te = group_split(["a", "a", "b", "b", "c", "c", "d", "d"], 0.5, seed=0)
    >>> len(te), groups_on_both_sides(["a", "a", "b", "b", "c", "c", "d", "d"], tr, te)
    (4, [])
    """
    if not 0.0 < heldout < 1.0:
        raise DataError(f"heldout must be a fraction in (0, 1), got {heldout}")
    labels = np.asarray(groups).astype(str)
    n = len(labels)
    target = int(math.floor(heldout * n))
    names, inverse, counts = np.unique(labels, return_inverse=True, return_counts=True)
    chosen, total = [], 0
    for g in np.random.default_rng(seed).permutation(len(names)):
        if total >= target:
            break
        if total + counts[g] - target > target - total and total > 0:
            continue  # this group would overshoot more than leaving it out undershoots
        chosen.append(g)
        total += int(counts[g])
    held = np.isin(inverse, chosen)
    return np.flatnonzero(~held), np.flatnonzero(held)


def group_split_parts(
    groups: Sequence, fractions=(0.8, 0.1, 0.1), seed: int = 42
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Train/validation/test indices that keep every group on one side: :func:`group_split` twice.

    The test part is split off first (``fractions[2]`` of all items), then validation from the
    rest in the ratio ``fractions[1] : fractions[0]``.

    Raises:
        DataError: fractions that do not sum to 1, or fewer than three groups.

    Example:
    >>> tr, va, te = group_split_parts(np.repeat(np.arange(10), 5), seed=0)
    >>> len(tr), len(va), len(te), groups_on_both_sides(np.repeat(np.arange(10), 5), tr, te)
    (40, 5, 5, [])
    """
    fractions = tuple(float(f) for f in fractions)
    if len(fractions) != 3 or abs(sum(fractions) - 1.0) > 1e-6 or min(fractions) <= 0:
        raise DataError(f"fractions must be three positive numbers summing to 1, got {fractions}")
    labels = np.asarray(groups).astype(str)
    if len(np.unique(labels)) < 3:
        raise DataError(f"a three-way group split needs at least three groups, got {len(np.unique(labels))}")
    rest, test = group_split(labels, fractions[2], seed)
    tr, va = group_split(labels[rest], fractions[1] / (fractions[0] + fractions[1]), seed)
    return rest[tr], rest[va], test


def groups_on_both_sides(groups: Sequence, train, heldout) -> list[str]:
    """The group labels that have items on both sides of a split (sorted; empty when the split is clean).

    Example:
    >>> groups_on_both_sides(["x", "x", "y"], [0, 2], [1])
    ['x']
    """
    labels = np.asarray(groups).astype(str)
    both = set(labels[np.asarray(train, dtype=np.int64)]) & set(labels[np.asarray(heldout, dtype=np.int64)])
    return sorted(str(g) for g in both)


#: Image sets that declare near-duplicate groups (images that must stay on one
#: side of any train/held-out split): set name -> function of the loaded set
#: returning one label per image. Sets register themselves with
#: :func:`register_near_duplicate_groups`.
NEAR_DUPLICATE_GROUPS: dict[str, Callable[[ImageSet], np.ndarray]] = {}


def register_near_duplicate_groups(name: str, groups_of: Callable[[ImageSet], np.ndarray]) -> None:
    """Declare that set ``name``'s images come in near-duplicate groups, given by ``groups_of(data)``."""
    NEAR_DUPLICATE_GROUPS[name] = groups_of


def near_duplicate_groups(data: ImageSet) -> np.ndarray | None:
    """Each image's near-duplicate group when the set declares them (:data:`NEAR_DUPLICATE_GROUPS`), else ``None``.

    Raises:
        DataError: the declared groups do not give one label per image.
    """
    fn = NEAR_DUPLICATE_GROUPS.get(data.name)
    if fn is None:
        return None
    labels = np.asarray(fn(data)).astype(str)
    if len(labels) != len(data):
        raise DataError(f"{data.name}: {len(labels)} near-duplicate group labels for {len(data)} images")
    return labels
