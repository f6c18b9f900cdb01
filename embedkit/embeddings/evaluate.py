"""Intrinsic evaluation: analogy accuracy (questions-words.txt format) and Spearman correlation on word pairs.

Evaluation words pass through the model's own preprocessing (as queries do), so a lemmatised model is
asked about lemmas. Questions or pairs with a word the model lacks are counted as OOV and left out.
Pair files: WordSim-353 (tsv), SimLex-999 (txt, with or without its header row), the Russian SimLex CSV
(``word1_word2,score``); lines starting with ``#`` are comments, a first row that is not numeric is a header.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import numpy as np

from embedkit.embeddings.config import DEFAULT_METHOD, METHODS, RESTRICT_VOCAB
from embedkit.embeddings.vectors import Embeddings, UnknownWordError
from embedkit.errors import ConfigError, InputError
from embedkit.io import iter_lines, resolve_data_path

_SCORE_NAMES = ("simlex999", "simlex", "score", "similarity", "human", "mean", "distance", "relatedness")
_CHUNK = 1024


@dataclasses.dataclass(frozen=True)
class SectionScore:
    """Analogy accuracy of one ``: section`` of the file."""

    name: str
    correct: int
    total: int

    @property
    def accuracy(self) -> float:
        return self.correct / self.total if self.total else 0.0


@dataclasses.dataclass(frozen=True)
class AnalogyResult:
    """Per-section and overall accuracy over the questions whose four words the model knows."""

    sections: tuple[SectionScore, ...]
    correct: int
    total: int
    oov: int
    method: str

    @property
    def accuracy(self) -> float:
        return self.correct / self.total if self.total else 0.0

    def to_dict(self) -> dict:
        return {"accuracy": self.accuracy, "correct": self.correct, "total": self.total, "oov": self.oov,
                "method": self.method,
                "sections": [{"name": s.name, "accuracy": s.accuracy, "correct": s.correct, "total": s.total}
                             for s in self.sections]}


@dataclasses.dataclass(frozen=True)
class PairResult:
    """Spearman correlation between model cosines and human scores over the pairs the model knows."""

    spearman: float
    pvalue: float
    pairs: int
    used: int
    oov: int
    oov_words: tuple[str, ...] = ()

    def to_dict(self) -> dict:
        return {"spearman": self.spearman, "pvalue": self.pvalue, "pairs": self.pairs, "used": self.used,
                "oov": self.oov, "oov_words": list(self.oov_words)}


def resolve_eval_file(spec: str | Path) -> Path:
    """An evaluation file: a path, ``gensim:NAME`` or a bare NAME of gensim's bundled test data.

    A bare name counts as gensim's only when no such file exists here, so ``questions-words.txt`` works
    from anywhere while a local file of that name still wins.
    """
    text = str(spec)
    if text.startswith("gensim:"):
        return Path(resolve_data_path(text))
    path = Path(text).expanduser()
    if path.exists() or "/" in text or "\\" in text:
        return path
    from gensim.test.utils import datapath

    bundled = Path(datapath(text))
    if bundled.is_file():
        return bundled
    raise InputError(f"{text}: no such file, and gensim ships no test file of that name "
                     "(e.g. questions-words.txt, wordsim353.tsv, simlex999.txt)")


def read_analogies(path: str | Path) -> list[tuple[str, list[tuple[str, str, str, str]]]]:
    """Sections of a questions-words file: ``[(name, [(a, b, c, d), ...]), ...]``."""
    sections: list[tuple[str, list[tuple[str, str, str, str]]]] = []
    for lineno, line in enumerate(iter_lines([Path(path)]), start=1):
        if not line.strip():
            continue
        if line.startswith(":"):
            sections.append((line[1:].strip(), []))
            continue
        parts = line.split()
        if len(parts) != 4:
            raise InputError(f"{path}, line {lineno}: an analogy line needs four words, got {len(parts)}")
        if not sections:
            sections.append(("analogies", []))
        sections[-1][1].append((parts[0], parts[1], parts[2], parts[3]))
    if not any(questions for _, questions in sections):
        raise InputError(f"{path}: holds no analogy questions")
    return sections


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _split(line: str) -> list[str]:
    if "\t" in line:
        return [p.strip() for p in line.split("\t")]
    if "," in line:
        return [p.strip() for p in line.split(",")]
    return line.split()


def read_pairs(path: str | Path) -> list[tuple[str, str, float]]:
    """``(word1, word2, score)`` from a WordSim/SimLex-style file or the Russian SimLex CSV."""
    rows = [_split(line) for line in iter_lines([Path(path)]) if line.strip() and not line.startswith("#")]
    if not rows:
        raise InputError(f"{path}: holds no word pairs")
    joined = len(rows[0]) == 2
    first_score = 1 if joined else 2
    column = first_score
    if len(rows[0]) > first_score and not _is_number(rows[0][first_score]):
        header = [re.sub(r"[^a-z0-9]", "", h.lower()) for h in rows.pop(0)]
        named = [i for name in _SCORE_NAMES for i, h in enumerate(header) if i >= first_score and name in h]
        column = named[0] if named else first_score
    pairs = []
    for number, parts in enumerate(rows, start=1):
        if joined:
            w1, _, w2 = parts[0].partition("_")
        else:
            w1, w2 = parts[0], parts[1] if len(parts) > 1 else ""
        if not w1 or not w2 or len(parts) <= column or not _is_number(parts[column]):
            raise InputError(f"{path}: pair {number} is not 'word1 word2 score': {' '.join(parts)[:80]}")
        pairs.append((w1, w2, float(parts[column])))
    return pairs


def evaluate_analogies(emb: Embeddings, path: str | Path, restrict_vocab: int | None = RESTRICT_VOCAB,
                       method: str = DEFAULT_METHOD) -> AnalogyResult:
    """Accuracy on ``a b c d`` questions: the best word for "a is to b as c is to ?" (a, b, c excluded) must be d.

    Only the ``restrict_vocab`` most frequent words are candidates and count as known (gensim's default).
    """
    if method not in METHODS:
        raise ConfigError(f"unknown analogy method '{method}' (choose from {', '.join(METHODS)})")
    limit = len(emb) if restrict_vocab is None else min(restrict_vocab, len(emb))
    if limit <= 0:
        raise ConfigError(f"restrict_vocab must be positive, got {restrict_vocab}")
    unit = emb.unit_vectors[:limit]
    cache: dict[str, int | None] = {}
    folded = _case_folded(emb, limit)
    groups = folded[1] if folded is not None else None

    def row(word: str) -> int | None:
        if word not in cache:
            if folded is not None:
                cache[word] = folded[0].get(word.upper())
            else:
                idx = emb.index(word)
                cache[word] = idx if idx is not None and idx < limit else None
        return cache[word]

    scores, correct_all, total_all, oov = [], 0, 0, 0
    for name, questions in read_analogies(path):
        known = []
        for quad in questions:
            ids = [row(w) for w in quad]
            if None in ids:
                oov += 1
            else:
                known.append(ids)
        correct = _solve(unit, np.array(known, dtype=np.int64).reshape(-1, 4), method, groups)
        scores.append(SectionScore(name, correct, len(known)))
        correct_all += correct
        total_all += len(known)
    return AnalogyResult(tuple(scores), correct_all, total_all, oov, method)


def _case_folded(emb: Embeddings, limit: int) -> tuple[dict[str, int], np.ndarray | None] | None:
    """gensim's case-insensitive convention, for vectors that record no preprocessing (a GoogleNews-style file):
    each upper-cased word's first (most frequent) row, and, where case variants share a word, each row's
    first row (``None`` when no two rows do). ``None`` for vectors that know their preprocessing."""
    if emb.preprocess is not None:
        return None
    first: dict[str, int] = {}
    canonical = [first.setdefault(word.upper(), i) for i, word in enumerate(emb.words[:limit])]
    return first, (np.array(canonical, dtype=np.int64) if len(first) < limit else None)


def _solve(unit: np.ndarray, quads: np.ndarray, method: str, groups: np.ndarray | None = None) -> int:
    """How many questions the model answers right, in blocks of matrix products.

    With ``groups`` (each row's case-folded word, as its first row) a question's words are excluded in every
    case and the answer is right in any case, as gensim's ``case_insensitive`` evaluation has it.
    """
    correct = 0
    rows = np.arange(min(_CHUNK, len(quads)))
    for start in range(0, len(quads), _CHUNK):
        block = quads[start:start + _CHUNK]
        a, b, c = unit[block[:, 0]], unit[block[:, 1]], unit[block[:, 2]]
        if method == "3cosadd":
            sims = (b - a + c) @ unit.T
        else:
            sims = ((1 + b @ unit.T) / 2) * ((1 + c @ unit.T) / 2) / ((1 + a @ unit.T) / 2 + 1e-6)
        r = rows[:len(block)]
        if groups is None:
            for col in range(3):
                sims[r, block[:, col]] = -np.inf
            correct += int(np.sum(np.argmax(sims, axis=1) == block[:, 3]))
            continue
        for col in range(3):
            sims[groups[None, :] == block[:, col:col + 1]] = -np.inf
        correct += int(np.sum(groups[np.argmax(sims, axis=1)] == block[:, 3]))
    return correct


def evaluate_pairs(emb: Embeddings, path: str | Path) -> PairResult:
    """Spearman's rho between cosine similarity and the file's human scores (scipy.stats.spearmanr).

    FastText models score unknown words from subwords; word2vec models leave such pairs out (counted as OOV).
    """
    pairs = read_pairs(path)
    folded = _case_folded(emb, len(emb))
    if folded is not None and not emb.is_fasttext:  # gensim's case-insensitive convention, as for analogies
        return _folded_pairs(emb, pairs, folded[0], path)
    model, human, missing = [], [], []
    for w1, w2, score in pairs:
        absent = [w for w in (w1, w2) if emb.index(w) is None]
        if absent and not emb.is_fasttext:
            missing.extend(absent)
            continue
        try:
            model.append(emb.similarity(w1, w2))
        except UnknownWordError:
            missing.extend(absent)
            continue
        human.append(score)
    return _pair_result(pairs, model, human, missing, path)


def _folded_pairs(emb: Embeddings, pairs: list[tuple[str, str, float]], first: dict[str, int],
                  path: str | Path) -> PairResult:
    """:func:`evaluate_pairs` on each upper-cased word's first (most frequent) row."""
    unit = emb.unit_vectors
    model, human, missing = [], [], []
    for w1, w2, score in pairs:
        rows = [first.get(w.upper()) for w in (w1, w2)]
        if None in rows:
            missing.extend(w for w, r in zip((w1, w2), rows, strict=True) if r is None)
            continue
        model.append(float(unit[rows[0]] @ unit[rows[1]]))
        human.append(score)
    return _pair_result(pairs, model, human, missing, path)


def _pair_result(pairs: list[tuple[str, str, float]], model: list[float], human: list[float],
                 missing: list[str], path: str | Path) -> PairResult:
    from scipy.stats import spearmanr

    oov = len(pairs) - len(model)
    if len(model) < 3:
        raise InputError(f"{path}: only {len(model)} of {len(pairs)} pairs are known to the model; "
                         "a Spearman correlation needs at least 3")
    rho, pvalue = spearmanr(model, human)
    examples = tuple(dict.fromkeys(missing))[:20]
    return PairResult(float(rho), float(pvalue), len(pairs), len(model), oov, examples)
