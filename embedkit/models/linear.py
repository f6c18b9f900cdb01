"""The linear baseline beside the recurrent classifier: logistic regression on NB-scaled bags of n-grams.

Wang & Manning (2012, "Baselines and Bigrams") showed that a linear model on binarised unigram + bigram
features scaled by naive Bayes log-count ratios (NBSVM) beats most neural sentence classifiers on short
reviews (MR 79.4%). This is that model with a logistic loss: for class ``k`` (one against the rest) the
ratio of a feature ``f`` is ``r[f, k] = log((p_k[f] / |p_k|) / (q_k[f] / |q_k|))``, where ``p_k`` and
``q_k`` count the documents with ``f`` in and out of class ``k`` (plus ``alpha``), and the logit of a text
is ``b_k + sum over its distinct features of w[f, k] * r[f, k]``. Only ``w`` and ``b`` are trained.

A saved model is a folder of ``model.safetensors`` (``weight``, ``ratio``, ``bias``), ``config.json``,
``features.json`` and ``labels.json``: nothing is unpickled when it loads.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch

from embedkit.config import check_numbers, check_positive, config_from_dict, config_to_dict
from embedkit.errors import ConfigError, ModelFormatError, check_texts
from embedkit.io import check_format, read_json, write_json
from embedkit.models.labels import LabelPredictor, make_tokenizer
from embedkit.text.config import PreprocessConfig
from embedkit.weights import read_tensors, save_tensors

FORMAT = "embedkit.classifier/1"
ARCHITECTURE = "nb-linear"
FILES = ("model.safetensors", "config.json", "features.json", "labels.json")
MAX_PARAMETERS = 2**31
"""The most ``features x classes`` weights a saved model may declare (a larger one is damaged or hostile)."""


@dataclasses.dataclass(frozen=True)
class LinearConfig:
    """Features, smoothing and optimisation of :class:`LinearClassifier`.

    ``ngrams`` is the longest n-gram (1 = bag of words, 2 = unigrams and bigrams); features seen in fewer
    than ``min_count`` training texts are dropped. ``alpha`` smooths the naive Bayes counts; ``nb=False``
    gives plain logistic regression on binary features (every ratio 1). ``weight_decay`` is the L2 penalty
    of Adam (``lr``) over ``epochs`` passes in batches of ``batch_size``. ``text`` is the preprocessing.
    """

    ngrams: int = 2
    min_count: int = 1
    alpha: float = 1.0
    nb: bool = True
    epochs: int = 5
    lr: float = 0.02
    weight_decay: float = 1e-5
    batch_size: int = 64
    text: PreprocessConfig = dataclasses.field(default_factory=PreprocessConfig)

    def __post_init__(self) -> None:
        check_numbers(self)
        for name in ("ngrams", "min_count", "epochs", "batch_size"):
            check_positive(name, getattr(self, name))
        for name in ("alpha", "lr"):
            if not getattr(self, name) > 0:
                raise ConfigError(f"{name} must be positive, got {getattr(self, name)}")
        if self.weight_decay < 0:
            raise ConfigError(f"weight_decay must not be negative, got {self.weight_decay}")

    def preprocess(self) -> PreprocessConfig:
        """The text pipeline every input goes through, at training and at prediction time alike."""
        return self.text


def ngram_features(tokens: Sequence[str], n: int) -> set[str]:
    """The distinct 1..n-grams of a token list, each as its tokens joined by one space."""
    return {" ".join(tokens[i:i + k]) for k in range(1, n + 1) for i in range(len(tokens) - k + 1)}


def _class_counts(docs: Sequence[Sequence[int]], labels: np.ndarray, features: int, classes: int) -> np.ndarray:
    """``classes x features``: how many documents of each class hold each feature (binarised counts)."""
    counts = np.zeros((classes, features))
    for ids, y in zip(docs, labels, strict=True):
        counts[y, ids] += 1
    return counts


def nb_ratios(docs: Sequence[Sequence[int]], labels: np.ndarray, features: int, classes: int,
              alpha: float) -> np.ndarray:
    """``features x classes`` naive Bayes log-count ratios, each class against the rest."""
    counts = _class_counts(docs, labels, features, classes)
    total = counts.sum(axis=0)
    ratios = np.empty((features, classes))
    for k in range(classes):
        p = counts[k] + alpha
        q = total - counts[k] + alpha
        ratios[:, k] = np.log(p / p.sum()) - np.log(q / q.sum())
    return ratios


def nb_ratios_left_out(docs: Sequence[Sequence[int]], labels: np.ndarray, features: int, classes: int,
                       alpha: float) -> np.ndarray:
    """``classes x features x classes``: the ratios a training document of each label sees for its own
    features, with that document left out of the counts (the normalisers kept, which one document barely moves).

    A model that reads :func:`nb_ratios` of its own training documents reads their labels: a word seen once
    gets the sign of its one document's class. Left out, it gets what unseen evidence gives (about 0), and a
    word's ratio carries only what the other documents say of it.
    """
    counts = _class_counts(docs, labels, features, classes)
    total = counts.sum(axis=0)
    tables = np.empty((classes, features, classes))
    for k in range(classes):
        p, q = counts[k] + alpha, total - counts[k] + alpha
        log_p, log_q = np.log(p.sum()), np.log(q.sum())
        for own in range(classes):
            inside = own == k  # the left-out document counts for class k, or for the rest
            tables[own, :, k] = (np.log(np.maximum(p - inside, alpha)) - log_p
                                 - np.log(np.maximum(q - (not inside), alpha)) + log_q)
    return tables


class LinearClassifier(LabelPredictor):
    """A trained NB-scaled linear classifier: raw text in, labels and probabilities out."""

    def __init__(self, config: LinearConfig, features: Sequence[str], labels: Sequence[str],
                 weight: torch.Tensor, ratio: torch.Tensor, bias: torch.Tensor) -> None:
        shape = (len(features), len(labels))
        if tuple(weight.shape) != shape or tuple(ratio.shape) != shape or tuple(bias.shape) != (len(labels),):
            raise ModelFormatError(f"weights do not fit {len(features)} features and {len(labels)} labels")
        self.config, self.labels = config, list(labels)
        self.features = list(features)
        self.index = {f: i for i, f in enumerate(self.features)}
        self.weight, self.ratio, self.bias = weight, ratio, bias
        self._tokenize = make_tokenizer(config.preprocess())

    def tokenize(self, text: str) -> list[str]:
        """Tokens of ``text`` through the pipeline the classifier was trained with."""
        return self._tokenize(text)

    def encode(self, texts: Sequence[str]) -> list[list[int]]:
        """The known feature ids of each text (unknown n-grams are dropped)."""
        check_texts(texts)
        n = self.config.ngrams
        return [sorted(self.index[f] for f in ngram_features(self._tokenize(t), n) if f in self.index)
                for t in texts]

    @torch.no_grad()
    def predict_proba(self, texts: Sequence[str], batch_size: int = 1024) -> np.ndarray:
        """Class probabilities ``(len(texts), len(labels))`` in the order of :attr:`labels`."""
        encoded = self.encode(texts)
        table = self.weight * self.ratio
        parts = [np.zeros((0, len(self.labels)), dtype=np.float32)]
        for start in range(0, len(encoded), batch_size):
            flat, offsets = bags(encoded[start:start + batch_size])
            logits = torch.nn.functional.embedding_bag(flat, table, offsets, mode="sum") + self.bias
            parts.append(torch.softmax(logits, dim=-1).numpy())
        return np.concatenate(parts)

    def save(self, path: str | Path) -> Path:
        """Write the model folder (weights, config, features, labels); each file lands atomically."""
        folder = Path(path)
        save_tensors({"weight": self.weight, "ratio": self.ratio, "bias": self.bias}, folder / "model.safetensors")
        write_json(folder / "features.json", self.features)
        write_json(folder / "labels.json", self.labels)
        write_json(folder / "config.json", {"format": FORMAT, "architecture": ARCHITECTURE,
                                            "features": len(self.features), "num_classes": len(self.labels),
                                            "model": config_to_dict(self.config)})
        return folder

    @classmethod
    def load(cls, path: str | Path) -> LinearClassifier:
        """Read a folder written by :meth:`save`; a damaged or mismatched folder is a one-line error."""
        folder = Path(path)
        meta = check_format(read_json(folder / "config.json"), FORMAT, "classifier", folder)
        if meta.get("architecture") != ARCHITECTURE:
            raise ModelFormatError(f"{folder}: not an embedkit linear classifier (architecture {ARCHITECTURE})")
        try:
            config = config_from_dict(LinearConfig, meta["model"], where="model")
            size = int(meta["features"]) * int(meta["num_classes"])
        except (KeyError, TypeError, ValueError, ConfigError) as exc:
            raise ModelFormatError(f"{folder}: damaged classifier folder ({exc})") from None
        if not 0 < size <= MAX_PARAMETERS:
            raise ModelFormatError(f"{folder}: config.json declares {size} weights, more than a model can hold")
        features, labels = read_json(folder / "features.json"), read_json(folder / "labels.json")
        if not (isinstance(features, list) and isinstance(labels, list)
                and (len(features), len(labels)) == (meta["features"], meta["num_classes"])):
            raise ModelFormatError(f"{folder}: features or labels do not match config.json")
        tensors = read_tensors(folder / "model.safetensors")
        try:
            weight, ratio, bias = (tensors[k].float() for k in ("weight", "ratio", "bias"))
        except KeyError as exc:
            raise ModelFormatError(f"{folder}: model.safetensors lacks {exc}") from None
        return cls(config, features, labels, weight, ratio, bias)


def bags(encoded: Sequence[Sequence[int]]) -> tuple[torch.Tensor, torch.Tensor]:
    """Flat ids and offsets for ``embedding_bag`` (an empty bag sums to zero)."""
    lengths = torch.tensor([0] + [len(x) for x in encoded[:-1]], dtype=torch.long)
    flat = torch.tensor([i for x in encoded for i in x], dtype=torch.long)
    return flat, lengths.cumsum(0)


def fit_linear(texts: Sequence[str], labels: Sequence[str], config: LinearConfig | None = None,
               seed: int = 0) -> LinearClassifier:
    """Train a :class:`LinearClassifier` on raw texts and their labels (at least two classes)."""
    config = config or LinearConfig()
    names = sorted(set(labels))
    if len(names) < 2:
        raise ConfigError(f"a classifier needs at least two classes, got {len(names)}")
    if len(texts) != len(labels):
        raise ConfigError(f"{len(texts)} texts but {len(labels)} labels")
    tokenize = make_tokenizer(config.preprocess())
    grams = [ngram_features(tokenize(t), config.ngrams) for t in texts]
    df = Counter(f for g in grams for f in g)
    features = sorted(f for f, c in df.items() if c >= config.min_count)
    if not features:
        raise ConfigError("no features: every n-gram is rarer than min_count")
    index = {f: i for i, f in enumerate(features)}
    docs = [sorted(index[f] for f in g if f in index) for g in grams]
    y = np.array([names.index(label) for label in labels])
    shape = (len(features), len(names))
    ratio = (torch.tensor(nb_ratios(docs, y, *shape, config.alpha), dtype=torch.float32) if config.nb
             else torch.ones(shape))
    weight = torch.zeros(shape, requires_grad=True)
    bias = torch.zeros(len(names), requires_grad=True)
    optimizer = torch.optim.Adam([weight, bias], lr=config.lr, weight_decay=config.weight_decay)
    target = torch.tensor(y)
    generator = torch.Generator().manual_seed(seed)
    for _ in range(config.epochs):
        order = torch.randperm(len(docs), generator=generator).tolist()
        for start in range(0, len(order), config.batch_size):
            batch = order[start:start + config.batch_size]
            flat, offsets = bags([docs[i] for i in batch])
            logits = torch.nn.functional.embedding_bag(flat, weight * ratio, offsets, mode="sum") + bias
            loss = torch.nn.functional.cross_entropy(logits, target[batch])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    return LinearClassifier(config, features, names, weight.detach(), ratio, bias.detach())
