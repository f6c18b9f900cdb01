"""The ``embedkit`` command: one Typer sub-app per stage; errors become one line and exit code 2."""

from __future__ import annotations

import os
import sys

from embedkit.cli.app import app

EXIT_USER_ERROR = 2
EXIT_INTERRUPTED = 130


def main(argv: list[str] | None = None) -> None:
    """Entry point of the console script."""
    from embedkit.errors import EmbedkitError

    try:
        app(args=argv, prog_name="embedkit")
    except EmbedkitError as exc:
        if os.environ.get("RANK", "0") == "0":  # under torchrun every rank fails alike: rank 0 says it once
            print(f"error: {exc}", file=sys.stderr)
        sys.exit(EXIT_USER_ERROR)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        sys.exit(EXIT_INTERRUPTED)


__all__ = ["app", "main"]
