"""aeutils.latent.explorer: the ipywidgets latent explorer builds and follows its sliders."""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from aeutils import latent, models  # noqa: E402

pytest.importorskip("ipywidgets")


@pytest.fixture(scope="module")
def vae():
    return models.build_vae(input_shape=(16, 16, 1), latent_dim=3, filters=(4,), hidden_units=8, seed=0)


def test_explorer_builds_and_its_image_follows_the_sliders(vae):
    import ipywidgets

    x = np.random.default_rng(0).random((20, 16, 16, 1)).astype("float32")
    labels = np.arange(20) % 4
    w = latent.explorer(vae, x, labels, dims=(0, 2), neighbours=3)
    assert isinstance(w, ipywidgets.Widget) and len(repr(w)) < 300
    before_png, before = w.image.value, w.decoded.copy()
    assert before.shape == (16, 16, 1) and len(w.nearest) == 3
    w.x.value, w.y.value = w.x.max, w.y.min  # as a user dragging the sliders
    assert not np.allclose(w.decoded, before), "the decoded image did not change"
    assert w.image.value != before_png and w.image.value[:4] == b"\x89PNG"
    np.testing.assert_allclose(w.decoded, latent.decode(vae, w.code()[None])[0], atol=1e-5)
    assert w.code()[1] == 0.0  # the coordinate not on a slider stays at 0
    z = latent.encode(vae, x)
    plane = z[:, [0, 2]] - np.array([w.x.value, w.y.value])
    assert w.nearest[0] == np.argmin((plane**2).sum(axis=1))  # nearest in the plane
    assert "nearest" in w.caption.value
    fig = w.figure([(0.0, 0.0), (w.x.max, w.y.max)])  # the static stand-in for rendered pages
    assert len(fig.axes) == 2 * 4 and fig.number not in plt.get_fignums()


def test_explorer_refuses_bad_options(vae):
    x = np.zeros((4, 16, 16, 1), "float32")
    with pytest.raises(ValueError, match="dims"):
        latent.explorer(vae, x, dims=(0, 5))
    with pytest.raises(ValueError, match="others"):
        latent.explorer(vae, x, others="median")
    w = latent.explorer(vae, x, others="mean")
    np.testing.assert_allclose(w.code()[1], latent.encode(vae, x)[:, 1].mean(), rtol=1e-5)
