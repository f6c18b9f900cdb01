"""embedkit: raw text to word embeddings and recurrent models."""

from __future__ import annotations

__version__ = "0.1.0"
