"""Model folders and their JSON files: which folders embedkit may replace, and format headers checked on load.

JSON is written atomically and read without unpickling anything; a file of another kind, or a damaged one,
is a one-line :class:`~embedkit.errors.ModelFormatError`.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from embedkit.errors import InputError, ModelFormatError, OutputError
from embedkit.io.atomic import atomic_dir, atomic_write

_MODEL_HEADERS = ("meta.json", "config.json", "ngram.json",
                  "checkpoint/trainer.json", "training/checkpoint/trainer.json")  # an interrupted run's
_HEADER_PROBE = 4096


KINDS = {"embeddings": "word vectors", "classifier": "classifier", "lm": "language model",
         "ngram": "n-gram model", "trainer": "training run"}
"""Readable names of the kinds of folder embedkit writes, by the word in their ``"format"`` tag."""


def folder_kind(path: str | Path) -> str | None:
    """The kind of folder embedkit wrote here (``"classifier"``, ``"lm"``, ...), read off the ``"format":
    "embedkit.KIND/N"`` tag that opens its header file (meta.json, config.json, ngram.json, or the trainer
    checkpoint of a run that was interrupted); ``None`` for any other folder."""
    folder = Path(path)
    for name in _MODEL_HEADERS:
        header = folder / name
        if header.is_file():
            with open(header, "rb") as handle:
                head = handle.read(_HEADER_PROBE)
            found = re.search(rb'"format"\s*:\s*"embedkit\.([a-z_-]+)', head)
            if found:
                return found.group(1).decode()
    return None


def is_model_dir(path: str | Path) -> bool:
    """True for a folder embedkit wrote (:func:`folder_kind`)."""
    return folder_kind(path) is not None


def missing_header(folder: str | Path, name: str, what: str) -> ModelFormatError:
    """The error for a folder without the header file ``name`` of a ``what``: its kind when embedkit wrote it."""
    kind = folder_kind(folder)
    if kind is not None:
        return ModelFormatError(f"{folder}: is an embedkit {KINDS.get(kind, kind)} folder (wanted: {what})")
    return ModelFormatError(f"{folder}: not an embedkit {what} folder (no {name})")


def check_output_folder(path: str | Path, known: Callable[[Path], bool], kind: str, refusal: str) -> Path:
    """Refuse an output folder that is a file, or holds files and is not one ``known`` says embedkit wrote
    (a ``kind`` folder): nothing of the user's is overwritten. Returns ``path`` as a ``Path``."""
    target = Path(path).expanduser()
    if target.exists() and not target.is_dir():
        raise OutputError(f"{path}: exists and is not a folder")
    if target.is_dir() and any(target.iterdir()) and not known(target):
        raise OutputError(f"{path}: folder is not empty and is not an embedkit {kind} folder; "
                          f"{refusal} (choose a new or empty folder)")
    return target


def check_model_dir(path: str | Path) -> Path:
    """Refuse an output folder that holds anything but an embedkit model (nothing of the user's is deleted).

    Call it before the work starts, so a refusal costs nothing; returns the absolute target. The current
    folder (or one holding it) is refused too, since replacing it would pull the floor from under the shell.
    """
    target = Path(path).expanduser().absolute()
    cwd = Path.cwd()
    if target == cwd or target in cwd.parents:
        raise OutputError(f"{path}: is the current folder (or holds it); name a new folder for the model")
    check_output_folder(path, is_model_dir, "model", "refusing to replace it")
    return target


@contextlib.contextmanager
def replace_model_dir(path: str | Path) -> Iterator[Path]:
    """Write a model folder: a temporary sibling that replaces ``path`` in one step when complete.

    ``path`` must be new, empty or an embedkit model folder (:func:`check_model_dir`, checked again just
    before the swap). Every command that writes a model folder goes through here.
    """
    with atomic_dir(check_model_dir(path), before_swap=check_model_dir) as tmp:
        yield tmp


def dump_json(obj: Any, handle: Any) -> None:
    """JSON as embedkit writes it (UTF-8, human-readable, a final newline) to an open text handle."""
    json.dump(obj, handle, ensure_ascii=False, indent=1)
    handle.write("\n")


def write_json(path: str | Path, obj: Any) -> None:
    """Write JSON atomically (UTF-8, human-readable)."""
    with atomic_write(path) as handle:
        dump_json(obj, handle)


def read_json(path: str | Path) -> Any:
    """Read a JSON file, turning absence or corruption into a one-line error."""
    path = Path(path)
    try:
        with open(path, encoding="utf-8") as handle:
            return json.load(handle)
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise InputError(f"{path}: is a folder, not a JSON file") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ModelFormatError(f"{path}: not valid JSON ({exc})") from None


def check_format(data: Any, expected: str, what: str, where: str | Path | None = None) -> dict:
    """Return ``data`` when it is a JSON object tagged ``"format": expected``; else raise ModelFormatError.

    The one check of a saved file's format header, so every model file says the same thing when it is
    of another kind. ``what`` names the kind ("vocabulary"), ``where`` the file or folder it came from.
    """
    if not isinstance(data, dict) or data.get("format") != expected:
        prefix = f"{where}: " if where is not None else ""
        raise ModelFormatError(f"{prefix}not an embedkit {what} (format {expected})")
    return data
