"""Speed of language-model training, each against a baseline measured in the same run.

1. tokens/s of :class:`embedkit.training.Trainer` vs a plain PyTorch loop over the same model, data and
   settings (SGD, clip 5, truncated BPTT); target ratio >= 0.9. Runs alternate, best of ``--repeats``.
2. forward + backward of the step-by-step cells (:mod:`embedkit.models.cells`) vs ``torch.nn.RNN/LSTM/GRU``,
   reported as a ratio (the cells are for reading and checking, not for training).

    python benchmarks/lm_speed.py --threads 2 --windows 60
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import torch
import torch.nn.functional as F

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "en_ptb" / "ptb.train.txt"


def make_data(windows: int, bptt: int, batch: int) -> tuple[torch.Tensor, int]:
    from embedkit.training.data import batchify, encode_stream
    from embedkit.vocab import Vocab

    lines = [line.split() for line in DATA.read_text().splitlines()[:20000]]
    vocab = Vocab.build(lines)
    data = batchify(encode_stream(lines, vocab), batch)
    return data[: windows * bptt + 1], len(vocab)


def model_for(vocab_size: int, hidden: int) -> torch.nn.Module:
    from embedkit.models.config import LMConfig
    from embedkit.models.language_model import LanguageModel

    torch.manual_seed(0)
    return LanguageModel(LMConfig(layers=2, hidden=hidden, emb_dim=hidden, dropout=0.0), vocab_size)


def plain_loop(model: torch.nn.Module, data: torch.Tensor, bptt: int) -> float:
    """The pytorch/examples loop: detach the hidden state, forward, loss, backward, clip, step."""
    optimizer = torch.optim.SGD(model.parameters(), lr=1.0)
    model.train()
    hidden, tokens, start = None, 0, time.perf_counter()
    for i in range(0, data.shape[0] - 1, bptt):
        x, y = data[i: i + bptt], data[i + 1: i + 1 + bptt]
        if hidden is not None:
            hidden = tuple(h.detach() for h in hidden) if isinstance(hidden, tuple) else hidden.detach()
        logits, hidden = model(x, hidden)
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
        optimizer.step()
        float(loss.detach())
        tokens += y.numel()
    return tokens / (time.perf_counter() - start)


def trainer_loop(model: torch.nn.Module, data: torch.Tensor, bptt: int) -> float:
    from embedkit.training.config import TrainerConfig
    from embedkit.training.lm import LMTask
    from embedkit.training.trainer import Trainer

    config = TrainerConfig(optimizer="sgd", lr=1.0, clip=5.0, epochs=1, patience=None, progress=False, device="cpu")
    trainer = Trainer(model, LMTask(data, None, bptt), config)
    start = time.perf_counter()
    trainer.fit()
    return (data.shape[0] - 1) * data.shape[1] / (time.perf_counter() - start)


def bench_trainer(args: argparse.Namespace) -> None:
    data, vocab_size = make_data(args.windows, args.bptt, args.batch)
    plain, ours = [], []
    for _ in range(args.repeats):
        plain.append(plain_loop(model_for(vocab_size, args.hidden), data, args.bptt))
        ours.append(trainer_loop(model_for(vocab_size, args.hidden), data, args.bptt))
    print(f"1. training, LSTM 2x{args.hidden}, vocabulary {vocab_size:,}, {args.windows} windows of "
          f"{args.bptt}x{args.batch}, best of {args.repeats}:")
    print(f"   plain PyTorch loop  {max(plain):>10,.0f} tok/s")
    print(f"   embedkit Trainer    {max(ours):>10,.0f} tok/s   ratio {max(ours) / max(plain):.2f} (target >= 0.9)")


def bench_cells(args: argparse.Namespace) -> None:
    from embedkit.models.cells import TORCH_RNNS, StackedRNN

    print(f"2. cells, forward + backward on [{args.bptt}, {args.batch}, {args.hidden}], 1 layer, best of "
          f"{args.repeats}:")
    x = torch.randn(args.bptt, args.batch, args.hidden)
    for cell, cls in TORCH_RNNS.items():
        reference = cls(args.hidden, args.hidden)
        ours = StackedRNN(cell, args.hidden, args.hidden).load_torch_weights(reference)
        times = {}
        for name, module in (("torch", reference), ("cells", ours)):
            best = float("inf")
            for _ in range(args.repeats):
                start = time.perf_counter()
                for _ in range(5):
                    module(x)[0].sum().backward()
                best = min(best, (time.perf_counter() - start) / 5)
            times[name] = best
        print(f"   {cell.upper():<5} torch {times['torch'] * 1e3:7.2f} ms   cells {times['cells'] * 1e3:7.2f} ms   "
              f"cells/torch time ratio {times['cells'] / times['torch']:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--windows", type=int, default=60)
    parser.add_argument("--bptt", type=int, default=20)
    parser.add_argument("--batch", type=int, default=20)
    parser.add_argument("--hidden", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    bench_trainer(args)
    bench_cells(args)


if __name__ == "__main__":
    main()
