"""Command line: ``python -m aeutils report ...`` (and the experiment commands)."""

from __future__ import annotations

import argparse
import sys

from aeutils.studies import dataset_comparison


def _report(args) -> int:
    from aeutils import reports

    overrides = dict(args.param or [])
    try:
        records = reports.run(args.names, overrides, smoke=args.smoke, out_dir=args.out)
    except reports.ParameterError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    failed = [r["experiment"] for r in records if r["status"] != "ok"]
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The ``aeutils`` argument parser with its sub-commands."""
    from aeutils import reports

    parser = argparse.ArgumentParser(prog="python -m aeutils", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    rep = sub.add_parser(
        "report",
        help="run notebooks with papermill and render HTML reports",
        description="Run notebooks (default: all) and write reports/<name>.html, .ipynb, "
        ".metrics.json and reports/index.html.",
    )
    rep.add_argument("names", nargs="*", help=f"notebooks to run (default all: {', '.join(reports.list_notebooks())})")
    rep.add_argument("-p", "--param", nargs=2, action="append", metavar=("KEY", "VALUE"), help="override a parameter")
    rep.add_argument("--smoke", action="store_true", help="each notebook's tiny settings")
    rep.add_argument("--out", default=str(reports.REPORT_DIR), help="output folder (default: reports/)")
    rep.set_defaults(func=_report)
    for register in _EXTRA_COMMANDS:
        register(sub)
    return parser


def _extra_commands():
    # Studies that provide a command register it here (toolkit modules never import a study).
    return [dataset_comparison.add_command]


_EXTRA_COMMANDS = _extra_commands()


def main(argv=None) -> int:
    """Parse ``argv`` and run the sub-command; returns the exit code."""
    import os

    from aeutils.data import BASE_DIR_ENV

    # Notebooks run from notebooks/; relative paths typed here stay relative to here.
    os.environ.setdefault(BASE_DIR_ENV, os.getcwd())
    args = build_parser().parse_args(argv)
    return int(args.func(args) or 0)
