"""`lm train` on raw text with the whole preprocessing (flags, or the word vectors' preprocess.toml), applied again
by generate, complete and perplexity; token files read as before (issue 15)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cli_helpers import assert_user_error, run_cli

from embedkit.text.config import PreprocessConfig
from embedkit.text.provenance import read_model_preprocess, sidecar_path, write_preprocess

pytestmark = pytest.mark.usefixtures("one_torch_thread")

RU = ["Кошки любят молоко и спят на диване.", "Кошку кормят рыбой, а кошке нравится тепло.",
      "Собаки громко лают во дворе.", "Собаку выгуливают утром, собаке холодно зимой."] * 10
TINY = ["--layers", "1", "--hidden", "8", "--emb-dim", "8", "--epochs", "1", "--bptt", "5", "--batch-size", "2",
        "--seed", "0", "--device", "cpu"]
RU_LEMMAS = ["--lang", "ru", "--lemmatize"]


def _train(capsys: pytest.CaptureFixture[str], *args: object) -> str:
    code, out, err = run_cli(capsys, "lm", "train", *args)
    assert code == 0, err
    return err


def _vocab(model: Path) -> list[str]:
    return json.loads((model / "vocab.json").read_text(encoding="utf-8"))["itos"]


def _input(model: Path) -> str:
    return json.loads((model / "config.json").read_text())["input"]


@pytest.fixture(scope="module")
def texts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("lmtext")
    (folder / "raw_ru.txt").write_text("\n".join(RU) + "\n", encoding="utf-8")
    (folder / "valid_ru.txt").write_text("Кошкам нравится молоко.\nСобаками кормят рыбой.\n", encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def lemma_model(texts: Path) -> Path:
    from embedkit.cli import main

    out = texts / "lemmas"
    with pytest.raises(SystemExit) as exit_info:
        main([str(a) for a in ("lm", "train", texts / "raw_ru.txt", "--valid", texts / "valid_ru.txt", "-o", out,
                               *RU_LEMMAS, *TINY)])
    assert exit_info.value.code == 0
    return out


def test_train_on_raw_russian_text_learns_lemmas(lemma_model: Path) -> None:
    vocab = _vocab(lemma_model)
    assert {"кошка", "собака", "любить", "кормить", "диван"} <= set(vocab)
    assert not {"кошки", "кошку", "кошке", "собаки", "любят", "Кошки", "."} & set(vocab)
    recorded = read_model_preprocess(lemma_model)
    assert recorded is not None and recorded.lang == "ru" and recorded.lemmatize
    assert _input(lemma_model) == "text"
    results = json.loads((lemma_model / "config.json").read_text())["results"]
    assert "valid_perplexity" in results  # the inflected validation text went through the lemmatiser too


def test_generate_complete_and_perplexity_go_through_the_lemmatiser(capsys, lemma_model: Path, texts: Path) -> None:
    code, out, err = run_cli(capsys, "lm", "generate", lemma_model, "--prompt", "Кошками", "--max-tokens", "3",
                             "--seed", "1")
    assert code == 0 and out.startswith("кошка"), err
    code, out, err = run_cli(capsys, "lm", "complete", lemma_model, "собаками", "-k", "3")
    assert code == 0 and len(out.splitlines()) == 3, err  # a whole word (its lemma is known): the next word
    code, out, err = run_cli(capsys, "lm", "complete", lemma_model, "соба", "-k", "3")
    assert code == 0 and out.split() == ["1.0000", "собака"], err  # a beginning: the words that start with it
    code, out, err = run_cli(capsys, "lm", "perplexity", lemma_model, texts / "valid_ru.txt")
    assert code == 0 and "0 unknown" in out, err


def test_without_lemmas_the_forms_stay_apart(capsys, texts: Path, tmp_path: Path) -> None:
    _train(capsys, texts / "raw_ru.txt", "-o", tmp_path / "forms", "--lang", "ru", "--keep-punct", *TINY)
    vocab = _vocab(tmp_path / "forms")
    assert {"кошки", "кошку", "кошке", "."} <= set(vocab) and "кошка" not in vocab
    assert read_model_preprocess(tmp_path / "forms") == PreprocessConfig(lang="ru", keep_punct=True)


@pytest.fixture(scope="module")
def lee_text(lee_corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The first documents of the Lee corpus: raw English with numbers and punctuation."""
    path = tmp_path_factory.mktemp("lee") / "lee.txt"
    path.write_text("".join(lee_corpus.read_text(encoding="utf-8").splitlines(keepends=True)[:6]), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def en_vectors(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Word vectors of dimension 8 that record their preprocessing: English, numbers masked, punctuation kept."""
    import numpy as np

    from embedkit.embeddings import Embeddings
    from embedkit.embeddings.formats import keyed_vectors

    words = ["the", "of", "a", "to", "in", "<num>", ".", ","]
    out = tmp_path_factory.mktemp("vec") / "vectors"
    Embeddings(keyed_vectors(words, np.random.default_rng(0).normal(size=(len(words), 8))),
               preprocess=PreprocessConfig(lang="en", mask_numbers=True, keep_punct=True)).save(out)
    return out


LEE_TINY = [*TINY[:-8], "--bptt", "10", "--batch-size", "8", "--seed", "0", "--device", "cpu"]


def test_the_vectors_preprocessing_is_the_start_and_flags_override_it(capsys, lee_text: Path, en_vectors: Path,
                                                                      tmp_path: Path) -> None:
    _train(capsys, lee_text, "-o", tmp_path / "theirs", "--embeddings", en_vectors, *LEE_TINY)
    assert read_model_preprocess(tmp_path / "theirs") == PreprocessConfig(lang="en", mask_numbers=True,
                                                                         keep_punct=True)
    vocab = _vocab(tmp_path / "theirs")
    assert {"<num>", ".", ","} <= set(vocab) and "500" not in vocab
    _train(capsys, lee_text, "-o", tmp_path / "mine", "--embeddings", en_vectors, "--drop-punct", "--lemmatize",
           *LEE_TINY)
    recorded = read_model_preprocess(tmp_path / "mine")
    assert recorded == PreprocessConfig(lang="en", mask_numbers=True, keep_punct=False, lemmatize=True)
    vocab = _vocab(tmp_path / "mine")
    assert "<num>" in vocab and not {".", ","} & set(vocab)
    assert "force" in vocab and "forced" not in vocab  # "forced to vacate", lemminflect's lemma


@pytest.fixture(scope="module")
def token_files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Token files as `embedkit preprocess` would leave them, one with a sidecar that claims lemmas: its
    inflected tokens show whether they were preprocessed again."""
    folder = tmp_path_factory.mktemp("tokens")
    lines = "\n".join(["кошки любят молоко", "собаки лают громко", "кошку кормят рыбой"] * 10) + "\n"
    (folder / "plain.txt").write_text(lines, encoding="utf-8")
    (folder / "tokens.txt").write_text(lines, encoding="utf-8")
    write_preprocess(sidecar_path(folder / "tokens.txt"), PreprocessConfig(lang="ru", lemmatize=True))
    return folder


def test_a_token_file_without_flags_is_read_as_before(capsys, token_files: Path, en_vectors: Path,
                                                      tmp_path: Path) -> None:
    from embedkit.models.language_model import LMBundle

    err = _train(capsys, token_files / "plain.txt", "-o", tmp_path / "plain", *TINY)
    assert "note" not in err
    assert not (tmp_path / "plain" / "preprocess.toml").exists() and _input(tmp_path / "plain") == "tokens"
    assert {"кошки", "кошку", "любят"} <= set(_vocab(tmp_path / "plain"))
    # the sidecar is the record and wins over the vectors' preprocess.toml; the tokens are not lemmatised again
    for name, extra in (("side", []), ("side-vec", ["--embeddings", en_vectors, "--emb-dim", "8"])):
        _train(capsys, token_files / "tokens.txt", "-o", tmp_path / name, *TINY, *extra)
        assert read_model_preprocess(tmp_path / name) == PreprocessConfig(lang="ru", lemmatize=True)
        assert {"кошки", "кошку", "любят"} <= set(_vocab(tmp_path / name)) and _input(tmp_path / name) == "tokens"
    code, out, err = run_cli(capsys, "lm", "perplexity", tmp_path / "side", token_files / "tokens.txt")
    assert code == 0 and "0 unknown" in out, err
    # a folder written before raw-text training (no "input" in config.json) is a token-file model
    meta = json.loads((tmp_path / "side" / "config.json").read_text())
    del meta["input"]
    (tmp_path / "side" / "config.json").write_text(json.dumps(meta))
    assert LMBundle.load(tmp_path / "side").units.raw_text is False


def test_flags_over_a_token_file_start_from_its_sidecar(capsys, token_files: Path, tmp_path: Path) -> None:
    err = _train(capsys, token_files / "tokens.txt", "-o", tmp_path / "m", "--stopwords", *TINY)
    assert "preprocessing flags run over its tokens again" in err
    assert read_model_preprocess(tmp_path / "m") == PreprocessConfig(lang="ru", lemmatize=True, stopwords=True)
    assert {"кошка", "любить"} <= set(_vocab(tmp_path / "m")) and _input(tmp_path / "m") == "text"


@pytest.mark.parametrize("args, needle", [
    (["--lang", "xx"], "unknown language 'xx'"),
    (["--lemmatize", "--stem"], "either lemmatize or stem"),
    (["--tokenizer", "spacy"], "unknown tokenizer"),
    (["--stopwords", "--stopwords-file", "no-such-list.txt"], "no-such-list.txt"),
])
def test_bad_preprocessing_is_one_line_and_writes_nothing(capsys, texts: Path, tmp_path: Path, args: list[str],
                                                          needle: str) -> None:
    assert_user_error(run_cli(capsys, "lm", "train", texts / "raw_ru.txt", "-o", tmp_path / "out", *TINY, *args),
                      needle)
    assert not (tmp_path / "out").exists()
