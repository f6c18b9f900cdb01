"""The README's command lines name commands and flags that exist (so its examples run as written)."""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import pytest
import typer

from embedkit.cli import app

README = Path(__file__).resolve().parents[1] / "README.md"


def readme_commands(text: str) -> list[str]:
    """Every ``embedkit ...`` line inside the README's bash blocks, comments and pipes cut off."""
    lines = []
    for block in re.findall(r"```bash\n(.*?)```", text, re.S):
        for line in block.splitlines():
            line = line.split(" #")[0].split(" < ")[0].split(" | ")[0].strip()
            for part in line.split(" && "):
                part = part.strip()
                if part.startswith("embedkit "):
                    lines.append(part)
    return lines


def resolve(words: list[str]) -> tuple[Any, list[str]]:
    """The click command the words name, and the words left for it."""
    command = typer.main.get_command(app)
    rest = list(words)
    while hasattr(command, "commands") and rest and rest[0] in command.commands:
        command = command.commands[rest.pop(0)]
    return command, rest


def flags_of(command: Any) -> set[str]:
    return {opt for param in command.params for opt in (*param.opts, *param.secondary_opts) if opt.startswith("-")}


COMMANDS = readme_commands(README.read_text(encoding="utf-8"))


def test_the_readme_shows_commands() -> None:
    assert len(COMMANDS) >= 10


@pytest.mark.parametrize("line", COMMANDS)
def test_each_readme_command_uses_real_commands_and_flags(line: str) -> None:
    words = shlex.split(line)[1:]
    command, rest = resolve(words)
    assert not hasattr(command, "commands"), f"{line!r}: no such command"
    unknown = sorted({w.split("=")[0] for w in rest if w.startswith("--")} - flags_of(command))
    assert unknown == [], f"{line!r}: unknown flags {unknown}"


def test_the_check_catches_a_misspelt_flag() -> None:
    command, rest = resolve(["w2v", "train", "x.txt", "--dimm", "5"])
    assert "--dimm" not in flags_of(command) and "--dim" in flags_of(command)
    group, _ = resolve(["w2v", "trian"])
    assert hasattr(group, "commands")
