"""Data-parallel training: the helpers are no-ops in one process, shards are fair, and real 2-process
``torchrun`` (gloo, CPU) runs of the classifier and the language model write folders a single process loads."""

from __future__ import annotations

import math
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest
import torch
import torch.distributed as dist

from embedkit.cli import main
from embedkit.models.classifier import TextClassifier
from embedkit.models.config import LMConfig
from embedkit.models.language_model import LanguageModel, LMBundle
from embedkit.training import distributed
from embedkit.training.clf import ClassifierTask
from embedkit.training.data import batchify, shard_stream
from embedkit.training.lm import file_perplexity, stream_nll, stream_nll_sum
from embedkit.weights import load_weights

needs_gloo = pytest.mark.skipif(not (dist.is_available() and dist.is_gloo_available()),
                                reason="torch.distributed with gloo is not available")
CLF_ARGS = ["--emb-dim", "16", "--hidden", "16", "--epochs", "6", "--lr", "0.02", "--batch-size", "16",
            "--min-count", "1", "--seed", "1", "--patience", "6"]


def _labelled(path: Path, n: int, seed: int) -> None:
    """A learnable two-class set: filler words plus two or three cue words of the label, sometimes one decoy."""
    rng = random.Random(seed)
    cues = {"pos": [f"good{i}" for i in range(8)], "neg": [f"bad{i}" for i in range(8)]}
    filler = [f"w{i}" for i in range(40)]
    rows = ["text\tlabel"]
    for _ in range(n):
        label, other = ("pos", "neg") if rng.random() < 0.5 else ("neg", "pos")
        words = rng.choices(filler, k=rng.randint(4, 10)) + rng.choices(cues[label], k=rng.randint(2, 3))
        if rng.random() < 0.3:
            words.append(rng.choice(cues[other]))
        rng.shuffle(words)
        rows.append(f"{' '.join(words)}\t{label}")
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")


def _torchrun(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """``torchrun --standalone --nproc_per_node 2 -m embedkit ARGS`` (a free port is picked by the launcher)."""
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    for key in ("WORLD_SIZE", "RANK", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT"):
        env.pop(key, None)
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
               "-m", "embedkit", *args]
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stdout + done.stderr
    return done


# ---- one process: every helper is a no-op -----------------------------------------------------------------


def test_helpers_are_no_ops_in_one_process(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("WORLD_SIZE", raising=False)
    assert not distributed.launched() and not distributed.setup() and not distributed.active()
    assert (distributed.rank(), distributed.world_size(), distributed.local_rank()) == (0, 1, 0)
    assert distributed.is_main() and distributed.device() == torch.device("cpu")
    distributed.barrier()
    assert distributed.all_reduce_sum([1.5, 2, True]) == [1.5, 2.0, 1.0]
    assert distributed.broadcast({"loss": 1.0}) == {"loss": 1.0}
    distributed.cleanup()
    monkeypatch.setenv("WORLD_SIZE", "1")
    monkeypatch.setenv("RANK", "0")
    assert not distributed.launched() and not distributed.setup()
    monkeypatch.setenv("WORLD_SIZE", "2")
    assert distributed.launched()


def test_token_shards_are_contiguous_and_equal() -> None:
    ids = torch.arange(103)
    shards = [shard_stream(ids, r, 3) for r in range(3)]
    assert [s.numel() for s in shards] == [34, 34, 34]
    assert torch.equal(torch.cat(shards), ids[:102])
    assert shard_stream(ids, 0, 1) is ids
    assert len({batchify(s, 4).shape for s in shards}) == 1


def test_validation_by_columns_adds_up_to_the_whole() -> None:
    torch.manual_seed(0)
    model = LanguageModel(LMConfig(layers=1, hidden=8, emb_dim=8, bptt=5, batch_size=4), 20)
    data = batchify(torch.randint(0, 20, (200,), generator=torch.Generator().manual_seed(1)), 5)
    parts = [stream_nll_sum(model, data[:, r::2].contiguous(), 5) for r in range(2)]
    total, count = (sum(x) for x in zip(*parts, strict=True))
    assert count == data[1:].numel()
    assert total / count == pytest.approx(stream_nll(model, data, 5), rel=1e-5)
    assert stream_nll_sum(model, data[:, :0], 5) == (0.0, 0)


def test_classifier_batches_are_dealt_fairly(monkeypatch: pytest.MonkeyPatch) -> None:
    texts = [[i % 7 + 2] * (1 + i % 5) for i in range(90)]
    task = ClassifierTask((texts, [i % 2 for i in range(90)]), None, batch_size=8, pad_id=0, seed=4)
    everything = task.train_batches(3)
    dealt = []
    monkeypatch.setattr(distributed, "world_size", lambda: 2)
    for r in range(2):
        monkeypatch.setattr(distributed, "rank", lambda r=r: r)
        dealt.append(task.train_batches(3))
        assert [b[0].tolist() for b in dealt[-1]] == [b[0].tolist() for b in task.train_batches(3)]
    assert len(dealt[0]) == len(dealt[1]) == math.ceil(len(everything) / 2)
    seen = {tuple(b[0].flatten().tolist()) for part in dealt for b in part}
    assert seen == {tuple(b[0].flatten().tolist()) for b in everything}


# ---- real torchrun runs -------------------------------------------------------------------------------------


@needs_gloo
def test_two_process_classifier_matches_one_process(tmp_path: Path) -> None:
    _labelled(tmp_path / "train.tsv", 600, seed=0)
    _labelled(tmp_path / "test.tsv", 200, seed=1)
    done = _torchrun(["clf", "train", str(tmp_path / "train.tsv"), "-o", str(tmp_path / "ddp"), *CLF_ARGS],
                     tmp_path)
    assert done.stdout.count("trained on") == 1, done.stdout
    try:
        main(["clf", "train", str(tmp_path / "train.tsv"), "-o", str(tmp_path / "single"), *CLF_ARGS])
    except SystemExit as exc:
        assert not exc.code, exc
    test = (tmp_path / "test.tsv").read_text(encoding="utf-8").splitlines()[1:]
    texts, labels = zip(*(line.split("\t") for line in test), strict=True)
    ddp = TextClassifier.load(tmp_path / "ddp")
    single = TextClassifier.load(tmp_path / "single")
    acc_ddp = ddp.evaluate(texts, labels)["accuracy"]
    acc_single = single.evaluate(texts, labels)["accuracy"]
    assert acc_single > 0.75 and abs(acc_ddp - acc_single) <= 0.08, (acc_ddp, acc_single)
    metrics = (tmp_path / "ddp" / "training" / "metrics.jsonl").read_text().splitlines()
    assert sum('"event": "epoch"' in line for line in metrics) == 6
    load_weights(single.model, tmp_path / "ddp" / "training" / "checkpoint" / "model.safetensors")


@needs_gloo
def test_two_process_language_model_loads_in_one_process(tmp_path: Path, lee_corpus: Path) -> None:
    lines = [line.lower() for line in lee_corpus.read_text(encoding="utf-8").splitlines() if line.strip()]
    (tmp_path / "train.txt").write_text("\n".join(lines[:150]) + "\n", encoding="utf-8")
    (tmp_path / "valid.txt").write_text("\n".join(lines[250:280]) + "\n", encoding="utf-8")
    done = _torchrun(["lm", "train", str(tmp_path / "train.txt"), "--valid", str(tmp_path / "valid.txt"),
                      "-o", str(tmp_path / "lm"), "--layers", "1", "--hidden", "24", "--emb-dim", "24",
                      "--epochs", "1", "--bptt", "20", "--batch-size", "8", "--max-vocab", "1500"], tmp_path)
    assert done.stdout.count("model written to") == 1, done.stdout
    bundle = LMBundle.load(tmp_path / "lm")
    scored = file_perplexity(bundle, tmp_path / "valid.txt")
    assert math.isfinite(scored["perplexity"]) and 1 < scored["perplexity"] < 1500
    assert scored["perplexity"] == pytest.approx(bundle.results["valid_perplexity"], rel=1e-4)
    assert bundle.results["train_tokens"] % 2 == 0
