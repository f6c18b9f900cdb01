"""`embedkit clf` from the command line: happy paths and every error path (exit 2)."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import pytest
from cli_helpers import assert_user_error, run_cli

from embedkit.cli import main

TRAIN = "text\tlabel\n" + "".join(
    f"{'the film was great fun' if i % 2 else 'the plot was dull and awful'} {i % 3}\t{'pos' if i % 2 else 'neg'}\n"
    for i in range(40))
TINY = ["--emb-dim", "8", "--hidden", "8", "--epochs", "2", "--min-count", "1", "--seed", "1"]


def call(args: list[str]) -> None:
    """Run the CLI and insist that it succeeds."""
    try:
        main(args)
    except SystemExit as exc:
        assert not exc.code, exc


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    return run_cli(capsys, *args)


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("clf")
    (folder / "train.tsv").write_text(TRAIN)
    call(["clf", "train", str(folder / "train.tsv"), "-o", str(folder / "model"), "--bidirectional", *TINY])
    return folder


def test_clf_train_eval_predict(trained: Path, capsys) -> None:
    model = trained / "model"
    assert {"model.safetensors", "config.json", "vocab.json", "labels.json"} <= {p.name for p in model.iterdir()}
    code, out, _ = run(["clf", "eval", str(model), str(trained / "train.tsv")], capsys)
    assert code == 0 and "accuracy" in out and "macro-F1" in out and "confusion" in out
    code, out, _ = run(["clf", "eval", str(model), str(trained / "train.tsv"), "--json"], capsys)
    report = json.loads(out)
    assert report["items"] == 40 and len(report["confusion"]) == 2
    (trained / "texts.txt").write_text("great fun\nawful plot\n")
    code, out, _ = run(["clf", "predict", str(model), str(trained / "texts.txt"), "--json"], capsys)
    rows = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and len(rows) == 2 and set(rows[0]["probabilities"]) == {"neg", "pos"}
    code, out, _ = run(["clf", "predict", str(model), str(trained / "texts.txt")], capsys)
    assert code == 0 and len(out.splitlines()) == 2 and out.split("\t")[0] in ("neg", "pos")


def test_clf_predict_from_stdin(trained: Path, capsys, monkeypatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"great fun\nawful\n")))
    code, out, _ = run(["clf", "predict", str(trained / "model"), "-"], capsys)
    assert code == 0 and len(out.splitlines()) == 2


def test_clf_train_says_once_when_it_truncates(tmp_path, capsys) -> None:
    (tmp_path / "t.tsv").write_text(TRAIN)
    code, _, err = run(["clf", "train", str(tmp_path / "t.tsv"), "-o", str(tmp_path / "m"), "--max-len", "3",
                        *TINY], capsys)
    assert code == 0 and err.count("truncated") == 1


@pytest.mark.parametrize("content, extra, needle", [
    ("text\n" + "a film\n" * 5, [], "label"),
    ("text\tlabel\n" + "a film\tpos\n" * 5, [], "one class"),
    (TRAIN, ["--label-col", "stars"], "stars"),
    (TRAIN, ["--cell", "transformer"], "cell"),
    (TRAIN, ["--pooling", "attention"], "pooling"),
    (TRAIN, ["--dropout", "1.5"], "dropout"),
    (TRAIN, ["--average", "1"], "average"),
    ("", [], "no texts"),
    (TRAIN, ["--encoding", "klingon"], "encoding"),
    (TRAIN, ["--valid", "/nonexistent/valid.tsv"], "no such file"),
])
def test_clf_train_errors_leave_nothing(tmp_path, capsys, content: str, extra: list[str], needle: str) -> None:
    data = tmp_path / "data.tsv"
    data.write_text(content)
    out = tmp_path / "model"
    assert_user_error(run(["clf", "train", str(data), "-o", str(out), *TINY, *extra], capsys), needle)
    assert not out.exists()


def test_clf_train_nb_features_and_weight_average(tmp_path, capsys) -> None:
    data = tmp_path / "train.tsv"
    data.write_text(TRAIN)
    call(["clf", "train", str(data), "-o", str(tmp_path / "m"), *TINY, "--nb-features", "--average", "0.9",
          "--batch-size", "4", "--epochs", "10", "--lr", "0.02"])
    capsys.readouterr()
    saved = json.loads((tmp_path / "m" / "config.json").read_text())["model"]
    assert saved["nb_features"] is True
    code, out, _ = run(["clf", "eval", str(tmp_path / "m"), str(data), "--json"], capsys)
    assert code == 0 and json.loads(out)["accuracy"] > 0.9


def test_clf_train_rejects_missing_file(tmp_path, capsys) -> None:
    assert_user_error(run(["clf", "train", str(tmp_path / "none.tsv"), "-o", str(tmp_path / "m")], capsys),
                      "no such file")
    assert not (tmp_path / "m").exists()


def test_clf_eval_and_predict_errors(trained: Path, tmp_path, capsys) -> None:
    model = str(trained / "model")
    assert_user_error(run(["clf", "eval", str(tmp_path / "nomodel"), str(trained / "train.tsv")], capsys),
                      "no such model")
    (tmp_path / "other.tsv").write_text("text\tlabel\nfine\tneutral\n")
    assert_user_error(run(["clf", "eval", model, str(tmp_path / "other.tsv")], capsys), "neutral")
    (tmp_path / "nolabel.tsv").write_text("text\nfine\n")
    assert_user_error(run(["clf", "eval", model, str(tmp_path / "nolabel.tsv")], capsys), "label")
    (tmp_path / "bin.txt").write_bytes(b"\x00\x01\x02" * 100)
    assert_user_error(run(["clf", "predict", model, str(tmp_path / "bin.txt")], capsys), "binary")
    (tmp_path / "cp.txt").write_bytes("caf\u00e9 \u2014 great\n".encode("cp1252"))
    assert_user_error(run(["clf", "predict", model, str(tmp_path / "cp.txt")], capsys), "utf-8")
    code, out, _ = run(["clf", "predict", model, str(tmp_path / "cp.txt"), "--encoding", "cp1252"], capsys)
    assert code == 0 and len(out.splitlines()) == 1
    # a folder of another architecture: an n-gram model, or a classifier whose weights were swapped
    (tmp_path / "ng.txt").write_text("a b c\n")
    call(["ngram", "train", str(tmp_path / "ng.txt"), "-o", str(tmp_path / "ng")])
    assert_user_error(run(["clf", "predict", str(tmp_path / "ng"), str(tmp_path / "ng.txt")], capsys))
    assert_user_error(run(["ngram", "perplexity", model, str(tmp_path / "ng.txt")], capsys))


def test_clf_train_resumes_from_its_checkpoint(tmp_path, capsys) -> None:
    (tmp_path / "t.tsv").write_text(TRAIN)
    base = ["clf", "train", str(tmp_path / "t.tsv"), "-o", str(tmp_path / "m"), "--emb-dim", "8", "--hidden", "8",
            "--min-count", "1"]
    code, out, _ = run([*base, "--epochs", "1"], capsys)
    assert code == 0 and "1 epochs" in out
    code, out, _ = run([*base, "--epochs", "2", "--resume"], capsys)
    assert code == 0 and "2 epochs" in out
    records = [json.loads(x) for x in (tmp_path / "m" / "training" / "metrics.jsonl").read_text().splitlines()]
    assert [r["epoch"] for r in records if r["event"] == "epoch"] == [1, 2]


def test_clf_train_takes_the_old_flag_spellings_with_a_warning(tmp_path, capsys) -> None:
    (tmp_path / "t.tsv").write_text(TRAIN)
    base = ["clf", "train", str(tmp_path / "t.tsv"), "-o", str(tmp_path / "m"), "--hidden", "4", "--epochs", "1",
            "--min-count", "1"]
    code, _, err = run([*base, "--dim", "6", "--embedding-dropout", "0.1"], capsys)
    assert code == 0, err
    assert [line for line in err.splitlines() if line.startswith("warning:")] == [
        "warning: '--dim' in clf train is now '--emb-dim'; the old name goes in the next release",
        "warning: '--embedding-dropout' in clf train is now '--emb-dropout'; the old name goes in the next release"]
    model = json.loads((tmp_path / "m" / "config.json").read_text())["model"]
    assert (model["emb_dim"], model["emb_dropout"]) == (6, 0.1)
    assert_user_error(run([*base, "--dim", "6", "--emb-dim", "6"], capsys), "--emb-dim or its old spelling --dim")


def test_clf_train_config_is_a_pipeline_clf_table(tmp_path, capsys) -> None:
    (tmp_path / "t.tsv").write_text(TRAIN)
    config = tmp_path / "p.toml"
    config.write_text('[clf]\ninput = "elsewhere.tsv"\nemb_dim = 6\nhidden = 4\nepochs = 1\nmin_count = 1\n'
                      'embedding_dropout = 0.1\n')
    code, _, err = run(["clf", "train", str(tmp_path / "t.tsv"), "-o", str(tmp_path / "m"), "--config", str(config),
                        "--hidden", "5"], capsys)
    assert code == 0, err
    assert f"note: clf train takes input from its arguments, not from {config}" in err
    assert "warning: 'embedding_dropout' in [clf] is now 'emb_dropout'" in err
    model = json.loads((tmp_path / "m" / "config.json").read_text())["model"]
    assert (model["emb_dim"], model["hidden"], model["emb_dropout"]) == (6, 5, 0.1)  # the flag wins over the file
    config.write_text("[clf]\ncolour = 1\n")
    assert_user_error(run(["clf", "train", str(tmp_path / "t.tsv"), "-o", str(tmp_path / "m2"), "--config",
                           str(config)], capsys), "unknown option 'colour' in [clf]")


def test_clf_column_number_out_of_range(tmp_path, capsys) -> None:
    data = tmp_path / "two.tsv"
    data.write_text("".join(f"text number {i}\t{'pos' if i % 2 else 'neg'}\n" for i in range(10)))
    for option in ("--label-col", "--text-col"):
        assert_user_error(run(["clf", "train", str(data), "-o", str(tmp_path / "m"), *TINY, option, "7"], capsys),
                          f"{option} 7 is out of range: the file has 2 columns")
    assert not (tmp_path / "m").exists()


def test_clf_output_must_be_a_model_folder(tmp_path, capsys, monkeypatch) -> None:
    (tmp_path / "t.tsv").write_text(TRAIN)
    target = tmp_path / "notes.txt"
    target.write_text("mine\n")
    assert_user_error(run(["clf", "train", str(tmp_path / "t.tsv"), "-o", str(target), *TINY], capsys),
                      "not a folder")
    assert target.read_text() == "mine\n"
    folder = tmp_path / "papers"
    folder.mkdir()
    (folder / "thesis.tex").write_text("years of work\n")
    assert_user_error(run(["clf", "train", str(tmp_path / "t.tsv"), "-o", str(folder), *TINY], capsys),
                      "not an embedkit model folder")
    assert [p.name for p in folder.iterdir()] == ["thesis.tex"]
    monkeypatch.chdir(folder)
    assert_user_error(run(["clf", "train", str(tmp_path / "t.tsv"), "-o", ".", *TINY], capsys), "current folder")
    assert [p.name for p in folder.iterdir()] == ["thesis.tex"]


def test_clf_resume_needs_a_checkpoint(tmp_path, capsys) -> None:
    (tmp_path / "t.tsv").write_text(TRAIN)
    out = tmp_path / "m"
    assert_user_error(run(["clf", "train", str(tmp_path / "t.tsv"), "-o", str(out), *TINY, "--resume"], capsys),
                      "no training checkpoint")
    assert not out.exists()


def test_clf_threads_default_and_option(trained: Path, capsys) -> None:
    import torch

    from embedkit.models.threads import default_threads

    model, data = str(trained / "model"), str(trained / "train.tsv")
    for args in (["eval", model, data], ["predict", model, data]):
        torch.set_num_threads(3)
        assert run(["clf", *args], capsys)[0] == 0
        assert torch.get_num_threads() == default_threads()
        assert run(["clf", *args, "--threads", "1"], capsys)[0] == 0
        assert torch.get_num_threads() == 1
    assert_user_error(run(["clf", "eval", model, data, "--threads", "0"], capsys), "threads must be positive")


def test_clf_seeded_training_repeats_exactly(tmp_path, capsys) -> None:
    (tmp_path / "t.tsv").write_text(TRAIN)
    weights = []
    for name in ("a", "b"):
        code, _, err = run(["clf", "train", str(tmp_path / "t.tsv"), "-o", str(tmp_path / name), *TINY,
                            "--threads", "2"], capsys)
        assert code == 0, err
        weights.append((tmp_path / name / "model.safetensors").read_bytes())
    assert weights[0] == weights[1]
