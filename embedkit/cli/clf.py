"""`embedkit clf ...`: train, evaluate and apply an RNN text classifier (torch is imported inside commands)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import typer

from embedkit.models.config import ClassifierConfig

_CLF = ClassifierConfig()

app = typer.Typer(help="RNN/LSTM/GRU text classifier: train, eval, predict.", no_args_is_help=True)

TEXT_COL = typer.Option(None, "--text-col", help="Text column: header name or 0-based number (default 'text').")
LABEL_COL = typer.Option(None, "--label-col", help="Label column: header name or 0-based number (default 'label').")
ENCODING = typer.Option("utf-8", "--encoding", help="Encoding of the input file (MR: cp1252).")


def _note(message: str) -> None:
    print(message, file=sys.stderr)


def _set_threads(threads: int | None) -> None:
    """Small recurrent batches gain little from intra-op threads and lose badly on a busy machine: default 1."""
    import torch

    torch.set_num_threads(max(1, threads or 1))


def _load_embeddings(path: Path) -> Any:
    from embedkit.embeddings import Embeddings

    return Embeddings.load(path)


@app.command(no_args_is_help=True)
def train(
    data: str = typer.Argument(..., help="Labelled TSV/CSV/JSONL or fastText '__label__' file, or '-'."),
    output: Path = typer.Option(..., "--output", "-o", help="Model folder to write."),
    valid: str | None = typer.Option(None, "--valid", help="Validation file (else a share of the data)."),
    text_col: str | None = TEXT_COL,
    label_col: str | None = LABEL_COL,
    encoding: str = ENCODING,
    cell: str | None = typer.Option(None, "--cell", help="rnn, lstm or gru."),
    bidirectional: bool | None = typer.Option(None, "--bidirectional/--unidirectional"),
    layers: int | None = typer.Option(None, "--layers", help="Stacked recurrent layers."),
    hidden: int | None = typer.Option(None, "--hidden", help="Hidden size per direction."),
    dim: int | None = typer.Option(None, "--dim", help="Embedding size (default: the vectors' size)."),
    pooling: str | None = typer.Option(None, "--pooling", help="last, mean or max."),
    dropout: float | None = typer.Option(None, "--dropout"),
    embedding_dropout: float | None = typer.Option(None, "--embedding-dropout"),
    recurrent_dropout: float | None = typer.Option(
        None, "--recurrent-dropout",
        help=f"Dropout on h_(t-1) inside W h_(t-1), one mask for all steps (Gal & Ghahramani); "
             f"0 = off (default {_CLF.recurrent_dropout:g})."),
    init: str | None = typer.Option(None, "--init",
                                    help=f"Recurrent weights: orthogonal (SVD) or torch (default {_CLF.init})."),
    forget_bias: float | None = typer.Option(
        None, "--forget-bias", help=f"LSTM forget-gate bias with --init orthogonal (default {_CLF.forget_bias:g})."),
    embeddings: Path | None = typer.Option(None, "--embeddings", help="Word vectors folder to start from."),
    freeze: bool | None = typer.Option(None, "--freeze/--fine-tune", help="Keep the word vectors fixed."),
    min_count: int | None = typer.Option(None, "--min-count"),
    max_vocab: int | None = typer.Option(None, "--max-vocab"),
    max_len: int | None = typer.Option(None, "--max-len", help="Truncate texts to this many tokens."),
    class_weights: str | None = typer.Option(None, "--class-weights", help="none or balanced."),
    batch_size: int | None = typer.Option(None, "--batch-size"),
    valid_fraction: float | None = typer.Option(None, "--valid-fraction"),
    lang: str | None = typer.Option(None, "--lang"),
    epochs: int | None = typer.Option(None, "--epochs"),
    lr: float | None = typer.Option(None, "--lr"),
    optimizer: str | None = typer.Option(None, "--optimizer", help="adamw or sgd."),
    clip: float | None = typer.Option(None, "--clip", help="Gradient clipping threshold (default 5); 0 = no clipping."),
    clip_mode: str | None = typer.Option(None, "--clip-mode", help="norm (global L2), value or none (default norm)."),
    patience: int | None = typer.Option(None, "--patience", help="Epochs without improvement before stopping."),
    seed: int | None = typer.Option(None, "--seed"),
    device: str | None = typer.Option(None, "--device", help="auto, cpu or cuda."),
    resume: bool = typer.Option(False, "--resume", help="Continue from OUTPUT/training/checkpoint."),
    threads: int | None = typer.Option(None, "--threads", help="torch CPU threads (default 1)."),
) -> None:
    """Train a classifier on labelled texts and save it to a folder (also under ``torchrun``, data-parallel)."""
    from embedkit.config import replace_config
    from embedkit.text.config import PreprocessConfig
    from embedkit.training import distributed
    from embedkit.training.clf import CLF_TRAINER, prepare, train_classifier
    from embedkit.training.labelled import read_labelled
    from embedkit.training.trainer import output_folder

    config = replace_config(ClassifierConfig(), cell=cell, bidirectional=bidirectional, layers=layers,
                            hidden=hidden, emb_dim=dim, pooling=pooling, dropout=dropout,
                            emb_dropout=embedding_dropout, recurrent_dropout=recurrent_dropout, init=init,
                            forget_bias=forget_bias, freeze_embeddings=freeze, min_count=min_count,
                            max_vocab=max_vocab, max_len=max_len, class_weights=class_weights,
                            batch_size=batch_size, valid_fraction=valid_fraction,
                            text=replace_config(PreprocessConfig(), lang=lang))
    tconfig = replace_config(CLF_TRAINER, epochs=epochs, lr=lr, optimizer=optimizer, patience=patience, seed=seed,
                             clip=None if clip == 0 else clip, clip_mode="none" if clip == 0 else clip_mode,
                             device=device)
    _set_threads(threads)
    texts, labels = read_labelled(data, text_col, label_col, encoding)
    held = read_labelled(valid, text_col, label_col, encoding) if valid else None
    vectors = _load_embeddings(embeddings) if embeddings else None
    prepared = prepare(texts, labels, config, held, vectors, seed=tconfig.seed, adopt_dim=dim is None)
    clf = prepared.classifier
    distributed.setup(tconfig.device)
    main = distributed.is_main()
    if clf.truncated and main:
        _note(f"note: {clf.truncated} texts longer than {config.max_len} tokens were truncated")
    if prepared.coverage is not None and main:
        _note(f"embeddings: {prepared.coverage}")
    try:
        with output_folder(output) as out:
            result = train_classifier(prepared, tconfig, out_dir=out / "training", resume=resume)
            if main:
                clf.save(out)
            distributed.barrier()
    finally:
        distributed.cleanup()
    last = result["valid"]
    figure = f", valid accuracy {last['accuracy']:.4f}" if "accuracy" in last else ""
    if main:
        print(f"trained on {len(prepared.train[0])} texts, {len(clf.labels)} classes, vocabulary {len(clf.vocab)}, "
              f"{result['epochs']} epochs{figure}; saved {output}")


def _format_report(report: dict[str, Any]) -> str:
    labels = report["labels"]
    width = max(8, *(len(x) for x in labels))
    lines = [f"accuracy {report['accuracy']:.4f}", f"macro-F1 {report['macro_f1']:.4f}",
             f"items {report['items']}", "confusion matrix (rows: true, columns: predicted)",
             " " * width + " " + " ".join(f"{x:>{width}}" for x in labels)]
    for name, row in zip(labels, report["confusion"], strict=True):
        lines.append(f"{name:>{width}} " + " ".join(f"{v:>{width}}" for v in row))
    return "\n".join(lines)


@app.command("eval", no_args_is_help=True)
def evaluate(
    model: Path = typer.Argument(..., help="Classifier folder."),
    data: str = typer.Argument(..., help="Labelled file, or '-'."),
    text_col: str | None = TEXT_COL,
    label_col: str | None = LABEL_COL,
    encoding: str = ENCODING,
    as_json: bool = typer.Option(False, "--json", help="Print the figures as JSON."),
    threads: int | None = typer.Option(None, "--threads", help="torch CPU threads (default 1)."),
) -> None:
    """Accuracy, macro-F1 and the confusion matrix on labelled texts."""
    from embedkit.models.classifier import TextClassifier
    from embedkit.training.labelled import read_labelled

    _set_threads(threads)
    clf = TextClassifier.load(model)
    texts, labels = read_labelled(data, text_col, label_col, encoding)
    report = clf.evaluate(texts, labels)
    if clf.truncated:
        _note(f"note: {clf.truncated} texts longer than {clf.config.max_len} tokens were truncated")
    print(json.dumps(report, ensure_ascii=False) if as_json else _format_report(report))


@app.command(no_args_is_help=True)
def predict(
    model: Path = typer.Argument(..., help="Classifier folder."),
    data: str = typer.Argument(..., help="Texts: one a line, or a table with a 'text' column; '-' for stdin."),
    text_col: str | None = TEXT_COL,
    encoding: str = ENCODING,
    as_json: bool = typer.Option(False, "--json", help="One JSON object a line with every probability."),
    threads: int | None = typer.Option(None, "--threads", help="torch CPU threads (default 1)."),
) -> None:
    """Predicted label and its probability for each text (tab-separated, or JSON lines)."""
    from embedkit.models.classifier import TextClassifier
    from embedkit.training.labelled import read_texts

    _set_threads(threads)
    clf = TextClassifier.load(model)
    texts = read_texts(data, text_col, encoding)
    predictions = clf.predict(texts)
    if clf.truncated:
        _note(f"note: {clf.truncated} texts longer than {clf.config.max_len} tokens were truncated")
    for text, p in zip(texts, predictions, strict=True):
        if as_json:
            print(json.dumps({"text": text, "label": p.label, "probability": round(p.probability, 6),
                              "probabilities": {k: round(v, 6) for k, v in p.probabilities.items()}},
                             ensure_ascii=False))
        else:
            print(f"{p.label}\t{p.probability:.4f}")
