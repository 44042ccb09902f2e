import json

import nbformat
import pytest

from aeutils import reports as R
from aeutils.cli import main


def _notebook(folder, name, body, smoke=None):
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell('n = 3  # a number\nlabel = "x"  # a string\nmetrics_path = ""  # output')
    params.metadata["tags"] = ["parameters"]
    nb.cells = [nbformat.v4.new_markdown_cell("# test"), params, nbformat.v4.new_code_cell(body)]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["aeutils"] = {"title": name.upper(), "smoke": smoke or {"n": 1}, "key_params": ["n"]}
    nbformat.write(nb, str(folder / f"{name}.ipynb"))


GOOD = (
    "from aeutils.reports import write_metrics\n"
    "write_metrics(metrics_path, experiment='good', data_source='made up in the test', "
    "headline={'twice_n': 2 * n}, parameters={'n': n, 'label': label})\nprint('done', n)"
)


@pytest.fixture()
def nbdir(tmp_path):
    d = tmp_path / "nbs"
    d.mkdir()
    _notebook(d, "good", GOOD)
    _notebook(d, "bad", "raise RuntimeError('boom ' + label)")
    return d


def test_parameters_read_and_validated(nbdir):
    params = R.notebook_parameters("good", nbdir)
    assert params["n"]["default"] == 3 and params["n"]["type"] is int
    assert R.validate_parameters("good", {"n": "5", "label": "y"}, nbdir) == {"n": 5, "label": "y"}
    with pytest.raises(R.ParameterError, match="valid parameters: label, metrics_path, n"):
        R.validate_parameters("good", {"nn": 1}, nbdir)
    with pytest.raises(R.ParameterError, match="expects int"):
        R.validate_parameters("good", {"n": "three"}, nbdir)
    with pytest.raises(R.ParameterError, match="expects int"):
        R.validate_parameters("good", {"n": 2.5}, nbdir)
    with pytest.raises(R.ParameterError, match="unknown notebook"):
        R.notebook_parameters("nope", nbdir)


def test_run_renders_reports_and_keeps_going_after_a_failure(nbdir, tmp_path):
    out = tmp_path / "out"
    records = R.run(None, {"label": "z"}, smoke=True, out_dir=out, notebook_dir=nbdir, log=lambda *_: None)
    by = {r["experiment"]: r for r in records}
    assert by["good"]["status"] == "ok" and by["bad"]["status"] == "failed"
    assert "boom z" in by["bad"]["error"]
    good = json.loads((out / "good.metrics.json").read_text())
    assert good["headline"] == {"twice_n": 2}  # smoke n=1
    assert good["overrides"] == {"n": 1, "label": "z"}
    for name in ("good", "bad"):
        assert (out / f"{name}.html").exists() and (out / f"{name}.ipynb").exists()
    html = (out / "good.html").read_text()
    assert "done 1" in html and "write_metrics(" not in html  # outputs shown, inputs hidden
    index = (out / "index.html").read_text()
    assert "GOOD" in index and "failed" in index and "boom z" in index and "made up in the test" in index


def test_cli_refuses_unknown_parameter_before_running(tmp_path, capsys):
    code = main(["report", "cae_architectures", "-p", "epoch", "3", "--out", str(tmp_path)])
    assert code == 2
    assert "unknown parameter 'epoch'" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []
    assert main(["report", "no_such_notebook", "--out", str(tmp_path)]) == 2


def test_write_metrics_handles_numpy_and_inf(tmp_path):
    import numpy as np

    rec = R.write_metrics(
        tmp_path / "m.json",
        experiment="e",
        data_source="d",
        headline={"a": np.float32(1.5), "b": float("inf")},
        details={"x": np.arange(2)},
    )
    assert json.loads((tmp_path / "m.json").read_text())["headline"] == {"a": 1.5, "b": "inf"}
    assert rec["details"]["x"] == [0, 1]


def test_strip_tf_logs_keeps_real_stderr():
    import nbformat

    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("x")
    cell.outputs = [
        nbformat.v4.new_output(
            "stream", name="stderr",
            text="WARNING: All log messages before absl::InitializeLog() is called\n"
            "I0000 00:00:1795305529.620824     865 port.cc:153] oneDNN custom operations are on.\n"
            "UserWarning: a real warning\n",
        ),
        nbformat.v4.new_output("stream", name="stderr", text="E0000 00:00:17953 util.cc:131] oneDNN\n"),
    ]
    nb.cells = [cell]
    R.strip_tf_logs(nb)
    assert [o["text"] for o in nb.cells[0].outputs] == ["UserWarning: a real warning\n"]
