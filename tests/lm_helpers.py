"""A tiny word language model for tests of decoding: trained for a few steps, so its choices are peaked and
greedy decoding walks through many words, yet built in a moment."""

from __future__ import annotations

import torch

from embedkit.models.config import LMConfig
from embedkit.models.language_model import LanguageModel, LMBundle, Units
from embedkit.vocab import Vocab


def tiny_lm(words: list[str], seed: int = 0, steps: int = 15, size: int = 12) -> LMBundle:
    """A one-layer LSTM LM (``size`` units) over the vocabulary of ``words``, trained with ``steps`` Adam steps
    on ``words`` repeated three times; returned in eval mode."""
    torch.manual_seed(seed)
    vocab = Vocab.build([words])
    model = LanguageModel(LMConfig(layers=1, hidden=size, emb_dim=size, dropout=0.0), len(vocab))
    ids = torch.tensor(vocab.encode(words * 3)).view(-1, 1)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.05)
    for _ in range(steps):
        optimizer.zero_grad()
        logits, _ = model(ids[:-1])
        torch.nn.functional.cross_entropy(logits.view(-1, len(vocab)), ids[1:].view(-1)).backward()
        optimizer.step()
    return LMBundle(model.eval(), vocab, model.config, Units("word"))
