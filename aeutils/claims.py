"""Claims: the comparisons an experiment exists to make, evaluated from the run's own numbers.

A claim is a plain dict, ``{"claim", "holds", "ours", "baseline", "unit", "ci95", "note"}``, so it
goes straight into a metrics JSON. Studies build their claims with :func:`beats` (ours against a
baseline, with a paired interval where per-image values exist) or :func:`check` (a yes/no finding
with the numbers behind it); :func:`status` turns a list of claims into the run's status.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np

from aeutils.stats import mean_interval

#: Run statuses, in the order a reader cares about them.
STATUSES = ("ok", "claims not met", "failed", "interrupted")


def _number(x):
    if x is None:
        return None
    x = float(x)
    return x if math.isfinite(x) else None


def beats(
    text: str,
    ours,
    baseline,
    *,
    unit: str = "",
    higher_is_better: bool = True,
    per_image: tuple[Sequence[float], Sequence[float]] | None = None,
    margin: float = 0.0,
    source=None,
    note: str = "",
) -> dict:
    """A claim that ``ours`` beats ``baseline`` (by more than ``margin``, in the better direction).

    With ``per_image=(ours_values, baseline_values)`` (paired, one value per test image) the claim
    carries the 95% t-interval of the mean difference ``ours - baseline`` and holds only when that
    interval lies wholly on the better side of ``margin``; without it, the point values decide.

    Args:
        text: the claim as a reader should see it ("ours-256 beats PCA-256 on test PSNR").
        ours: our figure.
        baseline: the baseline's figure.
        unit: unit of both figures ("dB", "nats", "").
        higher_is_better: direction of "better".
        per_image: paired per-image values for the interval.
        margin: how much better ours must be.
        source: the source report's figure for the same quantity, shown beside ours.
        note: a sentence that explains the claim or why it may fail.

    Returns:
        The claim dict.

    Example:
    >>> beats("a beats b", 30.0, 29.0, unit="dB")["holds"]
    True
    >>> c = beats("a beats b", 2.0, 1.0, per_image=([2.0, 2.1, 1.9], [1.0, 3.0, -1.0]))
    >>> c["holds"], c["ci95"] is not None
    (False, True)
    """
    ours, baseline = _number(ours), _number(baseline)
    sign = 1.0 if higher_is_better else -1.0
    ci = None
    if per_image is not None:
        a, b = (np.asarray(v, dtype=np.float64).ravel() for v in per_image)
        if a.shape != b.shape:
            raise ValueError(f"{text!r}: per-image values differ in length ({a.size} vs {b.size})")
        ci = mean_interval(a - b)
    if ours is None or baseline is None:
        holds = False
    elif ci is not None:
        holds = bool(sign * (ci[0] if sign > 0 else ci[1]) > margin)
    else:
        holds = bool(sign * (ours - baseline) > margin)
    return {
        "claim": text,
        "holds": holds,
        "ours": ours,
        "baseline": baseline,
        "unit": unit,
        "ci95": list(ci) if ci is not None else None,
        "higher_is_better": higher_is_better,
        "source": _number(source),
        "note": note,
    }


def check(text: str, holds: bool, *, ours=None, baseline=None, unit: str = "", note: str = "") -> dict:
    """A yes/no claim (e.g. "the formula's latent size equals the model's for every architecture").

    Example:
    >>> check("all sizes match", True, ours=7, baseline=7, unit="architectures")["holds"]
    True
    """
    return {
        "claim": text,
        "holds": bool(holds),
        "ours": ours if isinstance(ours, str) else _number(ours),
        "baseline": baseline if isinstance(baseline, str) else _number(baseline),
        "unit": unit,
        "ci95": None,
        "higher_is_better": None,
        "source": None,
        "note": note,
    }


def status(claims: Sequence[Mapping]) -> str:
    """``"ok"`` when every claim holds (and there is at least one), else ``"claims not met"``.

    Example:
    >>> status([check("x", True)]), status([check("x", True), check("y", False)]), status([])
    ('ok', 'claims not met', 'claims not met')
    """
    return "ok" if claims and all(bool(c.get("holds")) for c in claims) else "claims not met"


def verdicts(claims: Sequence[Mapping]) -> str:
    """``"✓ 2 of 3"``: how many claims hold.

    Example:
    >>> verdicts([check("x", True), check("y", False)])
    '✓ 1 of 2'
    """
    return f"✓ {sum(bool(c.get('holds')) for c in claims)} of {len(claims)}"
