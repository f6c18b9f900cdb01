"""Word2VecConfig: the one home of word2vec / FastText training defaults (CLI, TOML and Python share it)."""

from __future__ import annotations

import dataclasses
import os

from embedkit.config import check_choice, check_numbers, check_positive, check_workers
from embedkit.errors import ConfigError

ARCHS = ("cbow", "skipgram")
NS_EXPONENT_LIMIT = 10  # gensim raises counts to this power in float64: 1e9 ** 10 still fits
MAX_DEFAULT_WORKERS = 8
MAX_NEGATIVE = 1000  # noise words per prediction: 5-20 is usual; training time grows linearly with it
VECTOR_FORMATS = ("bin", "safetensors")
DEFAULT_VECTORS_FORMAT = "bin"
METHODS = ("3cosadd", "3cosmul")
DEFAULT_METHOD = "3cosadd"
RESTRICT_VOCAB = 300_000  # analogy candidates: the most frequent words only (gensim's default)


def default_workers() -> int:
    """Worker threads when the config leaves ``workers`` unset: every core, at most ``MAX_DEFAULT_WORKERS``."""
    return max(1, min(os.cpu_count() or 1, MAX_DEFAULT_WORKERS))


@dataclasses.dataclass(frozen=True)
class Word2VecConfig:
    """Options of :func:`embedkit.embeddings.train_word2vec` / :func:`train_fasttext`.

    ``negative`` is the number of negative samples (0 turns negative sampling off, which then needs
    ``hs=True``); ``max_vocab`` keeps at most that many of the most frequent words; ``workers=None``
    means :func:`default_workers`, or 1 when a ``seed`` is set: gensim repeats a run exactly only with
    one worker thread, so a seed guarantees identical vectors for the same corpus and settings, and
    asking for a seed and several workers is an error. FastText options (``min_n``, ``max_n``,
    ``bucket``) are ignored by word2vec. ``bucket`` defaults to 200,000 (fastText uses 2,000,000): a
    100-dimensional model's ngram table then takes 80 MB instead of 800 MB, plenty for corpora of a few
    million words.
    """

    arch: str = "cbow"
    dim: int = 100
    window: int = 5
    negative: int = 5
    hs: bool = False
    ns_exponent: float = 0.75
    sample: float = 1e-3
    min_count: int = 5
    max_vocab: int | None = None
    epochs: int = 5
    alpha: float = 0.025
    min_alpha: float = 0.0001
    workers: int | None = None
    seed: int | None = None
    compute_loss: bool = True
    fasttext: bool = False
    min_n: int = 3
    max_n: int = 6
    bucket: int = 200_000

    def __post_init__(self) -> None:
        check_numbers(self)
        check_choice("architecture", self.arch, ARCHS)
        for name in ("dim", "window", "epochs", "min_count", "alpha"):
            check_positive(name, getattr(self, name))
        check_positive("max_vocab", self.max_vocab, allow_none=True)
        check_workers("workers", self.workers)
        if self.seed is not None and self.workers is not None and self.workers > 1:
            raise ConfigError(f"seed={self.seed} makes training repeatable only with 1 worker (gensim's threads race), "
                              f"but workers={self.workers}: drop one of them")
        if self.negative < 0:
            raise ConfigError(f"negative must be 0 or more, got {self.negative}")
        if self.negative > MAX_NEGATIVE:
            raise ConfigError(f"negative must be at most {MAX_NEGATIVE}, got {self.negative}: each is one more "
                              "dot product per prediction (5-20 is usual)")
        if self.negative == 0 and not self.hs:
            raise ConfigError("negative=0 leaves nothing to train: use negative > 0 or hs=true")
        if not -NS_EXPONENT_LIMIT <= self.ns_exponent <= NS_EXPONENT_LIMIT:
            raise ConfigError(f"ns_exponent must lie in [-{NS_EXPONENT_LIMIT}, {NS_EXPONENT_LIMIT}] (0.75 is "
                              f"word2vec's; counts to a larger power overflow the sampling table), "
                              f"got {self.ns_exponent}")
        if self.sample < 0 or self.min_alpha < 0:
            raise ConfigError("sample and min_alpha must not be negative")
        if self.min_alpha > self.alpha:
            raise ConfigError(f"min_alpha ({self.min_alpha}) must not exceed alpha ({self.alpha})")
        if self.fasttext:
            if not 0 < self.min_n <= self.max_n:
                raise ConfigError(f"need 0 < min_n <= max_n, got min_n={self.min_n}, max_n={self.max_n}")
            check_positive("bucket", self.bucket)

    @property
    def sg(self) -> int:
        """gensim's ``sg`` flag: 1 for skip-gram, 0 for CBOW."""
        return int(self.arch == "skipgram")

    @property
    def n_workers(self) -> int:
        """The worker count to use: ``workers``, else 1 with a seed (repeatable), else :func:`default_workers`."""
        if self.workers is not None:
            return self.workers
        return 1 if self.seed is not None else default_workers()
