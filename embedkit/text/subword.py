"""Subword models (BPE, unigram) trained with HF ``tokenizers`` on the pipeline's token stream.

The input is what :mod:`embedkit.text` writes: one document a line, tokens separated by spaces (or the
same as lists of tokens). Pieces never cross a token boundary: the pre-tokenizer splits on whitespace and
marks the start of every word with ``▁`` (SentencePiece's Metaspace), so ``decode(encode(words))`` gives the
words back, and a character the model never saw becomes ``<unk>`` without eating the word boundary.

>>> model = SubwordModel.train(["low lower lowest", "new newer newest"] * 50,
...                            SubwordConfig(vocab_size=40, min_frequency=2))
>>> model.decode(model.encode("lowest newer"))
'lowest newer'
"""

from __future__ import annotations

import json
import numbers
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

from embedkit.config import config_from_dict, config_to_dict
from embedkit.errors import ConfigError, EmbedkitError, InputError, ModelFormatError
from embedkit.io import atomic_write, check_format, read_json
from embedkit.text.batching import sized_batches
from embedkit.text.config import SubwordConfig

FORMAT = "embedkit.subword/1"
UNK = "<unk>"
WORD_START = "▁"
HISTOGRAM_BINS = ("1", "2", "3", "4", "5+")
_BATCH = 1000
_BATCH_CHARS = 1 << 20
_LINE_WORDS = 1000


def _pre_tokenizer() -> pre_tokenizers.PreTokenizer:
    return pre_tokenizers.Sequence(
        [
            pre_tokenizers.WhitespaceSplit(),
            pre_tokenizers.Metaspace(replacement=WORD_START, prepend_scheme="always", split=False),
        ]
    )


def _decoder() -> decoders.Decoder:
    return decoders.Metaspace(replacement=WORD_START, prepend_scheme="always", split=False)


def _batches(data: Iterable[str | Sequence[str]], counts: Counter[str]) -> Iterator[list[str]]:
    """Lines in batches for the trainer, counting the words as they stream past.

    The trainer learns from word counts, so where a line ends does not matter: a long line is passed on
    in runs of ``_LINE_WORDS`` words (the tokenizer's pre-tokenisation needs about a hundred times a
    string's size) and a batch holds at most ``_BATCH`` lines and about ``_BATCH_CHARS`` characters.
    """
    def lines() -> Iterator[str]:
        for item in data:
            words = item.split() if isinstance(item, str) else [w for tok in item for w in tok.split()]
            counts.update(words)
            for start in range(0, len(words), _LINE_WORDS):
                yield " ".join(words[start : start + _LINE_WORDS])

    return sized_batches(lines(), _BATCH, _BATCH_CHARS)


def _too_small(config: SubwordConfig, counts: Counter[str]) -> ConfigError:
    alphabet = len({ch for word in counts for ch in word} | {WORD_START})
    need = alphabet + len(config.specials)
    return ConfigError(
        f"vocab_size {config.vocab_size} is too small: the corpus has {alphabet} distinct characters "
        f"(with {WORD_START}) plus {len(config.specials)} specials, so use at least {need} "
        f"(a few thousand is usual)"
    )


class SubwordModel:
    """A trained BPE or unigram model: word pieces for the words of a token stream.

    ``word_counts`` holds the words seen in training (empty after :meth:`load`), ready for
    :meth:`split_report`. ``tokenizer`` is the underlying :class:`tokenizers.Tokenizer`.
    """

    def __init__(
        self, tokenizer: Tokenizer, config: SubwordConfig, word_counts: Counter[str] | None = None
    ) -> None:
        self.tokenizer = tokenizer
        self.config = config
        self.word_counts: Counter[str] = word_counts if word_counts is not None else Counter()

    @classmethod
    def train(cls, data: Iterable[str | Sequence[str]], config: SubwordConfig | None = None) -> SubwordModel:
        """Train in one streaming pass over lines (tokens separated by spaces) or lists of tokens.

        ``config.min_frequency`` bounds BPE merges; the unigram trainer has no such option and ignores it.
        Raises :class:`InputError` when the stream holds no tokens and :class:`ConfigError` when
        ``vocab_size`` cannot even hold the corpus's characters and the specials.
        """
        config = config or SubwordConfig()
        if UNK not in config.specials:
            raise ConfigError(
                f"subword specials must include {UNK} (got {', '.join(config.specials) or 'none'})"
            )
        if config.vocab_size <= len(config.specials):
            raise ConfigError(
                f"vocab_size {config.vocab_size} is too small: it must exceed the {len(config.specials)} "
                f"special tokens plus the corpus's characters"
            )
        trainer: trainers.Trainer
        if config.model == "bpe":
            tokenizer = Tokenizer(models.BPE(unk_token=UNK))
            trainer = trainers.BpeTrainer(
                vocab_size=config.vocab_size,
                min_frequency=config.min_frequency,
                special_tokens=list(config.specials),
                show_progress=False,
            )
        else:
            tokenizer = Tokenizer(models.Unigram())
            trainer = trainers.UnigramTrainer(
                vocab_size=config.vocab_size,
                special_tokens=list(config.specials),
                unk_token=UNK,
                show_progress=False,
            )
        tokenizer.pre_tokenizer = _pre_tokenizer()
        tokenizer.decoder = _decoder()
        counts: Counter[str] = Counter()
        try:
            tokenizer.train_from_iterator(_batches(data, counts), trainer)
        except EmbedkitError:
            raise
        except Exception as exc:
            if not counts:
                raise InputError("the input holds no tokens") from None
            if "not large enough" in str(exc):
                raise _too_small(config, counts) from None
            raise ConfigError(f"subword training failed: {exc}") from None
        if not counts:
            raise InputError("the input holds no tokens")
        if tokenizer.get_vocab_size() > config.vocab_size:
            raise _too_small(config, counts)
        return cls(tokenizer, config, counts)

    @property
    def vocab_size(self) -> int:
        """Number of pieces, specials included."""
        return self.tokenizer.get_vocab_size()

    @property
    def unk_id(self) -> int:
        """Id of ``<unk>``, which stands for any character the model never saw."""
        idx = self.tokenizer.token_to_id(UNK)
        assert idx is not None
        return idx

    def piece_to_id(self, piece: str) -> int:
        """Id of a piece; ``<unk>``'s id for a piece not in the vocabulary."""
        idx = self.tokenizer.token_to_id(piece)
        return self.unk_id if idx is None else idx

    def id_to_piece(self, idx: int) -> str:
        """Piece of an id (``IndexError`` outside the vocabulary)."""
        piece = self.tokenizer.id_to_token(idx)
        if piece is None:
            raise IndexError(f"id {idx} is outside the subword vocabulary of {self.vocab_size}")
        return piece

    @staticmethod
    def _text(text_or_tokens: str | Sequence[str]) -> str:
        return text_or_tokens if isinstance(text_or_tokens, str) else " ".join(text_or_tokens)

    def encode_ids(self, text_or_tokens: str | Sequence[str]) -> list[int]:
        """Piece ids of a line (split on whitespace) or of a list of tokens."""
        return self.tokenizer.encode(self._text(text_or_tokens), add_special_tokens=False).ids

    def encode(self, text_or_tokens: str | Sequence[str]) -> list[str]:
        """Pieces of a line or a list of tokens, all in the vocabulary (unseen characters give ``<unk>``)."""
        return [self.id_to_piece(i) for i in self.encode_ids(text_or_tokens)]

    def encode_lines(self, lines: Iterable[str | Sequence[str]], ids: bool = False) -> Iterator[list[Any]]:
        """Pieces (or ids) for each line, encoded in batches on the Rust side; one list per line."""
        batch: list[str] = []
        for line in lines:
            batch.append(self._text(line))
            if len(batch) >= _BATCH:
                yield from self._encode_batch(batch, ids)
                batch = []
        if batch:
            yield from self._encode_batch(batch, ids)

    def _encode_batch(self, batch: list[str], ids: bool) -> Iterator[list[Any]]:
        for encoding in self.tokenizer.encode_batch(batch, add_special_tokens=False):
            yield encoding.ids if ids else [self.id_to_piece(i) for i in encoding.ids]

    def decode(self, ids_or_pieces: Sequence[int] | Sequence[str], skip_specials: bool = False) -> str:
        """Words (space-separated) from piece ids or pieces; ``skip_specials`` drops ``<unk>`` etc."""
        items = list(ids_or_pieces)
        if not items:
            return ""
        if all(isinstance(i, numbers.Integral) for i in items):
            pieces = [self.id_to_piece(int(i)) for i in items]
        elif all(isinstance(i, str) for i in items):
            pieces = [str(i) for i in items]
        else:
            raise TypeError("decode wants a list of ids or a list of pieces, not a mix")
        if not skip_specials:
            return self.tokenizer.decoder.decode(pieces)
        kept = [p for p in pieces if p not in self.config.specials]
        return " ".join(self.tokenizer.decoder.decode(kept).split())

    def split_report(self, words: Iterable[str] | Mapping[str, int]) -> dict[str, Any]:
        """How many words fall into 1, 2, 3, 4 or 5+ pieces, and the mean pieces per word.

        ``words`` is a stream of words (each occurrence counts) or a mapping word -> count such as
        ``word_counts``; pass ``counts.keys()`` to count each distinct word once. Empty strings are skipped.
        """
        counts: Mapping[str, int] = words if isinstance(words, Mapping) else Counter(words)
        items = [(w, c) for w, c in counts.items() if w and not w.isspace() and c > 0]
        histogram = dict.fromkeys(HISTOGRAM_BINS, 0)
        total = pieces = 0
        for start in range(0, len(items), _BATCH):
            chunk = items[start : start + _BATCH]
            encodings = self.tokenizer.encode_batch([w for w, _ in chunk], add_special_tokens=False)
            for (_, count), encoding in zip(chunk, encodings, strict=True):
                n = len(encoding.ids)
                histogram[HISTOGRAM_BINS[min(max(n, 1), 5) - 1]] += count
                total += count
                pieces += n * count
        return {
            "words": total,
            "types": len(items),
            "pieces": pieces,
            "mean_pieces": pieces / total if total else 0.0,
            "histogram": histogram,
        }

    def training_report(self) -> dict[str, Any]:
        """Figures of the training stream: size, split report over running tokens and distinct words."""
        tokens = self.split_report(self.word_counts)
        types = self.split_report(self.word_counts.keys())
        return {
            "model": self.config.model,
            "vocab_size": self.vocab_size,
            "tokens": tokens["words"],
            "types": types["words"],
            "mean_pieces_per_token": tokens["mean_pieces"],
            "mean_pieces_per_type": types["mean_pieces"],
            "whole_tokens": tokens["histogram"]["1"] / tokens["words"] if tokens["words"] else 0.0,
            "histogram_tokens": tokens["histogram"],
            "histogram_types": types["histogram"],
        }

    def to_dict(self) -> dict[str, Any]:
        """The saved form: our format tag and config, then the tokenizer's own JSON."""
        return {
            "format": FORMAT,
            "config": config_to_dict(self.config),
            "tokenizer": json.loads(self.tokenizer.to_str()),
        }

    def save(self, path: str | Path) -> None:
        """Write one JSON file atomically (``tokenizer`` inside it is HF ``tokenizer.json``)."""
        data = self.to_dict()
        with atomic_write(path) as handle:
            json.dump(data, handle, ensure_ascii=False)
            handle.write("\n")

    @classmethod
    def from_dict(cls, data: Any, source: str = "subword model") -> SubwordModel:
        """Rebuild from :meth:`to_dict`'s form; anything else raises :class:`ModelFormatError`."""
        check_format(data, FORMAT, "subword model", source)
        if not isinstance(data.get("tokenizer"), dict):
            raise ModelFormatError(f"{source}: the subword model holds no tokenizer")
        try:
            config = config_from_dict(SubwordConfig, data.get("config") or {})
        except ConfigError as exc:
            raise ModelFormatError(f"{source}: bad config in the model file ({exc})") from None
        try:
            tokenizer = Tokenizer.from_str(json.dumps(data["tokenizer"]))
        except Exception as exc:
            raise ModelFormatError(f"{source}: the tokenizer inside does not load ({exc})") from None
        if tokenizer.token_to_id(UNK) is None:
            raise ModelFormatError(f"{source}: the tokenizer inside has no {UNK} token")
        return cls(tokenizer, config)

    @classmethod
    def load(cls, path: str | Path) -> SubwordModel:
        """Read a file written by :meth:`save` (plain JSON, no pickle)."""
        path = Path(path)
        if path.is_dir():
            raise InputError(f"{path}: is a folder, not a subword model file")
        return cls.from_dict(read_json(path), str(path))

    def __repr__(self) -> str:
        return f"SubwordModel(model={self.config.model!r}, vocab_size={self.vocab_size})"
