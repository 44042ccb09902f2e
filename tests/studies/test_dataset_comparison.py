"""The dataset-comparison study: the notebook's checks, the ``compare`` command, its HTML page, its default data."""

import json
import os

import keras
import numpy as np
import pytest
from PIL import Image
from synthetic import TINY
from synthetic import blobs as _blobs
from synthetic import stripes as _stripes

from aeutils import compare as C
from aeutils import data as D
from aeutils.cli import main as cli_main
from aeutils.studies import dataset_comparison as DC


@pytest.fixture(scope="module")
def shifted():
    """One full comparison of a strong shift (as in tests/test_compare.py), for the HTML page."""
    keras.utils.set_random_seed(0)
    groups = np.array(["left", "right"] * 20)
    a = C.PreparedSet(name="blobs", source="synthetic blobs", images=_blobs(40, 1), groups=groups)
    b = C.PreparedSet(name="stripes", source="synthetic stripes", images=_stripes(40, 2), groups=groups)
    return C.compare(a, b, patch=0, epochs=20, seed=0, null_control="A", **TINY)


def test_html_page(shifted, tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    page = DC.write_html(shifted, tmp_path / "r.html").read_text()
    assert "DIFFERENT" in page and page.count("data:image/png;base64") >= 5


def test_compare_settings_checks_the_notebook_parameters():
    s = DC.compare_settings()
    assert s["size"] is None and s["limit"] is None and s["null_control"] == "A" and s["filters"] == (16, 32)
    assert DC.compare_settings(null_set="none", size=64)["null_control"] is None
    assert DC.compare_settings(size=64)["size"] == 64
    with pytest.raises(ValueError, match="null_set"):
        DC.compare_settings(null_set="C")
    with pytest.raises(ValueError, match="filters"):
        DC.compare_settings(filters="16,x")


def test_simulated_low_light_and_embedded_pair():
    x = np.random.default_rng(0).uniform(0.2, 1, (4, 8, 8, 3)).astype(np.float32)
    y = D.simulate_low_light(x, exposure=0.2, seed=1)
    assert y.shape == x.shape and 0 <= y.min() and y.max() <= 1 and y.mean() < 0.7 * x.mean()
    np.testing.assert_array_equal(y, D.simulate_low_light(x, exposure=0.2, seed=1))  # seeded
    same = D.simulate_low_light(x, exposure=1.0, photons=None, read_noise=0.0)
    np.testing.assert_allclose(same, x, atol=0.5 / 255 + 1e-6)  # only 8-bit quantisation
    with pytest.raises(D.DataError, match="exposure"):
        D.simulate_low_light(x, exposure=0.0)
    with pytest.raises(D.DataError, match=r"\[0, 1\]"):
        D.simulate_low_light(x * 3)
    on, off = D.load("embedded:motorcycle_tiles"), D.load("embedded:motorcycle_tiles_lowlight_sim")
    assert on.images.shape == off.images.shape == (150, 48, 48, 3)
    assert "SIMULATED" in off.source and "simulated" not in on.source.lower()
    assert off.images.mean() < 0.6 * on.images.mean()
    assert on.label_names == ["left", "right"] and set(on.labels) == {0, 1}
    assert len(on.take(np.flatnonzero(on.labels == 0))) + len(off.take(np.flatnonzero(off.labels == 0))) == 150
    # Disjoint tiles: with the light left on, no tile of one half reappears in the other.
    on2, off2 = D.motorcycle_light_pair(low_light={"exposure": 1.0, "photons": None, "read_noise": 0.0})
    np.testing.assert_array_equal(on2.images, on.images)
    assert not {t.tobytes() for t in on2.images} & {t.tobytes() for t in off2.images}


# ---------------------------------------------------------------------------
# Command line
# ---------------------------------------------------------------------------




def _npz(path, images):
    np.savez(path, images=images)
    return str(path)


def test_cli_json_schema_and_inputs_untouched(tmp_path, capsys):
    a = _npz(tmp_path / "a.npz", (_blobs(24, 1) * 255).astype(np.uint8)[..., 0])
    b = _npz(tmp_path / "b.npz", (_stripes(24, 2) * 255).astype(np.uint8)[..., 0])
    before = {p.name: (p.stat().st_mtime_ns, p.stat().st_size) for p in tmp_path.iterdir()}
    out = tmp_path / "out"
    out.mkdir()
    rc = cli_main(
        [
            "compare",
            a,
            b,
            "--epochs",
            "1",
            "--patch",
            "0",
            "--batch-size",
            "16",
            "--json",
            str(out / "r.json"),
            "--html",
            str(out / "r.html"),
        ]
    )
    assert rc == 0
    text = capsys.readouterr().out
    assert "verdict:" in text and "null control" in text
    js = json.loads((out / "r.json").read_text())
    assert js["verdict"] in ("same", "different") and 0 <= js["p_value"] <= 1
    assert set(js["errors"]) == set(C.ERROR_KEYS)
    assert js["null_control"]["verdict"] in ("same", "different")
    assert isinstance(js["null_control"]["p_value"], float)
    assert js["n_images"] == {"A": 24, "B": 24}
    assert (out / "r.html").stat().st_size > 10_000
    after = {p.name: (p.stat().st_mtime_ns, p.stat().st_size) for p in tmp_path.iterdir() if p.name != "out"}
    assert after == before


@pytest.mark.parametrize(
    "case", ["missing", "empty", "unreadable", "channels", "too_small", "output_inside", "not_a_folder"]
)
def test_cli_bad_input_exit_code_2(case, tmp_path, capsys):
    good = tmp_path / "good"
    good.mkdir()
    for i in range(12):
        Image.fromarray(np.full((16, 16, 3), 20 * i, np.uint8)).save(good / f"{i}.png")
    args = {
        "missing": [str(tmp_path / "nope"), str(good)],
        "empty": [str(good), str(tmp_path / "empty")],
        "unreadable": [str(good), str(tmp_path / "bad")],
        "channels": [str(good), str(tmp_path / "gray")],
        "too_small": [str(good), str(tmp_path / "small")],
        "output_inside": [str(good), str(good), "--json", str(good / "r.json")],
        "not_a_folder": [str(good / "0.png"), str(good)],
    }[case]
    (tmp_path / "empty").mkdir()
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "x.png").write_bytes(b"not an image")
    (tmp_path / "gray").mkdir()
    (tmp_path / "small").mkdir()
    for i in range(12):
        Image.fromarray(np.full((16, 16), 9 * i, np.uint8)).save(tmp_path / "gray" / f"{i}.png")
    for i in range(3):
        Image.fromarray(np.full((16, 16, 3), 9 * i, np.uint8)).save(tmp_path / "small" / f"{i}.png")
    listing = sorted(os.listdir(good))
    rc = cli_main(["compare", *args, "--epochs", "1"])
    err = capsys.readouterr().err
    assert rc == 2
    expected = {
        "missing": "no such folder",
        "empty": "is empty",
        "unreadable": "unreadable image file",
        "channels": "channel",
        "too_small": "too few to split",
        "not_a_folder": "is a file",
        "output_inside": "inside input",
    }[case]
    assert expected in err, err
    assert sorted(os.listdir(good)) == listing  # nothing the user owns is modified


def test_cli_help_lists_the_options(capsys):
    with pytest.raises(SystemExit) as exc:
        cli_main(["compare", "--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    for opt in ("--size", "--grayscale", "--patch", "--stride", "--epochs", "--seed", "--json", "--html",
                "--split-groups"):
        assert opt in out


# ---------------------------------------------------------------------------
# The notebook's claims and tables
# ---------------------------------------------------------------------------


def _fake_result(*, verdict="different", null="same", leaks=(), carried=("A",)):
    """A stand-in for a Comparison with just what :func:`DC.claims` reads."""
    from types import SimpleNamespace

    directions = [
        {"images": "A", "own_model": "A", "other_model": "B", "ratio": 2.0, "ci95_low": 1.5, "ci95_high": 2.6,
         "n": 20, "differs": "A" in carried, "reading": "model A reconstructs its own set A's images better"},
        {"images": "B", "own_model": "B", "other_model": "A", "ratio": 1.01, "ci95_low": 0.95, "ci95_high": 1.08,
         "n": 20, "differs": "B" in carried, "reading": "model A and model B reconstruct B's images alike"},
    ]
    dec = {"verdict": verdict, "p_value": 1e-4 if verdict == "different" else 0.4, "alpha": 0.05,
           "tests": [{"key": "model_A"}], "rejected": ["model_B"] if verdict == "different" else [],
           "directions": directions, "carried_by": list(carried) if verdict == "different" else [],
           "ratios": {"A_cross_over_within": 2.0, "B_cross_over_within": 1.01}, "effect_ratio": 1.42,
           "preference_auc": 0.8}
    chk = {"grouped": True, "n_groups_train": 50, "n_groups_heldout": 20, "groups_on_both_sides": list(leaks),
           "clean": not leaks}
    nc = {"verdict": null, "p_value": 0.6 if null == "same" else 0.01, "rejected": []}
    return SimpleNamespace(decision=dec, null_control=nc, split_checks={"comparison": chk, "null_control": chk})


def test_claims_follow_the_run():
    ok = DC.claims(_fake_result())
    assert len(ok) == 4 and all(c["holds"] for c in ok), [c["claim"] for c in ok if not c["holds"]]
    assert ok[3]["ours"] == "A's images 2.00x [1.50, 2.60]" and "carried by: A's images" in ok[3]["note"]
    assert not DC.claims(_fake_result(null="different"))[0]["holds"]
    assert not DC.claims(_fake_result(verdict="same"))[1]["holds"]
    leaky = DC.claims(_fake_result(leaks=("r01_c02",)))[2]
    assert not leaky["holds"] and leaky["ours"] == 2  # the pair is counted in both splits' checks
    assert not DC.claims(_fake_result(carried=()))[3]["holds"]  # "different" with no direction named
    assert DC.claims(_fake_result(carried=("A", "B")))[3]["ours"].count("x [") == 2


def test_tables_have_human_labels():
    r = _fake_result()
    rows = DC.direction_rows(r.decision)
    assert rows[0]["direction"] == "A's images: model B / model A" and rows[1]["differs"] == "no"
    df = DC.labelled(rows, index="direction")
    assert "cross/within error ratio" in df.columns and df.index.name == "direction"
    r.split_checks["comparison"]["groups_on_both_sides"] = []
    split = DC.split_rows(r)
    assert [s["split"] for s in split] == ["comparison (A, B)", "null control (two halves)"]
    assert DC.labelled(split).columns.tolist() == ["split", "groups trained on", "groups held out",
                                                   "groups on both sides"]
    assert DC.compare_settings(split_groups="none")["split_groups"] == "none"
    # A test without an AUC (the codes' MMD) shows "–", not pandas' "NaN"; p-values keep 3 digits.
    tests = DC.labelled([{"test": "u", "p_value": 9.8e-9, "auc": 0.61}, {"test": "mmd", "p_value": 0.002, "auc": None}],
                        index="test")  # fmt: skip
    assert tests.to_dict("list") == {"p": ["9.8e-09", "0.002"], "AUC": ["0.61", "–"]}


def test_load_pair_lowlight_sim_deals_set_a(tmp_path):
    x = (np.random.default_rng(0).uniform(0.3, 1, (10, 8, 8, 3)) * 255).astype(np.uint8)
    np.savez(tmp_path / "c.npz", x_train=x[:8], x_test=x[8:], y_train=np.arange(8), y_test=np.arange(2))
    a, b = DC.load_pair(f"npz:{tmp_path / 'c.npz'}", DC.LOW_LIGHT_SIM, limit=3, seed=0)
    assert len(a) == len(b) == 3 and b.images.mean() < a.images.mean() and "SIMULATED" in b.source
    assert not {t.tobytes() for t in a.images} & {t.tobytes() for t in b.images}
    assert DC.load_pair("x", "y") == ("x", "y")
    on, off = DC.load_pair("embedded:motorcycle_tiles", DC.LOW_LIGHT_SIM)  # groups declared: dealt by position
    assert len(on) + len(off) == 150


# ---------------------------------------------------------------------------
# Outputs checked first, overlapping sets, --range (issue 18)
# ---------------------------------------------------------------------------


def _folder(path, n=12, seed=0, shape=(16, 16, 3)):
    path.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    for i in range(n):
        Image.fromarray((rng.random(shape) * 255).astype(np.uint8)).save(path / f"{i}.png")
    return path


def _unwritable_dir(tmp_path):
    """A folder this process cannot create files in (root ignores mode bits: /sys refuses even root)."""
    if os.geteuid() != 0:
        d = tmp_path / "ro"
        d.mkdir()
        d.chmod(0o500)
        return d
    return __import__("pathlib").Path("/sys")


def test_cli_outputs_checked_before_loading(tmp_path, capsys, monkeypatch):
    good = _folder(tmp_path / "good")
    called = []
    monkeypatch.setattr(DC, "compare", lambda *a, **k: called.append(1))  # must never be reached
    ro = _unwritable_dir(tmp_path)
    rc = cli_main(["compare", str(good), str(good), "--json", str(ro / "r.json")])
    err = capsys.readouterr().err
    assert rc == 2 and f"cannot write {ro / 'r.json'}: permission denied" in err, err
    same = str(tmp_path / "r.out")
    rc = cli_main(["compare", str(good), str(good), "--json", same, "--html", same])
    err = capsys.readouterr().err
    assert rc == 2 and f"cannot write {same}: the same file is also given as output {same}" in err, err
    rc = cli_main(["compare", str(good), str(good), "--html", str(tmp_path / "no" / "r.html")])
    assert rc == 2 and "does not exist" in capsys.readouterr().err
    rc = cli_main(["compare", str(good), str(good), "--cache", str(good / "cache")])
    assert rc == 2 and "inside input" in capsys.readouterr().err
    assert not called and not (tmp_path / "r.out").exists()
    assert DC.check_outputs([str(tmp_path / "a.json"), None, str(tmp_path / "a.html")], [str(good)]) == [
        (tmp_path / "a.json").resolve(),
        (tmp_path / "a.html").resolve(),
    ]
    assert not list(tmp_path.glob(".*probe"))  # the probe file is removed


def test_overlapping_sets_warned_and_reported(tmp_path, capsys):
    a = _folder(tmp_path / "a", n=12, seed=1)
    b = _folder(tmp_path / "b", n=8, seed=2)
    for i in range(4):  # 4 of A's files copied into B under other names: shared by content
        (b / f"copy{i}.png").write_bytes((a / f"{i}.png").read_bytes())
    sa, sb = C.prepare_set(str(a)), C.prepare_set(str(b))
    o = C.set_overlap(sa, sb)
    assert (o["shared"], o["shared_b"], o["by"], o["same_files"]) == (4, 4, "path or file content", False)
    assert o["of_a"] == pytest.approx(4 / 12) and o["of_b"] == pytest.approx(4 / 12)
    same = C.set_overlap(sa, C.prepare_set(str(a)))
    assert same["same_files"] and same["of_a"] == same["of_b"] == 1.0
    assert "the same images" in C.overlap_warning(same)
    arr = C.PreparedSet("arr", "", sa.images[:3])  # an array against a folder: compared by pixels
    assert C.set_overlap(arr, sa)["shared"] == 3 and C.set_overlap(arr, sa)["by"] == "pixels"
    assert C.overlap_warning(C.set_overlap(sa, C.prepare_set(str(_folder(tmp_path / "c", seed=3))))) is None
    out = tmp_path / "out"
    out.mkdir()
    rc = cli_main(["compare", str(a), str(b), "--epochs", "1", "--patch", "0", "--batch-size", "8",
                   "--no-null-control", "--json", str(out / "r.json"), "--html", str(out / "r.html")])
    err = capsys.readouterr().err
    assert rc == 0 and "warning: sets A and B share images: 4 of A (33%)" in err, err
    js = json.loads((out / "r.json").read_text())
    assert js["overlap"]["shared"] == 4 and js["overlap"]["of_b"] == pytest.approx(1 / 3)
    assert any("share images" in w for w in js["warnings"])
    assert "Overlap:" in (out / "r.html").read_text() and "4 of A (33%)" in (out / "r.html").read_text()


def test_cli_range_declares_float_inputs(tmp_path, capsys, monkeypatch):
    x = np.random.default_rng(0).uniform(-1, 1, (12, 16, 16)).astype(np.float32)
    np.savez(tmp_path / "pm1.npz", images=x)
    src = f"npz:{tmp_path / 'pm1.npz'}"
    rc = cli_main(["compare", src, src, "--epochs", "1"])
    assert rc == 2 and "outside the declared range" in capsys.readouterr().err
    seen = {}
    monkeypatch.setattr(DC, "compare", lambda a, b, **k: seen.update(k) or (_ for _ in ()).throw(D.DataError("x")))
    cli_main(["compare", src, src, "--range=-1,1", "--memory-budget", "1MiB", "--cache", str(tmp_path / "c")])
    assert seen["value_range"] == (-1.0, 1.0) and seen["memory_budget"] == "1MiB"
    assert seen["cache"] == str(tmp_path / "c")
    s = C.prepare_set(src, value_range=(-1, 1))
    np.testing.assert_allclose(s.images[..., 0], (x + 1) / 2, atol=1e-6)
    with pytest.raises(SystemExit):
        cli_main(["compare", src, src, "--range", "1,0"])
    assert "invalid range value" in capsys.readouterr().err


def test_16bit_light_on_and_off_folders_come_out_different(tmp_path):
    """16-bit photos at 30% brightness are read at 30% (not stretched back): the comparison says 'different'."""
    on, off = tmp_path / "on", tmp_path / "off"
    on.mkdir()
    off.mkdir()
    for i, img in enumerate(_blobs(30, 5)[..., 0]):
        Image.fromarray(np.round(img * 65535).astype(np.uint16)).save(on / f"{i}.png")
    for i, img in enumerate(_blobs(30, 6)[..., 0]):
        Image.fromarray(np.round(0.3 * img * 65535).astype(np.uint16)).save(off / f"{i}.png")
    sa, sb = C.prepare_set(str(on)), C.prepare_set(str(off))
    assert sb.images.max() <= 0.3 + 1e-6 and sa.images.max() > 0.9  # brightness kept, as stored
    keras.utils.set_random_seed(0)
    r = C.compare(sa, sb, patch=0, epochs=15, seed=0, null_control=None, **TINY)
    assert r.verdict == "different", r.summary()
