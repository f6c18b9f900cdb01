"""Text generation from a language model: greedy, temperature, top-k and top-p (nucleus) sampling.

The filters are pure functions over a 1-D logits tensor, so each can be tested alone; :func:`generate`
feeds the prompt through the model once, then one unit at a time, and stops at ``<eos>`` or ``max_tokens``.

>>> logits = torch.tensor([2.0, 1.0, 0.5, -1.0])
>>> top_k_filter(logits, 2).tolist()
[2.0, 1.0, -inf, -inf]
>>> next_unit(logits, temperature=0.0)
0
"""

from __future__ import annotations

import dataclasses
from typing import Any

import torch

from embedkit.config import check_positive
from embedkit.errors import ConfigError, InputError
from embedkit.vocab import BOS, PAD


@dataclasses.dataclass(frozen=True)
class GenerateConfig:
    """Sampling settings. ``temperature=0`` is greedy decoding; ``top_k``/``top_p`` keep the k most likely
    units / the smallest set whose probability reaches p. ``<eos>`` cannot end a sample before
    ``min_tokens`` units (so a sample is never an empty fragment), and ``max_tokens`` caps its length."""

    max_tokens: int = 30
    min_tokens: int = 10
    temperature: float = 1.0
    top_k: int | None = None
    top_p: float | None = 0.9
    seed: int | None = None

    def __post_init__(self) -> None:
        check_positive("max_tokens", self.max_tokens)
        check_positive("top_k", self.top_k, allow_none=True)
        if self.min_tokens < 0:
            raise ConfigError(f"min_tokens must not be negative, got {self.min_tokens}")
        if self.temperature < 0:
            raise ConfigError(f"temperature must not be negative, got {self.temperature}")
        if self.top_p is not None and not 0 < self.top_p <= 1:
            raise ConfigError(f"top_p must lie in (0, 1], got {self.top_p}")


def apply_temperature(logits: torch.Tensor, temperature: float) -> torch.Tensor:
    """Divide logits by ``temperature`` (> 0): below 1 sharpens the distribution, above 1 flattens it."""
    if temperature <= 0:
        raise ValueError("temperature must be positive (use greedy decoding for 0)")
    return logits / temperature


def top_k_filter(logits: torch.Tensor, k: int) -> torch.Tensor:
    """Keep the ``k`` largest logits, set the rest to ``-inf``."""
    if k >= logits.numel():
        return logits
    threshold = torch.topk(logits, k).values[-1]
    return logits.masked_fill(logits < threshold, float("-inf"))


def top_p_filter(logits: torch.Tensor, p: float) -> torch.Tensor:
    """Keep the smallest set of most likely units whose probabilities sum to at least ``p`` (nucleus)."""
    if p >= 1:
        return logits
    sorted_logits, order = torch.sort(logits, descending=True)
    cumulative = torch.softmax(sorted_logits, dim=-1).cumsum(dim=-1)
    drop_sorted = cumulative - torch.softmax(sorted_logits, dim=-1) >= p
    drop = torch.zeros_like(drop_sorted).scatter(0, order, drop_sorted)
    return logits.masked_fill(drop, float("-inf"))


def next_unit(logits: torch.Tensor, temperature: float = 1.0, top_k: int | None = None,
              top_p: float | None = None, generator: torch.Generator | None = None) -> int:
    """One unit id from 1-D logits: the argmax when ``temperature == 0``, else a filtered sample."""
    if temperature == 0:
        return int(torch.argmax(logits))
    logits = apply_temperature(logits.float(), temperature)
    if top_k is not None:
        logits = top_k_filter(logits, top_k)
    if top_p is not None:
        logits = top_p_filter(logits, top_p)
    probs = torch.softmax(logits, dim=-1)
    return int(torch.multinomial(probs, 1, generator=generator))


def _banned(bundle: Any) -> list[int]:
    return [bundle.vocab.stoi[s] for s in (PAD, BOS) if s in bundle.vocab.stoi]


def prompt_ids(bundle: Any, prompt: str) -> tuple[list[int], list[str]]:
    """Ids of a prompt (through the model's preprocessing), preceded by ``<eos>`` as the training lines are.

    A prompt whose units are all unknown is an :class:`InputError`: the model would condition on nothing.
    """
    units = bundle.units.from_text(prompt)
    vocab = bundle.vocab
    if units and all(u not in vocab.stoi for u in units):
        raise InputError(f"every word of the prompt is unknown to the model: {' '.join(units[:10])}")
    return [vocab.eos_id, *vocab.encode(units)], units


@torch.no_grad()
def _last_logits(bundle: Any, ids: list[int], hidden: Any = None) -> tuple[torch.Tensor, Any]:
    model = bundle.model
    device = next(model.parameters()).device
    logits, hidden = model(torch.tensor(ids, dtype=torch.long, device=device).view(-1, 1), hidden)
    return logits[-1, 0].float(), hidden


def generate(bundle: Any, prompt: str, config: GenerateConfig | None = None) -> list[str]:
    """Units continuing ``prompt`` (without it), until ``<eos>`` or ``config.max_tokens``; seeded by ``config.seed``."""
    config = config or GenerateConfig()
    bundle.model.eval()
    ids, _ = prompt_ids(bundle, prompt)
    generator = torch.Generator().manual_seed(config.seed) if config.seed is not None else None
    banned, eos = _banned(bundle), bundle.vocab.eos_id
    logits, hidden = _last_logits(bundle, ids)
    out: list[int] = []
    while len(out) < config.max_tokens:
        logits[banned] = float("-inf")
        if len(out) < min(config.min_tokens, config.max_tokens):
            logits[eos] = float("-inf")
        unit = next_unit(logits.cpu(), config.temperature, config.top_k, config.top_p, generator)
        if unit == eos:
            break
        out.append(unit)
        logits, hidden = _last_logits(bundle, [unit], hidden)
    return bundle.vocab.decode(out)


def complete(bundle: Any, prompt: str, k: int = 5) -> list[tuple[str, float]]:
    """The ``k`` most likely next units after ``prompt``, with their probabilities."""
    check_positive("k", k)
    ids, _ = prompt_ids(bundle, prompt)
    logits, _ = _last_logits(bundle, ids)
    logits[_banned(bundle)] = float("-inf")
    probs = torch.softmax(logits, dim=-1)
    values, indices = torch.topk(probs, min(k, probs.numel()))
    return [(bundle.vocab.itos[int(i)], float(v)) for v, i in zip(values, indices, strict=True)]

