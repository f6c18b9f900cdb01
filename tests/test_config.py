"""One config vocabulary: renamed options keep their old names for a release (with a warning), every config
validates through the public helpers, one tuple of cell types."""

from __future__ import annotations

import dataclasses
import io
import json
import warnings

import numpy as np
import pytest

from embedkit.config import RenamedOptionWarning, config_from_dict, config_to_dict, split_table
from embedkit.embeddings.config import Word2VecConfig
from embedkit.errors import ConfigError
from embedkit.models.config import CELL_TYPES, ClassifierConfig, GenerateConfig, LMConfig, NgramConfig
from embedkit.models.linear import LinearConfig
from embedkit.text.config import PreprocessConfig
from embedkit.training.config import TrainerConfig

OLD_CLF = {"embedding_dim": 8, "hidden_size": 6, "num_layers": 2, "embedding_dropout": 0.1}
NEW_CLF = {"emb_dim": 8, "hidden": 6, "layers": 2, "emb_dropout": 0.1}


def test_lm_and_classifier_share_the_names_of_their_knobs() -> None:
    shared = {"cell", "layers", "hidden", "emb_dim", "dropout", "emb_dropout", "freeze_embeddings", "min_count",
              "max_vocab", "batch_size"}
    for cls in (LMConfig, ClassifierConfig):
        assert shared <= {f.name for f in dataclasses.fields(cls)}, cls


def test_old_keywords_build_the_same_config_with_a_warning() -> None:
    with pytest.warns(RenamedOptionWarning) as caught:
        old = ClassifierConfig(**OLD_CLF)
    assert old == ClassifierConfig(**NEW_CLF)
    assert [str(w.message) for w in caught][0] == ("'embedding_dim' in ClassifierConfig is now 'emb_dim'; "
                                                   "the old name goes in the next release")
    assert len(caught) == 4 and all(w.filename == __file__ for w in caught)
    with pytest.warns(RenamedOptionWarning, match="hidden_size"):
        assert old.hidden_size == 6
    with pytest.raises(ConfigError, match="'emb_dim' or its old name 'embedding_dim'"):
        ClassifierConfig(emb_dim=8, embedding_dim=8)


def test_old_keys_load_from_a_user_table_with_a_warning_and_silently_from_a_model() -> None:
    with pytest.warns(RenamedOptionWarning, match=r"in \[clf\]"):
        assert config_from_dict(ClassifierConfig, OLD_CLF, "clf") == ClassifierConfig(**NEW_CLF)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert config_from_dict(ClassifierConfig, OLD_CLF, "model", warn=False) == ClassifierConfig(**NEW_CLF)


def test_split_table_shares_keys_out_and_names_the_unknown() -> None:
    with pytest.warns(RenamedOptionWarning):
        (model, trainer), rest = split_table({"hidden_size": 4, "lr": 0.1, "input": "x"},
                                             (ClassifierConfig, TrainerConfig), ("input",), "clf")
    assert (model, trainer, rest) == ({"hidden": 4}, {"lr": 0.1}, {"input": "x"})
    with pytest.raises(ConfigError, match=r"unknown option 'colour' in \[clf\]"):
        split_table({"colour": "red"}, (ClassifierConfig,), (), "clf")


def test_config_from_dict_keeps_a_base_for_keys_left_out() -> None:
    base = TrainerConfig(lr=3e-3, patience=None)
    built = config_from_dict(TrainerConfig, {"epochs": 2}, "lm", base=base)
    assert (built.lr, built.patience, built.epochs) == (3e-3, None, 2)


def test_a_classifier_saved_under_the_old_names_still_loads_silently(tmp_path) -> None:
    from embedkit.models.classifier import TextClassifier
    from embedkit.training.clf import prepare

    texts = ["good film", "bad film", "great plot", "dull plot"] * 3
    labels = ["pos", "neg", "pos", "neg"] * 3
    clf = prepare(texts, labels, ClassifierConfig(min_count=1, emb_dim=4, hidden=4)).classifier
    clf.save(tmp_path / "m")
    meta = json.loads((tmp_path / "m" / "config.json").read_text())
    for old, new in ClassifierConfig.RENAMED.items():
        head, _, leaf = new.partition(".")
        meta["model"][old] = meta["model"][head].pop(leaf) if leaf else meta["model"].pop(new)
    (tmp_path / "m" / "config.json").write_text(json.dumps(meta))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        again = TextClassifier.load(tmp_path / "m")
    assert again.config == clf.config
    assert np.allclose(again.predict_proba(texts[:4]), clf.predict_proba(texts[:4]), atol=1e-6)


def test_a_pipeline_clf_table_takes_the_old_names_with_a_warning(tmp_path) -> None:
    from rich.console import Console

    from embedkit.run import stage_clf
    from embedkit.run.context import RunContext

    rows = "".join(f"{t}\t{y}\n" for t, y in [("good film", "pos"), ("bad film", "neg")] * 10)
    (tmp_path / "train.tsv").write_text("text\tlabel\n" + rows)
    ctx = RunContext(out_dir=tmp_path / "out", base_dir=tmp_path, console=Console(file=io.StringIO()))
    with pytest.warns(RenamedOptionWarning, match=r"'embedding_dim' in \[clf\] is now 'emb_dim'"):
        stage_clf.stage({"input": "train.tsv", "epochs": 1, "embedding_dim": 6, "hidden": 4, "min_count": 1}, ctx)
    from embedkit.models.classifier import TextClassifier

    assert TextClassifier.load(ctx.artifacts["clf"]).config.emb_dim == 6


def test_pipeline_tables_take_the_dataclass_defaults() -> None:
    from embedkit.run import stage_clf, stage_lm
    from embedkit.training.config import CLF_TRAINER, LM_TRAINER

    lm = stage_lm.read_table({})
    assert (lm.model, lm.trainer, lm.stage, lm.emb_dim_given) == (LMConfig(), LM_TRAINER, stage_lm.LMStageOptions(),
                                                                  False)
    clf = stage_clf.read_table({"emb_dim": 4})
    assert (clf.model, clf.trainer, clf.emb_dim_given) == (ClassifierConfig(emb_dim=4), CLF_TRAINER, True)
    with pytest.raises(ConfigError, match="option 'prompt' wants a string"):
        stage_lm.read_table({"prompt": 3})


@pytest.mark.parametrize("build", [
    lambda: LMConfig(cell="transformer"),
    lambda: ClassifierConfig(cell="transformer"),
])
def test_every_model_config_takes_the_one_tuple_of_cells(build) -> None:
    with pytest.raises(ConfigError, match="choose from " + ", ".join(CELL_TYPES)):
        build()


def test_every_config_checks_its_options_when_built() -> None:
    from embedkit.embeddings.config import Word2VecConfig
    from embedkit.models.ngram import NgramConfig

    with pytest.raises(ConfigError, match="order must be positive"):
        NgramConfig(order=0)
    with pytest.raises(ConfigError, match="unknown smoothing 'witten-bell'"):
        NgramConfig(smoothing="witten-bell")
    with pytest.raises(ConfigError, match="unknown architecture 'glove'"):
        Word2VecConfig(arch="glove")
    with pytest.raises(ConfigError, match="bucket must be positive"):
        Word2VecConfig(fasttext=True, bucket=0)


def test_old_top_level_text_options_move_into_the_nested_text_config() -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        config = ClassifierConfig(lang="ru", keep_punct=True)
    assert [str(w.message).split(";")[0] for w in caught] == [
        "'lang' in ClassifierConfig is now 'text.lang'", "'keep_punct' in ClassifierConfig is now 'text.keep_punct'"]
    assert (config.text.lang, config.text.keep_punct) == ("ru", True)
    table = config_from_dict(ClassifierConfig, {"lang": "en", "text": {"lemmatize": True}}, "clf", warn=False)
    assert (table.text.lang, table.text.lemmatize) == ("en", True)
    with pytest.raises(ConfigError, match="not both"):
        config_from_dict(ClassifierConfig, {"lang": "en", "text": {"lang": "ru"}}, "clf", warn=False)
    with pytest.raises(ConfigError, match="unknown option 'lematize'"):
        config_from_dict(ClassifierConfig, {"text": {"lematize": True}}, "clf")


def test_a_nested_config_round_trips_through_a_toml_ready_dict() -> None:
    config = ClassifierConfig(text=PreprocessConfig(lang="ru", lemmatize=True, stopwords_file=None))
    data = config_to_dict(config)
    assert data["text"]["lemmatize"] is True and "stopwords_file" not in data["text"]
    assert config_from_dict(ClassifierConfig, data) == config


def _train_apps() -> dict[str, tuple]:
    from embedkit.cli import clf, lm, ngram, subword, vocab, w2v
    from embedkit.embeddings.config import Word2VecConfig
    from embedkit.models.config import NgramConfig
    from embedkit.text.config import SubwordConfig
    from embedkit.training.config import CLF_TRAINER, LM_TRAINER
    from embedkit.vocab import VocabConfig

    return {"clf": (clf.app, "train", ClassifierConfig(), CLF_TRAINER), "lm": (lm.app, "train", LMConfig(), LM_TRAINER),
            "ngram": (ngram.app, "train", NgramConfig()), "vocab": (vocab.app, "build", VocabConfig()),
            "subword": (subword.app, "train", SubwordConfig()), "w2v": (w2v.app, "train", Word2VecConfig())}


@pytest.mark.parametrize("command", ["clf", "lm", "ngram", "vocab", "subword", "w2v"])
def test_train_help_shows_every_default_from_its_dataclass(command: str) -> None:
    import typer.main

    app, name, *configs = _train_apps()[command]
    cmd = typer.main.get_command(app)
    cmd = cmd.commands[name] if hasattr(cmd, "commands") else cmd  # a one-command app is that command
    params = {p.opts[0].lstrip("-").replace("-", "_"): p for p in cmd.params}
    checked = 0
    for config in configs:
        for field in dataclasses.fields(config):
            param = params.get(field.name)
            value = getattr(config, field.name)
            if param is None or isinstance(value, bool) or not isinstance(value, (int, float, str)):
                continue
            assert param.help.endswith(f"(default: {value})"), (field.name, param.help)
            checked += 1
    assert checked >= 1


NOT_FINITE = (float("nan"), float("inf"), -float("inf"))


@pytest.mark.parametrize("value", NOT_FINITE)
@pytest.mark.parametrize("make", [
    lambda v: Word2VecConfig(alpha=v),
    lambda v: Word2VecConfig(sample=v),
    lambda v: Word2VecConfig(ns_exponent=v),
    lambda v: TrainerConfig(lr=v),
    lambda v: TrainerConfig(clip=v),
    lambda v: LMConfig(forget_bias=v),
    lambda v: GenerateConfig(temperature=v),
    lambda v: NgramConfig(k=v),
    lambda v: LinearConfig(weight_decay=v),
])
def test_a_number_option_that_is_not_finite_is_a_config_error(make, value: float) -> None:
    with pytest.raises(ConfigError, match="must be a finite number"):
        make(value)


@pytest.mark.parametrize("seed", [-1, 2**32])
@pytest.mark.parametrize("make", [
    lambda s: Word2VecConfig(seed=s, workers=1),
    lambda s: TrainerConfig(seed=s),
    lambda s: GenerateConfig(seed=s),
])
def test_a_seed_outside_numpys_range_is_a_config_error(make, seed: int) -> None:
    with pytest.raises(ConfigError, match=r"seed must lie in 0\.\.2\*\*32 - 1"):
        make(seed)


def test_a_table_that_is_not_a_table_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match=r"\[model\] wants a table, got 'x'"):
        config_from_dict(LMConfig, "x", where="model")  # type: ignore[arg-type]


@pytest.mark.parametrize("exponent", [1000.0, -50.0])
def test_an_ns_exponent_that_overflows_the_sampling_table_is_a_config_error(exponent: float) -> None:
    with pytest.raises(ConfigError, match="ns_exponent must lie in"):
        Word2VecConfig(ns_exponent=exponent)


def test_a_binary_toml_file_is_not_told_to_change_encoding(tmp_path) -> None:
    from embedkit.config import load_toml

    path = tmp_path / "garbage.bin"
    path.write_bytes(bytes(range(256)) * 4)
    with pytest.raises(ConfigError, match="garbage.bin") as info:
        load_toml(path)
    assert "--encoding" not in str(info.value) and "binary" in str(info.value)


@pytest.mark.parametrize("make", [
    lambda n: PreprocessConfig(workers=n),
    lambda n: Word2VecConfig(workers=n),
    lambda n: __import__("embedkit.models.threads", fromlist=["set_threads"]).set_threads(n),
])
def test_a_worker_count_no_machine_has_is_a_config_error_not_a_fork_storm(make) -> None:
    from embedkit.config import MAX_WORKERS

    with pytest.raises(ConfigError, match=rf"must be at most {MAX_WORKERS}, got 100000"):
        make(100_000)


def test_a_negative_sample_count_that_would_train_for_hours_is_a_config_error() -> None:
    from embedkit.embeddings.config import MAX_NEGATIVE

    assert Word2VecConfig(negative=MAX_NEGATIVE).negative == MAX_NEGATIVE
    with pytest.raises(ConfigError, match=rf"negative must be at most {MAX_NEGATIVE}, got 100000"):
        Word2VecConfig(negative=100_000)
