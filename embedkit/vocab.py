"""A word vocabulary: counts from a token stream, cut by ``min_count``/``max_vocab``, specials, JSON."""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from embedkit.config import check_numbers, check_positive, rename_keys, renamed
from embedkit.errors import InputError, ModelFormatError, check_token_list, empty_vocabulary
from embedkit.io import check_format, read_json, write_json
from embedkit.text.config import SPECIALS

PAD, UNK, BOS, EOS = SPECIALS


@renamed(max_size="max_vocab")
@dataclasses.dataclass(frozen=True)
class VocabConfig:
    """Options of :class:`embedkit.vocab.Vocab` building. ``max_vocab`` (at most this many words, specials
    aside) is the knob of the same name in the word2vec, LM and classifier configs; its old name ``max_size``
    still works for one release, with a :class:`~embedkit.config.RenamedOptionWarning`."""

    min_count: int = 1
    max_vocab: int | None = None
    specials: tuple[str, ...] = SPECIALS

    def __post_init__(self) -> None:
        check_numbers(self)
        check_positive("min_count", self.min_count)
        check_positive("max_vocab", self.max_vocab, allow_none=True)


FORMAT = "embedkit.vocab/1"


class Vocab:
    """Index of tokens: specials first, then words by falling count (ties by first appearance).

    >>> v = Vocab.build([["a", "b", "a"]], min_count=1)
    >>> v.encode(["a", "zzz"]) == [v["a"], v.unk_id]
    True
    """

    def __init__(self, itos: Sequence[str], counts: dict[str, int] | None = None,
                 specials: Sequence[str] = SPECIALS) -> None:
        self.itos: list[str] = list(itos)
        self.stoi: dict[str, int] = {tok: i for i, tok in enumerate(self.itos)}
        if len(self.stoi) != len(self.itos):
            raise ModelFormatError("vocabulary holds a token twice")
        self.counts: dict[str, int] = dict(counts or {})
        self.specials: tuple[str, ...] = tuple(s for s in specials if s in self.stoi)

    @classmethod
    def build(cls, token_lists: Iterable[Iterable[str]], min_count: int = 1, max_vocab: int | None = None,
              specials: Sequence[str] = SPECIALS, **old: Any) -> Vocab:
        """Count tokens in one pass and keep those seen ``min_count`` times, at most ``max_vocab`` words.

        ``max_size``, the old name of ``max_vocab``, still works for one release (with a warning).
        """
        config = VocabConfig(min_count=min_count, specials=tuple(specials),
                             **rename_keys(VocabConfig, {**({} if max_vocab is None else {"max_vocab": max_vocab}),
                                                         **old}, "Vocab.build"))
        counter: Counter[str] = Counter()
        for tokens in token_lists:
            check_token_list(tokens)
            counter.update(tokens)
        return cls.from_counts(counter, config)

    @classmethod
    def from_counts(cls, counts: dict[str, int], config: VocabConfig | None = None) -> Vocab:
        """Build from a ready count table (e.g. a gensim model's vocabulary)."""
        config = config or VocabConfig()
        if not counts:
            raise InputError("no tokens to build a vocabulary from")
        ordered = sorted(counts.items(), key=lambda kv: -kv[1])
        words = [w for w, c in ordered if c >= config.min_count and w not in config.specials]
        if config.max_vocab is not None:
            words = words[: config.max_vocab]
        if not words:
            raise empty_vocabulary(config.min_count, ordered[0][1])
        kept = {w: counts[w] for w in (*config.specials, *words) if w in counts}  # PTB's <unk> is counted too
        return cls(list(config.specials) + words, kept, config.specials)

    def __len__(self) -> int:
        return len(self.itos)

    def __contains__(self, token: object) -> bool:
        return token in self.stoi

    def __getitem__(self, token: str) -> int:
        return self.stoi.get(token, self.unk_id)

    def __iter__(self):
        return iter(self.itos)

    def _special_id(self, token: str) -> int:
        if token not in self.stoi:
            raise KeyError(f"vocabulary has no {token} token")
        return self.stoi[token]

    @property
    def pad_id(self) -> int:
        return self._special_id(PAD)

    @property
    def unk_id(self) -> int:
        return self._special_id(UNK)

    @property
    def bos_id(self) -> int:
        return self._special_id(BOS)

    @property
    def eos_id(self) -> int:
        return self._special_id(EOS)

    def encode(self, tokens: Iterable[str], add_bos: bool = False, add_eos: bool = False) -> list[int]:
        """Token ids; unknown tokens map to ``<unk>``."""
        unk = self.stoi.get(UNK)
        ids = []
        for tok in tokens:
            idx = self.stoi.get(tok, unk)
            if idx is None:
                raise KeyError(f"'{tok}' is not in the vocabulary and it has no {UNK} token")
            ids.append(idx)
        if add_bos:
            ids.insert(0, self.bos_id)
        if add_eos:
            ids.append(self.eos_id)
        return ids

    def decode(self, ids: Iterable[int], skip_specials: bool = False) -> list[str]:
        """Tokens for ids; ``skip_specials`` drops ``<pad>``, ``<bos>`` and the like. An id outside the
        vocabulary (a negative one too, which a list index would take from the end) raises IndexError."""
        size = len(self.itos)
        out = []
        for i in ids:
            if not 0 <= i < size:
                raise IndexError(f"id {i} is outside the vocabulary (0..{size - 1})")
            out.append(self.itos[i])
        if skip_specials:
            out = [tok for tok in out if tok not in self.specials]
        return out

    def coverage(self, token_lists: Iterable[Iterable[str]]) -> float:
        """Share of running tokens the vocabulary knows."""
        known = total = 0
        for tokens in token_lists:
            for tok in tokens:
                total += 1
                known += tok in self.stoi
        return known / total if total else 0.0

    def to_dict(self) -> dict:
        return {"format": FORMAT, "specials": list(self.specials), "itos": self.itos,
                "counts": [self.counts.get(tok, 0) for tok in self.itos]}

    @classmethod
    def from_dict(cls, data: dict) -> Vocab:
        check_format(data, FORMAT, "vocabulary")
        if "itos" not in data:
            raise ModelFormatError("vocabulary has no 'itos' list")
        itos, raw_counts, specials = data["itos"], data.get("counts", []), data.get("specials", [])
        if not isinstance(itos, list) or not all(isinstance(tok, str) for tok in itos):
            raise ModelFormatError("vocabulary 'itos' is not a list of strings")
        if not isinstance(raw_counts, list) or not all(isinstance(c, int) for c in raw_counts):
            raise ModelFormatError("vocabulary 'counts' is not a list of integers")
        if raw_counts and len(raw_counts) != len(itos):
            raise ModelFormatError(f"vocabulary has {len(raw_counts)} counts for {len(itos)} tokens")
        if not isinstance(specials, list) or not all(isinstance(tok, str) for tok in specials):
            raise ModelFormatError("vocabulary 'specials' is not a list of strings")
        counts = {tok: c for tok, c in zip(itos, raw_counts, strict=False) if c}
        return cls(itos, counts, specials)

    def save(self, path: str | Path) -> None:
        """Write JSON atomically."""
        write_json(path, self.to_dict())

    @classmethod
    def load(cls, path: str | Path) -> Vocab:
        """Read a vocabulary written by :meth:`save`; a file of another kind raises ModelFormatError."""
        data = read_json(path)
        try:
            return cls.from_dict(data)
        except ModelFormatError as exc:
            raise ModelFormatError(f"{path}: {exc}") from None

    def __repr__(self) -> str:
        return f"Vocab(size={len(self)}, specials={list(self.specials)})"


def count_tokens(token_lists: Iterable[Iterable[str]]) -> Counter[str]:
    """Count tokens in one pass; :class:`InputError` when there are none."""
    counts: Counter[str] = Counter()
    for tokens in token_lists:
        counts.update(tokens)
    if not counts:
        raise InputError("the input holds no tokens")
    return counts


def vocab_report(
    counts: Mapping[str, int], config: VocabConfig, top: int = 10
) -> tuple[Vocab, dict[str, Any]]:
    """A vocabulary from counts plus its figures: size, running-token coverage, the ``top`` words."""
    vocab = Vocab.from_counts(dict(counts), config)
    total = sum(counts.values())
    known = sum(counts.get(tok, 0) for tok in vocab.itos)
    summary = {
        "size": len(vocab),
        "words": len(vocab) - len(vocab.specials),
        "specials": len(vocab.specials),
        "tokens": total,
        "types": len(counts),
        "coverage": known / total if total else 0.0,
        "top": [[tok, vocab.counts[tok]] for tok in vocab.itos[len(vocab.specials) :][:top]],
    }
    return vocab, summary
