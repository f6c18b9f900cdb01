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
from collections.abc import Callable, Sequence
from typing import NamedTuple

from embedkit.text.morph import english_lemma, morph_analyzer
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


_NOBODY: tuple[int, tuple[Reading, ...]] = (-1, ())


@functools.lru_cache(maxsize=8192)
def _reduced(tag: str) -> tuple:
    """What the rules see of a tag; an indeclinable modifier (его, её, их) has no case, number or gender."""
    upos_tag, pos, case, number, gender, person, flags = _tag_features(tag)
    if "Fixd" in flags and pos != "NOUN":
        case = number = gender = None
    return upos_tag, pos, case, number, gender, person, flags


def _sorted_readings(merged: dict[tuple, float]) -> tuple[Reading, ...]:
    return tuple(sorted((Reading(*key, p) for key, p in merged.items()), key=lambda r: -r.prob))


class _Choice(NamedTuple):
    readings: tuple[Reading, ...]  # the plausible readings of an ambiguous word
    keys: tuple[int, ...]          # the lemma (index into prior) of each reading
    prior: tuple[float, ...]       # PRIOR_POWER * log P(lemma | word), per lemma


def _make_choice(groups: dict[tuple[str, str], list[Reading]]) -> _Choice:
    readings = tuple(r for group in groups.values() for r in group)
    keys = tuple(k for k, group in enumerate(groups.values()) for _ in group)
    prior = tuple(PRIOR_POWER * math.log(sum(r.prob + SMOOTH for r in group)) for group in groups.values())
    return _Choice(readings, keys, prior)


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
        morph = morph_analyzer()
        self._parse = morph.parse
        self._dictionary = morph.dictionary
        self._similar = morph.dictionary.words.similar_items
        self._substitutes = morph.char_substitutes
        self._initials = {c for unit in morph._units for c in getattr(unit.analyzer, "letters", "")}
        self._readings: dict[str, tuple[Reading, ...]] = {}
        self._forms: dict[str, str] = {}
        self._neighbours: dict[str, tuple[int, tuple[Reading, ...]]] = {}
        self._signatures: dict[tuple[Reading, ...], int] = {}
        self._traits: dict[tuple, Reading] = {}
        self._chosen: dict[tuple, str] = {}
        self._choices: dict[str, _Choice] = {}
        self._modifiers: dict[str, bool] = {}
        self._parts: dict[tuple, int] = {}
        self._vector_ids: dict[tuple, int] = {}
        self._vectors: list[tuple] = []
        self._paradigms = morph.dictionary.paradigms
        self._build = morph.dictionary.build_normal_form
        self._tag_names = [str(tag) for tag in morph.dictionary.gramtab]
        estimator = morph.prob_estimator
        self._prob = estimator.p_t_given_w.get if estimator is not None else None
        self._prob_scale = estimator.p_t_given_w.MULTIPLIER if estimator is not None else 1

    # -- one type --------------------------------------------------------------------------------
    def _entries(self, word: str) -> list[tuple[str, tuple, float]]:
        """Each parse of a word as (lemma, reduced tag, P(t|w)), in the dictionary's order.

        A dictionary word is read off its paradigms' tags and P(t|w), as ``MorphAnalyzer.parse`` scores it
        but without building ``Parse`` objects, one normal form per paradigm; other words go through ``parse``.
        """
        items = None
        if word not in self._initials:
            word_lower = word.lower()
            items = self._similar(word_lower, self._substitutes)
        if not items:
            return [(parse.normal_form, _reduced(str(parse.tag)), parse.score) for parse in self._parse(word)]
        tag_names, paradigms, build = self._tag_names, self._paradigms, self._build
        flat = []
        lemmas: dict[tuple[str, int], str] = {}
        for fixed, parses in items:
            for para_id, idx in parses:
                paradigm = paradigms[para_id]
                lemma = lemmas.get((fixed, para_id))
                if lemma is None:
                    lemma = lemmas[(fixed, para_id)] = build(para_id, idx, fixed)
                flat.append((lemma, tag_names[paradigm[len(paradigm) // 3 + idx]]))
        prob = self._prob
        scale = self._prob_scale
        probs = [prob(f"{word_lower}:{name}", 0) / scale for _, name in flat] if prob and len(flat) > 1 else [0]
        if not any(probs):
            probs = [1.0 / len(flat)] * len(flat)
        return [(lemma, _reduced(name), p) for (lemma, name), p in zip(flat, probs, strict=True)]

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
        return tuple(sorted((Reading(*key, p) for key, p in merged.items()), key=lambda r: -r.prob))

    def _near(self, word: str) -> tuple[int, tuple[Reading, ...]]:
        """What a neighbour can be, and a number shared by every word that can be the same.

        Every tag the word can have, without probabilities or lemmas (but for personal pronouns, which a rule
        names): words the rules cannot tell apart share a signature, and a choice made beside one is
        remembered for all.
        """
        found = self._neighbours.get(word)
        if found is not None:
            return found
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
        traits = self._traits
        near = []
        for tag in reduced:
            key = (lemma, *tag)
            trait = traits.get(key)
            if trait is None:
                trait = traits[key] = Reading(*key, 0.0)
            near.append(trait)
        near_tuple = tuple(near)
        signature = self._signatures.setdefault(near_tuple, len(self._signatures))
        found = self._neighbours[word] = (signature, near_tuple)
        return found

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
        if not self.pos_tags and lower not in PREPOSITION_VARIANTS:
            items = self._items(word)
            if items:  # one lemma in every paradigm: no probabilities needed
                build = self._build
                lemmas = {build(para_id, idx, fixed) for fixed, parses in items
                          for para_id, idx in dict(parses).items()}
                if len(lemmas) == 1:
                    form = self._forms[word] = lemmas.pop()
                    return form
        entries = self._entries(word)
        tagged = self.pos_tags
        first = max(entries, key=lambda e: e[2])
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
        for r in readings:
            groups.setdefault(self._key(r), []).append(r)
        kept = {key: group for key, group in groups.items() if sum(r.prob for r in group) >= MIN_ALTERNATIVE}
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
        return [self.choose(tokens, i) if form == AMBIGUOUS else form
                for i, form in enumerate(forms)]

    def choose(self, tokens: Sequence[str], i: int) -> str:
        """The output form of ``tokens[i]`` given its neighbours.

        The factor a reading gets is a sum of four parts, each a function of the word and one thing about
        its context (what the word before can be, what the word after can be, the governing preposition,
        the case of its first letter); each part is remembered per word and context, and the choice per
        word and the four parts, so a frequent ambiguous word is settled by a few dictionary look-ups.
        """
        word = tokens[i]
        choice = self._choices.get(word) or self._choice(word)
        n = len(tokens)
        after = i + 1
        while after < n - 1 and tokens[after] in _CLITICS:
            after += 1
        near = self._near
        left = near(tokens[i - 1]) if i and tokens[i - 1][:1].isalnum() else _NOBODY
        right = near(tokens[after]) if after < n and tokens[after][:1].isalnum() else _NOBODY
        prep = self._governing(tokens, i) if i else None
        capital = self._capital_inside(tokens, i) if self.cased else None
        memo, intern, part = self._parts, self._intern, self._part
        key = (word, 0, left[0])
        a = memo.get(key)
        if a is None:
            a = memo[key] = intern(part(word, choice, 0, left))
        key = (word, 1, right[0])
        b = memo.get(key)
        if b is None:
            b = memo[key] = intern(part(word, choice, 1, right))
        key = (word, 2, prep, capital)
        c = memo.get(key)
        if c is None:
            c = memo[key] = intern(part(word, choice, 2, (prep, capital)))
        key = (word, a, b, c)
        form = self._chosen.get(key)
        if form is None:
            if len(self._chosen) >= CHOICE_CACHE:
                self._chosen.clear()
                self._parts.clear()
            vectors = self._vectors
            form = self._chosen[key] = self._decide(choice, vectors[a], vectors[b], vectors[c])
        return form

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

    def _part(self, word: str, choice: _Choice, kind: int, context: tuple) -> tuple:
        if kind == 0:
            return tuple(self._left_bonus(r, context[1]) for r in choice.readings)
        if kind == 1:
            return tuple(self._right_bonus(r, context[1]) for r in choice.readings)
        prep, capital = context
        return tuple(self._prep_bonus(word, r, prep) + self._capital_bonus(r, capital) for r in choice.readings)

    def _decide(self, choice: _Choice, left: tuple, right: tuple, rest: tuple) -> str:
        best: list[tuple[float, float, int] | None] = [None] * len(choice.prior)
        for j, reading in enumerate(choice.readings):
            bonus = left[j] + right[j][0] + rest[j]
            candidate = (bonus, reading.prob, j)
            k = choice.keys[j]
            if best[k] is None or candidate[:2] > best[k][:2]:
                best[k] = candidate
        # A lemma's score: its share of P(t|w), times the factor of its best-supported reading (parses of one
        # lemma split their probability over syncretic forms; the context needs only one of them to fit).
        k = max(range(len(best)), key=lambda k: choice.prior[k] + best[k][0])
        j = best[k][2]
        reading = choice.readings[j]
        lemma = reading.lemma
        if lemma in DETERMINER_PRONOUNS and not any(
                right[n][1] for n, r in enumerate(choice.readings) if r.lemma == lemma and "Apro" in r.flags):
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
        found = self._modifiers.get(word)
        if found is None:
            found = self._modifiers[word] = bool(word[:1].isalnum()) and not word.lower().startswith(_RELATIVE) and any(
                r.pos in _MODIFIER or r.pos == "NUMR" for r in self._near(word)[1])
        return found

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


def type_normalizer(lemmatizer: ContextLemmatizer, lang: str) -> Callable[[str], str]:
    """The per-type step of a pipeline: Russian types through ``lemmatizer`` (possibly :data:`AMBIGUOUS`),
    with ``lang=auto`` other scripts through lemminflect."""
    if lang == "ru":
        return lemmatizer.type_form
    ru = lemmatizer.type_form
    return lambda word: ru(word) if CYRILLIC_RE.search(word) else english_lemma(word)
