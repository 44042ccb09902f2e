"""The mixed MNIST + CIFAR-10 study (aeutils.studies.mixed_mnist_cifar): training, scoring, unmixing, parameters."""

import numpy as np
import pytest

from aeutils import data as D
from aeutils import metrics as M
from aeutils.studies import mixed_mnist_cifar as S


def toy_study(n_train=12, n_test=4):
    rng = np.random.default_rng(0)
    a = D.ImageSet(rng.random((n_train + n_test, 16, 16, 1)).astype(np.float32), name="a")
    b = D.ImageSet(rng.random((n_train + n_test, 16, 16, 3)).astype(np.float32), name="b")
    train, test, info = S.mixed_train_test(a, b, n_test=n_test, size=16)
    return S.MixedData(train, test, info, "toy")


def test_source_schedule_accumulates_the_full_batch_gradient():
    data = toy_study()
    whole = S.train_source_schedule(data, steps=2, chunk=64, seed=3)
    chunked = S.train_source_schedule(data, steps=2, chunk=5, seed=3)
    assert len(whole.history["loss"]) == len(whole.history["val_loss"]) == 2
    np.testing.assert_allclose(whole.history["loss"], chunked.history["loss"], rtol=1e-4)
    for w1, w2 in zip(whole.model.get_weights(), chunked.model.get_weights()):
        np.testing.assert_allclose(w1, w2, atol=1e-5)
    with pytest.raises(ValueError, match="steps"):
        S.train_source_schedule(data, steps=0)


def test_study_train_score_pca_and_unmix():
    data = toy_study()
    res = S.train_autoencoder(data, epochs=1, batch_size=4)
    assert set(res.history) >= {"loss", "val_loss"} and res.epochs_run == 1
    sc = S.score(data.test.mixed, S.to_model(data.test.mixed))  # a perfect "reconstruction"
    assert set(sc) >= {"ssim", "psnr", "ssim_source_way", "psnr_source_way", "mse"}
    assert np.allclose(sc["ssim"], 1.0, atol=1e-5) and (sc["psnr"] == M.PSNR_CAP_DB).all()
    row = S.with_ratios(S.summary_row("perfect", sc))
    assert row["ssim_over_source"] == pytest.approx(row["ssim"] / S.SOURCE["ssim"])
    recon, k = S.pca_reconstruction(data, 1024)
    assert k == len(data.train) - 1 and recon.shape == data.test.mixed.shape
    un = S.train_unmixer(data, epochs=1, batch_size=4, width=4)
    first, second = S.unmix(un.model, data.test.mixed)
    assert first.shape == second.shape == data.test.first.shape
    np.testing.assert_allclose((first + second) / 2, data.test.mixed, atol=1e-5)
    scores = S.unmix_scores(data.test, first, second)
    assert set(scores) == {"first", "second"} and len(scores["first"]["ssim"]) == len(data.test)
    table = S.table_rows([S.source_row(), row])
    assert table[0]["psnr_source_way_db"] == 15.62 and list(table[1]) == list(S.TABLE_COLUMNS)


def test_check_parameters_matches_the_notebook():
    from aeutils import reports

    defaults = {k: v["default"] for k, v in reports.notebook_parameters("mixed_mnist_cifar").items()}
    assert set(S.PARAMETERS) == set(defaults) - {"metrics_path"}
    assert S.check_parameters(defaults) == {k: defaults[k] for k in S.PARAMETERS}
    with pytest.raises(ValueError, match="pairing"):
        S.check_parameters({**defaults, "pairing": "random"})
    with pytest.raises(ValueError, match="negative"):
        S.check_parameters({**defaults, "n_test": -1})


def test_headline_and_source_losses():
    row = {"ssim": 0.9, "psnr_db": 28.0, "ssim_source_way": 0.5, "psnr_source_way_db": 20.0}
    h = S.headline(row, {"psnr_db": 25.0}, None, [])
    assert h == {**row, "pca_psnr_db": 25.0}
    h = S.headline(row, {"psnr_db": 25.0}, row, [{"psnr_db": 12.0}, {"psnr_db": 13.0}])
    assert h["source_schedule_ssim_source_way"] == 0.5 and h["unmix_second_psnr_db"] == 13.0
    line = S.source_schedule_losses({"loss": [1.0, 0.5], "val_loss": [0.9, 0.4]})
    assert "(source: 0.9747 → 0.2641 and 0.9674 → 0.2609)" in line and "1.0000 → 0.5000" in line


def test_pair_indices_index_and_seeded_shuffle():
    a, b = S.pair_indices(6, 4)
    assert a.tolist() == b.tolist() == [0, 1, 2, 3]
    s1 = S.pair_indices(6, 4, n=3, pairing="shuffle", seed=5)
    s2 = S.pair_indices(6, 4, n=3, pairing="shuffle", seed=5)
    assert all(np.array_equal(x, y) for x, y in zip(s1, s2))
    assert len(set(s1[0].tolist())) == 3 and max(s1[1]) < 4
    with pytest.raises(D.DataError, match="pairing"):
        S.pair_indices(3, 3, pairing="zip")
    with pytest.raises(D.DataError, match="cannot make 5 pairs"):
        S.pair_indices(3, 4, n=5)


def test_mixed_train_test_shapes_ranges_and_no_leak(toy_sets):
    digits, photos = toy_sets
    train, test, info = S.mixed_train_test(digits, photos, n_test=6)
    assert train.mixed.shape == (16, 32, 32, 3) and test.mixed.shape == (6, 32, 32, 3)
    for part in (train, test):
        assert part.first.shape == part.second.shape == part.mixed.shape
        assert 0.0 <= part.mixed.min() and part.mixed.max() <= 1.0
        np.testing.assert_allclose(part.mixed, (part.first + part.second) / 2, atol=1e-6)
    # No image of either set is in both a training and a test pair.
    assert not set(train.index_first) & set(test.index_first)
    assert not set(train.index_second) & set(test.index_second)
    assert info["shared_train_test_images"] == {"first": 0, "second": 0}
    assert info["n_train"] == 16 and info["n_test"] == 6 and info["shape"] == [32, 32, 3]
    assert info["pairing"].startswith("index")
    # The source's rule: k-th training digit with k-th training photo.
    assert train.index_first.tolist() == train.index_second.tolist() == list(range(16))
    shuffled, _, info2 = S.mixed_train_test(digits, photos, n_test=6, n_train=8, pairing="shuffle", seed=2)
    assert len(shuffled) == 8 and info2["pairing"].startswith("shuffle")
    assert not set(shuffled.index_second) & set(range(16, 22))  # held-out photos stay out
    with pytest.raises(D.DataError, match="pairing"):
        S.mixed_train_test(digits, photos, n_test=6, pairing="nearest")


def test_claims_thresholds_and_paired_unmixing():
    from aeutils.studies.mixed_mnist_cifar import findings as F

    good = {"ssim": np.array([0.95, 0.96, 0.97, 0.94]), "psnr": np.array([30.0, 31.0, 32.0, 33.0])}
    unmixed = {"first": {"psnr": np.array([20.0, 21.0, 22.0])}, "second": {"psnr": np.array([15.0, 11.0, 16.0])}}
    mixture = {"first": {"psnr": np.array([12.0, 12.5, 13.0])}, "second": {"psnr": np.array([12.0, 12.0, 12.0])}}
    out = S.claims(good, unmixed, mixture, names=("digits", "photos"))
    assert [c["holds"] for c in out] == [True, True, True, False]  # photos: 15, 11, 16 vs 12 is too noisy
    assert out[0]["baseline"] == F.TARGET_SSIM and out[0]["source"] == S.SOURCE["ssim"]
    assert out[1]["unit"] == "dB" and out[1]["source"] == S.SOURCE["psnr_db"]
    assert out[2]["ours"] == pytest.approx(21.0) and out[2]["baseline"] == pytest.approx(12.5)
    assert out[2]["ci95"][0] > 0 and "digits" in out[2]["claim"] and "photos" in out[3]["claim"]
    # Below the thresholds (or an interval reaching below them) the claims fail.
    poor = {"ssim": np.array([0.95, 0.80, 0.99]), "psnr": np.array([27.0, 27.5, 26.0])}
    assert [c["holds"] for c in S.claims(poor)[:2]] == [False, False]
    # Without an unmixer the unmixing claims are stated but do not hold.
    skipped = S.claims(good)
    assert [c["holds"] for c in skipped] == [True, True, False, False] and "not run" in skipped[2]["note"]


def test_pca_note_and_labelled_tables():
    note = S.pca_note(37.47, 43.18, k=1024, d=3072, epochs=30)
    assert "5.71 dB above" in note and "1,024 of the image's 3,072 values" in note
    assert "below" in S.pca_note(40.0, 39.0, k=16, d=3072, epochs=1)
    df = S.labelled([{"run": "a", "psnr_db": 30.123456, "ssim": 0.5, "mse": None}], index="run", precision=2)
    assert list(df.columns) == ["PSNR (dB)", "SSIM"] and df.index.name == "run"
    assert df.iloc[0]["PSNR (dB)"] == 30.12
    gaps = S.labelled([{"run": "a", "ssim": 0.5}, {"run": "b", "ssim": None}], index="run")
    assert gaps.loc["b", "SSIM"] == "–" and gaps.loc["a", "SSIM"] == "0.5"
    assert set(S.TABLE_COLUMNS) <= set(S.TABLE_LABELS)


def test_data_note_names_the_stand_in():
    info = {"n_train": 4000, "n_test": 800, "pairing": "shuffle: seeded random pairs"}
    note = S.data_note("embedded:mnist5000", "embedded:photo_patches", info)
    assert "stand-in for CIFAR-10" in note and "4,000 training and 800 test pairs" in note
    assert note.endswith("pairing shuffle.")
    real = S.data_note("npz:m.npz", "npz:c.npz", {**info, "pairing": "index: k-th with k-th"})
    assert "stand-in" not in real and "npz:c.npz" in real and real.endswith("pairing index.")
