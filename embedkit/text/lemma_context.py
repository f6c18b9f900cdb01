"""Russian lemmas chosen in context, at the cost of a dictionary look-up for most tokens.

Most word types have one lemma in every pymorphy3 parse (``кошками``: кошка), so the lemma is a property
of the type and is cached once. A few are lemma-ambiguous (``стали``: сталь / стать, ``мою``: мой / мыть,
``его``: он / его, ``этого``: это / этот): for those, each parse's probability P(tag | word) from
pymorphy3's bundled corpus statistics is multiplied by factors for what the neighbouring words can be
(their possible tags, again from pymorphy3), and the lemma with the largest total wins. Nothing is trained
here; the factors are a handful of grammar rules:

- a preposition governs the case of the noun phrase after it (``из стали``: сталь, genitive), and a verb
  reading right after a preposition is unlikely;
- an adjective, participle or determiner agrees with the noun after it (``мою книгу``: мой), a noun
  with an adjective before it;
- a finite verb agrees with a personal pronoun before it (``мы стали``: стать, ``я мою``: мыть) and a
  verb is often followed by an infinitive (``стали говорить``);
- a verb reading takes a direct object (``мою руки``: мыть);
- with case kept (``lowercase = false``), a capitalised word inside a sentence prefers proper-noun readings
  (Name, Surn, Patr, Geox, Orgn) and a lower-case one avoids them, and a first name agrees with a surname.

Two conventions follow Universal Dependencies, against which the choice is measured
(``benchmarks/lemma_accuracy.py``): the vowel variants of prepositions keep their form (``во``, ``со``,
``ко``, ``об``), and ``тот``, ``этот``, ``весь`` with no noun phrase after them are the pronouns ``то``,
``это``, ``всё``. Lemmas are lower-case, as pymorphy3 writes them.

With ``pos_tags`` every lemma carries its Universal Dependencies part of speech, RusVectores-style
(``кошка_NOUN``), mapped from the OpenCorpora tag of the chosen parse (:func:`upos`).
"""

from __future__ import annotations

import functools
import math
import operator
from collections.abc import Callable, Sequence
from typing import NamedTuple

from embedkit.text.morph import english_lemma, plain_analyzer
from embedkit.text.tokenize import CYRILLIC_RE

AMBIGUOUS = "\x00"  # a per-type cache's value for a type whose lemma depends on its neighbours

_OC_UPOS = {
    "NOUN": "NOUN", "ADJF": "ADJ", "ADJS": "ADJ", "COMP": "ADV", "VERB": "VERB", "INFN": "VERB",
    "PRTF": "VERB", "PRTS": "VERB", "GRND": "VERB", "NUMR": "NUM", "ADVB": "ADV", "NPRO": "PRON",
    "PRED": "ADV", "PREP": "ADP", "CONJ": "CCONJ", "PRCL": "PART", "INTJ": "INTJ",
    "LATN": "X", "PNCT": "PUNCT", "NUMB": "NUM", "intg": "NUM", "real": "NUM", "ROMN": "NUM", "UNKN": "X",
}
_PROPER = frozenset({"Name", "Surn", "Patr", "Geox", "Orgn", "Trad"})
_CASE = {"gen1": "gent", "gen2": "gent", "loc1": "loct", "loc2": "loct", "acc2": "accs", "voct": "nomn"}
_CASE_BEARING = frozenset({"NOUN", "ADJF", "PRTF", "NPRO", "NUMR"})
_MODIFIER = frozenset({"ADJF", "PRTF"})
_NO_CASE = frozenset({"VERB", "INFN", "GRND", "PRTS", "ADJS", "COMP", "PRED", "ADVB", "CONJ", "PRCL"})
_FLAGS = ("Apro", "Fixd", "tran", "anim")
_CLITICS = frozenset({"же", "ж", "ли", "ль", "бы", "б", "Же", "Ли", "Бы"})
_RELATIVE = ("котор", "как", "чей", "чья", "чье", "чьё", "чьи", "чьей", "чьего", "чьему", "чьим", "чьих")

# Cases a preposition governs (Russian grammar, not learnt from data).
PREPOSITION_CASES = {
    "в": "accs loct", "во": "accs loct", "на": "accs loct", "о": "loct accs", "об": "loct accs",
    "обо": "loct accs", "при": "loct", "по": "datv loct accs", "к": "datv", "ко": "datv",
    "благодаря": "datv", "согласно": "datv", "вопреки": "datv", "навстречу": "datv",
    "с": "gent ablt accs", "со": "gent ablt accs", "за": "accs ablt", "под": "accs ablt",
    "подо": "accs ablt", "над": "ablt", "надо": "ablt", "перед": "ablt", "передо": "ablt", "пред": "ablt",
    "между": "ablt gent", "через": "accs", "сквозь": "accs", "про": "accs", "включая": "accs",
    "из": "gent", "изо": "gent", "от": "gent", "ото": "gent", "до": "gent", "для": "gent", "у": "gent",
    "без": "gent", "безо": "gent", "около": "gent", "после": "gent", "вокруг": "gent", "против": "gent",
    "среди": "gent", "кроме": "gent", "возле": "gent", "из-за": "gent", "из-под": "gent", "вдоль": "gent",
    "мимо": "gent", "внутри": "gent", "вне": "gent", "ради": "gent", "вместо": "gent", "близ": "gent",
    "напротив": "gent", "насчет": "gent", "насчёт": "gent", "путем": "gent", "путём": "gent",
    "вследствие": "gent", "посредством": "gent", "помимо": "gent", "позади": "gent", "впереди": "gent",
}
_PREPOSITIONS = {word: frozenset(cases.split()) for word, cases in PREPOSITION_CASES.items()}
# keyed by the token as it stands (lower-case or capitalised), so no token is lower-cased per occurrence
_GOVERNS_NEXT = {form: (cases, True) for word, cases in _PREPOSITIONS.items() for form in (word, word.capitalize())}
_GOVERNS_LATER = {form: (cases, False) for word, cases in _PREPOSITIONS.items() for form in (word, word.capitalize())}
_PERSONAL = {"я": ("1per", "sing", None), "ты": ("2per", "sing", None), "он": ("3per", "sing", "masc"),
             "она": ("3per", "sing", "femn"), "оно": ("3per", "sing", "neut"), "мы": ("1per", "plur", None),
             "вы": ("2per", "plur", None), "они": ("3per", "plur", None)}
_N_LESS = frozenset({"его", "её", "ее", "их", "им", "ими", "ему", "ей", "ею", "ем"})
# Universal Dependencies conventions (see the module docstring).
PREPOSITION_VARIANTS = frozenset({"во", "со", "ко", "об", "обо", "ото", "изо", "подо", "надо", "передо",
                                  "предо", "безо"})
DETERMINER_PRONOUNS = {"тот": "то", "этот": "это", "весь": "всё"}

# Rule weights: log-factors on a parse's probability.
GOVERNED = 3.0         # case a preceding preposition governs
NOT_GOVERNED = -2.5    # a case-bearing reading in a case the preposition does not govern
NO_CASE_AFTER_PREP = -4.0  # a verb or adverb reading right after a preposition
AGREES_RIGHT = 3.5     # a modifier agreeing with the noun phrase after it
AGREES_LEFT = 1.5      # a noun agreeing with a modifier before it
SUBJECT_VERB = 5.0     # a verb agreeing with a personal pronoun before it
VERB_INFINITIVE = 1.5  # a finite verb followed by an infinitive
VERB_OBJECT = 1.0      # a transitive verb followed by an accusative noun (no other reading agrees with it)
PROPER_CASE = 1.0      # a capitalised word inside a sentence (case kept): proper-noun readings
NAME_SURNAME = 1.5     # a name agreeing with a proper noun beside it
PRIOR_POWER = 0.5      # P(lemma | word) ** this: pymorphy3's corpus probabilities are sharp; context must reach
OBJECT_PRONOUN = 2.0   # a personal pronoun (object case) right after a transitive verb
POSSESSIVE_ALONE = -2.0  # an indeclinable possessive (его, её, их) with no noun phrase after it
DISAGREES = -1.5       # a modifier before a noun it cannot agree with (мою руки)
APPOSITION = 1.5       # a proper noun in the case of an animate noun before it (императора Карла)
CHOICE_CACHE = 1 << 18  # choices remembered by (word, neighbours) before the memory starts afresh
MIN_ALTERNATIVE = 0.005 # a lemma with less of P(t|w) than this is not a choice the context can make
LOOKED_UP_KEPT = 1 << 16  # dictionary entries kept from a type's analysis for its use as a neighbour
SMOOTH = 1e-3          # probability floor, so that context can reach a parse P(t|w) never saw
NEIGHBOUR_MIN = 0.01   # a neighbour's reading below this probability is not considered


class Reading(NamedTuple):
    """One pymorphy3 parse reduced to what the rules look at."""

    lemma: str
    upos: str
    pos: str
    case: str | None
    number: str | None
    gender: str | None
    person: str | None
    flags: frozenset[str]
    prob: float


def upos(tag: object) -> str:
    """Universal Dependencies part of speech of a pymorphy3 (OpenCorpora) tag.

    Pronominal adjectives (Apro: мой, этот) are DET, names and places (Name, Surn, Patr, Geox, Orgn) PROPN,
    comparatives and predicatives ADV; what has no counterpart is X.
    """
    grams = _grammemes(str(tag))
    pos = _pos_of(grams)
    if pos == "NOUN" and grams & _PROPER:
        return "PROPN"
    if pos == "ADJF" and "Apro" in grams:
        return "DET"
    return _OC_UPOS.get(pos, "X")


@functools.lru_cache(maxsize=4096)
def _grammemes(tag: str) -> frozenset[str]:
    return frozenset(tag.replace(" ", ",").split(","))


def _pos_of(grams: frozenset[str]) -> str:
    for gram in grams:
        if gram in _OC_UPOS:
            return gram
    return "UNKN"


@functools.lru_cache(maxsize=4096)
def _tag_features(tag: str) -> tuple[str, str, str | None, str | None, str | None, str | None, frozenset[str]]:
    grams = _grammemes(tag)
    pos = _pos_of(grams)
    case = next((_CASE.get(g, g) for g in grams if g in _CASES), None)
    number = "sing" if "sing" in grams else "plur" if "plur" in grams else None
    gender = next((g for g in ("masc", "femn", "neut") if g in grams), None)
    person = next((g for g in ("1per", "2per", "3per") if g in grams), None)
    flags = frozenset(g for g in grams if g in _FLAGS or g in _PROPER)
    return upos(tag), pos, case, number, gender, person, flags


_CASES = frozenset({"nomn", "gent", "datv", "accs", "ablt", "loct", "gen1", "gen2", "loc1", "loc2", "acc2",
                    "voct"})


def _agree(a: Reading, b: Reading) -> bool:
    """Case, number and (in the singular) gender match; an indeclinable (Fixd) modifier agrees with anything."""
    if "Fixd" in a.flags or "Fixd" in b.flags:
        return True
    if a.case is not None and b.case is not None and a.case != b.case:
        return False
    if a.number is not None and b.number is not None and a.number != b.number:
        return False
    if a.number == "sing" and a.gender and b.gender and a.gender != b.gender:
        return False
    return True


@functools.lru_cache(maxsize=8192)
def _reduced(tag: str) -> tuple:
    """What the rules see of a tag; an indeclinable modifier (его, её, их) has no case, number or gender."""
    upos_tag, pos, case, number, gender, person, flags = _tag_features(tag)
    if "Fixd" in flags and pos != "NOUN":
        case = number = gender = None
    return upos_tag, pos, case, number, gender, person, flags


class _Choice(NamedTuple):
    readings: tuple[Reading, ...]  # the plausible readings of an ambiguous word, lemma by lemma
    prior: tuple[float, ...]       # PRIOR_POWER * log P(lemma | word), per lemma
    bits: tuple[int, ...]          # each reading's agreement class, as a bit of _CLASSES
    verb_bits: tuple[int, ...]     # each reading's person, number and gender, as a bit of _VERB_CLASSES
    sizes: tuple[int, ...]         # how many readings each lemma has (they stand together, in order)


def _make_choice(groups: dict[tuple[str, str], list[Reading]]) -> _Choice:
    readings = tuple(r for group in groups.values() for r in group)
    prior = tuple(PRIOR_POWER * math.log(sum(r.prob + SMOOTH for r in group)) for group in groups.values())
    return _Choice(readings, prior, tuple(map(_class_bit, readings)), tuple(map(_verb_bit, readings)),
                   tuple(map(len, groups.values())))


def _heads_phrase(r: Reading) -> bool:
    """A reading a modifier before it agrees with: a noun, a qualitative adjective or participle, a numeral."""
    return r.pos == "NOUN" or r.pos == "NUMR" or (r.pos in _MODIFIER and not r.flags & _PRONOMINAL)


_PRONOMINAL = frozenset({"Apro", "Fixd"})
_RULED = frozenset({"NOUN", "ADJF", "PRTF", "NPRO", "NUMR", "VERB"})  # parts of speech a rule can favour


def _dominates(t: Reading, a: Reading) -> bool:
    """Whether reading ``t`` gets at least what ``a`` gets from the rules in every context.

    Either the rules see the same in both (gender aside for pronouns, which nothing agrees with), or ``a`` is
    of a part of speech no rule favours and ``t`` can lose only what ``a`` loses too (after a preposition).
    """
    if a.lemma == "самый" or t.lemma == "самый":
        return False
    if (t.pos, t.case, t.number, t.person, t.flags) == (a.pos, a.case, a.number, a.person, a.flags):
        return t.gender == a.gender or t.pos == "NPRO"
    if a.pos in _RULED or a.flags & _PROPER or t.pos in _CASE_BEARING or t.pos in _MODIFIER:
        return False
    return a.pos in _NO_CASE or t.pos not in _NO_CASE


# -- the rules as tables ---------------------------------------------------------------------------
# The rules above look at a neighbour's readings one by one. To settle a token in a few look-ups, what a
# neighbour offers them is read off once per set of readings as bit masks over the agreement classes (case,
# number, gender, indeclinable) a reading can be in, and over a verb's person, number and gender;
# :meth:`ContextLemmatizer._left_part` and ``_right_part`` then give each rule's answer with one bit test.
# :meth:`ContextLemmatizer.choose_by_rules` applies the rules themselves, and the tests hold the two equal.
_CASE_VALUES = (None, "nomn", "gent", "datv", "accs", "ablt", "loct")
_NUMBER_VALUES = (None, "sing", "plur")
_GENDER_VALUES = (None, "masc", "femn", "neut")
_PERSON_VALUES = (None, "1per", "2per", "3per")
_FIXED = frozenset({"Fixd"})
_CLASSES = tuple(Reading("", "", "", case, number, gender, None, _FIXED if fixed else frozenset(), 0.0)
                 for case in _CASE_VALUES for number in _NUMBER_VALUES for gender in _GENDER_VALUES
                 for fixed in (False, True))
_CLASS_BITS = {(r.case, r.number, r.gender, "Fixd" in r.flags): 1 << k for k, r in enumerate(_CLASSES)}
_VERB_CLASSES = tuple(Reading("", "VERB", "VERB", None, number, gender, person, frozenset(), 0.0)
                      for number in _NUMBER_VALUES for person in _PERSON_VALUES for gender in _GENDER_VALUES)
_VERB_BITS = {(r.number, r.person, r.gender): 1 << k for k, r in enumerate(_VERB_CLASSES)}


def _class_bit(r: Reading) -> int:
    return _CLASS_BITS[(r.case, r.number, r.gender, "Fixd" in r.flags)]


def _verb_bit(r: Reading) -> int:
    return _VERB_BITS[(r.number, r.person, r.gender)]


@functools.cache
def _agreement(case: str | None, number: str | None, gender: str | None, fixed: bool) -> tuple[int, int]:
    """The classes ``c`` a reading with these traits agrees with as ``_agree(n, c)`` and as ``_agree(c, n)``."""
    n = Reading("", "", "", case, number, gender, None, _FIXED if fixed else frozenset(), 0.0)
    return (sum(1 << k for k, c in enumerate(_CLASSES) if _agree(n, c)),
            sum(1 << k for k, c in enumerate(_CLASSES) if _agree(c, n)))


@functools.cache
def _subject_of(lemma: str) -> int:
    """The verb classes a personal pronoun (nominative) is a subject of."""
    pronoun = Reading(lemma, "PRON", "NPRO", "nomn", None, None, None, frozenset(), 0.0)
    return sum(1 << k for k, verb in enumerate(_VERB_CLASSES) if ContextLemmatizer._subject((pronoun,), verb))


_NO_LEFT = (False, 0, 0, frozenset(), 0)  # transitive verb, modifier, proper noun, animate noun cases, subject
_NO_RIGHT = (0, 0, 0, False, False, False)  # phrase head, adjective, proper noun, noun, infinitive, accusative noun


def _left_traits(near: Sequence[Reading]) -> tuple:
    """What the rules of :meth:`ContextLemmatizer._left_bonus` see of a word before: as _NO_LEFT."""
    transitive, modifier, proper, subject = False, 0, 0, 0
    animate: set[str | None] = set()
    for n in near:
        pos = n.pos
        if pos in ("VERB", "INFN", "GRND") and "tran" in n.flags:
            transitive = True
        if pos in _MODIFIER and "Fixd" not in n.flags:
            modifier |= _agreement(n.case, n.number, n.gender, False)[0]
        if pos == "NOUN":
            if n.flags & _PROPER:
                proper |= _agreement(n.case, n.number, n.gender, "Fixd" in n.flags)[0]
            elif "anim" in n.flags:
                animate.add(n.case)
        if pos == "NPRO" and n.case == "nomn" and n.lemma in _PERSONAL:
            subject |= _subject_of(n.lemma)
    return transitive, modifier, proper, frozenset(animate), subject


def _right_traits(near: Sequence[Reading]) -> tuple:
    """What the rules of :meth:`ContextLemmatizer._right_bonus` see of a word after: as _NO_RIGHT."""
    head, adjective, proper, noun, infinitive, object_noun = 0, 0, 0, False, False, False
    for n in near:
        first, second = _agreement(n.case, n.number, n.gender, "Fixd" in n.flags)
        if _heads_phrase(n):
            head |= second
        if n.pos == "ADJF":
            adjective |= second
        if n.pos == "NOUN":
            noun = True
            object_noun = object_noun or n.case == "accs"
            if n.flags & _PROPER:
                proper |= first
        infinitive = infinitive or n.pos == "INFN"
    return head, adjective, proper, noun, infinitive, object_noun


# the cases a preposition governs, and whether it stands right before the word, numbered
_GOVERNED_LIST = list(dict.fromkeys([*_GOVERNS_NEXT.values(), *_GOVERNS_LATER.values()]))
_GOVERNED_IDS = {governed: k for k, governed in enumerate(_GOVERNED_LIST)}
_GOVERNS_NEXT_ID = {form: _GOVERNED_IDS[governed] for form, governed in _GOVERNS_NEXT.items()}
_GOVERNS_LATER_ID = {form: _GOVERNED_IDS[governed] for form, governed in _GOVERNS_LATER.items()}
_NOT_A_NEIGHBOUR = (0, 0, False)  # what punctuation is to its neighbours: nothing (and not a modifier)


class ContextLemmatizer:
    """Lemmas of Russian tokens in context; the per-type part is cached.

    :meth:`type_form` answers a type alone: its lemma when every parse gives the same one, else
    :data:`AMBIGUOUS`; :meth:`choose` settles an ambiguous token from its neighbours; :meth:`lemmatize`
    does both for a list of tokens. ``cased`` says the tokens keep their case (capitals mark proper nouns).
    With ``context=False`` every type takes its most probable parse, as ``morph.parse(word)[0]`` (with
    ``pos_tags``, its part of speech too), and nothing is ambiguous.
    """

    def __init__(self, pos_tags: bool = False, cased: bool = False, context: bool = True) -> None:
        self.pos_tags = pos_tags
        self.cased = cased
        self.context = context
        morph = plain_analyzer()  # parses as tuples: the same as morph_analyzer's, without Parse objects
        self._parse = morph.parse
        self._dictionary = morph.dictionary
        self._similar = morph.dictionary.words.similar_items
        self._substitutes = morph.char_substitutes
        self._initials = {c for unit in morph._units for c in getattr(unit.analyzer, "letters", "")}
        self._readings: dict[str, tuple[Reading, ...]] = {}
        self._forms: dict[str, str] = {}
        self._choices: dict[str, _Choice] = {}
        # what each word is as a neighbour (:meth:`_neighbour`), through the tag sets words share
        self._neighbours: dict[str, tuple[int, int, bool]] = {}
        self._tag_sets: dict[tuple, tuple[int, int, bool]] = {}
        self._looked_up: dict[str, list] = {}  # dictionary entries of the types analysed last, for _neighbour
        self._trait_sets: dict[tuple[str, frozenset[tuple]], tuple[int, int, bool]] = {}
        self._lefts: dict[tuple, int] = {_NO_LEFT: 0}
        self._rights: dict[tuple, int] = {_NO_RIGHT: 0}
        self._left_list: list[tuple] = [_NO_LEFT]
        self._right_list: list[tuple] = [_NO_RIGHT]
        # choices remembered: per occurrence's context, per part of the context, per parts
        self._decided: dict[tuple, str] = {}
        self._parts: dict[tuple, int] = {}
        self._chosen: dict[tuple, str] = {}
        self._vector_ids: dict[tuple, int] = {}
        self._vectors: list[tuple] = []
        self._paradigms = morph.dictionary.paradigms
        self._prefixes, self._suffixes = morph.dictionary.paradigm_prefixes, morph.dictionary.suffixes
        self._tag_names = [str(tag) for tag in morph.dictionary.gramtab]
        self._tag_reduced: list[tuple | None] = [None] * len(self._tag_names)
        estimator = morph.prob_estimator
        self._prob = estimator.p_t_given_w.get if estimator is not None else None
        self._prob_scale = estimator.p_t_given_w.MULTIPLIER if estimator is not None else 1

    # -- one type --------------------------------------------------------------------------------
    def _entries(self, word: str, items: list | None = None) -> list[tuple[str, tuple, float]]:
        """Each parse of a word as (lemma, reduced tag, P(t|w)), in the dictionary's order.

        A dictionary word is read off its paradigms' tags and P(t|w), as ``MorphAnalyzer.parse`` scores it
        but without building ``Parse`` objects, one normal form per paradigm; other words go through ``parse``.
        ``items`` are the word's dictionary entries when looked up already. What the word is as a neighbour
        is read off the same parses (:meth:`_neighbour`).
        """
        if items is None:
            items = self._items(word)
        lower = word.lower()
        if not items:
            parses = self._parse(word)
            reduced = [_reduced(str(parse[1])) for parse in parses]
            if word[:1].isalnum():
                tags = {tag for tag, parse in zip(reduced, parses, strict=True) if parse[3] >= NEIGHBOUR_MIN}
                self._neighbours[word] = self._relative(lower, self._context(tags or {reduced[0]}, lower))
            return [(parse[2], tag, parse[3]) for parse, tag in zip(parses, reduced, strict=True)]
        paradigms, build = self._paradigms, self._lemma
        lemmas: list[str] = []
        tags: list[int] = []
        built: dict[tuple[str, int], str] = {}
        for fixed, parses in items:
            for para_id, idx in parses:
                lemma = built.get((fixed, para_id))
                if lemma is None:
                    lemma = built[(fixed, para_id)] = build(para_id, idx, fixed)
                lemmas.append(lemma)
                paradigm = paradigms[para_id]
                tags.append(paradigm[len(paradigm) // 3 + idx])
        prob, names = self._prob, self._tag_names
        raw = [prob(f"{lower}:{names[tag]}", 0) for tag in tags] if prob and len(tags) > 1 else [0]
        if word[:1].isalnum():
            self._neighbours[word] = self._dictionary_neighbour(lower, tags, raw)
        if any(raw):
            scale = self._prob_scale
            probs = [p / scale for p in raw]
        else:
            probs = [1.0 / len(tags)] * len(tags)
        reduced = self._tag_reduced
        return [(lemma, reduced[tag] or self._reduce(tag), p)
                for lemma, tag, p in zip(lemmas, tags, probs, strict=True)]

    def _reduce(self, tag: int) -> tuple:
        """:func:`_reduced` of a tag by its gramtab number (remembered in ``_tag_reduced``)."""
        found = self._tag_reduced[tag] = _reduced(self._tag_names[tag])
        return found

    def readings(self, word: str) -> tuple[Reading, ...]:
        """The word's parses as :class:`Reading` tuples, most probable first (cached per type); parses the
        rules cannot tell apart are one reading, their probabilities summed."""
        found = self._readings.get(word)
        if found is None:
            found = self._readings[word] = self._merge(self._entries(word))
        return found

    @staticmethod
    def _merge(entries: list[tuple[str, tuple, float]]) -> tuple[Reading, ...]:
        merged: dict[tuple, float] = {}
        for lemma, reduced, p in entries:
            key = (lemma, *reduced)
            merged[key] = merged.get(key, 0.0) + p
        # most probable first; the sort is stable, so equals keep the dictionary's order
        return tuple(Reading._make((*key, p)) for key, p in sorted(merged.items(), key=_second, reverse=True))

    def _neighbour(self, word: str) -> tuple[int, int, bool]:
        """What a word is to its neighbours (cached per type): the number of what the rules see of it as the
        word before one (:data:`_NO_LEFT`), as the word after one (:data:`_NO_RIGHT`), and whether it can
        stand between a preposition and its noun (an adjective, participle or numeral).

        The readings counted are those of :meth:`_neighbour_readings`; words the rules cannot tell apart get
        the same numbers, and a choice made beside one is remembered for all. :meth:`type_form` fills it in
        for the types it analyses, from the entries it looked up.
        """
        found = self._neighbours.get(word)
        if found is not None:
            return found
        if not word[:1].isalnum():
            found = self._neighbours[word] = _NOT_A_NEIGHBOUR
            return found
        lower = word.lower()
        items = self._looked_up.pop(word, None) or self._items(word)
        if items:
            found = self._items_neighbour(lower, items)
        else:
            found = self._relative(lower, self._context(self._unknown_tags(self._parse(word)), lower))
        self._neighbours[word] = found
        return found

    def _items_neighbour(self, lower: str, items: list) -> tuple[int, int, bool]:
        """:meth:`_neighbour` of a dictionary word from its entries."""
        paradigms = self._paradigms
        tags = [paradigms[para_id][len(paradigms[para_id]) // 3 + idx]
                for _, parses in items for para_id, idx in parses]
        if len(tags) > 1 and self._prob is not None:
            prob, names = self._prob, self._tag_names
            return self._dictionary_neighbour(lower, tags, [prob(f"{lower}:{names[tag]}", 0) for tag in tags])
        return self._dictionary_neighbour(lower, tags, [0])

    def _dictionary_neighbour(self, lower: str, tags: list[int], probs: list[int]) -> tuple[int, int, bool]:
        """:meth:`_neighbour` of a dictionary word from the gramtab numbers of its parses' tags and their
        P(t|w) as stored (``[0]`` when not looked up)."""
        if any(probs):
            floor = NEIGHBOUR_MIN * self._prob_scale
            tags = [tag for tag, p in zip(tags, probs, strict=True) if p >= floor] or [tags[probs.index(max(probs))]]
        key = (lower if lower in _PERSONAL else "", *tags)
        found = self._tag_sets.get(key)
        if found is None:
            reduced = self._tag_reduced
            found = self._tag_sets[key] = self._context({reduced[tag] or self._reduce(tag) for tag in tags}, lower)
        return self._relative(lower, found)

    @staticmethod
    def _relative(lower: str, found: tuple[int, int, bool]) -> tuple[int, int, bool]:
        """A relative word (``который``, ``как``) does not stand between a preposition and its noun."""
        return (found[0], found[1], False) if found[2] and lower.startswith(_RELATIVE) else found

    @staticmethod
    def _unknown_tags(parses: list) -> set[tuple]:
        """The tags a word the dictionary lacks can have as a neighbour: pymorphy3's guesses above
        NEIGHBOUR_MIN, or the first."""
        return {_reduced(str(parse.tag)) for parse in parses if parse.score >= NEIGHBOUR_MIN} or {
            _reduced(str(parses[0].tag))}

    def _context(self, tags: set[tuple], lower: str) -> tuple[int, int, bool]:
        personal = lower if lower in _PERSONAL else ""
        key = (personal, frozenset(tags))
        found = self._trait_sets.get(key)
        if found is None:
            traits = [Reading(personal, *tag, 0.0) for tag in key[1]]
            found = self._trait_sets[key] = (
                _number(self._lefts, self._left_list, _left_traits(traits)),
                _number(self._rights, self._right_list, _right_traits(traits)),
                any(r.pos in _MODIFIER or r.pos == "NUMR" for r in traits))
        return found

    def _neighbour_readings(self, word: str) -> tuple[Reading, ...]:
        """What a neighbour can be: every tag the word can have with P(t|w) of at least NEIGHBOUR_MIN, without
        probabilities or lemmas (but for personal pronouns, which a rule names). Not cached."""
        items = self._items(word)
        if items:
            tag_names, paradigms = self._tag_names, self._paradigms
            names = [tag_names[paradigms[para_id][len(paradigms[para_id]) // 3 + idx]]
                     for _, parses in items for para_id, idx in parses]
            if len(names) > 1 and self._prob is not None:
                prob, floor, lower = self._prob, NEIGHBOUR_MIN * self._prob_scale, word.lower()
                probs = [prob(f"{lower}:{name}", 0) for name in names]
                if any(probs):
                    names = [name for name, p in zip(names, probs, strict=True) if p >= floor] or [
                        names[probs.index(max(probs))]]
            reduced = dict.fromkeys(map(_reduced, names))
        else:
            parses = self._parse(word)
            reduced = dict.fromkeys(_reduced(str(parse.tag)) for parse in parses
                                    if parse.score >= NEIGHBOUR_MIN) or {_reduced(str(parses[0].tag)): None}
        lower = word.lower()
        lemma = lower if lower in _PERSONAL else ""
        return tuple(Reading(lemma, *tag, 0.0) for tag in reduced)

    def _lemma(self, para_id: int, idx: int, fixed: str) -> str:
        """The normal form of dictionary form ``idx`` of paradigm ``para_id`` spelt ``fixed``, as
        ``Dictionary.build_normal_form`` builds it."""
        if not idx:
            return fixed
        paradigm = self._paradigms[para_id]
        size = len(paradigm) // 3
        prefixes, suffixes = self._prefixes, self._suffixes
        stem = fixed[len(prefixes[paradigm[2 * size + idx]]):len(fixed) - len(suffixes[paradigm[idx]])]
        return prefixes[paradigm[2 * size]] + stem + suffixes[paradigm[0]]

    def _items(self, word: str) -> list | None:
        if word in self._initials:
            return None
        return self._similar(word.lower(), self._substitutes)

    def type_form(self, word: str) -> str:
        """The output form of a type when it does not depend on context, else :data:`AMBIGUOUS`."""
        found = self._forms.get(word)
        if found is not None:
            return found
        if not self.context:
            top = self._parse(word)[0]
            form = self._forms[word] = f"{top.normal_form}_{upos(top.tag)}" if self.pos_tags else top.normal_form
            return form
        lower = word.lower()
        items = None if word in self._initials else self._similar(lower, self._substitutes)
        if items and not self.pos_tags and lower not in PREPOSITION_VARIANTS:
            # one lemma in every paradigm: no probabilities needed
            if len(items) == 1 and len(items[0][1]) == 1:  # one parse, as most words have
                fixed, ((para_id, idx),) = items[0]
                form = self._forms[word] = self._lemma(para_id, idx, fixed) if idx else fixed
                if word[:1].isalnum():
                    paradigm = self._paradigms[para_id]
                    tag = paradigm[len(paradigm) // 3 + idx]
                    found = self._tag_sets.get((lower if lower in _PERSONAL else "", tag))
                    self._neighbours[word] = self._dictionary_neighbour(lower, [tag], [0]) if found is None else (
                        self._relative(lower, found) if found[2] else found)
                return form
            lemma_of = self._lemma
            lemmas = {lemma_of(para_id, idx, fixed) for fixed, parses in items for para_id, idx in dict(parses).items()}
            if len(lemmas) == 1:
                form = self._forms[word] = lemmas.pop()
                if len(self._looked_up) >= LOOKED_UP_KEPT:
                    self._looked_up.clear()
                self._looked_up[word] = items  # for _neighbour, if the word turns out to be one
                return form
        entries = self._entries(word, items)
        tagged = self.pos_tags
        first = max(entries, key=_third)  # the first of the most probable
        if lower in PREPOSITION_VARIANTS and first[1][1] == "PREP":
            form = f"{lower}_ADP" if tagged else lower
        elif all(lemma == first[0] and (not tagged or reduced[0] == first[1][0]) for lemma, reduced, _ in entries):
            form = f"{first[0]}_{first[1][0]}" if tagged else first[0]
        else:
            readings = self._readings[word] = self._merge(entries)
            plausible = self._plausible(readings)
            if len(plausible) > 1 or any(lemma in DETERMINER_PRONOUNS for lemma, _ in plausible):
                form = AMBIGUOUS
                self._choices[word] = _make_choice(plausible)
            else:
                form = self._output(next(iter(plausible.values()))[0])
        self._forms[word] = form
        return form

    def _key(self, reading: Reading) -> tuple[str, str]:
        return (reading.lemma.replace("ё", "е"), reading.upos if self.pos_tags else "")

    def _plausible(self, readings: tuple[Reading, ...]) -> dict[tuple[str, str], list[Reading]]:
        """The lemmas (with their tags) the context could choose, each with its readings, in parse order.

        A lemma needs at least MIN_ALTERNATIVE of the word's probability, and a way to win: a lemma all of
        whose readings get, in every context, no more from the rules than one reading of the most probable
        lemma (``ему``: оно beside он, ``было``: the particle beside the verb) never does.
        """
        groups: dict[tuple[str, str], list[Reading]] = {}
        tagged = self.pos_tags
        for r in readings:
            key = (r.lemma.replace("ё", "е"), r.upos if tagged else "")  # as _key
            group = groups.get(key)
            if group is None:
                groups[key] = [r]
            else:
                group.append(r)
        kept = {key: group for key, group in groups.items()
                if (group[0].prob if len(group) == 1 else sum(r.prob for r in group)) >= MIN_ALTERNATIVE}
        if len(kept) <= 1:
            return kept or {self._key(readings[0]): [readings[0]]}
        # the first of equals is the top, as the choice itself breaks ties
        top = max(kept, key=lambda key: sum(r.prob + SMOOTH for r in kept[key]))
        tops = kept[top]
        return {key: group for key, group in kept.items() if key == top or not any(
            all(_dominates(t, a) for a in group) for t in tops)}

    def _output(self, reading: Reading, lemma: str | None = None) -> str:
        lemma = reading.lemma if lemma is None else lemma
        return f"{lemma}_{reading.upos}" if self.pos_tags else lemma

    # -- in context ------------------------------------------------------------------------------
    def lemmatize(self, tokens: Sequence[str]) -> list[str]:
        """Lemmas of a sentence's tokens (``lemma_UPOS`` with ``pos_tags``)."""
        forms = [self.type_form(token) for token in tokens]
        self.settle(tokens, forms)
        return forms

    def choose(self, tokens: Sequence[str], i: int) -> str:
        """The output form of ``tokens[i]``, an ambiguous type, given its neighbours (see :meth:`settle`)."""
        forms = [""] * len(tokens)
        forms[i] = AMBIGUOUS
        self.settle(tokens, forms)
        return forms[i]

    def settle(self, tokens: Sequence[str], forms: list[str]) -> list[int]:
        """Put in place of each :data:`AMBIGUOUS` in ``forms`` (the type forms of ``tokens``) the output form
        of its token given the neighbours, as :meth:`choose_by_rules` gives it; the positions settled.

        The factor a reading gets is a sum of three parts, each a function of the word and one thing about
        its context: what the word before can be, what the word after can be (both as numbered by
        :meth:`_neighbour`), and the governing preposition with the case of the first letter. The choice is
        remembered per word and context, each part per word and its thing, and the choice per word and the
        parts, so a frequent ambiguous word is settled by a few dictionary look-ups.
        """
        count = forms.count(AMBIGUOUS)
        if not count:
            return []
        positions = []
        decided, neighbours, neighbour, governs = self._decided, self._neighbours, self._neighbour, _GOVERNS_NEXT_ID
        cased = self.cased
        n = len(tokens)
        i = -1
        for _ in range(count):
            i = forms.index(AMBIGUOUS, i + 1)
            positions.append(i)
            after = i + 1
            while after < n - 1 and tokens[after] in _CLITICS:
                after += 1
            if i:
                before = tokens[i - 1]
                left = neighbours.get(before) or neighbour(before)
                governed = governs.get(before)
                if governed is None and left[2]:
                    governed = self._governing_later(tokens, i)
                key = (tokens[i], left[0], (neighbours.get(tokens[after]) or neighbour(tokens[after]))[1]
                       if after < n else 0, governed, self._capital_inside(tokens, i) if cased else None)
            else:
                key = (tokens[i], 0, (neighbours.get(tokens[after]) or neighbour(tokens[after]))[1]
                       if after < n else 0, None, None)
            form = decided.get(key)
            forms[i] = self._settle(key) if form is None else form
        return positions

    def _governing_later(self, tokens: Sequence[str], i: int) -> int | None:
        """The number of what a preposition two or three words back governs, past the modifiers between."""
        neighbours = self._neighbours
        for j in range(i - 2, max(i - 4, -1), -1):
            word = tokens[j]
            found = _GOVERNS_LATER_ID.get(word)
            if found is not None or not (neighbours.get(word) or self._neighbour(word))[2]:
                return found
        return None

    def _settle(self, key: tuple) -> str:
        word, left, right, governed, capital = key
        if len(self._decided) >= CHOICE_CACHE:
            self._decided.clear()
            self._parts.clear()
            self._chosen.clear()
        choice = self._choices.get(word) or self._choice(word)
        memo, intern = self._parts, self._intern
        part = (word, 0, left)
        a = memo.get(part)
        if a is None:
            a = memo[part] = intern(self._left_part(choice, self._left_list[left]))
        part = (word, 1, right)
        b = memo.get(part)
        if b is None:
            b = memo[part] = intern(self._right_part(choice, self._right_list[right]))
        part = (word, 2, governed, capital)
        c = memo.get(part)
        if c is None:
            if governed is None and capital is None:  # what _prep_bonus and _capital_bonus give then
                c = memo[part] = intern((0.0,) * len(choice.readings))
            else:
                prep = None if governed is None else _GOVERNED_LIST[governed]
                c = memo[part] = intern(tuple(self._prep_bonus(word, r, prep) + self._capital_bonus(r, capital)
                                              for r in choice.readings))
        part = (word, a, b, c)
        form = self._chosen.get(part)
        if form is None:
            vectors = self._vectors
            form = self._chosen[part] = self._decide(choice, vectors[a], vectors[b], vectors[c])
        self._decided[key] = form
        return form

    @staticmethod
    def _left_part(choice: _Choice, traits: tuple) -> tuple[float, ...]:
        """:meth:`_left_bonus` of each reading, from what the word before offers (as :data:`_NO_LEFT`)."""
        transitive, modifier, proper, animate, subject = traits
        bonuses = []
        for r, bit, verb_bit in zip(choice.readings, choice.bits, choice.verb_bits, strict=True):
            bonus = 0.0
            pos = r.pos
            if pos == "NPRO":
                if transitive and r.case in ("accs", "gent", "datv"):
                    bonus += OBJECT_PRONOUN
            elif pos == "NOUN":
                if modifier & bit:
                    bonus += AGREES_LEFT
                if r.flags & _PROPER and proper & bit:
                    bonus += NAME_SURNAME
                elif r.flags & _PROPER and r.case in animate:
                    bonus += APPOSITION
            elif pos == "VERB" and subject & verb_bit:
                bonus += SUBJECT_VERB
            bonuses.append(bonus)
        return tuple(bonuses)

    @staticmethod
    def _right_part(choice: _Choice, traits: tuple) -> tuple[tuple[float, bool], ...]:
        """:meth:`_right_bonus` of each reading, from what the word after offers (as :data:`_NO_RIGHT`)."""
        head, adjective, proper, noun, infinitive, object_noun = traits
        bonuses = []
        for r, bit in zip(choice.readings, choice.bits, strict=True):
            bonus = 0.0
            pos = r.pos
            agrees = bool(head & bit)
            if pos in _MODIFIER:
                if agrees:
                    bonus += AGREES_RIGHT
                    if r.lemma == "самый" and adjective & bit:
                        bonus += AGREES_LEFT
                elif "Fixd" in r.flags:
                    bonus += POSSESSIVE_ALONE
                elif noun:
                    bonus += DISAGREES
            elif pos == "NOUN":
                if r.flags & _PROPER and proper & bit:
                    bonus += NAME_SURNAME
            elif pos == "VERB":
                if infinitive:
                    bonus += VERB_INFINITIVE
                if "tran" in r.flags and object_noun:
                    bonus += VERB_OBJECT
            bonuses.append((bonus, agrees))
        return tuple(bonuses)

    def choose_by_rules(self, tokens: Sequence[str], i: int) -> str:
        """What :meth:`choose` answers, from the rules themselves and remembering nothing: each neighbour's
        readings are looked up afresh and every rule looks at them one by one (slow; the tests hold
        :meth:`choose` to it)."""
        word = tokens[i]
        choice = self._choice(word)
        n = len(tokens)
        after = i + 1
        while after < n - 1 and tokens[after] in _CLITICS:
            after += 1
        near = self._neighbour_readings
        left = near(tokens[i - 1]) if i and tokens[i - 1][:1].isalnum() else ()
        right = near(tokens[after]) if after < n and tokens[after][:1].isalnum() else ()
        prep = self._governing(tokens, i) if i else None
        capital = self._capital_inside(tokens, i) if self.cased else None
        readings = choice.readings
        return self._decide(choice, tuple(self._left_bonus(r, left) for r in readings),
                            tuple(self._right_bonus(r, right) for r in readings),
                            tuple(self._prep_bonus(word, r, prep) + self._capital_bonus(r, capital) for r in readings))

    def _intern(self, vector: tuple) -> int:
        number = self._vector_ids.get(vector)
        if number is None:
            number = self._vector_ids[vector] = len(self._vectors)
            self._vectors.append(vector)
        return number

    def _choice(self, word: str) -> _Choice:
        """An ambiguous word's plausible readings, the lemma each belongs to and each lemma's prior."""
        choice = self._choices.get(word)
        if choice is None:
            choice = self._choices[word] = _make_choice(self._plausible(self.readings(word)))
        return choice

    def _decide(self, choice: _Choice, left: tuple, right: tuple, rest: tuple) -> str:
        # A lemma's score: its share of P(t|w), times the factor of its best-supported reading (parses of one
        # lemma split their probability over syncretic forms; the context needs only one of them to fit).
        # Ties go to the first: the more probable reading of a lemma, the lemma first in parse order.
        readings, prior = choice.readings, choice.prior
        best = best_j = None
        start = 0
        for k, size in enumerate(choice.sizes):
            top = top_j = None
            for j in range(start, start + size):
                bonus = left[j] + right[j][0] + rest[j]
                if top is None or bonus > top or (bonus == top and readings[j].prob > readings[top_j].prob):
                    top, top_j = bonus, j
            start += size
            score = prior[k] + top
            if best is None or score > best:
                best, best_j = score, top_j
        reading = readings[best_j]
        lemma = reading.lemma
        if lemma in DETERMINER_PRONOUNS and not any(
                right[n][1] for n, r in enumerate(readings) if r.lemma == lemma and "Apro" in r.flags):
            return f"{DETERMINER_PRONOUNS[lemma]}_PRON" if self.pos_tags else DETERMINER_PRONOUNS[lemma]
        return self._output(reading)

    def _governing(self, tokens: Sequence[str], i: int) -> tuple[frozenset[str], bool] | None:
        """Cases governed by the preposition before ``tokens[i]`` (looking past up to two modifiers), and
        whether it stands right before it."""
        found = _GOVERNS_NEXT.get(tokens[i - 1])
        if found is not None or not self._modifies(tokens[i - 1]):
            return found
        for j in range(i - 2, max(i - 4, -1), -1):
            found = _GOVERNS_LATER.get(tokens[j])
            if found is not None or not self._modifies(tokens[j]):
                return found
        return None

    def _modifies(self, word: str) -> bool:
        """Whether a word can stand between a preposition and its noun (an adjective, participle, numeral)."""
        return bool(word[:1].isalnum()) and not word.lower().startswith(_RELATIVE) and any(
            r.pos in _MODIFIER or r.pos == "NUMR" for r in self._neighbour_readings(word))

    def _capital_inside(self, tokens: Sequence[str], i: int) -> bool | None:
        """With case kept: ``True`` for a capitalised word that does not start the sentence, ``False`` for a
        lower-case word, ``None`` when case says nothing."""
        if not self.cased or i == 0 or not tokens[i][:1].isalpha():
            return None
        previous = tokens[i - 1]
        if previous in (".", "!", "?", "…", "—", "-", "«", "\"", "(", ":"):
            return None
        return tokens[i][:1].isupper()

    def _prep_bonus(self, word: str, r: Reading, prep: tuple[frozenset[str], bool] | None) -> float:
        if prep is None:
            return 0.0
        bonus = 0.0
        cases, adjacent = prep
        if r.pos in _CASE_BEARING and r.case is not None:
            bonus += GOVERNED if r.case in cases else NOT_GOVERNED
        elif r.pos in _NO_CASE and adjacent:
            bonus += NO_CASE_AFTER_PREP
        if r.pos == "NPRO" and adjacent and word.lower() in _N_LESS:
            bonus += NO_CASE_AFTER_PREP
        return bonus

    def _left_bonus(self, r: Reading, left: tuple[Reading, ...]) -> float:
        bonus = 0.0
        pos = r.pos
        if pos == "NPRO":
            if r.case in ("accs", "gent", "datv") and any(n.pos in ("VERB", "INFN", "GRND") and "tran" in n.flags
                                                          for n in left):
                bonus += OBJECT_PRONOUN
        elif pos == "NOUN":
            if any(n.pos in _MODIFIER and "Fixd" not in n.flags and _agree(n, r) for n in left):
                bonus += AGREES_LEFT
            if r.flags & _PROPER and any(n.flags & _PROPER and n.pos == "NOUN" and _agree(n, r) for n in left):
                bonus += NAME_SURNAME
            elif r.flags & _PROPER and any(n.pos == "NOUN" and "anim" in n.flags and not n.flags & _PROPER
                                           and n.case == r.case for n in left):
                bonus += APPOSITION
        elif pos == "VERB" and left and self._subject(left, r):
            bonus += SUBJECT_VERB
        return bonus

    @staticmethod
    def _right_bonus(r: Reading, right: tuple[Reading, ...]) -> tuple[float, bool]:
        """The factor from the word after, and whether a noun phrase there agrees with this reading."""
        bonus = 0.0
        pos = r.pos
        agrees = any(_heads_phrase(n) and _agree(r, n) for n in right)
        if pos in _MODIFIER:
            if agrees:
                bonus += AGREES_RIGHT
                if r.lemma == "самый" and any(n.pos == "ADJF" and _agree(r, n) for n in right):
                    bonus += AGREES_LEFT
            elif "Fixd" in r.flags:
                bonus += POSSESSIVE_ALONE
            elif any(n.pos == "NOUN" for n in right):
                bonus += DISAGREES
        elif pos == "NOUN":
            if r.flags & _PROPER and any(n.flags & _PROPER and n.pos == "NOUN" and _agree(n, r) for n in right):
                bonus += NAME_SURNAME
        elif pos == "VERB":
            if any(n.pos == "INFN" for n in right):
                bonus += VERB_INFINITIVE
            if "tran" in r.flags and any(n.pos == "NOUN" and n.case == "accs" for n in right):
                bonus += VERB_OBJECT
        return bonus, agrees

    @staticmethod
    def _capital_bonus(r: Reading, capital: bool | None) -> float:
        if capital is None or r.pos != "NOUN" or not r.flags & _PROPER:
            return 0.0
        return PROPER_CASE if capital else -PROPER_CASE

    @staticmethod
    def _subject(left: tuple[Reading, ...], verb: Reading) -> bool:
        for n in left:
            if n.pos != "NPRO" or n.case != "nomn" or n.lemma not in _PERSONAL:
                continue
            person, number, gender = _PERSONAL[n.lemma]
            if verb.number is not None and verb.number != number:
                continue
            if verb.person is not None and verb.person != person:
                continue
            if verb.gender is not None and gender is not None and verb.gender != gender:
                continue
            return True
        return False


_second, _third = operator.itemgetter(1), operator.itemgetter(2)


def _number(ids: dict, values: list, value: object) -> int:
    """The number of ``value`` in ``values``, appended when new (``ids`` maps each value to its number)."""
    number = ids.get(value)
    if number is None:
        number = ids[value] = len(values)
        values.append(value)
    return number


def type_normalizer(lemmatizer: ContextLemmatizer, lang: str) -> Callable[[str], str]:
    """The per-type step of a pipeline: Russian types through ``lemmatizer`` (possibly :data:`AMBIGUOUS`),
    with ``lang=auto`` other scripts through lemminflect."""
    if lang == "ru":
        return lemmatizer.type_form
    ru = lemmatizer.type_form
    return lambda word: ru(word) if CYRILLIC_RE.search(word) else english_lemma(word)
