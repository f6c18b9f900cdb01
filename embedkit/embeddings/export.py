"""Export: a matrix aligned to a downstream vocabulary, and files in the formats other tools read.

``to_matrix(emb, vocab)`` gives one row per vocabulary token in the vocabulary's order: the trained vector
when the model knows the token, else a FastText subword vector, else a seeded normal draw scaled to the
trained vectors' standard deviation; ``<pad>`` is all zeros. Vocabulary tokens are looked up as they are:
they come from a token file the model's preprocessing already made, so preprocessing them again (a lemma
of a lemma) would hand one word another word's vector. Only raw queries (``Embeddings.vector``) are
preprocessed.
"""

from __future__ import annotations

import dataclasses
import pickle
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from embedkit.config import check_seed
from embedkit.embeddings.formats import write_safetensors, write_word2vec
from embedkit.errors import ConfigError, ModelFormatError
from embedkit.io import atomic_write, dump_json
from embedkit.vocab import PAD, Vocab

EXPORT_FORMATS = ("npy", "word2vec", "word2vec-bin", "safetensors", "torch")
OOV_EXAMPLES = 20


class VectorTable(Protocol):
    """What export needs of :class:`~embedkit.embeddings.Embeddings` (which sits above this module)."""

    kv: Any
    counts: np.ndarray | None

    @property
    def words(self) -> list[str]: ...

    @property
    def vectors(self) -> np.ndarray: ...

    @property
    def dim(self) -> int: ...

    @property
    def is_fasttext(self) -> bool: ...


@dataclasses.dataclass(frozen=True)
class Coverage:
    """How the rows of an exported matrix were made."""

    total: int
    found: int
    subword: int
    random: int
    oov_examples: tuple[str, ...] = ()
    pad: int = 0

    @property
    def ratio(self) -> float:
        """Share of the rows that need a vector (all but ``<pad>``) that come from trained vectors or subwords."""
        rows = self.total - self.pad
        return (self.found + self.subword) / rows if rows else 0.0

    def __str__(self) -> str:
        shown = ", ".join(self.oov_examples[:8])
        tail = f" (e.g. {shown})" if shown else ""
        return (f"{self.total} rows: {self.found} found, {self.subword} from subwords, "
                f"{self.random} random, {self.pad} padding (zeros){tail}")


def to_matrix(emb: VectorTable, vocab: Vocab, seed: int = 0) -> tuple[np.ndarray, Coverage]:
    """Rows in ``vocab`` order and a :class:`Coverage` report; deterministic for a given ``seed``."""
    check_seed(seed)
    matrix = np.zeros((len(vocab), emb.dim), dtype=np.float32)
    pad = vocab.stoi.get(PAD)
    table = emb.kv.key_to_index
    found = subword = 0
    missing: list[int] = []
    for row, token in enumerate(vocab.itos):
        if row == pad:
            continue
        idx = table.get(token)
        if idx is not None:
            matrix[row] = emb.vectors[idx]
            found += 1
            continue
        if emb.is_fasttext and token not in vocab.specials:
            vec = emb.kv.get_vector(token)
            if np.any(vec):
                matrix[row] = vec
                subword += 1
                continue
        missing.append(row)
    if missing:
        rng = np.random.default_rng(seed)
        scale = float(emb.vectors.std()) or 1.0
        matrix[missing] = (rng.standard_normal((len(missing), emb.dim)) * scale).astype(np.float32)
    examples = tuple(vocab.itos[r] for r in missing if vocab.itos[r] not in vocab.specials)[:OOV_EXAMPLES]
    return matrix, Coverage(len(vocab), found, subword, len(missing), examples, pad=int(pad is not None))


def to_torch(emb: VectorTable, vocab: Vocab, freeze: bool = True, seed: int = 0) -> Any:
    """A ``torch.nn.Embedding`` from :func:`to_matrix`, with ``padding_idx`` at the vocabulary's ``<pad>``."""
    import torch

    matrix, _ = to_matrix(emb, vocab, seed)
    return torch.nn.Embedding.from_pretrained(torch.from_numpy(matrix), freeze=freeze,
                                              padding_idx=vocab.stoi.get(PAD))


def export_vectors(emb: VectorTable, output: str | Path, fmt: str, vocab: Vocab | None = None,
                   seed: int = 0) -> Coverage | None:
    """Write vectors as ``npy``, ``word2vec`` (text), ``word2vec-bin``, ``safetensors`` or ``torch``.

    With ``vocab`` the rows follow that vocabulary (see :func:`to_matrix`) and the coverage is returned;
    without it every model word is written in model order. ``npy``/``safetensors``/``torch`` files hold no
    words, so a ``<output>.vocab.json`` beside them lists the rows. ``torch`` is a
    ``torch.save`` file that ``torch.load(path, weights_only=True)`` reads: ``{"weight": tensor, "padding_idx":
    int}`` (-1: none), see :func:`load_torch`.
    """
    if fmt not in EXPORT_FORMATS:
        raise ConfigError(f"unknown export format '{fmt}' (choose from {', '.join(EXPORT_FORMATS)})")
    output = Path(output)
    coverage = None
    if vocab is not None:
        matrix, coverage = to_matrix(emb, vocab, seed)
        words, row_vocab = list(vocab.itos), vocab
    else:
        matrix, words = np.ascontiguousarray(emb.vectors, dtype=np.float32), list(emb.words)
        counts = emb.counts.tolist() if emb.counts is not None else [0] * len(words)
        row_vocab = Vocab(words, dict(zip(words, counts, strict=True)), specials=())
    if fmt in ("word2vec", "word2vec-bin"):
        write_word2vec(output, words, matrix, binary=fmt == "word2vec-bin")
        return coverage
    # the row list is opened first and lands last: a failure on either leaves neither file
    with atomic_write(Path(str(output) + ".vocab.json")) as rows:
        if fmt == "npy":
            with atomic_write(output, "wb") as handle:
                np.save(handle, matrix, allow_pickle=False)
        elif fmt == "safetensors":
            write_safetensors(output, {"embeddings": matrix},
                              metadata={"dim": str(emb.dim), "rows": str(len(words))})
        else:
            import torch

            pad = row_vocab.stoi.get(PAD)
            with atomic_write(output, "wb") as handle:
                torch.save({"weight": torch.from_numpy(matrix), "padding_idx": -1 if pad is None else pad}, handle)
        dump_json(row_vocab.to_dict(), rows)
    return coverage


def load_torch(path: str | Path, freeze: bool = True) -> Any:
    """A ``torch.nn.Embedding`` from a file written by ``export_vectors(..., fmt="torch")``.

    Reads with ``torch.load(weights_only=True)`` (no arbitrary unpickling); files from embedkit 0.1, which
    wrote safetensors under this name, are still read.
    """
    import torch
    from safetensors import SafetensorError, safe_open

    path = Path(path)
    with open(path, "rb") as handle:
        zipped = handle.read(4) == b"PK\x03\x04"
    try:
        if not zipped:
            with safe_open(str(path), framework="pt") as handle:
                weight = handle.get_tensor("weight")
                pad_text = (handle.metadata() or {}).get("padding_idx", "")
            pad = int(pad_text) if pad_text else -1
        else:
            state = torch.load(path, map_location="cpu", weights_only=True)
            weight, pad = state["weight"], int(state.get("padding_idx", -1))
    except (RuntimeError, KeyError, TypeError, ValueError, AttributeError, SafetensorError,
            pickle.UnpicklingError) as exc:
        raise ModelFormatError(f"{path}: not an embedkit torch embedding file ({type(exc).__name__})") from None
    return torch.nn.Embedding.from_pretrained(weight, freeze=freeze, padding_idx=None if pad < 0 else pad)
