"""The ``[w2v]`` stage of ``embedkit run``: train vectors on the run's token file and show a few neighbours."""

from __future__ import annotations

from typing import Any

from embedkit.config import config_from_dict
from embedkit.embeddings.config import DEFAULT_VECTORS_FORMAT, Word2VecConfig
from embedkit.errors import EmbedkitError
from embedkit.run.context import RunContext, check_options

STAGE_KEYS = ("input", "show", "topn", "vectors_format")
DEFAULT_SHOW = ("man", "day", "good")


def check(table: dict[str, Any]) -> Word2VecConfig:
    """The stage's training settings; raises :class:`ConfigError` for a bad option."""
    check_options(table, {"show": "strings", "topn": "integer", "vectors_format": "string"}, "w2v")
    return config_from_dict(Word2VecConfig, {k: v for k, v in table.items() if k not in STAGE_KEYS}, where="w2v")


def stage(table: dict[str, Any], ctx: RunContext) -> dict[str, Any]:
    """Train on ``table["input"]`` (or the tokens an earlier stage wrote); other keys are Word2VecConfig fields.

    Writes ``<out>/vectors``, records it as the ``vectors`` artifact, prints neighbours of the ``show``
    words the model knows and returns a summary (vocabulary size, loss per epoch, seconds).
    """
    from embedkit.embeddings.train import loss_line, train_word2vec

    config = check(table)
    tokens = ctx.token_file(table, "w2v")
    emb = train_word2vec(tokens, config)
    out = emb.save(ctx.output("vectors"), vectors_format=table.get("vectors_format", DEFAULT_VECTORS_FORMAT))
    ctx.artifacts["vectors"] = out
    topn = int(table.get("topn", 5))
    neighbours: dict[str, list[str]] = {}
    for word in table.get("show", DEFAULT_SHOW):
        try:
            rows = emb.most_similar(word, topn=topn)
        except EmbedkitError:
            ctx.console.print(f"[dim]{word}: not in the vocabulary[/dim]")
            continue
        ctx.console.print(f"{word}: " + ", ".join(f"{w} ({s:.2f})" for w, s in rows))
        neighbours[word] = [f"{w} ({s:.2f})" for w, s in rows]
    session = emb.meta["history"][-1]
    ctx.console.print(loss_line(session["loss_per_epoch"], config))
    return {"vocab_size": len(emb), "dim": emb.dim, "corpus_words": session["words"],
            "loss_per_epoch": session["loss_per_epoch"], "seconds": session["seconds"], "output": str(out),
            "nearest_neighbours": neighbours}
