"""Packaging: the wheel carries the package data and the console command; requirements pin what pyproject ranges."""

import re
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_wheel_holds_the_template_and_the_command(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, src / name)
    shutil.copytree(ROOT / "aeutils", src / "aeutils", ignore=shutil.ignore_patterns("__pycache__"))
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", str(src), "-w",
         str(tmp_path)],
        capture_output=True, text=True, timeout=300,
    )
    if build.returncode and "No module named" in build.stderr:
        pytest.skip(f"no build backend here: {build.stderr[-200:]}")
    assert build.returncode == 0, build.stderr[-2000:]
    wheel = next(tmp_path.glob("aeutils-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "aeutils/reports/index.html.j2" in names
    assert {"aeutils/reports/templates/aeutils/index.html.j2", "aeutils/reports/templates/aeutils/conf.json"} <= names
    assert {"aeutils/latent_explorer.py", "aeutils/studies/__init__.py", "aeutils/data/embedded.py"} <= names
    entry = next(n for n in names if n.endswith("entry_points.txt"))
    assert "aeutils = aeutils.cli:main" in zipfile.ZipFile(wheel).read(entry).decode()
    meta = zipfile.ZipFile(wheel).read(next(n for n in names if n.endswith("METADATA"))).decode()
    assert "Requires-Dist: ipywidgets" in meta and "Provides-Extra: gpu" in meta


def test_every_pinned_requirement_is_a_declared_dependency():
    """requirements.txt is the lock of pyproject's ranges (plus the dev tools): no package only in one of them."""
    pins = {}
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, version = line.split("==")
            pins[name.strip().lower()] = version.strip()
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    declared = project["dependencies"] + project["optional-dependencies"]["dev"]
    names = {re.split(r"[<>=\[ ]", d, maxsplit=1)[0].lower() for d in declared}
    names = {"tensorflow-cpu" if n == "tensorflow" else n for n in names}  # the lock pins the CPU build
    assert set(pins) <= names | {"tensorflow-cpu"}, set(pins) - names
    assert pins["ipywidgets"] == "8.1.9"


def test_version_command():
    """What the console command `aeutils --version` runs (``aeutils = aeutils.cli:main``)."""
    import aeutils

    code = "import sys; from aeutils.cli import main; sys.exit(main())"
    run = subprocess.run([sys.executable, "-c", code, "--version"], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0 and run.stdout.strip() == f"aeutils {aeutils.__version__}", run.stderr[-500:]
    assert "I0000" not in run.stderr and "absl" not in run.stderr  # no TensorFlow start-up lines either
