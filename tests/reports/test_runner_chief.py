"""Only the chief writes reports: on a non-chief worker the runner runs each notebook but writes nothing."""

import json
import os

import nbformat

from aeutils import reports as R
from aeutils.cli import main

# Writes its metrics, a fake saved model (where the runner asks for models) and a marker outside
# the output folder, which shows the notebook ran on this worker.
BODY = (
    "import json, os, pathlib\n"
    "from aeutils.reports import write_metrics\n"
    "write_metrics(metrics_path, experiment='tiny', data_source='made up in the test', headline={'n': n}, "
    "parameters={'n': n}, claims=[])\n"
    "models = os.environ.get('AEUTILS_SAVE_MODELS')\n"
    "if models:\n"
    "    pathlib.Path(models).mkdir(parents=True, exist_ok=True)\n"
    "    (pathlib.Path(models) / 'm.keras').write_text('not a model')\n"
    "env = {k: os.environ.get(k) for k in ('TF_CONFIG', 'AEUTILS_STRATEGY')}\n"
    "pathlib.Path(marker).write_text(json.dumps(env))\n"
)


def _tiny_notebook(folder):
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell('n = 3  # a number\nmarker = ""  # a path\nmetrics_path = ""  # output')
    params.metadata["tags"] = ["parameters"]
    nb.cells = [nbformat.v4.new_markdown_cell("# tiny"), params, nbformat.v4.new_code_cell(BODY)]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["aeutils"] = {"title": "Tiny", "question": "Does it run?", "smoke": {"n": 1}, "key_params": ["n"]}
    nbformat.write(nb, str(folder / "tiny.ipynb"))


def _tf_config(index, chief=False):
    cluster = {"worker": ["127.0.0.1:1", "127.0.0.1:2"], **({"chief": ["127.0.0.1:3"]} if chief else {})}
    return json.dumps({"cluster": cluster, "task": {"type": "worker", "index": index}})


def test_a_non_chief_worker_runs_the_notebooks_and_writes_nothing(tmp_path, monkeypatch, capsys):
    nbs = tmp_path / "nbs"
    nbs.mkdir()
    _tiny_notebook(nbs)
    out, marker = tmp_path / "out", tmp_path / "ran-on-worker-1"
    monkeypatch.setenv("TF_CONFIG", _tf_config(1))
    code = main(
        ["report", "tiny", "-p", "marker", str(marker), "--save-models", "--out", str(out), "--notebooks", str(nbs)]
    )
    assert code == 0
    ran = json.loads(marker.read_text())
    assert json.loads(ran["TF_CONFIG"])["task"]["index"] == 1  # the notebook ran, with this worker's TF_CONFIG
    assert not out.exists()  # no notebook, page, metrics, models or index
    assert "worker 1 of 2 (TF_CONFIG), not the chief" in capsys.readouterr().out
    # worker 0 is not the chief either when the cluster has a chief task
    monkeypatch.setenv("TF_CONFIG", _tf_config(0, chief=True))
    rec = R.run_notebook("tiny", {"marker": str(marker)}, out_dir=out, notebook_dir=nbs, save_models=True)
    assert rec["status"] in ("ok", "claims not met") and rec["written"] is False and rec["worker"] == "worker 0 of 2"
    assert not out.exists()


def test_the_chief_writes_as_a_single_process_does_and_strategy_reaches_only_the_kernel(tmp_path, monkeypatch):
    nbs = tmp_path / "nbs"
    nbs.mkdir()
    _tiny_notebook(nbs)
    out = tmp_path / "out"
    monkeypatch.setenv("TF_CONFIG", _tf_config(0))
    monkeypatch.delenv("AEUTILS_STRATEGY", raising=False)
    marker = tmp_path / "m"
    records = R.run(
        ["tiny"],
        {"marker": str(marker)},
        out_dir=out,
        notebook_dir=nbs,
        save_models=True,
        strategy="mirrored",
        log=lambda *_: None,
    )
    assert json.loads(marker.read_text())["AEUTILS_STRATEGY"] == "mirrored"
    assert "AEUTILS_STRATEGY" not in os.environ  # the runner's own environment is left as it was
    assert records[0]["written"] is True
    assert {p.name for p in out.iterdir()} == {
        "tiny.ipynb",
        "tiny.html",
        "tiny.metrics.json",
        "tiny.models",
        "index.html",
    }
    assert (out / "tiny.models" / "m.keras").exists()


def test_report_strategy_option_reaches_the_kernel_and_refuses_unknown_names(tmp_path, monkeypatch, capsys):
    import pytest

    nbs = tmp_path / "nbs"
    nbs.mkdir()
    _tiny_notebook(nbs)
    monkeypatch.delenv("TF_CONFIG", raising=False)
    monkeypatch.delenv("AEUTILS_STRATEGY", raising=False)
    marker = tmp_path / "m"
    args = ["report", "tiny", "-p", "marker", str(marker), "--out", str(tmp_path / "out"), "--notebooks", str(nbs)]
    assert main([*args, "--strategy", "mirrored"]) == 0
    assert json.loads(marker.read_text())["AEUTILS_STRATEGY"] == "mirrored"
    with pytest.raises(SystemExit) as err:
        main([*args, "--strategy", "everywhere"])
    assert err.value.code == 2 and "invalid choice: 'everywhere'" in capsys.readouterr().err
