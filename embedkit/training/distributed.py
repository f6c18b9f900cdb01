"""Data-parallel training under ``torchrun``: process group set-up, rank queries and the few collectives we need.

``torchrun --nproc_per_node N -m embedkit ...`` starts N processes with ``WORLD_SIZE``, ``RANK`` and
``LOCAL_RANK`` in their environment; :func:`setup` then joins them in one process group (NCCL when the run
uses CUDA, gloo on CPU) and pins each process to GPU ``LOCAL_RANK``. Everything here is a no-op in an
ordinary single-process run: :func:`rank` is 0, :func:`world_size` is 1, :func:`is_main` is true, the
collectives return their input.

>>> setup(), rank(), world_size(), is_main()
(False, 0, 1, True)
>>> all_reduce_sum([2.0, 3.0])
[2.0, 3.0]
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import torch
import torch.distributed as dist


def launched() -> bool:
    """Whether this process was started by ``torchrun`` (or another launcher) as one of several ranks."""
    try:
        size = int(os.environ.get("WORLD_SIZE", "1"))
    except ValueError:
        return False
    return size > 1 and "RANK" in os.environ


def active() -> bool:
    """Whether a process group of more than one process is up."""
    return dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1


def local_rank() -> int:
    """This process's index on its own machine (``LOCAL_RANK``); 0 outside a launch."""
    return int(os.environ.get("LOCAL_RANK", "0")) if active() else 0


def setup(device: str = "auto") -> bool:
    """Join the process group when launched by ``torchrun``; returns whether training is distributed.

    ``device`` is the TrainerConfig device: NCCL when it allows CUDA and a GPU is present, gloo otherwise.
    Calling it again is harmless.
    """
    if active():
        return True
    if not launched() or not dist.is_available():
        return False
    use_cuda = device != "cpu" and torch.cuda.is_available()
    if use_cuda:
        torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", "0")))
    if not dist.is_initialized():
        dist.init_process_group(backend="nccl" if use_cuda else "gloo")
    return active()


def rank() -> int:
    """This process's global rank; 0 outside a distributed run."""
    return dist.get_rank() if active() else 0


def world_size() -> int:
    """How many processes train together; 1 outside a distributed run."""
    return dist.get_world_size() if active() else 1


def is_main() -> bool:
    """True on rank 0 (the one that writes files and prints), and in every single-process run."""
    return rank() == 0


def device() -> torch.device:
    """The device this rank trains on when distributed with NCCL (its local GPU), else the CPU."""
    if active() and dist.get_backend() == "nccl":
        return torch.device("cuda", torch.cuda.current_device())
    return torch.device("cpu")


def barrier() -> None:
    """Wait until every rank gets here (for instance while rank 0 writes a checkpoint)."""
    if not active():
        return
    if dist.get_backend() == "nccl":
        dist.barrier(device_ids=[torch.cuda.current_device()])
    else:
        dist.barrier()


def all_reduce_sum(values: Sequence[float]) -> list[float]:
    """Element-wise sums over all ranks (loss sums, item and correct counts), the same on every rank."""
    if not active():
        return [float(v) for v in values]
    tensor = torch.tensor([float(v) for v in values], dtype=torch.float64, device=device())
    dist.all_reduce(tensor, op=dist.ReduceOp.SUM)
    return tensor.cpu().tolist()


def broadcast(obj: Any, src: int = 0) -> Any:
    """Rank ``src``'s ``obj`` (anything picklable) on every rank."""
    if not active():
        return obj
    box = [obj]
    dist.broadcast_object_list(box, src=src, device=device() if dist.get_backend() == "nccl" else None)
    return box[0]


def cleanup() -> None:
    """Leave the process group (at the end of a run); nothing happens when none was set up."""
    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()
