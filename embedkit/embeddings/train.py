"""Training word2vec and FastText with gensim: token files go through ``corpus_file`` mode (scales with cores).

>>> from embedkit.embeddings import train_word2vec
>>> emb = train_word2vec([["a", "b", "c"]] * 50, min_count=1, dim=8, epochs=1, workers=1)
>>> emb.dim
8
"""

from __future__ import annotations

import contextlib
import json
import logging
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from embedkit.config import config_from_dict, config_to_dict, replace_config
from embedkit.embeddings.config import Word2VecConfig
from embedkit.embeddings.loss import LossProbe
from embedkit.embeddings.storage import read_training_state
from embedkit.embeddings.vectors import Embeddings
from embedkit.errors import (
    ConfigError,
    EmbedkitError,
    InputError,
    ModelFormatError,
    check_token_list,
    empty_vocabulary,
)
from embedkit.io import check_text, iter_lines, require_file
from embedkit.text.config import PreprocessConfig
from embedkit.text.provenance import read_sidecar

logger = logging.getLogger(__name__)

GENSIM_SEED = 1  # gensim's own default, used when no seed is set (runs on several threads differ anyway)
Corpus = str | Path | Iterable[Iterable[str]]
Advance = Callable[[int], None]


class _JsonlTokens:
    """A restartable stream of token lists from a ``{"tokens": [...]}`` JSON-lines file."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __iter__(self) -> Iterator[list[str]]:
        with open(self.path, encoding="utf-8") as handle:
            for lineno, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                try:
                    yield list(json.loads(line)["tokens"])
                except (json.JSONDecodeError, KeyError, TypeError):
                    raise InputError(f"{self.path}, line {lineno}: not a {{\"tokens\": [...]}} JSON line") from None


def _corpus_args(corpus: Corpus, preprocess: PreprocessConfig | None) -> tuple[dict[str, Any], str | None]:
    """gensim keyword arguments for the corpus (``corpus_file`` or ``corpus_iterable``) and its name."""
    if isinstance(corpus, (str, Path)):
        path = require_file(corpus, "token file")
        if path.stat().st_size == 0:
            raise InputError(f"{path}: corpus is empty")
        check_text([path])  # gensim reads the file itself, and would meet bad bytes with a traceback
        if preprocess is not None and preprocess.output_format == "jsonl":
            return {"corpus_iterable": _JsonlTokens(path)}, str(path)
        if path.suffix == ".gz":
            from gensim.models.word2vec import LineSentence

            return {"corpus_iterable": LineSentence(str(path))}, str(path)
        return {"corpus_file": str(path)}, str(path)
    if isinstance(corpus, Iterator):
        corpus = [list(tokens) for tokens in corpus]
    if isinstance(corpus, Sequence) and corpus:
        check_token_list(corpus[0])  # gensim would train on the letters
    return {"corpus_iterable": corpus}, None


def _progress(total_words: int, enabled: bool | None) -> contextlib.AbstractContextManager[Advance]:
    """A Rich bar counting words and words/s on a terminal; a no-op otherwise."""
    if enabled is None:
        enabled = sys.stderr.isatty()
    if not enabled:
        return contextlib.nullcontext(lambda words: None)
    return _rich_progress(total_words)


@contextlib.contextmanager
def _rich_progress(total_words: int) -> Iterator[Advance]:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    columns = (TextColumn("[bold]training"), BarColumn(), MofNCompleteColumn(),
               TextColumn("words {task.fields[rate]}"), TimeElapsedColumn())
    with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task("train", total=total_words, rate="")

        def advance(words: int) -> None:
            bar.update(task, advance=words)
            speed = bar.tasks[task].speed
            bar.update(task, rate=f"{speed:,.0f}/s" if speed else "")

        yield advance


def _epoch_logger(advance: Advance, words_per_epoch: int, losses: list[float], probe: LossProbe | None) -> Any:
    """A gensim callback that measures the loss after each epoch (when ``probe`` is given) and drives the bar."""
    from gensim.models.callbacks import CallbackAny2Vec

    class EpochLogger(CallbackAny2Vec):
        def __init__(self) -> None:
            self.epoch = 0
            self.started = time.perf_counter()

        def on_epoch_begin(self, model: Any) -> None:
            self.started = time.perf_counter()

        def on_epoch_end(self, model: Any) -> None:
            self.epoch += 1
            seconds = time.perf_counter() - self.started
            rate = words_per_epoch / seconds if seconds > 0 else 0.0
            loss = probe.loss(model) if probe is not None else None
            if loss is not None:
                losses.append(round(loss, 6))
                logger.info("epoch %d: loss %.4f, %.0f words/s", self.epoch, loss, rate)
            else:
                logger.info("epoch %d: %.0f words/s", self.epoch, rate)
            advance(words_per_epoch)

    return EpochLogger()


def _sentences(corpus_args: dict[str, Any]) -> Iterable[list[str] | str]:
    """The corpus as token lists, or for a corpus file as its lines (:class:`LossProbe` splits those it takes)."""
    if "corpus_file" in corpus_args:
        return iter_lines([Path(corpus_args["corpus_file"])])
    return corpus_args["corpus_iterable"]


def _gensim_model(config: Word2VecConfig) -> Any:
    """An untrained gensim Word2Vec or FastText with the config's settings."""
    kwargs: dict[str, Any] = dict(
        vector_size=config.dim, window=config.window, negative=config.negative, hs=int(config.hs),
        ns_exponent=config.ns_exponent, sample=config.sample, min_count=config.min_count,
        max_final_vocab=config.max_vocab, epochs=config.epochs, alpha=config.alpha, min_alpha=config.min_alpha,
        workers=config.n_workers, seed=GENSIM_SEED if config.seed is None else config.seed, sg=config.sg,
    )
    if config.fasttext:
        from gensim.models import FastText

        return FastText(min_n=config.min_n, max_n=config.max_n, bucket=config.bucket, **kwargs)
    from gensim.models import Word2Vec

    return Word2Vec(**kwargs)


def _check_vocab(model: Any, name: str, config: Word2VecConfig, update: bool) -> None:
    """Turn an empty corpus or a vocabulary emptied by ``min_count`` into one readable error."""
    where = f"{name}: " if name else ""
    if not model.corpus_total_words:
        raise InputError(f"{where}corpus is empty (no tokens)")
    if not update and len(model.wv) == 0:
        top = max(model.raw_vocab.values(), default=0)
        raise empty_vocabulary(config.min_count, top, name)


def _train(model: Any, corpus_args: dict[str, Any], config: Word2VecConfig, epochs: int,
           progress: bool | None) -> tuple[list[float], float]:
    """Run gensim's training loop; returns the loss per epoch and the seconds it took.

    The loss is measured by :class:`~embedkit.embeddings.loss.LossProbe` (gensim's own running total
    saturates and is under-counted with several threads); FastText gets none (gensim computes none).
    """
    losses: list[float] = []
    words = int(model.corpus_total_words)
    extra = {"total_words": words} if "corpus_file" in corpus_args else {"total_examples": model.corpus_count}
    started = time.perf_counter()
    probe = None
    if config.compute_loss and not config.fasttext:
        probe = LossProbe(model, _sentences(corpus_args))
    with _progress(words * epochs, progress) as advance:
        callback = _epoch_logger(advance, words, losses, probe)
        model.train(**corpus_args, epochs=epochs, compute_loss=False, callbacks=[callback], **extra)
    return losses, time.perf_counter() - started


def loss_line(losses: list[float] | None, config: Word2VecConfig) -> str:
    """One line for people: the mean loss per prediction after each epoch, or why there is none."""
    if losses:
        return "loss per epoch (mean per prediction): " + ", ".join(f"{x:.4f}" for x in losses)
    if config.fasttext and config.compute_loss:
        return "loss per epoch: not available for FastText"
    return "loss per epoch: not computed"


def _session(corpus: str | None, model: Any, epochs: int, losses: list[float], seconds: float) -> dict[str, Any]:
    words = int(model.corpus_total_words)
    return {
        "corpus": corpus, "sentences": int(model.corpus_count), "words": words, "epochs": epochs,
        "loss_per_epoch": losses if losses else None, "seconds": round(seconds, 3),
        "words_per_second": round(words * epochs / seconds) if seconds > 0 else None,
    }


def train_word2vec(corpus: Corpus, config: Word2VecConfig | None = None, *, preprocess: PreprocessConfig | None = None,
                   progress: bool | None = None, **options: Any) -> Embeddings:
    """Train word2vec (or FastText with ``fasttext=True``) on a token file or an iterable of token lists.

    ``corpus``: a file of space-separated tokens, one sentence a line (gensim's LineSentence form, as
    ``embedkit preprocess`` writes it), or any re-iterable of token lists (a one-shot iterator is
    materialised first). ``options`` override fields of ``config`` (``None`` values are ignored).
    ``preprocess``: how the corpus was made; read from the token file's ``.pipeline.toml`` sidecar when
    omitted, so queries later pass through the same steps. ``progress``: a Rich bar (``None``: only on a
    terminal). Returns :class:`Embeddings` that still hold the gensim model, so they can be saved with
    their training state and trained further with :func:`continue_training`.
    """
    config = replace_config(config or Word2VecConfig(), **options)
    if preprocess is None and isinstance(corpus, (str, Path)):
        preprocess = read_sidecar(corpus)
    corpus_args, name = _corpus_args(corpus, preprocess)
    model = _gensim_model(config)
    model.build_vocab(**corpus_args, keep_raw_vocab=True)
    _check_vocab(model, name or "", config, update=False)
    model.raw_vocab = {}
    losses, seconds = _train(model, corpus_args, config, config.epochs, progress)
    meta = {
        "config": {**config_to_dict(config), "workers": config.n_workers},
        "history": [_session(name, model, config.epochs, losses, seconds)],
    }
    return Embeddings.from_gensim(model, preprocess=preprocess, meta=meta)


def train_fasttext(corpus: Corpus, config: Word2VecConfig | None = None, *, preprocess: PreprocessConfig | None = None,
                   progress: bool | None = None, **options: Any) -> Embeddings:
    """:func:`train_word2vec` with subword ngrams (FastText), so unknown words get vectors too."""
    options["fasttext"] = True
    return train_word2vec(corpus, config, preprocess=preprocess, progress=progress, **options)


def _trainable_model(emb: Embeddings) -> Any:
    """Rebuild a trainable gensim model from a saved folder's vectors, counts and training state."""
    folder = emb.source
    if not emb.meta.get("config"):
        raise ModelFormatError(f"{folder}: model has no training state (saved without it, or not trained here)")
    state = read_training_state(folder)
    config = config_from_dict(Word2VecConfig, emb.meta["config"], where="config")
    model = _gensim_model(config)
    corpus = emb.meta.get("corpus") or {}
    counts = emb.counts if emb.counts is not None else np.zeros(len(emb), dtype=np.int64)
    model.raw_vocab = {w: int(c) for w, c in zip(emb.words, counts.tolist(), strict=True)}
    model.corpus_count = int(corpus.get("sentences") or 0)
    model.corpus_total_words = int(corpus.get("words") or 0)
    model.min_count, model.max_final_vocab = 1, None
    try:
        model.prepare_vocab()
        model.prepare_weights()
    except (ValueError, RuntimeError) as exc:
        raise EmbedkitError(f"{folder}: cannot rebuild the model for training ({exc})") from None
    model.min_count, model.max_final_vocab = config.min_count, config.max_vocab
    rows = np.array([model.wv.key_to_index[w] for w in emb.words])
    model.wv.vectors[rows] = emb.vectors
    for name, array in state.items():
        target = model.wv.vectors_vocab if name == "vectors_vocab" else getattr(model, name)
        if target.shape != array.shape:
            raise ModelFormatError(f"{folder}: training state '{name}' has shape {array.shape}, "
                                   f"expected {target.shape}")
        target[rows] = array
    if emb.is_fasttext:
        model.wv.vectors_ngrams[:] = emb.kv.vectors_ngrams
    return model


def continue_training(embeddings: Embeddings | str | Path, corpus: Corpus, epochs: int | None = None, *,
                      progress: bool | None = None) -> Embeddings:
    """Train a model further on new text; words of the new text that pass ``min_count`` join the vocabulary.

    ``embeddings``: a freshly trained model or the folder of a saved one (which keeps its training state).
    The new corpus should be preprocessed like the first one. Returns new :class:`Embeddings`.
    """
    emb = embeddings if isinstance(embeddings, Embeddings) else Embeddings.load(embeddings)
    model = emb.model if emb.model is not None else _trainable_model(emb)
    config = config_from_dict(Word2VecConfig, emb.meta.get("config", {}), where="config")
    epochs = epochs or config.epochs
    if epochs <= 0:
        raise ConfigError(f"epochs must be positive, got {epochs}")
    corpus_args, name = _corpus_args(corpus, emb.preprocess)
    before = len(model.wv)
    model.build_vocab(**corpus_args, update=True)
    _check_vocab(model, name or "", config, update=True)
    logger.info("vocabulary grew from %d to %d words", before, len(model.wv))
    losses, seconds = _train(model, corpus_args, config, epochs, progress)
    meta = {"config": emb.meta.get("config", {}),
            "history": [*emb.meta.get("history", []), _session(name, model, epochs, losses, seconds)]}
    return Embeddings.from_gensim(model, preprocess=emb.preprocess, meta=meta)
