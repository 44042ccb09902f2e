"""Saving and loading models: every custom class registered, loaded with ``safe_mode=True``."""

from __future__ import annotations

import os
from pathlib import Path

import keras

# Importing the models package registers every custom layer and model class with Keras
# (``@keras.saving.register_keras_serializable(package="aeutils")``), so a saved file loads
# in a fresh process without the user guessing which module to import.
from aeutils import models  # noqa: F401


def load_model(path: str | os.PathLike) -> keras.Model:
    """Load a ``.keras`` file saved from any aeutils model, with ``safe_mode=True`` (no arbitrary code).

    Raises:
        FileNotFoundError: no such file.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no such model file: {path}")
    return keras.saving.load_model(path, safe_mode=True)


def save_model(model: keras.Model, path: str | os.PathLike) -> Path:
    """Save ``model`` as a ``.keras`` file (folders made as needed); returns the path."""
    path = Path(path)
    if path.suffix != ".keras":
        raise ValueError(f"model files end in .keras, got {path.name!r}")
    path.parent.mkdir(parents=True, exist_ok=True)
    model.save(path)
    return path
