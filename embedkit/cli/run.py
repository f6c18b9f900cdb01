"""`embedkit run`."""

from __future__ import annotations


def run() -> None:
    """Run the stages of a pipeline TOML file (being written)."""
