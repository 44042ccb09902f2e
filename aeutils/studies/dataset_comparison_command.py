"""The ``compare`` sub-command's parser (the dataset-comparison study's command), without TensorFlow.

:mod:`aeutils.cli` registers :func:`add_command`; the command itself,
:func:`aeutils.studies.dataset_comparison.run_command`, and with it TensorFlow, is imported
only when ``compare`` runs, so ``aeutils --help`` and ``aeutils report`` do not pay for it.
"""

from __future__ import annotations

from aeutils.cluster import STRATEGIES
from aeutils.params import parse_list
from aeutils.settings import DEFAULT_MEMORY_BUDGET


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
        "--range",
        dest="value_range",
        type=_value_range,
        metavar="LO,HI",
        help="the range float inputs are stored in, e.g. --range=-1,1 (default 0,1; integer files use their type's "
        "range: 8-bit / 255, 16-bit / 65535); values outside it are refused, never remapped",
    )
    p.add_argument(
        "--groups",
        default="auto",
        metavar="SPEC",
        help="per-image groups: auto, folder, labels, key:NAME (npz array), re:PATTERN, none",
    )
    p.add_argument(
        "--split-groups",
        default="auto",
        metavar="SPEC",
        help="near-duplicate groups kept on one side of the split and tested as one unit: auto (the groups "
        "the set declares), key:NAME, re:PATTERN, labels, none",
    )
    p.add_argument(
        "--memory-budget",
        default=DEFAULT_MEMORY_BUDGET,
        metavar="SIZE",
        help=f"image folders whose decoded images exceed SIZE (both sets together; e.g. 512MiB, 8GB; none = no "
        f"limit) stay on disk and are decoded per batch, with the same numbers ({DEFAULT_MEMORY_BUDGET})",
    )
    p.add_argument(
        "--cache",
        metavar="DIR",
        help="with folders streamed from disk: keep their decoded images in DIR (raw float32, as large as the "
        "decoded sets) so epochs read pixels instead of decoding",
    )
    p.add_argument("--alpha", type=float, default=0.05, help="family-wise level (0.05)")
    p.add_argument("--seed", type=int, default=0, metavar="S", help="seed of splits and training (0)")
    p.add_argument("--no-null-control", action="store_true", help="skip the null control")
    p.add_argument("--json", metavar="FILE", help="write the result as JSON")
    p.add_argument("--html", metavar="FILE", help="write a rendered HTML report")
    p.add_argument(
        "--strategy",
        default="none",
        choices=STRATEGIES,
        help="train under a tf.distribute strategy: none, mirrored (local GPUs), multi_worker (one process per "
        "machine, cluster from TF_CONFIG; only the chief writes --json/--html)",
    )
    p.set_defaults(func=run)


def _value_range(text: str) -> tuple[float, float]:
    """``"LO,HI"`` → ``(lo, hi)`` for ``--range`` (argparse turns the ValueError into exit 2)."""
    lo, hi = parse_list(text, float, name="--range")
    if not lo < hi:
        raise ValueError(f"--range needs LO < HI, got {text}")
    return lo, hi


_value_range.__name__ = "range"  # argparse names the type in its message: "invalid range value"


def run(args) -> int:
    """Run ``compare`` from parsed arguments (:func:`aeutils.studies.dataset_comparison.run_command`)."""
    from aeutils.studies.dataset_comparison import run_command  # TensorFlow, only now that it runs

    return run_command(args)
