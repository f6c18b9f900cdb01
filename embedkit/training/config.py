"""The :class:`TrainerConfig`: every option of :class:`embedkit.training.trainer.Trainer` and its default, and
the defaults of each kind of model (:data:`LM_TRAINER`, :data:`CLF_TRAINER`); the :class:`DiagnoseConfig` of the
gradient diagnostics. All importable without torch."""

from __future__ import annotations

import dataclasses

from embedkit.config import check_choice, check_numbers, check_positive
from embedkit.errors import ConfigError
from embedkit.models.config import CELL_TYPES

OPTIMIZERS = ("adamw", "sgd")
CLIP_MODES = ("norm", "value", "none")
DEVICES = ("auto", "cpu", "cuda")


@dataclasses.dataclass(frozen=True)
class TrainerConfig:
    """Optimisation settings, independent of the model being trained.

    ``clip`` bounds the gradient: by global L2 norm (``clip_mode='norm'``, the careful way) or each component by
    value (``'value'``, the lazy way: it changes the gradient's direction); ``clip_mode='none'`` or ``clip=None``
    turns clipping off. ``lr_factor``/``lr_patience`` drive ``ReduceLROnPlateau`` on the monitored validation
    figure; ``patience`` stops training after that many epochs without improvement (``None``: never stop early).
    ``checkpoint_every`` also checkpoints every N optimiser steps inside an epoch (``None``: only at epoch ends).
    ``average`` keeps an exponential moving average of the weights, updated every ``average_every`` steps from epoch
    ``average_start`` on (Polyak averaging, as in AWD-LSTM's averaged SGD): validation, the best weights and the
    trained model are the average's, while the optimiser keeps stepping the raw weights; it is the decay per update
    (0.99 every 10 steps: about the last 1,000 steps; each update reads and writes every weight, so updating less
    often saves the time on a large model).
    """

    optimizer: str = "adamw"
    lr: float = 1e-3
    weight_decay: float = 0.0
    momentum: float = 0.0
    epochs: int = 10
    clip: float | None = 5.0
    clip_mode: str = "norm"
    lr_factor: float = 0.25
    lr_patience: int = 0
    min_lr: float = 0.0
    patience: int | None = 3
    monitor: str = "loss"
    restore_best: bool = True
    seed: int = 0
    device: str = "auto"
    amp: bool = True
    checkpoint_every: int | None = None
    log_every: int = 50
    progress: bool | None = None
    average: float | None = None
    average_start: int = 0
    average_every: int = 1

    def __post_init__(self) -> None:
        check_numbers(self)
        check_choice("optimizer", self.optimizer, OPTIMIZERS)
        check_choice("clip mode", self.clip_mode, CLIP_MODES)
        check_choice("device", self.device, DEVICES)
        check_positive("lr", self.lr)
        check_positive("epochs", self.epochs)
        check_positive("clip", self.clip, allow_none=True)
        check_positive("checkpoint_every", self.checkpoint_every, allow_none=True)
        check_positive("log_every", self.log_every)
        check_positive("average_every", self.average_every)
        if self.weight_decay < 0 or self.momentum < 0 or self.min_lr < 0:
            raise ConfigError("weight_decay, momentum and min_lr must not be negative")
        if not 0 < self.lr_factor < 1:
            raise ConfigError(f"lr_factor must lie in (0, 1), got {self.lr_factor}")
        if self.average is not None and not 0 < self.average < 1:
            raise ConfigError(f"average (the decay of the weight average) must lie in (0, 1), got {self.average}")
        if self.average_start < 0:
            raise ConfigError(f"average_start must not be negative, got {self.average_start}")
        if self.lr_patience < 0 or (self.patience is not None and self.patience < 0):
            raise ConfigError("patience values must not be negative")


LM_TRAINER = TrainerConfig(lr=3e-3, patience=2)
"""Trainer defaults for language models (AdamW at 3e-3, clip 5, early stop after 2 flat epochs)."""

CLF_TRAINER = TrainerConfig(lr=2e-3, monitor="error", lr_patience=1)
"""Trainer defaults for classifiers (AdamW at 2e-3, early stopping on validation error)."""


CLIPPING_GAIN = 1.5
"""The recurrent gain of the clipping comparison when :attr:`DiagnoseConfig.gain` is not set: clipping needs an
exploding gradient to show anything."""


@dataclasses.dataclass(frozen=True)
class DiagnoseConfig:
    """Settings of the gradient diagnostics (:mod:`embedkit.training.diagnostics`): ``embedkit lm diagnose``'s
    flags and a pipeline's ``[diagnose]`` table.

    Each cell of ``cells`` (``hidden`` units, inputs of ``input_size`` drawn from ``N(0, input_scale²)``) reads
    one shared sequence of ``steps`` steps; ``seed`` draws weights and data. ``init`` uses orthogonal recurrent
    weights and forget bias 1 instead of torch's uniform default; ``gain`` makes each recurrent matrix ``gain ×``
    an orthogonal one (above 1 the gradient explodes, below 1 it vanishes). The clipping comparison clips the
    RNN's weight gradient at ``clip``, by norm and by value, at :attr:`clipping_gain`.
    """

    steps: int = 50
    hidden: int = 64
    input_size: int = 16
    cells: tuple[str, ...] = CELL_TYPES
    init: bool = False
    gain: float | None = None
    input_scale: float = 0.1
    clip: float = 1.0
    seed: int = 0

    def __post_init__(self) -> None:
        check_numbers(self)
        for name in ("steps", "hidden", "input_size", "input_scale", "clip"):
            check_positive(name, getattr(self, name))
        check_positive("gain", self.gain, allow_none=True)
        if not self.cells:
            raise ConfigError(f"cells: name at least one of {', '.join(CELL_TYPES)}")
        for cell in self.cells:
            check_choice("cell", cell, CELL_TYPES)
        if len(set(self.cells)) < len(self.cells):
            raise ConfigError(f"cells names a cell twice: {', '.join(self.cells)}")

    @property
    def clipping_gain(self) -> float:
        """The recurrent gain of the clipping comparison: ``gain``, else :data:`CLIPPING_GAIN`."""
        return CLIPPING_GAIN if self.gain is None else self.gain
