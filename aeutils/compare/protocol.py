"""The protocol: train the three autoencoders on training images only, score every held-out image, decide.

When a set declares near-duplicate groups (``split_groups``, e.g. the tile
position of the stereo motorcycle pair) whole groups stay on one side of every
split (the comparison's and the null control's, whose halves are dealt by
group too), and the tests take the group, not the image, as their unit: each
group's held-out errors (and codes) are averaged first, so the units the tests
count are independent. :func:`split_check` says, from the split actually used,
whether any group sits on both sides.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

import keras
import numpy as np

from aeutils import data as D
from aeutils.compare import model as CM
from aeutils.compare.decision import decision_tests, group_breakdown, unit_means
from aeutils.compare.result import Comparison
from aeutils.compare.sets import (
    PreparedSet,
    check_pair,
    overlap_warning,
    prepare_set,
    resolve_patch,
    set_overlap,
    split_heldout,
)
from aeutils.data.splits import group_split, groups_on_both_sides
from aeutils.params import parse_list
from aeutils.stats import robust_outliers
from aeutils.train import fit


def _progress_callback(label: str, epochs: int, stream):
    """A Keras callback printing one compact progress line per model (updated in place on a terminal)."""

    tty = bool(getattr(stream, "isatty", lambda: False)())

    class Progress(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            loss = (logs or {}).get("loss", float("nan"))
            last = epoch + 1 == epochs
            if tty or last or (epoch + 1) % max(1, epochs // 4) == 0:
                end = "\n" if (last or not tty) else ""
                stream.write(f"\r  {label}: epoch {epoch + 1}/{epochs}  loss {loss:.5f}        {end}")
                stream.flush()

    return Progress()


def _gather_training_inputs(images, patch, stride, *, cap: int | None, seed: int) -> np.ndarray:
    """The training inputs of in-memory images: the patches ``to_patches`` cuts, ``subsample(cap, seed)`` of them.

    Only the kept patches are cut (a 512 px set would otherwise hold all its patches first).
    """
    if not patch and not (cap and len(images) > cap):
        return np.asarray(images, dtype=np.float32)
    stream = D.patch_stream([np.asarray(images, dtype=np.float32)], patch=patch, stride=stride, cap=cap, seed=seed)
    return stream.gather(np.arange(len(stream)))


def _train_and_score(
    a: PreparedSet,
    b: PreparedSet,
    split: dict,
    *,
    settings: dict,
    merged: bool,
    log: Callable[[str], None],
    stream,
) -> dict:
    """Train the models on training images only and score every held-out image with every model."""

    patch, stride = settings["patch"], settings["stride"]
    shape = (patch, patch, a.images.shape[-1]) if patch else a.images.shape[1:]
    streamed = a.streamed or b.streamed
    train_sets = {"A": a.take(split["A"][0]).images, "B": b.take(split["B"][0]).images}
    held = {"A": a.take(split["A"][1]).images, "B": b.take(split["B"][1]).images}
    names = ["A", "B"] + (["merged"] if merged else [])
    models, histories, seconds = {}, {}, {}
    for m in names:
        if streamed:  # the same inputs in the same order, gathered from disk per batch
            x = D.patch_stream(
                [train_sets[k] for k in (("A", "B") if m == "merged" else (m,))],
                patch=patch,
                stride=stride,
                cap=settings["max_train_patches"],
                seed=settings["seed"],
            )
        elif m == "merged":
            x = np.concatenate(
                [
                    _gather_training_inputs(
                        train_sets[k], patch, stride, cap=settings["max_train_patches"], seed=settings["seed"]
                    )
                    for k in ("A", "B")
                ]
            )
        else:
            x = _gather_training_inputs(
                train_sets[m], patch, stride, cap=settings["max_train_patches"], seed=settings["seed"]
            )
        log(f"training autoencoder {m} on {len(x)} {'patches' if patch else 'images'} ({settings['epochs']} epochs)")
        res = fit(
            lambda m=m: CM.build_compare_autoencoder(
                input_shape=shape,
                filters=settings["filters"],
                code_channels=settings["code_channels"],
                name=f"ae_{m}",
            ),
            x,
            epochs=settings["epochs"],
            batch_size=settings["batch_size"],
            learning_rate=settings["learning_rate"],
            restore_best=False,  # no validation data: held-out images never steer training
            seed=settings["seed"],
            verbose=0,
            callbacks=[_progress_callback(f"autoencoder {m}", settings["epochs"], stream)] if stream else [],
        )
        models[m], histories[m], seconds[m] = res.model, res.history, res.seconds
    errors = {}
    for x_name in ("A", "B"):
        for m in names:
            errors[f"{x_name}_by_{m}"] = CM.image_errors(models[m], held[x_name], patch=patch, stride=stride)
    train_errors = {m: CM.image_errors(models[m], train_sets[m], patch=patch, stride=stride) for m in ("A", "B")}
    codes = CM.heldout_codes(models, held, patch=patch, stride=stride) if settings["code_test"] else None
    return {
        "errors": errors,
        "codes": codes,
        "train_errors": train_errors,
        "models": models,
        "histories": histories,
        "train_seconds": seconds,
    }


def split_check(a: PreparedSet, b: PreparedSet, split: dict) -> dict:
    """Whether the split actually used keeps every near-duplicate group on one side.

    Looks at both sets together: a group is *on both sides* when any of its
    images is a training image (of A or B) and any other is held out (of A or B).

    Returns:
        ``{"grouped": bool, "n_groups_train", "n_groups_heldout",
        "groups_on_both_sides": [...], "clean": bool}`` (without split groups
        every image is its own group: ``grouped`` false, ``clean`` true).
    """
    if a.split_groups is None and b.split_groups is None:
        n_tr = len(split["A"][0]) + len(split["B"][0])
        n_te = len(split["A"][1]) + len(split["B"][1])
        return {"grouped": False, "n_groups_train": n_tr, "n_groups_heldout": n_te,
                "groups_on_both_sides": [], "clean": True}
    ga = a.split_groups if a.split_groups is not None else np.array([f"A{i}" for i in a.ids])
    gb = b.split_groups if b.split_groups is not None else np.array([f"B{i}" for i in b.ids])
    labels = np.concatenate([ga, gb])
    off = len(ga)
    train = np.concatenate([split["A"][0], split["B"][0] + off])
    held = np.concatenate([split["A"][1], split["B"][1] + off])
    both = groups_on_both_sides(labels, train, held)
    return {
        "grouped": True,
        "n_groups_train": len(set(labels[train])),
        "n_groups_heldout": len(set(labels[held])),
        "groups_on_both_sides": both,
        "clean": not both,
    }


def _units(errors: dict, codes: dict | None, held: dict[str, PreparedSet]):
    """Per-image held-out errors and codes averaged per near-duplicate group (unchanged without groups)."""
    if all(held[x].split_groups is None for x in ("A", "B")):
        return errors, codes
    out = {}
    for key, v in errors.items():
        s = held[key.split("_by_")[0]]
        out[key] = v if s.split_groups is None else unit_means(v, s.split_groups)[0]
    if codes is not None:
        codes = {
            x: c if held[x].split_groups is None else unit_means(c, held[x].split_groups)[0]
            for x, c in codes.items()
        }
    return out, codes


def _split_pair(a: PreparedSet, b: PreparedSet, heldout: float, seed_a: int, seed_b: int) -> dict:
    return {
        "A": split_heldout(len(a), heldout, seed_a, groups=a.split_groups),
        "B": split_heldout(len(b), heldout, seed_b, groups=b.split_groups),
    }


def compare(
    a,
    b,
    *,
    size: int | None = None,
    grayscale: bool = False,
    limit: int | None = None,
    value_range: tuple[float, float] | None = None,
    groups: str | None = "auto",
    split_groups: str | None = "auto",
    patch: int | None = None,
    stride: int | None = None,
    heldout: float = 0.3,
    epochs: int = 20,
    batch_size: int = 32,
    learning_rate: float = 1e-3,
    filters: Sequence[int] | str = (16, 32),
    code_channels: int = 4,
    max_train_patches: int | None = 20_000,
    memory_budget=D.DEFAULT_MEMORY_BUDGET,
    cache: str | None = None,
    seed: int = 0,
    alpha: float = 0.05,
    merged: bool = True,
    code_test: bool = True,
    null_control: str | None = "A",
    outlier_z: float = 3.5,
    log: Callable[[str], None] | None = print,
    progress=None,
) -> Comparison:
    """Compare two image sets by cross-reconstruction, with a calibrated verdict and a null control.

    Args:
        a, b: the two sets: folders, ``.npz`` files, ``embedded:NAME``,
            :class:`~aeutils.data.ImageSet` or :class:`PreparedSet`.
        size: resize every image to this side (px) first.
        grayscale: convert both sets to one channel.
        limit: at most this many images per set (seeded random subset).
        value_range: the range float inputs are stored in (``.npz`` arrays, float image
            files, arrays), e.g. ``(-1, 1)``; ``None``: ``(0, 1)`` for floats, the type's range
            for integers. Values outside it are refused, never remapped.
        groups: per-image groups, see :func:`image_groups` (default: sub-folders
            or label names when the set has them).
        split_groups: near-duplicate groups kept on one side of every split
            and used as the tests' unit (see :func:`prepare_set`; default: the
            groups the set declares, e.g. tile positions; ``"none"``: images).
        patch: patch side fed to the models; ``0`` feeds whole images;
            ``None``: whole images up to 64 px, else 32 px patches.
        stride: step between patches (default: ``patch``, or 16 with auto patches).
        heldout: fraction of each set held out for scoring (never trained on).
        epochs, batch_size, learning_rate: the training budget of every model.
        filters, code_channels: the architecture, see :func:`build_compare_autoencoder`.
        max_train_patches: train on at most this many patches per set (seeded subset).
        memory_budget: image folders whose decoded images (both sets together, after ``size``
            and ``limit``; half each) exceed this (``"2GiB"``, bytes; ``None``: no limit) stay on
            disk and are decoded per batch by the same decoder, with the same numbers
            (:mod:`aeutils.data.streaming`).
        cache: a folder where streamed sets keep their decoded images (raw float32, as large as
            the decoded set), so epochs read pixels instead of decoding; ``None``: decode each time.
        seed: seeds the splits, the weights and the training order.
        alpha: family-wise level of the decision.
        merged: also train the merged autoencoder (step 2).
        code_test: add the codes test (MMD of the held-out codes) to the decision.
        null_control: ``"A"`` or ``"B"``: repeat the protocol on two random
            halves of that set (must come out "same"); ``None`` skips it.
        outlier_z: robust z-score above which a held-out image is an outlier.
        log: receives one line per stage (``None``: silent).
        progress: a stream for per-epoch progress (e.g. ``sys.stderr``), or ``None``.

    Returns:
        A :class:`Comparison`.

    Raises:
        DataError: bad input (missing or empty folders, unreadable files,
            different channel counts, sets too small to split, bad patch sizes ...).
        ValueError: bad parameters.
    """
    start = time.perf_counter()
    log = log or (lambda _msg: None)
    if epochs < 1 or batch_size < 1 or learning_rate <= 0:
        raise ValueError(
            f"need epochs >= 1, batch_size >= 1, learning_rate > 0; got {epochs}, {batch_size}, {learning_rate}"
        )
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be in (0, 1), got {alpha}")
    if null_control not in (None, "A", "B"):
        raise ValueError(f"null_control must be 'A', 'B' or None, got {null_control!r}")
    filters = parse_list(filters, int, name="filters", positive=True)
    kw = {
        "size": size,
        "grayscale": grayscale,
        "limit": limit,
        "groups": groups,
        "split_groups": split_groups,
        "value_range": value_range,
        "cache": cache,
    }
    budget = D.parse_bytes(memory_budget)
    kw["memory_budget"] = None if budget is None else budget // 2
    sa = prepare_set(a, **kw, seed=seed)
    sb = prepare_set(b, **kw, seed=seed + 1)
    overlap = set_overlap(sa, sb)
    shared_warning = overlap_warning(overlap)
    if shared_warning:
        log(f"warning: {shared_warning}")
    patch, stride = resolve_patch(sa, sb, patch, stride)
    check_pair(sa, sb, patch=patch, stride=stride, heldout=heldout, filters=filters)
    settings = {
        "size": size,
        "grayscale": grayscale,
        "limit": limit,
        "value_range": None if value_range is None else [float(v) for v in value_range],
        "groups": groups,
        "split_groups": split_groups,
        "unit": "image" if sa.split_groups is None and sb.split_groups is None else "near-duplicate group",
        "patch": patch,
        "stride": stride,
        "heldout": heldout,
        "epochs": epochs,
        "batch_size": batch_size,
        "learning_rate": learning_rate,
        "filters": list(filters),
        "code_channels": code_channels,
        "max_train_patches": max_train_patches,
        "memory_budget": memory_budget,
        "streamed": {"A": sa.streamed, "B": sb.streamed},
        "seed": seed,
        "alpha": alpha,
        "merged": merged,
        "code_test": code_test,
        "null_control": null_control,
        "outlier_z": outlier_z,
        "loss": "per-image MSE on [0, 1]",
    }
    split = _split_pair(sa, sb, heldout, seed, seed + 1)
    log(
        f"set A: {sa.name}: {len(sa)} images {sa.images.shape[1:]} ({len(split['A'][0])} train / "
        f"{len(split['A'][1])} held out)"
    )
    log(
        f"set B: {sb.name}: {len(sb)} images {sb.images.shape[1:]} ({len(split['B'][0])} train / "
        f"{len(split['B'][1])} held out)"
    )
    run = _train_and_score(sa, sb, split, settings=settings, merged=merged, log=log, stream=progress)
    held_a, held_b = sa.take(split["A"][1]), sb.take(split["B"][1])
    unit_errors, unit_codes = _units(run["errors"], run["codes"], {"A": held_a, "B": held_b})
    decision = decision_tests(unit_errors, codes=unit_codes, alpha=alpha, seed=seed)
    decision["unit"] = settings["unit"]
    checks = {"comparison": split_check(sa, sb, split)}
    outliers = {
        "A": robust_outliers(run["errors"]["A_by_A"], z=outlier_z),
        "B": robust_outliers(run["errors"]["B_by_B"], z=outlier_z),
    }
    groups_rows = group_breakdown(held_a, held_b, run["errors"], codes=run["codes"], alpha=alpha, seed=seed)
    warnings = [shared_warning] if shared_warning else []
    null = None
    if null_control:
        base = sa if null_control == "A" else sb
        n_half = len(base) // 2
        if base.split_groups is None:
            perm = np.random.default_rng(seed + 2).permutation(len(base))
            halves = (np.sort(perm[:n_half]), np.sort(perm[n_half:]))
        else:  # deal whole near-duplicate groups into the halves
            halves = group_split(base.split_groups, 0.5, seed + 2)
        h1, h2 = base.take(halves[0]), base.take(halves[1])
        try:
            nsplit = _split_pair(h1, h2, heldout, seed + 3, seed + 4)
        except D.DataError:
            nsplit = None
        if nsplit is None:
            warnings.append(
                f"null control skipped: set {null_control} has {len(base)} images, too few for "
                "two halves that can each be split"
            )
        else:
            log(f"null control: two random halves of set {null_control}")
            nrun = _train_and_score(h1, h2, nsplit, settings=settings, merged=False, log=log, stream=progress)
            nheld = {"A": h1.take(nsplit["A"][1]), "B": h2.take(nsplit["B"][1])}
            n_err, n_codes = _units(nrun["errors"], nrun["codes"], nheld)
            ndec = decision_tests(n_err, codes=n_codes, alpha=alpha, seed=seed + 2)
            checks["null_control"] = split_check(h1, h2, nsplit)
            null = {
                "set": null_control,
                "n_images": {"half_1": len(h1), "half_2": len(h2)},
                "p_value": ndec["p_value"],
                "verdict": ndec["verdict"],
                "effect_ratio": ndec["effect_ratio"],
                "preference_auc": ndec["preference_auc"],
                "tests": ndec["tests"],
                "ratios": ndec["ratios"],
                "directions": ndec["directions"],
                "rejected": ndec["rejected"],
                "split": {k: [v.tolist() for v in nsplit[k]] for k in ("A", "B")},
                "passed": ndec["verdict"] == "same",
                "errors": nrun["errors"],
            }
            if not null["passed"]:
                warnings.append(
                    f"the null control (two random halves of set {null_control}) came out 'different' "
                    f"(p = {null['p_value']:.3g}): treat the verdict with suspicion (a chance event at rate "
                    f"alpha, or images that are not independent draws)"
                )
    for name, chk in checks.items():
        if not chk["clean"]:
            warnings.append(
                f"{name}: {len(chk['groups_on_both_sides'])} near-duplicate group(s) on both sides of the split, "
                f"e.g. {chk['groups_on_both_sides'][:3]}: held-out images are not independent of the training images"
            )
    if decision["tests"][0]["n_x"] < 6 or decision["tests"][0]["n_y"] < 6:
        warnings.append(
            "fewer than 6 held-out images in a set: the tests have little power; 'same' means 'no difference detected'"
        )
    result = Comparison(
        a=sa,
        b=sb,
        split=split,
        errors=run["errors"],
        train_errors=run["train_errors"],
        decision=decision,
        outliers=outliers,
        groups=groups_rows,
        null_control=null,
        models=run["models"],
        histories=run["histories"],
        settings=settings,
        seconds=time.perf_counter() - start,
        warnings=warnings,
        split_checks=checks,
        overlap=overlap,
        train_seconds=run["train_seconds"],
    )
    return result
