"""embedkit: raw text to word embeddings and recurrent models.

The public API, re-exported here and imported lazily (so ``embedkit --help`` does not load gensim or
PyTorch)::

    from embedkit import Pipeline, Vocab, Embeddings, train_word2vec
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_EXPORTS = {
    "Pipeline": "embedkit.text",
    "PreprocessConfig": "embedkit.text.config",
    "preprocess_files": "embedkit.text",
    "SubwordModel": "embedkit.text.subword",
    "Vocab": "embedkit.vocab",
    "Embeddings": "embedkit.embeddings",
    "Word2VecConfig": "embedkit.embeddings",
    "train_word2vec": "embedkit.embeddings",
    "train_fasttext": "embedkit.embeddings",
    "continue_training": "embedkit.embeddings",
    "LanguageModel": "embedkit.models",
    "LMConfig": "embedkit.models",
    "TextClassifier": "embedkit.models",
    "ClassifierConfig": "embedkit.models",
    "NgramModel": "embedkit.models",
    "Trainer": "embedkit.training.trainer",
    "TrainerConfig": "embedkit.training.config",
    "EmbedkitError": "embedkit.errors",
}

__all__ = ["__version__", *_EXPORTS]


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'embedkit' has no attribute {name!r}")
