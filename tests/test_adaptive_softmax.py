"""The adaptive softmax: an exact distribution, its cheap loss equal to the full one, tying, the model's use."""

from __future__ import annotations

import pytest
import torch

from embedkit.errors import ConfigError
from embedkit.models.config import LMConfig
from embedkit.models.language_model import LanguageModel, lm_parameters
from embedkit.models.softmax import AdaptiveSoftmax


@pytest.mark.parametrize("cutoffs", [(), (4,), (3, 9), (30,)])
def test_log_probabilities_sum_to_one_and_match_the_loss(cutoffs) -> None:
    torch.manual_seed(0)
    out = AdaptiveSoftmax(6, 20, cutoffs)
    h = torch.randn(7, 6)
    logp = out(h)
    assert logp.shape == (7, 20)
    assert torch.allclose(logp.exp().sum(-1), torch.ones(7), atol=1e-5)
    target = torch.tensor([0, 3, 4, 8, 9, 15, 19])
    expected = -logp.gather(1, target[:, None]).squeeze(1)
    assert torch.allclose(out.nll(h, target, "none"), expected, atol=1e-5)
    assert torch.allclose(out.nll(h, target, "sum"), expected.sum(), atol=1e-4)


def test_no_cut_inside_the_vocabulary_is_the_full_softmax() -> None:
    out = AdaptiveSoftmax(5, 10, (10, 50))
    h = torch.randn(4, 5)
    full = torch.log_softmax(h @ out.weight.T + out.bias, -1)
    assert out.cluster_weight.shape == (0, 5) and torch.allclose(out(h), full, atol=1e-6)


def test_the_loss_gradient_equals_the_full_distributions() -> None:
    torch.manual_seed(1)
    out = AdaptiveSoftmax(4, 12, (3, 7))
    h, target = torch.randn(9, 4, requires_grad=True), torch.randint(0, 12, (9,))
    out.nll(h, target).backward()
    cheap = h.grad.clone()
    h.grad = None
    torch.nn.functional.nll_loss(out(h), target).backward()
    assert torch.allclose(cheap, h.grad, atol=1e-5)


@pytest.mark.parametrize("cutoffs", [(0,), (5, 5), (7, 3)])
def test_bad_cutoffs_are_refused(cutoffs) -> None:
    with pytest.raises(ConfigError, match="cutoffs"):
        LMConfig(softmax_cutoffs=cutoffs)


def test_a_tied_adaptive_model_shares_the_embedding_and_scores_like_its_distribution() -> None:
    torch.manual_seed(2)
    config = LMConfig(layers=1, hidden=8, emb_dim=8, tie_weights=True, softmax_cutoffs=(5, 12))
    model = LanguageModel(config, 30).eval()
    assert model.decoder.weight is model.encoder.weight
    assert sum(p.numel() for p in model.state_dict().values()) == lm_parameters(config, 30)
    ids, targets = torch.randint(0, 30, (6, 3)), torch.randint(0, 30, (6, 3))
    logp, _ = model(ids)
    nll, _ = model.nll(ids, targets)
    assert torch.allclose(nll, -logp.gather(2, targets[..., None]).mean(), atol=1e-5)
