"""Reading text: files, folders, ``.gz`` and stdin, in a declared encoding, as lines, documents or tokens.

Undecodable bytes, binary files and unknown encodings are one-line errors that name the file, the line and an
encoding to try; long lines come in bounded pieces where the caller allows it.
"""

from __future__ import annotations

import codecs
import contextlib
import gzip
import io
import json
import logging
import re
import stat
import sys
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import IO

from embedkit.errors import InputError

STDIN = "-"
_BINARY_PROBE = 8192
_READ_BLOCK = 1 << 20
PIECE_CHARS = 1 << 18
_SAMPLE = 1 << 16  # bytes from the first undecodable one that suggest an encoding
DEFAULT_GLOB = "**/*"
TEXT_SUFFIXES = frozenset({".txt", ".text", ".cor", ".tok", ".tokens", ".gz", ".md", ".csv", ".tsv", ".jsonl", ""})
MAX_OPTION_FILE = 16 << 20  # bytes: a file named in an option (a stop-word list) is small
logger = logging.getLogger(__name__)


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


def resolve_inputs(specs: Sequence[str | Path], glob: str = DEFAULT_GLOB) -> list[Path | str]:
    """Expand files, folders (recursively, by ``glob``) and ``-`` into an ordered list of inputs.

    Under the default glob a folder gives its files with a text suffix (:data:`TEXT_SUFFIXES`) and a
    warning names the others it skipped; any other glob decides alone which files are read.
    Hidden files and folders are never read.
    """
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
            found.extend(_folder_files(path, glob))
        elif path.exists():
            found.append(path)
        else:
            raise InputError(f"{path}: no such file or folder")
    return found


def _folder_files(folder: Path, glob: str) -> list[Path]:
    files = sorted(
        p for p in folder.glob(glob)
        if p.is_file() and not any(part.startswith(".") for part in p.relative_to(folder).parts)
    )
    skipped: list[Path] = []
    if glob == DEFAULT_GLOB:
        skipped = [p for p in files if p.suffix.lower() not in TEXT_SUFFIXES]
        files = [p for p in files if p.suffix.lower() in TEXT_SUFFIXES]
    if skipped:
        examples = ", ".join(str(p.relative_to(folder)) for p in skipped[:3])
        more = ", ..." if len(skipped) > 3 else ""
        note = (f"skipped {len(skipped)} file{'s' if len(skipped) > 1 else ''} without a text suffix "
                f"({examples}{more}); choose files with --glob, e.g. --glob '**/*{skipped[0].suffix or '*'}'")
        if not files:
            raise InputError(f"{folder}: folder holds no text files; {note}")
        logger.warning("%s: %s", folder, note)
    if not files:
        raise InputError(f"{folder}: folder holds no text files matching '{glob}'")
    return files


def _check_encoding(encoding: str) -> str:
    try:
        info = codecs.lookup(encoding)
    except LookupError:
        raise InputError(f"unknown encoding '{encoding}'") from None
    if not getattr(info, "_is_text_encoding", True):  # rot13, base64, zlib: codecs, not text encodings
        raise InputError(f"'{encoding}' is not a text encoding (try utf-8, cp1251, koi8-r, latin-1)")
    return info.name


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


_WORD_RE = re.compile(r"\w+")
_CYRILLIC_RE = re.compile("[\u0400-\u04ff]")
_LATIN_RE = re.compile("[a-zA-Z]")


def suggest_encoding(sample: bytes) -> str:
    """The 8-bit encoding a sample of non-UTF-8 text most likely uses, by the script of its words.

    Read as cp1251, Russian text gives words of Cyrillic letters alone, while the accented letters of a
    Western text (cp1252 / latin-1: ``cliché``, ``naïve``) turn into Cyrillic letters inside Latin words.
    """
    text = sample.decode("cp1251", errors="replace")
    cyrillic = latin = 0
    for word in _WORD_RE.findall(text):
        if _CYRILLIC_RE.search(word):
            if _LATIN_RE.search(word):
                latin += 1
            else:
                cyrillic += 1
    return "cp1251" if cyrillic > latin else "cp1252"


_TRY_ENCODING = "try --encoding {0}"


@contextlib.contextmanager
def _open_checked(source: Path | str, encoding: str) -> Iterator[tuple[IO[bytes], str]]:
    """A buffered byte stream of a source and its name for messages, refused at once if its head is binary."""
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
        yield buffered, name


def _decoded_blocks(raw: IO[bytes], encoding: str, name: str, advice: str) -> Iterator[str]:
    """Decoded text of a byte stream, a block at a time (a block may end inside a line).

    Bytes that do not decode, and a NUL character anywhere (text has none; a binary file whose head
    looked like text does), raise :class:`InputError` naming the file and line.
    """
    decoder = codecs.getincrementaldecoder("utf-8-sig" if encoding == "utf-8" else encoding)()  # a BOM is no text
    done_lines = 0
    while True:
        block = raw.read(_READ_BLOCK)
        try:
            text = decoder.decode(block, final=not block)
        except UnicodeError as exc:
            if not isinstance(exc, UnicodeDecodeError):  # utf-16 without its byte-order mark, say
                raise InputError(f"{name}: cannot decode as {encoding} ({exc})") from None
            data = exc.object
            lineno = done_lines + 1 + data[: exc.start].count(b"\n")
            hint = ""
            if encoding.startswith("utf"):
                hint = " (" + advice.format(suggest_encoding(data[exc.start: exc.start + _SAMPLE])) + ")"
            raise InputError(f"{name}, line {lineno}: bytes are not valid {encoding}{hint}") from None
        if "\x00" in text:
            lineno = done_lines + 1 + text.count("\n", 0, text.index("\x00"))
            raise InputError(f"{name}, line {lineno}: a NUL byte: looks like a binary file, not text")
        done_lines += text.count("\n")
        yield text
        if not block:
            break


def _checked_blocks(source: Path | str, encoding: str, advice: str = _TRY_ENCODING) -> Iterator[str]:
    with _open_checked(source, encoding) as (raw, name):
        yield from _decoded_blocks(raw, encoding, name, advice)


def _cut(text: str) -> int:
    """Where a long unfinished line may be cut: before its last token, after a space or tab (0: nowhere).

    Both sides keep a token, so a cut line never yields a piece without one.
    """
    end = len(text)
    while end and text[end - 1].isspace():
        end -= 1
    cut = max(text.rfind(" ", 0, end), text.rfind("\t", 0, end)) + 1
    if cut <= 0 or text[:cut].isspace():
        return 0
    return cut


def _split_lines(blocks: Iterable[str], max_chars: int | None = None) -> Iterator[tuple[str, bool]]:
    """Lines (a line may span blocks) as ``(text, True)``; ``\r`` ends are dropped.

    With ``max_chars``, a longer line comes in pieces ``(text, False)`` cut by :func:`_cut`, then its last
    piece ``(text, True)``; blocks are taken ``max_chars`` characters at a time.
    """
    carry = ""
    for block in blocks:
        parts = [block] if max_chars is None else (block[i : i + max_chars] for i in range(0, len(block), max_chars))
        for part in parts:
            text = carry + part
            lines = text.split("\n")
            carry = lines.pop()
            if "\r" in text:
                lines = [line.rstrip("\r") for line in lines]
            for line in lines:
                yield line, True
            if max_chars is not None and len(carry) > max_chars and (cut := _cut(carry)):
                yield carry[:cut], False
                carry = carry[cut:]
    if carry:
        yield carry.rstrip("\r"), True


def iter_lines(sources: Iterable[Path | str], encoding: str = "utf-8") -> Iterator[str]:
    """Yield decoded lines (without the newline) from every source in order.

    This is the one checked way to read a user's text: binary files, NUL bytes anywhere and bytes that do
    not decode raise :class:`InputError` naming the file and line.
    """
    for text, _ in iter_line_pieces(sources, encoding, None):
        yield text


def iter_line_pieces(
    sources: Iterable[Path | str], encoding: str = "utf-8", max_chars: int | None = PIECE_CHARS
) -> Iterator[tuple[str, bool]]:
    """Lines as :func:`iter_lines` reads them, but a line longer than ``max_chars`` comes in pieces.

    Yields ``(text, line_ends)``. A long line is cut just after a space or tab, never inside a token,
    and every piece of a cut line holds a token; a piece holds at most ``2 * max_chars`` characters
    (unless one token is longer), so memory stays bounded even for a file that is one huge line.
    Joined, the pieces give the line back. ``max_chars=None`` yields whole lines.
    """
    encoding = _check_encoding(encoding)
    for source in sources:
        yield from _split_lines(_checked_blocks(source, encoding), max_chars)


def check_text(sources: Iterable[Path | str], encoding: str = "utf-8",
               advice: str = "it looks like {0}: run embedkit preprocess --encoding {0} first") -> None:
    """Read sources through the checked decoder of :func:`iter_lines` without keeping anything.

    For readers that take a path and read it themselves (gensim's ``corpus_file``): the file is refused
    here, with a line number, instead of half-way through their work with a traceback. ``advice`` (with
    ``{0}`` for the suggested encoding) follows a decoding error.
    """
    encoding = _check_encoding(encoding)
    for source in sources:
        for _ in _checked_blocks(source, encoding, advice):
            pass


def require_file(path: str | Path, what: str = "file") -> Path:
    """``path`` when it is a file; else one line that says whether it is missing or a folder."""
    path = Path(path).expanduser()
    if path.is_dir():
        raise InputError(f"{path}: is a folder, not a {what}")
    if path.exists() and not path.is_file():
        raise InputError(f"{path}: is not a regular file")
    if not path.is_file():
        raise InputError(f"{path}: no such {what}")
    return path


def read_option_file(path: str | Path, what: str, max_bytes: int = MAX_OPTION_FILE, encoding: str = "utf-8") -> str:
    """The whole text of a small file named in an option (``what`` it is, e.g. "stop-word file").

    Only a regular file of at most ``max_bytes`` is read (``/dev/zero`` or a FIFO would never end), through
    the checked decoder of :func:`iter_lines`.
    """
    path = Path(path).expanduser()
    try:
        info = path.stat()
    except FileNotFoundError:
        raise InputError(f"{path}: {what} not found") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read {what} ({exc.strerror or exc})") from None
    if not stat.S_ISREG(info.st_mode):
        raise InputError(f"{path}: {what} is not a regular file")
    too_big = f"{path}: {what} is larger than {max_bytes:,} bytes"
    if info.st_size > max_bytes:
        raise InputError(too_big)
    try:
        with open(path, "rb") as handle:
            data = handle.read(max_bytes + 1)  # it may have grown since
    except OSError as exc:
        raise InputError(f"{path}: cannot read {what} ({exc.strerror or exc})") from None
    if len(data) > max_bytes:
        raise InputError(too_big)
    encoding = _check_encoding(encoding)
    head = data[:_BINARY_PROBE]
    if b"\x00" in head:
        line = head[:head.index(b"\x00")].count(b"\n") + 1
        raise InputError(f"{path}, line {line}: a NUL byte: the {what} looks like a binary file, not text")
    if _looks_binary(head):
        raise InputError(f"{path}: {what} looks like a binary file, not text")
    advice = f"it looks like {{0}}; save the {what} as {encoding}"
    return "".join(_decoded_blocks(io.BytesIO(data), encoding, str(path), advice))


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


def iter_token_lists(
    inputs: Sequence[str | Path], encoding: str = "utf-8", max_chars: int | None = None
) -> Iterator[list[str]]:
    """Token lists from what ``embedkit preprocess`` writes: files, folders or ``-``.

    A text file holds one document a line, tokens split on whitespace; a ``.jsonl`` file one
    ``{"tokens": [...]}`` object a line. With ``max_chars``, a longer text line comes as several lists
    (see :func:`iter_token_pieces`): what counting tokens wants, where line ends do not matter.
    """
    for tokens, _ in iter_token_pieces(inputs, encoding, max_chars):
        yield tokens


def iter_token_pieces(
    inputs: Sequence[str | Path], encoding: str = "utf-8", max_chars: int | None = PIECE_CHARS
) -> Iterator[tuple[list[str], bool]]:
    """``(tokens, line_ends)``: :func:`iter_token_lists` with long text lines in bounded pieces.

    For counting over files of any shape: a document longer than ``max_chars`` characters arrives as
    several token lists, the last one flagged ``True`` (see :func:`iter_line_pieces`); ``.jsonl`` lines
    come whole. A line without tokens is always a whole line.
    """
    for source in resolve_inputs(inputs):
        if _is_jsonl(source):
            for tokens in _jsonl_tokens(source, encoding):
                yield tokens, True
        else:
            for text, ends in iter_line_pieces([source], encoding, max_chars):
                yield text.split(), ends
