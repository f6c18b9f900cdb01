"""Exploding and vanishing gradients with a recurrent gain, clipping by norm vs by value, and no clipping at all."""

from __future__ import annotations

import pytest
import torch

from embedkit.errors import ConfigError
from embedkit.training.config import TrainerConfig
from embedkit.training.diagnostics import clipping_comparison, format_clipping, format_table, gradient_norms
from embedkit.training.trainer import Trainer

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def test_a_recurrent_gain_above_one_explodes_the_gradient_and_below_one_vanishes_it() -> None:
    big = gradient_norms(steps=40, hidden=32, gain=1.5, cells=("rnn",))["rnn"]
    one = gradient_norms(steps=40, hidden=32, gain=1.0, cells=("rnn",))["rnn"]
    small = gradient_norms(steps=40, hidden=32, gain=0.5, cells=("rnn",))["rnn"]
    assert big[0] == pytest.approx(one[0]) == pytest.approx(small[0])
    assert big[-1] > 10 * big[0]
    assert small[-1] < 1e-6 * small[0]
    assert small[-1] < one[-1] < big[-1]
    assert big[39] > big[20] > big[10]
    table = format_table({"rnn": big})
    assert table.splitlines()[-1].split()[0] == "39"


def test_clipping_by_norm_keeps_the_direction_and_by_value_turns_it() -> None:
    result = clipping_comparison(threshold=1.0, steps=30, hidden=32, gain=1.5)
    g = result["none"]["grad"]
    assert result["none"]["norm"] > 10 and result["none"]["max_abs"] > 1
    by_norm, by_value = result["norm"], result["value"]
    torch.testing.assert_close(by_norm["grad"], g * (1.0 / g.norm()), rtol=1e-5, atol=1e-7)
    assert by_norm["norm"] == pytest.approx(1.0, rel=1e-5) and by_norm["cosine"] == pytest.approx(1.0, abs=1e-9)
    torch.testing.assert_close(by_value["grad"], g.clamp(-1.0, 1.0))
    assert by_value["max_abs"] == pytest.approx(1.0) and by_value["cosine"] < 0.99
    assert by_value["norm"] > by_norm["norm"]
    lines = format_clipping(result, 1.0).splitlines()
    assert [line.split()[0] for line in lines[1:]] == ["none", "norm", "value"]


def test_nothing_to_clip_leaves_the_gradient_alone() -> None:
    result = clipping_comparison(threshold=1e6, steps=10, hidden=8, gain=0.5)
    for mode in ("norm", "value"):
        torch.testing.assert_close(result[mode]["grad"], result["none"]["grad"])


class _Huge:
    def train_batches(self, epoch):
        return [torch.ones(3, 2)]

    def loss(self, model, batch, state):
        return (model(batch) * 1e4).sum(), 3, None

    def evaluate(self, model):
        return {}


@pytest.mark.parametrize("settings", [{"clip_mode": "none"}, {"clip": None}])
def test_clip_mode_none_leaves_the_gradient_unclipped(settings: dict) -> None:
    model = torch.nn.Linear(2, 2)
    config = TrainerConfig(epochs=1, optimizer="sgd", device="cpu", amp=False, patience=None, progress=False,
                           **{"clip": 0.5, **settings})
    trainer = Trainer(model, _Huge(), config)
    norms: list[float] = []
    trainer.add_callback("on_batch_end", lambda t: norms.append(
        float(torch.sqrt(sum((p.grad ** 2).sum() for p in t.model.parameters())))))
    trainer.fit()
    assert norms and norms[0] > 1e3


def test_unknown_clip_mode_is_refused() -> None:
    with pytest.raises(ConfigError, match="clip mode"):
        TrainerConfig(clip_mode="sometimes")
