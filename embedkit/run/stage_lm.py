"""The ``[lm]`` stage of ``embedkit run``: train a small language model on the run's tokens, report it.

Keys of the table: ``input`` (a token file; default: the run's ``tokens``), ``valid`` (a token file;
default: the last ``valid_fraction`` of the input's lines), ``embeddings`` (``true``, the default:
start from the run's word vectors when there are some; a vectors folder; ``false``), ``prompt`` (of the
printed sample), and any option of :class:`~embedkit.models.config.LMConfig` or
:class:`~embedkit.training.config.TrainerConfig`.
:data:`STAGE_DEFAULTS` keep the stage quick (a one-layer LSTM, a few epochs: about a minute for 60k tokens on
two CPU cores); the table overrides them. ``embedkit run`` skips the stage when its
inputs and table did not change.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from embedkit.config import config_from_dict, config_to_dict
from embedkit.errors import ConfigError
from embedkit.models.config import LMConfig
from embedkit.run.context import RunContext, check_options
from embedkit.training.config import LM_TRAINER, TrainerConfig

STAGE_KEYS = ("input", "valid", "embeddings", "prompt", "valid_fraction")
STAGE_DEFAULTS: dict[str, Any] = {"layers": 1, "hidden": 128, "emb_dim": 100, "bptt": 30, "epochs": 3,
                                  "dropout": 0.3, "min_count": 2, "valid_fraction": 0.1, "prompt": "the"}


def check(table: dict) -> tuple[LMConfig, TrainerConfig, dict[str, Any]]:
    """The model and trainer settings of the table, and the table over the stage's defaults.

    Raises :class:`ConfigError` for an unknown or bad option.
    """
    merged = {**STAGE_DEFAULTS, **table}
    lm_keys = set(LMConfig.__dataclass_fields__)
    trainer_keys = set(TrainerConfig.__dataclass_fields__)
    unknown = sorted(set(merged) - lm_keys - trainer_keys - set(STAGE_KEYS))
    if unknown:
        raise ConfigError(f"unknown option '{unknown[0]}' in [lm]")
    check_options(merged, {"prompt": "string", "valid_fraction": "number"}, "lm")
    config = config_from_dict(LMConfig, {k: v for k, v in merged.items() if k in lm_keys}, "lm")
    trainer = config_from_dict(TrainerConfig, {**config_to_dict(LM_TRAINER),
                                               **{k: v for k, v in merged.items() if k in trainer_keys}}, "lm")
    return config, trainer, merged


def stage(table: dict, ctx: RunContext) -> dict:
    """Train (or reuse) the LM in ``<run>/lm``; print its perplexity and a sample; return its figures."""
    from embedkit.models.generate import GenerateConfig, generate
    from embedkit.training.lm import embeddings_from, prepare, read_token_files, train_language_model
    from embedkit.training.trainer import output_folder

    config, trainer, merged = check(table)
    source = ctx.token_file(table, "lm")
    valid = ctx.resolve(table["valid"]) if table.get("valid") else None
    vectors = ctx.vectors(merged, "lm")
    embeddings = None
    if vectors is not None:
        try:
            embeddings = embeddings_from(vectors)
        except ConfigError as exc:
            ctx.console.print(f"[lm] word vectors not used: {exc}", markup=False)
    out = ctx.output("lm")
    data = read_token_files(source, valid, config, valid_fraction=None if valid else merged["valid_fraction"])
    prepared = prepare(data, config, embeddings, seed=trainer.seed, adopt_dim="emb_dim" not in table)
    bundle = prepared.bundle
    with output_folder(out):
        train_language_model(prepared, trainer, out)
        bundle.save(out)
    config = bundle.config
    sample_words = generate(bundle, merged["prompt"], GenerateConfig(seed=trainer.seed, max_tokens=20))
    sample = bundle.units.join(bundle.units.from_text(merged["prompt"]) + sample_words)
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
