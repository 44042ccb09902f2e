"""Our colouriser in the colourisation study (issue 16): train, pick the decoding temperature on validation, score.

The model and its loss are :mod:`aeutils.models.colouriser` (a U-Net from Y to chroma-bin
logits, soft-encoded cross-entropy, annealed-mean decoding). This module runs it with the same
data, epochs, batch size, learning rate, seed and callbacks as the source's routes in
:mod:`aeutils.studies.colourisation`, and returns a row of the same table. The temperature is
chosen by mean CIEDE2000 on (at most ``val_limit``) validation images, never on the test images.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence

import numpy as np

from aeutils.claims import beats
from aeutils.color import assemble_rgb, ciede2000, colourfulness, luminance, rgb_to_yuv
from aeutils.models.colouriser import (
    SoftEncodedCrossEntropy,
    build_chroma_unet,
    chroma_bins,
    decode_uv,
    rebalance_weights,
    with_annealed_mean,
)
from aeutils.studies.colourisation import ColourData, find_baselines, find_ours, scored_row
from aeutils.train import fit

#: Temperatures tried on the validation images (1 = the mean, Zhang et al. use 0.38).
TEMPERATURES = (1.0, 0.7, 0.5, 0.38, 0.25)

#: The U-Net's channels per scale, full resolution first (its default in the study).
OURS_FILTERS = (16, 32, 64, 128)


def _inputs(images) -> np.ndarray:
    return (2.0 * luminance(images) - 1.0).astype(np.float32)  # Y on [-1, 1], as the source's inputs


def decode(model, x, centres, temperatures: Sequence[float], *, batch_size: int = 128) -> dict[float, np.ndarray]:
    """Chroma of ``x`` at each temperature, from one pass of the logits model (batched: logits are ``K`` per pixel).

    Args:
        model: the logits model (:func:`aeutils.models.colouriser.build_chroma_unet`).
        x: inputs ``(N, H, W, 1)``.
        centres: ``[centres_u, centres_v]`` (:func:`aeutils.models.colouriser.chroma_bins`).
        temperatures: the temperatures to decode at.
        batch_size: images per forward pass.

    Returns:
        ``{T: uv}`` with ``uv`` float32 ``(N, H, W, 2)``.
    """
    out = {float(t): [] for t in temperatures}
    for i in range(0, len(x), batch_size):
        logits = model(x[i : i + batch_size], training=False)
        for t in out:
            out[t].append(np.asarray(decode_uv(logits, *centres, temperature=t), dtype=np.float32))
    return {t: np.concatenate(v) if v else np.zeros(x.shape[:-1] + (2,), np.float32) for t, v in out.items()}


def run_ours(
    data: ColourData,
    *,
    filters: Sequence[int] = OURS_FILTERS,
    epochs: int = 15,
    batch_size: int = 128,
    learning_rate: float = 1e-3,
    seed: int = 42,
    step: float = 0.04,
    neighbours: int | None = None,
    rebalance: float = 1.0,
    temperatures: Sequence[float] = TEMPERATURES,
    val_limit: int = 2000,
    precision: str = "auto",
    bn_momentum: float = 0.9,
    verbose: int | str = 0,
) -> dict:
    """Train our colouriser, choose its temperature on validation images by CIEDE2000, and score it on the test images.

    Protocol as the source's routes (Adam(``learning_rate``), ``batch_size``, ``epochs``, best
    weights on validation loss, ReduceLROnPlateau(0.5, 3), EarlyStopping(10), ``seed``), input Y
    on [-1, 1]; RGB is rebuilt from the true Y and the decoded U, V.

    Args:
        data: from :func:`aeutils.studies.colourisation.prepare`.
        filters: U-Net channels per scale.
        epochs, batch_size, learning_rate, seed: training (as the source's routes).
        step: chroma bin width (bins: per channel, the multiples of ``step`` training pixels round to).
        neighbours: bins per soft target (``None``: all, Gaussian-weighted).
        rebalance: Zhang's ``lambda`` of :func:`aeutils.models.colouriser.rebalance_weights`
            (1 = no rebalancing, 0.5 = theirs).
        temperatures: the annealed-mean temperatures tried.
        val_limit: validation images the temperature is chosen on (the first ones; 0 = all).
        precision: :func:`aeutils.train.fit`'s precision (``"auto"``: bf16 where native and faster).
        bn_momentum: batch normalisation's moving-statistics momentum
            (:func:`aeutils.models.colouriser.build_chroma_unet`; 0.9 suits short runs).
        verbose: Keras progress display.

    Returns:
        A table row as :func:`aeutils.studies.colourisation.run_route`'s (``route`` ``"ours"``) with
        ``temperature``, ``n_bins``, ``rebalance``, ``precision``, ``bn_momentum``, ``temperature_search``
        (``[{"temperature", "ciede2000", "colourfulness"}]`` on the validation images),
        ``per_image``, ``history``, ``model`` (Y → U, V at the chosen temperature),
        ``pred_rgb`` and ``pred_uv``.

    Raises:
        ValueError: no temperatures.
    """
    if not temperatures:
        raise ValueError("need at least one temperature")
    uv_tr = rgb_to_yuv(data.train)[..., 1:]
    centres, counts = chroma_bins(uv_tr, step=step)
    n_bins = sum(len(c) for c in centres)
    weights = [rebalance_weights(n, lam=rebalance) for n in counts] if rebalance < 1.0 else [None, None]
    loss = SoftEncodedCrossEntropy(*centres, neighbours=neighbours, weights_u=weights[0], weights_v=weights[1])
    x_tr, x_va = _inputs(data.train), _inputs(data.val)
    uv_va = rgb_to_yuv(data.val)[..., 1:]
    input_shape = x_tr.shape[1:]
    result = fit(
        lambda: build_chroma_unet(
            input_shape=input_shape, n_bins=n_bins, filters=filters, bn_momentum=bn_momentum, name="ours"
        ),
        x_tr,
        uv_tr,
        validation_data=(x_va, uv_va),
        epochs=epochs,
        batch_size=batch_size,
        learning_rate=learning_rate,
        loss=loss,
        reduce_lr_patience=3,
        early_stopping_patience=10,
        precision=precision,
        seed=seed,
        verbose=verbose,
    )
    del x_tr, uv_tr
    model = result.model
    start = time.perf_counter()
    n_val = len(data.val) if not val_limit else min(int(val_limit), len(data.val))
    val_uv = decode(model, x_va[:n_val], centres, temperatures)
    search = []
    for t, uv in val_uv.items():
        rgb, _ = assemble_rgb(luminance(data.val[:n_val]), uv)
        search.append({
            "temperature": t,
            "ciede2000": float(np.mean(ciede2000(data.val[:n_val], rgb))),
            "colourfulness": float(np.mean(colourfulness(rgb))),
        })  # fmt: skip
    best_t = min(search, key=lambda s: s["ciede2000"])["temperature"]
    (pred_uv,) = decode(model, _inputs(data.test), centres, [best_t]).values()
    pred_rgb, n_out = assemble_rgb(luminance(data.test), pred_uv)
    label = f"ours: U-Net, {len(centres[0])}+{len(centres[1])} U+V bins, T {best_t:g}" + (
        f", rebalanced λ {rebalance:g}" if rebalance < 1.0 else ""
    )
    row = scored_row(
        label,
        data.test,
        pred_rgb,
        pred_uv=pred_uv,
        out_of_gamut=n_out,
        route="ours",
        learning_rate=float(learning_rate),
        params=int(model.count_params()),
        train_s=round(result.seconds, 1),
        epochs_run=result.epochs_run,
        best_epoch=result.best_epoch,
        temperature=best_t,
        n_bins=n_bins,
        rebalance=float(rebalance),
        precision=result.precision,
        bn_momentum=float(bn_momentum),
        temperature_search=search,
    )
    row["predict_s"] = round(time.perf_counter() - start, 1)
    row["history"] = result.history
    row["model"] = with_annealed_mean(model, *centres, temperature=best_t, name="ours_uv")
    row["pred_rgb"] = pred_rgb
    row["pred_uv"] = pred_uv
    return row


#: Issue 16's goals for our colouriser on CIFAR-10 test images (reported beside its claims, not claims).
OURS_GOALS = {"ciede2000": 9.0, "ciede2000_moonshot": 8.0, "colourfulness_share": 0.5}


def ours_claims(rows: Sequence[Mapping], *, truth_colourfulness: float | None = None) -> list[dict]:
    """Our colouriser (the first ``"ours"`` row) beats the plain gray image, the train mean chroma and the
    source-architecture Y → UV (when present) in CIEDE2000, each with a paired per-image interval.

    Args:
        rows: result rows with an ``"ours"`` row and both baselines.
        truth_colourfulness: the true test images' colourfulness, for the note's goal line.

    Returns:
        Two or three :func:`aeutils.claims.beats` claims.

    Raises:
        ValueError: no ``"ours"`` row or a baseline missing.
    """
    ours_rows = find_ours(rows)
    if not ours_rows:
        raise ValueError("ours_claims needs an 'ours' row")
    ours = ours_rows[0]
    zero, mean_chroma = find_baselines(rows)[:2]
    yuv = next((r for r in rows if r.get("route") == "yuv"), None)
    goal = f"ours: CIEDE2000 {ours['ciede2000']:.2f} (issue 16's goal ≤ {OURS_GOALS['ciede2000']:g}, moonshot ≤ " + (
        f"{OURS_GOALS['ciede2000_moonshot']:g}), colourfulness {ours['colourfulness']:.1f}"
    )
    if truth_colourfulness:
        goal += f" = {100 * ours['colourfulness'] / truth_colourfulness:.0f}% of the truth's {truth_colourfulness:.1f}"
    goal += f" (goal ≥ {100 * OURS_GOALS['colourfulness_share']:.0f}%); decoded at T {ours.get('temperature')}"
    specs = [
        ("the plain gray image", zero, "the true Y with U = V = 0"),
        ("the train mean chroma", mean_chroma, "the true Y with each pixel's mean U, V over the training images"),
    ]
    if yuv is not None:
        specs.append(("the source-architecture Y→UV", yuv, "the source's 32-48-64 model on the same data and epochs"))
    return [
        beats(f"ours beats {what} in CIEDE2000", ours["ciede2000"], other["ciede2000"], unit="ΔE00",
              higher_is_better=False, per_image=(ours["per_image"]["ciede2000"], other["per_image"]["ciede2000"]),
              note=f"{note}; {goal}.")
        for what, other, note in specs
    ]  # fmt: skip
