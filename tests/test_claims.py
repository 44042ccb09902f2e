"""Claims: paired intervals, directions and statuses."""

import numpy as np
import pytest

from aeutils import claims as C


def test_beats_uses_the_paired_interval_when_given():
    rng = np.random.default_rng(0)
    base = rng.normal(20, 2, 200)
    better = base + 0.5 + rng.normal(0, 0.1, 200)
    c = C.beats("ours beats base", better.mean(), base.mean(), unit="dB", per_image=(better, base))
    assert c["holds"] and c["ci95"][0] > 0.4 and c["ci95"][1] < 0.6
    noisy = base + rng.normal(0, 5, 200)
    c = C.beats("noisy beats base", noisy.mean() + 1e-3, noisy.mean(), per_image=(noisy, base))
    assert c["ci95"][0] < 0 < c["ci95"][1] and not c["holds"]
    with pytest.raises(ValueError, match="differ in length"):
        C.beats("x", 1, 0, per_image=([1, 2], [1]))


def test_lower_is_better_and_margin():
    assert C.beats("mse lower", 0.1, 0.2, higher_is_better=False)["holds"]
    assert not C.beats("mse lower", 0.3, 0.2, higher_is_better=False)["holds"]
    assert not C.beats("by a margin", 30.0, 29.9, margin=0.5)["holds"]
    assert not C.beats("nan never holds", float("nan"), 1.0)["holds"]
    c = C.beats("lower mse", 0.1, 0.2, higher_is_better=False, per_image=([0.1, 0.11, 0.09], [0.2, 0.21, 0.19]))
    assert c["holds"] and c["ci95"][1] < 0


def test_status_and_verdicts():
    claims = [C.check("a", True), C.beats("b", 1, 2)]
    assert C.status(claims) == "claims not met" and C.verdicts(claims) == "✓ 1 of 2"
    assert C.status(claims[:1]) == "ok"
    from aeutils.metrics import mean_interval

    assert mean_interval([1.0]) is None
