"""Assembles the Typer application from the stage sub-apps."""

from __future__ import annotations

import logging

import typer

from embedkit import __version__
from embedkit.cli import clf, lm, ngram, w2v
from embedkit.cli.preprocess import preprocess
from embedkit.cli.run import report, run
from embedkit.cli.subword import app as subword_app
from embedkit.cli.vocab import app as vocab_app

app = typer.Typer(
    name="embedkit",
    help="Raw text to word embeddings and recurrent models.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"embedkit {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Print the version."),
    verbose: int = typer.Option(0, "--verbose", "-v", count=True, help="More log output (-vv for debug)."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Only errors."),
) -> None:
    level = logging.ERROR if quiet else (logging.WARNING, logging.INFO, logging.DEBUG)[min(verbose, 2)]
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")


app.command(no_args_is_help=True)(preprocess)
app.command(no_args_is_help=True)(run)
app.command(no_args_is_help=True)(report)
app.add_typer(vocab_app, name="vocab")
app.add_typer(subword_app, name="subword")
app.add_typer(w2v.app, name="w2v")
app.add_typer(lm.app, name="lm")
app.add_typer(clf.app, name="clf")
app.add_typer(ngram.app, name="ngram")
