"""The ``[vocab]`` stage of ``embedkit run``."""

from __future__ import annotations

from embedkit.config import config_from_dict
from embedkit.io import PIECE_CHARS, iter_token_lists
from embedkit.run.context import RunContext, check_options
from embedkit.vocab import VocabConfig, count_tokens, vocab_report

STAGE_KEYS = ("input", "encoding")


def check(table: dict) -> VocabConfig:
    """The stage's vocabulary settings; raises :class:`ConfigError` for a bad option."""
    check_options(table, {"encoding": "string"}, "vocab")
    return config_from_dict(VocabConfig, {k: v for k, v in table.items() if k not in STAGE_KEYS}, where="vocab")


def stage(table: dict, ctx: RunContext) -> dict:
    """Count the tokens, build the vocabulary, write ``vocab.json``; returns its figures."""
    config = check(table)
    inputs = ctx.inputs(table, "vocab")
    counts = count_tokens(iter_token_lists(inputs, ctx.encoding(table, "vocab"), PIECE_CHARS))
    vocab, summary = vocab_report(counts, config)
    path = ctx.output("vocab.json")
    vocab.save(path)
    ctx.artifacts["vocab"] = path
    summary.pop("top")
    return summary
