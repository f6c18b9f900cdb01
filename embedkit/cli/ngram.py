"""`embedkit ngram ...`: train an n-gram language model, score perplexity, sample text."""

from __future__ import annotations

import json
from collections.abc import Container, Iterator
from pathlib import Path

import typer

from embedkit.cli.options import choice_help, default_help, switch_help
from embedkit.models.config import SMOOTHINGS, NgramConfig

_NGRAM = NgramConfig()
app = typer.Typer(help="N-gram language model baseline: train, perplexity, generate.", no_args_is_help=True)

ENCODING = typer.Option("utf-8", "--encoding", help="Encoding of the token files.")


class _Tally:
    """Sentences, tokens and tokens outside ``known`` of the pieces of sentences that stream through it."""

    def __init__(self, known: Container[str] | None = None) -> None:
        self.known = known
        self.sentences = self.tokens = self.unknown = 0

    def __call__(self, inputs: list[str], encoding: str) -> Iterator[tuple[list[str], bool]]:
        """:func:`~embedkit.models.ngram.sentence_pieces` of token files, counted as they pass."""
        from embedkit.models.ngram import sentence_pieces

        known = self.known
        for tokens, ends in sentence_pieces(inputs, encoding):
            self.sentences += ends
            self.tokens += len(tokens)
            if known is not None:
                self.unknown += sum(tok not in known for tok in tokens)
            yield tokens, ends


@app.command(no_args_is_help=True)
def train(
    inputs: list[str] = typer.Argument(..., help="Token files (one sentence a line, tokens split by spaces)."),
    output: Path = typer.Option(..., "--output", "-o", help="Model folder to write."),
    order: int | None = typer.Option(None, "--order", help=default_help("n of the n-grams.", _NGRAM, "order")),
    smoothing: str | None = typer.Option(None, "--smoothing", help=choice_help("Smoothing", SMOOTHINGS, _NGRAM,
                                                                               "smoothing")),
    k: float | None = typer.Option(None, "--k", help=default_help("Pseudo-count of add-k smoothing.", _NGRAM, "k")),
    min_count: int | None = typer.Option(None, "--min-count", help=default_help("Rarer words become <unk>.", _NGRAM,
                                                                                "min_count")),
    modified: bool | None = typer.Option(None, "--modified/--plain", help=switch_help(
        "Modified (3 discounts) or plain Kneser-Ney.", _NGRAM, "modified", "--modified", "--plain")),
    discount: float | None = typer.Option(None, "--discount", help=default_help(
        "Fixed Kneser-Ney discount.", _NGRAM, "discount", shown="estimated from the counts")),
    encoding: str = ENCODING,
) -> None:
    """Count n-grams and save the model."""
    from embedkit.config import replace_config
    from embedkit.io import check_model_dir
    from embedkit.models.ngram import NgramModel
    model = NgramModel.from_config(replace_config(_NGRAM, order=order, smoothing=smoothing, k=k,
                                                  min_count=min_count, modified=modified, discount=discount))
    check_model_dir(output)
    tally = _Tally()
    model.fit_pieces(tally(inputs, encoding))
    model.save(output)
    print(f"{model!r}: {tally.sentences} sentences; saved {output}")


@app.command(no_args_is_help=True)
def perplexity(
    model: Path = typer.Argument(..., help="N-gram model folder."),
    inputs: list[str] = typer.Argument(..., help="Token files to score."),
    encoding: str = ENCODING,
    as_json: bool = typer.Option(False, "--json", help="Print the figures as JSON."),
) -> None:
    """Perplexity per token (<eos> included) of held-out text."""
    from embedkit.models.ngram import NgramModel

    lm = NgramModel.load(model)
    tally = _Tally(lm.stoi)
    ppl = lm.perplexity_pieces(tally(inputs, encoding))
    count = tally.tokens + tally.sentences
    figures = {"perplexity": ppl, "tokens": count, "sentences": tally.sentences,
               "oov_rate": tally.unknown / count}
    if as_json:
        print(json.dumps(figures))
    else:
        print(f"tokens {count} (<eos> included), sentences {tally.sentences}, OOV rate {figures['oov_rate']:.4f}")
        print(f"perplexity {ppl:.2f}")


@app.command(no_args_is_help=True)
def generate(
    model: Path = typer.Argument(..., help="N-gram model folder."),
    prompt: str | None = typer.Option(None, "--prompt", help="Words to continue (split by spaces)."),
    max_tokens: int = typer.Option(30, "--max-tokens"),
    temperature: float = typer.Option(1.0, "--temperature", help="0 picks the most probable word."),
    seed: int | None = typer.Option(None, "--seed"),
    count: int = typer.Option(1, "--count", "-n", help="How many texts."),
) -> None:
    """Sample text word by word, the lecture's way."""
    from embedkit.errors import ConfigError
    from embedkit.models.ngram import NgramModel

    if max_tokens < 1 or count < 1:
        raise ConfigError("--max-tokens and --count must be positive")
    lm = NgramModel.load(model)
    words = prompt.split() if prompt else []
    for i in range(count):
        out = lm.generate(max_tokens, seed=None if seed is None else seed + i, prompt=words,
                          temperature=temperature)
        print(" ".join(words + out))
