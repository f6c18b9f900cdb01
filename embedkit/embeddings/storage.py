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

import datetime
import platform
from pathlib import Path
from typing import Any

import numpy as np

from embedkit.config import config_from_dict, config_to_dict, dump_toml, load_toml
from embedkit.embeddings.config import Word2VecConfig
from embedkit.embeddings.formats import read_vectors, write_word2vec
from embedkit.embeddings.vectors import Embeddings, keyed_vectors
from embedkit.errors import ConfigError, EmbedkitError, InputError, ModelFormatError
from embedkit.io import atomic_dir, atomic_write, check_format, read_json, write_json
from embedkit.text.config import PreprocessConfig
from embedkit.vocab import Vocab

FORMAT = "embedkit.embeddings/1"
VECTOR_FORMATS = ("bin", "safetensors")
STATE_FILE = "training_state.safetensors"


def _versions() -> dict[str, str]:
    import gensim

    from embedkit import __version__

    return {"embedkit": __version__, "gensim": gensim.__version__, "numpy": np.__version__,
            "python": platform.python_version()}


def _meta(emb: Embeddings, vectors_file: str) -> dict[str, Any]:
    """meta.json: what the vectors are, how they were trained, on how much text, with which libraries."""
    history = emb.meta.get("history", [])
    last = history[-1] if history else {}
    kv = emb.kv
    meta: dict[str, Any] = {
        "format": FORMAT, "kind": "fasttext" if emb.is_fasttext else "word2vec", "vectors": vectors_file,
        "vocab_size": len(emb), "dim": emb.dim,
        "corpus": {"path": last.get("corpus"), "sentences": last.get("sentences"), "words": last.get("words")},
        "loss_per_epoch": last.get("loss_per_epoch"),
        "seconds": round(sum(s.get("seconds", 0.0) for s in history), 3),
        "config": emb.meta.get("config"), "history": history,
        "preprocess": config_to_dict(emb.preprocess) if emb.preprocess else None,
        "created": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "versions": _versions(),
    }
    if emb.is_fasttext:
        meta["fasttext"] = {"min_n": int(kv.min_n), "max_n": int(kv.max_n), "bucket": int(kv.bucket)}
    return meta


def _training_state(model: Any) -> dict[str, np.ndarray]:
    state = {}
    for name in ("syn1neg", "syn1"):
        array = getattr(model, name, None)
        if array is not None and array.size:
            state[name] = array
    if getattr(model.wv, "vectors_vocab", None) is not None:
        state["vectors_vocab"] = model.wv.vectors_vocab
    return {k: np.ascontiguousarray(v, dtype=np.float32) for k, v in state.items()}


def save_embeddings(emb: Embeddings, path: str | Path, vectors_format: str = "bin",
                    training_state: bool = True) -> Path:
    """Write ``emb`` as a model folder (see the module docstring); returns the folder."""
    from safetensors.numpy import save_file

    if vectors_format not in VECTOR_FORMATS:
        raise ConfigError(f"unknown vectors format '{vectors_format}' (choose from {', '.join(VECTOR_FORMATS)})")
    if emb.is_fasttext:
        vectors_format = "safetensors"
    target = Path(path)
    with atomic_dir(target) as tmp:
        vectors = np.ascontiguousarray(emb.vectors, dtype=np.float32)
        if vectors_format == "bin":
            vectors_file = "vectors.bin"
            write_word2vec(tmp / vectors_file, emb.words, vectors, binary=True)
        else:
            vectors_file = "vectors.safetensors"
            tensors = {"vectors": vectors}
            if emb.is_fasttext:
                tensors["vectors_ngrams"] = np.ascontiguousarray(emb.kv.vectors_ngrams, dtype=np.float32)
            save_file(tensors, str(tmp / vectors_file))
        counts = emb.counts if emb.counts is not None else np.zeros(len(emb), dtype=np.int64)
        Vocab(emb.words, dict(zip(emb.words, counts.tolist(), strict=True)), specials=()).save(tmp / "vocab.json")
        if emb.preprocess is not None:
            with atomic_write(tmp / "preprocess.toml") as handle:
                handle.write(dump_toml({"preprocess": config_to_dict(emb.preprocess)}))
        write_json(tmp / "meta.json", _meta(emb, vectors_file))
        if training_state and emb.model is not None:
            save_file(_training_state(emb.model), str(tmp / STATE_FILE))
    return target


def _read_safetensors(path: Path) -> dict[str, np.ndarray]:
    from safetensors.numpy import load_file

    try:
        return load_file(str(path))
    except Exception as exc:  # safetensors raises its own error types for damaged headers and sizes
        raise ModelFormatError(f"{path}: corrupt or truncated safetensors file ({exc})") from None


def _load_folder(folder: Path) -> Embeddings:
    meta_path = folder / "meta.json"
    if not meta_path.is_file():
        raise ModelFormatError(f"{folder}: not an embedkit model folder (no meta.json)")
    meta = check_format(read_json(meta_path), FORMAT, "embeddings model", meta_path)
    vocab = Vocab.load(folder / "vocab.json")
    vectors_path = folder / str(meta.get("vectors", "vectors.bin"))
    if not vectors_path.is_file():
        raise ModelFormatError(f"{folder}: {vectors_path.name} is missing")
    ngrams = None
    if vectors_path.suffix == ".safetensors":
        tensors = _read_safetensors(vectors_path)
        if "vectors" not in tensors:
            raise ModelFormatError(f"{vectors_path}: holds no 'vectors' tensor")
        vectors, ngrams = tensors["vectors"], tensors.get("vectors_ngrams")
        words = vocab.itos
    else:
        loaded = read_vectors(vectors_path, "word2vec-bin")
        vectors, words = loaded.vectors, loaded.index_to_key
        if words != vocab.itos:
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
    preprocess = None
    if (folder / "preprocess.toml").is_file():
        table = load_toml(folder / "preprocess.toml").get("preprocess", {})
        preprocess = config_from_dict(PreprocessConfig, table, where="preprocess")
    counts = np.array([vocab.counts.get(w, 0) for w in vocab.itos], dtype=np.int64)
    kv = keyed_vectors(vocab.itos, vectors.astype(np.float32, copy=False), ngrams, fasttext)
    return Embeddings(kv, counts=counts, preprocess=preprocess, meta=meta, source=folder)


def load_embeddings(path: str | Path, fmt: str = "auto") -> Embeddings:
    """A model folder (``meta.json`` inside) or a plain vector file; see :meth:`Embeddings.load`."""
    path = Path(path).expanduser()
    if path.is_dir():
        return _load_folder(path)
    if not path.exists():
        raise InputError(f"{path}: no such model folder or vector file")
    kv = read_vectors(path, fmt)
    return Embeddings(kv, meta={"source": str(path)}, source=path)


def load_training_model(emb: Embeddings) -> Any:
    """Rebuild a trainable gensim model from a saved folder's vectors, counts and training state."""
    from embedkit.embeddings.train import _gensim_model

    folder = emb.source
    if folder is None or not (folder / STATE_FILE).is_file() or not emb.meta.get("config"):
        raise ModelFormatError(f"{folder}: model has no training state (saved without it, or not trained here)")
    state = _read_safetensors(folder / STATE_FILE)
    config = config_from_dict(Word2VecConfig, emb.meta["config"], where="config")
    model = _gensim_model(config)
    corpus = emb.meta.get("corpus") or {}
    model.raw_vocab = {w: int(c) for w, c in zip(emb.words, emb.counts.tolist(), strict=True)}
    model.corpus_count = int(corpus.get("sentences") or 0)
    model.corpus_total_words = int(corpus.get("words") or 0)
    model.min_count, model.max_final_vocab = 1, None
    try:
        model.prepare_vocab()
        model.prepare_weights()
    except (ValueError, RuntimeError) as exc:
        raise EmbedkitError(f"{folder}: cannot rebuild the model for training ({exc})") from None
    model.min_count, model.max_final_vocab = config.min_count, config.max_vocab
    rows = np.array([model.wv.key_to_index[w] for w in emb.words])
    model.wv.vectors[rows] = emb.vectors
    for name, array in state.items():
        target = model.wv.vectors_vocab if name == "vectors_vocab" else getattr(model, name)
        if target.shape != array.shape:
            raise ModelFormatError(f"{folder}: training state '{name}' has shape {array.shape}, "
                                   f"expected {target.shape}")
        target[rows] = array
    if emb.is_fasttext:
        model.wv.vectors_ngrams[:] = emb.kv.vectors_ngrams
    return model
