"""The preprocessing flags shared by `embedkit preprocess` and the model commands (one declaration each).

Every flag defaults to ``None`` (not given), so :func:`text_config` changes only what the user named and
the rest comes from the base config: the dataclass defaults, a ``--config`` file or the vectors' own
``preprocess.toml``.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import typer

from embedkit.cli.options import choice_help, default_help, switch_help
from embedkit.config import replace_config
from embedkit.text.config import LANGS, TOKENIZERS, PreprocessConfig

_TEXT = PreprocessConfig()
R = TypeVar("R")

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


# name -> (type, Typer option), in the order --help lists them
TEXT_FLAGS: dict[str, tuple[Any, Any]] = {
    "lang": (str | None, LANG),
    "lemmatize": (bool | None, LEMMATIZE),
    "lemma_context": (bool | None, LEMMA_CONTEXT),
    "pos_tags": (bool | None, POS_TAGS),
    "stem": (bool | None, STEM),
    "stopwords": (bool | None, STOPWORDS),
    "stopwords_file": (str | None, STOPWORDS_FILE),
    "remove_negation": (bool | None, REMOVE_NEGATION),
    "tokenizer": (str | None, TOKENIZER),
    "keep_punct": (bool | None, KEEP_PUNCT),
    "lowercase": (bool | None, LOWERCASE),
    "yo_to_e": (bool | None, YO_TO_E),
    "mask_urls": (bool | None, MASK_URLS),
    "mask_emails": (bool | None, MASK_EMAILS),
    "mask_numbers": (bool | None, MASK_NUMBERS),
    "min_length": (int | None, MIN_LENGTH),
}
MARKER = "text_flags"


def with_text_flags(command: Callable[..., R]) -> Callable[..., R]:
    """A command that takes every preprocessing flag, declared once here.

    The command's own parameter ``text_flags`` marks where the flags stand among its options; it receives
    them as one dict, flag name -> value (``None`` when not given), ready for :func:`text_config`.
    """
    signature = inspect.signature(command)
    names = list(signature.parameters)
    if MARKER not in names:
        raise TypeError(f"{command.__name__} has no {MARKER!r} parameter to put the preprocessing flags in")
    at = names.index(MARKER)
    params = list(signature.parameters.values())
    flags = [inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=option, annotation=hint)
             for name, (hint, option) in TEXT_FLAGS.items()]
    rest = [p.replace(kind=inspect.Parameter.KEYWORD_ONLY) for p in params[at + 1:]]

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> R:
        given = {name: kwargs.pop(name, None) for name in TEXT_FLAGS}
        return command(*args, **kwargs, **{MARKER: given})

    wrapper.__signature__ = signature.replace(parameters=params[:at] + flags + rest)  # type: ignore[attr-defined]
    hints = {name: hint for name, hint in command.__annotations__.items() if name != MARKER}
    wrapper.__annotations__ = {**hints, **{name: hint for name, (hint, _) in TEXT_FLAGS.items()}}
    return wrapper


def text_config(base: PreprocessConfig, flags: Mapping[str, Any]) -> PreprocessConfig:
    """``base`` with the flags the user gave (``None`` = not given) put over it."""
    unknown = set(flags) - set(TEXT_FLAGS)
    if unknown:
        raise TypeError(f"not preprocessing flags: {', '.join(sorted(unknown))}")
    return replace_config(base, **flags)
