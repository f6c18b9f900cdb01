"""Training: a model-agnostic :class:`Trainer`, BPTT windows, rolling-origin splits, gradient diagnostics.

``Trainer``, ``Task``, ``TrainingError`` and ``seed_everything`` are re-exported lazily (they import torch);
``TrainerConfig`` is plain Python.
"""

from __future__ import annotations

from embedkit.lazy import lazy_exports
from embedkit.training.config import TrainerConfig

_EXPORTS = {"Trainer": "embedkit.training.trainer", "Task": "embedkit.training.trainer",
            "TrainingError": "embedkit.training.trainer", "seed_everything": "embedkit.training.trainer",
            "rolling_origin_splits": "embedkit.training.splits"}

__all__ = ["TrainerConfig", *sorted(_EXPORTS)]

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
