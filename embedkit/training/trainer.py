"""A model-agnostic training loop (minGPT style): it knows nothing of the model and reports through callbacks.

The task protocol
-----------------
The :class:`Trainer` drives any ``torch.nn.Module`` through a *task*, an object with three methods:

``train_batches(epoch) -> Iterable[batch]``
    The training batches of one epoch, in order. Must be deterministic for a given ``epoch`` (shuffle with
    a generator seeded from the epoch), so that a resumed run skips exactly the batches already seen.
    A batch is any nesting of tuples/lists/dicts of tensors; the trainer moves it to the device.
``loss(model, batch, state) -> (loss, n_items, state)``
    The mean loss of one batch (a scalar tensor), how many items it averaged over (tokens, examples: used
    for tokens/s and the epoch mean) and a state carried to the next batch of the same epoch (the hidden
    state of truncated BPTT; ``None`` when there is none). The trainer detaches the state, so gradients
    never flow across batches, and starts every epoch with ``state=None``.
``evaluate(model) -> dict[str, float]``
    Validation figures (lower is better for the monitored one, ``TrainerConfig.monitor``, default
    ``"loss"``); run under ``model.eval()`` and ``torch.no_grad()``. Return ``{}`` when there is no
    validation data: the plateau scheduler then follows the training loss and nothing stops early.

Callbacks: ``trainer.add_callback(event, fn)`` with events ``on_batch_end`` and ``on_epoch_end`` (``fn(trainer)``)
and ``on_checkpoint`` (``fn(trainer, folder)``: write what the model needs beside its weights, such as its JSON
config and vocabulary, into the checkpoint folder being built).

What lands in ``out_dir``: ``checkpoint/`` (replaced atomically: ``model.safetensors``, ``best.safetensors``,
``average.safetensors`` with the weight average, if any, ``trainer.json`` with counters, history and Python/NumPy
RNG states, ``trainer_state.pt`` with the optimiser, scheduler, scaler and torch RNG states, loaded with
``torch.load(weights_only=True)``, ``state.safetensors`` with the carried task state), ``metrics.jsonl`` and
``loss.png``.

Under ``torchrun`` (see :mod:`embedkit.training.distributed`) the trainer wraps the model in
``DistributedDataParallel`` and hands the wrapped module to ``task.loss``; ``self.model`` stays the bare
module, whose weights the checkpoints hold (the same files as a single-process run). Each step's loss,
item count and Ctrl-C flag are summed over the ranks, so the logged losses, the epoch mean and the NaN
guard are global and every rank takes the same decisions; validation figures are rank 0's, broadcast.
Only rank 0 writes ``out_dir`` and shows progress; the others wait at a barrier while it checkpoints.
A task should give every rank the same number of batches per epoch (its own shard of the data).

>>> import torch
>>> class Mean:
...     def train_batches(self, epoch): return [torch.ones(4, 1)] * 3
...     def loss(self, model, batch, state): return ((model(batch) - 2) ** 2).mean(), len(batch), None
...     def evaluate(self, model): return {}
>>> model = torch.nn.Linear(1, 1)
>>> result = Trainer(model, Mean(), TrainerConfig(epochs=2, lr=0.1, progress=False)).fit()
>>> result["steps"]
6
"""

from __future__ import annotations

import contextlib
import itertools
import json
import math
import random
import signal
import sys
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np
import torch

from embedkit.config import config_from_dict, config_to_dict
from embedkit.errors import EmbedkitError, ModelFormatError
from embedkit.io import atomic_dir, atomic_write, check_format, read_json
from embedkit.plots import png_figure
from embedkit.training import distributed
from embedkit.training.config import TrainerConfig
from embedkit.training.folders import CHECKPOINT, has_checkpoint
from embedkit.weights import cpu_state, load_state, load_weights, read_tensors, save_state, save_tensors

EVENTS = ("on_batch_end", "on_epoch_end", "on_checkpoint")
FORMAT = "embedkit.trainer/1"


class TrainingError(EmbedkitError):
    """Training cannot go on: a loss or gradient that is NaN/inf, no training data, a bad checkpoint."""


@runtime_checkable
class Task(Protocol):
    """What the :class:`Trainer` needs from a task; see the module docstring."""

    def train_batches(self, epoch: int) -> Iterable[Any]: ...

    def loss(self, model: torch.nn.Module, batch: Any, state: Any) -> tuple[torch.Tensor, int, Any]: ...

    def evaluate(self, model: torch.nn.Module) -> dict[str, float]: ...


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy and torch (all devices), so model init, dropout and shuffles repeat."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def pick_device(name: str = "auto") -> torch.device:
    """``auto``: CUDA when present, else CPU; ``cuda`` without a GPU is a one-line error."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise TrainingError("device 'cuda' asked for, but torch sees no CUDA GPU (use --device cpu)")
    return torch.device(name)


def to_device(batch: Any, device: torch.device) -> Any:
    """Move every tensor in a nesting of tuples, lists and dicts to ``device``."""
    if isinstance(batch, torch.Tensor):
        return batch.to(device, non_blocking=True)
    if isinstance(batch, dict):
        return {key: to_device(value, device) for key, value in batch.items()}
    if isinstance(batch, (tuple, list)):
        return type(batch)(to_device(value, device) for value in batch)
    return batch


def detach(state: Any) -> Any:
    """Cut the graph behind a carried state (truncated BPTT): tensors detached, nesting kept."""
    if isinstance(state, torch.Tensor):
        return state.detach()
    if isinstance(state, (tuple, list)):
        return type(state)(detach(value) for value in state)
    return state


def _flatten(state: Any, tensors: list[torch.Tensor]) -> Any:
    if state is None:
        return None
    if isinstance(state, torch.Tensor):
        tensors.append(state.detach().cpu().contiguous())
        return len(tensors) - 1
    if isinstance(state, (tuple, list)):
        return [_flatten(value, tensors) for value in state]
    raise TrainingError(f"cannot checkpoint a task state of type {type(state).__name__}")


def _unflatten(layout: Any, tensors: dict[str, torch.Tensor], device: torch.device) -> Any:
    if layout is None:
        return None
    if isinstance(layout, int):
        return tensors[f"s{layout}"].to(device)
    return tuple(_unflatten(value, tensors, device) for value in layout)


class Trainer:
    """Train ``model`` on ``task`` with the settings of ``config``; see the module docstring for the protocol."""

    def __init__(self, model: torch.nn.Module, task: Task, config: TrainerConfig | None = None,
                 out_dir: str | Path | None = None) -> None:
        self.config = config or TrainerConfig()
        self.task = task
        self.distributed = distributed.setup(self.config.device)
        self.device = pick_device(self.config.device)
        if self.distributed and self.device.type == "cuda":
            self.device = torch.device("cuda", torch.cuda.current_device())
        self.model = model.to(self.device)
        self.train_model: torch.nn.Module = self.model
        if self.distributed:
            from torch.nn.parallel import DistributedDataParallel

            self.train_model = DistributedDataParallel(
                self.model, device_ids=[self.device.index] if self.device.type == "cuda" else None)
        self.out_dir = Path(out_dir) if out_dir is not None else None
        self.optimizer = self._make_optimizer()
        self.scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(
            self.optimizer, mode="min", factor=self.config.lr_factor, patience=self.config.lr_patience,
            min_lr=self.config.min_lr)
        self.use_amp = self.config.amp and self.device.type == "cuda"
        self.scaler = torch.amp.GradScaler("cuda", enabled=self.use_amp)
        self.epoch = 0
        self.step = 0
        self.batch_in_epoch = 0
        self.state: Any = None
        self.epoch_loss_sum = 0.0
        self.epoch_items = 0
        self.history: list[dict[str, Any]] = []
        self.best: float | None = None
        self.best_weights: dict[str, torch.Tensor] | None = None
        self.averaged: torch.optim.swa_utils.AveragedModel | None = None
        self.bad_epochs = 0
        self.stopped_early = False
        self.running_loss: float | None = None
        self.tokens_per_s = 0.0
        self.callbacks: dict[str, list[Callable[..., None]]] = defaultdict(list)
        self._interrupted = False
        self._signalled = False

    def _make_optimizer(self) -> torch.optim.Optimizer:
        params = [p for p in self.model.parameters() if p.requires_grad]
        if not params:
            raise TrainingError("the model has no trainable parameters")
        c = self.config
        if c.optimizer == "sgd":
            return torch.optim.SGD(params, lr=c.lr, momentum=c.momentum, weight_decay=c.weight_decay)
        return torch.optim.AdamW(params, lr=c.lr, weight_decay=c.weight_decay)

    def add_callback(self, event: str, fn: Callable[..., None]) -> None:
        """Call ``fn`` on ``event`` (one of :data:`EVENTS`)."""
        if event not in EVENTS:
            raise ValueError(f"unknown event '{event}' (choose from {', '.join(EVENTS)})")
        self.callbacks[event].append(fn)

    def _fire(self, event: str, *args: Any) -> None:
        for fn in self.callbacks[event]:
            fn(self, *args)

    @property
    def lr(self) -> float:
        """The current learning rate (of the first parameter group)."""
        return float(self.optimizer.param_groups[0]["lr"])

    # ---- the loop -------------------------------------------------------------------------------------

    def fit(self, resume: bool = False) -> dict[str, Any]:
        """Train until ``config.epochs`` or early stopping; ``resume`` continues from ``out_dir/checkpoint``
        (without one it is a :class:`TrainingError`, never a silent fresh start).

        Returns a summary: epochs and steps run, the best monitored value, the per-epoch history.
        On Ctrl-C the trainer finishes the current step, checkpoints (when it has an ``out_dir``) and
        re-raises ``KeyboardInterrupt``; a second Ctrl-C interrupts at once.
        """
        found = distributed.broadcast(resume and self.out_dir is not None and has_checkpoint(self.out_dir))
        if resume and not found:
            raise TrainingError(f"{self.out_dir}: no checkpoint to resume from")
        if found:
            self.load_checkpoint()
        else:
            seed_everything(self.config.seed)
            self._reset_metrics()
        with self._sigint_guard(), self._progress() as progress:
            while self.epoch < self.config.epochs and not self.stopped_early:
                self._train_epoch(progress)
                self._end_epoch()
        if self.config.restore_best and self.best_weights is not None:
            self.model.load_state_dict(self.best_weights)
        elif self.averaged is not None:
            self.model.load_state_dict(self.averaged.module.state_dict())
        return {"epochs": self.epoch, "steps": self.step, "best": self.best, "stopped_early": self.stopped_early,
                "history": self.history, "lr": self.lr}

    def _train_epoch(self, progress: Any) -> None:
        batches: Iterable[Any] = self.task.train_batches(self.epoch)
        total = len(batches) if hasattr(batches, "__len__") else None  # type: ignore[arg-type]
        iterator: Iterator[Any] = itertools.islice(iter(batches), self.batch_in_epoch, None)
        bar = progress.add_task(f"epoch {self.epoch + 1}/{self.config.epochs}", total=total,
                                completed=self.batch_in_epoch, extra="") if progress else None
        window_items, window_start = 0, time.perf_counter()
        for batch in iterator:
            loss, n_items = self._step(batch)
            self._update_average()
            self.step += 1
            self.batch_in_epoch += 1
            self.epoch_loss_sum += loss * n_items
            self.epoch_items += n_items
            window_items += n_items
            self.running_loss = loss if self.running_loss is None else 0.95 * self.running_loss + 0.05 * loss
            if self.step % self.config.log_every == 0:
                elapsed = time.perf_counter() - window_start
                self.tokens_per_s = window_items / elapsed if elapsed > 0 else 0.0
                window_items, window_start = 0, time.perf_counter()
                self._log({"event": "train", "epoch": self.epoch + 1, "step": self.step,
                           "loss": self.running_loss, "lr": self.lr, "items_per_s": round(self.tokens_per_s, 1)})
            if bar is not None:
                rate = window_items / max(time.perf_counter() - window_start, 1e-9) if window_items else \
                    self.tokens_per_s
                progress.update(bar, advance=1, extra=f"loss {self.running_loss:.3f}  {rate:,.0f} items/s")
            self._fire("on_batch_end")
            every = self.config.checkpoint_every
            if self._interrupted or (every and self.step % every == 0):
                self.save_checkpoint()
            if self._interrupted:
                raise KeyboardInterrupt
        if self.batch_in_epoch == 0:
            raise TrainingError(f"epoch {self.epoch + 1} has no training batches (is the training data empty?)")
        if bar is not None:
            progress.remove_task(bar)

    def _step(self, batch: Any) -> tuple[float, int]:
        self.train_model.train()
        batch = to_device(batch, self.device)
        with torch.autocast(self.device.type, enabled=self.use_amp):
            loss, n_items, state = self.task.loss(self.train_model, batch, self.state)
        value = float(loss.detach())
        if self.distributed:
            loss_sum, n_items, signals = distributed.all_reduce_sum([value * n_items, n_items, self._signalled])
            value = loss_sum / max(n_items, 1)
            self._interrupted = self._interrupted or signals > 0
        if not math.isfinite(value):
            raise TrainingError(f"loss became {value} at step {self.step + 1} (epoch {self.epoch + 1}); "
                                "lower the learning rate or clip gradients")
        self.optimizer.zero_grad(set_to_none=True)
        self.scaler.scale(loss).backward()
        if self.config.clip is not None and self.config.clip_mode != "none":
            self.scaler.unscale_(self.optimizer)
            params = [p for group in self.optimizer.param_groups for p in group["params"]]
            if self.config.clip_mode == "norm":
                norm = float(torch.nn.utils.clip_grad_norm_(params, self.config.clip))
                if not math.isfinite(norm) and not self.use_amp:
                    raise TrainingError(f"gradient norm became {norm} at step {self.step + 1} "
                                        f"(epoch {self.epoch + 1}); lower the learning rate")
            else:
                torch.nn.utils.clip_grad_value_(params, self.config.clip)
        self.scaler.step(self.optimizer)
        self.scaler.update()
        self.state = detach(state)
        return value, int(n_items)

    @property
    def eval_model(self) -> torch.nn.Module:
        """The weights that validation reads and training keeps: the moving average (``config.average``) once
        it has started, else the model itself."""
        return self.averaged.module if self.averaged is not None else self.model

    def _new_average(self) -> torch.optim.swa_utils.AveragedModel:
        from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn

        assert self.config.average is not None
        return AveragedModel(self.model, multi_avg_fn=get_ema_multi_avg_fn(self.config.average))

    def _update_average(self) -> None:
        """Fold the weights after this step into the moving average (its first step copies them)."""
        c = self.config
        if c.average is None or self.epoch < c.average_start or (self.step + 1) % c.average_every:
            return
        if self.averaged is None:
            self.averaged = self._new_average()
        self.averaged.update_parameters(self.model)  # which also copies the model's buffers, not averaged

    def evaluate(self) -> dict[str, float]:
        """The task's validation figures, in eval mode without gradients (of the weight average, if any)."""
        model = self.eval_model
        model.eval()
        with torch.no_grad(), torch.autocast(self.device.type, enabled=self.use_amp):
            metrics = self.task.evaluate(model) or {}
        return distributed.broadcast({key: float(value) for key, value in metrics.items()})

    def _end_epoch(self) -> None:
        train_loss = self.epoch_loss_sum / max(self.epoch_items, 1)
        metrics = self.evaluate()
        if metrics and self.config.monitor not in metrics:
            raise TrainingError(f"evaluate() returned no '{self.config.monitor}' "
                                f"(it returned {', '.join(metrics)}); set monitor to one of them")
        current = metrics.get(self.config.monitor, train_loss)
        if not math.isfinite(current):
            raise TrainingError(f"validation {self.config.monitor} became {current} after epoch {self.epoch + 1}")
        self.scheduler.step(current)
        if self.best is None or current < self.best:
            self.best, self.bad_epochs = current, 0
            if metrics and self.config.restore_best:
                self.best_weights = cpu_state(self.eval_model)
        else:
            self.bad_epochs += 1
        if metrics and self.config.patience is not None and self.bad_epochs > self.config.patience:
            self.stopped_early = True
        self.epoch += 1
        record = {"event": "epoch", "epoch": self.epoch, "step": self.step, "train_loss": train_loss,
                  "lr": self.lr, **{f"valid_{key}": value for key, value in metrics.items()}}
        self.history.append(record)
        self._log(record)
        self.batch_in_epoch, self.epoch_loss_sum, self.epoch_items, self.state = 0, 0.0, 0, None
        self._fire("on_epoch_end")
        self.save_checkpoint()
        self.plot()

    # ---- Ctrl-C and progress ----------------------------------------------------------------------------

    @contextlib.contextmanager
    def _sigint_guard(self) -> Iterator[None]:
        if threading.current_thread() is not threading.main_thread() or self.checkpoint_dir is None:
            yield
            return

        def handler(signum: int, frame: Any) -> None:
            if self._interrupted or self._signalled:
                raise KeyboardInterrupt
            self._signalled = True
            if not self.distributed:
                self._interrupted = True

        previous = signal.signal(signal.SIGINT, handler)
        try:
            yield
        finally:
            signal.signal(signal.SIGINT, previous)
            self._interrupted = self._signalled = False

    @contextlib.contextmanager
    def _progress(self) -> Iterator[Any]:
        show = self.config.progress if self.config.progress is not None else sys.stderr.isatty()
        if not show or not distributed.is_main():
            yield None
            return
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                   TextColumn("{task.fields[extra]}"))
        with Progress(*columns, console=Console(stderr=True), transient=True) as progress:
            yield progress

    # ---- metrics and plots ------------------------------------------------------------------------------

    @property
    def checkpoint_dir(self) -> Path | None:
        return self.out_dir / CHECKPOINT if self.out_dir is not None else None

    def _reset_metrics(self, keep_until_step: int | None = None) -> None:
        if self.out_dir is None or not distributed.is_main():
            return
        path = self.out_dir / "metrics.jsonl"
        kept: list[str] = []
        if keep_until_step is not None and path.exists():
            for line in path.read_text(encoding="utf-8").splitlines():
                with contextlib.suppress(json.JSONDecodeError):
                    if json.loads(line).get("step", 0) <= keep_until_step:
                        kept.append(line)
        with atomic_write(path) as handle:
            handle.writelines(line + "\n" for line in kept)

    def _log(self, record: dict[str, Any]) -> None:
        if self.out_dir is None or not distributed.is_main():
            return
        with open(self.out_dir / "metrics.jsonl", "a", encoding="utf-8") as handle:
            handle.write(json.dumps(record) + "\n")

    def plot(self) -> Path | None:
        """Draw ``loss.png``: running training loss by step, training and validation loss by epoch (rank 0 only)."""
        if self.out_dir is None or not distributed.is_main():
            return None
        records = [json.loads(line) for line in (self.out_dir / "metrics.jsonl").read_text().splitlines() if line]
        steps = [(r["step"], r["loss"]) for r in records if r.get("event") == "train"]
        epochs = [r for r in records if r.get("event") == "epoch"]
        path = self.out_dir / "loss.png"
        with png_figure(path) as ax:
            if steps:
                ax.plot(*zip(*steps, strict=True), lw=1, alpha=0.6, label="train (running)")
            ax.plot([r["step"] for r in epochs], [r["train_loss"] for r in epochs], "o-", label="train (epoch)")
            key = f"valid_{self.config.monitor}"
            if any(key in r for r in epochs):
                ax.plot([r["step"] for r in epochs if key in r], [r[key] for r in epochs if key in r], "s-",
                        label=f"valid {self.config.monitor}")
            ax.set_xlabel("step")
            ax.set_ylabel("loss")
            ax.legend()
            ax.grid(alpha=0.3)
        return path

    # ---- checkpoints ------------------------------------------------------------------------------------

    def save_checkpoint(self) -> Path | None:
        """Write ``out_dir/checkpoint`` atomically: weights, optimiser, RNG states, counters, task state.

        Distributed, every rank must call it at the same step: rank 0 writes while the others wait.
        """
        if self.checkpoint_dir is None:
            return None
        if distributed.is_main():
            self._write_checkpoint(self.checkpoint_dir)
        distributed.barrier()
        return self.checkpoint_dir

    def _write_checkpoint(self, folder: Path) -> None:
        with atomic_dir(folder) as tmp:
            save_tensors(cpu_state(self.model), tmp / "model.safetensors")
            if self.best_weights is not None:
                save_tensors(self.best_weights, tmp / "best.safetensors")
            if self.averaged is not None:
                save_tensors(cpu_state(self.averaged), tmp / "average.safetensors")
            tensors: list[torch.Tensor] = []
            layout = _flatten(self.state, tensors)
            if tensors:
                save_tensors({f"s{i}": t for i, t in enumerate(tensors)}, tmp / "state.safetensors")
            np_state = np.random.get_state()
            py_state = random.getstate()
            meta = {
                "format": FORMAT, "config": config_to_dict(self.config), "epoch": self.epoch, "step": self.step,
                "batch_in_epoch": self.batch_in_epoch, "epoch_loss_sum": self.epoch_loss_sum,
                "epoch_items": self.epoch_items, "best": self.best, "bad_epochs": self.bad_epochs,
                "stopped_early": self.stopped_early, "running_loss": self.running_loss, "history": self.history,
                "state_layout": layout,
                "python_rng": [py_state[0], list(py_state[1]), py_state[2]],
                "numpy_rng": [np_state[0], np_state[1].tolist(), *(float(x) for x in np_state[2:])],
            }
            with atomic_write(tmp / "trainer.json") as handle:
                json.dump(meta, handle)
            save_state({
                "optimizer": self.optimizer.state_dict(), "scheduler": self.scheduler.state_dict(),
                "scaler": self.scaler.state_dict(), "torch_rng": torch.get_rng_state(),
                "cuda_rng": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else [],
            }, tmp / "trainer_state.pt")
            self._fire("on_checkpoint", tmp)

    def load_checkpoint(self) -> None:
        """Restore everything :meth:`save_checkpoint` wrote, so training continues as if never stopped."""
        folder = self.checkpoint_dir
        assert folder is not None
        meta = check_format(read_json(folder / "trainer.json"), FORMAT, "trainer checkpoint", folder)
        if not {"config", "state_layout", "python_rng", "numpy_rng"} <= set(meta):
            raise ModelFormatError(f"{folder}: trainer.json is damaged (its config or saved states are missing)")
        saved = config_from_dict(TrainerConfig, meta["config"], warn=False)
        if saved.optimizer != self.config.optimizer:
            raise ModelFormatError(f"{folder}: checkpoint used optimizer {saved.optimizer}, "
                                   f"not {self.config.optimizer}")
        load_weights(self.model, folder / "model.safetensors")
        if (folder / "best.safetensors").exists():
            self.best_weights = read_tensors(folder / "best.safetensors")
        if (folder / "average.safetensors").exists():
            if self.config.average is None:
                raise ModelFormatError(f"{folder}: the checkpoint averages the weights; resume with the same "
                                       "average setting")
            self.averaged = self._new_average()
            load_weights(self.averaged, folder / "average.safetensors")
        extra = load_state(folder / "trainer_state.pt", map_location=self.device)
        missing = sorted({"optimizer", "scheduler", "scaler", "torch_rng", "cuda_rng"} - set(extra))
        if missing:
            raise ModelFormatError(f"{folder}: the training state lacks {', '.join(missing)}")
        try:
            self.optimizer.load_state_dict(extra["optimizer"])
        except (OSError, RuntimeError, KeyError, ValueError) as exc:
            raise ModelFormatError(f"{folder}: optimizer state does not fit this model ({exc})") from None
        try:
            self.scheduler.load_state_dict(extra["scheduler"])
            self.scaler.load_state_dict(extra["scaler"])
            torch.set_rng_state(extra["torch_rng"].cpu())
            if extra["cuda_rng"] and torch.cuda.is_available():
                torch.cuda.set_rng_state_all([s.cpu() for s in extra["cuda_rng"]])
        except (AttributeError, KeyError, RuntimeError, TypeError, ValueError) as exc:
            raise ModelFormatError(f"{folder}: the training state is damaged ({type(exc).__name__})") from None
        state_tensors: dict[str, torch.Tensor] = {}
        if (folder / "state.safetensors").exists():
            state_tensors = read_tensors(folder / "state.safetensors")
        try:
            for key in ("epoch", "step", "batch_in_epoch", "epoch_loss_sum", "epoch_items", "best", "bad_epochs",
                        "stopped_early", "running_loss", "history"):
                setattr(self, key, meta[key])
            self.state = _unflatten(meta["state_layout"], state_tensors, self.device)
            py = meta["python_rng"]
            random.setstate((py[0], tuple(py[1]), py[2]))
            npr = meta["numpy_rng"]
            np.random.set_state((npr[0], np.array(npr[1], dtype=np.uint32), int(npr[2]), int(npr[3]), npr[4]))
        except (IndexError, KeyError, TypeError, ValueError) as exc:
            raise ModelFormatError(f"{folder}: trainer.json is damaged ({type(exc).__name__}: {exc})") from None
        self._reset_metrics(keep_until_step=self.step)
