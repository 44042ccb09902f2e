"""The report runner: claims and statuses, atomic results, interrupts, parameter files, sweeps, escaping."""

import json
import signal
import subprocess
import sys
import time

import nbformat
import pytest

from aeutils import reports as R
from aeutils.cli import main


def _notebook(folder, name, body, smoke=None):
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell('n = 3  # a number\nlabel = "x"  # a string\nmetrics_path = ""  # output')
    params.metadata["tags"] = ["parameters"]
    nb.cells = [nbformat.v4.new_markdown_cell("# test\n\n## Part one"), params, nbformat.v4.new_code_cell(body)]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["aeutils"] = {
        "title": name.upper() + " study",
        "question": "Does n beat 2?",
        "smoke": smoke or {"n": 1},
        "full": {"n": 9},
        "key_params": ["n"],
    }
    nbformat.write(nb, str(folder / f"{name}.ipynb"))


GOOD = (
    "from aeutils.reports import write_metrics\n"
    "from aeutils import claims\n"
    "import os\n"
    "os.write(2, b'WARNING: All log messages before absl::InitializeLog() is called\\n')  # as TensorFlow does\n"
    "write_metrics(metrics_path, experiment='good', data_source='made up in the test', "
    "headline={'twice_n': 2 * n}, parameters={'n': n, 'label': label}, "
    "claims=[claims.beats('n beats 2', n, 2, unit='units'), claims.check('label is set', bool(label), ours=label)])\n"
    "print('done', n)"
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
    assert R.profile_parameters("good", "full", nbdir) == {"n": 9}
    with pytest.raises(R.ParameterError, match="unknown profile"):
        R.profile_parameters("good", "huge", nbdir)


def test_claims_decide_the_status_and_a_failure_keeps_going(nbdir, tmp_path):
    out = tmp_path / "out"
    records = R.run(None, {"label": "z"}, smoke=True, out_dir=out, notebook_dir=nbdir, log=lambda *_: None)
    by = {r["experiment"]: r for r in records}
    assert by["good"]["status"] == "claims not met"  # smoke n=1 does not beat 2
    assert by["bad"]["status"] == "failed" and "boom z" in by["bad"]["error"]
    good = json.loads((out / "good.metrics.json").read_text())
    assert good["headline"] == {"twice_n": 2}
    assert [c["holds"] for c in good["claims"]] == [False, True]
    assert good["claims"][0]["ours"] == 1 and good["claims"][0]["baseline"] == 2
    assert good["overrides"] == {"n": 1, "label": "z"}
    assert set(good["provenance"]) >= {
        "aeutils",
        "git_commit",
        "git_dirty",
        "python",
        "tensorflow",
        "keras",
        "numpy",
        "machine",
        "started",
        "finished",
    }
    # the failed notebook has no result yet: its partial notebook and last-run record are kept
    assert not (out / "bad.metrics.json").exists()
    assert json.loads((out / "bad.last-run.json").read_text())["status"] == "failed"
    assert (out / "bad.partial.ipynb").exists() and (out / "bad.partial.html").exists()
    page = (out / "good.html").read_text()
    assert "<title>GOOD study</title>" in page
    assert "done 1" in page and "write_metrics(" not in page  # outputs shown, inputs hidden
    assert "✗" in page and "n beats 2" in page and "Does n beat 2?" in page and "Conclusion" in page
    assert "All log messages before absl" not in page
    index = (out / "index.html").read_text()
    assert "GOOD study" in index and "failed" in index and "boom z" in index and "made up in the test" in index
    assert "✓ 1 of 2 claims" in index
    assert R.exit_code(records) == 1
    good_only = R.run(["good"], {"n": 5}, out_dir=out, notebook_dir=nbdir, log=lambda *_: None)
    assert good_only[0]["status"] == "ok" and R.exit_code(good_only, strict=True) == 0


def test_a_failed_rerun_keeps_the_previous_result(nbdir, tmp_path):
    out = tmp_path / "out"
    R.run(["good"], {"n": 5}, out_dir=out, notebook_dir=nbdir, log=lambda *_: None)
    before = (out / "good.metrics.json").read_text()
    rec = R.run(["good"], {"label": ""}, out_dir=out, notebook_dir=nbdir, log=lambda *_: None)[0]
    assert rec["status"] == "claims not met"  # ran through: it replaces the result
    (nbdir / "good.ipynb").write_text((nbdir / "good.ipynb").read_text().replace("print('done', n)", "1/0"))
    R.run(["good"], {"n": 5}, out_dir=out, notebook_dir=nbdir, log=lambda *_: None)
    after = json.loads((out / "good.metrics.json").read_text())
    assert after["status"] == "claims not met" and after["parameters"]["label"] == ""  # still the earlier result
    assert json.loads((out / "good.last-run.json").read_text())["status"] == "failed"
    assert "the result shown is the previous one" in (out / "index.html").read_text()
    assert before != (out / "good.metrics.json").read_text()


def test_unreadable_metrics_show_in_the_index(nbdir, tmp_path):
    out = tmp_path / "out"
    R.run(["good"], {"n": 5}, out_dir=out, notebook_dir=nbdir, log=lambda *_: None)
    (out / "bad.metrics.json").write_text('{"status": "ok", "claims": [')  # truncated
    index = R.build_index(out, nbdir).read_text()
    assert "unreadable" in index and "GOOD study" in index and "✓ 2 of 2 claims" in index


def test_timeout_marks_the_notebook_failed(nbdir, tmp_path):
    _notebook(nbdir, "slow", "import time\ntime.sleep(60)")
    rec = R.run_notebook("slow", out_dir=tmp_path, notebook_dir=nbdir, timeout=8)
    assert rec["status"] == "failed" and "timed out after 8 s" in rec["error"]


def test_sigterm_marks_interrupted_and_rebuilds_the_index(nbdir, tmp_path):
    out = tmp_path / "out"
    R.run(["good"], {"n": 5}, out_dir=out, notebook_dir=nbdir, log=lambda *_: None)
    (nbdir / "good.ipynb").write_text(
        (nbdir / "good.ipynb").read_text().replace("print('done', n)", "import time; time.sleep(120)")
    )
    index_before = (out / "index.html").stat().st_mtime
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "aeutils",
            "report",
            "good",
            "-p",
            "n",
            "5",
            "--out",
            str(out),
            "--notebooks",
            str(nbdir),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    scratch = out / ".good.running" / "good.ipynb"  # papermill writes it as the cells run
    for _ in range(240):
        if scratch.exists() and "time.sleep(120)" in scratch.read_text():
            break
        time.sleep(0.25)
    time.sleep(4)  # inside the sleeping cell by now
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert json.loads((out / "good.last-run.json").read_text())["status"] == "interrupted"
    assert json.loads((out / "good.metrics.json").read_text())["status"] == "ok"  # the earlier result is kept
    assert (out / "index.html").stat().st_mtime > index_before
    assert "interrupted" in (out / "index.html").read_text()


def test_parameter_file_and_unknown_keys(nbdir, tmp_path):
    good = tmp_path / "p.yaml"
    good.write_text("n: 7\nlabel: from-file\n")
    out = tmp_path / "out"
    assert main(["report", "good", "-f", str(good), "--out", str(out), "--notebooks", str(nbdir)]) == 0
    assert json.loads((out / "good.metrics.json").read_text())["parameters"] == {"n": 7, "label": "from-file"}
    bad = tmp_path / "bad.yaml"
    bad.write_text("n: 7\nepochs: 3\n")
    assert main(["report", "good", "-f", str(bad), "--out", str(tmp_path / "o2"), "--notebooks", str(nbdir)]) == 2
    assert not (tmp_path / "o2").exists()
    assert main(["report", "good", "--strict", "-p", "n", "1", "--out", str(out), "--notebooks", str(nbdir)]) == 1


def test_sweep_runs_each_value_and_the_index_compares_them(nbdir, tmp_path):
    out = tmp_path / "out"
    assert main(["report", "good", "--sweep", "n", "1,5", "--out", str(out), "--notebooks", str(nbdir)]) == 0
    for v in ("1", "5"):
        rec = json.loads((out / f"good@n={v}.metrics.json").read_text())
        assert rec["sweep"] == {"key": "n", "value": v} and rec["parameters"]["n"] == int(v)
    index = (out / "index.html").read_text()
    assert "Sweep: good, n" in index and "good@n=5.html" in index


def test_index_escapes_values(nbdir, tmp_path):
    out = tmp_path / "out"
    R.run(["good"], {"label": "<script>alert(1)</script>"}, out_dir=out, notebook_dir=nbdir, log=lambda *_: None)
    index = (out / "index.html").read_text()
    assert "<script>alert(1)</script>" not in index and "&lt;script&gt;" in index


def test_the_kernels_stderr_reaches_the_terminal_without_known_noise(nbdir, tmp_path, capfd, monkeypatch):
    """No unencrypted-TCP warning (CurveZMQ sockets), no oneDNN fallback or remapper line; other lines pass."""
    monkeypatch.delenv("PYTEST_CURRENT_TEST")  # ipykernel copies fd 2 into the notebook only outside pytest
    fallback = (
        "E0000 00:00:1796467324.156605    2368 util.cc:131] oneDNN supports DT_INT32 only on platforms with "
        "AVX-512. Falling back to the default Eigen-based implementation if present."
    )
    remapper = (
        "E0000 00:00:1764942600.51  2411 meta_optimizer.cc:967] remapper failed: INVALID_ARGUMENT: Mutation::Apply "
        "error: fanout 'gradient_tape/functional_1/leaky_re_lu_1/LeakyRelu/LeakyReluGrad' exist for missing node "
        "'functional_1/conv2d_1/BiasAdd'."
    )
    lines = f"{fallback}\n{remapper}\nE0000 00:00:1.5  7 x.cc:9] a real error\n"
    body = f"import os\nos.write(2, {lines!r}.encode())\n"
    _notebook(nbdir, "noisy", body + GOOD)
    capfd.readouterr()
    rec = R.run_notebook("noisy", notebook_dir=nbdir, out_dir=tmp_path / "out")
    err = capfd.readouterr().err
    assert rec["status"] == "ok" and "x.cc:9] a real error" in err
    assert "without encryption" not in err and "oneDNN" not in err and "remapper" not in err, err
    executed = nbformat.read(str(tmp_path / "out" / "noisy.ipynb"), as_version=4)
    outputs = json.dumps([cell.get("outputs", []) for cell in executed.cells])
    assert "done 3" in outputs and "oneDNN" not in outputs and "a real error" not in outputs  # the terminal's
    page = (tmp_path / "out" / "noisy.html").read_text()
    assert "done 3" in page and "oneDNN" not in page and "a real error" not in page and "absl" not in page


def test_provenance_names_the_commit_the_run_started_from(nbdir, tmp_path, monkeypatch):
    """A commit made while a notebook runs: the record keeps the starting commit and says the tree moved."""
    from aeutils.reports import runner

    real = runner.provenance
    monkeypatch.setattr(runner, "provenance", lambda **kw: {**real(**kw), "git_commit": "0" * 40, "git_dirty": False})
    rec = R.run_notebook("good", notebook_dir=nbdir, out_dir=tmp_path / "out")
    written = json.loads((tmp_path / "out" / "good.metrics.json").read_text())["provenance"]
    assert rec["provenance"]["git_commit"] == written["git_commit"] == "0" * 40
    assert written["git_dirty"] is True  # the kernel saw another commit (this checkout's) at the end


def test_no_interrupt_on_the_way_to_shutdown(monkeypatch):
    """jupyter_client's SIGINT before a shutdown request is skipped; an interrupt asked for is sent."""
    import asyncio

    from jupyter_client.manager import KernelManager

    from aeutils.reports.kernel import ReportKernelManager

    sent = []

    async def interrupt(self):
        sent.append(self.shutting_down)

    monkeypatch.setattr(KernelManager, "_async_interrupt_kernel", interrupt)
    km = ReportKernelManager()
    km.shutting_down = True
    asyncio.run(km._async_interrupt_kernel())
    km.shutting_down = False
    asyncio.run(km._async_interrupt_kernel())
    assert sent == [False]


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
    assert rec["details"]["x"] == [0, 1] and rec["status"] == "claims not met"  # no claims: not "ok"


SAVES = (
    "import numpy as np, keras\n"
    "from aeutils.reports import save_models, write_metrics\n"
    "keras.utils.set_random_seed(n)\n"
    "inp = keras.Input((4,))\n"
    "model = keras.Model(inp, keras.layers.Dense(2)(inp), name='tiny')\n"
    "x = np.linspace(0, 1, 12, dtype='float32').reshape(3, 4)\n"
    "if label.endswith('.npy'):\n"
    "    np.save(label, model.predict(x, verbose=0))\n"
    "written = save_models({'tiny model': model, 'skipped': None})\n"
    "write_metrics(metrics_path, experiment='saves', data_source='none', headline={'saved': len(written)}, "
    "parameters={'n': n}, claims=[])\n"
)


def test_save_models_flag_keeps_loadable_models_beside_the_report(tmp_path, monkeypatch):
    import os

    import numpy as np

    import aeutils

    nbs, out = tmp_path / "nbs", tmp_path / "out"
    nbs.mkdir()
    _notebook(nbs, "saves", SAVES)
    monkeypatch.delenv(R.SAVE_MODELS_ENV, raising=False)
    rec = R.run_notebook("saves", out_dir=out, notebook_dir=nbs)  # no flag: nothing saved
    assert rec["headline"] == {"saved": 0} and not (out / "saves.models").exists()
    y_file = tmp_path / "y.npy"
    argv = ["report", "saves", "--save-models", "-p", "label", str(y_file), "--notebooks", str(nbs), "--out", str(out)]
    assert main(argv) == 0
    files = sorted((out / "saves.models").iterdir())
    assert [f.name for f in files] == ["tiny_model.keras"]  # a file-name-safe name; no temporary left
    rec = json.loads((out / "saves.metrics.json").read_text())
    assert rec["models"] == ["saves.models/tiny_model.keras"] and R.SAVE_MODELS_ENV not in os.environ
    y = np.load(y_file)  # the kernel's outputs; the reloaded model (this process) must match them
    x = np.linspace(0, 1, 12, dtype="float32").reshape(3, 4)
    np.testing.assert_allclose(aeutils.load_model(files[0]).predict(x, verbose=0), y, rtol=1e-6)
    # a failed rerun keeps the models of the last good run
    _notebook(nbs, "saves", "raise RuntimeError('no')")
    R.run_notebook("saves", out_dir=out, notebook_dir=nbs, save_models=True)
    assert (out / "saves.models" / "tiny_model.keras").is_file()


def test_page_figures_carry_their_section_as_alternative_text(tmp_path, caplog):
    import base64
    import io

    import matplotlib.pyplot as plt
    import nbformat

    fig, ax = plt.subplots(figsize=(1, 1))
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    png = nbformat.v4.new_output("display_data", data={"image/png": base64.b64encode(buf.getvalue()).decode()})
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("# Title\n\n## The *first* section"),
        nbformat.v4.new_code_cell(outputs=[png]),
    ])  # fmt: skip
    path = tmp_path / "n.ipynb"
    nbformat.write(nb, str(path))
    with caplog.at_level("WARNING"):
        R.render_html(path, tmp_path / "n.html")
    page = (tmp_path / "n.html").read_text()
    assert 'alt="The first section: figure 1"' in page and "No description" not in page
    assert "Alternative text is missing" not in caplog.text
