"""Russian lemmas chosen in context, at the cost of a dictionary look-up for most tokens.

Most word types have one lemma in every pymorphy3 parse (``кошками``: кошка), so the lemma is a property
of the type and is cached once. A few are lemma-ambiguous (``стали``: сталь / стать, ``мою``: мой / мыть,
``его``: он / его, ``этого``: это / этот): for those, each parse's probability P(tag | word) from
pymorphy3's bundled corpus statistics is multiplied by factors for what the neighbouring words can be
(their possible tags, again from pymorphy3), and the lemma with the largest total wins. Nothing is trained
here: the factors are a handful of grammar rules, in :mod:`embedkit.text.lemma_rules`. This module reads
the dictionary without building pymorphy3's ``Parse`` objects, keeps the per-type answers, and remembers the
choices made per context, so that an ambiguous token costs a few look-ups.

Two conventions follow Universal Dependencies, against which the choice is measured
(``benchmarks/lemma_accuracy.py``): the vowel variants of prepositions keep their form (``во``, ``со``,
``ко``, ``об``), and ``тот``, ``этот``, ``весь`` with no noun phrase after them are the pronouns ``то``,
``это``, ``всё``. Lemmas are lower-case, as pymorphy3 writes them.

With ``pos_tags`` every lemma carries its Universal Dependencies part of speech, RusVectores-style
(``кошка_NOUN``), mapped from the OpenCorpora tag of the chosen parse (:func:`upos`).
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Sequence

from embedkit.text.lemma_rules import (
    CLITICS,
    DETERMINER_PRONOUNS,
    GOVERNED_LIST,
    GOVERNS_LATER,
    GOVERNS_LATER_ID,
    GOVERNS_NEXT,
    GOVERNS_NEXT_ID,
    MIN_ALTERNATIVE,
    MODIFIER,
    NEIGHBOUR_MIN,
    NO_LEFT,
    NO_RIGHT,
    NOT_A_NEIGHBOUR,
    PERSONAL,
    PREPOSITION_VARIANTS,
    RELATIVE,
    SMOOTH,
    Choice,
    Reading,
    capital_bonus,
    decide,
    dominates,
    left_bonus,
    left_part,
    left_traits,
    make_choice,
    prep_bonus,
    reduce_tag,
    right_bonus,
    right_part,
    right_traits,
    upos,
)
from embedkit.text.morph import english_lemma, normal_form_builder, plain_analyzer
from embedkit.text.tokenize import CYRILLIC_RE, LINE_BREAK

__all__ = ["AMBIGUOUS", "ContextLemmatizer", "Reading", "type_normalizer", "upos"]

AMBIGUOUS = "\x00"  # a per-type cache's value for a type whose lemma depends on its neighbours
CHOICE_CACHE = 1 << 18  # choices remembered by (word, neighbours) before the memory starts afresh
LOOKED_UP_KEPT = 1 << 16  # dictionary entries kept from a type's analysis for its use as a neighbour


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
        self._choices: dict[str, Choice] = {}
        # what each word is as a neighbour (:meth:`_neighbour`), through the tag sets words share
        self._neighbours: dict[str, tuple[int, int, bool]] = {}
        self._tag_sets: dict[tuple, tuple[int, int, bool]] = {}
        self._looked_up: dict[str, list] = {}  # dictionary entries of the types analysed last, for _neighbour
        self._trait_sets: dict[tuple[str, frozenset[tuple]], tuple[int, int, bool]] = {}
        self._lefts: dict[tuple, int] = {NO_LEFT: 0}
        self._rights: dict[tuple, int] = {NO_RIGHT: 0}
        self._left_list: list[tuple] = [NO_LEFT]
        self._right_list: list[tuple] = [NO_RIGHT]
        # choices remembered: per occurrence's context, per part of the context, per parts
        self._decided: dict[tuple, str] = {}
        self._parts: dict[tuple, int] = {}
        self._chosen: dict[tuple, str] = {}
        self._vector_ids: dict[tuple, int] = {}
        self._vectors: list[tuple] = []
        self._paradigms = morph.dictionary.paradigms
        self._lemma = normal_form_builder(morph.dictionary)  # the normal form of a paradigm's form
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
            reduced = [reduce_tag(str(parse[1])) for parse in parses]
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
        """:func:`reduce_tag` of a tag by its gramtab number (remembered in ``_tag_reduced``)."""
        found = self._tag_reduced[tag] = reduce_tag(self._tag_names[tag])
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
        word before one (:data:`NO_LEFT`), as the word after one (:data:`NO_RIGHT`), and whether it can
        stand between a preposition and its noun (an adjective, participle or numeral).

        The readings counted are those of :meth:`_neighbour_readings`; words the rules cannot tell apart get
        the same numbers, and a choice made beside one is remembered for all. :meth:`type_form` fills it in
        for the types it analyses, from the entries it looked up.
        """
        found = self._neighbours.get(word)
        if found is not None:
            return found
        if not word[:1].isalnum():
            found = self._neighbours[word] = NOT_A_NEIGHBOUR
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
        key = (lower if lower in PERSONAL else "", *tags)
        found = self._tag_sets.get(key)
        if found is None:
            reduced = self._tag_reduced
            found = self._tag_sets[key] = self._context({reduced[tag] or self._reduce(tag) for tag in tags}, lower)
        return self._relative(lower, found)

    @staticmethod
    def _relative(lower: str, found: tuple[int, int, bool]) -> tuple[int, int, bool]:
        """A relative word (``который``, ``как``) does not stand between a preposition and its noun."""
        return (found[0], found[1], False) if found[2] and lower.startswith(RELATIVE) else found

    @staticmethod
    def _unknown_tags(parses: list) -> set[tuple]:
        """The tags a word the dictionary lacks can have as a neighbour: pymorphy3's guesses above
        NEIGHBOUR_MIN, or the first."""
        return {reduce_tag(str(parse.tag)) for parse in parses if parse.score >= NEIGHBOUR_MIN} or {
            reduce_tag(str(parses[0].tag))}

    def _context(self, tags: set[tuple], lower: str) -> tuple[int, int, bool]:
        personal = lower if lower in PERSONAL else ""
        key = (personal, frozenset(tags))
        found = self._trait_sets.get(key)
        if found is None:
            traits = [Reading(personal, *tag, 0.0) for tag in key[1]]
            found = self._trait_sets[key] = (
                _number(self._lefts, self._left_list, left_traits(traits)),
                _number(self._rights, self._right_list, right_traits(traits)),
                any(r.pos in MODIFIER or r.pos == "NUMR" for r in traits))
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
            reduced = dict.fromkeys(map(reduce_tag, names))
        else:
            parses = self._parse(word)
            reduced = dict.fromkeys(reduce_tag(str(parse.tag)) for parse in parses
                                    if parse.score >= NEIGHBOUR_MIN) or {reduce_tag(str(parses[0].tag)): None}
        lower = word.lower()
        lemma = lower if lower in PERSONAL else ""
        return tuple(Reading(lemma, *tag, 0.0) for tag in reduced)

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
            form = self._forms[word] = self._form(top.normal_form, upos(top.tag))
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
                    found = self._tag_sets.get((lower if lower in PERSONAL else "", tag))
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
            form = self._form(lower, "ADP")
        elif all(lemma == first[0] and (not tagged or reduced[0] == first[1][0]) for lemma, reduced, _ in entries):
            form = self._form(first[0], first[1][0])
        else:
            readings = self._readings[word] = self._merge(entries)
            plausible = self._plausible(readings)
            if len(plausible) > 1 or any(lemma in DETERMINER_PRONOUNS for lemma, _ in plausible):
                form = AMBIGUOUS
                self._choices[word] = make_choice(plausible)
            else:
                reading = next(iter(plausible.values()))[0]
                form = self._form(reading.lemma, reading.upos)
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
            all(dominates(t, a) for a in group) for t in tops)}

    def _form(self, lemma: str, tag: str) -> str:
        """The output form of a lemma with its UD part of speech: ``lemma_UPOS`` with ``pos_tags``."""
        return f"{lemma}_{tag}" if self.pos_tags else lemma

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

        ``tokens`` may hold several lines, separated by :data:`~embedkit.text.tokenize.LINE_BREAK` tokens: each
        is settled as if alone (a line break is where a line starts and ends).
        """
        count = forms.count(AMBIGUOUS)
        if not count:
            return []
        positions = []
        decided, neighbours, neighbour, governs = self._decided, self._neighbours, self._neighbour, GOVERNS_NEXT_ID
        cased = self.cased
        n = len(tokens)
        i = -1
        for _ in range(count):
            i = forms.index(AMBIGUOUS, i + 1)
            positions.append(i)
            after = i + 1
            while after < n - 1 and tokens[after] in CLITICS and tokens[after + 1] != LINE_BREAK:
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
            found = GOVERNS_LATER_ID.get(word)
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
            a = memo[part] = intern(left_part(choice, self._left_list[left]))
        part = (word, 1, right)
        b = memo.get(part)
        if b is None:
            b = memo[part] = intern(right_part(choice, self._right_list[right]))
        part = (word, 2, governed, capital)
        c = memo.get(part)
        if c is None:
            if governed is None and capital is None:  # what prep_bonus and capital_bonus give then
                c = memo[part] = intern((0.0,) * len(choice.readings))
            else:
                prep = None if governed is None else GOVERNED_LIST[governed]
                c = memo[part] = intern(tuple(prep_bonus(word, r, prep) + capital_bonus(r, capital)
                                              for r in choice.readings))
        part = (word, a, b, c)
        form = self._chosen.get(part)
        if form is None:
            vectors = self._vectors
            form = self._chosen[part] = self._decide(choice, vectors[a], vectors[b], vectors[c])
        self._decided[key] = form
        return form


    def choose_by_rules(self, tokens: Sequence[str], i: int) -> str:
        """What :meth:`choose` answers, from the rules themselves and remembering nothing: each neighbour's
        readings are looked up afresh and every rule looks at them one by one (slow; the tests hold
        :meth:`choose` to it)."""
        word = tokens[i]
        choice = self._choice(word)
        n = len(tokens)
        after = i + 1
        while after < n - 1 and tokens[after] in CLITICS:
            after += 1
        near = self._neighbour_readings
        left = near(tokens[i - 1]) if i and tokens[i - 1][:1].isalnum() else ()
        right = near(tokens[after]) if after < n and tokens[after][:1].isalnum() else ()
        prep = self._governing(tokens, i) if i else None
        capital = self._capital_inside(tokens, i) if self.cased else None
        readings = choice.readings
        return self._decide(choice, tuple(left_bonus(r, left) for r in readings),
                            tuple(right_bonus(r, right) for r in readings),
                            tuple(prep_bonus(word, r, prep) + capital_bonus(r, capital) for r in readings))

    def _intern(self, vector: tuple) -> int:
        number = self._vector_ids.get(vector)
        if number is None:
            number = self._vector_ids[vector] = len(self._vectors)
            self._vectors.append(vector)
        return number

    def _choice(self, word: str) -> Choice:
        """An ambiguous word's plausible readings, the lemma each belongs to and each lemma's prior."""
        choice = self._choices.get(word)
        if choice is None:
            choice = self._choices[word] = make_choice(self._plausible(self.readings(word)))
        return choice


    def _decide(self, choice: Choice, left: tuple, right: tuple, rest: tuple) -> str:
        return self._form(*decide(choice, left, right, rest))

    def _governing(self, tokens: Sequence[str], i: int) -> tuple[frozenset[str], bool] | None:
        """Cases governed by the preposition before ``tokens[i]`` (looking past up to two modifiers), and
        whether it stands right before it."""
        found = GOVERNS_NEXT.get(tokens[i - 1])
        if found is not None or not self._modifies(tokens[i - 1]):
            return found
        for j in range(i - 2, max(i - 4, -1), -1):
            found = GOVERNS_LATER.get(tokens[j])
            if found is not None or not self._modifies(tokens[j]):
                return found
        return None

    def _modifies(self, word: str) -> bool:
        """Whether a word can stand between a preposition and its noun (an adjective, participle, numeral)."""
        return bool(word[:1].isalnum()) and not word.lower().startswith(RELATIVE) and any(
            r.pos in MODIFIER or r.pos == "NUMR" for r in self._neighbour_readings(word))

    def _capital_inside(self, tokens: Sequence[str], i: int) -> bool | None:
        """With case kept: ``True`` for a capitalised word that does not start the sentence, ``False`` for a
        lower-case word, ``None`` when case says nothing."""
        if not self.cased or i == 0 or not tokens[i][:1].isalpha():
            return None
        previous = tokens[i - 1]
        if previous in (LINE_BREAK, ".", "!", "?", "…", "—", "-", "«", "\"", "(", ":"):
            return None
        return tokens[i][:1].isupper()


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
