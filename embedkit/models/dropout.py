"""Dropout on the recurrent connections (Gal & Ghahramani 2016) for torch's fused RNN/LSTM/GRU modules.

Input dropout masks what enters a layer from below; *recurrent* dropout masks ``h_{t-1}`` where it enters
``W h_{t-1}``, with one mask for every step of a sequence (a new mask each step would wipe the memory out).
Since ``W (h ⊙ m) = (W diag(m)) h``, zeroing columns of ``weight_hh`` with one mask ``m`` (scaled by
``1/(1-p)``) is that dropout with the mask shared by the batch, and it keeps torch's fused (cuDNN) kernels:
the weights are masked once per forward call and the module runs as usual. One mask per cell (layer and
direction), the same for every gate block; a fresh one at every training forward call (every batch or BPTT
window); none in eval mode. The cell state ``c`` and the GRU's ``z ⊙ h_{t-1}`` carry the unmasked state, as
in :mod:`embedkit.models.cells`, whose cells take a per-sequence mask and are the exact reference.

>>> rnn = nn.LSTM(3, 4)
>>> drop = RecurrentDropout(0.5).train()
>>> out, _ = drop(rnn, rnn.weight_ih_l0.new_ones(6, 2, 3))
>>> sorted(drop.masks), sorted({float(v) for v in drop.masks["weight_hh_l0"]}) <= [0.0, 2.0]
(['weight_hh_l0'], True)
"""

from __future__ import annotations

import warnings
from typing import Any

from torch import Tensor, nn
from torch.func import functional_call

from embedkit.errors import ConfigError


class RecurrentDropout(nn.Module):
    """Variational dropout on ``h_{t-1}`` for a ``torch.nn.RNN/LSTM/GRU``: call ``drop(rnn, x, hidden)``.

    ``masks`` holds the masks of the last training call (``{"weight_hh_l0": [H], ...}``), empty in eval mode
    or when ``p == 0``; the module has no parameters, so a model's saved weights do not change.
    """

    def __init__(self, p: float) -> None:
        super().__init__()
        if not 0 <= p < 1:
            raise ConfigError(f"recurrent_dropout must lie in [0, 1), got {p}")
        self.p = p
        self.masks: dict[str, Tensor] = {}

    def draw(self, rnn: nn.RNNBase) -> dict[str, Tensor]:
        """One scaled Bernoulli mask over the columns of each ``weight_hh*`` of ``rnn``."""
        keep = 1 - self.p
        return {name: weight.new_empty(weight.shape[1]).bernoulli_(keep) / keep
                for name, weight in rnn.named_parameters() if name.startswith("weight_hh")}

    def forward(self, rnn: nn.RNNBase, x: Any, hidden: Any = None) -> tuple[Any, Any]:
        """``rnn(x, hidden)``, with fresh masked recurrent weights when training and ``p > 0``."""
        if not self.training or self.p == 0:
            self.masks = {}
            return rnn(x, hidden)
        self.masks = self.draw(rnn)
        return run_masked(rnn, self.masks, x, hidden)


def run_masked(rnn: nn.RNNBase, masks: dict[str, Tensor], x: Any, hidden: Any = None) -> tuple[Any, Any]:
    """``rnn(x, hidden)`` with each named ``weight_hh*`` multiplied column-wise by its mask (``W diag(m)``)."""
    weights = {name: getattr(rnn, name) * mask for name, mask in masks.items()}
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*contiguous chunk of memory.*")
        return functional_call(rnn, weights, (x, hidden))
