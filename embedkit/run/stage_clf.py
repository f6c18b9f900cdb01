"""The ``[clf]`` stage of ``embedkit run``: train a text classifier on labelled text and report it.

Keys of the table: the stage's own (:class:`ClfStageOptions`), any option of
:class:`~embedkit.models.config.ClassifierConfig` or :class:`~embedkit.training.TrainerConfig` (starting
from :data:`~embedkit.training.config.CLF_TRAINER`), and any preprocessing option (``lang``, ``lemmatize``,
``stem``, ``stopwords``, ...) of :class:`~embedkit.text.config.PreprocessConfig`; every default comes from
those dataclasses. With word vectors the preprocessing starts from theirs (``preprocess.toml``), so the
classifier sees the tokens the vectors were trained on; keys given here override it.
``embedkit clf train --config`` reads the same table.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any, NamedTuple

from embedkit.config import config_from_dict, replace_config, split_table
from embedkit.errors import ConfigError
from embedkit.models.config import ClassifierConfig
from embedkit.run.context import RunContext
from embedkit.text.config import PreprocessConfig
from embedkit.text.provenance import start_preprocess
from embedkit.training.config import CLF_TRAINER, TrainerConfig


@dataclasses.dataclass(frozen=True)
class ClfStageOptions:
    """The ``[clf]`` table's own keys: ``input`` (a labelled TSV/CSV/JSONL or fastText file) or ``labels`` (a
    table of one plain file per label, one text a line, as MR ships); ``valid`` and ``test`` (labelled files;
    ``test`` is scored after training) or ``test_fraction`` (a seeded held-out share of the input);
    ``text_col``, ``label_col``, ``encoding``; ``embeddings`` (true: start from the run's word vectors when
    there are some; false; or a vectors folder); ``baseline`` (true: also train the linear bag-of-n-grams
    baseline of :mod:`embedkit.models.linear`, seconds, on the same texts and preprocessing, and report its test
    figures beside the recurrent model's when there is a test set)."""

    input: str | None = None
    labels: Any = None
    valid: str | None = None
    test: str | None = None
    test_fraction: float | None = None
    text_col: Any = None
    label_col: Any = None
    encoding: str = "utf-8"
    embeddings: bool | str = True
    baseline: bool = True


STAGE_KEYS = tuple(f.name for f in dataclasses.fields(ClfStageOptions))


class ClfTable(NamedTuple):
    """A ``[clf]`` table read: the model, trainer and stage settings, whether it sets ``emb_dim``, and the
    preprocessing options it gives (to lay over the word vectors' own preprocessing)."""

    model: ClassifierConfig
    trainer: TrainerConfig
    stage: ClfStageOptions
    emb_dim_given: bool
    text_given: dict[str, Any]


def read_table(table: Mapping[str, Any], where: str = "clf") -> ClfTable:
    """The settings of a ``[clf]`` table (a pipeline's, or a ``clf train --config`` file's): one flat table of
    :class:`ClassifierConfig`, :class:`TrainerConfig`, :class:`PreprocessConfig` and :class:`ClfStageOptions`
    keys (a nested ``text`` table also works; its flat keys win); old key names load."""
    classes = (ClassifierConfig, TrainerConfig, PreprocessConfig, ClfStageOptions)
    (model, trainer, text, stage), _ = split_table(table, classes, (), where)
    nested = model.pop("text", {})
    if not isinstance(nested, Mapping):
        raise ConfigError(f"[{where}] option 'text' wants a table, got {nested!r}")
    text = {**nested, **text}
    model["text"] = config_from_dict(PreprocessConfig, text, where)
    return ClfTable(config_from_dict(ClassifierConfig, model, where),
                    config_from_dict(TrainerConfig, trainer, where, base=CLF_TRAINER),
                    config_from_dict(ClfStageOptions, stage, where), "emb_dim" in model, text)


def check(table: dict) -> ClfTable:
    """The settings of a pipeline's ``[clf]`` table (:func:`read_table`), which must name its data; a bad or
    unknown option raises :class:`ConfigError` before anything is read or written."""
    read = read_table(table)
    if not read.stage.input and not read.stage.labels:
        raise ConfigError("[clf] needs an 'input' (a labelled TSV/CSV/JSONL or fastText file) or 'labels'")
    return read


def stage(table: dict, ctx: RunContext) -> dict:
    """Train the classifier into ``<run>/clf``; returns validation and test figures."""
    from embedkit.models.threads import set_threads
    from embedkit.training.clf import best_epoch, check_refit, prepare, refit_classifier, train_classifier
    from embedkit.training.folders import model_folder
    from embedkit.training.labelled import read_label_files, read_labelled, split_holdout

    config, trainer, options, emb_dim_given, text_given = check(table)
    set_threads()
    trainer = replace_config(trainer, progress=False)
    columns: dict[str, Any] = {"text_col": options.text_col, "label_col": options.label_col,
                               "encoding": options.encoding}
    if options.labels:
        files = {label: ctx.resolve(path) for label, path in options.labels.items()}
        texts, labels = read_label_files(files, options.encoding)
    else:
        texts, labels = read_labelled(ctx.resolve(options.input), **columns)
    valid = read_labelled(ctx.resolve(options.valid), **columns) if options.valid else None
    check_refit(config, valid is not None)
    test = read_labelled(ctx.resolve(options.test), **columns) if options.test else None
    if test is None and options.test_fraction:
        (texts, labels), test = split_holdout(texts, labels, options.test_fraction, trainer.seed)
    vectors = None
    source = ctx.vectors({"embeddings": options.embeddings}, "clf")
    if source is not None:
        from embedkit.embeddings import Embeddings

        vectors = Embeddings.load(source)
        config = replace_config(config, text=start_preprocess(config.text, vectors.preprocess, text_given, "clf"))
    prepared = prepare(texts, labels, config, valid, vectors, seed=trainer.seed,
                       adopt_dim=not emb_dim_given)
    out = ctx.output("clf")
    trained = len(prepared.train[0])
    with model_folder(out) as building:  # swapped in whole: a failed retrain leaves the last model as it was
        result = train_classifier(prepared, trainer, out_dir=building / "training")
        if config.refit:
            prepared = refit_classifier(texts, labels, config, trainer, result, vectors, not emb_dim_given,
                                        building / "training" / "refit")
        clf = prepared.classifier
        clf.save(building)
    ctx.artifacts["clf"] = out
    last = result["valid"]
    summary: dict[str, Any] = {"texts": trained, "classes": len(clf.labels),
                               "vocab": len(clf.vocab), "epochs": result["epochs"], "truncated": clf.truncated}
    if config.refit:
        summary["refit_texts"] = len(prepared.train[0])
        summary["refit_epochs"] = best_epoch(result, trainer)
    if "accuracy" in last:
        summary["valid_accuracy"] = round(last["accuracy"], 4)
    if test is not None:
        report = clf.evaluate(*test)
        summary["test_accuracy"] = round(report["accuracy"], 4)
        summary["test_macro_f1"] = round(report["macro_f1"], 4)
        summary["labels (confusion matrix rows: true, columns: predicted)"] = ", ".join(clf.labels)
        summary["test_confusion_matrix"] = report["confusion"]
        if options.baseline:
            from embedkit.models.linear import LinearConfig, fit_linear

            linear = fit_linear(texts, labels, LinearConfig(text=clf.config.preprocess()), seed=trainer.seed)
            base = linear.evaluate(*test)
            summary["baseline_test_accuracy"] = round(base["accuracy"], 4)
            summary["baseline_test_macro_f1"] = round(base["macro_f1"], 4)
    return summary
