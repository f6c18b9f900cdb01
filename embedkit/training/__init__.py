"""Training: a model-agnostic :class:`Trainer`, BPTT windows, rolling-origin splits, gradient diagnostics.

``Trainer``, ``Task``, ``TrainingError`` and ``seed_everything`` are re-exported lazily (they import torch);
``TrainerConfig`` is plain Python.
"""

from __future__ import annotations

import importlib
from typing import Any

from embedkit.training.config import TrainerConfig

_LAZY = {"Trainer": "embedkit.training.trainer", "Task": "embedkit.training.trainer",
         "TrainingError": "embedkit.training.trainer", "seed_everything": "embedkit.training.trainer",
         "rolling_origin_splits": "embedkit.training.splits"}

__all__ = ["TrainerConfig", *sorted(_LAZY)]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'embedkit.training' has no attribute '{name}'")
