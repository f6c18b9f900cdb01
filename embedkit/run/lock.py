"""One ``embedkit run`` per run folder at a time: an advisory lock file that names its holder's pid.

The lock is a ``flock`` on ``RUN/.embedkit-run.lock``, which holds the pid of the run that took it. The kernel
drops a ``flock`` when its process dies, however it dies, so a lock file left by a killed run is stale by
construction and the next run takes it over; a second run while the first is alive stops with one line
naming the first one's pid.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
from collections.abc import Iterator
from pathlib import Path

from embedkit.errors import OutputError

LOCK_NAME = ".embedkit-run.lock"
logger = logging.getLogger(__name__)


def _holder(fd: int) -> str:
    """The pid written in an open lock file ('' when there is none yet)."""
    os.lseek(fd, 0, os.SEEK_SET)
    text = os.read(fd, 64).decode("ascii", "replace").strip()
    return text if text.isdigit() else ""


def _open_locked(path: Path, folder: Path) -> int:
    """An fd of ``path`` holding its exclusive ``flock``; raises :class:`OutputError` when another process has it."""
    while True:
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o666)
        except OSError as exc:
            raise OutputError(f"{folder}: cannot lock the run folder ({exc.strerror or exc})") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _holder(fd)
            os.close(fd)
            who = f"pid {holder}" if holder else "another process"
            raise OutputError(f"{folder}: another `embedkit run` ({who}) is using this run folder; wait for it "
                              "to finish or choose another --output") from None
        except OSError:  # a file system without flock: run unlocked rather than not at all
            logger.warning("%s: file system cannot lock; not guarding against a second run", folder)
            return fd
        try:
            same = os.stat(path).st_ino == os.fstat(fd).st_ino
        except FileNotFoundError:
            same = False
        if same:  # not a file its last holder removed between our open and our lock
            return fd
        os.close(fd)


@contextlib.contextmanager
def run_lock(folder: str | Path) -> Iterator[Path]:
    """Hold the lock of run folder ``folder`` (created if needed) for the ``with`` block; yields the lock file."""
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"{folder}: cannot create the run folder ({exc.strerror or exc})") from None
    path = folder / LOCK_NAME
    fd = _open_locked(path, folder)
    try:
        stale = _holder(fd)
        if stale and int(stale) != os.getpid():
            logger.info("%s: taking over the lock of pid %s, which has ended", folder, stale)
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode("ascii"), 0)
        yield path
    finally:
        with contextlib.suppress(OSError):
            os.unlink(path)
        os.close(fd)
