"""The chief of a multi-worker cluster, read from ``TF_CONFIG`` without TensorFlow.

One rule, used by :func:`aeutils.distribute.is_chief` (with a strategy's cluster resolver) and by
the report runner (which must decide before any strategy exists): the chief is the task of type
``chief``, or worker 0 when the cluster has no ``chief`` task; a process without a task (no
``TF_CONFIG``) is a single-process run and always the chief. Pure Python: nothing here imports
TensorFlow or creates a strategy.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping

#: The ``tf.distribute`` strategies by name (:func:`aeutils.distribute.make_strategy`), here so that the
#: command line offers them without importing TensorFlow.
STRATEGIES = ("none", "mirrored", "multi_worker")


def chief_rule(task_type: str | None, task_id, cluster: Mapping | None = None) -> bool:
    """Whether the task ``(task_type, task_id)`` of ``cluster`` (``{"worker": [...], ...}``) is the chief.

    Example:
    >>> chief_rule(None, None), chief_rule("worker", 0, {"worker": ["a:1", "b:2"]})
    (True, True)
    >>> chief_rule("worker", 1, {"worker": ["a:1", "b:2"]}), chief_rule("worker", 0, {"chief": ["c:3"]})
    (False, False)
    """
    if task_type is None or task_type == "chief":
        return True
    return task_type == "worker" and int(task_id or 0) == 0 and "chief" not in (cluster or {})


def tf_config(environ: Mapping | None = None) -> dict | None:
    """The parsed ``TF_CONFIG`` environment variable (``None`` when unset or empty).

    Raises:
        ValueError: ``TF_CONFIG`` is not a JSON object.
    """
    text = (os.environ if environ is None else environ).get("TF_CONFIG", "").strip()
    if not text:
        return None
    try:
        config = json.loads(text)
    except json.JSONDecodeError as err:
        raise ValueError(f"TF_CONFIG is not valid JSON ({err}): {text[:200]!r}") from None
    if not isinstance(config, dict):
        raise ValueError(f"TF_CONFIG must be a JSON object, got {text[:200]!r}")
    return config


def task_of(config: Mapping | None) -> tuple[str | None, int | None, dict]:
    """``(task type, task index, cluster)`` of a parsed ``TF_CONFIG`` (``(None, None, {})`` for none).

    Example:
    >>> task_of({"cluster": {"worker": ["a:1"]}, "task": {"type": "worker", "index": 0}})
    ('worker', 0, {'worker': ['a:1']})
    """
    if not config:
        return None, None, {}
    task = config.get("task") or {}
    return task.get("type"), task.get("index", 0), dict(config.get("cluster") or {})


def is_chief_process(environ: Mapping | None = None) -> bool:
    """Whether this process is the chief according to ``TF_CONFIG`` alone (see :func:`chief_rule`).

    Example:
    >>> is_chief_process({}), is_chief_process({"TF_CONFIG": '{"task": {"type": "worker", "index": 1}}'})
    (True, False)
    """
    return chief_rule(*task_of(tf_config(environ)))


def describe_task(environ: Mapping | None = None) -> str:
    """This process's task as a short phrase (``"worker 1 of 2"``, ``"no TF_CONFIG"``), for messages.

    Example:
    >>> describe_task({"TF_CONFIG": '{"cluster": {"worker": ["a:1", "b:2"]}, "task": {"type": "worker", "index": 1}}'})
    'worker 1 of 2'
    """
    task_type, task_id, cluster = task_of(tf_config(environ))
    if task_type is None:
        return "no TF_CONFIG"
    size = len(cluster.get(task_type, []))
    return f"{task_type} {task_id}" + (f" of {size}" if size else "")
