"""The lectures' options from the command line: recurrent dropout, init and forget bias, no clipping (lm and clf
train, flags and TOML), beam search and partial-word completion, the exploding-gradient and clipping diagnosis."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cli_helpers import assert_user_error, run_cli

import embedkit.training.clf as clf_training

pytestmark = pytest.mark.usefixtures("one_torch_thread")

SENTENCES = ["the cat sat on the mat", "the dog sat on the log", "a cat and a dog met on the mat"] * 20
TINY = ["--layers", "1", "--hidden", "8", "--emb-dim", "8", "--epochs", "1", "--bptt", "5", "--batch-size", "2",
        "--seed", "0", "--device", "cpu"]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("recurrent")
    (folder / "train.txt").write_text("\n".join(SENTENCES) + "\n")
    return folder


@pytest.fixture(scope="module")
def model_dir(corpus: Path) -> Path:
    out = corpus / "model"
    from embedkit.cli import main

    with pytest.raises(SystemExit) as info:
        main(["lm", "train", str(corpus / "train.txt"), "-o", str(out), *TINY, "--recurrent-dropout", "0.3",
              "--forget-bias", "2", "--clip", "0"])
    assert info.value.code == 0
    return out


def test_lm_train_flags_reach_the_saved_config(model_dir: Path) -> None:
    meta = json.loads((model_dir / "config.json").read_text())
    assert meta["model"]["recurrent_dropout"] == 0.3 and meta["model"]["forget_bias"] == 2.0
    assert meta["model"]["init"] == "orthogonal"
    assert meta["trainer"]["clip_mode"] == "none"


def test_lm_train_options_from_toml_and_bad_values(capsys, corpus: Path, tmp_path: Path) -> None:
    (tmp_path / "lm.toml").write_text('[lm]\nrecurrent_dropout = 0.2\ninit = "torch"\n'
                                      '[trainer]\nclip_mode = "none"\n')
    out = tmp_path / "m"
    code, _, err = run_cli(capsys, "lm", "train", corpus / "train.txt", "-o", out, *TINY, "--config",
                           tmp_path / "lm.toml")
    assert code == 0, err
    meta = json.loads((out / "config.json").read_text())
    assert meta["model"]["recurrent_dropout"] == 0.2 and meta["model"]["init"] == "torch"
    assert meta["trainer"]["clip_mode"] == "none"
    for extra, needle in ((["--recurrent-dropout", "1.5"], "recurrent_dropout"), (["--init", "xavier"], "init"),
                          (["--init", "torch", "--forget-bias", "2"], "forget_bias"),
                          (["--clip-mode", "sometimes"], "clip mode")):
        bad = tmp_path / "bad"
        assert_user_error(run_cli(capsys, "lm", "train", corpus / "train.txt", "-o", bad, *TINY, *extra), needle)
        assert not bad.exists()


def test_clf_train_flags_reach_the_model_and_the_trainer(capsys, tmp_path: Path, monkeypatch) -> None:
    rows = "".join(f"{'great fun film' if i % 2 else 'dull awful plot'} {i}\t{'pos' if i % 2 else 'neg'}\n"
                   for i in range(30))
    (tmp_path / "train.tsv").write_text("text\tlabel\n" + rows)
    seen: dict = {}
    original = clf_training.train_classifier

    def spy(prepared, tconfig, **kwargs):
        seen["model"], seen["trainer"] = prepared.classifier.model.config, tconfig
        return original(prepared, tconfig, **kwargs)

    monkeypatch.setattr(clf_training, "train_classifier", spy)
    code, _, err = run_cli(capsys, "clf", "train", tmp_path / "train.tsv", "-o", tmp_path / "clf", "--emb-dim", "8",
                           "--hidden", "8", "--epochs", "1", "--min-count", "1", "--cell", "lstm",
                           "--recurrent-dropout", "0.25", "--init", "torch", "--clip", "0")
    assert code == 0, err
    assert seen["model"].recurrent_dropout == 0.25 and seen["model"].init == "torch"
    assert seen["trainer"].clip_mode == "none"
    code, _, err = run_cli(capsys, "clf", "train", tmp_path / "train.tsv", "-o", tmp_path / "clf2", "--emb-dim", "8",
                           "--hidden", "8", "--epochs", "1", "--min-count", "1", "--cell", "lstm", "--forget-bias", "3",
                           "--clip", "0.5", "--clip-mode", "value")
    assert code == 0, err
    assert seen["model"].forget_bias == 3.0 and seen["trainer"].clip == 0.5 and seen["trainer"].clip_mode == "value"
    assert_user_error(run_cli(capsys, "clf", "train", tmp_path / "train.tsv", "-o", tmp_path / "clf3",
                              "--recurrent-dropout", "1"), "recurrent_dropout")


def test_generate_with_a_beam(capsys, model_dir: Path) -> None:
    code, out, err = run_cli(capsys, "lm", "generate", model_dir, "-p", "the cat", "--beam", "3", "-n", "2",
                             "--max-tokens", "6", "--min-tokens", "0")
    assert code == 0, err
    lines = out.strip().splitlines()
    scores = [float(line.split("\t")[0]) for line in lines]
    assert len(lines) == 2 and scores == sorted(scores, reverse=True) and all(s <= 0 for s in scores)
    assert all(line.split("\t")[1].startswith("the cat") for line in lines)
    greedy = run_cli(capsys, "lm", "generate", model_dir, "-p", "the cat", "--greedy", "--max-tokens", "6",
                     "--min-tokens", "0")[1].strip()
    width_one = run_cli(capsys, "lm", "generate", model_dir, "-p", "the cat", "--beam", "1", "--max-tokens", "6",
                        "--min-tokens", "0")[1].strip()
    assert width_one.split("\t")[1] == greedy
    assert_user_error(run_cli(capsys, "lm", "generate", model_dir, "-p", "the", "--beam", "0"), "beam")


def test_complete_a_partial_word(capsys, model_dir: Path) -> None:
    code, out, err = run_cli(capsys, "lm", "complete", model_dir, "a cat and a dog m", "-k", "5")
    assert code == 0, err
    rows = [line.split("\t") for line in out.strip().splitlines()]
    assert {word for _, word in rows} == {"mat", "met"}
    assert sum(float(p) for p, _ in rows) == pytest.approx(1.0, abs=2e-4)
    code, out, _ = run_cli(capsys, "lm", "complete", model_dir, "the", "-k", "3", "--partial")
    assert code == 0 and all(line.split("\t")[1].startswith("the") for line in out.strip().splitlines())
    code, out, _ = run_cli(capsys, "lm", "complete", model_dir, "the", "-k", "3")
    assert code == 0 and len(out.strip().splitlines()) == 3
    assert_user_error(run_cli(capsys, "lm", "complete", model_dir, "the zq"), "unknown")


def test_diagnose_shows_the_explosion_and_both_clippings(capsys, tmp_path: Path) -> None:
    code, out, err = run_cli(capsys, "lm", "diagnose", "--steps", "30", "--hidden", "16", "--gain", "1.5",
                             "-o", tmp_path / "g.png")
    assert code == 0, err
    lines = out.splitlines()
    header = lines.index(next(line for line in lines if line.startswith("steps back")))
    rnn = [float(line.split()[1]) for line in lines[header + 1:] if line.strip() and line.split()[0].isdigit()]
    assert rnn[-1] > 5 * rnn[0]
    rows = {line.split()[0]: line.split() for line in lines if line.split()[:1] in (["none"], ["norm"], ["value"])}
    assert float(rows["norm"][-1]) == pytest.approx(1.0, abs=1e-5) and float(rows["value"][-1]) < 0.99
    assert float(rows["norm"][1]) == pytest.approx(1.0, rel=1e-3) and float(rows["value"][2]) == pytest.approx(1.0)
    assert (tmp_path / "g.png").stat().st_size > 1000
    assert_user_error(run_cli(capsys, "lm", "diagnose", "--clip", "0", "-o", tmp_path / "h.png"), "clip")


def test_pipeline_tables_take_the_same_keys() -> None:
    from embedkit.run import stage_clf, stage_lm

    config, trainer, _, _ = stage_lm.check({"input": "x.txt", "recurrent_dropout": 0.25, "init": "torch",
                                            "clip_mode": "none"})
    assert (config.recurrent_dropout, config.init, trainer.clip_mode) == (0.25, "torch", "none")
    config, trainer, *_ = stage_clf.check({"input": "x.tsv", "recurrent_dropout": 0.1, "cell": "lstm",
                                             "forget_bias": 2.0, "clip_mode": "value"})
    assert (config.recurrent_dropout, config.forget_bias, trainer.clip_mode) == (0.1, 2.0, "value")
