"""Writing outputs atomically: a file or a folder appears whole or not at all.

Every writer goes through :func:`atomic_write` or :func:`atomic_dir`: the data lands in a temporary
sibling and is renamed into place only when complete, so an error or Ctrl-C never leaves half a file.
"""

from __future__ import annotations

import contextlib
import gzip
import logging
import os
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterator
from glob import escape as escape_glob
from pathlib import Path
from typing import IO, Any

from embedkit.errors import OutputError

_UMASK = os.umask(0)
os.umask(_UMASK)
logger = logging.getLogger(__name__)


def _check_writable_dir(directory: Path) -> None:
    if not directory.exists():
        try:
            directory.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise OutputError(f"{directory}: cannot create folder ({exc.strerror or exc})") from None
    if not os.access(directory, os.W_OK):
        raise OutputError(f"{directory}: folder is not writable")


def _part_prefix(target: Path) -> str:
    """The start of a temporary sibling's name: hidden, the target's name, the writing process's id."""
    return f".{target.name}.{os.getpid()}-"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True  # it exists (another user's), or the system cannot tell: keep its file
    return True


def remove_stale_parts(target: str | Path) -> list[Path]:
    """Delete the temporary siblings of ``target`` (``.NAME.PID-XXXX.part``) whose writing process is gone.

    A writer killed outright (``kill -9``, a power cut) cannot remove its temporary file; the next writer of
    the same target does. A sibling whose process still runs, or whose name carries no process id, stays.
    """
    target = Path(target)
    stale: list[Path] = []
    for part in target.parent.glob(f".{escape_glob(target.name)}.*.part"):
        pid, dash, _ = part.name[len(target.name) + 2:].partition("-")
        if dash and pid.isdigit() and int(pid) != os.getpid() and not _pid_alive(int(pid)):
            with contextlib.suppress(OSError):
                if part.is_dir() and not part.is_symlink():
                    shutil.rmtree(part)
                else:
                    part.unlink()
                stale.append(part)
    if stale:
        logger.info("removed %d stale temporary file(s) of %s", len(stale), target)
    return stale


@contextlib.contextmanager
def atomic_write(path: str | Path, mode: str = "w", encoding: str = "utf-8") -> Iterator[IO[Any]]:
    """Open a temporary sibling of ``path`` for writing; rename it onto ``path`` only on success.

    Temporary siblings left by killed writers of the same path are removed first (:func:`remove_stale_parts`).
    """
    target = Path(path)
    if target.is_dir():
        raise OutputError(f"{target}: is a folder, not a file")
    _check_writable_dir(target.parent)
    remove_stale_parts(target)
    try:
        fd, tmp = tempfile.mkstemp(prefix=_part_prefix(target), suffix=".part", dir=target.parent)
        os.chmod(tmp, 0o666 & ~_UMASK)
    except OSError as exc:
        raise OutputError(f"{target}: cannot write ({exc.strerror or exc})") from None
    try:
        kwargs: dict[str, Any] = {} if "b" in mode else {"encoding": encoding, "newline": "\n"}
        if target.suffix == ".gz":
            os.close(fd)
            handle: IO[Any] = gzip.open(tmp, mode if "b" in mode else mode + "t", **kwargs)
        else:
            handle = os.fdopen(fd, mode, **kwargs)
        with handle:
            yield handle
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one step (Linux ``renameat2(RENAME_EXCHANGE)``); False where the system cannot."""
    if not sys.platform.startswith("linux"):
        return False
    import ctypes

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    return renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0


def _swap_in(tmp: Path, target: Path) -> None:
    """Put the finished folder ``tmp`` at ``target``; an old ``target`` is swapped out in one step, then removed."""
    if not target.exists():
        os.replace(tmp, target)
        return
    if _exchange(tmp, target):
        shutil.rmtree(tmp, ignore_errors=True)
        return
    old = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".old", dir=target.parent))
    os.replace(target, old / target.name)
    os.replace(tmp, target)
    shutil.rmtree(old, ignore_errors=True)


@contextlib.contextmanager
def atomic_dir(path: str | Path, before_swap: Callable[[Path], object] | None = None) -> Iterator[Path]:
    """Build a folder under a temporary name and move it onto ``path`` (replacing it) only on success.

    ``before_swap(target)`` runs just before the swap (e.g. to check again that the target may be replaced).
    """
    target = Path(path).absolute()
    if target.exists() and not target.is_dir():
        raise OutputError(f"{path}: exists and is not a folder")
    _check_writable_dir(target.parent)
    remove_stale_parts(target)
    tmp = Path(tempfile.mkdtemp(prefix=_part_prefix(target), suffix=".part", dir=target.parent))
    os.chmod(tmp, 0o777 & ~_UMASK)
    try:
        yield tmp
        if before_swap is not None:
            before_swap(target)
        _swap_in(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
