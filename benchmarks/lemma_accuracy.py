"""Russian lemmas in context: accuracy on the UD dev sets and speed of the lemmatising preprocess.

Accuracy is measured token by token against the gold lemmas of ../shared/data/ru_ud_dev (UD Russian GSD and
Taiga dev sets, gold tokenisation), after lower-casing and ё -> е, on content tokens (UPOS other than PUNCT,
NUM, SYM, X, as the data's README defines them) and on all tokens, for:

- pymorphy3's first parse (``morph.parse(w)[0].normal_form``, what ``lemma_context = false`` gives);
- ours: :class:`embedkit.text.lemma_context.ContextLemmatizer` on each sentence, with case kept (``cased``) and
  lower-cased (what the default pipeline, which lower-cases first, sees);
- natasha (slovnet's tagger + its pymorphy lemmatiser), when it is installed.

The rule weights of ``lemma_context`` were tuned on the GSD dev set only; Taiga is held out.

Speed: the lemmatising preprocess (``Pipeline(lang="ru", lemmatize=True)``, one worker, cold caches) with and
without ``lemma_context`` on the novels in ../shared/data/ru_literature, against the naive loop over the same
text's words (``morph.parse(w)[0].normal_form`` per word, no cache). Times are CPU seconds of this process
(the machine is shared; wall-clock seconds are printed beside them).

    python benchmarks/lemma_accuracy.py [--data ../shared/data] [--chars 2000000] [--naive-words 100000]
"""

from __future__ import annotations

import argparse
import io
import os
import time
from collections.abc import Callable
from pathlib import Path

from embedkit.text import Pipeline
from embedkit.text.lemma_context import ContextLemmatizer
from embedkit.text.morph import load_russian_analyzer, morph_analyzer

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
TREEBANKS = (("GSD", "ru_gsd-ud-dev.conllu"), ("Taiga", "ru_taiga-ud-dev.conllu"))
NOT_CONTENT = {"PUNCT", "NUM", "SYM", "X"}

Sentence = list[tuple[str, str, str]]  # (form, gold lemma, UPOS)
Lemmatizer = Callable[[list[Sentence]], list[list[str]]]


def read_conllu(path: Path) -> list[Sentence]:
    """Sentences of (form, lemma, UPOS); multi-word lines and empty nodes are not tokens."""
    sentences: list[Sentence] = []
    current: Sentence = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            if current:
                sentences.append(current)
                current = []
            continue
        if line.startswith("#"):
            continue
        fields = line.split("\t")
        if "-" in fields[0] or "." in fields[0]:
            continue
        current.append((fields[1], fields[2], fields[3]))
    if current:
        sentences.append(current)
    return sentences


def fold(lemma: str) -> str:
    return lemma.lower().replace("ё", "е")


def score(sentences: list[Sentence], predicted: list[list[str]]) -> tuple[float, float]:
    """Accuracy on content tokens and on all tokens."""
    content = [0, 0]
    every = [0, 0]
    for sentence, lemmas in zip(sentences, predicted, strict=True):
        for (_, gold, upos), lemma in zip(sentence, lemmas, strict=True):
            right = fold(lemma) == fold(gold)
            every[0] += right
            every[1] += 1
            if upos not in NOT_CONTENT:
                content[0] += right
                content[1] += 1
    return content[0] / content[1], every[0] / every[1]


def first_parse(sentences: list[Sentence]) -> list[list[str]]:
    parse = morph_analyzer().parse
    return [[parse(form)[0].normal_form for form, _, _ in sentence] for sentence in sentences]


def ours(cased: bool) -> Lemmatizer:
    def run(sentences: list[Sentence]) -> list[list[str]]:
        lemmatizer = ContextLemmatizer(cased=cased)
        if cased:
            return [lemmatizer.lemmatize([form for form, _, _ in s]) for s in sentences]
        return [lemmatizer.lemmatize([form.lower() for form, _, _ in s]) for s in sentences]
    return run


def natasha() -> Lemmatizer | None:
    """natasha's tagger and lemmatiser, or ``None`` when it is not installed."""
    try:
        import pymorphy2_dicts_ru
        from natasha import MorphVocab, NewsEmbedding, NewsMorphTagger
    except ImportError:
        return None
    morph_analyzer()  # pymorphy3 reads PYMORPHY2_DICT_PATH too: load its own dictionaries first
    load_russian_analyzer()
    # natasha's pymorphy2 finds its dictionaries through pkg_resources, which newer setuptools lack
    before = os.environ.get("PYMORPHY2_DICT_PATH")
    os.environ["PYMORPHY2_DICT_PATH"] = pymorphy2_dicts_ru.get_path()
    try:
        tagger, vocab = NewsMorphTagger(NewsEmbedding()), MorphVocab()
    finally:
        if before is None:
            del os.environ["PYMORPHY2_DICT_PATH"]
        else:
            os.environ["PYMORPHY2_DICT_PATH"] = before

    def run(sentences: list[Sentence]) -> list[list[str]]:
        markups = tagger.map([[form for form, _, _ in s] for s in sentences])
        return [[vocab.lemmatize(t.text, t.pos, t.feats) for t in markup.tokens] for markup in markups]
    return run


def timed(fn: Callable[[], object]) -> tuple[float, float, object]:
    """CPU and wall-clock seconds of one call, and its result."""
    cpu, wall = time.process_time(), time.perf_counter()
    result = fn()
    return time.process_time() - cpu, time.perf_counter() - wall, result


def accuracy_table(folder: Path) -> None:
    systems: list[tuple[str, Lemmatizer]] = [
        ("pymorphy3 first parse", first_parse), ("ours, case kept", ours(True)), ("ours, lower-cased", ours(False))]
    nat = natasha()
    print(f"Russian lemma accuracy, UD dev sets ({folder}); rule weights tuned on GSD, Taiga held out")
    print(f"  {'system':<24} {'treebank':<6} {'content':>8} {'all':>8} {'tokens/s':>10}")
    morph_analyzer()
    load_russian_analyzer()  # the dictionaries the lemmatisers read, loaded before anything is timed
    for name, file in TREEBANKS:
        sentences = read_conllu(folder / file)
        n_tokens = sum(map(len, sentences))
        for label, system in systems + ([("natasha (slovnet)", nat)] if nat else []):
            cpu, _, predicted = timed(lambda system=system, sentences=sentences: system(sentences))
            content, every = score(sentences, predicted)
            print(f"  {label:<24} {name:<6} {content:>8.2%} {every:>8.2%} {n_tokens / cpu:>10,.0f}")
    if nat is None:
        print("  natasha is not installed (pip install natasha); the issue's figures: 95.6% GSD, 93.0% Taiga")


def speed_table(folder: Path, chars: int, naive_words: int) -> None:
    text = "\n".join(p.read_text(encoding="utf-8") for p in sorted(folder.glob("*.txt")))[:chars]
    lines = text.splitlines()
    words = text.split()[:naive_words]
    parse = morph_analyzer().parse
    naive_cpu, naive_wall, _ = timed(lambda: [parse(w)[0].normal_form for w in words])
    naive = len(words) / naive_cpu
    print(f"\nLemmatising preprocess, 1 worker, cold caches, {len(text):,} characters of {folder.name}")
    print(f"  naive pymorphy3 loop     {naive:>10,.0f} words/s   ({len(words):,} words, {naive_wall:.1f}s wall)")
    for context in (False, True):
        pipeline = Pipeline(lang="ru", lemmatize=True, lemma_context=context)
        cpu, wall, summary = timed(lambda pipeline=pipeline: pipeline.run(lines, io.StringIO()))
        rate = summary.tokens / cpu
        print(f"  lemma_context = {str(context).lower():<6}   {rate:>10,.0f} tokens/s  {rate / naive:5.1f}x naive "
              f"(want >= 10)   {cpu:.2f}s CPU, {wall:.2f}s wall")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--chars", type=int, default=2_000_000, help="Characters of the novels to preprocess.")
    parser.add_argument("--naive-words", type=int, default=100_000, help="Words timed in the naive loop.")
    args = parser.parse_args()
    treebanks = args.data / "ru_ud_dev"
    if not treebanks.is_dir():
        print(f"skipped: {treebanks} is not present (the UD dev sets live in ../shared/data)")
        return
    accuracy_table(treebanks)
    novels = args.data / "ru_literature"
    if novels.is_dir():
        speed_table(novels, args.chars, args.naive_words)
    else:
        print(f"speed skipped: {novels} is not present")


if __name__ == "__main__":
    main()
