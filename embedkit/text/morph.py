"""Lemmatisers and stemmers behind one per-type cache.

Text is Zipfian: most running tokens repeat a few thousand types, so each type is analysed once and
every later occurrence is a dictionary look-up. Russian lemmas come from pymorphy3 (the most probable
parse's normal form), English lemmas from lemminflect's bundled dictionaries, stems from NLTK's
Snowball stemmers; none of them needs a download.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

from embedkit.text.tokenize import CYRILLIC_RE

_EN_POS_ORDER = ("NOUN", "VERB", "ADJ", "ADV", "AUX", "PRON", "PROPN")


@functools.lru_cache(maxsize=1)
def morph_analyzer():
    """The shared pymorphy3 analyser (loading its dictionaries takes a moment; do it once)."""
    import pymorphy3

    return pymorphy3.MorphAnalyzer()


@functools.lru_cache(maxsize=1)
def plain_analyzer():
    """An analyser that returns plain tuples, skipping the ``Parse`` objects a lemma does not need."""
    import pymorphy3

    return pymorphy3.MorphAnalyzer(result_type=None)


def normal_form_builder(dictionary) -> Callable[[int, int, str], str]:
    """``dictionary.build_normal_form`` as one function over the paradigm tables it reads (the same string,
    without its method calls and attribute look-ups: a lemmatiser builds one per type)."""
    paradigms, prefixes, suffixes = dictionary.paradigms, dictionary.paradigm_prefixes, dictionary.suffixes

    def normal_form(para_id: int, idx: int, fixed: str) -> str:
        if not idx:  # the form is the normal form
            return fixed
        paradigm = paradigms[para_id]
        size = len(paradigm) // 3
        stem = fixed[len(prefixes[paradigm[2 * size + idx]]):len(fixed) - len(suffixes[paradigm[idx]])]
        return prefixes[paradigm[2 * size]] + stem + suffixes[paradigm[0]]

    return normal_form


class _TopLemma:
    """The normal form of pymorphy3's first parse, built for that parse alone.

    ``MorphAnalyzer.parse`` builds every parse of a word (normal form, tag, method stack), sorts them by
    P(tag | word) and the caller keeps the first. For a dictionary word this looks up the same paradigm
    entries, scores each tag the same way, takes the first of the highest (what the stable sort puts
    first) and builds one normal form: the same answer at about half the cost. Words the dictionary does
    not hold, and single capital letters (which the initials analysers also read), go to ``parse`` itself.
    """

    def __init__(self) -> None:
        morph = plain_analyzer()
        self.parse = morph.parse
        self.normal_form = normal_form_builder(morph.dictionary)
        self.similar_items = morph.dictionary.words.similar_items
        self.substitutes = morph.char_substitutes
        self.paradigms = morph.dictionary.paradigms
        self.tag_names = [str(tag) for tag in morph.dictionary.gramtab]  # P(t|w) is keyed "word:tag"
        estimator = morph.prob_estimator
        self.prob = estimator.p_t_given_w.get if estimator is not None else None
        self.initials = {c for unit in morph._units for c in getattr(unit.analyzer, "letters", "")}

    def __call__(self, word: str) -> str:
        if word in self.initials:
            return self.parse(word)[0][2]
        word_lower = word.lower()
        items = self.similar_items(word_lower, self.substitutes)
        if not items:
            return self.parse(word)[0][2]
        prob = self.prob
        if prob is None or (len(items) == 1 and len(items[0][1]) == 1):  # nothing to rank
            fixed_word, ((para_id, idx), *_) = items[0]
            return self.normal_form(para_id, idx, fixed_word)
        best, best_prob = None, -1
        paradigms, tag_names = self.paradigms, self.tag_names
        for fixed_word, parses in items:
            for para_id, idx in parses:
                paradigm = paradigms[para_id]
                p = prob(f"{word_lower}:{tag_names[paradigm[len(paradigm) // 3 + idx]]}", 0)
                if p > best_prob:
                    best, best_prob = (para_id, idx, fixed_word), p
        return self.normal_form(*best)


@functools.lru_cache(maxsize=1)
def _top_lemma() -> _TopLemma:
    return _TopLemma()


def russian_lemma(word: str) -> str:
    """Normal form of the most probable pymorphy3 parse (``кошками`` -> ``кошка``), as ``parse(word)[0]``."""
    return _top_lemma()(word)


def english_lemma(word: str) -> str:
    """Dictionary lemma from lemminflect.

    Readings are tried noun, verb, adjective, adverb; the first that changes the word wins, since an
    inflected reading is the one a lemmatiser exists for (``running`` -> ``run``, ``leaves`` -> ``leaf``).
    """
    from lemminflect import getAllLemmas, getAllLemmasOOV

    lemmas = getAllLemmas(word)
    readings = [lemmas[pos][0] for pos in _EN_POS_ORDER if pos in lemmas]
    readings += [forms[0] for pos, forms in lemmas.items() if pos not in _EN_POS_ORDER]
    if readings:
        return next((lemma for lemma in readings if lemma != word), readings[0])
    if not word.isalpha():
        return word
    return getAllLemmasOOV(word, upos="NOUN").get("NOUN", (word,))[0]


@functools.lru_cache(maxsize=2)
def _snowball(language: str):
    from nltk.stem.snowball import SnowballStemmer

    return SnowballStemmer(language)


def english_stem(word: str) -> str:
    """Snowball (Porter 2) stem."""
    return _snowball("english").stem(word)


def russian_stem(word: str) -> str:
    """Snowball Russian stem."""
    return _snowball("russian").stem(word)


def script_language(word: str) -> str:
    """``ru`` for a word with Cyrillic letters, else ``en``: how ``lang=auto`` routes each token."""
    return "ru" if CYRILLIC_RE.search(word) else "en"


def load_russian_analyzer() -> None:
    """Load pymorphy3's dictionaries now (before worker processes fork, so they share the memory)."""
    _top_lemma()


def word_normalizer(lang: str, mode: str) -> Callable[[str], str] | None:
    """The function that maps a token to its lemma or stem (``mode`` is lemma, stem or none)."""
    if mode == "none":
        return None
    table = {("en", "lemma"): english_lemma, ("ru", "lemma"): russian_lemma,
             ("en", "stem"): english_stem, ("ru", "stem"): russian_stem}
    if lang != "auto":
        return table[(lang, mode)]
    en, ru = table[("en", mode)], table[("ru", mode)]
    return lambda word: ru(word) if CYRILLIC_RE.search(word) else en(word)
