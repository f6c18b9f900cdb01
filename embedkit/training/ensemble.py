"""Training ensembles: the RNN + linear ensemble (``clf train --model rnn+linear``), both on the same texts, the
weight between them chosen on held-out texts neither has trained on; and RNNs that differ only in their seed.

The held-out share is the classifier's ``valid_fraction`` (the RNN's early stopping looks at the same texts).
Once the weight is chosen, the linear model is trained again on all the texts: it has no early stopping to
keep data back for; with ``ClassifierConfig.refit`` the RNN is too, for the epochs its held-out run kept.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

from embedkit.errors import ConfigError
from embedkit.models.config import ClassifierConfig
from embedkit.models.ensemble import EnsembleClassifier, best_weight
from embedkit.models.linear import LinearConfig, fit_linear
from embedkit.training.clf import (
    fit_classifier,
    holdout_split,
    prepare,
    refit_classifier,
    train_classifier,
)
from embedkit.training.config import TrainerConfig


def fit_rnn_linear(texts: Sequence[str], labels: Sequence[str], config: ClassifierConfig,
                   trainer_config: TrainerConfig, linear_config: LinearConfig, embeddings: Any = None,
                   adopt_dim: bool = False) -> EnsembleClassifier:
    """An :class:`EnsembleClassifier` of an RNN classifier (members ``rnn``) and the linear baseline (``linear``)."""
    if not config.valid_fraction:
        raise ConfigError("--model rnn+linear chooses its weight on held-out texts: valid_fraction "
                          "(--valid-fraction) must be above 0")
    seed = trainer_config.seed
    train_idx, valid_idx = holdout_split(len(texts), config.valid_fraction, seed)
    train_t, train_y = [texts[i] for i in train_idx], [labels[i] for i in train_idx]
    valid_t, valid_y = [texts[i] for i in valid_idx], [labels[i] for i in valid_idx]
    prepared = prepare(train_t, train_y, config, (valid_t, valid_y), embeddings, seed=seed, adopt_dim=adopt_dim)
    result = train_classifier(prepared, trainer_config)
    rnn = prepared.classifier
    linear = fit_linear(train_t, train_y, linear_config, seed=seed)
    # prepare() has refused held-out labels the training part lacks, so both models know the same classes
    weight = best_weight(rnn.predict_proba(valid_t), linear.predict_proba(valid_t), prepared.valid[1])
    linear = fit_linear(texts, labels, linear_config, seed=seed)
    if config.refit:
        rnn = refit_classifier(texts, labels, config, trainer_config, result, embeddings, adopt_dim).classifier
    return EnsembleClassifier([rnn, linear], [weight, round(1 - weight, 2)], ["rnn", "linear"])


def fit_rnn_seeds(texts: Sequence[str], labels: Sequence[str], config: ClassifierConfig,
                  trainer_config: TrainerConfig, seeds: int, embeddings: Any = None,
                  adopt_dim: bool = False) -> EnsembleClassifier:
    """``seeds`` RNN classifiers trained alike but for the seed (initialisation, batch order, dropout and the
    held-out share), combined with equal weights: the variance of one small RNN averaged away."""
    if seeds < 2:
        raise ConfigError(f"an ensemble of seeds needs at least 2, got {seeds}")
    members = [fit_classifier(texts, labels, config, dataclasses.replace(trainer_config, seed=trainer_config.seed + k),
                              embeddings, adopt_dim) for k in range(seeds)]
    return EnsembleClassifier(members, [1 / seeds] * seeds, [f"rnn{k + 1}" for k in range(seeds)])
