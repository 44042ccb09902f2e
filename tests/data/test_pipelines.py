"""aeutils.data.pipelines: tf.data pipelines."""

import numpy as np
import pytest

from aeutils import data as D


def test_make_dataset_batches_pairs():
    x = np.zeros((10, 4, 4, 1), np.float32)
    batches = list(D.make_dataset(x, batch_size=4, shuffle=True, seed=1))
    assert [b[0].shape[0] for b in batches] == [4, 4, 2]
    np.testing.assert_array_equal(batches[0][0], batches[0][1])


def test_folder_dataset_streams(tmp_path, write_images):
    write_images(tmp_path, 5, size=(30, 20))
    batches = list(D.folder_dataset(tmp_path, size=16, batch_size=2))
    assert [tuple(b[0].shape) for b in batches] == [(2, 16, 16, 3), (2, 16, 16, 3), (1, 16, 16, 3)]
    with pytest.raises(D.DataError):
        D.folder_dataset(tmp_path / "none", size=16)
