"""Classifiers that vote as one: a weighted product of their class distributions.

A recurrent classifier and the NB-scaled bag of n-grams (:mod:`embedkit.models.linear`) make different
mistakes on short reviews: the RNN reads order and negation, the bag weighs rare n-grams that word vectors
trained on little text blur. Mesnil et al. (2014, "Ensemble of Generative and Discriminative Techniques for
Sentiment Analysis of Movie Reviews") combined an RNN language model with NBSVM this way. The ensemble's
log-probability of class ``k`` is ``sum_i w_i log p_i(k)`` renormalised, with weights summing to 1;
:func:`best_weight` picks the weight of two members on held-out texts.

A saved ensemble is a folder of ``config.json`` (the weights and member folder names) and one folder per
member, each a classifier folder of its own: nothing is unpickled when it loads.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from embedkit.errors import ConfigError, ModelFormatError
from embedkit.io import check_format, read_json, write_json
from embedkit.models.labels import LabelPredictor

FORMAT = "embedkit.classifier/1"
ARCHITECTURE = "ensemble"
FLOOR = 1e-7  # probabilities are clipped here before the log, so one member's certainty cannot veto the rest
WEIGHT_GRID = tuple(round(0.05 * k, 2) for k in range(21))


def combine(probas: Sequence[np.ndarray], weights: Sequence[float]) -> np.ndarray:
    """The weighted product of class distributions ``(n, classes)``, renormalised per row."""
    logs = sum(w * np.log(np.clip(p, FLOOR, 1.0)) for w, p in zip(weights, probas, strict=True))
    logs = logs - logs.max(axis=1, keepdims=True)
    out = np.exp(logs)
    return (out / out.sum(axis=1, keepdims=True)).astype(np.float32)


def best_weight(first: np.ndarray, second: np.ndarray, y: Sequence[int]) -> float:
    """The weight of ``first`` (``1 - w`` goes to ``second``) on :data:`WEIGHT_GRID` with the best accuracy on
    held-out rows labelled ``y``; ties go to the lower log-loss, then to the weight nearest 0.5."""
    target = np.asarray(y)
    if len(target) == 0:
        return 0.5

    def score(w: float) -> tuple[float, float, float]:
        p = combine((first, second), (w, 1 - w))
        accuracy = float((p.argmax(1) == target).mean())
        loss = float(-np.log(np.clip(p[np.arange(len(target)), target], FLOOR, 1.0)).mean())
        return accuracy, -loss, -abs(w - 0.5)

    return max(WEIGHT_GRID, key=score)


class EnsembleClassifier(LabelPredictor):
    """Members with the same labels, combined by :func:`combine` with ``weights`` (positive, summing to 1)."""

    def __init__(self, members: Sequence[Any], weights: Sequence[float], names: Sequence[str] | None = None) -> None:
        if len(members) < 2 or len(weights) != len(members):
            raise ConfigError(f"an ensemble needs two or more members with one weight each, got {len(members)} "
                              f"members and {len(weights)} weights")
        if any(not 0 <= w <= 1 for w in weights) or abs(sum(weights) - 1) > 1e-6:
            raise ConfigError(f"ensemble weights must lie in [0, 1] and sum to 1, got {list(weights)}")
        labels = list(members[0].labels)
        if any(list(m.labels) != labels for m in members):
            raise ConfigError("ensemble members must have the same labels in the same order")
        self.members, self.weights, self.labels = list(members), [float(w) for w in weights], labels
        self.names = list(names) if names else [f"member-{i}" for i in range(len(members))]

    def predict_proba(self, texts: Sequence[str], batch_size: int = 256) -> np.ndarray:
        """Class probabilities ``(len(texts), len(labels))``: the members' weighted product."""
        texts = list(texts)
        return combine([m.predict_proba(texts, batch_size) for m in self.members], self.weights)

    def save(self, path: str | Path) -> Path:
        """Write each member into its own sub-folder, then ``config.json`` with the weights."""
        folder = Path(path)
        for name, member in zip(self.names, self.members, strict=True):
            member.save(folder / name)
        write_json(folder / "config.json", {"format": FORMAT, "architecture": ARCHITECTURE,
                                            "members": self.names, "weights": self.weights})
        return folder

    @classmethod
    def load(cls, path: str | Path, load_member: Callable[[Path], Any]) -> EnsembleClassifier:
        """Read a folder written by :meth:`save`, each member through ``load_member`` (which
        :func:`embedkit.models.load.load_classifier` gives, refusing nested ensembles)."""
        folder = Path(path)
        meta = check_format(read_json(folder / "config.json"), FORMAT, "classifier", folder)
        names, weights = meta.get("members"), meta.get("weights")
        if not (isinstance(names, list) and isinstance(weights, list) and len(names) == len(weights)
                and all(isinstance(n, str) and n and "/" not in n and n not in (".", "..") for n in names)
                and all(isinstance(w, int | float) for w in weights)):
            raise ModelFormatError(f"{folder}: damaged ensemble folder (members and weights)")
        members = [load_member(folder / name) for name in names]
        try:
            return cls(members, weights, names)
        except ConfigError as exc:
            raise ModelFormatError(f"{folder}: damaged ensemble folder ({exc})") from None
