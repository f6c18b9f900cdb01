"""Loss per epoch on PTB: gensim's own running total (differenced per epoch) against embedkit's measured loss.

gensim's figure saturates (float32 running total) and is under-counted with several ``corpus_file`` threads;
embedkit's figure (:class:`embedkit.embeddings.loss.LossProbe`: mean loss per prediction on a fixed sample,
float64) should be the same for 1 and 2 workers (within 1%) and never saturate. Needs ../shared/data::

    python benchmarks/w2v_loss.py --epochs 30 --workers 1 2
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

PTB = Path(__file__).resolve().parents[2] / "shared" / "data" / "en_ptb" / "ptb.train.txt"


def run(path: Path, epochs: int, workers: int, dim: int) -> dict:
    """Train skip-gram with gensim's loss on and record both figures after every epoch."""
    from gensim.models import Word2Vec
    from gensim.models.callbacks import CallbackAny2Vec

    from embedkit.embeddings.loss import LossProbe
    from embedkit.io import iter_lines

    model = Word2Vec(vector_size=dim, sg=1, window=5, negative=5, min_count=5, workers=workers, seed=1,
                     epochs=epochs)
    model.build_vocab(corpus_file=str(path))
    probe = LossProbe(model, (line.split() for line in iter_lines([path])))
    gensim_loss: list[float] = []
    measured: list[float] = []

    class Record(CallbackAny2Vec):
        previous = 0.0

        def on_epoch_end(self, model: Word2Vec) -> None:
            total = float(model.get_latest_training_loss())
            gensim_loss.append(round(total - self.previous))
            self.previous = total
            measured.append(round(float(probe.loss(model)), 5))

    started = time.perf_counter()
    model.train(corpus_file=str(path), total_words=model.corpus_total_words, epochs=epochs, compute_loss=True,
                callbacks=[Record()])
    return {"workers": workers, "seconds": round(time.perf_counter() - started, 1), "sample_predictions": probe.size,
            "gensim_loss_per_epoch": gensim_loss, "embedkit_loss_per_epoch": measured}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=PTB)
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--dim", type=int, default=16)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args()
    if not args.corpus.is_file():
        print(f"{args.corpus}: not found (needs ../shared/data)", file=sys.stderr)
        return 2
    runs = [run(args.corpus, args.epochs, w, args.dim) for w in args.workers]
    for result in runs:
        print(json.dumps(result))
    if len(runs) > 1:
        base = runs[0]["embedkit_loss_per_epoch"]
        for other in runs[1:]:
            gap = max(abs(a - b) / a for a, b in zip(base, other["embedkit_loss_per_epoch"], strict=True))
            print(f"workers {runs[0]['workers']} vs {other['workers']}: largest per-epoch gap {gap:.2%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
