"""Word tokenisers (regex, razdel, NLTK) and sentence splitters for English and Russian.

The default regex tokeniser keeps hyphenated words (``кто-то``, ``e-mail``), apostrophes (``don't``),
decimal numbers (``3.5``) and masks (``<url>``) whole; punctuation and emoji become tokens only when
punctuation is kept.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable

WORD = r"<(?:url|email|num)>|\d+(?:[.,]\d+)+|\w+(?:[-'’]\w+)*"
WORD_RE = re.compile(WORD)
WORD_OR_PUNCT_RE = re.compile(WORD + r"|[^\w\s]")
CYRILLIC_RE = re.compile(r"[а-яё]", re.IGNORECASE)
_IS_WORD_RE = re.compile(r"\w")


def regex_tokenize(text: str, keep_punct: bool = False) -> list[str]:
    """Fast Unicode word tokeniser (the default)."""
    return (WORD_OR_PUNCT_RE if keep_punct else WORD_RE).findall(text)


def razdel_tokenize(text: str, keep_punct: bool = False) -> list[str]:
    """razdel's rule-based tokeniser, tuned for Russian."""
    from razdel import tokenize

    tokens = [tok.text for tok in tokenize(text)]
    return tokens if keep_punct else [t for t in tokens if _IS_WORD_RE.search(t)]


@functools.lru_cache(maxsize=1)
def _nltk_word_tokenizer():
    from nltk.tokenize import NLTKWordTokenizer

    return NLTKWordTokenizer()


def nltk_tokenize(text: str, keep_punct: bool = False) -> list[str]:
    """NLTK's Treebank-style word tokeniser (needs no downloaded data)."""
    tokens = _nltk_word_tokenizer().tokenize(text)
    return tokens if keep_punct else [t for t in tokens if _IS_WORD_RE.search(t)]


TOKENIZERS: dict[str, Callable[[str, bool], list[str]]] = {
    "regex": regex_tokenize,
    "razdel": razdel_tokenize,
    "nltk": nltk_tokenize,
}


@functools.lru_cache(maxsize=1)
def _punkt():
    from nltk.tokenize.punkt import PunktParameters, PunktSentenceTokenizer

    from embedkit.resources import resource_path

    params = PunktParameters()
    lines = resource_path("abbreviations_en.txt").read_text(encoding="utf-8").splitlines()
    params.abbrev_types = {ln.strip() for ln in lines if ln.strip() and not ln.startswith("#")}
    return PunktSentenceTokenizer(params)


def split_sentences(text: str, lang: str = "auto") -> list[str]:
    """Sentences of a text: razdel for Russian (or Cyrillic text under ``auto``), Punkt for English."""
    if lang == "ru" or (lang == "auto" and CYRILLIC_RE.search(text)):
        from razdel import sentenize

        return [s.text for s in sentenize(text)]
    return _punkt().tokenize(text)
