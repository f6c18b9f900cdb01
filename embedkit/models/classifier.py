"""A many-to-one RNN/LSTM/GRU text classifier over padded and packed batches, and its saved folder.

:class:`RNNClassifier` is the network: embedding -> (bi)directional stacked RNN over a packed batch
(optionally with recurrent dropout on ``h_{t-1}``) -> pooling (last state, mean or max over the real steps)
-> dropout -> linear. :class:`TextClassifier` wraps
it with the vocabulary, the label names and the text pipeline, so ``predict`` takes raw strings. A saved
classifier is a folder of ``model.safetensors``, ``config.json``, ``vocab.json`` and ``labels.json``:
nothing is unpickled when it loads.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from embedkit.config import config_from_dict, config_to_dict
from embedkit.errors import ConfigError, InputError, ModelFormatError, check_texts
from embedkit.io import check_format, read_json, write_json
from embedkit.models.cells import TORCH_RNNS
from embedkit.models.config import ClassifierConfig
from embedkit.models.dropout import RecurrentDropout
from embedkit.models.init import apply_init
from embedkit.models.labels import LabelPredictor, make_tokenizer
from embedkit.models.sizes import check_saved_sizes, rnn_parameters, rnn_shapes
from embedkit.vocab import Vocab
from embedkit.weights import load_weights, save_weights

FORMAT = "embedkit.classifier/1"
ARCHITECTURE = "rnn-classifier"
FILES = ("model.safetensors", "config.json", "vocab.json", "labels.json")


class RNNClassifier(nn.Module):
    """Embedding -> RNN over a packed batch -> pooled vector -> class logits.

    ``embeddings`` (a ``vocab_size x emb_dim`` matrix) initialises the embedding layer; it is frozen
    when ``config.freeze_embeddings``. Its shape must match the vocabulary and ``emb_dim``.
    """

    def __init__(self, vocab_size: int, num_classes: int, config: ClassifierConfig | None = None,
                 pad_id: int = 0, embeddings: np.ndarray | torch.Tensor | None = None) -> None:
        super().__init__()
        self.config = config = config or ClassifierConfig()
        if num_classes < 2:
            raise ConfigError(f"a classifier needs at least two classes, got {num_classes}")
        self.pad_id = pad_id
        self.embedding = nn.Embedding(vocab_size, config.emb_dim, padding_idx=pad_id)
        if embeddings is not None:
            matrix = torch.as_tensor(np.asarray(embeddings), dtype=torch.float32)
            if tuple(matrix.shape) != (vocab_size, config.emb_dim):
                raise ConfigError(f"embedding matrix is {tuple(matrix.shape)[0]} x {tuple(matrix.shape)[-1]}, "
                                  f"but the vocabulary has {vocab_size} words and emb_dim is "
                                  f"{config.emb_dim}")
            with torch.no_grad():
                self.embedding.weight.copy_(matrix)
        self.embedding.weight.requires_grad_(not (embeddings is not None and config.freeze_embeddings))
        self.nb: nn.Embedding | None = None
        if config.nb_features:
            self.nb = nn.Embedding(vocab_size, nb_columns(config, num_classes))
            nn.init.zeros_(self.nb.weight)
            self.nb.weight.requires_grad_(False)
        # per training label, the ratios with the document itself left out (not saved: training only)
        self.register_buffer("nb_left_out", None, persistent=False)
        rnn_cls = TORCH_RNNS[config.cell]
        self.rnn = rnn_cls(rnn_input_size(config, num_classes), config.hidden, num_layers=config.layers,
                           batch_first=True, bidirectional=config.bidirectional,
                           dropout=config.dropout if config.layers > 1 else 0.0)
        apply_init(self.rnn, config.init, config.forget_bias)
        self.recurrent_drop = RecurrentDropout(config.recurrent_dropout)
        self.emb_dropout = nn.Dropout(config.emb_dropout)
        self.dropout = nn.Dropout(config.dropout)
        self.output = nn.Linear(config.hidden * config.directions, num_classes)

    def forward(self, ids: torch.Tensor, lengths: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        """Logits ``(batch, classes)`` for right-padded ``ids (batch, time)`` of the given ``lengths`` (>= 1).

        ``labels`` (training only) pick each document's left-out naive Bayes ratios, when they are set."""
        x = self.emb_dropout(self.embedding(ids))
        if self.nb is not None:
            if self.training and labels is not None and self.nb_left_out is not None:
                nb = self.nb_left_out[labels.to(ids.device)[:, None], ids]
            else:
                nb = self.nb(ids)
            x = torch.cat([x, nb], dim=-1)
        packed = pack_padded_sequence(x, lengths.cpu(), batch_first=True, enforce_sorted=False)
        out, hidden = self.recurrent_drop(self.rnn, packed)
        c = self.config
        if c.pooling == "last":
            h = hidden[0] if isinstance(hidden, tuple) else hidden
            top = h.view(c.layers, c.directions, h.size(1), c.hidden)[-1]
            pooled = torch.cat(list(top), dim=-1)
        else:
            padded, _ = pad_packed_sequence(out, batch_first=True, total_length=ids.size(1))
            mask = (torch.arange(ids.size(1), device=ids.device)[None, :] < lengths.to(ids.device)[:, None])
            mask = mask.unsqueeze(-1)
            if c.pooling == "mean":
                pooled = (padded * mask).sum(1) / mask.sum(1).clamp(min=1)
            else:
                pooled = padded.masked_fill(~mask, float("-inf")).max(1).values
        return self.output(self.dropout(pooled))

    @torch.no_grad()
    def set_nb_ratios(self, ratios: np.ndarray, left_out: np.ndarray | None = None) -> None:
        """Fix the naive Bayes columns (``config.nb_features``) to a ``vocab_size x classes`` ratio table;
        ``left_out`` (``classes x vocab_size x classes``, :func:`~embedkit.models.linear.nb_ratios_left_out`)
        is what a training document of each label reads instead."""
        if self.nb is None:
            raise ConfigError("this classifier has no naive Bayes features (nb_features is off)")
        self.nb.weight.copy_(self._nb_table(ratios))
        if left_out is not None:
            tables = torch.stack([self._nb_table(table) for table in np.asarray(left_out)])
            if tables.shape[0] != self.output.out_features:
                raise ConfigError(f"{tables.shape[0]} left-out ratio tables for {self.output.out_features} classes")
            self.nb_left_out = tables.to(self.nb.weight.device)

    def _nb_table(self, ratios: np.ndarray) -> torch.Tensor:
        """A ``vocab_size x classes`` ratio table as the model holds it: one column for two classes, pad zero."""
        table = torch.as_tensor(np.asarray(ratios), dtype=torch.float32)
        if table.shape[1] == 2 and self.nb.embedding_dim == 1:
            table = table[:, 1:]
        if tuple(table.shape) != tuple(self.nb.weight.shape):
            raise ConfigError(f"naive Bayes ratios are {tuple(table.shape)}, the model holds "
                              f"{tuple(self.nb.weight.shape)}")
        table = table.clone()
        table[self.pad_id] = 0.0
        return table


def nb_columns(config: ClassifierConfig, num_classes: int) -> int:
    """How many naive Bayes ratio columns each word carries: none, one for two classes, else one per class."""
    if not config.nb_features:
        return 0
    return 1 if num_classes == 2 else num_classes


def rnn_input_size(config: ClassifierConfig, num_classes: int) -> int:
    """The RNN's input width: the word vector and its naive Bayes columns."""
    return config.emb_dim + nb_columns(config, num_classes)


def classifier_parameters(config: ClassifierConfig, vocab_size: int, num_classes: int) -> int:
    """How many parameters an :class:`RNNClassifier` of ``config`` has."""
    width = config.hidden * config.directions
    recurrent = rnn_parameters(config.cell, rnn_input_size(config, num_classes), config.hidden, config.layers,
                               config.directions)
    return vocab_size * (config.emb_dim + nb_columns(config, num_classes)) + recurrent + num_classes * (width + 1)


def classifier_shapes(config: ClassifierConfig, vocab_size: int, num_classes: int) -> dict[str, tuple[int, ...]]:
    """The shapes of the key tensors of an :class:`RNNClassifier` of ``config``."""
    nb = {"nb.weight": (vocab_size, nb_columns(config, num_classes))} if config.nb_features else {}
    return {"embedding.weight": (vocab_size, config.emb_dim), **nb,
            "output.weight": (num_classes, config.hidden * config.directions),
            **rnn_shapes("rnn", config.cell, rnn_input_size(config, num_classes), config.hidden, config.layers)}


def pad_batch(seqs: Sequence[Sequence[int]], pad_id: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """Right-pad id lists into ``(ids, lengths)`` tensors; every sequence must hold at least one id."""
    lengths = torch.tensor([len(s) for s in seqs], dtype=torch.long)
    ids = torch.full((len(seqs), int(lengths.max()) if len(seqs) else 0), pad_id, dtype=torch.long)
    for i, s in enumerate(seqs):
        ids[i, : len(s)] = torch.as_tensor(s, dtype=torch.long)
    return ids, lengths


class TextClassifier(LabelPredictor):
    """A trained classifier with its vocabulary, labels and text pipeline: raw text in, labels out."""

    def __init__(self, model: RNNClassifier, vocab: Vocab, labels: Sequence[str]) -> None:
        if len(labels) != model.output.out_features:
            raise ModelFormatError(f"{len(labels)} labels but the model has {model.output.out_features} outputs")
        self.model, self.vocab, self.labels = model, vocab, list(labels)
        self.config: ClassifierConfig = model.config
        self._tokenize = make_tokenizer(self.config.text)
        self.truncated = 0

    def tokenize(self, text: str) -> list[str]:
        """Tokens of ``text`` through the pipeline the classifier was trained with."""
        return self._tokenize(text)

    def encode(self, texts: Sequence[str]) -> list[list[int]]:
        """Token ids of each text, cut to ``max_len`` (counted in :attr:`truncated`); empty texts get ``<unk>``."""
        check_texts(texts)
        out = []
        limit = self.config.max_len
        for text in texts:
            ids = self.vocab.encode(self._tokenize(text)) or [self.vocab.unk_id]
            if len(ids) > limit:
                self.truncated += 1
                ids = ids[:limit]
            out.append(ids)
        return out

    @torch.no_grad()
    def predict_proba(self, texts: Sequence[str], batch_size: int = 256) -> np.ndarray:
        """Class probabilities ``(len(texts), len(labels))`` in the order of :attr:`labels`."""
        return self.predict_proba_ids(self.encode(texts), batch_size)

    @torch.no_grad()
    def predict_proba_ids(self, encoded: Sequence[Sequence[int]], batch_size: int = 256) -> np.ndarray:
        """Class probabilities of already encoded texts."""
        self.model.eval()
        device = next(self.model.parameters()).device
        parts = [np.zeros((0, len(self.labels)), dtype=np.float32)]
        for start in range(0, len(encoded), batch_size):
            ids, lengths = pad_batch(encoded[start:start + batch_size], self.vocab.pad_id)
            logits = self.model(ids.to(device), lengths)
            parts.append(torch.softmax(logits.float(), dim=-1).cpu().numpy())
        return np.concatenate(parts)

    # ---- files ----------------------------------------------------------------------------------------

    def save(self, path: str | Path) -> Path:
        """Write the model folder (weights, config, vocabulary, labels); each file lands atomically."""
        folder = Path(path)
        save_weights(self.model, folder / "model.safetensors")
        self.vocab.save(folder / "vocab.json")
        write_json(folder / "labels.json", self.labels)
        write_json(folder / "config.json", {"format": FORMAT, "architecture": ARCHITECTURE,
                                            "vocab_size": len(self.vocab), "num_classes": len(self.labels),
                                            "pad_id": self.vocab.pad_id, "model": config_to_dict(self.config)})
        return folder

    @classmethod
    def load(cls, path: str | Path) -> TextClassifier:
        """Read a folder written by :meth:`save`; another model kind or architecture is a one-line error."""
        folder = Path(path)
        if not folder.is_dir():
            raise InputError(f"{folder}: no such model folder")
        meta = check_format(read_json(folder / "config.json"), FORMAT, "classifier", folder)
        if meta.get("architecture") != ARCHITECTURE:
            raise ModelFormatError(f"{folder}: not an embedkit classifier (architecture {ARCHITECTURE})")
        try:
            config = config_from_dict(ClassifierConfig, meta["model"], where="model", warn=False)
            vocab = Vocab.load(folder / "vocab.json")
            labels = read_json(folder / "labels.json")
            vocab_size, classes = meta["vocab_size"], meta["num_classes"]
            if not all(isinstance(n, int) and n > 0 for n in (vocab_size, classes)):
                raise TypeError("vocab_size and num_classes must be positive integers")
            if len(vocab) != vocab_size or not isinstance(labels, list) or len(labels) != classes:
                raise ModelFormatError(f"{folder}: vocabulary or labels do not match config.json")
            check_saved_sizes(folder / "model.safetensors", classifier_parameters(config, vocab_size, classes),
                              classifier_shapes(config, vocab_size, classes), "classifier")
            model = RNNClassifier(vocab_size, classes, config, pad_id=meta["pad_id"])
        except (KeyError, TypeError, ConfigError) as exc:
            raise ModelFormatError(f"{folder}: damaged classifier folder ({exc})") from None
        load_weights(model, folder / "model.safetensors")
        model.eval()
        return cls(model, vocab, labels)
