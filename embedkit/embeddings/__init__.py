"""Word embeddings: train word2vec / FastText with gensim, store readable model folders, query, evaluate, export.

>>> from embedkit.embeddings import Embeddings, train_word2vec       # doctest: +SKIP
>>> emb = train_word2vec("tokens.txt", arch="skipgram", dim=100)     # doctest: +SKIP
>>> emb.save("vectors/"); Embeddings.load("vectors/").most_similar("king", topn=5)  # doctest: +SKIP

Inside the room imports run one way: ``config``, ``formats`` -> ``storage``, ``export`` -> ``vectors``
(the ``Embeddings`` class) -> ``evaluate``, ``train``. Names here are imported on first use, so the CLI
can read :class:`Word2VecConfig` without loading numpy or gensim.
"""

from __future__ import annotations

from embedkit.lazy import lazy_exports

_EXPORTS = {
    "Word2VecConfig": "embedkit.embeddings.config",
    "AnalogyResult": "embedkit.embeddings.evaluate",
    "PairResult": "embedkit.embeddings.evaluate",
    "evaluate_analogies": "embedkit.embeddings.evaluate",
    "evaluate_pairs": "embedkit.embeddings.evaluate",
    "Coverage": "embedkit.embeddings.export",
    "export_vectors": "embedkit.embeddings.export",
    "load_torch": "embedkit.embeddings.export",
    "to_matrix": "embedkit.embeddings.export",
    "to_torch": "embedkit.embeddings.export",
    "continue_training": "embedkit.embeddings.train",
    "train_fasttext": "embedkit.embeddings.train",
    "train_word2vec": "embedkit.embeddings.train",
    "Embeddings": "embedkit.embeddings.vectors",
    "UnknownWordError": "embedkit.embeddings.vectors",
}

__all__ = list(_EXPORTS)

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
