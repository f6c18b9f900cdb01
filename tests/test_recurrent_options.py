"""Recurrent dropout, orthogonal init and the forget-gate bias as options of the language model and the classifier.

Recurrent dropout is checked against the step-by-step cells of ``models/cells.py`` with ``h_{t-1}`` masked by the
same mask at every step; init against what it promises (orthogonal gate blocks, the forget bias, torch's range).
"""

from __future__ import annotations

import pytest
import torch

from embedkit.config import config_from_dict
from embedkit.errors import ConfigError
from embedkit.models.cells import StackedRNN
from embedkit.models.classifier import RNNClassifier
from embedkit.models.config import ClassifierConfig, LMConfig
from embedkit.models.language_model import LanguageModel

CELLS = ("rnn", "lstm", "gru")


def _lm(cell: str, **changes: object) -> LanguageModel:
    config = LMConfig(cell=cell, layers=2, hidden=6, emb_dim=5, dropout=0.0, **changes)  # type: ignore[arg-type]
    return LanguageModel(config, vocab_size=11)


def _ids(steps: int = 7, batch: int = 3) -> torch.Tensor:
    return torch.randint(0, 11, (steps, batch), generator=torch.Generator().manual_seed(3))


@pytest.mark.parametrize("cell", CELLS)
def test_lm_recurrent_dropout_equals_cells_with_h_masked_by_one_mask_for_all_steps(cell: str) -> None:
    torch.manual_seed(0)
    model = _lm(cell, recurrent_dropout=0.5).train()
    ids = _ids()
    logits, hidden = model(ids)
    masks = model.recurrent_drop.masks
    assert sorted(masks) == ["weight_hh_l0", "weight_hh_l1"]
    assert all(float(m.min()) == 0.0 and float(m.max()) == 2.0 for m in masks.values())
    reference = StackedRNN(cell, 5, 6, num_layers=2).load_torch_weights(model.rnn)
    with torch.no_grad():
        emb = model.encoder(ids)
        out, ref_hidden = reference(emb, masks=masks)
        unmasked, _ = reference(emb)
    assert torch.allclose(logits, model.decoder(out), atol=1e-5)
    first = hidden[0] if cell == "lstm" else hidden
    expected = ref_hidden[0] if cell == "lstm" else ref_hidden
    assert torch.allclose(first, expected, atol=1e-5)
    assert not torch.allclose(logits, model.decoder(unmasked), atol=1e-3)


@pytest.mark.parametrize("cell", CELLS)
def test_recurrent_dropout_is_off_in_eval_and_fresh_at_each_training_call(cell: str) -> None:
    torch.manual_seed(1)
    model = _lm(cell, recurrent_dropout=0.4)
    ids = _ids()
    model.eval()
    with torch.no_grad():
        plain = model.decoder(model.rnn(model.encoder(ids))[0])
        assert torch.equal(model(ids)[0], plain)
    assert model.recurrent_drop.masks == {}
    model.train()
    first, _ = model(ids)
    first_masks = dict(model.recurrent_drop.masks)
    second, _ = model(ids)
    assert any(not torch.equal(first_masks[k], m) for k, m in model.recurrent_drop.masks.items())
    assert not torch.allclose(first, second)


def test_recurrent_dropout_zero_changes_nothing_and_gradients_flow() -> None:
    torch.manual_seed(2)
    model = _lm("lstm", recurrent_dropout=0.0).train()
    ids = _ids()
    logits, _ = model(ids)
    assert model.recurrent_drop.masks == {}
    assert torch.allclose(logits, model.decoder(model.rnn(model.encoder(ids))[0]))
    dropped = _lm("lstm", recurrent_dropout=0.3).train()
    dropped(ids)[0].sum().backward()
    assert dropped.rnn.weight_hh_l0.grad is not None and float(dropped.rnn.weight_hh_l0.grad.abs().sum()) > 0


@pytest.mark.parametrize("cell", ("lstm", "gru"))
def test_classifier_recurrent_dropout_matches_bidirectional_cells(cell: str) -> None:
    torch.manual_seed(4)
    config = ClassifierConfig(cell=cell, emb_dim=5, hidden=4, layers=2, bidirectional=True,
                              pooling="mean", dropout=0.0, emb_dropout=0.0, recurrent_dropout=0.5)
    model = RNNClassifier(13, 3, config).train()
    ids = torch.randint(1, 13, (3, 6), generator=torch.Generator().manual_seed(5))
    logits = model(ids, torch.full((3,), 6))
    masks = model.recurrent_drop.masks
    assert sorted(masks) == ["weight_hh_l0", "weight_hh_l0_reverse", "weight_hh_l1", "weight_hh_l1_reverse"]
    reference = StackedRNN(cell, 5, 4, num_layers=2, bidirectional=True).load_torch_weights(model.rnn)
    with torch.no_grad():
        out, _ = reference(model.embedding(ids).transpose(0, 1), masks=masks)
        expected = model.output(out.mean(0))
    assert torch.allclose(logits, expected, atol=1e-5)
    model.eval()
    with torch.no_grad():
        out, _ = reference(model.embedding(ids).transpose(0, 1))
        assert torch.allclose(model(ids, torch.full((3,), 6)), model.output(out.mean(0)), atol=1e-5)
    assert model.recurrent_drop.masks == {}


def _orthogonal_error(block: torch.Tensor) -> float:
    return float((block @ block.T - torch.eye(block.shape[0])).abs().max())


@pytest.mark.parametrize("cell,gates", [("rnn", 1), ("lstm", 4), ("gru", 3)])
def test_orthogonal_init_and_forget_bias(cell: str, gates: int) -> None:
    torch.manual_seed(0)
    bias = 2.5 if cell == "lstm" else 1.0  # only the LSTM has a forget gate
    lm = _lm(cell, init="orthogonal", forget_bias=bias)
    clf = RNNClassifier(9, 2, ClassifierConfig(cell=cell, emb_dim=5, hidden=6, bidirectional=True,
                                               forget_bias=bias))
    for rnn in (lm.rnn, clf.rnn):
        for name, param in rnn.named_parameters():
            if name.startswith("weight_hh"):
                assert all(_orthogonal_error(b.detach()) < 1e-5 for b in param.chunk(gates))
        for suffix in [n[len("bias_ih"):] for n, _ in rnn.named_parameters() if n.startswith("bias_ih")]:
            total = (getattr(rnn, "bias_ih" + suffix) + getattr(rnn, "bias_hh" + suffix)).detach()
            if cell == "lstm":
                assert torch.all(total[6:12] == 2.5)
                total = torch.cat([total[:6], total[12:]])
            assert torch.all(total == 0)


@pytest.mark.parametrize("cell", CELLS)
def test_torch_init_keeps_torch_defaults(cell: str) -> None:
    torch.manual_seed(0)
    lm = _lm(cell, init="torch")
    clf = RNNClassifier(9, 2, ClassifierConfig(cell=cell, emb_dim=5, hidden=6, init="torch"))
    for rnn in (lm.rnn, clf.rnn):
        bound = 1 / rnn.hidden_size ** 0.5
        for name, param in rnn.named_parameters():
            assert float(param.detach().abs().max()) <= bound
            assert float(param.detach().abs().max()) > bound / 2
            if name.startswith("weight_hh"):
                assert _orthogonal_error(param.detach()[:6]) > 0.1


def test_init_settings_are_checked_and_old_spelling_still_reads() -> None:
    assert LMConfig(init=False).init == "torch" and LMConfig(init=True).init == "orthogonal"
    assert config_from_dict(LMConfig, {"init": False}).init == "torch"
    assert config_from_dict(ClassifierConfig, {"init": "torch", "recurrent_dropout": 0.25}).recurrent_dropout == 0.25
    for bad in ({"init": "xavier"}, {"recurrent_dropout": 1.0}, {"recurrent_dropout": -0.1},
                {"init": "torch", "forget_bias": 2.0}, {"forget_bias": float("nan")},
                {"cell": "gru", "forget_bias": 2.0}, {"cell": "rnn", "forget_bias": 0.0}):
        with pytest.raises(ConfigError):
            LMConfig(**bad)  # type: ignore[arg-type]
        with pytest.raises(ConfigError):
            ClassifierConfig(**bad)  # type: ignore[arg-type]
