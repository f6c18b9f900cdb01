"""Evaluation: pair-file formats, Spearman against scipy, analogy accuracy against a hand count, OOV reporting."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy.stats import spearmanr

from embedkit.embeddings import Embeddings, evaluate_analogies, evaluate_pairs
from embedkit.embeddings.evaluate import read_pairs
from embedkit.errors import InputError

WORDS = ["man", "woman", "king", "queen", "apple", "pear", "car"]


@pytest.fixture()
def emb() -> Embeddings:
    rng = np.random.default_rng(3)
    return Embeddings.from_vectors(WORDS, rng.standard_normal((len(WORDS), 8)))


def test_read_pairs_in_every_format(tmp_path: Path) -> None:
    ws = tmp_path / "ws.tsv"
    ws.write_text("# comment\n# Word 1\tWord 2\tHuman (mean)\nlove\tsex\t6.77\ntiger\tcat\t7.35\n")
    simlex = tmp_path / "SimLex-999.txt"
    simlex.write_text("word1\tword2\tPOS\tSimLex999\tconc(w1)\nold\tnew\tA\t1.58\t2.72\n")
    ru = tmp_path / "ru.csv"
    ru.write_text("word_i_word_j,distance_i_j\nтяжелый_трудный,8.62\nтяжелый_легкий,0.00\n", encoding="utf-8")
    assert read_pairs(ws) == [("love", "sex", 6.77), ("tiger", "cat", 7.35)]
    assert read_pairs(simlex) == [("old", "new", 1.58)]
    assert read_pairs(ru) == [("тяжелый", "трудный", 8.62), ("тяжелый", "легкий", 0.0)]
    bad = tmp_path / "bad.tsv"
    bad.write_text("a\tb\t1\nc\n")
    with pytest.raises(InputError):
        read_pairs(bad)


def test_real_pair_files_parse(shared_data: Path) -> None:
    assert len(read_pairs(shared_data / "en_word_eval" / "wordsim353.tsv")) == 353
    assert len(read_pairs(shared_data / "en_word_eval" / "simlex999.txt")) == 999
    ru = read_pairs(shared_data / "ru_simlex999" / "simlex999_rus_without_dupl.csv")
    assert len(ru) > 900 and all(" " not in a + b for a, b, _ in ru)


def test_spearman_matches_scipy_and_counts_oov(emb: Embeddings, tmp_path: Path) -> None:
    rows = [("man", "woman", 8.0), ("king", "queen", 7.5), ("apple", "pear", 9.0), ("man", "car", 1.0),
            ("apple", "king", 0.5), ("zebra", "man", 3.0)]
    path = tmp_path / "pairs.tsv"
    path.write_text("".join(f"{a}\t{b}\t{s}\n" for a, b, s in rows))
    result = evaluate_pairs(emb, path)
    known = rows[:-1]
    rho, p = spearmanr([emb.similarity(a, b) for a, b, _ in known], [s for *_, s in known])
    assert result.spearman == pytest.approx(rho) and result.pvalue == pytest.approx(p)
    assert (result.pairs, result.used, result.oov, result.oov_words) == (6, 5, 1, ("zebra",))


def _gendered() -> Embeddings:
    """Axes male, female, royal, fruit, pear-ness, car: man:woman :: king:queen holds both ways, and
    apple:pear :: man:? answers king, not woman."""
    axes = {"man": [1, 0, 0, 0, 0, 0], "woman": [0, 1, 0, 0, 0, 0], "king": [1, 0, 1, 0, 0, 0],
            "queen": [0, 1, 1, 0, 0, 0], "apple": [0, 0, 0, 1, 0, 0], "pear": [0, 0, 0, 1, 1, 0],
            "car": [0, 0, 0, 0, 0, 1]}
    noise = np.random.default_rng(4).normal(scale=0.01, size=(len(WORDS), 6))
    return Embeddings.from_vectors(WORDS, np.array([axes[w] for w in WORDS], dtype=float) + noise)


def test_analogy_accuracy_per_section_matches_single_queries(tmp_path: Path) -> None:
    emb = _gendered()
    path = tmp_path / "q.txt"
    path.write_text(": family\nman woman king queen\nking queen man woman\n"
                    ": fruit\napple pear man woman\napple pear zebra car\n")
    result = evaluate_analogies(emb, path)
    expected = {"family": 0, "fruit": 0}
    for section, (a, b, c, d) in [("family", ("man", "woman", "king", "queen")),
                                  ("family", ("king", "queen", "man", "woman")),
                                  ("fruit", ("apple", "pear", "man", "woman"))]:
        expected[section] += emb.analogy(a, b, c) == d
    assert expected == {"family": 2, "fruit": 0}, "the vectors answer some questions right and some wrong"
    assert {s.name: s.correct for s in result.sections} == expected
    assert [s.total for s in result.sections] == [2, 1]
    assert result.oov == 1 and result.total == 3
    cosmul = evaluate_analogies(emb, path, method="3cosmul")
    assert cosmul.correct == 2 == sum(emb.analogy(a, b, c, method="3cosmul") == d for a, b, c, d in
                                 [("man", "woman", "king", "queen"), ("king", "queen", "man", "woman"),
                                  ("apple", "pear", "man", "woman")])


def test_restrict_vocab_makes_rare_words_oov(emb: Embeddings, tmp_path: Path) -> None:
    path = tmp_path / "q.txt"
    path.write_text(": s\nman woman king queen\nman woman apple car\n")
    assert evaluate_analogies(emb, path, restrict_vocab=4).oov == 1


def test_too_few_known_pairs_names_the_rule(emb: Embeddings, tmp_path: Path) -> None:
    path = tmp_path / "pairs.tsv"
    path.write_text("man\twoman\t8\nzebra\tyak\t3\n")
    with pytest.raises(InputError, match=r"only 1 of 2 pairs are known to the model; .*needs at least 3"):
        evaluate_pairs(emb, path)


def test_vectors_with_case_variants_and_no_preprocessing_score_as_gensim_does(tmp_path: Path) -> None:
    from gensim.models import KeyedVectors

    rng = np.random.default_rng(0)
    words = ["japan", "tokyo", "Japan", "france", "paris", "Paris", "italy", "rome", "Rome", "spain", "madrid",
             "Greece", "athens", "germany", "berlin"]
    kv = KeyedVectors(vector_size=6)
    kv.add_vectors(words, rng.standard_normal((len(words), 6)).astype(np.float32))
    emb = Embeddings(kv)
    assert emb.preprocess is None
    questions = tmp_path / "q.txt"
    capitals = [("japan", "tokyo"), ("france", "paris"), ("italy", "rome"), ("spain", "madrid"),
                ("greece", "athens"), ("germany", "berlin")]
    lines = [f"{a} {b} {c} {d}" for a, b in capitals for c, d in capitals if a != c]
    questions.write_text(": capitals\n" + "\n".join(lines) + "\n")
    ours = evaluate_analogies(emb, questions)
    _, sections = kv.evaluate_word_analogies(str(questions))
    total = sections[-1]
    assert (ours.correct, ours.total) == (len(total["correct"]), len(total["correct"]) + len(total["incorrect"]))
    pairs = tmp_path / "p.tsv"
    pairs.write_text("JAPAN\ttokyo\t9\nParis\tfrance\t8\nrome\tspain\t2\ngreece\tathens\t7\nitaly\tberlin\t1\n")
    theirs = kv.evaluate_word_pairs(str(pairs), delimiter="\t")
    assert evaluate_pairs(emb, pairs).spearman == pytest.approx(theirs[1][0])
