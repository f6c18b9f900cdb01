"""K-fold and rolling-origin evaluation of a text classifier: train on each fold's rest, score on the fold.

:func:`kfold_splits` deals the items into ``k`` seeded folds (stratified: every class spread evenly over
the folds); :func:`rolling_splits` cuts ordered data into ``k`` consecutive test blocks, each scored by a
model trained on everything before it (:func:`~embedkit.training.splits.rolling_origin_splits`).
:func:`cross_validate` runs any ``fit(texts, labels) -> classifier`` over the splits; a test label the
fold's training part never saw counts as an error.
"""

from __future__ import annotations

import random
import statistics
from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import Any

from embedkit.errors import ConfigError, InputError
from embedkit.models.metrics import classification_report
from embedkit.training.splits import rolling_origin_splits

Split = tuple[list[int], list[int]]


def _check_k(k: int, n: int) -> None:
    if k < 2:
        raise ConfigError(f"cross-validation needs at least 2 folds, got {k}")
    if n < k:
        raise InputError(f"{n} texts are too few for {k} folds")


def kfold_splits(labels: Sequence[str], k: int, seed: int = 0, stratified: bool = True) -> list[Split]:
    """``k`` (train, test) index lists; the test folds partition the items, shuffled with ``seed``."""
    n = len(labels)
    _check_k(k, n)
    rng = random.Random(seed)
    fold_of = [0] * n
    if stratified:
        groups: dict[str, list[int]] = defaultdict(list)
        for i, label in enumerate(labels):
            groups[label].append(i)
        dealt = 0
        for name in sorted(groups):
            members = groups[name]
            rng.shuffle(members)
            for j, i in enumerate(members):
                fold_of[i] = (dealt + j) % k
            dealt += len(members)
    else:
        order = list(range(n))
        rng.shuffle(order)
        for j, i in enumerate(order):
            fold_of[i] = j % k
    return [([i for i in range(n) if fold_of[i] != f], [i for i in range(n) if fold_of[i] == f]) for f in range(k)]


def rolling_splits(n: int, k: int) -> list[Split]:
    """``k`` rolling-origin folds over ``n`` ordered items: equal test blocks at the end, an expanding past."""
    _check_k(k, n)
    horizon = n // (k + 1)
    if horizon < 1:
        raise InputError(f"{n} texts are too few for {k} rolling-origin folds")
    initial = n - k * horizon
    return [(list(tr), list(te)) for tr, te in rolling_origin_splits(n, initial=initial, horizon=horizon, step=horizon)]


def fold_report(model: Any, texts: Sequence[str], labels: Sequence[str]) -> dict[str, Any]:
    """Accuracy and macro-F1 of ``model`` (``labels`` + ``predict_proba``) on a fold; unseen labels are errors."""
    names = list(model.labels) + sorted(set(labels) - set(model.labels))
    index = {name: i for i, name in enumerate(names)}
    predicted = model.predict_proba(list(texts)).argmax(axis=1).tolist()
    return classification_report([index[y] for y in labels], predicted, names)


def cross_validate(texts: Sequence[str], labels: Sequence[str], splits: Sequence[Split],
                   fit: Callable[[list[str], list[str]], Any]) -> dict[str, Any]:
    """Per-fold and mean accuracy and macro-F1 of ``fit`` over ``splits``."""
    folds = []
    for number, (train, test) in enumerate(splits, 1):
        model = fit([texts[i] for i in train], [labels[i] for i in train])
        report = fold_report(model, [texts[i] for i in test], [labels[i] for i in test])
        folds.append({"fold": number, "train": len(train), "test": len(test),
                      "accuracy": round(report["accuracy"], 4), "macro_f1": round(report["macro_f1"], 4)})
    accuracies = [f["accuracy"] for f in folds]
    return {"folds": folds, "mean_accuracy": round(statistics.fmean(accuracies), 4),
            "std_accuracy": round(statistics.pstdev(accuracies), 4),
            "mean_macro_f1": round(statistics.fmean(f["macro_f1"] for f in folds), 4)}
