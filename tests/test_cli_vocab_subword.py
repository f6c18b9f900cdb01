"""`embedkit vocab build`, `embedkit subword train|encode`: happy paths and every error path."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from cli_helpers import assert_user_error, peak_memory_kb, run_cli

from embedkit.cli import main
from embedkit.text.subword import SubwordModel
from embedkit.vocab import Vocab


@pytest.fixture(scope="module")
def tokens(tmp_path_factory: pytest.TempPathFactory, lee_corpus: Path) -> Path:
    path = tmp_path_factory.mktemp("data") / "tokens.txt"
    with open(lee_corpus, encoding="utf-8") as src:
        path.write_text("".join(" ".join(line.lower().split()) + "\n" for line in src), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def bpe_model(tmp_path_factory: pytest.TempPathFactory, tokens: Path) -> Path:
    path = tmp_path_factory.mktemp("model") / "bpe.json"
    with pytest.raises(SystemExit) as info:
        main(["subword", "train", str(tokens), "-o", str(path), "--vocab-size", "1500"])
    assert info.value.code in (0, None)
    return path


def _stdin(monkeypatch: pytest.MonkeyPatch, data: bytes) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data), encoding="utf-8"))


# ---- vocab build -------------------------------------------------------------------------------------------


def test_vocab_build(tokens: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "vocab.json"
    code, stdout, _ = run_cli(capsys, "vocab", "build", tokens, "-o", out, "--min-count", "2")
    assert code == 0
    vocab = Vocab.load(out)
    assert vocab.itos[:5] == ["<pad>", "<unk>", "<bos>", "<eos>", "the"]
    assert min(vocab.counts.values()) >= 2
    assert f"{len(vocab):,}" in stdout and "coverage" in stdout and "the" in stdout


def test_vocab_build_options(tokens: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "v.json"
    assert run_cli(capsys, "vocab", "build", tokens, "-o", out, "--max-vocab", "10", "--no-specials")[0] == 0
    vocab = Vocab.load(out)
    assert len(vocab) == 10 and vocab.specials == () and vocab.itos[0] == "the"
    config = tmp_path / "c.toml"
    config.write_text("[vocab]\nmax_vocab = 5\nmin_count = 3\n", encoding="utf-8")
    assert run_cli(capsys, "vocab", "build", tokens, "-o", out, "--config", config, "--max-vocab", "7")[0] == 0
    assert len(Vocab.load(out)) == 4 + 7  # the flag wins over the file
    config.write_text("[vocab]\nmax_size = 5\n", encoding="utf-8")  # old spellings: one warning line each
    code, _, err = run_cli(capsys, "vocab", "build", tokens, "-o", out, "--config", config)
    assert code == 0 and len(Vocab.load(out)) == 4 + 5
    assert "warning: 'max_size' in [vocab] is now 'max_vocab'; the old name goes in the next release" in err
    code, _, err = run_cli(capsys, "vocab", "build", tokens, "-o", out, "--max-size", "6")
    assert code == 0 and len(Vocab.load(out)) == 4 + 6
    assert err.splitlines()[:1] == [
        "warning: '--max-size' in vocab build is now '--max-vocab'; the old name goes in the next release"]


def test_vocab_build_stdin_and_encoding(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _stdin(monkeypatch, "кот кот пёс\n".encode())
    out = tmp_path / "v.json"
    assert run_cli(capsys, "vocab", "build", "-", "-o", out)[0] == 0
    assert Vocab.load(out).itos[4:] == ["кот", "пёс"]
    cp = tmp_path / "cp.txt"
    cp.write_bytes("кот пёс\n".encode("cp1251"))
    assert run_cli(capsys, "vocab", "build", cp, "-o", out, "--encoding", "cp1251")[0] == 0
    assert Vocab.load(out).itos[4:] == ["кот", "пёс"]


@pytest.mark.parametrize(
    "case", ["missing", "empty", "min_count", "bad_min_count", "encoding", "binary", "bad_toml", "out_is_dir",
             "negative_top"]
)
def test_vocab_build_errors(
    case: str, tokens: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "v.json"
    args = ["vocab", "build", str(tokens), "-o", str(out)]
    expect = {
        "missing": "no such file",
        "empty": "no tokens",
        "min_count": "lower min_count",
        "bad_min_count": "min_count must be positive",
        "encoding": "not valid utf-8",
        "binary": "binary",
        "bad_toml": "not valid TOML",
        "out_is_dir": "is a folder",
        "negative_top": "--top",
    }[case]
    if case == "missing":
        args[2] = str(tmp_path / "nope.txt")
    elif case == "empty":
        (tmp_path / "e.txt").write_text("\n \n", encoding="utf-8")
        args[2] = str(tmp_path / "e.txt")
    elif case == "min_count":
        args += ["--min-count", "100000"]
    elif case == "bad_min_count":
        args += ["--min-count", "0"]
    elif case == "encoding":
        (tmp_path / "cp.txt").write_bytes("кот\n".encode("cp1251"))
        args[2] = str(tmp_path / "cp.txt")
    elif case == "binary":
        (tmp_path / "b.txt").write_bytes(bytes(range(256)) * 10)
        args[2] = str(tmp_path / "b.txt")
    elif case == "bad_toml":
        (tmp_path / "c.toml").write_text("[vocab\n", encoding="utf-8")
        args += ["--config", str(tmp_path / "c.toml")]
    elif case == "out_is_dir":
        out.mkdir()
    elif case == "negative_top":
        args += ["--top", "-5"]
    assert_user_error(run_cli(capsys, *args), expect)
    leftovers = [p.name for p in tmp_path.iterdir() if p.name.startswith((".v.json", "v.json"))]
    assert leftovers == (["v.json"] if case == "out_is_dir" else [])


# ---- subword train -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["bpe", "unigram"])
def test_subword_train(kind: str, tokens: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / f"{kind}.json"
    code, stdout, _ = run_cli(capsys, "subword", "train", tokens, "-o", out, "--model", kind, "--vocab-size", "1200",
                              "--min-frequency", "3")
    assert code == 0
    model = SubwordModel.load(out)
    assert model.config.model == kind and model.config.min_frequency == 3 and model.vocab_size == 1200
    assert "1,200" in stdout and "5+" in stdout and "mean" in stdout


def test_subword_train_config_file(tokens: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "c.toml"
    config.write_text('[subword]\nmodel = "unigram"\nvocab_size = 900\n', encoding="utf-8")
    out = tmp_path / "m.json"
    assert run_cli(capsys, "subword", "train", tokens, "-o", out, "--config", config)[0] == 0
    assert SubwordModel.load(out).config.model == "unigram"
    assert SubwordModel.load(out).vocab_size == 900


@pytest.mark.parametrize("case", ["missing", "empty", "too_small", "bad_model", "bad_size", "unknown_key"])
def test_subword_train_errors(
    case: str, tokens: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "m.json"
    args = ["subword", "train", str(tokens), "-o", str(out)]
    expect = {
        "missing": "no such file",
        "empty": "no tokens",
        "too_small": "too small",
        "bad_model": "unknown subword model",
        "bad_size": "vocab_size must be positive",
        "unknown_key": "unknown option 'size' in [subword]",
    }[case]
    if case == "missing":
        args[2] = str(tmp_path / "nope.txt")
    elif case == "empty":
        (tmp_path / "e.txt").write_text("", encoding="utf-8")
        args[2] = str(tmp_path / "e.txt")
    elif case == "too_small":
        args += ["--vocab-size", "20"]
    elif case == "bad_model":
        args += ["--model", "wordpiece"]
    elif case == "bad_size":
        args += ["--vocab-size", "-5"]
    elif case == "unknown_key":
        (tmp_path / "c.toml").write_text("[subword]\nsize = 5\n", encoding="utf-8")
        args += ["--config", str(tmp_path / "c.toml")]
    assert_user_error(run_cli(capsys, *args), expect)
    assert not [p for p in tmp_path.iterdir() if "m.json" in p.name]


@pytest.mark.parametrize("command", [["subword", "train", "--vocab-size", "400"], ["vocab", "build"]])
def test_a_huge_single_line_is_counted_in_bounded_memory(command: list[str], one_huge_line: tuple[Path, Path],
                                                         tmp_path: Path) -> None:
    """Issue 13: `subword train` on a 50 MB single line took 4.2 GB. Here 5.5 MB on one line took ~570 MB (subword)
    and ~100 MB (vocab) more than short lines of the same phrases; reading in bounded pieces, it must barely show."""
    small, big = one_huge_line
    base = peak_memory_kb(*command, small, "-o", tmp_path / "small.json", cwd=tmp_path)
    peak = peak_memory_kb(*command, big, "-o", tmp_path / "big.json", cwd=tmp_path)
    assert peak - base < 40_000, f"{peak - base} KiB more for one 5.5 MB line"


# ---- subword encode ----------------------------------------------------------------------------------------


def test_subword_encode_stdout_file_ids(
    bpe_model: Path, tokens: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    model = SubwordModel.load(bpe_model)
    lines = tokens.read_text(encoding="utf-8").splitlines()
    code, stdout, _ = run_cli(capsys, "subword", "encode", bpe_model, tokens)
    assert code == 0
    got = stdout.splitlines()
    assert len(got) == len(lines)
    assert got[0].split() == model.encode(lines[0])
    assert model.decode(got[5].split()) == lines[5]
    out = tmp_path / "enc.txt"
    assert (
        run_cli(capsys, "subword", "encode", bpe_model, tokens, "-o", out, "--ids")[0] == 0
    )
    ids = out.read_text(encoding="utf-8").splitlines()
    assert len(ids) == len(lines) and [int(i) for i in ids[0].split()] == model.encode_ids(lines[0])


def test_subword_encode_stdin_keeps_empty_lines(
    bpe_model: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _stdin(monkeypatch, b"the government\n\nsaid\n")
    code, stdout, _ = run_cli(capsys, "subword", "encode", bpe_model)
    assert code == 0 and stdout == "\u2581the \u2581government\n\n\u2581said\n"


@pytest.mark.parametrize(
    "case", ["corrupt", "missing_model", "other_json", "missing_input", "bad_bytes_late"]
)
def test_subword_encode_errors(
    case: str, bpe_model: Path, tokens: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "enc.txt"
    model, source = str(bpe_model), str(tokens)
    expect = {
        "corrupt": "not valid JSON",
        "missing_model": "no such file",
        "other_json": "not an embedkit subword model",
        "missing_input": "no such file",
        "bad_bytes_late": "line 2501",
    }[case]
    if case == "corrupt":
        model = str(tmp_path / "bad.json")
        Path(model).write_text(bpe_model.read_text(encoding="utf-8")[:5000], encoding="utf-8")
    elif case == "missing_model":
        model = str(tmp_path / "nope.json")
    elif case == "other_json":
        model = str(tmp_path / "v.json")
        Path(model).write_text(json.dumps({"format": "embedkit.vocab/1", "itos": []}), encoding="utf-8")
    elif case == "missing_input":
        source = str(tmp_path / "nope.txt")
    elif case == "bad_bytes_late":
        source = str(tmp_path / "late.txt")
        Path(source).write_bytes(b"the cat\n" * 2500 + "кот\n".encode("cp1251"))
    assert_user_error(run_cli(capsys, "subword", "encode", model, source, "-o", out), expect)
    assert not [p for p in tmp_path.iterdir() if "enc.txt" in p.name]


def test_console_script_error_is_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{", encoding="utf-8")
    out = tmp_path / "o.txt"
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            "from embedkit.cli import main; main()",
            "subword",
            "encode",
            str(bad),
            "-",
            "-o",
            str(out),
        ],
        input="a b\n",
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2 and proc.stdout == ""
    assert len(proc.stderr.strip().splitlines()) == 1 and "not valid JSON" in proc.stderr
    assert not out.exists()
