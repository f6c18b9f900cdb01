"""The preprocessing flags shared by `embedkit preprocess` and the model commands (one declaration each).

Every flag defaults to ``None`` (not given), so :func:`text_config` changes only what the user named and
the rest comes from the base config: the dataclass defaults, a ``--config`` file or the vectors' own
``preprocess.toml``.
"""

from __future__ import annotations

import typer

from embedkit.cli.options import choice_help, default_help, switch_help
from embedkit.config import replace_config
from embedkit.text.config import LANGS, TOKENIZERS, PreprocessConfig

_TEXT = PreprocessConfig()

LANG = typer.Option(None, "--lang", help=choice_help("Language (auto: per token by script)", LANGS, _TEXT, "lang"))
LEMMATIZE = typer.Option(None, "--lemmatize/--no-lemmatize", help=switch_help(
    "Lemmas (pymorphy3, lemminflect).", _TEXT, "lemmatize", "--lemmatize", "--no-lemmatize"))
LEMMA_CONTEXT = typer.Option(None, "--lemma-context/--no-lemma-context", help=switch_help(
    "Russian lemmas of ambiguous words chosen from the words around them.", _TEXT, "lemma_context",
    "--lemma-context", "--no-lemma-context"))
POS_TAGS = typer.Option(None, "--pos-tags/--no-pos-tags", help=switch_help(
    "Russian lemmas as lemma_UPOS, RusVectores-style (кошка_NOUN).", _TEXT, "pos_tags", "--pos-tags",
    "--no-pos-tags"))
STEM = typer.Option(None, "--stem/--no-stem", help=switch_help("Snowball stems.", _TEXT, "stem", "--stem", "--no-stem"))
STOPWORDS = typer.Option(None, "--stopwords/--no-stopwords", help=switch_help(
    "Drop stop words.", _TEXT, "stopwords", "--stopwords", "--no-stopwords"))
STOPWORDS_FILE = typer.Option(None, "--stopwords-file", help=default_help(
    "Extra stop words, one a line.", _TEXT, "stopwords_file", shown="none"))
REMOVE_NEGATION = typer.Option(None, "--remove-negation/--keep-negation", help=switch_help(
    "Also drop negations (не, ни, not) as stop words.", _TEXT, "remove_negation", "--remove-negation",
    "--keep-negation"))
TOKENIZER = typer.Option(None, "--tokenizer", help=choice_help("Tokenizer", TOKENIZERS, _TEXT, "tokenizer"))
KEEP_PUNCT = typer.Option(None, "--keep-punct/--drop-punct", help=switch_help(
    "Keep punctuation tokens.", _TEXT, "keep_punct", "--keep-punct", "--drop-punct"))
LOWERCASE = typer.Option(None, "--lowercase/--keep-case", help=switch_help(
    "Lower-case the text.", _TEXT, "lowercase", "--lowercase", "--keep-case"))
YO_TO_E = typer.Option(None, "--yo/--keep-yo", help=switch_help(
    "Replace ё with е.", _TEXT, "yo_to_e", "--yo", "--keep-yo"))
MASK_URLS = typer.Option(None, "--mask-urls/--keep-urls", help=switch_help(
    "URLs become <url>.", _TEXT, "mask_urls", "--mask-urls", "--keep-urls"))
MASK_EMAILS = typer.Option(None, "--mask-emails/--keep-emails", help=switch_help(
    "E-mails become <email>.", _TEXT, "mask_emails", "--mask-emails", "--keep-emails"))
MASK_NUMBERS = typer.Option(None, "--mask-numbers/--keep-numbers", help=switch_help(
    "Numbers become <num>.", _TEXT, "mask_numbers", "--mask-numbers", "--keep-numbers"))
MIN_LENGTH = typer.Option(None, "--min-length", help=default_help("Drop tokens shorter than this.", _TEXT,
                                                                  "min_length"))


def text_config(base: PreprocessConfig, *, lang: str | None = None, lemmatize: bool | None = None,
                lemma_context: bool | None = None, pos_tags: bool | None = None, stem: bool | None = None,
                stopwords: bool | None = None, stopwords_file: str | None = None,
                remove_negation: bool | None = None, tokenizer: str | None = None, keep_punct: bool | None = None,
                lowercase: bool | None = None, yo_to_e: bool | None = None, mask_urls: bool | None = None,
                mask_emails: bool | None = None, mask_numbers: bool | None = None,
                min_length: int | None = None) -> PreprocessConfig:
    """``base`` with the flags the user gave (``None`` = not given) put over it."""
    return replace_config(base, lang=lang, lemmatize=lemmatize, lemma_context=lemma_context, pos_tags=pos_tags,
                          stem=stem, stopwords=stopwords, stopwords_file=stopwords_file,
                          remove_negation=remove_negation, tokenizer=tokenizer, keep_punct=keep_punct,
                          lowercase=lowercase, yo_to_e=yo_to_e, mask_urls=mask_urls, mask_emails=mask_emails,
                          mask_numbers=mask_numbers, min_length=min_length)
