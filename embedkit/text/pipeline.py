"""The preprocessing pipeline: normalise -> tokenise -> (sentences) -> stop words -> lemma | stem.

A :class:`Pipeline` is built from a frozen :class:`~embedkit.text.config.PreprocessConfig`. It maps each token
type once (a per-type cache) and streams inputs in bounded chunks, so memory stays flat whatever the input
size. The chunks run on an executor (:mod:`embedkit.text.executors`: this process, N local processes or a
Dask cluster) that gives the results back in input order, so the output is byte-identical to a one-worker
run.

>>> Pipeline(lang="en", stopwords=True).process("The cats sat on the mat.")
['cats', 'sat', 'mat']
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import io
import itertools
import json
import os
import sys
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import IO, Any

from embedkit.config import config_from_dict, load_toml
from embedkit.errors import InputError
from embedkit.io import STDIN, atomic_write, iter_documents, resolve_inputs
from embedkit.text.batching import sized_batches
from embedkit.text.config import PreprocessConfig
from embedkit.text.executors import DaskExecutor, Executor, LocalExecutor, local_executor
from embedkit.text.lemma_context import AMBIGUOUS, ContextLemmatizer, type_normalizer
from embedkit.text.morph import load_russian_analyzer, word_normalizer
from embedkit.text.normalize import MASK_TOKENS, no_yo, normalize
from embedkit.text.provenance import preprocess_toml, sidecar_path, write_preprocess
from embedkit.text.stopwords import stopword_set
from embedkit.text.tokenize import LINE_BREAK, TOKENIZERS, regex_tokenize, regex_tokenize_lines, split_sentences

CHUNK_DOCS = 1000
SOLO_CHUNK_DOCS = 4000  # one worker balances against nobody: larger chunks sort more new types together
CHUNK_CHARS = 1 << 20

ProgressCallback = Callable[[int, int], None]


@dataclasses.dataclass(frozen=True)
class PreprocessSummary:
    """What a run of the pipeline did."""

    documents: int
    tokens: int
    types: int
    seconds: float

    @property
    def tokens_per_second(self) -> float:
        return self.tokens / self.seconds if self.seconds > 0 else 0.0


class Pipeline:
    """Ordered text-processing steps; call :meth:`process` on a text or :meth:`run` on files."""

    def __init__(self, config: PreprocessConfig | None = None, **overrides: Any) -> None:
        self.config = dataclasses.replace(config or PreprocessConfig(), **overrides)
        cfg = self.config
        self._tokenize = TOKENIZERS[cfg.tokenizer]
        self._stop = (
            stopword_set(cfg.lang, cfg.remove_negation, cfg.stopwords_file) if cfg.stopwords else frozenset()
        )
        mode = "lemma" if cfg.lemmatize else "stem" if cfg.stem else "none"
        self._normalizer = word_normalizer(cfg.lang, mode)
        self._context: ContextLemmatizer | None = None
        if cfg.lemmatize and cfg.lang != "en" and (cfg.lemma_context or cfg.pos_tags):
            self._context = ContextLemmatizer(cfg.pos_tags, cased=not cfg.lowercase, context=cfg.lemma_context)
            self._normalizer = type_normalizer(self._context, cfg.lang)
        # A lemmatiser looks words up in a large dictionary, faster in sorted runs; on the per-document path a
        # stemmer gains nothing from the batch and loses the locality of mapping each document while its tokens
        # are fresh. (A chunk mapped at once learns its types in one batch whatever the mode: for a stemmer
        # that measured no slower, with fewer instructions.)
        self._learn_in_batches = mode == "lemma"
        self._cache: dict[str, str] = _FormCache()  # token -> output form, "" when dropped; newest entries last
        # A chunk of one-line documents can be tokenised and mapped whole (:meth:`_chunk_at_once`) when the
        # output is one line a document.
        self._at_once = self._tokenize is regex_tokenize and not cfg.sentences and cfg.output_format == "text"
        if cfg.lemmatize and cfg.lang in ("ru", "auto"):
            load_russian_analyzer()

    @classmethod
    def from_dict(cls, table: dict[str, Any]) -> Pipeline:
        """From a ``[preprocess]`` TOML table (unknown keys are an error)."""
        return cls(config_from_dict(PreprocessConfig, table, where="preprocess"))

    @classmethod
    def from_toml(cls, path: str | Path, table: str = "preprocess") -> Pipeline:
        """From a TOML file's ``[preprocess]`` table."""
        return cls.from_dict(load_toml(path).get(table, {}))

    def to_toml(self) -> str:
        """The config as a TOML document with one ``[preprocess]`` table."""
        return preprocess_toml(self.config)

    def map_token(self, token: str) -> str | None:
        """A token's output form, or ``None`` when a filter drops it (cached per type)."""
        try:
            out = self._cache[token]
        except KeyError:
            out = self._cache[token] = self._map_uncached(token)
        if out == AMBIGUOUS:
            return self._in_context([token], [out])[0] or None
        return out or None

    def _map_uncached(self, token: str) -> str:
        if token in MASK_TOKENS:
            return token
        if len(token) < self.config.min_length:
            return ""
        stop = self._stop
        if stop and token.lower() in stop:
            return ""
        if self._normalizer is not None and token[:1].isalnum():
            token = self._normalizer(token)
            if self.config.yo_to_e:
                token = no_yo(token)
            if stop and (token.rpartition("_")[0] if self.config.pos_tags else token) in stop:
                return ""
        return token

    def _raw_tokens(self, text: str) -> list[str]:
        return self._tokenize(normalize(text, self.config), self.config.keep_punct)

    def _map(self, tokens: list[str]) -> list[str]:
        return list(filter(None, self._forms(tokens)))

    def _forms(self, tokens: list[str]) -> list[str]:
        """Each token's output form ("" when dropped), new types learnt first, ambiguous lemmas settled."""
        cache = self._cache
        try:
            out = list(map(cache.__getitem__, tokens))
        except KeyError:
            types = set(tokens)
            types.discard(LINE_BREAK)  # a line break between documents maps to itself (_FormCache)
            self._learn(types)
            out = list(map(cache.__getitem__, tokens))
        if self._context is not None and AMBIGUOUS in out:
            out = self._in_context(tokens, out)
        return out

    def _in_context(self, tokens: list[str], out: list[str]) -> list[str]:
        """Settle the lemma-ambiguous types of a unit from their neighbours (the cache holds AMBIGUOUS)."""
        settled = self._context.settle(tokens, out)
        if self.config.yo_to_e:
            for i in settled:
                out[i] = no_yo(out[i])
        stop, tagged = self._stop, self.config.pos_tags
        if stop:
            for i in settled:
                if (out[i].rpartition("_")[0] if tagged else out[i]) in stop:
                    out[i] = ""
        return out

    def _learn(self, types: set[str]) -> None:
        """Map the types not cached yet, in sorted order (neighbours in the dictionary are looked up together)."""
        tokens = sorted(types.difference(self._cache))
        forms = list(map(self._map_uncached, tokens))
        self._cache.update(zip(tokens, forms, strict=True))

    def process(self, text: str) -> list[str]:
        """Tokens of one text after every step."""
        return self._map(self._raw_tokens(one_text(text)))

    def process_sentences(self, text: str) -> list[list[str]]:
        """Tokens of each sentence of a text (empty sentences dropped)."""
        return self.map_units(self.raw_units(one_text(text), sentences=True))

    def raw_units(self, text: str, sentences: bool | None = None) -> list[list[str]]:
        """Tokens of a document's output units before the per-type steps (stop words, lemma or stem)."""
        if self.config.sentences if sentences is None else sentences:
            return [self._raw_tokens(sentence) for sentence in split_sentences(text, self.config.lang)]
        return [self._raw_tokens(text)]

    def map_units(self, units: list[list[str]]) -> list[list[str]]:
        """Apply the per-type steps to raw units; sentences left empty are dropped."""
        mapped = [self._map(tokens) for tokens in units]
        if self.config.sentences:
            return [tokens for tokens in mapped if tokens]
        return mapped

    def document_units(self, text: str) -> list[list[str]]:
        """Output units of one document: its sentences if ``sentences`` is set, else the whole document."""
        return self.map_units(self.raw_units(text))

    def format_units(self, units: list[list[str]]) -> list[str]:
        """Output lines: tokens separated by spaces (gensim's LineSentence form) or JSON objects."""
        if self.config.output_format == "jsonl":
            return [json.dumps({"tokens": tokens}, ensure_ascii=False) for tokens in units]
        return [" ".join(tokens) for tokens in units]

    def process_chunk(self, documents: Sequence[str]) -> tuple[str, int, int]:
        """Process a chunk of documents: its output text, document count and token count."""
        if self._at_once and documents:
            done = self._chunk_at_once(documents)
            if done is not None:
                return done
        return self._chunk_by_document(documents)

    def _chunk_at_once(self, documents: Sequence[str]) -> tuple[str, int, int] | None:
        """:meth:`_chunk_by_document`'s result, from the chunk's documents joined by line breaks: normalised,
        tokenised and mapped whole (a few calls for the chunk instead of several per document), line breaks
        standing as tokens between the documents' tokens (lemmas in context are settled line by line).
        ``None`` when a document holds a line break or normalising makes one, so the chunk cannot be split
        back into its documents this way."""
        text = normalize(LINE_BREAK.join(documents), self.config)
        if text.count(LINE_BREAK) != len(documents) - 1:
            return None
        out = self._forms(regex_tokenize_lines(text, self.config.keep_punct))  # lines settled as if alone
        if "" in out:
            out = list(filter(None, out))
        lines = " ".join(out).replace(" \n", LINE_BREAK).replace("\n ", LINE_BREAK)
        return lines + LINE_BREAK, len(documents), len(out) - len(documents) + 1

    def _chunk_by_document(self, documents: Sequence[str]) -> tuple[str, int, int]:
        """Process a chunk document by document."""
        chunk_units: Iterable[list[list[str]]]
        if self._learn_in_batches:
            raw = [self.raw_units(doc) for doc in documents]
            self._learn(set().union(*(tokens for units in raw for tokens in units)))
            chunk_units = map(self.map_units, raw)
        else:
            chunk_units = map(self.document_units, documents)
        lines: list[str] = []
        n_tokens = 0
        for units in chunk_units:
            n_tokens += sum(map(len, units))
            lines.extend(self.format_units(units))
        text = "\n".join(lines) + "\n" if lines else ""
        return text, len(documents), n_tokens

    def output_types(self) -> int:
        """How many distinct output tokens the types seen so far map to."""
        return len(set(self._cache.values()) - {"", AMBIGUOUS})

    def run(self, documents: Iterable[str], sink: IO[str] | IO[bytes], workers: int | None = None,
            progress: ProgressCallback | None = None, dask_client: Any = None,
            executor: Executor | None = None) -> PreprocessSummary:
        """Stream documents through the pipeline into ``sink`` (text, or binary for UTF-8), in input order.

        Chunks of documents run on ``executor`` (:mod:`embedkit.text.executors`): by default this process
        for ``workers=1``, else ``workers`` local processes, each with a per-type cache that takes in the
        entries the others made (so a type is analysed about once in all); a ``distributed.Client`` as
        ``dask_client`` runs them on that Dask cluster. The output bytes are the same in every case. The
        summary's ``types`` counts the output forms of the types first analysed in this run.
        """
        start = time.perf_counter()
        workers = workers or self.config.workers
        if executor is None:
            executor = DaskExecutor(dask_client, 4 * max(workers, 2)) if dask_client is not None \
                else local_executor(workers)
        max_docs = SOLO_CHUNK_DOCS if isinstance(executor, LocalExecutor) else CHUNK_DOCS
        n_docs = n_tokens = 0
        forms: set[str] = set()
        write = _chunk_writer(sink)
        results = executor.map_ordered(_ChunkTask(self), _chunks(documents, max_docs))
        with contextlib.closing(results):  # on an error here, the executor stops its workers now
            for text, docs, toks, new_forms in results:
                write(text)
                n_docs += docs
                n_tokens += toks
                forms.update(new_forms)
                if progress is not None:
                    progress(docs, toks)
        forms -= {"", AMBIGUOUS}
        return PreprocessSummary(n_docs, n_tokens, len(forms), time.perf_counter() - start)


class _FormCache(dict):
    """The per-type cache; a line break (a token of :meth:`Pipeline._chunk_at_once`) maps to itself
    without being an entry, so it never counts as a type or travels to other workers."""

    def __missing__(self, token: str) -> str:
        if token == LINE_BREAK:
            return token
        raise KeyError(token)


ChunkResult = tuple[bytes, int, int, list[str]]  # UTF-8 output, documents, tokens, forms of new types


class _ChunkTask:
    """One chunk through a pipeline, as an executor runs it; its result also names the output forms of
    the types the pipeline analysed for it.

    It is a :class:`~embedkit.text.executors.SharingTask`: the cache entries a worker made for a chunk go
    to the other workers, so each type is analysed about once in all. Entries travel as two newline-joined
    strings (tokens, forms), which pickle far faster than a dict of thousands of small strings.

    Here it uses the caller's pipeline. It pickles as its config and a token of the run, so each worker
    process builds one pipeline for the run (:func:`_worker_task`) and keeps its per-type cache from chunk
    to chunk.
    """

    def __init__(self, pipeline: Pipeline, token: str | None = None) -> None:
        self.pipeline = pipeline
        self.token = token or uuid.uuid4().hex
        self._new: list[tuple[str, str]] = []

    def __call__(self, documents: Sequence[str]) -> ChunkResult:
        cache = self.pipeline._cache
        before = len(cache)
        text, docs, toks = self.pipeline.process_chunk(documents)
        self._new = list(itertools.islice(reversed(cache.items()), len(cache) - before))  # entries made here
        return text.encode(), docs, toks, [form for _, form in self._new]

    def learned(self) -> tuple[str, str] | dict[str, str] | None:
        """The cache entries made for the last chunk, packed for the other workers."""
        if not self._new:
            return None
        tokens, forms = (list(column) for column in zip(*self._new, strict=True))
        keys, values = "\n".join(tokens), "\n".join(forms)
        if keys.count("\n") != len(tokens) - 1 or values.count("\n") != len(forms) - 1:
            return dict(self._new)  # a token or form holds a newline itself
        return keys, values

    def absorb(self, learned: tuple[str, str] | dict[str, str]) -> None:
        """Add cache entries another worker made."""
        if isinstance(learned, dict):
            self.pipeline._cache.update(learned)
        else:
            keys, values = learned
            self.pipeline._cache.update(zip(keys.split("\n"), values.split("\n"), strict=True))

    def __reduce__(self) -> tuple[Callable[..., _ChunkTask], tuple[PreprocessConfig, str]]:
        return _worker_task, (self.pipeline.config, self.token)


@functools.lru_cache(maxsize=2)
def _worker_task(config: PreprocessConfig, token: str) -> _ChunkTask:
    """A worker process's task for one run: one pipeline, and so one per-type cache, kept between chunks."""
    return _ChunkTask(Pipeline(config), token)


def _chunk_writer(sink: IO[str] | IO[bytes]) -> Callable[[bytes], object]:
    """Write UTF-8 chunk texts to a binary sink as they are, or decoded to a text sink."""
    if isinstance(sink, (io.RawIOBase, io.BufferedIOBase)):
        return sink.write
    return lambda text: sink.write(text.decode())


def _chunks(documents: Iterable[str], max_docs: int | None = None) -> Iterator[list[str]]:
    return sized_batches(documents, max_docs or CHUNK_DOCS, CHUNK_CHARS)


def preprocess_files(inputs: Sequence[str | Path], output: str | Path | None, config: PreprocessConfig,
                     progress: ProgressCallback | None = None, dask_client: Any = None,
                     executor: Executor | None = None) -> PreprocessSummary:
    """Run the pipeline over files, folders, ``.gz`` or ``-`` into ``output`` (stdout when ``None``/``-``).

    The chunks run on ``executor`` (see :meth:`Pipeline.run`). The output file appears only when the whole
    run succeeded, with the config recorded beside it.
    """
    pipeline = Pipeline(config)
    sources = resolve_inputs(inputs, config.glob)
    documents = iter_documents(sources, config.encoding, config.unit)
    if output is None or str(output) == STDIN:
        summary = pipeline.run(documents, sys.stdout, progress=progress, dask_client=dask_client, executor=executor)
        _require_tokens(summary, sources)
        return summary
    output = Path(output)
    with atomic_write(output, "wb") as sink:
        summary = pipeline.run(documents, sink, progress=progress, dask_client=dask_client, executor=executor)
        _require_tokens(summary, sources)
    write_preprocess(sidecar_path(output), pipeline.config, f"written by embedkit preprocess for {output.name}")
    return summary


def _require_tokens(summary: PreprocessSummary, sources: Sequence[Path | str]) -> None:
    if summary.tokens == 0:
        names = ", ".join(str(s) for s in sources[:3])
        raise InputError(f"{names}: input holds no tokens after preprocessing")


def one_text(text: object, what: str = "process") -> str:
    """``text`` when it is a ``str``; a clear TypeError for bytes, ``None`` or a list of texts (``what`` takes
    one text)."""
    if not isinstance(text, str):
        raise TypeError(f"{what} takes one text (a str), got {type(text).__name__}: decode bytes first, "
                        "and map over a list of texts")
    return text


def default_workers() -> int:
    """Cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1
