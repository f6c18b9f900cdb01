"""The RNN classifier: packed batches, pooling, learning a separable task, saving, metrics; the [clf] stage."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from cli_helpers import stage_context

from embedkit.config import replace_config
from embedkit.errors import ConfigError, InputError, ModelFormatError
from embedkit.models.classifier import RNNClassifier, TextClassifier, pad_batch
from embedkit.models.config import ClassifierConfig
from embedkit.models.linear import nb_ratios, nb_ratios_left_out
from embedkit.models.metrics import accuracy, classification_report, confusion_matrix, macro_f1
from embedkit.training.clf import CLF_TRAINER, prepare, train_classifier


def _toy(n: int = 120) -> tuple[list[str], list[str]]:
    rng = np.random.default_rng(0)
    good, bad, filler = ["great", "fine", "lovely"], ["awful", "dull", "boring"], ["the", "film", "was", "plot"]
    texts, labels = [], []
    for i in range(n):
        label = "pos" if i % 2 else "neg"
        words = list(rng.choice(filler, size=int(rng.integers(2, 6))))
        words.insert(int(rng.integers(0, len(words))), str(rng.choice(good if label == "pos" else bad)))
        texts.append(" ".join(words))
        labels.append(label)
    return texts, labels


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("pooling", ["last", "mean", "max"])
def test_packed_batch_equals_one_by_one(cell: str, bidirectional: bool, pooling: str) -> None:
    torch.manual_seed(0)
    config = ClassifierConfig(cell=cell, bidirectional=bidirectional, pooling=pooling, layers=2,
                              emb_dim=8, hidden=6)
    model = RNNClassifier(20, 3, config).eval()
    seqs = [[3, 4, 5, 6, 7], [8, 9], [10], [11, 12, 13]]
    ids, lengths = pad_batch(seqs)
    batched = model(ids, lengths)
    assert batched.shape == (4, 3)
    for i, s in enumerate(seqs):
        alone = model(torch.tensor([s]), torch.tensor([len(s)]))
        assert torch.allclose(batched[i], alone[0], atol=1e-5), (i, batched[i], alone)


def test_embedding_matrix_is_used_frozen_and_checked() -> None:
    matrix = np.random.default_rng(0).normal(size=(10, 4)).astype(np.float32)
    config = ClassifierConfig(emb_dim=4, freeze_embeddings=True)
    model = RNNClassifier(10, 2, config, embeddings=matrix)
    assert torch.allclose(model.embedding.weight, torch.from_numpy(matrix))
    assert not model.embedding.weight.requires_grad
    assert RNNClassifier(10, 2, ClassifierConfig(emb_dim=4), embeddings=matrix).embedding.weight.requires_grad
    with pytest.raises(ConfigError):
        RNNClassifier(11, 2, config, embeddings=matrix)
    with pytest.raises(ConfigError):
        RNNClassifier(10, 2, ClassifierConfig(emb_dim=5), embeddings=matrix)
    with pytest.raises(ConfigError):
        RNNClassifier(10, 1, config)


def test_prepare_checks_classes_and_vector_dimensions() -> None:
    texts, labels = _toy(20)
    with pytest.raises(InputError):
        prepare(texts, ["pos"] * len(texts))
    config = ClassifierConfig(emb_dim=16)
    with pytest.raises(ConfigError):
        prepare(texts, labels, config, embeddings=np.zeros((3, 16)))
    prepared = prepare(texts, labels, ClassifierConfig(min_count=1), embeddings=None)
    size = len(prepared.classifier.vocab)
    with pytest.raises(ConfigError):
        prepare(texts, labels, ClassifierConfig(min_count=1, emb_dim=16), embeddings=np.zeros((size, 8)))
    adopted = prepare(texts, labels, ClassifierConfig(min_count=1), embeddings=np.ones((size, 8)), adopt_dim=True)
    assert adopted.classifier.config.emb_dim == 8


def test_learns_a_separable_task_and_round_trips(tmp_path) -> None:
    texts, labels = _toy()
    config = ClassifierConfig(min_count=1, emb_dim=16, hidden=16, bidirectional=True, dropout=0.0,
                              emb_dropout=0.0, valid_fraction=0.2, class_weights="balanced", max_len=4)
    prepared = prepare(texts, labels, config)
    assert prepared.classifier.truncated > 0
    result = train_classifier(prepared, replace_config(CLF_TRAINER, epochs=12, lr=0.02, progress=False, patience=None),
                              out_dir=tmp_path / "run")
    clf = prepared.classifier
    report = clf.evaluate(["the great film", "awful plot", "was dull", "lovely"], ["pos", "neg", "neg", "pos"])
    assert report["accuracy"] == 1.0, result["history"]
    predictions = clf.predict(["fine film"])
    assert predictions[0].label == "pos" and predictions[0].probability > 0.5
    assert sum(predictions[0].probabilities.values()) == pytest.approx(1.0)
    clf.save(tmp_path / "clf")
    again = TextClassifier.load(tmp_path / "clf")
    probe = ["the plot was boring", "great", ""]
    assert np.allclose(again.predict_proba(probe), clf.predict_proba(probe), atol=1e-6)
    assert (tmp_path / "run" / "metrics.jsonl").exists()


@pytest.mark.parametrize("classes", [2, 3])
def test_nb_features_are_the_training_ratios_fixed_and_saved(tmp_path, classes: int) -> None:
    texts, labels = _toy(90)
    if classes == 3:
        labels = [label if i % 3 else "mixed" for i, label in enumerate(labels)]
    config = ClassifierConfig(emb_dim=6, hidden=5, nb_features=True, min_count=1, valid_fraction=0.2)
    prepared = prepare(texts, labels, config, seed=0)
    model, vocab = prepared.classifier.model, prepared.classifier.vocab
    docs, y = prepared.train
    names = prepared.classifier.labels
    counts = np.zeros((len(names), len(vocab)))
    for ids, k in zip(docs, y, strict=True):
        counts[k, sorted(set(ids))] += 1
    expected = np.empty((len(vocab), len(names)))
    for k in range(len(names)):
        p, q = counts[k] + 1, counts.sum(0) - counts[k] + 1
        expected[:, k] = np.log(p / p.sum()) - np.log(q / q.sum())
    expected = expected[:, 1:] if classes == 2 else expected
    expected[vocab.pad_id] = 0
    table = model.nb.weight.detach().numpy()
    np.testing.assert_allclose(table, expected, rtol=1e-5, atol=1e-6)
    assert model.rnn.input_size == 6 + (1 if classes == 2 else 3)
    if classes == 2:
        pos = names.index("pos")
        sign = 1 if pos == 1 else -1
        assert sign * table[vocab["great"], 0] > 0 > sign * table[vocab["awful"], 0]
    train_classifier(prepared, replace_config(CLF_TRAINER, epochs=2, progress=False))
    np.testing.assert_array_equal(model.nb.weight.detach().numpy(), table)
    before = prepared.classifier.predict_proba(texts[:7])
    prepared.classifier.save(tmp_path / "m")
    loaded = TextClassifier.load(tmp_path / "m")
    np.testing.assert_allclose(loaded.predict_proba(texts[:7]), before, rtol=1e-5, atol=1e-6)
    with torch.no_grad():
        model.nb.weight.zero_()
    assert not np.allclose(prepared.classifier.predict_proba(texts[:7]), before)


def test_nb_ratios_left_out_remove_the_document_itself() -> None:
    rng = np.random.default_rng(3)
    docs = [sorted(set(rng.integers(0, 12, size=5).tolist())) for _ in range(40)] + [[12]]  # 12: seen once
    labels = np.array([i % 3 for i in range(40)] + [1])
    tables = nb_ratios_left_out(docs, labels, 13, 3, alpha=1.0)
    full = nb_ratios(docs, labels, 13, 3, alpha=1.0)
    counts = np.zeros((3, 13))
    for ids, y in zip(docs, labels, strict=True):
        counts[y, ids] += 1
    norms_p = (counts + 1).sum(1)
    norms_q = (counts.sum(0) - counts + 1).sum(1)
    for d, (ids, own) in enumerate(zip(docs, labels, strict=True)):
        rest = counts.copy()
        rest[own, ids] -= 1
        for k in range(3):
            expected = (np.log(rest[k, ids] + 1) - np.log(norms_p[k])
                        - np.log(rest.sum(0)[ids] - rest[k, ids] + 1) + np.log(norms_q[k]))
            np.testing.assert_allclose(tables[own, ids, k], expected, rtol=1e-12, err_msg=f"doc {d}")
    # the word seen once: its own document's label shows in the full ratios, not in the left-out ones
    assert full[12, 1] > 0.5
    np.testing.assert_allclose(tables[1, 12], np.log(norms_q) - np.log(norms_p))


def test_training_forward_reads_the_left_out_ratios_of_each_label() -> None:
    config = ClassifierConfig(emb_dim=4, hidden=3, nb_features=True, dropout=0.0, emb_dropout=0.0)
    model = RNNClassifier(6, 2, config)
    rng = np.random.default_rng(0)
    full, left_out = rng.normal(size=(6, 2)), rng.normal(size=(2, 6, 2))
    model.set_nb_ratios(full, left_out)
    ids, lengths = torch.tensor([[1, 2, 3], [4, 5, 0]]), torch.tensor([3, 2])
    labels = torch.tensor([1, 0])
    model.train()
    trained = model(ids, lengths, labels=labels)
    assert torch.allclose(model(ids, lengths), model.eval()(ids, lengths))  # no labels: the full table
    for row, label in enumerate(labels.tolist()):
        model.set_nb_ratios(left_out[label])
        assert torch.allclose(model(ids[row:row + 1, :int(lengths[row])], lengths[row:row + 1]), trained[row])
    model.set_nb_ratios(full)
    assert not torch.allclose(model(ids, lengths), trained)
    assert "nb_left_out" not in model.state_dict()


def test_load_rejects_other_architectures(tmp_path) -> None:
    texts, labels = _toy(30)
    clf = prepare(texts, labels, ClassifierConfig(min_count=1, emb_dim=8, hidden=8)).classifier
    clf.save(tmp_path / "a")
    meta = json.loads((tmp_path / "a" / "config.json").read_text())
    meta["model"]["cell"] = "lstm"
    (tmp_path / "a" / "config.json").write_text(json.dumps(meta))
    with pytest.raises(ModelFormatError, match="another architecture"):
        TextClassifier.load(tmp_path / "a")
    meta["format"] = "embedkit.lm/1"
    (tmp_path / "a" / "config.json").write_text(json.dumps(meta))
    with pytest.raises(ModelFormatError):
        TextClassifier.load(tmp_path / "a")
    with pytest.raises(InputError):
        TextClassifier.load(tmp_path / "missing")


def test_metrics_against_hand_computation() -> None:
    y_true = [0, 0, 0, 1, 1, 2]
    y_pred = [0, 1, 0, 1, 2, 2]
    assert confusion_matrix(y_true, y_pred, 3).tolist() == [[2, 1, 0], [0, 1, 1], [0, 0, 1]]
    assert accuracy(y_true, y_pred) == pytest.approx(4 / 6)
    # F1: class 0 = 2*2/(2+3) = 0.8; class 1 = 2*1/(2+2) = 0.5; class 2 = 2*1/(2+1) = 2/3
    assert macro_f1(y_true, y_pred, 3) == pytest.approx((0.8 + 0.5 + 2 / 3) / 3)
    report = classification_report(y_true, y_pred, ["a", "b", "c"])
    assert report["f1"]["a"] == pytest.approx(0.8) and report["items"] == 6
    assert macro_f1([0, 0], [0, 0], 3) == 1.0


def test_run_stage_writes_its_artifacts(tmp_path) -> None:
    from embedkit.run import stage_clf

    texts, labels = _toy(60)
    rows = "".join(f"{t}\t{y}\n" for t, y in zip(texts, labels, strict=True))
    (tmp_path / "train.tsv").write_text("text\tlabel\n" + rows)
    ctx, _ = stage_context(tmp_path, "out")
    summary = stage_clf.stage({"input": "train.tsv", "test": "train.tsv", "epochs": 1, "emb_dim": 8,
                               "hidden": 8, "min_count": 1}, ctx)
    assert summary["classes"] == 2
    trained = TextClassifier.load(ctx.artifacts["clf"])
    assert summary["test_accuracy"] == pytest.approx(trained.evaluate(texts, labels)["accuracy"])
    with pytest.raises(ConfigError):
        stage_clf.stage({"input": "train.tsv", "colour": "red"}, ctx)


@pytest.mark.parametrize("change, needle", [
    ({"model": {"hidden": 200000}}, "parameters"),
    ({"vocab_size": 10**9}, "vocabulary"),
    ({"model": {"hidden": 3000}}, "cannot hold"),
    ({"model": {"emb_dim": 9}}, "embedding.weight"),
    ({"num_classes": 0}, "positive integers"),
])
def test_load_checks_the_config_sizes_before_building(tmp_path, change: dict, needle: str) -> None:
    texts, labels = _toy(30)
    prepare(texts, labels, ClassifierConfig(min_count=1, emb_dim=8, hidden=8)).classifier.save(tmp_path)
    meta = json.loads((tmp_path / "config.json").read_text())
    for key, value in change.items():
        if isinstance(value, dict):
            meta[key].update(value)
        else:
            meta[key] = value
    (tmp_path / "config.json").write_text(json.dumps(meta))
    with pytest.raises(ModelFormatError, match=needle):
        TextClassifier.load(tmp_path)


def test_a_string_given_for_the_texts_is_a_type_error_not_one_text_per_letter() -> None:
    from embedkit.models.linear import LinearConfig, fit_linear

    texts, labels = _toy()
    config = ClassifierConfig(min_count=1, emb_dim=8, hidden=8, valid_fraction=0.0)
    rnn = prepare(texts, labels, config).classifier
    linear = fit_linear(texts, labels, LinearConfig(epochs=1))
    for clf in (rnn, linear):
        with pytest.raises(TypeError, match="a list of texts"):
            clf.predict("good film")
        with pytest.raises(TypeError, match="a list of texts"):
            clf.evaluate("good", ["pos"] * 4)
        assert len(clf.predict(["good film"])) == 1
