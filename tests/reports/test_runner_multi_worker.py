"""A study run across two worker processes (127.0.0.1): both runners train together, only the chief writes."""

import json
import os
import subprocess
import sys
from pathlib import Path

import nbformat

# Trains a tiny autoencoder under the strategy AEUTILS_STRATEGY names (the kernel's, set by the runner).
BODY = (
    "import numpy as np\n"
    "from aeutils import models as Mo, train as T\n"
    "from aeutils import claims\n"
    "from aeutils.reports import write_metrics\n"
    "x = np.random.default_rng(0).random((64, 16, 16, 1)).astype(np.float32)\n"
    "r = T.fit(lambda: Mo.build_autoencoder(input_shape=(16, 16, 1), filters=(4, 8)), x, epochs=epochs,\n"
    "          batch_size=16, learning_rate=3e-3, verbose=0, restore_best=False)\n"
    "replicas = T.default_strategy().num_replicas_in_sync\n"
    "write_metrics(metrics_path, experiment='mw', data_source='random', parameters={'epochs': epochs},\n"
    "              headline={'loss': r.history['loss'][-1], 'replicas': replicas},\n"
    "              details={'losses': r.history['loss']},\n"
    "              claims=[claims.check('the loss fell', r.history['loss'][-1] < r.history['loss'][0])])\n"
    "print('LOSSES', r.history['loss'])\n"
)

RUNNER = (
    "import json, sys\n"
    "from aeutils import reports\n"
    "recs = reports.run(['mw'], out_dir=sys.argv[1], notebook_dir=sys.argv[2], strategy='multi_worker', "
    "timeout=150)\n"
    "print('RECORD', json.dumps({k: recs[0].get(k) for k in ('status', 'error', 'written')}))\n"
)


def test_report_multi_worker_two_runners_train_together_and_only_the_chief_writes(tmp_path, free_ports):
    nbs = tmp_path / "nbs"
    nbs.mkdir()
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell('epochs = 3  # epochs\nmetrics_path = ""  # output')
    params.metadata["tags"] = ["parameters"]
    nb.cells = [nbformat.v4.new_markdown_cell("# mw"), params, nbformat.v4.new_code_cell(BODY)]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["aeutils"] = {"title": "MW", "question": "Do two workers train?", "smoke": {"epochs": 2}}
    nbformat.write(nb, str(nbs / "mw.ipynb"))
    workers = [f"127.0.0.1:{p}" for p in free_ports(2)]
    path = os.pathsep.join([str(Path(__file__).resolve().parents[2]), os.environ.get("PYTHONPATH", "")])
    procs = []
    for i in range(2):
        env = dict(
            os.environ,
            TF_CPP_MIN_LOG_LEVEL="3",
            PYTHONPATH=path,
            TF_CONFIG=json.dumps({"cluster": {"worker": workers}, "task": {"type": "worker", "index": i}}),
        )
        env.pop("AEUTILS_STRATEGY", None)  # the runner passes it to the kernels only
        procs.append(
            subprocess.Popen(
                [sys.executable, "-c", RUNNER, str(tmp_path / f"out{i}"), str(nbs)],
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
        )
    try:
        outputs = [p.communicate(timeout=200)[0] for p in procs]
    finally:
        for p in procs:
            p.kill()
    records = []
    for p, text in zip(procs, outputs):
        assert p.returncode == 0, text[-3000:]
        records.append(json.loads(text.split("RECORD", 1)[1]))
    assert [r["status"] for r in records] == ["ok", "ok"], records
    assert [r["written"] for r in records] == [True, False]
    assert "worker 1 of 2 (TF_CONFIG), not the chief" in outputs[1]
    chief = json.loads((tmp_path / "out0" / "mw.metrics.json").read_text())
    assert chief["headline"]["replicas"] == 2  # trained across both processes
    losses = chief["details"]["losses"]
    assert losses[-1] < losses[0]
    assert sorted(p.name for p in (tmp_path / "out0").iterdir()) == [
        "index.html",
        "mw.html",
        "mw.ipynb",
        "mw.metrics.json",
    ]
    assert not (tmp_path / "out1").exists()
