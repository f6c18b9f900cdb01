"""An optional approximate nearest-neighbour index (hnswlib) for vocabularies of hundreds of thousands of words."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from embedkit.errors import ConfigError

INSTALL_HINT = "approximate search needs hnswlib, which is not installed: pip install 'embedkit[ann]'"


def _hnswlib() -> Any:
    try:
        import hnswlib
    except ImportError:
        raise ConfigError(INSTALL_HINT) from None
    return hnswlib


class AnnIndex:
    """HNSW graph over unit vectors with inner-product distance, so scores are cosines like exact search."""

    def __init__(self, unit_vectors: np.ndarray, words: Sequence[str], m: int = 16, ef_construction: int = 200,
                 ef: int = 100, threads: int = 1) -> None:
        hnswlib = _hnswlib()
        self.words = words
        self.index = hnswlib.Index(space="ip", dim=unit_vectors.shape[1])
        self.index.init_index(max_elements=len(words), ef_construction=ef_construction, M=m)
        self.index.add_items(unit_vectors, np.arange(len(words)), num_threads=threads)
        self.index.set_ef(ef)

    def query(self, unit_vector: np.ndarray, topn: int) -> list[tuple[str, float]]:
        """The approximately ``topn`` closest words to a unit vector, best first."""
        self.index.set_ef(max(topn, self.index.ef))
        labels, distances = self.index.knn_query(unit_vector.reshape(1, -1), k=min(topn, len(self.words)))
        return [(self.words[int(i)], float(1.0 - d)) for i, d in zip(labels[0], distances[0], strict=True)]
