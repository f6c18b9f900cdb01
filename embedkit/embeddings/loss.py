"""The word2vec loss per epoch, measured exactly on a fixed sample of the corpus after every epoch.

gensim's own figure (``compute_loss=True``) cannot be trusted: it sums into a float32 running total that
stops growing once it passes about 2**26 (PTB skip-gram, dim 16: 2.87M per epoch falls to 81k by epoch 24),
and with ``corpus_file`` every worker thread starts from the same total and the last one to finish
overwrites the others' sums, so N threads report about 1/N of the loss. FastText reports nothing.

:class:`LossProbe` instead picks a fixed sample of predictions once (evenly spread sentences, every word
with its full context window, no subsampling; negatives drawn once from the model's own unigram^0.75
table) and evaluates the model's loss on it in float64 at the end of each epoch: the mean negative-sampling
(and/or hierarchical-softmax) loss per prediction. The same sample serves every epoch, so the figures form
a curve; they do not depend on the number of worker threads and cannot saturate.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import numpy as np

SAMPLE_WORDS = 10_000
_BLOCK = 1_024  # rows scored at once: small blocks keep the temporaries in reused memory (4x faster than 16k)


def _spread(sentences: Iterable[list[str]], total_words: int, target: int) -> Iterator[list[str]]:
    """About ``target`` words' worth of sentences, evenly spread over a corpus of ``total_words`` words."""
    fraction = min(1.0, target / max(total_words, 1))
    taken = 0.0
    for i, sentence in enumerate(sentences):
        if int((i + 1) * fraction) > int(i * fraction) or fraction >= 1.0:
            yield sentence
            taken += len(sentence)
            if taken >= target and fraction < 1.0:
                return


def _neg_log_sigmoid(x: np.ndarray) -> np.ndarray:
    return np.logaddexp(0.0, -x)


class LossProbe:
    """A fixed sample of word2vec predictions and the model's mean loss on them (see the module docstring)."""

    def __init__(self, model: Any, sentences: Iterable[list[str]], seed: int = 0,
                 sample_words: int = SAMPLE_WORDS) -> None:
        index = model.wv.key_to_index
        window, sg = int(model.window), bool(model.sg)
        inputs: list[list[int]] = []
        targets: list[int] = []
        for sentence in _spread(sentences, int(model.corpus_total_words), sample_words):
            ids = [index[w] for w in sentence if w in index]
            for i, target in enumerate(ids):
                context = ids[max(0, i - window):i] + ids[i + 1:i + 1 + window]
                if not context:
                    continue
                if sg:
                    inputs.extend([c] for c in context)
                    targets.extend([target] * len(context))
                else:
                    inputs.append(context)
                    targets.append(target)
        self.size = len(targets)
        width = max((len(x) for x in inputs), default=1)
        self.inputs = np.full((self.size, width), -1, dtype=np.int64)
        for row, ids in enumerate(inputs):
            self.inputs[row, :len(ids)] = ids
        self.targets = np.asarray(targets, dtype=np.int64)
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
        mask = rows >= 0
        vectors = syn0[np.where(mask, rows, 0)] * mask[..., None]
        total = vectors.sum(axis=1)
        return total / mask.sum(axis=1, keepdims=True) if self.cbow_mean else total

    def loss(self, model: Any) -> float | None:
        """The mean loss per prediction of ``model`` on the sample (``None`` when the sample is empty)."""
        if not self.size:
            return None
        # the matrices in float64 once (a vocabulary's worth), not each gathered block (a sample's worth)
        syn0 = np.asarray(model.wv.vectors, dtype=np.float64)
        out = np.asarray(model.syn1neg, dtype=np.float64) if self.negatives is not None else None
        syn1 = np.asarray(model.syn1, dtype=np.float64) if self.hs else None
        total = 0.0
        for start in range(0, self.size, _BLOCK):
            stop = min(start + _BLOCK, self.size)
            hidden = self._hidden(syn0, self.inputs[start:stop])
            target = self.targets[start:stop]
            if out is not None:
                total += _neg_log_sigmoid(np.einsum("nd,nd->n", hidden, out[target])).sum()
                negatives = self.negatives[start:stop]
                scores = np.einsum("nd,nkd->nk", hidden, out[negatives])
                total += (_neg_log_sigmoid(-scores) * (negatives != target[:, None])).sum()
            if self.hs:
                codes, points = self.codes[target], self.points[target]
                scores = np.einsum("nd,nkd->nk", hidden, syn1[points])
                total += (_neg_log_sigmoid((1 - 2 * codes) * scores) * (codes >= 0)).sum()
        return total / self.size
