"""benchmarks/scaling.py: the plan of configurations, the table, the fitted growth, the saved rows."""

import json

import pytest


@pytest.fixture(scope="module")
def S(load_benchmark):
    return load_benchmark("scaling")


def _row(images, px, mode, total, epoch, rss, patch=0):
    return {
        "sweep": "images",
        "images": images,
        "px": px,
        "mode": mode,
        "patch": patch,
        "total_s": total,
        "epoch_s": epoch,
        "peak_rss_mib": rss,
        "base_rss_mib": 800.0,
        "verdict": "different",
    }


def test_growth_is_linear_and_flat_where_it_should_be(S):
    g = S.growth([250, 1000, 4000], [10, 40, 160])
    assert g["per_unit"] == pytest.approx(0.04) and g["loglog"] == pytest.approx(1.0)
    assert S.growth([250, 1000, 4000], [900, 900, 900])["loglog"] == pytest.approx(0.0, abs=1e-9)


def test_plan_runs_counts_then_sizes_without_repeating_a_row(S):
    configs = S.plan([250, 1000], [64, 512], 250, ["memory", "streamed"], ["memory", "cached"])
    assert configs == [
        ("images", 250, 64, "memory"),
        ("images", 250, 64, "streamed"),
        ("images", 1000, 64, "memory"),
        ("images", 1000, 64, "streamed"),
        ("size", 250, 64, "cached"),  # 250 px 64 memory is the count sweep's row
        ("size", 250, 512, "memory"),
        ("size", 250, 512, "cached"),
    ]


def test_quick_is_small(S):
    counts = [int(v) for v in S.QUICK["counts"].split(",")]
    sizes = [int(v) for v in S.QUICK["sizes"].split(",")]
    modes = S.QUICK["modes"].split(",")
    configs = S.plan(counts, sizes, S.QUICK["size_count"], modes, S.QUICK["size_modes"].split(","))
    assert len(configs) == 4 and S.QUICK["epochs"] == 1 and max(counts) <= 120 and max(sizes) <= 128
    # Both modes, whole images and patches, and two points for each fit.
    assert {m for *_, m in configs} == {"memory", "cached"}
    assert [(n, s) for sweep, n, s, m in configs if sweep == "size"] == [(40, 64), (40, 128)]


def test_table_fits_and_report(S, tmp_path):
    rows = [
        _row(250, 64, "memory", 10.0, 1.0, 1000),
        _row(1000, 64, "memory", 40.0, 4.0, 1450),
        _row(250, 64, "streamed", 12.0, 1.2, 1000),
        _row(1000, 64, "streamed", 48.0, 4.8, 1000),
        {"sweep": "size", "images": 250, "px": 512, "mode": "memory", "timed_out": True, "total_s": 420.0},
        {"sweep": "size", "images": 250, "px": 256, "mode": "memory", "failed": -9},
    ]
    text = S.table(rows)
    assert "| 1,000 | 64 | memory | whole images | 40.0 | 4.00 | 1,450 |" in text
    assert "> 420 (stopped)" in text and "failed (exit code -9)" in text
    lines = S.fits(rows, 250)
    memory = next(line for line in lines if line.startswith("memory"))
    assert "40.0 ms per image in total (slope 1.00)" in memory and "600.0 MiB per 1,000 images" in memory
    streamed = next(line for line in lines if line.startswith("streamed"))
    assert "memory 0.0 MiB per 1,000 images (slope " in streamed  # flat
    path = tmp_path / "rows.json"
    S.save(path, {"rows": rows, "size_count": 250})
    assert not (tmp_path / "rows.json.tmp").exists()
    report = S.report(json.loads(path.read_text()))
    assert report.startswith("| images per set") and "a process holds 800 to 800 MiB" in report
