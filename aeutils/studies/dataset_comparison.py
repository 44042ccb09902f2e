"""The dataset-comparison study (source report 1): the notebook's checks, the ``compare`` command, its HTML page.

The comparison engine is :mod:`aeutils.compare` (any two image sets); what is
specific to the notebook ``notebooks/dataset_comparison.ipynb`` and to the
command ``python -m aeutils compare A B`` is here:

* :func:`compare_settings`: the notebook's parameters checked and turned into
  :func:`aeutils.compare.compare` arguments (``0`` and ``"none"`` mean "not set");
* :func:`add_command` / :func:`run_command`: the ``compare`` sub-command
  (registered by :mod:`aeutils.cli`), refusing outputs inside the inputs;
* :func:`write_html`: the command's self-contained HTML report.
"""

from __future__ import annotations

import base64
import html
import io
import json
import sys
from collections.abc import Sequence
from pathlib import Path

import matplotlib
import matplotlib.pyplot as plt

from aeutils import data as D
from aeutils.compare import (
    Comparison,
    compare,
    plot_error_histograms,
    plot_error_matrix,
    plot_groups,
    plot_outliers,
    plot_reconstructions,
    summary_text,
    verdict_text,
)
from aeutils.params import parse_list

#: The notebook's ``null_set`` values: the set halved for the null control, or none.
NULL_SETS = ("A", "B", "none")


def compare_settings(
    *,
    groups: str = "auto",
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

    ``size`` and ``limit`` of 0 mean "not set"; ``null_set`` is ``"A"``,
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
<p class="v">{html.escape(verdict_text(result.decision))}</p>
<pre>{html.escape(summary_text(result))}</pre>{body}
<h2>JSON</h2><pre>{html.escape(json.dumps(result.to_json(), indent=1))}</pre></body></html>"""
    path = Path(path)
    path.write_text(page)
    return path


def add_command(subparsers) -> None:
    """Register the ``compare`` sub-command on an argparse sub-parsers object."""
    p = subparsers.add_parser(
        "compare",
        help="do two image sets share one structure? (cross-reconstruction test)",
        description="Train one autoencoder per image set and one on both, reconstruct every held-out "
        "image with each, and test whether within-set and cross-set errors differ (Mann-Whitney, Holm; "
        "null control on two halves of set A). Exit codes: 0 done, 2 bad input.",
    )
    p.add_argument("a", help="set A: image folder (sub-folders = groups), .npz file, or embedded:NAME")
    p.add_argument("b", help="set B: as set A")
    p.add_argument("--size", type=int, metavar="PX", help="resize every image to PX x PX first")
    p.add_argument("--grayscale", action="store_true", help="convert both sets to one channel")
    p.add_argument(
        "--patch",
        type=int,
        metavar="PX",
        help="patch side fed to the models; 0 = whole images (default: whole up to 64 px, else 32)",
    )
    p.add_argument("--stride", type=int, metavar="PX", help="step between patches (default: the patch side)")
    p.add_argument("--epochs", type=int, default=20, metavar="N", help="training epochs of each model (20)")
    p.add_argument("--batch-size", type=int, default=32, metavar="N", help="batch size (32)")
    p.add_argument("--heldout", type=float, default=0.3, metavar="F", help="held-out fraction of each set (0.3)")
    p.add_argument("--limit", type=int, metavar="N", help="at most N images per set (random, seeded)")
    p.add_argument(
        "--groups",
        default="auto",
        metavar="SPEC",
        help="per-image groups: auto, folder, labels, key:NAME (npz array), re:PATTERN, none",
    )
    p.add_argument("--alpha", type=float, default=0.05, help="family-wise level (0.05)")
    p.add_argument("--seed", type=int, default=0, metavar="S", help="seed of splits and training (0)")
    p.add_argument("--no-null-control", action="store_true", help="skip the null control")
    p.add_argument("--json", metavar="FILE", help="write the result as JSON")
    p.add_argument("--html", metavar="FILE", help="write a rendered HTML report")
    p.set_defaults(func=run_command)


def _check_output(path: str | None, inputs: Sequence[str]) -> None:
    if not path:
        return
    out = Path(path).resolve()
    if not out.parent.is_dir():
        raise D.DataError(f"cannot write {path}: folder {out.parent} does not exist")
    if out.is_dir():
        raise D.DataError(f"cannot write {path}: it is a folder")
    for src in inputs:
        if src.startswith(("embedded:", "tfds:")):
            continue
        p = D.resolve_path(src.removeprefix("npz:").removeprefix("folder:")).resolve()
        if out == p or (p.is_dir() and p in out.parents):
            raise D.DataError(f"refusing to write {path}: it is inside input {src} (inputs are never modified)")


def run_command(args) -> int:
    """Run ``compare`` from parsed arguments; returns the exit code (2 on bad input)."""
    try:
        for out in (args.json, args.html):
            _check_output(out, [args.a, args.b])
        result = compare(
            args.a,
            args.b,
            size=args.size,
            grayscale=args.grayscale,
            limit=args.limit,
            groups=args.groups,
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
    if args.json:
        Path(args.json).write_text(json.dumps(result.to_json(), indent=2))
        print(f"wrote {args.json}", file=sys.stderr)
    if args.html:
        write_html(result, args.html)
        print(f"wrote {args.html}", file=sys.stderr)
    return 0
