"""The chief rule read from TF_CONFIG without TensorFlow (aeutils.cluster), and is_chief agreeing with it."""

import json

import pytest

from aeutils import cluster as C
from aeutils import distribute as D

WORKERS = {"worker": ["a:1", "b:2"]}
WITH_CHIEF = {**WORKERS, "chief": ["c:3"]}


def _env(cluster, task_type, index):
    return {"TF_CONFIG": json.dumps({"cluster": cluster, "task": {"type": task_type, "index": index}})}


@pytest.mark.parametrize(
    ("environ", "chief"),
    [
        ({}, True),  # no TF_CONFIG: a single process
        ({"TF_CONFIG": ""}, True),
        (_env(WITH_CHIEF, "chief", 0), True),
        (_env(WORKERS, "worker", 0), True),  # worker 0 with no chief task
        (_env(WITH_CHIEF, "worker", 0), False),  # worker 0 when a chief task exists
        (_env(WORKERS, "worker", 1), False),
        (_env(WITH_CHIEF, "worker", 1), False),
        (_env(WITH_CHIEF, "evaluator", 0), False),
        ({"TF_CONFIG": json.dumps({"cluster": WORKERS})}, True),  # a cluster but no task of its own
    ],
)
def test_is_chief_process_follows_the_rule(environ, chief, monkeypatch):
    assert C.is_chief_process(environ) is chief
    # the same answer from the process environment, and from distribute.is_chief (which uses the rule)
    monkeypatch.delenv("TF_CONFIG", raising=False)
    for key, value in environ.items():
        monkeypatch.setenv(key, value)
    assert C.is_chief_process() is chief
    assert D.is_chief() is chief


def test_chief_rule_on_its_arguments():
    assert C.chief_rule(None, None) and C.chief_rule("chief", 0, WITH_CHIEF)
    assert C.chief_rule("worker", 0, WORKERS) and C.chief_rule("worker", "0", WORKERS)
    assert not C.chief_rule("worker", 0, WITH_CHIEF) and not C.chief_rule("worker", 1, WORKERS)
    assert not C.chief_rule("ps", 0, WORKERS)


def test_tf_config_and_task_of():
    assert C.tf_config({}) is None and C.task_of(None) == (None, None, {})
    config = C.tf_config(_env(WORKERS, "worker", 1))
    assert C.task_of(config) == ("worker", 1, WORKERS)
    with pytest.raises(ValueError, match="not valid JSON"):
        C.tf_config({"TF_CONFIG": "{worker"})
    with pytest.raises(ValueError, match="JSON object"):
        C.tf_config({"TF_CONFIG": "[1, 2]"})


def test_describe_task():
    assert C.describe_task({}) == "no TF_CONFIG"
    assert C.describe_task(_env(WORKERS, "worker", 1)) == "worker 1 of 2"
    assert C.describe_task(_env(WITH_CHIEF, "chief", 0)) == "chief 0 of 1"


def test_cluster_imports_no_tensorflow():
    import ast
    import pathlib

    tree = ast.parse(pathlib.Path(C.__file__).read_text())
    names = [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
    names += [n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
    assert not [m for m in names if m.split(".")[0] in ("tensorflow", "keras", "aeutils")], names
