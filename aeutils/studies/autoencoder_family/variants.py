"""The plain autoencoder and its variants (denoising, sparse, contractive, β-VAE), each beside its baseline."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from aeutils import applications as A
from aeutils import baselines as B
from aeutils import metrics as M
from aeutils import models as Mo
from aeutils.latent import encode
from aeutils.studies.autoencoder_family.protocol import FamilyConfig, FamilyData, score_row, seeded_autoencoder, train
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
        ``{"model", "history", "jacobian_per_batch", "rows", "reconstructions"}``.
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
    rows = [
        score_row("plain autoencoder", data.test, recon, code_size=cfg.latent_dim),
        score_row(f"PCA ({k} components)", data.test, B.pca_baseline(data.train, data.test, k), code_size=k),
    ]
    return {
        "model": model,
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
        ``{"model", "history", "rows", "headline", "examples": {"noisy", "denoised", "clean"}}``;
        the headline has ``psnr_gain_db`` over the noisy input.
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
    rows = [
        score_row("noisy input", data.test, noisy),
        score_row(
            f"Gaussian filter (sigma {sigma} px, tuned on validation)",
            data.test,
            B.gaussian_filter_denoise(noisy, sigma),
        ),
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
        ``{"models", "histories", "rows", "codes": {name: test codes}, "headline"}``.
    """
    rows, codes, models, hists = [], {}, {}, {}
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
        rows.append({**score_row(label, data.test, predict(model, data.test)), **activity})
    headline = {
        "sparse_fraction_near_zero": rows[1]["fraction_near_zero"],
        "control_fraction_near_zero": rows[0]["fraction_near_zero"],
        "sparse_psnr_db": rows[1]["psnr_db"],
        "control_psnr_db": rows[0]["psnr_db"],
    }
    return {"models": models, "histories": hists, "rows": rows, "codes": codes, "headline": headline}


def jacobian_norms(model, x, *, method: str = "auto", batch: int = 64) -> np.ndarray:
    """Per-image squared Frobenius norm of ``model``'s encoder Jacobian on images ``x``."""
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
        ``{"model", "history", "jacobian_per_batch": {name: values}, "rows", "headline"}``.
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
    rows = [
        score_row(
            f"contractive (weight {weight})",
            data.test,
            predict(model, data.test),
            jacobian_fro_sq=float(np.mean(jacobian_norms(model, sub))),
        )
    ]
    curves = {f"contractive (weight {weight})": batches.values["penalty"]}
    if plain is not None:
        rows.insert(
            0,
            score_row(
                "plain autoencoder",
                data.test,
                predict(plain["model"], data.test),
                jacobian_fro_sq=float(np.mean(jacobian_norms(plain["model"], sub))),
            ),
        )
        curves = {"plain (logged only)": plain["jacobian_per_batch"], **curves}
    headline = {"contractive_jacobian_fro_sq": rows[-1]["jacobian_fro_sq"], "contractive_psnr_db": rows[-1]["psnr_db"]}
    if plain is not None:
        headline["plain_jacobian_fro_sq"] = rows[0]["jacobian_fro_sq"]
    return {"model": model, "history": res.history, "jacobian_per_batch": curves, "rows": rows, "headline": headline}


def run_beta_sweep(
    data: FamilyData,
    cfg: FamilyConfig,
    *,
    betas: Sequence[float] = (0.5, 1.0, 4.0),
    latent_dim: int = 8,
    reconstruction: str = "bernoulli",
) -> dict:
    """Train one β-VAE (:func:`aeutils.models.build_vae`) per β; report reconstruction and KL separately.

    Rows per β: test ``reconstruction_nats`` and ``kl_nats`` per image (one
    posterior sample, as the VAE logs them), their β-weighted sum, the PSNR of
    the mean reconstruction, and the active units (latent means whose variance
    over the test set exceeds 0.01).

    Returns:
        ``{"rows", "histories", "reconstructions": {beta: images}}``.
    """
    rows, hists, recons = [], {}, {}
    for beta in betas:
        vae = seeded_autoencoder(
            cfg,
            data,
            Mo.build_vae,
            latent_dim=latent_dim,
            beta=float(beta),
            reconstruction=reconstruction,
            seed=cfg.seed,
        )
        res = train(vae, data.train, cfg, validation=data.val, compile_model=False)
        ev = vae.evaluate(data.test, batch_size=256, verbose=0, return_dict=True)
        z_mean = vae.encode_mean(data.test)
        recon = predict(vae, data.test)
        rows.append(
            {
                "beta": float(beta),
                "reconstruction_nats": float(ev["reconstruction_loss"]),
                "kl_nats": float(ev["kl_loss"]),
                "loss": float(ev["loss"]),
                "psnr_db": M.image_scores(data.test, recon)["psnr_db"],
                "active_units": int((z_mean.var(axis=0) > 0.01).sum()),
                "latent_dim": latent_dim,
            }
        )
        hists[float(beta)] = res.history
        recons[float(beta)] = recon[data.example_index()]
    return {"rows": rows, "histories": hists, "reconstructions": recons}
