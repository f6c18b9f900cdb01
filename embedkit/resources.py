"""Locate files shipped in the repository's ``resources/`` folder (installed as ``embedkit._resources``)."""

from __future__ import annotations

from pathlib import Path

_HERE = Path(__file__).resolve().parent


def resource_path(*parts: str) -> Path:
    """Path of a bundled resource, e.g. ``resource_path("stopwords", "ru.txt")``."""
    for base in (_HERE.parent / "resources", _HERE / "_resources"):
        candidate = base.joinpath(*parts)
        if candidate.exists():
            return candidate
    raise FileNotFoundError(f"bundled resource not found: {'/'.join(parts)}")
