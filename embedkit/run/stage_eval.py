"""The ``[eval]`` stage of ``embedkit run``: the run's vectors on analogy and word-pair sets.

Keys: ``analogies`` (files in the questions-words.txt format), ``pairs`` (WordSim/SimLex-style files),
``restrict_vocab``, ``method`` (3cosadd or 3cosmul). Paths may be ``gensim:NAME`` for the sets gensim
installs; by default the Google analogies, WordSim-353 and SimLex-999 from gensim are used.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from embedkit.embeddings.config import DEFAULT_METHOD, RESTRICT_VOCAB
from embedkit.errors import ConfigError
from embedkit.run.context import RunContext, check_options

DEFAULT_ANALOGIES = ("gensim:questions-words.txt",)
DEFAULT_PAIRS = ("gensim:wordsim353.tsv", "gensim:simlex999.txt")
KNOWN_KEYS = {"vectors", "analogies", "pairs", "restrict_vocab", "method"}


def check(table: dict[str, Any]) -> None:
    """Raise :class:`ConfigError` for an unknown option of the table or one of the wrong type."""
    unknown = sorted(set(table) - KNOWN_KEYS)
    if unknown:
        raise ConfigError(f"unknown option '{unknown[0]}' in [eval] (known: {', '.join(sorted(KNOWN_KEYS))})")
    check_options(table, {"analogies": "strings", "pairs": "strings", "restrict_vocab": "integer",
                          "method": "string"}, "eval")


def stage(table: dict[str, Any], ctx: RunContext) -> dict[str, Any]:
    """Evaluate ``table["vectors"]`` (or the run's vectors); figures per set go to the report."""
    from embedkit.embeddings import Embeddings
    from embedkit.embeddings.evaluate import evaluate_analogies, evaluate_pairs

    check(table)
    source = ctx.resolve(table["vectors"]) if "vectors" in table else ctx.artifacts.get("vectors")
    if source is None:
        raise ConfigError("[eval] needs 'vectors' or an earlier w2v stage")
    emb = Embeddings.load(source)
    summary: dict[str, Any] = {}
    method = table.get("method", DEFAULT_METHOD)
    for spec in table.get("analogies", DEFAULT_ANALOGIES):
        result = evaluate_analogies(emb, ctx.resolve(spec), table.get("restrict_vocab", RESTRICT_VOCAB), method)
        name = Path(str(spec).removeprefix("gensim:")).stem
        summary[f"{name} accuracy"] = round(result.accuracy, 4)
        summary[f"{name} questions"] = result.total
        summary[f"{name} oov"] = result.oov
        ctx.console.print(f"{name}: accuracy {result.accuracy:.3f} on {result.total} questions "
                          f"({result.oov} with unknown words)")
    for spec in table.get("pairs", DEFAULT_PAIRS):
        pairs = evaluate_pairs(emb, ctx.resolve(spec))
        name = Path(str(spec).removeprefix("gensim:")).stem
        summary[f"{name} spearman"] = round(pairs.spearman, 4)
        summary[f"{name} pairs used"] = pairs.used
        summary[f"{name} oov"] = pairs.oov
        ctx.console.print(f"{name}: Spearman {pairs.spearman:.3f} on {pairs.used}/{pairs.pairs} pairs")
    return summary
