"""`embedkit clf ...` commands."""

from __future__ import annotations

import typer

app = typer.Typer(help="clf commands.", no_args_is_help=True)
