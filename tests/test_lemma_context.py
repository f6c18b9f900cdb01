"""Russian lemmas in context (lemma_context), RusVectores-style lemma_UPOS tokens (pos_tags), their flags."""

from __future__ import annotations

import io

import numpy as np
import pytest
from cli_helpers import run_cli

from embedkit.errors import ConfigError
from embedkit.text import Pipeline
from embedkit.text.config import PreprocessConfig
from embedkit.text.lemma_context import AMBIGUOUS, ContextLemmatizer, upos
from embedkit.text.morph import morph_analyzer


@pytest.fixture(scope="module")
def lemmatizer() -> ContextLemmatizer:
    return ContextLemmatizer()


@pytest.mark.parametrize(("sentence", "word", "lemma"), [
    ("мы стали лучше", "стали", "стать"),
    ("мы стали говорить", "стали", "стать"),
    ("из стали", "стали", "сталь"),
    ("изделия из нержавеющей стали", "стали", "сталь"),
    ("я мою посуду", "мою", "мыть"),
    ("мою руки", "мою", "мыть"),
    ("мою книгу", "мою", "мой"),
    ("я вижу его", "его", "он"),
    ("его книга", "его", "его"),
    ("с ним", "ним", "он"),
    ("к ним", "ним", "они"),
    ("все люди", "все", "весь"),
    ("в этом году", "этом", "этот"),
    ("об этом", "этом", "это"),
    ("во дворе", "во", "во"),
])
def test_ambiguous_words_take_their_lemma_from_the_neighbours(lemmatizer, sentence, word, lemma) -> None:
    tokens = sentence.split()
    assert lemmatizer.lemmatize(tokens)[tokens.index(word)] == lemma


def test_the_first_parse_alone_gets_these_wrong() -> None:
    """The examples above are real choices: without context pymorphy3 takes the other lemma."""
    parse = morph_analyzer().parse
    assert parse("стали")[0].normal_form == "стать"
    assert parse("мою")[0].normal_form == "мой"
    assert parse("ним")[0].normal_form == "они"


def test_unambiguous_types_are_settled_once_per_type(lemmatizer) -> None:
    assert lemmatizer.type_form("кошками") == "кошка"
    assert lemmatizer.type_form("стали") == AMBIGUOUS
    assert lemmatizer.type_form("мою") == AMBIGUOUS
    assert lemmatizer.type_form("лёвин".replace("ё", "е")) != AMBIGUOUS, "lemmas apart only by ё are one"


def test_capitalised_word_inside_a_sentence_prefers_a_name() -> None:
    cased = ContextLemmatizer(cased=True)
    assert cased.lemmatize(["портрет", "императора", "Карла"])[2] == "карл"
    assert cased.lemmatize(["Иван", "Петров"]) == ["иван", "петров"]


def test_without_context_every_word_takes_its_first_parse() -> None:
    parse = morph_analyzer().parse
    plain = ContextLemmatizer(pos_tags=True, context=False)
    for word in ("стали", "мою", "его", "Карла", "кошками", "hello", "123"):
        top = parse(word)[0]
        assert plain.type_form(word) == f"{top.normal_form}_{upos(top.tag)}"


@pytest.mark.parametrize(("word", "tag"), [
    ("кошками", "NOUN"), ("москве", "PROPN"), ("иван", "PROPN"), ("красивая", "ADJ"), ("красив", "ADJ"),
    ("бежать", "VERB"), ("бежал", "VERB"), ("бегущий", "VERB"), ("быстро", "ADV"), ("мой", "DET"),
    ("я", "PRON"), ("в", "ADP"), ("и", "CCONJ"), ("бы", "PART"), ("ой", "INTJ"), ("пять", "NUM"),
    ("hello", "X"), ("12", "NUM"),
])
def test_opencorpora_tags_map_to_ud_parts_of_speech(word: str, tag: str) -> None:
    assert upos(morph_analyzer().parse(word)[0].tag) == tag


def test_pipeline_lemma_context_and_pos_tags() -> None:
    text = "Мы стали лучше. Изделия из стали. Кошки спят"
    first = Pipeline(lang="ru", lemmatize=True, lemma_context=False).process(text)
    assert first[first.index("из") + 1] == "стать"
    context = Pipeline(lang="ru", lemmatize=True, lemma_context=True).process(text)
    assert context == ["мы", "стать", "хороший", "изделие", "из", "сталь", "кошка", "спать"]
    tagged = Pipeline(lang="ru", lemmatize=True, lemma_context=True, pos_tags=True).process(text)
    assert tagged == ["мы_PRON", "стать_VERB", "хороший_ADV", "изделие_NOUN", "из_ADP", "сталь_NOUN",
                      "кошка_NOUN", "спать_VERB"]
    first_tagged = Pipeline(lang="ru", lemmatize=True, lemma_context=False, pos_tags=True).process("из стали")
    assert first_tagged == ["из_ADP", "стать_VERB"]


def test_stop_words_apply_to_the_lemma_of_a_tagged_or_ambiguous_token() -> None:
    pipe = Pipeline(lang="ru", lemmatize=True, lemma_context=True, pos_tags=True, stopwords=True)
    assert pipe.process("я вижу его книгу") == ["видеть_VERB", "книга_NOUN"]
    pipe = Pipeline(lang="ru", lemmatize=True, lemma_context=True, stopwords=True)
    assert pipe.process("мы стали лучше") == ["стать", "хороший"]
    assert pipe.map_token("стали") == "стать"


def test_pos_tags_need_lemmas_of_russian() -> None:
    with pytest.raises(ConfigError, match="lemmatize"):
        PreprocessConfig(lang="ru", pos_tags=True)
    with pytest.raises(ConfigError, match="ru or auto"):
        PreprocessConfig(lang="en", lemmatize=True, pos_tags=True)


def _russian_lines() -> list[str]:
    sentences = ["Мы стали лучше жить.", "Изделия из нержавеющей стали.", "Я мою руки, а ты читаешь мою книгу.",
                 "Его книга лежит на столе, я вижу его.", "В этом году все люди говорили об этом.",
                 "Иван Петров пришёл во двор со своим другом.", "Кити и Левин стали говорить с ним."]
    return [f"{sentences[i % len(sentences)]} {sentences[(i * 3) % len(sentences)]} строка {i}" for i in range(900)]


@pytest.mark.parametrize("options", [dict(lemma_context=True), dict(lemma_context=True, pos_tags=True)])
def test_one_and_two_workers_give_identical_bytes(monkeypatch, options) -> None:
    monkeypatch.setattr("embedkit.text.pipeline.CHUNK_DOCS", 50)
    lines = _russian_lines()
    sinks = [io.StringIO(), io.StringIO()]
    for workers, sink in zip((1, 2), sinks, strict=True):
        Pipeline(lang="ru", lemmatize=True, workers=workers, **options).run(lines, sink)
    assert sinks[0].getvalue() == sinks[1].getvalue()
    assert "сталь" in sinks[0].getvalue() and "стать" in sinks[0].getvalue()


def test_cli_flags_choose_context_and_tags(tmp_path, capsys) -> None:
    src = tmp_path / "ru.txt"
    src.write_text("Изделия из стали.\n", encoding="utf-8")
    outputs = {}
    for flag in ("--no-lemma-context", "--lemma-context", "--pos-tags"):
        out = tmp_path / f"{flag}.out"
        code, _, err = run_cli(capsys, "preprocess", str(src), "-o", str(out), "--lang", "ru", "--lemmatize",
                               "--lemma-context" if flag == "--pos-tags" else flag,
                               *(["--pos-tags"] if flag == "--pos-tags" else []))
        assert code == 0, err
        outputs[flag] = out.read_text(encoding="utf-8")
    assert outputs == {"--no-lemma-context": "изделие из стать\n", "--lemma-context": "изделие из сталь\n",
                       "--pos-tags": "изделие_NOUN из_ADP сталь_NOUN\n"}
    recorded = (tmp_path / "--pos-tags.out.pipeline.toml").read_text(encoding="utf-8")
    assert "pos_tags = true" in recorded and "lemma_context = true" in recorded


def test_cli_pos_tags_without_lemmas_is_a_one_line_error(tmp_path, capsys) -> None:
    src = tmp_path / "ru.txt"
    src.write_text("Кошки спят.\n", encoding="utf-8")
    code, _, err = run_cli(capsys, "preprocess", str(src), "-o", str(tmp_path / "o.txt"), "--lang", "ru",
                           "--pos-tags")
    assert code == 2 and "lemmatize" in err and "Traceback" not in err
    assert not (tmp_path / "o.txt").exists()


def test_tagged_vectors_answer_bare_and_tagged_queries() -> None:
    from embedkit.embeddings import Embeddings

    words = ["кошка_NOUN", "собака_NOUN", "стать_VERB", "сталь_NOUN"]
    vecs = np.array([[1, 0.1, 0], [0.9, 0.2, 0], [0, 1, 0], [0, 0, 1]], dtype=np.float32)
    config = PreprocessConfig(lang="ru", lemmatize=True, lemma_context=True, pos_tags=True)
    emb = Embeddings.from_vectors(words, vecs, preprocess=config)
    assert emb.key("кошками") == "кошка_NOUN"
    assert emb.most_similar("кошка_NOUN", topn=1)[0][0] == "собака_NOUN"
    assert emb.most_similar("кошки", topn=1) == emb.most_similar("кошка_NOUN", topn=1)


def test_beats_the_first_parse_on_the_ud_dev_sets(shared_data) -> None:
    """Content-token accuracy against gold lemmas (the benchmark's measure): a clear gain on both treebanks."""
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "benchmarks" / "lemma_accuracy.py"
    spec = importlib.util.spec_from_file_location("lemma_accuracy", path)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    TREEBANKS, first_parse, ours, read_conllu, score = (
        bench.TREEBANKS, bench.first_parse, bench.ours, bench.read_conllu, bench.score)

    for _, file in TREEBANKS:
        sentences = read_conllu(shared_data / "ru_ud_dev" / file)
        base = score(sentences, first_parse(sentences))[0]
        context = score(sentences, ours(True)(sentences))[0]
        assert context >= base + 0.01, (file, base, context)


def _by_rules(lemmatizer: ContextLemmatizer, tokens: list[str]) -> list[str]:
    """Each token's form with nothing remembered between tokens: the type's form, and for an ambiguous type
    the rules applied to its neighbours' readings one by one."""
    forms = [lemmatizer.type_form(token) if token[:1].isalnum() else token for token in tokens]
    return [lemmatizer.choose_by_rules(tokens, i) if form == AMBIGUOUS else form for i, form in enumerate(forms)]


@pytest.mark.parametrize("options", [{}, dict(lowercase=False), dict(pos_tags=True),
                                     dict(lowercase=False, pos_tags=True)])
def test_remembered_choices_are_the_rules_choices(options) -> None:
    """The per-context memory (neighbour numbers, parts, choices) answers as the rules do, token by token."""
    pipe = Pipeline(lang="ru", lemmatize=True, lemma_context=True, **options)
    reference = ContextLemmatizer(options.get("pos_tags", False), cased=not options.get("lowercase", True))
    lines = _russian_lines()[:60] + ["его", "Его нет", "стали его", "мою, и"]
    for line in lines:
        units = pipe.raw_units(line)
        assert pipe.map_units(units) == [_by_rules(reference, tokens) for tokens in units], line


@pytest.mark.parametrize("options", [{}, dict(lowercase=False, pos_tags=True)])
def test_remembered_choices_are_the_rules_choices_on_novels(shared_data, options) -> None:
    """As above on 150,000 characters of the novels in ../shared/data (some 3,000 ambiguous tokens)."""
    novels = sorted((shared_data / "ru_literature").glob("*.txt"))
    if not novels:
        pytest.skip("../shared/data/ru_literature holds no novels")
    lines = "\n".join(path.read_text(encoding="utf-8")[:75_000] for path in novels[:2]).splitlines()
    pipe = Pipeline(lang="ru", lemmatize=True, lemma_context=True, **options)
    sink = io.StringIO()
    pipe.run(lines, sink)
    reference = ContextLemmatizer(options.get("pos_tags", False), cased=not options.get("lowercase", True))
    expected = [" ".join(_by_rules(reference, tokens)) for line in lines for tokens in pipe.raw_units(line)]
    assert sink.getvalue().splitlines() == expected
    assert sum(form == AMBIGUOUS for form in pipe._cache.values()) > 100
