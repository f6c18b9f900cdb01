"""The few exceptions embedkit raises on purpose; the CLI prints them as one line and exits with code 2."""

from __future__ import annotations


class EmbedkitError(Exception):
    """A problem the user can fix (bad input, bad option); its message is one readable line."""


class InputError(EmbedkitError):
    """Input files that are missing, empty, binary or not in the declared encoding."""


class ConfigError(EmbedkitError):
    """An unknown option, a value out of range, a pipeline file that does not parse."""


class ModelFormatError(EmbedkitError):
    """A saved model or vector file that is corrupt, truncated or of another kind."""


class OutputError(EmbedkitError):
    """An output path that cannot be written."""


class WorkerError(EmbedkitError):
    """A worker process that died under the run (killed, out of memory)."""


def empty_vocabulary(min_count: int, top: int, where: str = "") -> ConfigError:
    """The one wording for a vocabulary that ``min_count`` emptied, shared by every model that builds one."""
    prefix = f"{where}: " if where else ""
    return ConfigError(f"{prefix}vocabulary is empty with min_count={min_count}: lower min_count "
                       f"(the most frequent token is seen {top} times)")


def check_token_list(tokens: object) -> None:
    """Raise :class:`InputError` for a string where a list of tokens belongs (it would count its letters)."""
    if isinstance(tokens, str):
        raise InputError(f"token list {tokens[:30]!r} is a string, not a list of tokens: split it first")


def check_texts(texts: object) -> None:
    """Raise TypeError for one string where a list of texts belongs (it would be read letter by letter)."""
    if isinstance(texts, (str, bytes)):
        raise TypeError(f"expected a list of texts, got one {type(texts).__name__}: wrap it as [text]")
