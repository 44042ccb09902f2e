"""Reports: run the notebooks with papermill, render their pages with nbconvert, build ``reports/index.html``.

Modules: ``notebooks`` (finding notebooks, their metadata, parameters, profiles and parameter files),
``record`` (the metrics JSON a notebook writes, with its claims and provenance; the run's models,
:func:`save_models`), ``render`` (a page
with its claims summary, without log noise), ``index`` (the index page, from a jinja2 template),
``kernel`` (the runner's kernels: encrypted sockets, their stderr without known noise) and
``runner`` (atomic runs, time limits, interrupts and sweeps).

The names of ``index``, ``render`` and ``runner`` (which bring in nbconvert, papermill and jinja2, about
2 s) are imported when first used, so ``aeutils --help`` starts at once.
"""

import importlib

from aeutils.reports.notebooks import (
    NOTEBOOK_DIR,
    PROFILES,
    REPORT_DIR,
    ROOT,
    ParameterError,
    coerce,
    list_notebooks,
    notebook_meta,
    notebook_parameters,
    notebook_path,
    profile_parameters,
    read_parameter_file,
    validate_parameters,
)
from aeutils.reports.record import (
    SAVE_MODELS_ENV,
    jsonable,
    provenance,
    read_record,
    save_models,
    write_json,
    write_metrics,
)

#: Names imported from their module on first use (:func:`__getattr__`).
_LAZY = {
    "build_index": "index", "thumbnail": "index", "render_html": "render",
    "NotebookTimeout": "runner", "exit_code": "runner", "run": "runner", "run_notebook": "runner",
}  # fmt: skip


def __getattr__(name: str):
    """Import a name of ``index``, ``render`` or ``runner`` when it is first used."""
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
    globals()[name] = value
    return value

__all__ = [
    "NOTEBOOK_DIR",
    "PROFILES",
    "REPORT_DIR",
    "ROOT",
    "SAVE_MODELS_ENV",
    "NotebookTimeout",
    "ParameterError",
    "build_index",
    "coerce",
    "exit_code",
    "jsonable",
    "list_notebooks",
    "notebook_meta",
    "notebook_parameters",
    "notebook_path",
    "profile_parameters",
    "provenance",
    "read_parameter_file",
    "read_record",
    "render_html",
    "run",
    "run_notebook",
    "save_models",
    "thumbnail",
    "validate_parameters",
    "write_json",
    "write_metrics",
]
