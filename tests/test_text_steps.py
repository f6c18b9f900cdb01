"""Normalisation, tokenisers, stop words, lemmas and stems: the single steps of the pipeline."""

from __future__ import annotations

import re
import sys
import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from embedkit.errors import ConfigError
from embedkit.text.config import PreprocessConfig
from embedkit.text.morph import english_lemma, english_stem, russian_lemma, russian_stem, script_language
from embedkit.text.normalize import STABLE_CHARS, nfkc, normalize
from embedkit.text.stopwords import stopword_set
from embedkit.text.tokenize import nltk_tokenize, razdel_tokenize, regex_tokenize, split_sentences


@pytest.mark.parametrize(("form", "lemma"), [
    ("кошками", "кошка"), ("бежал", "бежать"), ("лучше", "хороший"), ("собаки", "собака"),
    ("людей", "человек"), ("шёл", "идти"),
])
def test_russian_lemmas(form: str, lemma: str) -> None:
    assert russian_lemma(form) == lemma


TRICKY_RU = ["ёж", "еж", "Пётр", "петр", "ЁЛКА", "стали", "кто-то", "по-русски", "сине-зелёный", "Облонский",
             "аркадьича", "француженкою-гувернанткой", "слушаю-с", "А", "Ё", "я", "XIV", "hello", "123", "—", "",
             "m-lle", "тридцатичетырехлетний", "бентаме", "навынтараты", "мыла", "раму", "Мама"]


def test_russian_lemma_equals_pymorphy3_first_parse() -> None:
    from embedkit.text.morph import morph_analyzer

    morph = morph_analyzer()
    for word in TRICKY_RU:
        assert russian_lemma(word) == morph.parse(word)[0].normal_form, word


def test_russian_lemma_equals_pymorphy3_on_real_text(shared_data) -> None:
    from embedkit.text.morph import morph_analyzer

    text = (shared_data / "ru_literature" / "besy_dostoevsky.txt").read_text(encoding="utf-8")[:400_000]
    morph = morph_analyzer()
    words = sorted(set(text.split()) | set(text.lower().split()))
    assert len(words) > 20_000
    assert [russian_lemma(w) for w in words] == [morph.parse(w)[0].normal_form for w in words]


@pytest.mark.parametrize(("form", "lemma"), [
    ("running", "run"), ("mice", "mouse"), ("were", "be"), ("better", "good"), ("dogs", "dog"),
    ("went", "go"), ("news", "news"),
])
def test_english_lemmas(form: str, lemma: str) -> None:
    assert english_lemma(form) == lemma


def test_stems_english_and_russian() -> None:
    assert [english_stem(w) for w in ("running", "runs", "easily", "generously")] == [
        "run", "run", "easili", "generous"]
    assert russian_stem("кошками") == "кошк"
    assert russian_stem("бежали") == russian_stem("бежал")


_PIECE = r"\w+(?:[\u0300-\u036f\u0483-\u0489\u093e\u0947]+\w*)*"  # the marks the test's alphabet draws from
_BACKTRACKING_WORD_RE = re.compile(rf"\d+(?:[.,]\d+)+|{_PIECE}(?:[-'’]{_PIECE})*")  # WORD before it was possessive


@given(st.text(alphabet=st.sampled_from("аб1.,-'’_ x\u0301\u0306\u0483\u093e\u0947"), max_size=40))
def test_the_possessive_word_pattern_finds_what_the_backtracking_one_does(text: str) -> None:
    assert regex_tokenize(text) == _BACKTRACKING_WORD_RE.findall(text)


def test_combining_marks_stay_inside_words() -> None:
    assert regex_tokenize("हिन्दी भाषा") == ["हिन्दी", "भाषा"]  # vowel signs and virama are marks, not \w
    assert regex_tokenize("i\u0307stanbul a\u0301b-c\u0308d") == ["i\u0307stanbul", "a\u0301b-c\u0308d"]
    assert regex_tokenize("x \u0301 y", keep_punct=True) == ["x", "\u0301", "y"]  # a lone mark is no word


def test_russian_stress_marks_are_dropped_so_the_word_is_the_dictionary_word() -> None:
    config = PreprocessConfig()
    assert regex_tokenize(normalize("За\u0301мок и\u0300 все\u0301", config)) == ["замок", "и", "все"]
    assert normalize("cafe\u0301", config) == "café"  # Latin accents compose as NFKC does
    assert normalize("За\u0301мок", PreprocessConfig(nfkc=False)) == "за\u0301мок"


def test_regex_tokenizer_keeps_hyphens_apostrophes_numbers() -> None:
    text = "кто-то don't stop-me 3.5 and 3,5 rock’n’roll, ok"
    assert regex_tokenize(text) == ["кто-то", "don't", "stop-me", "3.5", "and", "3,5", "rock’n’roll", "ok"]


def test_regex_tokenizer_punct_and_emoji_only_when_kept() -> None:
    assert regex_tokenize("hi 😀 there!") == ["hi", "there"]
    assert regex_tokenize("hi 😀 there!", keep_punct=True) == ["hi", "😀", "there", "!"]


def test_other_tokenizers_drop_punct() -> None:
    assert razdel_tokenize("Кошка-норушка бежит, ура!") == ["Кошка-норушка", "бежит", "ура"]
    assert nltk_tokenize("Don't stop, Mr. Smith.") == ["Do", "n't", "stop", "Mr.", "Smith"]


def test_normalize_masks_case_and_yo() -> None:
    config = PreprocessConfig(mask_urls=True, mask_emails=True, mask_numbers=True, yo_to_e=True)
    out = normalize("Ёлка: see https://ex.com/a?b=1, mail a.b@ex.org, 42 or 3.14", config)
    assert regex_tokenize(out) == ["елка", "see", "<url>", "mail", "<email>", "<num>", "or", "<num>"]


def test_normalize_nfkc_folds_compatibility_forms() -> None:
    assert normalize("ﬁle Ｔｅｓｔ ²", PreprocessConfig()) == "file test 2"


def test_the_characters_nfkc_skips_are_stable_starters_whatever_surrounds_them() -> None:
    every_char = "".join(map(chr, range(sys.maxunicode + 1)))
    stable = re.findall(f"[{STABLE_CHARS}]", every_char)
    assert len(stable) == 128 + 66
    assert all(unicodedata.combining(c) == 0 and unicodedata.is_normalized("NFKC", c) for c in stable)
    second_parts = set()  # characters a canonical composition takes after its base
    for char in every_char:
        fields = unicodedata.decomposition(char).split()
        if len(fields) > 1 and not fields[0].startswith("<"):
            second_parts.update(chr(int(field, 16)) for field in fields[1:])
    assert second_parts.isdisjoint(stable)


@pytest.mark.parametrize("text", [
    "слово\xa0слово… №5", "e\u0301 и\u0306 й\u0301", "\u0301начало", "ﬁ\u0301", "Ё\u0308ж", "ab\u0327\u0301c",
    "\u1100\u1161\u11a8 한", "x\u0323\u0307 \u1e0b\u0323", "конец\u0306",
])
def test_nfkc_equals_unicodedata(text: str) -> None:
    assert nfkc(text) == unicodedata.normalize("NFKC", text)


mixed_text = st.text(st.one_of(
    st.sampled_from("aeoEиеоЁёй \xa0\u2026\u2116ﬁ²\u0301\u0306\u0308\u0323\u0327\u0483\u1161\u11a8\u1100"),
    st.characters(),
))


@given(mixed_text)
def test_nfkc_equals_unicodedata_on_any_text(text: str) -> None:
    assert nfkc(text) == unicodedata.normalize("NFKC", text)


def test_mixed_scripts_route_by_script() -> None:
    assert script_language("кошка") == "ru"
    assert script_language("cat") == "en"
    assert script_language("iPhone-чехол") == "ru"


def test_stopwords_keep_negation_unless_asked() -> None:
    kept = stopword_set("ru")
    assert "и" in kept and "не" not in kept and "ни" not in kept
    removed = stopword_set("ru", remove_negation=True)
    assert {"не", "ни"} <= removed
    assert "the" in stopword_set("en") and "not" not in stopword_set("en")
    assert {"the", "и"} <= stopword_set("auto")


def test_user_stopword_file(tmp_path) -> None:
    path = tmp_path / "stop.txt"
    path.write_text("# mine\nкошка\nFoo\n", encoding="utf-8")
    words = stopword_set("ru", user_file=path)
    assert {"кошка", "foo"} <= words and "Foo" not in words, "the file's words are added, lower-cased"
    assert not {"# mine", "mine", "#"} & words, "a comment line is not a stop word"
    assert stopword_set("ru") < words and "кошка" not in stopword_set("ru")


def test_sentence_splitting_both_languages() -> None:
    assert split_sentences("Hello Mr. Smith. How are you? Fine.", "en") == [
        "Hello Mr. Smith.", "How are you?", "Fine."]
    assert split_sentences("Привет, т.е. здравствуй. Как дела?", "ru") == ["Привет, т.е. здравствуй.", "Как дела?"]


def test_config_rejects_bad_values() -> None:
    with pytest.raises(ConfigError, match="language"):
        PreprocessConfig(lang="de")
    with pytest.raises(ConfigError, match="either"):
        PreprocessConfig(lemmatize=True, stem=True)
    with pytest.raises(ConfigError, match="workers"):
        PreprocessConfig(workers=0)


def test_nltk_negation_contraction_is_a_negation() -> None:
    from embedkit.text.pipeline import Pipeline

    assert nltk_tokenize("I don't like it") == ["I", "do", "n't", "like", "it"]
    kept = Pipeline(lang="en", tokenizer="nltk", stopwords=True).process("I don't like it and didn't")
    assert kept == ["n't", "like", "n't"]
    dropped = Pipeline(lang="en", tokenizer="nltk", stopwords=True, remove_negation=True).process("I don't like it")
    assert dropped == ["like"]


@pytest.mark.parametrize("text", [
    "We met at 9 a.m. in the office. It rained.",
    "She woke at 7 p.m. on Jan. 5 with Prof. Smith and Mrs. Jones. It rained.",
    "Apples, pears, etc. are fruit, e.g. apples. It rained.",
    "Acme Inc. and Foo Ltd. signed with the U.S. government vs. the U.K. team. It rained.",
    "Dr. Who lives at No. 10 on Oct. 3 and Sept. 4, approx. at noon. It rained.",
])
def test_sentence_splitter_knows_english_abbreviations(text: str) -> None:
    sentences = split_sentences(text, "en")
    assert sentences[-1] == "It rained." and len(sentences) == 2 - ("It rained." == text), sentences


def test_english_abbreviation_list_is_real() -> None:
    from embedkit.resources import resource_path

    lines = resource_path("abbreviations_en.txt").read_text(encoding="utf-8").splitlines()
    words = {line.strip() for line in lines if line.strip() and not line.startswith("#")}
    assert len(words) >= 60
    assert {"a.m", "p.m", "e.g", "i.e", "etc", "mr", "mrs", "dr", "prof", "inc", "ltd", "u.s", "vs", "no"} <= words
    assert {"jan", "feb", "aug", "sept", "oct", "nov", "dec"} <= words
    assert all(word == word.lower() and not word.endswith(".") for word in words)


@pytest.mark.parametrize("tokenize", [regex_tokenize, nltk_tokenize, razdel_tokenize])
def test_placeholders_stay_whole_in_every_tokenizer(tokenize) -> None:
    assert tokenize("a <unk> b <num> c (<eos>) <my_tag>", False) == ["a", "<unk>", "b", "<num>", "c", "<eos>",
                                                                     "<my_tag>"]
    assert "<unk>" in tokenize("a <unk> b.", True)


@pytest.mark.parametrize("tokenize", [regex_tokenize, nltk_tokenize, razdel_tokenize])
def test_markup_glued_to_words_is_not_a_placeholder(tokenize) -> None:
    tokens = tokenize("fine.<br><br>Next and <b>bold</b> a<i>b", True)
    assert "br" in tokens and "bold" in tokens and not [t for t in tokens if len(t) > 1 and t.startswith("<")]


def test_a_users_stop_word_file_keeps_its_negations_unless_asked(tmp_path) -> None:
    from embedkit.text.stopwords import stopword_set

    path = tmp_path / "stop.txt"
    path.write_text("foo\nnever negation\nhardly negation\n", encoding="utf-8")
    kept = stopword_set("en", user_file=path)
    assert "foo" in kept and "never" not in kept and "hardly" not in kept
    dropped = stopword_set("en", remove_negation=True, user_file=path)
    assert {"foo", "never", "hardly"} <= dropped


def test_both_spellings_of_russian_stop_words_with_yo() -> None:
    from embedkit.text.stopwords import bundled_stopwords

    words = bundled_stopwords("ru")
    for plain, yo in (("все", "всё"), ("ее", "её"), ("еще", "ещё")):
        assert plain in words and yo in words


@pytest.mark.parametrize("text, tokens", [
    ("soft\u00adhyphen", ["softhyphen"]),
    ("zero\u200bwidth\ufeff word\u2060joined", ["zerowidth", "wordjoined"]),
    ("e\u2011mail кто\u2010то", ["e-mail", "кто-то"]),
    ("I don\u2019t know. I don't know.", ["i", "don't", "know", "i", "don't", "know"]),
])
def test_typographic_variants_are_one_spelling(text: str, tokens: list[str]) -> None:
    from embedkit import Pipeline

    assert Pipeline(lang="auto").process(text) == tokens
    assert "\u00ad" in normalize("soft\u00adhyphen", PreprocessConfig(nfkc=False))


@pytest.mark.parametrize("context", [False, True])
def test_yo_to_e_reaches_the_lemmas(context: bool) -> None:
    from embedkit import Pipeline

    tokens = Pipeline(lang="ru", lemmatize=True, yo_to_e=True, lemma_context=context).process(
        "Ёлки зелёные, всё ещё стали тёмными")
    assert tokens and not any("ё" in t for t in tokens), tokens
    assert "елка" in tokens and "зеленый" in tokens


def test_whole_contractions_are_stop_words_and_their_negations_stay() -> None:
    from embedkit import Pipeline

    assert Pipeline(lang="en", stopwords=True).process("I'm sure you're right, they'll go and we've it's") == [
        "sure", "right", "go"]
    assert Pipeline(lang="en", stopwords=True).process("I don’t know, it isn't") == ["don't", "know", "isn't"]
    assert Pipeline(lang="en", stopwords=True, remove_negation=True).process("I don't know, it isn't") == ["know"]


def test_nltk_tokenizer_splits_every_sentence_final_stop_as_word_tokenize_does() -> None:
    from embedkit.text.tokenize import nltk_tokenize

    assert nltk_tokenize("I like cats. Dogs are fine.") == ["I", "like", "cats", "Dogs", "are", "fine"]
    assert nltk_tokenize("Mr. Smith likes cats. Dogs too.", keep_punct=True) == [
        "Mr.", "Smith", "likes", "cats", ".", "Dogs", "too", "."]


def test_number_masks_leave_names_with_a_hyphenated_number_whole() -> None:
    config = PreprocessConfig(mask_numbers=True)
    assert regex_tokenize(normalize("COVID-19 and Ту-154, pages 10-15, -5 and 3.5", config)) == [
        "covid-19", "and", "ту-154", "pages", "<num>", "<num>", "<num>", "and", "<num>"]
