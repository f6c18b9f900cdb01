"""``refit``: the epoch count chosen on a held-out share, then a second run on all the texts (issue 15)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cli_helpers import assert_user_error, run_cli, stage_context

from embedkit.config import replace_config
from embedkit.errors import ConfigError
from embedkit.models.classifier import TextClassifier
from embedkit.models.config import ClassifierConfig
from embedkit.training.clf import (
    CLF_TRAINER,
    best_epoch,
    check_refit,
    fit_classifier,
    holdout_split,
    prepare,
    refit_classifier,
)
from embedkit.training.ensemble import fit_rnn_seeds

CONFIG = ClassifierConfig(emb_dim=8, hidden=8, min_count=1, valid_fraction=0.25, refit=True)
TRAINER = replace_config(CLF_TRAINER, epochs=3, progress=False, seed=1)


def _data(n: int = 40, seed: int = 1) -> tuple[list[str], list[str]]:
    """Texts whose held-out share (as ``holdout_split`` draws it for CONFIG) alone holds the word 'zebra'."""
    _, held = holdout_split(n, CONFIG.valid_fraction, seed)
    texts = [("the film was great fun" if i % 2 else "the plot was dull") + (" zebra" if i in held else "")
             for i in range(n)]
    return texts, ["pos" if i % 2 else "neg" for i in range(n)]


def _epochs(folder: Path) -> int:
    records = [json.loads(line) for line in (folder / "metrics.jsonl").read_text().splitlines()]
    return sum(r["event"] == "epoch" for r in records)


@pytest.mark.parametrize("errors, restore_best, expected", [
    ([0.3, 0.2, 0.2, 0.25], True, 2),   # the first of the best, as restore_best keeps it
    ([0.3, 0.2, 0.2, 0.25], False, 4),  # the final weights are kept: every epoch
    ([0.1, 0.2, 0.3, 0.4], True, 1),
    (None, True, 4),                    # nothing validated: every epoch
])
def test_best_epoch_is_the_epoch_whose_weights_were_kept(errors, restore_best, expected) -> None:
    history = [{"event": "epoch", "epoch": k + 1, "train_loss": 1.0}
               | ({"valid_error": errors[k]} if errors else {}) for k in range(4)]
    trainer = replace_config(CLF_TRAINER, restore_best=restore_best)
    assert best_epoch({"epochs": 4, "history": history}, trainer) == expected


def test_refit_trains_on_every_text_for_the_kept_epochs(tmp_path: Path) -> None:
    texts, labels = _data()
    first = prepare(texts, labels, CONFIG, seed=TRAINER.seed)
    assert "zebra" not in first.classifier.vocab and len(first.train[0]) == 30
    history = [{"event": "epoch", "epoch": k + 1, "valid_error": e} for k, e in enumerate([0.4, 0.1, 0.3])]
    refit = refit_classifier(texts, labels, CONFIG, TRAINER, {"epochs": 3, "history": history},
                             out_dir=tmp_path / "refit")
    assert len(refit.train[0]) == 40 and refit.valid is None
    assert "zebra" in refit.classifier.vocab
    assert _epochs(tmp_path / "refit") == 2


def test_fit_classifier_and_seeds_refit_each_model() -> None:
    texts, labels = _data()
    assert "zebra" in fit_classifier(texts, labels, CONFIG, TRAINER).vocab
    assert "zebra" not in fit_classifier(texts, labels, replace_config(CONFIG, refit=False), TRAINER).vocab
    seeds = fit_rnn_seeds(texts, labels, CONFIG, TRAINER, 2)
    assert all("zebra" in member.vocab for member in seeds.members)


def test_refit_needs_a_held_out_share_of_the_training_texts() -> None:
    with pytest.raises(ConfigError, match="valid_fraction"):
        check_refit(replace_config(CONFIG, valid_fraction=0.0))
    with pytest.raises(ConfigError, match="--valid"):
        check_refit(CONFIG, valid_given=True)
    check_refit(replace_config(CONFIG, refit=False, valid_fraction=0.0), valid_given=True)
    texts, labels = _data()
    with pytest.raises(ConfigError, match="valid_fraction"):
        fit_classifier(texts, labels, replace_config(CONFIG, valid_fraction=0.0), TRAINER)


def test_cli_refit_says_what_it_did_and_refuses_what_cannot_refit(tmp_path: Path, capsys) -> None:
    texts, labels = _data()
    data = tmp_path / "train.tsv"
    data.write_text("text\tlabel\n" + "".join(f"{t}\t{y}\n" for t, y in zip(texts, labels, strict=True)))
    tiny = ["--emb-dim", "8", "--hidden", "8", "--epochs", "3", "--min-count", "1", "--seed", "1",
            "--valid-fraction", "0.25"]
    code, out, _ = run_cli(capsys, "clf", "train", str(data), "-o", str(tmp_path / "m"), *tiny, "--refit")
    assert code == 0 and "trained on 30 texts" in out and "refit on all 40 texts for" in out
    assert "zebra" in TextClassifier.load(tmp_path / "m").vocab
    assert _epochs(tmp_path / "m" / "training" / "refit") == int(out.split(" for ")[1].split()[0])
    for extra, needle in ((["--valid", str(data)], "--valid"), (["--valid-fraction", "0"], "valid_fraction"),
                          (["--model", "linear"], "--refit"), (["--resume"], "--refit")):
        out_dir = tmp_path / "bad"
        assert_user_error(run_cli(capsys, "clf", "train", str(data), "-o", str(out_dir), *tiny, "--refit", *extra),
                          needle)
        assert not out_dir.exists()


def test_run_stage_refits_and_reports_it(tmp_path: Path) -> None:
    from embedkit.run import stage_clf

    texts, labels = _data()
    (tmp_path / "train.tsv").write_text("text\tlabel\n" + "".join(f"{t}\t{y}\n" for t, y in zip(texts, labels,
                                                                                              strict=True)))
    ctx, _ = stage_context(tmp_path, "out")
    summary = stage_clf.stage({"input": "train.tsv", "epochs": 2, "emb_dim": 8, "hidden": 8, "min_count": 1,
                               "valid_fraction": 0.25, "refit": True, "seed": 1}, ctx)
    assert summary["texts"] == 30 and summary["refit_texts"] == 40 and 1 <= summary["refit_epochs"] <= 2
    assert "zebra" in TextClassifier.load(ctx.artifacts["clf"]).vocab

