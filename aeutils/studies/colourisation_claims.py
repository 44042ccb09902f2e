"""The colourisation study's claims (notebook ``colourisation``, ``benchmarks/colourisation.py``).

:func:`claims` (the source routes against each other and the baselines, then the restated
reproduction claims of issue 16 in the source's setting, then our colouriser's claims from
:mod:`aeutils.studies.colourisation_ours`), :func:`reproduction_claims` and :func:`source_setting`.
All are re-exported by :mod:`aeutils.studies.colourisation`, whose rows they read.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from aeutils import metrics as M
from aeutils.claims import beats, check
from aeutils.studies.colourisation import (
    COMPARED_METRICS,
    ROUTES,
    comparisons,
    default_filters,
    find_ours,
    find_routes_and_baselines,
    source_comparison,
)


def claims(
    rows: Sequence[Mapping], *, reproduction: bool = False, truth_colourfulness: float | None = None
) -> list[dict]:
    """The study's claims from result rows of :func:`baseline_rows`, :func:`run_route` (and :func:`swap_in_true_luma`,
    :func:`aeutils.studies.colourisation_ours.run_ours`).

    Y → UV beats (1) gray → RGB in RGB MSE and (2) in CIEDE2000, (3) the plain
    gray image and (4) the train mean chroma in CIEDE2000, each with a paired
    per-image interval; (5) Y → UV beats both baselines in every metric of
    :data:`COMPARED_METRICS` (the table's means, :func:`comparisons`). Gray → RGB
    against the baselines is a finding, not a claim: it rebuilds the luminance
    through two poolings; claim 5's note says where it loses and what its
    colours score with the true Y swapped in. Then, with ``reproduction`` (a run in the
    source's setting, :func:`source_setting`), :func:`reproduction_claims`, and with an
    ``"ours"`` row, :func:`aeutils.studies.colourisation_ours.ours_claims` (``truth_colourfulness``
    goes into their notes, beside issue 16's goals).

    Raises:
        ValueError: a route or baseline row missing.
    """
    a, b, (zero, mean_chroma) = find_routes_and_baselines(rows)
    specs = (
        ("gray→RGB in RGB MSE", a, "rgb_mse",
         "both scored in RGB on [0, 1]; Y→UV's RGB is rebuilt from the true Y and its predicted U, V"),
        ("gray→RGB in CIEDE2000", a, "ciede2000",
         "mean CIEDE2000 colour difference to the true image (about 1 is just noticeable)"),
        ("the plain gray image in CIEDE2000", zero, "ciede2000",
         "the gray image is the true Y with U = V = 0: Y→UV's colours must be closer than none"),
        ("the train mean chroma in CIEDE2000", mean_chroma, "ciede2000",
         "the true Y with each pixel's mean U, V over the training images: colour that ignores the image"),
    )  # fmt: skip
    out = [
        beats(f"Y→UV beats {what}", b[key], other[key], unit=COMPARED_METRICS[key][1], higher_is_better=False,
              per_image=(b["per_image"][key], other["per_image"][key]), note=note)
        for what, other, key, note in specs
    ]  # fmt: skip
    comp = comparisons(rows)

    def losses(route):
        return [
            f"{c['metric']} against the {c['baseline']}" for c in comp if c["route"] == route and not c["route_better"]
        ]  # noqa: E501

    lost, a_lost = losses(b["method"]), losses(a["method"])
    note = (f"Y→UV loses in {', '.join(lost)}. " if lost else "") + (
        f"Finding: gray→RGB loses in {', '.join(a_lost)}; it must rebuild the luminance through two poolings"
        if a_lost else "gray→RGB also beats both baselines in every metric"
    )  # fmt: skip
    swapped = next((r for r in rows if str(r.get("route", "")).endswith("+Y")), None)
    if a_lost and swapped is not None:
        note += (
            f" (its colours with the true Y swapped in: PSNR {swapped['psnr']:.2f} dB, SSIM {swapped['ssim']:.3f}, "
            f"CIEDE2000 {swapped['ciede2000']:.2f}; the gray image: {zero['psnr']:.2f} dB, {zero['ssim']:.3f}, "
            f"{zero['ciede2000']:.2f})"
        )
    if f"PSNR against the {zero['method']}" in lost:
        note += (
            f". Why Y→UV loses PSNR to no colour at all ({b['psnr']:.2f} vs {zero['psnr']:.2f} dB) while its mean RGB "
            f"MSE is lower ({b['rgb_mse']:.5f} vs {zero['rgb_mse']:.5f}): per-image PSNR averages a logarithm, so on "
            "nearly gray images, which the gray image renders almost exactly, any tint costs many dB, while the "
            "desaturated colours of a mean-squared fit gain only a little on the colourful ones"
        )
    zero_psnr = np.asarray(zero["per_image"]["psnr"])
    exact = int(np.sum(np.isclose(zero_psnr, M.PSNR_8BIT_DB)))  # at the cap of aeutils.color.colour_scores
    if exact:
        gain = exact * (M.PSNR_CAP_DB - M.PSNR_8BIT_DB) / len(zero_psnr)
        note += (
            f". {exact} of the {len(zero_psnr)} test images are gray photos, which the gray image reproduces "
            f"exactly: every per-image PSNR is capped at {M.PSNR_8BIT_DB:.2f} dB, the 8-bit rounding's own (at a "
            f"{M.PSNR_CAP_DB:.0f} dB cap they would add {gain:.2f} dB to the gray image's mean PSNR)"
        )
    n = sum(c["route"] == b["method"] for c in comp)
    out.append(check("Y→UV beats both baselines in RGB MSE, PSNR, SSIM and CIEDE2000", not lost,
                     ours=n - len(lost), baseline=n, unit="comparisons won", note=note + "."))  # fmt: skip
    if reproduction:
        out += reproduction_claims(rows)
    if find_ours(rows):
        from aeutils.studies.colourisation_ours import ours_claims  # it imports this module

        out += ours_claims(rows, truth_colourfulness=truth_colourfulness)
    return out


#: How close a source-architecture route must land to the source's figure (issue 16: ±10%).
REPRODUCTION_TOLERANCE = 0.10


def source_setting(params: Mapping) -> bool:
    """Whether a run's parameters are the source's setting, where its figures can be reproduced.

    CIFAR-10 (a source whose name contains ``cifar10``), all images, 32 px, 15 epochs, learning
    rate 1e-3 and the 32-48-64 filters.

    Example:
    >>> source_setting({"dataset": "npz:x/cifar10.npz", "limit": 0, "size": 32, "epochs": 15,
    ...                 "learning_rate": 1e-3, "filters": [32, 48, 64]})
    True
    """
    return (
        "cifar10" in str(params.get("dataset", "")).lower().replace("-", "")
        and not params.get("limit")
        and int(params.get("size", 32)) == 32
        and int(params.get("epochs", 0)) == 15
        and float(params.get("learning_rate", 0)) == 1e-3
        and list(params.get("filters", default_filters())) == list(default_filters())
    )


def reproduction_claims(rows: Sequence[Mapping], *, tolerance: float = REPRODUCTION_TOLERANCE) -> list[dict]:
    """Each source-architecture route at the source's main rate lands within ``tolerance`` of the source's figure,
    read on the [0, 1] / true chroma scale (:func:`source_comparison`'s ``ratio_unit``).

    The source says its data were on [-1, 1]; on that reading (its RGB MSE x4, its chroma doubled)
    our figures are about 4 times its own, and its Y → UV figure would be a fifth of the gray
    image's UV error, implausible for its model: the [0, 1] reading is the one its figures fit.
    Its lr 1e-5 figure fits the doubled scale instead (given in the Y → UV claim's note).

    Args:
        rows: result rows; routes ``"rgb"``/``"yuv"`` at learning rate 1e-3 give a claim each.
        tolerance: allowed relative distance.

    Returns:
        One :func:`aeutils.claims.check` per route present.
    """
    side = {(r.get("route"), r.get("learning_rate")): s for r in rows for s in source_comparison([r])}
    out = []
    for route, what in (("rgb", "RGB MSE on [0, 1]"), ("yuv", "UV MSE on the true chroma scale")):
        s = side.get((route, 1e-3))
        if s is None:
            continue
        note = (
            f"ours / source = {s['ratio_unit']:.3f} on the [0, 1] / true-chroma reading, {s['ratio']:.2f} on the "
            "[-1, 1] / doubled reading the source states (there its Y→UV figure would be a fifth of the gray "
            "image's UV error)"
        )
        low = side.get((route, 1e-5))
        if low is not None:
            note += (
                f"; its lr 1e-5 figure {low['source']:.6g} is {low['ratio']:.2f}x ours on the doubled scale and "
                f"{low['ratio_unit']:.2f}x on the true one: its table mixes scales"
            )
        out.append(check(f"{ROUTES[route].label} lands within ±{100 * tolerance:.0f}% of the source's {what}",
                         abs(s["ratio_unit"] - 1.0) <= tolerance, ours=s["ours_unit"], baseline=s["source"],
                         unit=what, note=note + "."))  # fmt: skip
    return out
