"""The CAE architecture study (aeutils.studies.cae_architectures): parameters, source figures, summary."""

import numpy as np
import pytest

from aeutils import reports
from aeutils.models import CAE_ARCHITECTURES
from aeutils.studies import cae_architectures as S
from aeutils.train import predict


def test_check_parameters_matches_the_notebook_and_reads_names():
    defaults = {k: v["default"] for k, v in reports.notebook_parameters("cae_architectures").items()}
    assert set(S.PARAMETERS) == set(defaults) - {"metrics_path"}
    params = S.check_parameters(defaults)
    assert set(params["architectures"]) < set(CAE_ARCHITECTURES) and "ours-256" in params["architectures"]
    assert S.check_parameters({**defaults, "architectures": "all"})["architectures"] == list(CAE_ARCHITECTURES)
    assert S.check_parameters({**defaults, "architectures": "classic, ours-256"})["architectures"] == [
        "classic",
        "ours-256",
    ]
    with pytest.raises(ValueError, match="unknown architectures"):
        S.check_parameters({**defaults, "architectures": "classic,nope"})


def test_source_figures_and_summary():
    assert S.source_mse("32-48-64-double") == 0.006165 and S.source_mse("ours-256") is None
    assert set(S.SOURCE_FIGURES) < set(CAE_ARCHITECTURES)
    assert S.SOURCE_FIGURES["16-24-32-5x5"]["source_latent"] == 1152
    with pytest.raises(ValueError, match="unknown architecture"):
        S.source_mse("nope")
    rows = [
        {"architecture": "classic", "test_mse_pm1": 0.02, "psnr_db": 22.0},
        {"architecture": "ours-256", "test_mse_pm1": 0.01, "psnr_db": 25.0, "pca_psnr_db": 24.0},
    ]
    summary = S.ours_vs_pca(rows)
    assert summary["ours_beats_pca"] and summary["ours_over_source_best"] == pytest.approx(0.01 / 0.006165)
    h = S.headline(rows, summary)
    assert h == {
        "best": "ours-256",
        "best_test_mse_pm1": 0.01,
        "best_psnr_db": 25.0,
        "ours_psnr_db": 25.0,
        "ours_beats_pca": True,
    }
    assert S.ours_vs_pca(rows[:1]) == {} and "ours_beats_pca" not in S.headline(rows[:1], {})


def test_source_protocol_is_fit_keywords_and_the_full_profile():
    import inspect

    from aeutils import reports
    from aeutils.train import fit

    assert set(S.SOURCE_PROTOCOL) <= set(inspect.signature(fit).parameters)
    full = {**{k: v["default"] for k, v in reports.notebook_parameters("cae_architectures").items()},
            **reports.profile_parameters("cae_architectures", "full")}  # fmt: skip
    assert {k: full[k] for k in ("epochs", "batch_size", "learning_rate")} == {
        k: S.SOURCE_PROTOCOL[k] for k in ("epochs", "batch_size", "learning_rate")
    }


def test_run_architecture_tiny():
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, (40, 32, 32, 3)).astype(np.float32)
    data = S.StudyData(x[:24], x[24:32], x[32:], "random")
    row = S.run_architecture("classic", data, epochs=1, batch_size=8)
    assert row["source_mse"] == S.source_mse("classic")
    assert row["ratio_to_source"] == pytest.approx(row["test_mse_pm1"] / row["source_mse"])
    assert row["pca_k"] == len(data.train) - 1
    assert list(S.table_rows([row])[0]) == list(S.TABLE_COLUMNS)
    assert len(row["psnr_per_image"]) == len(row["pca_psnr_per_image"]) == len(data.test)
    assert row["source_architecture"] is True


def test_prepare_holds_out_whole_photos():
    data = S.prepare("embedded:photo_patches", limit=300)
    assert "split by whole photos" in data.source and data.train.min() >= -1 and data.train.max() <= 1
    assert "held-out photos" in S.data_note("embedded:photo_patches", data)
    assert "Stand-in for CIFAR-10" in S.data_note("embedded:photo_patches", data)
    assert S.data_note("npz:../shared/data/cifar10.npz", data).startswith("CIFAR-10")


def _row(name, psnr, pca, *, formula, model, diff=None):
    per = np.full(20, psnr) + np.linspace(-0.1, 0.1, 20)
    return {"architecture": name, "latent_formula": formula, "latent_model": model, "psnr_db": psnr,
            "pca_psnr_db": pca, "pca_k": model, "source_architecture": name != "ours-256",
            "psnr_per_image": per, "pca_psnr_per_image": per - (psnr - pca if diff is None else diff),
            "test_mse_pm1": 0.01, "params": 10}


def test_claims_read_the_rows():
    rows = [_row("classic", 22.0, 30.0, formula=1024, model=1024),
            _row("ours-256", 27.0, 26.5, formula=None, model=256)]
    latent, ours, source = S.claims(rows)
    assert latent["holds"] and latent["ours"] == latent["baseline"] == 1
    assert ours["holds"] and ours["ci95"][0] == pytest.approx(0.5) and ours["unit"] == "dB"
    assert source["holds"] and "8.00 dB" in source["note"]
    rows[0]["latent_formula"], rows[0]["psnr_db"] = 1152, 31.0
    rows[1]["pca_psnr_per_image"] = rows[1]["psnr_per_image"] - np.tile([3.0, -2.0], 10)  # mean +0.5, wide spread
    latent, ours, source = S.claims(rows)
    assert not latent["holds"] and "classic" in latent["note"]
    assert not ours["holds"] and ours["ci95"][0] < 0 < ours["ci95"][1]
    assert not source["holds"] and "not worse: classic" in source["note"]
    assert S.ours_vs_pca(rows)["ours_beats_pca"] is False  # the interval decides, as in the claim
    assert [c["claim"][:14] for c in S.claims(rows[:1])] == ["the latent-siz", "every source a"]


def test_display_table_and_key_figure():
    rows = [_row("classic", 22.0, 30.0, formula=1024, model=1024),
            _row("ours-256", 27.0, 100.0, formula=None, model=256)]
    for r in rows:
        r.update(test_mse_pm1=0.0123456, source_mse=None, ratio_to_source=None, ssim=0.81234, train_s=3.21,
                 epochs_run=2)
    df = S.display_table(rows)
    assert list(df.columns) == [S.TABLE_LABELS[k] for k in S.TABLE_COLUMNS[1:]]
    assert df.loc["classic", "PSNR (dB)"] == 22.0 and df.loc["classic", "source MSE on [-1, 1] (CIFAR-10)"] == "–"
    assert df.loc["classic", "SSIM"] == 0.812 and df.loc["classic", "latent (formula)"] == "1,024"
    assert df.loc["ours-256", "latent (formula)"] == "–"
    fig = S.psnr_against_pca_figure(rows)
    assert fig.axes[0].get_xlabel() == "test PSNR (dB)"
    assert any(t.get_text() == "lossless" for t in fig.axes[0].texts)


def test_reconstruct_matches_predict_on_a_padded_last_batch():
    from aeutils.models import build_cae

    model = build_cae("4-6-8", input_shape=(16, 16, 3))
    x = np.random.default_rng(0).uniform(-1, 1, (11, 16, 16, 3)).astype(np.float32)
    out = predict(model, x, batch_size=4)
    assert out.shape == x.shape
    np.testing.assert_allclose(out, model.predict(x, verbose=0), atol=1e-5)
