"""The ``[diagnose]`` stage: its table checked like ``lm diagnose``'s flags, its plots and report section, its
figures those of :mod:`embedkit.training.diagnostics`, cached like every stage."""

from __future__ import annotations

from pathlib import Path

import pytest
from cli_helpers import assert_user_error, run_cli, stage_context

from embedkit.errors import ConfigError
from embedkit.io import read_json
from embedkit.run import stage_diagnose
from embedkit.training.config import DiagnoseConfig

pytestmark = pytest.mark.usefixtures("one_torch_thread")

TINY = "[diagnose]\nsteps = 12\nhidden = 8\n"


def _report_table(report: str, title: str) -> dict[str, dict[str, float]]:
    """The Markdown table under ``**title**`` in a report: row name -> column name -> figure."""
    lines = report.splitlines()
    at = lines.index(f"**{title}**") + 2
    header = [cell.strip() for cell in lines[at].strip("|").split("|")][1:]
    rows: dict[str, dict[str, float]] = {}
    for line in lines[at + 2:]:
        if not line.startswith("|"):
            break
        name, *cells = (cell.strip() for cell in line.strip("|").split("|"))
        rows[name] = {column: float(cell.replace(",", "")) for column, cell in zip(header, cells, strict=True)}
    return rows


@pytest.mark.parametrize(("table", "needle"), [
    ({"steps": 12, "colour": "red"}, "unknown option 'colour' in [diagnose]"),
    ({"steps": 0}, "steps must be positive"),
    ({"steps": -5}, "steps must be positive"),
    ({"steps": True}, "option 'steps' wants an integer"),
    ({"hidden": 0}, "hidden must be positive"),
    ({"gain": 0}, "gain must be positive"),
    ({"clip": -1}, "clip must be positive"),
    ({"cells": ["rnn", "tcn"]}, "unknown cell 'tcn'"),
    ({"cells": []}, "at least one"),
    ({"cells": "lstm"}, "wants a list"),
])
def test_check_refuses_an_unknown_key_and_bad_values(table: dict, needle: str) -> None:
    with pytest.raises(ConfigError, match=needle.replace("[", r"\[").replace("]", r"\]")):
        stage_diagnose.check(table)


def test_check_takes_the_cli_settings_with_their_defaults() -> None:
    assert stage_diagnose.check({}) == DiagnoseConfig()
    config = stage_diagnose.check({"steps": 30, "cells": ["gru", "rnn"], "gain": 2, "init": True, "seed": 3})
    assert (config.steps, config.cells, config.gain, config.init, config.seed) == (30, ("gru", "rnn"), 2.0, True, 3)
    assert (DiagnoseConfig().clipping_gain, config.clipping_gain) == (1.5, 2.0)


def test_a_bad_diagnose_table_stops_the_run_before_any_stage(tmp_path, capsys) -> None:
    pipeline = tmp_path / "p.toml"
    pipeline.write_text('[vocab]\ninput = "t.txt"\n[diagnose]\nsteps = 0\n', encoding="utf-8")
    assert_user_error(run_cli(capsys, "run", pipeline, "-o", tmp_path / "run"), "steps must be positive")
    assert not (tmp_path / "run").exists()


def test_a_tiny_pipeline_writes_the_plots_and_the_report_section_then_skips(tmp_path, capsys) -> None:
    pipeline = tmp_path / "p.toml"
    pipeline.write_text(TINY, encoding="utf-8")
    out = tmp_path / "run"
    code, _, err = run_cli(capsys, "run", pipeline, "-o", out)
    assert code == 0, err
    assert "gradient norm 11 steps back: rnn" in err and "by value" in err
    for name in ("gradients.png", "clipping.png"):
        assert (out / "diagnose" / name).read_bytes()[:4] == b"\x89PNG"
    report = (out / "report.md").read_text(encoding="utf-8")
    assert "## diagnose" in report
    assert "![diagnose gradient_plot](diagnose/gradients.png)" in report
    assert "![diagnose clipping_plot](diagnose/clipping.png)" in report
    assert list(_report_table(report, stage_diagnose.NORMS)) == ["0", "1", "2", "5", "10", "11"]
    assert list(_report_table(report, stage_diagnose.CLIPPING)) == ["none", "norm", "value"]
    code, _, err = run_cli(capsys, "run", pipeline, "-o", out)
    assert code == 0 and "diagnose: up to date, skipped" in err
    pipeline.write_text(TINY + "gain = 1.5\n", encoding="utf-8")
    code, _, err = run_cli(capsys, "run", pipeline, "-o", out)
    assert code == 0 and "diagnose: running" in err
    assert "| recurrent_gain | 1.5 |" in (out / "report.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("extra", ["", 'gain = 1.3\ninit = true\ncells = ["rnn", "gru"]\nclip = 0.5\nseed = 2\n'])
def test_the_report_holds_the_figures_the_diagnostics_compute(tmp_path, capsys, extra: str) -> None:
    from embedkit.training.diagnostics import clipping_comparison, gradient_norms

    pipeline = tmp_path / "p.toml"
    pipeline.write_text(TINY + extra, encoding="utf-8")
    out = tmp_path / "run"
    code, _, err = run_cli(capsys, "run", pipeline, "-o", out)
    assert code == 0, err
    settings = {"steps": 12, "hidden": 8}
    if extra:
        settings["seed"] = 2
        norms = gradient_norms(init=True, gain=1.3, cells=("rnn", "gru"), **settings)
        clipping = clipping_comparison(0.5, gain=1.3, **settings)
    else:
        norms = gradient_norms(**settings)
        clipping = clipping_comparison(1.0, gain=1.5, **settings)
    summary = read_json(out / ".state" / "diagnose.json")["summary"]
    report = (out / "report.md").read_text(encoding="utf-8")
    shown = _report_table(report, stage_diagnose.NORMS)
    for k, row in summary[stage_diagnose.NORMS].items():
        assert row == {cell: values[int(k)] for cell, values in norms.items()}
        assert shown[k] == pytest.approx(row, rel=1e-3)
    shown = _report_table(report, stage_diagnose.CLIPPING)
    for mode, row in summary[stage_diagnose.CLIPPING].items():
        assert row == {figure: clipping[mode][figure] for figure in ("norm", "max_abs", "cosine")}
        assert shown[mode] == pytest.approx(row, rel=1e-3)
    assert summary[stage_diagnose.CLIPPING]["norm"]["cosine"] == pytest.approx(1.0)
    assert summary[stage_diagnose.CLIPPING]["value"]["cosine"] < 0.99


def test_the_lstm_keeps_more_gradient_than_the_rnn_at_the_default_init(tmp_path) -> None:
    """torch's default init, inputs that saturate tanh: 20 steps back the RNN's gradient has vanished most.
    (With small inputs, ``input_scale`` 0.1, the LSTM's forget gate of about 0.5 loses as much; the GRU's
    outlasts the RNN's either way.)"""
    from embedkit.training.diagnostics import gradient_norms

    ctx, printed = stage_context(tmp_path)
    summary = stage_diagnose.stage({"steps": 30, "input_scale": 1.0}, ctx)
    at_20 = summary[stage_diagnose.NORMS]["20"]
    assert at_20["lstm"] > at_20["rnn"] and at_20["gru"] > at_20["rnn"]
    assert summary[stage_diagnose.NORMS]["0"]["lstm"] == pytest.approx(summary[stage_diagnose.NORMS]["0"]["rnn"])
    assert "gradient norm 20 steps back" in printed.getvalue()
    assert (tmp_path / "run" / "diagnose" / "gradients.png").exists()
    small = gradient_norms(steps=30)
    assert small["gru"][20] > small["rnn"][20]


def test_the_quickstart_table_shows_the_rnn_vanishing_fastest() -> None:
    from embedkit.config import load_toml
    from embedkit.training.diagnostics import diagnose

    table = load_toml(Path(__file__).resolve().parents[1] / "pipelines" / "quickstart.toml")["diagnose"]
    norms = diagnose(stage_diagnose.check(table)).norms
    assert min(norms["lstm"][20], norms["gru"][20]) > norms["rnn"][20]
