"""The applications: anomaly detection, inpainting, super-resolution, linear probes, dimension reduction."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from aeutils import applications as A
from aeutils import baselines as B
from aeutils import data as D
from aeutils import metrics as M
from aeutils import models as Mo
from aeutils.latent import encode
from aeutils.models.restoration import log_mse
from aeutils.params import parse_list
from aeutils.studies.autoencoder_family.protocol import (
    SR_LOSSES,
    FamilyConfig,
    FamilyData,
    psnr_values,
    score_row,
    seeded_autoencoder,
    train,
)
from aeutils.train import predict, restart

#: Neighbours of the anomaly detector's kNN density score.
ANOMALY_K = 5

#: :func:`run_anomaly`'s five scores in row order (the detector first), each named once: its short key (the
#: per-class table's column) and its long label (the rows' ``method``), filled in with the run's code size
#: ``code``, PCA components ``n_pca`` and kNN ``knn``.
ANOMALY_SCORES = {
    "autoencoder kNN (ours)": "autoencoder: {knn}, encoder features",
    "autoencoder reconstruction": "autoencoder (code {code}): reconstruction error",
    "PCA reconstruction": "PCA ({n_pca} components): reconstruction error",
    "kNN on PCA codes": "PCA ({n_pca} components): {knn}, PCA codes",
    "kNN on pixels": "raw pixels: {knn}",
}
#: The short keys of :data:`ANOMALY_SCORES`, in row order.
ANOMALY_SHORT = tuple(ANOMALY_SCORES)
#: The scores the detector's claim is compared with (:func:`run_anomaly`'s ``baselines``).
ANOMALY_BASELINES = ("PCA reconstruction", "kNN on PCA codes", "kNN on pixels")

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
    fractions: tuple[float, float, float] | None = None,
    k: int = ANOMALY_K,
    start=None,
) -> dict:
    """One-class anomaly detection: train an autoencoder on class ``normal`` only, score the test set by density.

    The detector is :func:`aeutils.applications.knn_scores` in the encoder's features
    (:func:`aeutils.applications.encoder_features`: its last convolutional feature map): each
    image's mean cosine distance to its ``k`` nearest training normals there, a latent density
    estimate. Beside it, scored on the same images: the autoencoder's reconstruction error
    (``score``), and the baselines PCA's reconstruction error with as many components as the code,
    the same kNN on those PCA codes, and the same kNN on the raw pixels. Every threshold is set on
    the validation part's normal images for a false-positive rate ``fpr``
    (:func:`aeutils.applications.anomaly_report`).

    On the embedded digits (about 300 normal training digits, digits 0, 2, 5 and 8) the encoder
    kNN averaged AUROC 0.983 against 0.925 for the reconstruction error, 0.934 for PCA's
    reconstruction error, 0.946 for the same kNN on the 16-value code and 0.974 with the
    reconstruction error added to it (each standardised on validation normals).

    Args:
        normal: the normal class.
        fpr: false-positive rate the threshold is set for.
        score: the reconstruction error of the second and third rows: ``"mse"`` (the whole image)
            or ``"local_max"`` (the worst ``window x window`` patch of the squared error); see
            :func:`aeutils.applications.error_score`. On full MNIST (about 5,500 training images
            per digit, code 16, 10 epochs) ``local_max`` raised the autoencoder's AUROC on seven
            of the ten digits (mean 0.956 to 0.960) but lowered PCA's (0.949 to 0.943); with 240
            training images per digit it lowered the autoencoder's (0.902 to 0.872), so ``mse``
            is the default.
        window: patch side for ``"local_max"``.
        fractions: train/validation/test fractions of the one-class split (default: the
            data's). A larger test share buys more normal test images, so that the
            false-positive rate is measured in finer steps (100 normal images: steps of 1%).
        k: neighbours of the kNN scores.
        start: ``(model, weights)`` of an earlier run's ``"start"``: its compiled detector is
            :func:`aeutils.train.restart`-ed from ``weights`` (those a new one would be built with)
            instead of building one, which keeps its traced training step; the results are the same.

    Returns:
        ``{"rows", "roc": {name: (fpr, tpr)}, "headline", "model", "start", "scores": {name: test scores},
        "is_anomaly", "labels", "auroc", "detector", "baselines"}``: ``scores`` in row order (the
        encoder kNN first) under the long labels, ``labels`` each score's long label under its
        :data:`ANOMALY_SCORES` short key, ``auroc`` each score's AUROC under its short key,
        ``detector`` the encoder kNN's label, ``baselines`` the labels of the PCA and pixel rows
        its claim is compared with.

    Raises:
        ValueError: no labels, an unknown score, or a class missing from a part.
    """
    if data.labels is None:
        raise ValueError(f"anomaly detection needs labels; {data.source} has none")
    if score not in M.ERROR_SCORES:
        raise ValueError(f"unknown score {score!r}; choose from {M.ERROR_SCORES}")
    split = A.one_class_split(data.labels, normal, fractions=fractions or data.fractions, seed=data.seed)
    x_tr, x_va, x_te = (data.images[split[p]] for p in ("train", "val", "test"))
    y = split["test_is_anomaly"]
    if start is None:
        model = seeded_autoencoder(cfg, data, Mo.build_plain_autoencoder)
        start = (model, model.get_weights())
    else:
        model = restart(start[0], start[1], cfg.learning_rate)
    train(model, x_tr, cfg, validation=x_va, compile_model=not model.compiled)
    n_pca = min(cfg.latent_dim, len(x_tr) - 1)
    k = min(k, len(x_tr))
    how = {"score": score, "window": window}
    basis = B.fit_pca(x_tr, n_pca, seed=cfg.seed, solver="randomized")
    err = score if score == "mse" else f"{score} {window}x{window}"
    knn = f"kNN, cosine, k = {k}"
    labels = {s: text.format(knn=knn, code=cfg.latent_dim, n_pca=n_pca) for s, text in ANOMALY_SCORES.items()}
    scores = {  # short key: (validation scores, test scores)
        "autoencoder kNN (ours)": A.knn_scores(x_tr, x_va, x_te, features=lambda x: A.encoder_features(model, x), k=k),
        "autoencoder reconstruction": (
            A.reconstruction_errors(model, x_va, **how),
            A.reconstruction_errors(model, x_te, **how),
        ),
        "PCA reconstruction": (
            A.pca_reconstruction_errors(x_tr, x_va, n_pca, **how),
            A.pca_reconstruction_errors(x_tr, x_te, n_pca, **how),
        ),
        "kNN on PCA codes": A.knn_scores(x_tr, x_va, x_te, features=basis.encode, k=k),
        "kNN on pixels": A.knn_scores(x_tr, x_va, x_te, k=k),
    }
    rows, roc, auroc = [], {}, {}
    for key in ANOMALY_SHORT:
        val_s, test_s = scores[key]
        rep = M.anomaly_report(val_s, test_s, y, fpr=fpr)
        kind = err if "reconstruction" in key else f"kNN (k = {k})"
        rows.append({"method": labels[key], "normal_class": normal, "score": kind, **rep})
        roc[f"{labels[key]}: AUROC {rep['auroc']:.3f}"] = M.roc_points(test_s, y)
        auroc[key] = rep["auroc"]
    detector = ANOMALY_SHORT[0]
    headline = {
        "auroc": auroc[detector],
        "auprc": rows[0]["auprc"],  # the detector's row
        "reconstruction_auroc": auroc["autoencoder reconstruction"],
        "pca_auroc": max(auroc["PCA reconstruction"], auroc["kNN on PCA codes"]),
        "pixels_knn_auroc": auroc["kNN on pixels"],
    }
    return {
        "rows": rows,
        "roc": roc,
        "headline": headline,
        "model": model,
        "start": start,
        "scores": {labels[key]: scores[key][1] for key in ANOMALY_SHORT},
        "is_anomaly": y,
        "labels": labels,
        "auroc": auroc,
        "detector": labels[detector],
        "baselines": [labels[key] for key in ANOMALY_BASELINES],
    }


def normal_classes(spec, labels) -> tuple[int, ...]:
    """The classes of the ``normal_class`` parameter: ``"all"`` (every class in ``labels``) or e.g. ``"3"``, ``"0,8"``.

    Raises:
        ValueError: a spec that does not parse, or a class not among the labels (the message lists them).

    Example:
    >>> normal_classes("all", [2, 0, 1, 0]), normal_classes("2, 0", [2, 0, 1]), normal_classes(1, [0, 1])
    ((0, 1, 2), (2, 0), (1,))
    """
    present = tuple(int(c) for c in np.unique(np.asarray(labels)))
    if str(spec).strip().lower() == "all":
        return present
    chosen = parse_list(str(spec), int, name="normal_class")
    missing = [c for c in chosen if c not in present]
    if missing:
        raise ValueError(f"normal_class {missing[0]} is not a class of the data; its classes: {present}")
    return tuple(dict.fromkeys(chosen))


def run_anomaly_classes(data: FamilyData, cfg: FamilyConfig, *, classes: Sequence[int], **kwargs) -> dict:
    """:func:`run_anomaly` for each normal class in turn (the usual one-against-the-rest protocol), and the means.

    Each class gets its own detector, trained on that class only from the same start, and its own
    baselines; the mean AUROC over the classes is what one-class MNIST results report. The detectors
    are one model restarted for each class (``start`` of :func:`run_anomaly`), which saves its tracing
    for every class but the first; at the end it holds the weakest class's weights (``"model"``).

    Args:
        classes: the normal classes (e.g. :func:`normal_classes`).
        kwargs: passed to :func:`run_anomaly` (``fpr``, ``score``, ``fractions``, ...).

    Returns:
        ``{"per_class": {class: run_anomaly result}, "classes", "by_class"`` (a table: one row per
        class with each score's AUROC under its :data:`ANOMALY_SCORES` short key, then a ``"mean"``
        row), ``"auroc"`` (``{class: {label: AUROC}}``) and ``"mean_auroc"`` (``{label: mean AUROC}``)
        under the long labels of the first class's run, ``"weakest"`` (the class where the
        detector's AUROC is lowest), ``"headline"``, ``"detector"``, ``"baselines"``, ``"model"``
        (the weakest class's detector)``}``.

    Raises:
        ValueError: no classes, or as :func:`run_anomaly`.
    """
    if not classes:
        raise ValueError("need at least one normal class")
    per_class, start, weights = {}, None, {}
    for c in classes:
        per_class[int(c)] = res = run_anomaly(data, cfg, normal=int(c), start=start, **kwargs)
        start, weights[int(c)] = res["start"], res["model"].get_weights()
    first = next(iter(per_class.values()))
    labels = first["labels"]  # a class with fewer training images may have fewer PCA components in its labels
    by_class = [{"normal_class": c, **res["auroc"]} for c, res in per_class.items()]
    mean = {key: float(np.mean([res["auroc"][key] for res in per_class.values()])) for key in ANOMALY_SHORT}
    by_class.append({"normal_class": "mean", **mean})
    ours = ANOMALY_SHORT[0]
    weakest = min(per_class, key=lambda c: per_class[c]["auroc"][ours])
    start[0].set_weights(weights[weakest])
    keys = ("auroc", "reconstruction_auroc", "pca_auroc", "pixels_knn_auroc")
    headline = {k: float(np.mean([res["headline"][k] for res in per_class.values()])) for k in keys}
    headline.update(n_classes=len(per_class), weakest_class=weakest, weakest_auroc=per_class[weakest]["auroc"][ours])
    return {
        "per_class": per_class,
        "classes": list(per_class),
        "by_class": by_class,
        "auroc": {c: {labels[key]: res["auroc"][key] for key in ANOMALY_SHORT} for c, res in per_class.items()},
        "mean_auroc": {labels[key]: mean[key] for key in ANOMALY_SHORT},
        "weakest": weakest,
        "headline": headline,
        "detector": first["detector"],
        "baselines": first["baselines"],
        "model": per_class[weakest]["model"],
    }


def run_inpainting(
    data: FamilyData,
    cfg: FamilyConfig,
    *,
    kind: str = "pixels",
    fraction: float = 0.5,
    max_biharmonic: int | None = 2000,
    filters: int = 32,
    convs: int = 4,
    blocks: int = 0,
    dilations: Sequence[int] = (1,),
    sigma: float = 1.0,
    precision: str = "float32",
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
        blocks, dilations: residual blocks after them and their dilation rates, cycled
            (see :func:`aeutils.models.build_inpainter`).
        sigma: blur of the normalised convolution, in pixels.
        precision: of the training (:func:`aeutils.train.fit`): ``"float32"``, ``"mixed_bfloat16"``
            or ``"auto"`` (bfloat16 where the CPU has it natively and it pays).

    Returns:
        ``{"model", "history", "rows", "headline", "examples": {"masked", "mean_fill", "biharmonic",
        "autoencoder", "truth"}, "per_image": {"network", "biharmonic"}, "precision"}`` (PSNR over each
        test image's missing pixels; the precision trained in).
    """
    spec = {"filters": filters, "convs": convs, "blocks": blocks, "dilations": tuple(dilations), "sigma": sigma}
    val_mask = A.make_mask(data.val.shape, kind=kind, fraction=fraction, seed=cfg.seed + 1)
    res = train(
        lambda: Mo.build_inpainter(input_shape=data.shape, kind=kind, fraction=fraction, seed=cfg.seed, **spec),
        A.inpainting_input(data.train),
        cfg,
        y=data.train,
        validation=(A.inpainting_input(data.val, val_mask), data.val),
        precision=precision,
    )
    model = res.model
    test = data.test[:max_biharmonic] if max_biharmonic else data.test
    mask = A.make_mask(test.shape, kind=kind, fraction=fraction, seed=cfg.seed + 2)
    observed = A.apply_mask(test, mask)
    filled = {
        "mean fill (per-pixel training mean)": B.mean_fill(observed, mask, train_images=data.train),
        f"normalised convolution (sigma {sigma} px)": B.normalized_convolution_fill(observed, mask, sigma=sigma),
        "biharmonic (scikit-image)": B.biharmonic_fill(observed, mask),
        f"inpainting network (mask channel, {_inpainter_layout(filters, convs, blocks, dilations)})": B.composite(
            observed, predict(model, A.inpainting_input(observed, mask)), mask
        ),
    }
    masked_psnr = {name: np.asarray(M.masked_psnr(test, est, mask), dtype=np.float64) for name, est in filled.items()}
    rows = [
        {
            "method": name,
            "masked_mse": float(np.nanmean(M.masked_mse(test, est, mask))),
            "masked_psnr_db": float(np.nanmean(masked_psnr[name])),
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
    names = list(filled)
    per_image = {"network": masked_psnr[names[3]], "biharmonic": masked_psnr[names[2]]}
    return {
        "model": model,
        "history": res.history,
        "rows": rows,
        "headline": headline,
        "examples": ex,
        "per_image": per_image,
        "precision": res.precision,
    }


def _inpainter_layout(filters: int, convs: int, blocks: int, dilations: Sequence[int]) -> str:
    """The inpainter's layout for its row name.

    Example:
    >>> _inpainter_layout(64, 2, 3, (1, 2))
    '2 x 64 convs, 3 residual blocks (dilations 1, 2)'
    """
    out = f"{convs} x {filters} convs"
    if blocks:
        out += f", {blocks} residual blocks (dilations {', '.join(str(int(d)) for d in dilations)})"
    return out


def run_super_resolution(
    data: FamilyData,
    cfg: FamilyConfig,
    *,
    factor: int = 2,
    filters: int = 64,
    convs: int = 5,
    blocks: int = 0,
    upsample: str = "transpose",
    loss: str = "log_mse",
    precision: str = "float32",
) -> dict:
    """Train :func:`aeutils.models.build_super_resolution` on (area-downscaled, original) pairs; compare with bicubic.

    Args:
        factor: upscaling factor.
        filters, convs: width and depth of the model's low-resolution convolutions.
        blocks, upsample: residual blocks after them and the upsampling layer
            (see :func:`aeutils.models.build_super_resolution`).
        loss: ``"log_mse"`` (:func:`aeutils.models.restoration.log_mse`, the negative
            per-image PSNR: what the comparison scores) or ``"mse"``. With MSE on the
            embedded photo patches (2,400 training patches, 8 epochs) the set's MSE fell
            (PSNR of the mean MSE 29.5 to 30.4 dB) but the mean per-image PSNR fell too
            (38.8 to 38.4 dB): MSE spends the model on busy patches and adds error to the
            many near-flat ones, where bicubic is at 45 dB and more.
        precision: of the training, as :func:`run_inpainting`'s.

    Returns:
        ``{"model", "history", "rows", "headline", "examples": {"low_res", "bicubic", "ours", "truth"},
        "per_image": {"ours", "bicubic"}, "precision"}`` (per-test-image PSNR; the precision trained in).
    """
    lo_tr, lo_va, lo_te = (A.downscale(x, factor) for x in (data.train, data.val, data.test))
    spec = {"factor": factor, "filters": filters, "convs": convs, "blocks": blocks, "upsample": upsample}
    if loss not in SR_LOSSES:
        raise ValueError(f"loss must be one of {SR_LOSSES}, got {loss!r}")
    res = train(
        lambda: Mo.build_super_resolution(low_res_shape=lo_tr.shape[1:], **spec),
        lo_tr,
        cfg,
        y=data.train,
        validation=(lo_va, data.val),
        loss=log_mse if loss == "log_mse" else loss,
        precision=precision,
    )
    model = res.model
    ours = np.clip(predict(model, lo_te), 0.0, 1.0)
    bicubic = B.bicubic_upscale(lo_te, factor)
    rows = [score_row(f"bicubic x{factor}", data.test, bicubic), score_row(f"ours x{factor}", data.test, ours)]
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
    per_image = {"ours": psnr_values(data.test, ours), "bicubic": psnr_values(data.test, bicubic)}
    return {
        "model": model,
        "history": res.history,
        "rows": rows,
        "headline": headline,
        "examples": ex,
        "per_image": per_image,
        "precision": res.precision,
    }


def run_probes(data: FamilyData, model, *, max_train: int | None = 10_000, seed: int = 0) -> dict:
    """Linear probes (logistic regression) on the model's codes, PCA codes of the same size, and raw pixels.

    Train on the training part (at most ``max_train`` images), score on the test part.

    Returns:
        ``{"rows", "headline", "per_image": {"autoencoder", "pca", "pixels"}}`` (per test image, 1.0
        where the probe is right).

    Raises:
        ValueError: the data have no labels.
    """
    y_tr, y_te = data.part_labels(0), data.part_labels(2)
    x_tr, x_te = data.train, data.test
    if max_train and len(x_tr) > max_train:
        keep = D.subsample(len(x_tr), max_train, seed)
        x_tr, y_tr = x_tr[keep], y_tr[keep]
    correct = {}
    rows = A.probe_comparison(
        encode(model, x_tr), encode(model, x_te), x_tr, x_te, y_tr, y_te, seed=seed, correct=correct
    )
    headline = {"probe_ae": rows[0]["accuracy"], "probe_pca": rows[1]["accuracy"], "probe_pixels": rows[2]["accuracy"]}
    per_image = {"autoencoder": correct["code"] * 1.0, "pca": correct["pca"] * 1.0, "pixels": correct["pixels"] * 1.0}
    return {"rows": rows, "headline": headline, "per_image": per_image}


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
    pca_rows = {r["code_size"]: r for r in B.pca_curve(data.train, data.test, sizes, seed=cfg.seed)}
    rows, embedding = [], None
    for k in sizes:
        model = reuse.get(k)
        if model is None:
            model = seeded_autoencoder(cfg, data, Mo.build_plain_autoencoder, latent_dim=int(k))
            train(model, data.train, cfg.replace(latent_dim=int(k)), validation=data.val)
        s = M.image_scores(data.test, predict(model, data.test))
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
    pca_embedding = B.pca_codes(data.train, data.test, 2, seed=cfg.seed)[1]
    return {"rows": rows, "curves": curves, "embedding": embedding, "pca_embedding": pca_embedding}
