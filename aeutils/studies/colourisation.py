"""The colourisation study (source report 4, last part): notebook ``colourisation`` and ``benchmarks/colourisation.py``.

Two routes of colourising a luminance image with one architecture
(:data:`ROUTES`: gray → RGB and Y → UV), trained with the source's protocol and
both scored in RGB on [0, 1] (MSE, PSNR, SSIM, CIEDE2000, colourfulness) next
to two baselines, plus the source's own figures (:data:`SOURCE_FIGURES`) in its
scales. The colour science (YUV, luminance, gamut, scores) is
:mod:`aeutils.color`. The claims (:func:`claims`) and the route-versus-baseline facts
(:func:`comparisons`) come from the rows the tables show. Over 600 lines: routes, baselines,
source figures and table labels of one experiment belong together; the claims are
:mod:`aeutils.studies.colourisation_claims` (re-exported here) and our own colouriser (issue 16)
:mod:`aeutils.studies.colourisation_ours`.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Mapping, Sequence

import numpy as np

from aeutils import data as D
from aeutils.claims import mean_interval
from aeutils.color import (
    LUMINANCE_METHODS,
    assemble_rgb,
    check_colour,
    chroma_magnitude,
    clip_to_gamut,
    colour_scores,
    colourfulness,
    colourisation_pairs,
    luminance,
    paired_difference,
    rgb_to_yuv,
)
from aeutils.models import CAE_ARCHITECTURES, build_autoencoder, build_decoder, build_encoder
from aeutils.params import parse_list
from aeutils.train import PRECISIONS, fit, predict


@dataclasses.dataclass(frozen=True)
class Route:
    """One way of colourising.

    Attributes:
        label: short name for tables and plots.
        target: ``"rgb"`` or ``"uv"`` (see :func:`colourisation_pairs`).
        gray: default luminance of the input.
        output_channels: channels of the model's output.
        output_activation: ``"tanh"`` for RGB in [-1, 1], ``None`` (linear) for UV.
    """

    label: str
    target: str
    gray: str
    output_channels: int
    output_activation: str | None


#: The source's two routes: (a) gray (mean of R, G, B) → RGB with a tanh output
#: on [-1, 1]; (b) Y → UV with a linear output, UV in the source's doubled scale.
ROUTES: dict[str, Route] = {
    "rgb": Route("gray→RGB", "rgb", "mean", 3, "tanh"),
    "yuv": Route("Y→UV", "uv", "bt601", 2, None),
}

#: The source's figures: (route, learning rate) → (our column it compares with, value).
SOURCE_FIGURES: dict[tuple[str, float], tuple[str, float]] = {
    ("rgb", 1e-3): ("rgb_mse_pm1", 0.006633),
    ("yuv", 1e-3): ("uv_mse_source", 0.003041),
    ("yuv", 1e-5): ("uv_mse_source", 0.013091),
}
#: The source's train time of the Y → UV route at lr 1e-5 (its hardware unknown).
SOURCE_LOW_LR_SECONDS = 5 * 60 + 14


def default_filters() -> tuple[int, ...]:
    """Encoder channels of the source's colouriser: ``CAE_ARCHITECTURES["32-48-64-single"]`` (32, 48, 64)."""
    return tuple(CAE_ARCHITECTURES["32-48-64-single"].encoder_filters)


def build_colouriser(
    *,
    input_shape: Sequence[int] = (32, 32, 1),
    output_channels: int = 2,
    output_activation: str | None = None,
    filters: Sequence[int] | None = None,
    kernel_size: int = 3,
    name: str = "colouriser",
):
    """The source's conv autoencoder with its own input and output channels.

    Encoder ``filters`` (default 32, 48, 64) with a max-pool after every stage
    but the last; decoder: upsample → conv of each middle channel count in
    reverse (48) → upsample → output conv. With the defaults and 3 channels in
    and out this is ``build_cae("32-48-64-single")`` (71,475 parameters).

    Args:
        input_shape: ``(H, W, C)``; ``H`` and ``W`` divisible by ``2 ** (len(filters) - 1)``.
        output_channels: 3 for RGB, 2 for UV.
        output_activation: ``"tanh"`` for [-1, 1] RGB, ``None`` for linear UV.
        filters: encoder channels per stage.
        kernel_size: kernel side.
        name: model name (sub-models are ``encoder`` and ``decoder``).

    Returns:
        An uncompiled ``keras.Model``.

    Raises:
        ValueError: filters that are not at least two positive integers (see
            :func:`aeutils.params.parse_list`), or a size the poolings do not divide.

    Example:
    >>> build_colouriser(input_shape=(16, 16, 1), filters=(4, 6, 8)).output_shape
    (None, 16, 16, 2)
    """
    filters = parse_list(default_filters() if filters is None else filters, name="filters", min_len=2, positive=True)
    h, w = int(input_shape[0]), int(input_shape[1])
    steps = len(filters) - 1
    if h % 2**steps or w % 2**steps:
        raise ValueError(f"image size {h}x{w} is not divisible by 2**{steps} ({steps} poolings)")
    encoder = build_encoder(input_shape=input_shape, filters=filters, kernel_size=kernel_size, name="encoder")
    decoder = build_decoder(
        latent_shape=encoder.output_shape[1:],
        filters=tuple(reversed(filters[1:-1])),
        output_channels=output_channels,
        kernel_size=kernel_size,
        upsamplings=steps,
        output_activation=output_activation,
        name="decoder",
    )
    return build_autoencoder(encoder, decoder, output_channels=output_channels, name=name)


@dataclasses.dataclass
class ColourData:
    """Train/validation/test colour images in [0, 1] and where they came from."""

    train: np.ndarray
    val: np.ndarray
    test: np.ndarray
    source: str


def prepare(
    dataset: str,
    *,
    limit: int | None = None,
    size: int = 32,
    seed: int = 42,
    fractions=(0.8, 0.1, 0.1),
) -> ColourData:
    """Load a colour set, resize to ``size``, merge its official parts and split it like the source.

    Args:
        dataset: any :func:`aeutils.data.load` source with colour images.
        limit: keep at most this many images (random, seeded).
        size: image side after resizing.
        seed: seed of ``limit`` and the split (source: 42).
        fractions: train/validation/test fractions (source: 80/10/10).

    Returns:
        A :class:`ColourData`.

    Raises:
        DataError: a gray data set, or the loader's errors.
    """
    ds = D.load(dataset, size=size, limit=limit, seed=seed)
    check_colour(ds.images[:1], what=f"{dataset} (colourisation needs colour images)")
    tr, va, te = D.split_indices(len(ds), fractions, seed=seed)
    source = f"{ds.source}; {len(tr)}/{len(va)}/{len(te)} split, seed {seed}"
    return ColourData(ds.images[tr], ds.images[va], ds.images[te], source)


def scored_row(name: str, truth, pred_rgb, *, pred_uv=None, out_of_gamut: int = 0, **extra) -> dict:
    """A table row: the means of :func:`aeutils.color.colour_scores`, ``rgb_mse_pm1``, ``out_of_gamut`` (a share),
    ``extra``, and the scores per image (``per_image``)."""
    scores = colour_scores(truth, pred_rgb, pred_uv=pred_uv)
    row = {"method": name}
    row.update({k: float(np.mean(v)) for k, v in scores.items()})
    row["rgb_mse_pm1"] = 4.0 * row["rgb_mse"]
    row["out_of_gamut"] = out_of_gamut / float(np.prod(np.shape(truth)[:-1]))
    row.update(extra)
    row["per_image"] = scores
    return row


def baseline_rows(data: ColourData) -> list[dict]:
    """Score the two baselines on the test images: the gray image itself, and the training set's mean chroma.

    Both keep the true Y. "gray (zero chroma)" sets U = V = 0; "mean chroma"
    sets U, V to their per-pixel mean over the training images.

    Returns:
        Two table rows (see :func:`run_route` for the columns) with
        ``pred_rgb`` and ``pred_uv`` for plots.
    """
    y = luminance(data.test)
    rows = []
    mean_uv = rgb_to_yuv(data.train)[..., 1:].mean(axis=0)
    for name, uv in (
        ("gray (zero chroma)", np.zeros(data.test.shape[:-1] + (2,), np.float32)),
        ("train mean chroma", np.broadcast_to(mean_uv, data.test.shape[:-1] + (2,)).astype(np.float32)),
    ):
        rgb, n_out = assemble_rgb(y, uv)
        row = scored_row(name, data.test, rgb, pred_uv=uv, out_of_gamut=n_out, route="baseline")
        row.update(pred_rgb=rgb, pred_uv=uv)
        rows.append(row)
    return rows


def run_route(
    route: str,
    data: ColourData,
    *,
    filters: Sequence[int] | None = None,
    epochs: int = 15,
    batch_size: int = 128,
    learning_rate: float = 1e-3,
    seed: int = 42,
    gray: str | None = None,
    value_range: tuple[float, float] = (-1.0, 1.0),
    verbose: int | str = 0,
) -> dict:
    """Train one colourisation route with the source's protocol and score it in RGB on [0, 1].

    Protocol: MSE, Adam(``learning_rate``), ``batch_size``, ``epochs``, best
    weights on validation loss, ReduceLROnPlateau(0.5, 3), EarlyStopping(10);
    inputs and RGB targets in ``value_range`` (source: [-1, 1]). Route ``"yuv"``
    rebuilds RGB from the true Y and the predicted UV.

    Args:
        route: a key of :data:`ROUTES` (``"rgb"`` or ``"yuv"``).
        data: from :func:`prepare`.
        filters: encoder channels (default the source's 32, 48, 64).
        epochs, batch_size, learning_rate, seed: training.
        gray: input luminance for route ``"rgb"`` (default the source's ``"mean"``).
        value_range: model input/target range.
        verbose: Keras progress display.

    Returns:
        A table row: ``method``, ``route``, ``learning_rate``, ``rgb_mse`` (on
        [0, 1]), ``rgb_mse_pm1`` (x4, the source's scale), ``uv_mse`` (true
        chroma), ``uv_mse_source`` (x4, chroma doubled as the source's),
        ``psnr``, ``ssim``, ``ciede2000``, ``colourfulness``, ``chroma``,
        ``out_of_gamut`` (fraction of pixels clipped), ``params``, ``train_s``,
        ``epochs_run``, ``best_epoch``, ``source_value`` and ``ratio_to_source``
        (when the source has this setting); plus ``per_image`` scores,
        ``history``, ``pred_rgb`` and ``pred_uv`` (all test images).

    Raises:
        ValueError: unknown route.
    """
    if route not in ROUTES:
        raise ValueError(f"unknown route {route!r}; choose from {sorted(ROUTES)}")
    spec = ROUTES[route]
    gray = gray or spec.gray
    lo, hi = float(value_range[0]), float(value_range[1])

    def pairs(images):
        return colourisation_pairs(images, target=spec.target, gray=gray, value_range=(lo, hi))

    x_tr, y_tr = pairs(data.train)
    x_va, y_va = pairs(data.val)
    x_te, _ = pairs(data.test)
    input_shape = x_tr.shape[1:]
    result = fit(
        lambda: build_colouriser(
            input_shape=input_shape,
            output_channels=spec.output_channels,
            output_activation=spec.output_activation,
            filters=filters,
            name=f"colouriser_{route}",
        ),
        x_tr,
        y_tr,
        validation_data=(x_va, y_va),
        epochs=epochs,
        batch_size=batch_size,
        learning_rate=learning_rate,
        reduce_lr_patience=3,
        early_stopping_patience=10,
        seed=seed,
        verbose=verbose,
    )
    del x_tr, y_tr, x_va, y_va
    start = time.perf_counter()
    out = predict(result.model, x_te)  # fixed-size eager batches: no retracing
    if spec.target == "rgb":
        pred_rgb, n_out = clip_to_gamut((out - lo) / (hi - lo))
        pred_uv = None
    else:
        pred_uv = (out / (hi - lo)).astype(np.float32)
        pred_rgb, n_out = assemble_rgb(luminance(data.test), pred_uv)
    label = spec.label + ("" if gray == spec.gray else f" ({gray} gray)")
    row = scored_row(
        f"{label} lr {learning_rate:g}",
        data.test,
        pred_rgb,
        pred_uv=pred_uv,
        out_of_gamut=n_out,
        route=route,
        learning_rate=float(learning_rate),
        params=int(result.model.count_params()),
        train_s=round(result.seconds, 1),
        epochs_run=result.epochs_run,
        best_epoch=result.best_epoch,
    )
    row["predict_s"] = round(time.perf_counter() - start, 1)
    src = SOURCE_FIGURES.get((route, float(learning_rate)))
    row["source_metric"] = src[0] if src else None
    row["source_value"] = src[1] if src else None
    row["ratio_to_source"] = row[src[0]] / src[1] if src else None
    row["history"] = result.history
    row["model"] = result.model  # for aeutils.reports.save_models
    row["pred_rgb"] = pred_rgb
    row["pred_uv"] = rgb_to_yuv(pred_rgb)[..., 1:] if pred_uv is None else pred_uv
    return row


def swap_in_true_luma(row: dict, data: ColourData) -> dict:
    """Score a gray → RGB result again with its luminance replaced by the true Y (no training).

    Separates the two things route (a) must get right: if this row is much
    better than the route's own, its loss against Y → UV comes from luminance
    errors, not from worse colours.

    Args:
        row: a row from :func:`run_route` with ``pred_rgb``.
        data: the same :class:`ColourData`.

    Returns:
        A table row named ``"<method> + true Y"`` with ``pred_rgb`` and ``pred_uv``.
    """
    uv = rgb_to_yuv(row["pred_rgb"])[..., 1:]
    rgb, n_out = assemble_rgb(luminance(data.test), uv)
    out = scored_row(
        f"{row['method']} + true Y",
        data.test,
        rgb,
        pred_uv=uv,
        out_of_gamut=n_out,
        route=f"{row.get('route', '')}+Y",
        learning_rate=row.get("learning_rate"),
    )
    out.update(pred_rgb=rgb, pred_uv=uv)
    return out


TABLE_COLUMNS = (
    "method", "rgb_mse", "rgb_mse_pm1", "uv_mse", "uv_mse_source", "source_value", "ratio_to_source", "psnr", "ssim",
    "ciede2000", "colourfulness", "chroma", "out_of_gamut", "train_s", "epochs_run",
)  # fmt: skip


def table_rows(rows: Sequence[Mapping], columns: Sequence[str] = TABLE_COLUMNS) -> list[dict]:
    """The printable part of result rows (no per-image arrays, histories or images).

    Example:
    >>> table_rows([{"method": "m", "rgb_mse": 0.1, "pred_rgb": None}], columns=("method", "rgb_mse"))
    [{'method': 'm', 'rgb_mse': 0.1}]
    """
    return [{k: r.get(k) for k in columns} for r in rows]


def source_comparison(rows: Sequence[Mapping]) -> list[dict]:
    """Rows that stand beside a figure of the source: its value, ours in the same metric and scale, the ratio.

    The source says its data were on [-1, 1]; ``ours_unit`` and ``ratio_unit``
    read its figure instead as computed on [0, 1] data (``rgb_mse``, ``uv_mse``:
    4 times smaller), the other possible reading.

    Args:
        rows: result rows from :func:`run_route` (others are skipped).

    Returns:
        ``[{"setting", "metric", "source", "ours", "ratio", "ours_unit", "ratio_unit",
        "train_s", "source_train_s"}]`` (the source gave a time only for Y → UV at 1e-5).

    Example:
    >>> row = {"method": "m", "source_metric": "uv_mse_source", "source_value": 0.003041,
    ...        "uv_mse_source": 0.006082, "uv_mse": 0.0015205, "ratio_to_source": 2.0, "train_s": 1.0}
    >>> side = source_comparison([row])[0]
    >>> side["ratio"], side["ratio_unit"]
    (2.0, 0.5)
    """
    unit = {"rgb_mse_pm1": "rgb_mse", "uv_mse_source": "uv_mse"}
    out = []
    for r in rows:
        metric = r.get("source_metric")
        if not metric:
            continue
        out.append(
            {
                "setting": r["method"],
                "metric": metric,
                "source": r["source_value"],
                "ours": r[metric],
                "ratio": r["ratio_to_source"],
                "ours_unit": r[unit[metric]],
                "ratio_unit": r[unit[metric]] / r["source_value"],
                "train_s": r.get("train_s"),
                "source_train_s": SOURCE_LOW_LR_SECONDS
                if (r.get("route"), r.get("learning_rate")) == ("yuv", 1e-5)
                else None,
            }
        )
    return out


def data_note(dataset: str, data: ColourData) -> str:
    """One sentence on the data a run used (the embedded default is a stand-in for the source's CIFAR-10)."""
    n = len(data.train) + len(data.val) + len(data.test)
    if dataset.startswith("embedded:photo_patches"):
        return (
            f"Stand-in for CIFAR-10: {n} colour patches of the 11 photos scikit-image and scikit-learn ship, "
            f"{data.test.shape[1]} px, split at random 80/10/10 (neighbouring patches overlap, so test patches "
            "are not independent of training ones)."
        )
    return f"{data.source} ({n} images)."


def truth_row(data: ColourData) -> dict:
    """Colourfulness and chroma of the true test images (the reference for desaturation)."""
    return {
        "method": "truth",
        "colourfulness": float(np.mean(colourfulness(data.test))),
        "chroma": float(np.mean(chroma_magnitude(data.test))),
    }


def verdict(rows: Sequence[Mapping]) -> dict:
    """The source-scale checks and paired differences of the rows (first ``"rgb"``/``"yuv"`` rows, both baselines).

    ``yuv_beats_rgb_*`` compare means, ``baseline_failures`` lists the losses of
    :func:`comparisons`, ``yuv_within_source*`` place Y → UV's UV MSE against the
    source's in both chroma scales, the ``*_over_zero_chroma_*`` entries place the
    source's figure against our zero-chroma baseline in either scale, and
    ``paired_*`` are :func:`paired_difference` of Y → UV minus gray → RGB per image.

    Raises:
        ValueError: a route or baseline row missing.
    """
    a, b, baselines = find_routes_and_baselines(rows)
    failures = [
        f"{c['route']} {c['metric']} {c['route_value']:.5g} vs {c['baseline']} {c['baseline_value']:.5g}"
        for c in comparisons(rows)
        if not c["route_better"]
    ]
    source = SOURCE_FIGURES[("yuv", 1e-3)][1]
    zero = baselines[0]
    return {
        "yuv_beats_rgb_mse": bool(b["rgb_mse"] < a["rgb_mse"]),
        "yuv_beats_rgb_ciede2000": bool(b["ciede2000"] < a["ciede2000"]),
        "baseline_failures": failures,
        "yuv_uv_mse_source": float(b["uv_mse_source"]),
        "yuv_within_source": bool(b["uv_mse_source"] <= source),
        "yuv_uv_mse": float(b["uv_mse"]),
        "yuv_within_source_if_true_scale": bool(b["uv_mse"] <= source),
        # Where the source's figures sit against the zero-chroma baseline, read
        # in either scale: which reading is plausible says which scale it used.
        "zero_chroma_uv_mse_source": float(zero["uv_mse_source"]),
        "source_uv_over_zero_chroma_doubled_scale": source / float(zero["uv_mse_source"]),
        "source_uv_over_zero_chroma_true_scale": source / float(zero["uv_mse"]),
        "yuv_uv_over_zero_chroma": float(b["uv_mse"]) / float(zero["uv_mse"]),
        "zero_chroma_rgb_mse": float(zero["rgb_mse"]),
        "paired_rgb_mse": paired_difference(b["per_image"]["rgb_mse"], a["per_image"]["rgb_mse"]),
        "paired_ciede2000": paired_difference(b["per_image"]["ciede2000"], a["per_image"]["ciede2000"]),
    }


def find_baselines(rows: Sequence[Mapping]) -> list[Mapping]:
    """The baseline rows, the zero-chroma one first. Raises: ValueError: fewer than two."""
    baselines = [r for r in rows if r.get("route") == "baseline"]
    if len(baselines) < 2:
        raise ValueError("verdict needs both baseline rows")
    return sorted(baselines, key=lambda r: not r["method"].startswith("gray"))  # the zero-chroma row first


def find_routes_and_baselines(rows: Sequence[Mapping]):
    """``(first "rgb" row, first "yuv" row, baselines)``. Raises: ValueError: a route or baseline missing."""
    by_route: dict[str, Mapping] = {}
    for r in rows:
        by_route.setdefault(r.get("route"), r)
    if "rgb" not in by_route or "yuv" not in by_route:
        raise ValueError("verdict needs a 'rgb' and a 'yuv' route row")
    return by_route["rgb"], by_route["yuv"], find_baselines(rows)


#: The metrics a route is compared with the baselines in: column → (label, unit, higher is better).
COMPARED_METRICS: dict[str, tuple[str, str, bool]] = {
    "rgb_mse": ("RGB MSE", "MSE on [0, 1]", False),
    "psnr": ("PSNR", "dB", True),
    "ssim": ("SSIM", "", True),
    "ciede2000": ("CIEDE2000", "ΔE00", False),
}


def find_ours(rows: Sequence[Mapping]) -> list[Mapping]:
    """The rows of our colouriser (route ``"ours"``)."""
    return [r for r in rows if r.get("route") == "ours"]


def comparisons(rows: Sequence[Mapping]) -> list[dict]:
    """Each route (first ``"rgb"``, ``"yuv"`` and, if any, ``"ours"`` row) against each baseline in each
    metric of :data:`COMPARED_METRICS`.

    From the same means the result table shows, so a "better" here is a
    "better" there; beside it the paired 95% interval of route minus baseline
    per image (``None`` without per-image values).

    Returns:
        ``[{"route", "baseline", "metric", "unit", "route_value", "baseline_value",
        "route_better", "ci95_low", "ci95_high", "key"}]``; ``key`` names the fact
        in the headline, ``"<rgb_route|yuv_route|ours>_beats_<gray_image|train_mean_chroma>_<metric>"``.

    Raises:
        ValueError: a route or baseline row missing.

    Example:
    >>> base = {"route": "baseline", "rgb_mse": 0.01, "psnr": 20.0, "ssim": 0.9, "ciede2000": 8.0}
    >>> rows = [{**base, "method": "gray (zero chroma)"}, {**base, "method": "train mean chroma"},
    ...         {"method": "a", "route": "rgb", "rgb_mse": 0.02, "psnr": 19.0, "ssim": 0.7, "ciede2000": 6.0},
    ...         {"method": "b", "route": "yuv", "rgb_mse": 0.005, "psnr": 23.0, "ssim": 0.95, "ciede2000": 5.0}]
    >>> [c["key"] for c in comparisons(rows) if not c["route_better"]][:2]
    ['rgb_route_beats_gray_image_rgb_mse', 'rgb_route_beats_gray_image_psnr']
    """
    a, b, baselines = find_routes_and_baselines(rows)
    out = []
    routes = [(a, "rgb_route"), (b, "yuv_route")] + [(r, "ours") for r in find_ours(rows)[:1]]
    for r, r_key in routes:
        for base, b_key in zip(baselines, ("gray_image", "train_mean_chroma")):
            for key, (label, unit, higher) in COMPARED_METRICS.items():
                ours, theirs = float(r[key]), float(base[key])
                ci = None
                if "per_image" in r and "per_image" in base:
                    ci = mean_interval(np.asarray(r["per_image"][key]) - np.asarray(base["per_image"][key]))
                out.append({
                    "route": r["method"], "baseline": base["method"], "metric": label, "unit": unit,
                    "route_value": ours, "baseline_value": theirs,
                    "route_better": bool(ours > theirs if higher else ours < theirs),
                    "ci95_low": None if ci is None else ci[0], "ci95_high": None if ci is None else ci[1],
                    "key": f"{r_key}_beats_{b_key}_{key}",
                })  # fmt: skip
    return out


#: Human column names (with units) of the result, source-comparison and baseline-comparison tables.
TABLE_LABELS: dict[str, str] = {
    "method": "method", "rgb_mse": "RGB MSE on [0, 1]", "rgb_mse_pm1": "RGB MSE on [-1, 1] (source scale)",
    "uv_mse": "UV MSE (true chroma)", "uv_mse_source": "UV MSE (doubled chroma, source scale)",
    "source_value": "source's figure", "ratio_to_source": "ours / source", "psnr": "PSNR (dB)", "ssim": "SSIM",
    "ciede2000": "CIEDE2000 (ΔE00)", "colourfulness": "colourfulness (0–255 scale)", "chroma": "mean chroma (UV)",
    "out_of_gamut": "clipped pixels (%)", "train_s": "train time (s)", "epochs_run": "epochs run",
    "setting": "setting", "metric": "metric", "source": "source's figure", "ours": "ours, same scale",
    "ratio": "ours / source", "ours_unit": "ours if the source's data were on [0, 1]",
    "ratio_unit": "ours / source, [0, 1] reading", "source_train_s": "source's train time (s)",
    "route": "route", "baseline": "baseline", "unit": "unit", "route_value": "route's mean",
    "baseline_value": "baseline's mean", "route_better": "route better",
    "ci95_low": "route − baseline, 95% CI low", "ci95_high": "route − baseline, 95% CI high",
}  # fmt: skip

#: Decimals shown per column (MSE-like columns 5, others 4).
TABLE_DECIMALS: dict[str, int] = {
    "psnr": 2, "ssim": 3, "ciede2000": 2, "colourfulness": 1, "out_of_gamut": 2, "train_s": 0,
    "source_train_s": 0, "ratio_to_source": 2, "ratio": 2, "ratio_unit": 2,
}  # fmt: skip


def display_table(rows: Sequence[Mapping], columns: Sequence[str] | None = None, *, index: str | None = None):
    """Table rows as a DataFrame for the page: rounded per column (:data:`TABLE_DECIMALS`; MSE-like 5),
    out-of-gamut in %, blanks for missing values, ``columns`` (default: the first row's) named by
    :data:`TABLE_LABELS`, ``index`` as the index.

    Example:
    >>> display_table([{"method": "m", "psnr": 22.084, "out_of_gamut": 0.01234}], index="method").to_dict("records")
    [{'PSNR (dB)': 22.08, 'clipped pixels (%)': 1.23}]
    """
    import pandas as pd

    columns = list(columns) if columns is not None else list(rows[0]) if rows else []
    df = pd.DataFrame([{k: r.get(k) for k in columns} for r in rows], columns=columns)
    for col in set(df.columns) & {"route_value", "baseline_value", "ci95_low", "ci95_high"}:  # mixed metrics
        df[col] = [f"{v:.4g}" if isinstance(v, float) else v for v in df[col]]
    if "out_of_gamut" in df:
        df["out_of_gamut"] = df["out_of_gamut"] * 100.0
    for col in df.columns:
        if pd.api.types.is_float_dtype(df[col]):
            mse_like = "mse" in col or col in ("source_value", "source", "ours", "ours_unit")
            digits = TABLE_DECIMALS.get(col, 5 if mse_like else 4)
            df[col] = df[col].round(digits)
    if "metric" in df:  # the source comparison names our columns
        df["metric"] = [TABLE_LABELS.get(m, m) for m in df["metric"]]
    df = df.astype(object).where(df.notna(), "")  # blank where a row has no value; whole numbers as integers
    df = df.map(lambda v: int(v) if isinstance(v, float) and v.is_integer() and abs(v) >= 1 else v)
    if index:
        df = df.set_index(index)
    return df.rename(columns=TABLE_LABELS).rename_axis(index=TABLE_LABELS.get(index, index) if index else None)


#: The notebook's parameters as recorded in its metrics (its ``parameters`` cell
#: without ``metrics_path`` and ``n_show``, which only sizes the figures).
PARAMETERS = (
    "dataset", "limit", "size", "epochs", "batch_size", "learning_rate", "low_learning_rate", "low_lr_routes",
    "filters", "rgb_route_gray", "ours_filters", "ours_rebalance", "ours_precision", "seed",
)  # fmt: skip


def check_parameters(values: Mapping) -> dict:
    """Check the notebook's (or the benchmark's) parameters before any training.

    Returns:
        The run's parameters (:data:`PARAMETERS`) as recorded in its metrics, with
        ``filters`` and ``ours_filters`` as lists of channel counts and ``low_lr_routes`` as a list of
        route names (empty when ``low_learning_rate`` is 0).

    Raises:
        ValueError: filters that are not at least two positive integers, an unknown
            route (the message lists the known ones), an unknown ``rgb_route_gray``, an
            ``ours_rebalance`` outside (0, 1] or an unknown ``ours_precision``.

    Example:
    >>> p = check_parameters({"dataset": "d", "limit": 0, "size": 32, "epochs": 1, "batch_size": 8,
    ...     "learning_rate": 1e-3, "low_learning_rate": 1e-5, "low_lr_routes": "yuv, rgb",
    ...     "filters": "32, 48,64", "rgb_route_gray": "mean", "ours_filters": "16,32", "ours_rebalance": 1.0,
    ...     "ours_precision": "auto", "seed": 0})
    >>> p["filters"], p["low_lr_routes"], p["ours_filters"]
    ([32, 48, 64], ['yuv', 'rgb'], [16, 32])
    """
    params = {k: values[k] for k in PARAMETERS}
    params["filters"] = list(parse_list(params["filters"], name="filters", min_len=2, positive=True))
    params["ours_filters"] = list(parse_list(params["ours_filters"], name="ours_filters", min_len=2, positive=True))
    if not 0.0 < float(params["ours_rebalance"]) <= 1.0:
        raise ValueError(f"ours_rebalance must be in (0, 1] (1: no rebalancing), got {params['ours_rebalance']!r}")
    if params["ours_precision"] not in PRECISIONS:
        raise ValueError(f"ours_precision must be one of {', '.join(PRECISIONS)}, got {params['ours_precision']!r}")
    routes = list(parse_list(params["low_lr_routes"], str, name="routes", min_len=0, choices=tuple(ROUTES)))
    params["low_lr_routes"] = routes if params["low_learning_rate"] > 0 else []
    if params["rgb_route_gray"] not in LUMINANCE_METHODS:
        raise ValueError(f"rgb_route_gray must be one of {LUMINANCE_METHODS}, got {params['rgb_route_gray']!r}")
    return params


def headline(rows: Sequence[Mapping]) -> dict:
    """The notebook's headline: both routes' and the zero-chroma baseline's scores, and the route-versus-baseline facts.

    Args:
        rows: result rows with both routes and both baselines (see :func:`comparisons`).

    Returns:
        RGB MSE, PSNR, SSIM and CIEDE2000 of gray → RGB (``rgb_route_*``), Y → UV
        (``yuv_route_*``), the gray image (``gray_image_*``) and, with an ``"ours"`` row, our
        colouriser (``ours_*``, with its and Y → UV's colourfulness), Y → UV's UV MSE in
        the source's scale, then the ``key`` of each of :func:`comparisons` (one boolean per route,
        baseline and metric, from the table's means).
    """
    a, b, baselines = find_routes_and_baselines(rows)
    out = {}
    named = [("rgb_route", a), ("yuv_route", b), ("gray_image", baselines[0])]
    named += [("ours", r) for r in find_ours(rows)[:1]]
    for prefix, r in named:
        out.update({f"{prefix}_{key}": float(r[key]) for key in COMPARED_METRICS})
    out["yuv_route_uv_mse_source"] = float(b["uv_mse_source"])
    for r in find_ours(rows)[:1]:
        out["ours_colourfulness"] = float(r["colourfulness"])
        out["yuv_route_colourfulness"] = float(b["colourfulness"])
    out.update({c["key"]: c["route_better"] for c in comparisons(rows)})
    return out


# The claims live in their own module (this one would pass the size limit); re-exported here.
from aeutils.studies.colourisation_claims import REPRODUCTION_TOLERANCE as REPRODUCTION_TOLERANCE  # noqa: E402
from aeutils.studies.colourisation_claims import claims as claims  # noqa: E402
from aeutils.studies.colourisation_claims import reproduction_claims as reproduction_claims  # noqa: E402
from aeutils.studies.colourisation_claims import source_setting as source_setting  # noqa: E402
