"""The [w2v] stage of `embedkit run`: trains on the run's tokens, records the vectors artifact, shows neighbours."""

from __future__ import annotations

from pathlib import Path

import pytest
from cli_helpers import stage_context

from embedkit.errors import ConfigError
from embedkit.run.stage_w2v import stage


def test_stage_trains_on_earlier_tokens(lee_corpus: Path, tmp_path: Path) -> None:
    tokens = tmp_path / "tok.txt"
    tokens.write_text(lee_corpus.read_text(encoding="utf-8").lower())
    ctx, buffer = stage_context(tmp_path)
    ctx.artifacts["tokens"] = tokens
    summary = stage({"dim": 8, "epochs": 2, "min_count": 3, "workers": 1, "show": ["police", "qqqq"]}, ctx)
    assert ctx.artifacts["vectors"] == tmp_path / "run" / "vectors"
    assert (tmp_path / "run" / "vectors" / "meta.json").is_file()
    assert summary["vocab_size"] > 100 and len(summary["loss_per_epoch"]) == 2 and summary["seconds"] > 0
    printed = buffer.getvalue()
    assert printed.startswith("police: ") and "qqqq: not in the vocabulary" in printed


def test_stage_input_is_relative_to_the_pipeline_file(lee_corpus: Path, tmp_path: Path) -> None:
    (tmp_path / "tok.txt").write_text(lee_corpus.read_text(encoding="utf-8").lower())
    ctx, _ = stage_context(tmp_path)
    summary = stage({"input": "tok.txt", "dim": 8, "epochs": 1, "min_count": 3, "workers": 1, "show": []}, ctx)
    assert summary["corpus_words"] > 50_000


def test_quickstart_w2v_table_gives_the_same_vectors_twice(lee_corpus: Path, tmp_path: Path) -> None:
    """pipelines/quickstart.toml sets seed = 1: its [w2v] stage must repeat exactly (fewer epochs here)."""
    import numpy as np

    from embedkit.config import load_toml
    from embedkit.embeddings import Embeddings

    table = {**load_toml(Path(__file__).resolve().parents[1] / "pipelines" / "quickstart.toml")["w2v"], "epochs": 2}
    assert table.get("seed") is not None
    (tmp_path / "tok.txt").write_text(lee_corpus.read_text(encoding="utf-8").lower())
    vectors = []
    for run in ("a", "b"):
        ctx, _ = stage_context(tmp_path / run)
        stage({**table, "input": str(tmp_path / "tok.txt")}, ctx)
        vectors.append(Embeddings.load(ctx.artifacts["vectors"]).vectors)
    assert np.array_equal(vectors[0], vectors[1])


def test_stage_without_input_or_with_unknown_options_is_a_config_error(tmp_path: Path) -> None:
    ctx, _ = stage_context(tmp_path)
    with pytest.raises(ConfigError, match="needs an 'input'"):
        stage({}, ctx)
    with pytest.raises(ConfigError, match="unknown option 'dims'"):
        stage({"input": "x.txt", "dims": 3}, ctx)
