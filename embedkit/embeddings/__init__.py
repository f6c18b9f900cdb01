"""Word embeddings: train word2vec / FastText with gensim, store readable model folders, query, evaluate, export.

>>> from embedkit.embeddings import Embeddings, train_word2vec       # doctest: +SKIP
>>> emb = train_word2vec("tokens.txt", arch="skipgram", dim=100)     # doctest: +SKIP
>>> emb.save("vectors/"); Embeddings.load("vectors/").most_similar("king", topn=5)  # doctest: +SKIP
"""

from embedkit.embeddings.config import Word2VecConfig
from embedkit.embeddings.evaluate import AnalogyResult, PairResult, evaluate_analogies, evaluate_pairs
from embedkit.embeddings.export import Coverage, export_vectors, load_torch, to_matrix, to_torch
from embedkit.embeddings.train import continue_training, train_fasttext, train_word2vec
from embedkit.embeddings.vectors import Embeddings, UnknownWordError

__all__ = [
    "AnalogyResult", "Coverage", "Embeddings", "PairResult", "UnknownWordError", "Word2VecConfig",
    "continue_training", "evaluate_analogies", "evaluate_pairs", "export_vectors", "load_torch", "to_matrix",
    "to_torch", "train_fasttext", "train_word2vec",
]
