"""The colourisation study (aeutils.studies.colourisation): data, colouriser, routes, verdict, parameters.

The colour science it uses (YUV, luminance, scores) is tested in tests/test_color.py.
"""

import keras
import numpy as np
import pytest

from aeutils import metrics as M
from aeutils import reports
from aeutils.color import luminance
from aeutils.data import DataError
from aeutils.studies import colourisation as C


def test_prepare_refuses_gray_sets(tmp_path):
    path = tmp_path / "gray.npz"
    np.savez(path, images=np.zeros((10, 16, 16), np.uint8))
    with pytest.raises(DataError, match="colour"):
        C.prepare(f"npz:{path}", size=16)


def test_prepare_splits_colour_set(tmp_path):
    path = tmp_path / "colour.npz"
    np.savez(path, images=np.random.default_rng(0).integers(0, 255, (20, 16, 16, 3), dtype=np.uint8))
    d = C.prepare(f"npz:{path}", size=16)
    assert (len(d.train), len(d.val), len(d.test)) == (16, 2, 2)
    assert "16/2/2 split" in d.source


def test_colouriser_is_the_source_architecture():
    from aeutils.models import build_cae

    m = C.build_colouriser(input_shape=(32, 32, 3), output_channels=3, output_activation="tanh")
    assert m.count_params() == build_cae("32-48-64-single").count_params() == 71_475
    assert C.default_filters() == (32, 48, 64)
    uv = C.build_colouriser(input_shape=(16, 16, 1), output_channels=2, filters=(4, 6, 8))
    assert uv.output_shape == (None, 16, 16, 2)
    assert uv.get_layer("decoder").get_layer("decoder_output").activation.__name__ == "linear"


def _notebook_values(**changes):
    values = {k: v["default"] for k, v in reports.notebook_parameters("colourisation").items()}
    return {**values, **changes}


def test_parse_routes():
    # Routes are read by check_parameters with aeutils.params.parse_list (was parse_routes).
    low = {"low_learning_rate": 1e-5}
    assert C.check_parameters(_notebook_values(low_lr_routes="rgb, yuv", **low))["low_lr_routes"] == ["rgb", "yuv"]
    assert C.check_parameters(_notebook_values(low_lr_routes=" ", **low))["low_lr_routes"] == []
    with pytest.raises(ValueError, match="unknown routes"):
        C.check_parameters(_notebook_values(low_lr_routes="yuv,lab"))


def test_check_parameters_matches_the_notebook():
    defaults = _notebook_values()
    assert set(C.PARAMETERS) == set(defaults) - {"metrics_path", "n_show"}
    params = C.check_parameters(defaults)
    # The embedded default skips the learning-rate comparison (low_learning_rate 0); the full profile runs it.
    assert params["filters"] == [32, 48, 64] and params["low_lr_routes"] == [] and params["low_learning_rate"] == 0
    full = reports.profile_parameters("colourisation", "full")
    assert C.check_parameters(_notebook_values(**full))["low_lr_routes"] == ["yuv"]
    with pytest.raises(ValueError, match="unknown routes"):  # checked even when the comparison is skipped
        C.check_parameters(_notebook_values(low_learning_rate=0, low_lr_routes="lab"))
    with pytest.raises(ValueError, match="rgb_route_gray"):
        C.check_parameters(_notebook_values(rgb_route_gray="green"))


def _tiny_rows(rgb_psnr=19.0, rgb_ssim=0.70, yuv_ciede=5.0):
    # Two baselines and two routes with per-image values (4 images), as baseline_rows and run_route give them.
    rng = np.random.default_rng(0)

    def row(method, route, rgb_mse, psnr, ssim, ciede):
        per = {
            k: v + rng.normal(0, 1e-3 * abs(v) + 1e-6, 4)
            for k, v in (("rgb_mse", rgb_mse), ("psnr", psnr), ("ssim", ssim), ("ciede2000", ciede))
        }
        return {
            "method": method,
            "route": route,
            **{k: float(np.mean(v)) for k, v in per.items()},
            "uv_mse_source": 4 * rgb_mse,
            "per_image": per,
        }

    return [row("gray (zero chroma)", "baseline", 0.010, 20.0, 0.90, 8.0),
            row("train mean chroma", "baseline", 0.009, 20.5, 0.91, 7.0),
            row("gray→RGB lr 0.001", "rgb", 0.008, rgb_psnr, rgb_ssim, 6.0),
            row("Y→UV lr 0.001", "yuv", 0.004, 23.0, 0.95, yuv_ciede)]  # fmt: skip


def test_headline():
    rows = _tiny_rows()
    h = C.headline(rows)
    assert h["yuv_route_uv_mse_source"] == pytest.approx(rows[3]["uv_mse_source"])
    assert h["gray_image_rgb_mse"] == pytest.approx(rows[0]["rgb_mse"])
    assert h["rgb_route_psnr"] == pytest.approx(rows[2]["psnr"])
    # One fact per route, baseline and metric, each agreeing with the table's means.
    facts = {k: v for k, v in h.items() if "_beats_" in k}
    assert len(facts) == 2 * 2 * 4 and all(isinstance(v, bool) for v in facts.values())
    assert h["rgb_route_beats_gray_image_rgb_mse"] is True and h["rgb_route_beats_gray_image_psnr"] is False
    assert h["rgb_route_beats_gray_image_ssim"] is False and h["yuv_route_beats_train_mean_chroma_ssim"] is True
    assert "routes_beat_baselines" not in h


def test_comparisons_agree_with_the_table():
    rows = _tiny_rows()
    comp = C.comparisons(rows)
    assert len(comp) == 16
    for c in comp:
        route = next(r for r in rows if r["method"] == c["route"])
        base = next(r for r in rows if r["method"] == c["baseline"])
        key = next(k for k, v in C.COMPARED_METRICS.items() if v[0] == c["metric"])
        higher = C.COMPARED_METRICS[key][2]
        assert c["route_value"] == route[key] and c["baseline_value"] == base[key]
        assert c["route_better"] == (route[key] > base[key] if higher else route[key] < base[key])
        assert c["ci95_low"] <= route[key] - base[key] <= c["ci95_high"]
    with pytest.raises(ValueError, match="route row"):
        C.comparisons(rows[:2])
    with pytest.raises(ValueError, match="baseline rows"):
        C.comparisons(rows[1:])


def test_claims_on_tiny_rows():
    rows = _tiny_rows()
    cl = C.claims(rows)
    assert [c["claim"] for c in cl] == [
        "Y→UV beats gray→RGB in RGB MSE",
        "Y→UV beats gray→RGB in CIEDE2000",
        "Y→UV beats the plain gray image in CIEDE2000",
        "Y→UV beats the train mean chroma in CIEDE2000",
        "Y→UV beats both baselines in RGB MSE, PSNR, SSIM and CIEDE2000",
    ]
    assert all(c["holds"] for c in cl)
    assert cl[0]["ours"] == rows[3]["rgb_mse"] and cl[0]["baseline"] == rows[2]["rgb_mse"]
    assert cl[0]["ci95"] is not None and cl[0]["ci95"][1] < 0 and cl[0]["higher_is_better"] is False
    assert cl[4]["ours"] == cl[4]["baseline"] == 8
    # gray→RGB loses to the gray image in PSNR and SSIM: reported as a finding, not a failed claim.
    assert "gray→RGB loses in PSNR against the gray (zero chroma)" in cl[4]["note"]
    assert "two poolings" in cl[4]["note"]
    # Y→UV worse than the gray image in CIEDE2000: claims 2-5 fail, and the note says where.
    worse = C.claims(_tiny_rows(yuv_ciede=8.5))
    assert [c["holds"] for c in worse] == [True, False, False, False, False]
    assert worse[4]["ours"] == 6 and "Y→UV loses in CIEDE2000 against the gray (zero chroma)" in worse[4]["note"]
    assert "gray photos" not in cl[4]["note"]
    # A gray image that reproduces one of four test images exactly (a gray photo): the note counts it and
    # says what the 8-bit cap changes.
    exact = _tiny_rows()
    exact[0]["per_image"]["psnr"][0] = M.PSNR_8BIT_DB
    note = C.claims(exact)[4]["note"]
    assert "1 of the 4 test images are gray photos" in note and "58.92 dB" in note
    assert f"{(M.PSNR_CAP_DB - M.PSNR_8BIT_DB) / 4:.2f} dB" in note
    exact[0]["per_image"]["psnr"][0] = M.PSNR_CAP_DB  # scored at another cap: not said to be at the 8-bit one
    assert "gray photos" not in C.claims(exact)[4]["note"]
    # A gray→RGB that beats both baselines everywhere is said so.
    assert "gray→RGB also beats both baselines" in C.claims(_tiny_rows(rgb_psnr=21.0, rgb_ssim=0.92))[4]["note"]


def test_display_table_names_columns_with_units():
    df = C.display_table([{"method": "m", "rgb_mse": 0.0123456, "psnr": 22.0849, "out_of_gamut": 0.01234}],
                         index="method")  # fmt: skip
    assert list(df.columns) == ["RGB MSE on [0, 1]", "PSNR (dB)", "clipped pixels (%)"]
    assert df.index.name == "method"
    assert df.iloc[0].tolist() == [0.01235, 22.08, 1.23]
    assert set(C.TABLE_COLUMNS) <= set(C.TABLE_LABELS)


def test_source_comparison_both_readings():
    row = {
        "method": "Y→UV lr 1e-05",
        "route": "yuv",
        "learning_rate": 1e-5,
        "source_metric": "uv_mse_source",
        "source_value": 0.013091,
        "uv_mse_source": 0.02,
        "uv_mse": 0.005,
        "ratio_to_source": 0.02 / 0.013091,
        "train_s": 3.0,
    }
    (side,) = C.source_comparison([row, {"method": "baseline"}])
    assert side["ours"] == 0.02 and side["ours_unit"] == 0.005
    assert side["ratio_unit"] == pytest.approx(0.005 / 0.013091)
    assert side["source_train_s"] == 314


def test_colouriser_bad_input():
    with pytest.raises(ValueError, match="divisible"):
        C.build_colouriser(input_shape=(18, 18, 1), filters=(4, 6, 8))
    # Filters are read with aeutils.params.parse_list (was parse_filters, whose messages said
    # "integers" and "at least two").
    with pytest.raises(ValueError, match="filters must be a comma-separated list of int"):
        C.build_colouriser(filters="4,x")
    with pytest.raises(ValueError, match="filters needs at least 2"):
        C.build_colouriser(filters="4")


def test_colouriser_saves_and_loads_safely(tmp_path):
    m = C.build_colouriser(input_shape=(16, 16, 1), filters=(4, 6, 8))
    path = tmp_path / "c.keras"
    m.save(path)
    back = keras.saving.load_model(path, safe_mode=True)
    x = np.random.default_rng(0).random((2, 16, 16, 1)).astype(np.float32)
    np.testing.assert_allclose(back.predict(x, verbose=0), m.predict(x, verbose=0), atol=1e-6)


@pytest.fixture(scope="module")
def tiny_data():
    # Smooth colour images with a colour that follows the luminance pattern, so there is something to learn.
    rng = np.random.default_rng(0)
    base = rng.random((48, 4, 4, 3))
    imgs = np.clip(np.kron(base, np.ones((1, 4, 4, 1))), 0, 1).astype(np.float32)
    return C.ColourData(imgs[:32], imgs[32:40], imgs[40:], "tiny test set")


def test_study_runner(tiny_data):
    rows = C.baseline_rows(tiny_data)
    assert [r["method"] for r in rows] == ["gray (zero chroma)", "train mean chroma"]
    assert rows[0]["colourfulness"] == pytest.approx(0.0, abs=1e-9)
    for route in ("rgb", "yuv"):
        rows.append(C.run_route(route, tiny_data, filters=(4, 6, 8), epochs=1, batch_size=8))
    a, b = rows[2], rows[3]
    assert a["method"] == "gray→RGB lr 0.001" and b["method"] == "Y→UV lr 0.001"
    for r in (a, b):
        assert r["pred_rgb"].shape == tiny_data.test.shape and r["pred_uv"].shape == (8, 16, 16, 2)
        assert 0.0 <= r["pred_rgb"].min() and r["pred_rgb"].max() <= 1.0
        assert np.isfinite([r["rgb_mse"], r["ciede2000"], r["uv_mse_source"]]).all()
        assert r["epochs_run"] == 1 and r["train_s"] > 0
    assert a["source_value"] == 0.006633 and a["ratio_to_source"] == pytest.approx(a["rgb_mse_pm1"] / 0.006633)
    assert b["source_value"] == 0.003041 and b["ratio_to_source"] == pytest.approx(b["uv_mse_source"] / 0.003041)
    # Y → UV keeps the true luminance: its Y error is zero up to gamut clipping.
    y_err = np.abs(luminance(b["pred_rgb"]) - luminance(tiny_data.test))
    assert np.mean(y_err) < 0.02
    swapped = C.swap_in_true_luma(a, tiny_data)
    assert swapped["method"].endswith("+ true Y")
    rows.append(swapped)
    v = C.verdict(rows)
    assert v["yuv_beats_rgb_mse"] == (b["rgb_mse"] < a["rgb_mse"])
    assert v["yuv_uv_mse_source"] == pytest.approx(b["uv_mse_source"])
    assert v["paired_rgb_mse"]["n"] == 8
    # The baseline failures cover every metric the table shows (RGB MSE, PSNR, SSIM, CIEDE2000), in their directions.
    n_fail = sum(
        (r[m] <= base[m]) if C.COMPARED_METRICS[m][2] else (r[m] >= base[m])
        for r in (a, b)
        for base in rows[:2]
        for m in C.COMPARED_METRICS
    )
    assert len(v["baseline_failures"]) == n_fail
    assert "routes_beat_baselines" not in v
    assert len(C.claims(rows)) == 5
    side = C.source_comparison(rows)
    assert [s["setting"] for s in side] == [a["method"], b["method"]]
    assert side[1]["ours"] == b["uv_mse_source"] and side[1]["source"] == 0.003041
    table = C.table_rows(rows)
    assert set(table[0]) == set(C.TABLE_COLUMNS) and "pred_rgb" not in table[0]
    with pytest.raises(ValueError, match="unknown route"):
        C.run_route("lab", tiny_data)
    with pytest.raises(ValueError, match="route row"):
        C.verdict(rows[:2])


def test_data_note_says_stand_in(tiny_data):
    note = C.data_note("embedded:photo_patches", tiny_data)
    assert note.startswith("Stand-in for CIFAR-10: 48 colour patches") and "16 px" in note and "overlap" in note
    assert C.data_note("npz:cifar10.npz", tiny_data) == "tiny test set (48 images)."


def test_display_table_leaves_missing_values_blank():
    df = C.display_table([{"method": "a", "psnr": None, "rgb_mse": 0.123456}, {"method": "b", "psnr": 22.0812}],
                         ["method", "psnr", "rgb_mse"], index="method")  # fmt: skip
    assert df.loc["a", "PSNR (dB)"] == "" and df.loc["b", "RGB MSE on [0, 1]"] == ""
    assert df.loc["a", "RGB MSE on [0, 1]"] == 0.12346 and df.loc["b", "PSNR (dB)"] == 22.08
    comp = C.display_table(C.comparisons(_tiny_rows()), ["route", "metric", "route_value", "route_better"])
    assert list(comp.columns) == ["route", "metric", "route's mean", "route better"]
    value = comp.iloc[1]["route's mean"]  # PSNR of gray→RGB, about 19 dB; mixed metrics: 4 significant digits as text
    assert isinstance(value, str) and len(value) <= 5 and float(value) == pytest.approx(19.0, abs=0.05)
