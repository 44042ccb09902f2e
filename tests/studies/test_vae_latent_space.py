"""The VAE latent-space study (aeutils.studies.vae_latent_space): references, parameters, digits, photo fit."""

import numpy as np
import pytest

from aeutils import latent, metrics, models, reports
from aeutils.studies import vae_latent_space as S


def _notebook_values(**changes):
    values = {k: v["default"] for k, v in reports.notebook_parameters("vae_latent_space").items()}
    return {**values, **changes}


def test_references_are_the_public_figures():
    assert S.REFERENCES["grey"].value == 146.95 and not S.REFERENCES["grey"].held_out
    assert S.REFERENCES["binary"].value == 156.0 and S.REFERENCES["binary"].held_out
    h = S.headline(150.0, 20.0, 64)
    assert h["keras_io_train_loss_ref"] == 146.95 and h["tf_tutorial_test_neg_elbo_ref"] == 156.0
    assert h["mnist_test_neg_elbo_nats"] == 150.0 and h["photo_size_px"] == 64 and h["photo_psnr_db"] == 20.0


def test_check_parameters_matches_the_notebook_and_refuses_bad_values():
    defaults = _notebook_values()
    assert set(S.PARAMETERS) == set(defaults) - {"metrics_path"}
    assert S.check_parameters(defaults) == {k: defaults[k] for k in S.PARAMETERS}
    with pytest.raises(ValueError):
        S.check_parameters(_notebook_values(size=100))
    for option, bad in (("layout", "big"), ("interpolation", "cubic"), ("pairs_by", "colour")):
        with pytest.raises(ValueError, match=option):
            S.check_parameters(_notebook_values(**{option: bad}))


def test_reference_rows():
    rng = np.random.default_rng(0)
    scores = {"negative_elbo": rng.normal(150, 5, 40), "reconstruction": rng.normal(140, 5, 40), "kl": np.full(40, 7.0)}
    elbo = metrics.summarize(scores["negative_elbo"])
    rows = S.reference_rows(elbo, scores, "ours")
    assert [r["run"] for r in rows][0] == "ours" and len(rows) == 3
    assert rows[0]["negative_elbo_nats"] == elbo["mean"] and rows[0]["kl"] == 7.0
    assert rows[0]["ci95_half_width"] == pytest.approx((elbo["ci95_high"] - elbo["ci95_low"]) / 2)
    assert [r["negative_elbo_nats"] for r in rows[1:]] == [146.95, 156.0]


def test_load_digits_binarizes_and_splits():
    digits, train, val, test, rule = S.load_digits("embedded:digits8x8", limit=50, binarize=True, seed=0)
    assert digits.shape == (28, 28, 1) and len(train) + len(val) + len(test) == len(digits) == 50
    assert set(np.unique(digits.images)) <= {0.0, 1.0} and isinstance(rule, str)


def test_fit_photo_vae_on_random_crops():
    rng = np.random.default_rng(0)
    photos = rng.random((2, 32, 32, 3)).astype(np.float32)
    vae = models.build_image_vae(input_shape=(32, 32, 3), latent_dim=2, seed=0)
    assert S.flatten_features(vae) <= 8192
    fit = S.fit_photo_vae(vae, photos, epochs=2, crops=8, batch_size=4, learning_rate=1e-3, seed=0, verbose=0)
    assert len(fit.history["loss"]) == 2 and fit.crops_per_epoch == 8 and fit.seconds > 0
    assert latent.encode(vae, photos).shape == (2, 2)


def test_labelled_uses_human_column_names():
    rows = S.labelled([{"negative_elbo_nats": 150.0, "kl": 7.0, "other": 1}], ["negative_elbo_nats", "kl"])
    assert rows == [{"−ELBO (nats/image)": 150.0, "KL (nats)": 7.0}]
    assert S.labelled([{"other": 1}]) == [{"other": 1}]


def test_check_parameters_refuses_bad_confidence_and_warmup():
    with pytest.raises(ValueError, match="min_confidence"):
        S.check_parameters(_notebook_values(min_confidence=1.5))
    with pytest.raises(ValueError, match="kl_warmup"):
        S.check_parameters(_notebook_values(kl_warmup=-1))


class _Reader:
    """A stand-in pixel reader: label = 1 when the mean pixel is above 0.5, confidence from the distance."""

    classes_ = np.array([0, 1])
    coef_ = np.zeros((2, 4))

    def predict_proba(self, x):
        p1 = np.clip(x.mean(axis=1) * 1.0, 0, 1)
        return np.stack([1 - p1, p1], axis=1)


def test_grid_reading_counts_confident_cells_only():
    grid = np.stack([np.full((2, 2, 1), v, np.float32) for v in (0.0, 0.1, 1.0, 0.55)]).reshape(2, 2, 2, 2, 1)
    out = S.grid_reading(_Reader(), grid, min_confidence=0.6, labels=range(3))
    assert out["rows"] == [{"digit": 0, "cells": 2}, {"digit": 1, "cells": 1}, {"digit": 2, "cells": 0}]
    assert out["distinct"] == [0, 1] and out["missing"] == [2] and out["cells"] == 4 and out["unsure"] == 1


def test_photo_regions_hold_out_one_quadrant_per_photo():
    photos = np.arange(3 * 4 * 4 * 1, dtype=np.float32).reshape(3, 4, 4, 1)
    train, train_photo, held, held_photo = S.photo_regions(photos)
    assert train.shape == (9, 2, 2, 1) and held.shape == (3, 2, 2, 1)
    assert train_photo.tolist() == [0, 0, 0, 1, 1, 1, 2, 2, 2] and held_photo.tolist() == [0, 1, 2]
    np.testing.assert_array_equal(held[0], photos[0, :2, :2])  # photo 0: top-left held out
    np.testing.assert_array_equal(held[1], photos[1, :2, 2:])  # photo 1: top-right
    np.testing.assert_array_equal(held[2], photos[2, 2:, :2])  # photo 2: bottom-left
    assert not any(np.array_equal(t, held[k]) for k in range(3) for t in train[train_photo == k])
    with pytest.raises(ValueError):
        S.photo_regions(np.zeros((2, 3, 3, 1)))


def test_photo_gathering_and_claims():
    z_train = np.array([[0.0, 0.0], [0.1, 0.0], [5.0, 5.0], [5.1, 5.0]])
    photo_train = np.array([0, 0, 1, 1])
    z_held = np.array([[0.2, 0.1], [4.9, 5.0], [0.0, 0.2], [5.0, 4.8]])
    gathering = S.photo_gathering(z_train, photo_train, z_held, np.array([0, 1, 0, 1]))
    assert gathering["accuracy"] == 1.0 and gathering["chance"] == 0.5
    grid = {"distinct": list(range(10)), "missing": [], "cells": 400, "unsure": 3}
    strips = [{"title": "1→7", "read_start": 1, "read_end": 7, "holds": True},
              {"title": "3→8", "read_start": 3, "read_end": 5, "holds": False}]
    out = S.claims(grid, strips, gathering, photos=2)
    assert [c["holds"] for c in out] == [True, False, True]
    assert out[0]["ours"] == 10 and out[1]["ours"] == 2 - 1 and out[1]["baseline"] == 2
    assert out[2]["ours"] == 1.0 and out[2]["baseline"] == 0.5 and out[2]["ci95"] is not None
    assert "3→8: read 3→5" in out[1]["note"] and "reconstructions" not in out[1]["note"]
    noted = S.claims(grid, strips, gathering, photos=2, reconstruction_accuracy=0.63)
    assert "63% of all test reconstructions" in noted[1]["note"] and noted[1]["holds"] is False
    few = S.claims({**grid, "distinct": [0, 1], "missing": list(range(2, 10))}, strips[:1], gathering, photos=2)
    assert [c["holds"] for c in few] == [False, True, True] and "missing: 2, 3" in few[0]["note"]
