"""Speed of embedkit's word2vec against its baselines, measured in the same run.

1. training words/s through ``train_word2vec`` vs bare gensim ``Word2Vec(corpus_file=...)``, same settings
   (target: ratio >= 0.95);
2. one ``most_similar`` query on a random 100,000 x 300 matrix (target <= 20 ms), beside gensim's own;
3. 1,000 queries in one ``most_similar_batch`` vs 1,000 single calls (target >= 10x).

    python benchmarks/w2v_speed.py --epochs 1 --workers 2
"""

from __future__ import annotations

import argparse
import logging
import statistics
import time
from pathlib import Path

import numpy as np

DEFAULT_CORPUS = Path(__file__).resolve().parents[2] / "shared" / "data" / "en_ptb" / "ptb.train.txt"


def bench_training(corpus: Path, epochs: int, workers: int, repeats: int) -> None:
    from gensim.models import Word2Vec

    from embedkit.embeddings import train_word2vec

    settings = dict(vector_size=100, window=5, negative=5, min_count=5, sg=1, seed=1, workers=workers)
    bare, ours, bare_cpu, ours_cpu = [], [], [], []
    for _ in range(repeats):
        start, cpu = time.perf_counter(), time.process_time()
        model = Word2Vec(corpus_file=str(corpus), epochs=epochs, **settings)
        words = model.corpus_total_words * epochs
        bare.append(words / (time.perf_counter() - start))
        bare_cpu.append(words / (time.process_time() - cpu))
        start, cpu = time.perf_counter(), time.process_time()
        train_word2vec(corpus, arch="skipgram", dim=100, window=5, negative=5, min_count=5,
                       workers=workers, epochs=epochs, progress=False)
        ours.append(words / (time.perf_counter() - start))
        ours_cpu.append(words / (time.process_time() - cpu))
    b, o = max(bare), max(ours)
    print(f"training ({corpus.name}, skipgram 100d, {epochs} epoch(s), {workers} workers, best of {repeats}):")
    print(f"  wall: bare gensim {b:,.0f} words/s | embedkit {o:,.0f} words/s | ratio {o / b:.3f} (want >= 0.95)")
    print(f"  cpu:  bare gensim {max(bare_cpu):,.0f} words/cpu-s | embedkit {max(ours_cpu):,.0f} words/cpu-s | "
          f"ratio {max(ours_cpu) / max(bare_cpu):.3f} (less sensitive to other load on the machine)")


def bench_queries(rows: int, dim: int, n_queries: int) -> None:
    from gensim.models import KeyedVectors

    from embedkit.embeddings import Embeddings

    rng = np.random.default_rng(0)
    matrix = rng.standard_normal((rows, dim)).astype(np.float32)
    words = [f"w{i}" for i in range(rows)]
    emb = Embeddings.from_vectors(words, matrix)
    kv = KeyedVectors(dim)
    kv.add_vectors(words, matrix)
    emb.most_similar(words[0], topn=10)
    kv.most_similar(words[0], topn=10)
    probe = [words[i] for i in rng.choice(rows, 30, replace=False)]

    def median_ms(fn) -> float:
        times = []
        for word in probe:
            start = time.perf_counter()
            fn(word)
            times.append((time.perf_counter() - start) * 1000)
        return statistics.median(times)

    ours = median_ms(lambda w: emb.most_similar(w, topn=10))
    theirs = median_ms(lambda w: kv.most_similar(w, topn=10))
    print(f"most_similar on {rows:,} x {dim} (median of {len(probe)}):")
    print(f"  embedkit {ours:.1f} ms (want <= 20) | gensim {theirs:.1f} ms | ratio gensim/embedkit {theirs / ours:.2f}")

    queries = [words[i] for i in rng.choice(rows, n_queries, replace=False)]
    start = time.perf_counter()
    batch = emb.most_similar_batch(queries, topn=10)
    t_batch = time.perf_counter() - start
    start = time.perf_counter()
    single = [emb.most_similar(w, topn=10) for w in queries]
    t_single = time.perf_counter() - start
    same = all([w for w, _ in a] == [w for w, _ in b] for a, b in zip(batch, single, strict=True))
    print(f"{n_queries:,} queries: one batch {t_batch:.2f}s | single calls {t_single:.2f}s | "
          f"speed-up {t_single / t_batch:.1f}x (want >= 10) | same answers: {same}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS, help="token file (default: PTB train)")
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--dim", type=int, default=300)
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--skip-training", action="store_true")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    if not args.skip_training:
        bench_training(args.corpus, args.epochs, args.workers, args.repeats)
    bench_queries(args.rows, args.dim, args.queries)


if __name__ == "__main__":
    main()
