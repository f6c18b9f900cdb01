"""The ``[ngram]`` stage of ``embedkit run``: an n-gram baseline on the run's tokens, with its perplexity.

Keys of the table: ``input`` (token files; default: the run's ``tokens``), ``valid`` (a token file to
report perplexity on; default: none), ``encoding``, ``prompt``/``seed`` (of the printed sample) and any
option of :class:`~embedkit.models.ngram.NgramConfig`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from embedkit.config import config_from_dict
from embedkit.run.context import RunContext, check_options

if TYPE_CHECKING:
    from embedkit.models.ngram import NgramConfig

STAGE_KEYS = ("input", "valid", "encoding", "prompt", "seed")


def check(table: dict) -> NgramConfig:
    """The stage's model settings; raises :class:`ConfigError` for a bad option."""
    check_options(table, {"encoding": "string", "prompt": "string", "seed": "integer"}, "ngram")
    from embedkit.models.ngram import NgramConfig

    return config_from_dict(NgramConfig, {k: v for k, v in table.items() if k not in STAGE_KEYS}, "ngram")


def stage(table: dict, ctx: RunContext) -> dict:
    """Count n-grams, write ``<run>/ngram``, print a sample; returns order, vocabulary and perplexity."""
    from embedkit.models.ngram import NgramModel, sentence_pieces

    config = check(table)
    encoding = ctx.encoding(table, "ngram")
    model = NgramModel.from_config(config).fit_pieces(sentence_pieces(ctx.inputs(table, "ngram"), encoding))
    path = ctx.output("ngram")
    model.save(path)
    ctx.artifacts["ngram"] = path
    summary: dict[str, Any] = {"order": model.order, "smoothing": model.smoothing,
                               "vocab": len(model.vocabulary), "ngrams": model.ngram_count}
    if table.get("valid"):
        held = sentence_pieces([ctx.resolve(table["valid"])], encoding)
        summary["valid_perplexity"] = round(model.perplexity_pieces(held), 3)
    prompt = str(table.get("prompt", "")).split()
    sample = model.generate(20, seed=int(table.get("seed", 0)), prompt=prompt)
    ctx.console.print(f"[ngram] sample: {' '.join(prompt + sample)}", markup=False)
    return summary
