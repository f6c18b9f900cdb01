"""Training through gensim: determinism, loss per epoch, sidecar provenance, bad corpora, continued training."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from embedkit.config import config_to_dict, dump_toml
from embedkit.embeddings import Embeddings, Word2VecConfig, continue_training, train_word2vec
from embedkit.embeddings.config import default_workers
from embedkit.errors import ConfigError, InputError
from embedkit.text.config import PreprocessConfig


@pytest.fixture(scope="module")
def lee_tokens(lee_corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The Lee corpus lower-cased and split on whitespace, one document a line."""
    out = tmp_path_factory.mktemp("lee") / "tokens.txt"
    lines = [" ".join(line.lower().split()) for line in lee_corpus.read_text(encoding="utf-8").splitlines()]
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return out


SETTINGS = dict(arch="skipgram", dim=32, min_count=3, epochs=3, workers=1, seed=7)


def test_seeded_single_worker_runs_agree(lee_tokens: Path) -> None:
    first = train_word2vec(lee_tokens, **SETTINGS)
    second = train_word2vec(lee_tokens, **SETTINGS)
    assert first.words == second.words and np.array_equal(first.vectors, second.vectors)
    assert first.most_similar("government", topn=10) == second.most_similar("government", topn=10)
    other = train_word2vec(lee_tokens, **{**SETTINGS, "seed": 8})
    assert other.words == first.words and not np.allclose(other.vectors, first.vectors), "the seed is used"
    assert first.meta["history"][0]["words"] == sum(len(x.split()) for x in lee_tokens.read_text().splitlines())


def test_a_seed_alone_makes_runs_repeat_exactly(lee_tokens: Path) -> None:
    """With a seed and no worker count, training runs on one thread, the only way gensim repeats itself."""
    settings = {**SETTINGS, "workers": None, "seed": 5}
    assert Word2VecConfig(**settings).n_workers == 1
    first, second = train_word2vec(lee_tokens, **settings), train_word2vec(lee_tokens, **settings)
    assert np.array_equal(first.vectors, second.vectors)
    assert Word2VecConfig(workers=None).n_workers == default_workers()


def test_a_seed_with_several_workers_is_refused() -> None:
    with pytest.raises(ConfigError, match="only with 1 worker"):
        Word2VecConfig(seed=3, workers=2)


def test_loss_is_reported_per_epoch_not_cumulative(lee_tokens: Path) -> None:
    emb = train_word2vec(lee_tokens, **SETTINGS)
    losses = emb.meta["history"][0]["loss_per_epoch"]
    assert len(losses) == 3 and all(x > 0 for x in losses)
    assert losses[-1] < losses[0] * 1.5, "per-epoch figures, not a running total"


@pytest.mark.parametrize("arch", ["skipgram", "cbow"])
def test_loss_does_not_depend_on_the_worker_count(lee_tokens: Path, arch: str) -> None:
    """gensim's corpus_file threads overwrite each other's loss sums: 2 workers used to report about half."""
    settings = {**SETTINGS, "arch": arch, "seed": None}
    one = train_word2vec(lee_tokens, **{**settings, "workers": 1}).meta["history"][0]["loss_per_epoch"]
    two = train_word2vec(lee_tokens, **{**settings, "workers": 2}).meta["history"][0]["loss_per_epoch"]
    assert one == pytest.approx(two, rel=0.05)  # the rest is real: gensim decays alpha per thread
    assert one[-1] < one[0]


def test_loss_does_not_saturate_after_a_large_running_total(lee_tokens: Path, monkeypatch) -> None:
    """gensim's float32 running total stops growing past 2**26 (epoch 24 of PTB); the figures must not care."""
    from gensim.models import Word2Vec

    plain = train_word2vec(lee_tokens, **SETTINGS).meta["history"][0]["loss_per_epoch"]
    epoch = Word2Vec._train_epoch_corpusfile

    def late_in_a_long_run(self, *args, **kwargs):  # the state gensim reaches after many epochs on a big corpus
        self.running_training_loss = max(float(self.running_training_loss), float(2**27))
        return epoch(self, *args, **kwargs)

    monkeypatch.setattr(Word2Vec, "_train_epoch_corpusfile", late_in_a_long_run)
    late = train_word2vec(lee_tokens, **SETTINGS).meta["history"][0]["loss_per_epoch"]
    assert late == pytest.approx(plain, rel=1e-6)


def test_fasttext_loss_is_not_available_rather_than_zero(lee_tokens: Path) -> None:
    emb = train_word2vec(lee_tokens, **{**SETTINGS, "epochs": 1}, fasttext=True, bucket=1000)
    assert emb.meta["history"][0]["loss_per_epoch"] is None


def test_no_loss_when_turned_off(lee_tokens: Path) -> None:
    emb = train_word2vec(lee_tokens, **{**SETTINGS, "epochs": 1}, compute_loss=False)
    assert emb.meta["history"][0]["loss_per_epoch"] is None


def test_sidecar_preprocess_config_travels_with_the_model(lee_tokens: Path, tmp_path: Path) -> None:
    tokens = tmp_path / "tok.txt"
    tokens.write_text(lee_tokens.read_text())
    cfg = PreprocessConfig(lang="en", stopwords=True)
    Path(str(tokens) + ".pipeline.toml").write_text(dump_toml({"preprocess": config_to_dict(cfg)}))
    emb = train_word2vec(tokens, **{**SETTINGS, "epochs": 1})
    assert emb.preprocess == cfg
    emb.save(tmp_path / "vec")
    assert (tmp_path / "vec" / "preprocess.toml").is_file()
    assert Embeddings.load(tmp_path / "vec").preprocess == cfg


def test_iterable_corpus_and_token_file_give_the_same_vocabulary(lee_tokens: Path) -> None:
    sentences = [line.split() for line in lee_tokens.read_text().splitlines()]
    from_list = train_word2vec(iter(sentences), **{**SETTINGS, "epochs": 1})
    from_file = train_word2vec(lee_tokens, **{**SETTINGS, "epochs": 1})
    assert set(from_list.words) == set(from_file.words)


def test_empty_corpus_is_an_input_error(tmp_path: Path) -> None:
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    with pytest.raises(InputError, match="empty"):
        train_word2vec(empty)
    blank = tmp_path / "blank.txt"
    blank.write_text("\n\n  \n")
    with pytest.raises(InputError, match="empty"):
        train_word2vec(blank)
    with pytest.raises(InputError, match="empty"):
        train_word2vec([])


def test_min_count_that_empties_the_vocabulary_suggests_lower(tmp_path: Path) -> None:
    tokens = tmp_path / "t.txt"
    tokens.write_text("a b c\na d\n")
    with pytest.raises(ConfigError, match=r"min_count=5: lower min_count \(the most frequent token is seen 2 times\)"):
        train_word2vec(tokens, min_count=5)


@pytest.mark.parametrize("bad", [{"dim": 0}, {"window": -1}, {"epochs": 0}, {"arch": "glove"}, {"workers": 0},
                                 {"negative": 0}, {"min_alpha": 1.0}])
def test_bad_settings_are_config_errors(bad: dict) -> None:
    with pytest.raises(ConfigError):
        Word2VecConfig(**bad)


def test_missing_token_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such token file"):
        train_word2vec(tmp_path / "nope.txt")


def test_continue_training_grows_the_vocabulary_from_a_saved_folder(lee_tokens: Path, tmp_path: Path) -> None:
    emb = train_word2vec(lee_tokens, **{**SETTINGS, "epochs": 1})
    emb.save(tmp_path / "vec")
    new = tmp_path / "new.txt"
    new.write_text("zebrafish government police zebrafish\n" * 5)
    grown = continue_training(tmp_path / "vec", new, epochs=1)
    assert "zebrafish" in grown and "zebrafish" not in emb
    assert len(grown) == len(emb) + 1
    assert len(grown.meta["history"]) == 2
    live = continue_training(emb, new, epochs=1)
    assert "zebrafish" in live


def test_continue_training_needs_training_state(lee_tokens: Path, tmp_path: Path) -> None:
    emb = train_word2vec(lee_tokens, **{**SETTINGS, "epochs": 1})
    emb.save(tmp_path / "vec", training_state=False)
    from embedkit.errors import ModelFormatError

    with pytest.raises(ModelFormatError, match="no training state"):
        continue_training(tmp_path / "vec", lee_tokens)


@pytest.mark.parametrize("sg, hs, negative", [(1, 0, 3), (0, 0, 3), (0, 1, 0)])
def test_loss_probe_is_the_formula_over_its_sample_in_any_block_size(monkeypatch, sg: int, hs: int,
                                                                       negative: int) -> None:
    from gensim.models import Word2Vec
    from gensim.test.utils import common_texts

    import embedkit.embeddings.loss as loss_module

    model = Word2Vec(common_texts, vector_size=8, window=2, min_count=1, sg=sg, hs=hs, negative=negative,
                     epochs=2, workers=1, seed=3)
    probe = loss_module.LossProbe(model, common_texts)

    def sigmoid_loss(x: float) -> float:
        return float(np.log1p(np.exp(-x)))

    total = 0.0
    for row in range(probe.size):
        ids = [i for i in probe.inputs[row] if i >= 0]
        h = model.wv.vectors[ids].astype(np.float64).sum(0)
        h = h / len(ids) if not sg and probe.cbow_mean else h
        t = probe.targets[row]
        if negative:
            total += sigmoid_loss(h @ model.syn1neg[t])
            total += sum(sigmoid_loss(-(h @ model.syn1neg[n])) for n in probe.negatives[row] if n != t)
        if hs:
            code, point = model.wv.get_vecattr(int(t), "code"), model.wv.get_vecattr(int(t), "point")
            total += sum(sigmoid_loss((1 - 2 * int(c)) * (h @ model.syn1[p])) for c, p in zip(code, point, strict=True))
    expected = total / probe.size
    for block in (3, 1024):
        monkeypatch.setattr(loss_module, "_BLOCK", block)
        assert probe.loss(model) == pytest.approx(expected, rel=1e-6)  # float32 scores, as gensim's


@pytest.mark.parametrize("sg", [1, 0])
@pytest.mark.parametrize("window", [1, 3, 9])
def test_loss_probe_sample_is_every_prediction_with_its_full_window(sg: int, window: int) -> None:
    from embedkit.embeddings.loss import _predictions

    sentences = [[4, 7, 1, 9, 2], [], [3], [5, 6], [8, 0, 2, 2, 7, 1, 4]]
    inputs: list[list[int]] = []
    targets: list[int] = []
    for ids in sentences:  # the windows written out one target at a time
        for i, target in enumerate(ids):
            context = ids[max(0, i - window):i] + ids[i + 1:i + 1 + window]
            if context:
                inputs.extend([[c] for c in context] if sg else [context])
                targets.extend([target] * len(context) if sg else [target])
    got_inputs, got_targets = _predictions(sentences, window, bool(sg))
    assert got_targets.tolist() == targets
    assert [[i for i in row if i >= 0] for row in got_inputs.tolist()] == inputs
    assert got_inputs.shape[1] == max(map(len, inputs))
    empty_inputs, empty_targets = _predictions([[], [3]], window, bool(sg))
    assert empty_inputs.shape == (0, 1) and empty_targets.size == 0


def test_loss_probe_takes_the_same_sample_from_lines_as_from_token_lists() -> None:
    from gensim.models import Word2Vec
    from gensim.test.utils import common_texts

    from embedkit.embeddings.loss import LossProbe

    texts = common_texts * 40
    model = Word2Vec(texts, vector_size=8, window=2, min_count=1, epochs=1, workers=1, seed=3)
    lists = LossProbe(model, texts, sample_words=60)
    lines = LossProbe(model, (" ".join(words) for words in texts), sample_words=60)
    assert 0 < lists.size < sum(map(len, texts))
    np.testing.assert_array_equal(lines.inputs, lists.inputs)
    np.testing.assert_array_equal(lines.targets, lists.targets)
    assert lines.loss(model) == lists.loss(model)


def test_a_folder_given_as_the_token_file_is_named_as_a_folder(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="is a folder, not a token file"):
        train_word2vec(tmp_path)


def test_strings_for_token_lists_are_an_input_error_not_trained_as_letters() -> None:
    with pytest.raises(InputError, match="a string, not a list of tokens"):
        train_word2vec(["the cat sat", "the dog ran"], dim=5, epochs=1, min_count=1)
