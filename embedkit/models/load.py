"""One door to every saved text classifier: the ``architecture`` in ``config.json`` picks the class."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from embedkit.errors import InputError, ModelFormatError
from embedkit.io import read_json

ARCHITECTURES = ("rnn-classifier", "nb-linear", "ensemble")


def load_classifier(path: str | Path, nested: bool = True) -> Any:
    """A :class:`~embedkit.models.classifier.TextClassifier`, a :class:`~embedkit.models.linear.LinearClassifier`
    or (when ``nested``) an :class:`~embedkit.models.ensemble.EnsembleClassifier`, as ``config.json`` says."""
    folder = Path(path)
    if not folder.is_dir():
        raise InputError(f"{folder}: no such model folder")
    meta = read_json(folder / "config.json")
    architecture = meta.get("architecture") if isinstance(meta, dict) else None
    if architecture == "nb-linear":
        from embedkit.models.linear import LinearClassifier

        return LinearClassifier.load(folder)
    if architecture == "ensemble":
        if not nested:
            raise ModelFormatError(f"{folder}: an ensemble member cannot itself be an ensemble")
        from embedkit.models.ensemble import EnsembleClassifier

        return EnsembleClassifier.load(folder, lambda member: load_classifier(member, nested=False))
    if architecture in (None, "rnn-classifier"):
        from embedkit.models.classifier import TextClassifier

        return TextClassifier.load(folder)
    raise ModelFormatError(f"{folder}: unknown classifier architecture '{architecture}' "
                           f"(known: {', '.join(ARCHITECTURES)})")
