"""The ``embedkit`` command: one Typer sub-app per stage; errors become one line and exit code 2."""

from __future__ import annotations

import importlib
import os
import re
import sys
import warnings
from typing import Any

import typer
from typer.rich_utils import rich_format_error

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


# Click's exceptions, from wherever this Typer takes Click (recent releases carry their own copy)
_CLICK = importlib.import_module(typer.BadParameter.__module__)
_NO_ARGS = getattr(_CLICK, "NoArgsIsHelpError", ())


def _usage_line(exc: Any) -> str:
    """A usage error (bad flag value, unknown or missing option) as one line that points at the help."""
    where = f" (see '{exc.ctx.command_path} --help')" if exc.ctx is not None else ""
    return f"{exc.format_message().rstrip('.')}{where}"


_ALLOCATION = re.compile(r"can't allocate memory|out of memory", re.IGNORECASE)
_TRIED = re.compile(r"tried to allocate (\d+) bytes")


def _out_of_memory(exc: BaseException) -> str | None:
    """One line for a failed allocation (Python's MemoryError, torch's allocator); ``None`` for anything else."""
    if not isinstance(exc, MemoryError) and not (isinstance(exc, RuntimeError) and _ALLOCATION.search(str(exc))):
        return None
    tried = _TRIED.search(str(exc))
    size = f" (an allocation of {int(tried.group(1)):,} bytes failed)" if tried else ""
    return (f"out of memory{size}: choose smaller sizes (hidden, dim, batch size, vocabulary, workers) "
            "or a smaller input")


def main(argv: list[str] | None = None) -> None:
    """Entry point of the console script."""
    from embedkit.errors import EmbedkitError

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("always", RenamedOptionWarning)
            warnings.showwarning = _show_renamed(warnings.showwarning)
            code = app(args=argv, prog_name="embedkit", standalone_mode=False)
        sys.exit(code if isinstance(code, int) else 0)  # typer.Exit(code) returns its code here
    except _NO_ARGS as exc:  # `embedkit w2v`: its help, as Typer shows it
        rich_format_error(exc)
        sys.exit(exc.exit_code)
    except _CLICK.UsageError as exc:
        print(f"error: {_usage_line(exc)}", file=sys.stderr)
        sys.exit(EXIT_USER_ERROR)
    except _CLICK.ClickException as exc:
        print(f"error: {exc.format_message()}", file=sys.stderr)
        sys.exit(exc.exit_code)
    except typer.Abort:
        print("aborted", file=sys.stderr)
        sys.exit(1)
    except EmbedkitError as exc:
        if os.environ.get("RANK", "0") == "0":  # under torchrun every rank fails alike: rank 0 says it once
            print(f"error: {exc}", file=sys.stderr)
        sys.exit(EXIT_USER_ERROR)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        sys.exit(EXIT_INTERRUPTED)
    except (MemoryError, RuntimeError) as exc:
        message = _out_of_memory(exc)
        if message is None:
            raise
        print(f"error: {message}", file=sys.stderr)
        sys.exit(EXIT_USER_ERROR)


__all__ = ["app", "main"]
