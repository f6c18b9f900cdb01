"""Classification metrics from label ids: accuracy, macro-F1, the confusion matrix (rows true, columns predicted).

>>> confusion_matrix([0, 0, 1], [0, 1, 1], 2).tolist()
[[1, 1], [0, 1]]
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np


def confusion_matrix(y_true: Sequence[int], y_pred: Sequence[int], num_classes: int) -> np.ndarray:
    """Counts ``[i, j]`` of items of true class ``i`` predicted as ``j``."""
    t = np.asarray(y_true, dtype=np.int64)
    p = np.asarray(y_pred, dtype=np.int64)
    if t.shape != p.shape:
        raise ValueError(f"{len(t)} true labels but {len(p)} predictions")
    return np.bincount(t * num_classes + p, minlength=num_classes * num_classes).reshape(num_classes, num_classes)


def accuracy(y_true: Sequence[int], y_pred: Sequence[int]) -> float:
    """Share of items predicted right (0 for no items)."""
    t = np.asarray(y_true)
    return float((t == np.asarray(y_pred)).mean()) if t.size else 0.0


def f1_per_class(matrix: np.ndarray) -> np.ndarray:
    """F1 of each class from a confusion matrix; 0 where a class is neither present nor predicted."""
    tp = np.diag(matrix).astype(np.float64)
    denom = matrix.sum(axis=0) + matrix.sum(axis=1)
    return np.divide(2 * tp, denom, out=np.zeros_like(tp), where=denom > 0)


def macro_f1(y_true: Sequence[int], y_pred: Sequence[int], num_classes: int | None = None) -> float:
    """Unweighted mean F1 over the classes that occur in the labels or the predictions."""
    n = num_classes or int(max(max(y_true, default=0), max(y_pred, default=0))) + 1
    matrix = confusion_matrix(y_true, y_pred, n)
    seen = (matrix.sum(axis=0) + matrix.sum(axis=1)) > 0
    return float(f1_per_class(matrix)[seen].mean()) if seen.any() else 0.0


def classification_report(y_true: Sequence[int], y_pred: Sequence[int], labels: Sequence[str]) -> dict[str, Any]:
    """Accuracy, macro-F1, per-class F1 and the confusion matrix, as a JSON-ready dict."""
    matrix = confusion_matrix(y_true, y_pred, len(labels))
    return {
        "items": len(y_true),
        "accuracy": accuracy(y_true, y_pred),
        "macro_f1": macro_f1(y_true, y_pred, len(labels)),
        "f1": dict(zip(labels, f1_per_class(matrix).round(6).tolist(), strict=True)),
        "labels": list(labels),
        "confusion": matrix.tolist(),
    }
