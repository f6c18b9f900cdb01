"""`embedkit subword ...` commands."""

from __future__ import annotations

import typer

app = typer.Typer(help="subword commands.", no_args_is_help=True)
