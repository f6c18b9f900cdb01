"""The ``[vocab]`` stage of ``embedkit run``, and the counting both it and ``embedkit vocab build`` use."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from embedkit.config import VocabConfig, config_from_dict
from embedkit.errors import ConfigError, InputError
from embedkit.io import iter_lines, resolve_inputs
from embedkit.run.context import RunContext
from embedkit.vocab import Vocab

STAGE_KEYS = ("input", "encoding")


def _is_jsonl(source: Path | str) -> bool:
    name = str(source).lower()
    return name.endswith(".jsonl") or name.endswith(".jsonl.gz")


def _jsonl_tokens(source: Path | str, encoding: str) -> Iterator[list[str]]:
    for lineno, line in enumerate(iter_lines([source], encoding), start=1):
        if not line.strip():
            continue
        try:
            tokens = json.loads(line)["tokens"]
        except (ValueError, KeyError, TypeError):
            raise InputError(f"{source}, line {lineno}: not a JSON object with a 'tokens' list") from None
        if not isinstance(tokens, list) or not all(isinstance(t, str) for t in tokens):
            raise InputError(f"{source}, line {lineno}: 'tokens' is not a list of strings")
        yield tokens


def iter_token_lists(inputs: Sequence[str | Path], encoding: str = "utf-8") -> Iterator[list[str]]:
    """Token lists from what ``embedkit preprocess`` writes: files, folders or ``-``.

    A text file holds one document a line, tokens split on whitespace; a ``.jsonl`` file one
    ``{"tokens": [...]}`` object a line.
    """
    for source in resolve_inputs(inputs):
        if _is_jsonl(source):
            yield from _jsonl_tokens(source, encoding)
        else:
            for line in iter_lines([source], encoding):
                yield line.split()


def count_tokens(token_lists: Iterable[Iterable[str]]) -> Counter[str]:
    """Count tokens in one pass; :class:`InputError` when there are none."""
    counts: Counter[str] = Counter()
    for tokens in token_lists:
        counts.update(tokens)
    if not counts:
        raise InputError("the input holds no tokens")
    return counts


def build_vocab(
    counts: Mapping[str, int], config: VocabConfig, top: int = 10
) -> tuple[Vocab, dict[str, Any]]:
    """A vocabulary from counts plus its figures: size, running-token coverage, the ``top`` words."""
    vocab = Vocab.from_counts(dict(counts), config)
    total = sum(counts.values())
    known = sum(counts.get(tok, 0) for tok in vocab.itos)
    summary = {
        "size": len(vocab),
        "words": len(vocab) - len(vocab.specials),
        "specials": len(vocab.specials),
        "tokens": total,
        "types": len(counts),
        "coverage": known / total if total else 0.0,
        "top": [[tok, vocab.counts[tok]] for tok in vocab.itos[len(vocab.specials) :][:top]],
    }
    return vocab, summary


def stage_inputs(table: Mapping[str, Any], ctx: RunContext, stage_name: str) -> list[str | Path]:
    """The stage's ``input`` (a path or a list, relative to the pipeline file) or the run's ``tokens``."""
    spec = table.get("input")
    if spec is None:
        if "tokens" not in ctx.artifacts:
            raise ConfigError(f"[{stage_name}] needs an 'input' (or a preprocess stage before it)")
        return [ctx.artifacts["tokens"]]
    specs = spec if isinstance(spec, list) else [spec]
    if not specs or not all(isinstance(s, str) for s in specs):
        raise ConfigError(f"[{stage_name}] option 'input' wants a path or a list of paths, got {spec!r}")
    return [ctx.resolve(s) for s in specs]


def stage_encoding(table: Mapping[str, Any], stage_name: str) -> str:
    """The stage's ``encoding`` of its input files (UTF-8 unless given)."""
    encoding = table.get("encoding", "utf-8")
    if not isinstance(encoding, str):
        raise ConfigError(f"[{stage_name}] option 'encoding' wants a string, got {encoding!r}")
    return encoding


def stage(table: dict, ctx: RunContext) -> dict:
    """Count the tokens, build the vocabulary, write ``vocab.json``; returns its figures."""
    config = config_from_dict(
        VocabConfig, {k: v for k, v in table.items() if k not in STAGE_KEYS}, where="vocab"
    )
    inputs = stage_inputs(table, ctx, "vocab")
    counts = count_tokens(iter_token_lists(inputs, stage_encoding(table, "vocab")))
    vocab, summary = build_vocab(counts, config)
    path = ctx.output("vocab.json")
    vocab.save(path)
    ctx.artifacts["vocab"] = path
    summary.pop("top")
    return summary
