"""Every notebook runs through papermill on its smoke settings and writes its metrics."""

import html
import json
import re

import pytest

from aeutils import reports as R


@pytest.mark.parametrize("name", R.list_notebooks())
def test_notebook_smoke_run(name, tmp_path):
    rec = R.run_notebook(name, smoke=True, out_dir=tmp_path)
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
    # TensorFlow's C++ start-up lines and Keras progress bars never reach a page. (Smoke runs train
    # many models for one epoch on a few images, which can still trip tf.function's retracing
    # warning in the family notebook; the default pages are free of it.)
    noise = re.findall(r"ms/step|\bI0000\b|\bE0000\b|All log messages before absl", page)
    assert not noise, f"log noise on the page: {sorted(set(noise))}"


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
