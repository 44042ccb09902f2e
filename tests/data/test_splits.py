"""aeutils.data.splits: seeded splits and the one subsample helper."""

import numpy as np
import pytest

from aeutils import data as D


def test_split_is_seeded_disjoint_and_complete():
    a = D.split_indices(100, (0.8, 0.1, 0.1), seed=42)
    b = D.split_indices(100, (0.8, 0.1, 0.1), seed=42)
    assert [len(p) for p in a] == [80, 10, 10]
    assert all(np.array_equal(x, y) for x, y in zip(a, b))
    assert sorted(np.concatenate(a).tolist()) == list(range(100))
    with pytest.raises(D.DataError):
        D.split_indices(2, (0.8, 0.1, 0.1))
    with pytest.raises(D.DataError):
        D.split_indices(10, (0.5, 0.2))


def test_subsample_is_seeded_sorted_and_caps_at_n():
    a = D.subsample(100, 10, seed=3)
    np.testing.assert_array_equal(a, D.subsample(100, 10, seed=3))
    assert len(set(a.tolist())) == 10 and a.tolist() == sorted(a.tolist())
    assert not np.array_equal(a, D.subsample(100, 10, seed=4))
    # the same draw as the loaders' old inline code, so seeded subsets repeat
    np.testing.assert_array_equal(a, np.sort(np.random.default_rng(3).choice(100, size=10, replace=False)))
    drawn = D.subsample(100, 10, seed=3, keep_order=False)
    np.testing.assert_array_equal(np.sort(drawn), a)
    assert D.subsample(5, None).tolist() == D.subsample(5, 9).tolist() == [0, 1, 2, 3, 4]
    assert len(D.subsample(5, 0)) == 0
    with pytest.raises(D.DataError):
        D.subsample(5, -1)


def test_group_split_keeps_every_group_on_one_side():
    from aeutils.data.splits import group_split, groups_on_both_sides

    groups = np.repeat(np.arange(20), 2)  # 20 near-duplicate pairs
    train, held = group_split(groups, 0.3, seed=1)
    assert groups_on_both_sides(groups, train, held) == []
    assert sorted(np.concatenate([train, held]).tolist()) == list(range(40))
    assert len(held) == 12 and len(set(groups[held])) == 6  # floor(0.3 * 40) = 12 images, whole pairs
    np.testing.assert_array_equal(held, group_split(groups, 0.3, seed=1)[1])  # seeded
    assert not np.array_equal(held, group_split(groups, 0.3, seed=2)[1])
    # one image per group: a plain random split of the same size
    tr1, te1 = group_split(np.arange(10), 0.3, seed=0)
    assert len(te1) == 3 and len(tr1) == 7
    # uneven groups: never split, held-out size near the target
    uneven = np.array([0] * 5 + [1] * 3 + [2] * 2 + [3] * 1 + [4] * 1)
    tr2, te2 = group_split(uneven, 0.5, seed=0)
    assert groups_on_both_sides(uneven, tr2, te2) == [] and 3 <= len(te2) <= 8
    with pytest.raises(D.DataError):
        group_split(groups, 1.0)
    # the check itself: a pair split across the sides is found
    assert groups_on_both_sides(["p", "p", "q"], [0], [1, 2]) == ["p"]


def test_near_duplicate_groups_are_declared_by_the_set():
    from aeutils.data.splits import NEAR_DUPLICATE_GROUPS, near_duplicate_groups, register_near_duplicate_groups

    s = D.ImageSet(np.zeros((4, 2, 2, 1), np.float32), name="test:dups")
    assert near_duplicate_groups(s) is None
    register_near_duplicate_groups("test:dups", lambda d: np.array([0, 0, 1, 1]))
    try:
        assert near_duplicate_groups(s).tolist() == ["0", "0", "1", "1"]
        register_near_duplicate_groups("test:dups", lambda d: np.array([0, 1]))
        with pytest.raises(D.DataError, match="labels for 4 images"):
            near_duplicate_groups(s)
    finally:
        NEAR_DUPLICATE_GROUPS.pop("test:dups")
    assert "embedded:motorcycle_tiles" in NEAR_DUPLICATE_GROUPS


def test_group_split_parts_keeps_groups_apart():
    from aeutils.data.splits import group_split_parts

    labels = np.repeat(np.arange(6), [30, 10, 12, 8, 25, 15])
    tr, va, te = group_split_parts(labels, seed=1)
    assert sorted(np.concatenate([tr, va, te]).tolist()) == list(range(len(labels)))
    assert not set(labels[tr]) & (set(labels[va]) | set(labels[te])) and not set(labels[va]) & set(labels[te])
    assert len(te) >= 1 and len(va) >= 1
    with pytest.raises(D.DataError, match="three groups"):
        group_split_parts([0, 0, 1])
