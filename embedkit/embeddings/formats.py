"""Plain vector file formats: word2vec text and binary (Google News, RusVectores) and GloVe text (no header).

Reading goes through gensim's own parser (no pickle involved); damage becomes :class:`ModelFormatError`.
Writing produces files that ``gensim.models.KeyedVectors.load_word2vec_format`` reads back.
:func:`keyed_vectors` builds gensim's in-memory table from ready arrays (the form every loader returns).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from embedkit.errors import ModelFormatError, OutputError
from embedkit.io import atomic_write, open_binary, require_file

FORMATS = ("word2vec", "word2vec-bin", "glove")
_PROBE = 4096


def _binary(head: bytes) -> bool:
    """A NUL byte, or bytes that are not UTF-8 before the probe's last few (where a character may be cut)."""
    if b"\x00" in head:
        return True
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        return exc.start < len(head) - 4
    return False


def sniff_format(path: Path) -> str:
    """Guess ``word2vec`` (text with a "count dim" header), ``word2vec-bin`` or ``glove`` from a file's start."""
    try:
        with open_binary(path) as handle:  # a .gz file is read as gensim reads it, unpacked
            head = handle.read(_PROBE)
    except (OSError, EOFError) as exc:
        raise ModelFormatError(f"{path}: cannot read the vector file ({exc})") from None
    if not head.strip():
        raise ModelFormatError(f"{path}: vector file is empty")
    first, _, rest = head.partition(b"\n")
    parts = first.split()
    header = len(parts) == 2 and all(p.isdigit() for p in parts)
    if not header:
        if _binary(head):
            raise ModelFormatError(f"{path}: not a vector file: binary bytes and no word2vec header "
                                   "(a first line 'count dim')")
        return "glove"
    if (path.with_suffix("") if path.suffix == ".gz" else path).suffix == ".bin":
        return "word2vec-bin"
    return "word2vec-bin" if _binary(rest) or any(b < 9 or 13 < b < 32 for b in rest) else "word2vec"


def check_declared_size(path: Path, binary: bool) -> None:
    """Refuse a word2vec header whose "count dim" cannot fit in the file, before anything is allocated.

    Each binary row takes at least a one-byte word, a space and ``dim`` float32s; each text row a word
    and ``dim`` numbers with a space before each.
    """
    if path.suffix == ".gz":
        return
    with open(path, "rb") as handle:
        first = handle.readline(_PROBE)
    parts = first.split()
    if len(parts) != 2 or not all(p.isdigit() for p in parts):
        raise ModelFormatError(f"{path}: no word2vec header (a line 'count dim')")
    count, dim = int(parts[0]), int(parts[1])
    if count == 0 or dim == 0:
        raise ModelFormatError(f"{path}: header declares {count} vectors of {dim} dimensions")
    row = 2 + 4 * dim if binary else 1 + 2 * dim
    body = path.stat().st_size - len(first)
    if count * row > body:
        raise ModelFormatError(f"{path}: corrupt or truncated word2vec file (the header declares {count:,} vectors "
                               f"of {dim:,} dimensions, more than the file's {body:,} bytes can hold)")


def write_safetensors(path: str | Path, tensors: dict[str, np.ndarray], metadata: dict[str, str] | None = None) -> None:
    """Write tensors as safetensors atomically, with the same file mode as every other file (umask honoured)."""
    from safetensors.numpy import save

    with atomic_write(path, "wb") as handle:
        handle.write(save(tensors, metadata=metadata))


def read_vectors(path: str | Path, fmt: str = "auto") -> Any:
    """A gensim ``KeyedVectors`` from a word2vec text/binary or GloVe file (``fmt='auto'`` sniffs)."""
    from gensim.models import KeyedVectors

    path = require_file(path, "vector file")
    if fmt == "auto":
        fmt = sniff_format(path)
    if fmt not in FORMATS:
        raise ModelFormatError(f"unknown vector format '{fmt}' (choose from auto, {', '.join(FORMATS)})")
    if fmt != "glove":
        check_declared_size(path, binary=fmt == "word2vec-bin")
    try:
        kv = KeyedVectors.load_word2vec_format(str(path), binary=fmt == "word2vec-bin", no_header=fmt == "glove")
    except (ValueError, EOFError, UnicodeDecodeError, IndexError, OSError) as exc:
        detail = str(exc).splitlines()[0][:160] if str(exc) else type(exc).__name__
        raise ModelFormatError(f"{path}: corrupt or truncated {fmt} vector file ({detail})") from None
    if len(kv) == 0:
        raise ModelFormatError(f"{path}: vector file holds no vectors")
    if kv.vector_size == 0:
        raise ModelFormatError(f"{path}: the vectors have no dimensions (values must be separated by spaces)")
    if len(kv.key_to_index) != len(kv.index_to_key):  # gensim keeps the first and leaves a None at the end
        raise ModelFormatError(f"{path}: the vocabulary lists a word twice")
    return kv


def write_word2vec(path: str | Path, words: Sequence[str], matrix: np.ndarray, binary: bool) -> None:
    """Write word2vec text (``binary=False``) or binary format atomically; words must hold no whitespace."""
    matrix = np.ascontiguousarray(matrix, dtype=np.float32)
    if matrix.ndim != 2 or matrix.shape[0] != len(words):
        raise OutputError(f"{len(words)} words but a matrix of shape {matrix.shape}")
    bad = next((w for w in words if not w or any(ch.isspace() for ch in w)), None)
    if bad is not None:
        raise OutputError(f"word {bad!r} is empty or holds whitespace: word2vec format cannot store it")
    rows, dim = matrix.shape
    with atomic_write(path, "wb") as handle:
        handle.write(f"{rows} {dim}\n".encode())
        if binary:
            for word, row in zip(words, matrix, strict=True):
                handle.write(word.encode("utf-8") + b" " + row.tobytes() + b"\n")
        else:
            template = " ".join(["%.9g"] * dim)
            for word, row in zip(words, matrix.tolist(), strict=True):
                handle.write(f"{word} {template % tuple(row)}\n".encode())


def keyed_vectors(words: Sequence[str], vectors: np.ndarray, ngrams: np.ndarray | None = None,
                  fasttext: dict[str, int] | None = None) -> Any:
    """A gensim KeyedVectors over ready arrays (FastTextKeyedVectors when ``fasttext`` gives min_n/max_n/bucket,
    so unknown words are built by gensim's own ngram hashing)."""
    from gensim.models import KeyedVectors
    from gensim.models.fasttext import FastTextKeyedVectors

    dim = vectors.shape[1]
    if fasttext is not None:
        kv: Any = FastTextKeyedVectors(dim, fasttext["min_n"], fasttext["max_n"], fasttext["bucket"])
        kv.vectors_ngrams = ngrams
        kv.vectors_vocab = None
    else:
        kv = KeyedVectors(dim)
    kv.index_to_key = list(words)
    kv.key_to_index = {w: i for i, w in enumerate(kv.index_to_key)}
    if len(kv.key_to_index) != len(kv.index_to_key):
        raise ModelFormatError("the vocabulary lists a word twice")
    kv.next_index = len(words)
    kv.vectors = vectors
    return kv


def is_fasttext(kv: Any) -> bool:
    """True when a KeyedVectors builds unknown words from character ngrams (a FastText table)."""
    return getattr(kv, "vectors_ngrams", None) is not None and getattr(kv, "bucket", 0) > 0
