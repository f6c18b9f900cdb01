"""Preprocessing on a Dask LocalCluster writes the same bytes, in the same order, as the local path."""

from __future__ import annotations

import io

import pytest

from embedkit.text import Pipeline, preprocess_files
from embedkit.text.config import PreprocessConfig
from embedkit.text.executors import DaskExecutor, dask_client

pytest.importorskip("distributed")


def test_dask_local_cluster_output_is_byte_identical(tmp_path, lee_corpus, monkeypatch) -> None:
    monkeypatch.setattr("embedkit.text.pipeline.CHUNK_DOCS", 13)
    config = PreprocessConfig(lang="en", lemmatize=True, stopwords=True, workers=2)
    local = io.StringIO()
    expected = Pipeline(config).run(lee_corpus.read_text(encoding="utf-8").splitlines(), local, workers=1)
    with dask_client(None, 2) as client:
        for run in range(2):  # a second run on the same cluster counts its types afresh
            out = tmp_path / f"dask{run}.txt"
            summary = preprocess_files([lee_corpus], out, config, executor=DaskExecutor(client, window=3))
            assert out.read_text(encoding="utf-8") == local.getvalue()
            assert (summary.documents, summary.tokens, summary.types) == (
                expected.documents, expected.tokens, expected.types)
        old_spelling = tmp_path / "client.txt"
        preprocess_files([lee_corpus], old_spelling, config, dask_client=client)
        assert old_spelling.read_text(encoding="utf-8") == local.getvalue()


def test_unreachable_scheduler_is_a_config_error() -> None:
    from embedkit.errors import ConfigError

    with pytest.raises(ConfigError, match="cannot reach"), dask_client("tcp://127.0.0.1:1", 1, timeout="1s"):
        pass
