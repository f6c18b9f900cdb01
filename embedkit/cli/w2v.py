"""`embedkit w2v ...`: train, query, evaluate and export word vectors (a thin layer over embedkit.embeddings)."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import typer

from embedkit.cli.options import default_help, switch_help
from embedkit.embeddings.config import (
    ARCHS,
    DEFAULT_METHOD,
    DEFAULT_VECTORS_FORMAT,
    MAX_DEFAULT_WORKERS,
    METHODS,
    RESTRICT_VOCAB,
    VECTOR_FORMATS,
    Word2VecConfig,
)
from embedkit.errors import ConfigError

app = typer.Typer(help="Train word2vec / FastText vectors, query, evaluate and export them.", no_args_is_help=True)
logger = logging.getLogger(__name__)
_DEFAULTS = Word2VecConfig()


def _echo_json(data: object) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False, indent=1))


def _d(text: str, name: str) -> str:
    """Help text ending in the Word2VecConfig default of ``name`` (the one home of the default)."""
    return default_help(text, _DEFAULTS, name)


def _flag(text: str, name: str, on: str, off: str) -> str:
    return switch_help(text, _DEFAULTS, name, on, off)


@app.command(no_args_is_help=True)
def train(
    tokens: Path = typer.Argument(..., help="Token file: space-separated tokens, one sentence a line."),
    output: Path = typer.Option(..., "--output", "-o", help="Model folder to write."),
    config: Path | None = typer.Option(None, "--config", help="TOML file with a \\[w2v] table of defaults."),
    arch: str | None = typer.Option(None, "--arch", help=_d(" or ".join(ARCHS) + ".", "arch")),
    dim: int | None = typer.Option(None, "--dim", help=_d("Vector size.", "dim")),
    window: int | None = typer.Option(None, "--window", help=_d("Context window (words each side).", "window")),
    negative: int | None = typer.Option(None, "--negative", help=_d("Negative samples per word (0: off).",
                                                                     "negative")),
    hs: bool | None = typer.Option(None, "--hs/--no-hs", help=_flag("Hierarchical softmax.", "hs", "--hs",
                                                                    "--no-hs")),
    ns_exponent: float | None = typer.Option(None, "--ns-exponent",
                                             help=_d("Exponent of the negative-sampling table.", "ns_exponent")),
    sample: float | None = typer.Option(None, "--sample", help=_d("Downsampling threshold for frequent words.",
                                                                  "sample")),
    min_count: int | None = typer.Option(None, "--min-count", help=_d("Drop words seen fewer times.", "min_count")),
    max_vocab: int | None = typer.Option(None, "--max-vocab", help=_d("Keep at most this many words.", "max_vocab")),
    epochs: int | None = typer.Option(None, "--epochs", help=_d("Passes over the corpus.", "epochs")),
    alpha: float | None = typer.Option(None, "--alpha", help=_d("Initial learning rate.", "alpha")),
    min_alpha: float | None = typer.Option(None, "--min-alpha", help=_d("Final learning rate.", "min_alpha")),
    workers: int | None = typer.Option(None, "--workers", help=(
        f"Worker threads (default: all cores, at most {MAX_DEFAULT_WORKERS}).")),
    seed: int | None = typer.Option(None, "--seed", help=_d("Random seed.", "seed")),
    loss: bool | None = typer.Option(None, "--loss/--no-loss", help=_flag("Compute the training loss per epoch.",
                                                                          "compute_loss", "--loss", "--no-loss")),
    fasttext: bool | None = typer.Option(None, "--fasttext/--word2vec", help=_flag(
        "FastText (subword) vectors.", "fasttext", "--fasttext", "--word2vec")),
    min_n: int | None = typer.Option(None, "--min-n", help=_d("FastText: shortest character ngram.", "min_n")),
    max_n: int | None = typer.Option(None, "--max-n", help=_d("FastText: longest character ngram.", "max_n")),
    bucket: int | None = typer.Option(None, "--bucket", help=_d("FastText: ngram hash buckets.", "bucket")),
    vectors_format: str = typer.Option(DEFAULT_VECTORS_FORMAT, "--vectors-format",
                                       help=" or ".join(VECTOR_FORMATS) + " (word2vec binary or safetensors)."),
) -> None:
    """Train vectors on a token file (its .pipeline.toml sidecar is kept with the model)."""
    from embedkit.config import config_from_dict, load_toml, replace_config
    from embedkit.embeddings.train import loss_line, train_word2vec
    from embedkit.io import check_model_dir

    if vectors_format not in VECTOR_FORMATS:
        raise ConfigError(f"unknown vectors format '{vectors_format}' (choose from {', '.join(VECTOR_FORMATS)})")
    base = Word2VecConfig()
    if config is not None:
        base = config_from_dict(Word2VecConfig, load_toml(config).get("w2v", {}), where="w2v")
    cfg = replace_config(base, arch=arch, dim=dim, window=window, negative=negative, hs=hs, ns_exponent=ns_exponent,
                         sample=sample, min_count=min_count, max_vocab=max_vocab, epochs=epochs, alpha=alpha,
                         min_alpha=min_alpha, workers=workers, seed=seed, compute_loss=loss, fasttext=fasttext,
                         min_n=min_n, max_n=max_n, bucket=bucket)
    check_model_dir(output)
    emb = train_word2vec(tokens, cfg)
    emb.save(output, vectors_format=vectors_format)
    session = emb.meta["history"][-1]
    kind = "fasttext" if cfg.fasttext else "word2vec"
    typer.echo(f"{kind} {cfg.arch}: {len(emb):,} words x {emb.dim} dims from {session['words']:,} tokens "
               f"in {session['seconds']:.1f}s ({session['words_per_second'] or 0:,} words/s) -> {output}")
    typer.echo(loss_line(session["loss_per_epoch"], cfg))


def _print_neighbours(title: str, rows: list[tuple[str, float]]) -> None:
    typer.echo(title)
    for word, score in rows:
        typer.echo(f"  {word}\t{score:.4f}")


@app.command(no_args_is_help=True)
def similar(
    model: Path = typer.Argument(..., help="Model folder or vector file."),
    words: list[str] = typer.Argument(..., help="Query words (pass through the model's preprocessing)."),
    topn: int = typer.Option(10, "--topn", help="Neighbours per word."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Nearest neighbours of each word by cosine similarity."""
    from embedkit.embeddings.vectors import Embeddings

    if topn <= 0:
        raise ConfigError(f"--topn must be positive, got {topn}")
    emb = Embeddings.load(model)
    results = emb.most_similar_batch(words, topn=topn)
    if as_json:
        _echo_json({w: [[n, s] for n, s in r] for w, r in zip(words, results, strict=True)})
        return
    for word, rows in zip(words, results, strict=True):
        key = emb.key(word)
        _print_neighbours(word if key == word else f"{word} ({key})", rows)


@app.command(no_args_is_help=True)
def analogy(
    model: Path = typer.Argument(..., help="Model folder or vector file."),
    a: str = typer.Argument(..., help="a, in 'a is to b as c is to ?'"),
    b: str = typer.Argument(..., help="b"),
    c: str = typer.Argument(..., help="c"),
    method: str = typer.Option(DEFAULT_METHOD, "--method", help=" or ".join(METHODS) + "."),
    topn: int = typer.Option(5, "--topn", help="Candidates to show."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Solve 'a is to b as c is to ?' (man king woman -> queen)."""
    from embedkit.embeddings.vectors import Embeddings

    if topn <= 0:
        raise ConfigError(f"--topn must be positive, got {topn}")
    rows = Embeddings.load(model).analogy_scores(a, b, c, method=method, topn=topn)
    if as_json:
        _echo_json([[w, s] for w, s in rows])
    else:
        _print_neighbours(f"{a} : {b} :: {c} : ?", rows)


@app.command(name="eval", no_args_is_help=True)
def evaluate(
    model: Path = typer.Argument(..., help="Model folder or vector file."),
    analogies: list[str] = typer.Option([], "--analogies", help=(
        "questions-words.txt-style file (repeatable); gensim:NAME or a bare NAME reads gensim's test data.")),
    pairs: list[str] = typer.Option([], "--pairs", help=(
        "Word-pair similarity file (repeatable), e.g. simlex999.txt or wordsim353.tsv from gensim.")),
    method: str = typer.Option(DEFAULT_METHOD, "--method", help=" or ".join(METHODS) + "."),
    restrict_vocab: int = typer.Option(RESTRICT_VOCAB, "--restrict-vocab", min=1,
                                       help="Only this many frequent words answer analogies (pairs use all)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Analogy accuracy (per section and overall) and Spearman correlation on word-pair files."""
    from embedkit.embeddings.evaluate import evaluate_analogies, evaluate_pairs, resolve_eval_file
    from embedkit.embeddings.vectors import Embeddings

    if not analogies and not pairs:
        raise ConfigError("nothing to evaluate: give --analogies FILE and/or --pairs FILE")
    analogy_files = {p: resolve_eval_file(p) for p in analogies}
    pair_files = {p: resolve_eval_file(p) for p in pairs}
    emb = Embeddings.load(model)
    report = {
        "analogies": {p: evaluate_analogies(emb, f, restrict_vocab, method).to_dict()
                      for p, f in analogy_files.items()},
        "pairs": {p: evaluate_pairs(emb, f).to_dict() for p, f in pair_files.items()},
    }
    if as_json:
        _echo_json(report)
        return
    for path, res in report["analogies"].items():
        typer.echo(f"{path}: accuracy {res['accuracy']:.3f} ({res['correct']}/{res['total']}, "
                   f"{res['oov']} questions OOV, {method})")
        for section in res["sections"]:
            typer.echo(f"  {section['name']:<32} {section['accuracy']:.3f}  ({section['correct']}/{section['total']})")
    for path, res in report["pairs"].items():
        typer.echo(f"{path}: spearman {res['spearman']:.3f} (p={res['pvalue']:.2g}) on {res['used']}/{res['pairs']} "
                   f"pairs, {res['oov']} OOV")


@app.command(no_args_is_help=True)
def export(
    model: Path = typer.Argument(..., help="Model folder or vector file."),
    fmt: str = typer.Option(..., "--format", help="npy, word2vec, word2vec-bin, safetensors or torch."),
    output: Path = typer.Option(..., "--output", "-o", help="File to write."),
    vocab: Path | None = typer.Option(None, "--vocab", help="vocab.json: rows in its order, OOV rows filled."),
    seed: int = typer.Option(0, "--seed", help="Seed of the random rows for unknown words."),
) -> None:
    """Write the vectors in another format, optionally aligned to a downstream vocabulary."""
    from embedkit.embeddings.export import EXPORT_FORMATS, export_vectors
    from embedkit.embeddings.vectors import Embeddings
    from embedkit.vocab import Vocab

    if fmt not in EXPORT_FORMATS:
        raise ConfigError(f"unknown export format '{fmt}' (choose from {', '.join(EXPORT_FORMATS)})")
    emb = Embeddings.load(model)
    coverage = export_vectors(emb, output, fmt, Vocab.load(vocab) if vocab else None, seed)
    typer.echo(f"wrote {output} ({fmt})" + (f": {coverage}" if coverage else ""))
