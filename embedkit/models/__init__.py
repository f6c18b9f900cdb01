"""Models: recurrent cells written out step by step, the language model, generation (and the classifier,
n-gram baseline in their own modules). Names are re-exported lazily, so importing this package does not
import torch."""

from __future__ import annotations

from embedkit.lazy import lazy_exports

_EXPORTS = {
    "LMConfig": "embedkit.models.config",
    "LanguageModel": "embedkit.models.language_model",
    "LMBundle": "embedkit.models.language_model",
    "StackedRNN": "embedkit.models.cells",
    "init_recurrent": "embedkit.models.init",
    "GenerateConfig": "embedkit.models.config",
    "generate": "embedkit.models.generate",
    "complete": "embedkit.models.generate",
    "NgramModel": "embedkit.models.ngram",
    "NgramConfig": "embedkit.models.config",
    "RNNClassifier": "embedkit.models.classifier",
    "TextClassifier": "embedkit.models.classifier",
    "Prediction": "embedkit.models.labels",
    "LabelPredictor": "embedkit.models.labels",
    "LinearClassifier": "embedkit.models.linear",
    "LinearConfig": "embedkit.models.linear",
    "fit_linear": "embedkit.models.linear",
    "ClassifierConfig": "embedkit.models.config",
    "set_threads": "embedkit.models.threads",
    "default_threads": "embedkit.models.threads",
}

__all__ = sorted(_EXPORTS)

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
