"""The experiment notebooks: where they are, their metadata, parameters, profiles and parameter files."""

from __future__ import annotations

import ast
import json
import os
from collections.abc import Mapping
from pathlib import Path

import yaml

#: Environment variable naming the notebooks' folder (for an installed, non-editable package).
NOTEBOOKS_ENV = "AEUTILS_NOTEBOOKS"


def find_root() -> Path:
    """The project folder: the checkout this package sits in, else the current directory.

    An editable install (``pip install -e .``, what ``make`` does) runs from the checkout, whose
    ``notebooks/`` sits beside the package; a regular install lives in ``site-packages``, so the
    notebooks are looked for in ``$AEUTILS_NOTEBOOKS``, then in ``./notebooks``.
    """
    checkout = Path(__file__).resolve().parents[2]
    if (checkout / "notebooks").is_dir() and (checkout / "aeutils").is_dir():
        return checkout
    if os.environ.get(NOTEBOOKS_ENV):
        return Path(os.environ[NOTEBOOKS_ENV]).resolve().parent
    return Path.cwd()


#: The project folder (see :func:`find_root`); notebooks in ``ROOT / "notebooks"``, reports in ``ROOT / "reports"``.
ROOT = find_root()
NOTEBOOK_DIR = Path(os.environ[NOTEBOOKS_ENV]).resolve() if os.environ.get(NOTEBOOKS_ENV) else ROOT / "notebooks"
REPORT_DIR = ROOT / "reports"

#: ``default`` runs each notebook's own parameters cell; the others come from its metadata.
PROFILES = ("smoke", "default", "full")


class ParameterError(ValueError):
    """An unknown notebook, parameter, profile or parameter file, or a value of the wrong type."""


def list_notebooks(notebook_dir: Path = NOTEBOOK_DIR) -> list[str]:
    """Names (file stems) of the experiment notebooks, sorted."""
    return sorted(p.stem for p in Path(notebook_dir).glob("*.ipynb"))


def notebook_path(name: str, notebook_dir: Path = NOTEBOOK_DIR) -> Path:
    """The notebook file for ``name``.

    Raises:
        ParameterError: no such notebook (the message lists the known ones).
    """
    path = Path(notebook_dir) / f"{name}.ipynb"
    if not path.is_file():
        raise ParameterError(f"unknown notebook {name!r}; choose from {list_notebooks(notebook_dir)}")
    return path


def notebook_meta(name: str, notebook_dir: Path = NOTEBOOK_DIR) -> dict:
    """The notebook's ``metadata["aeutils"]``: ``title``, ``question``, ``smoke``, ``full``, ``key_params``."""
    nb = json.loads(notebook_path(name, notebook_dir).read_text())
    return nb.get("metadata", {}).get("aeutils", {})


def notebook_parameters(name: str, notebook_dir: Path = NOTEBOOK_DIR) -> dict[str, dict]:
    """Parameters declared in the notebook's ``parameters`` cell.

    Returns:
        ``{name: {"default": value, "type": type, "help": comment}}``.
    """

    import papermill as pm  # here, not at import: the command line's --help needs no nbformat

    raw = pm.inspect_notebook(str(notebook_path(name, notebook_dir)))
    out = {}
    for key, info in raw.items():
        default = ast.literal_eval(info["default"])
        out[key] = {"default": default, "type": type(default), "help": info.get("help", "")}
    return out


def coerce(key: str, value, expected: type):
    """Convert a command-line string (or check a Python value) against the default's type.

    Raises:
        ParameterError: the value does not convert.

    Example:
    >>> coerce("epochs", "3", int), coerce("rate", 1, float), coerce("save", "yes", bool)
    (3, 1.0, True)
    """
    if not isinstance(value, str) or expected is str:
        if expected is float and isinstance(value, int) and not isinstance(value, bool):
            return float(value)
        if isinstance(value, expected) and not (expected is int and isinstance(value, bool)):
            return value
        if expected is str and not isinstance(value, str) and not isinstance(value, (list, dict)):
            return str(value)
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
        out[key] = coerce(key, value, params[key]["type"])
    return out


def profile_parameters(name: str, profile: str = "default", notebook_dir: Path = NOTEBOOK_DIR) -> dict:
    """The parameter settings of a profile: ``{}`` for ``default``, else the notebook metadata's.

    Raises:
        ParameterError: an unknown profile, or a notebook without settings for it.
    """
    if profile not in PROFILES:
        raise ParameterError(f"unknown profile {profile!r}; choose from {', '.join(PROFILES)}")
    if profile == "default":
        return {}
    meta = notebook_meta(name, notebook_dir)
    if profile not in meta:
        raise ParameterError(f"{name}: the notebook's metadata has no {profile!r} settings")
    return dict(meta[profile])


def read_parameter_file(path: str | Path) -> dict:
    """Read a YAML (or JSON) file of ``key: value`` parameters, as papermill's ``-f`` does.

    Raises:
        ParameterError: the file is missing, unreadable or not a flat mapping.
    """

    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text())
    except OSError as err:
        raise ParameterError(f"cannot read parameter file {str(path)!r}: {err.strerror}") from err
    except yaml.YAMLError as err:
        raise ParameterError(f"parameter file {str(path)!r} is not valid YAML: {err}") from err
    if data is None:
        return {}
    if not isinstance(data, dict) or any(isinstance(v, (dict, list)) for v in data.values()):
        raise ParameterError(f"parameter file {str(path)!r} must be a flat mapping of name: value")
    return {str(k): v for k, v in data.items()}
