"""Tests for aeutils.models.colouriser (our U-Net colouriser) and its study part aeutils.studies.colourisation_ours."""

import keras
import numpy as np
import pytest

from aeutils.models import colouriser as M

CENTRES = np.array([-0.1, 0.0, 0.1, 0.2], np.float32)


def test_chroma_bins_keeps_seen_values_per_channel():
    uv = np.array([[0.0, 0.0], [0.012, -0.01], [0.2, 0.1], [0.21, 0.09], [-0.1, 0.0]])
    (cu, cv), (nu, nv) = M.chroma_bins(uv, step=0.05)
    np.testing.assert_allclose(cu, [-0.1, 0.0, 0.2], atol=1e-6)
    np.testing.assert_allclose(cv, [0.0, 0.1], atol=1e-6)
    assert nu.tolist() == [1, 2, 2] and nv.tolist() == [3, 2]
    (cu2, _), (nu2, _) = M.chroma_bins(uv, step=0.05, min_count=2)
    assert len(cu2) == 2 and nu2.tolist() == [2, 2]
    with pytest.raises(ValueError, match="2 channels"):
        M.chroma_bins(np.zeros((3, 3)))
    with pytest.raises(ValueError, match="no U bin"):
        M.chroma_bins(uv, min_count=10)


def test_rebalance_weights():
    w = M.rebalance_weights([90, 10], lam=0.5)
    p = np.array([0.9, 0.1])
    assert np.sum(p * w) == pytest.approx(1.0)
    assert w[1] > w[0]  # the rare bin weighs more
    assert w[0] / w[1] == pytest.approx((0.5 * 0.1 + 0.25) / (0.5 * 0.9 + 0.25))
    with pytest.raises(ValueError, match="lam"):
        M.rebalance_weights([1, 1], lam=0.0)


def test_soft_encode_is_a_gaussian_over_bins():
    q = np.asarray(M.soft_encode(np.array([0.03]), CENTRES, sigma=0.05, neighbours=2))
    # Two nearest: 0.0 at 0.03 and 0.1 at 0.07.
    expect = np.exp(-(np.array([0.03, 0.07]) ** 2) / (2 * 0.05**2))
    expect /= expect.sum()
    np.testing.assert_allclose(q[0], [0, expect[0], expect[1], 0], atol=1e-6)
    q_all = np.asarray(M.soft_encode(np.zeros((2, 3)), CENTRES, sigma=0.05, neighbours=10))
    assert q_all.shape == (2, 3, 4) and np.allclose(q_all.sum(-1), 1.0)
    # neighbours=None (the default) weighs every bin; far outside the bins it is still finite (no 0/0).
    q_none = np.asarray(M.soft_encode(np.array([0.03, 5.0]), CENTRES, sigma=0.05))
    d2 = (CENTRES - 0.03) ** 2
    np.testing.assert_allclose(q_none[0], np.exp(-d2 / 0.005) / np.exp(-d2 / 0.005).sum(), rtol=1e-5)
    assert np.isfinite(q_none).all() and np.allclose(q_none.sum(-1), 1.0) and q_none[1, -1] == 1.0


def test_annealed_mean_mode_and_mean():
    p = np.array([[0.1, 0.6, 0.2, 0.1]], np.float32)
    logits = np.log(p)
    mean = np.asarray(M.annealed_mean(logits, CENTRES, temperature=1.0))
    np.testing.assert_allclose(mean, p @ CENTRES, atol=1e-6)
    mode = np.asarray(M.annealed_mean(logits, CENTRES, temperature=0.01))
    np.testing.assert_allclose(mode, [0.0], atol=1e-6)
    with pytest.raises(ValueError, match="positive"):
        M.annealed_mean(logits, CENTRES, temperature=0.0)
    # decode_uv: U's logits first, then V's.
    uv = np.asarray(
        M.decode_uv(np.concatenate([logits, np.log([[0.5, 0.5]])], -1), CENTRES, [0.0, 0.2], temperature=1.0)
    )
    np.testing.assert_allclose(uv, [[float((p @ CENTRES)[0]), 0.1]], atol=1e-6)


def test_quantise_decode_round_trip():
    # Values on bin centres, soft-encoded with one neighbour, decode back to themselves at any temperature.
    uv = np.array([[0.1, -0.1], [0.2, 0.0], [-0.1, 0.1]], np.float32)
    (cu, cv), _ = M.chroma_bins(uv, step=0.1)
    q = np.concatenate(
        [np.asarray(M.soft_encode(uv[:, i], c, sigma=0.05, neighbours=1)) for i, c in enumerate((cu, cv))], -1
    )
    logits = np.log(np.clip(q, 1e-12, None))
    for t in (0.05, 1.0):
        np.testing.assert_allclose(np.asarray(M.decode_uv(logits, cu, cv, temperature=t)), uv, atol=1e-6)


def test_loss_known_values():
    loss = M.SoftEncodedCrossEntropy(CENTRES, [0.0, 0.1], neighbours=1)
    y_true = np.zeros((2, 2, 2, 2), np.float32)  # every pixel gray: one-hot targets on the 0 bins
    uniform = np.zeros((2, 2, 2, 6), np.float32)
    assert float(loss(y_true, uniform)) == pytest.approx(np.log(4.0) + np.log(2.0), rel=1e-6)
    sure = np.zeros((2, 2, 2, 6), np.float32)
    sure[..., 1] = sure[..., 4] = 50.0  # U bin 0.0 and V bin 0.0
    assert float(loss(y_true, sure)) == pytest.approx(0.0, abs=1e-6)
    weighted = M.SoftEncodedCrossEntropy(CENTRES, [0.0, 0.1], neighbours=1, weights_u=[1.0, 3.0, 1.0, 1.0])
    assert float(weighted(y_true, uniform)) == pytest.approx(3 * np.log(4.0) + np.log(2.0), rel=1e-6)
    assert loss.sigma == pytest.approx(0.05)  # half the bin step
    with pytest.raises(ValueError, match="U weights"):
        M.SoftEncodedCrossEntropy(CENTRES, [0.0], weights_u=[1.0])


def test_unet_shapes_and_bad_input():
    m = M.build_chroma_unet(input_shape=(16, 16, 1), n_bins=5, filters=(4, 6, 8))
    assert m.output_shape == (None, 16, 16, 5)
    names = [layer.name for layer in m.layers]
    assert "up0_skip" in names and "down2_conv2" in names  # a skip at full resolution
    assert m.get_layer("up0_skip").output.shape[1:3] == (16, 16)
    uv = M.with_annealed_mean(m, [0.0, 0.1, 0.2], [0.0, 0.1], temperature=0.4)
    assert uv.output_shape == (None, 16, 16, 2)
    with pytest.raises(ValueError, match="divisible"):
        M.build_chroma_unet(input_shape=(18, 18, 1), n_bins=5, filters=(4, 6, 8))
    with pytest.raises(ValueError, match="filters"):
        M.build_chroma_unet(n_bins=5, filters=(4,))
    with pytest.raises(ValueError, match="n_bins"):
        M.build_chroma_unet(n_bins=1)
    with pytest.raises(ValueError, match="bn_momentum"):
        M.build_chroma_unet(n_bins=5, bn_momentum=1.0)


def test_unet_batch_norm_momentum():
    # Every batch normalisation follows bn_momentum (default 0.9): after one training-mode call on a batch,
    # the moving mean has moved (1 - momentum) of the way from 0 to the batch mean.
    m = M.build_chroma_unet(input_shape=(8, 8, 1), n_bins=3, filters=(2, 2))
    bns = [layer for layer in m.layers if isinstance(layer, keras.layers.BatchNormalization)]
    assert len(bns) == 6 and all(bn.momentum == pytest.approx(0.9) for bn in bns)
    assert M.build_chroma_unet(input_shape=(8, 8, 1), n_bins=3, filters=(2, 2), bn_momentum=0.99).get_layer(
        "down0_bn1").momentum == pytest.approx(0.99)
    x = np.random.default_rng(0).random((4, 8, 8, 1)).astype(np.float32)
    conv = keras.Model(m.input, m.get_layer("down0_conv1").output)
    batch_mean = np.asarray(conv(x)).mean(axis=(0, 1, 2))
    m(x, training=True)
    np.testing.assert_allclose(np.asarray(m.get_layer("down0_bn1").moving_mean), 0.1 * batch_mean, rtol=1e-4, atol=1e-6)


def test_saved_colouriser_loads_safely(tmp_path):
    rng = np.random.default_rng(0)
    cu, cv = np.array([-0.1, 0.0, 0.1], np.float32), np.array([0.0, 0.05], np.float32)
    m = M.build_chroma_unet(input_shape=(8, 8, 1), n_bins=5, filters=(4, 6))
    m.compile(optimizer="adam", loss=M.SoftEncodedCrossEntropy(cu, cv, weights_u=np.ones(3)))
    model = M.with_annealed_mean(m, cu, cv, temperature=0.3)
    x = rng.random((2, 8, 8, 1)).astype(np.float32)
    path = tmp_path / "ours.keras"
    model.save(path)
    back = keras.saving.load_model(path, safe_mode=True)
    np.testing.assert_allclose(back.predict(x, verbose=0), model.predict(x, verbose=0), atol=1e-6)
    assert back.get_layer("annealed_mean").temperature == pytest.approx(0.3)
    m.optimizer.build(m.trainable_variables)  # as after training: the saved optimizer state is complete
    m.save(tmp_path / "logits.keras")  # compiled with the custom loss
    back_logits = keras.saving.load_model(tmp_path / "logits.keras", safe_mode=True)
    assert isinstance(back_logits.loss, M.SoftEncodedCrossEntropy)
    np.testing.assert_allclose(back_logits.loss.centres_u, cu, atol=1e-7)
    assert back_logits.loss.weights_u == [1.0, 1.0, 1.0] and back_logits.loss.weights_v is None


# --- the study's part: aeutils.studies.colourisation_ours ------------------------------------


@pytest.fixture(scope="module")
def tiny_data():
    from aeutils.studies.colourisation import ColourData

    rng = np.random.default_rng(0)
    imgs = np.clip(np.kron(rng.random((40, 4, 4, 3)), np.ones((1, 4, 4, 1))), 0, 1).astype(np.float32)
    return ColourData(imgs[:24], imgs[24:32], imgs[32:], "tiny test set")


def test_run_ours_and_its_claims(tiny_data):
    from aeutils.studies import colourisation as S
    from aeutils.studies import colourisation_ours as O

    row = O.run_ours(tiny_data, filters=(4, 8), epochs=1, batch_size=8, step=0.1, temperatures=(1.0, 0.3),
                     rebalance=0.5, precision="float32")  # fmt: skip
    assert row["route"] == "ours" and row["method"].startswith("ours: U-Net")
    assert row["pred_uv"].shape == (8, 16, 16, 2) and row["pred_rgb"].shape == tiny_data.test.shape
    assert 0.0 <= row["pred_rgb"].min() and row["pred_rgb"].max() <= 1.0
    assert [s["temperature"] for s in row["temperature_search"]] == [1.0, 0.3]
    best = min(row["temperature_search"], key=lambda s: s["ciede2000"])
    assert row["temperature"] == best["temperature"]
    assert row["epochs_run"] == 1 and row["n_bins"] >= 2 and "rebalanced" in row["method"]
    assert row["bn_momentum"] == 0.9 and row["model"].get_layer("down0_bn1").momentum == pytest.approx(0.9)
    # The saved model is Y -> U, V at the chosen temperature: it gives the row's chroma.
    x = 2.0 * S.luminance(tiny_data.test) - 1.0
    np.testing.assert_allclose(row["model"].predict(x, verbose=0), row["pred_uv"], atol=1e-5)
    # Same Y: the rebuilt RGB keeps the true luminance up to gamut clipping.
    assert np.mean(np.abs(S.luminance(row["pred_rgb"]) - S.luminance(tiny_data.test))) < 0.02
    rows = S.baseline_rows(tiny_data) + [row]
    assert S.truth_row(tiny_data)["method"] == "truth"  # the benchmark's first call
    claims = O.ours_claims(rows, truth_colourfulness=30.0)
    assert [c["claim"] for c in claims] == [
        "ours beats the plain gray image in CIEDE2000",
        "ours beats the train mean chroma in CIEDE2000",
    ]
    assert all(c["ci95"] is not None for c in claims) and "% of the truth's 30.0" in claims[0]["note"]
    with pytest.raises(ValueError, match="'ours' row"):
        O.ours_claims(rows[:2])
    with pytest.raises(ValueError, match="temperature"):
        O.run_ours(tiny_data, temperatures=())


def test_study_claims_with_ours_and_reproduction(tiny_data):
    from aeutils.studies import colourisation as S

    rows = S.baseline_rows(tiny_data)
    for route, lr in (("rgb", 1e-3), ("yuv", 1e-3), ("yuv", 1e-5)):
        rows.append(S.run_route(route, tiny_data, filters=(4, 6, 8), epochs=1, batch_size=8, learning_rate=lr))
    ours = dict(rows[3], route="ours", method="ours: stand-in")  # Y→UV's numbers under our name
    ours["per_image"] = {k: np.asarray(v) - 0.5 for k, v in rows[3]["per_image"].items()}  # 0.5 better everywhere
    ours["ciede2000"] = float(np.mean(ours["per_image"]["ciede2000"]))
    rows.append(ours)
    cl = S.claims(rows, reproduction=True)
    texts = [c["claim"] for c in cl]
    assert len(cl) == 5 + 2 + 3
    assert texts[5] == "gray→RGB lands within ±10% of the source's RGB MSE on [0, 1]"
    assert texts[6] == "Y→UV lands within ±10% of the source's UV MSE on the true chroma scale"
    assert "lr 1e-5 figure" in cl[6]["note"] and cl[6]["baseline"] == 0.003041
    assert cl[6]["holds"] == (abs(rows[3]["uv_mse"] / 0.003041 - 1) <= 0.1)
    assert texts[-1] == "ours beats the source-architecture Y→UV in CIEDE2000" and cl[-1]["holds"]
    assert len(S.claims(rows)) == 5 + 3  # reproduction claims only in the source's setting
    h = S.headline(rows)
    assert h["ours_ciede2000"] == ours["ciede2000"] and "ours_beats_gray_image_ciede2000" in h
    assert len([c for c in S.comparisons(rows) if c["key"].startswith("ours_")]) == 8
    assert S.source_setting({"dataset": "npz:/d/cifar10.npz", "limit": 0, "size": 32, "epochs": 15,
                             "learning_rate": 1e-3, "filters": [32, 48, 64]})  # fmt: skip
    assert not S.source_setting({"dataset": "embedded:photo_patches", "limit": 0, "size": 32, "epochs": 15,
                                 "learning_rate": 1e-3, "filters": [32, 48, 64]})  # fmt: skip
