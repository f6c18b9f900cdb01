"""`embedkit lm`: the happy path end to end on a tiny corpus, and every error path (one line, exit 2)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cli_helpers import run_cli

from embedkit.cli import main

pytestmark = pytest.mark.usefixtures("one_torch_thread")

SENTENCES = ["the cat sat on the mat", "the dog sat on the log", "a cat and a dog met on the mat"] * 20
TINY = ["--layers", "1", "--hidden", "8", "--emb-dim", "8", "--epochs", "1", "--bptt", "5", "--batch-size", "2",
        "--seed", "0", "--device", "cpu"]


_run = run_cli


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("lm")
    (folder / "train.txt").write_text("\n".join(SENTENCES) + "\n")
    (folder / "valid.txt").write_text("the cat sat on the log\n")
    return folder


@pytest.fixture(scope="module")
def model_dir(corpus: Path) -> Path:
    out = corpus / "model"
    with pytest.raises(SystemExit) as exit_info:
        main(["lm", "train", str(corpus / "train.txt"), "--valid", str(corpus / "valid.txt"), "-o", str(out), *TINY])
    assert exit_info.value.code == 0
    return out


def _assert_one_line_error(code: int, err: str, needle: str) -> None:
    assert code == 2, err
    assert len(err.strip().splitlines()) == 1 and err.startswith("error:") and needle in err, err


def test_train_perplexity_generate_complete(capsys, model_dir: Path, corpus: Path) -> None:
    capsys.readouterr()
    assert {"config.json", "model.safetensors", "vocab.json", "metrics.jsonl", "loss.png"} <= {
        p.name for p in model_dir.iterdir()}
    code, out, _ = _run(capsys, "lm", "perplexity", model_dir, corpus / "valid.txt")
    assert code == 0 and "perplexity" in out
    code, out, _ = _run(capsys, "lm", "generate", model_dir, "--prompt", "the cat", "--max-tokens", "6", "--seed", "1")
    assert code == 0 and out.startswith("the cat")
    assert out == _run(capsys, "lm", "generate", model_dir, "--prompt", "the cat", "--max-tokens", "6",
                       "--seed", "1")[1]
    code, out, _ = _run(capsys, "lm", "complete", model_dir, "the", "-k", "3")
    assert code == 0 and len(out.strip().splitlines()) == 3


def test_resume_continues_a_finished_run(capsys, model_dir: Path, corpus: Path, tmp_path: Path) -> None:
    out = tmp_path / "m"
    args = ["lm", "train", corpus / "train.txt", "-o", out, *TINY]
    assert _run(capsys, *args)[0] == 0
    code, _, err = _run(capsys, *args[:-10], "--epochs", "2", *args[-8:], "--resume")
    assert code == 0, err
    assert json.loads((out / "config.json").read_text())["results"]["epochs"] == 2


def test_empty_training_data(capsys, tmp_path: Path) -> None:
    (tmp_path / "empty.txt").write_text("\n\n")
    code, _, err = _run(capsys, "lm", "train", tmp_path / "empty.txt", "-o", tmp_path / "out", *TINY)
    _assert_one_line_error(code, err, "empty")
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("args,needle", [
    (["--tie", "--hidden", "8", "--emb-dim", "6"], "tied weights"),
    (["--cell", "transformer"], "unknown cell"),
    (["--level", "subword"], "subword model"),
    (["--dropout", "1.5"], "dropout"),
])
def test_bad_options(capsys, corpus: Path, tmp_path: Path, args: list[str], needle: str) -> None:
    code, _, err = _run(capsys, "lm", "train", corpus / "train.txt", "-o", tmp_path / "out", *TINY, *args)
    _assert_one_line_error(code, err, needle)
    assert not (tmp_path / "out").exists()


def test_resume_from_another_architecture(capsys, model_dir: Path, corpus: Path) -> None:
    before = sorted(p.name for p in model_dir.iterdir())
    code, _, err = _run(capsys, "lm", "train", corpus / "train.txt", "-o", model_dir, *TINY, "--cell", "gru",
                        "--resume")
    _assert_one_line_error(code, err, "another architecture")
    assert sorted(p.name for p in model_dir.iterdir()) == before


def test_weights_of_another_architecture(capsys, model_dir: Path, tmp_path: Path, corpus: Path) -> None:
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(model_dir, copy)
    meta = json.loads((copy / "config.json").read_text())
    meta["model"]["cell"] = "gru"
    (copy / "config.json").write_text(json.dumps(meta))
    code, _, err = _run(capsys, "lm", "perplexity", copy, corpus / "valid.txt")
    _assert_one_line_error(code, err, "another architecture")


def test_prompt_of_unknown_words(capsys, model_dir: Path) -> None:
    code, out, err = _run(capsys, "lm", "generate", model_dir, "--prompt", "zebra quux")
    _assert_one_line_error(code, err, "unknown")
    assert out == ""
    code, _, err = _run(capsys, "lm", "complete", model_dir, "zebra")
    _assert_one_line_error(code, err, "unknown")


def test_not_a_model_folder_and_missing_file(capsys, tmp_path: Path, model_dir: Path) -> None:
    _assert_one_line_error(*_run(capsys, "lm", "perplexity", tmp_path, tmp_path / "x.txt")[::2], "not a language model")
    _assert_one_line_error(*_run(capsys, "lm", "perplexity", model_dir, tmp_path / "x.txt")[::2], "x.txt")


def test_diagnose_writes_a_plot(capsys, tmp_path: Path) -> None:
    code, out, _ = _run(capsys, "lm", "diagnose", "--steps", "12", "--hidden", "8", "-o", tmp_path / "g.png")
    assert code == 0 and "lstm" in out and (tmp_path / "g.png").stat().st_size > 1000


def test_train_config_is_a_pipeline_lm_table(capsys, corpus: Path, tmp_path: Path) -> None:
    config = tmp_path / "p.toml"
    config.write_text('[run]\noutput = "runs/x"\n\n[lm]\nlayers = 1\nhidden = 6\nemb_dim = 6\nbptt = 5\n'
                      'batch_size = 2\nepochs = 1\nlr = 0.01\nprompt = "the cat"\n')
    code, _, err = _run(capsys, "lm", "train", corpus / "train.txt", "-o", tmp_path / "m", "--config", config,
                        "--device", "cpu", "--hidden", "8", "--emb-dim", "8")
    assert code == 0, err
    assert f"note: lm train takes prompt from its arguments, not from {config}" in err
    saved = json.loads((tmp_path / "m" / "config.json").read_text())
    assert (saved["model"]["layers"], saved["model"]["hidden"], saved["model"]["bptt"]) == (1, 8, 5)
    assert (saved["trainer"]["lr"], saved["trainer"]["epochs"]) == (0.01, 1)


def test_train_config_in_the_old_shape_still_loads_with_a_warning(capsys, corpus: Path, tmp_path: Path) -> None:
    config = tmp_path / "old.toml"
    config.write_text("[lm]\nlayers = 1\nhidden = 6\nemb_dim = 6\nbptt = 5\nbatch_size = 2\n\n"
                      "[trainer]\nepochs = 1\nlr = 0.01\n")
    code, _, err = _run(capsys, "lm", "train", corpus / "train.txt", "-o", tmp_path / "m", "--config", config,
                        "--device", "cpu")
    assert code == 0, err
    assert f"warning: '[trainer]' in {config} is now '[lm]'; the old name goes in the next release" in err
    assert json.loads((tmp_path / "m" / "config.json").read_text())["trainer"]["lr"] == 0.01
    config.write_text("[lm]\nepochs = 2\n\n[trainer]\nepochs = 1\n")
    code, _, err = _run(capsys, "lm", "train", corpus / "train.txt", "-o", tmp_path / "m2", "--config", config)
    _assert_one_line_error(code, err.split("\n", 1)[1], "'epochs' is in both [lm] and [trainer]")
