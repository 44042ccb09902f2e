"""Every notebook runs through papermill on its smoke settings and writes its metrics."""

import html
import json
import re

import pytest

from aeutils import reports as R


@pytest.mark.parametrize("name", R.list_notebooks())
def test_notebook_smoke_run(name, tmp_path):
    rec = R.run_notebook(name, smoke=True, out_dir=tmp_path, save_models=True)
    assert rec["status"] in ("ok", "claims not met"), rec["error"]  # smoke sizes need not meet claims
    written = json.loads((tmp_path / f"{name}.metrics.json").read_text())
    assert written["experiment"] == name
    assert written["headline"], "headline metrics are empty"
    assert written["data_source"]
    page = (tmp_path / f"{name}.html").read_text()
    assert len(page) > 10_000
    keys = {"claim", "holds", "ours", "baseline", "unit"}
    assert written["claims"] and all(keys <= set(c) for c in written["claims"])
    assert f"<title>{html.escape(R.notebook_meta(name)['title'])}</title>" in page
    # TensorFlow's C++ start-up lines, retracing warnings and Keras progress bars never reach a page
    # (smoke runs train many models for one epoch each: train.fit counts tracing per model).
    noise = re.findall(r"ms/step|\bI0000\b|\bE0000\b|All log messages before absl|tf.function retracing", page)
    assert not noise, f"log noise on the page: {sorted(set(noise))}"
    _figures_shown_once(name, tmp_path / f"{name}.ipynb")
    _no_stray_results(name, tmp_path / f"{name}.ipynb")
    _saved_models_load(name, tmp_path / f"{name}.models")


def test_every_notebook_is_thin_and_parameterised():
    import nbformat

    for name in R.list_notebooks():
        nb = nbformat.read(str(R.NOTEBOOK_DIR / f"{name}.ipynb"), as_version=4)
        tags = [c.metadata.get("tags", []) for c in nb.cells]
        assert sum("parameters" in t for t in tags) == 1, name
        code = [c for c in nb.cells if c.cell_type == "code"]
        assert not any(c.get("outputs") for c in code), f"{name} committed with outputs"
        assert not any("\ndef " in "\n" + c.source for c in code), f"{name} defines functions"
        meta = nb.metadata["aeutils"]
        assert meta["title"] and meta["smoke"], name
        R.validate_parameters(name, meta["smoke"])


def _no_stray_results(name, executed):
    """No cell shows the bare value of a call made for its effect (save_models' list of files, `[]`, `None`, `{}`)."""
    import nbformat

    nb = nbformat.read(str(executed), as_version=4)
    stray = [(i, o["data"]["text/plain"]) for i, c in enumerate(nb.cells) if c.cell_type == "code"
             for o in c.get("outputs", []) if o.get("output_type") == "execute_result"
             and (o.get("data", {}).get("text/plain") in ("[]", "None", "{}", "()")
                  or o.get("data", {}).get("text/plain", "").startswith(("[PosixPath(", "PosixPath(")))]  # fmt: skip
    assert not stray, f"{name}: cells show bare results {stray}"


def _figures_shown_once(name, executed):
    """Each figure once: no cell shows more images than it draws figures, and a cell ending with one shows it."""
    import ast

    import nbformat
    from test_hygiene import figure_call

    nb = nbformat.read(str(executed), as_version=4)
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code" or "parameters" in cell.metadata.get("tags", []):
            continue
        try:
            tree = ast.parse(cell.source)
        except SyntaxError:  # papermill's injected cell is plain Python too; anything else is not ours
            continue
        drawn = sum(figure_call(n) or (isinstance(n, ast.Attribute) and n.attr in ("subplots", "figure"))
                    for n in ast.walk(tree))
        images = sum("image/png" in o.get("data", {}) for o in cell.get("outputs", []))
        assert images <= drawn, f"{name}, cell {i}: {images} images for {drawn} figures (drawn twice?)"
        last = tree.body[-1] if tree.body else None
        if isinstance(last, ast.Expr) and figure_call(last.value):
            assert images >= 1, f"{name}, cell {i}: its figure is not shown"


def _saved_models_load(name, folder):
    """With save_models, the notebooks that call aeutils.reports.save_models leave .keras files that load."""
    import aeutils

    source = (R.NOTEBOOK_DIR / f"{name}.ipynb").read_text()
    if "save_models(" not in source:
        return
    files = sorted(folder.glob("*.keras"))
    assert files, f"{name} saved no models"
    for f in files:
        assert aeutils.load_model(f).count_params() > 0, f


def test_family_notebook_runs_a_part_of_its_sections(tmp_path):
    """``-p sections ...`` runs only those sections (a full-size run in parts): only their claims are made."""
    rec = R.run_notebook("autoencoder_family", {"sections": "sparse,inpainting"}, smoke=True, out_dir=tmp_path)
    assert rec["status"] in ("ok", "claims not met"), rec["error"]
    written = json.loads((tmp_path / "autoencoder_family.metrics.json").read_text())
    claims = [c["claim"] for c in written["claims"]]
    assert len(claims) == 2 and claims[0].startswith("inpainting") and "sparsity" in claims[1]
    assert set(written["headline"]) == {"sparse_near_zero", "inpaint_ae_minus_biharmonic_db"}
    assert written["details"]["plain"] is None and written["details"]["inpainting"]
    assert written["data_note"].startswith("A partial run, sections sparse, inpainting only")
    page = (tmp_path / "autoencoder_family.html").read_text()
    assert "plain: not run" in page and "super resolution: not run" in page
