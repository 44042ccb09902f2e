"""Running notebooks with papermill without ever losing a result: atomic writes, time limits, interrupts, sweeps.

In a multi-worker cluster (``TF_CONFIG``) only the chief writes: on every other worker each
notebook still runs, since ``MultiWorkerMirroredStrategy`` trains only when every worker runs the
same steps, but into a temporary folder that is removed; no report, page, metrics, models or index
reaches ``out_dir``. The check reads ``TF_CONFIG`` alone (:func:`aeutils.cluster.is_chief_process`).
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import shutil
import signal
import tempfile
import time
import traceback
from collections.abc import Mapping, Sequence
from pathlib import Path

import papermill as pm

from aeutils.cluster import describe_task, is_chief_process
from aeutils.reports.index import build_index
from aeutils.reports.kernel import ReportKernelManager
from aeutils.reports.notebooks import (
    NOTEBOOK_DIR,
    REPORT_DIR,
    list_notebooks,
    notebook_meta,
    notebook_path,
    profile_parameters,
    validate_parameters,
)
from aeutils.reports.record import (
    SAVE_MODELS_ENV,
    jsonable,
    now,
    provenance,
    read_record,
    run_provenance,
    write_json,
)
from aeutils.reports.render import render_html


class NotebookTimeout(Exception):
    """A notebook ran past its ``timeout``."""


@contextlib.contextmanager
def deadline(seconds: float | None):
    """Raise :class:`NotebookTimeout` in the main thread once ``seconds`` have passed (no limit if ``None``)."""
    if not seconds:
        yield
        return

    def _expire(signum, frame):
        raise NotebookTimeout(f"timed out after {seconds:g} s")

    previous = signal.signal(signal.SIGALRM, _expire)
    signal.setitimer(signal.ITIMER_REAL, float(seconds))
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@contextlib.contextmanager
def sigterm_as_interrupt():
    """Treat SIGTERM like Ctrl-C while running, so the index is rebuilt and the run marked interrupted."""

    def _raise(signum, frame):
        raise KeyboardInterrupt(f"signal {signum}")

    try:
        previous = signal.signal(signal.SIGTERM, _raise)
    except ValueError:  # not the main thread: leave SIGTERM alone
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def slug(value) -> str:
    """A file-name-safe form of a parameter value (for sweep file names).

    Example:
    >>> slug("npz:../shared/data/cifar10.npz"), slug(0.5)
    ('npz_.._shared_data_cifar10.npz', '0.5')
    """
    return re.sub(r"[^A-Za-z0-9._-]+", "_", str(value)).strip("_") or "empty"


#: The environment variable naming the strategy of every ``fit`` (read by :mod:`aeutils.distribute`).
STRATEGY_ENV = "AEUTILS_STRATEGY"

#: The kernel draws with the inline backend whatever the caller's ``MPLBACKEND`` says (a headless
#: shell's ``Agg`` would leave every page without its figures).
INLINE_BACKEND = "module://matplotlib_inline.backend_inline"


@contextlib.contextmanager
def environment(**values: str | None):
    """Set environment variables for the duration (``None``: left alone); the notebook's kernel inherits them."""
    previous = {k: os.environ.get(k) for k, v in values.items() if v is not None}
    os.environ.update({k: v for k, v in values.items() if v is not None})
    try:
        yield
    finally:
        for k, v in previous.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _replace_dir(new: Path, final: Path) -> None:
    """Put folder ``new`` at ``final``, replacing an earlier one only once the new one is in place."""
    old = final.with_name(f".{final.name}.old")
    shutil.rmtree(old, ignore_errors=True)
    if final.exists():
        os.replace(final, old)
    os.replace(new, final)
    shutil.rmtree(old, ignore_errors=True)


def _finished_files(out_dir: Path, stem: str) -> dict[str, Path]:
    return {ext: out_dir / f"{stem}{ext}" for ext in (".ipynb", ".html", ".metrics.json")}


def run_notebook(
    name: str,
    parameters: Mapping | None = None,
    *,
    profile: str = "default",
    smoke: bool = False,
    out_dir: Path = REPORT_DIR,
    notebook_dir: Path = NOTEBOOK_DIR,
    stem: str | None = None,
    sweep: Mapping | None = None,
    timeout: float | None = None,
    log_output: bool = False,
    progress: bool = False,
    save_models: bool = False,
    strategy: str | None = None,
) -> dict:
    """Execute one notebook with papermill, render it, and record the run without losing an earlier result.

    The notebook, its page and its metrics are written to a scratch folder and renamed into place only
    when the notebook ran through; a failed, timed-out or interrupted run leaves the previous result as
    it was and writes ``<stem>.last-run.json`` and ``<stem>.partial.{ipynb,html}`` beside it.

    On a worker of a multi-worker cluster that is not the chief, the notebook runs (its training
    needs every worker) into a temporary folder that is then removed: nothing is written to
    ``out_dir``, and the record says ``"written": False``.

    Args:
        name: the notebook.
        parameters: overrides (checked against the notebook's parameters cell).
        profile: ``smoke``, ``default`` or ``full`` (``smoke=True`` is the short form of ``profile="smoke"``).
        out_dir: where reports go.
        notebook_dir: where notebooks are.
        stem: output file stem (default ``name``; sweeps use ``name@key=value``).
        sweep: ``{"key", "value"}`` recorded for a sweep run.
        timeout: seconds before the notebook is stopped and marked failed.
        log_output: stream the notebook's output to the log as it runs.
        progress: show papermill's per-cell progress bar.
        save_models: keep the models the notebook hands to :func:`aeutils.reports.save_models` as
            ``<stem>.models/NAME.keras`` (replaced, like the other outputs, only by a run that ran through).
        strategy: the ``AEUTILS_STRATEGY`` of the notebook's kernel only (``None``: the environment's).
            This is how a study runs under ``multi_worker``: with ``AEUTILS_STRATEGY=multi_worker`` in
            the runner's own environment, importing ``aeutils`` would make the runner join the cluster
            (on its worker's port) before the kernel could.

    Returns:
        The run record (also in ``<stem>.metrics.json`` when the notebook ran through):
        ``{"experiment", "status", "seconds", "claims", "error", "provenance", ...}``.

    Raises:
        ParameterError: before anything runs, for an unknown parameter or profile.
        KeyboardInterrupt: after recording the run as interrupted.
    """
    kwargs = {
        "profile": profile,
        "smoke": smoke,
        "notebook_dir": notebook_dir,
        "stem": stem,
        "sweep": sweep,
        "timeout": timeout,
        "log_output": log_output,
        "progress": progress,
        "save_models": save_models,
        "strategy": strategy,
    }
    if is_chief_process():
        return {**_execute(name, parameters, out_dir=out_dir, **kwargs), "written": True}
    with tempfile.TemporaryDirectory(prefix="aeutils-not-chief-") as discarded:
        record = _execute(name, parameters, out_dir=Path(discarded), **kwargs)
    return {**record, "written": False, "worker": describe_task()}


def _execute(
    name: str,
    parameters: Mapping | None,
    *,
    profile: str,
    smoke: bool,
    out_dir: Path,
    notebook_dir: Path,
    stem: str | None,
    sweep: Mapping | None,
    timeout: float | None,
    log_output: bool,
    progress: bool,
    save_models: bool,
    strategy: str | None,
) -> dict:
    """The body of :func:`run_notebook`, writing into ``out_dir``."""

    profile = "smoke" if smoke else profile
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = stem or name
    meta = notebook_meta(name, notebook_dir)
    params = profile_parameters(name, profile, notebook_dir)
    params.update(parameters or {})
    params = validate_parameters(name, params, notebook_dir)
    scratch = out_dir / f".{stem}.running"
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir()
    tmp = {ext: scratch / f"{stem}{ext}" for ext in (".ipynb", ".html", ".metrics.json")}
    run_params = {**params, "metrics_path": str(tmp[".metrics.json"])}
    models_tmp = scratch / f"{stem}.models"
    status, error, interrupted = None, None, None
    started = now()
    at_start = provenance()  # the code the run starts from
    start = time.perf_counter()
    try:
        kernel_env = {
            SAVE_MODELS_ENV: str(models_tmp) if save_models else None,
            "MPLBACKEND": INLINE_BACKEND,
            STRATEGY_ENV: strategy,
        }
        with deadline(timeout), environment(**kernel_env):
            pm.execute_notebook(
                str(notebook_path(name, notebook_dir)),
                str(tmp[".ipynb"]),
                parameters=run_params,
                cwd=str(notebook_dir),
                progress_bar=progress,
                log_output=log_output,
                kernel_name="python3",
                kernel_manager_class=ReportKernelManager,  # encrypted sockets, stderr without known noise
            )
    except pm.PapermillExecutionError as err:
        status, error = "failed", f"{err.ename}: {err.evalue}"
    except NotebookTimeout as err:
        status, error = "failed", str(err)
    except KeyboardInterrupt as err:
        status, error, interrupted = "interrupted", f"interrupted ({err or 'Ctrl-C'})", err
    except Exception as err:  # kernel died, missing kernel, ...
        status, error = "failed", f"{type(err).__name__}: {err}"
        traceback.print_exc()
    seconds = time.perf_counter() - start
    record = read_record(tmp[".metrics.json"]) or {}
    if status is None:
        if not record:
            status, error = "failed", "the notebook wrote no metrics"
        elif record.get("status") == "unreadable":
            status, error = "failed", record["error"]
        else:
            status = record.get("status") or "claims not met"
    record.update(
        {
            "experiment": name,
            "title": meta.get("title", name),
            "status": status,
            "error": error,
            "seconds": round(seconds, 1),
            "profile": profile,
            "smoke": profile == "smoke",
            "overrides": jsonable(params),
            "finished": now(),
        }
    )
    if sweep:
        record["sweep"] = dict(sweep)
    record["provenance"] = run_provenance(
        at_start, record.get("provenance"), started=started, finished=record["finished"]
    )
    ran_through = status in ("ok", "claims not met")
    final = _finished_files(out_dir, stem)
    links = {"index": "index.html", "notebook": f"{stem}.ipynb" if ran_through else f"{stem}.partial.ipynb"}
    if ran_through:
        links["metrics JSON"] = f"{stem}.metrics.json"
        if save_models and models_tmp.is_dir():
            record["models"] = sorted(f"{stem}.models/{p.name}" for p in models_tmp.glob("*.keras"))
            links["models"] = f"{stem}.models/"
    if tmp[".ipynb"].exists():
        try:
            render_html(tmp[".ipynb"], tmp[".html"], record=record, meta=meta, links=links)
        except Exception as err:  # keep going: the executed notebook is still there
            record["error"] = (error or "") + f" (HTML rendering failed: {err})"
    if ran_through:
        record["html"] = final[".html"].name if tmp[".html"].exists() else None
        write_json(tmp[".metrics.json"], record)
        for ext in (".ipynb", ".html", ".metrics.json"):
            if tmp[ext].exists():
                os.replace(tmp[ext], final[ext])
        if save_models and models_tmp.is_dir():
            _replace_dir(models_tmp, out_dir / f"{stem}.models")
        for leftover in (f"{stem}.last-run.json", f"{stem}.partial.ipynb", f"{stem}.partial.html"):
            (out_dir / leftover).unlink(missing_ok=True)
    else:
        for ext in (".ipynb", ".html"):
            if tmp[ext].exists():
                os.replace(tmp[ext], out_dir / f"{stem}.partial{ext}")
        write_json(out_dir / f"{stem}.last-run.json", record)
    shutil.rmtree(scratch, ignore_errors=True)
    if interrupted is not None:
        raise interrupted
    return record


def run(
    names: Sequence[str] | None = None,
    overrides: Mapping | None = None,
    *,
    profile: str = "default",
    smoke: bool = False,
    out_dir: Path = REPORT_DIR,
    notebook_dir: Path = NOTEBOOK_DIR,
    sweep: tuple[str, Sequence] | None = None,
    timeout: float | None = None,
    log_output: bool = False,
    progress: bool = False,
    save_models: bool = False,
    strategy: str | None = None,
    log=print,
) -> list[dict]:
    """Run several notebooks (default: all), then rewrite the index — also when interrupted.

    All names, overrides and sweep values are validated before any notebook starts; an override must
    be a parameter of every notebook named.

    On a worker that is not the chief (``TF_CONFIG``) every notebook runs as on the chief but
    nothing is written to ``out_dir``, not even the index (see :func:`run_notebook`).

    Args:
        names: notebooks to run (default all).
        overrides: parameter overrides for every notebook.
        profile: ``smoke``, ``default`` or ``full``.
        sweep: ``(key, values)``: one run per value, each with its own ``<name>@<key>=<value>`` files.
        timeout: per-notebook limit in seconds.
        log_output: stream each notebook's output.
        progress: papermill's per-cell progress bar.
        save_models: keep each run's trained models beside its report (``<stem>.models/*.keras``).
        strategy: ``AEUTILS_STRATEGY`` for the notebooks' kernels only, e.g. ``"multi_worker"`` (``None``:
            the environment's); see :func:`run_notebook`.
        log: where the one-line progress messages go.

    Returns:
        One run record per notebook (and per sweep value).

    Raises:
        ParameterError: unknown notebook, profile, parameter or wrong type.
        KeyboardInterrupt: after the index is rebuilt.
    """
    profile = "smoke" if smoke else profile
    names = list(names) if names else list_notebooks(notebook_dir)
    overrides = dict(overrides or {})
    plan = []
    for name in names:
        base = profile_parameters(name, profile, notebook_dir)
        values = list(sweep[1]) if sweep else [None]
        for value in values:
            extra = {sweep[0]: value} if sweep else {}
            validate_parameters(name, {**base, **overrides, **extra}, notebook_dir)
            stem = f"{name}@{slug(sweep[0])}={slug(value)}" if sweep else name
            plan.append((name, stem, extra, {"key": sweep[0], "value": value} if sweep else None))
    chief = is_chief_process()
    if not chief:
        log(
            f"[aeutils] this process is {describe_task()} (TF_CONFIG), not the chief: each notebook runs, "
            f"since every worker must train alike, but nothing is written to {out_dir}; the chief writes the reports"
        )
    if log_output:
        logging.basicConfig(level=logging.INFO, format="%(message)s")
        logging.getLogger("papermill").setLevel(logging.INFO)
    records = []
    try:
        with sigterm_as_interrupt():
            for i, (name, stem, extra, sweep_info) in enumerate(plan, 1):
                log(f"[aeutils] {i}/{len(plan)} running {stem} ({profile}) ...")
                rec = run_notebook(
                    name,
                    {**overrides, **extra},
                    profile=profile,
                    out_dir=out_dir,
                    notebook_dir=notebook_dir,
                    stem=stem,
                    sweep=sweep_info,
                    timeout=timeout,
                    log_output=log_output,
                    progress=progress,
                    save_models=save_models,
                    strategy=strategy,
                )
                log(
                    f"[aeutils] {stem}: {rec['status']} in {rec['seconds']:.0f} s"
                    + (f" — {rec['error']}" if rec["error"] else "")
                )
                records.append(rec)
    finally:
        if chief:
            index = build_index(out_dir, notebook_dir)
            log(f"[aeutils] index: {index}")
    return records


def exit_code(records: Sequence[Mapping], *, strict: bool = False) -> int:
    """0 when every notebook ran (and, with ``strict``, every claim held), else 1.

    Example:
    >>> unmet = [{"status": "ok"}, {"status": "claims not met"}]
    >>> exit_code(unmet), exit_code(unmet, strict=True), exit_code([{"status": "failed"}])
    (0, 1, 1)
    """
    if any(r.get("status") not in ("ok", "claims not met") for r in records):
        return 1
    if strict and any(r.get("status") != "ok" for r in records):
        return 1
    return 0
