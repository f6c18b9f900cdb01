"""Model folders and vector files: round trips in every format, gensim reading our files, damage detection."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from gensim.models import KeyedVectors

from embedkit.embeddings import Embeddings, export_vectors, train_fasttext, train_word2vec
from embedkit.errors import InputError, ModelFormatError


@pytest.fixture(scope="module")
def sentences(lee_corpus: Path) -> list[list[str]]:
    return [line.lower().split() for line in lee_corpus.read_text(encoding="utf-8").splitlines()]


@pytest.fixture(scope="module")
def w2v(sentences: list[list[str]]) -> Embeddings:
    return train_word2vec(sentences, dim=16, min_count=3, epochs=1, workers=1)


@pytest.fixture(scope="module")
def fasttext(sentences: list[list[str]]) -> Embeddings:
    return train_fasttext(sentences, dim=16, min_count=3, epochs=1, workers=1, bucket=3000, min_n=3, max_n=5)


@pytest.mark.parametrize("vectors_format", ["bin", "safetensors"])
def test_folder_round_trip(w2v: Embeddings, tmp_path: Path, vectors_format: str) -> None:
    folder = w2v.save(tmp_path / "vec", vectors_format=vectors_format)
    names = {p.name for p in folder.iterdir()}
    assert {"vocab.json", "meta.json"} <= names
    assert not any(n.endswith((".pkl", ".pickle", ".model")) for n in names)
    loaded = Embeddings.load(folder)
    assert loaded.words == w2v.words
    np.testing.assert_array_equal(loaded.vectors, w2v.vectors)
    assert loaded.counts.tolist() == w2v.counts.tolist()
    meta = json.loads((folder / "meta.json").read_text())
    assert meta["vocab_size"] == len(w2v) and meta["dim"] == 16 and len(meta["loss_per_epoch"]) == 1
    assert meta["corpus"]["words"] > 0 and "gensim" in meta["versions"]


def test_gensim_reads_our_word2vec_binary_folder_file(w2v: Embeddings, tmp_path: Path) -> None:
    folder = w2v.save(tmp_path / "vec")
    kv = KeyedVectors.load_word2vec_format(str(folder / "vectors.bin"), binary=True)
    assert kv.index_to_key == w2v.words
    np.testing.assert_array_equal(kv.vectors, w2v.vectors)


@pytest.mark.parametrize("fmt,binary", [("word2vec", False), ("word2vec-bin", True)])
def test_exported_word2vec_files_load_in_gensim_and_back(w2v: Embeddings, tmp_path: Path, fmt: str,
                                                         binary: bool) -> None:
    out = tmp_path / "v.w2v"
    export_vectors(w2v, out, fmt)
    kv = KeyedVectors.load_word2vec_format(str(out), binary=binary)
    assert kv.index_to_key == w2v.words
    np.testing.assert_allclose(kv.vectors, w2v.vectors, rtol=0, atol=1e-7)
    again = Embeddings.load(out)
    np.testing.assert_allclose(again.vectors, w2v.vectors, atol=1e-7)


def test_glove_text_without_header(tmp_path: Path) -> None:
    path = tmp_path / "glove.txt"
    path.write_text("cat 1 0 0\ndog 0.9 0.1 0\ncar 0 0 1\n")
    emb = Embeddings.load(path)
    assert emb.words == ["cat", "dog", "car"] and emb.dim == 3
    assert emb.most_similar("cat", topn=1)[0][0] == "dog"


def test_fasttext_oov_vector_equals_gensims_own(fasttext: Embeddings, tmp_path: Path) -> None:
    folder = fasttext.save(tmp_path / "ft")
    assert (folder / "vectors.safetensors").is_file()
    meta = json.loads((folder / "meta.json").read_text())
    assert meta["fasttext"] == {"min_n": 3, "max_n": 5, "bucket": 3000}
    loaded = Embeddings.load(folder)
    for word in ("governmentalism", "policemen", "xylophonic"):
        assert loaded.index(word) is None
        np.testing.assert_allclose(loaded.vector(word), fasttext.model.wv.get_vector(word), atol=1e-6)
    np.testing.assert_array_equal(loaded.vector("government"), fasttext.model.wv.get_vector("government"))


def test_truncated_binary_file_is_a_format_error(w2v: Embeddings, tmp_path: Path) -> None:
    out = tmp_path / "v.bin"
    export_vectors(w2v, out, "word2vec-bin")
    data = out.read_bytes()
    out.write_bytes(data[: len(data) // 2])
    with pytest.raises(ModelFormatError, match="corrupt or truncated"):
        Embeddings.load(out)


def test_text_file_with_disagreeing_dimensions(tmp_path: Path) -> None:
    path = tmp_path / "bad.txt"
    path.write_text("2 3\ncat 1 0 0\ndog 0.9 0.1\n")
    with pytest.raises(ModelFormatError):
        Embeddings.load(path)


def test_folder_whose_files_disagree(w2v: Embeddings, tmp_path: Path) -> None:
    folder = w2v.save(tmp_path / "vec", vectors_format="safetensors")
    vocab = json.loads((folder / "vocab.json").read_text())
    vocab["itos"], vocab["counts"] = vocab["itos"][:-1], vocab["counts"][:-1]
    (folder / "vocab.json").write_text(json.dumps(vocab))
    with pytest.raises(ModelFormatError, match="vocab.json has"):
        Embeddings.load(folder)


def test_corrupt_safetensors_and_missing_meta(w2v: Embeddings, tmp_path: Path) -> None:
    folder = w2v.save(tmp_path / "vec", vectors_format="safetensors")
    (folder / "vectors.safetensors").write_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00{not json")
    with pytest.raises(ModelFormatError, match="safetensors"):
        Embeddings.load(folder)
    (folder / "meta.json").unlink()
    with pytest.raises(ModelFormatError, match="no meta.json"):
        Embeddings.load(folder)
    with pytest.raises(InputError):
        Embeddings.load(tmp_path / "absent")


def test_failed_save_leaves_no_folder(tmp_path: Path) -> None:
    emb = Embeddings.from_vectors(["a b", "c"], np.ones((2, 3)))
    with pytest.raises(Exception, match="whitespace"):
        emb.save(tmp_path / "vec")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("vectors_format", ["bin", "safetensors"])
def test_every_model_file_gets_one_mode(w2v: Embeddings, tmp_path: Path, vectors_format: str) -> None:
    """safetensors files used to be written 0600 and the rest 0644: one mode, the umask honoured."""
    import os

    umask = os.umask(0)
    os.umask(umask)
    folder = w2v.save(tmp_path / "vec", vectors_format=vectors_format)
    modes = {p.name: p.stat().st_mode & 0o777 for p in folder.iterdir()}
    assert "training_state.safetensors" in modes
    assert set(modes.values()) == {0o666 & ~umask}, modes


@pytest.mark.parametrize("name", ["../secret.txt", "/etc/hostname", "vocab.json"])
def test_meta_json_cannot_point_outside_the_folder(w2v: Embeddings, tmp_path: Path, name: str) -> None:
    folder = w2v.save(tmp_path / "vec")
    (tmp_path / "secret.txt").write_text("3 1\nTOPSECRET 1\n")
    meta = json.loads((folder / "meta.json").read_text())
    (folder / "meta.json").write_text(json.dumps({**meta, "vectors": name}))
    with pytest.raises(ModelFormatError) as info:
        Embeddings.load(folder)
    assert "TOPSECRET" not in str(info.value) and "must be one of" in str(info.value)


@pytest.mark.parametrize("binary", [True, False])
def test_a_huge_declared_size_is_refused_before_allocating(tmp_path: Path, binary: bool) -> None:
    path = tmp_path / ("big.bin" if binary else "big.txt")
    path.write_bytes(b"2000000000 3000000\n" + (b"a " + b"\x00" * 12 + b"\n" if binary else b"a 1 2 3\n"))
    with pytest.raises(ModelFormatError, match="more than the file"):
        Embeddings.load(path, fmt="word2vec-bin" if binary else "word2vec")


def test_a_vector_file_that_lists_a_word_twice_is_a_format_error(tmp_path: Path) -> None:
    """gensim 4.4 used to hand back the word list with a None in it and a zero row."""
    path = tmp_path / "dup.txt"
    path.write_text("3 3\nthe 0.1 0.2 0.3\nthe 0.4 0.5 0.6\nof 1 2 3\n")
    with pytest.raises(ModelFormatError, match="twice"):
        Embeddings.load(path)


def test_a_tab_separated_file_is_a_format_error_not_zero_dimensions(tmp_path: Path) -> None:
    path = tmp_path / "g.txt"
    path.write_text("the\t0.1\t0.2\nof\t0.4\t0.5\n")
    with pytest.raises(ModelFormatError, match="no dimensions"):
        Embeddings.load(path)


def test_a_binary_file_without_a_header_is_not_called_a_damaged_glove_file(tmp_path: Path) -> None:
    from embedkit.embeddings.formats import read_vectors

    path = tmp_path / "v.bin"
    path.write_bytes(b"\x00\x01\x02binary\xff\xfe" * 50)
    with pytest.raises(ModelFormatError, match=r"not a vector file: binary .* no word2vec header") as info:
        read_vectors(path)
    assert "glove" not in str(info.value)
    with pytest.raises(InputError, match="is a folder, not a vector file"):
        read_vectors(tmp_path)


def test_a_classifier_folder_given_as_vectors_is_named_by_its_kind(tmp_path: Path) -> None:
    folder = tmp_path / "clf"
    folder.mkdir()
    (folder / "config.json").write_text('{"format": "embedkit.classifier/1"}')
    with pytest.raises(ModelFormatError, match=r"is an embedkit classifier folder \(wanted: word vectors\)"):
        Embeddings.load(folder)


@pytest.mark.parametrize("binary", [False, True])
def test_gzipped_word2vec_files_load_without_naming_the_format(tmp_path: Path, binary: bool) -> None:
    from embedkit.embeddings.formats import read_vectors

    kv = KeyedVectors(vector_size=3)
    kv.add_vectors(["cat", "dog"], np.array([[1, 0, 0], [0, 1, 0]], dtype=np.float32))
    path = tmp_path / ("v.bin.gz" if binary else "v.txt.gz")
    kv.save_word2vec_format(str(path), binary=binary)
    loaded = read_vectors(path)
    assert loaded.index_to_key == ["cat", "dog"]
    np.testing.assert_array_equal(loaded["dog"], kv["dog"])
