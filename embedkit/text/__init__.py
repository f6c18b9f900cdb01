"""Text processing: normalisation, tokenisation, stop words, lemmas and stems, subwords, the pipeline."""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "Pipeline": "embedkit.text.pipeline",
    "PreprocessSummary": "embedkit.text.pipeline",
    "preprocess_files": "embedkit.text.pipeline",
    "read_sidecar": "embedkit.text.provenance",
    "sidecar_path": "embedkit.text.provenance",
    "PreprocessConfig": "embedkit.text.config",
    "SubwordConfig": "embedkit.text.config",
}

__all__ = list(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'embedkit.text' has no attribute {name!r}")
