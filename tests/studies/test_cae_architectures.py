"""The CAE architecture study (aeutils.studies.cae_architectures): parameters, source figures, summary."""

import numpy as np
import pytest

from aeutils import reports
from aeutils.models import CAE_ARCHITECTURES
from aeutils.studies import cae_architectures as S


def test_check_parameters_matches_the_notebook_and_reads_names():
    defaults = {k: v["default"] for k, v in reports.notebook_parameters("cae_architectures").items()}
    assert set(S.PARAMETERS) == set(defaults) - {"metrics_path"}
    params = S.check_parameters(defaults)
    assert params["architectures"] == list(CAE_ARCHITECTURES)
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


def test_run_architecture_tiny():
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, (40, 32, 32, 3)).astype(np.float32)
    data = S.StudyData(x[:24], x[24:32], x[32:], "random")
    row = S.run_architecture("classic", data, epochs=1, batch_size=8)
    assert row["source_mse"] == S.source_mse("classic")
    assert row["ratio_to_source"] == pytest.approx(row["test_mse_pm1"] / row["source_mse"])
    assert row["pca_k"] == len(data.train) - 1
    assert list(S.table_rows([row])[0]) == list(S.TABLE_COLUMNS)
