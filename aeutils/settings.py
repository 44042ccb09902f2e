"""Names and defaults shared by the command line and the toolkit, importable without TensorFlow.

:mod:`aeutils.cli` builds its parser from these (and from :data:`aeutils.cluster.STRATEGIES`)
without importing the data layer, which imports TensorFlow, so ``aeutils --help`` and
``aeutils report`` start in a fraction of the time; :mod:`aeutils.data` re-exports them.
"""

#: Environment variable naming the directory a command was started from; ``aeutils report`` sets it
#: so that relative paths given on its command line still work inside notebooks, which run from
#: ``notebooks/``. Unset (JupyterLab, Python), the project folder stands in for it.
BASE_DIR_ENV = "AEUTILS_BASE_DIR"

#: Environment variable naming your data folder: named files such as ``npz:cifar10.npz`` are looked
#: up there last.
DATA_DIR_ENV = "AEUTILS_DATA_DIR"

#: Default memory budget for decoded images: folders whose decoded size exceeds it stream from disk.
DEFAULT_MEMORY_BUDGET = "2GiB"
