"""The dataset-comparison study (source report 1): the notebook's checks, the ``compare`` command, its HTML page.

The comparison engine is :mod:`aeutils.compare` (any two image sets); what is
specific to the notebook ``notebooks/dataset_comparison.ipynb`` and to the
command ``python -m aeutils compare A B`` is here:

* :func:`compare_settings`: the notebook's parameters checked and turned into
  :func:`aeutils.compare.compare` arguments (``0`` and ``"none"`` mean "not set");
* :func:`run_command`: the ``compare`` sub-command, refusing outputs inside the
  inputs (its parser, without TensorFlow, is
  :mod:`aeutils.studies.dataset_comparison_command`, registered by :mod:`aeutils.cli`);
* :func:`write_html`: the command's self-contained HTML report;
* :func:`load_pair`: the two sets, where ``set_b = "lowlight-sim"`` deals set
  A's images (by near-duplicate group) into a half as it is and a half in
  simulated low light (the ``full`` profile's CIFAR-10 exposure pair);
* :func:`claims`: the notebook's four claims, computed from a run;
* :func:`direction_rows`, :func:`split_rows`, :func:`labelled` and
  :data:`TABLE_LABELS`: the page's tables with human column names.
"""

from __future__ import annotations

import base64
import html
import io
import json
import os
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

import matplotlib
import matplotlib.pyplot as plt
import numpy as np

from aeutils import claims as CL
from aeutils import data as D
from aeutils import train as T
from aeutils.compare import (
    Comparison,
    compare,
    overlap_warning,
    plot_error_histograms,
    plot_error_matrix,
    plot_groups,
    plot_outliers,
    plot_reconstructions,
    summary_text,
    verdict_text,
)
from aeutils.compare.sets import check_source
from aeutils.data.embedded import light_pair
from aeutils.data.splits import near_duplicate_groups
from aeutils.params import parse_list

#: The notebook's ``null_set`` values: the set halved for the null control, or none.
NULL_SETS = ("A", "B", "none")


#: ``set_b`` keyword: the other half of set A, rendered in simulated low light.
LOW_LIGHT_SIM = "lowlight-sim"

#: Human column names (with units) of the page's tables.
TABLE_LABELS = {
    "set": "set",
    "name": "name",
    "train_mse": "training MSE",
    "heldout_mse": "held-out MSE",
    "heldout_over_train": "held-out / training",
    "heldout_images": "held-out images",
    "outliers": "outliers",
    "images": "images",
    "model": "model",
    "mean_mse": "mean MSE",
    "ci95_low": "95% CI low",
    "ci95_high": "95% CI high",
    "median_mse": "median MSE",
    "n": "n",
    "test": "test",
    "p_value": "p",
    "p_holm": "p (Holm)",
    "auc": "AUC",
    "statistic": "statistic (U or MMD²)",
    "n_1": "n (first)",
    "n_2": "n (second)",
    "group": "group",
    "n_A": "held-out A",
    "n_B": "held-out B",
    "A_by_A": "A by model A (MSE)",
    "A_by_B": "A by model B (MSE)",
    "A_by_merged": "A by merged (MSE)",
    "B_by_B": "B by model B (MSE)",
    "B_by_A": "B by model A (MSE)",
    "B_by_merged": "B by merged (MSE)",
    "effect_ratio": "cross/within (geo. mean)",
    "verdict": "verdict",
    "direction": "direction",
    "ratio": "cross/within error ratio",
    "differs": "excludes 1",
    "reading": "reading",
    "split": "split",
    "n_groups_train": "groups trained on",
    "n_groups_heldout": "groups held out",
    "on_both_sides": "groups on both sides",
}


#: Columns shown with 3 significant digits (p-values and statistics span many decades).
SIGNIFICANT = ("p_value", "p_holm", "statistic")


def labelled(rows, *, precision: int = 4, index: str | None = None):
    """Rows (dicts) as a DataFrame with :data:`TABLE_LABELS` column names, rounded for display.

    Columns in :data:`SIGNIFICANT` are shown with 3 significant digits (``9.8e-09``), not rounded to zero.

    Example:
    >>> labelled([{"train_mse": 0.123456}], precision=3).columns.tolist()
    ['training MSE']
    >>> labelled([{"p_value": 9.8e-9}])["p"].tolist()
    ['9.8e-09']
    """
    from aeutils.plotting import metric_table  # plotting (matplotlib, pandas): only the page's tables need it

    def shown(key, v):
        return (None if v is None or v != v else f"{v:.3g}") if key in SIGNIFICANT else v

    rows = [{k: shown(k, v) for k, v in r.items()} for r in rows]
    return metric_table(rows, index=index, precision=precision, labels=TABLE_LABELS)


def direction_rows(decision: dict) -> list[dict]:
    """One row per direction: whose images, which model over which, the ratio with its 95% interval, the reading.

    Example:
    >>> d = {"directions": [{"images": "A", "own_model": "A", "other_model": "B", "ratio": 2.0,
    ...      "ci95_low": 1.5, "ci95_high": 2.5, "n": 9, "differs": True, "reading": "r"}]}
    >>> direction_rows(d)[0]["direction"]
    "A's images: model B / model A"
    """
    return [
        {
            "direction": f"{d['images']}'s images: model {d['other_model']} / model {d['own_model']}",
            "ratio": d["ratio"],
            "ci95_low": d["ci95_low"],
            "ci95_high": d["ci95_high"],
            "n": d["n"],
            "differs": "yes" if d["differs"] else "no",
            "reading": d["reading"],
        }
        for d in decision["directions"]
    ]


def split_rows(result: Comparison) -> list[dict]:
    """One row per split used (comparison, null control): groups trained on, held out, and on both sides."""
    names = {"comparison": "comparison (A, B)", "null_control": "null control (two halves)"}
    return [
        {
            "split": names[k],
            "n_groups_train": c["n_groups_train"],
            "n_groups_heldout": c["n_groups_heldout"],
            "on_both_sides": len(c["groups_on_both_sides"]),
        }
        for k, c in result.split_checks.items()
        if k in names
    ]


def load_pair(set_a: str, set_b: str, *, limit: int = 0, seed: int = 0):
    """The two sets to compare: the sources as given, or, with ``set_b = "lowlight-sim"``, set A dealt in two.

    With :data:`LOW_LIGHT_SIM` set A is loaded (at most ``2 * limit`` images
    when ``limit`` is set) and dealt by its near-duplicate groups (if it
    declares them) into a half as it is and a half in simulated low light
    (:func:`aeutils.data.embedded.light_pair`). Otherwise both are returned as given.

    Returns:
        ``(a, b)``: sources or :class:`~aeutils.data.ImageSet` s for :func:`aeutils.compare.compare`.
    """
    if set_b != LOW_LIGHT_SIM:
        return set_a, set_b
    source = check_source(set_a)
    if limit and source.startswith("npz:"):
        data = _npz_sample(source[4:], 2 * limit, seed)
    else:
        data = D.load(source, limit=2 * limit or None, seed=seed)
    return light_pair(data, groups=near_duplicate_groups(data), seed=seed)


def _npz_sample(path: str, k: int, seed: int) -> D.ImageSet:
    """``k`` random images of a ``.npz`` file (all its parts), converted to float only after the draw.

    CIFAR-10's 60,000 images as float32 take 0.7 GB; this keeps the draw's
    images only (the same :func:`aeutils.data.subsample` draw as ``load(..., limit=k)``).
    """
    with np.load(path, allow_pickle=False) as z:
        keys = set(z.files)
        if {"x_train", "x_test"} <= keys:
            x = np.concatenate([z["x_train"], z["x_test"]])
            y = np.concatenate([z["y_train"], z["y_test"]]).ravel() if {"y_train", "y_test"} <= keys else None
        else:
            return D.load(f"npz:{path}", limit=k, seed=seed)
        names = [str(n) for n in z["label_names"]] if "label_names" in keys else None
    keep = D.subsample(len(x), k, seed)
    return D.ImageSet(
        images=D.to_unit_range(D.as_nhwc(x[keep], path)),
        labels=None if y is None else y[keep].astype(np.int64),
        name=Path(path).stem,
        source=f"images chosen at random (seed {seed}) from npz file {Path(path).resolve()}",
        label_names=names,
    )


def claims(result: Comparison) -> list[dict]:
    """The notebook's four claims, from the run's own numbers.

    1. the null control (two random halves of one set) comes out "same";
    2. the compared pair comes out "different";
    3. no near-duplicate group sits on both sides of any split used (the
       comparison's or the null control's): held-out images are independent;
    4. the verdict names the direction(s) that carry it, each with its
       cross/within error ratio and 95% interval.

    Returns:
        Claim dicts of :mod:`aeutils.claims`.
    """
    dec, nc = result.decision, result.null_control
    alpha = dec["alpha"]
    out = [
        CL.check(
            "the null control (two random halves of set A) comes out 'same': Holm p at least alpha",
            bool(nc and nc["verdict"] == "same"),
            ours=None if not nc else nc["p_value"],
            baseline=alpha,
            note="skipped: too few images" if not nc else f"rejected: {', '.join(nc['rejected']) or 'none'}",
        ),
        CL.check(
            "the compared pair comes out 'different': Holm p below alpha",
            dec["verdict"] == "different",
            ours=dec["p_value"],
            baseline=alpha,
            note=f"rejected: {', '.join(dec['rejected']) or 'none'}",
        ),
    ]
    checks = [c for k, c in result.split_checks.items() if k in ("comparison", "null_control")]
    n_both = sum(len(c["groups_on_both_sides"]) for c in checks)
    grouped = any(c["grouped"] for c in checks)
    out.append(
        CL.check(
            "no near-duplicate group has images on both sides of the train/held-out split "
            "(comparison and null control)",
            n_both == 0,
            ours=n_both,
            baseline=0,
            unit="groups on both sides",
            note=(
                f"{sum(c['n_groups_heldout'] for c in checks)} groups held out, "
                f"{sum(c['n_groups_train'] for c in checks)} trained on; tests count groups, not images"
                if grouped
                else "the sets declare no near-duplicate groups: every image is its own unit"
            ),
        )
    )
    text = verdict_text(dec)
    cells = "; ".join(
        f"{d['images']}'s images {d['ratio']:.2f}x [{d['ci95_low']:.2f}, {d['ci95_high']:.2f}]"
        for d in dec["directions"]
    )
    carried = dec["carried_by"]
    named = text.split("Carried by")[-1]
    carriers = ", ".join(f"{x}'s images" for x in carried)
    out.append(
        CL.check(
            "the verdict names the direction(s) that carry it, with each direction's cross/within error ratio",
            bool(carried) and "Carried by" in text and all(f"{x}'s images" in named for x in carried),
            ours="; ".join(
                f"{d['images']}'s images {d['ratio']:.2f}x [{d['ci95_low']:.2f}, {d['ci95_high']:.2f}]"
                for d in dec["directions"]
                if d["images"] in carried
            )
            or "none",
            baseline="1.00x (no effect)",
            note=f"carried by: {carriers or 'no direction'}; "
            f"cross/within error ratio (other model over own) with 95% interval: {cells}",
        )
    )
    return out


def compare_settings(
    *,
    groups: str = "auto",
    split_groups: str = "auto",
    size: int = 0,
    grayscale: bool = False,
    patch: int = 32,
    stride: int = 16,
    limit: int = 0,
    heldout: float = 0.3,
    epochs: int = 20,
    batch_size: int = 32,
    learning_rate: float = 1e-3,
    filters: str = "16,32",
    code_channels: int = 4,
    alpha: float = 0.05,
    null_set: str = "A",
    seed: int = 0,
) -> dict:
    """The notebook's parameters, checked, as keyword arguments of :func:`aeutils.compare.compare`.

    ``size`` and ``limit`` of 0 mean "not set"; ``split_groups`` is ``"auto"``
    (the groups the set declares), ``"none"`` or a group spec; ``null_set`` is ``"A"``,
    ``"B"`` or ``"none"`` (no null control); ``filters`` is a comma-separated list.

    Raises:
        ValueError: an unknown ``null_set``, or ``filters`` that are not positive integers.

    Example:
    >>> s = compare_settings(size=0, null_set="none", filters="8, 16")
    >>> s["size"], s["null_control"], s["filters"]
    (None, None, (8, 16))
    """
    if null_set not in NULL_SETS:
        raise ValueError(f"null_set must be one of {NULL_SETS}, got {null_set!r}")
    return {
        "groups": groups,
        "split_groups": split_groups,
        "size": size or None,
        "grayscale": grayscale,
        "limit": limit or None,
        "patch": patch,
        "stride": stride,
        "heldout": heldout,
        "epochs": epochs,
        "batch_size": batch_size,
        "learning_rate": learning_rate,
        "filters": parse_list(filters, int, name="filters", positive=True),
        "code_channels": code_channels,
        "alpha": alpha,
        "null_control": None if null_set == "none" else null_set,
        "seed": seed,
    }


def _figure_html(fig) -> str:

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90, bbox_inches="tight")
    plt.close(fig)
    return f'<img src="data:image/png;base64,{base64.b64encode(buf.getvalue()).decode()}">'


def _overlap_html(result: Comparison) -> str:
    """The page's paragraph on images the two sets share (empty when they share none)."""
    o = getattr(result, "overlap", None) or {}
    warning = overlap_warning(o) if o else None
    if not warning:
        return '<p class="overlap">Overlap: sets A and B share no images (by path, file content or pixels).</p>'
    eg = ", ".join(o.get("examples", [])[:5])
    return (
        f'<p class="overlap" style="color:#a00"><b>Overlap:</b> {html.escape(warning)}'
        f"{'. e.g. ' + html.escape(eg) if eg else ''}</p>"
    )


def write_html(result: Comparison, path: str | Path) -> Path:
    """Write a self-contained HTML report (summary, figures, the JSON) of a comparison.

    Returns:
        The path written.
    """

    matplotlib.use("Agg", force=False)
    figs = [
        ("Error matrix", plot_error_matrix(result)),
        ("Error distributions per direction", plot_error_histograms(result)),
        ("Reconstructions of set A", plot_reconstructions(result, "A")),
        ("Reconstructions of set B", plot_reconstructions(result, "B")),
        ("Outliers", plot_outliers(result)),
    ]
    if result.groups:
        figs.append(("Per group", plot_groups(result)))
    body = "".join(f"<h2>{html.escape(t)}</h2>{_figure_html(f)}" for t, f in figs)
    page = f"""<!doctype html><html><head><meta charset="utf-8"><title>aeutils compare</title>
<style>body{{font-family:sans-serif;margin:2em;max-width:1200px}}pre{{background:#f6f6f6;padding:1em;
overflow-x:auto}}img{{max-width:100%}}.v{{font-size:1.2em;font-weight:bold}}</style></head><body>
<h1>Dataset comparison by cross-reconstruction</h1>
<p class="v">{html.escape(verdict_text(result.decision))}</p>{_overlap_html(result)}
<pre>{html.escape(summary_text(result))}</pre>{body}
<h2>JSON</h2><pre>{html.escape(json.dumps(result.to_json(), indent=1))}</pre></body></html>"""
    path = Path(path)
    path.write_text(page)
    return path


def check_outputs(paths: Sequence[str | None], inputs: Sequence[str]) -> list[Path]:
    """Check, before anything is loaded or trained, that every output path can be written.

    Each path must name a file (not a folder) in an existing folder where this process may
    create files (tried with a probe file, removed at once, so it holds for any user, root
    included), an existing file must be writable, no two outputs may be the same file, and
    none may lie inside an input (inputs are never modified).

    Args:
        paths: the output paths given (``None`` or ``""``: not asked for).
        inputs: the two sources, as given on the command line.

    Returns:
        The outputs asked for, resolved.

    Raises:
        DataError: the first problem, naming the path.

    Example:
    >>> check_outputs([None, None], ["embedded:digits8x8", "embedded:faces"])
    []
    """
    seen: dict[Path, str] = {}
    for path in paths:
        if not path:
            continue
        out = Path(path).expanduser().resolve()
        if out in seen:
            raise D.DataError(f"cannot write {path}: the same file is also given as output {seen[out]}")
        seen[out] = path
        if not out.parent.is_dir():
            raise D.DataError(f"cannot write {path}: folder {out.parent} does not exist")
        if out.is_dir():
            raise D.DataError(f"cannot write {path}: it is a folder")
        _refuse_inside_inputs(out, path, inputs)
        _probe_writable(out, path)
    return list(seen)


def check_cache(folder: str, inputs: Sequence[str]) -> Path:
    """The ``--cache`` folder: created if missing, writable, and not inside an input.

    Raises:
        DataError: a folder that cannot be made or written, or one inside an input.
    """
    path = Path(folder).expanduser().resolve()
    _refuse_inside_inputs(path, folder, inputs)
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise D.DataError(f"cannot use cache folder {folder}: {err.strerror or err}") from err
    _probe_writable(path / "cache.probe", folder)
    return path


def _refuse_inside_inputs(out: Path, given: str, inputs: Sequence[str]) -> None:
    """Raise DataError when ``out`` is an input or lies inside an input folder (inputs are never modified)."""
    for src in inputs:
        if src.startswith(("embedded:", "tfds:")):
            continue
        p = D.resolve_path(src.removeprefix("npz:").removeprefix("folder:")).resolve()
        if out == p or (p.is_dir() and p in out.parents):
            raise D.DataError(f"refusing to write {given}: it is inside input {src} (inputs are never modified)")


def _probe_writable(out: Path, given: str) -> None:
    """Raise DataError unless ``out`` can be written: an existing file opened for append, else a probe file."""
    try:
        if out.exists():
            if not os.access(out, os.W_OK):
                raise PermissionError(f"{out} is read-only")
            with open(out, "ab"):
                pass
        else:
            fd, probe = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".probe", dir=out.parent)
            os.close(fd)
            os.unlink(probe)
    except OSError as err:
        why = "permission denied" if isinstance(err, PermissionError) else (err.strerror or str(err))
        raise D.DataError(f"cannot write {given}: {why} (folder {out.parent}); choose another path") from err


def run_command(args) -> int:
    """Run ``compare`` from parsed arguments; returns the exit code (2 on bad input)."""
    try:
        # First, before other TensorFlow work: a multi-worker strategy configures the collectives.
        T.set_default_strategy(getattr(args, "strategy", "none"))
        check_outputs([args.json, args.html], [args.a, args.b])
        if getattr(args, "cache", None):
            check_cache(args.cache, [args.a, args.b])
        result = compare(
            args.a,
            args.b,
            size=args.size,
            grayscale=args.grayscale,
            limit=args.limit,
            value_range=getattr(args, "value_range", None),
            memory_budget=getattr(args, "memory_budget", D.DEFAULT_MEMORY_BUDGET),
            cache=getattr(args, "cache", None),
            groups=args.groups,
            split_groups=getattr(args, "split_groups", "auto"),
            patch=args.patch,
            stride=args.stride,
            heldout=args.heldout,
            epochs=args.epochs,
            batch_size=args.batch_size,
            seed=args.seed,
            alpha=args.alpha,
            null_control=None if args.no_null_control else "A",
            log=lambda msg: print(f"[compare] {msg}", file=sys.stderr, flush=True),
            progress=sys.stderr,
        )
    except (D.DataError, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(result.summary())
    if not T.is_chief():
        return 0  # a multi-worker run's other workers trained alike; the chief writes
    if args.json:
        Path(args.json).write_text(json.dumps(result.to_json(), indent=2))
        print(f"wrote {args.json}", file=sys.stderr)
    if args.html:
        write_html(result, args.html)
        print(f"wrote {args.html}", file=sys.stderr)
    return 0
