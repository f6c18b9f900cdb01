"""Embeddings: word vectors you query (similar words, analogies, odd one out) in the corpus's own word forms.

Every query word first passes through the preprocessing that made the training corpus (the model's
``preprocess.toml``), so on a lemmatised model ``most_similar("лошадями")`` is ``most_similar("лошадь")``.
Similarities are cosines, computed as one matrix product against a cached matrix of unit vectors.

Analogies follow gensim's convention: ``analogy(a, b, c)`` reads "a is to b as c is to ?" and ranks
words by ``b - a + c`` (``most_similar(positive=[b, c], negative=[a])``), so
``analogy("man", "king", "woman")`` is ``"queen"`` on good vectors, and a line ``a b c d`` of
``questions-words.txt`` asks for ``d``.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from embedkit.embeddings.config import DEFAULT_METHOD, DEFAULT_VECTORS_FORMAT, METHODS
from embedkit.embeddings.export import Coverage, to_matrix, to_torch
from embedkit.embeddings.formats import is_fasttext, keyed_vectors
from embedkit.embeddings.storage import load_vectors, save_folder, training_arrays
from embedkit.errors import ConfigError, EmbedkitError, ModelFormatError
from embedkit.text.config import PreprocessConfig
from embedkit.vocab import Vocab

Scored = list[tuple[str, float]]
ANN_MIN_WORDS = 200_000
_BATCH_ROWS = 256
_CHUNK = 64


class UnknownWordError(EmbedkitError, KeyError):
    """A query word the model has no vector for; the message names the closest known spellings."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


def _unit_rows(matrix: np.ndarray, pad_to: int = 1) -> np.ndarray:
    """Rows scaled to unit length, plus zero rows up to a multiple of ``pad_to`` (for chunked top-k)."""
    rows = -(-len(matrix) // pad_to) * pad_to
    out = np.zeros((rows, matrix.shape[1]), dtype=np.float32)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    np.divide(matrix, norms, out=out[: len(matrix)])
    return out


def _top_rows(scores: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Per-row indices and values of the ``k`` highest scores, best first, for a ``(n, m * 64)`` block.

    Instead of selecting over every column, take each 64-column chunk's maximum: the k best chunks by
    maximum hold every one of the row's k best scores, so selection runs over k * 64 candidates.
    """
    n, width = scores.shape
    n_chunks = width // _CHUNK
    if k >= n_chunks:
        part = np.argpartition(-scores, k - 1, axis=1)[:, :k]
        cand_idx, cand = part, np.take_along_axis(scores, part, axis=1)
    else:
        chunks = scores.reshape(n, n_chunks, _CHUNK)
        best = np.argpartition(chunks.max(axis=2), n_chunks - k, axis=1)[:, n_chunks - k:]
        cand = chunks[np.arange(n)[:, None], best].reshape(n, k * _CHUNK)
        cand_idx = (best[:, :, None] * _CHUNK + np.arange(_CHUNK)).reshape(n, k * _CHUNK)
        part = np.argpartition(-cand, k - 1, axis=1)[:, :k]
        cand_idx, cand = np.take_along_axis(cand_idx, part, axis=1), np.take_along_axis(cand, part, axis=1)
    order = np.argsort(-cand, axis=1, kind="stable")
    return np.take_along_axis(cand_idx, order, axis=1), np.take_along_axis(cand, order, axis=1)


def _unit(vector: np.ndarray) -> np.ndarray:
    norm = float(np.linalg.norm(vector))
    return vector / norm if norm > 0 else vector


def _top(scores: np.ndarray, topn: int, exclude: Sequence[int] = ()) -> list[int]:
    """Indices of the ``topn`` highest scores (best first), skipping ``exclude``; argpartition, not a full sort."""
    if exclude:
        scores = scores.copy()
        scores[list(exclude)] = -np.inf
    k = min(topn, len(scores) - len(set(exclude)))
    if k <= 0:
        return []
    part = np.argpartition(-scores, k - 1)[:k] if k < len(scores) else np.arange(len(scores))
    return part[np.argsort(-scores[part], kind="stable")].tolist()


class Embeddings:
    """Word vectors plus what is needed to query them: the vocabulary order, counts and preprocessing.

    Load a model folder or an external vector file with :meth:`load`; train with
    :func:`embedkit.embeddings.train_word2vec`.
    """

    def __init__(self, kv: Any, *, counts: np.ndarray | None = None, preprocess: PreprocessConfig | None = None,
                 meta: dict[str, Any] | None = None, model: Any = None, source: Path | None = None) -> None:
        self.kv = kv
        self.counts = counts
        self.preprocess = preprocess
        self.meta: dict[str, Any] = dict(meta or {})
        self.model = model
        self.source = source
        self._unit_cache: np.ndarray | None = None
        self._pipeline: Any = None
        self._ann: Any = None

    # -- construction and storage ----------------------------------------------------------------
    @classmethod
    def from_gensim(cls, model: Any, preprocess: PreprocessConfig | None = None,
                    meta: dict[str, Any] | None = None) -> Embeddings:
        """Wrap a trained gensim Word2Vec/FastText model (kept, so training can continue)."""
        kv = model.wv
        counts = kv.expandos.get("count")
        return cls(kv, counts=None if counts is None else np.asarray(counts, dtype=np.int64),
                   preprocess=preprocess, meta=meta, model=model)

    @classmethod
    def from_vectors(cls, words: Sequence[str], vectors: np.ndarray, counts: Sequence[int] | None = None,
                     preprocess: PreprocessConfig | None = None) -> Embeddings:
        """Wrap a ready ``(len(words), dim)`` matrix (rows in ``words`` order)."""
        matrix = np.ascontiguousarray(vectors, dtype=np.float32)
        if matrix.ndim != 2 or matrix.shape[0] != len(words) or matrix.shape[1] == 0:
            raise ModelFormatError(f"{len(words)} words but a matrix of shape {matrix.shape}")
        return cls(keyed_vectors(words, matrix), preprocess=preprocess,
                   counts=None if counts is None else np.asarray(counts, dtype=np.int64))

    @classmethod
    def load(cls, path: str | Path, fmt: str = "auto") -> Embeddings:
        """Load a model folder written by :meth:`save`, or a word2vec text/binary or GloVe text file.

        ``fmt``: ``auto`` (sniffed), ``word2vec``, ``word2vec-bin`` or ``glove``. Never unpickles.
        """
        stored = load_vectors(path, fmt)
        return cls(stored.kv, counts=stored.counts, preprocess=stored.preprocess, meta=stored.meta,
                   source=stored.source)

    def save(self, path: str | Path, vectors_format: str = DEFAULT_VECTORS_FORMAT, training_state: bool = True) -> Path:
        """Write a model folder atomically: vectors, ``vocab.json``, ``preprocess.toml``, ``meta.json``.

        ``vectors_format``: ``bin`` (word2vec binary) or ``safetensors``; FastText models always use
        safetensors (they also store their ngram buckets). ``training_state`` keeps the output weights
        so :func:`~embedkit.embeddings.continue_training` can resume from the folder.
        """
        state = training_arrays(self.model) if training_state and self.model is not None else None
        return save_folder(path, self.kv, counts=self.counts, preprocess=self.preprocess, meta=self.meta,
                           vectors_format=vectors_format, training_state=state)

    # -- basic properties ------------------------------------------------------------------------
    @property
    def words(self) -> list[str]:
        """Vocabulary in row order (most frequent first for trained models)."""
        return self.kv.index_to_key

    @property
    def vectors(self) -> np.ndarray:
        """The ``(len(self), dim)`` float32 matrix, rows in :attr:`words` order."""
        return self.kv.vectors

    @property
    def dim(self) -> int:
        return int(self.kv.vector_size)

    @property
    def is_fasttext(self) -> bool:
        """True when unknown words get vectors from character ngrams."""
        return is_fasttext(self.kv)

    @property
    def unit_vectors(self) -> np.ndarray:
        """Rows scaled to unit length (cached: computed on the first query)."""
        return self._unit_padded[: len(self)]

    @property
    def _unit_padded(self) -> np.ndarray:
        if self._unit_cache is None:
            self._unit_cache = _unit_rows(self.vectors, _CHUNK)
        return self._unit_cache

    def __len__(self) -> int:
        return len(self.kv.index_to_key)

    def __contains__(self, word: object) -> bool:
        return isinstance(word, str) and self.index(word) is not None

    def __repr__(self) -> str:
        kind = "fasttext" if self.is_fasttext else "word2vec"
        return f"Embeddings({kind}, words={len(self)}, dim={self.dim})"

    # -- the query path --------------------------------------------------------------------------
    def key(self, word: str) -> str:
        """The form a query word takes in this model: the token the model's preprocessing makes of it.

        Without a recorded preprocessing, or when the vocabulary holds the word as written (``u.s.``, a
        tagged ``кошка_NOUN`` on vectors of ``lemma_UPOS`` tokens), the word is used as given; else
        ``кошками`` becomes ``кошка`` (and on ``pos_tags`` vectors ``кошка_NOUN``). A word the pipeline drops
        (a stop word) is used lower-cased; one it splits is its tokens joined by spaces, which no vocabulary
        holds, so the query is unknown rather than answered for its first piece.
        """
        if self.preprocess is None or word in self.kv.key_to_index:
            return word
        if self._pipeline is None:
            from embedkit.text import Pipeline

            self._pipeline = Pipeline(self.preprocess)
        tokens = self._pipeline.process(word)
        return " ".join(tokens) if tokens else word.lower()

    def index(self, word: str) -> int | None:
        """Row of a query word after preprocessing, or ``None`` when the vocabulary lacks it."""
        table = self.kv.key_to_index
        found = table.get(self.key(word))
        if found is None and self.preprocess is None:
            found = table.get(word.lower())
        return found

    def close_matches(self, word: str, n: int = 3) -> list[str]:
        """Known words spelt most like ``word`` (same first letter, similar length; difflib ratio)."""
        if not word:
            return []
        first, size = word[0], len(word)
        pool = [w for w in self.words[:ANN_MIN_WORDS] if w[:1] == first and abs(len(w) - size) <= 2]
        return difflib.get_close_matches(word, pool, n=n, cutoff=0.6)

    def _unknown(self, word: str) -> UnknownWordError:
        key = self.key(word)
        shown = f"'{word}'" + (f" (as '{key}')" if key != word else "")
        close = self.close_matches(key)
        hint = f"; closest known: {', '.join(close)}" if close else ""
        return UnknownWordError(f"{shown} is not in the vocabulary of {len(self):,} words{hint}")

    def _query(self, word: str) -> tuple[np.ndarray, int | None]:
        """The raw vector of a query word and its row (``None`` when built from subwords)."""
        idx = self.index(word)
        if idx is not None:
            return self.vectors[idx], idx
        if self.is_fasttext:
            vec = self.kv.get_vector(self.key(word))
            if np.any(vec):
                return vec, None
        raise self._unknown(word)

    def vector(self, word: str) -> np.ndarray:
        """A word's vector (a copy); FastText builds unknown words from subwords, word2vec raises UnknownWordError."""
        return np.array(self._query(word)[0], dtype=np.float32)

    def __getitem__(self, word: str) -> np.ndarray:
        """``emb["word"]``: :meth:`vector`, as gensim's ``wv["word"]``."""
        return self.vector(word)

    def similarity(self, word1: str, word2: str) -> float:
        """Cosine similarity of two words."""
        return float(np.dot(_unit(self._query(word1)[0]), _unit(self._query(word2)[0])))

    def _terms(self, words: str | Sequence[str | np.ndarray] | None) -> list[tuple[np.ndarray, int | None]]:
        if words is None:
            return []
        if isinstance(words, (str, np.ndarray)):
            words = [words]
        out = []
        for word in words:
            if isinstance(word, np.ndarray):
                out.append((_unit(word.astype(np.float32)), None))
            else:
                vec, idx = self._query(word)
                out.append((self.unit_vectors[idx] if idx is not None else _unit(vec), idx))
        return out

    def most_similar(self, positive: str | Sequence[str | np.ndarray],
                     negative: Sequence[str | np.ndarray] | None = None, topn: int = 10) -> Scored:
        """Words closest by cosine to the mean of ``positive`` minus ``negative`` unit vectors (inputs excluded).

        A single string works as ``positive``. Returns ``[(word, cosine), ...]``, best first.
        """
        pos, neg = self._terms(positive), self._terms(negative)
        if not pos and not neg:
            raise ConfigError("most_similar needs at least one word")
        target = _unit(np.sum([v for v, _ in pos] + [-v for v, _ in neg], axis=0))
        exclude = [i for _, i in pos + neg if i is not None]
        return self._scored(self._scores(target), topn, exclude)

    def _scores(self, target: np.ndarray) -> np.ndarray:
        return self.unit_vectors @ target.astype(np.float32)

    def _scored(self, scores: np.ndarray, topn: int, exclude: Sequence[int] = ()) -> Scored:
        words = self.words
        return [(words[i], float(scores[i])) for i in _top(scores, topn, exclude)]

    def nearest(self, vector: np.ndarray, topn: int = 10) -> Scored:
        """Words closest by cosine to any vector (nothing excluded); uses the ANN index when one is built."""
        vector = np.asarray(vector, dtype=np.float32)
        if vector.shape != (self.dim,):
            raise ConfigError(f"query vector has shape {vector.shape}, the model's vectors have {self.dim} dims")
        if self._ann is not None:
            return self._ann.query(_unit(vector), topn)
        return self._scored(self._scores(_unit(vector)), topn)

    def most_similar_batch(self, words: Sequence[str], topn: int = 10) -> list[Scored]:
        """``most_similar(w, topn)`` for many words at once: one matrix product per block of queries."""
        padded, size = self._unit_padded, len(self)
        terms = [self._terms(w)[0] for w in words]
        vocab = self.words
        k = min(topn, size - 1)
        if k <= 0:
            return [[] for _ in words]
        results: list[Scored] = []
        for start in range(0, len(terms), _BATCH_ROWS):
            block = terms[start:start + _BATCH_ROWS]
            scores = np.stack([v for v, _ in block]).astype(np.float32) @ padded.T
            scores[:, size:] = -np.inf
            for row, (_, idx) in enumerate(block):
                if idx is not None:
                    scores[row, idx] = -np.inf
            ids, values = _top_rows(scores, k)
            results.extend([(vocab[i], float(s)) for i, s in zip(r_idx, r_sc, strict=True)]
                           for r_idx, r_sc in zip(ids.tolist(), values.tolist(), strict=True))
        return results

    def analogy_scores(self, a: str, b: str, c: str, method: str = DEFAULT_METHOD, topn: int = 10) -> Scored:
        """Candidates for "a is to b as c is to ?", best first (a, b, c excluded).

        ``3cosadd`` ranks by cos(d, b - a + c) on unit vectors; ``3cosmul`` (Levy & Goldberg 2014) by
        cos'(d,b)·cos'(d,c) / (cos'(d,a) + 1e-6) with cos' = (cos + 1) / 2, as gensim's ``most_similar_cosmul``.
        """
        if method not in METHODS:
            raise ConfigError(f"unknown analogy method '{method}' (choose from {', '.join(METHODS)})")
        if method == "3cosadd":
            return self.most_similar([b, c], [a], topn=topn)
        (ua, ia), (ub, ib), (uc, ic) = self._terms([a, b, c])
        unit = self.unit_vectors
        scores = ((1 + unit @ ub) / 2) * ((1 + unit @ uc) / 2) / ((1 + unit @ ua) / 2 + 1e-6)
        return self._scored(scores, topn, [i for i in (ia, ib, ic) if i is not None])

    def analogy(self, a: str, b: str, c: str, method: str = DEFAULT_METHOD) -> str:
        """The word d such that a is to b as c is to d: ``analogy("man", "king", "woman")`` -> ``"queen"``."""
        best = self.analogy_scores(a, b, c, method, topn=1)
        if not best:
            raise ConfigError("the vocabulary is too small for an analogy")
        return best[0][0]

    def doesnt_match(self, words: Sequence[str]) -> str:
        """The word farthest (by cosine) from the mean of the unit vectors of all ``words``."""
        if len(words) < 2:
            raise ConfigError("doesnt_match needs at least two words")
        units = np.stack([v for v, _ in self._terms(list(words))])
        scores = units @ _unit(units.mean(axis=0))
        return words[int(np.argmin(scores))]

    # -- approximate search ----------------------------------------------------------------------
    def build_ann_index(self, m: int = 16, ef_construction: int = 200, ef: int = 100, threads: int = 1) -> None:
        """Build an hnswlib index that :meth:`nearest` then uses (worth it above ~200,000 words).

        Needs the optional ``hnswlib`` package: ``pip install 'embedkit[ann]'``.
        """
        from embedkit.embeddings.ann import AnnIndex

        self._ann = AnnIndex(self.unit_vectors, self.words, m=m, ef_construction=ef_construction, ef=ef,
                             threads=threads)

    # -- export ----------------------------------------------------------------------------------
    def to_matrix(self, vocab: Vocab, seed: int = 0) -> tuple[np.ndarray, Coverage]:
        """A matrix in ``vocab``'s row order and a report of how each row was made (see ``export.to_matrix``)."""
        return to_matrix(self, vocab, seed)

    def to_torch(self, vocab: Vocab, freeze: bool = True, seed: int = 0) -> Any:
        """A ``torch.nn.Embedding`` with rows in ``vocab`` order, ``padding_idx`` at ``<pad>``."""
        return to_torch(self, vocab, freeze=freeze, seed=seed)
