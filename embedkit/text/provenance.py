"""Provenance: the ``[preprocess]`` table that records how a token file (and a model trained on it) was made.

``embedkit preprocess`` writes it beside its output as ``<tokens>.pipeline.toml`` (the sidecar); every
model folder keeps a copy as ``preprocess.toml``, so a query later passes through the same steps. One
reader and one writer serve both, and every room above ``text`` imports them from here.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from embedkit.config import config_from_dict, config_to_dict, dump_toml, load_toml
from embedkit.io import atomic_write
from embedkit.text.config import PreprocessConfig

SIDECAR_SUFFIX = ".pipeline.toml"
PROVENANCE_FILE = "preprocess.toml"


def sidecar_path(token_file: str | Path) -> Path:
    """Where ``embedkit preprocess`` records the config that made ``token_file``."""
    return Path(str(token_file) + SIDECAR_SUFFIX)


def preprocess_toml(config: PreprocessConfig) -> str:
    """The config as a TOML document with one ``[preprocess]`` table."""
    return dump_toml({"preprocess": config_to_dict(config)})


def read_preprocess(path: str | Path) -> PreprocessConfig | None:
    """The ``[preprocess]`` table of a TOML file (a sidecar or a model's ``preprocess.toml``); ``None`` if absent."""
    path = Path(path)
    if not path.is_file():
        return None
    return config_from_dict(PreprocessConfig, load_toml(path).get("preprocess", {}), where="preprocess")


def write_preprocess(path: str | Path, config: PreprocessConfig, comment: str = "") -> None:
    """Write ``config`` as a ``[preprocess]`` table atomically (``comment``: an optional first ``#`` line).

    A stop-word file is recorded by its absolute path, so the record serves from any folder.
    """
    if config.stopwords_file is not None:
        config = dataclasses.replace(config, stopwords_file=str(Path(config.stopwords_file).expanduser().absolute()))
    with atomic_write(path) as handle:
        if comment:
            handle.write(f"# {comment}\n")
        handle.write(preprocess_toml(config))


def read_sidecar(token_file: str | Path) -> PreprocessConfig | None:
    """The pipeline config recorded beside a token file, or ``None`` when there is none."""
    return read_preprocess(sidecar_path(token_file))


def read_model_preprocess(folder: str | Path) -> PreprocessConfig | None:
    """The preprocessing a model folder records (its ``preprocess.toml``), or ``None``."""
    return read_preprocess(Path(folder) / PROVENANCE_FILE)


def write_model_preprocess(folder: str | Path, config: PreprocessConfig | None) -> None:
    """Record ``config`` in a model folder as ``preprocess.toml`` (nothing when ``None``)."""
    if config is not None:
        write_preprocess(Path(folder) / PROVENANCE_FILE, config)


def start_preprocess(base: PreprocessConfig, recorded: PreprocessConfig | None,
                     given: Mapping[str, Any] | None = None, where: str = "") -> PreprocessConfig:
    """The preprocessing a model starts from, before the command-line flags go over it.

    ``recorded`` is what the model's input records (the word vectors' ``preprocess.toml``, a token file's
    sidecar); with one, the keys ``given`` in a config table go over it, else ``base`` (which holds them
    already) is the start. ``where`` names the table in errors.
    """
    if recorded is None:
        return base
    return config_from_dict(PreprocessConfig, given or {}, where, base=recorded)
