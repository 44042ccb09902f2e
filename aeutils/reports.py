"""Run the notebooks with papermill, render them to HTML with nbconvert, build ``reports/index.html``.

Each notebook keeps, in its metadata under ``"aeutils"``, a title, its smoke
settings (tiny parameters for tests and ``--smoke``) and the parameters worth
showing in the index. A notebook's last cell calls :func:`write_metrics`.
"""

from __future__ import annotations

import ast
import datetime as _dt
import html
import json
import math
import re
import time
import traceback
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK_DIR = ROOT / "notebooks"
REPORT_DIR = ROOT / "reports"


class ParameterError(ValueError):
    """An unknown notebook, an unknown parameter name or a value of the wrong type."""


# ---------------------------------------------------------------------------
# Notebooks and their parameters
# ---------------------------------------------------------------------------


def list_notebooks(notebook_dir: Path = NOTEBOOK_DIR) -> list[str]:
    """Names (file stems) of the experiment notebooks, sorted."""
    return sorted(p.stem for p in Path(notebook_dir).glob("*.ipynb"))


def _path(name: str, notebook_dir: Path = NOTEBOOK_DIR) -> Path:
    path = Path(notebook_dir) / f"{name}.ipynb"
    if not path.is_file():
        raise ParameterError(f"unknown notebook {name!r}; choose from {list_notebooks(notebook_dir)}")
    return path


def notebook_meta(name: str, notebook_dir: Path = NOTEBOOK_DIR) -> dict:
    """The notebook's ``metadata["aeutils"]``: ``title``, ``smoke`` and ``key_params``."""
    nb = json.loads(_path(name, notebook_dir).read_text())
    return nb.get("metadata", {}).get("aeutils", {})


def notebook_parameters(name: str, notebook_dir: Path = NOTEBOOK_DIR) -> dict[str, dict]:
    """Parameters declared in the notebook's ``parameters`` cell.

    Returns:
        ``{name: {"default": value, "type": type, "help": comment}}``.
    """
    import papermill as pm

    raw = pm.inspect_notebook(str(_path(name, notebook_dir)))
    out = {}
    for key, info in raw.items():
        default = ast.literal_eval(info["default"])
        out[key] = {"default": default, "type": type(default), "help": info.get("help", "")}
    return out


def _coerce(key: str, value, expected: type):
    """Convert a CLI string (or check a Python value) against the default's type."""
    if not isinstance(value, str) or expected is str:
        if expected is float and isinstance(value, int) and not isinstance(value, bool):
            return float(value)
        if isinstance(value, expected) and not (expected is int and isinstance(value, bool)):
            return value
        if not isinstance(value, str):
            raise ParameterError(f"parameter {key!r} expects {expected.__name__}, got {type(value).__name__} {value!r}")
    try:
        if expected is bool:
            low = value.strip().lower()
            if low in ("true", "1", "yes"):
                return True
            if low in ("false", "0", "no"):
                return False
            raise ValueError(value)
        if expected is int:
            return int(value)
        if expected is float:
            return float(value)
        parsed = ast.literal_eval(value)
        if expected is type(None) or isinstance(parsed, expected):
            return parsed
        raise ValueError(value)
    except (ValueError, SyntaxError) as err:
        raise ParameterError(f"parameter {key!r} expects {expected.__name__}, got {value!r}") from err


def validate_parameters(name: str, overrides: Mapping, notebook_dir: Path = NOTEBOOK_DIR) -> dict:
    """Check override names and types against the notebook's parameters cell.

    Returns:
        The overrides converted to the defaults' types.

    Raises:
        ParameterError: an unknown name (the message lists the valid ones) or a
            value that does not convert to the default's type.
    """
    params = notebook_parameters(name, notebook_dir)
    out = {}
    for key, value in overrides.items():
        if key not in params:
            raise ParameterError(f"{name}: unknown parameter {key!r}; valid parameters: {', '.join(sorted(params))}")
        out[key] = _coerce(key, value, params[key]["type"])
    return out


# ---------------------------------------------------------------------------
# Metrics written by the notebooks
# ---------------------------------------------------------------------------


def _jsonable(obj):
    if isinstance(obj, Mapping):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return _jsonable(obj.tolist())
    if isinstance(obj, np.generic):
        return _jsonable(obj.item())
    if isinstance(obj, float) and not math.isfinite(obj):
        return str(obj)
    return obj


def write_metrics(
    path: str | Path,
    *,
    experiment: str,
    data_source: str,
    headline: Mapping,
    details: Mapping | None = None,
    parameters: Mapping | None = None,
) -> dict:
    """Write a run's metrics as JSON (the last cell of every notebook calls this).

    Args:
        path: output file; an empty string writes nothing.
        experiment: notebook name.
        data_source: where the data came from (an :attr:`ImageSet.source`).
        headline: a few numbers for the index table.
        details: everything else worth keeping (tables as lists of dicts).
        parameters: the run's parameters.

    Returns:
        The dict written.
    """
    record = _jsonable(
        {
            "experiment": experiment,
            "data_source": data_source,
            "headline": dict(headline),
            "details": dict(details or {}),
            "parameters": dict(parameters or {}),
            "written": _dt.datetime.now().isoformat(timespec="seconds"),
        }
    )
    if path:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        Path(path).write_text(json.dumps(record, indent=2))
    return record


# ---------------------------------------------------------------------------
# Running and rendering
# ---------------------------------------------------------------------------


#: TensorFlow's C++ start-up log lines (printed before absl logging is set up,
#: so no environment variable silences them); they are noise in a report.
_TF_LOG_LINE = re.compile(r"^(WARNING: All log messages before absl|[IWE]\d{4} \d\d:\d\d:\d\d)")


def strip_tf_logs(nb) -> None:
    """Remove TensorFlow's C++ log lines from a notebook's stderr outputs, in place."""
    for cell in nb.cells:
        kept = []
        for out in cell.get("outputs", []):
            if out.get("output_type") == "stream" and out.get("name") == "stderr":
                lines = [ln for ln in out["text"].splitlines(keepends=True) if not _TF_LOG_LINE.match(ln)]
                out["text"] = "".join(lines)
                if not out["text"].strip():
                    continue
            kept.append(out)
        if "outputs" in cell:
            cell["outputs"] = kept


def render_html(ipynb: Path, html_path: Path) -> None:
    """Render an executed notebook to HTML: inputs hidden, figures inline, TF start-up logs dropped."""
    import nbformat
    from nbconvert import HTMLExporter

    nb = nbformat.read(str(ipynb), as_version=4)
    strip_tf_logs(nb)
    exporter = HTMLExporter(exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True)
    body, _ = exporter.from_notebook_node(nb)
    html_path.write_text(body)


def run_notebook(
    name: str,
    parameters: Mapping | None = None,
    *,
    smoke: bool = False,
    out_dir: Path = REPORT_DIR,
    notebook_dir: Path = NOTEBOOK_DIR,
    progress: bool = False,
) -> dict:
    """Execute one notebook with papermill, render it, and record the run.

    Smoke settings from the notebook's metadata come first; ``parameters``
    override them. A failing notebook is kept (partially executed) and rendered.

    Returns:
        The run record also merged into ``<out_dir>/<name>.metrics.json``:
        ``{"experiment", "status", "seconds", "parameters", "error", ...}``.
    """
    import papermill as pm

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    params = dict(notebook_meta(name, notebook_dir).get("smoke", {})) if smoke else {}
    params.update(parameters or {})
    params = validate_parameters(name, params, notebook_dir)
    metrics_path = out_dir / f"{name}.metrics.json"
    metrics_path.unlink(missing_ok=True)
    params["metrics_path"] = str(metrics_path)
    out_nb = out_dir / f"{name}.ipynb"
    status, error = "ok", None
    start = time.perf_counter()
    try:
        pm.execute_notebook(
            str(_path(name, notebook_dir)),
            str(out_nb),
            parameters=params,
            cwd=str(notebook_dir),
            progress_bar=progress,
            kernel_name="python3",
        )
    except pm.PapermillExecutionError as err:
        status, error = "failed", f"{err.ename}: {err.evalue}"
    except Exception as err:  # kernel died, missing kernel, ...
        status, error = "failed", f"{type(err).__name__}: {err}"
        traceback.print_exc()
    seconds = time.perf_counter() - start
    html_path = out_dir / f"{name}.html"
    if out_nb.exists():
        try:
            render_html(out_nb, html_path)
        except Exception as err:  # keep going: the executed notebook is still there
            error = (error or "") + f" (HTML rendering failed: {err})"
    record = json.loads(metrics_path.read_text()) if metrics_path.exists() else {}
    if status == "ok" and not record:
        status, error = "failed", "the notebook wrote no metrics"
    params.pop("metrics_path")
    record.update(
        {
            "experiment": name,
            "title": notebook_meta(name, notebook_dir).get("title", name),
            "status": status,
            "error": error,
            "seconds": round(seconds, 1),
            "smoke": smoke,
            "overrides": _jsonable(params),
            "html": html_path.name if html_path.exists() else None,
            "finished": _dt.datetime.now().isoformat(timespec="seconds"),
        }
    )
    metrics_path.write_text(json.dumps(_jsonable(record), indent=2))
    return record


def _fmt(v) -> str:
    if isinstance(v, float):
        return f"{v:.4g}"
    return html.escape(str(v))


def build_index(out_dir: Path = REPORT_DIR, notebook_dir: Path = NOTEBOOK_DIR) -> Path:
    """Write ``index.html``: one row per experiment with status, time, parameters, data and metrics."""
    out_dir = Path(out_dir)
    rows = []
    for name in list_notebooks(notebook_dir):
        path = out_dir / f"{name}.metrics.json"
        rec = json.loads(path.read_text()) if path.exists() else {"status": "not run"}
        meta = notebook_meta(name, notebook_dir)
        params = rec.get("parameters", {})
        keys = meta.get("key_params") or list(params)
        shown = {k: params[k] for k in keys if k in params}
        status = rec.get("status", "not run")
        headline = rec.get("headline", {})
        link = (
            f'<a href="{rec["html"]}">{html.escape(meta.get("title", name))}</a>'
            if rec.get("html")
            else html.escape(meta.get("title", name))
        )
        err = f'<div class="err">{html.escape(str(rec.get("error")))}</div>' if rec.get("error") else ""
        rows.append(
            f"<tr class='{status}'><td>{link}<div class='nb'>{name}</div></td>"
            f"<td>{status}{' (smoke)' if rec.get('smoke') else ''}{err}</td>"
            f"<td>{_fmt(rec.get('seconds', ''))} s</td>"
            f"<td>{'<br>'.join(f'{html.escape(k)} = {_fmt(v)}' for k, v in shown.items())}</td>"
            f"<td>{html.escape(str(rec.get('data_source', '')))}</td>"
            f"<td>{'<br>'.join(f'{html.escape(k)}: {_fmt(v)}' for k, v in headline.items())}</td></tr>"
        )
    page = f"""<!doctype html><html><head><meta charset="utf-8"><title>aeutils reports</title>
<style>body{{font-family:sans-serif;margin:2em}}table{{border-collapse:collapse}}
td,th{{border:1px solid #ccc;padding:6px;vertical-align:top;font-size:14px}}
tr.failed{{background:#fdd}}tr.ok{{background:#efe}}.err{{color:#900;font-size:12px}}
.nb{{color:#666;font-size:11px}}</style></head><body>
<h1>aeutils experiment reports</h1>
<p>Written {_dt.datetime.now().isoformat(timespec="seconds")} by <code>python -m aeutils report</code>.</p>
<table><tr><th>experiment</th><th>status</th><th>run time</th><th>key parameters</th>
<th>data source</th><th>headline metrics</th></tr>
{"".join(rows)}</table></body></html>"""
    index = out_dir / "index.html"
    out_dir.mkdir(parents=True, exist_ok=True)
    index.write_text(page)
    return index


def run(
    names: Sequence[str] | None = None,
    overrides: Mapping | None = None,
    *,
    smoke: bool = False,
    out_dir: Path = REPORT_DIR,
    notebook_dir: Path = NOTEBOOK_DIR,
    log=print,
) -> list[dict]:
    """Run several notebooks (default: all), then rewrite the index.

    All names and overrides are validated before any notebook starts; an
    override must be a parameter of every notebook named.

    Returns:
        One run record per notebook.

    Raises:
        ParameterError: unknown notebook, unknown parameter or wrong type.
    """
    names = list(names) if names else list_notebooks(notebook_dir)
    overrides = dict(overrides or {})
    for name in names:
        base = notebook_meta(name, notebook_dir).get("smoke", {}) if smoke else {}
        validate_parameters(name, {**base, **overrides}, notebook_dir)
    records = []
    for name in names:
        log(f"[aeutils] running {name}{' (smoke)' if smoke else ''} ...")
        rec = run_notebook(name, overrides, smoke=smoke, out_dir=out_dir, notebook_dir=notebook_dir)
        log(
            f"[aeutils] {name}: {rec['status']} in {rec['seconds']:.0f} s"
            + (f" — {rec['error']}" if rec["error"] else "")
        )
        records.append(rec)
    index = build_index(out_dir, notebook_dir)
    log(f"[aeutils] index: {index}")
    return records
