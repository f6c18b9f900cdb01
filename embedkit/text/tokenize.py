"""Word tokenisers (regex, razdel, NLTK) and sentence splitters for English and Russian.

The default regex tokeniser keeps hyphenated words (``кто-то``, ``e-mail``), apostrophes (``don't``),
decimal numbers (``3.5``) and masks (``<url>``) whole; punctuation and emoji become tokens only when
punctuation is kept. Every tokeniser keeps placeholders whole: the masks wherever they stand, and any other
``<word>`` (PTB's ``<unk>``, ``<eos>``) that is not glued to a word or to other markup (``a<b>``, ``<br><br>``
stay markup).
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable

PLACEHOLDER = r"<(?:url|email|num)>|<(?<![\w<>]<)\w+>(?![\w<>])"
PLACEHOLDER_RE = re.compile(f"({PLACEHOLDER})")
# Combining marks (Unicode category M) of the Basic Multilingual Plane: ``\w`` lacks them, so without them a
# Devanagari vowel sign, a stress mark or the dot of a lower-cased ``İ`` would split a word in two. A run of
# them continues the word; astral marks (historic scripts) are left out, as their ranges would cost every
# word end a linear scan.
MARKS = "".join(char for char in map(chr, range(0x10000)) if unicodedata.category(char)[0] == "M")
_PIECE = rf"\w++(?:[{MARKS}]++\w*+)*+"
# Possessive quantifiers: a word's run is never given back (nothing after it could use it), so the regex
# engine keeps no backtracking state: tokenising takes about 7% less time.
WORD = rf"\d+(?:[.,]\d+)+|{_PIECE}(?:[-'’]{_PIECE})*+"
WORD_RE = re.compile(WORD)
PUNCT = r"[^\w\s]"
WORD_OR_PUNCT_RE = re.compile(f"{WORD}|{PUNCT}")
# Text with a "<" (rare) takes the slower patterns that also find placeholders.
_PLACEHOLDER_OR_WORD_RE = re.compile(f"{PLACEHOLDER}|{WORD}")
_PLACEHOLDER_WORD_OR_PUNCT_RE = re.compile(f"{PLACEHOLDER}|{WORD}|{PUNCT}")
CYRILLIC_RE = re.compile(r"[а-яё]", re.IGNORECASE)
_IS_WORD_RE = re.compile(r"\w")


def regex_tokenize(text: str, keep_punct: bool = False) -> list[str]:
    """Fast Unicode word tokeniser (the default)."""
    if "<" in text:
        return (_PLACEHOLDER_WORD_OR_PUNCT_RE if keep_punct else _PLACEHOLDER_OR_WORD_RE).findall(text)
    return (WORD_OR_PUNCT_RE if keep_punct else WORD_RE).findall(text)


LINE_BREAK = "\n"
# regex_tokenize's patterns, each also taking a line break as a token of its own (keep_punct, placeholders)
_LINES_RE = {(punct, placeholders): re.compile(f"{PLACEHOLDER + '|' if placeholders else ''}{WORD}"
                                               f"{'|' + PUNCT if punct else ''}|\n")
             for punct in (False, True) for placeholders in (False, True)}


def regex_tokenize_lines(text: str, keep_punct: bool = False) -> list[str]:
    """:func:`regex_tokenize` of each line of ``text`` at once, the lines' tokens separated by
    :data:`LINE_BREAK` tokens: one regex pass over a chunk instead of a call per line. Each line's tokens are
    what :func:`regex_tokenize` gives it (no pattern reaches across a line break)."""
    return _LINES_RE[(keep_punct, "<" in text)].findall(text)


def _around_placeholders(tokenize: Callable[[str, bool], list[str]], text: str, keep_punct: bool) -> list[str]:
    """``tokenize`` applied to the text between placeholders, which stay whole tokens."""
    if "<" not in text:
        return tokenize(text, keep_punct)
    pieces = PLACEHOLDER_RE.split(text)
    tokens: list[str] = []
    for index, piece in enumerate(pieces):
        if index % 2:
            tokens.append(piece)
        elif piece:
            tokens.extend(tokenize(piece, keep_punct))
    return tokens


def _razdel_tokens(text: str, keep_punct: bool) -> list[str]:
    from razdel import tokenize

    tokens = [tok.text for tok in tokenize(text)]
    return tokens if keep_punct else [t for t in tokens if _IS_WORD_RE.search(t)]


def razdel_tokenize(text: str, keep_punct: bool = False) -> list[str]:
    """razdel's rule-based tokeniser, tuned for Russian."""
    return _around_placeholders(_razdel_tokens, text, keep_punct)


@functools.lru_cache(maxsize=1)
def _nltk_word_tokenizer():
    from nltk.tokenize import NLTKWordTokenizer

    return NLTKWordTokenizer()


def _nltk_tokens(text: str, keep_punct: bool) -> list[str]:
    words = _nltk_word_tokenizer().tokenize  # splits off a full stop only at the end of what it is given
    tokens = [token for sentence in _punkt().tokenize(text) for token in words(sentence)]
    return tokens if keep_punct else [t for t in tokens if _IS_WORD_RE.search(t)]


def nltk_tokenize(text: str, keep_punct: bool = False) -> list[str]:
    """NLTK's Treebank-style word tokeniser after Punkt's sentences, as ``nltk.word_tokenize`` (with the
    bundled abbreviations instead of a downloaded Punkt model)."""
    return _around_placeholders(_nltk_tokens, text, keep_punct)


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
