"""Beam search against greedy decoding and against an exhaustive search; partial-word completion against the
softmax of the model's logits restricted to the words that start with the typed fragment."""

from __future__ import annotations

import itertools
import math

import pytest
import torch
from lm_helpers import tiny_lm

from embedkit.errors import InputError
from embedkit.models.generate import (
    GenerateConfig,
    beam_search,
    complete,
    generate,
    sequence_log_prob,
    split_partial,
)
from embedkit.models.language_model import LMBundle

pytestmark = pytest.mark.usefixtures("one_torch_thread")

WORDS = ["the", "cat", "sat", "on", "mat", "a", "dog", "ran", "to", "me", "company", "comply", "compare",
         "shares", "of", "car"]


@pytest.fixture(scope="module")
def bundle() -> LMBundle:
    return tiny_lm(WORDS, seed=0, steps=15)


@pytest.mark.parametrize("prompt,min_tokens", [("the cat", 0), ("shares of", 3), ("a dog", 10)])
def test_beam_of_width_one_is_greedy(bundle: LMBundle, prompt: str, min_tokens: int) -> None:
    greedy = generate(bundle, prompt, GenerateConfig(temperature=0.0, max_tokens=12, min_tokens=min_tokens))
    best = beam_search(bundle, prompt, beam=1, max_tokens=12, min_tokens=min_tokens)
    assert len(best) == 1 and best[0].units == greedy
    assert best[0].ended == (len(greedy) < 12)
    assert best[0].log_prob == pytest.approx(sequence_log_prob(bundle, prompt, greedy, best[0].ended), abs=1e-4)
    assert generate(bundle, prompt, GenerateConfig(beam=1, max_tokens=12, min_tokens=min_tokens)) == greedy


@pytest.mark.parametrize("prompt", ["the", "shares of the", "a dog ran"])
def test_wider_beams_score_at_least_greedy_and_report_their_true_log_prob(bundle: LMBundle, prompt: str) -> None:
    greedy = beam_search(bundle, prompt, beam=1, max_tokens=8)[0]
    for width in (2, 4, 8):
        hyps = beam_search(bundle, prompt, beam=width, max_tokens=8)
        assert len(hyps) == width
        assert [h.log_prob for h in hyps] == sorted((h.log_prob for h in hyps), reverse=True)
        assert hyps[0].log_prob >= greedy.log_prob - 1e-4  # float32 sums differ by batch shape
        for h in hyps:
            assert h.log_prob == pytest.approx(sequence_log_prob(bundle, prompt, h.units, h.ended), abs=1e-4)
            assert "<pad>" not in h.units and "<bos>" not in h.units and "<eos>" not in h.units


def test_a_beam_wide_enough_finds_the_exhaustive_optimum() -> None:
    small = tiny_lm(["a", "b", "c", "a", "c", "b", "b"], seed=3, steps=5)
    vocab = small.vocab
    allowed = [w for w in vocab.itos if w not in ("<pad>", "<bos>", "<eos>")]
    max_tokens, min_tokens = 3, 1
    best = -math.inf
    for length in range(0, max_tokens + 1):
        for units in itertools.product(allowed, repeat=length):
            if length < max_tokens and length >= min_tokens:
                best = max(best, sequence_log_prob(small, "a", list(units), ended=True))
            if length == max_tokens:
                best = max(best, sequence_log_prob(small, "a", list(units), ended=False))
    found = beam_search(small, "a", beam=len(allowed) ** max_tokens, max_tokens=max_tokens, min_tokens=min_tokens)
    assert found[0].log_prob == pytest.approx(best, abs=1e-5)
    assert beam_search(small, "a", beam=1, max_tokens=max_tokens, min_tokens=min_tokens)[0].log_prob <= best + 1e-6


def _next_logits(bundle: LMBundle, text: str) -> torch.Tensor:
    vocab = bundle.vocab
    ids = [vocab.eos_id] + [vocab.stoi[w] for w in text.split()]
    with torch.no_grad():
        return bundle.model(torch.tensor(ids).view(-1, 1))[0][-1, 0]


def test_partial_word_candidates_start_with_it_and_are_the_restricted_softmax(bundle: LMBundle) -> None:
    got = complete(bundle, "shares of the Comp", k=10)
    assert [w for w, _ in got] and all(w.startswith("comp") for w, _ in got)
    assert {w for w, _ in got} == {"company", "comply", "compare"}
    assert sum(p for _, p in got) == pytest.approx(1.0, abs=1e-5)
    logits = _next_logits(bundle, "shares of the")
    ids = [bundle.vocab.stoi[w] for w in ("company", "comply", "compare")]
    reference = torch.softmax(logits[ids], dim=-1)
    expected = dict(zip(("company", "comply", "compare"), reference.tolist(), strict=True))
    for word, p in got:
        assert p == pytest.approx(expected[word], abs=1e-5)
    assert [p for _, p in got] == sorted((p for _, p in got), reverse=True)
    assert len(complete(bundle, "shares of the comp", k=2)) == 2
    assert [w for w, _ in complete(bundle, "ca", k=5)] and all(w.startswith("ca") for w, _ in complete(bundle, "ca"))


def test_whole_words_and_a_trailing_space_ask_for_the_next_word(bundle: LMBundle) -> None:
    logits = _next_logits(bundle, "the cat")
    for prompt in ("the cat", "the cat "):
        got = complete(bundle, prompt, k=3)
        probs = torch.softmax(logits.index_fill(0, torch.tensor([bundle.vocab.pad_id, bundle.vocab.bos_id]),
                                                float("-inf")), dim=-1)
        assert [bundle.vocab.stoi[w] for w, _ in got] == torch.topk(probs, 3).indices.tolist()
    forced = complete(bundle, "the ca", k=5, partial=True)
    assert {w for w, _ in forced} == {"cat", "car"}
    assert all(w.startswith("the") for w, _ in complete(bundle, "the", k=5, partial=True))


def test_partial_completion_errors(bundle: LMBundle) -> None:
    with pytest.raises(InputError, match="unknown"):
        complete(bundle, "shares of the zq")
    with pytest.raises(InputError, match="nothing to complete"):
        complete(bundle, "shares of ", partial=True)
    assert split_partial("shares of the comp") == ("shares of the ", "comp")
    assert split_partial("shares ") == ("shares ", "")
    assert split_partial("") == ("", "")
