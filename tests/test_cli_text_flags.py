"""The preprocessing flags, declared once, reach every command that preprocesses text."""

from __future__ import annotations

import dataclasses

import pytest
import typer.main
from typer.testing import CliRunner

from embedkit.cli import text_options
from embedkit.cli.app import app
from embedkit.text.config import PreprocessConfig

COMMANDS = [("preprocess",), ("clf", "train"), ("lm", "train")]


def _command(path: tuple[str, ...]):
    cmd = typer.main.get_command(app)
    for name in path:
        cmd = cmd.commands[name]
    return cmd


def test_every_flag_names_a_preprocessing_field() -> None:
    fields = {field.name for field in dataclasses.fields(PreprocessConfig)}
    assert set(text_options.TEXT_FLAGS) <= fields


@pytest.mark.parametrize("path", COMMANDS, ids=" ".join)
def test_each_preprocessing_command_takes_every_flag_once(path: tuple[str, ...]) -> None:
    names = [param.name for param in _command(path).params]
    for flag in text_options.TEXT_FLAGS:
        assert names.count(flag) == 1, (path, flag)
    assert text_options.MARKER not in names


def test_the_flags_given_reach_the_config_and_the_rest_keep_the_base(tmp_path) -> None:
    seen = {}

    @text_options.with_text_flags
    def command(source: str, text_flags: dict | None = None, workers: int = 1) -> None:
        seen["source"], seen["workers"] = source, workers
        seen["config"] = text_options.text_config(PreprocessConfig(lang="en"), text_flags or {})

    small = typer.Typer()
    small.command()(command)
    result = CliRunner().invoke(small, ["in.txt", "--stem", "--min-length", "3", "--workers", "2"])
    assert result.exit_code == 0, result.output
    config = seen["config"]
    assert (config.stem, config.min_length, config.lang, config.lemmatize) == (True, 3, "en", False)
    assert (seen["source"], seen["workers"]) == ("in.txt", 2)


def test_text_config_refuses_a_name_that_is_not_a_flag() -> None:
    with pytest.raises(TypeError, match="sentences"):
        text_options.text_config(PreprocessConfig(), {"sentences": True})


def test_a_command_without_the_marker_is_refused() -> None:
    def command(source: str) -> None: ...

    with pytest.raises(TypeError, match="text_flags"):
        text_options.with_text_flags(command)
