"""Training and scoring a language model: the :class:`LMTask` the Trainer drives; read, prepare, then train.

>>> from embedkit.models.config import LMConfig
>>> config = LMConfig()
>>> prepared = prepare(read_token_files("tokens.txt", "valid.txt", config), config)  # doctest: +SKIP
>>> train_language_model(prepared, LM_TRAINER, "lm/")["valid_perplexity"]  # doctest: +SKIP
>>> prepared.bundle.save("lm/")  # doctest: +SKIP
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch

from embedkit.config import config_from_dict, config_to_dict
from embedkit.errors import ConfigError, InputError, ModelFormatError
from embedkit.io import read_json, write_json
from embedkit.models.config import LMConfig
from embedkit.models.language_model import LanguageModel, LMBundle, Units, as_matrix, load_subword
from embedkit.text.config import PreprocessConfig
from embedkit.training import distributed
from embedkit.training.config import LM_TRAINER as LM_TRAINER  # its home is training.config
from embedkit.training.config import TrainerConfig
from embedkit.training.data import BPTTBatches, batchify, encode_stream, eval_columns, read_units, shard_stream
from embedkit.training.trainer import Trainer, seed_everything
from embedkit.vocab import Vocab

EmbeddingSource = Any  # an array/tensor [V, D], or a callable vocab -> array (e.g. Embeddings.to_matrix)


def embeddings_from(path: str | Path) -> Callable[[Vocab], Any]:
    """A vocab -> matrix function from a saved word-vector folder (``embedkit.embeddings.Embeddings``)."""
    from embedkit.embeddings import Embeddings

    vectors = Embeddings.load(path)
    return lambda vocab: vectors.to_matrix(vocab)


def stream_nll_sum(model: LanguageModel, data: torch.Tensor, bptt: int) -> tuple[float, int]:
    """Summed negative log-likelihood (nats) and unit count over batchified ``[steps, B]`` data."""
    device = next(model.parameters()).device
    was_training = model.training
    model.eval()
    total, count, hidden = 0.0, 0, None
    if data.shape[1] == 0:
        return total, count
    with torch.no_grad():
        for x, y in BPTTBatches(data, bptt):
            scored = (y >= 0).reshape(-1).to(device)  # -1 pads the last column of eval_columns
            nll, hidden = model.nll(x.clamp(min=0).to(device), y.clamp(min=0).to(device), hidden, reduction="none")
            total += float(nll[scored].sum())
            count += int(scored.sum())
    model.train(was_training)
    return total, count


def stream_nll(model: LanguageModel, data: torch.Tensor, bptt: int) -> float:
    """Mean negative log-likelihood (nats per unit) over batchified ``[steps, B]`` data, hidden state carried."""
    total, count = stream_nll_sum(model, data, bptt)
    return total / max(count, 1)


def sharded_nll(model: LanguageModel, data: torch.Tensor, bptt: int) -> float:
    """:func:`stream_nll` with the columns shared out among the ranks of a distributed run and summed back.

    Each column is an independent stream, so the figure is the single-process one (up to rounding).
    """
    columns = data[:, distributed.rank()::distributed.world_size()].contiguous()
    total, count = distributed.all_reduce_sum(stream_nll_sum(model, columns, bptt))
    return total / max(count, 1)


class LMTask:
    """The Trainer protocol for a language model: BPTT windows, cross-entropy, validation perplexity.

    Distributed, ``train`` is this rank's shard (see :func:`~embedkit.training.data.shard_stream`) and
    validation is shared out by columns and summed over the ranks.
    """

    def __init__(self, train: torch.Tensor, valid: torch.Tensor | None, bptt: int) -> None:
        self.train, self.valid, self.bptt = train, valid, bptt

    def train_batches(self, epoch: int) -> BPTTBatches:
        return BPTTBatches(self.train, self.bptt)

    def loss(self, model: LanguageModel, batch: tuple[torch.Tensor, torch.Tensor],
             state: Any) -> tuple[torch.Tensor, int, Any]:
        x, y = batch
        loss, hidden = model(x, state, targets=y)
        return loss, y.numel(), hidden

    def evaluate(self, model: LanguageModel) -> dict[str, float]:
        if self.valid is None:
            return {}
        nll = sharded_nll(model, self.valid, self.bptt)
        return {"loss": nll, "ppl": math.exp(min(nll, 700))}


def file_perplexity(bundle: LMBundle, path: str | Path, encoding: str = "utf-8") -> dict[str, Any]:
    """Perplexity of a file in the training file's form (a token file, or raw text that a model trained on
    raw text preprocesses the same way); same units and ``<eos>`` as training; also counts unknown units."""
    lines = read_units(path, bundle.units.from_file_line, encoding)
    ids = encode_stream(lines, bundle.vocab)
    data = eval_columns(ids, bundle.config.eval_batch_size, bundle.vocab.eos_id)
    total, count = stream_nll_sum(bundle.model, data, bundle.config.bptt)
    nll = total / max(count, 1)
    unknown = int((ids == bundle.vocab.unk_id).sum())
    return {"perplexity": math.exp(min(nll, 700)), "nll": nll, "tokens": count, "unknown": unknown}


def _check_resume(folder: Path, config: LMConfig, vocab: Vocab) -> None:
    saved_path = folder / "checkpoint" / "lm.json"
    if not saved_path.exists():
        return
    saved = config_from_dict(LMConfig, read_json(saved_path)["model"], warn=False)
    if saved != config:
        diff = [f"{k}={getattr(saved, k)!r}" for k in config.__dataclass_fields__
                if getattr(saved, k) != getattr(config, k)]
        raise ModelFormatError(f"{folder}: the checkpoint is of another architecture ({', '.join(diff)}); "
                               "train without --resume or into another folder")
    if Vocab.load(folder / "checkpoint" / "vocab.json").itos != vocab.itos:
        raise ModelFormatError(f"{folder}: the checkpoint's vocabulary differs from this training data's")


@dataclasses.dataclass
class TokenData:
    """The units of a training file (and of its validation text), and how text becomes those units."""

    units: Units
    train: list[list[str]]
    valid: list[list[str]] | None


def read_token_files(train_path: str | Path, valid_path: str | Path | None, config: LMConfig,
                     valid_fraction: float | None = None, encoding: str = "utf-8",
                     text: PreprocessConfig | None = None) -> TokenData:
    """Read a token file (and its preprocessing sidecar, and the subword model) into units of ``config.level``.

    With ``text``, both files are raw text instead, one document a line, that runs through that
    preprocessing here (the model then records it and applies it to prompts and scored files); without it
    they are token files and the training file's sidecar, if any, is the model's record. Without
    ``valid_path``, ``valid_fraction`` holds out the last lines of the training file for validation (the last
    ones, so the model never trains on text that comes after its validation text). ``encoding`` is that of
    both files.
    """
    from embedkit.text import read_sidecar

    preprocess = text if text is not None else read_sidecar(train_path)
    subword = load_subword(config.subword_model) if config.level == "subword" else None
    units = Units(config.level, preprocess, subword, raw_text=text is not None)
    train_lines = read_units(train_path, units.from_file_line, encoding)
    valid_lines = read_units(valid_path, units.from_file_line, encoding) if valid_path is not None else None
    if valid_lines is None and valid_fraction:
        cut = len(train_lines) - max(1, int(len(train_lines) * valid_fraction))
        if cut < 1:
            raise InputError(f"{train_path}: too few lines to hold out {valid_fraction:.0%} for validation")
        train_lines, valid_lines = train_lines[:cut], train_lines[cut:]
    return TokenData(units, train_lines, valid_lines)


@dataclasses.dataclass
class Prepared:
    """Everything checked and built before training writes anything: the untrained bundle and its id streams."""

    bundle: LMBundle
    train: torch.Tensor
    valid: torch.Tensor | None


def prepare(data: TokenData, config: LMConfig, embeddings: EmbeddingSource = None, seed: int = 0,
            adopt_dim: bool = False) -> Prepared:
    """Build the vocabulary, encode the units and build the model (seeded by ``seed``).

    ``embeddings`` is a matrix (array, tensor, ``(matrix, coverage)``), a function vocab -> matrix or word
    vectors with ``to_matrix(vocab)`` (:class:`~embedkit.embeddings.Embeddings`); ``adopt_dim`` takes the
    embedding size from the matrix instead of ``config.emb_dim``, else a different size is a
    :class:`~embedkit.errors.ConfigError`.
    """
    vocab = Vocab.build(data.train, min_count=config.min_count, max_vocab=config.max_vocab)
    train_ids = encode_stream(data.train, vocab)
    valid = None
    if data.valid is not None:
        valid = eval_columns(encode_stream(data.valid, vocab), config.eval_batch_size, vocab.eos_id)
    if hasattr(embeddings, "to_matrix"):
        matrix = embeddings.to_matrix(vocab)
    else:
        matrix = embeddings(vocab) if callable(embeddings) else embeddings
    if matrix is not None:
        matrix = as_matrix(matrix)
        if matrix.shape[1] != config.emb_dim:
            if not adopt_dim:
                raise ConfigError(f"the word vectors have dimension {matrix.shape[1]} but emb_dim is "
                                  f"{config.emb_dim}; leave emb_dim out to take the vectors' size")
            config = dataclasses.replace(config, emb_dim=int(matrix.shape[1]))
    seed_everything(seed)
    model = LanguageModel(config, len(vocab), matrix)
    return Prepared(LMBundle(model, vocab, config, data.units), train_ids, valid)


def train_language_model(prepared: Prepared, trainer_config: TrainerConfig | None = None,
                         out_dir: str | Path | None = None, resume: bool = False,
                         on_trainer: Callable[[Trainer], None] | None = None) -> dict[str, Any]:
    """Train the prepared model in place; ``out_dir`` receives the Trainer's checkpoint and metrics.

    Returns the figures also stored in ``prepared.bundle.results`` (epochs, steps, tokens, time, validation
    perplexity); saving the bundle is the caller's. Under ``torchrun`` each rank trains on its own contiguous
    slice of the token stream (all of equal length), validation is shared out and summed, and rank 0 alone
    writes ``out_dir``.
    """
    trainer_config = trainer_config or TrainerConfig()
    bundle, config = prepared.bundle, prepared.bundle.config
    distributed.setup(trainer_config.device)
    world = distributed.world_size()
    train_data = batchify(shard_stream(prepared.train, distributed.rank(), world), config.batch_size)
    out = Path(out_dir) if out_dir is not None else None
    if resume and out is not None:
        _check_resume(out, config, bundle.vocab)
    trainer = Trainer(bundle.model, LMTask(train_data, prepared.valid, config.bptt), trainer_config, out)

    def save_meta(_: Trainer, folder: Path) -> None:
        write_json(folder / "lm.json", {"model": config_to_dict(config)})
        bundle.vocab.save(folder / "vocab.json")

    trainer.add_callback("on_checkpoint", save_meta)
    if on_trainer is not None:
        on_trainer(trainer)
    start = time.perf_counter()
    summary = trainer.fit(resume=resume)
    seconds = time.perf_counter() - start
    results: dict[str, Any] = {"epochs": summary["epochs"], "steps": summary["steps"],
                               "train_tokens": int(train_data.numel()) * world, "vocab_size": len(bundle.vocab),
                               "seconds": round(seconds, 2), "stopped_early": summary["stopped_early"]}
    if summary["history"]:
        results["train_loss"] = summary["history"][-1]["train_loss"]
    if prepared.valid is not None:
        nll = sharded_nll(trainer.model, prepared.valid, config.bptt)
        results.update(valid_nll=nll, valid_perplexity=math.exp(min(nll, 700)))
    bundle.model = trainer.model.eval()
    bundle.trainer, bundle.results = config_to_dict(trainer_config), results
    return results
