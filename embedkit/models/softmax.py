"""An adaptive softmax (Grave et al. 2017) whose word vectors can be the embedding matrix (tied weights).

The vocabulary, ordered by frequency (as :class:`~embedkit.vocab.Vocab` orders it), is cut at ``cutoffs``:
the units before the first cut and one entry per later cluster form the *head*, computed for every
position; a cluster's own softmax is computed only at the positions whose target falls in it. So
``log p(w) = log p_head(cluster(w)) + log p_cluster(w)``, an exact distribution over the whole vocabulary,
at a fraction of the full softmax's cost when the clusters hold the rare units (on PTB with one cut at 2,000,
about a fifth of the positions need a tail).

torch's ``nn.AdaptiveLogSoftmaxWithLoss`` keeps its own output matrices, so it cannot share them with the
embedding; here one ``[V, H]`` weight and ``[V]`` bias (the same shapes as a full softmax's decoder, so tying
works as it does there) are sliced per cluster, and only the ``[K, H]`` cluster vectors are new.

>>> out = AdaptiveSoftmax(8, 20, (5, 12))
>>> h, target = torch.randn(6, 8), torch.tensor([0, 4, 5, 11, 12, 19])
>>> torch.allclose(out.nll(h, target, "none"), -out(h).gather(1, target[:, None]).squeeze(1), atol=1e-5)
True
"""

from __future__ import annotations

import itertools

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from embedkit.models.config import check_cutoffs


def effective_cutoffs(cutoffs: tuple[int, ...], vocab_size: int) -> tuple[int, ...]:
    """The cuts that fall inside a vocabulary of ``vocab_size`` (a cut at or past its end makes no cluster)."""
    return tuple(c for c in cutoffs if 0 < c < vocab_size)


class AdaptiveSoftmax(nn.Module):
    """Log-probabilities over ``vocab_size`` units from ``[N, hidden]`` states, by frequency clusters.

    ``weight`` ``[V, H]`` and ``bias`` ``[V]`` are the units' output vectors (assign the embedding's weight to
    ``weight`` to tie them); ``cluster_weight`` ``[K, H]`` and ``cluster_bias`` ``[K]`` score the K clusters in
    the head. With no cut inside the vocabulary it is the full softmax.
    """

    def __init__(self, hidden: int, vocab_size: int, cutoffs: tuple[int, ...]) -> None:
        super().__init__()
        check_cutoffs(cutoffs)
        self.cuts = effective_cutoffs(tuple(cutoffs), vocab_size)
        self.vocab_size = vocab_size
        self.weight = nn.Parameter(torch.empty(vocab_size, hidden).uniform_(-0.1, 0.1))
        self.bias = nn.Parameter(torch.zeros(vocab_size))
        self.cluster_weight = nn.Parameter(torch.empty(len(self.cuts), hidden).uniform_(-0.1, 0.1))
        self.cluster_bias = nn.Parameter(torch.zeros(len(self.cuts)))
        edges = (*self.cuts, vocab_size)
        self.spans = list(itertools.pairwise(edges))
        self.register_buffer("boundaries", torch.tensor(self.cuts, dtype=torch.long), persistent=False)

    @property
    def head_size(self) -> int:
        return self.cuts[0] if self.cuts else self.vocab_size

    def _head(self, h: Tensor) -> Tensor:
        """Head log-probabilities ``[N, head_size + K]``: the frequent units, then one column per cluster."""
        n = self.head_size
        weight = torch.cat([self.weight[:n], self.cluster_weight])
        return F.linear(h, weight, torch.cat([self.bias[:n], self.cluster_bias])).log_softmax(-1)

    def _tail(self, h: Tensor, k: int) -> Tensor:
        lo, hi = self.spans[k]
        return F.linear(h, self.weight[lo:hi], self.bias[lo:hi]).log_softmax(-1)

    def forward(self, h: Tensor) -> Tensor:
        """Log-probabilities of every unit, ``[N, V]`` (for sampling and scoring a whole distribution)."""
        head = self._head(h)
        n = self.head_size
        parts = [head[:, :n]] + [head[:, n + k:n + k + 1] + self._tail(h, k) for k in range(len(self.spans))]
        return torch.cat(parts, dim=-1)

    def nll(self, h: Tensor, target: Tensor, reduction: str = "mean") -> Tensor:
        """Negative log-likelihood of ``target`` ``[N]``: the head for all, each tail only where it is needed."""
        head = self._head(h)
        n = self.head_size
        cluster = torch.bucketize(target, self.boundaries, right=True)  # 0: head unit, k: cluster k
        head_target = torch.where(cluster == 0, target, n + cluster - 1)
        logp = head.gather(1, head_target[:, None]).squeeze(1)
        for k, (lo, _) in enumerate(self.spans):
            rows = (cluster == k + 1).nonzero().squeeze(1)
            if rows.numel():
                tail = self._tail(h[rows], k).gather(1, (target[rows] - lo)[:, None]).squeeze(1)
                logp = logp.index_add(0, rows, tail)
        if reduction == "none":
            return -logp
        return -logp.sum() if reduction == "sum" else -logp.mean()
