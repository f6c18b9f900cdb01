"""The linear baseline: naive Bayes ratios by the formula, the logit it defines, training, files."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from embedkit.errors import ModelFormatError
from embedkit.models.linear import LinearClassifier, LinearConfig, fit_linear, nb_ratios, ngram_features
from embedkit.text.config import PreprocessConfig

TEXTS = ["a great and moving film", "great acting , great story", "moving and wonderful",
         "a dull and boring film", "boring story , dull acting", "dull and tedious"] * 3
EN = PreprocessConfig(lang="en")
LABELS = ["pos", "pos", "pos", "neg", "neg", "neg"] * 3


def test_ngram_features_are_distinct_one_to_n_grams() -> None:
    assert ngram_features(["a", "b", "a", "b"], 2) == {"a", "b", "a b", "b a"}
    assert ngram_features(["a"], 3) == {"a"}


def test_nb_ratios_follow_wang_and_manning() -> None:
    docs = [[0, 1], [0], [2]]
    labels = np.array([0, 0, 1])
    ratios = nb_ratios(docs, labels, features=3, classes=2, alpha=1.0)
    p = np.array([2, 1, 0]) + 1.0
    q = np.array([0, 0, 1]) + 1.0
    expected = np.log(p / p.sum()) - np.log(q / q.sum())
    np.testing.assert_allclose(ratios[:, 0], expected)
    np.testing.assert_allclose(ratios[:, 1], -expected)


def test_probabilities_are_the_softmax_of_the_nb_scaled_logit() -> None:
    model = fit_linear(TEXTS, LABELS, LinearConfig(text=EN), seed=0)
    text = "a great but dull film"
    ids = [model.index[f] for f in ngram_features(model.tokenize(text), 2) if f in model.index]
    logits = (model.weight[ids] * model.ratio[ids]).sum(0) + model.bias
    expected = torch.softmax(logits.double(), -1).numpy()
    np.testing.assert_allclose(model.predict_proba([text])[0], expected, rtol=1e-5)


def test_training_separates_the_classes_and_repeats_with_a_seed() -> None:
    first = fit_linear(TEXTS, LABELS, LinearConfig(text=EN), seed=3)
    again = fit_linear(TEXTS, LABELS, LinearConfig(text=EN), seed=3)
    assert [p.label for p in first.predict(["great moving story", "tedious boring acting"])] == ["pos", "neg"]
    assert first.evaluate(TEXTS, LABELS)["accuracy"] == 1.0
    assert torch.equal(first.weight, again.weight)


def test_plain_logistic_regression_has_unit_ratios() -> None:
    model = fit_linear(TEXTS, LABELS, LinearConfig(text=EN, nb=False))
    assert torch.equal(model.ratio, torch.ones_like(model.ratio))


def test_save_and_load_give_the_same_probabilities(tmp_path) -> None:
    model = fit_linear(TEXTS, LABELS, LinearConfig(text=EN))
    model.save(tmp_path)
    loaded = LinearClassifier.load(tmp_path)
    np.testing.assert_array_equal(loaded.predict_proba(TEXTS), model.predict_proba(TEXTS))
    assert loaded.labels == ["neg", "pos"] and loaded.config == model.config


def test_a_config_declaring_huge_sizes_is_refused_before_reading_weights(tmp_path) -> None:
    fit_linear(TEXTS, LABELS, LinearConfig(text=EN)).save(tmp_path)
    meta = json.loads((tmp_path / "config.json").read_text())
    meta["features"] = 2**40
    (tmp_path / "config.json").write_text(json.dumps(meta))
    with pytest.raises(ModelFormatError, match="declares"):
        LinearClassifier.load(tmp_path)


def test_weights_of_another_shape_are_a_format_error(tmp_path) -> None:
    fit_linear(TEXTS, LABELS, LinearConfig(text=EN)).save(tmp_path)
    features = json.loads((tmp_path / "features.json").read_text())
    (tmp_path / "features.json").write_text(json.dumps(features[:-1]))
    meta = json.loads((tmp_path / "config.json").read_text())
    meta["features"] -= 1
    (tmp_path / "config.json").write_text(json.dumps(meta))
    with pytest.raises(ModelFormatError, match="do not fit"):
        LinearClassifier.load(tmp_path)


@pytest.mark.parametrize("bad", [{"ngrams": 0}, {"alpha": 0.0}, {"weight_decay": -1.0}, {"text": {"lang": "xx"}}])
def test_bad_settings_are_config_errors(bad) -> None:
    from embedkit.config import config_from_dict
    from embedkit.errors import ConfigError

    with pytest.raises(ConfigError):
        config_from_dict(LinearConfig, bad)


def test_one_class_is_refused() -> None:
    from embedkit.errors import ConfigError

    with pytest.raises(ConfigError, match="two classes"):
        fit_linear(["a", "b"], ["x", "x"])
