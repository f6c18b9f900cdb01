"""`embedkit clf ...`: train, cross-validate, evaluate and apply a text classifier, recurrent or the linear baseline
(torch is imported inside commands).

Training options default to ``None`` and only override :class:`~embedkit.models.config.ClassifierConfig` and
:class:`~embedkit.training.config.TrainerConfig` (classifier defaults: ``CLF_TRAINER``); the help reads the
defaults from them.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import typer

from embedkit.cli import text_options as opts
from embedkit.cli.options import THREADS, choice_help, config_table, default_help, renamed_flag, switch_help
from embedkit.errors import ConfigError
from embedkit.models.config import CELL_TYPES, CLASS_WEIGHTS, INITS, POOLINGS, ClassifierConfig
from embedkit.training.config import CLF_TRAINER, CLIP_MODES, DEVICES, OPTIMIZERS

_CLF = ClassifierConfig()
MODELS = ("rnn", "linear", "rnn+linear")

app = typer.Typer(help="RNN/LSTM/GRU text classifier: train, eval, predict.", no_args_is_help=True)

TEXT_COL = typer.Option(None, "--text-col", help="Text column: header name or 0-based number (default 'text').")
LABEL_COL = typer.Option(None, "--label-col", help="Label column: header name or 0-based number (default 'label').")
ENCODING = typer.Option("utf-8", "--encoding", help="Encoding of the input file (MR: cp1252).")
TRAINING = "training"  # the subfolder of a classifier folder that holds the trainer's checkpoint and metrics


def _note(message: str) -> None:
    print(message, file=sys.stderr)


def _set_threads(threads: int | None) -> None:
    from embedkit.models.threads import set_threads

    set_threads(threads)


def _load_embeddings(path: Path) -> Any:
    from embedkit.embeddings import Embeddings

    return Embeddings.load(path)


@app.command(no_args_is_help=True)
@opts.with_text_flags
def train(
    data: str = typer.Argument(..., help="Labelled TSV/CSV/JSONL or fastText '__label__' file, or '-'."),
    output: Path | None = typer.Option(None, "--output", "-o",
                                       help="Model folder to write (needed unless --cv is given)."),
    model: str = typer.Option("rnn", "--model", help="rnn (recurrent), linear (NB-scaled bag of n-grams) or "
                                                     "rnn+linear (both, weighted on held-out texts)."),
    ngrams: int | None = typer.Option(None, "--ngrams", help="--model linear: longest n-gram, 1 = words, "
                                                              "2 = words and bigrams (default: LinearConfig's, 2)."),
    cv: int | None = typer.Option(None, "--cv", help="K-fold cross-validation (K >= 2): per-fold and mean "
                                                      "accuracy; with -o the final model is trained on all data."),
    rolling: bool = typer.Option(False, "--rolling", help="With --cv K: rolling-origin folds for ordered data "
                                                          "(train on the past, test on the next block)."),
    stratified: bool = typer.Option(True, "--stratified/--plain", help="With --cv K: folds keep the class mix."),
    as_json: bool = typer.Option(False, "--json", help="With --cv: print the figures as JSON."),
    valid: str | None = typer.Option(None, "--valid", help="Validation file (else a share of the data)."),
    text_col: str | None = TEXT_COL,
    label_col: str | None = LABEL_COL,
    encoding: str = ENCODING,
    config_file: Path | None = typer.Option(None, "--config", help=(
        "TOML file with a \\[clf] table, as in a pipeline file (flags win over it).")),
    cell: str | None = typer.Option(None, "--cell", help=choice_help("Recurrent cell", CELL_TYPES, _CLF, "cell")),
    bidirectional: bool | None = typer.Option(None, "--bidirectional/--unidirectional", help=switch_help(
        "Read each text both ways.", _CLF, "bidirectional", "--bidirectional", "--unidirectional")),
    layers: int | None = typer.Option(None, "--layers", help=default_help("Stacked recurrent layers.", _CLF,
                                                                          "layers")),
    hidden: int | None = typer.Option(None, "--hidden", help=default_help("Hidden size per direction.", _CLF,
                                                                          "hidden")),
    emb_dim: int | None = typer.Option(None, "--emb-dim", help=default_help(
        "Embedding size; with --embeddings, the vectors' size unless given.", _CLF, "emb_dim")),
    old_dim: int | None = typer.Option(None, "--dim", hidden=True, help="Old spelling of --emb-dim."),
    pooling: str | None = typer.Option(None, "--pooling", help=choice_help("Pooling over time", POOLINGS, _CLF,
                                                                           "pooling")),
    dropout: float | None = typer.Option(None, "--dropout", help=default_help(
        "Dropout between layers and on the pooled vector.", _CLF, "dropout")),
    emb_dropout: float | None = typer.Option(None, "--emb-dropout", help=default_help(
        "Dropout on the word vectors.", _CLF, "emb_dropout")),
    old_emb_dropout: float | None = typer.Option(None, "--embedding-dropout", hidden=True,
                                                 help="Old spelling of --emb-dropout."),
    recurrent_dropout: float | None = typer.Option(None, "--recurrent-dropout", help=default_help(
        "Dropout on h_(t-1) inside W h_(t-1), one mask for all steps (Gal & Ghahramani); 0 = off.", _CLF,
        "recurrent_dropout")),
    init: str | None = typer.Option(None, "--init", help=choice_help(
        "Recurrent weights (orthogonal: SVD)", INITS, _CLF, "init")),
    nb_features: bool | None = typer.Option(None, "--nb-features/--no-nb-features", help=switch_help(
        "Append each word's naive Bayes log-count ratios, counted on the training texts, to its vector.", _CLF,
        "nb_features", "--nb-features", "--no-nb-features")),
    forget_bias: float | None = typer.Option(None, "--forget-bias", help=default_help(
        "LSTM forget-gate bias with --init orthogonal.", _CLF, "forget_bias")),
    embeddings: Path | None = typer.Option(
        None, "--embeddings", help="Word vectors folder (or pretrained:NAME) to start from; the preprocessing then "
                                   "starts from the vectors' own preprocess.toml and the flags given override it."),
    freeze: bool | None = typer.Option(None, "--freeze/--fine-tune", help=switch_help(
        "Keep the word vectors fixed.", _CLF, "freeze_embeddings", "--freeze", "--fine-tune")),
    min_count: int | None = typer.Option(None, "--min-count", help=default_help("Rarer words become <unk>.", _CLF,
                                                                                "min_count")),
    max_vocab: int | None = typer.Option(None, "--max-vocab", help=default_help(
        "At most this many words.", _CLF, "max_vocab", shown="no limit")),
    max_len: int | None = typer.Option(None, "--max-len", help=default_help("Truncate texts to this many tokens.",
                                                                            _CLF, "max_len")),
    class_weights: str | None = typer.Option(None, "--class-weights", help=choice_help(
        "Loss weights", CLASS_WEIGHTS, _CLF, "class_weights")),
    batch_size: int | None = typer.Option(None, "--batch-size", help=default_help("Texts per batch.", _CLF,
                                                                                  "batch_size")),
    valid_fraction: float | None = typer.Option(None, "--valid-fraction", help=default_help(
        "Share held out for validation when --valid is not given.", _CLF, "valid_fraction")),
    refit: bool | None = typer.Option(None, "--refit/--no-refit", help=switch_help(
        "Train again on all the texts, held-out share included, for the epochs early stopping kept.", _CLF,
        "refit", "--refit", "--no-refit")),
    text_flags: dict[str, Any] | None = None,
    epochs: int | None = typer.Option(None, "--epochs", help=default_help("Training epochs.", CLF_TRAINER,
                                                                          "epochs")),
    lr: float | None = typer.Option(None, "--lr", help=default_help("Learning rate.", CLF_TRAINER, "lr")),
    optimizer: str | None = typer.Option(None, "--optimizer", help=choice_help("Optimizer", OPTIMIZERS, CLF_TRAINER,
                                                                                "optimizer")),
    clip: float | None = typer.Option(None, "--clip", help=default_help(
        "Gradient clipping threshold; 0 = no clipping.", CLF_TRAINER, "clip")),
    clip_mode: str | None = typer.Option(None, "--clip-mode", help=choice_help(
        "Clip by global L2 norm, by value, or not", CLIP_MODES, CLF_TRAINER, "clip_mode")),
    patience: int | None = typer.Option(None, "--patience", help=default_help(
        "Epochs without improvement before stopping.", CLF_TRAINER, "patience", shown="never stop early")),
    seed: int | None = typer.Option(None, "--seed", help=default_help("Random seed.", CLF_TRAINER, "seed")),
    device: str | None = typer.Option(None, "--device", help=choice_help("Device", DEVICES, CLF_TRAINER, "device")),
    average: float | None = typer.Option(None, "--average", help=default_help(
        "Validate and keep a moving average of the weights with this decay per step, e.g. 0.999.", CLF_TRAINER,
        "average", shown="off")),
    seeds: int = typer.Option(1, "--seeds", min=1, help="--model rnn: train this many RNNs that differ only in "
                                                         "their seed and save them as one equal-weight ensemble."),
    resume: bool = typer.Option(False, "--resume", help="Continue from OUTPUT/training/checkpoint (an error "
                                                        "without one)."),
    threads: int | None = THREADS,
) -> None:
    """Train a classifier on labelled texts and save it to a folder (also under ``torchrun``, data-parallel).

    ``--model linear`` trains the NB-scaled bag-of-n-grams baseline instead; ``--cv K`` cross-validates.
    OUTPUT must be new, empty or an embedkit model folder; it is replaced in one step when training ends.
    """
    from embedkit.config import replace_config
    from embedkit.models.linear import LinearConfig
    from embedkit.run.stage_clf import STAGE_KEYS, read_table
    from embedkit.text.provenance import start_preprocess
    from embedkit.training import distributed
    from embedkit.training.clf import best_epoch, check_refit, prepare, refit_classifier, train_classifier
    from embedkit.training.folders import check_training_output, model_folder
    from embedkit.training.labelled import read_labelled

    emb_dim = renamed_flag(emb_dim, old_dim, "--emb-dim", "--dim", "clf train")
    emb_dropout = renamed_flag(emb_dropout, old_emb_dropout, "--emb-dropout", "--embedding-dropout", "clf train")
    base, base_trainer, _, emb_dim_given, text_given = read_table(
        config_table(config_file, "clf", STAGE_KEYS, "clf train"))
    config = replace_config(base, cell=cell, bidirectional=bidirectional, layers=layers, hidden=hidden,
                            emb_dim=emb_dim, pooling=pooling, dropout=dropout, emb_dropout=emb_dropout,
                            recurrent_dropout=recurrent_dropout, init=init, forget_bias=forget_bias,
                            nb_features=nb_features, freeze_embeddings=freeze, min_count=min_count,
                            max_vocab=max_vocab, max_len=max_len,
                            class_weights=class_weights, batch_size=batch_size, valid_fraction=valid_fraction,
                            refit=refit)
    tconfig = replace_config(base_trainer, epochs=epochs, lr=lr, optimizer=optimizer, patience=patience, seed=seed,
                             clip=None if clip == 0 else clip, clip_mode="none" if clip == 0 else clip_mode,
                             device=device, average=average)
    if model not in MODELS:
        raise ConfigError(f"unknown model '{model}' (choose from {', '.join(MODELS)})")
    if cv is not None and cv < 2:
        raise ConfigError(f"--cv needs at least 2 folds, got {cv}")
    if rolling and cv is None:
        raise ConfigError("--rolling goes with --cv K")
    if seeds > 1 and (model != "rnn" or resume):
        raise ConfigError("--seeds goes with --model rnn, and an ensemble of seeds cannot --resume")
    if output is None and cv is None:
        raise ConfigError("give --output/-o (the model folder), or --cv K to cross-validate")
    if config.refit and (resume or model == "linear"):
        raise ConfigError("--refit goes with --model rnn or rnn+linear, and a refit run cannot --resume")
    check_refit(config, valid is not None)
    _set_threads(threads)
    if output is not None:
        check_training_output(output, resume, TRAINING)
    vectors = _load_embeddings(embeddings) if embeddings else None
    text_base = start_preprocess(config.text, vectors.preprocess if vectors is not None else None, text_given, "clf")
    text = opts.text_config(text_base, text_flags or {})
    config = replace_config(config, text=text)
    texts, labels = read_labelled(data, text_col, label_col, encoding)
    held = read_labelled(valid, text_col, label_col, encoding) if valid else None
    single = model == "rnn" and seeds == 1  # trained below with a checkpoint; the rest through a fit function
    if not single or cv is not None:
        adopt_dim = emb_dim is None and not emb_dim_given
        if model == "linear":
            linear = replace_config(LinearConfig(), ngrams=ngrams, min_count=min_count, epochs=epochs, lr=lr,
                                    batch_size=batch_size, text=text)
            fit = _linear_fit(linear, tconfig.seed)
        elif model == "rnn+linear":
            linear = replace_config(LinearConfig(), ngrams=ngrams, text=text)
            fit = _ensemble_fit(config, replace_config(tconfig, progress=False), linear, vectors, adopt_dim)
        elif seeds > 1:
            fit = _seeds_fit(config, replace_config(tconfig, progress=False), seeds, vectors, adopt_dim)
        else:
            fit = _rnn_fit(config, replace_config(tconfig, progress=False), vectors, adopt_dim)
        if cv is not None:
            _cross_validate(texts, labels, cv, rolling, stratified, tconfig.seed, fit, as_json)
        if output is not None and not single:
            if vectors is not None and model == "linear":
                _note("note: --model linear uses no word vectors; --embeddings only set its preprocessing")
            _save_fitted(fit(texts, labels), output, held, model)
        if output is None or not single:
            return
    adopt_dim = emb_dim is None and not emb_dim_given
    prepared = prepare(texts, labels, config, held, vectors, seed=tconfig.seed, adopt_dim=adopt_dim)
    clf = prepared.classifier
    distributed.setup(tconfig.device)
    main = distributed.is_main()
    if clf.truncated and main:
        _note(f"note: {clf.truncated} texts longer than {config.max_len} tokens were truncated")
    if prepared.coverage is not None and main:
        _note(f"embeddings: {prepared.coverage}")
    try:
        with model_folder(output, resume, TRAINING) as out:
            result = train_classifier(prepared, tconfig, out_dir=out / TRAINING, resume=resume)
            trained = len(prepared.train[0])
            if config.refit:
                prepared = refit_classifier(texts, labels, config, tconfig, result, vectors, adopt_dim,
                                            out / TRAINING / "refit")
                clf = prepared.classifier
            if main:
                clf.save(out)
            distributed.barrier()
    finally:
        distributed.cleanup()
    last = result["valid"]
    figure = f", valid accuracy {last['accuracy']:.4f}" if "accuracy" in last else ""
    if config.refit:
        figure += f"; refit on all {len(prepared.train[0])} texts for {best_epoch(result, tconfig)} epochs"
    if main:
        print(f"trained on {trained} texts, {len(clf.labels)} classes, vocabulary {len(clf.vocab)}, "
              f"{result['epochs']} epochs{figure}; saved {output}")


def _linear_fit(config: Any, seed: int) -> Any:
    from embedkit.models.linear import fit_linear

    return lambda texts, labels: fit_linear(texts, labels, config, seed=seed)


def _rnn_fit(config: ClassifierConfig, tconfig: Any, vectors: Any, adopt_dim: bool) -> Any:
    from embedkit.training.clf import fit_classifier

    return lambda texts, labels: fit_classifier(texts, labels, config, tconfig, vectors, adopt_dim)


def _cross_validate(texts: list[str], labels: list[str], k: int, rolling: bool, stratified: bool, seed: int,
                    fit: Any, as_json: bool) -> None:
    from embedkit.training.crossval import cross_validate, kfold_splits, rolling_splits

    splits = rolling_splits(len(texts), k) if rolling else kfold_splits(labels, k, seed, stratified)
    result = cross_validate(texts, labels, splits, fit)
    result["kind"] = "rolling-origin" if rolling else ("stratified k-fold" if stratified else "k-fold")
    if as_json:
        print(json.dumps(result))
        return
    for fold in result["folds"]:
        print(f"fold {fold['fold']}: train {fold['train']}, test {fold['test']}, accuracy {fold['accuracy']:.4f}, "
              f"macro-F1 {fold['macro_f1']:.4f}")
    print(f"{result['kind']}, {k} folds: mean accuracy {result['mean_accuracy']:.4f} "
          f"(sd {result['std_accuracy']:.4f}), mean macro-F1 {result['mean_macro_f1']:.4f}")


def _seeds_fit(config: ClassifierConfig, tconfig: Any, seeds: int, vectors: Any, adopt_dim: bool) -> Any:
    from embedkit.training.ensemble import fit_rnn_seeds

    return lambda texts, labels: fit_rnn_seeds(texts, labels, config, tconfig, seeds, vectors, adopt_dim)


def _ensemble_fit(config: ClassifierConfig, tconfig: Any, linear: Any, vectors: Any, adopt_dim: bool) -> Any:
    from embedkit.training.ensemble import fit_rnn_linear

    return lambda texts, labels: fit_rnn_linear(texts, labels, config, tconfig, linear, vectors, adopt_dim)


def _save_fitted(clf: Any, output: Path, held: tuple[list[str], list[str]] | None, model: str) -> None:
    from embedkit.io import replace_model_dir

    figure = f", valid accuracy {clf.evaluate(*held)['accuracy']:.4f}" if held else ""
    with replace_model_dir(output) as out:
        clf.save(out)
    if model == "linear":
        what = f"linear baseline: {len(clf.features)} features"
    elif model == "rnn":
        what = f"ensemble of {len(clf.members)} RNNs (seeds), equal weights"
    else:
        what = f"rnn+linear ensemble: weights rnn {clf.weights[0]:.2f}, linear {clf.weights[1]:.2f}"
    print(f"trained {what}, {len(clf.labels)} classes{figure}; saved {output}")


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
    baseline: str | None = typer.Option(
        None, "--baseline", help="Labelled training file: also train the linear baseline on it (with the model's "
                                 "preprocessing) and print its figures on the same data beside the model's."),
    threads: int | None = THREADS,
) -> None:
    """Accuracy, macro-F1 and the confusion matrix on labelled texts (any classifier: rnn or linear)."""
    from embedkit.models.linear import LinearConfig, fit_linear
    from embedkit.models.load import load_classifier
    from embedkit.training.labelled import read_labelled

    _set_threads(threads)
    clf = load_classifier(model)
    texts, labels = read_labelled(data, text_col, label_col, encoding)
    base_data = read_labelled(baseline, text_col, label_col, encoding) if baseline else None
    report = clf.evaluate(texts, labels)
    _note_truncated(clf)
    base_report = None
    if base_data is not None:
        linear = fit_linear(*base_data, LinearConfig(text=clf.config.preprocess()))
        base_report = linear.evaluate(texts, labels)
    if as_json:
        if base_report is not None:
            report["baseline"] = {"model": "linear", "accuracy": base_report["accuracy"],
                                  "macro_f1": base_report["macro_f1"]}
        print(json.dumps(report, ensure_ascii=False))
        return
    print(_format_report(report))
    if base_report is not None:
        print(f"linear baseline: accuracy {base_report['accuracy']:.4f}, macro-F1 {base_report['macro_f1']:.4f}")


def _note_truncated(clf: Any) -> None:
    if getattr(clf, "truncated", 0):
        _note(f"note: {clf.truncated} texts longer than {clf.config.max_len} tokens were truncated")


@app.command(no_args_is_help=True)
def predict(
    model: Path = typer.Argument(..., help="Classifier folder."),
    data: str = typer.Argument(..., help="Texts: one a line, or a table with a 'text' column; '-' for stdin."),
    text_col: str | None = TEXT_COL,
    encoding: str = ENCODING,
    as_json: bool = typer.Option(False, "--json", help="One JSON object a line with every probability."),
    threads: int | None = THREADS,
) -> None:
    """Predicted label and its probability for each text (tab-separated, or JSON lines)."""
    from embedkit.models.load import load_classifier
    from embedkit.training.labelled import read_texts

    _set_threads(threads)
    clf = load_classifier(model)
    texts = read_texts(data, text_col, encoding)
    predictions = clf.predict(texts)
    _note_truncated(clf)
    for text, p in zip(texts, predictions, strict=True):
        if as_json:
            print(json.dumps({"text": text, "label": p.label, "probability": round(p.probability, 6),
                              "probabilities": {k: round(v, 6) for k, v in p.probabilities.items()}},
                             ensure_ascii=False))
        else:
            print(f"{p.label}\t{p.probability:.4f}")
