"""Frozen configuration dataclasses and their TOML round-trip: the one home of defaults.

Every stage's options live in one frozen dataclass; the CLI builds the same object from its flags, a
pipeline file from a TOML table, Python code by calling the constructor. Each room keeps its own
dataclasses next to its code (``text.config``, ``vocab``, ``embeddings.config``, ``models.config``,
``training.config``) and validates them with the public helpers here.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import tomllib
import types
import typing
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

from embedkit.errors import ConfigError, InputError
from embedkit.io import read_option_file

T = TypeVar("T")


class RenamedOptionWarning(FutureWarning):
    """An option, key or flag given under its old name: it still works for one release. The CLI prints it as
    one ``warning: ...`` line on stderr."""


def warn_renamed(old: str, new: str, where: str = "", stacklevel: int = 4) -> None:
    """Warn that ``old`` is now spelt ``new`` (``where``: the table, class or command it was found in)."""
    place = f" in {where}" if where else ""
    warnings.warn(RenamedOptionWarning(f"'{old}'{place} is now '{new}'; the old name goes in the next release"),
                  stacklevel=stacklevel)


def renamed_fields(cls: type) -> Mapping[str, str]:
    """Old name -> new name of the renamed fields of a config class (see :func:`renamed`)."""
    return getattr(cls, "RENAMED", {})


def rename_keys(cls: type, data: Mapping[str, Any], where: str = "", warn: bool = True,
                flat: bool = False) -> dict[str, Any]:
    """``data`` with the old names of ``cls``'s renamed fields replaced by the new ones (warning when ``warn``).

    Giving a field under both names is a :class:`ConfigError`. ``flat`` leaves the options that moved into a
    nested config where they are (a flat table shares them out to that config's class itself).
    """
    old_to_new = renamed_fields(cls)
    out = dict(data)
    for old, new in old_to_new.items():
        if old not in out or (flat and "." in new):
            continue
        head, _, leaf = new.partition(".")
        if new in out or (leaf and leaf in _as_dict(out.get(head))):
            raise ConfigError(f"give '{new}' or its old name '{old}', not both")
        if warn:
            warn_renamed(old, new, where)
        if leaf:
            out[head] = _with(out.get(head), leaf, out.pop(old))
        else:
            out[new] = out.pop(old)
    return out


def _as_dict(value: Any) -> Mapping[str, Any]:
    """A nested config given as a table or as a dataclass, as a mapping of the fields it sets."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {}
    return value if isinstance(value, Mapping) else {}


def _with(nested: Any, key: str, value: Any) -> Any:
    """A nested config (table, dataclass or nothing yet) with one more field set."""
    if dataclasses.is_dataclass(nested) and not isinstance(nested, type):
        return dataclasses.replace(nested, **{key: value})
    return {**(nested if isinstance(nested, Mapping) else {}), key: value}


def renamed(**old_to_new: str) -> Callable[[type[T]], type[T]]:
    """Class decorator of a config dataclass whose fields were renamed; the old names keep working one release.

    The constructor takes a field under its old keyword too, :func:`config_from_dict` maps an old key, and
    reading ``config.old_name`` gives the new field: each with a :class:`RenamedOptionWarning`. A dotted new
    name (``lang="text.lang"``) moves the option into a nested config.
    """
    def wrap(cls: type[T]) -> type[T]:
        init = cls.__init__  # type: ignore[misc]

        @functools.wraps(init)
        def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
            kwargs = rename_keys(cls, kwargs, cls.__name__)
            for field in dataclasses.fields(cls):  # type: ignore[arg-type]
                if isinstance(kwargs.get(field.name), Mapping) and field.default_factory is not dataclasses.MISSING:
                    kwargs[field.name] = dataclasses.replace(field.default_factory(), **kwargs[field.name])
            init(self, *args, **kwargs)

        def old_attribute(old: str, new: str) -> property:
            def get(self: Any) -> Any:
                warn_renamed(old, new, cls.__name__)
                return functools.reduce(getattr, new.split("."), self)
            return property(get, doc=f"Deprecated: the old name of ``{new}``.")

        cls.__init__ = __init__  # type: ignore[misc]
        cls.RENAMED = types.MappingProxyType(dict(old_to_new))  # type: ignore[attr-defined]
        for old, new in old_to_new.items():
            setattr(cls, old, old_attribute(old, new))
        return cls
    return wrap


def check_choice(name: str, value: str, allowed: tuple[str, ...]) -> None:
    """Raise :class:`ConfigError` unless ``value`` is one of ``allowed``."""
    if value not in allowed:
        raise ConfigError(f"unknown {name} '{value}' (choose from {', '.join(allowed)})")


def check_positive(name: str, value: float | None, allow_none: bool = False) -> None:
    """Raise :class:`ConfigError` unless ``value`` is > 0 (or ``None`` where ``allow_none``)."""
    if value is None and allow_none:
        return
    if value is None or not value > 0:  # NaN too
        raise ConfigError(f"{name} must be positive, got {value}")


MAX_WORKERS = 256  # processes or threads one command may start: more is a typo, and would storm the machine


def check_workers(name: str, value: int | None) -> None:
    """Raise :class:`ConfigError` unless a worker or thread count is positive and at most :data:`MAX_WORKERS`
    (``None``: the default)."""
    check_positive(name, value, allow_none=True)
    if value is not None and value > MAX_WORKERS:
        raise ConfigError(f"{name} must be at most {MAX_WORKERS}, got {value}: each one is a process or thread")


SEED_LIMIT = 2**32  # numpy's and gensim's seeds are 32-bit unsigned


def check_seed(seed: int | None, name: str = "seed") -> None:
    """Raise :class:`ConfigError` for a seed numpy would refuse with a traceback (negative, or 2**32 or more)."""
    if seed is not None and not 0 <= seed < SEED_LIMIT:
        raise ConfigError(f"{name} must lie in 0..2**32 - 1, got {seed}")


def check_numbers(config: Any) -> None:
    """Raise :class:`ConfigError` for a float option that is NaN or infinite, or a ``seed`` out of range.

    Called first in every config's ``__post_init__``: a NaN compares false with every bound, so the range
    checks that follow would let it through to gensim (which crashes the process) or to the sampler.
    """
    for field in dataclasses.fields(config):
        value = getattr(config, field.name)
        if isinstance(value, float) and not math.isfinite(value):
            raise ConfigError(f"{field.name} must be a finite number, got {value}")
        if field.name == "seed" and isinstance(value, int):
            check_seed(value)


def _coerce(value: Any, hint: Any, name: str, warn: bool = True) -> Any:
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        inner = [a for a in args if a is not type(None)]
        return _coerce(value, inner[0], name, warn) if len(inner) == 1 else value
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
    if dataclasses.is_dataclass(hint):
        if isinstance(value, hint):
            return value
        if not isinstance(value, Mapping):
            raise ConfigError(f"option '{name}' wants a table, got {value!r}")
        return config_from_dict(hint, value, name, warn=warn)
    if hint is str:
        if not isinstance(value, (str, Path)):
            raise ConfigError(f"option '{name}' wants a string, got {value!r}")
        return str(value)
    return value


def config_from_dict(cls: type[T], data: Mapping[str, Any], where: str = "", base: T | None = None,
                     warn: bool = True) -> T:
    """Build ``cls`` from a mapping, rejecting unknown keys and values of the wrong type.

    Keys the mapping leaves out take their value from ``base`` (else the dataclass default). A renamed
    field's old key still loads: with a :class:`RenamedOptionWarning` when ``warn`` (a user's file), silently
    otherwise (a saved model folder, so old models load).
    """
    if not isinstance(data, Mapping):
        raise ConfigError(f"{f'[{where}]' if where else 'options'} wants a table, got {data!r}")
    data = rename_keys(cls, data, f"[{where}]" if where else "", warn)
    fields = {f.name: f for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    hints = typing.get_type_hints(cls)
    unknown = sorted(set(data) - set(fields))
    if unknown:
        place = f" in [{where}]" if where else ""
        raise ConfigError(f"unknown option '{unknown[0]}'{place} (known: {', '.join(sorted(fields))})")
    kwargs = {key: _coerce(value, hints[key], key, warn) for key, value in data.items()}
    if base is not None:
        return dataclasses.replace(base, **kwargs)  # type: ignore[type-var]
    return cls(**kwargs)


def split_table(table: Mapping[str, Any], classes: Sequence[type], extra: Iterable[str] = (),
                where: str = "", warn: bool = True) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Share a flat table's keys out among config ``classes`` (a key goes to each class that has it; old names
    of renamed fields are mapped, warning when ``warn``); keys in ``extra`` come back apart. Any other key is a
    :class:`ConfigError` naming the known ones."""
    data = dict(table)
    for cls in classes:
        data = rename_keys(cls, data, f"[{where}]" if where else "", warn, flat=True)
    names = [{f.name for f in dataclasses.fields(cls)} for cls in classes]  # type: ignore[arg-type]
    extra = set(extra)
    known = set().union(*names, extra)
    unknown = sorted(set(data) - known)
    if unknown:
        place = f" in [{where}]" if where else ""
        raise ConfigError(f"unknown option '{unknown[0]}'{place} (known: {', '.join(sorted(known))})")
    parts = [{k: v for k, v in data.items() if k in fields} for fields in names]
    return parts, {k: v for k, v in data.items() if k in extra}


def config_to_dict(config: Any) -> dict[str, Any]:
    """A TOML-ready dict of a config dataclass (``None`` values dropped, tuples as lists, nested configs as
    tables)."""
    out: dict[str, Any] = {}
    for field in dataclasses.fields(config):
        value = getattr(config, field.name)
        if value is None:
            continue
        if dataclasses.is_dataclass(value):
            value = config_to_dict(value)
        out[field.name] = list(value) if isinstance(value, tuple) else value
    return out


def replace_config(config: T, **changes: Any) -> T:
    """``dataclasses.replace`` that ignores ``None`` (an option the user did not give)."""
    given = {key: value for key, value in changes.items() if value is not None}
    return dataclasses.replace(config, **given)  # type: ignore[type-var]


def load_toml(path: str | Path) -> dict[str, Any]:
    """Parse a TOML file into a dict, with a one-line error for a missing, malformed or unreadable file.

    The file is read as an option file (:func:`embedkit.io.read_option_file`): a regular file of bounded
    size in UTF-8, so a folder or ``/dev/zero`` is refused instead of read forever.
    """
    path = Path(path)
    if path.is_dir():
        raise ConfigError(f"{path}: is a folder, not a TOML file")
    if not path.exists():
        raise ConfigError(f"{path}: no such file")
    try:
        text = read_option_file(path, "TOML file")
    except InputError as exc:  # not a regular file, too large, binary or not UTF-8
        raise ConfigError(f"not valid TOML: {exc}") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from None


def dump_toml(data: Mapping[str, Any]) -> str:
    """Serialise a mapping of tables to TOML text."""
    import tomli_w

    return tomli_w.dumps(dict(data))
