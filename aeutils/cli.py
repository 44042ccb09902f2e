"""Command line: ``python -m aeutils report ...`` (and the experiment commands)."""

from __future__ import annotations

import argparse
import os
import sys

from aeutils import __version__, reports
from aeutils.cluster import STRATEGIES
from aeutils.params import parse_list
from aeutils.settings import BASE_DIR_ENV
from aeutils.studies import dataset_comparison_command

#: The studies' own commands (only this module registers them: toolkit modules never import a study).
#: Their parsers import no TensorFlow: a command imports it when it runs.
STUDY_COMMANDS = (dataset_comparison_command.add_command,)


def _report(args) -> int:

    try:
        overrides = reports.read_parameter_file(args.file) if args.file else {}
        overrides.update(dict(args.param or []))
        sweep = None
        if args.sweep:
            key, values = args.sweep
            sweep = (key, parse_list(values, str, name=f"--sweep {key} values"))
        profile = "smoke" if args.smoke else args.profile
        records = reports.run(
            args.names,
            overrides,
            profile=profile,
            out_dir=args.out,
            notebook_dir=args.notebooks,
            sweep=sweep,
            timeout=args.timeout,
            log_output=args.log_output,
            progress=args.progress,
            save_models=args.save_models,
            strategy=args.strategy,
        )
    except (reports.ParameterError, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted: the index was rebuilt; earlier results are kept", file=sys.stderr)
        return 130
    failed = [r["experiment"] for r in records if r["status"] not in ("ok", "claims not met")]
    unmet = [r["experiment"] for r in records if r["status"] == "claims not met"]
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
    if unmet:
        print(f"claims not met: {', '.join(unmet)}", file=sys.stderr)
    return reports.exit_code(records, strict=args.strict)


def build_parser() -> argparse.ArgumentParser:
    """The ``aeutils`` argument parser with its sub-commands."""

    parser = argparse.ArgumentParser(prog="aeutils", description=__doc__)
    parser.add_argument("--version", action="version", version=f"aeutils {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    rep = sub.add_parser(
        "report",
        help="run notebooks with papermill and render HTML reports",
        description="Run notebooks (default: all) and write reports/<name>.html, .ipynb, "
        ".metrics.json and reports/index.html.",
    )
    rep.add_argument("names", nargs="*", help=f"notebooks to run (default all: {', '.join(reports.list_notebooks())})")
    rep.add_argument("-p", "--param", nargs=2, action="append", metavar=("KEY", "VALUE"), help="override a parameter")
    rep.add_argument("-f", "--file", metavar="PARAMS.yaml", help="a YAML file of parameters (-p values win)")
    rep.add_argument(
        "--profile",
        choices=reports.PROFILES,
        default="default",
        help="smoke: tiny settings; default: each notebook's own; full: the source's size on real data",
    )
    rep.add_argument("--smoke", action="store_true", help="short for --profile smoke")
    rep.add_argument("--sweep", nargs=2, metavar=("KEY", "V1,V2,..."), help="one run per value, compared in the index")
    rep.add_argument("--strict", action="store_true", help="exit 1 when a claim is not met")
    rep.add_argument(
        "--timeout", type=float, metavar="SECONDS", help="stop a notebook that runs longer (marked failed)"
    )
    rep.add_argument("--log-output", action="store_true", help="stream each notebook's output as it runs")
    rep.add_argument("--progress", action="store_true", help="a progress bar over each notebook's cells")
    rep.add_argument(
        "--save-models", action="store_true",
        help="keep each run's trained models as reports/<name>.models/*.keras (load with aeutils.load_model)",
    )
    rep.add_argument(
        "--strategy", default=None, choices=STRATEGIES,
        help="tf.distribute strategy for the notebooks' training (e.g. multi_worker with TF_CONFIG set; "
        "only the chief writes); the runner itself never joins the cluster",
    )
    rep.add_argument("--out", default=str(reports.REPORT_DIR), help="output folder (default: reports/)")
    rep.add_argument(
        "--notebooks", default=str(reports.NOTEBOOK_DIR), help="the notebooks' folder (default: notebooks/)"
    )
    rep.set_defaults(func=_report)
    for register in STUDY_COMMANDS:
        register(sub)
    return parser


def main(argv=None) -> int:
    """Parse ``argv`` and run the sub-command; returns the exit code."""

    # Notebooks run from notebooks/; relative paths typed here stay relative to here.
    os.environ.setdefault(BASE_DIR_ENV, os.getcwd())
    args = build_parser().parse_args(argv)
    return int(args.func(args) or 0)
