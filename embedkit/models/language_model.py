"""The recurrent language model (one class for every cell, like pytorch/examples) and its saved folder.

``LanguageModel``: embedding (random, or from a given matrix, frozen or fine-tuned) -> dropout ->
``torch.nn.RNN/LSTM/GRU`` (dropout between layers, optional recurrent dropout on ``h_{t-1}``) -> dropout
-> linear (optionally tied to the embedding) -> logits. Loss is the mean negative log-likelihood of the next
unit; perplexity is ``exp`` of it.

``LMBundle``: the model with what it needs to read text (vocabulary, units, the preprocessing of the
training tokens), saved as a folder a person can open: ``config.json``, ``model.safetensors``,
``vocab.json``, ``preprocess.toml`` (when the token file had a sidecar, or the model preprocessed raw text
itself: then ``config.json`` says ``"input": "text"``), ``subword.json`` (subword level).
Loading never unpickles.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from embedkit.config import config_from_dict, config_to_dict
from embedkit.errors import ConfigError, InputError, ModelFormatError
from embedkit.io import check_format, read_json, write_json
from embedkit.models.cells import TORCH_RNNS
from embedkit.models.config import LMConfig
from embedkit.models.dropout import RecurrentDropout
from embedkit.models.init import apply_init
from embedkit.models.sizes import check_saved_sizes, rnn_parameters, rnn_shapes
from embedkit.models.softmax import AdaptiveSoftmax, effective_cutoffs
from embedkit.text.config import PreprocessConfig
from embedkit.text.provenance import read_model_preprocess, write_model_preprocess
from embedkit.vocab import Vocab
from embedkit.weights import load_weights, save_weights

FORMAT = "embedkit.lm/1"
INPUTS = ("tokens", "text")  # what the model's files are: token files, or raw text it preprocesses itself
RNN_CLASSES = TORCH_RNNS
Hidden = Tensor | tuple[Tensor, Tensor]


class LockedDropout(nn.Module):
    """Dropout with one mask per sequence, the same at every time step (variational dropout), on ``[T, B, D]``."""

    def __init__(self, p: float) -> None:
        super().__init__()
        self.p = p

    def forward(self, x: Tensor) -> Tensor:
        if not self.training or self.p == 0:
            return x
        mask = x.new_empty(1, *x.shape[1:]).bernoulli_(1 - self.p) / (1 - self.p)
        return x * mask


def as_matrix(embeddings: Any) -> Tensor:
    """An embedding matrix from a tensor, an array, or the ``(matrix, coverage)`` pair of ``to_matrix``."""
    if isinstance(embeddings, tuple):
        embeddings = embeddings[0]
    matrix = torch.as_tensor(np.asarray(embeddings) if not isinstance(embeddings, Tensor) else embeddings)
    if matrix.ndim != 2:
        raise ConfigError(f"an embedding matrix must be 2-D (vocabulary x dimension), got shape {tuple(matrix.shape)}")
    return matrix.float()


class LanguageModel(nn.Module):
    """Next-unit predictor over ``[T, B]`` id tensors (sequence-first); see the module docstring.

    >>> model = LanguageModel(LMConfig(layers=1, hidden=8, emb_dim=8), vocab_size=20)
    >>> logits, hidden = model(torch.zeros(5, 3, dtype=torch.long))
    >>> tuple(logits.shape), tuple(hidden[0].shape)
    ((5, 3, 20), (1, 3, 8))
    """

    def __init__(self, config: LMConfig, vocab_size: int, embeddings: Any = None) -> None:
        super().__init__()
        self.config, self.vocab_size = config, vocab_size
        self.encoder = nn.Embedding(vocab_size, config.emb_dim)
        if embeddings is not None:
            matrix = as_matrix(embeddings)
            if tuple(matrix.shape) != (vocab_size, config.emb_dim):
                raise ConfigError(f"embedding matrix is {matrix.shape[0]} x {matrix.shape[1]}, but the model needs "
                                  f"vocabulary {vocab_size} x emb_dim {config.emb_dim}")
            with torch.no_grad():
                self.encoder.weight.copy_(matrix)
        else:
            nn.init.uniform_(self.encoder.weight, -0.1, 0.1)
        self.encoder.weight.requires_grad_(not config.freeze_embeddings)
        emb_p = config.dropout if config.emb_dropout is None else config.emb_dropout
        drop = LockedDropout if config.variational else nn.Dropout
        self.emb_drop, self.out_drop = drop(emb_p), drop(config.dropout)
        self.rnn = RNN_CLASSES[config.cell](config.emb_dim, config.hidden, num_layers=config.layers,
                                            dropout=config.dropout if config.layers > 1 else 0.0)
        apply_init(self.rnn, config.init, config.forget_bias)
        self.recurrent_drop = RecurrentDropout(config.recurrent_dropout)
        self.decoder: nn.Module
        if config.softmax_cutoffs:
            self.decoder = AdaptiveSoftmax(config.hidden, vocab_size, config.softmax_cutoffs)
        else:
            self.decoder = nn.Linear(config.hidden, vocab_size)
            nn.init.zeros_(self.decoder.bias)
        if config.tie_weights:
            if config.hidden != config.emb_dim:
                raise ConfigError("tied weights need hidden == emb_dim")
            if config.freeze_embeddings:
                raise ConfigError("tied weights cannot be frozen: the output layer trains them")
            self.decoder.weight = self.encoder.weight
        else:
            nn.init.uniform_(self.decoder.weight, -0.1, 0.1)

    def init_hidden(self, batch: int) -> Hidden:
        """Zero state for a batch: ``[layers, B, H]`` (a pair for the LSTM)."""
        h = self.encoder.weight.new_zeros(self.config.layers, batch, self.config.hidden)
        return (h, h.clone()) if self.config.cell == "lstm" else h

    def _states(self, ids: Tensor, hidden: Hidden | None) -> tuple[Tensor, Hidden]:
        """The recurrent outputs after dropout ``[T, B, H]``, and the last hidden state."""
        x = self.emb_drop(self.encoder(ids))
        out, hidden = self.recurrent_drop(self.rnn, x, hidden)
        return self.out_drop(out), hidden

    def forward(self, ids: Tensor, hidden: Hidden | None = None, targets: Tensor | None = None,
                reduction: str = "mean") -> tuple[Tensor, Hidden]:
        """Logits ``[T, B, V]`` for the unit after each position (log-probabilities with the adaptive
        softmax: the same distribution), and the last hidden state. With ``targets`` (``[T, B]``, the unit
        after each of ``ids``) the first is their negative log-likelihood instead (``reduction`` as in
        ``F.cross_entropy``): the adaptive softmax then computes a cluster's scores only where a target falls
        in it. (One entry point, so ``DistributedDataParallel`` sees the training loss pass through it.)"""
        out, hidden = self._states(ids, hidden)
        flat = out.reshape(-1, out.shape[-1])
        if targets is None:
            return self.decoder(flat).view(*out.shape[:-1], self.vocab_size), hidden
        if isinstance(self.decoder, AdaptiveSoftmax):
            return self.decoder.nll(flat, targets.reshape(-1), reduction), hidden
        return F.cross_entropy(self.decoder(flat).float(), targets.reshape(-1), reduction=reduction), hidden

    def nll(self, ids: Tensor, targets: Tensor, hidden: Hidden | None = None,
            reduction: str = "mean") -> tuple[Tensor, Hidden]:
        """Negative log-likelihood of ``targets`` and the last hidden state (``forward`` with targets)."""
        return self(ids, hidden, targets, reduction)


def lm_parameters(config: LMConfig, vocab_size: int) -> int:
    """How many parameters a :class:`LanguageModel` of ``config`` has (tied weights counted twice, as saved)."""
    clusters = len(effective_cutoffs(config.softmax_cutoffs, vocab_size))
    return (vocab_size * config.emb_dim + rnn_parameters(config.cell, config.emb_dim, config.hidden, config.layers)
            + (vocab_size + clusters) * (config.hidden + 1))


def lm_shapes(config: LMConfig, vocab_size: int) -> dict[str, tuple[int, ...]]:
    """The shapes of the key tensors of a :class:`LanguageModel` of ``config``."""
    return {"encoder.weight": (vocab_size, config.emb_dim), "decoder.weight": (vocab_size, config.hidden),
            **rnn_shapes("rnn", config.cell, config.emb_dim, config.hidden, config.layers)}


class Units:
    """How text becomes the model's units (words, subword pieces or characters) and back.

    ``preprocess`` is the preprocessing of the training text (prompts pass through it); ``raw_text`` says
    that the model's files (training, validation, scored) are raw text, one document a line, that passes
    through it line by line, rather than token files made by ``embedkit preprocess``.
    """

    def __init__(self, level: str, preprocess: PreprocessConfig | None = None, subword: Any = None,
                 raw_text: bool = False) -> None:
        self.level, self.preprocess, self.subword, self.raw_text = level, preprocess, subword, raw_text
        self._pipeline: Any = None

    def from_token_line(self, line: str) -> list[str]:
        """Units of one line of a token file (already preprocessed, space-separated)."""
        if self.level == "char":
            return list(line.strip())
        if self.level == "subword":
            return self.subword.encode(line.split()) if line.split() else []
        return line.split()

    def from_file_line(self, line: str) -> list[str]:
        """Units of one line of a file in the model's form: raw text through the preprocessing into tokens
        (then read as a token file's line would be), or a token file's line as it is."""
        return self.from_token_line(" ".join(self._words(line))) if self.raw_text else self.from_token_line(line)

    def _words(self, text: str) -> list[str]:
        """The tokens of raw text after the preprocessing (lower-cased and split on spaces without one)."""
        if self.preprocess is None:
            return text.lower().split()
        if self._pipeline is None:
            from embedkit.text import Pipeline

            self._pipeline = Pipeline(self.preprocess)
        return list(self._pipeline.process(text))

    def from_text(self, text: str) -> list[str]:
        """Units of raw text such as a prompt, through the same preprocessing as the training tokens."""
        if self.level == "word":
            return self._words(text)
        if self.level == "char":
            return list(text.lower() if self.preprocess is None or self.preprocess.lowercase else text)
        words = self._words(text)
        return self.subword.encode(words) if words else []

    def join(self, units: list[str]) -> str:
        """Text from units: words joined by spaces, characters glued, pieces decoded."""
        if self.level == "char":
            return "".join(units)
        if self.level == "subword" and units:
            return str(self.subword.decode(units))
        return " ".join(units)


def load_subword(path: str | Path) -> Any:
    """A :class:`embedkit.text.subword.SubwordModel` read from ``path`` (imported late: it loads tokenizers)."""
    from embedkit.text.subword import SubwordModel

    if not Path(path).exists():
        raise InputError(f"{path}: no such subword model")
    return SubwordModel.load(path)


@dataclasses.dataclass
class LMBundle:
    """A language model with its vocabulary, units and settings: what ``embedkit lm`` saves and loads."""

    model: LanguageModel
    vocab: Vocab
    config: LMConfig
    units: Units
    trainer: dict[str, Any] = dataclasses.field(default_factory=dict)
    results: dict[str, Any] = dataclasses.field(default_factory=dict)

    def save(self, folder: str | Path) -> None:
        """Write the model files into ``folder`` (each atomically; ``config.json`` last, as the seal)."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        save_weights(self.model, folder / "model.safetensors")
        self.vocab.save(folder / "vocab.json")
        write_model_preprocess(folder, self.units.preprocess)
        if self.units.subword is not None:
            self.units.subword.save(folder / "subword.json")
        write_json(folder / "config.json", {"format": FORMAT, "model": config_to_dict(self.config),
                                            "vocab_size": len(self.vocab),
                                            "input": "text" if self.units.raw_text else "tokens",
                                            "trainer": self.trainer, "results": self.results})

    @classmethod
    def load(cls, folder: str | Path, device: str | torch.device = "cpu") -> LMBundle:
        """Read a folder written by :meth:`save`; another kind of folder raises :class:`ModelFormatError`."""
        folder = Path(folder)
        if not (folder / "config.json").exists():
            raise ModelFormatError(f"{folder}: not a language model folder (no config.json)")
        meta = check_format(read_json(folder / "config.json"), FORMAT, "language model", folder / "config.json")
        try:
            config = config_from_dict(LMConfig, meta["model"], where="model", warn=False)
        except (ConfigError, KeyError) as exc:
            raise ModelFormatError(f"{folder}: bad model config ({exc})") from None
        vocab = Vocab.load(folder / "vocab.json")
        if len(vocab) != meta.get("vocab_size"):
            raise ModelFormatError(f"{folder}: vocab.json has {len(vocab)} entries, the model {meta.get('vocab_size')}")
        preprocess = read_model_preprocess(folder)
        source = meta.get("input", "tokens")  # folders from before raw-text training hold token-file models
        if source not in INPUTS:
            raise ModelFormatError(f"{folder}: unknown input '{source}' in config.json (known: {', '.join(INPUTS)})")
        subword = load_subword(folder / "subword.json") if config.level == "subword" else None
        check_saved_sizes(folder / "model.safetensors", lm_parameters(config, len(vocab)),
                          lm_shapes(config, len(vocab)), "language model")
        model = LanguageModel(dataclasses.replace(config, init="torch", forget_bias=1.0), len(vocab))
        load_weights(model, folder / "model.safetensors")
        model.to(device).eval()
        return cls(model, vocab, config, Units(config.level, preprocess, subword, raw_text=source == "text"),
                   meta.get("trainer", {}), meta.get("results", {}))
