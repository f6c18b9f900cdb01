"""The RNN + linear ensemble: the weighted product, the weight chosen on held-out texts, its folder and
`clf train --model rnn+linear` (issue 15)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from cli_helpers import assert_user_error, run_cli

from embedkit.errors import ConfigError, ModelFormatError
from embedkit.models.ensemble import EnsembleClassifier, best_weight, combine

EN = "text\tlabel\n" + "".join(
    f"{'the film was great fun' if i % 2 else 'the plot was dull and awful'} {i % 3}\t{'pos' if i % 2 else 'neg'}\n"
    for i in range(40))
TINY = ["--emb-dim", "8", "--hidden", "8", "--epochs", "1", "--min-count", "1", "--seed", "1"]


class Fixed:
    """A member that answers the same distribution for every text."""

    def __init__(self, proba: list[float], labels: tuple[str, ...] = ("neg", "pos")) -> None:
        self.proba, self.labels = np.asarray(proba, dtype=np.float32), list(labels)

    def predict_proba(self, texts, batch_size=256):
        return np.tile(self.proba, (len(texts), 1))


def test_combine_is_the_renormalised_weighted_geometric_mean() -> None:
    a, b = np.array([[0.9, 0.1], [0.2, 0.8]]), np.array([[0.3, 0.7], [0.6, 0.4]])
    expected = np.sqrt(a * b) / np.sqrt(a * b).sum(1, keepdims=True)
    np.testing.assert_allclose(combine((a, b), (0.5, 0.5)), expected, rtol=1e-5)
    np.testing.assert_allclose(combine((a, b), (1.0, 0.0)), a, rtol=1e-5)
    np.testing.assert_allclose(combine((a, b), (0.25, 0.75)).sum(1), 1.0, rtol=1e-6)


def test_best_weight_follows_the_member_that_is_right() -> None:
    y = [0, 1, 0, 1]
    right = np.array([[0.8, 0.2], [0.3, 0.7], [0.6, 0.4], [0.1, 0.9]])
    wrong = right[:, ::-1].copy()
    assert best_weight(right, wrong, y) == 1.0
    assert best_weight(wrong, right, y) == 0.0
    assert best_weight(right, right, y) == 0.5  # all ties: the middle


def test_predictions_and_bad_members() -> None:
    ens = EnsembleClassifier([Fixed([0.9, 0.1]), Fixed([0.2, 0.8])], [0.75, 0.25])
    assert ens.predict(["x"])[0].label == "neg"
    with pytest.raises(ConfigError, match="sum to 1"):
        EnsembleClassifier([Fixed([0.9, 0.1]), Fixed([0.2, 0.8])], [0.5, 0.6])
    with pytest.raises(ConfigError, match="same labels"):
        EnsembleClassifier([Fixed([0.9, 0.1]), Fixed([0.2, 0.8], ("a", "b"))], [0.5, 0.5])
    with pytest.raises(ConfigError, match="two or more"):
        EnsembleClassifier([Fixed([0.9, 0.1])], [1.0])


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from embedkit.cli import main

    folder = tmp_path_factory.mktemp("ens")
    (folder / "en.tsv").write_text(EN)
    try:
        main(["clf", "train", str(folder / "en.tsv"), "-o", str(folder / "m"), "--model", "rnn+linear", *TINY])
    except SystemExit as exc:
        assert not exc.code
    return folder


def test_cli_trains_saves_and_predicts_with_both_members(trained: Path, capsys) -> None:
    from embedkit.models.load import load_classifier

    meta = json.loads((trained / "m" / "config.json").read_text())
    assert meta["architecture"] == "ensemble" and meta["members"] == ["rnn", "linear"]
    assert sum(meta["weights"]) == pytest.approx(1.0)
    ens = load_classifier(trained / "m")
    texts = ["the film was great fun 1", "the plot was dull and awful 0"]
    expected = combine([m.predict_proba(texts) for m in ens.members], ens.weights)
    np.testing.assert_allclose(ens.predict_proba(texts), expected, rtol=1e-6)
    (trained / "in.txt").write_text("\n".join(texts) + "\n")
    code, out, _ = run_cli(capsys, "clf", "predict", trained / "m", trained / "in.txt")
    assert code == 0 and [line.split("\t")[0] for line in out.splitlines()] == ["pos", "neg"]


def test_a_damaged_or_nested_folder_is_a_format_error(trained: Path, tmp_path: Path) -> None:
    import shutil

    from embedkit.models.load import load_classifier

    bad = tmp_path / "bad"
    shutil.copytree(trained / "m", bad)
    meta = json.loads((bad / "config.json").read_text())
    (bad / "config.json").write_text(json.dumps({**meta, "weights": [0.9, 0.9]}))
    with pytest.raises(ModelFormatError, match="damaged ensemble"):
        load_classifier(bad)
    (bad / "config.json").write_text(json.dumps({**meta, "members": ["../m", "linear"]}))
    with pytest.raises(ModelFormatError, match="damaged ensemble"):
        load_classifier(bad)
    nested = tmp_path / "nested"
    shutil.copytree(trained / "m", nested / "rnn")
    shutil.copytree(trained / "m" / "linear", nested / "linear")
    (nested / "config.json").write_text(json.dumps(meta))
    with pytest.raises(ModelFormatError):
        load_classifier(nested)


def test_cv_runs_the_ensemble_per_fold_and_zero_holdout_is_one_line(trained: Path, capsys) -> None:
    code, out, _ = run_cli(capsys, "clf", "train", trained / "en.tsv", "--model", "rnn+linear", "--cv", "2",
                           "--json", *TINY)
    assert code == 0 and len(json.loads(out)["folds"]) == 2
    assert_user_error(run_cli(capsys, "clf", "train", trained / "en.tsv", "--model", "rnn+linear",
                              "--valid-fraction", "0", "-o", trained / "never", *TINY), "valid_fraction")
    assert not (trained / "never").exists()


def test_seed_ensemble_members_differ_by_seed_and_vote_equally(tmp_path: Path) -> None:
    from embedkit.config import replace_config
    from embedkit.models.config import ClassifierConfig
    from embedkit.models.load import load_classifier
    from embedkit.training.clf import CLF_TRAINER
    from embedkit.training.ensemble import fit_rnn_seeds

    rows = [line.split("\t") for line in EN.splitlines()[1:]]
    texts, labels = [t for t, _ in rows], [y for _, y in rows]
    config = ClassifierConfig(emb_dim=6, hidden=5, min_count=1, nb_features=True)
    trainer = replace_config(CLF_TRAINER, epochs=1, progress=False, seed=4)
    ensemble = fit_rnn_seeds(texts, labels, config, trainer, 3)
    assert ensemble.weights == pytest.approx([1 / 3] * 3) and ensemble.names == ["rnn1", "rnn2", "rnn3"]
    firsts = [m.model.embedding.weight[2].detach().numpy() for m in ensemble.members]
    assert not np.allclose(firsts[0], firsts[1]) and not np.allclose(firsts[1], firsts[2])
    probe = texts[:5] + ["an unseen review"]
    expected = combine([m.predict_proba(probe) for m in ensemble.members], [1 / 3] * 3)
    np.testing.assert_allclose(ensemble.predict_proba(probe), expected, rtol=1e-6)
    ensemble.save(tmp_path / "seeds")
    np.testing.assert_allclose(load_classifier(tmp_path / "seeds").predict_proba(probe), expected, rtol=1e-5)
    with pytest.raises(ConfigError, match="at least 2"):
        fit_rnn_seeds(texts, labels, config, trainer, 1)


def test_cli_seeds_saves_one_ensemble_and_refuses_other_models(trained: Path, tmp_path: Path, capsys) -> None:
    data = trained / "en.tsv"
    code, out, _ = run_cli(capsys, "clf", "train", data, "-o", tmp_path / "s", "--seeds", "2", *TINY)
    assert code == 0 and "ensemble of 2 RNNs" in out
    meta = json.loads((tmp_path / "s" / "config.json").read_text())
    assert meta["members"] == ["rnn1", "rnn2"] and meta["weights"] == pytest.approx([0.5, 0.5])
    code, out, _ = run_cli(capsys, "clf", "eval", tmp_path / "s", data, "--json")
    assert code == 0 and 0 <= json.loads(out)["accuracy"] <= 1
    assert_user_error(run_cli(capsys, "clf", "train", data, "-o", tmp_path / "x", "--seeds", "2", "--model",
                              "linear"), "--seeds")
    assert not (tmp_path / "x").exists()
