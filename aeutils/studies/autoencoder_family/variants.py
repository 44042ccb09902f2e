"""The plain autoencoder and its variants (denoising, sparse, contractive, β-VAE), each beside its baseline."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from aeutils import applications as A
from aeutils import baselines as B
from aeutils import metrics as M
from aeutils import models as Mo
from aeutils.latent import encode
from aeutils.studies.autoencoder_family.findings import active_units
from aeutils.studies.autoencoder_family.protocol import (
    FamilyConfig,
    FamilyData,
    psnr_values,
    score_row,
    seeded_autoencoder,
    train,
)
from aeutils.train import predict

# ---------------------------------------------------------------------------
# The plain autoencoder (reference for every variant and for the applications)
# ---------------------------------------------------------------------------


def run_plain(data: FamilyData, cfg: FamilyConfig, *, jacobian_method: str = "stochastic") -> dict:
    """Train the unregularised autoencoder (MSE) and score it against PCA of the same code size.

    It is a :class:`~aeutils.models.ContractiveAutoencoder` with weight 0:
    training is plain MSE, and the encoder's Jacobian norm is logged (never
    penalised) so the contractive section can draw both curves.

    Returns:
        ``{"model", "history", "jacobian_per_batch", "rows", "reconstructions", "code_size",
        "per_image": {"autoencoder", "pca"}}`` (per-image test PSNR).
    """
    model = seeded_autoencoder(
        cfg,
        data,
        Mo.build_contractive_autoencoder,
        weight=0.0,
        method=jacobian_method,
        seed=cfg.seed,
        name="plain_autoencoder",
    )
    batches = Mo.BatchValues(("penalty",))
    res = train(model, data.train, cfg, validation=data.val, compile_model=False, callbacks=[batches])
    recon = predict(model, data.test)
    k = min(cfg.latent_dim, len(data.train), int(np.prod(data.shape)))
    pca = B.pca_baseline(data.train, data.test, k)
    rows = [
        score_row("plain autoencoder", data.test, recon, code_size=cfg.latent_dim),
        score_row(f"PCA ({k} components)", data.test, pca, code_size=k),
    ]
    return {
        "model": model,
        "code_size": cfg.latent_dim,
        "per_image": {"autoencoder": psnr_values(data.test, recon), "pca": psnr_values(data.test, pca)},
        "history": res.history,
        "jacobian_per_batch": batches.values["penalty"],
        "rows": rows,
        "reconstructions": recon[data.example_index()],
    }


# ---------------------------------------------------------------------------
# Variants
# ---------------------------------------------------------------------------


def run_denoising(
    data: FamilyData, cfg: FamilyConfig, *, kind: str = "gaussian", strength: float = 0.3, plain=None
) -> dict:
    """Train a denoising autoencoder and score it on corrupted test images.

    Rows: the noisy input itself, a Gaussian filter tuned on validation images,
    the plain autoencoder fed the noisy images (if given) and the denoising
    autoencoder; PSNR/SSIM against the clean images. The denoising model has a
    linear output (clipped for scoring); ``cfg.latent_dim=None`` gives it a
    convolutional code (see :func:`aeutils.models.build_encoder_decoder`).

    Returns:
        ``{"model", "history", "rows", "headline", "examples": {"noisy", "denoised", "clean"}, "sigma",
        "per_image": {"autoencoder", "filter"}}`` (per-image PSNR of the denoising model and of the
        tuned filter); the headline has ``psnr_gain_db`` over the noisy input.
    """
    model = seeded_autoencoder(
        cfg,
        data,
        Mo.build_denoising_autoencoder,
        corruption=kind,
        strength=strength,
        output_activation=None,
        seed=cfg.seed,
    )
    # Validation on a fixed corrupted copy, so the best-epoch choice sees the task.
    val_noisy = A.corrupt(data.val, kind=kind, strength=strength, seed=cfg.seed + 1)
    res = train(model, data.train, cfg, validation=(val_noisy, data.val))
    noisy = A.corrupt(data.test, kind=kind, strength=strength, seed=cfg.seed + 2)
    denoised = predict(model, noisy)
    sigma = B.tune_gaussian_filter(val_noisy, data.val)
    filtered = B.gaussian_filter_denoise(noisy, sigma)
    rows = [
        score_row("noisy input", data.test, noisy),
        score_row(f"Gaussian filter (sigma {sigma} px, tuned on validation)", data.test, filtered),
    ]
    if plain is not None:
        rows.append(score_row("plain autoencoder on noisy input", data.test, predict(plain, noisy)))
    ex = data.example_index()
    code = "conv code" if cfg.latent_dim is None else f"code {cfg.latent_dim}"
    rows.append(score_row(f"denoising autoencoder ({kind} {strength}, {code})", data.test, denoised))
    headline = {
        "noisy_psnr_db": rows[0]["psnr_db"],
        "denoised_psnr_db": rows[-1]["psnr_db"],
        "psnr_gain_db": rows[-1]["psnr_db"] - rows[0]["psnr_db"],
        "gain_over_filter_db": rows[-1]["psnr_db"] - rows[1]["psnr_db"],
    }
    return {
        "model": model,
        "history": res.history,
        "rows": rows,
        "headline": headline,
        "sigma": sigma,
        "per_image": {"autoencoder": psnr_values(data.test, denoised), "filter": psnr_values(data.test, filtered)},
        "examples": {"noisy": noisy[ex], "denoised": np.clip(denoised[ex], 0, 1), "clean": data.test[ex]},
    }


def run_sparse(
    data: FamilyData,
    cfg: FamilyConfig,
    *,
    penalty: str = "l1",
    weight: float = 1e-3,
    target: float = 0.05,
    threshold: float = 0.01,
) -> dict:
    """Train a sparse autoencoder and the same model with weight 0 (the control); compare their codes.

    Returns:
        ``{"models", "histories", "rows", "codes": {name: test codes}, "headline",
        "per_image": {"control", "penalty"}}`` (per test image, the share of its code values near zero).
    """
    rows, codes, models, hists, near = [], {}, {}, {}, []
    for label, w in (("no penalty (control)", 0.0), (f"{penalty} penalty, weight {weight}", weight)):
        model = seeded_autoencoder(
            cfg,
            data,
            Mo.build_sparse_autoencoder,
            penalty=penalty,
            weight=w,
            target=target,
            threshold=threshold,
        )
        res = train(model, data.train, cfg, validation=data.val, compile_model=False)
        z = encode(model, data.test)
        codes[label], models[label], hists[label] = z, model, res.history
        activity = Mo.code_activity(z, threshold, numpy=True)
        near.append(np.mean(np.abs(np.asarray(z).reshape(len(z), -1)) < threshold, axis=1))
        rows.append({**score_row(label, data.test, predict(model, data.test)), **activity})
    headline = {
        "sparse_fraction_near_zero": rows[1]["fraction_near_zero"],
        "control_fraction_near_zero": rows[0]["fraction_near_zero"],
        "sparse_psnr_db": rows[1]["psnr_db"],
        "control_psnr_db": rows[0]["psnr_db"],
    }
    per_image = {"control": near[0], "penalty": near[1]}
    return {
        "models": models,
        "histories": hists,
        "rows": rows,
        "codes": codes,
        "headline": headline,
        "per_image": per_image,
    }


def jacobian_norms(model, x, *, method: str = "auto", batch: int = 256) -> np.ndarray:
    """Per-image squared Frobenius norm of ``model``'s encoder Jacobian on images ``x``.

    ``batch`` images per call: each call traces the Jacobian anew, so few large calls keep the
    page free of retracing warnings.
    """
    enc = Mo.encoder_of(model, strict=True)
    out = [
        np.asarray(Mo.jacobian_frobenius_sq(enc, x[i : i + batch], method=method, projections=8)[1])
        for i in range(0, len(x), batch)
    ]
    return np.concatenate(out)


def run_contractive(
    data: FamilyData,
    cfg: FamilyConfig,
    *,
    weight: float = 1e-3,
    method: str = "auto",
    projections: int = 1,
    plain=None,
    n_jacobian: int = 256,
) -> dict:
    """Train a contractive autoencoder; compare its Jacobian norm and reconstruction with the plain one.

    Args:
        plain: the :func:`run_plain` result (its per-batch Jacobian curve and model).
        n_jacobian: test images on which the Jacobian norm is measured (exactly
            when the code is small, else with 8 random projections).

    Returns:
        ``{"model", "history", "jacobian_per_batch": {name: values}, "rows", "headline",
        "per_image": {"penalty", "control"}}`` (per-image squared Jacobian norms; ``control``, the
        plain model's, only with ``plain``).
    """
    model = seeded_autoencoder(
        cfg,
        data,
        Mo.build_contractive_autoencoder,
        weight=weight,
        method=method,
        projections=projections,
        seed=cfg.seed,
    )
    batches = Mo.BatchValues(("penalty",))
    res = train(model, data.train, cfg, validation=data.val, compile_model=False, callbacks=[batches])
    sub = data.test[:n_jacobian]
    per_image = {"penalty": jacobian_norms(model, sub)}
    rows = [
        score_row(
            f"contractive (weight {weight})",
            data.test,
            predict(model, data.test),
            jacobian_fro_sq=float(np.mean(per_image["penalty"])),
        )
    ]
    curves = {f"contractive (weight {weight})": batches.values["penalty"]}
    if plain is not None:
        per_image["control"] = jacobian_norms(plain["model"], sub)
        rows.insert(
            0,
            score_row(
                "plain autoencoder (control, weight 0)",
                data.test,
                predict(plain["model"], data.test),
                jacobian_fro_sq=float(np.mean(per_image["control"])),
            ),
        )
        curves = {"plain (logged only)": plain["jacobian_per_batch"], **curves}
    headline = {"contractive_jacobian_fro_sq": rows[-1]["jacobian_fro_sq"], "contractive_psnr_db": rows[-1]["psnr_db"]}
    if plain is not None:
        headline["plain_jacobian_fro_sq"] = rows[0]["jacobian_fro_sq"]
        headline["plain_psnr_db"] = rows[0]["psnr_db"]
    return {
        "model": model,
        "history": res.history,
        "jacobian_per_batch": curves,
        "rows": rows,
        "headline": headline,
        "per_image": per_image,
    }


def run_beta_sweep(
    data: FamilyData,
    cfg: FamilyConfig,
    *,
    betas: Sequence[float] = (0.5, 1.0, 4.0),
    latent_dim: int = 8,
    reconstruction: str = "bernoulli",
    hidden_units: int | None = 256,
    decoder_hidden_units: int | None = 256,
) -> dict:
    """Train one β-VAE (:func:`aeutils.models.build_vae`) per β; report reconstruction and KL separately.

    Rows per β: test ``reconstruction_nats`` and ``kl_nats`` per image (one
    posterior sample, as the VAE logs them), their β-weighted sum, the PSNR of
    the mean reconstruction, and the active units (latent means whose variance
    over the test set exceeds 0.01), beside PCA with ``latent_dim`` components.

    Args:
        hidden_units, decoder_hidden_units: Dense layers on both sides of the code. With
            ``build_vae``'s defaults (16, none) the decoder has too little room: on 3,000
            embedded digits at β = 1, 6 of 8 units were active and the PSNR (12.8 dB) fell
            below PCA-8's (14.4 dB), every digit a grey blob; with 256 and 256, 8 units and
            15.8 dB.

    Returns:
        ``{"rows", "histories", "reconstructions": {beta: images}, "per_image": {"vae", "pca"}}``;
        ``per_image`` holds the per-test-image PSNR at the β nearest 1 and of PCA.
    """
    rows, hists, recons, psnr = [], {}, {}, {}
    k = min(latent_dim, len(data.train) - 1)
    pca = psnr_values(data.test, B.pca_baseline(data.train, data.test, k))
    for beta in betas:
        vae = seeded_autoencoder(
            cfg,
            data,
            Mo.build_vae,
            latent_dim=latent_dim,
            beta=float(beta),
            reconstruction=reconstruction,
            hidden_units=hidden_units,
            decoder_hidden_units=decoder_hidden_units,
            seed=cfg.seed,
        )
        res = train(vae, data.train, cfg, validation=data.val, compile_model=False)
        # The terms as the VAE logs them (one posterior sample), computed eagerly: nothing to trace.
        recon_nats, kl_nats = (np.asarray(t, dtype=np.float64) for t in vae.loss_terms(data.test))
        ev = {
            "reconstruction_loss": recon_nats.mean(),
            "kl_loss": kl_nats.mean(),
            "loss": (recon_nats + float(beta) * kl_nats).mean(),
        }
        z_mean = encode(vae, data.test)
        recon = predict(vae, data.test)
        rows.append(
            {
                "beta": float(beta),
                "reconstruction_nats": float(ev["reconstruction_loss"]),
                "kl_nats": float(ev["kl_loss"]),
                "loss": float(ev["loss"]),
                "psnr_db": M.image_scores(data.test, recon)["psnr_db"],
                "pca_psnr_db": float(np.mean(pca)),
                "active_units": active_units(z_mean),
                "latent_dim": latent_dim,
            }
        )
        psnr[float(beta)] = psnr_values(data.test, recon)
        hists[float(beta)] = res.history
        recons[float(beta)] = recon[data.example_index()]
    near_one = min(psnr, key=lambda b: abs(b - 1.0))
    per_image = {"vae": psnr[near_one], "pca": pca}
    return {"rows": rows, "histories": hists, "reconstructions": recons, "per_image": per_image}
