"""The models' settings, saved beside their weights: :class:`LMConfig` (the language model) and
:class:`ClassifierConfig` (the text classifier); :class:`GenerateConfig` (sampling from a language model) and
:class:`NgramConfig` (the n-gram baseline). None of them imports torch or numpy.
One tuple of cell types serves both models, and a knob they share has one name in both (``cell``, ``layers``,
``hidden``, ``emb_dim``, ``dropout``, ``emb_dropout``, ``freeze_embeddings``, ``min_count``, ``max_vocab``,
``batch_size``), in Python, TOML and on the command line.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
from typing import Any

from embedkit.config import check_choice, check_numbers, check_positive, renamed
from embedkit.errors import ConfigError
from embedkit.text.config import PreprocessConfig

LEVELS = ("word", "subword", "char")
CELL_TYPES = ("rnn", "lstm", "gru")
POOLINGS = ("last", "mean", "max")
CLASS_WEIGHTS = ("none", "balanced")
SMOOTHINGS = ("kneser-ney", "add-k")
MAX_ORDER = 20  # n-gram order; KenLM's default build stops at 6
INITS = ("orthogonal", "torch")


def check_cutoffs(cutoffs: tuple[int, ...]) -> None:
    """Adaptive-softmax cuts must be positive and strictly increasing (a :class:`ConfigError` otherwise)."""
    if any(not isinstance(c, int) or isinstance(c, bool) or c < 1 for c in cutoffs):
        raise ConfigError(f"softmax cutoffs must be positive whole numbers, got {list(cutoffs)}")
    if any(b <= a for a, b in itertools.pairwise(cutoffs)):
        raise ConfigError(f"softmax cutoffs must increase, got {list(cutoffs)}")


def _check_recurrent(config: Any) -> None:
    """Shared checks of ``init``, ``forget_bias`` and ``recurrent_dropout`` (``init`` true/false: old spelling)."""
    if isinstance(config.init, bool):
        object.__setattr__(config, "init", "orthogonal" if config.init else "torch")
    check_choice("init", config.init, INITS)
    if not 0 <= config.recurrent_dropout < 1:
        raise ConfigError(f"recurrent_dropout must lie in [0, 1), got {config.recurrent_dropout}")
    if not math.isfinite(config.forget_bias):
        raise ConfigError(f"forget_bias must be a finite number, got {config.forget_bias}")
    if config.cell != "lstm" and config.forget_bias != 1.0:
        raise ConfigError(f"forget_bias sets the LSTM's forget gate; a {config.cell} cell has none")
    if config.init == "torch" and config.forget_bias != 1.0:
        raise ConfigError("forget_bias acts only with init 'orthogonal' (init 'torch' keeps torch's own biases)")


@dataclasses.dataclass(frozen=True)
class LMConfig:
    """A recurrent language model: embedding -> stacked RNN/LSTM/GRU -> linear (optionally tied) -> softmax.

    ``level`` chooses the units: ``word`` (the token file's space-separated tokens), ``subword`` (pieces of
    the :class:`SubwordModel` at ``subword_model``) or ``char``. ``<eos>`` ends every line. Dropout acts on the
    embeddings (``emb_dropout``, defaults to ``dropout``), between layers and on the output (``dropout``);
    ``variational`` uses one mask per sequence for all time steps instead of a new mask each step on what
    enters and leaves the recurrent stack (embeddings, output); between stacked layers the fused torch module
    applies its own dropout, a new mask each step; never on the state carried from step to step.
    ``recurrent_dropout`` is that other dropout (Gal & Ghahramani 2016): one mask on ``h_{t-1}`` inside
    ``W h_{t-1}``, the same at every step (see :mod:`embedkit.models.dropout`); 0 turns it off.
    ``init='orthogonal'`` starts the recurrent weights orthogonal (per gate block, from an SVD), the input
    weights Xavier, the biases 0 and the LSTM forget-gate bias at ``forget_bias``; ``'torch'`` keeps torch's
    uniform default (``forget_bias`` must then stay 1). ``softmax_cutoffs`` (e.g. ``(2000,)``) switches the
    output to an adaptive softmax whose clusters start at those vocabulary ranks (see
    :mod:`embedkit.models.softmax`; the same distribution, several times cheaper to train on a large
    vocabulary, tied weights included); empty is the full softmax. ``bptt`` and ``batch_size`` shape
    truncated backpropagation through time.
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
    softmax_cutoffs: tuple[int, ...] = ()
    freeze_embeddings: bool = False
    recurrent_dropout: float = 0.0
    init: str | bool = "orthogonal"
    forget_bias: float = 1.0
    bptt: int = 35
    batch_size: int = 20
    eval_batch_size: int = 10
    min_count: int = 1
    max_vocab: int | None = None

    def __post_init__(self) -> None:
        check_numbers(self)
        check_choice("level", self.level, LEVELS)
        check_choice("cell", self.cell, CELL_TYPES)
        _check_recurrent(self)
        for name in ("layers", "hidden", "emb_dim", "bptt", "batch_size", "eval_batch_size", "min_count"):
            check_positive(name, getattr(self, name))
        check_positive("max_vocab", self.max_vocab, allow_none=True)
        for name in ("dropout", "emb_dropout"):
            value = getattr(self, name)
            if value is not None and not 0 <= value < 1:
                raise ConfigError(f"{name} must lie in [0, 1), got {value}")
        object.__setattr__(self, "softmax_cutoffs", tuple(self.softmax_cutoffs))
        check_cutoffs(self.softmax_cutoffs)
        if self.level == "subword" and not self.subword_model:
            raise ConfigError("level 'subword' needs a subword model (--subword PATH)")
        if self.tie_weights and self.hidden != self.emb_dim:
            raise ConfigError(f"tied weights need hidden == emb_dim (got hidden {self.hidden}, "
                              f"emb_dim {self.emb_dim}): the output layer reuses the embedding matrix")


@renamed(embedding_dim="emb_dim", hidden_size="hidden", num_layers="layers", embedding_dropout="emb_dropout",
         lang="text.lang", keep_punct="text.keep_punct")
@dataclasses.dataclass(frozen=True)
class ClassifierConfig:
    """Architecture, vocabulary, preprocessing and batching of :class:`~embedkit.models.classifier.RNNClassifier`.

    ``pooling`` turns the RNN outputs into one vector per text: ``last`` (the final hidden state of each
    direction), ``mean`` or ``max`` over the real (unpadded) steps. ``dropout`` applies between stacked
    layers and to the pooled vector, ``emb_dropout`` to the word vectors, ``recurrent_dropout`` to
    ``h_{t-1}`` inside ``W h_{t-1}`` (one mask for all steps; :mod:`embedkit.models.dropout`). ``init`` and
    ``forget_bias`` start the weights as in :class:`LMConfig`. ``class_weights='balanced'``
    weights the loss by inverse class frequency. Texts longer than ``max_len`` tokens are truncated.
    ``nb_features`` appends to every word vector the word's naive Bayes log-count ratios (each class against
    the rest, one column for two classes; Wang & Manning 2012), counted on the training texts and kept fixed:
    the linear baseline's per-word evidence, given to the RNN to weigh in context. In training each text reads
    the ratios counted without itself, else a word seen once would hand the RNN its text's label.
    ``refit`` trains twice: first with the ``valid_fraction`` share held out, to find the epoch whose weights
    early stopping keeps, then afresh on all the texts for that many epochs (what a held-out share costs a
    small data set: a tenth of its texts, and of the words its vocabulary and naive Bayes ratios count).
    ``text`` is the whole preprocessing (language, lemmas or stems, stop words, negation, masks, tokeniser),
    applied at training and prediction alike; ``lang`` and ``keep_punct`` at the top level are its old
    spelling.
    Optimisation settings (epochs, learning rate, early stopping) live in
    :class:`embedkit.training.TrainerConfig`. The old names ``embedding_dim``, ``hidden_size``, ``num_layers``
    and ``embedding_dropout`` still work for one release, with a :class:`~embedkit.config.RenamedOptionWarning`.
    """

    cell: str = "gru"
    emb_dim: int = 128
    hidden: int = 128
    layers: int = 1
    bidirectional: bool = False
    pooling: str = "max"
    dropout: float = 0.5
    emb_dropout: float = 0.2
    recurrent_dropout: float = 0.0
    init: str | bool = "orthogonal"
    forget_bias: float = 1.0
    freeze_embeddings: bool = False
    min_count: int = 2
    max_vocab: int | None = None
    max_len: int = 100
    class_weights: str = "none"
    nb_features: bool = False
    batch_size: int = 32
    valid_fraction: float = 0.1
    refit: bool = False
    text: PreprocessConfig = dataclasses.field(default_factory=PreprocessConfig)

    def __post_init__(self) -> None:
        check_numbers(self)
        check_choice("cell", self.cell, CELL_TYPES)
        check_choice("pooling", self.pooling, POOLINGS)
        check_choice("class weights", self.class_weights, CLASS_WEIGHTS)
        _check_recurrent(self)
        for name in ("layers", "hidden", "emb_dim", "min_count", "max_len", "batch_size"):
            check_positive(name, getattr(self, name))
        check_positive("max_vocab", self.max_vocab, allow_none=True)
        for name in ("dropout", "emb_dropout"):
            if not 0 <= getattr(self, name) < 1:
                raise ConfigError(f"{name} must lie in [0, 1), got {getattr(self, name)}")
        if not 0 <= self.valid_fraction < 1:
            raise ConfigError(f"valid_fraction must lie in [0, 1), got {self.valid_fraction}")

    @property
    def directions(self) -> int:
        return 2 if self.bidirectional else 1

    def preprocess(self) -> PreprocessConfig:
        """The text pipeline every input goes through, at training and at prediction time alike."""
        return self.text


@dataclasses.dataclass(frozen=True)
class GenerateConfig:
    """Sampling settings. ``temperature=0`` is greedy decoding; ``top_k``/``top_p`` keep the k most likely
    units / the smallest set whose probability reaches p. ``<eos>`` cannot end a sample before
    ``min_tokens`` units (so a sample is never an empty fragment), and ``max_tokens`` caps its length.
    ``beam`` (K >= 1) replaces sampling by beam search of width K (K = 1 is greedy decoding)."""

    max_tokens: int = 30
    min_tokens: int = 10
    temperature: float = 1.0
    top_k: int | None = None
    top_p: float | None = 0.9
    seed: int | None = None
    beam: int | None = None

    def __post_init__(self) -> None:
        check_numbers(self)
        check_positive("max_tokens", self.max_tokens)
        check_positive("beam", self.beam, allow_none=True)
        check_positive("top_k", self.top_k, allow_none=True)
        if self.min_tokens < 0:
            raise ConfigError(f"min_tokens must not be negative, got {self.min_tokens}")
        if self.temperature < 0:
            raise ConfigError(f"temperature must not be negative, got {self.temperature}")
        if self.top_p is not None and not 0 < self.top_p <= 1:
            raise ConfigError(f"top_p must lie in (0, 1], got {self.top_p}")


@dataclasses.dataclass(frozen=True)
class NgramConfig:
    """Options of :class:`NgramModel` (checked when the model is built): the one home of their defaults."""

    order: int = 3
    smoothing: str = "kneser-ney"
    k: float = 1.0
    min_count: int = 1
    modified: bool = True
    discount: float | None = None

    def __post_init__(self) -> None:
        check_numbers(self)
        check_positive("order", self.order)
        if self.order > MAX_ORDER:
            raise ConfigError(f"order must be at most {MAX_ORDER}, got {self.order}: longer n-grams are almost never "
                              "seen twice, and counting costs grow with the square of the order")
        check_choice("smoothing", self.smoothing, SMOOTHINGS)
        check_positive("k", self.k)
        check_positive("min_count", self.min_count)
        if self.discount is not None and not 0 < self.discount < 1:
            raise ConfigError(f"discount must lie between 0 and 1, got {self.discount}")
