"""`embedkit ngram ...` commands."""

from __future__ import annotations

import typer

app = typer.Typer(help="ngram commands.", no_args_is_help=True)
