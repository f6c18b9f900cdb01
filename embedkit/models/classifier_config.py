"""The :class:`ClassifierConfig`: every option of the text classifier and its default (one home of defaults)."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

from embedkit.config import check_choice, check_positive
from embedkit.errors import ConfigError
from embedkit.text.config import LANGS, PreprocessConfig

if TYPE_CHECKING:
    from embedkit.training.config import TrainerConfig

TRAINER_DEFAULTS = {"lr": 2e-3, "monitor": "error", "lr_patience": 1}
CELLS = ("rnn", "lstm", "gru")
POOLINGS = ("last", "mean", "max")
CLASS_WEIGHTS = ("none", "balanced")


@dataclasses.dataclass(frozen=True)
class ClassifierConfig:
    """Architecture, vocabulary, preprocessing and batching of :class:`~embedkit.models.classifier.RNNClassifier`.

    ``pooling`` turns the RNN outputs into one vector per text: ``last`` (the final hidden state of each
    direction), ``mean`` or ``max`` over the real (unpadded) steps. ``dropout`` applies between stacked
    layers and to the pooled vector, ``embedding_dropout`` to the word vectors. ``class_weights='balanced'``
    weights the loss by inverse class frequency. Texts longer than ``max_len`` tokens are truncated.
    Optimisation settings (epochs, learning rate, early stopping) live in
    :class:`embedkit.training.TrainerConfig`.
    """

    cell: str = "gru"
    embedding_dim: int = 128
    hidden_size: int = 128
    num_layers: int = 1
    bidirectional: bool = False
    pooling: str = "max"
    dropout: float = 0.5
    embedding_dropout: float = 0.2
    freeze_embeddings: bool = False
    min_count: int = 2
    max_vocab: int | None = None
    max_len: int = 100
    class_weights: str = "none"
    batch_size: int = 32
    valid_fraction: float = 0.1
    lang: str = "auto"
    keep_punct: bool = False

    def __post_init__(self) -> None:
        check_choice("cell", self.cell, CELLS)
        check_choice("pooling", self.pooling, POOLINGS)
        check_choice("class weights", self.class_weights, CLASS_WEIGHTS)
        check_choice("language", self.lang, LANGS)
        for name in ("embedding_dim", "hidden_size", "num_layers", "min_count", "max_len", "batch_size"):
            check_positive(name, getattr(self, name))
        check_positive("max_vocab", self.max_vocab, allow_none=True)
        for name in ("dropout", "embedding_dropout"):
            if not 0 <= getattr(self, name) < 1:
                raise ConfigError(f"{name} must lie in [0, 1), got {getattr(self, name)}")
        if not 0 <= self.valid_fraction < 1:
            raise ConfigError(f"valid_fraction must lie in [0, 1), got {self.valid_fraction}")

    @property
    def directions(self) -> int:
        return 2 if self.bidirectional else 1

    def preprocess(self) -> PreprocessConfig:
        """The text pipeline every input goes through, at training and at prediction time alike."""
        return PreprocessConfig(lang=self.lang, keep_punct=self.keep_punct)


def default_trainer_config(**changes: object) -> TrainerConfig:
    """The Trainer settings a classifier starts from: its own learning rate, monitoring validation error."""
    from embedkit.config import replace_config
    from embedkit.training.config import TrainerConfig

    return replace_config(TrainerConfig(**TRAINER_DEFAULTS), **changes)  # type: ignore[arg-type]
