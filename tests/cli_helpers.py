"""Running the ``embedkit`` entry point in-process from tests, and checking its one-line errors."""

from __future__ import annotations

import pytest

from embedkit.cli import main


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
