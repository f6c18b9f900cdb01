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
    (["--average", "0"], "average"),
    (["--softmax-cutoffs", "8,4"], "must increase"),
    (["--softmax-cutoffs", "a,b"], "comma-separated"),
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
    assert f"error: {model_dir}: the checkpoint" in err and ".part" not in err  # the user's folder, not the copy
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
    code, out, _ = _run(capsys, "lm", "diagnose", "--steps", "12", "--hidden", "8", "--cells", "gru,lstm",
                        "-o", tmp_path / "h.png")
    assert code == 0 and out.splitlines()[0].split() == ["steps", "back", "gru", "lstm"]
    _assert_one_line_error(*_run(capsys, "lm", "diagnose", "--cells", "rnn,tcn", "-o", tmp_path / "i.png")[::2],
                           "unknown cell 'tcn'")


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


# ---- issue 13: every bad input one line, model folders safe, threads, encoding, seeded repeats ----------------

@pytest.fixture(scope="module")
def vectors(corpus: Path) -> Path:
    """Word vectors of dimension 8 trained on the corpus."""
    out = corpus / "vectors"
    with pytest.raises(SystemExit) as exit_info:
        main(["w2v", "train", str(corpus / "train.txt"), "-o", str(out), "--dim", "8", "--min-count", "1",
              "--epochs", "1", "--seed", "1"])
    assert exit_info.value.code == 0
    return out


def _without_emb_dim() -> list[str]:
    i = TINY.index("--emb-dim")
    return TINY[:i] + TINY[i + 2:]


def test_tie_takes_the_embedding_size_from_the_vectors(capsys, corpus: Path, vectors: Path, tmp_path: Path) -> None:
    out = tmp_path / "tied"
    code, _, err = _run(capsys, "lm", "train", corpus / "train.txt", "-o", out, *_without_emb_dim(),
                        "--tie", "--embeddings", vectors)
    assert code == 0, err
    assert json.loads((out / "config.json").read_text())["model"]["emb_dim"] == 8
    code, _, err = _run(capsys, "lm", "train", corpus / "train.txt", "-o", tmp_path / "bad", *_without_emb_dim(),
                        "--emb-dim", "6", "--embeddings", vectors)
    _assert_one_line_error(code, err, "dimension 8")
    assert not (tmp_path / "bad").exists()


def test_output_that_is_a_file_or_a_foreign_folder(capsys, corpus: Path, tmp_path: Path, monkeypatch) -> None:
    target = tmp_path / "notes.txt"
    target.write_text("mine\n")
    code, _, err = _run(capsys, "lm", "train", corpus / "train.txt", "-o", target, *TINY)
    _assert_one_line_error(code, err, "not a folder")
    assert target.read_text() == "mine\n"
    folder = tmp_path / "papers"
    folder.mkdir()
    (folder / "thesis.tex").write_text("years of work\n")
    code, _, err = _run(capsys, "lm", "train", corpus / "train.txt", "-o", folder, *TINY)
    _assert_one_line_error(code, err, "not an embedkit model folder")
    assert [p.name for p in folder.iterdir()] == ["thesis.tex"]
    monkeypatch.chdir(folder)
    code, _, err = _run(capsys, "lm", "train", corpus / "train.txt", "-o", ".", *TINY)
    _assert_one_line_error(code, err, "current folder")
    assert sorted(p.name for p in folder.iterdir()) == ["thesis.tex"]


def test_retraining_replaces_a_model_folder_whole(capsys, corpus: Path, tmp_path: Path) -> None:
    out = tmp_path / "m"
    assert _run(capsys, "lm", "train", corpus / "train.txt", "-o", out, *TINY, "--level", "char")[0] == 0
    code, _, err = _run(capsys, "lm", "train", corpus / "train.txt", "-o", out, *TINY)
    assert code == 0, err
    assert json.loads((out / "config.json").read_text())["model"]["level"] == "word"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_resume_without_a_checkpoint_is_an_error(capsys, corpus: Path, tmp_path: Path) -> None:
    code, _, err = _run(capsys, "lm", "train", corpus / "train.txt", "-o", tmp_path / "new", *TINY, "--resume")
    _assert_one_line_error(code, err, "no training checkpoint")
    assert not (tmp_path / "new").exists()


@pytest.mark.parametrize("args,needle", [
    (["diagnose", "--steps", "0"], "steps must be positive"),
    (["diagnose", "--steps", "-1"], "steps must be positive"),
    (["diagnose", "--hidden", "0"], "hidden must be positive"),
    (["diagnose", "--input-size", "-3"], "input_size must be positive"),
    (["diagnose", "--threads", "0"], "threads must be positive"),
])
def test_non_positive_sizes(capsys, tmp_path: Path, args: list[str], needle: str) -> None:
    code, _, err = _run(capsys, "lm", *args, "-o", tmp_path / "g.png")
    _assert_one_line_error(code, err, needle)
    assert not (tmp_path / "g.png").exists()


@pytest.mark.parametrize("args,needle", [
    (["--hidden", "0"], "hidden must be positive"),
    (["--layers", "-1"], "layers must be positive"),
    (["--bptt", "0"], "bptt must be positive"),
    (["--threads", "-2"], "threads must be positive"),
])
def test_train_non_positive_sizes(capsys, corpus: Path, tmp_path: Path, args: list[str], needle: str) -> None:
    code, _, err = _run(capsys, "lm", "train", corpus / "train.txt", "-o", tmp_path / "out", *TINY, *args)
    _assert_one_line_error(code, err, needle)
    assert not (tmp_path / "out").exists()


def test_generate_a_negative_number_of_samples(capsys, model_dir: Path) -> None:
    for n in ("-1", "0"):
        code, out, err = _run(capsys, "lm", "generate", model_dir, "--prompt", "the", "-n", n)
        _assert_one_line_error(code, err, "--samples must be positive")
        assert out == ""
    code, out, _ = _run(capsys, "lm", "generate", model_dir, "--prompt", "the", "-n", "3", "--max-tokens", "3")
    assert code == 0 and len(out.splitlines()) == 3


def test_threads_option_on_every_torch_command(capsys, model_dir: Path, corpus: Path, tmp_path: Path) -> None:
    import torch

    from embedkit.models.threads import default_threads

    calls = [["perplexity", model_dir, corpus / "valid.txt"], ["generate", model_dir, "-p", "the"],
             ["complete", model_dir, "the"], ["diagnose", "--steps", "3", "--hidden", "4", "-o", tmp_path / "g.png"]]
    for args in calls:
        torch.set_num_threads(3)
        assert _run(capsys, "lm", *args, "--threads", "1")[0] == 0
        assert torch.get_num_threads() == 1
        torch.set_num_threads(3)
        assert _run(capsys, "lm", *args)[0] == 0
        assert torch.get_num_threads() == default_threads()
    torch.set_num_threads(1)


def test_train_reads_the_encoding_it_is_told(capsys, tmp_path: Path) -> None:
    text = "\n".join(["кошка сидит на окне", "собака сидит на полу"] * 10) + "\n"
    (tmp_path / "ru.txt").write_bytes(text.encode("cp1251"))
    code, _, err = _run(capsys, "lm", "train", tmp_path / "ru.txt", "-o", tmp_path / "m", *TINY)
    _assert_one_line_error(code, err, "--encoding")
    code, _, err = _run(capsys, "lm", "train", tmp_path / "ru.txt", "-o", tmp_path / "m", *TINY,
                        "--encoding", "cp1251")
    assert code == 0, err
    assert "кошка" in json.loads((tmp_path / "m" / "vocab.json").read_text(encoding="utf-8"))["itos"]
    code, out, err = _run(capsys, "lm", "perplexity", tmp_path / "m", tmp_path / "ru.txt", "--encoding", "cp1251")
    assert code == 0 and "0 unknown" in out, err


@pytest.mark.parametrize("change, needle", [
    ({"hidden": 200000}, "parameters"),
    ({"layers": 10**6}, "parameters"),
    ({"hidden": 2000}, "cannot hold"),
    ({"emb_dim": 9}, "encoder.weight"),
    ({"layers": 2}, "weight_hh_l1"),
])
def test_saved_config_sizes_are_checked_before_building(capsys, model_dir: Path, tmp_path: Path, corpus: Path,
                                                        change: dict, needle: str) -> None:
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(model_dir, copy)
    meta = json.loads((copy / "config.json").read_text())
    meta["model"].update(change)
    (copy / "config.json").write_text(json.dumps(meta))
    code, _, err = _run(capsys, "lm", "perplexity", copy, corpus / "valid.txt")
    _assert_one_line_error(code, err, needle)


def test_default_threads_follow_omp_num_threads(monkeypatch) -> None:
    from embedkit.models.threads import default_threads

    monkeypatch.setenv("OMP_NUM_THREADS", "3")
    assert default_threads() == 3
    monkeypatch.delenv("OMP_NUM_THREADS")
    assert default_threads() == 1


@pytest.mark.parametrize("threads", ["1", "2"])
def test_seeded_training_repeats_exactly(capsys, corpus: Path, tmp_path: Path, threads: str) -> None:
    """The documented guarantee: the same data, options, seed and thread count give the same weights."""
    runs = []
    for name in ("a", "b"):
        out = tmp_path / name
        code, stdout, err = _run(capsys, "lm", "train", corpus / "train.txt", "--valid", corpus / "valid.txt", "-o",
                                 out, *TINY, "--epochs", "2", "--dropout", "0.3", "--seed", "5", "--threads", threads)
        assert code == 0, err
        runs.append(((out / "model.safetensors").read_bytes(),
                     json.loads((out / "config.json").read_text())["results"]["valid_perplexity"], stdout))
    assert runs[0][0] == runs[1][0] and runs[0][1] == runs[1][1]
    assert [line for line in runs[0][2].splitlines() if "perplexity" in line] == \
        [line for line in runs[1][2].splitlines() if "perplexity" in line]


@pytest.mark.parametrize("name, needle", [("folder", "is a folder"), ("/dev/zero", "not a regular file")])
def test_config_file_that_is_not_a_regular_file(capsys, corpus: Path, tmp_path: Path, name: str,
                                                needle: str) -> None:
    path = tmp_path if name == "folder" else Path(name)
    code, _, err = _run(capsys, "lm", "train", corpus / "train.txt", "-o", tmp_path / "out", *TINY, "--config", path)
    _assert_one_line_error(code, err, needle)
    assert not (tmp_path / "out").exists()


def test_adaptive_softmax_model_trains_saves_and_scores(capsys, corpus: Path, tmp_path: Path) -> None:
    out = tmp_path / "adaptive"
    code, _, err = _run(capsys, "lm", "train", corpus / "train.txt", "--valid", corpus / "valid.txt", "-o", out,
                        *TINY, "--tie", "--softmax-cutoffs", "3,6")
    assert code == 0, err
    assert json.loads((out / "config.json").read_text())["model"]["softmax_cutoffs"] == [3, 6]
    code, text, _ = _run(capsys, "lm", "perplexity", out, corpus / "valid.txt")
    assert code == 0 and "perplexity" in text
    code, text, _ = _run(capsys, "lm", "generate", out, "--prompt", "the cat", "--max-tokens", "4", "--seed", "1")
    assert code == 0 and text.startswith("the cat")
