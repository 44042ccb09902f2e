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
