"""Reading text (files, folders, ``.gz``, stdin; declared encodings) and writing outputs atomically.

Every writer goes through :func:`atomic_write` or :func:`atomic_dir`: the data lands in a temporary
sibling and is renamed into place only when complete, so an error or Ctrl-C never leaves half a file.
"""

from __future__ import annotations

import codecs
import contextlib
import gzip
import io
import json
import os
import shutil
import sys
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import IO, Any

from embedkit.errors import InputError, ModelFormatError, OutputError

STDIN = "-"
_UMASK = os.umask(0)
os.umask(_UMASK)
_BINARY_PROBE = 8192
_READ_BLOCK = 1 << 20
_TEXT_SUFFIXES = {".txt", ".text", ".cor", ".tok", ".tokens", ".gz", ".md", ".csv", ".tsv", ".jsonl", ""}


def resolve_data_path(spec: str | Path) -> Path | str:
    """Turn ``gensim:NAME`` into the path of a file from gensim's bundled test data; leave others as paths."""
    spec = str(spec)
    if spec == STDIN:
        return STDIN
    if spec.startswith("gensim:"):
        from gensim.test.utils import datapath

        path = Path(datapath(spec.split(":", 1)[1]))
        if not path.exists():
            raise InputError(f"{spec}: gensim ships no such test file")
        return path
    return Path(spec).expanduser()


def resolve_inputs(specs: Sequence[str | Path], glob: str = "**/*") -> list[Path | str]:
    """Expand files, folders (recursively, by ``glob``) and ``-`` into an ordered list of inputs."""
    if not specs:
        raise InputError("no input given")
    found: list[Path | str] = []
    for spec in specs:
        path = resolve_data_path(spec)
        if path == STDIN:
            found.append(STDIN)
            continue
        assert isinstance(path, Path)
        if path.is_dir():
            files = sorted(
                p
                for p in path.glob(glob)
                if p.is_file() and not any(part.startswith(".") for part in p.relative_to(path).parts)
                and p.suffix.lower() in _TEXT_SUFFIXES
            )
            if not files:
                raise InputError(f"{path}: folder holds no text files matching '{glob}'")
            found.extend(files)
        elif path.exists():
            found.append(path)
        else:
            raise InputError(f"{path}: no such file or folder")
    return found


def _check_encoding(encoding: str) -> str:
    try:
        return codecs.lookup(encoding).name
    except LookupError:
        raise InputError(f"unknown encoding '{encoding}'") from None


def open_binary(source: Path | str) -> IO[bytes]:
    """Open a file (transparently gunzipping ``.gz``) or stdin for reading bytes."""
    if source == STDIN:
        return sys.stdin.buffer
    path = Path(source)
    try:
        if path.suffix == ".gz":
            return gzip.open(path, "rb")
        return open(path, "rb")
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror or exc})") from None


def _looks_binary(head: bytes) -> bool:
    if b"\x00" in head:
        return True
    control = sum(1 for b in head if b < 9 or 13 < b < 32)
    return bool(head) and control / len(head) > 0.1


def iter_lines(sources: Iterable[Path | str], encoding: str = "utf-8") -> Iterator[str]:
    """Yield decoded lines (without the newline) from every source in order.

    Binary files and bytes that do not decode raise :class:`InputError` naming the file and line.
    """
    encoding = _check_encoding(encoding)
    for source in sources:
        name = "<stdin>" if source == STDIN else str(source)
        with contextlib.ExitStack() as stack:
            raw = open_binary(source)
            if source != STDIN:
                stack.enter_context(raw)
            buffered = raw if isinstance(raw, io.BufferedReader) else io.BufferedReader(raw)  # type: ignore[arg-type]
            try:
                head = buffered.peek(_BINARY_PROBE)[:_BINARY_PROBE]
            except (OSError, EOFError) as exc:
                raise InputError(f"{name}: cannot read ({exc})") from None
            if _looks_binary(head) and "16" not in encoding and "32" not in encoding:
                raise InputError(f"{name}: looks like a binary file, not text")
            yield from _decoded_lines(buffered, encoding, name)


def _decoded_lines(raw: IO[bytes], encoding: str, name: str) -> Iterator[str]:
    """Lines of a byte stream, decoded a block at a time (a line may span blocks); ``\r`` ends are dropped."""
    decoder = codecs.getincrementaldecoder(encoding)()
    carry, done_lines = "", 0
    while True:
        block = raw.read(_READ_BLOCK)
        pending = len(decoder.getstate()[0])  # bytes of a character cut by the last block
        try:
            text = carry + decoder.decode(block, final=not block)
        except UnicodeDecodeError as exc:
            hint = " (try --encoding cp1251)" if encoding.startswith("utf") else ""
            lineno = done_lines + 1 + block[: max(0, exc.start - pending)].count(b"\n")
            raise InputError(f"{name}, line {lineno}: bytes are not valid {encoding}{hint}") from None
        lines = text.split("\n")
        carry = lines.pop()
        done_lines += len(lines)
        if "\r" in text:
            lines = [line.rstrip("\r") for line in lines]
        yield from lines
        if not block:
            break
    if carry:
        yield carry.rstrip("\r")


def iter_documents(
    sources: Iterable[Path | str], encoding: str = "utf-8", unit: str = "line"
) -> Iterator[str]:
    """Documents from sources: one per line (``unit='line'``) or one per file (``unit='file'``)."""
    if unit == "line":
        yield from iter_lines(sources, encoding)
    elif unit == "file":
        for source in sources:
            yield "\n".join(iter_lines([source], encoding))
    else:
        raise InputError(f"unknown document unit '{unit}' (use line or file)")


def _check_writable_dir(directory: Path) -> None:
    if not directory.exists():
        try:
            directory.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise OutputError(f"{directory}: cannot create folder ({exc.strerror or exc})") from None
    if not os.access(directory, os.W_OK):
        raise OutputError(f"{directory}: folder is not writable")


@contextlib.contextmanager
def atomic_write(path: str | Path, mode: str = "w", encoding: str = "utf-8") -> Iterator[IO[Any]]:
    """Open a temporary sibling of ``path`` for writing; rename it onto ``path`` only on success."""
    target = Path(path)
    if target.is_dir():
        raise OutputError(f"{target}: is a folder, not a file")
    _check_writable_dir(target.parent)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
        os.chmod(tmp, 0o666 & ~_UMASK)
    except OSError as exc:
        raise OutputError(f"{target}: cannot write ({exc.strerror or exc})") from None
    try:
        kwargs: dict[str, Any] = {} if "b" in mode else {"encoding": encoding, "newline": "\n"}
        if target.suffix == ".gz":
            os.close(fd)
            handle: IO[Any] = gzip.open(tmp, mode if "b" in mode else mode + "t", **kwargs)
        else:
            handle = os.fdopen(fd, mode, **kwargs)
        with handle:
            yield handle
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


@contextlib.contextmanager
def atomic_dir(path: str | Path) -> Iterator[Path]:
    """Build a folder under a temporary name and move it onto ``path`` (replacing it) only on success."""
    target = Path(path)
    if target.exists() and not target.is_dir():
        raise OutputError(f"{target}: exists and is not a folder")
    _check_writable_dir(target.parent)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent))
    os.chmod(tmp, 0o777 & ~_UMASK)
    try:
        yield tmp
        if target.exists():
            old = target.with_name(f".{target.name}.old")
            shutil.rmtree(old, ignore_errors=True)
            os.replace(target, old)
            os.replace(tmp, target)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def write_json(path: str | Path, obj: Any) -> None:
    """Write JSON atomically (UTF-8, human-readable)."""
    with atomic_write(path) as handle:
        json.dump(obj, handle, ensure_ascii=False, indent=1)
        handle.write("\n")


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


def _is_jsonl(source: Path | str) -> bool:
    name = str(source).lower()
    return name.endswith(".jsonl") or name.endswith(".jsonl.gz")


def _jsonl_tokens(source: Path | str, encoding: str) -> Iterator[list[str]]:
    for lineno, line in enumerate(iter_lines([source], encoding), start=1):
        if not line.strip():
            continue
        try:
            tokens = json.loads(line)["tokens"]
        except (ValueError, KeyError, TypeError):
            raise InputError(f"{source}, line {lineno}: not a JSON object with a 'tokens' list") from None
        if not isinstance(tokens, list) or not all(isinstance(t, str) for t in tokens):
            raise InputError(f"{source}, line {lineno}: 'tokens' is not a list of strings")
        yield tokens


def iter_token_lists(inputs: Sequence[str | Path], encoding: str = "utf-8") -> Iterator[list[str]]:
    """Token lists from what ``embedkit preprocess`` writes: files, folders or ``-``.

    A text file holds one document a line, tokens split on whitespace; a ``.jsonl`` file one
    ``{"tokens": [...]}`` object a line.
    """
    for source in resolve_inputs(inputs):
        if _is_jsonl(source):
            yield from _jsonl_tokens(source, encoding)
        else:
            for line in iter_lines([source], encoding):
                yield line.split()
