"""Text processing: normalisation, tokenisation, stop words, lemmas and stems, subwords, the pipeline."""

from embedkit.text.pipeline import Pipeline, PreprocessSummary, preprocess_files, read_sidecar, sidecar_path

__all__ = ["Pipeline", "PreprocessSummary", "preprocess_files", "read_sidecar", "sidecar_path"]
