"""Preprocessing on a Dask LocalCluster writes the same bytes, in the same order, as the local path."""

from __future__ import annotations

import io

import pytest

from embedkit.text import Pipeline, preprocess_files
from embedkit.text.config import PreprocessConfig

pytest.importorskip("distributed")


def test_dask_local_cluster_output_is_byte_identical(tmp_path, lee_corpus, monkeypatch) -> None:
    from embedkit.text.dask_executor import dask_client

    monkeypatch.setattr("embedkit.text.pipeline.CHUNK_DOCS", 13)
    config = PreprocessConfig(lang="en", lemmatize=True, stopwords=True, workers=2)
    local = io.StringIO()
    expected = Pipeline(config).run(lee_corpus.read_text(encoding="utf-8").splitlines(), local)
    out = tmp_path / "dask.txt"
    with dask_client(None, 2) as client:
        summary = preprocess_files([lee_corpus], out, config, dask_client=client)
    assert out.read_text(encoding="utf-8") == local.getvalue()
    assert (summary.documents, summary.tokens, summary.types) == (
        expected.documents, expected.tokens, expected.types)


def test_unreachable_scheduler_is_a_config_error() -> None:
    from embedkit.errors import ConfigError
    from embedkit.text.dask_executor import dask_client

    with pytest.raises(ConfigError, match="cannot reach"), dask_client("tcp://127.0.0.1:1", 1, timeout="1s"):
        pass
