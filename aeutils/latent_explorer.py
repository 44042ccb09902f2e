"""The latent explorer: an ipywidgets widget that moves a point over a VAE's latent plane.

Sliders set two chosen coordinates of the code (the others stay at 0 or at the codes' mean); the
widget shows the decoded image beside the encoded images nearest to that point in the plane, and
the scatter of the codes with the point marked. Built by :func:`aeutils.latent.explorer`;
:meth:`LatentExplorer.figure` draws the same view at a few positions for pages where widgets do
not run (rendered HTML).
"""

from __future__ import annotations

import io
from collections.abc import Sequence

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np

from aeutils import latent, plotting


def _png(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=80)
    return buf.getvalue()


class LatentExplorer(widgets.VBox):
    """Two sliders over the latent plane, the decoded image and its nearest encoded images.

    Attributes:
        x, y: the sliders (code coordinates ``dims[0]`` and ``dims[1]``).
        image: the ``ipywidgets.Image`` showing the current view (PNG).
        decoded: the current decoded image ``(H, W, C)``.
        nearest: indices of the encoded images nearest to the point (in the plane).
        codes: the encoded images' codes ``(N, d)``.
    """

    def __init__(self, decode, images, codes, labels=None, *, dims=(0, 1), rest=None, neighbours: int = 5,
                 value_range=(0.0, 1.0), label_names: Sequence[str] | None = None, limits=None):
        self._decode, self.images, self.codes = decode, np.asarray(images), np.asarray(codes, dtype=np.float32)
        self.labels = None if labels is None else np.asarray(labels)
        self.label_names, self.dims, self.value_range = label_names, tuple(dims), value_range
        self.neighbours = int(min(neighbours, len(self.codes)))
        self.rest = np.zeros(self.codes.shape[1], np.float32) if rest is None else np.asarray(rest, np.float32)
        a, b = self.dims
        if limits is None:
            lo = np.quantile(self.codes[:, [a, b]], 0.01, axis=0)
            hi = np.quantile(self.codes[:, [a, b]], 0.99, axis=0)
        else:
            lo, hi = np.full(2, limits[0]), np.full(2, limits[1])
        hi = np.where(hi > lo, hi, lo + 1.0)
        self.x, self.y = (
            widgets.FloatSlider(value=float(np.clip(self.rest[d], lo[k], hi[k])), min=float(lo[k]), max=float(hi[k]),
                                step=float(hi[k] - lo[k]) / 200, description=f"z[{d}]", continuous_update=False)
            for k, d in enumerate(self.dims)
        )
        self.image = widgets.Image(format="png")
        self.caption = widgets.Label()
        super().__init__([widgets.HBox([self.x, self.y]), self.image, self.caption])
        self.decoded, self.nearest = None, None
        self.x.observe(self._update, names="value")
        self.y.observe(self._update, names="value")
        self._update()

    def code(self, x: float | None = None, y: float | None = None) -> np.ndarray:
        """The full code at plane position ``(x, y)`` (default: the sliders')."""
        z = self.rest.copy()
        z[self.dims[0]] = self.x.value if x is None else x
        z[self.dims[1]] = self.y.value if y is None else y
        return z

    def view(self, x: float, y: float) -> tuple[np.ndarray, np.ndarray]:
        """The decoded image at ``(x, y)`` and the indices of the nearest encoded images in the plane."""
        decoded = np.asarray(self._decode(self.code(x, y)[None]))[0]
        dist = np.sum((self.codes[:, list(self.dims)] - np.array([x, y], np.float32)) ** 2, axis=1)
        return decoded, np.argsort(dist, kind="stable")[: self.neighbours]

    def _label(self, i: int) -> str:
        if self.labels is None:
            return f"#{i}"
        v = self.labels[i]
        if self.label_names is not None and 0 <= int(v) < len(self.label_names):
            return str(self.label_names[int(v)])
        return str(v)

    def _draw(self, x: float, y: float):
        decoded, nearest = self.view(x, y)
        n = len(nearest)
        fig, axes = plt.subplots(1, n + 2, figsize=(3.0 + 1.4 * (n + 1), 2.8),
                                 gridspec_kw={"width_ratios": [2.2] + [1] * (n + 1)})
        a, b = self.dims
        colour = {} if self.labels is None else {"c": self.labels.astype(float), "cmap": "tab10"}
        axes[0].scatter(self.codes[:, a], self.codes[:, b], s=4, alpha=0.5, **colour)
        axes[0].plot([x], [y], "k+", ms=14, mew=2)
        axes[0].set_xlabel(f"z[{a}]")
        axes[0].set_ylabel(f"z[{b}]")
        axes[0].set_title("codes (+: the point)", fontsize=8)
        plotting.draw_image(axes[1], decoded, self.value_range)
        axes[1].set_title(f"decoded\n({x:.2f}, {y:.2f})", fontsize=8)
        for ax, i in zip(axes[2:], nearest):
            plotting.draw_image(ax, self.images[i], self.value_range)
            ax.set_title(f"nearest: {self._label(i)}", fontsize=8)
        fig.tight_layout()
        return plotting.closed(fig), decoded, nearest

    def _update(self, *_):
        fig, self.decoded, self.nearest = self._draw(self.x.value, self.y.value)
        self.image.value = _png(fig)
        self.caption.value = "nearest: " + ", ".join(self._label(i) for i in self.nearest)

    def figure(self, positions: Sequence[tuple[float, float]]):
        """A static picture of the explorer at several plane positions: per row, the decoded image and its nearest.

        Returns:
            The matplotlib figure (closed, like :mod:`aeutils.plotting`'s).
        """
        rows, titles = [], []
        for x, y in positions:
            decoded, nearest = self.view(x, y)
            rows.append(np.concatenate([decoded[None], self.images[nearest]]))
            titles.append(f"({x:.2f}, {y:.2f})")
        cols = ["decoded"] + [f"nearest {k + 1}" for k in range(self.neighbours)]
        return plotting.image_rows(rows, row_titles=titles, col_titles=cols, value_range=self.value_range,
                                   title="latent explorer at fixed positions: decoded image, nearest encoded images")

    def __repr__(self) -> str:
        return (f"LatentExplorer({len(self.codes)} images, {self.codes.shape[1]}-D codes, plane z[{self.dims[0]}] x "
                f"z[{self.dims[1]}]; move the sliders in JupyterLab)")


def explorer(vae, images, labels=None, *, dims: tuple[int, int] = (0, 1), others: str = "zero",
             neighbours: int = 5, label_names: Sequence[str] | None = None, value_range=(0.0, 1.0)):
    """An ipywidgets explorer of the latent plane: sliders move a point, the widget shows what it decodes to.

    Beside the decoded image it shows the ``neighbours`` encoded images nearest to the point (in
    the plane), and the scatter of every code with the point marked. For codes of more than two
    values the sliders set coordinates ``dims``; the others stay at 0 (``others="zero"``, the prior's
    centre) or at the codes' mean (``"mean"``). ``explorer(...).figure([(x, y), ...])`` draws the
    same view at fixed positions, for rendered pages where widgets do not run.

    Args:
        vae: a :class:`~aeutils.models.VAE` or any model :func:`aeutils.latent.encode` and ``decode`` accept.
        images: images ``(N, H, W, C)`` to encode (the neighbours come from them).
        labels: optional labels ``(N,)`` colouring the scatter and naming the neighbours.
        dims: the two code coordinates the sliders move.
        others: ``"zero"`` or ``"mean"``: the value of the remaining coordinates.
        neighbours: how many nearest encoded images to show.
        label_names: names of the label values.
        value_range: the images' value range.

    Returns:
        A :class:`LatentExplorer` (an ``ipywidgets.VBox``; its ``decoded``
        attribute holds the current decoded image).

    Raises:
        ValueError: codes of fewer than two values, ``dims`` outside the code, or an unknown ``others``.
    """
    z = latent.encode(vae, images).reshape(len(images), -1)
    if z.shape[1] < 2 or not all(0 <= d < z.shape[1] for d in dims) or dims[0] == dims[1]:
        raise ValueError(f"dims must be two different coordinates of the {z.shape[1]}-value code, got {dims}")
    if others not in ("zero", "mean"):
        raise ValueError(f"others must be 'zero' or 'mean', got {others!r}")
    rest = np.zeros(z.shape[1], np.float32) if others == "zero" else z.mean(axis=0)
    return LatentExplorer(lambda code: latent.decode(vae, code, batch_size=8), images, z, labels, dims=dims, rest=rest,
                          neighbours=neighbours, value_range=value_range, label_names=label_names)
