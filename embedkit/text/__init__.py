"""Text processing: normalisation, tokenisation, stop words, lemmas and stems, subwords, the pipeline."""

from __future__ import annotations

from embedkit.lazy import lazy_exports

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

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
