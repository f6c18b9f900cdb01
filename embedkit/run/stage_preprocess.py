"""The ``[preprocess]`` stage of ``embedkit run``: input text to ``tokens.txt``."""

from __future__ import annotations

from typing import Any

from embedkit.config import config_from_dict
from embedkit.errors import ConfigError
from embedkit.run.context import RunContext
from embedkit.text.config import PreprocessConfig
from embedkit.text.pipeline import preprocess_files

STAGE_KEYS = ("input",)


def check(table: dict[str, Any]) -> PreprocessConfig:
    """The stage's pipeline settings; raises :class:`ConfigError` for a missing input or a bad option."""
    if table.get("input") is None:
        raise ConfigError("[preprocess] needs an input")
    return config_from_dict(PreprocessConfig, {k: v for k, v in table.items() if k not in STAGE_KEYS},
                            where="preprocess")


def stage(table: dict[str, Any], ctx: RunContext) -> dict[str, Any]:
    """Run the pipeline over ``input`` (a path or a list; ``gensim:NAME`` for gensim's bundled files)."""
    config = check(table)
    inputs = ctx.inputs(table, "preprocess")
    output = ctx.output("tokens.txt")
    summary = preprocess_files(inputs, output, config)
    ctx.artifacts["tokens"] = output
    return {"documents": summary.documents, "tokens": summary.tokens, "types": summary.types,
            "seconds": round(summary.seconds, 2), "tokens_per_second": round(summary.tokens_per_second)}
