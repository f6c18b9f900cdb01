"""What the sub-apps share about options: help that shows a config's default, read from the frozen dataclass
(the one home of defaults), and renamed flags that keep their old spelling for one release."""

from __future__ import annotations

import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any, TypeVar

import typer

from embedkit.config import load_toml, warn_renamed
from embedkit.errors import ConfigError

T = TypeVar("T")


def default_help(text: str, config: Any, name: str, shown: str | None = None) -> str:
    """``text`` ending in the default of field ``name`` of ``config`` (a dataclass instance).

    ``shown`` replaces a ``None`` default's value in the text (e.g. ``"the vectors' size"``).
    """
    value = getattr(config, name)
    return f"{text} (default: {shown if value is None and shown is not None else value})"


def switch_help(text: str, config: Any, name: str, on: str, off: str) -> str:
    """``text`` ending in the spelling of a ``--on/--off`` switch that the default of ``name`` means."""
    return f"{text} (default: {on if getattr(config, name) else off})"


def choice_help(text: str, choices: tuple[str, ...], config: Any, name: str) -> str:
    """``text`` listing ``choices`` and the default of field ``name``."""
    return default_help(f"{text}: {', '.join(choices)}", config, name)


def renamed_flag(value: T | None, old_value: T | None, new: str, old: str, command: str) -> T | None:
    """The value of flag ``new``, or of its old spelling ``old`` with a warning; both at once is an error."""
    if old_value is None:
        return value
    if value is not None:
        raise ConfigError(f"give {new} or its old spelling {old}, not both")
    warn_renamed(old, new, command, stacklevel=3)
    return old_value


def config_table(path: Path | None, name: str, pipeline_keys: Iterable[str], command: str,
                 old_tables: Iterable[str] = ()) -> dict[str, Any]:
    """The ``[name]`` table of a ``--config`` file: the same flat table a pipeline file holds.

    Tables of ``old_tables`` (an older shape, e.g. ``[trainer]`` beside ``[lm]``) are merged in with a warning;
    keys only a pipeline uses (``pipeline_keys``, given as arguments here) are checked, and a note names them.
    """
    if path is None:
        return {}
    tables = load_toml(path)
    table = dict(tables.get(name, {}))
    for old in old_tables:
        if old not in tables:
            continue
        warn_renamed(f"[{old}]", f"[{name}]", str(path), stacklevel=2)
        both = sorted(set(table) & set(tables[old]))
        if both:
            raise ConfigError(f"{path}: '{both[0]}' is in both [{name}] and [{old}]")
        table.update(tables[old])
    ignored = [key for key in pipeline_keys if key in table]
    if ignored:
        print(f"note: {command} takes {', '.join(ignored)} from its arguments, not from {path}", file=sys.stderr)
    return table


THREADS = typer.Option(None, "--threads", help="torch CPU threads (default: $OMP_NUM_THREADS, else 1: small "
                                               "recurrent models gain little from more, and lose much on a busy "
                                               "machine).")
ENCODING = typer.Option("utf-8", "--encoding", help="Encoding of the input files (e.g. cp1251, cp1252, latin-1).")
