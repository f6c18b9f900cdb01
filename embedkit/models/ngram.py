"""An n-gram language model: the lecture's ``<PAD>``-padded counts with add-k or interpolated Kneser-Ney.

Each sentence is padded on the left with ``order - 1`` ``<PAD>`` tokens and closed with ``<eos>``, so the
first word is predicted from ``<PAD> <PAD>`` exactly as in the lecture. Words seen fewer than ``min_count``
times become ``<unk>``. The distribution over the vocabulary (every known word, ``<unk>`` and ``<eos>``;
never ``<PAD>``) sums to one for every context, seen or not.

Only the highest-order counts are stored; every lower-order table is derived from them, so a saved model
is one integer array plus a JSON header and loads without unpickling.

>>> lm = NgramModel(order=2, smoothing="kneser-ney").fit([["a", "b"], ["a", "c"]])
>>> round(sum(lm.prob(w, ["a"]) for w in lm.vocabulary), 6)
1.0
"""

from __future__ import annotations

import dataclasses
import itertools
import math
import zipfile
import zlib
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

import numpy as np

from embedkit.config import check_seed
from embedkit.errors import ConfigError, InputError, ModelFormatError, check_token_list, empty_vocabulary
from embedkit.io import (
    PIECE_CHARS,
    check_format,
    iter_token_pieces,
    missing_header,
    read_json,
    replace_model_dir,
    write_json,
)
from embedkit.models.config import SMOOTHINGS as SMOOTHINGS  # re-exported
from embedkit.models.config import NgramConfig

PAD = "<PAD>"
UNK = "<unk>"
EOS = "<eos>"
PAD_ID, UNK_ID, EOS_ID = 0, 1, 2
FORMAT = "embedkit.ngram/1"
HEADER_FILE = "ngram.json"
COUNTS_FILE = "counts.npz"


def _estimate_discounts(counts: Iterable[int], modified: bool) -> tuple[float, float, float]:
    """Chen & Goodman's discounts D1, D2, D3+ from counts of counts (one D for plain Kneser-Ney).

    Where a count of counts is missing or the estimates would let a count keep less than a smaller one (both
    happen on small corpora; KenLM refuses them), the plain discount ``Y`` serves for all three.
    """
    n = Counter(c for c in counts if c <= 4)
    n1, n2, n3, n4 = (n.get(i, 0) for i in (1, 2, 3, 4))
    y = n1 / (n1 + 2 * n2) if n1 and n2 else 0.75
    if not modified:
        return (y, y, y)
    if not (n1 and n2 and n3 and n4):
        return (y, y, y)  # a count of counts to estimate from is missing, as in a small corpus
    d1, d2, d3 = 1 - 2 * y * n2 / n1, 2 - 3 * y * n3 / n2, 3 - 4 * y * n4 / n3
    if not (d2 > 0 and d3 > 0 and 0 < 1 - d1 < 2 - d2 < 3 - d3):  # a count would keep less than a smaller one
        return (y, y, y)
    return (d1, d2, d3)


def sentence_pieces(inputs: Sequence[str | Path], encoding: str = "utf-8",
                    max_chars: int = PIECE_CHARS) -> Iterator[tuple[list[str], bool]]:
    """Sentences of token files (one a line, empty lines skipped) in the pieces :meth:`NgramModel.fit_pieces`
    takes: a line longer than ``max_chars`` comes in several, so it never sits in memory whole."""
    return ((tokens, ends) for tokens, ends in iter_token_pieces(inputs, encoding, max_chars) if tokens)


def _closed(pieces: Iterable[tuple[Sequence[str], bool]]) -> Iterator[tuple[Sequence[str], bool]]:
    """The pieces of sentences, then an empty closing piece where the last sentence was left open."""
    ends = True
    for piece, ends in pieces:
        check_token_list(piece)
        yield piece, ends
    if not ends:
        yield (), True


def _renumbered(keys: np.ndarray, counts: np.ndarray, remap: np.ndarray) -> dict[tuple[int, ...], int]:
    """N-gram counts (rows of ids) renumbered by ``remap``, adding up those that become one n-gram.

    The result keeps the order in which the n-grams first appeared (what counting the renumbered text
    directly gives), so every later sum over a context's followers adds up in the same order.
    """
    keys = remap[keys]
    keep = keys[:, -1] != PAD_ID  # a literal <PAD> in the text is never predicted
    keys, counts = keys[keep], counts[keep]
    if len(keys):
        base, order = len(remap), keys.shape[1]
        if base ** order < 2**63:  # one integer per n-gram sorts much faster than rows
            packed = keys @ (base ** np.arange(order - 1, -1, -1, dtype=np.int64))
            _, first, where = np.unique(packed, return_index=True, return_inverse=True)
        else:
            _, first, where = np.unique(keys, axis=0, return_index=True, return_inverse=True)
        counts = np.bincount(where.reshape(-1), weights=counts, minlength=len(first)).astype(np.int64)
        in_order = np.argsort(first)
        keys, counts = keys[first[in_order]], counts[in_order]
    return _as_dict(keys, counts)


def _as_dict(keys: np.ndarray, counts: np.ndarray) -> dict[tuple[int, ...], int]:
    """``{n-gram: count}`` from rows of ids and their counts (tuples built column-wise, in C)."""
    return dict(zip(zip(*keys.T.tolist(), strict=True), counts.tolist(), strict=True))


class NgramModel:
    """Count-based n-gram language model with add-k or interpolated (modified) Kneser-Ney smoothing.

    ``discount`` fixes one Kneser-Ney discount for every order instead of estimating it from the counts.
    """

    def __init__(self, order: int = 3, smoothing: str = "kneser-ney", k: float = 1.0, min_count: int = 1,
                 modified: bool = True, discount: float | None = None) -> None:
        NgramConfig(order, smoothing, k, min_count, modified, discount)  # checks every option
        self.order, self.smoothing, self.k = order, smoothing, float(k)
        self.min_count, self.modified, self.discount = min_count, modified, discount
        self.itos: list[str] = [PAD, UNK, EOS]
        self.stoi: dict[str, int] = {}
        self._ngrams: dict[tuple[int, ...], int] = {}
        self._tables: list[dict[tuple[int, ...], dict[int, int]]] = []
        self._stats: list[dict[tuple[int, ...], tuple[int, float]]] = []
        self._discounts: list[tuple[float, float, float]] = []

    @classmethod
    def from_config(cls, config: NgramConfig) -> NgramModel:
        """A fresh, untrained model with the options of ``config``."""
        return cls(**dataclasses.asdict(config))

    # ------------------------------------------------------------------ building
    def fit(self, sentences: Iterable[Sequence[str]]) -> NgramModel:
        """Count n-grams of tokenised sentences (one list of tokens each); returns ``self``."""
        return self.fit_pieces((sentence, True) for sentence in sentences)

    def fit_pieces(self, pieces: Iterable[tuple[Sequence[str], bool]]) -> NgramModel:
        """Count n-grams of sentences that may arrive in pieces: ``(tokens, True where the sentence ends)``.

        One streaming pass (what :func:`embedkit.io.iter_token_pieces` yields): words get ids as they
        appear and only distinct n-grams of ids are kept, so memory grows with the vocabulary and the
        distinct n-grams, not with the corpus, and a huge line counts exactly like the same text whole.
        Returns ``self``.
        """
        n = self.order
        ids: dict[str, int] = {PAD: PAD_ID, UNK: UNK_ID, EOS: EOS_ID}  # first-seen ids, remapped below
        number = ids.setdefault
        grams: Counter[tuple[int, ...]] = Counter()
        start = [PAD_ID] * (n - 1)
        history, tokens = start, 0
        for piece, ends in _closed(pieces):
            window = history + [number(tok, len(ids)) for tok in piece]
            tokens += len(piece)
            if ends:
                window.append(EOS_ID)
            grams.update(zip(*(window[i:] for i in range(n)), strict=False))
            history = start if ends else window[len(window) - n + 1:]
        if not tokens:
            raise InputError("no tokens to train the n-gram model on")
        keys = np.fromiter(itertools.chain.from_iterable(grams), dtype=np.int64, count=len(grams) * n)
        keys = keys.reshape(-1, n)
        counts = np.fromiter(grams.values(), dtype=np.int64, count=len(grams))
        del grams
        seen = np.bincount(keys[:, -1], weights=counts, minlength=len(ids)).astype(np.int64).tolist()
        # every token ends exactly one n-gram, so its count is the sum of theirs
        kept = sorted((w for w, i in ids.items() if i > EOS_ID and seen[i] >= self.min_count),
                      key=lambda w: (-seen[ids[w]], w))
        if not kept:
            raise empty_vocabulary(self.min_count, max(seen[EOS_ID + 1:], default=0))
        self._set_vocab([PAD, UNK, EOS] + kept)
        remap = np.full(len(ids), UNK_ID, dtype=np.int64)
        remap[[PAD_ID, EOS_ID]] = [PAD_ID, EOS_ID]
        remap[[ids[w] for w in kept]] = np.arange(3, len(self.itos))
        self._ngrams = _renumbered(keys, counts, remap)
        self._estimate()
        return self

    def _set_vocab(self, itos: list[str]) -> None:
        self.itos = itos
        self.stoi = {w: i for i, w in enumerate(itos)}

    def _estimate(self) -> None:
        """Derive every order's tables (context -> follower counts) and normaliser statistics."""
        n = self.order
        counts: list[dict[tuple[int, ...], int]] = [{} for _ in range(n + 1)]
        counts[n] = self._ngrams
        kn = self.smoothing == "kneser-ney"
        for m in range(n - 1, 0 if kn else n, -1):
            raw: defaultdict[tuple[int, ...], int] = defaultdict(int)
            continuation: defaultdict[tuple[int, ...], int] = defaultdict(int)
            for gram, c in counts[m + 1].items():
                raw[gram[1:]] += c
                continuation[gram[1:]] += 1
            # Kneser-Ney keeps raw counts where nothing can precede the n-gram (it starts with <PAD>).
            counts[m] = {g: (raw[g] if g[0] == PAD_ID else continuation[g]) for g in raw}
        self._tables, self._stats, self._discounts = [{}], [{}], [(0.0, 0.0, 0.0)]
        for m in range(1, n + 1):
            table: defaultdict[tuple[int, ...], dict[int, int]] = defaultdict(dict)
            for gram, c in counts[m].items():
                table[gram[:-1]][gram[-1]] = c
            if kn:
                fixed = self.discount
                d = (fixed,) * 3 if fixed is not None else _estimate_discounts(counts[m].values(), self.modified)
            else:
                d = (0.0, 0.0, 0.0)
            stats = {}
            for ctx, followers in table.items():
                total = sum(followers.values())
                mass = sum(d[min(c, 3) - 1] for c in followers.values()) if kn else 0.0
                stats[ctx] = (total, mass)
            self._tables.append(dict(table))
            self._stats.append(stats)
            self._discounts.append(d)  # type: ignore[arg-type]

    # ------------------------------------------------------------------ queries
    @property
    def vocabulary(self) -> list[str]:
        """Every token the model predicts: known words, ``<unk>`` and ``<eos>`` (not ``<PAD>``)."""
        return self.itos[1:]

    @property
    def ngram_count(self) -> int:
        """Distinct n-grams of the highest order seen in training."""
        return len(self._ngrams)

    def _context_ids(self, context: Sequence[str] | None) -> tuple[int, ...]:
        ids = [self.stoi.get(tok, UNK_ID) for tok in (context or ())]
        width = self.order - 1
        ids = [PAD_ID] * width + ids
        return tuple(ids[len(ids) - width:]) if width else ()

    def _prob_id(self, w: int, ctx: tuple[int, ...]) -> float:
        size = len(self.itos) - 1
        n = self.order
        if self.smoothing == "add-k":
            followers = self._tables[n].get(ctx)
            c, total = (followers.get(w, 0), self._stats[n][ctx][0]) if followers else (0, 0)
            return (c + self.k) / (total + self.k * size)
        p = 1.0 / size
        for m in range(1, n + 1):
            h = ctx[len(ctx) - m + 1:] if m > 1 else ()
            st = self._stats[m].get(h)
            if st is None:
                continue
            c = self._tables[m][h].get(w, 0)
            d = self._discounts[m][min(c, 3) - 1] if c else 0.0
            p = (c - d + st[1] * p) / st[0]
        return p

    def _check_fitted(self) -> None:
        if not self._tables:
            raise ConfigError("the n-gram model is not trained yet (call fit or load)")

    def prob(self, word: str, context: Sequence[str] | None = None) -> float:
        """P(word | the last ``order - 1`` words of context); short contexts are padded with ``<PAD>``."""
        self._check_fitted()
        if word == PAD:
            return 0.0
        return self._prob_id(self.stoi.get(word, UNK_ID), self._context_ids(context))

    def logprob(self, word: str, context: Sequence[str] | None = None) -> float:
        """Natural logarithm of :meth:`prob`."""
        p = self.prob(word, context)
        return math.log(p) if p > 0 else -math.inf

    def score(self, sentences: Iterable[Sequence[str]]) -> tuple[float, int]:
        """Total natural-log probability of the sentences (each closed by ``<eos>``) and the tokens scored."""
        return self.score_pieces((sentence, True) for sentence in sentences)

    def score_pieces(self, pieces: Iterable[tuple[Sequence[str], bool]]) -> tuple[float, int]:
        """:meth:`score` of sentences that may arrive in pieces, as :meth:`fit_pieces` takes them."""
        self._check_fitted()
        total, count = 0.0, 0
        width = self.order - 1
        start = [PAD_ID] * width
        history = start
        get = self.stoi.get
        for piece, ends in _closed(pieces):
            ids = history + [get(tok, UNK_ID) for tok in piece]
            if ends:
                ids.append(EOS_ID)
            for i in range(width, len(ids)):
                total += math.log(self._prob_id(ids[i], tuple(ids[i - width:i])))
            count += len(ids) - width
            history = start if ends else ids[len(ids) - width:]
        return total, count

    def perplexity(self, sentences: Iterable[Sequence[str]]) -> float:
        """exp of the mean negative log-likelihood per token, ``<eos>`` included (the PTB convention)."""
        return self.perplexity_pieces((sentence, True) for sentence in sentences)

    def perplexity_pieces(self, pieces: Iterable[tuple[Sequence[str], bool]]) -> float:
        """:meth:`perplexity` of sentences that may arrive in pieces, as :meth:`fit_pieces` takes them."""
        total, count = self.score_pieces(pieces)
        if not count:
            raise InputError("no sentences to compute perplexity on")
        return math.exp(-total / count)

    def distribution(self, context: Sequence[str] | None = None) -> np.ndarray:
        """Probabilities of :attr:`vocabulary`, in that order, after ``context``."""
        self._check_fitted()
        return self._distribution(self._context_ids(context))

    def _distribution(self, ctx: tuple[int, ...]) -> np.ndarray:
        size = len(self.itos) - 1
        n = self.order
        if self.smoothing == "add-k":
            p = np.full(size, self.k)
            followers = self._tables[n].get(ctx, {})
            ids = np.fromiter(followers.keys(), dtype=np.int64, count=len(followers))
            p[ids - 1] += np.fromiter(followers.values(), dtype=np.float64, count=len(followers))
            return p / p.sum()
        p = np.full(size, 1.0 / size)
        for m in range(1, n + 1):
            h = ctx[len(ctx) - m + 1:] if m > 1 else ()
            st = self._stats[m].get(h)
            if st is None:
                continue
            followers = self._tables[m][h]
            ids = np.fromiter(followers.keys(), dtype=np.int64, count=len(followers))
            c = np.fromiter(followers.values(), dtype=np.float64, count=len(followers))
            d = np.asarray(self._discounts[m])[np.minimum(c, 3).astype(np.int64) - 1]
            new = st[1] * p
            new[ids - 1] += c - d
            p = new / st[0]
        return p

    def generate(self, max_tokens: int = 30, seed: int | None = None, prompt: Sequence[str] | None = None,
                 temperature: float = 1.0) -> list[str]:
        """Sample a continuation word by word, stopping at ``<eos>``; ``temperature=0`` picks the argmax.

        Returns only the new tokens (not the prompt). The same seed gives the same text.
        """
        self._check_fitted()
        if not 0 <= temperature < math.inf:
            raise ConfigError(f"temperature must be a finite number, not negative, got {temperature}")
        check_seed(seed)
        rng = np.random.default_rng(seed)
        width = self.order - 1
        history = [PAD_ID] * width + [self.stoi.get(tok, UNK_ID) for tok in (prompt or ())]
        out: list[str] = []
        for _ in range(max_tokens):
            p = self._distribution(tuple(history[len(history) - width:]) if width else ())
            if temperature == 0:
                w = int(np.argmax(p)) + 1
            else:
                if temperature != 1.0:
                    logits = np.log(np.maximum(p, 1e-300)) / temperature
                    p = np.exp(logits - logits.max())
                w = int(rng.choice(len(p), p=p / p.sum())) + 1
            if w == EOS_ID:
                break
            out.append(self.itos[w])
            history.append(w)
        return out

    # ------------------------------------------------------------------ files
    def save(self, path: str | Path) -> None:
        """Write a folder: ``ngram.json`` (options, vocabulary) and ``counts.npz`` (top-order counts)."""
        self._check_fitted()
        grams = np.array(list(self._ngrams.keys()), dtype=np.int32).reshape(-1, self.order)
        counts = np.fromiter(self._ngrams.values(), dtype=np.int64, count=len(self._ngrams))
        header = {"format": FORMAT, "order": self.order, "smoothing": self.smoothing, "k": self.k,
                  "min_count": self.min_count, "modified": self.modified, "discount": self.discount,
                  "vocab": self.itos}
        with replace_model_dir(path) as tmp:
            write_json(tmp / HEADER_FILE, header)
            np.savez_compressed(tmp / COUNTS_FILE, ngrams=grams, counts=counts)

    @classmethod
    def load(cls, path: str | Path) -> NgramModel:
        """Read a folder written by :meth:`save` (no pickle involved)."""
        path = Path(path)
        if not path.is_dir():
            raise InputError(f"{path}: no such model folder")
        if not (path / HEADER_FILE).is_file():
            raise missing_header(path, HEADER_FILE, "n-gram model")
        header = check_format(read_json(path / HEADER_FILE), FORMAT, "n-gram model", path)
        try:
            model = cls(order=header["order"], smoothing=header["smoothing"], k=header["k"],
                        min_count=header["min_count"], modified=header["modified"],
                        discount=header["discount"])
            with np.load(path / COUNTS_FILE, allow_pickle=False) as data:
                grams, counts = data["ngrams"], data["counts"]
            vocab = list(header["vocab"])
        except (KeyError, OSError, ValueError, TypeError, EOFError, zipfile.BadZipFile, zlib.error) as exc:
            raise ModelFormatError(f"{path}: damaged n-gram model ({exc})") from None
        if (grams.ndim != 2 or grams.shape[1] != model.order or len(grams) != len(counts)
                or vocab[:3] != [PAD, UNK, EOS]
                or (grams.size and (grams.min() < 0 or grams.max() >= len(vocab) or counts.min() < 1))):
            raise ModelFormatError(f"{path}: n-gram counts do not match the header")
        model._set_vocab(vocab)
        model._ngrams = _as_dict(grams, counts)
        model._estimate()
        return model

    def __repr__(self) -> str:
        return f"NgramModel(order={self.order}, smoothing={self.smoothing!r}, vocab={len(self.itos) - 1})"
