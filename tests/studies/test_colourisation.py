"""The colourisation study (aeutils.studies.colourisation): data, colouriser, routes, verdict, parameters.

The colour science it uses (YUV, luminance, scores) is tested in tests/test_color.py.
"""

import keras
import numpy as np
import pytest

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
    assert C.check_parameters(_notebook_values(low_lr_routes="rgb, yuv"))["low_lr_routes"] == ["rgb", "yuv"]
    assert C.check_parameters(_notebook_values(low_lr_routes=" "))["low_lr_routes"] == []
    with pytest.raises(ValueError, match="unknown routes"):
        C.check_parameters(_notebook_values(low_lr_routes="yuv,lab"))


def test_check_parameters_matches_the_notebook():
    defaults = _notebook_values()
    assert set(C.PARAMETERS) == set(defaults) - {"metrics_path", "n_show"}
    params = C.check_parameters(defaults)
    assert params["filters"] == [32, 48, 64] and params["low_lr_routes"] == ["yuv"]
    assert C.check_parameters(_notebook_values(low_learning_rate=0, low_lr_routes="lab"))["low_lr_routes"] == []
    with pytest.raises(ValueError, match="rgb_route_gray"):
        C.check_parameters(_notebook_values(rgb_route_gray="green"))


def test_headline():
    a = {"rgb_mse": 0.02, "ciede2000": 9.0}
    b = {"rgb_mse": 0.01, "ciede2000": 7.0, "uv_mse_source": 0.004}
    checks = {"yuv_beats_rgb_mse": True, "yuv_beats_rgb_ciede2000": False, "routes_beat_baselines": True}
    h = C.headline(a, b, [{"rgb_mse": 0.03}], checks)
    assert h["yuv_beats_rgb"] is False and h["zero_chroma_rgb_mse"] == 0.03 and h["yuv_route_uv_mse_source"] == 0.004


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
    n_fail = sum(r[m] >= base[m] for r in (a, b) for base in rows[:2] for m in ("rgb_mse", "ciede2000"))
    assert len(v["baseline_failures"]) == n_fail
    assert v["routes_beat_baselines"] == (n_fail == 0)
    side = C.source_comparison(rows)
    assert [s["setting"] for s in side] == [a["method"], b["method"]]
    assert side[1]["ours"] == b["uv_mse_source"] and side[1]["source"] == 0.003041
    table = C.table_rows(rows)
    assert set(table[0]) == set(C.TABLE_COLUMNS) and "pred_rgb" not in table[0]
    with pytest.raises(ValueError, match="unknown route"):
        C.run_route("lab", tiny_data)
    with pytest.raises(ValueError, match="route row"):
        C.verdict(rows[:2])
