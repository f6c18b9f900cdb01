"""The :class:`LMConfig`: the language model's architecture and data settings, saved beside its weights."""

from __future__ import annotations

import dataclasses

from embedkit.config import check_choice, check_positive
from embedkit.errors import ConfigError

LEVELS = ("word", "subword", "char")
CELL_TYPES = ("rnn", "lstm", "gru")


@dataclasses.dataclass(frozen=True)
class LMConfig:
    """A recurrent language model: embedding -> stacked RNN/LSTM/GRU -> linear (optionally tied) -> softmax.

    ``level`` chooses the units: ``word`` (the token file's space-separated tokens), ``subword`` (pieces of
    the :class:`SubwordModel` at ``subword_model``) or ``char``. ``<eos>`` ends every line. Dropout acts on the
    embeddings (``emb_dropout``, defaults to ``dropout``), between layers and on the output (``dropout``);
    ``variational`` uses one mask per sequence for all time steps instead of a new mask each step.
    ``bptt`` and ``batch_size`` shape truncated backpropagation through time.
    """

    level: str = "word"
    subword_model: str | None = None
    cell: str = "lstm"
    layers: int = 2
    hidden: int = 200
    emb_dim: int = 200
    dropout: float = 0.2
    emb_dropout: float | None = None
    variational: bool = False
    tie_weights: bool = False
    freeze_embeddings: bool = False
    init: bool = True
    bptt: int = 35
    batch_size: int = 20
    eval_batch_size: int = 10
    min_count: int = 1
    max_vocab: int | None = None

    def __post_init__(self) -> None:
        check_choice("level", self.level, LEVELS)
        check_choice("cell", self.cell, CELL_TYPES)
        for name in ("layers", "hidden", "emb_dim", "bptt", "batch_size", "eval_batch_size", "min_count"):
            check_positive(name, getattr(self, name))
        check_positive("max_vocab", self.max_vocab, allow_none=True)
        for name in ("dropout", "emb_dropout"):
            value = getattr(self, name)
            if value is not None and not 0 <= value < 1:
                raise ConfigError(f"{name} must lie in [0, 1), got {value}")
        if self.level == "subword" and not self.subword_model:
            raise ConfigError("level 'subword' needs a subword model (--subword PATH)")
        if self.tie_weights and self.hidden != self.emb_dim:
            raise ConfigError(f"tied weights need hidden == emb_dim (got hidden {self.hidden}, "
                              f"emb_dim {self.emb_dim}): the output layer reuses the embedding matrix")
