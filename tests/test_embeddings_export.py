"""Export: a matrix aligned to a downstream vocabulary, its coverage, and files other tools read."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from embedkit.embeddings import Embeddings, export_vectors, load_torch, train_fasttext
from embedkit.errors import ConfigError
from embedkit.vocab import Vocab

WORDS = ["the", "cat", "sat", "mat"]


@pytest.fixture()
def emb() -> Embeddings:
    rng = np.random.default_rng(5)
    return Embeddings.from_vectors(WORDS, rng.standard_normal((4, 6)) * 0.3)


@pytest.fixture()
def vocab() -> Vocab:
    return Vocab(["<pad>", "<unk>", "<bos>", "<eos>", "mat", "dog", "the", "bird"],
                 specials=("<pad>", "<unk>", "<bos>", "<eos>"))


def test_to_matrix_rows_follow_the_downstream_vocabulary(emb: Embeddings, vocab: Vocab) -> None:
    matrix, coverage = emb.to_matrix(vocab, seed=0)
    assert matrix.shape == (8, 6) and matrix.dtype == np.float32
    np.testing.assert_array_equal(matrix[vocab["mat"]], emb.vector("mat"))
    np.testing.assert_array_equal(matrix[vocab["the"]], emb.vector("the"))
    assert not matrix[vocab.pad_id].any()
    assert (coverage.total, coverage.found, coverage.subword, coverage.random) == (8, 2, 0, 5)
    assert coverage.oov_examples == ("dog", "bird")
    again, _ = emb.to_matrix(vocab, seed=0)
    other, _ = emb.to_matrix(vocab, seed=1)
    np.testing.assert_array_equal(matrix, again)
    assert not np.array_equal(matrix[vocab["dog"]], other[vocab["dog"]])
    random_rows = matrix[[vocab["dog"], vocab["bird"], vocab.unk_id]]
    assert 0.1 < random_rows.std() < 1.0, "random rows are scaled to the trained vectors' spread"


def test_fasttext_fills_unknown_rows_from_subwords(lee_corpus: Path) -> None:
    sentences = [line.lower().split() for line in lee_corpus.read_text(encoding="utf-8").splitlines()]
    ft = train_fasttext(sentences, dim=8, min_count=3, epochs=1, workers=1, bucket=2000)
    vocab = Vocab(["<pad>", "<unk>", "government", "governmentalisms"], specials=("<pad>", "<unk>"))
    matrix, coverage = ft.to_matrix(vocab)
    assert (coverage.found, coverage.subword, coverage.random) == (1, 1, 1)
    np.testing.assert_allclose(matrix[3], ft.model.wv.get_vector("governmentalisms"), atol=1e-6)


def test_to_torch_embedding(emb: Embeddings, vocab: Vocab) -> None:
    layer = emb.to_torch(vocab, freeze=True)
    assert isinstance(layer, torch.nn.Embedding)
    assert layer.padding_idx == vocab.pad_id and not layer.weight.requires_grad
    np.testing.assert_array_equal(layer.weight.detach().numpy(), emb.to_matrix(vocab)[0])


@pytest.mark.parametrize("fmt", ["npy", "safetensors", "torch"])
def test_matrix_formats_with_row_list(emb: Embeddings, vocab: Vocab, tmp_path: Path, fmt: str) -> None:
    out = tmp_path / f"emb.{fmt}"
    coverage = export_vectors(emb, out, fmt, vocab)
    assert coverage is not None and coverage.found == 2
    expected = emb.to_matrix(vocab)[0]
    if fmt == "npy":
        got = np.load(out, allow_pickle=False)
    elif fmt == "safetensors":
        from safetensors.numpy import load_file

        got = load_file(str(out))["embeddings"]
    else:
        layer = load_torch(out)
        assert layer.padding_idx == vocab.pad_id
        got = layer.weight.detach().numpy()
    np.testing.assert_array_equal(got, expected)
    assert json.loads(Path(str(out) + ".vocab.json").read_text())["itos"] == vocab.itos


def test_whole_model_export_keeps_model_order(emb: Embeddings, tmp_path: Path) -> None:
    out = tmp_path / "all.npy"
    assert export_vectors(emb, out, "npy") is None
    np.testing.assert_array_equal(np.load(out), emb.vectors)
    assert Vocab.load(Path(str(out) + ".vocab.json")).itos == WORDS


@pytest.mark.parametrize("seed", [-1, 2**32])
def test_to_matrix_with_a_seed_numpy_refuses_is_a_config_error(emb: Embeddings, vocab: Vocab, seed: int) -> None:
    with pytest.raises(ConfigError, match="seed must lie in"):
        emb.to_matrix(vocab, seed=seed)


def test_to_matrix_looks_vocabulary_tokens_up_as_they_are() -> None:
    """A vocabulary built from the model's own (stemmed/lemmatised) tokens must not be preprocessed again:
    "running" is not in this model, and must not receive the vector of its stem "run"."""
    from embedkit.text.config import PreprocessConfig

    model = Embeddings.from_vectors(["run", "cat"], np.eye(2, 4), preprocess=PreprocessConfig(lang="en", stem=True))
    assert model.index("running") == model.index("run"), "queries still pass through the preprocessing"
    vocab = Vocab(["<pad>", "running", "cat"], specials=("<pad>",))
    matrix, coverage = model.to_matrix(vocab)
    assert (coverage.found, coverage.random) == (1, 1)
    assert coverage.oov_examples == ("running",)
    assert not np.array_equal(matrix[1], model.vector("run"))


def test_coverage_counts_the_pad_row(emb: Embeddings, vocab: Vocab) -> None:
    _, coverage = emb.to_matrix(vocab)
    assert coverage.pad == 1
    assert coverage.found + coverage.subword + coverage.random + coverage.pad == coverage.total
    assert coverage.ratio == pytest.approx(2 / 7)
    assert "1 padding" in str(coverage)


def test_torch_export_is_a_file_torch_load_reads(emb: Embeddings, vocab: Vocab, tmp_path: Path) -> None:
    """--format torch used to write safetensors, which torch.load rejects."""
    out = tmp_path / "emb.pt"
    export_vectors(emb, out, "torch", vocab)
    state = torch.load(out, weights_only=True)
    np.testing.assert_array_equal(state["weight"].numpy(), emb.to_matrix(vocab)[0])
    assert state["padding_idx"] == vocab.pad_id
    assert load_torch(out).padding_idx == vocab.pad_id


def test_load_torch_turns_foreign_files_into_format_errors(tmp_path: Path) -> None:
    """A legacy torch.save file and a pickle payload used to escape as SafetensorError / UnpicklingError."""
    import os

    from embedkit.errors import ModelFormatError

    torch.save({"weight": torch.zeros(2, 3)}, tmp_path / "legacy.pt", _use_new_zipfile_serialization=False)

    class Payload:
        def __reduce__(self):
            return (os.system, (f"touch {tmp_path / 'ran'}",))

    torch.save(Payload(), tmp_path / "payload.pt")
    (tmp_path / "text.pt").write_text("not a tensor file at all\n")
    for name in ("legacy.pt", "payload.pt", "text.pt"):
        with pytest.raises(ModelFormatError, match="not an embedkit torch embedding file"):
            load_torch(tmp_path / name)
    assert not (tmp_path / "ran").exists()


@pytest.mark.parametrize("fmt, name", [("npy", "m.npy"), ("safetensors", "m.safetensors"), ("torch", "m.pt")])
def test_an_export_whose_row_list_cannot_be_written_leaves_no_matrix(emb: Embeddings, vocab: Vocab, tmp_path: Path,
                                                                     fmt: str, name: str) -> None:
    from embedkit.errors import OutputError

    (tmp_path / f"{name}.vocab.json").mkdir()
    with pytest.raises(OutputError, match="is a folder"):
        export_vectors(emb, tmp_path / name, fmt, vocab=vocab)
    assert not (tmp_path / name).exists()
