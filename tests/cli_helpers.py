"""Running ``embedkit`` from tests: the entry point in-process, checking its one-line errors, measuring its
peak memory in a fresh process; one stage of ``embedkit run`` called directly."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pytest
from rich.console import Console

from embedkit.cli import main
from embedkit.run.context import RunContext


def run_cli(capsys: pytest.CaptureFixture[str], *args: object) -> tuple[int, str, str]:
    """Run ``embedkit ARGS`` in this process; return (exit code, stdout, stderr)."""
    try:
        main([str(a) for a in args])
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    out = capsys.readouterr()
    return code, out.out, out.err


def assert_user_error(result: tuple[int, str, str], needle: str = "") -> None:
    """The house rule for bad input: exit 2 and one ``error: ...`` line on stderr that holds ``needle``."""
    code, _, err = result
    assert code == 2, result
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    assert needle.lower() in lines[0].lower(), err


_PEAK = ("import atexit, resource, sys\n"
         "atexit.register(lambda: print('peak-kb', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,"
         " file=sys.stderr))\n"
         "from embedkit.cli import main\n"
         "main(sys.argv[1:])\n")


def peak_memory_kb(*args: object, cwd: Path) -> int:
    """Run ``embedkit ARGS`` in a fresh process that must succeed; return its peak resident memory in KiB."""
    proc = subprocess.run([sys.executable, "-c", _PEAK, *map(str, args)], capture_output=True, text=True,
                          cwd=cwd, timeout=300)
    assert proc.returncode == 0, proc.stderr
    return int(proc.stderr.rsplit("peak-kb", 1)[1].split()[0])


def stage_context(base: Path, out: str = "run") -> tuple[RunContext, io.StringIO]:
    """A run context for calling one stage directly: inputs relative to ``base``, outputs in ``base / out``;
    what the stage prints lands in the returned buffer."""
    printed = io.StringIO()
    return RunContext(out_dir=base / out, base_dir=base, console=Console(file=printed)), printed
