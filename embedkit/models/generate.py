"""Text generation from a language model: greedy, temperature, top-k and top-p (nucleus) sampling, beam
search, and completion of the next word or of a partly typed one.

The filters are pure functions over a 1-D logits tensor, so each can be tested alone; :func:`generate`
feeds the prompt through the model once, then one unit at a time, and stops at ``<eos>`` or ``max_tokens``.
:func:`beam_search` keeps the ``beam`` most probable continuations (by summed log-probability) at each step;
width 1 is greedy decoding. :func:`complete` ranks the next word, or, for ``"shares of the comp"``, the words
that start with ``comp``, with probabilities renormalised over those words.

>>> logits = torch.tensor([2.0, 1.0, 0.5, -1.0])
>>> top_k_filter(logits, 2).tolist()
[2.0, 1.0, -inf, -inf]
>>> next_unit(logits, temperature=0.0)
0
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any

import torch

from embedkit.config import check_positive
from embedkit.errors import InputError
from embedkit.models.config import GenerateConfig
from embedkit.text.pipeline import one_text
from embedkit.vocab import BOS, PAD


def apply_temperature(logits: torch.Tensor, temperature: float) -> torch.Tensor:
    """Divide logits by ``temperature`` (> 0): below 1 sharpens the distribution, above 1 flattens it."""
    if temperature <= 0:
        raise ValueError("temperature must be positive (use greedy decoding for 0)")
    return logits / temperature


def top_k_filter(logits: torch.Tensor, k: int) -> torch.Tensor:
    """Keep the ``k`` largest logits, set the rest to ``-inf``: exactly ``k``, ties at the edge broken as
    ``torch.topk`` breaks them."""
    if k >= logits.size(-1):
        return logits
    top = torch.topk(logits, k, dim=-1)
    return torch.full_like(logits, float("-inf")).scatter(-1, top.indices, top.values)


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
    prompt = one_text(prompt, "a prompt")
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
    """Units continuing ``prompt`` (without it), until ``<eos>`` or ``config.max_tokens``; seeded by ``config.seed``.

    With ``config.beam`` set, the best continuation of :func:`beam_search` instead of a sample.
    """
    config = config or GenerateConfig()
    if config.beam is not None:
        return beam_search(bundle, prompt, config.beam, config.max_tokens, config.min_tokens)[0].units
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


@dataclasses.dataclass(frozen=True)
class Hypothesis:
    """One continuation: its units (without ``<eos>``), their summed log-probability (with the ``<eos>`` that
    ended it, if one did) and whether ``<eos>`` ended it (else ``max_tokens`` did)."""

    units: list[str]
    log_prob: float
    ended: bool


def _step_log_probs(logits: torch.Tensor, banned: list[int], eos: int, allow_eos: bool) -> torch.Tensor:
    """The model's log-probabilities (over the whole vocabulary), with the units it may not emit at ``-inf``."""
    log_probs = torch.log_softmax(logits.float(), dim=-1)
    log_probs[..., banned] = float("-inf")
    if not allow_eos:
        log_probs[..., eos] = float("-inf")
    return log_probs


def _select(hidden: Any, index: torch.Tensor) -> Any:
    if isinstance(hidden, tuple):
        return tuple(h.index_select(1, index) for h in hidden)
    return hidden.index_select(1, index)


def _kth_best(finished: list[tuple[float, list[int], bool]], k: int) -> float:
    return sorted((f[0] for f in finished), reverse=True)[k - 1]


@torch.no_grad()
def beam_search(bundle: Any, prompt: str, beam: int = 4, max_tokens: int = 30,
                min_tokens: int = 0) -> list[Hypothesis]:
    """The most probable continuations of ``prompt`` found by beam search of width ``beam``, best first.

    Scores are summed log-probabilities under the model (no length normalisation): at each step every live
    continuation is extended by every allowed unit and the ``beam`` best that do not end survive; an
    extension by ``<eos>`` that ranks among the ``beam`` best is a finished hypothesis. The search stops
    when no live continuation can beat the ``beam``-th best finished one (a log-probability only falls as
    units are added), or at ``max_tokens``. ``<pad>``/``<bos>`` are never emitted and ``<eos>`` not before
    ``min_tokens`` units, as in :func:`generate`; ``beam=1`` is its greedy decoding. Returns up to ``beam``
    hypotheses.
    """
    check_positive("beam", beam)
    check_positive("max_tokens", max_tokens)
    bundle.model.eval()
    ids, _ = prompt_ids(bundle, prompt)
    banned, eos = _banned(bundle), bundle.vocab.eos_id
    logits, hidden = _last_logits(bundle, ids)
    logits = logits.view(1, -1)
    device = logits.device
    scores = torch.zeros(1, device=device)
    paths: list[list[int]] = [[]]
    finished: list[tuple[float, list[int], bool]] = []
    reached_max = False
    for step in range(max_tokens):
        log_probs = _step_log_probs(logits, banned, eos, allow_eos=step >= min(min_tokens, max_tokens))
        total = (scores[:, None] + log_probs).view(-1)
        values, flat = torch.topk(total, min(2 * beam, total.numel()))
        vocab_size = log_probs.shape[-1]
        keep_rows, keep_units, keep_scores = [], [], []
        for rank, (value, index) in enumerate(zip(values.tolist(), flat.tolist(), strict=True)):
            if value == float("-inf") or len(keep_rows) == beam:
                break
            row, unit = divmod(index, vocab_size)
            if unit == eos:
                if rank < beam:
                    finished.append((value, paths[row], True))
            else:
                keep_rows.append(row)
                keep_units.append(unit)
                keep_scores.append(value)
        paths = [paths[r] + [u] for r, u in zip(keep_rows, keep_units, strict=True)]
        scores = torch.tensor(keep_scores, device=device)
        if not paths or (len(finished) >= beam and _kth_best(finished, beam) >= max(keep_scores)):
            break
        if step + 1 == max_tokens:
            reached_max = True
            break
        rows = torch.tensor(keep_rows, device=device)
        out, hidden = bundle.model(torch.tensor(keep_units, device=device).view(1, -1), _select(hidden, rows))
        logits = out[-1]
    if reached_max:
        finished += [(value, path, False) for value, path in zip(keep_scores, paths, strict=True)]
    best = sorted(finished, key=lambda f: -f[0])[:beam]
    return [Hypothesis(bundle.vocab.decode(p), score, ended) for score, p, ended in best]


@torch.no_grad()
def sequence_log_prob(bundle: Any, prompt: str, units: list[str], ended: bool = False) -> float:
    """The model's log-probability of ``units`` after ``prompt`` (and of ``<eos>`` after them when ``ended``)."""
    bundle.model.eval()
    ids, _ = prompt_ids(bundle, prompt)
    continuation = bundle.vocab.encode(units) + ([bundle.vocab.eos_id] if ended else [])
    if not continuation:
        return 0.0
    device = next(bundle.model.parameters()).device
    sequence = torch.tensor(ids + continuation, dtype=torch.long, device=device).view(-1, 1)
    logits, _ = bundle.model(sequence[:-1])
    log_probs = torch.log_softmax(logits[len(ids) - 1:, 0].float(), dim=-1)
    targets = torch.tensor(continuation, device=device)
    return float(log_probs.gather(1, targets.view(-1, 1)).sum())


def split_partial(prompt: str) -> tuple[str, str]:
    """``(context, fragment)``: the text before the last word and that word, or ``(prompt, "")`` when the
    prompt is empty or ends in whitespace (nothing typed of the next word yet)."""
    match = re.search(r"\S+$", one_text(prompt, "a prompt"))
    if match is None:
        return prompt, ""
    return prompt[:match.start()], match.group()


def _prefix_form(bundle: Any, fragment: str) -> str:
    """The typed fragment in the vocabulary's form (normalised and cased as the training text was)."""
    preprocess = bundle.units.preprocess
    if preprocess is None:
        return fragment.lower()
    from embedkit.text.normalize import normalize

    return normalize(fragment, preprocess).strip()


def _known(bundle: Any, word: str) -> bool:
    """Whether a typed word is a whole word of the model: its preprocessed units (a lemma, say) are all known."""
    units = bundle.units.from_text(word)
    return bool(units) and all(unit in bundle.vocab.stoi for unit in units)


def complete(bundle: Any, prompt: str, k: int = 5, partial: bool | None = None) -> list[tuple[str, float]]:
    """The ``k`` most likely next units after ``prompt``, or the ``k`` most likely completions of its last word.

    ``partial=False``: the next unit after the whole prompt, probabilities over the whole vocabulary.
    ``partial=True``: the prompt's last word is the beginning of a word (``"shares of the comp"``): the
    candidates are the vocabulary's words that start with it, ranked by the model after the text before it,
    with probabilities renormalised over those words (the softmax restricted to them). ``None`` (the default)
    completes the last word when the prompt does not end in a space and that word is not itself in the
    vocabulary, not even after the model's preprocessing (``кошками`` is the lemma ``кошка``; word-level
    models only), else predicts the next unit.
    """
    check_positive("k", k)
    context, fragment = split_partial(prompt)
    word_level = bundle.units.level == "word"
    prefix = _prefix_form(bundle, fragment) if fragment else ""
    if partial is None:
        partial = word_level and bool(prefix) and prefix not in bundle.vocab.stoi and not _known(bundle, fragment)
    if not partial:
        ids, _ = prompt_ids(bundle, prompt)
        logits, _ = _last_logits(bundle, ids)
        logits[_banned(bundle)] = float("-inf")
        probs = torch.softmax(logits, dim=-1)
        values, indices = torch.topk(probs, min(k, probs.numel()))
        return [(bundle.vocab.itos[int(i)], float(v)) for v, i in zip(values, indices, strict=True)]
    if not word_level:
        raise InputError(f"completing a partial word needs a word-level model (this one is {bundle.units.level})")
    if not prefix:
        raise InputError("nothing to complete: the prompt ends in a space (ask for the next word instead)")
    specials = {i for i in (bundle.vocab.pad_id, bundle.vocab.unk_id, bundle.vocab.bos_id, bundle.vocab.eos_id)}
    candidates = [i for i, word in enumerate(bundle.vocab.itos) if word.startswith(prefix) and i not in specials]
    if not candidates:
        raise InputError(f"unknown word beginning: no word of the model's vocabulary starts with '{prefix}'")
    ids, _ = prompt_ids(bundle, context)
    logits, _ = _last_logits(bundle, ids)
    index = torch.tensor(candidates, device=logits.device)
    probs = torch.softmax(logits.index_select(0, index), dim=-1)
    values, order = torch.topk(probs, min(k, len(candidates)))
    return [(bundle.vocab.itos[candidates[int(j)]], float(v)) for v, j in zip(values, order, strict=True)]
