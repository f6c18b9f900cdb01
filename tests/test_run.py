"""`embedkit run`: the stage registry, checking a whole pipeline first, the cache's fingerprints, the run lock."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from cli_helpers import assert_user_error, run_cli, stage_context

from embedkit.errors import ConfigError
from embedkit.run.lock import LOCK_NAME, run_lock
from embedkit.run.stages import STAGES

ROOT = Path(__file__).resolve().parents[1]
LEE = '[preprocess]\ninput = "gensim:lee_background.cor"\nlang = "en"\n'


def _pipeline(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "p.toml"
    path.write_text(text, encoding="utf-8")
    return path


def _ran(err: str) -> list[str]:
    """The stages a run ran (not skipped)."""
    return [line.split(":")[0] for line in err.splitlines() if line.endswith(": running")]


# ---- running, skipping, reporting ------------------------------------------------------------------------


def test_run_quickstart_stages_then_skips(tmp_path, capsys) -> None:
    pipeline = tmp_path / "p.toml"
    pipeline.write_text('[preprocess]\ninput = "gensim:lee_background.cor"\nlang = "en"\n'
                        '[vocab]\nmin_count = 2\n', encoding="utf-8")
    out = tmp_path / "run"
    code, _, err = run_cli(capsys, "run", str(pipeline), "-o", str(out))
    assert code == 0, err
    assert (out / "tokens.txt").exists() and (out / "vocab.json").exists()
    code, _, err = run_cli(capsys, "run", str(pipeline), "-o", str(out))
    assert code == 0 and err.count("up to date, skipped") == 2 and "nothing to do" in err
    assert (out / "report.md").exists()
    pipeline.write_text(pipeline.read_text(encoding="utf-8").replace("min_count = 2", "min_count = 3"),
                        encoding="utf-8")
    code, _, err = run_cli(capsys, "run", str(pipeline), "-o", str(out))
    assert "preprocess: up to date" in err and "vocab: running" in err


def test_run_w2v_and_eval_stages_write_report_with_plot(tmp_path, capsys) -> None:
    pipeline = tmp_path / "p.toml"
    pipeline.write_text('[preprocess]\ninput = "gensim:lee_background.cor"\nlang = "en"\n'
                        '[w2v]\ndim = 16\nepochs = 2\nmin_count = 3\nworkers = 1\nshow = ["police"]\n'
                        '[eval]\npairs = ["gensim:wordsim353.tsv"]\nanalogies = []\n', encoding="utf-8")
    out = tmp_path / "run"
    code, _, err = run_cli(capsys, "run", str(pipeline), "-o", str(out))
    assert code == 0, err
    report = (out / "report.md").read_text(encoding="utf-8")
    assert "## w2v" in report and "wordsim353 spearman" in report and "- police:" in report
    assert (out / "w2v_loss_per_epoch.png").read_bytes()[:4] == b"\x89PNG"
    code, _, err = run_cli(capsys, "report", str(out))
    assert code == 0 and "report.md" in err


@pytest.mark.parametrize("record", ["[1, 2]", '{"fingerprint": "x", "artifacts": {}, "summary": "x"}',
                                    '{"fingerprint": "x", "artifacts": [], "summary": {}}', "garbage"])
def test_a_damaged_stage_record_is_run_again_and_a_clear_report_error(tmp_path, capsys, record: str) -> None:
    pipeline = _pipeline(tmp_path, LEE + "[vocab]\nmin_count = 2\n")
    out = tmp_path / "run"
    assert run_cli(capsys, "run", str(pipeline), "-o", str(out))[0] == 0
    (out / ".state" / "vocab.json").write_text(record, encoding="utf-8")
    assert_user_error(run_cli(capsys, "report", str(out)), "vocab.json")
    code, _, err = run_cli(capsys, "run", str(pipeline), "-o", str(out))
    assert code == 0 and _ran(err) == ["vocab"], err


def test_failed_stage_keeps_finished_ones_and_rerun_finishes(tmp_path, capsys) -> None:
    pipeline = tmp_path / "p.toml"
    head = '[preprocess]\ninput = "gensim:lee_background.cor"\nlang = "en"\n'
    pipeline.write_text(head + "[vocab]\nmin_count = 1000000\n", encoding="utf-8")
    out = tmp_path / "run"
    code, _, err = run_cli(capsys, "run", str(pipeline), "-o", str(out))
    assert code == 2 and "lower min_count" in err
    assert (out / "tokens.txt").exists() and (out / ".state" / "preprocess.json").exists()
    assert not (out / "vocab.json").exists()
    pipeline.write_text(head + "[vocab]\nmin_count = 2\n", encoding="utf-8")
    code, _, err = run_cli(capsys, "run", str(pipeline), "-o", str(out))
    assert code == 0, err
    assert "preprocess: up to date" in err and "vocab: done" in err
    code, _, err = run_cli(capsys, "run", str(pipeline), "-o", str(out), "--from", "vocab", "--dry-run")
    assert "preprocess: up to date" in err and "vocab: would run" in err


# ---- the registry -----------------------------------------------------------------------------------------------


def test_registry_names_every_stage_module() -> None:
    modules = sorted(p.stem.removeprefix("stage_") for p in (ROOT / "embedkit" / "run").glob("stage_*.py"))
    assert sorted(STAGES) == modules
    for name, stage in STAGES.items():
        assert stage.name == name and stage.run.__module__ == f"embedkit.run.stage_{name}"


@pytest.mark.parametrize("name", list(STAGES))
def test_every_stage_check_rejects_an_unknown_option(name: str) -> None:
    from embedkit.errors import ConfigError

    table = {"input": "x.txt", "colour": "red"}
    with pytest.raises(ConfigError, match="colour"):
        STAGES[name].check(table)


def test_config_fields_that_name_files_are_fingerprinted() -> None:
    """An option of a stage's config that names a file (``*_file``, ``*_model``) is one of its input paths."""
    import dataclasses

    from embedkit.models.config import ClassifierConfig, LMConfig
    from embedkit.text.config import PreprocessConfig

    for name, config in (("preprocess", PreprocessConfig), ("lm", LMConfig), ("clf", ClassifierConfig)):
        named = {f.name for f in dataclasses.fields(config) if f.name.endswith(("_file", "_model", "_dir"))}
        assert named <= set(STAGES[name].paths), name


# ---- the whole pipeline is checked before the first stage runs --------------------------------------------------


@pytest.mark.parametrize(("text", "needle"), [
    ('[run]\noutptu = "x"\n' + LEE, "unknown option 'outptu' in [run]"),
    (LEE + '[vocab]\nmin_count = 2\ncolour = "red"\n', "unknown option 'colour' in [vocab]"),
    (LEE + '[w2v]\narch = "bogus"\n', "bogus"),
    (LEE + '[lm]\nhiden = 3\n', "unknown option 'hiden' in [lm]"),
    (LEE + '[diagnose]\nsteps = 0\n', "steps must be positive"),
    (LEE + '[clf]\nlabels = { a = "a.txt" }\ncolour = 1\n', "colour"),
    (LEE + '[bake]\nx = 1\n', "unknown stage [bake]"),
    ('output = "x"\n' + LEE, "'output' is not a table"),
    ('[run]\nstages = ["preprocess", "bake"]\n' + LEE, "unknown stage 'bake'"),
    ('[run]\nstages = ["preprocess", "preprocess"]\n' + LEE, "twice"),
    ('[run]\nstages = "preprocess"\n' + LEE, "list of stage names"),
    (LEE + '[vocab]\ninput = "missing.txt"\n', "missing.txt: no such file or folder ([vocab] input)"),
    (LEE + '[vocab]\ninput = 3\n', "wants a path"),
    ('[preprocess]\ninput = "gensim:no-such-file.txt"\n', "gensim ships no such test file"),
    ("[preprocess]\nlang = 'en'\n", "needs an input"),
    ("[preprocess\n", "not valid TOML"),
    ("", "names no stage"),
    ("[preprocess]\ninput = 'gensim:lee_background.cor'\nlanguage = 'en'\n", "unknown option 'language'"),
    (LEE + '[w2v]\ntopn = "five"\n', "option 'topn' wants an integer"),
    (LEE + '[eval]\npairs = "gensim:wordsim353.tsv"\n', "option 'pairs' wants a list of strings"),
    (LEE + '[lm]\nprompt = 3\n', "option 'prompt' wants a string"),
    (LEE + '[lm]\nembeddings = 3\n', "option 'embeddings' wants a path"),
    (LEE + '[clf]\ninput = "gensim:lee_background.cor"\ntest_fraction = "a tenth"\n', "wants a number"),
])
def test_a_bad_pipeline_stops_before_any_stage_runs(tmp_path, capsys, text: str, needle: str) -> None:
    out = tmp_path / "run"
    result = run_cli(capsys, "run", _pipeline(tmp_path, text), "-o", out)
    assert_user_error(result, needle)
    assert not out.exists(), "a stage ran (or the run folder was made) before the pipeline was checked"


def test_checking_a_pipeline_does_not_import_torch(tmp_path) -> None:
    """A second run of an up-to-date pipeline checks every table but trains nothing: no torch import (seconds)."""
    pipeline = _pipeline(tmp_path, LEE + '[vocab]\n[subword]\n[w2v]\n[eval]\n[ngram]\n[lm]\n[diagnose]\n'
                                         '[clf]\ninput = "gensim:lee_background.cor"\n')
    code = ("import sys\nfrom pathlib import Path\nfrom embedkit.run.runner import check_tables, load_pipeline, plan\n"
            f"path = Path({str(pipeline)!r})\npipeline = load_pipeline(path)\n"
            "assert len(check_tables(pipeline, plan(pipeline), path.parent, path.parent / 'run')) == 9\n"
            "print('torch' in sys.modules)")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert proc.stdout.strip() == "False"


def test_a_folder_as_pipeline_file_is_one_line_naming_its_recipes(capsys) -> None:
    assert_user_error(run_cli(capsys, "run", ROOT / "pipelines"), "is a folder, not a pipeline file")
    _, _, err = run_cli(capsys, "run", ROOT / "pipelines")
    assert "quickstart.toml" in err


def test_a_binary_pipeline_file_is_one_line(tmp_path, capsys) -> None:
    path = tmp_path / "p.toml"
    path.write_bytes(b"\xff\xfe[preprocess]\n\x00\x01")
    assert_user_error(run_cli(capsys, "run", path, "-o", tmp_path / "run"), "not valid TOML")


def test_recipes_without_shared_data_say_where_it_belongs(tmp_path, capsys) -> None:
    """A recipe copied where no ../shared/data lies beside it fails at once with the hint, whatever stage reads it."""
    recipes = [p for p in (ROOT / "pipelines").glob("*.toml") if "shared/data" in p.read_text(encoding="utf-8")]
    assert recipes
    copies = tmp_path / "checkout" / "pipelines"
    copies.mkdir(parents=True)
    for recipe in recipes:
        copy = copies / recipe.name
        copy.write_text(recipe.read_text(encoding="utf-8"), encoding="utf-8")
        result = run_cli(capsys, "run", copy, "-o", tmp_path / "run")
        assert_user_error(result, "../shared/data beside the checkout")
        assert not (tmp_path / "run").exists()


def test_a_table_left_out_of_the_stages_is_checked_but_its_inputs_need_not_exist(tmp_path, capsys) -> None:
    (tmp_path / "c.txt").write_text("a b c\n", encoding="utf-8")
    head = '[run]\nstages = ["preprocess"]\n[preprocess]\ninput = "c.txt"\n'
    result = run_cli(capsys, "run", _pipeline(tmp_path, head + '[vocab]\nmin_cuont = 2\n'), "-o", tmp_path / "run")
    assert_user_error(result, "min_cuont")
    code, _, err = run_cli(capsys, "run", _pipeline(tmp_path, head + '[vocab]\ninput = "gone.txt"\n'),
                           "-o", tmp_path / "run")
    assert code == 0 and _ran(err) == ["preprocess"], err


def test_a_path_inside_the_run_folder_may_be_written_by_an_earlier_stage(tmp_path, capsys) -> None:
    corpus = tmp_path / "c.txt"
    corpus.write_text("a b c\n" * 20, encoding="utf-8")
    pipeline = _pipeline(tmp_path, '[preprocess]\ninput = "c.txt"\n[vocab]\ninput = "run/tokens.txt"\n')
    code, _, err = run_cli(capsys, "run", pipeline, "-o", tmp_path / "run")
    assert code == 0, err
    assert _ran(err) == ["preprocess", "vocab"] and (tmp_path / "run" / "vocab.json").exists()


# ---- fingerprints: every file and folder a stage reads ---------------------------------------------------------


def test_a_changed_file_in_an_input_folder_reruns_preprocess(tmp_path, capsys) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.txt").write_text("one two three\n", encoding="utf-8")
    (corpus / "b.txt").write_text("four five\n", encoding="utf-8")
    pipeline = _pipeline(tmp_path, '[preprocess]\ninput = "corpus"\n[vocab]\n')
    out = tmp_path / "run"
    assert run_cli(capsys, "run", pipeline, "-o", out)[0] == 0
    code, _, err = run_cli(capsys, "run", pipeline, "-o", out)
    assert code == 0 and _ran(err) == []
    (corpus / "b.txt").write_text("four sixx\n", encoding="utf-8")  # same size, other bytes
    code, _, err = run_cli(capsys, "run", pipeline, "-o", out)
    assert code == 0 and _ran(err) == ["preprocess", "vocab"], err
    assert "sixx" in (out / "tokens.txt").read_text(encoding="utf-8")
    (corpus / "c.txt").write_text("seven\n", encoding="utf-8")  # a new file
    code, _, err = run_cli(capsys, "run", pipeline, "-o", out)
    assert _ran(err) == ["preprocess", "vocab"]
    (corpus / ".hidden.txt").write_text("never read\n", encoding="utf-8")
    assert _ran(run_cli(capsys, "run", pipeline, "-o", out)[2]) == []


def test_a_changed_stopwords_file_reruns_preprocess_and_is_relative_to_the_pipeline(tmp_path, capsys,
                                                                                   monkeypatch) -> None:
    (tmp_path / "c.txt").write_text("alpha beta gamma\n", encoding="utf-8")
    (tmp_path / "stop.txt").write_text("beta\n", encoding="utf-8")
    pipeline = _pipeline(tmp_path, '[preprocess]\ninput = "c.txt"\nstopwords = true\nstopwords_file = "stop.txt"\n'
                                   'lang = "en"\n')
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    out = tmp_path / "run"
    code, _, err = run_cli(capsys, "run", pipeline, "-o", out)
    assert code == 0, err
    assert (out / "tokens.txt").read_text(encoding="utf-8") == "alpha gamma\n"
    (tmp_path / "stop.txt").write_text("gamma\n", encoding="utf-8")
    code, _, err = run_cli(capsys, "run", pipeline, "-o", out)
    assert _ran(err) == ["preprocess"]
    assert (out / "tokens.txt").read_text(encoding="utf-8") == "alpha beta\n"


def _vectors(folder: Path, seed: int) -> None:
    from embedkit.embeddings import Embeddings

    matrix = np.random.default_rng(seed).normal(size=(4, 8)).astype(np.float32)
    Embeddings.from_vectors(["cat", "dog", "car", "bus"], matrix).save(folder)


def test_changed_vectors_folder_and_pairs_file_rerun_eval(tmp_path, capsys) -> None:
    _vectors(tmp_path / "vectors", seed=0)
    pairs = tmp_path / "pairs.tsv"
    pairs.write_text("cat\tdog\t9\ncar\tbus\t8\ncat\tcar\t1\ndog\tbus\t2\n", encoding="utf-8")
    pipeline = _pipeline(tmp_path, '[eval]\nvectors = "vectors"\nanalogies = []\npairs = ["pairs.tsv"]\n')
    out = tmp_path / "run"
    code, _, err = run_cli(capsys, "run", pipeline, "-o", out)
    assert code == 0 and _ran(err) == ["eval"], err
    assert _ran(run_cli(capsys, "run", pipeline, "-o", out)[2]) == []
    _vectors(tmp_path / "vectors", seed=1)
    assert _ran(run_cli(capsys, "run", pipeline, "-o", out)[2]) == ["eval"]
    pairs.write_text(pairs.read_text(encoding="utf-8") + "cat\tbus\t3\n", encoding="utf-8")
    assert _ran(run_cli(capsys, "run", pipeline, "-o", out)[2]) == ["eval"]


def _fingerprint(tmp_path: Path, text: str, name: str) -> str:
    from embedkit.run.runner import check_tables, fingerprint, load_pipeline, plan

    path = _pipeline(tmp_path, text)
    pipeline = load_pipeline(path)
    resolved = check_tables(pipeline, plan(pipeline), tmp_path, tmp_path / "run")
    return fingerprint(name, pipeline[name], resolved[name], "", {})


@pytest.mark.parametrize(("text", "name", "changed"), [
    ('[clf]\nlabels = { pos = "pos.txt", neg = "neg.txt" }\n', "clf", "neg.txt"),
    ('[clf]\ninput = "train.tsv"\ntest = "test.tsv"\n', "clf", "test.tsv"),
    ('[clf]\ninput = "train.tsv"\nembeddings = "vectors"\n', "clf", "vectors/meta.json"),
    ('[lm]\ninput = "train.tsv"\nlevel = "subword"\nsubword_model = "bpe.json"\n', "lm", "bpe.json"),
    ('[lm]\ninput = "train.tsv"\nembeddings = "vectors"\n', "lm", "vectors/vectors.txt"),
    ('[ngram]\ninput = "train.tsv"\nvalid = "test.tsv"\n', "ngram", "test.tsv"),
])
def test_files_named_in_options_are_fingerprinted(tmp_path, text: str, name: str, changed: str) -> None:
    for file in ("pos.txt", "neg.txt", "train.tsv", "test.tsv", "bpe.json", "vectors/meta.json",
                 "vectors/vectors.txt"):
        (tmp_path / file).parent.mkdir(exist_ok=True)
        (tmp_path / file).write_text(f"{file}\n", encoding="utf-8")
    before = _fingerprint(tmp_path, text, name)
    assert _fingerprint(tmp_path, text, name) == before
    (tmp_path / changed).write_text("changed\n", encoding="utf-8")
    assert _fingerprint(tmp_path, text, name) != before


def test_a_device_named_as_a_file_is_not_read_while_fingerprinting() -> None:
    from embedkit.run.runner import path_digest

    assert path_digest("/dev/zero") == "special"


def test_embeddings_folder_option_feeds_the_stage(tmp_path) -> None:
    from rich.console import Console

    from embedkit.run.context import RunContext

    ctx = RunContext(out_dir=tmp_path / "run", base_dir=tmp_path, console=Console(quiet=True))
    ctx.artifacts["vectors"] = tmp_path / "run" / "vectors"
    assert ctx.vectors({"embeddings": "mine"}, "lm") == tmp_path / "mine"
    assert ctx.vectors({}, "lm") == tmp_path / "run" / "vectors"
    assert ctx.vectors({"embeddings": False}, "lm") is None


# ---- one run per run folder ------------------------------------------------------------------------------------


def _cli(*args: object, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    return subprocess.run([sys.executable, "-m", "embedkit", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd, env=env, timeout=120)


def test_a_second_run_on_a_held_folder_stops_naming_the_first(tmp_path) -> None:
    (tmp_path / "c.txt").write_text("a b c\n", encoding="utf-8")
    pipeline = _pipeline(tmp_path, '[preprocess]\ninput = "c.txt"\n')
    out = tmp_path / "run"
    with run_lock(out):  # this test's process is the first run
        proc = _cli("run", pipeline, "-o", out, cwd=tmp_path)
        assert not (out / "tokens.txt").exists() and not (out / ".state").exists()
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.count("\n") == 1 and proc.stderr.startswith("error: ")
    assert f"pid {os.getpid()}" in proc.stderr
    proc = _cli("run", pipeline, "-o", out, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert (out / "tokens.txt").exists() and not (out / LOCK_NAME).exists()


def test_a_stale_lock_of_a_dead_run_is_taken_over(tmp_path) -> None:
    (tmp_path / "c.txt").write_text("a b c\n", encoding="utf-8")
    pipeline = _pipeline(tmp_path, '[preprocess]\ninput = "c.txt"\n')
    out = tmp_path / "run"
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                          text=True, check=True)
    out.mkdir()
    (out / LOCK_NAME).write_text(dead.stdout, encoding="utf-8")
    proc = _cli("run", pipeline, "-o", out, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert (out / "tokens.txt").exists() and not (out / LOCK_NAME).exists()


def test_dry_run_does_not_need_the_lock(tmp_path, capsys) -> None:
    (tmp_path / "c.txt").write_text("a b c\n", encoding="utf-8")
    pipeline = _pipeline(tmp_path, '[preprocess]\ninput = "c.txt"\n')
    with run_lock(tmp_path / "run"):
        code, _, err = run_cli(capsys, "run", pipeline, "-o", tmp_path / "run", "--dry-run")
    assert code == 0 and "preprocess: would run" in err


def test_a_tied_lm_table_takes_the_embedding_size_from_hidden_or_the_vectors() -> None:
    from embedkit.run import stage_lm

    config, *_ = stage_lm.check({"input": "x.txt", "tie_weights": True, "hidden": 48})
    assert (config.emb_dim, config.hidden, config.tie_weights) == (48, 48, True)
    with pytest.raises(ConfigError, match="hidden == emb_dim"):
        stage_lm.check({"input": "x.txt", "tie_weights": True, "hidden": 48, "emb_dim": 32})


def test_torch_stages_set_the_thread_count(tmp_path, monkeypatch) -> None:
    import torch

    from embedkit.run import stage_lm

    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    torch.set_num_threads(2)
    tokens = tmp_path / "tokens.txt"
    tokens.write_text("the cat sat on the mat\nthe dog sat on the log\n" * 20)
    ctx, _ = stage_context(tmp_path)
    stage_lm.stage({"input": str(tokens), "epochs": 1, "hidden": 8, "emb_dim": 8, "layers": 1,
                    "embeddings": False, "valid_fraction": 0.1}, ctx)
    assert torch.get_num_threads() == 1


def _failing_training(*args, **kwargs):
    """Training that writes into its folder, then fails as a bad input would."""
    from embedkit.errors import InputError

    out = Path(kwargs.get("out_dir") or args[2])
    out.mkdir(parents=True, exist_ok=True)
    (out / "metrics.jsonl").write_text("half written\n")
    raise InputError("training failed")


@pytest.mark.parametrize("name", ["lm", "clf"])
def test_a_failed_model_stage_leaves_the_previous_model_folder_as_it_was(tmp_path, monkeypatch, name) -> None:
    """Model stages swap their folder in whole: a failed retrain neither mixes files into the old model nor
    removes it."""
    from embedkit.errors import InputError
    from embedkit.run import stage_clf, stage_lm

    tokens = tmp_path / "tokens.txt"
    tokens.write_text("the cat sat on the mat\nthe dog sat on the log\n" * 20)
    (tmp_path / "train.tsv").write_text("good film\tpos\nbad film\tneg\n" * 20)
    ctx, _ = stage_context(tmp_path)
    small = {"epochs": 1, "hidden": 8, "emb_dim": 8, "layers": 1, "embeddings": False}
    run, table = {"lm": (stage_lm.stage, {"input": str(tokens), "valid_fraction": 0.1, **small}),
                  "clf": (stage_clf.stage, {"input": "train.tsv", **small})}[name]
    run(table, ctx)
    folder = ctx.output(name)
    before = {p.relative_to(folder): p.read_bytes() for p in folder.rglob("*") if p.is_file()}
    target = "embedkit.training.lm.train_language_model" if name == "lm" else "embedkit.training.clf.train_classifier"
    monkeypatch.setattr(target, _failing_training)
    with pytest.raises(InputError, match="training failed"):
        run(table, ctx)
    assert {p.relative_to(folder): p.read_bytes() for p in folder.rglob("*") if p.is_file()} == before


# ---- the run folder: new, empty or a run folder; never the user's own files ------------------------------------


@pytest.mark.parametrize("dry_run", [False, True])
def test_a_folder_of_the_users_is_refused_as_the_run_folder_and_left_as_it_was(tmp_path, capsys,
                                                                              dry_run: bool) -> None:
    (tmp_path / "c.txt").write_text("a b c\n", encoding="utf-8")
    pipeline = _pipeline(tmp_path, '[preprocess]\ninput = "c.txt"\n[vocab]\n')
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "tokens.txt").write_text("my own notes\n", encoding="utf-8")
    result = run_cli(capsys, "run", pipeline, "-o", mine, *(["--dry-run"] if dry_run else []))
    assert_user_error(result, "is not empty and is not an embedkit run folder")
    assert sorted(p.name for p in mine.iterdir()) == ["tokens.txt"]
    assert (mine / "tokens.txt").read_text(encoding="utf-8") == "my own notes\n"


def test_a_file_as_the_run_folder_is_refused(tmp_path, capsys) -> None:
    (tmp_path / "c.txt").write_text("a b c\n", encoding="utf-8")
    pipeline = _pipeline(tmp_path, '[preprocess]\ninput = "c.txt"\n')
    assert_user_error(run_cli(capsys, "run", pipeline, "-o", tmp_path / "c.txt"), "exists and is not a folder")
    assert (tmp_path / "c.txt").read_text(encoding="utf-8") == "a b c\n"


@pytest.mark.parametrize("inside", [(), (".state",), (LOCK_NAME,)])
def test_an_empty_folder_or_a_run_folder_is_taken_as_the_run_folder(tmp_path, capsys, inside) -> None:
    """A new run goes into an empty folder; one that holds ``.state/`` or the lock file (a run that failed or
    was killed) is a run folder, resumed."""
    (tmp_path / "c.txt").write_text("a b c\n", encoding="utf-8")
    pipeline = _pipeline(tmp_path, '[preprocess]\ninput = "c.txt"\n')
    out = tmp_path / "run"
    out.mkdir()
    for name in inside:
        if name == LOCK_NAME:
            (out / name).write_text("", encoding="utf-8")
        else:
            (out / name).mkdir()
    if inside:
        (out / "partial.bin").write_bytes(b"x")
    code, _, err = run_cli(capsys, "run", pipeline, "-o", out)
    assert code == 0 and _ran(err) == ["preprocess"], err
    assert (out / "tokens.txt").exists()


# ---- every stage's inputs are there before the first stage runs ------------------------------------------------


@pytest.mark.parametrize(("text", "needle"), [
    ("[w2v]\ndim = 16\n", "[w2v] needs 'input' (or a preprocess stage before it)"),
    (LEE + "[eval]\n", "[eval] needs 'vectors' (or a w2v stage before it)"),
    ('[run]\nstages = ["vocab", "preprocess"]\n' + LEE + "[vocab]\n", "[vocab] needs 'input'"),
    ("[diagnose]\nsteps = 5\n[ngram]\n", "[ngram] needs 'input'"),
    (LEE + "[subword]\n[lm]\n[clf]\ninput = 'gensim:lee_background.cor'\n[eval]\n", "[eval] needs 'vectors'"),
])
def test_a_stage_without_its_input_stops_before_any_stage_runs(tmp_path, capsys, text: str, needle: str) -> None:
    out = tmp_path / "run"
    for args in ((), ("--dry-run",)):
        result = run_cli(capsys, "run", _pipeline(tmp_path, text), "-o", out, *args)
        assert_user_error(result, needle)
        assert not out.exists()


def test_an_input_made_by_an_earlier_stage_or_named_is_enough() -> None:
    from embedkit.run.runner import check_inputs

    check_inputs({"preprocess": {"input": "c.txt"}, "w2v": {}, "eval": {}, "lm": {}}, ["preprocess", "w2v", "eval",
                                                                                       "lm"])
    check_inputs({"w2v": {"input": "t.txt"}, "eval": {"vectors": "v"}}, ["w2v", "eval"])
    with pytest.raises(ConfigError, match=r"\[eval\] needs 'vectors'"):
        check_inputs({"eval": {}, "w2v": {"input": "t.txt"}}, ["eval", "w2v"])


def test_a_failed_first_stage_leaves_no_new_run_folder_behind(tmp_path, capsys) -> None:
    (tmp_path / "c.txt").write_text("a b c\n", encoding="utf-8")
    pipeline = _pipeline(tmp_path, '[vocab]\ninput = "c.txt"\nmin_count = 1000000\n')
    out = tmp_path / "run"
    code, _, err = run_cli(capsys, "run", pipeline, "-o", out)
    assert code == 2 and "lower min_count" in err
    assert not out.exists()
    out.mkdir()
    code, _, err = run_cli(capsys, "run", pipeline, "-o", out)
    assert code == 2 and out.is_dir(), "a folder that was there before the run stays"


def test_what_a_stage_makes_and_needs_matches_what_it_records() -> None:
    """The registry's ``makes`` is the artifact the stage's module records; each ``needs`` is made by a stage."""
    import re

    for name, stage in STAGES.items():
        source = (ROOT / "embedkit" / "run" / f"stage_{name}.py").read_text(encoding="utf-8")
        assert set(re.findall(r'ctx\.artifacts\["(\w+)"\] =', source)) == ({stage.makes} - {None}), name
        if stage.needs is not None:
            assert any(other.makes == stage.needs[1] for other in STAGES.values()), name


def test_the_recipes_name_every_stage_input() -> None:
    from embedkit.run.runner import check_inputs, load_pipeline, plan

    for recipe in (ROOT / "pipelines").glob("*.toml"):
        pipeline = load_pipeline(recipe)
        check_inputs(pipeline, plan(pipeline))


def test_a_failed_first_stage_that_left_files_keeps_a_run_folder_a_later_run_takes(tmp_path, capsys,
                                                                                  monkeypatch) -> None:
    import dataclasses

    from embedkit.errors import InputError

    def leaves_a_file(table, ctx):
        (ctx.out_dir / "half.txt").write_text("x")
        raise InputError("stage failed")

    monkeypatch.setitem(STAGES, "vocab", dataclasses.replace(STAGES["vocab"], run=leaves_a_file))
    (tmp_path / "c.txt").write_text("a b c\n", encoding="utf-8")
    pipeline = _pipeline(tmp_path, '[vocab]\ninput = "c.txt"\n')
    out = tmp_path / "run"
    code, _, err = run_cli(capsys, "run", pipeline, "-o", out)
    assert code == 2 and "stage failed" in err
    assert (out / "half.txt").exists()
    code, _, err = run_cli(capsys, "run", pipeline, "-o", out)
    assert code == 2 and "stage failed" in err, "the folder is still a run folder, not refused as the user's"
