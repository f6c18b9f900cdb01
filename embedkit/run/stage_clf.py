"""The ``[clf]`` stage of ``embedkit run``: train a text classifier on labelled text and report it.

Keys of the table: ``input`` (a labelled TSV/CSV/JSONL or fastText file) or ``labels`` (a table of one
plain file per label, one text a line, as MR ships); ``valid`` and ``test`` (labelled files; ``test`` is
scored after training) or ``test_fraction`` (a seeded held-out share of the input); ``text_col``,
``label_col``, ``encoding``; ``embeddings`` (``true``, the default: start from the run's word vectors
when there are some; a vectors folder; ``false``); any option of
:class:`~embedkit.models.config.ClassifierConfig` or :class:`~embedkit.training.TrainerConfig`; and any
preprocessing option (``lang``, ``lemmatize``, ``stem``, ``stopwords``, ...) of
:class:`~embedkit.text.config.PreprocessConfig`. With word vectors the preprocessing starts from theirs
(``preprocess.toml``), so the classifier sees the tokens the vectors were trained on; keys given here
override it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from embedkit.config import config_from_dict, replace_config, split_table
from embedkit.errors import ConfigError
from embedkit.run.context import RunContext, check_options

if TYPE_CHECKING:
    from embedkit.models.config import ClassifierConfig
    from embedkit.training.config import TrainerConfig

STAGE_KEYS = ("input", "labels", "valid", "test", "test_fraction", "text_col", "label_col", "encoding",
              "embeddings")


def check(table: dict) -> tuple[ClassifierConfig, TrainerConfig, dict[str, Any], dict[str, Any], dict[str, Any]]:
    """The model and trainer settings of the table, the model and preprocessing options it gives and its stage
    keys.

    Raises :class:`ConfigError` for an unknown or bad option.
    """
    from embedkit.models.config import ClassifierConfig
    from embedkit.text.config import PreprocessConfig
    from embedkit.training.config import CLF_TRAINER, TrainerConfig

    parts, table = split_table(table, (ClassifierConfig, TrainerConfig, PreprocessConfig), STAGE_KEYS, "clf")
    model_part, trainer_part, text_part = parts
    if not table.get("input") and not table.get("labels"):
        raise ConfigError("[clf] needs an 'input' (a labelled TSV/CSV/JSONL or fastText file) or 'labels'")
    check_options(table, {"test_fraction": "number", "encoding": "string"}, "clf")
    text = config_from_dict(PreprocessConfig, text_part, "clf")
    config = config_from_dict(ClassifierConfig, {**model_part, "text": text}, "clf")
    trainer = config_from_dict(TrainerConfig, trainer_part, "clf", base=replace_config(CLF_TRAINER, progress=False))
    return config, trainer, model_part, text_part, table


def stage(table: dict, ctx: RunContext) -> dict:
    """Train the classifier into ``<run>/clf``; returns validation and test figures."""
    from embedkit.training.clf import prepare, train_classifier
    from embedkit.training.labelled import read_label_files, read_labelled, split_holdout
    from embedkit.training.trainer import output_folder

    config, trainer, model_part, text_part, table = check(table)
    columns: dict[str, Any] = {"text_col": table.get("text_col"), "label_col": table.get("label_col"),
                               "encoding": table.get("encoding", "utf-8")}
    if table.get("labels"):
        files = {label: ctx.resolve(path) for label, path in table["labels"].items()}
        texts, labels = read_label_files(files, columns["encoding"])
    else:
        texts, labels = read_labelled(ctx.resolve(table["input"]), **columns)
    valid = read_labelled(ctx.resolve(table["valid"]), **columns) if table.get("valid") else None
    test = read_labelled(ctx.resolve(table["test"]), **columns) if table.get("test") else None
    if test is None and table.get("test_fraction"):
        (texts, labels), test = split_holdout(texts, labels, float(table["test_fraction"]), trainer.seed)
    vectors = None
    source = ctx.vectors(table, "clf")
    if source is not None:
        from embedkit.embeddings import Embeddings
        from embedkit.text.config import PreprocessConfig

        vectors = Embeddings.load(source)
        if vectors.preprocess is not None:
            text = config_from_dict(PreprocessConfig, text_part, "clf", base=vectors.preprocess)
            config = replace_config(config, text=text)
    prepared = prepare(texts, labels, config, valid, vectors, seed=trainer.seed,
                       adopt_dim="emb_dim" not in model_part)
    out = ctx.output("clf")
    clf = prepared.classifier
    with output_folder(out):
        result = train_classifier(prepared, trainer, out_dir=out / "training")
        clf.save(out)
    ctx.artifacts["clf"] = out
    last = result["valid"]
    summary: dict[str, Any] = {"texts": len(prepared.train[0]), "classes": len(clf.labels),
                               "vocab": len(clf.vocab), "epochs": result["epochs"], "truncated": clf.truncated}
    if "accuracy" in last:
        summary["valid_accuracy"] = round(last["accuracy"], 4)
    if test is not None:
        report = clf.evaluate(*test)
        summary["test_accuracy"] = round(report["accuracy"], 4)
        summary["test_macro_f1"] = round(report["macro_f1"], 4)
        summary["labels (confusion matrix rows: true, columns: predicted)"] = ", ".join(clf.labels)
        summary["test_confusion_matrix"] = report["confusion"]
    return summary
