"""The autoencoder family and its applications (source report 5), shared by notebook and benchmark.

Each ``run_*`` function trains what it needs on a :class:`FamilyData` split and
returns a result dict: ``rows`` (a table: the method beside its baseline),
``headline`` (a few numbers) and arrays for the figures. Models come from
:mod:`aeutils.models` (:func:`~aeutils.models.build_encoder_decoder` and the
variants built on it), scores and baselines from :mod:`aeutils.applications`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np

from aeutils import applications as A
from aeutils import data as D
from aeutils import metrics as M
from aeutils import models as Mo
from aeutils.train import fit, predict, set_seed


def parse_list(text: str, kind=int) -> tuple:
    """Parse a comma-separated notebook parameter such as ``"16,32"`` into a tuple of ``kind``.

    Raises:
        ValueError: an empty list or an item that is not a ``kind``.

    Example:
    >>> parse_list("16, 32"), parse_list("0.5,1", float)
    ((16, 32), (0.5, 1.0))
    """
    try:
        items = tuple(kind(v) for v in str(text).split(",") if v.strip())
    except ValueError as err:
        raise ValueError(f"cannot read {text!r} as a comma-separated list of {kind.__name__}") from err
    if not items:
        raise ValueError(f"empty list {text!r}")
    return items


@dataclasses.dataclass
class FamilyData:
    """Images in [0, 1] with labels, split train/validation/test by :func:`aeutils.data.split_indices`.

    Attributes:
        images: all images ``(N, H, W, C)``.
        labels: int labels ``(N,)`` or ``None``.
        source: where the images came from, and the split.
        fractions: train/validation/test fractions.
        seed: split seed.
    """

    images: np.ndarray
    labels: np.ndarray | None
    source: str
    fractions: tuple[float, float, float] = (0.8, 0.1, 0.1)
    seed: int = 42

    def __post_init__(self):
        self.parts = D.split_indices(len(self.images), self.fractions, seed=self.seed)

    @property
    def train(self) -> np.ndarray:
        return self.images[self.parts[0]]

    @property
    def val(self) -> np.ndarray:
        return self.images[self.parts[1]]

    @property
    def test(self) -> np.ndarray:
        return self.images[self.parts[2]]

    def part_labels(self, part: int) -> np.ndarray:
        """Labels of part 0 (train), 1 (validation) or 2 (test).

        Raises:
            ValueError: the set has no labels.
        """
        if self.labels is None:
            raise ValueError(f"{self.source} has no labels")
        return self.labels[self.parts[part]]

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(self.images.shape[1:])

    def example_index(self, n: int = 8, total: int | None = None) -> np.ndarray:
        """``n`` test-image indices spread evenly over the test part (or over its first ``total``), for figures.

        Sets stored by class (e.g. the embedded MNIST) would otherwise show one class only.
        """
        total = len(self.parts[2]) if total is None else min(total, len(self.parts[2]))
        return np.unique(np.linspace(0, total - 1, min(n, total)).round().astype(int))

    @property
    def test_examples(self) -> np.ndarray:
        """The test images at :meth:`example_index`."""
        return self.test[self.example_index()]


def prepare(
    dataset: str,
    *,
    limit: int | None = None,
    seed: int = 42,
    size: int | None = None,
    grayscale: bool = False,
    fractions=(0.8, 0.1, 0.1),
) -> FamilyData:
    """Load ``dataset`` (any :func:`aeutils.data.load` source) and split it 80/10/10 with ``seed``.

    Args:
        dataset: e.g. ``"embedded:mnist5000"`` or ``"npz:../shared/data/mnist.npz"``.
        limit: keep at most this many images (random, seeded).
        seed: sampling and split seed.
        size: resize to this side (``None`` keeps the size).
        grayscale: convert to one channel.
        fractions: train/validation/test fractions.

    Returns:
        A :class:`FamilyData`.

    Raises:
        aeutils.data.DataError: as :func:`aeutils.data.load`, or too few images to split.
    """
    ds = D.load(dataset, limit=limit, seed=seed, size=size, grayscale=grayscale)
    out = FamilyData(ds.images, ds.labels, "", tuple(fractions), seed)
    n = [len(p) for p in out.parts]
    out.source = f"{ds.source}; {n[0]}/{n[1]}/{n[2]} train/val/test split, seed {seed}"
    return out


@dataclasses.dataclass
class FamilyConfig:
    """Training settings shared by every model of the study.

    Attributes:
        latent_dim: code size; ``None`` (denoising and inpainting only) for a
            convolutional code without a dense bottleneck.
        filters: encoder stages (stride 2 each); the decoder mirrors them.
        epochs, batch_size, learning_rate: Adam training.
        seed: weights, shuffling, corruption and test noise.
    """

    latent_dim: int | None = 32
    filters: tuple[int, ...] = (16, 32)
    epochs: int = 8
    batch_size: int = 32
    learning_rate: float = 2e-3
    seed: int = 42

    def replace(self, **changes) -> FamilyConfig:
        """A copy with some fields changed."""
        return dataclasses.replace(self, **changes)


def train(model, x, cfg: FamilyConfig, *, y=None, validation=None, compile_model: bool = True, callbacks=()):
    """Train with :func:`aeutils.train.fit` (best validation weights kept); ``y=None`` is an autoencoder.

    Args:
        model: a model or a function building one.
        x: inputs; y: targets (``None``: ``x``).
        cfg: epochs, batch size, learning rate and seed.
        validation: ``x_val`` or ``(x_val, y_val)``.
        compile_model: ``False`` for models with their own ``train_step``.
        callbacks: extra callbacks.

    Returns:
        A :class:`aeutils.train.TrainResult`.
    """
    return fit(
        model,
        x,
        y,
        validation_data=validation,
        epochs=cfg.epochs,
        batch_size=cfg.batch_size,
        learning_rate=cfg.learning_rate,
        seed=cfg.seed,
        verbose=0,
        compile_model=compile_model,
        callbacks=callbacks,
    )


def _seeded(cfg: FamilyConfig, build, **kwargs):
    """Seed everything with ``cfg.seed``, then build: initial weights do not depend on what ran before."""
    set_seed(cfg.seed)
    return build(**kwargs)


def _seeded_autoencoder(cfg: FamilyConfig, data: FamilyData, build, **kwargs):
    """:func:`_seeded` for the encoder/decoder builders: image shape, code size and filters from ``data``, ``cfg``."""
    shared = {"input_shape": data.shape, "latent_dim": cfg.latent_dim, "filters": cfg.filters}
    return _seeded(cfg, build, **{**shared, **kwargs})


def encoder_of(model):
    """The encoder sub-model of a family model (attribute ``encoder`` or layer ``"encoder"``)."""
    enc = getattr(model, "encoder", None)
    return enc if enc is not None else model.get_layer("encoder")


def encode(model, x, *, batch_size: int = 256) -> np.ndarray:
    """Codes of images ``x`` from a family model's encoder (NumPy)."""
    return predict(encoder_of(model), x, batch_size=batch_size)


def _score_row(name: str, truth, estimate, **extra) -> dict:
    return {"method": name, **A.image_scores(truth, estimate), **extra}


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
    model = _seeded_autoencoder(
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
        _score_row("plain autoencoder", data.test, recon, code_size=cfg.latent_dim),
        _score_row(f"PCA ({k} components)", data.test, M.pca_baseline(data.train, data.test, k), code_size=k),
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
    model = _seeded_autoencoder(
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
    sigma = A.tune_gaussian_filter(val_noisy, data.val)
    rows = [
        _score_row("noisy input", data.test, noisy),
        _score_row(
            f"Gaussian filter (sigma {sigma} px, tuned on validation)",
            data.test,
            A.gaussian_filter_denoise(noisy, sigma),
        ),
    ]
    if plain is not None:
        rows.append(_score_row("plain autoencoder on noisy input", data.test, predict(plain, noisy)))
    ex = data.example_index()
    code = "conv code" if cfg.latent_dim is None else f"code {cfg.latent_dim}"
    rows.append(_score_row(f"denoising autoencoder ({kind} {strength}, {code})", data.test, denoised))
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


def activity_stats(codes, threshold: float = 0.01) -> dict:
    """Sparsity of a set of codes ``(N, units)``.

    Returns:
        ``{"mean_activation"``: mean ``|z|``, ``"fraction_near_zero"``: share of
        values with ``|z| < threshold``, ``"dead_units"``: units below the
        threshold on every image, ``"mean_active_units"``: units at or above it per image``}``.
    """
    z = np.abs(np.asarray(codes, dtype=np.float64))
    near = z < threshold
    return {
        "mean_activation": float(z.mean()),
        "fraction_near_zero": float(near.mean()),
        "dead_units": int(near.all(axis=0).sum()),
        "mean_active_units": float((~near).sum(axis=1).mean()),
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
        model = _seeded_autoencoder(
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
        rows.append({**_score_row(label, data.test, predict(model, data.test)), **activity_stats(z, threshold)})
    headline = {
        "sparse_fraction_near_zero": rows[1]["fraction_near_zero"],
        "control_fraction_near_zero": rows[0]["fraction_near_zero"],
        "sparse_psnr_db": rows[1]["psnr_db"],
        "control_psnr_db": rows[0]["psnr_db"],
    }
    return {"models": models, "histories": hists, "rows": rows, "codes": codes, "headline": headline}


def jacobian_norms(model, x, *, method: str = "auto", batch: int = 64) -> np.ndarray:
    """Per-image squared Frobenius norm of ``model``'s encoder Jacobian on images ``x``."""
    enc = encoder_of(model)
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
    model = _seeded_autoencoder(
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
        _score_row(
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
            _score_row(
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
        vae = _seeded_autoencoder(
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
                "psnr_db": A.image_scores(data.test, recon)["psnr_db"],
                "active_units": int((z_mean.var(axis=0) > 0.01).sum()),
                "latent_dim": latent_dim,
            }
        )
        hists[float(beta)] = res.history
        recons[float(beta)] = recon[data.example_index()]
    return {"rows": rows, "histories": hists, "reconstructions": recons}


# ---------------------------------------------------------------------------
# Applications
# ---------------------------------------------------------------------------


def run_anomaly(
    data: FamilyData,
    cfg: FamilyConfig,
    *,
    normal: int = 0,
    fpr: float = 0.05,
    score: str = "mse",
    window: int = 5,
) -> dict:
    """One-class anomaly detection: train on class ``normal`` only, score the test set by reconstruction error.

    The threshold is set on the validation part's normal images for a
    false-positive rate ``fpr`` (:func:`aeutils.applications.anomaly_report`).
    Baseline: PCA's reconstruction error with as many components as the code,
    scored the same way.

    Args:
        normal: the normal class.
        fpr: false-positive rate the threshold is set for.
        score: ``"mse"`` (the whole image) or ``"local_max"`` (the worst
            ``window x window`` patch of the squared error); see
            :func:`aeutils.applications.error_score`. On full MNIST (about 5,500
            training images per digit, code 16, 10 epochs) ``local_max`` raised
            the autoencoder's AUROC on seven of the ten digits (mean 0.956 to
            0.960) but lowered PCA's (0.949 to 0.943); with 240 training images
            per digit it lowered the autoencoder's (0.902 to 0.872), so ``mse``
            is the default.
        window: patch side for ``"local_max"``.

    Returns:
        ``{"rows", "roc": {name: (fpr, tpr)}, "headline", "model"}``.

    Raises:
        ValueError: no labels, an unknown score, or a class missing from a part.
    """
    if data.labels is None:
        raise ValueError(f"anomaly detection needs labels; {data.source} has none")
    if score not in A.ERROR_SCORES:
        raise ValueError(f"unknown score {score!r}; choose from {A.ERROR_SCORES}")
    split = A.one_class_split(data.labels, normal, fractions=data.fractions, seed=data.seed)
    x_tr, x_va, x_te = (data.images[split[p]] for p in ("train", "val", "test"))
    y = split["test_is_anomaly"]
    model = _seeded_autoencoder(cfg, data, Mo.build_plain_autoencoder)
    train(model, x_tr, cfg, validation=x_va)
    k = min(cfg.latent_dim, len(x_tr) - 1)
    how = {"score": score, "window": window}
    scores = {
        f"autoencoder (code {cfg.latent_dim})": (
            A.reconstruction_errors(model, x_va, **how),
            A.reconstruction_errors(model, x_te, **how),
        ),
        f"PCA ({k} components)": (
            A.pca_reconstruction_errors(x_tr, x_va, k, **how),
            A.pca_reconstruction_errors(x_tr, x_te, k, **how),
        ),
    }
    score_name = score if score == "mse" else f"{score} {window}x{window}"
    rows, roc = [], {}
    for name, (val_s, test_s) in scores.items():
        rep = A.anomaly_report(val_s, test_s, y, fpr=fpr)
        rows.append({"method": name, "normal_class": normal, "score": score_name, **rep})
        roc[f"{name}: AUROC {rep['auroc']:.3f}"] = A.roc_points(test_s, y)
    headline = {"auroc": rows[0]["auroc"], "auprc": rows[0]["auprc"], "pca_auroc": rows[1]["auroc"]}
    return {"rows": rows, "roc": roc, "headline": headline, "model": model}


def run_inpainting(
    data: FamilyData,
    cfg: FamilyConfig,
    *,
    kind: str = "pixels",
    fraction: float = 0.5,
    max_biharmonic: int | None = 2000,
    filters: int = 32,
    convs: int = 4,
    sigma: float = 1.0,
) -> dict:
    """Fill missing pixels with an inpainting network trained on the same kind of masks; score the missing pixels only.

    The network (:func:`aeutils.models.build_inpainter`) sees the mask as an
    extra input channel and learns a correction to a normalised-convolution
    fill computed in its graph; it is fully convolutional (no bottleneck:
    ``cfg.latent_dim`` and ``cfg.filters`` are not used) and keeps the observed
    pixels. It trains on the training images with fresh random masks each
    batch; the best epoch is chosen on validation images with fixed masks.
    Baselines: per-pixel training mean, normalised convolution alone (the
    network's starting point) and scikit-image's biharmonic inpainting.

    Args:
        kind: ``"pixels"`` or ``"block"``.
        fraction: share of missing pixels.
        max_biharmonic: score every method on at most this many test images
            (biharmonic inpainting is slow); ``None`` for all.
        filters, convs: width and depth of the network's full-resolution convolutions.
        sigma: blur of the normalised convolution, in pixels.

    Returns:
        ``{"model", "history", "rows", "headline", "examples": {"masked", "mean_fill", "biharmonic",
        "autoencoder", "truth"}}``.
    """
    model = _seeded(
        cfg,
        Mo.build_inpainter,
        input_shape=data.shape,
        filters=filters,
        convs=convs,
        kind=kind,
        fraction=fraction,
        sigma=sigma,
        seed=cfg.seed,
    )
    val_mask = A.make_mask(data.val.shape, kind=kind, fraction=fraction, seed=cfg.seed + 1)
    res = train(
        model,
        A.inpainting_input(data.train),
        cfg,
        y=data.train,
        validation=(A.inpainting_input(data.val, val_mask), data.val),
    )
    test = data.test[:max_biharmonic] if max_biharmonic else data.test
    mask = A.make_mask(test.shape, kind=kind, fraction=fraction, seed=cfg.seed + 2)
    observed = A.apply_mask(test, mask)
    filled = {
        "mean fill (per-pixel training mean)": A.mean_fill(observed, mask, train_images=data.train),
        f"normalised convolution (sigma {sigma} px)": A.normalized_convolution_fill(observed, mask, sigma=sigma),
        "biharmonic (scikit-image)": A.biharmonic_fill(observed, mask),
        f"inpainting network (mask channel, {convs} x {filters} convs)": A.composite(
            observed, predict(model, A.inpainting_input(observed, mask)), mask
        ),
    }
    rows = [
        {
            "method": name,
            "masked_mse": float(np.nanmean(A.masked_mse(test, est, mask))),
            "masked_psnr_db": float(np.nanmean(A.masked_psnr(test, est, mask))),
            "mask": kind,
            "fraction": fraction,
            "n_images": len(test),
        }
        for name, est in filled.items()
    ]
    headline = {
        "ae_masked_psnr_db": rows[3]["masked_psnr_db"],
        "biharmonic_masked_psnr_db": rows[2]["masked_psnr_db"],
        "normalized_convolution_masked_psnr_db": rows[1]["masked_psnr_db"],
        "mean_fill_masked_psnr_db": rows[0]["masked_psnr_db"],
    }
    ex = data.example_index(total=len(test))
    est = list(filled.values())
    ex = {
        "masked": observed[ex],
        "mean_fill": est[0][ex],
        "biharmonic": est[2][ex],
        "autoencoder": est[3][ex],
        "truth": test[ex],
    }
    return {"model": model, "history": res.history, "rows": rows, "headline": headline, "examples": ex}


def run_super_resolution(
    data: FamilyData, cfg: FamilyConfig, *, factor: int = 2, filters: int = 64, convs: int = 5
) -> dict:
    """Train :func:`aeutils.models.build_super_resolution` on (area-downscaled, original) pairs; compare with bicubic.

    Returns:
        ``{"model", "history", "rows", "headline", "examples": {"low_res", "bicubic", "ours", "truth"}}``.
    """
    lo_tr, lo_va, lo_te = (A.downscale(x, factor) for x in (data.train, data.val, data.test))
    model = _seeded(
        cfg, Mo.build_super_resolution, low_res_shape=lo_tr.shape[1:], factor=factor, filters=filters, convs=convs
    )
    res = train(model, lo_tr, cfg, y=data.train, validation=(lo_va, data.val))
    ours = np.clip(predict(model, lo_te), 0.0, 1.0)
    bicubic = A.bicubic_upscale(lo_te, factor)
    rows = [_score_row(f"bicubic x{factor}", data.test, bicubic), _score_row(f"ours x{factor}", data.test, ours)]
    for row in rows:
        # The mean of per-image PSNRs weighs near-flat images (50+ dB) heavily; the
        # PSNR of the mean MSE is the set-level figure.
        row["psnr_of_mean_mse_db"] = float(10 * np.log10(1.0 / max(row["mse"], 1e-10)))
    headline = {
        "bicubic_psnr_db": rows[0]["psnr_db"],
        "sr_psnr_db": rows[1]["psnr_db"],
        "sr_gain_db": rows[1]["psnr_db"] - rows[0]["psnr_db"],
    }
    ex = data.example_index()
    ex = {"low_res": lo_te[ex], "bicubic": bicubic[ex], "ours": ours[ex], "truth": data.test[ex]}
    return {"model": model, "history": res.history, "rows": rows, "headline": headline, "examples": ex}


def run_probes(data: FamilyData, model, *, max_train: int | None = 10_000, seed: int = 0) -> dict:
    """Linear probes (logistic regression) on the model's codes, PCA codes of the same size, and raw pixels.

    Train on the training part (at most ``max_train`` images), score on the test part.

    Returns:
        ``{"rows", "headline"}``.

    Raises:
        ValueError: the data have no labels.
    """
    y_tr, y_te = data.part_labels(0), data.part_labels(2)
    x_tr, x_te = data.train, data.test
    if max_train and len(x_tr) > max_train:
        keep = np.sort(np.random.default_rng(seed).choice(len(x_tr), max_train, replace=False))
        x_tr, y_tr = x_tr[keep], y_tr[keep]
    rows = A.probe_comparison(encode(model, x_tr), encode(model, x_te), x_tr, x_te, y_tr, y_te, seed=seed)
    headline = {"probe_ae": rows[0]["accuracy"], "probe_pca": rows[1]["accuracy"], "probe_pixels": rows[2]["accuracy"]}
    return {"rows": rows, "headline": headline}


def run_code_sizes(
    data: FamilyData, cfg: FamilyConfig, *, sizes: Sequence[int] = (2, 8, 32), reuse: dict | None = None
) -> dict:
    """Reconstruction error against code size: one plain autoencoder per size versus PCA.

    Args:
        sizes: code sizes.
        reuse: ``{size: trained model}`` to skip retraining (e.g. the plain autoencoder).

    Returns:
        ``{"rows", "curves": {name: (sizes, psnr)}, "embedding": 2-D test codes or None,
        "pca_embedding": 2-D PCA test codes}``.
    """
    reuse = dict(reuse or {})
    pca_rows = {r["code_size"]: r for r in A.pca_curve(data.train, data.test, sizes, seed=cfg.seed)}
    rows, embedding = [], None
    for k in sizes:
        model = reuse.get(k)
        if model is None:
            model = _seeded_autoencoder(cfg, data, Mo.build_plain_autoencoder, latent_dim=int(k))
            train(model, data.train, cfg.replace(latent_dim=int(k)), validation=data.val)
        s = A.image_scores(data.test, predict(model, data.test))
        row = {"code_size": int(k), "ae_mse": s["mse"], "ae_psnr_db": s["psnr_db"]}
        if k in pca_rows:
            row.update({"pca_mse": pca_rows[k]["mse"], "pca_psnr_db": pca_rows[k]["psnr_db"]})
        rows.append(row)
        if k == 2:
            embedding = encode(model, data.test)
    curves = {
        "autoencoder": ([r["code_size"] for r in rows], [r["ae_psnr_db"] for r in rows]),
        "PCA": (
            [r["code_size"] for r in rows if "pca_psnr_db" in r],
            [r["pca_psnr_db"] for r in rows if "pca_psnr_db" in r],
        ),
    }
    pca_embedding = A.pca_codes(data.train, data.test, 2, seed=cfg.seed)[1]
    return {"rows": rows, "curves": curves, "embedding": embedding, "pca_embedding": pca_embedding}
