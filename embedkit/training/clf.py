"""Training a :class:`~embedkit.models.classifier.TextClassifier` through the model-agnostic Trainer.

:func:`prepare` checks the data (at least two classes, an embedding matrix that fits) and builds the
vocabulary and network before anything is written; :func:`train_classifier` then runs the
:class:`~embedkit.training.trainer.Trainer` on a :class:`ClassifierTask` (length-bucketed, shuffled batches,
weighted cross-entropy, validation loss and accuracy) and returns the classifier with its best weights.
With ``ClassifierConfig.refit``, :func:`refit_classifier` then trains afresh on all the texts for the epochs that
run kept (:func:`best_epoch`); :func:`fit_classifier` does all of it in memory.

Under ``torchrun`` a ``DistributedSampler`` deals each rank its share of every epoch's batches (the same
number on every rank) and the validation sums are shared out and added up over the ranks.
"""

from __future__ import annotations

import dataclasses
import random
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from embedkit.errors import ConfigError, InputError
from embedkit.models.classifier import RNNClassifier, TextClassifier, pad_batch
from embedkit.models.config import ClassifierConfig
from embedkit.models.labels import make_tokenizer
from embedkit.models.linear import nb_ratios, nb_ratios_left_out
from embedkit.training import distributed
from embedkit.training.config import CLF_TRAINER as CLF_TRAINER  # its home is training.config
from embedkit.training.config import TrainerConfig
from embedkit.vocab import PAD, UNK, Vocab

Batch = tuple[torch.Tensor, torch.Tensor, torch.Tensor]


def length_batches(encoded: Sequence[Sequence[int]], labels: Sequence[int], batch_size: int, pad_id: int,
                   seed: int | None = None) -> list[Batch]:
    """``(ids, lengths, labels)`` batches of similar lengths (less padding); shuffled when ``seed`` is given."""
    order = list(range(len(encoded)))
    rng = random.Random(seed)
    if seed is not None:
        rng.shuffle(order)
    pool = batch_size * 50
    batches = []
    for start in range(0, len(order), pool):
        chunk = sorted(order[start:start + pool], key=lambda i: len(encoded[i]))
        for b in range(0, len(chunk), batch_size):
            idx = chunk[b:b + batch_size]
            ids, lengths = pad_batch([encoded[i] for i in idx], pad_id)
            batches.append((ids, lengths, torch.tensor([labels[i] for i in idx], dtype=torch.long)))
    if seed is not None:
        rng.shuffle(batches)
    return batches


class ClassifierTask:
    """The Trainer's task: cross-entropy over shuffled batches; validation loss, accuracy and error."""

    def __init__(self, train: tuple[list[list[int]], list[int]], valid: tuple[list[list[int]], list[int]] | None,
                 batch_size: int, pad_id: int, seed: int = 0, weights: torch.Tensor | None = None) -> None:
        self.train, self.valid = train, valid
        self.batch_size, self.pad_id, self.seed, self.weights = batch_size, pad_id, seed, weights
        self._valid_batches = length_batches(*valid, 256, pad_id) if valid and valid[0] else []

    def train_batches(self, epoch: int) -> list[Batch]:
        batches = length_batches(*self.train, self.batch_size, self.pad_id, seed=self.seed * 1000 + epoch)
        if distributed.world_size() == 1:
            return batches
        from torch.utils.data.distributed import DistributedSampler

        sampler = DistributedSampler(range(len(batches)), num_replicas=distributed.world_size(),
                                     rank=distributed.rank(), shuffle=True, seed=self.seed)
        sampler.set_epoch(epoch)
        return [batches[i] for i in sampler]

    def loss(self, model: torch.nn.Module, batch: Batch, state: Any) -> tuple[torch.Tensor, int, None]:
        ids, lengths, y = batch
        weight = self.weights.to(ids.device) if self.weights is not None else None
        return F.cross_entropy(model(ids, lengths, labels=y), y, weight=weight), len(y), None

    def evaluate(self, model: torch.nn.Module) -> dict[str, float]:
        if not self._valid_batches:
            return {}
        device = next(model.parameters()).device
        loss = correct = total = 0.0
        for ids, lengths, y in self._valid_batches[distributed.rank()::distributed.world_size()]:
            logits = model(ids.to(device), lengths).float()
            y = y.to(device)
            loss += float(F.cross_entropy(logits, y, reduction="sum"))
            correct += float((logits.argmax(-1) == y).sum())
            total += len(y)
        loss, correct, total = distributed.all_reduce_sum([loss, correct, total])
        return {"loss": loss / total, "accuracy": correct / total, "error": 1 - correct / total}


@dataclasses.dataclass
class Prepared:
    """Everything checked and built before training writes anything."""

    classifier: TextClassifier
    train: tuple[list[list[int]], list[int]]
    valid: tuple[list[list[int]], list[int]] | None
    weights: torch.Tensor | None
    coverage: Any


def holdout_split(n: int, fraction: float, seed: int) -> tuple[list[int], list[int]]:
    """(kept, held out) index lists: a seeded ``fraction`` of ``n`` items held out for validation."""
    order = list(range(n))
    random.Random(seed).shuffle(order)
    cut = int(round(n * fraction))
    return order[cut:], order[:cut]


def prepare(texts: Sequence[str], labels: Sequence[str], config: ClassifierConfig | None = None,
            valid: tuple[Sequence[str], Sequence[str]] | None = None, embeddings: Any = None,
            seed: int = 0, adopt_dim: bool = False) -> Prepared:
    """Tokenise, check and encode the data; build the vocabulary and the network.

    ``embeddings`` is an ``Embeddings``-like object with ``to_matrix(vocab) -> (matrix, coverage)`` or a
    ready ``len(vocab) x emb_dim`` array; ``adopt_dim`` takes the vectors' dimension instead of
    insisting that it equals ``config.emb_dim``. Without ``valid`` texts, ``config.valid_fraction`` of the
    training data is held out for early stopping.
    """
    config = config or ClassifierConfig()
    if len(texts) != len(labels):
        raise InputError(f"{len(texts)} texts but {len(labels)} labels")
    names = sorted(set(labels))
    if len(names) < 2:
        raise InputError(f"training data holds one class only ({names[0] if names else 'none'}); "
                         "a classifier needs at least two")
    tokenize = make_tokenizer(config.text)
    tokens = [tokenize(t) for t in texts]
    index = {name: i for i, name in enumerate(names)}
    y = [index[label] for label in labels]
    train_idx, valid_idx = (list(range(len(texts))), []) if valid or not config.valid_fraction else \
        holdout_split(len(texts), config.valid_fraction, seed)
    vocab = Vocab.build((tokens[i] for i in train_idx), min_count=config.min_count, max_vocab=config.max_vocab,
                        specials=(PAD, UNK))
    matrix, coverage = None, None
    if embeddings is not None:
        if hasattr(embeddings, "to_matrix"):
            matrix, coverage = embeddings.to_matrix(vocab)
        else:
            matrix = embeddings
        matrix = np.asarray(matrix, dtype=np.float32)
        if matrix.ndim != 2 or matrix.shape[0] != len(vocab):
            raise ConfigError(f"embedding matrix has {matrix.shape[0]} rows for a vocabulary of {len(vocab)}")
        if adopt_dim:
            config = dataclasses.replace(config, emb_dim=matrix.shape[1])
        if matrix.shape[1] != config.emb_dim:
            raise ConfigError(f"vectors have dimension {matrix.shape[1]} but emb_dim is "
                              f"{config.emb_dim}; leave --emb-dim out or make them agree")
    torch.manual_seed(seed)
    model = RNNClassifier(len(vocab), len(names), config, pad_id=vocab.pad_id, embeddings=matrix)
    classifier = TextClassifier(model, vocab, names)

    def encode(token_lists: Sequence[list[str]]) -> list[list[int]]:
        out = []
        for toks in token_lists:
            ids = vocab.encode(toks) or [vocab.unk_id]
            if len(ids) > config.max_len:
                classifier.truncated += 1
                ids = ids[: config.max_len]
            out.append(ids)
        return out

    train = (encode([tokens[i] for i in train_idx]), [y[i] for i in train_idx])
    if config.nb_features:
        shape = (np.asarray(train[1]), len(vocab), len(names))
        model.set_nb_ratios(nb_ratios(train[0], *shape, alpha=1.0), nb_ratios_left_out(train[0], *shape, alpha=1.0))
    held: tuple[list[list[int]], list[int]] | None = None
    if valid is not None:
        unknown = sorted(set(valid[1]) - set(names))
        if unknown:
            raise InputError(f"validation labels not in the training data: {', '.join(unknown[:5])}")
        held = (encode([tokenize(t) for t in valid[0]]), [index[v] for v in valid[1]])
    elif valid_idx:
        held = (encode([tokens[i] for i in valid_idx]), [y[i] for i in valid_idx])
    weights = None
    if config.class_weights == "balanced":
        counts = Counter(train[1])
        weights = torch.tensor([len(train[1]) / (len(names) * max(counts.get(i, 0), 1))
                                for i in range(len(names))], dtype=torch.float32)
    return Prepared(classifier, train, held, weights, coverage)


def train_classifier(prepared: Prepared, trainer_config: TrainerConfig | None = None,
                     out_dir: str | Path | None = None, resume: bool = False) -> dict[str, Any]:
    """Train the prepared classifier in place; ``out_dir`` receives the Trainer's checkpoint and metrics.

    Under ``torchrun`` every rank calls it (each trains on its share of the batches); rank 0 writes ``out_dir``.
    Returns the Trainer's summary plus ``valid``: the figures of the final (best) weights on validation data.
    """
    from embedkit.training.trainer import Trainer

    trainer_config = trainer_config or TrainerConfig()
    distributed.setup(trainer_config.device)
    c = prepared.classifier.config
    task = ClassifierTask(prepared.train, prepared.valid, c.batch_size, prepared.classifier.vocab.pad_id,
                          seed=trainer_config.seed, weights=prepared.weights)
    trainer = Trainer(prepared.classifier.model, task, trainer_config, out_dir=out_dir)
    result = trainer.fit(resume=resume)
    model = prepared.classifier.model.eval()
    with torch.no_grad():
        result["valid"] = task.evaluate(model)
    return result


def check_refit(config: ClassifierConfig, valid_given: bool = False) -> None:
    """Refuse ``refit`` where there is no held-out share to put back (before anything trains)."""
    if not config.refit:
        return
    if valid_given:
        raise ConfigError("refit puts the held-out share of the training texts back for a second run; with "
                          "separate validation texts (--valid) there is none")
    if not config.valid_fraction:
        raise ConfigError("refit chooses the epoch count on a held-out share: valid_fraction must be above 0")


def best_epoch(result: dict[str, Any], trainer_config: TrainerConfig) -> int:
    """How many epochs the weights a Trainer run kept had trained: with ``restore_best``, the first epoch of the
    best monitored validation figure; else (or with nothing validated) every epoch it ran."""
    key = f"valid_{trainer_config.monitor}"
    scored = [(record[key], record["epoch"]) for record in result["history"] if key in record]
    if not trainer_config.restore_best or not scored:
        return result["epochs"]
    return min(scored)[1]


def refit_classifier(texts: Sequence[str], labels: Sequence[str], config: ClassifierConfig,
                     trainer_config: TrainerConfig, result: dict[str, Any], embeddings: Any = None,
                     adopt_dim: bool = False, out_dir: str | Path | None = None) -> Prepared:
    """A classifier trained afresh on all ``texts``, held-out share included, for the epochs the run ``result``
    (on ``config.valid_fraction`` held out) kept; vocabulary and naive Bayes ratios are counted on all of them."""
    check_refit(config)
    prepared = prepare(texts, labels, dataclasses.replace(config, valid_fraction=0.0), None, embeddings,
                       seed=trainer_config.seed, adopt_dim=adopt_dim)
    train_classifier(prepared, dataclasses.replace(trainer_config, epochs=best_epoch(result, trainer_config)),
                     out_dir=out_dir)
    return prepared


def fit_classifier(texts: Sequence[str], labels: Sequence[str], config: ClassifierConfig,
                   trainer_config: TrainerConfig, embeddings: Any = None, adopt_dim: bool = False) -> TextClassifier:
    """A classifier prepared and trained on ``texts`` in memory (twice with ``config.refit``); nothing written."""
    check_refit(config)
    prepared = prepare(texts, labels, config, None, embeddings, seed=trainer_config.seed, adopt_dim=adopt_dim)
    result = train_classifier(prepared, trainer_config)
    if config.refit:
        prepared = refit_classifier(texts, labels, config, trainer_config, result, embeddings, adopt_dim)
    return prepared.classifier
