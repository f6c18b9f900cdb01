"""`embedkit subword ...`: train BPE or unigram on token files, encode text into pieces."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable
from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from embedkit.cli.options import choice_help, default_help
from embedkit.config import config_from_dict, load_toml, replace_config
from embedkit.errors import OutputError
from embedkit.text.config import SUBWORD_MODELS, SubwordConfig

app = typer.Typer(
    help="Subword models (BPE, unigram): train on token files, encode text.", no_args_is_help=True
)
console = Console(highlight=False)
err_console = Console(stderr=True, highlight=False)
_SUBWORD = SubwordConfig()


@app.command("train", no_args_is_help=True)
def train(
    inputs: list[str] = typer.Argument(
        ..., help="Token files (one document a line), folders, .gz, or - for stdin."
    ),
    output: Path = typer.Option(..., "--output", "-o", help="Model JSON to write (HF tokenizer inside)."),
    model: str | None = typer.Option(None, "--model", "-m", help=choice_help("Model", SUBWORD_MODELS, _SUBWORD,
                                                                             "model")),
    vocab_size: int | None = typer.Option(
        None, "--vocab-size", help=default_help("Pieces, specials included.", _SUBWORD, "vocab_size")
    ),
    min_frequency: int | None = typer.Option(
        None, "--min-frequency", help=default_help("BPE: merge only pairs seen this often; unigram ignores it.",
                                                   _SUBWORD, "min_frequency")
    ),
    config_file: Path | None = typer.Option(None, "--config", help="TOML file with a \\[subword] table."),
    encoding: str = typer.Option("utf-8", "--encoding", help="Input encoding, e.g. cp1251."),
) -> None:
    """Train a subword model in one streaming pass; print how words split into pieces."""
    from embedkit.io import PIECE_CHARS, iter_token_lists
    from embedkit.text.subword import HISTOGRAM_BINS, SubwordModel

    base = SubwordConfig()
    if config_file is not None:
        base = config_from_dict(SubwordConfig, load_toml(config_file).get("subword", {}), "subword")
    config = replace_config(base, model=model, vocab_size=vocab_size, min_frequency=min_frequency)
    trained = SubwordModel.train(iter_token_lists(inputs, encoding, PIECE_CHARS), config)
    trained.save(output)
    report = trained.training_report()
    console.print(
        f"{config.model} with [bold]{trained.vocab_size:,}[/] pieces from {report['tokens']:,} tokens, "
        f"{report['types']:,} types -> {escape(str(output))}"
    )
    table = Table(
        "pieces", "tokens", "share", "types", "share", title="how words split", title_justify="left"
    )
    for label in HISTOGRAM_BINS:
        n_tok, n_typ = report["histogram_tokens"][label], report["histogram_types"][label]
        table.add_row(
            label,
            f"{n_tok:,}",
            f"{n_tok / report['tokens']:.1%}",
            f"{n_typ:,}",
            f"{n_typ / report['types']:.1%}",
        )
    table.add_row(
        "mean", f"{report['mean_pieces_per_token']:.2f}", "", f"{report['mean_pieces_per_type']:.2f}", ""
    )
    console.print(table)


@app.command("encode", no_args_is_help=True)
def encode(
    model_path: Path = typer.Argument(..., metavar="MODEL", help="Model JSON from `embedkit subword train`."),
    source: str = typer.Argument(
        "-", metavar="[FILE|-]", help="Text or token file; - (default) reads stdin."
    ),
    output: Path | None = typer.Option(
        None, "--output", "-o", help="Output file (stdout when omitted or -)."
    ),
    ids: bool = typer.Option(False, "--ids", help="Write piece ids instead of pieces."),
    encoding: str = typer.Option("utf-8", "--encoding", help="Input encoding, e.g. cp1251."),
) -> None:
    """Split every line into pieces (or ids), separated by spaces, one output line per input line."""
    from embedkit.io import atomic_write, iter_lines, resolve_inputs
    from embedkit.text.subword import SubwordModel

    subword = SubwordModel.load(model_path)
    lines = iter_lines(resolve_inputs([source]), encoding)
    encoded = (" ".join(map(str, pieces)) + "\n" for pieces in subword.encode_lines(lines, ids=ids))
    if output is None or str(output) == "-":
        _write_stdout(encoded)
        return
    count = 0
    with atomic_write(output) as handle:
        for line in encoded:
            handle.write(line)
            count += 1
    err_console.print(f"{count:,} lines -> {escape(str(output))}")


def _write_stdout(lines: Iterable[str]) -> None:
    """Stream to stdout; a reader that stops early (``| head``) ends the command quietly."""
    try:
        sys.stdout.writelines(lines)
        sys.stdout.flush()
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        raise typer.Exit(0) from None
    except OSError as exc:
        raise OutputError(f"stdout: cannot write ({exc.strerror or exc})") from None
