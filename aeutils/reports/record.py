"""What a run leaves behind: the metrics JSON a notebook writes, its provenance, and reading it back."""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import platform
import subprocess
import sys
from collections.abc import Mapping, Sequence
from importlib import metadata
from pathlib import Path

import numpy as np

from aeutils import __version__
from aeutils.reports.notebooks import ROOT


def jsonable(obj):
    """``obj`` with NumPy values turned into Python ones and non-finite floats into strings.

    Example:
    >>> jsonable({"a": np.float32(1.5), "b": float("inf"), "c": np.arange(2)})
    {'a': 1.5, 'b': 'inf', 'c': [0, 1]}
    """
    if isinstance(obj, Mapping):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return jsonable(obj.tolist())
    if isinstance(obj, np.generic):
        return jsonable(obj.item())
    if isinstance(obj, float) and not math.isfinite(obj):
        return str(obj)
    return obj


def now() -> str:
    """The local time, to the second, ISO 8601."""
    return dt.datetime.now().isoformat(timespec="seconds")


def machine() -> str:
    """The CPU model and the cores this process may use, plus any GPU TensorFlow sees (if already loaded)."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    out = f"{cpu}, {cores} cores"
    tf = sys.modules.get("tensorflow")
    if tf is not None:
        try:
            gpus = tf.config.list_physical_devices("GPU")
        except Exception:  # a half-initialised TensorFlow: say nothing about GPUs
            gpus = []
        if gpus:
            out += f"; {len(gpus)} GPU(s)"
    return out


def _git(*args: str) -> str | None:
    try:
        res = subprocess.run(["git", "-C", str(ROOT), *args], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return res.stdout.strip() if res.returncode == 0 else None


#: Distributions that provide a module (TensorFlow ships as several).
_DISTRIBUTIONS = {"tensorflow": ("tensorflow-cpu", "tensorflow", "tensorflow-gpu")}


def _version(module: str) -> str | None:
    """The version of an imported module, else of the installed distribution; ``None`` if neither."""
    mod = sys.modules.get(module)
    if mod is not None and getattr(mod, "__version__", None):
        return mod.__version__
    for dist in _DISTRIBUTIONS.get(module, (module,)):
        try:
            return metadata.version(dist)
        except metadata.PackageNotFoundError:
            continue
    return None


def provenance(*, started: str | None = None, finished: str | None = None) -> dict:
    """Where a result came from: package versions, the git commit (and whether the tree was dirty), the machine."""
    commit = _git("rev-parse", "HEAD")
    dirty = _git("status", "--porcelain", "--untracked-files=no")
    return {
        "aeutils": __version__,
        "git_commit": commit,
        "git_dirty": None if dirty is None else bool(dirty),
        "python": platform.python_version(),
        "tensorflow": _version("tensorflow"),
        "keras": _version("keras"),
        "numpy": np.__version__,
        "machine": machine(),
        "started": started,
        "finished": finished or now(),
    }


def run_provenance(at_start: Mapping, written: Mapping | None, *, started: str, finished: str) -> dict:
    """A run's provenance: what the notebook wrote, with the git state the run started from.

    The notebook writes its provenance when it ends; a commit made (or a file edited) meanwhile would
    name code the run did not start with, so ``git_commit`` is the one at the start, and ``git_dirty``
    is true when the tree was dirty at either end or the commit moved during the run.

    Example:
    >>> start = {"git_commit": "a1", "git_dirty": False, "machine": "x"}
    >>> p = run_provenance(start, {"git_commit": "b2", "git_dirty": False, "machine": "x"}, started="s", finished="f")
    >>> p["git_commit"], p["git_dirty"], p["started"], p["finished"]
    ('a1', True, 's', 'f')
    >>> run_provenance(start, None, started="s", finished="f")["git_dirty"]
    False
    """
    out = {**at_start, **(written or {})}
    end_commit, end_dirty = out.get("git_commit"), out.get("git_dirty")
    dirty = [at_start.get("git_dirty"), end_dirty, end_commit != at_start.get("git_commit")]
    out["git_commit"] = at_start.get("git_commit")
    out["git_dirty"] = None if at_start.get("git_dirty") is None else any(bool(d) for d in dirty)
    out.update(started=started, finished=finished)
    return out


def write_json(path: str | Path, record: Mapping) -> Path:
    """Write ``record`` as JSON through a temporary file and a rename, so a reader never sees half of it."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(jsonable(record), indent=2))
    os.replace(tmp, path)
    return path


def write_metrics(
    path: str | Path,
    *,
    experiment: str,
    data_source: str,
    headline: Mapping,
    details: Mapping | None = None,
    parameters: Mapping | None = None,
    claims: Sequence[Mapping] | None = None,
    data_note: str = "",
    conclusion: str = "",
) -> dict:
    """Write a run's metrics and claims as JSON (the last cell of every notebook calls this).

    Args:
        path: output file; an empty string writes nothing.
        experiment: notebook name.
        data_source: where the data came from (an :attr:`ImageSet.source`).
        headline: a few numbers for the index table.
        details: everything else worth keeping (tables as lists of dicts).
        parameters: the run's parameters.
        claims: the experiment's claims (see :mod:`aeutils.claims`), evaluated by this run.
        data_note: a plain sentence about the data ("stand-in for CIFAR-10: ...").
        conclusion: a short conclusion written from the claims (one is made if empty).

    Returns:
        The dict written; its ``status`` is ``"ok"`` when every claim holds, else ``"claims not met"``.
    """
    from aeutils import claims as C  # here: its intervals bring in scipy, which --help does not need

    claims = [dict(c) for c in (claims or [])]
    record = jsonable(
        {
            "experiment": experiment,
            "data_source": data_source,
            "data_note": data_note,
            "headline": dict(headline),
            "claims": claims,
            "status": C.status(claims),
            "conclusion": conclusion or default_conclusion(claims),
            "details": dict(details or {}),
            "parameters": dict(parameters or {}),
            "written": now(),
            "provenance": provenance(),
        }
    )
    if path:
        write_json(path, record)
    return record


def default_conclusion(claims: Sequence[Mapping]) -> str:
    """One sentence from the claims: which hold, which do not.

    Example:
    >>> from aeutils.claims import check
    >>> default_conclusion([check("a", True), check("b", False)])
    'Holds: a. Does not hold: b.'
    """
    if not claims:
        return "This run states no claims."
    held = [c["claim"] for c in claims if c.get("holds")]
    failed = [c["claim"] for c in claims if not c.get("holds")]
    parts = []
    if held:
        parts.append("Holds: " + "; ".join(held) + ".")
    if failed:
        parts.append("Does not hold: " + "; ".join(failed) + ".")
    return " ".join(parts)


def read_record(path: str | Path) -> dict | None:
    """A metrics JSON read back; ``None`` if absent, ``{"status": "unreadable", ...}`` if it cannot be parsed."""
    path = Path(path)
    if not path.exists():
        return None
    try:
        rec = json.loads(path.read_text())
        if not isinstance(rec, dict):
            raise ValueError("not a JSON object")
    except (OSError, ValueError) as err:
        return {"status": "unreadable", "error": f"{path.name}: {err}"}
    return rec


#: Environment variable naming the folder a run's models go to; ``aeutils report --save-models``
#: sets it for each notebook (a scratch folder, renamed to ``reports/NAME.models/`` when the run
#: ends well). Unset: :func:`save_models` saves nothing.
SAVE_MODELS_ENV = "AEUTILS_SAVE_MODELS"


def save_models(models: Mapping, directory: str | os.PathLike | None = None) -> list[Path]:
    """Keep a run's trained models as ``NAME.keras`` files, when the run was asked to.

    A notebook calls it once, at the end: ``save_models({"vae": vae, ...})``. It writes only
    when ``directory`` is given or ``$AEUTILS_SAVE_MODELS`` is set (``aeutils report --save-models``
    sets it), so a plain run costs nothing. Each file is written under a temporary name and renamed
    into place; load one with :func:`aeutils.load_model`.

    Args:
        models: name → Keras model (``None`` values are skipped, e.g. a section that did not run).
        directory: where to write (default ``$AEUTILS_SAVE_MODELS``).

    Returns:
        The files written (``[]`` when not asked to save).

    Example:
    >>> save_models({"ae": None})  # not asked (no directory, $AEUTILS_SAVE_MODELS unset)
    []
    """
    directory = directory or os.environ.get(SAVE_MODELS_ENV)
    if not directory:
        return []
    from aeutils.saving import save_model  # Keras: imported only when saving

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, model in models.items():
        if model is None:
            continue
        stem = "".join(c if c.isalnum() or c in "._-" else "_" for c in str(name)).strip("._") or "model"
        final = directory / f"{stem}.keras"
        tmp = directory / f".{stem}.partial.keras"
        save_model(model, tmp)
        os.replace(tmp, final)
        written.append(final)
    return written
