"""benchmarks/throughput.py: the order-statistic interval and the paired validation-loss readings."""

import pytest


@pytest.fixture(scope="module")
def B(load_benchmark):
    return load_benchmark("throughput")


def test_median_interval_of_nine_is_second_to_eighth(B):
    med, (lo, hi, cover) = B.median_interval(range(1, 10))
    assert med == 5 and (lo, hi) == (2, 8) and cover == pytest.approx(1 - 2 * 10 / 512)


def test_quality_reads_one_and_two_sided_from_the_paired_interval(B):
    base = [1.0] * 9
    # Within 0.5% everywhere: equal (two-sided) and not worse.
    q = B.quality([1.0, 1.004, 0.996, 1.002, 0.998, 1.001, 0.999, 1.003, 0.997], base)
    assert q["equal"] and q["not_worse"] and q["point"]
    # Lower by 1-3%: not worse, but not equal within ±1% although each round is better.
    q = B.quality([0.97, 0.98, 0.985, 0.975, 0.99, 0.982, 0.978, 0.988, 0.972], base)
    assert q["not_worse"] and not q["equal"] and not q["point"]
    # Median equal, interval reaching +3%: a quality cost is not ruled out.
    q = B.quality([0.97, 0.98, 0.99, 1.0, 1.0, 1.0, 1.01, 1.03, 1.04], base)
    assert q["point"] and not q["not_worse"] and not q["equal"]
    # Pairs, not medians: the same values against a shifted baseline, round by round.
    q = B.quality([2.0, 4.0, 3.0] * 3, [2.0, 4.0, 3.0] * 3)
    assert q["median"] == 1.0 and q["equal"]
    assert "one-sided): holds" in B.quality_line(q) and "two-sided): holds" in B.quality_line(q)


def test_quality_tost_reads_equivalence_from_the_mean_log_ratio(B):
    import math

    base = [1.0] * 9
    # Tight around 1: the Student interval of the mean log ratio lies inside ±1%.
    q = B.quality([1.0, 1.004, 0.996, 1.002, 0.998, 1.001, 0.999, 1.003, 0.997], base)
    assert q["equivalent"] and q["mean"] == pytest.approx(1.0, abs=1e-3) and q["t_lo"] < 1 < q["t_hi"]
    # Spread of ±4%: its interval (half-width about t * sd / 3) reaches past ±1%: not shown.
    wide = [0.96, 1.04, 0.97, 1.03, 1.0, 0.98, 1.02, 0.99, 1.01]
    q = B.quality(wide, base)
    assert not q["equivalent"] and q["t_hi"] > 1.01
    # The same spread over 16 times as many rounds narrows the interval 4-fold: equivalent.
    q = B.quality(wide * 16, base * 16)
    assert q["equivalent"] and math.isclose(q["mean"], math.exp(sum(map(math.log, wide)) / 9))
    assert "TOST, 5%): holds" in B.quality_line(q)


def test_learning_rate_constant_or_cosine_to_zero(B):
    assert B.learning_rate("constant", 100) == 1e-3
    lr = B.learning_rate("cosine", 100)
    assert float(lr(0)) == pytest.approx(1e-3) and float(lr(50)) == pytest.approx(5e-4) and float(lr(100)) == 0.0
