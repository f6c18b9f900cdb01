"""The folder a training run writes: checked before any work, built aside, swapped in whole at the end.

:class:`~embedkit.training.trainer.Trainer` keeps its checkpoint in ``CHECKPOINT`` under the folder; a run
that is interrupted leaves a folder that ``--resume`` continues.
"""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import Iterator
from pathlib import Path

from embedkit.errors import EmbedkitError, InputError
from embedkit.io import check_model_dir, replace_model_dir
from embedkit.training import distributed

CHECKPOINT = "checkpoint"


def has_checkpoint(out_dir: str | Path) -> bool:
    """True when ``out_dir`` holds a trainer checkpoint (``out_dir/checkpoint/trainer.json``)."""
    return (Path(out_dir) / CHECKPOINT / "trainer.json").is_file()


def check_training_output(path: str | Path, resume: bool = False, training: str = "") -> Path:
    """Refuse, before any work, a model folder :func:`model_folder` would refuse; returns the absolute path.

    ``path`` must be new, empty or an embedkit folder (:func:`embedkit.io.check_model_dir`); with
    ``resume`` its ``training`` subfolder must hold a checkpoint.
    """
    target = check_model_dir(path)
    if resume and not has_checkpoint(target / training):
        raise InputError(f"{path}: no training checkpoint to resume from (train without --resume)")
    return target


@contextlib.contextmanager
def model_folder(path: str | Path, resume: bool = False, training: str = "") -> Iterator[Path]:
    """The model folder a training run writes: built under a temporary name, swapped in whole at the end.

    The trainer writes its checkpoint into the ``training`` subfolder of what this yields. Only a new,
    empty or embedkit folder is ever replaced (:func:`check_training_output`); with ``resume`` the run
    continues in a copy of the folder. When training fails, ``path`` stays as it was. On Ctrl-C the run's
    folder takes the place of ``path`` once it holds a checkpoint, so ``--resume`` can continue. Under
    ``torchrun`` rank 0 alone writes; the other ranks get ``path`` itself (they only read its checkpoint).
    """
    target = check_training_output(path, resume, training)
    if not distributed.is_main():
        yield target
        return
    interrupted = False
    with replace_model_dir(target) as tmp:
        if resume:
            shutil.copytree(target, tmp, symlinks=True, dirs_exist_ok=True)
        try:
            yield tmp
        except EmbedkitError as exc:  # name the user's folder, not the copy the run works in
            if str(tmp) not in str(exc):
                raise
            raise type(exc)(str(exc).replace(str(tmp), str(target))) from None
        except KeyboardInterrupt:
            if not has_checkpoint(tmp / training):
                raise
            interrupted = True
    if interrupted:
        raise KeyboardInterrupt
