"""`embedkit w2v`: the happy path end to end, and every user error as one stderr line, exit code 2, no output."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from cli_helpers import assert_user_error, run_cli
from gensim.models import KeyedVectors

from embedkit.cli import main
from embedkit.embeddings import Embeddings


@pytest.fixture(scope="module")
def workdir(lee_corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("cli")
    lines = [" ".join(line.lower().split()) for line in lee_corpus.read_text(encoding="utf-8").splitlines()]
    (folder / "tok.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def model(workdir: Path) -> Path:
    out = workdir / "vec"
    with pytest.raises(SystemExit) as info:
        main(["w2v", "train", str(workdir / "tok.txt"), "-o", str(out), "--arch", "skipgram", "--dim", "16",
              "--min-count", "3", "--epochs", "2", "--workers", "1", "--seed", "3"])
    assert info.value.code in (0, None)
    return out


def test_train_writes_a_readable_folder(model: Path) -> None:
    meta = json.loads((model / "meta.json").read_text())
    assert meta["config"]["arch"] == "skipgram" and meta["config"]["dim"] == 16 and meta["config"]["epochs"] == 2
    assert len(meta["loss_per_epoch"]) == 2
    assert (model / "vectors.bin").is_file() and (model / "vocab.json").is_file()


def test_similar_json_and_plain(model: Path, capsys: pytest.CaptureFixture[str]) -> None:
    emb = Embeddings.load(model)
    code, out, _ = run_cli(capsys, "w2v", "similar", model, "government", "police", "--topn", "3", "--json")
    assert code == 0
    data = json.loads(out)
    assert set(data) == {"government", "police"}
    for word in ("government", "police"):
        expected = emb.most_similar(word, topn=3)
        assert [row[0] for row in data[word]] == [w for w, _ in expected]
        assert [row[1] for row in data[word]] == pytest.approx([s for _, s in expected], abs=1e-4)
    code, out, _ = run_cli(capsys, "w2v", "similar", model, "government", "--topn", "2")
    lines = out.splitlines()
    assert code == 0 and lines[0] == "government" and len(lines) == 3
    assert [line.split()[0] for line in lines[1:]] == [w for w, _ in emb.most_similar("government", topn=2)]


def test_analogy_eval_export(model: Path, workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from gensim.test.utils import datapath

    code, out, _ = run_cli(capsys, "w2v", "analogy", model, "man", "king", "woman", "--topn", "2", "--json")
    expected = Embeddings.load(model).analogy_scores("man", "king", "woman", topn=2)
    assert code == 0 and [row[0] for row in json.loads(out)] == [w for w, _ in expected]
    code, out, _ = run_cli(capsys, "w2v", "eval", model, "--analogies", datapath("questions-words.txt"),
                           "--pairs", datapath("wordsim353.tsv"), "--json")
    report = json.loads(out)
    assert code == 0
    assert report["pairs"][datapath("wordsim353.tsv")]["pairs"] == 353
    assert report["analogies"][datapath("questions-words.txt")]["oov"] > 0
    target = workdir / "v.txt"
    code, _, err = run_cli(capsys, "w2v", "export", model, "--format", "word2vec", "-o", target)
    assert code == 0, err
    kv = KeyedVectors.load_word2vec_format(str(target))
    np.testing.assert_allclose(kv["government"], Embeddings.load(model).vector("government"), atol=1e-6)


def _bad_inputs(workdir: Path, model: Path) -> dict[str, list[str]]:
    empty = workdir / "empty.txt"
    empty.write_text("")
    truncated = workdir / "trunc"
    truncated.mkdir(exist_ok=True)
    for name in ("meta.json", "vocab.json"):
        (truncated / name).write_bytes((model / name).read_bytes())
    data = (model / "vectors.bin").read_bytes()
    (truncated / "vectors.bin").write_bytes(data[: len(data) // 3])
    tok = str(workdir / "tok.txt")
    return {
        "empty corpus": ["w2v", "train", str(empty), "-o", "{out}"],
        "min count": ["w2v", "train", tok, "-o", "{out}", "--min-count", "100000"],
        "zero dim": ["w2v", "train", tok, "-o", "{out}", "--dim", "0"],
        "bad arch": ["w2v", "train", tok, "-o", "{out}", "--arch", "glove"],
        "no workers": ["w2v", "train", tok, "-o", "{out}", "--workers", "-1"],
        "missing corpus": ["w2v", "train", str(workdir / "nope.txt"), "-o", "{out}"],
        "bad vectors format": ["w2v", "train", tok, "-o", "{out}", "--vectors-format", "pickle"],
        "unknown word": ["w2v", "similar", str(model), "governmnet"],
        "truncated model": ["w2v", "similar", str(truncated), "government"],
        "missing model": ["w2v", "similar", str(workdir / "nomodel"), "government"],
        "bad method": ["w2v", "analogy", str(model), "a", "b", "c", "--method", "pairdir"],
        "nothing to eval": ["w2v", "eval", str(model)],
        "bad restrict vocab": ["w2v", "eval", str(model), "--pairs", "wordsim353.tsv", "--restrict-vocab", "-1"],
        "bad export format": ["w2v", "export", str(model), "--format", "pickle", "-o", "{out}"],
        "missing vocab": ["w2v", "export", str(model), "--format", "npy", "-o", "{out}",
                          "--vocab", str(workdir / "novocab.json")],
    }


@pytest.mark.parametrize("case", ["empty corpus", "min count", "zero dim", "bad arch", "no workers",
                                  "missing corpus", "bad vectors format", "unknown word", "truncated model",
                                  "missing model", "bad method", "nothing to eval", "bad export format",
                                  "missing vocab", "bad restrict vocab"])
def test_errors_are_one_line_exit_2_and_leave_nothing(case: str, workdir: Path, model: Path, tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    out_path = tmp_path / "out"
    argv = [a.replace("{out}", str(out_path)) for a in _bad_inputs(workdir, model)[case]]
    needle = {"min count": "lower min_count", "unknown word": "government"}.get(case, "")
    assert_user_error(run_cli(capsys, *argv), needle)
    assert list(tmp_path.iterdir()) == [], "nothing half-written"


def test_train_help_shows_the_config_defaults(capsys: pytest.CaptureFixture[str]) -> None:
    from embedkit.embeddings import Word2VecConfig

    defaults = Word2VecConfig()
    code, out, _ = run_cli(capsys, "w2v", "train", "--help")
    flat = " ".join(out.replace("│", " ").split())
    assert code == 0
    for text in (f"Vector size. (default: {defaults.dim})", f"Passes over the corpus. (default: {defaults.epochs})",
                 f"(default: {defaults.arch})", f"(default: {defaults.min_count})"):
        assert text in flat


@pytest.mark.parametrize("command", [["w2v", "train"], ["ngram", "train"]])
def test_train_refuses_a_folder_that_is_not_a_model_folder(command: list[str], workdir: Path, tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    """-o on a folder of the user's files used to delete them all, the input corpus included."""
    corpus = tmp_path / "tok.txt"
    corpus.write_bytes((workdir / "tok.txt").read_bytes())
    (tmp_path / "notes.md").write_text("mine")
    assert_user_error(run_cli(capsys, *command, corpus, "-o", tmp_path, "--min-count", "3"),
                      "not an embedkit model folder")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.md", "tok.txt"]


def test_train_replaces_a_model_folder_in_one_step(workdir: Path, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    out_dir = tmp_path / "vec"
    args = ["w2v", "train", str(workdir / "tok.txt"), "-o", str(out_dir), "--dim", "8", "--epochs", "1",
            "--min-count", "3", "--workers", "1"]
    assert run_cli(capsys, *args)[0] == 0
    (tmp_path / ".vec.old").mkdir()
    (tmp_path / ".vec.old" / "keep.txt").write_text("not ours")
    first = (out_dir / "meta.json").read_text()
    assert run_cli(capsys, *args, "--dim", "12")[0] == 0
    assert json.loads((out_dir / "meta.json").read_text())["dim"] == 12 and first != (out_dir / "meta.json").read_text()
    assert sorted(p.name for p in tmp_path.iterdir()) == [".vec.old", "vec"], "no temporary folders left behind"
    assert (tmp_path / ".vec.old" / "keep.txt").read_text() == "not ours"


def test_train_into_the_current_folder_is_a_clear_error(workdir: Path, tmp_path: Path, monkeypatch,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "tok.txt").write_bytes((workdir / "tok.txt").read_bytes())
    monkeypatch.chdir(tmp_path)
    assert_user_error(run_cli(capsys, "w2v", "train", "tok.txt", "-o", ".", "--min-count", "3", "--epochs", "1"))
    assert [p.name for p in tmp_path.iterdir()] == ["tok.txt"]


def test_eval_accepts_gensim_names_as_the_readme_writes_them(model: Path, workdir: Path, monkeypatch,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(workdir)
    code, out, err = run_cli(capsys, "w2v", "eval", model, "--analogies", "questions-words.txt", "--pairs",
                             "simlex999.txt", "--pairs", "gensim:wordsim353.tsv", "--json")
    assert code == 0, err
    report = json.loads(out)
    assert report["pairs"]["simlex999.txt"]["pairs"] == 999 and report["pairs"]["gensim:wordsim353.tsv"]["pairs"] == 353
    assert report["analogies"]["questions-words.txt"]["total"] > 0
    assert_user_error(run_cli(capsys, "w2v", "eval", model, "--pairs", "no-such-set.txt"),
                      "no such file, and gensim ships no test file")
