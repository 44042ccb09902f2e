"""aeutils.data.patches: patches round-trip."""

import numpy as np
import pytest

from aeutils import data as D


def test_patches_round_trip_with_overlap():
    x = np.random.default_rng(1).random((2, 17, 23, 3)).astype(np.float32)
    p, idx = D.extract_patches(x, 8, 5)
    assert p.shape[1:] == (8, 8, 3)
    assert idx[:, 1].max() == 17 - 8 and idx[:, 2].max() == 23 - 8  # flush with edges
    np.testing.assert_allclose(D.stitch_patches(p, idx, (17, 23)), x, atol=1e-6)
    with pytest.raises(D.DataError, match="smaller than"):
        D.extract_patches(x, 32)
