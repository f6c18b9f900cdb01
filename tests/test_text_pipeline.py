"""The streaming pipeline: steps in order, inputs of every kind, workers, sidecar, never raising."""

from __future__ import annotations

import gzip
import io
import json
import multiprocessing
import os
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from embedkit.text import Pipeline, preprocess_files, read_sidecar
from embedkit.text.batching import sized_batches
from embedkit.text.config import PreprocessConfig
from embedkit.text.pipeline import _chunks


def test_russian_lemmas_and_stopwords_in_order() -> None:
    pipe = Pipeline(lang="ru", lemmatize=True, stopwords=True)
    assert pipe.process("Кошками бежали лучше, чем собаки, но не все.") == [
        "кошка", "бежать", "хороший", "собака", "не"]
    assert "не" not in Pipeline(lang="ru", lemmatize=True, stopwords=True, remove_negation=True).process("не все")


def test_auto_language_sends_latin_words_to_english_lemmatiser() -> None:
    assert Pipeline(lang="auto", lemmatize=True).process("Кошки смотрели running dogs") == [
        "кошка", "смотреть", "run", "dog"]


def test_english_stems_with_stopwords() -> None:
    assert Pipeline(lang="en", stem=True, stopwords=True).process("The runners were running quickly.") == [
        "runner", "run", "quick"]


def test_masks_survive_lemmatisation_and_stopwords() -> None:
    pipe = Pipeline(lang="en", lemmatize=True, stopwords=True, mask_urls=True, mask_numbers=True)
    assert pipe.process("Visit https://example.com/x for 25 cats") == ["visit", "<url>", "<num>", "cat"]


def test_sentence_units_and_jsonl() -> None:
    pipe = Pipeline(lang="en", sentences=True, output_format="jsonl")
    units = pipe.document_units("One cat. Two dogs!")
    assert units == [["one", "cat"], ["two", "dogs"]]
    assert [json.loads(line)["tokens"] for line in pipe.format_units(units)] == units


def test_from_dict_and_toml_round_trip(tmp_path) -> None:
    pipe = Pipeline.from_dict({"lang": "ru", "lemmatize": True})
    path = tmp_path / "p.toml"
    path.write_text(pipe.to_toml(), encoding="utf-8")
    assert Pipeline.from_toml(path).config == pipe.config


def test_files_folders_gz_in_order_with_sidecar(tmp_path) -> None:
    folder = tmp_path / "corpus"
    (folder / "sub").mkdir(parents=True)
    (folder / "a.txt").write_text("Cats run.\nDogs bark.\n", encoding="utf-8")
    with gzip.open(folder / "sub" / "b.txt.gz", "wt", encoding="utf-8") as handle:
        handle.write("Birds fly.\n")
    (folder / ".hidden.txt").write_text("secret\n", encoding="utf-8")
    out = tmp_path / "tokens.txt"
    config = PreprocessConfig(lang="en", lemmatize=True)
    summary = preprocess_files([folder], out, config)
    assert out.read_text(encoding="utf-8") == "cat run\ndog bark\nbird fly\n"
    assert (summary.documents, summary.tokens, summary.types) == (3, 6, 6)
    assert read_sidecar(out) == config


def test_file_unit_makes_one_document_per_file(tmp_path) -> None:
    for name, text in (("a.txt", "one\ntwo\n"), ("b.txt", "three\n")):
        (tmp_path / name).write_text(text, encoding="utf-8")
    out = tmp_path / "o.txt"
    preprocess_files([tmp_path / "a.txt", tmp_path / "b.txt"], out, PreprocessConfig(unit="file"))
    assert out.read_text(encoding="utf-8") == "one two\nthree\n"


def test_one_two_and_three_workers_give_identical_bytes(tmp_path, lee_corpus, monkeypatch) -> None:
    monkeypatch.setattr("embedkit.text.pipeline.CHUNK_DOCS", 7)
    outputs = []
    for workers in (1, 2, 3):
        sink = io.StringIO()
        pipe = Pipeline(lang="en", lemmatize=True, stopwords=True, workers=workers)
        lines = lee_corpus.read_text(encoding="utf-8").splitlines()
        summary = pipe.run(lines, sink)
        outputs.append((sink.getvalue(), summary.tokens, summary.types))
    assert outputs[0] == outputs[1] == outputs[2]
    assert outputs[0][1] > 10_000


def test_sentence_mode_workers_identical(lee_corpus, monkeypatch) -> None:
    monkeypatch.setattr("embedkit.text.pipeline.CHUNK_DOCS", 11)
    lines = lee_corpus.read_text(encoding="utf-8").splitlines()[:120]
    sinks = [io.StringIO(), io.StringIO()]
    for workers, sink in zip((1, 2), sinks, strict=True):
        Pipeline(lang="en", stem=True, stopwords=True, sentences=True, output_format="jsonl").run(
            lines, sink, workers=workers)
    assert sinks[0].getvalue() == sinks[1].getvalue()
    assert sinks[0].getvalue().count("\n") > 120


def test_worker_error_reaches_the_caller(monkeypatch) -> None:
    import pytest

    def broken(self, documents):
        raise ValueError("boom in a worker")

    monkeypatch.setattr("embedkit.text.pipeline.Pipeline.process_chunk", broken)
    with pytest.raises(ValueError, match="boom"):
        Pipeline(workers=2).run(["a b", "c d", "e f"], io.StringIO())


@pytest.mark.parametrize("context", [False, True])
def test_russian_workers_identical_on_real_text(shared_data, context: bool) -> None:
    """Shared cache entries give the same lemmas, in context too (neighbours come from entries taken in)."""
    lines = (shared_data / "ru_literature" / "anna_karenina.txt").read_text(encoding="utf-8").splitlines()[:3000]
    sinks = [io.StringIO(), io.StringIO()]
    for workers, sink in zip((1, 2), sinks, strict=True):
        Pipeline(lang="ru", lemmatize=True, lemma_context=context, workers=workers).run(lines, sink)
    assert sinks[0].getvalue() == sinks[1].getvalue()


def test_chunks_bound_memory(monkeypatch) -> None:
    assert [len(c) for c in _chunks(str(i) for i in range(1200))] == [1000, 200]
    assert [len(c) for c in _chunks((str(i) for i in range(1200)), 500)] == [500, 500, 200]
    monkeypatch.setattr("embedkit.text.pipeline.CHUNK_CHARS", 10)
    assert [len(c) for c in _chunks(["abcdef"] * 5)] == [2, 2, 1]


@given(st.lists(st.text(max_size=12), max_size=40), st.integers(1, 6), st.integers(1, 30))
def test_sized_batches_cut_the_items_in_order_at_either_bound(items, max_items, max_chars) -> None:
    batches = list(sized_batches(iter(items), max_items, max_chars))
    assert [item for batch in batches for item in batch] == items
    assert all(batch for batch in batches)
    for batch in batches[:-1]:  # each closed at the first item that reached a bound
        assert len(batch) == max_items or sum(map(len, batch)) >= max_chars
        assert len(batch) < max_items or sum(map(len, batch[:-1])) < max_chars
        assert sum(map(len, batch[:-1])) < max_chars


@pytest.mark.parametrize("options", [
    {"lang": "ru", "lemmatize": True, "stopwords": True},
    {"lang": "auto", "stem": True, "sentences": True, "output_format": "jsonl"},
])
def test_chunk_equals_document_by_document(options) -> None:
    """A chunk maps its new types in one sorted batch; the result is the per-document one."""
    docs = ["Мама мыла раму. Кошки бежали!", "", "The cats were running; Кошками не играют.", "Мама мыла раму."]
    fresh = Pipeline(**options)
    expected_units = [fresh.document_units(doc) for doc in docs]
    text, n_docs, n_tokens = Pipeline(**options).process_chunk(docs)
    assert text == "".join(line + "\n" for units in expected_units for line in fresh.format_units(units))
    assert (n_docs, n_tokens) == (4, sum(len(tokens) for units in expected_units for tokens in units))


# words, numbers, masks' raw forms, placeholders, marks that NFKC composes or expands, and line separators
# that are not "\n" (they must stay inside their document)
_PIECES = ["Мама", "мыла", "раму", "ёлки", "кто-то", "don't", "Cats", "3.5", "1,000", "42", "<unk>", "<b>",
           "x<y>", "www.example.com/a", "a@b.io", "\u0301", "\u00a0", "\ufb01", "\u2028", "\r", "\t", " ", ".",
           ",", "!", "—", "«", "»", "не", "и", "Ⅻ",
           # lemma-ambiguous words, clitics, prepositions and capitals for the lemmas in context
           "стали", "Стали", "мою", "его", "Его", "этого", "же", "ли", "в", "на", "красной", "Анну", "сталь"]
_AT_ONCE_OPTIONS = [
    {"lang": "ru", "lemmatize": True},
    {"lang": "auto", "lemmatize": True, "stopwords": True, "min_length": 2, "mask_urls": True,
     "mask_emails": True, "mask_numbers": True},
    {"lang": "ru", "stem": True, "keep_punct": True, "lowercase": False, "yo_to_e": True},
    {"lang": "ru", "lemmatize": True, "pos_tags": True, "lowercase": False},
    {"lang": "en", "nfkc": False, "keep_punct": True},
    {"lang": "ru", "lemmatize": True, "lemma_context": True, "stopwords": True},
    {"lang": "ru", "lemmatize": True, "lemma_context": True, "pos_tags": True, "lowercase": False},
]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.sampled_from(_PIECES), max_size=12).map("".join), min_size=1, max_size=8))
def test_a_chunk_mapped_at_once_is_the_chunk_document_by_document(docs: list[str]) -> None:
    """The whole-chunk path (one regex pass, line breaks as tokens) gives the per-document bytes and counts."""
    for options in _AT_ONCE_OPTIONS:
        at_once = Pipeline(**options)._chunk_at_once(docs)
        assert at_once == Pipeline(**options)._chunk_by_document(docs), options


def test_lemmas_in_context_see_no_neighbour_across_a_line_break() -> None:
    """A clitic ending a line is the word after (``его б``: the possessive), not skipped to the next line;
    a capital after a line break starts a sentence (``Дали``: the verb, not the name)."""
    for docs in (["его б", "и"], ["его б", "Анну"], ["и", "Дали"]):
        for lowercase in (True, False):
            pipe = Pipeline(lang="ru", lemmatize=True, lemma_context=True, lowercase=lowercase)
            assert pipe._chunk_at_once(docs) == pipe._chunk_by_document(docs), (docs, lowercase)
    assert Pipeline(lang="ru", lemmatize=True, lemma_context=True).process_chunk(["его б", "и"])[0] == "его б\nи\n"


def test_a_document_with_a_line_break_takes_the_per_document_path() -> None:
    pipe = Pipeline(lang="ru", lemmatize=True)
    docs = ["Мама мыла раму", "кошки\nбежали", ""]
    assert pipe._chunk_at_once(docs) is None
    assert pipe.process_chunk(docs) == ("мама мыло рама\nкошка бежать\n\n", 3, 5)


def test_only_type_by_type_configs_map_a_chunk_at_once() -> None:
    assert Pipeline(lang="ru", lemmatize=True)._at_once
    assert Pipeline(lang="ru", lemmatize=True, pos_tags=True)._at_once
    assert Pipeline(lang="ru", lemmatize=True, lemma_context=True)._at_once
    for options in ({"sentences": True}, {"output_format": "jsonl"}, {"tokenizer": "razdel"}):
        assert not Pipeline(lang="ru", lemmatize=True, **options)._at_once, options


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=200))
def test_pipeline_never_raises_on_arbitrary_unicode(text: str) -> None:
    for pipe in _PIPES:
        tokens = pipe.process(text)
        assert all(tok and not any(ch.isspace() for ch in tok) for tok in tokens)
        lines = pipe.format_units(pipe.document_units(text))
        assert pipe.process_chunk([text])[0] == "".join(line + "\n" for line in lines)


_PIPES = [
    Pipeline(lang="auto", lemmatize=True, stopwords=True, mask_urls=True, mask_emails=True, mask_numbers=True),
    Pipeline(lang="ru", stem=True, tokenizer="razdel", keep_punct=True, sentences=True),
    Pipeline(lang="en", tokenizer="nltk", keep_punct=True, lowercase=False, yo_to_e=True),
]


def test_a_worker_that_dies_is_a_clear_error_not_a_hang(monkeypatch) -> None:
    from embedkit.errors import WorkerError

    parent = os.getpid()
    real = Pipeline.process_chunk

    def dies_in_a_worker(self, documents):
        if os.getpid() != parent:
            os._exit(3)
        return real(self, documents)

    monkeypatch.setattr("embedkit.text.pipeline.Pipeline.process_chunk", dies_in_a_worker)
    monkeypatch.setattr("embedkit.text.pipeline.CHUNK_DOCS", 2)
    with pytest.raises(WorkerError, match="worker process died"):
        Pipeline(workers=3).run([f"doc {i}" for i in range(40)], io.StringIO())
    assert not multiprocessing.active_children()


def test_each_worker_keeps_its_type_cache_from_chunk_to_chunk(tmp_path, lee_corpus, monkeypatch) -> None:
    """A worker process analyses a type once, however many of its chunks hold it (one pipeline per worker)."""
    log = tmp_path / "analysed.log"
    real = Pipeline._map_uncached

    def logged(self, token):
        with open(log, "a", encoding="utf-8") as handle:  # one short append per call: whole lines
            handle.write(f"{os.getpid()} {token}\n")
        return real(self, token)

    monkeypatch.setattr("embedkit.text.pipeline.Pipeline._map_uncached", logged)
    monkeypatch.setattr("embedkit.text.pipeline.CHUNK_DOCS", 20)
    lines = lee_corpus.read_text(encoding="utf-8").splitlines()[:200]
    sink = io.StringIO()
    summary = Pipeline(lang="en", lemmatize=True, stopwords=True).run(lines, sink, workers=2)
    entries = log.read_text(encoding="utf-8").splitlines()
    pids = {entry.split(" ", 1)[0] for entry in entries}
    assert len(entries) == len(set(entries)), "a worker analysed a type twice"
    assert len(pids) == 2  # a child and this process, each with its cache
    one = io.StringIO()
    assert Pipeline(lang="en", lemmatize=True, stopwords=True).run(lines, one).types == summary.types
    assert sink.getvalue() == one.getvalue()


@pytest.mark.parametrize("workers", [1, 2])
def test_a_binary_sink_gets_the_utf8_of_what_a_text_sink_gets(monkeypatch, workers) -> None:
    monkeypatch.setattr("embedkit.text.pipeline.CHUNK_DOCS", 40)
    lines = ["Кошки бежали по крыше.", "The cats were running", "ёжик — в тумане"] * 100
    text, raw = io.StringIO(), io.BytesIO()
    Pipeline(lang="auto", lemmatize=True).run(lines, text, workers=workers)
    Pipeline(lang="auto", lemmatize=True).run(lines, raw, workers=workers)
    assert raw.getvalue() == text.getvalue().encode("utf-8")
    assert text.getvalue().splitlines()[:2] == ["кошка бежать по крыша", "the cat be run"]


class _Unshared:
    """A chunk task without its sharing methods: each worker analyses every type it meets itself."""

    def __init__(self, task) -> None:
        self.task = task

    def __call__(self, documents):
        return self.task(documents)


def test_workers_take_in_the_types_the_others_analysed(lee_corpus) -> None:
    """Shared entries spare analyses: fewer types analysed in all than by workers on their own, same bytes."""
    from embedkit.text.executors import ProcessExecutor
    from embedkit.text.pipeline import _ChunkTask

    chunks = list(_chunks(lee_corpus.read_text(encoding="utf-8").splitlines(), 20))

    def run(wrap):
        results = list(ProcessExecutor(2).map_ordered(wrap(_ChunkTask(Pipeline(lang="en", lemmatize=True))), chunks))
        return b"".join(text for text, *_ in results), sum(len(forms) for *_, forms in results)

    shared_text, shared_analyses = run(lambda task: task)
    alone_text, alone_analyses = run(_Unshared)
    assert shared_text == alone_text
    assert shared_analyses < alone_analyses


def test_process_takes_one_text_and_says_so() -> None:
    from embedkit import Pipeline

    for wrong in (None, b"bytes", ["a list"]):
        with pytest.raises(TypeError, match="one text"):
            Pipeline(lang="en").process(wrong)  # type: ignore[arg-type]
        with pytest.raises(TypeError, match="one text"):
            Pipeline(lang="en").process_sentences(wrong)  # type: ignore[arg-type]


def test_a_recorded_stop_word_file_is_found_from_any_folder(tmp_path, monkeypatch) -> None:
    from embedkit.text.config import PreprocessConfig
    from embedkit.text.provenance import read_preprocess, write_preprocess

    (tmp_path / "sw.txt").write_text("foo\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    write_preprocess(tmp_path / "p.toml", PreprocessConfig(stopwords=True, stopwords_file="sw.txt"))
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "elsewhere")
    recorded = read_preprocess(tmp_path / "p.toml")
    assert recorded is not None and Path(recorded.stopwords_file) == tmp_path / "sw.txt"
