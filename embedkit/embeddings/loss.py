"""The word2vec loss per epoch, measured exactly on a fixed sample of the corpus after every epoch.

gensim's own figure (``compute_loss=True``) cannot be trusted: it sums into a float32 running total that
stops growing once it passes about 2**26 (PTB skip-gram, dim 16: 2.87M per epoch falls to 81k by epoch 24),
and with ``corpus_file`` every worker thread starts from the same total and the last one to finish
overwrites the others' sums, so N threads report about 1/N of the loss. FastText reports nothing.

:class:`LossProbe` instead picks a fixed sample of predictions once (evenly spread sentences, every word
with its full context window, no subsampling; negatives drawn once from the model's own unigram^0.75
table) and evaluates the model's loss on it at the end of each epoch: the mean negative-sampling (and/or
hierarchical-softmax) loss per prediction. Each score is a float32 dot product, as gensim computes it in
training (half the memory traffic of float64, within about 1e-7 of it), and the losses are summed in float64.
The same sample serves every epoch, so the figures form a curve; they do not depend on the number of worker
threads and cannot saturate.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator
from typing import Any

import numpy as np

SAMPLE_WORDS = 10_000
_BLOCK = 1_024  # rows scored at once: small blocks keep the temporaries in reused memory (4x faster than 16k)


def _spread(sentences: Iterable[list[str] | str], total_words: int, target: int) -> Iterator[list[str]]:
    """About ``target`` words' worth of sentences, evenly spread over a corpus of ``total_words`` words.

    A sentence may come as a line of text: only the lines taken are split (a corpus file is read whole to
    spread the sample, but splitting every line would cost more than the reading)."""
    fraction = min(1.0, target / max(total_words, 1))
    taken = 0.0
    for i, sentence in enumerate(sentences):
        if int((i + 1) * fraction) > int(i * fraction) or fraction >= 1.0:
            if isinstance(sentence, str):
                sentence = sentence.split()
            yield sentence
            taken += len(sentence)
            if taken >= target and fraction < 1.0:
                return


def _neg_log_sigmoid(x: np.ndarray) -> np.ndarray:
    return np.logaddexp(0.0, -x)


def _predictions(sentences: list[list[int]], window: int, sg: bool) -> tuple[np.ndarray, np.ndarray]:
    """Every prediction word2vec makes in ``sentences`` (word ids) with its full window: the input rows (one
    context word each for skip-gram, a target's context words padded with -1 for CBOW) and the targets, target
    by target and, within one, left context before right; a word with no context makes none."""
    flat = np.fromiter(itertools.chain.from_iterable(sentences), dtype=np.int64)
    n = len(flat)
    if not n:
        return np.full((0, 1), -1, dtype=np.int64), np.zeros(0, dtype=np.int64)
    sentence = np.repeat(np.arange(len(sentences)), [len(ids) for ids in sentences])
    offsets = np.concatenate([np.arange(-window, 0), np.arange(1, window + 1)])
    at = np.clip(np.arange(n)[:, None] + offsets, 0, n - 1)
    valid = (np.abs(at - np.arange(n)[:, None]) == np.abs(offsets)) & (sentence[at] == sentence[:, None])
    if sg:
        rows, cols = np.nonzero(valid)
        return flat[at[rows, cols]][:, None], flat[rows]
    rows = np.nonzero(valid.any(axis=1))[0]
    valid = valid[rows]
    order = np.argsort(~valid, axis=1, kind="stable")  # each row's context words first, in window order
    context = np.take_along_axis(np.where(valid, flat[at[rows]], -1), order, axis=1)
    return context[:, :max(int(valid.sum(axis=1).max(initial=0)), 1)], flat[rows]


class LossProbe:
    """A fixed sample of word2vec predictions and the model's mean loss on them (see the module docstring)."""

    def __init__(self, model: Any, sentences: Iterable[list[str] | str], seed: int = 0,
                 sample_words: int = SAMPLE_WORDS) -> None:
        index = model.wv.key_to_index
        sample = [[index[w] for w in sentence if w in index]
                  for sentence in _spread(sentences, int(model.corpus_total_words), sample_words)]
        self.inputs, self.targets = _predictions(sample, int(model.window), bool(model.sg))
        self.size = len(self.targets)
        self.cbow_mean = bool(getattr(model, "cbow_mean", 1))
        self.negatives = None
        if model.negative:
            rng = np.random.default_rng(seed)
            table = np.asarray(model.cum_table)
            draws = rng.integers(0, int(table[-1]), size=(self.size, int(model.negative)))
            self.negatives = np.searchsorted(table, draws, side="left").astype(np.int64)
        self.hs = bool(model.hs)
        if self.hs:
            codes = [np.asarray(model.wv.get_vecattr(int(t), "code")) for t in range(len(model.wv))]
            points = [np.asarray(model.wv.get_vecattr(int(t), "point")) for t in range(len(model.wv))]
            depth = max(len(c) for c in codes)
            self.codes = np.full((len(codes), depth), -1, dtype=np.int64)
            self.points = np.zeros((len(codes), depth), dtype=np.int64)
            for t, (c, p) in enumerate(zip(codes, points, strict=True)):
                self.codes[t, :len(c)], self.points[t, :len(p)] = c, p

    def _hidden(self, syn0: np.ndarray, rows: np.ndarray) -> np.ndarray:
        if rows.shape[1] == 1:  # one input word a row (skip-gram): no padding, and the mean is the word
            return syn0[rows[:, 0]]
        mask = rows >= 0
        vectors = syn0[np.where(mask, rows, 0)] * mask[..., None]
        total = vectors.sum(axis=1)
        return total / mask.sum(axis=1, keepdims=True, dtype=np.float32) if self.cbow_mean else total

    def loss(self, model: Any) -> float | None:
        """The mean loss per prediction of ``model`` on the sample (``None`` when the sample is empty)."""
        if not self.size:
            return None
        syn0 = np.asarray(model.wv.vectors, dtype=np.float32)  # gensim's own arrays: no copy
        out = np.asarray(model.syn1neg, dtype=np.float32) if self.negatives is not None else None
        syn1 = np.asarray(model.syn1, dtype=np.float32) if self.hs else None
        total = 0.0
        for start in range(0, self.size, _BLOCK):
            stop = min(start + _BLOCK, self.size)
            hidden = self._hidden(syn0, self.inputs[start:stop])
            target = self.targets[start:stop]
            if out is not None:
                negatives = self.negatives[start:stop]
                words = np.concatenate([target[:, None], negatives], axis=1)  # one gather for both
                scores = np.einsum("nkd,nd->nk", out[words], hidden).astype(np.float64)
                total += _neg_log_sigmoid(scores[:, 0]).sum()
                total += (_neg_log_sigmoid(-scores[:, 1:]) * (negatives != target[:, None])).sum()
            if self.hs:
                codes, points = self.codes[target], self.points[target]
                scores = np.einsum("nd,nkd->nk", hidden, syn1[points]).astype(np.float64)
                total += (_neg_log_sigmoid((1 - 2 * codes) * scores) * (codes >= 0)).sum()
        return total / self.size
