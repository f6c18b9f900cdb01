"""Sampling filters keep only allowed units; greedy is deterministic; seeds reproduce; complete ranks."""

from __future__ import annotations

import pytest
import torch

from embedkit.errors import InputError
from embedkit.models.config import LMConfig
from embedkit.models.generate import (
    GenerateConfig,
    complete,
    generate,
    next_unit,
    top_k_filter,
    top_p_filter,
)
from embedkit.models.language_model import LanguageModel, LMBundle, Units
from embedkit.vocab import Vocab

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def test_top_k_samples_only_the_k_best() -> None:
    logits = torch.randn(50, generator=torch.Generator().manual_seed(0))
    allowed = set(torch.topk(logits, 5).indices.tolist())
    g = torch.Generator().manual_seed(1)
    assert {next_unit(logits, 1.5, top_k=5, generator=g) for _ in range(300)} <= allowed
    assert torch.isinf(top_k_filter(logits, 5)).sum() == 45


def test_top_p_keeps_the_smallest_nucleus() -> None:
    logits = torch.log(torch.tensor([0.5, 0.25, 0.15, 0.06, 0.04]))
    assert torch.isfinite(top_p_filter(logits, 0.7)).tolist() == [True, True, False, False, False]
    assert torch.isfinite(top_p_filter(logits, 0.75)).tolist() == [True, True, False, False, False]
    assert torch.isfinite(top_p_filter(logits, 0.76)).tolist() == [True, True, True, False, False]
    shuffled = logits[torch.tensor([3, 0, 4, 2, 1])]
    g = torch.Generator().manual_seed(2)
    assert {next_unit(shuffled, 1.0, top_p=0.7, generator=g) for _ in range(300)} <= {1, 4}


def test_greedy_is_the_argmax() -> None:
    logits = torch.tensor([0.1, 3.0, 2.9])
    assert {next_unit(logits, 0.0) for _ in range(10)} == {1}


@pytest.fixture(scope="module")
def bundle() -> LMBundle:
    torch.manual_seed(0)
    vocab = Vocab.build([["the", "cat", "sat", "on", "mat"]])
    model = LanguageModel(LMConfig(layers=1, hidden=8, emb_dim=8), len(vocab)).eval()
    return LMBundle(model, vocab, model.config, Units("word"))


def test_generation_repeats_with_a_seed_and_respects_limits(bundle: LMBundle) -> None:
    config = GenerateConfig(seed=5, max_tokens=12, min_tokens=12)
    first = generate(bundle, "the cat", config)
    assert first == generate(bundle, "The Cat", config) and len(first) == 12
    assert "<pad>" not in first and "<bos>" not in first and "<eos>" not in first
    greedy = GenerateConfig(temperature=0.0, max_tokens=8, min_tokens=0)
    assert generate(bundle, "the", greedy) == generate(bundle, "the", greedy)


def test_complete_ranks_probabilities(bundle: LMBundle) -> None:
    top = complete(bundle, "the cat", 3)
    assert len(top) == 3 and top[0][1] >= top[1][1] >= top[2][1] and sum(p for _, p in top) <= 1


def test_prompt_of_unknown_words_is_an_error(bundle: LMBundle) -> None:
    with pytest.raises(InputError, match="unknown"):
        generate(bundle, "zebra quux")
