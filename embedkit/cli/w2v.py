"""`embedkit w2v ...` commands."""

from __future__ import annotations

import typer

app = typer.Typer(help="w2v commands.", no_args_is_help=True)
