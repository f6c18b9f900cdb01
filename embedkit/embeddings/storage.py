"""Model folders: vectors (word2vec binary or safetensors), vocab.json, preprocess.toml, meta.json.

::

    vectors/
      vectors.bin | vectors.safetensors   rows in vocab order (FastText adds its tensor "vectors_ngrams")
      vocab.json                          words with counts (embedkit.vocab format, no specials)
      preprocess.toml                     the [preprocess] table the corpus was made with (when known)
      meta.json                           corpus size, settings, loss per epoch, time, library versions
      training_state.safetensors          output weights, so training can continue (optional)

Nothing here unpickles; a folder is written under a temporary name and renamed when complete.
"""

from __future__ import annotations

import dataclasses
import datetime
import platform
from pathlib import Path
from typing import Any

import numpy as np

from embedkit.config import config_to_dict
from embedkit.embeddings.config import DEFAULT_VECTORS_FORMAT, VECTOR_FORMATS
from embedkit.embeddings.formats import (
    is_fasttext,
    keyed_vectors,
    read_vectors,
    write_safetensors,
    write_word2vec,
)
from embedkit.errors import ConfigError, InputError, ModelFormatError
from embedkit.io import check_format, missing_header, read_json, replace_model_dir, write_json
from embedkit.text.config import PreprocessConfig
from embedkit.text.provenance import read_model_preprocess, write_model_preprocess
from embedkit.vocab import Vocab

FORMAT = "embedkit.embeddings/1"
STATE_FILE = "training_state.safetensors"
VECTOR_FILES = ("vectors.bin", "vectors.safetensors")


@dataclasses.dataclass
class StoredVectors:
    """What a model folder or a vector file holds: gensim's table plus counts, preprocessing and meta.json."""

    kv: Any
    counts: np.ndarray | None
    preprocess: PreprocessConfig | None
    meta: dict[str, Any]
    source: Path


def _versions() -> dict[str, str]:
    import gensim

    from embedkit import __version__

    return {"embedkit": __version__, "gensim": gensim.__version__, "numpy": np.__version__,
            "python": platform.python_version()}


def _meta(kv: Any, meta: dict[str, Any], preprocess: PreprocessConfig | None, vectors_file: str) -> dict[str, Any]:
    """meta.json: what the vectors are, how they were trained, on how much text, with which libraries."""
    history = meta.get("history", [])
    last = history[-1] if history else {}
    fasttext = is_fasttext(kv)
    out: dict[str, Any] = {
        "format": FORMAT, "kind": "fasttext" if fasttext else "word2vec", "vectors": vectors_file,
        "vocab_size": len(kv.index_to_key), "dim": int(kv.vector_size),
        "corpus": {"path": last.get("corpus"), "sentences": last.get("sentences"), "words": last.get("words")},
        "loss_per_epoch": last.get("loss_per_epoch"),
        "seconds": round(sum(s.get("seconds", 0.0) for s in history), 3),
        "config": meta.get("config"), "history": history,
        "preprocess": config_to_dict(preprocess) if preprocess else None,
        "created": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "versions": _versions(),
    }
    if fasttext:
        out["fasttext"] = {"min_n": int(kv.min_n), "max_n": int(kv.max_n), "bucket": int(kv.bucket)}
    return out


def training_arrays(model: Any) -> dict[str, np.ndarray]:
    """The arrays of a gensim model that training needs beyond the vectors (output weights, FastText's own rows)."""
    state = {}
    for name in ("syn1neg", "syn1"):
        array = getattr(model, name, None)
        if array is not None and array.size:
            state[name] = array
    if getattr(model.wv, "vectors_vocab", None) is not None:
        state["vectors_vocab"] = model.wv.vectors_vocab
    return {k: np.ascontiguousarray(v, dtype=np.float32) for k, v in state.items()}


def save_folder(path: str | Path, kv: Any, *, counts: np.ndarray | None = None,
                preprocess: PreprocessConfig | None = None, meta: dict[str, Any] | None = None,
                vectors_format: str = DEFAULT_VECTORS_FORMAT,
                training_state: dict[str, np.ndarray] | None = None) -> Path:
    """Write a model folder (see the module docstring) from gensim's table ``kv``; returns the folder."""
    if vectors_format not in VECTOR_FORMATS:
        raise ConfigError(f"unknown vectors format '{vectors_format}' (choose from {', '.join(VECTOR_FORMATS)})")
    fasttext = is_fasttext(kv)
    if fasttext:
        vectors_format = "safetensors"
    words = kv.index_to_key
    target = Path(path)
    with replace_model_dir(target) as tmp:
        vectors = np.ascontiguousarray(kv.vectors, dtype=np.float32)
        if vectors_format == "bin":
            vectors_file = VECTOR_FILES[0]
            write_word2vec(tmp / vectors_file, words, vectors, binary=True)
        else:
            vectors_file = VECTOR_FILES[1]
            tensors = {"vectors": vectors}
            if fasttext:
                tensors["vectors_ngrams"] = np.ascontiguousarray(kv.vectors_ngrams, dtype=np.float32)
            write_safetensors(tmp / vectors_file, tensors)
        counts = counts if counts is not None else np.zeros(len(words), dtype=np.int64)
        Vocab(words, dict(zip(words, counts.tolist(), strict=True)), specials=()).save(tmp / "vocab.json")
        write_model_preprocess(tmp, preprocess)
        write_json(tmp / "meta.json", _meta(kv, meta or {}, preprocess, vectors_file))
        if training_state:
            write_safetensors(tmp / STATE_FILE, training_state)
    return target


def _read_safetensors(path: Path) -> dict[str, np.ndarray]:
    from safetensors.numpy import load_file

    try:
        return load_file(str(path))
    except Exception as exc:  # safetensors raises its own error types for damaged headers and sizes
        raise ModelFormatError(f"{path}: corrupt or truncated safetensors file ({exc})") from None


def load_folder(folder: str | Path) -> StoredVectors:
    """Read a model folder written by :func:`save_folder`; anything damaged is a :class:`ModelFormatError`."""
    folder = Path(folder)
    meta_path = folder / "meta.json"
    if not meta_path.is_file():
        raise missing_header(folder, "meta.json", "word vectors")
    meta = check_format(read_json(meta_path), FORMAT, "embeddings model", meta_path)
    vocab = Vocab.load(folder / "vocab.json")
    name = meta.get("vectors", VECTOR_FILES[0])
    if name not in VECTOR_FILES:  # a path from an untrusted file: never leave the folder, never echo it
        raise ModelFormatError(f"{meta_path}: 'vectors' must be one of {', '.join(VECTOR_FILES)}")
    vectors_path = folder / name
    if not vectors_path.is_file():
        raise ModelFormatError(f"{folder}: {vectors_path.name} is missing")
    ngrams = None
    if vectors_path.suffix == ".safetensors":
        tensors = _read_safetensors(vectors_path)
        if "vectors" not in tensors:
            raise ModelFormatError(f"{vectors_path}: holds no 'vectors' tensor")
        vectors, ngrams = tensors["vectors"], tensors.get("vectors_ngrams")
    else:
        loaded = read_vectors(vectors_path, "word2vec-bin")
        vectors = loaded.vectors
        if loaded.index_to_key != vocab.itos:
            raise ModelFormatError(f"{folder}: vocab.json and {vectors_path.name} list different words")
    if vectors.ndim != 2 or vectors.shape[0] != len(vocab.itos):
        raise ModelFormatError(f"{folder}: vocab.json has {len(vocab.itos)} words but the vectors "
                               f"have shape {vectors.shape}")
    if meta.get("dim") is not None and vectors.shape[1] != meta["dim"]:
        raise ModelFormatError(f"{folder}: meta.json says {meta['dim']} dimensions, vectors have {vectors.shape[1]}")
    fasttext = meta.get("fasttext")
    if fasttext is not None:
        if ngrams is None or ngrams.shape != (fasttext["bucket"], vectors.shape[1]):
            raise ModelFormatError(f"{folder}: FastText ngram table is missing or does not match meta.json")
    counts = np.array([vocab.counts.get(w, 0) for w in vocab.itos], dtype=np.int64)
    kv = keyed_vectors(vocab.itos, vectors.astype(np.float32, copy=False), ngrams, fasttext)
    return StoredVectors(kv, counts, read_model_preprocess(folder), meta, folder)


def load_vectors(path: str | Path, fmt: str = "auto") -> StoredVectors:
    """A model folder (``meta.json`` inside), a plain vector file (``fmt``: auto, word2vec, word2vec-bin, glove),
    a navec ``.tar`` archive or ``pretrained:NAME`` (vectors an installed package carries)."""
    from embedkit.embeddings.pretrained import PREFIX, pretrained, read_navec

    if str(path).startswith(PREFIX):
        words, matrix, preprocess = pretrained(str(path))
        return StoredVectors(keyed_vectors(words, matrix), None, preprocess, {"source": str(path)}, Path(str(path)))
    path = Path(path).expanduser()
    if path.is_dir():
        return load_folder(path)
    if not path.exists():
        raise InputError(f"{path}: no such model folder or vector file")
    if path.suffix == ".tar":
        words, matrix = read_navec(path)
        return StoredVectors(keyed_vectors(words, matrix), None, None, {"source": str(path)}, path)
    return StoredVectors(read_vectors(path, fmt), None, None, {"source": str(path)}, path)


def read_training_state(folder: Path | None) -> dict[str, np.ndarray]:
    """The output weights a model folder keeps so training can continue; a clear error when there are none."""
    if folder is None or not (folder / STATE_FILE).is_file():
        raise ModelFormatError(f"{folder}: model has no training state (saved without it, or not trained here)")
    return _read_safetensors(folder / STATE_FILE)
