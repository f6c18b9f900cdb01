"""The ``[lm]`` stage of ``embedkit run``: train a small language model on the run's tokens, report it.

Keys of the table: the stage's own (:class:`LMStageOptions`: ``input``, ``valid``, ``embeddings``,
``prompt``, ``valid_fraction``) and any option of :class:`~embedkit.models.config.LMConfig` or
:class:`~embedkit.training.config.TrainerConfig` (starting from
:data:`~embedkit.training.config.LM_TRAINER`). Every default comes from those dataclasses; a pipeline that
wants a quick model says so in its table (``pipelines/quickstart.toml``). ``embedkit lm train --config``
reads the same table. ``embedkit run`` skips the stage when its inputs and table did not change.
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any, NamedTuple

from embedkit.config import config_from_dict, split_table
from embedkit.errors import ConfigError
from embedkit.models.config import LMConfig
from embedkit.run.context import RunContext
from embedkit.training.config import LM_TRAINER, TrainerConfig


@dataclasses.dataclass(frozen=True)
class LMStageOptions:
    """The ``[lm]`` table's own keys: ``input`` (a token file; default: the run's ``tokens``), ``valid`` (a
    token file; default: the last ``valid_fraction`` of the input's lines), ``embeddings`` (true: start from the
    run's word vectors when there are some; false; or a vectors folder), ``prompt`` (of the printed sample)."""

    input: Any = None
    valid: str | None = None
    embeddings: bool | str = True
    prompt: str = "the"
    valid_fraction: float = 0.1


STAGE_KEYS = tuple(f.name for f in dataclasses.fields(LMStageOptions))


class LMTable(NamedTuple):
    """An ``[lm]`` table read: the model, trainer and stage settings, and whether it sets ``emb_dim``."""

    model: LMConfig
    trainer: TrainerConfig
    stage: LMStageOptions
    emb_dim_given: bool


def read_table(table: Mapping[str, Any], where: str = "lm") -> LMTable:
    """The settings of an ``[lm]`` table (a pipeline's, or a ``lm train --config`` file's): one flat table of
    :class:`LMConfig`, :class:`TrainerConfig` and :class:`LMStageOptions` keys; old key names still load."""
    (model, trainer, stage), _ = split_table(table, (LMConfig, TrainerConfig, LMStageOptions), (), where)
    given = "emb_dim" in model
    if model.get("tie_weights") is True and not given:
        model = {**model, "emb_dim": model.get("hidden", LMConfig.hidden)}  # word vectors may still set it
    return LMTable(config_from_dict(LMConfig, model, where), config_from_dict(TrainerConfig, trainer, where,
                                                                              base=LM_TRAINER),
                   config_from_dict(LMStageOptions, stage, where), given)


def check(table: dict) -> LMTable:
    """The settings of a pipeline's ``[lm]`` table (:func:`read_table`); a bad or unknown option raises
    :class:`ConfigError` before anything is read or written."""
    return read_table(table)


def stage(table: dict, ctx: RunContext) -> dict:
    """Train (or reuse) the LM in ``<run>/lm``; print its perplexity and a sample; return its figures."""
    from embedkit.models.generate import GenerateConfig, generate
    from embedkit.models.threads import set_threads
    from embedkit.training.folders import model_folder
    from embedkit.training.lm import embeddings_from, prepare, read_token_files, train_language_model

    config, trainer, options, emb_dim_given = check(table)
    set_threads()
    source = ctx.token_file(table, "lm")
    valid = ctx.resolve(options.valid) if options.valid else None
    vectors = ctx.vectors({"embeddings": options.embeddings}, "lm")
    embeddings = None
    if vectors is not None:
        try:
            embeddings = embeddings_from(vectors)
        except ConfigError as exc:
            ctx.console.print(f"[lm] word vectors not used: {exc}", markup=False)
    out = ctx.output("lm")
    data = read_token_files(source, valid, config, valid_fraction=None if valid else options.valid_fraction)
    prepared = prepare(data, config, embeddings, seed=trainer.seed, adopt_dim=not emb_dim_given)
    bundle = prepared.bundle
    with model_folder(out) as building:  # swapped in whole: a failed retrain leaves the last model as it was
        train_language_model(prepared, trainer, building)
        bundle.save(building)
    config = bundle.config
    sample_words = generate(bundle, options.prompt, GenerateConfig(seed=trainer.seed, max_tokens=20))
    sample = bundle.units.join(bundle.units.from_text(options.prompt) + sample_words)
    results = bundle.results
    ppl = results.get("valid_perplexity")
    figure = f"; valid perplexity {ppl:.1f}" if ppl is not None else ""
    ctx.console.print(f"[lm] {config.cell} x{config.layers}, vocabulary {results['vocab_size']:,}, "
                      f"{results['epochs']} epochs in {results['seconds']:.1f}s{figure}", markup=False)
    ctx.console.print(f"[lm] sample: {sample}", markup=False)
    ctx.artifacts["lm"] = out
    return {"cell": config.cell, "layers": config.layers, "hidden": config.hidden,
            "vocab_size": results["vocab_size"], "epochs": results["epochs"], "seconds": results["seconds"],
            "valid_perplexity": ppl, "embeddings": embeddings is not None, "sample": sample,
            "perplexity_per_epoch": _perplexity_curves(out / "metrics.jsonl")}


def _perplexity_curves(metrics: Path) -> dict[str, list[float]]:
    """Train and validation perplexity after each epoch, from the trainer's metrics log."""
    curves: dict[str, list[float]] = {"train": [], "valid": []}
    for line in metrics.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        if record.get("event") == "epoch":
            curves["train"].append(round(math.exp(min(record["train_loss"], 50.0)), 2))
            if "valid_ppl" in record:
                curves["valid"].append(round(record["valid_ppl"], 2))
    return {name: values for name, values in curves.items() if values}
