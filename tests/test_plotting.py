import matplotlib

matplotlib.use("Agg")
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from aeutils import plotting as P  # noqa: E402


def test_reconstruction_grid_layout():
    x = np.random.default_rng(0).random((5, 8, 8, 3))
    fig = P.reconstruction_grid(x, x * 0.5, titles=["a", "b"], n=4)
    assert len(fig.axes) == 8


def test_image_rows_rejects_ragged_rows():
    with pytest.raises(ValueError):
        P.image_rows([np.zeros((2, 4, 4, 1)), np.zeros((3, 4, 4, 1))])
    with pytest.raises(ValueError):
        P.image_rows([])


def test_loss_curves_single_and_many():
    fig = P.loss_curves({"loss": [1.0, 0.5], "val_loss": [1.1, 0.6]})
    assert len(fig.axes[0].lines) == 2
    fig = P.loss_curves({"a": {"loss": [1.0]}, "b": {"loss": [2.0], "val_loss": [2.0]}})
    assert len(fig.axes[0].lines) == 3


def test_metric_table_and_histograms():
    df = P.metric_table([{"name": "x", "v": 1.234567}], index="name", precision=2)
    assert df.loc["x", "v"] == 1.23
    fig = P.histograms({"a": [1, 2, 3], "b": [2, 3]})
    assert fig.axes[0].get_legend() is not None
