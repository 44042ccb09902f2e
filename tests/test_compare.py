"""The comparison engine (aeutils.compare): protocol, decision, held-out discipline, figures.

The statistics are tested in tests/test_stats.py, the command and its HTML page in
tests/studies/test_dataset_comparison.py.
"""

import json

import keras
import numpy as np
import pytest
from PIL import Image
from synthetic import TINY
from synthetic import blobs as _blobs
from synthetic import stripes as _stripes

from aeutils import compare as C
from aeutils import data as D
from aeutils.params import parse_list


def _set(images, name, groups=None):
    return C.PreparedSet(name=name, source=f"synthetic {name}", images=images, groups=groups)


@pytest.fixture(scope="module")
def shifted():
    """One full comparison (merged model, null control, groups) of a strong shift, reused below."""
    keras.utils.set_random_seed(0)
    groups = np.array(["left", "right"] * 20)
    a = _set(_blobs(40, 1), "blobs", groups)
    b = _set(_stripes(40, 2), "stripes", groups)
    return C.compare(a, b, patch=0, epochs=20, seed=0, null_control="A", **TINY)


# ---------------------------------------------------------------------------
# The protocol on sets where the answer is known
# ---------------------------------------------------------------------------


def test_strong_shift_is_different_with_effect_and_null_control(shifted):
    assert shifted.verdict == "different"
    assert shifted.p_value < 1e-3
    # Each model fits its own set better than the other's images.
    assert shifted.decision["effect_ratio"] > 1.3
    assert shifted.decision["preference_auc"] > 0.9
    assert shifted.null_control is not None and shifted.null_control["verdict"] == "same"
    assert shifted.null_control["passed"] and not shifted.warnings
    # The 3x2 matrix is complete, with the merged model.
    assert np.isfinite(shifted.matrix()).all()
    text = shifted.summary()
    assert "DIFFERENT" in text and "null control" in text and "merged" in text


def test_same_distribution_is_same_in_most_seeds():
    verdicts, ps = [], []
    for seed in range(3):
        a = _set(_blobs(40, 10 + seed), "blobs1")
        b = _set(_blobs(40, 20 + seed), "blobs2")
        r = C.compare(a, b, patch=0, epochs=10, seed=seed, merged=False, null_control=None, **TINY)
        verdicts.append(r.verdict)
        ps.append(r.p_value)
    assert verdicts.count("same") >= 2, (verdicts, ps)
    # Reproducible with a seed.
    r2 = C.compare(
        _set(_blobs(40, 12), "blobs1"),
        _set(_blobs(40, 22), "blobs2"),
        patch=0,
        epochs=10,
        seed=2,
        merged=False,
        null_control=None,
        **TINY,
    )
    assert r2.p_value == pytest.approx(ps[2], rel=1e-6, abs=1e-9)


def test_heldout_discipline_no_training_image_is_scored(monkeypatch):
    import aeutils.compare.model as CM
    import aeutils.compare.protocol as T  # the module whose ``fit`` the comparison calls

    rng = np.random.default_rng(0)
    a = _set(rng.uniform(0, 1, (20, 16, 16, 1)).astype(np.float32), "noiseA")
    b = _set(rng.uniform(0, 1, (20, 16, 16, 1)).astype(np.float32), "noiseB")
    trained, scored = [], []
    real_fit, real_reconstruct, real_codes = T.fit, CM.reconstruct, CM.image_codes
    encoded = []

    def spy_fit(model, x, *args, **kwargs):
        trained.append(np.asarray(x).copy())
        return real_fit(model, x, *args, **kwargs)

    def spy_reconstruct(model, images, **kwargs):
        scored.append((model.name, np.asarray(images).copy()))
        return real_reconstruct(model, images, **kwargs)

    monkeypatch.setattr(T, "fit", spy_fit)

    def spy_codes(model, images, **kwargs):
        encoded.append(np.asarray(images).copy())
        return real_codes(model, images, **kwargs)

    # the engine looks these up in aeutils.compare.model, where they live
    monkeypatch.setattr(CM, "reconstruct", spy_reconstruct)
    monkeypatch.setattr(CM, "image_codes", spy_codes)
    r = C.compare(a, b, patch=8, stride=8, epochs=1, seed=3, null_control=None, **TINY)

    def keys(arr):
        return {x.tobytes() for x in arr}

    held = {k: keys(s.images[r.split[k][1]]) for k, s in (("A", a), ("B", b))}
    train = {k: keys(s.images[r.split[k][0]]) for k, s in (("A", a), ("B", b))}
    held_patches = keys(C.to_patches(np.concatenate([a.images[r.split["A"][1]], b.images[r.split["B"][1]]]), 8)[0])
    assert len(trained) == 3  # A, B, merged
    for x in trained:
        assert not keys(x) & held_patches, "a held-out patch was used for training"
    assert not (held["A"] & train["A"]) and not (held["B"] & train["B"])
    for x in ("A", "B"):
        for m in ("A", "B", "merged"):
            assert len(r.errors[f"{x}_by_{m}"]) == len(r.split[x][1])
    # Held-out errors come from held-out images only; the only training images
    # scored are each model's own, for the train-vs-held-out fit check.
    assert scored
    for name, images in scored:
        got = keys(images)
        own_training = name in ("ae_A", "ae_B") and got <= train[name[-1]]
        assert got <= held["A"] | held["B"] or own_training, name
    # The codes test encodes held-out images only.
    assert len(encoded) == 4 and all(keys(x) <= held["A"] | held["B"] for x in encoded)
    assert [t["key"] for t in r.decision["tests"]] == ["model_A", "model_B", "preference", "codes"]


def test_patch_tiling_and_stitching_round_trip():
    x = np.random.default_rng(0).uniform(0, 1, (3, 20, 28, 2)).astype(np.float32)
    inputs, index = C.to_patches(x, 8, 6)
    assert inputs.shape[1:] == (8, 8, 2) and index[:, 0].max() == 2
    identity = keras.Sequential([keras.Input((8, 8, 2)), keras.layers.Identity()], name="identity")
    np.testing.assert_allclose(C.reconstruct(identity, x, patch=8, stride=6), x, atol=1e-6)
    assert np.allclose(C.image_errors(identity, x, patch=8, stride=6), 0.0)
    whole = keras.Sequential([keras.Input((20, 28, 2)), keras.layers.Identity()])
    np.testing.assert_allclose(C.reconstruct(whole, x, patch=0), x)
    # Errors are aggregated per image: a model off by 0.1 everywhere gives MSE 0.01 per image.
    shift = keras.Sequential([keras.Input((8, 8, 2)), keras.layers.Lambda(lambda t: t * 0 + 0.5)])
    flat = np.full((2, 16, 16, 2), 0.4, np.float32)
    np.testing.assert_allclose(C.image_errors(shift, flat, patch=8, stride=4), [0.01, 0.01], rtol=1e-5)


def test_group_breakdown_and_outliers(shifted):
    rows = {g["group"]: g for g in shifted.groups}
    assert set(rows) == {"left", "right"}
    for g in rows.values():
        assert g["n_A"] + g["n_B"] > 0 and g["A_by_A"] is not None
        if "p_holm" in g:
            assert g["verdict"] in ("same", "different") and g["p_holm"] >= g["p_value"]
    # robust_outliers itself: tests/test_stats.py
    for x in ("A", "B"):
        np.testing.assert_array_equal(
            shifted.outliers[x], C.robust_outliers(shifted.errors[f"{x}_by_{x}"], z=shifted.settings["outlier_z"])
        )


def test_json_and_figures(shifted):
    import matplotlib

    matplotlib.use("Agg")
    js = shifted.to_json()
    json.dumps(js)  # serialisable
    assert js["verdict"] in ("same", "different") and isinstance(js["p_value"], float)
    assert set(C.ERROR_KEYS) <= set(js["errors"]) and all(isinstance(v, float) for v in js["errors"].values())
    assert js["null_control"]["verdict"] == "same" and isinstance(js["null_control"]["p_value"], float)
    assert js["n_images"] == {"A": 40, "B": 40}
    assert js["n_heldout"]["A"] + js["n_train"]["A"] == 40
    assert len(js["per_image_errors"]["B_by_A"]) == len(js["heldout_ids"]["B"]) == js["n_heldout"]["B"]
    for fig in (
        C.plot_error_matrix(shifted),
        C.plot_error_histograms(shifted),
        C.plot_reconstructions(shifted, "B", n=4),
        C.plot_outliers(shifted, n=3),
        C.plot_groups(shifted),
    ):
        assert fig.axes
    # the HTML page: tests/studies/test_dataset_comparison.py


def test_error_summary_is_the_matrix_cell(shifted):
    s = shifted.error_summary("B", "A")
    assert s["mean"] == pytest.approx(float(np.mean(shifted.errors["B_by_A"])))
    assert s["ci95_low"] <= s["mean"] <= s["ci95_high"]
    assert shifted.error_summary("A", "no such model") is None


# ---------------------------------------------------------------------------
# The decision
# ---------------------------------------------------------------------------


def test_decision_tests_known_answers():
    rng = np.random.default_rng(0)
    base = rng.lognormal(-5, 0.3, 60)  # per-image difficulty
    noise = rng.lognormal(0, 0.2, 60)  # the two models disagree a little on every image

    def errors(model_b_factor, shift=1.0):
        by_a, by_b = base.copy(), base * noise * model_b_factor
        by_a[30:] *= shift  # B's images under model A
        by_b[:30] *= shift  # A's images under model B
        return {"A_by_A": by_a[:30], "B_by_A": by_a[30:], "B_by_B": by_b[30:], "A_by_B": by_b[:30]}

    d = C.decision_tests(errors(1.0))
    assert d["verdict"] == "same" and d["effect_ratio"] == pytest.approx(1.0, abs=0.1)
    # A uniformly worse model B (the same factor on every image) is not a difference between the sets:
    # the preference test cancels model quality (its p-value is unchanged).
    worse = C.decision_tests(errors(3.0))
    assert worse["verdict"] == "same"
    assert worse["tests"][2]["p_value"] == pytest.approx(d["tests"][2]["p_value"])
    shifted = C.decision_tests(errors(1.0, shift=4.0))
    assert shifted["verdict"] == "different" and shifted["effect_ratio"] == pytest.approx(4.0, rel=0.1)
    assert all(t["p_holm"] >= t["p_value"] for t in shifted["tests"])
    with pytest.raises(ValueError, match="needs errors"):
        C.decision_tests({"A_by_A": base})


def test_codes_test_joins_the_family():
    rng = np.random.default_rng(1)
    same = {"A_by_A": rng.lognormal(-5, 0.3, 40)}
    same.update(B_by_A=rng.lognormal(-5, 0.3, 40), B_by_B=rng.lognormal(-5, 0.3, 40), A_by_B=rng.lognormal(-5, 0.3, 40))
    codes_a = rng.normal(size=(40, 6))
    alike = C.decision_tests(same, codes={"A": codes_a, "B": rng.normal(size=(40, 6))}, n_permutations=200)
    assert [t["key"] for t in alike["tests"]][-1] == "codes" and len(alike["tests"]) == 4
    assert alike["tests"][3]["auc"] is None and alike["tests"][3]["n_x"] == 40
    assert alike["verdict"] == "same"
    # Errors that do not differ but codes that do: only the codes test can see the shift.
    moved = C.decision_tests(same, codes={"A": codes_a, "B": rng.normal(size=(40, 6)) + 1.5}, n_permutations=200)
    assert moved["verdict"] == "different" and moved["tests"][3]["p_holm"] < 0.05
    assert min(t["p_value"] for t in moved["tests"][:3]) == pytest.approx(min(t["p_value"] for t in alike["tests"][:3]))
    # Holm over four tests: the smallest raw p-value is multiplied by 4.
    assert moved["p_value"] == pytest.approx(min(1.0, 4 * moved["tests"][3]["p_value"]))


def test_image_codes_average_patches_and_heldout_codes_scale():
    keras.utils.set_random_seed(0)
    m = C.build_compare_autoencoder(input_shape=(8, 8, 1), filters=(4,), code_channels=2, name="ae_A")
    imgs = np.random.default_rng(0).uniform(0, 1, (3, 16, 16, 1)).astype(np.float32)
    codes = C.image_codes(m, imgs, patch=8, stride=8)
    enc = m.get_layer("ae_A_encoder")
    first = np.mean([np.asarray(enc(imgs[:1, r : r + 8, c : c + 8])).ravel() for r in (0, 8) for c in (0, 8)], 0)
    assert codes.shape == (3, 4 * 4 * 2)
    np.testing.assert_allclose(codes[0], first, rtol=1e-5, atol=1e-6)
    m_b = C.build_compare_autoencoder(input_shape=(8, 8, 1), filters=(4,), code_channels=2, name="ae_B")
    held = {"A": imgs[:2], "B": imgs[2:]}
    hc = C.heldout_codes({"A": m, "B": m_b}, held, patch=8, stride=8)
    assert hc["A"].shape == (2, 64) and hc["B"].shape == (1, 64)
    pooled = np.concatenate([hc["A"], hc["B"]])
    # Each encoder's block has unit root-mean-square over the pooled held-out images.
    np.testing.assert_allclose([np.sqrt(np.mean(pooled[:, :32] ** 2)), np.sqrt(np.mean(pooled[:, 32:] ** 2))], 1.0)
    plain = keras.Sequential([keras.Input((8, 8, 1)), keras.layers.Flatten()], name="plain")
    with pytest.raises(ValueError, match="no layer plain_encoder"):
        C.image_codes(plain, imgs[:, :8, :8])


def test_failing_loudly_embeddings():
    rng = np.random.default_rng(0)
    imgs = rng.uniform(0, 1, (30, 16, 16, 1)).astype(np.float32)
    ca, cb = C.pca_codes(imgs, imgs[:5], imgs[5:9], k=4)
    assert ca.shape == (5, 4) and cb.shape == (4, 4)
    ua, ub = C.random_encoder_codes(imgs[:5], imgs[5:], k=6)
    assert ua.shape == (5, 6) and ub.shape == (25, 6)


# ---------------------------------------------------------------------------
# Model, preparation, bad input
# ---------------------------------------------------------------------------


def test_compare_autoencoder_shapes_and_serialisation(tmp_path):
    m = C.build_compare_autoencoder(input_shape=(16, 16, 3), filters=(4, 8), code_channels=2, name="ae_X")
    assert m.name == "ae_X" and m.output_shape == (None, 16, 16, 3)
    assert m.get_layer("ae_X_encoder").output_shape == (None, 4, 4, 2)
    path = tmp_path / "ae.keras"
    m.save(path)
    again = keras.saving.load_model(path, safe_mode=True)
    x = np.random.default_rng(0).uniform(0, 1, (2, 16, 16, 3)).astype(np.float32)
    np.testing.assert_allclose(again(x), m(x), atol=1e-6)
    with pytest.raises(ValueError, match="multiple of 4"):
        C.build_compare_autoencoder(input_shape=(18, 18, 1), filters=(4, 8))
    # filters are read by the one list parser (aeutils.params.parse_list)
    assert parse_list("16, 32", name="filters", positive=True) == (16, 32)
    with pytest.raises(ValueError):
        parse_list("a,b", name="filters", positive=True)
    with pytest.raises(ValueError, match="filters"):
        C.build_compare_autoencoder(input_shape=(16, 16, 1), filters="4,x")


def test_check_pair_refuses_bad_pairs():
    a = _set(np.zeros((20, 16, 16, 1)), "a")
    with pytest.raises(D.DataError, match="channel"):
        C.check_pair(a, _set(np.zeros((20, 16, 16, 3)), "b"), patch=0, stride=None, heldout=0.3, filters=(4, 8))
    with pytest.raises(D.DataError, match="resize both"):
        C.check_pair(a, _set(np.zeros((20, 24, 24, 1)), "b"), patch=0, stride=None, heldout=0.3, filters=(4, 8))
    with pytest.raises(D.DataError, match="smaller than a 32px patch"):
        C.check_pair(a, a, patch=32, stride=16, heldout=0.3, filters=(4, 8))
    with pytest.raises(D.DataError, match="multiple of 4"):
        C.check_pair(a, a, patch=6, stride=6, heldout=0.3, filters=(4, 8))
    with pytest.raises(D.DataError, match="too few to split"):
        C.check_pair(a, _set(np.zeros((5, 16, 16, 1)), "b"), patch=0, stride=None, heldout=0.3, filters=(4, 8))
    with pytest.raises(ValueError, match="heldout"):
        C.check_pair(a, a, patch=0, stride=None, heldout=1.5, filters=(4, 8))
    tr, te = C.split_heldout(20, 0.3, seed=1)
    assert len(te) == 6 and not set(tr) & set(te) and len(tr) + len(te) == 20


def test_groups_from_folders_patterns_and_npz(tmp_path):
    for view in ("left", "right"):
        (tmp_path / "f" / view).mkdir(parents=True)
        for i in range(3):
            Image.fromarray(np.full((8, 8), 40 * i, np.uint8)).save(tmp_path / "f" / view / f"obj{i}_{view}.png")
    s = C.prepare_set(str(tmp_path / "f"))
    assert sorted(set(s.groups)) == ["left", "right"] and len(s) == 6
    s = C.prepare_set(str(tmp_path / "f"), groups=r"re:obj(\d)")
    assert sorted(set(s.groups)) == ["0", "1", "2"]
    with pytest.raises(D.DataError, match="matches no part"):
        C.prepare_set(str(tmp_path / "f"), groups=r"re:angle(\d+)")
    np.savez(tmp_path / "s.npz", images=np.zeros((6, 8, 8), np.uint8), angle_deg=np.arange(6) * 5)
    s = C.prepare_set(str(tmp_path / "s.npz"), groups="key:angle_deg", limit=4, seed=0)
    assert len(s) == 4 and set(s.groups) <= {"0", "5", "10", "15", "20", "25"}
    with pytest.raises(D.DataError, match="no array 'nope'"):
        C.prepare_set(str(tmp_path / "s.npz"), groups="key:nope")
    with pytest.raises(D.DataError, match="unknown group spec"):
        C.prepare_set(str(tmp_path / "s.npz"), groups="angles")


# ---------------------------------------------------------------------------
# Directions, near-duplicate groups and the split check
# ---------------------------------------------------------------------------


def test_directions_name_the_one_that_carries_the_verdict():
    from aeutils.compare.decision import direction_effects

    rng = np.random.default_rng(1)
    base = rng.lognormal(-5, 0.3, 60)
    noise = rng.lognormal(0, 0.1, 60)
    # Only B's images change: model A reconstructs them 3x worse than model B; A's images alike.
    e = {"A_by_A": base[:30], "A_by_B": base[:30] * noise[:30], "B_by_B": base[30:], "B_by_A": base[30:] * 3.0}
    d = C.decision_tests(e)
    assert d["verdict"] == "different" and "model_A" in d["rejected"]
    rows = {r["images"]: r for r in d["directions"]}
    assert rows["B"]["ratio"] == pytest.approx(3.0) and rows["B"]["differs"]
    assert rows["A"]["ci95_low"] < 1 < rows["A"]["ci95_high"] and not rows["A"]["differs"]
    assert d["carried_by"] == ["B"]
    text = C.verdict_text(d)
    assert "Carried by B's images" in text and "model B reconstructs its own set B's images better" in text
    assert "3.00x" in text and "rejected: model_A" in text
    # the other model better at a set's images is read as such
    better = direction_effects({**e, "B_by_A": base[30:] * 0.5})
    assert "model A reconstructs B's images better than B's own model B" in better[1]["reading"]
    # a "same" verdict carries nothing
    assert C.decision_tests({**e, "B_by_A": base[30:] * noise[30:]})["carried_by"] == []


def test_unit_means_average_within_groups():
    from aeutils.compare.decision import unit_means

    m, names = unit_means(np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]), ["b", "a", "b"])
    assert names.tolist() == ["a", "b"] and m.tolist() == [[3.0, 4.0], [3.0, 4.0]]


def test_split_heldout_with_groups_never_splits_a_group():
    groups = np.repeat([f"p{i}" for i in range(10)], 2)
    train, held = C.split_heldout(20, 0.3, seed=0, groups=groups)
    assert not set(groups[train]) & set(groups[held]) and len(held) == 6
    np.testing.assert_array_equal(C.split_heldout(20, 0.3, seed=0)[1], C.split_heldout(20, 0.3, seed=0)[1])
    with pytest.raises(D.DataError, match="near-duplicate groups"):
        C.split_heldout(20, 0.3, seed=0, groups=np.repeat(["x", "y"], 10))


def test_near_duplicates_stay_on_one_side_and_are_one_unit():
    """Pairs of near-duplicate images (as the motorcycle tiles' left and right views) in a tiny comparison."""
    from aeutils.compare.protocol import split_check

    rng = np.random.default_rng(5)
    base_a, base_b = _blobs(20, 30), _stripes(20, 31)
    pair = lambda x: np.clip(np.repeat(x, 2, axis=0) + rng.normal(0, 0.01, (40,) + x.shape[1:]), 0, 1)  # noqa: E731
    pos = np.repeat([f"r{i}" for i in range(20)], 2)
    a = C.PreparedSet("A", "pairs", pair(base_a).astype(np.float32), split_groups=np.char.add("a", pos))
    b = C.PreparedSet("B", "pairs", pair(base_b).astype(np.float32), split_groups=np.char.add("b", pos))
    r = C.compare(a, b, patch=0, epochs=2, seed=0, merged=False, null_control="A", **TINY)
    assert r.settings["unit"] == "near-duplicate group"
    for name in ("comparison", "null_control"):
        chk = r.split_checks[name]
        assert chk["grouped"] and chk["clean"] and chk["groups_on_both_sides"] == []
    # the tests count groups: 40 images, held out in pairs
    n_held = len(r.split["A"][1])
    assert n_held % 2 == 0 and r.decision["tests"][0]["n_y"] == n_held // 2
    assert len(r.errors["A_by_A"]) == n_held  # per-image errors stay for the page
    js = r.to_json()
    assert js["split_checks"]["comparison"]["clean"] and js["unit"] == "near-duplicate group"
    assert "0 on both sides" in r.summary()
    # the check catches a split that puts a pair on both sides
    leaky = {"A": (np.array([0]), np.array([1])), "B": (np.array([0]), np.array([2, 3]))}
    assert split_check(a, b, leaky)["groups_on_both_sides"] == ["ar0"]
    # without groups nothing changes: every image is its own unit
    plain = split_check(_set(base_a, "x"), _set(base_b, "y"), {"A": (np.arange(8), np.arange(8, 12)),
                                                               "B": (np.arange(8), np.arange(8, 12))})
    assert not plain["grouped"] and plain["clean"]


# ---------------------------------------------------------------------------
# Folders larger than the memory budget: streamed, with the in-memory numbers
# ---------------------------------------------------------------------------


def _png_folder(path, images):
    path.mkdir(parents=True, exist_ok=True)
    for i, img in enumerate(images[..., 0]):
        Image.fromarray(np.round(img * 255).astype(np.uint8)).save(path / f"{i:02d}.png")
    return str(path)


def test_streamed_compare_equals_in_memory(tmp_path):
    a = _png_folder(tmp_path / "a", _blobs(20, 1))
    b = _png_folder(tmp_path / "b", _stripes(20, 2))
    kw = dict(patch=8, stride=4, epochs=3, seed=0, null_control=None, max_train_patches=150, **TINY)
    eager = C.compare(a, b, memory_budget=None, **kw)
    lazy = C.compare(a, b, memory_budget="1KiB", **kw)  # far below the sets' size: both stream from disk
    assert eager.settings["streamed"] == {"A": False, "B": False}
    assert lazy.settings["streamed"] == {"A": True, "B": True} and "decoded per batch" in lazy.a.source
    for m in ("A", "B", "merged"):
        np.testing.assert_allclose(lazy.histories[m]["loss"], eager.histories[m]["loss"], rtol=1e-5)
    for k in eager.errors:
        np.testing.assert_allclose(lazy.errors[k], eager.errors[k], rtol=1e-5, atol=1e-8)
    assert lazy.verdict == eager.verdict and lazy.p_value == pytest.approx(eager.p_value, rel=1e-3, abs=1e-6)
    cached = C.compare(a, b, memory_budget=0, cache=str(tmp_path / "cache"), merged=False, **kw)
    np.testing.assert_allclose(cached.errors["A_by_B"], eager.errors["A_by_B"], rtol=1e-5, atol=1e-8)
    assert len(list((tmp_path / "cache").glob("*.f32"))) == 2
