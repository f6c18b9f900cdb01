"""`embedkit vocab ...` commands."""

from __future__ import annotations

import typer

app = typer.Typer(help="vocab commands.", no_args_is_help=True)
