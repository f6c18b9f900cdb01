"""Queries: cosine neighbours, 3CosAdd / 3CosMul against hand computations, batches, unknown words, lemmas."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from embedkit.embeddings import Embeddings, UnknownWordError
from embedkit.errors import EmbedkitError

WORDS = ["man", "woman", "king", "queen", "apple", "prince"]
VECS = np.array([
    [1.0, 0.0, 0.1, 0.0],
    [0.0, 1.0, 0.1, 0.0],
    [1.0, 0.0, 1.0, 0.1],
    [0.0, 1.0, 1.0, 0.1],
    [0.1, 0.1, 0.0, 1.0],
    [0.9, 0.2, 0.8, 0.3],
], dtype=np.float32)


@pytest.fixture()
def tiny() -> Embeddings:
    return Embeddings.from_vectors(WORDS, VECS)


def _unit(m: np.ndarray) -> np.ndarray:
    return m / np.linalg.norm(m, axis=-1, keepdims=True)


def test_3cosadd_matches_hand_computation(tiny: Embeddings) -> None:
    u = _unit(VECS.astype(np.float64))
    target = _unit(u[2] - u[0] + u[1])
    expected = u @ target
    expected[[0, 1, 2]] = -np.inf
    scores = tiny.analogy_scores("man", "king", "woman", method="3cosadd", topn=3)
    assert [w for w, _ in scores] == [WORDS[i] for i in np.argsort(-expected)[:3]]
    assert scores[0][0] == "queen" and tiny.analogy("man", "king", "woman") == "queen"
    assert scores[0][1] == pytest.approx(expected[3], abs=1e-6)


def test_3cosmul_matches_hand_computation(tiny: Embeddings) -> None:
    u = _unit(VECS.astype(np.float64))
    cos = lambda i: (1 + u @ u[i]) / 2  # noqa: E731
    expected = cos(2) * cos(1) / (cos(0) + 1e-6)
    expected[[0, 1, 2]] = -np.inf
    scores = tiny.analogy_scores("man", "king", "woman", method="3cosmul", topn=3)
    assert [w for w, _ in scores] == [WORDS[i] for i in np.argsort(-expected)[:3]]
    assert [s for _, s in scores] == pytest.approx(np.sort(expected)[::-1][:3], abs=1e-5)


def test_unknown_analogy_method_is_an_error_naming_the_known_ones(tiny: Embeddings) -> None:
    with pytest.raises(EmbedkitError, match="3cosadd"):
        tiny.analogy("man", "king", "woman", method="pairdir")


def test_most_similar_single_string_and_lists(tiny: Embeddings) -> None:
    u = _unit(VECS.astype(np.float64))
    expected = u @ u[2]
    expected[2] = -np.inf
    top = tiny.most_similar("king", topn=2)
    assert [w for w, _ in top] == [WORDS[i] for i in np.argsort(-expected)[:2]]
    assert [s for _, s in top] == pytest.approx(np.sort(expected)[::-1][:2], abs=1e-6)
    assert tiny.most_similar(["king"], topn=2) == top
    assert len(tiny.most_similar("king", topn=100)) == len(WORDS) - 1
    assert tiny.most_similar(positive=["king", "woman"], negative=["man"], topn=1)[0][0] == "queen"


def test_nearest_includes_the_word_itself(tiny: Embeddings) -> None:
    assert tiny.nearest(VECS[4], topn=1)[0][0] == "apple"
    with pytest.raises(EmbedkitError, match="shape"):
        tiny.nearest(np.ones(3), topn=1)


def test_doesnt_match_and_similarity(tiny: Embeddings) -> None:
    assert tiny.doesnt_match(["man", "king", "prince", "apple"]) == "apple"
    u = _unit(VECS.astype(np.float64))
    assert tiny.similarity("man", "queen") == pytest.approx(float(u[0] @ u[3]), abs=1e-6)


def test_batch_equals_single_queries() -> None:
    rng = np.random.default_rng(0)
    words = [f"w{i}" for i in range(3000)]
    emb = Embeddings.from_vectors(words, rng.standard_normal((3000, 24)))
    queries = words[::7]
    batch = emb.most_similar_batch(queries, topn=5)
    for query, got in zip(queries, batch, strict=True):
        single = emb.most_similar(query, topn=5)
        assert [w for w, _ in got] == [w for w, _ in single]
        assert [s for _, s in got] == pytest.approx([s for _, s in single], abs=1e-5)


def test_unknown_word_error_is_a_key_error_naming_close_spellings(tiny: Embeddings) -> None:
    with pytest.raises(KeyError) as info:
        tiny.vector("quen")
    assert isinstance(info.value, UnknownWordError) and isinstance(info.value, EmbedkitError)
    assert "'quen' is not in the vocabulary" in str(info.value) and "queen" in str(info.value)
    with pytest.raises(UnknownWordError):
        tiny.most_similar("zzz")


class _StubPipeline:
    """Stands in for embedkit.text.Pipeline: a lookup of inflected forms, dropping stop words."""

    table = {"лошадями": "лошадь", "лошади": "лошадь", "и": None}

    def process(self, text: str) -> list[str]:
        out = [self.table.get(t, t) for t in text.lower().split()]
        return [t for t in out if t]


def _ru() -> Embeddings:
    from embedkit.text.config import PreprocessConfig

    words = ["лошадь", "конь", "телега", "и", "дом"]
    vecs = np.array([[1, 0.1, 0], [0.9, 0.2, 0], [0.5, 0.5, 0.1], [0, 0, 1], [0, 1, 0]], dtype=np.float32)
    return Embeddings.from_vectors(words, vecs, preprocess=PreprocessConfig(lang="ru", lemmatize=True))


def test_query_words_pass_through_the_model_preprocessing_stub() -> None:
    emb = _ru()
    emb._pipeline = _StubPipeline()
    assert emb.most_similar("лошадями", topn=3) == emb.most_similar("лошадь", topn=3)
    assert emb.key("И") == "и", "a word the pipeline drops is used lower-cased"
    np.testing.assert_array_equal(emb.vector("Лошади"), emb.vector("лошадь"))


def test_query_words_pass_through_the_real_pipeline() -> None:
    emb = _ru()
    assert emb.key("лошадями") == "лошадь"
    assert emb.most_similar("лошадями", topn=3) == emb.most_similar("лошадь", topn=3)


def test_ann_index_recall_against_exact_search() -> None:
    pytest.importorskip("hnswlib")
    rng = np.random.default_rng(1)
    words = [f"w{i}" for i in range(5000)]
    emb = Embeddings.from_vectors(words, rng.standard_normal((5000, 32)))
    queries = rng.standard_normal((50, 32)).astype(np.float32)
    exact = [{w for w, _ in emb.nearest(q, topn=10)} for q in queries]
    emb.build_ann_index(ef=100)
    approx = [{w for w, _ in emb.nearest(q, topn=10)} for q in queries]
    recall = np.mean([len(a & e) / 10 for a, e in zip(approx, exact, strict=True)])
    assert recall >= 0.95


def test_ann_without_hnswlib_says_how_to_install(tiny: Embeddings, monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "hnswlib", None)
    with pytest.raises(EmbedkitError, match=r"pip install 'embedkit\[ann\]'"):
        tiny.build_ann_index()


def test_a_query_in_the_vocabulary_as_written_is_not_preprocessed_into_another_word() -> None:
    """``u.s.`` used to become ``u`` through the tokeniser, and ``mr.`` became ``mr``: another word's vector."""
    from embedkit.text.config import PreprocessConfig

    words = ["u.s.", "u", "s", "mr.", "mr", "states"]
    vecs = np.eye(6, dtype=np.float32) + 0.01
    emb = Embeddings.from_vectors(words, vecs, preprocess=PreprocessConfig(lang="en"))
    assert emb.key("u.s.") == "u.s." and emb.key("mr.") == "mr."
    np.testing.assert_array_equal(emb.vector("u.s."), vecs[0])
    assert emb.similarity("u.s.", "u") == pytest.approx(float(_unit(vecs[0]) @ _unit(vecs[1])))
    assert emb.key("States") == "states", "a query the vocabulary lacks still goes through the pipeline"


def test_a_query_the_pipeline_splits_is_unknown_not_its_first_piece() -> None:
    from embedkit.text.config import PreprocessConfig

    emb = Embeddings.from_vectors(["new", "york"], np.eye(2, dtype=np.float32),
                                  preprocess=PreprocessConfig(lang="en"))
    assert emb.key("New-York.") != "new" and emb.key("new york") == "new york"
    with pytest.raises(UnknownWordError, match="as 'new york'"):
        emb.vector("New York")


def test_indexing_by_word_is_vector_as_in_gensim() -> None:
    emb = Embeddings.from_vectors(["cat", "dog"], np.array([[1.0, 0.0], [0.0, 2.0]], dtype=np.float32))
    np.testing.assert_array_equal(emb["dog"], emb.vector("dog"))
    with pytest.raises(UnknownWordError):
        emb["fish"]
