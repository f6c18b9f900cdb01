"""The registry of ``embedkit run``'s stages: a table name -> what runs it, what checks it, what it reads.

A pipeline file has one table per stage; :data:`STAGES` lists them in their natural order. Each
:class:`Stage` names its ``run`` function (table and :class:`RunContext` in, summary out), its ``check``
(the same parsing of the table the stage does, without reading or writing anything, so a whole pipeline is
checked before its first stage runs) and ``paths``: the keys of its table that name files or folders it
reads. The runner resolves those against the pipeline file's folder and fingerprints their content.
``makes`` is the artifact a stage records for later ones (``tokens``, ``vectors``, ...); ``needs`` the option
that names its main input and the artifact it reads instead when the option is absent, so the runner can
check that an earlier stage of the plan makes it before the first one runs.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from embedkit.run import (
    stage_clf,
    stage_diagnose,
    stage_eval,
    stage_lm,
    stage_ngram,
    stage_preprocess,
    stage_subword,
    stage_vocab,
    stage_w2v,
)
from embedkit.run.context import RunContext

StageFn = Callable[[dict[str, Any], RunContext], dict[str, Any]]


@dataclasses.dataclass(frozen=True)
class Stage:
    """One kind of pipeline table: how to run it, how to check it, which of its keys are input paths."""

    name: str
    run: StageFn
    check: Callable[[dict[str, Any]], object]
    paths: tuple[str, ...]
    makes: str | None = None
    needs: tuple[str, str] | None = None


STAGES: dict[str, Stage] = {stage.name: stage for stage in (
    Stage("preprocess", stage_preprocess.stage, stage_preprocess.check, ("input", "stopwords_file"), "tokens"),
    Stage("vocab", stage_vocab.stage, stage_vocab.check, ("input",), "vocab", ("input", "tokens")),
    Stage("subword", stage_subword.stage, stage_subword.check, ("input",), "subword", ("input", "tokens")),
    Stage("w2v", stage_w2v.stage, stage_w2v.check, ("input",), "vectors", ("input", "tokens")),
    Stage("eval", stage_eval.stage, stage_eval.check, ("vectors", "analogies", "pairs"), None,
          ("vectors", "vectors")),
    Stage("ngram", stage_ngram.stage, stage_ngram.check, ("input", "valid"), "ngram", ("input", "tokens")),
    Stage("lm", stage_lm.stage, stage_lm.check, ("input", "valid", "subword_model", "embeddings"), "lm",
          ("input", "tokens")),
    Stage("diagnose", stage_diagnose.stage, stage_diagnose.check, (), "diagnose"),
    Stage("clf", stage_clf.stage, stage_clf.check, ("input", "labels", "valid", "test", "embeddings"), "clf"),
)}
