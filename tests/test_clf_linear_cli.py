"""`clf train` with the whole preprocessing, `--model linear`, `--cv K [--rolling]`, `clf eval --baseline`, and
the [clf] stage's linear baseline (issue 15)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from cli_helpers import assert_user_error, run_cli

from embedkit.cli import main

CATS = ["кошки любят молоко", "кошка спит на диване", "кошек кормят рыбой", "кошке нравится тепло"]
DOGS = ["собаки лают громко", "собака бегает во дворе", "собак выгуливают утром", "собаке холодно зимой"]
RU = "text\tlabel\n" + "".join(f"{c}\tкошка\n{d}\tсобака\n" for _ in range(5) for c, d in zip(CATS, DOGS, strict=True))
EN = "text\tlabel\n" + "".join(
    f"{'the film was great fun' if i % 2 else 'the plot was dull and awful'} {i % 3}\t{'pos' if i % 2 else 'neg'}\n"
    for i in range(40))
TINY = ["--dim", "8", "--hidden", "8", "--epochs", "1", "--min-count", "1", "--seed", "1"]


def call(*args: object) -> None:
    try:
        main([str(a) for a in args])
    except SystemExit as exc:
        assert not exc.code, exc


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("clfdata")
    (folder / "ru.tsv").write_text(RU)
    (folder / "en.tsv").write_text(EN)
    (folder / "inflected.txt").write_text("кошками\nсобаками\n")
    return folder


def _predicted(capsys: pytest.CaptureFixture[str], model: Path, texts: Path) -> list[str]:
    capsys.readouterr()
    code, out, _ = run_cli(capsys, "clf", "predict", model, texts)
    assert code == 0
    return [line.split("\t")[0] for line in out.splitlines()]


def test_linear_with_russian_lemmas_knows_an_unseen_inflected_form(data: Path, tmp_path, capsys) -> None:
    call("clf", "train", data / "ru.tsv", "-o", tmp_path / "lemmas", "--model", "linear", "--lang", "ru",
         "--lemmatize")
    meta = json.loads((tmp_path / "lemmas" / "config.json").read_text())
    assert meta["architecture"] == "nb-linear" and meta["model"]["text"]["lemmatize"] is True
    assert _predicted(capsys, tmp_path / "lemmas", data / "inflected.txt") == ["кошка", "собака"]
    # without lemmas the forms are unknown n-grams: every class gets the prior, no confident answer
    call("clf", "train", data / "ru.tsv", "-o", tmp_path / "forms", "--model", "linear", "--lang", "ru")
    capsys.readouterr()
    code, out, _ = run_cli(capsys, "clf", "predict", tmp_path / "forms", data / "inflected.txt", "--json")
    assert all(abs(json.loads(line)["probability"] - 0.5) < 0.05 for line in out.splitlines())


def test_rnn_trains_on_russian_lemmas_and_predicts_through_them(data: Path, tmp_path, capsys) -> None:
    from embedkit.models.load import load_classifier

    call("clf", "train", data / "ru.tsv", "-o", tmp_path / "rnn", "--lang", "ru", "--lemmatize", "--stopwords",
         "--mask-numbers", "--tokenizer", "regex", *TINY)
    clf = load_classifier(tmp_path / "rnn")
    assert clf.config.text.lemmatize and clf.config.text.stopwords and clf.config.text.mask_numbers
    assert clf.tokenize("кошками") == clf.tokenize("кошке") == ["кошка"]
    assert len(_predicted(capsys, tmp_path / "rnn", data / "inflected.txt")) == 2


def test_embeddings_preprocessing_is_the_start_and_flags_override_it(data: Path, tmp_path) -> None:
    import numpy as np

    from embedkit.embeddings import Embeddings
    from embedkit.embeddings.formats import keyed_vectors
    from embedkit.models.load import load_classifier
    from embedkit.text.config import PreprocessConfig

    words = ["the", "film", "was", "great", "fun", "plot", "dull", "and", "awful", "<num>"]

    vectors = Embeddings(keyed_vectors(words, np.random.default_rng(0).normal(size=(len(words), 6))),
                         preprocess=PreprocessConfig(lang="en", mask_numbers=True, keep_punct=True))
    vectors.save(tmp_path / "vec")
    call("clf", "train", data / "en.tsv", "-o", tmp_path / "m", "--embeddings", tmp_path / "vec", "--drop-punct",
         *TINY[2:])
    text = load_classifier(tmp_path / "m").config.text
    assert text.mask_numbers and text.lang == "en" and not text.keep_punct


def test_eval_loads_either_kind_and_prints_the_baseline(data: Path, tmp_path, capsys) -> None:
    call("clf", "train", data / "en.tsv", "-o", tmp_path / "rnn", *TINY)
    call("clf", "train", data / "en.tsv", "-o", tmp_path / "lin", "--model", "linear")
    capsys.readouterr()
    code, out, _ = run_cli(capsys, "clf", "eval", tmp_path / "lin", data / "en.tsv", "--json")
    assert code == 0 and json.loads(out)["accuracy"] == 1.0
    code, out, _ = run_cli(capsys, "clf", "eval", tmp_path / "rnn", data / "en.tsv", "--baseline", data / "en.tsv")
    assert code == 0 and "linear baseline: accuracy 1.0000" in out and "confusion" in out
    code, out, _ = run_cli(capsys, "clf", "eval", tmp_path / "rnn", data / "en.tsv", "--json",
                           "--baseline", data / "en.tsv")
    assert json.loads(out)["baseline"]["accuracy"] == 1.0


@pytest.mark.parametrize("model", ["linear", "rnn"])
def test_cv_prints_each_fold_and_the_mean_and_writes_nothing(data: Path, tmp_path, capsys, model: str) -> None:
    extra = TINY if model == "rnn" else []
    code, out, _ = run_cli(capsys, "clf", "train", data / "en.tsv", "--model", model, "--cv", "4", "--json", *extra)
    result = json.loads(out)
    assert code == 0 and [f["test"] for f in result["folds"]] == [10, 10, 10, 10]
    assert result["mean_accuracy"] == pytest.approx(sum(f["accuracy"] for f in result["folds"]) / 4, abs=1e-4)
    if model == "linear":
        assert result["mean_accuracy"] == 1.0
    assert list(tmp_path.iterdir()) == []


def test_cv_with_output_also_saves_the_final_model(data: Path, tmp_path, capsys) -> None:
    code, out, _ = run_cli(capsys, "clf", "train", data / "en.tsv", "--model", "linear", "--cv", "2",
                           "-o", tmp_path / "m")
    assert code == 0 and out.count("fold ") == 2 and "mean accuracy" in out
    assert json.loads((tmp_path / "m" / "config.json").read_text())["architecture"] == "nb-linear"


def test_rolling_folds_train_on_the_past_only(data: Path, capsys) -> None:
    code, out, _ = run_cli(capsys, "clf", "train", data / "en.tsv", "--model", "linear", "--cv", "3",
                           "--rolling", "--json")
    result = json.loads(out)
    assert result["kind"] == "rolling-origin"
    assert [(f["train"], f["test"]) for f in result["folds"]] == [(10, 10), (20, 10), (30, 10)]


def test_folds_partition_the_data_and_keep_the_class_mix() -> None:
    from embedkit.training.crossval import kfold_splits, rolling_splits

    labels = ["a"] * 12 + ["b"] * 6
    splits = kfold_splits(labels, 3, seed=0)
    assert sorted(i for _, test in splits for i in test) == list(range(18))
    assert all(sorted(labels[i] for i in test) == ["a"] * 4 + ["b"] * 2 for _, test in splits)
    assert all(set(train).isdisjoint(test) for train, test in splits)
    for train, test in rolling_splits(18, 2):
        assert max(train) < min(test)


@pytest.mark.parametrize(("extra", "needle"), [
    (["--cv", "1"], "at least 2"),
    (["--cv", "0"], "at least 2"),
    (["--model", "xyz", "-o", "never"], "unknown model"),
    (["--rolling", "-o", "never"], "--cv"),
    ([], "--output"),
    (["--cv", "41"], "too few"),
    (["--lang", "fr", "-o", "never"], "language"),
    (["--lemmatize", "--stem", "-o", "never"], "lemmatize or stem"),
])
def test_bad_values_are_one_line(data: Path, tmp_path, capsys, monkeypatch, extra: list[str], needle: str) -> None:
    monkeypatch.chdir(tmp_path)
    assert_user_error(run_cli(capsys, "clf", "train", data / "en.tsv", "--model", "linear", *extra)
                      if "--model" not in extra else run_cli(capsys, "clf", "train", data / "en.tsv", *extra), needle)
    assert not (tmp_path / "never").exists()


def test_stage_reports_the_linear_baseline_beside_the_rnn(data: Path, tmp_path) -> None:
    from rich.console import Console

    from embedkit.errors import ConfigError
    from embedkit.run import stage_clf
    from embedkit.run.context import RunContext

    ctx = RunContext(out_dir=tmp_path / "out", base_dir=data, console=Console(file=io.StringIO()))
    table = {"input": "en.tsv", "test": "en.tsv", "epochs": 1, "emb_dim": 8, "hidden": 8, "min_count": 1}
    summary = stage_clf.stage(table, ctx)
    assert summary["baseline_test_accuracy"] == 1.0 and 0 <= summary["test_accuracy"] <= 1
    assert "baseline_test_accuracy" not in stage_clf.stage({**table, "baseline": False}, ctx)
    with pytest.raises(ConfigError, match="baseline"):
        stage_clf.check({**table, "baseline": "yes"})
