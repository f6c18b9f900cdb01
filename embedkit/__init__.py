"""embedkit: raw text to word embeddings and recurrent models.

The public API, re-exported here and imported lazily (so ``embedkit --help`` does not load gensim or
PyTorch)::

    from embedkit import Pipeline, Vocab, Embeddings, train_word2vec
"""

from __future__ import annotations

from embedkit.lazy import lazy_exports

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

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
