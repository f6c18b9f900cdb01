"""`embedkit preprocess` as a user types it: happy paths and every error path."""

from __future__ import annotations

import gzip
import os
import subprocess
import sys
from pathlib import Path

import pytest
from cli_helpers import run_cli


def assert_user_error(code: int, err: str, *left_out: Path) -> None:
    assert code == 2, err
    assert "Traceback" not in err
    assert len([line for line in err.splitlines() if line.strip()]) == 1, err
    for path in left_out:
        assert not path.exists(), f"{path} was left behind"
        assert not list(path.parent.glob(f".{path.name}*")), "temporary file left behind"


def test_preprocess_russian_lemmas(tmp_path, capsys) -> None:
    src = tmp_path / "ru.txt"
    src.write_text("Кошками бежали лучше, чем собаки.\n", encoding="utf-8")
    out = tmp_path / "ru.out"
    code, _, err = run_cli(capsys, "preprocess", str(src), "-o", str(out), "--lang", "ru", "--lemmatize")
    assert code == 0, err
    assert out.read_text(encoding="utf-8") == "кошка бежать хороший чем собака\n"
    assert "1 documents, 5 tokens" in err
    assert (tmp_path / "ru.out.pipeline.toml").exists()


def test_preprocess_to_stdout_from_gz(tmp_path, capsys) -> None:
    src = tmp_path / "en.txt.gz"
    with gzip.open(src, "wt", encoding="utf-8") as handle:
        handle.write("The runners were running.\n")
    code, out, err = run_cli(capsys, "preprocess", str(src), "--lang", "en", "--stem", "--stopwords")
    assert code == 0, err
    assert out == "runner run\n"


def test_preprocess_cp1251_with_declared_encoding(tmp_path, capsys) -> None:
    src = tmp_path / "cp.txt"
    src.write_bytes("Кошка бежит\n".encode("cp1251"))
    out = tmp_path / "o.txt"
    code, _, err = run_cli(capsys, "preprocess", str(src), "-o", str(out), "--encoding", "cp1251")
    assert code == 0, err
    assert out.read_text(encoding="utf-8") == "кошка бежит\n"


def test_error_missing_path(tmp_path, capsys) -> None:
    out = tmp_path / "o.txt"
    code, _, err = run_cli(capsys, "preprocess", str(tmp_path / "nope.txt"), "-o", str(out))
    assert_user_error(code, err, out)
    assert "no such file" in err


def test_error_not_utf8_names_file_line_and_encoding(tmp_path, capsys) -> None:
    src = tmp_path / "cp.txt"
    src.write_bytes(b"fine line\n" + "Кошка бежит\n".encode("cp1251"))
    out = tmp_path / "o.txt"
    code, _, err = run_cli(capsys, "preprocess", str(src), "-o", str(out), "--lang", "ru")
    assert_user_error(code, err, out)
    assert "cp.txt, line 2" in err and "--encoding cp1251" in err


def test_error_binary_file(tmp_path, capsys) -> None:
    src = tmp_path / "bin.dat"
    src.write_bytes(bytes(range(256)) * 8)
    out = tmp_path / "o.txt"
    code, _, err = run_cli(capsys, "preprocess", str(src), "-o", str(out))
    assert_user_error(code, err, out)
    assert "binary" in err


def test_error_empty_input_and_empty_folder(tmp_path, capsys) -> None:
    empty = tmp_path / "empty.txt"
    empty.write_text("", encoding="utf-8")
    out = tmp_path / "o.txt"
    code, _, err = run_cli(capsys, "preprocess", str(empty), "-o", str(out))
    assert_user_error(code, err, out)
    folder = tmp_path / "nothing"
    folder.mkdir()
    code, _, err = run_cli(capsys, "preprocess", str(folder), "-o", str(out))
    assert_user_error(code, err, out)
    assert "no text files" in err


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write anywhere")
def test_error_unwritable_output(tmp_path, capsys) -> None:
    src = tmp_path / "a.txt"
    src.write_text("hello\n", encoding="utf-8")
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    code, _, err = run_cli(capsys, "preprocess", str(src), "-o", str(locked / "o.txt"))
    assert_user_error(code, err, locked / "o.txt")


def test_error_output_is_a_folder(tmp_path, capsys) -> None:
    src = tmp_path / "a.txt"
    src.write_text("hello\n", encoding="utf-8")
    code, _, err = run_cli(capsys, "preprocess", str(src), "-o", str(tmp_path))
    assert_user_error(code, err)
    assert "folder" in err


@pytest.mark.parametrize(("flag", "value", "needle"), [
    ("--lang", "de", "language"), ("--tokenizer", "spacy", "tokenizer"), ("--encoding", "klingon", "encoding"),
    ("--workers", "0", "workers"), ("--unit", "page", "unit"),
])
def test_error_unknown_values(tmp_path, capsys, flag: str, value: str, needle: str) -> None:
    src = tmp_path / "a.txt"
    src.write_text("hello\n", encoding="utf-8")
    out = tmp_path / "o.txt"
    code, _, err = run_cli(capsys, "preprocess", str(src), "-o", str(out), flag, value)
    assert_user_error(code, err, out)
    assert needle in err


def test_error_lemmatize_and_stem(tmp_path, capsys) -> None:
    src = tmp_path / "a.txt"
    src.write_text("hello\n", encoding="utf-8")
    code, _, err = run_cli(capsys, "preprocess", str(src), "--lemmatize", "--stem")
    assert_user_error(code, err)


def test_unknown_option_is_a_usage_error(tmp_path) -> None:
    proc = subprocess.run([sys.executable, "-m", "embedkit", "preprocess", "x.txt", "--bogus"],
                          capture_output=True, text=True, cwd=tmp_path)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr and "bogus" in proc.stderr


@pytest.mark.parametrize(("args", "needle"), [
    (["w2v", "train", "x.txt", "-o", "v", "--dim", "abc"], "invalid value for '--dim'"),
    (["preprocess", "x.txt", "--bogus"], "--bogus"),
    (["w2v", "export", "model", "-o", "x.npy"], "'--format'"),
])
def test_a_usage_error_is_one_line_that_names_the_help(capsys, args: list[str], needle: str) -> None:
    code, _, err = run_cli(capsys, *args)
    assert_user_error(code, err)
    assert err.startswith("error: ") and needle in err.lower() and f"embedkit {args[0]}" in err and "--help" in err


def test_a_group_without_a_command_still_shows_its_help(capsys) -> None:
    code, out, err = run_cli(capsys, "w2v")
    assert code == 2 and "train" in out + err and "error:" not in err


def _preprocess_failing(tmp_path, monkeypatch, capsys, failure: BaseException) -> tuple[int, str, Path]:
    """``embedkit preprocess`` with its chunk work raising ``failure``: (exit code, stderr, the output path)."""
    src = tmp_path / "a.txt"
    src.write_text("hello world\n" * 5000, encoding="utf-8")
    out = tmp_path / "o.txt"

    def failing(self, documents):
        raise failure

    monkeypatch.setattr("embedkit.text.pipeline.Pipeline.process_chunk", failing)
    code, _, err = run_cli(capsys, "preprocess", str(src), "-o", str(out))
    return code, err, out


def test_interrupt_leaves_no_half_file(tmp_path, monkeypatch, capsys) -> None:
    code, _, out = _preprocess_failing(tmp_path, monkeypatch, capsys, KeyboardInterrupt())
    assert code == 130
    assert not out.exists() and not list(tmp_path.glob(".o.txt*"))


_PAUSED_AFTER_FIRST_CHUNK = """
import multiprocessing, signal, sys, time
signal.signal(signal.SIGINT, signal.default_int_handler)  # as at a terminal (a background job inherits SIG_IGN)
from pathlib import Path
import embedkit.text.pipeline as pipeline
real = pipeline._chunk_writer
def writer(sink):
    write = real(sink)
    def write_then_wait(text):
        write(text)
        pids = " ".join(str(child.pid) for child in multiprocessing.active_children())
        Path(sys.argv[1]).write_text(pids)  # the run is under way, its workers alive
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:  # until Ctrl-C arrives
            time.sleep(0.01)
    return write_then_wait
pipeline._chunk_writer = writer
from embedkit.cli import main
main(sys.argv[2:])
"""


def test_ctrl_c_with_workers_exits_promptly_and_leaves_nothing(tmp_path, lee_corpus) -> None:
    import signal
    import time

    src = tmp_path / "big.txt"
    src.write_text(lee_corpus.read_text(encoding="utf-8") * 3, encoding="utf-8")
    out, started = tmp_path / "o.txt", tmp_path / "started"
    proc = subprocess.Popen([sys.executable, "-c", _PAUSED_AFTER_FIRST_CHUNK, str(started), "preprocess", str(src),
                             "-o", str(out), "--lang", "en", "--lemmatize", "--workers", "2"],
                            stderr=subprocess.PIPE, text=True, cwd=tmp_path)
    deadline = time.monotonic() + 60
    while not (started.exists() and started.read_text()) and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert proc.poll() is None, proc.communicate()[1]
    workers = [int(pid) for pid in started.read_text().split()]
    assert len(workers) == 1 and list(tmp_path.glob(".o.txt*"))  # --workers 2: one child and this process
    proc.send_signal(signal.SIGINT)
    try:
        _, err = proc.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        raise AssertionError("preprocess hung after Ctrl-C") from None
    assert proc.returncode == 130 and "Traceback" not in err, err
    assert not out.exists() and not list(tmp_path.glob(".o.txt*"))
    for pid in workers:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)


def test_a_killed_run_leaves_a_part_file_the_next_run_removes(tmp_path, lee_corpus, capsys) -> None:
    import signal
    import time

    out, started = tmp_path / "o.txt", tmp_path / "started"
    proc = subprocess.Popen([sys.executable, "-c", _PAUSED_AFTER_FIRST_CHUNK, str(started), "preprocess",
                             str(lee_corpus), "-o", str(out), "--lang", "en"], cwd=tmp_path)
    deadline = time.monotonic() + 60
    while not started.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)  # kill -9: no clean-up runs
    proc.wait(timeout=30)
    left = list(tmp_path.glob(".o.txt.*.part"))
    assert len(left) == 1 and f".{proc.pid}-" in left[0].name
    live = tmp_path / f".o.txt.{os.getpid()}-other.part"  # a run of this process, still going
    unnamed = tmp_path / ".o.txt.abcdef.part"  # no process id: nothing tells it is stale
    live.write_text("x")
    unnamed.write_text("x")
    code, _, err = run_cli(capsys, "preprocess", str(lee_corpus), "-o", str(out), "--lang", "en")
    assert code == 0, err
    assert out.exists() and not left[0].exists()
    assert sorted(tmp_path.glob(".o.txt.*.part")) == sorted([live, unnamed])


def test_help_shows_the_config_defaults() -> None:
    """Each option's help names the PreprocessConfig default, the one home of defaults."""
    import dataclasses
    import inspect

    from embedkit.cli.preprocess import preprocess
    from embedkit.text.config import PreprocessConfig

    defaults = PreprocessConfig()
    fields = {f.name for f in dataclasses.fields(PreprocessConfig)}
    checked = 0
    for param in inspect.signature(preprocess).parameters.values():
        field = param.name
        if field not in fields:
            continue
        value = getattr(defaults, field)
        help_text = param.default.help
        if isinstance(value, bool):
            on, off = param.default.param_decls[0].split("/")
            assert help_text.endswith(f"(default: {on if value else off})"), (field, help_text)
        else:
            assert f"(default: {'none' if value is None else value}" in help_text, (field, help_text)
        checked += 1
    assert checked >= 20  # every step's option (nfkc has none)


def _folder_of_mixed_suffixes(tmp_path: Path) -> Path:
    folder = tmp_path / "book"
    folder.mkdir()
    (folder / "intro.txt").write_text("intro words\n", encoding="utf-8")
    (folder / "ch.01").write_text("chapter one\n", encoding="utf-8")
    (folder / "page.html").write_text("html page\n", encoding="utf-8")
    (folder / "data.xml").write_text("xml data\n", encoding="utf-8")
    return folder


def test_folder_says_which_files_it_skipped(tmp_path) -> None:
    folder = _folder_of_mixed_suffixes(tmp_path)
    out = tmp_path / "o.txt"
    proc = subprocess.run([sys.executable, "-m", "embedkit", "preprocess", str(folder), "-o", str(out)],
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    assert out.read_text(encoding="utf-8") == "intro words\n"
    assert "skipped 3 files" in proc.stderr and "ch.01" in proc.stderr and "--glob" in proc.stderr


def test_explicit_glob_decides_which_files_are_read(tmp_path, capsys) -> None:
    folder = _folder_of_mixed_suffixes(tmp_path)
    out = tmp_path / "o.txt"
    code, _, err = run_cli(capsys, "preprocess", str(folder), "-o", str(out), "--glob", "*.xml")
    assert code == 0, err
    assert out.read_text(encoding="utf-8") == "xml data\n"
    code, _, err = run_cli(capsys, "preprocess", str(folder), "-o", str(out), "--glob", "ch.*")
    assert code == 0, err
    assert out.read_text(encoding="utf-8") == "chapter one\n"


def test_folder_of_only_other_suffixes_names_them_in_the_error(tmp_path, capsys) -> None:
    folder = tmp_path / "web"
    folder.mkdir()
    (folder / "a.html").write_text("one\n", encoding="utf-8")
    out = tmp_path / "o.txt"
    code, _, err = run_cli(capsys, "preprocess", str(folder), "-o", str(out))
    assert_user_error(code, err, out)
    assert "a.html" in err and "--glob" in err


@pytest.mark.parametrize("make", ["dev_zero", "huge", "folder"])
def test_stopword_file_is_read_with_a_size_cap(tmp_path, capsys, make: str) -> None:
    src = tmp_path / "in.txt"
    src.write_text("the cat\n", encoding="utf-8")
    if make == "dev_zero":
        if not os.path.exists("/dev/zero"):
            pytest.skip("no /dev/zero here")
        stop = Path("/dev/zero")
    elif make == "huge":
        stop = tmp_path / "stop.txt"
        with open(stop, "wb") as handle:
            handle.truncate(200 << 20)  # sparse: 200 MB of apparent size, no disk
    else:
        stop = tmp_path
    out = tmp_path / "o.txt"
    code, _, err = run_cli(capsys, "preprocess", str(src), "-o", str(out), "--stopwords",
                           "--stopwords-file", str(stop))
    assert_user_error(code, err, out)
    assert str(stop) in err and "stop-word file" in err


def test_stopword_file_with_a_nul_byte_is_binary(tmp_path, capsys) -> None:
    src = tmp_path / "in.txt"
    src.write_text("the cat\n", encoding="utf-8")
    stop = tmp_path / "stop.txt"
    stop.write_bytes(b"cat\ndog\x00\n")
    out = tmp_path / "o.txt"
    code, _, err = run_cli(capsys, "preprocess", str(src), "-o", str(out), "--stopwords", "--stopwords-file", str(stop))
    assert_user_error(code, err, out)
    assert "stop.txt, line 2" in err and "binary" in err


def test_ptb_placeholders_stay_whole(tmp_path, capsys) -> None:
    src = tmp_path / "ptb.txt"
    src.write_text(" the <unk> rose N % to $ N billion \n", encoding="utf-8")
    out = tmp_path / "o.txt"
    for tokenizer in ("regex", "nltk", "razdel"):
        code, _, err = run_cli(capsys, "preprocess", str(src), "-o", str(out), "--tokenizer", tokenizer)
        assert code == 0, err
        assert out.read_text(encoding="utf-8") == "the <unk> rose n to n billion\n", tokenizer
        code, _, err = run_cli(capsys, "preprocess", str(src), "-o", str(out), "--tokenizer", tokenizer,
                               "--keep-case")
        assert code == 0, err
        assert out.read_text(encoding="utf-8") == "the <unk> rose N to N billion\n", tokenizer


def test_a_stopword_file_without_stopwords_is_an_error_not_ignored(tmp_path, capsys) -> None:
    src = tmp_path / "in.txt"
    src.write_text("the cat\n", encoding="utf-8")
    out = tmp_path / "o.txt"
    code, _, err = run_cli(capsys, "preprocess", str(src), "-o", str(out), "--stopwords-file", str(tmp_path / "s.txt"))
    assert_user_error(code, err, out)
    assert "stopwords_file" in err and "--stopwords" in err


@pytest.mark.parametrize("failure", [
    MemoryError(),
    RuntimeError("[enforce fail at alloc_cpu.cpp:127] err == 0. DefaultCPUAllocator: can't allocate memory: "
                 "you tried to allocate 320000000000 bytes. Error code 12 (Cannot allocate memory)"),
])
def test_running_out_of_memory_is_one_line_and_leaves_no_half_file(tmp_path, monkeypatch, capsys, failure) -> None:
    code, err, out = _preprocess_failing(tmp_path, monkeypatch, capsys, failure)
    assert_user_error(code, err, out)
    assert err.startswith("error: out of memory") and "Traceback" not in err
    if isinstance(failure, RuntimeError):
        assert "320,000,000,000 bytes" in err


def test_other_runtime_errors_are_not_taken_for_memory(tmp_path, monkeypatch, capsys) -> None:
    with pytest.raises(RuntimeError, match="a bug"):
        _preprocess_failing(tmp_path, monkeypatch, capsys, RuntimeError("a bug"))
