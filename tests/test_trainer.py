"""The Trainer: clipping bounds the norm, a killed run resumes to the same weights, the NaN guard stops."""

from __future__ import annotations

import json
import pickle

import pytest
import torch

from embedkit.errors import ConfigError, ModelFormatError
from embedkit.models.config import LMConfig
from embedkit.models.language_model import LanguageModel
from embedkit.training.config import TrainerConfig
from embedkit.training.data import batchify
from embedkit.training.lm import LMTask
from embedkit.training.trainer import Trainer, TrainingError
from embedkit.weights import read_tensors

CONFIG = LMConfig(layers=2, hidden=12, emb_dim=12, dropout=0.3, bptt=5, batch_size=4)


pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _lm() -> tuple[LanguageModel, LMTask]:
    torch.manual_seed(0)
    stream = torch.randint(0, 30, (400,), generator=torch.Generator().manual_seed(1))
    model = LanguageModel(CONFIG, 30)
    return model, LMTask(batchify(stream, 4), batchify(stream[:100], 2), bptt=5)


def _settings(**changes) -> TrainerConfig:
    return TrainerConfig(**{"epochs": 3, "lr": 0.01, "progress": False, "patience": None, "seed": 3, **changes})


class _Kill(Exception):
    pass


@pytest.mark.parametrize("averaging", [{}, {"average": 0.9, "average_start": 1}], ids=["raw", "averaged"])
def test_resume_gives_the_same_weights(tmp_path, averaging) -> None:
    model, task = _lm()
    Trainer(model, task, _settings(**averaging)).fit()
    reference = {k: v.clone() for k, v in model.state_dict().items()}

    model, task = _lm()
    trainer = Trainer(model, task, _settings(checkpoint_every=7, **averaging), tmp_path)

    def kill(t: Trainer) -> None:
        if t.step == 37:
            raise _Kill

    trainer.add_callback("on_batch_end", kill)
    with pytest.raises(_Kill):
        trainer.fit()
    assert json.loads((tmp_path / "checkpoint" / "trainer.json").read_text())["step"] == 35
    fresh, task = _lm()
    for p in fresh.parameters():
        torch.nn.init.zeros_(p)
    resumed = Trainer(fresh, task, _settings(checkpoint_every=7, **averaging), tmp_path)
    summary = resumed.fit(resume=True)
    assert summary["steps"] == 3 * 20
    for key, value in fresh.state_dict().items():
        torch.testing.assert_close(value, reference[key], rtol=0, atol=0)
    steps = [json.loads(line)["step"] for line in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    assert steps == sorted(steps)
    assert (tmp_path / "loss.png").stat().st_size > 1000


class _Line:
    """Three batches an epoch of y = 3x + 1 with noise fixed by the epoch, no validation."""

    def train_batches(self, epoch):
        g = torch.Generator().manual_seed(epoch)
        return [(x := torch.randn(8, 1, generator=g), 3 * x + 1 + torch.randn(8, 1, generator=g)) for _ in range(3)]

    def loss(self, model, batch, state):
        x, y = batch
        return ((model(x) - y) ** 2).mean(), len(x), None

    def evaluate(self, model):
        return {}


@pytest.mark.parametrize("every", [1, 2])
def test_weight_average_is_the_moving_average_of_the_steps_from_its_start_epoch(every: int) -> None:
    torch.manual_seed(0)
    model = torch.nn.Linear(1, 1)
    trainer = Trainer(model, _Line(), _settings(epochs=4, lr=0.1, optimizer="sgd", average=0.8, average_start=2,
                                                average_every=every))
    steps: list[torch.Tensor] = []
    trainer.add_callback("on_batch_end", lambda t: steps.append(torch.cat([p.detach().flatten().clone()
                                                                          for p in t.model.parameters()])))
    trainer.fit()
    averaged = [weights for i, weights in enumerate(steps) if i >= 6 and (i + 1) % every == 0]
    expected = averaged[0]
    for weights in averaged[1:]:
        expected = 0.8 * expected + 0.2 * weights
    final = torch.cat([p.detach().flatten() for p in model.parameters()])
    torch.testing.assert_close(final, expected)
    assert not torch.allclose(final, steps[-1])
    with pytest.raises(ConfigError, match="average"):
        TrainerConfig(average=1.0)


class _Counting(torch.nn.Linear):
    """A linear model with a buffer that counts its training forwards (as running statistics change)."""

    def __init__(self) -> None:
        super().__init__(1, 1)
        self.register_buffer("seen", torch.zeros(()))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.training:
            self.seen += 1
        return super().forward(x)


def test_the_weight_average_reads_the_models_own_buffers(tmp_path) -> None:
    torch.manual_seed(0)
    model = _Counting()
    trainer = Trainer(model, _Line(), _settings(epochs=2, lr=0.1, optimizer="sgd", average=0.5), out_dir=tmp_path)
    trainer.fit()
    assert float(model.seen) == 6 and float(trainer.eval_model.seen) == 6
    saved = read_tensors(tmp_path / "checkpoint" / "average.safetensors")
    assert float(saved["module.seen"]) == 6


def test_averaged_checkpoint_needs_the_average_setting_to_resume(tmp_path) -> None:
    model, task = _lm()
    Trainer(model, task, _settings(epochs=1, average=0.9), tmp_path).fit()
    model, task = _lm()
    with pytest.raises(ModelFormatError, match="average"):
        Trainer(model, task, _settings(epochs=2), tmp_path).fit(resume=True)


@pytest.mark.parametrize("content", [pickle.dumps({"a": 1}), pickle.dumps(TrainerConfig()), b"not a torch file\n",
                                     "{}", "list"],
                         ids=["plain pickle", "pickled object", "text", "empty mapping", "a list"])
def test_a_foreign_trainer_state_is_a_format_error(tmp_path, content) -> None:
    model, task = _lm()
    Trainer(model, task, _settings(epochs=1), tmp_path).fit()
    state = tmp_path / "checkpoint" / "trainer_state.pt"
    if isinstance(content, bytes):
        state.write_bytes(content)
    else:
        torch.save({} if content == "{}" else [1, 2], state)
    model, task = _lm()
    with pytest.raises(ModelFormatError, match="training state"):
        Trainer(model, task, _settings(epochs=2), tmp_path).fit(resume=True)


@pytest.mark.parametrize("damage", ["epoch", "python_rng", "config"])
def test_a_damaged_trainer_json_is_a_format_error(tmp_path, damage: str) -> None:
    model, task = _lm()
    Trainer(model, task, _settings(epochs=1), tmp_path).fit()
    path = tmp_path / "checkpoint" / "trainer.json"
    meta = json.loads(path.read_text())
    if damage == "python_rng":
        meta["python_rng"] = [3]
    else:
        del meta[damage]
    path.write_text(json.dumps(meta))
    model, task = _lm()
    with pytest.raises(ModelFormatError, match="trainer.json is damaged"):
        Trainer(model, task, _settings(epochs=2), tmp_path).fit(resume=True)


class _Big:
    """A task whose raw gradients are huge: after clipping their global norm must be the threshold."""

    def __init__(self) -> None:
        self.norms: list[float] = []

    def train_batches(self, epoch):
        return [torch.ones(3, 2)] * 2

    def loss(self, model, batch, state):
        return (model(batch) * 1e4).sum(), 3, None

    def evaluate(self, model):
        return {}


@pytest.mark.parametrize("mode", ["norm", "value"])
def test_clipping_bounds_the_gradient(mode: str) -> None:
    model, task = torch.nn.Linear(2, 2), _Big()
    trainer = Trainer(model, task, _settings(epochs=1, clip=0.5, clip_mode=mode, optimizer="sgd"))

    def record(t: Trainer) -> None:
        grads = [p.grad for p in t.model.parameters()]
        if mode == "norm":
            task.norms.append(float(torch.sqrt(sum((g ** 2).sum() for g in grads))))
        else:
            task.norms.append(max(float(g.abs().max()) for g in grads))

    trainer.add_callback("on_batch_end", record)
    trainer.fit()
    assert len(task.norms) == 2 and task.norms == pytest.approx([0.5, 0.5], rel=1e-5)


class _Nan(_Big):
    def loss(self, model, batch, state):
        value = model(batch).sum()
        return value * float("nan") if self.norms else value, 3, self.norms.append(1.0)


def test_nan_guard_names_the_step() -> None:
    with pytest.raises(TrainingError, match="step 2"):
        Trainer(torch.nn.Linear(2, 2), _Nan(), _settings(epochs=1)).fit()


def test_empty_training_data() -> None:
    class Empty(_Big):
        def train_batches(self, epoch):
            return []

    with pytest.raises(TrainingError, match="no training batches"):
        Trainer(torch.nn.Linear(2, 2), Empty(), _settings(epochs=1)).fit()


def test_early_stopping_and_best_weights() -> None:
    class Worse(_Big):
        def __init__(self) -> None:
            super().__init__()
            self.calls = 0

        def loss(self, model, batch, state):
            return (model(batch) ** 2).mean(), 3, None

        def evaluate(self, model):
            self.calls += 1
            return {"loss": float(self.calls)}

    model = torch.nn.Linear(2, 2)
    trainer = Trainer(model, Worse(), _settings(epochs=10, patience=1))
    after_epoch: list[dict[str, torch.Tensor]] = []
    trainer.add_callback("on_epoch_end", lambda t: after_epoch.append(
        {k: v.detach().clone() for k, v in t.model.state_dict().items()}))
    summary = trainer.fit()
    assert summary["stopped_early"] and summary["epochs"] == 3 and summary["best"] == 1.0
    assert len(after_epoch) == 3 and not torch.equal(after_epoch[0]["weight"], after_epoch[2]["weight"])
    for key, value in model.state_dict().items():
        torch.testing.assert_close(value, after_epoch[0][key], rtol=0, atol=0)


def test_fit_resume_without_a_checkpoint_is_an_error(tmp_path) -> None:
    model, task = _lm()
    with pytest.raises(TrainingError, match="no checkpoint"):
        Trainer(model, task, _settings(epochs=1), tmp_path / "none").fit(resume=True)


def _old_model(folder) -> None:
    folder.mkdir()
    (folder / "config.json").write_text('{"format": "embedkit.lm/1"}')


def test_model_folder_on_ctrl_c_keeps_a_checkpointed_run_and_nothing_else(tmp_path) -> None:
    from embedkit.training.folders import model_folder

    target = tmp_path / "m"
    _old_model(target)
    with pytest.raises(KeyboardInterrupt), model_folder(target) as out:
        (out / "metrics.jsonl").write_text("{}\n")
        raise KeyboardInterrupt  # before any checkpoint: the old model stays
    assert [p.name for p in target.iterdir()] == ["config.json"]
    model, task = _lm()
    with pytest.raises(KeyboardInterrupt), model_folder(target) as out:
        Trainer(model, task, _settings(epochs=1), out).save_checkpoint()
        raise KeyboardInterrupt  # after a checkpoint: the run takes the folder's place, for --resume
    assert (target / "checkpoint" / "trainer.json").is_file() and not (target / "config.json").exists()
    with model_folder(target, resume=True) as out:
        assert (out / "checkpoint" / "trainer.json").is_file()
        (out / "config.json").write_text('{"format": "embedkit.lm/1"}')
    assert {p.name for p in target.iterdir()} == {"checkpoint", "config.json"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m"]
