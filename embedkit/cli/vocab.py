"""`embedkit vocab ...`: build a word vocabulary (JSON) from token files."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from embedkit.cli.options import default_help, renamed_flag, switch_help
from embedkit.config import config_from_dict, load_toml, replace_config
from embedkit.text.config import SPECIALS
from embedkit.vocab import VocabConfig

app = typer.Typer(
    help="Word vocabularies: counts, min_count / max_vocab, specials, JSON.", no_args_is_help=True
)
console = Console(highlight=False)
_VOCAB = VocabConfig()


@app.command("build", no_args_is_help=True)
def build(
    inputs: list[str] = typer.Argument(
        ..., help="Token files (one document a line), folders, .gz, or - for stdin."
    ),
    output: Path = typer.Option(..., "--output", "-o", help="Vocabulary JSON to write."),
    min_count: int | None = typer.Option(
        None, "--min-count", help=default_help("Keep tokens seen at least this often.", _VOCAB, "min_count")
    ),
    max_vocab: int | None = typer.Option(None, "--max-vocab", help=default_help(
        "At most this many words, specials aside.", _VOCAB, "max_vocab", shown="no limit")),
    old_max_size: int | None = typer.Option(None, "--max-size", hidden=True, help="Old spelling of --max-vocab."),
    specials: bool | None = typer.Option(
        None, "--specials/--no-specials", help=switch_help(
            f"Put {' '.join(SPECIALS)} first.", _VOCAB, "specials", "--specials", "--no-specials")
    ),
    config_file: Path | None = typer.Option(None, "--config", help="TOML file with a \\[vocab] table."),
    encoding: str = typer.Option("utf-8", "--encoding", help="Input encoding, e.g. cp1251."),
    top: int = typer.Option(10, "--top", min=0, help="How many of the most frequent words to print."),
) -> None:
    """Count tokens, keep the frequent ones, write the vocabulary; print size, coverage and top words."""
    from embedkit.io import PIECE_CHARS, iter_token_lists
    from embedkit.vocab import count_tokens, vocab_report

    base = VocabConfig()
    if config_file is not None:
        base = config_from_dict(VocabConfig, load_toml(config_file).get("vocab", {}), "vocab")
    config = replace_config(
        base,
        min_count=min_count,
        max_vocab=renamed_flag(max_vocab, old_max_size, "--max-vocab", "--max-size", "vocab build"),
        specials=None if specials is None else ((base.specials or SPECIALS) if specials else ()),
    )
    counts = count_tokens(iter_token_lists(inputs, encoding, PIECE_CHARS))
    vocab, summary = vocab_report(counts, config, top=top)
    vocab.save(output)
    console.print(
        f"[bold]{summary['size']:,}[/] entries ({summary['words']:,} words + {summary['specials']} specials) "
        f"from {summary['tokens']:,} tokens, {summary['types']:,} types; "
        f"coverage of running tokens [bold]{summary['coverage']:.2%}[/] -> {escape(str(output))}"
    )
    if summary["top"]:
        table = Table("rank", "word", "count", title="most frequent words", title_justify="left")
        for rank, (word, count) in enumerate(summary["top"], start=1):
            table.add_row(str(rank), escape(word), f"{count:,}")
        console.print(table)
