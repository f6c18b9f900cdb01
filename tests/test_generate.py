"""Sampling filters keep only allowed units; greedy decoding and ``complete`` agree with references computed here
from the model's logits; seeds reproduce."""

from __future__ import annotations

import pytest
import torch
from lm_helpers import tiny_lm

from embedkit.errors import InputError
from embedkit.models.generate import (
    GenerateConfig,
    complete,
    generate,
    next_unit,
    top_k_filter,
    top_p_filter,
)
from embedkit.models.language_model import LanguageModel, LMBundle, Units

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def test_top_k_samples_only_the_k_best() -> None:
    logits = torch.randn(50, generator=torch.Generator().manual_seed(0))
    allowed = set(torch.topk(logits, 5).indices.tolist())
    g = torch.Generator().manual_seed(1)
    assert {next_unit(logits, 1.5, top_k=5, generator=g) for _ in range(300)} == allowed
    assert torch.isinf(top_k_filter(logits, 5)).sum() == 45


def test_top_p_keeps_the_smallest_nucleus() -> None:
    logits = torch.log(torch.tensor([0.5, 0.25, 0.15, 0.06, 0.04]))
    assert torch.isfinite(top_p_filter(logits, 0.7)).tolist() == [True, True, False, False, False]
    assert torch.isfinite(top_p_filter(logits, 0.75)).tolist() == [True, True, False, False, False]
    assert torch.isfinite(top_p_filter(logits, 0.76)).tolist() == [True, True, True, False, False]
    shuffled = logits[torch.tensor([3, 0, 4, 2, 1])]
    g = torch.Generator().manual_seed(2)
    assert {next_unit(shuffled, 1.0, top_p=0.7, generator=g) for _ in range(300)} == {1, 4}


def test_greedy_is_the_argmax() -> None:
    logits = torch.tensor([0.1, 3.0, 2.9])
    assert {next_unit(logits, 0.0) for _ in range(10)} == {1}


@pytest.fixture(scope="module")
def bundle() -> LMBundle:
    return tiny_lm("the cat sat on a mat a dog ran to me".split(), seed=0, steps=30, size=16)


def _next_logits(bundle: LMBundle, ids: list[int]) -> torch.Tensor:
    """The model's logits for the unit after ``ids``, from the whole sequence at once (no carried state)."""
    with torch.no_grad():
        logits, _ = bundle.model(torch.tensor(ids).view(-1, 1))
    return logits[-1, 0].clone()


def _greedy_reference(bundle: LMBundle, prompt: str, max_tokens: int, min_tokens: int) -> list[str]:
    """Greedy decoding written out: argmax of the logits at each step, never <pad>/<bos>, <eos> only after
    ``min_tokens`` units (and it ends the sample); the prompt follows an <eos> as the training lines do."""
    vocab = bundle.vocab
    ids = [vocab.eos_id] + [vocab.stoi.get(w, vocab.unk_id) for w in prompt.lower().split()]
    out: list[int] = []
    while len(out) < max_tokens:
        logits = _next_logits(bundle, ids)
        logits[[vocab.stoi["<pad>"], vocab.stoi["<bos>"]]] = float("-inf")
        if len(out) < min_tokens:
            logits[vocab.eos_id] = float("-inf")
        best = int(logits.argmax())
        if best == vocab.eos_id:
            break
        out.append(best)
        ids.append(best)
    return [vocab.itos[i] for i in out]


def test_generation_repeats_with_a_seed_and_respects_limits(bundle: LMBundle) -> None:
    config = GenerateConfig(seed=5, max_tokens=12, min_tokens=12)
    first = generate(bundle, "the cat", config)
    assert first == generate(bundle, "The Cat", config) and len(first) == 12
    assert "<pad>" not in first and "<bos>" not in first and "<eos>" not in first


@pytest.mark.parametrize("prompt", ["the", "the cat", "dog ran to"])
def test_greedy_generation_is_the_argmax_at_every_step(bundle: LMBundle, prompt: str) -> None:
    expected = _greedy_reference(bundle, prompt, max_tokens=10, min_tokens=0)
    assert len(set(expected)) > 1, "the reference must not be one repeated word, or the test shows little"
    greedy = GenerateConfig(temperature=0.0, max_tokens=10, min_tokens=0, top_p=None)
    assert generate(bundle, prompt, greedy) == expected


def test_greedy_generation_never_gives_pad_or_bos_and_stops_at_eos_only_after_min_tokens(bundle: LMBundle) -> None:
    vocab = bundle.vocab
    model = LanguageModel(bundle.config, len(vocab)).eval()
    model.load_state_dict(bundle.model.state_dict())
    big = float(model.decoder.weight.detach().abs().sum(dim=1).max()) * 10
    with torch.no_grad():  # <pad>, then <bos>, then <eos> would be the argmax after every word
        for unit, boost in (("<pad>", 3), ("<bos>", 2), ("<eos>", 1)):
            model.decoder.bias[vocab.stoi[unit]] = big * boost
    eager = LMBundle(model, vocab, model.config, Units("word"))
    for min_tokens in (0, 1, 4):
        expected = _greedy_reference(eager, "the cat", max_tokens=8, min_tokens=min_tokens)
        assert len(expected) == min_tokens
        config = GenerateConfig(temperature=0.0, max_tokens=8, min_tokens=min_tokens)
        assert generate(eager, "the cat", config) == expected


@pytest.mark.parametrize("prompt", ["the", "the cat", "mat on"])
def test_complete_gives_the_softmax_of_the_next_unit_logits(bundle: LMBundle, prompt: str) -> None:
    vocab = bundle.vocab
    ids = [vocab.eos_id] + [vocab.stoi[w] for w in prompt.split()]
    logits = _next_logits(bundle, ids)
    logits[[vocab.stoi["<pad>"], vocab.stoi["<bos>"]]] = float("-inf")
    probs = torch.softmax(logits.double(), dim=0)
    expected = sorted(((vocab.itos[i], float(p)) for i, p in enumerate(probs) if p > 0), key=lambda t: -t[1])
    top = complete(bundle, prompt, 4)
    assert [unit for unit, _ in top] == [unit for unit, _ in expected[:4]]
    assert [p for _, p in top] == pytest.approx([p for _, p in expected[:4]], abs=1e-6)
    everything = complete(bundle, prompt, len(vocab))
    assert len(everything) == len(vocab) and sum(p for _, p in everything) == pytest.approx(1.0, abs=1e-5)
    assert dict(everything)["<pad>"] == 0 and dict(everything)["<bos>"] == 0


def test_prompt_of_unknown_words_is_an_error(bundle: LMBundle) -> None:
    with pytest.raises(InputError, match="unknown"):
        generate(bundle, "zebra quux")


def test_a_prompt_that_is_not_one_text_is_a_type_error(tmp_path) -> None:
    from embedkit.models.generate import prompt_ids, split_partial

    for wrong in (None, ["the", "a"]):
        with pytest.raises(TypeError, match="a prompt takes one text"):
            prompt_ids(None, wrong)  # type: ignore[arg-type]
        with pytest.raises(TypeError, match="a prompt takes one text"):
            split_partial(wrong)  # type: ignore[arg-type]


def test_top_k_keeps_exactly_k_units_when_logits_tie() -> None:
    from embedkit.models.generate import top_k_filter

    kept = top_k_filter(torch.tensor([1.0, 1.0, 1.0, 0.0]), 2)
    assert int(torch.isfinite(kept).sum()) == 2
    kept = top_k_filter(torch.tensor([0.5, 3.0, 2.0, 3.0]), 3)
    assert torch.isfinite(kept).tolist() == [False, True, True, True]
