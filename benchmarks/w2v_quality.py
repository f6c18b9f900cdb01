"""Quality of embedkit's vectors: analogy accuracy and word-similarity Spearman, each against a same-run baseline.

English (PTB): CBOW and skip-gram, with random vectors over the same vocabulary as the chance baseline;
evaluated on questions-words.txt, SimLex-999 and WordSim-353 from ../shared/data/en_word_eval.
Russian (Anna Karenina + Demons): training on lemmas vs raw word forms, evaluated on the Russian SimLex-999
(needs embedkit.text.Pipeline; lemmas come from pymorphy3). Ratios: skipgram/cbow, model/random, lemma/raw.

    python benchmarks/w2v_quality.py --epochs 3 --limit 20000
"""

from __future__ import annotations

import argparse
import itertools
import logging
import tempfile
import time
from pathlib import Path

import numpy as np

from embedkit.embeddings import Embeddings, evaluate_analogies, evaluate_pairs, train_word2vec

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


def _limited(source: Path, target: Path, limit: int | None) -> Path:
    with open(source, encoding="utf-8") as src, open(target, "w", encoding="utf-8") as out:
        out.writelines(itertools.islice(src, limit))
    return target


def _scores(emb: Embeddings, evals: Path) -> dict[str, float]:
    analogies = evaluate_analogies(emb, evals / "questions-words.txt", restrict_vocab=30_000)
    simlex = evaluate_pairs(emb, evals / "simlex999.txt")
    wordsim = evaluate_pairs(emb, evals / "wordsim353.tsv")
    return {"analogy": analogies.accuracy, "analogy_n": analogies.total, "simlex": simlex.spearman,
            "simlex_n": simlex.used, "wordsim": wordsim.spearman, "wordsim_n": wordsim.used}


def _random_like(emb: Embeddings, seed: int = 0) -> Embeddings:
    rng = np.random.default_rng(seed)
    return Embeddings.from_vectors(emb.words, rng.standard_normal(emb.vectors.shape), preprocess=emb.preprocess)


def english(args: argparse.Namespace, tmp: Path) -> None:
    corpus = _limited(DATA / "en_ptb" / "ptb.train.txt", tmp / "ptb.txt", args.limit)
    evals = DATA / "en_word_eval"
    rows = {}
    for arch in ("cbow", "skipgram"):
        start = time.perf_counter()
        emb = train_word2vec(corpus, arch=arch, dim=args.dim, window=5, negative=5, min_count=5,
                             epochs=args.epochs, workers=args.workers, progress=False)
        rows[arch] = {**_scores(emb, evals), "seconds": time.perf_counter() - start}
    rows["random"] = {**_scores(_random_like(emb), evals), "seconds": 0.0}
    words = emb.meta["history"][0]["words"]
    print(f"English PTB ({words:,} tokens, vocab {len(emb):,}, dim {args.dim}, {args.epochs} epochs):")
    print(f"  {'model':<9} {'analogy acc':>11} {'(n)':>6} {'SimLex rho':>10} {'(n)':>5} {'WS353 rho':>9} "
          f"{'(n)':>5} {'train s':>8}")
    for name, r in rows.items():
        print(f"  {name:<9} {r['analogy']:>11.3f} {r['analogy_n']:>6} {r['simlex']:>10.3f} {r['simlex_n']:>5} "
              f"{r['wordsim']:>9.3f} {r['wordsim_n']:>5} {r['seconds']:>8.1f}")
    sg, cb = rows["skipgram"], rows["cbow"]
    print(f"  ratio skipgram/cbow: analogy {sg['analogy'] / max(cb['analogy'], 1e-9):.2f}, "
          f"SimLex {sg['simlex'] / cb['simlex']:.2f}, WS353 {sg['wordsim'] / cb['wordsim']:.2f}")


def russian(args: argparse.Namespace, tmp: Path) -> None:
    from embedkit.text import preprocess_files
    from embedkit.text.config import PreprocessConfig

    novels = [DATA / "ru_literature" / "anna_karenina.txt", DATA / "ru_literature" / "besy_dostoevsky.txt"]
    simlex = DATA / "ru_simlex999" / "simlex999_rus_without_dupl.csv"
    print(f"Russian novels, {args.ru_arch} dim {args.dim}, {args.epochs} epochs, min_count 3; Russian SimLex-999:")
    results = {}
    for name, lemmatize in (("raw", False), ("lemmas", True)):
        tokens = tmp / f"ru_{name}.txt"
        preprocess_files(novels, tokens, PreprocessConfig(lang="ru", lemmatize=lemmatize, workers=args.workers))
        emb = train_word2vec(tokens, arch=args.ru_arch, dim=args.dim, min_count=3, epochs=args.epochs,
                             workers=args.workers, progress=False)
        res, base = evaluate_pairs(emb, simlex), evaluate_pairs(_random_like(emb), simlex)
        results[name] = res
        print(f"  {name:<7} vocab {len(emb):>6,}  rho {res.spearman:.3f} on {res.used}/{res.pairs} pairs "
              f"({res.oov} OOV) | random vectors rho {base.spearman:.3f}")
    raw, lem = results["raw"], results["lemmas"]
    print(f"  ratio lemmas/raw: rho {lem.spearman / raw.spearman:.2f}, pairs covered {lem.used / raw.used:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--limit", type=int, default=None, help="use only the first LIMIT lines of PTB")
    parser.add_argument("--dim", type=int, default=100)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--ru-arch", default="skipgram", choices=("cbow", "skipgram"))
    parser.add_argument("--skip-english", action="store_true")
    parser.add_argument("--skip-russian", action="store_true")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    with tempfile.TemporaryDirectory() as tmp:
        if not args.skip_english:
            english(args, Path(tmp))
        if not args.skip_russian:
            russian(args, Path(tmp))


if __name__ == "__main__":
    main()
