"""Configuration of the text room: preprocessing steps and subword training."""

from __future__ import annotations

import dataclasses

from embedkit.config import check_choice, check_numbers, check_positive, check_workers
from embedkit.errors import ConfigError

LANGS = ("auto", "en", "ru")
TOKENIZERS = ("regex", "razdel", "nltk")
UNITS = ("line", "file")
OUTPUT_FORMATS = ("text", "jsonl")
SPECIALS = ("<pad>", "<unk>", "<bos>", "<eos>")
SUBWORD_MODELS = ("bpe", "unigram")


@dataclasses.dataclass(frozen=True)
class PreprocessConfig:
    """Steps of :class:`embedkit.text.Pipeline`, in the order they run.

    ``lemma_context``: Russian lemmas of ambiguous words are chosen from their neighbours
    (:mod:`embedkit.text.lemma_context`), else every word takes pymorphy3's most probable parse.
    ``pos_tags``: Russian lemmas carry their UD part of speech, RusVectores-style (``кошка_NOUN``).
    """

    lang: str = "auto"
    nfkc: bool = True
    lowercase: bool = True
    yo_to_e: bool = False
    mask_urls: bool = False
    mask_emails: bool = False
    mask_numbers: bool = False
    tokenizer: str = "regex"
    keep_punct: bool = False
    stopwords: bool = False
    remove_negation: bool = False
    stopwords_file: str | None = None
    lemmatize: bool = False
    lemma_context: bool = False
    pos_tags: bool = False
    stem: bool = False
    min_length: int = 1
    sentences: bool = False
    unit: str = "line"
    output_format: str = "text"
    encoding: str = "utf-8"
    glob: str = "**/*"
    workers: int = 1

    def __post_init__(self) -> None:
        check_numbers(self)
        check_choice("language", self.lang, LANGS)
        check_choice("tokenizer", self.tokenizer, TOKENIZERS)
        check_choice("document unit", self.unit, UNITS)
        check_choice("output format", self.output_format, OUTPUT_FORMATS)
        check_workers("workers", self.workers)
        check_positive("min_length", self.min_length)
        if self.lemmatize and self.stem:
            raise ConfigError("choose either lemmatize or stem, not both")
        if self.stopwords_file is not None and not self.stopwords:
            raise ConfigError("stopwords_file adds to the stop-word list: set stopwords too (--stopwords)")
        if self.pos_tags and not self.lemmatize:
            raise ConfigError("pos_tags tags lemmas: set lemmatize too")
        if self.pos_tags and self.lang == "en":
            raise ConfigError("pos_tags comes from the Russian analyser: use lang ru or auto")


@dataclasses.dataclass(frozen=True)
class SubwordConfig:
    """Options of :class:`embedkit.text.subword.SubwordModel` training."""

    model: str = "bpe"
    vocab_size: int = 8000
    min_frequency: int = 2
    specials: tuple[str, ...] = SPECIALS

    def __post_init__(self) -> None:
        check_numbers(self)
        check_choice("subword model", self.model, SUBWORD_MODELS)
        check_positive("vocab_size", self.vocab_size)
        check_positive("min_frequency", self.min_frequency)
