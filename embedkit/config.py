"""Frozen configuration dataclasses and their TOML round-trip: the one home of defaults.

Every stage's options live in one frozen dataclass; the CLI builds the same object from its flags, a
pipeline file from a TOML table, Python code by calling the constructor. Each room keeps its own
dataclasses next to its code (``text.config``, ``vocab``, ``embeddings.config``, ``models.config``,
``training.config``) and validates them with the public helpers here.
"""

from __future__ import annotations

import dataclasses
import tomllib
import types
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypeVar

from embedkit.errors import ConfigError

T = TypeVar("T")

def check_choice(name: str, value: str, allowed: tuple[str, ...]) -> None:
    """Raise :class:`ConfigError` unless ``value`` is one of ``allowed``."""
    if value not in allowed:
        raise ConfigError(f"unknown {name} '{value}' (choose from {', '.join(allowed)})")


def check_positive(name: str, value: float | None, allow_none: bool = False) -> None:
    """Raise :class:`ConfigError` unless ``value`` is > 0 (or ``None`` where ``allow_none``)."""
    if value is None and allow_none:
        return
    if value is None or value <= 0:
        raise ConfigError(f"{name} must be positive, got {value}")


def _coerce(value: Any, hint: Any, name: str) -> Any:
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        inner = [a for a in args if a is not type(None)]
        return _coerce(value, inner[0], name) if len(inner) == 1 else value
    if origin is tuple or hint is tuple:
        if not isinstance(value, (list, tuple)):
            raise ConfigError(f"option '{name}' wants a list, got {value!r}")
        return tuple(value)
    if hint is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"option '{name}' wants true or false, got {value!r}")
        return value
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"option '{name}' wants an integer, got {value!r}")
        return value
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(f"option '{name}' wants a number, got {value!r}")
        return float(value)
    if hint is str:
        if not isinstance(value, (str, Path)):
            raise ConfigError(f"option '{name}' wants a string, got {value!r}")
        return str(value)
    return value


def config_from_dict(cls: type[T], data: Mapping[str, Any], where: str = "") -> T:
    """Build ``cls`` from a mapping, rejecting unknown keys and values of the wrong type."""
    fields = {f.name: f for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    hints = typing.get_type_hints(cls)
    unknown = sorted(set(data) - set(fields))
    if unknown:
        place = f" in [{where}]" if where else ""
        raise ConfigError(f"unknown option '{unknown[0]}'{place} (known: {', '.join(sorted(fields))})")
    kwargs = {key: _coerce(value, hints[key], key) for key, value in data.items()}
    return cls(**kwargs)


def config_to_dict(config: Any) -> dict[str, Any]:
    """A TOML-ready dict of a config dataclass (``None`` values dropped, tuples as lists)."""
    out: dict[str, Any] = {}
    for key, value in dataclasses.asdict(config).items():
        if value is None:
            continue
        out[key] = list(value) if isinstance(value, tuple) else value
    return out


def replace_config(config: T, **changes: Any) -> T:
    """``dataclasses.replace`` that ignores ``None`` (an option the user did not give)."""
    given = {key: value for key, value in changes.items() if value is not None}
    return dataclasses.replace(config, **given)  # type: ignore[type-var]


def load_toml(path: str | Path) -> dict[str, Any]:
    """Parse a TOML file into a dict, with a one-line error for a missing or malformed file."""
    path = Path(path)
    try:
        with open(path, "rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such file") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from None


def dump_toml(data: Mapping[str, Any]) -> str:
    """Serialise a mapping of tables to TOML text."""
    import tomli_w

    return tomli_w.dumps(dict(data))
