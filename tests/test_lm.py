"""The language model: embedding matrices, tying, freezing, levels, BPTT windows, saving and loading."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from embedkit.errors import ConfigError, InputError, ModelFormatError
from embedkit.models.config import LMConfig
from embedkit.models.language_model import LanguageModel, LMBundle
from embedkit.text.config import SubwordConfig
from embedkit.text.subword import SubwordModel
from embedkit.training.config import TrainerConfig
from embedkit.training.data import BPTTBatches, batchify
from embedkit.training.lm import file_perplexity, prepare, read_token_files, train_language_model

FAST = TrainerConfig(epochs=1, progress=False, device="cpu")
SMALL = LMConfig(layers=1, hidden=8, emb_dim=8, bptt=5, batch_size=2)


pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _train(train: Path, valid: Path | None, out: Path, config: LMConfig, valid_fraction: float | None = None,
           **prepare_args) -> LMBundle:
    """Read, prepare, train and save, as the CLI does; returns the trained bundle."""
    prepared = prepare(read_token_files(train, valid, config, valid_fraction), config, **prepare_args)
    train_language_model(prepared, FAST, out)
    prepared.bundle.save(out)
    return prepared.bundle


@pytest.fixture()
def corpus(tmp_path: Path) -> Path:
    path = tmp_path / "train.txt"
    path.write_text("the cat sat on the mat\nthe dog ate the cat food\n" * 15)
    return path


def test_embedding_matrix_is_used_and_checked() -> None:
    matrix = np.random.default_rng(0).normal(size=(10, 8)).astype(np.float32)
    model = LanguageModel(LMConfig(layers=1, hidden=8, emb_dim=8, freeze_embeddings=True), 10, matrix)
    assert torch.equal(model.encoder.weight.detach(), torch.from_numpy(matrix))
    assert not model.encoder.weight.requires_grad
    assert LanguageModel(SMALL, 10, (torch.from_numpy(matrix), 0.9)).encoder.weight.requires_grad
    with pytest.raises(ConfigError, match="11 x 8"):
        LanguageModel(SMALL, 10, np.zeros((11, 8)))
    with pytest.raises(ConfigError, match="2-D"):
        LanguageModel(SMALL, 10, np.zeros(8))


def test_tied_weights_share_the_matrix_and_refuse_wrong_sizes() -> None:
    model = LanguageModel(LMConfig(layers=1, hidden=8, emb_dim=8, tie_weights=True), 12)
    assert model.decoder.weight is model.encoder.weight
    with pytest.raises(ConfigError, match="hidden == emb_dim"):
        LMConfig(hidden=8, emb_dim=6, tie_weights=True)


def test_bptt_windows_cover_the_stream() -> None:
    data = batchify(torch.arange(23), 3)
    assert data.shape == (7, 3)
    windows = list(BPTTBatches(data, 4))
    assert len(windows) == len(BPTTBatches(data, 4)) == 2
    assert torch.equal(torch.cat([x for x, _ in windows]), data[:-1])
    assert torch.equal(torch.cat([y for _, y in windows]), data[1:])
    with pytest.raises(InputError):
        batchify(torch.arange(3), 2)


@pytest.mark.parametrize("cell", ["rnn", "gru", "lstm"])
def test_train_save_load_same_perplexity(corpus: Path, tmp_path: Path, cell: str) -> None:
    config = LMConfig(cell=cell, layers=2, hidden=8, emb_dim=8, bptt=5, batch_size=2, tie_weights=True)
    bundle = _train(corpus, corpus, tmp_path / "lm", config)
    loaded = LMBundle.load(tmp_path / "lm")
    assert file_perplexity(loaded, corpus)["perplexity"] == pytest.approx(bundle.results["valid_perplexity"])
    assert loaded.model.decoder.weight is loaded.model.encoder.weight


def test_char_level_vocabulary_holds_characters_and_the_space(corpus: Path, tmp_path: Path) -> None:
    bundle = _train(corpus, None, tmp_path / "c", LMConfig(**{**SMALL.__dict__, "level": "char"}), 0.2)
    assert "c" in bundle.vocab and " " in bundle.vocab and "valid_perplexity" in bundle.results


def test_subword_level_trains_saves_and_scores_a_file(corpus: Path, tmp_path: Path) -> None:
    model = SubwordModel.train([line.split() for line in corpus.read_text().splitlines()],
                                       SubwordConfig(vocab_size=40, min_frequency=1))
    model.save(tmp_path / "bpe.json")
    config = LMConfig(**{**SMALL.__dict__, "level": "subword", "subword_model": str(tmp_path / "bpe.json")})
    _train(corpus, corpus, tmp_path / "s", config)
    loaded = LMBundle.load(tmp_path / "s")
    assert loaded.units.level == "subword" and file_perplexity(loaded, corpus)["perplexity"] > 1


def test_vocab_of_another_size_is_refused(corpus: Path, tmp_path: Path) -> None:
    _train(corpus, None, tmp_path / "lm", SMALL)
    (tmp_path / "lm" / "vocab.json").write_text((tmp_path / "lm" / "vocab.json").read_text().replace('"mat",', ""))
    with pytest.raises(ModelFormatError):
        LMBundle.load(tmp_path / "lm")


@pytest.mark.parametrize("columns", [1, 2, 5, 10, 40])
def test_file_perplexity_scores_every_unit_once_whatever_the_columns(tmp_path, columns: int) -> None:
    import dataclasses
    import math

    from lm_helpers import tiny_lm

    from embedkit.training.data import encode_stream

    words = "the cat sat on a mat a dog ran to me".split()
    bundle = tiny_lm(words, seed=0, steps=30, size=8)
    path = tmp_path / "valid.txt"
    path.write_text("the cat sat on a mat\na dog ran to me\nthe dog sat\n")
    ids = encode_stream([line.split() for line in path.read_text().splitlines()], bundle.vocab)
    stream = torch.cat([torch.tensor([bundle.vocab.eos_id]), ids])  # a file starts as a line does, after <eos>
    with torch.no_grad():
        nll = float(bundle.model.nll(stream[:-1].view(-1, 1), stream[1:].view(-1, 1), reduction="sum")[0])
    bundle.config = dataclasses.replace(bundle.config, eval_batch_size=columns)
    scored = file_perplexity(bundle, path)
    assert scored["tokens"] == ids.numel() == 17
    if columns == 1:  # one column is the reference itself; more start from a zero state mid-stream
        assert scored["perplexity"] == pytest.approx(math.exp(nll / ids.numel()), rel=1e-5)


def test_eval_columns_cover_each_target_once() -> None:
    from embedkit.training.data import eval_columns

    for n, columns in [(17, 10), (17, 1), (5, 8), (100, 7)]:
        data = eval_columns(torch.arange(1, n + 1), columns, start=0)
        targets = data[1:].flatten()
        assert sorted(targets[targets >= 0].tolist()) == list(range(1, n + 1))
        assert (data[:-1][data[1:] >= 0] >= 0).all()  # a scored unit is predicted from a real one
