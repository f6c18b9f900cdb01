"""The ``[subword]`` stage of ``embedkit run``: train BPE or unigram on the run's tokens."""

from __future__ import annotations

from embedkit.config import config_from_dict
from embedkit.io import PIECE_CHARS, iter_token_lists
from embedkit.run.context import RunContext, check_options
from embedkit.text.config import SubwordConfig
from embedkit.text.subword import SubwordModel

STAGE_KEYS = ("input", "encoding")


def check(table: dict) -> SubwordConfig:
    """The stage's training settings; raises :class:`ConfigError` for a bad option."""
    check_options(table, {"encoding": "string"}, "subword")
    return config_from_dict(SubwordConfig, {k: v for k, v in table.items() if k not in STAGE_KEYS},
                            where="subword")


def stage(table: dict, ctx: RunContext) -> dict:
    """Train the subword model, write ``subword.json``; returns its size and split report."""
    config = check(table)
    inputs = ctx.inputs(table, "subword")
    model = SubwordModel.train(iter_token_lists(inputs, ctx.encoding(table, "subword"), PIECE_CHARS), config)
    path = ctx.output("subword.json")
    model.save(path)
    ctx.artifacts["subword"] = path
    return model.training_report()
