"""Every command that reads a user's text goes through one checked decoder (embedkit.io): a binary file, bytes in
another encoding, or a NUL byte anywhere is one error line naming the file and line, exit 2, no output."""

from __future__ import annotations

import os
import random

import pytest
from cli_helpers import run_cli
from hypothesis import given, settings
from hypothesis import strategies as st

from embedkit.errors import InputError
from embedkit.io import check_text, iter_line_pieces, iter_lines, iter_token_lists, iter_token_pieces, suggest_encoding

GOOD_LINE = b"the cat sat on the mat and the dog sat on the log\n"
GOOD = GOOD_LINE * 400  # 20 KB: more than the head a quick binary probe looks at
LABELLED = b"pos\tthe cat sat on the mat\nneg\tthe dog sat on the log\n" * 300

COMMANDS = {
    "preprocess": ("preprocess", "{src}", "-o", "{out}"),
    "vocab build": ("vocab", "build", "{src}", "-o", "{out}"),
    "subword train": ("subword", "train", "{src}", "-o", "{out}", "--vocab-size", "40"),
    "w2v train": ("w2v", "train", "{src}", "-o", "{out}", "--min-count", "1", "--epochs", "1", "--workers", "1"),
    "ngram train": ("ngram", "train", "{src}", "-o", "{out}"),
    "lm train": ("lm", "train", "{src}", "-o", "{out}", "--epochs", "1"),
    "clf train": ("clf", "train", "{src}", "-o", "{out}", "--epochs", "1"),
}


def _bad_inputs(command: str) -> dict[str, tuple[bytes, str]]:
    """Bad files for a command, each with what its error names (the file's line, or the word binary)."""
    good = LABELLED if command == "clf train" else GOOD
    row = b"pos\t" if command == "clf train" else b""
    lines = good.count(b"\n")
    return {
        "late NUL": (good + row + b"the cat\x00sat\n" + good, f"line {lines + 1}"),
        "cp1251": (good + row + "кошка сидит на ковре\n".encode("cp1251"), f"line {lines + 1}"),
        "random bytes": (random.Random(1).randbytes(30000), "binary"),
    }


@pytest.mark.parametrize("kind", ["late NUL", "cp1251", "random bytes"])
@pytest.mark.parametrize("command", list(COMMANDS))
def test_every_reader_rejects_bad_text_with_one_line(tmp_path, capsys, command: str, kind: str) -> None:
    data, needle = _bad_inputs(command)[kind]
    src = tmp_path / ("data.tsv" if command == "clf train" else "data.txt")
    src.write_bytes(data)
    out = tmp_path / "out"
    args = [a.format(src=src, out=out) for a in COMMANDS[command]]
    code, _, err = run_cli(capsys, *args)
    assert code == 2, err
    assert err.startswith("error: ") and err.count("\n") == 1, err
    assert str(src) in err and needle in err
    if kind == "late NUL":
        assert "binary" in err
    assert not out.exists()


def test_nul_anywhere_is_a_binary_file_naming_its_line(tmp_path) -> None:
    src = tmp_path / "a.txt"
    src.write_bytes(GOOD + b"x\x00y\n")
    with pytest.raises(InputError, match=r"a\.txt, line 401: .*binary file"):
        list(iter_lines([src]))
    with pytest.raises(InputError, match=r"a\.txt, line 401: .*binary file"):
        check_text([src])


def test_check_text_passes_good_text_and_names_the_bad_line(tmp_path) -> None:
    good = tmp_path / "good.txt"
    good.write_bytes(GOOD + "ёлка\n".encode())
    check_text([good])
    bad = tmp_path / "bad.txt"
    bad.write_bytes(GOOD * 60 + "ёлка\n".encode("cp1251"))  # past the first 1 MB block
    with pytest.raises(InputError, match=r"bad\.txt, line 24001: bytes are not valid utf-8.*cp1251"):
        check_text([bad])


def test_utf16_text_with_its_declared_encoding_is_not_binary(tmp_path) -> None:
    src = tmp_path / "u16.txt"
    src.write_bytes("one two\nthree\n".encode("utf-16"))
    assert list(iter_lines([src], "utf-16")) == ["one two", "three"]


MR_LIKE = "it's a clich\xe9d, na\xefve m\xe9lange \u2013 hmmm\u2026 the caf\xe9 was fine.\n".encode("cp1252")
RU_LIKE = "Все счастливые семьи похожи друг на друга, и он сказал: «Да».\n".encode("cp1251")


def test_encoding_hint_goes_by_script() -> None:
    assert suggest_encoding(MR_LIKE * 3) == "cp1252"
    assert suggest_encoding(RU_LIKE * 3) == "cp1251"
    assert suggest_encoding("В\n".encode("cp1251")) == "cp1251"
    assert suggest_encoding(b"\x93quoted\x94 \x97 dash") == "cp1252"


def test_a_cp1252_review_file_gets_the_cp1252_hint(tmp_path, capsys) -> None:
    src = tmp_path / "rt-polarity.neg"
    src.write_bytes(b"simple first line\n" + MR_LIKE)
    out = tmp_path / "o.txt"
    code, _, err = run_cli(capsys, "preprocess", str(src), "-o", str(out))
    assert code == 2 and "line 2" in err and "--encoding cp1252" in err and "cp1251" not in err


def test_real_mr_file_gets_the_cp1252_hint(shared_data, tmp_path) -> None:
    src = shared_data / "en_mr_polarity" / "rt-polarity.neg"
    with pytest.raises(InputError, match="cp1252") as info:
        list(iter_lines([src]))
    assert "cp1251" not in str(info.value)


def test_real_russian_novel_in_cp1251_gets_the_cp1251_hint(shared_data, tmp_path) -> None:
    text = (shared_data / "ru_literature" / "anna_karenina.txt").read_text(encoding="utf-8")[:200000]
    src = tmp_path / "anna.txt"
    src.write_bytes(text.encode("cp1251", errors="replace"))
    with pytest.raises(InputError, match=r"anna\.txt, line \d+: .*cp1251"):
        list(iter_lines([src]))


def test_dev_zero_is_binary_at_once() -> None:
    if not os.path.exists("/dev/zero"):
        pytest.skip("no /dev/zero on this system")
    with pytest.raises(InputError, match="binary"):
        check_text(["/dev/zero"])


# ---- lines read in blocks, and long lines in bounded pieces for the counting stages ----------------------


def test_lines_read_in_blocks_match_a_plain_split(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr("embedkit.io.reading._READ_BLOCK", 7)  # cuts lines and two-byte letters across blocks
    text = "первая строка\r\nвторая\n\nёлка и ель\nlast без перевода"
    src = tmp_path / "t.txt"
    src.write_text(text, encoding="utf-8", newline="")
    assert list(iter_lines([src])) == [line.rstrip("\r") for line in text.split("\n")]
    bad = tmp_path / "bad.txt"
    bad.write_bytes("один\nдва\n".encode() + "три\n".encode("cp1251") + b"four\n")
    with pytest.raises(InputError, match="line 3: bytes are not valid utf-8"):
        list(iter_lines([bad]))


def _lines_from_pieces(pieces: list[tuple[str, bool]]) -> list[str]:
    lines, open_line = [], ""
    for text, ends in pieces:
        open_line += text
        if ends:
            lines.append(open_line)
            open_line = ""
    assert open_line == "", "the last piece of the file must end its line"
    return lines


@settings(max_examples=150, deadline=None)
@given(text=st.text(alphabet=st.sampled_from("ab ё\t\n\u3000xy"), max_size=300),
       block=st.integers(1, 9), limit=st.integers(1, 12))
def test_pieces_join_into_the_lines_and_never_cut_a_token(tmp_path_factory, text: str, block: int,
                                                          limit: int) -> None:
    src = tmp_path_factory.mktemp("io") / "t.txt"
    src.write_text(text, encoding="utf-8", newline="")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("embedkit.io.reading._READ_BLOCK", block)
        pieces = list(iter_line_pieces([src], max_chars=limit))
        token_pieces = list(iter_token_pieces([src], max_chars=limit))
    assert _lines_from_pieces(pieces) == list(iter_lines([src]))
    lines = iter(iter_token_lists([src]))
    tokens: list[str] = []
    for (text_piece, ends), (piece_tokens, token_ends) in zip(pieces, token_pieces, strict=True):
        assert ends == token_ends and piece_tokens == text_piece.split()
        if not ends:
            assert piece_tokens, "a cut line has a token in every piece"
        tokens += piece_tokens
        if ends:
            assert tokens == next(lines)  # no token was cut in two
            tokens = []


def test_a_huge_line_comes_in_bounded_pieces(tmp_path) -> None:
    words = [f"w{i % 977}" for i in range(50_000)]
    src = tmp_path / "one.txt"
    src.write_text(" ".join(words) + "\nshort line\n", encoding="utf-8")
    pieces = list(iter_token_pieces([src], max_chars=5000))
    assert max(len(" ".join(tokens)) for tokens, _ in pieces) <= 2 * 5000
    assert [ends for _, ends in pieces].count(True) == 2 and len(pieces) > len(" ".join(words)) // 10_000
    assert [tok for tokens, _ in pieces[:-1] for tok in tokens] == words
    assert pieces[-1] == (["short", "line"], True)
    assert list(iter_token_pieces([src], max_chars=None)) == [(words, True), (["short", "line"], True)]


def test_jsonl_lines_come_whole(tmp_path) -> None:
    src = tmp_path / "t.jsonl"
    src.write_text('{"tokens": ["a", "b", "c"]}\n\n{"tokens": []}\n', encoding="utf-8")
    assert list(iter_token_pieces([src], max_chars=1)) == [(["a", "b", "c"], True), ([], True)]


def test_token_lists_from_text_and_jsonl_files(tmp_path) -> None:
    (tmp_path / "a.txt").write_text("b a  c a\n\na b d\n", encoding="utf-8")
    (tmp_path / "b.jsonl").write_text('{"tokens": ["e"]}\n', encoding="utf-8")
    lists = list(iter_token_lists([tmp_path / "a.txt", tmp_path / "b.jsonl"]))
    assert lists == [["b", "a", "c", "a"], [], ["a", "b", "d"], ["e"]]
    (tmp_path / "bad.jsonl").write_text('{"toks": []}\n', encoding="utf-8")
    with pytest.raises(InputError, match="line 1"):
        list(iter_token_lists([tmp_path / "bad.jsonl"]))


def test_an_option_file_in_another_encoding_is_told_to_be_saved_in_it(tmp_path) -> None:
    from embedkit.io import read_option_file

    path = tmp_path / "stop.txt"
    path.write_bytes("и\nв\nне\nна\nкот\n".encode("cp1251"))
    with pytest.raises(InputError, match="save the stop-word file as utf-8") as info:
        read_option_file(path, "stop-word file")
    assert "--encoding" not in str(info.value)
    junk = tmp_path / "junk.bin"
    junk.write_bytes(bytes(range(256)) * 4)
    with pytest.raises(InputError, match="looks like a binary file"):
        read_option_file(junk, "TOML file")


def test_require_file_names_what_the_path_is(tmp_path) -> None:
    from embedkit.io import require_file

    (tmp_path / "x").write_text("a")
    assert require_file(tmp_path / "x", "token file") == tmp_path / "x"
    with pytest.raises(InputError, match="no such token file"):
        require_file(tmp_path / "missing", "token file")
    with pytest.raises(InputError, match="is a folder, not a token file"):
        require_file(tmp_path, "token file")
    with pytest.raises(InputError, match="is not a regular file"):
        require_file("/dev/null", "token file")


def test_a_utf8_bom_is_not_text(tmp_path) -> None:
    path = tmp_path / "bom.txt"
    path.write_bytes(b"\xef\xbb\xbfHello world\nHello again\n")
    assert list(iter_lines([path])) == ["Hello world", "Hello again"]


@pytest.mark.parametrize("encoding", ["rot13", "base64", "hex", "zlib", "utf-16"])
def test_codecs_that_are_not_text_encodings_or_fail_oddly_are_one_line_errors(tmp_path, encoding: str) -> None:
    path = tmp_path / "s.txt"
    path.write_bytes(b"hello world\n")
    with pytest.raises(InputError, match=encoding.replace("-", ".")):
        list(iter_lines([path], encoding))
