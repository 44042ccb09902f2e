"""Notebook hygiene: JupyterLab's metadata in every committed notebook, figures shown once, no TensorFlow C++ noise."""

import ast
import os
import subprocess
import sys

import nbformat
import pytest

from aeutils import reports as R

KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}

def _notebooks():
    return [(name, nbformat.read(str(R.NOTEBOOK_DIR / f"{name}.ipynb"), as_version=4)) for name in R.list_notebooks()]


def test_every_notebook_carries_what_jupyterlab_writes():
    """Opening a notebook in JupyterLab then changes nothing: its kernelspec and language_info are already there."""
    for name, nb in _notebooks():
        assert nb.metadata["kernelspec"] == KERNELSPEC, name
        info = nb.metadata["language_info"]
        assert info["name"] == "python" and info["pygments_lexer"] == "ipython3", name
        assert {"codemirror_mode", "file_extension", "mimetype", "nbconvert_exporter", "version"} <= set(info), name


def figure_call(node) -> bool:
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
        return False
    owner, attr = node.func.value, node.func.attr
    if isinstance(owner, ast.Name) and owner.id == "plotting":
        return attr not in ("metric_table", "tile_grid", "closed")
    if isinstance(owner, ast.Name) and owner.id == "compare":
        return attr.startswith("plot_")
    return attr.endswith("_figure")


@pytest.mark.parametrize("name", R.list_notebooks())
def test_closed_figures_are_shown_where_they_are_drawn(name):
    """The helpers return closed figures: a figure call is a cell's last expression (no ';') or inside display()."""
    nb = nbformat.read(str(R.NOTEBOOK_DIR / f"{name}.ipynb"), as_version=4)
    for i, cell in enumerate(c for c in nb.cells if c.cell_type == "code"):
        tree = ast.parse(cell.source)
        last = tree.body[-1] if tree.body else None
        for node in ast.walk(tree):
            if isinstance(node, ast.Expr) and figure_call(node.value):
                assert node is last, f"{name}, code cell {i}: a figure call that is not the last statement is lost"
                assert not cell.source.rstrip().endswith(";"), f"{name}, code cell {i}: ';' hides the figure"


def test_first_cell_shows_no_tensorflow_log_lines(tmp_path):
    """A kernel that imports aeutils, then TensorFlow, prints nothing on stderr (nbclient, as JupyterLab runs it)."""
    from nbclient import NotebookClient

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("import aeutils\nimport tensorflow as tf\nprint(int(tf.constant(1)))")]
    env_before = os.environ.pop("TF_CPP_MIN_LOG_LEVEL", None)  # as in a fresh JupyterLab
    try:
        client = NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}})
        client.execute()
    finally:
        if env_before is not None:
            os.environ["TF_CPP_MIN_LOG_LEVEL"] = env_before
    outputs = nb.cells[0].outputs
    stderr = "".join(o.get("text", "") for o in outputs if o.get("name") == "stderr")
    assert stderr == "", stderr
    assert any(o.get("text", "").strip() == "1" for o in outputs)


def test_users_log_level_wins():
    """TF_CPP_MIN_LOG_LEVEL (default 2) decides which of TensorFlow's start-up lines show; 0 shows them all.

    ``import aeutils`` does not import TensorFlow; its first import, here through Keras, is the filtered one.
    """
    code = "import aeutils, sys; print('tensorflow' in sys.modules); import keras"
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    quiet = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300)
    assert quiet.stdout.strip() == "False" and "I0000" not in quiet.stderr and "absl" not in quiet.stderr, quiet.stderr
    loud = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300,
                          env={**env, "TF_CPP_MIN_LOG_LEVEL": "0"})
    assert loud.returncode == 0 and "I0000" in loud.stderr


def test_the_report_runner_and_claims_start_without_tensorflow():
    """A notebook that only records claims, and the runner, do not pay TensorFlow's start-up (seconds per kernel)."""
    code = (
        "import sys, aeutils, aeutils.reports, aeutils.claims, aeutils.cluster\n"
        "print('tensorflow' in sys.modules, 'keras' in sys.modules, callable(aeutils.load_model))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["False", "False", "True"]


def test_the_command_line_starts_without_tensorflow():
    """``aeutils --help``, ``report --help``, ``compare --help`` import no TensorFlow, nbformat or papermill."""
    code = (
        "import sys\nfrom aeutils.cli import main\n"
        "for argv in (['--help'], ['report', '--help'], ['compare', '--help']):\n"
        "    try:\n        main(argv)\n    except SystemExit:\n        pass\n"
        "print('tensorflow' in sys.modules, 'keras' in sys.modules, 'nbformat' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert "usage: aeutils compare" in out.stdout and "--strategy" in out.stdout
    # nor nbconvert / papermill (nbformat's jsonschema alone took a second): the report runner loads them to run
    assert out.stdout.split()[-3:] == ["False", "False", "False"], out.stdout[-500:]
