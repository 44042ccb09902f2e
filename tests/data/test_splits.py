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
