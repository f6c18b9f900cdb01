"""The n-gram baseline: normalisation, a hand-computed Kneser-Ney case, save/load, seeded sampling, its CLI
and its ``[ngram]`` stage."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from cli_helpers import assert_user_error, peak_memory_kb, run_cli, stage_context
from hypothesis import given, settings
from hypothesis import strategies as st

from embedkit.errors import ConfigError, InputError, ModelFormatError
from embedkit.models.ngram import EOS, PAD, UNK, NgramConfig, NgramModel

CORPUS = [
    "the cat sat on the mat".split(),
    "the dog sat on the log".split(),
    "a cat ate the fish".split(),
    "the cat sat".split(),
    "dogs and cats".split(),
]
CONTEXTS = [[], ["the"], ["the", "cat"], ["cat", "sat"], ["zebra", "unicorn"], ["the", "zebra"], ["sat", "on"]]


@pytest.mark.parametrize("config", [
    NgramConfig(order=1), NgramConfig(order=2), NgramConfig(order=3), NgramConfig(order=4),
    NgramConfig(order=3, modified=False), NgramConfig(order=3, discount=0.5),
    NgramConfig(order=3, smoothing="add-k", k=0.1), NgramConfig(order=2, smoothing="add-k"),
    NgramConfig(order=3, min_count=2),
])
def test_probabilities_sum_to_one_for_every_context(config: NgramConfig) -> None:
    lm = NgramModel.from_config(config).fit(CORPUS)
    for context in CONTEXTS:
        total = sum(lm.prob(w, context) for w in lm.vocabulary)
        assert total == pytest.approx(1.0, abs=1e-9), (context, total)
        dist = lm.distribution(context)
        assert dist.sum() == pytest.approx(1.0)
        assert np.allclose(dist, [lm.prob(w, context) for w in lm.vocabulary])
        assert (dist > 0).all()


def test_vocabulary_specials_and_unknowns() -> None:
    lm = NgramModel(order=2, min_count=2).fit(CORPUS)
    assert PAD not in lm.vocabulary and UNK in lm.vocabulary and EOS in lm.vocabulary
    assert "fish" not in lm.vocabulary
    assert lm.prob("fish", ["the"]) == lm.prob(UNK, ["the"]) == lm.prob("never-seen", ["the"])
    assert lm.prob(PAD) == 0.0


def test_kneser_ney_matches_hand_computation() -> None:
    # Corpus "a b" and "a c", bigrams with <PAD> padding and <eos>; plain KN, discount 0.5.
    lm = NgramModel(order=2, smoothing="kneser-ney", discount=0.5).fit([["a", "b"], ["a", "c"]])
    size = 5  # <unk> <eos> a b c
    # unigram continuation counts: a <- {<PAD>}; b <- {a}; c <- {a}; <eos> <- {b, c}: 5 types in all
    uni_eos = (2 - 0.5) / 5 + (0.5 * 4 / 5) / size
    uni_b = (1 - 0.5) / 5 + (0.5 * 4 / 5) / size
    uni_unk = (0.5 * 4 / 5) / size
    # context "a": followers b (1), c (1); total 2, two discounted types
    assert lm.prob("b", ["a"]) == pytest.approx((1 - 0.5) / 2 + (0.5 * 2 / 2) * uni_b)
    assert lm.prob("zzz", ["a"]) == pytest.approx((0.5 * 2 / 2) * uni_unk)
    # context "b": only <eos> follows, once
    assert lm.prob(EOS, ["b"]) == pytest.approx((1 - 0.5) / 1 + 0.5 * uni_eos)
    # an unseen context falls back to the unigram distribution
    assert lm.prob("b", ["zzz"]) == pytest.approx(uni_b)
    # <PAD> context keeps raw counts: "a" started both sentences
    assert lm.prob("a", []) == pytest.approx((2 - 0.5) / 2 + 0.5 / 2 * ((1 - 0.5) / 5 + 0.4 / size))


def test_add_k_matches_formula() -> None:
    lm = NgramModel(order=2, smoothing="add-k", k=0.5).fit([["a", "b"], ["a", "c"]])
    assert lm.prob("b", ["a"]) == pytest.approx((1 + 0.5) / (2 + 0.5 * 5))
    assert lm.prob("b", ["nothing"]) == pytest.approx(1 / 5)


def test_perplexity_of_a_deterministic_corpus_is_low() -> None:
    lm = NgramModel(order=3).fit([["x", "y", "z"]] * 50)
    assert lm.perplexity([["x", "y", "z"]]) < 1.2
    assert lm.perplexity([["z", "y", "x"]]) > 5


def test_save_load_round_trip(tmp_path) -> None:
    lm = NgramModel(order=3, min_count=1).fit(CORPUS)
    lm.save(tmp_path / "ng")
    again = NgramModel.load(tmp_path / "ng")
    held = [["the", "cat", "ate", "the", "log"], ["a", "zebra"]]
    assert again.perplexity(held) == lm.perplexity(held)
    assert again.generate(10, seed=3) == lm.generate(10, seed=3)
    assert sorted(p.name for p in (tmp_path / "ng").iterdir()) == ["counts.npz", "ngram.json"]


def test_load_rejects_other_folders(tmp_path) -> None:
    with pytest.raises(InputError):
        NgramModel.load(tmp_path / "missing")
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "ngram.json").write_text('{"format": "something/1"}')
    with pytest.raises(ModelFormatError):
        NgramModel.load(tmp_path / "bad")


def test_generation_repeats_with_a_seed_and_respects_prompt() -> None:
    lm = NgramModel(order=3).fit(CORPUS)
    first = lm.generate(20, seed=7)
    assert first == lm.generate(20, seed=7)
    assert all(w in lm.vocabulary for w in first)
    assert len(lm.generate(3, seed=1)) <= 3
    assert lm.generate(5, prompt=["the", "dog"], temperature=0)[:3] == ["sat", "on", "the"]


@pytest.mark.parametrize("order", [1, 2, 3])
@pytest.mark.parametrize("prompt", [[], ["the"], ["a", "cat"], ["zebra"]])
def test_greedy_generation_takes_the_most_probable_word_at_every_step(order: int, prompt: list[str]) -> None:
    lm = NgramModel(order=order).fit(CORPUS)
    words, expected = list(prompt), []
    while len(expected) < 12:  # the argmax of prob() over the vocabulary, the earliest word on a tie
        probs = [lm.prob(w, words) for w in lm.vocabulary]
        best = lm.vocabulary[probs.index(max(probs))]
        if best == EOS:
            break
        expected.append(best)
        words.append(best)
    assert lm.generate(12, prompt=prompt, temperature=0) == expected


def test_bad_options_and_empty_input() -> None:
    with pytest.raises(ConfigError):
        NgramModel(order=0)
    with pytest.raises(ConfigError):
        NgramModel(smoothing="witten-bell")
    with pytest.raises(InputError):
        NgramModel().fit([[], []])
    with pytest.raises(ConfigError):
        NgramModel().prob("a")


def test_ptb_order_three_is_fast_and_sane(shared_data) -> None:
    """A slice of PTB: KN beats add-k, and the probabilities of a real context sum to one."""
    lines = (shared_data / "en_ptb" / "ptb.train.txt").read_text().splitlines()[:5000]
    valid = [line.split() for line in (shared_data / "en_ptb" / "ptb.valid.txt").read_text().splitlines()[:300]]
    kn = NgramModel(order=3).fit(line.split() for line in lines)
    addk = NgramModel(order=3, smoothing="add-k", k=0.01).fit(line.split() for line in lines)
    assert kn.perplexity(valid) < addk.perplexity(valid)
    assert math.isclose(kn.distribution(["the", "company"]).sum(), 1.0)


@pytest.mark.parametrize("tamper", ["negative counts", "zero counts", "negative ids"])
def test_counts_that_no_training_writes_are_a_format_error(tmp_path, tamper: str) -> None:
    NgramModel(order=3).fit(CORPUS).save(tmp_path / "ng")
    path = tmp_path / "ng" / "counts.npz"
    with np.load(path) as data:
        grams, counts = data["ngrams"].copy(), data["counts"].copy()
    if tamper == "negative ids":
        grams[0, 0] = -2
    else:
        counts[:] = -5 if tamper == "negative counts" else 0
    np.savez(path, ngrams=grams, counts=counts)
    with pytest.raises(ModelFormatError, match="counts do not match"):
        NgramModel.load(tmp_path / "ng")


@pytest.mark.parametrize("options", [{"temperature": float("nan")}, {"temperature": float("inf")},
                                     {"seed": -1}, {"seed": 2**32}])
def test_sampling_options_numpy_would_refuse_are_config_errors(options: dict) -> None:
    with pytest.raises(ConfigError):
        NgramModel(order=2).fit(CORPUS).generate(5, **options)


def test_an_order_no_corpus_could_fill_is_a_config_error_not_a_long_wait() -> None:
    with pytest.raises(ConfigError, match="order must be at most 20"):
        NgramConfig(order=1000)


@pytest.mark.parametrize("cut", ["half", "tail", "head", "flipped"])
def test_damaged_counts_file_is_a_format_error(tmp_path, cut: str) -> None:
    NgramModel(order=3).fit(CORPUS * 20).save(tmp_path / "ng")
    counts = tmp_path / "ng" / "counts.npz"
    data = bytearray(counts.read_bytes())
    if cut == "flipped":
        data[len(data) // 2] ^= 0xFF
    else:
        data = data[: {"half": len(data) // 2, "tail": len(data) - 10, "head": 30}[cut]]
    counts.write_bytes(bytes(data))
    with pytest.raises(ModelFormatError, match="damaged"):
        NgramModel.load(tmp_path / "ng")


sentences_strategy = st.lists(st.lists(st.sampled_from(["a", "b", "c", "d", UNK, PAD]), max_size=12), min_size=1,
                              max_size=8)


@settings(max_examples=60, deadline=None)
@given(sentences=sentences_strategy, order=st.integers(1, 4), min_count=st.integers(1, 3), cuts=st.data())
def test_sentences_in_pieces_count_and_score_like_whole_ones(sentences, order: int, min_count: int, cuts) -> None:
    pieces = []
    for sentence in sentences:
        points = sorted(cuts.draw(st.sets(st.integers(0, len(sentence)), max_size=3)))
        bounds = [0, *points, len(sentence)]
        pieces += [(sentence[a:b], False) for a, b in zip(bounds, bounds[1:-1], strict=False)]
        pieces.append((sentence[bounds[-2]:], True))
    if not any(sentences):
        with pytest.raises(InputError):
            NgramModel(order=order, min_count=min_count).fit_pieces(pieces)
        return
    words = [w for s in sentences for w in s if w not in (UNK, PAD)]
    if not any(words.count(w) >= min_count for w in words):
        with pytest.raises(ConfigError, match="vocabulary is empty"):
            NgramModel(order=order, min_count=min_count).fit_pieces(pieces)
        return
    whole = NgramModel(order=order, min_count=min_count).fit(sentences)
    cut = NgramModel(order=order, min_count=min_count).fit_pieces(pieces)
    assert cut.itos == whole.itos and list(cut._ngrams.items()) == list(whole._ngrams.items())
    assert whole.score_pieces(pieces) == whole.score(sentences)
    assert whole.perplexity_pieces(pieces) == whole.perplexity(sentences)
    unfinished = pieces[:-1] + [(pieces[-1][0], False)]  # a stream that stops inside its last sentence
    assert list(NgramModel(order=order, min_count=min_count).fit_pieces(unfinished)._ngrams.items()) == list(
        whole._ngrams.items())
    assert whole.score_pieces(unfinished) == whole.score(sentences)


def test_counts_and_vocabulary_against_a_plain_count() -> None:
    sentences = [["a", "b", "a"], ["b", "rare"], ["a", "a", "b"]]
    lm = NgramModel(order=2, min_count=2).fit(sentences)
    assert lm.itos == [PAD, UNK, EOS, "a", "b"]  # most frequent first, rare -> <unk>
    ids = lm.stoi
    plain: dict[tuple[int, int], int] = {}
    for s in sentences:
        seq = [ids[PAD]] + [ids.get(w, ids[UNK]) for w in s] + [ids[EOS]]
        for gram in zip(seq, seq[1:], strict=False):
            plain[gram] = plain.get(gram, 0) + 1
    assert lm._ngrams == plain and list(lm._ngrams) == list(plain)  # in the order first seen


# ---- the command line ----------------------------------------------------------------------------------------


def test_ngram_train_perplexity_generate(tmp_path, capsys) -> None:
    data = tmp_path / "tokens.txt"
    data.write_text("the cat sat on the mat\nthe dog sat on the log\n" * 5)
    code, _, _ = run_cli(capsys, "ngram", "train", data, "-o", tmp_path / "ng", "--order", "3")
    assert code == 0
    code, out, _ = run_cli(capsys, "ngram", "perplexity", tmp_path / "ng", data)
    line = [x for x in out.splitlines() if "perplexity" in x][0]
    assert code == 0 and 1.0 < float(line.split()[-1]) < 3.0
    code, out, _ = run_cli(capsys, "ngram", "perplexity", tmp_path / "ng", data, "--json")
    assert json.loads(out)["tokens"] == 70
    generate = ["ngram", "generate", tmp_path / "ng", "--seed", "3", "-n", "2", "--prompt", "the"]
    code, out, _ = run_cli(capsys, *generate)
    assert code == 0 and out == run_cli(capsys, *generate)[1] and len(out.splitlines()) == 2
    assert out.startswith("the")


@pytest.mark.parametrize("args, needle", [
    (["--order", "0"], "order"),
    (["--smoothing", "magic"], "smoothing"),
    (["--k", "-1"], "k must"),
    (["--discount", "2"], "discount"),
    (["--min-count", "0"], "min_count"),
    (["--min-count", "5"], "vocabulary is empty with min_count=5"),
])
def test_ngram_train_errors_leave_nothing(tmp_path, capsys, args: list[str], needle: str) -> None:
    data = tmp_path / "t.txt"
    data.write_text("a b c\n")
    assert_user_error(run_cli(capsys, "ngram", "train", data, "-o", tmp_path / "ng", *args), needle)
    assert not (tmp_path / "ng").exists()


def test_ngram_input_errors(tmp_path, capsys) -> None:
    (tmp_path / "empty.txt").write_text("\n\n")
    ng = tmp_path / "ng"
    assert_user_error(run_cli(capsys, "ngram", "train", tmp_path / "empty.txt", "-o", ng), "no tokens")
    assert_user_error(run_cli(capsys, "ngram", "train", tmp_path / "nope.txt", "-o", ng), "no such file")
    assert not ng.exists()
    (tmp_path / "t.txt").write_text("a b c\n")
    assert run_cli(capsys, "ngram", "train", tmp_path / "t.txt", "-o", ng)[0] == 0
    assert_user_error(run_cli(capsys, "ngram", "perplexity", ng, tmp_path / "empty.txt"), "no sentences")
    assert_user_error(run_cli(capsys, "ngram", "perplexity", tmp_path / "missing", tmp_path / "t.txt"), "no such model")
    assert_user_error(run_cli(capsys, "ngram", "generate", ng, "--temperature", "-1"), "temperature")
    assert_user_error(run_cli(capsys, "ngram", "generate", ng, "--max-tokens", "0"), "positive")
    (ng / "counts.npz").write_bytes(b"garbage")
    assert_user_error(run_cli(capsys, "ngram", "perplexity", ng, tmp_path / "t.txt"), "damaged")


def test_truncated_counts_file_is_one_line_exit_2(tmp_path, capsys) -> None:
    (tmp_path / "t.txt").write_text("the cat sat on the mat\n" * 50)
    ng = tmp_path / "ng"
    assert run_cli(capsys, "ngram", "train", tmp_path / "t.txt", "-o", ng)[0] == 0
    counts = ng / "counts.npz"
    counts.write_bytes(counts.read_bytes()[:-10])
    assert_user_error(run_cli(capsys, "ngram", "perplexity", ng, tmp_path / "t.txt"), "damaged")
    assert_user_error(run_cli(capsys, "ngram", "generate", ng), "damaged")


# ---- the [ngram] stage ---------------------------------------------------------------------------------------


def test_stage_writes_the_model_and_its_perplexity(tmp_path) -> None:
    from embedkit.run import stage_ngram

    (tmp_path / "tokens.txt").write_text("".join(" ".join(s) + "\n" for s in CORPUS))
    ctx, printed = stage_context(tmp_path, "out")
    ctx.artifacts["tokens"] = tmp_path / "tokens.txt"
    summary = stage_ngram.stage({"order": 2, "valid": "tokens.txt", "prompt": "the"}, ctx)
    assert summary["order"] == 2 and summary["vocab"] == len(NgramModel(order=2).fit(CORPUS).vocabulary)
    assert 1 < summary["valid_perplexity"] < NgramModel(order=2).fit(CORPUS).perplexity([["zebra"] * 5])
    assert NgramModel.load(ctx.artifacts["ngram"]).perplexity(CORPUS) == pytest.approx(summary["valid_perplexity"],
                                                                                         rel=1e-3)
    assert "[ngram] sample: the" in printed.getvalue()
    with pytest.raises(ConfigError):
        stage_ngram.stage({"order": 2, "colour": "red"}, ctx)


def test_a_huge_single_line_trains_in_bounded_memory(one_huge_line, tmp_path) -> None:
    """Issue 13: a 50 MB single line took 4.1 GB. Here 5.5 MB on one line took ~135 MB more than short lines of the
    same phrases; counting streams, so the line's size must barely show."""
    small, big = one_huge_line
    base = peak_memory_kb("ngram", "train", small, "-o", tmp_path / "small", cwd=tmp_path)
    peak = peak_memory_kb("ngram", "train", big, "-o", tmp_path / "big", cwd=tmp_path)
    assert peak - base < 40_000, f"{peak - base} KiB more for one 5.5 MB line"
    whole = NgramModel().fit([big.read_text(encoding="utf-8").split()])
    trained = NgramModel.load(tmp_path / "big")
    assert trained.ngram_count == whole.ngram_count and trained.itos == whole.itos
    held = [line.split() for line in small.read_text(encoding="utf-8").splitlines()]
    assert trained.perplexity(held) == whole.perplexity(held)


def test_a_folder_of_another_kind_is_named_by_its_kind(tmp_path) -> None:
    lm = tmp_path / "lm"
    lm.mkdir()
    (lm / "config.json").write_text('{"format": "embedkit.lm/1"}')
    with pytest.raises(ModelFormatError, match=r"is an embedkit language model folder \(wanted: n-gram model\)"):
        NgramModel.load(lm)
    (tmp_path / "empty").mkdir()
    with pytest.raises(ModelFormatError, match=r"not an embedkit n-gram model folder \(no ngram.json\)"):
        NgramModel.load(tmp_path / "empty")


def test_strings_for_sentences_are_an_input_error_not_counted_as_letters() -> None:
    with pytest.raises(InputError, match="a string, not a list of tokens"):
        NgramModel().fit(["a b c", "d e"])


def test_a_continuation_seen_more_often_never_gets_less_probability() -> None:
    # x starts two sentences, y one: with no count of 3 anywhere, D2 has no estimate of its own
    lm = NgramModel(order=3).fit([["x", "y"], ["x", "z"], ["y", "x"]])
    assert lm.prob("x", []) > lm.prob("y", [])
    for d1, d2, d3 in lm._discounts[1:]:  # what a count keeps grows with the count
        assert 0 < 1 - d1 < 2 - d2 < 3 - d3
