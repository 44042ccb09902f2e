"""Reports: run the notebooks with papermill, render their pages with nbconvert, build ``reports/index.html``.

Modules: ``notebooks`` (finding notebooks, their metadata, parameters, profiles and parameter files),
``record`` (the metrics JSON a notebook writes, with its claims and provenance; the run's models,
:func:`save_models`), ``render`` (a page
with its claims summary, without log noise), ``index`` (the index page, from a jinja2 template),
``kernel`` (the runner's kernels: encrypted sockets, their stderr without known noise) and
``runner`` (atomic runs, time limits, interrupts and sweeps).
"""

from aeutils.reports.index import build_index, thumbnail
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
from aeutils.reports.render import render_html, strip_tf_logs
from aeutils.reports.runner import NotebookTimeout, exit_code, run, run_notebook

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
    "strip_tf_logs",
    "thumbnail",
    "validate_parameters",
    "write_json",
    "write_metrics",
]
