"""What every text classifier shares: its text pipeline, and on top of its class probabilities, labels,
predictions and an evaluation."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from embedkit.errors import InputError
from embedkit.models.metrics import classification_report
from embedkit.text.config import PreprocessConfig


@dataclasses.dataclass(frozen=True)
class Prediction:
    """One text's predicted label, its probability and every class's probability."""

    label: str
    probability: float
    probabilities: dict[str, float]


class LabelPredictor:
    """A classifier with ``labels`` and ``predict_proba(texts)``; predictions and evaluation follow from them."""

    labels: list[str]

    def predict_proba(self, texts: Sequence[str], batch_size: int = 256) -> np.ndarray:
        """Class probabilities ``(len(texts), len(labels))`` in the order of :attr:`labels`."""
        raise NotImplementedError

    def predict(self, texts: Sequence[str], batch_size: int = 256) -> list[Prediction]:
        """The most probable label of each text, with its probability and all class probabilities."""
        probs = self.predict_proba(texts, batch_size)
        return [Prediction(self.labels[int(p.argmax())], float(p.max()),
                           {name: float(x) for name, x in zip(self.labels, p, strict=True)}) for p in probs]

    def evaluate(self, texts: Sequence[str], labels: Sequence[str]) -> dict[str, Any]:
        """Accuracy, macro-F1 and confusion matrix on labelled texts (labels unseen in training are errors)."""
        index = {name: i for i, name in enumerate(self.labels)}
        unknown = sorted({y for y in labels if y not in index})
        if unknown:
            raise InputError(f"labels the model was not trained on: {', '.join(unknown[:5])} "
                             f"(it knows {', '.join(self.labels)})")
        y_pred = self.predict_proba(texts).argmax(axis=1).tolist()
        return classification_report([index[y] for y in labels], y_pred, self.labels)


def make_tokenizer(config: PreprocessConfig) -> Callable[[str], list[str]]:
    """The text pipeline of ``config`` as a function from a string to tokens."""
    from embedkit.text import Pipeline

    return Pipeline(config).process
