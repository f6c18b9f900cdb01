"""The preprocessing flags shared by `embedkit preprocess` and the model commands (one declaration each).

Every flag defaults to ``None`` (not given), so :func:`text_config` changes only what the user named and
the rest comes from the base config: the dataclass defaults, a ``--config`` file or the vectors' own
``preprocess.toml``.
"""

from __future__ import annotations

import typer

from embedkit.cli.options import choice_help, default_help
from embedkit.config import replace_config
from embedkit.text.config import LANGS, TOKENIZERS, PreprocessConfig

_TEXT = PreprocessConfig()

LANG = typer.Option(None, "--lang", help=choice_help("Language (auto: per token by script)", LANGS, _TEXT, "lang"))
LEMMATIZE = typer.Option(None, "--lemmatize/--no-lemmatize", help="Lemmas (pymorphy3, lemminflect).")
LEMMA_CONTEXT = typer.Option(
    None, "--lemma-context/--no-lemma-context",
    help=f"Russian lemmas of ambiguous words chosen from the words around them "
         f"(default {str(PreprocessConfig.lemma_context).lower()}).")
POS_TAGS = typer.Option(
    None, "--pos-tags/--no-pos-tags", help="Russian lemmas as lemma_UPOS, RusVectores-style (кошка_NOUN).")
STEM = typer.Option(None, "--stem/--no-stem", help="Snowball stems.")
STOPWORDS = typer.Option(None, "--stopwords/--no-stopwords", help="Drop stop words.")
STOPWORDS_FILE = typer.Option(None, "--stopwords-file", help="Extra stop words, one a line.")
REMOVE_NEGATION = typer.Option(
    None, "--remove-negation/--keep-negation", help="Also drop negations (не, ни, not) as stop words.")
TOKENIZER = typer.Option(None, "--tokenizer", help=choice_help("Tokenizer", TOKENIZERS, _TEXT, "tokenizer"))
KEEP_PUNCT = typer.Option(None, "--keep-punct/--drop-punct", help="Keep punctuation tokens.")
LOWERCASE = typer.Option(None, "--lowercase/--keep-case", help="Lower-case the text.")
YO_TO_E = typer.Option(None, "--yo/--keep-yo", help="Replace ё with е.")
MASK_URLS = typer.Option(None, "--mask-urls/--keep-urls", help="URLs become <url>.")
MASK_EMAILS = typer.Option(None, "--mask-emails/--keep-emails", help="E-mails become <email>.")
MASK_NUMBERS = typer.Option(None, "--mask-numbers/--keep-numbers", help="Numbers become <num>.")
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
