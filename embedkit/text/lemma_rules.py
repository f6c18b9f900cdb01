"""The grammar that chooses among a lemma-ambiguous Russian word's readings, and its tables.

Each pymorphy3 parse of an ambiguous word is reduced to a :class:`Reading` (lemma, parts of speech, case,
number, gender, person, a few flags, P(tag | word)). A reading's score is its lemma's prior plus the factors
(log-weights below) of the rules its context satisfies:

- a preposition governs the case of the noun phrase after it (``из стали``: сталь, genitive), and a verb
  reading right after a preposition is unlikely;
- an adjective, participle or determiner agrees with the noun after it (``мою книгу``: мой), a noun
  with an adjective before it;
- a finite verb agrees with a personal pronoun before it (``мы стали``: стать, ``я мою``: мыть) and a
  verb is often followed by an infinitive (``стали говорить``);
- a verb reading takes a direct object (``мою руки``: мыть);
- with case kept (``lowercase = false``), a capitalised word inside a sentence prefers proper-noun readings
  (Name, Surn, Patr, Geox, Orgn) and a lower-case one avoids them, and a first name agrees with a surname.

The rules are written twice: reading by reading (:func:`left_bonus`, :func:`right_bonus`,
:func:`prep_bonus`, :func:`capital_bonus`), and as tables over what a neighbour offers (:func:`left_traits`,
:func:`right_traits`, then :func:`left_part`, :func:`right_part`), which answer each rule with a bit test;
the tests hold the two equal. :func:`decide` turns the factors into a lemma.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from typing import NamedTuple

_OC_UPOS = {
    "NOUN": "NOUN", "ADJF": "ADJ", "ADJS": "ADJ", "COMP": "ADV", "VERB": "VERB", "INFN": "VERB",
    "PRTF": "VERB", "PRTS": "VERB", "GRND": "VERB", "NUMR": "NUM", "ADVB": "ADV", "NPRO": "PRON",
    "PRED": "ADV", "PREP": "ADP", "CONJ": "CCONJ", "PRCL": "PART", "INTJ": "INTJ",
    "LATN": "X", "PNCT": "PUNCT", "NUMB": "NUM", "intg": "NUM", "real": "NUM", "ROMN": "NUM", "UNKN": "X",
}
_PROPER = frozenset({"Name", "Surn", "Patr", "Geox", "Orgn", "Trad"})
_CASE = {"gen1": "gent", "gen2": "gent", "loc1": "loct", "loc2": "loct", "acc2": "accs", "voct": "nomn"}
_CASE_BEARING = frozenset({"NOUN", "ADJF", "PRTF", "NPRO", "NUMR"})
MODIFIER = frozenset({"ADJF", "PRTF"})
_NO_CASE = frozenset({"VERB", "INFN", "GRND", "PRTS", "ADJS", "COMP", "PRED", "ADVB", "CONJ", "PRCL"})
_FLAGS = ("Apro", "Fixd", "tran", "anim")
CLITICS = frozenset({"же", "ж", "ли", "ль", "бы", "б", "Же", "Ли", "Бы"})
RELATIVE = ("котор", "как", "чей", "чья", "чье", "чьё", "чьи", "чьей", "чьего", "чьему", "чьим", "чьих")

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
GOVERNS_NEXT = {form: (cases, True) for word, cases in _PREPOSITIONS.items() for form in (word, word.capitalize())}
GOVERNS_LATER = {form: (cases, False) for word, cases in _PREPOSITIONS.items() for form in (word, word.capitalize())}
PERSONAL = {"я": ("1per", "sing", None), "ты": ("2per", "sing", None), "он": ("3per", "sing", "masc"),
             "она": ("3per", "sing", "femn"), "оно": ("3per", "sing", "neut"), "мы": ("1per", "plur", None),
             "вы": ("2per", "plur", None), "они": ("3per", "plur", None)}
_N_LESS = frozenset({"его", "её", "ее", "их", "им", "ими", "ему", "ей", "ею", "ем"})
# Universal Dependencies conventions (see embedkit.text.lemma_context).
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
MIN_ALTERNATIVE = 0.005 # a lemma with less of P(t|w) than this is not a choice the context can make
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
def reduce_tag(tag: str) -> tuple:
    """What the rules see of a tag; an indeclinable modifier (его, её, их) has no case, number or gender."""
    upos_tag, pos, case, number, gender, person, flags = _tag_features(tag)
    if "Fixd" in flags and pos != "NOUN":
        case = number = gender = None
    return upos_tag, pos, case, number, gender, person, flags


class Choice(NamedTuple):
    readings: tuple[Reading, ...]  # the plausible readings of an ambiguous word, lemma by lemma
    prior: tuple[float, ...]       # PRIOR_POWER * log P(lemma | word), per lemma
    bits: tuple[int, ...]          # each reading's agreement class, as a bit of _CLASSES
    verb_bits: tuple[int, ...]     # each reading's person, number and gender, as a bit of _VERB_CLASSES
    sizes: tuple[int, ...]         # how many readings each lemma has (they stand together, in order)


def make_choice(groups: dict[tuple[str, str], list[Reading]]) -> Choice:
    readings = tuple(r for group in groups.values() for r in group)
    prior = tuple(PRIOR_POWER * math.log(sum(r.prob + SMOOTH for r in group)) for group in groups.values())
    return Choice(readings, prior, tuple(map(_class_bit, readings)), tuple(map(_verb_bit, readings)),
                   tuple(map(len, groups.values())))


def _heads_phrase(r: Reading) -> bool:
    """A reading a modifier before it agrees with: a noun, a qualitative adjective or participle, a numeral."""
    return r.pos == "NOUN" or r.pos == "NUMR" or (r.pos in MODIFIER and not r.flags & _PRONOMINAL)


_PRONOMINAL = frozenset({"Apro", "Fixd"})
_RULED = frozenset({"NOUN", "ADJF", "PRTF", "NPRO", "NUMR", "VERB"})  # parts of speech a rule can favour


def dominates(t: Reading, a: Reading) -> bool:
    """Whether reading ``t`` gets at least what ``a`` gets from the rules in every context.

    Either the rules see the same in both (gender aside for pronouns, which nothing agrees with), or ``a`` is
    of a part of speech no rule favours and ``t`` can lose only what ``a`` loses too (after a preposition).
    """
    if a.lemma == "самый" or t.lemma == "самый":
        return False
    if (t.pos, t.case, t.number, t.person, t.flags) == (a.pos, a.case, a.number, a.person, a.flags):
        return t.gender == a.gender or t.pos == "NPRO"
    if a.pos in _RULED or a.flags & _PROPER or t.pos in _CASE_BEARING or t.pos in MODIFIER:
        return False
    return a.pos in _NO_CASE or t.pos not in _NO_CASE


# -- the rules as tables ---------------------------------------------------------------------------
# The rules above look at a neighbour's readings one by one. To settle a token in a few look-ups, what a
# neighbour offers them is read off once per set of readings as bit masks over the agreement classes (case,
# number, gender, indeclinable) a reading can be in, and over a verb's person, number and gender;
# :func:`left_part` and :func:`right_part` then give each rule's answer with one bit test.
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
    return sum(1 << k for k, verb in enumerate(_VERB_CLASSES) if _subject_agrees((pronoun,), verb))


NO_LEFT = (False, 0, 0, frozenset(), 0)  # transitive verb, modifier, proper noun, animate noun cases, subject
NO_RIGHT = (0, 0, 0, False, False, False)  # phrase head, adjective, proper noun, noun, infinitive, accusative noun


def left_traits(near: Sequence[Reading]) -> tuple:
    """What the rules of :func:`left_bonus` see of a word before: as NO_LEFT."""
    transitive, modifier, proper, subject = False, 0, 0, 0
    animate: set[str | None] = set()
    for n in near:
        pos = n.pos
        if pos in ("VERB", "INFN", "GRND") and "tran" in n.flags:
            transitive = True
        if pos in MODIFIER and "Fixd" not in n.flags:
            modifier |= _agreement(n.case, n.number, n.gender, False)[0]
        if pos == "NOUN":
            if n.flags & _PROPER:
                proper |= _agreement(n.case, n.number, n.gender, "Fixd" in n.flags)[0]
            elif "anim" in n.flags:
                animate.add(n.case)
        if pos == "NPRO" and n.case == "nomn" and n.lemma in PERSONAL:
            subject |= _subject_of(n.lemma)
    return transitive, modifier, proper, frozenset(animate), subject


def right_traits(near: Sequence[Reading]) -> tuple:
    """What the rules of :func:`right_bonus` see of a word after: as NO_RIGHT."""
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
GOVERNED_LIST = list(dict.fromkeys([*GOVERNS_NEXT.values(), *GOVERNS_LATER.values()]))
_GOVERNED_IDS = {governed: k for k, governed in enumerate(GOVERNED_LIST)}
GOVERNS_NEXT_ID = {form: _GOVERNED_IDS[governed] for form, governed in GOVERNS_NEXT.items()}
GOVERNS_LATER_ID = {form: _GOVERNED_IDS[governed] for form, governed in GOVERNS_LATER.items()}
NOT_A_NEIGHBOUR = (0, 0, False)  # what punctuation is to its neighbours: nothing (and not a modifier)


def left_part(choice: Choice, traits: tuple) -> tuple[float, ...]:
    """:func:`left_bonus` of each reading, from what the word before offers (as :data:`NO_LEFT`)."""
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


def right_part(choice: Choice, traits: tuple) -> tuple[tuple[float, bool], ...]:
    """:func:`right_bonus` of each reading, from what the word after offers (as :data:`NO_RIGHT`)."""
    head, adjective, proper, noun, infinitive, object_noun = traits
    bonuses = []
    for r, bit in zip(choice.readings, choice.bits, strict=True):
        bonus = 0.0
        pos = r.pos
        agrees = bool(head & bit)
        if pos in MODIFIER:
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


def prep_bonus(word: str, r: Reading, prep: tuple[frozenset[str], bool] | None) -> float:
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


def left_bonus(r: Reading, left: tuple[Reading, ...]) -> float:
    bonus = 0.0
    pos = r.pos
    if pos == "NPRO":
        if r.case in ("accs", "gent", "datv") and any(n.pos in ("VERB", "INFN", "GRND") and "tran" in n.flags
                                                      for n in left):
            bonus += OBJECT_PRONOUN
    elif pos == "NOUN":
        if any(n.pos in MODIFIER and "Fixd" not in n.flags and _agree(n, r) for n in left):
            bonus += AGREES_LEFT
        if r.flags & _PROPER and any(n.flags & _PROPER and n.pos == "NOUN" and _agree(n, r) for n in left):
            bonus += NAME_SURNAME
        elif r.flags & _PROPER and any(n.pos == "NOUN" and "anim" in n.flags and not n.flags & _PROPER
                                       and n.case == r.case for n in left):
            bonus += APPOSITION
    elif pos == "VERB" and left and _subject_agrees(left, r):
        bonus += SUBJECT_VERB
    return bonus


def right_bonus(r: Reading, right: tuple[Reading, ...]) -> tuple[float, bool]:
    """The factor from the word after, and whether a noun phrase there agrees with this reading."""
    bonus = 0.0
    pos = r.pos
    agrees = any(_heads_phrase(n) and _agree(r, n) for n in right)
    if pos in MODIFIER:
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


def capital_bonus(r: Reading, capital: bool | None) -> float:
    if capital is None or r.pos != "NOUN" or not r.flags & _PROPER:
        return 0.0
    return PROPER_CASE if capital else -PROPER_CASE


def _subject_agrees(left: tuple[Reading, ...], verb: Reading) -> bool:
    """Whether a personal pronoun (nominative) among the readings before agrees with the verb reading."""
    for n in left:
        if n.pos != "NPRO" or n.case != "nomn" or n.lemma not in PERSONAL:
            continue
        person, number, gender = PERSONAL[n.lemma]
        if verb.number is not None and verb.number != number:
            continue
        if verb.person is not None and verb.person != person:
            continue
        if verb.gender is not None and gender is not None and verb.gender != gender:
            continue
        return True
    return False


def decide(choice: Choice, left: tuple, right: tuple, rest: tuple) -> tuple[str, str]:
    """The lemma chosen and its UD part of speech, from each reading's factors for the word before, the word
    after (with whether a noun phrase there agrees) and the rest (preposition, capital letter).

    A lemma's score is its share of P(t|w), plus the factor of its best-supported reading (parses of one lemma
    split their probability over syncretic forms; the context needs only one of them to fit). Ties go to the
    first: the more probable reading of a lemma, the lemma first in parse order. ``тот``, ``этот``, ``весь``
    with no noun phrase after them are the pronouns ``то``, ``это``, ``всё``.
    """
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
        return DETERMINER_PRONOUNS[lemma], "PRON"
    return lemma, reading.upos
