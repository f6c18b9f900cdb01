"""The ``embedkit`` command: one Typer sub-app per stage; errors become one line and exit code 2."""

from __future__ import annotations

import os
import sys
import warnings
from typing import Any

from embedkit.cli.app import app
from embedkit.config import RenamedOptionWarning

EXIT_USER_ERROR = 2
EXIT_INTERRUPTED = 130


def _show_renamed(show: Any) -> Any:
    """A ``warnings.showwarning`` that prints a renamed option as one ``warning: ...`` line (rank 0 only)."""
    def showwarning(message: Any, category: type[Warning], *args: Any, **kwargs: Any) -> None:
        if not issubclass(category, RenamedOptionWarning):
            show(message, category, *args, **kwargs)
        elif os.environ.get("RANK", "0") == "0":
            print(f"warning: {message}", file=sys.stderr)
    return showwarning


def main(argv: list[str] | None = None) -> None:
    """Entry point of the console script."""
    from embedkit.errors import EmbedkitError

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("always", RenamedOptionWarning)
            warnings.showwarning = _show_renamed(warnings.showwarning)
            app(args=argv, prog_name="embedkit")
    except EmbedkitError as exc:
        if os.environ.get("RANK", "0") == "0":  # under torchrun every rank fails alike: rank 0 says it once
            print(f"error: {exc}", file=sys.stderr)
        sys.exit(EXIT_USER_ERROR)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        sys.exit(EXIT_INTERRUPTED)


__all__ = ["app", "main"]
