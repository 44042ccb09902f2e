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
    # A row without a value shows "–" (pandas would print NaN); the other columns keep their numbers.
    df = P.metric_table([{"name": "x", "v": 1.0, "w": 2.5}, {"name": "y", "v": 3.0}], index="name",
                        labels={"name": "run", "v": "value"})  # fmt: skip
    assert df.index.name == "run" and df["value"].tolist() == [1.0, 3.0] and df["w"].tolist() == ["2.5", "–"]
    assert df["value"].dtype == float
    # Such a column shows its floats with one number of decimals, and counts without any.
    df = P.metric_table([{"sd": 1.404, "n": 800}, {"sd": 2.02, "n": None}, {"sd": None, "n": 3}], precision=3)
    assert df["sd"].tolist() == ["1.404", "2.020", "–"] and df["n"].tolist() == ["800", "–", "3"]
    fig = P.histograms({"a": [1, 2, 3], "b": [2, 3]})
    assert fig.axes[0].get_legend() is not None and fig.axes[0].get_ylabel() == "images"
    assert P.histograms({"a": [0.0, 0.5]}, ylabel="code values").axes[0].get_ylabel() == "code values"


def test_every_helper_returns_a_closed_figure():
    """Closed, so a notebook cell ending with the call shows the figure once (not again from pyplot)."""
    import matplotlib.pyplot as plt

    x = np.random.default_rng(0).random((4, 8, 8, 1))
    strip = {"latent": x[:3], "pixel": x[:3], "title": "a→b"}
    figures = [
        P.image_rows([x]), P.reconstruction_grid(x, x), P.loss_curves({"loss": [1.0, 0.5]}),
        P.histograms({"a": [1, 2]}), P.latent_scatter(np.zeros((5, 2)), np.arange(5)),
        P.manifold_grid(x[:4].reshape(2, 2, 8, 8, 1)), P.interpolation_strips([strip]),
        P.heatmap(np.ones((2, 2)), row_labels=["a", "b"], col_labels=["c", "d"]),
        P.chroma_histograms(np.zeros((4, 2)), {"m": np.zeros((4, 2))}),
        P.roc_curves({"s": ([0, 1], [0, 1])}), P.xy_curves({"s": ([1, 2], [3, 4])}),
    ]
    for fig in figures:
        assert fig.number not in plt.get_fignums()
        assert fig.axes  # still drawable
    assert plt.get_fignums() == []
    import io

    buf = io.BytesIO()
    figures[0].savefig(buf, format="png")  # a closed figure still renders (what IPython's display does)
    assert buf.getvalue()[:4] == b"\x89PNG"
