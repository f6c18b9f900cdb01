"""Reading labelled texts (training/labelled.py): tables with or without a header, JSON lines, fastText labels,
one file per label, plain texts to predict, and the held-out split."""

from __future__ import annotations

import pytest

from embedkit.errors import InputError
from embedkit.training.labelled import parse_labelled, read_label_files, read_texts, split_holdout


def test_labelled_lines_in_every_format_and_their_errors() -> None:
    assert parse_labelled(["text\tlabel", "a b\tpos", "c\tneg"]) == (["a b", "c"], ["pos", "neg"])
    assert parse_labelled(["pos\tgood film", "neg\tbad film", "pos\tnice"])[1] == ["pos", "neg", "pos"]
    assert parse_labelled(["__label__pos good film", "__label__neg bad"]) == (["good film", "bad"], ["pos", "neg"])
    assert parse_labelled(['{"review": "x", "y": 1}'], text_col="review", label_col="y") == (["x"], ["1"])
    assert parse_labelled(['sentence,stars', '"a, b",5', 'c,1'], "x.csv", "sentence", "stars") == (
        ["a, b", "c"], ["5", "1"])
    with pytest.raises(InputError, match="label"):
        parse_labelled(["text", "a", "b"])
    with pytest.raises(InputError, match="label"):
        parse_labelled(["text\tlabel", "a\tpos"], label_col="stars")
    with pytest.raises(InputError):
        parse_labelled(["a\tb\tc"])
    with pytest.raises(InputError):
        parse_labelled(["text\tlabel", "only-text"])


def test_read_texts_plain_lines_and_tables(tmp_path) -> None:
    plain = tmp_path / "plain.txt"
    plain.write_text("good film\nbad, bad film\n")
    assert read_texts(plain) == ["good film", "bad, bad film"]
    table = tmp_path / "t.tsv"
    table.write_text("label\ttext\npos\tgood\n")
    assert read_texts(table) == ["good"]


def test_one_file_per_label_and_a_seeded_holdout_split(tmp_path) -> None:
    (tmp_path / "pos.txt").write_bytes("great film\nlovely\n\nfine caf\u00e9\n".encode("cp1252"))
    (tmp_path / "neg.txt").write_bytes(b"dull\nawful plot\n")
    texts, labels = read_label_files({"pos": tmp_path / "pos.txt", "neg": tmp_path / "neg.txt"}, "cp1252")
    assert texts == ["great film", "lovely", "fine caf\u00e9", "dull", "awful plot"]
    assert labels == ["pos", "pos", "pos", "neg", "neg"]
    (kept, held) = split_holdout(texts, labels, 0.4, seed=3)
    assert len(held[0]) == 2 and len(kept[0]) == 3
    assert sorted(kept[0] + held[0]) == sorted(texts)
    pairs = set(zip(texts, labels, strict=True))
    assert set(zip(*kept, strict=True)) | set(zip(*held, strict=True)) == pairs, "labels stay with their texts"
    assert split_holdout(texts, labels, 0.4, seed=3) == (kept, held)


def test_a_table_with_a_header_only_holds_no_texts() -> None:
    with pytest.raises(InputError, match="no texts in the input"):
        parse_labelled(["text\tlabel"], "x.tsv")
    with pytest.raises(InputError, match="no texts in the input"):
        parse_labelled(["text\tlabel"], "x.tsv", need_label=False)


@pytest.mark.parametrize("line, what", [
    ('{"text": ["a", "b"], "label": "pos"}', "text"),
    ('{"text": null, "label": "pos"}', "text"),
    ('{"text": 3, "label": "pos"}', "text"),
    ('{"text": "a", "label": null}', "label"),
    ('{"text": "a", "label": ["pos"]}', "label"),
    ('{"text": "a", "label": true}', "label"),
    ('{"text": "a", "label": 0.5}', "label"),
])
def test_json_values_that_are_not_strings_name_the_file_and_line(line: str, what: str) -> None:
    with pytest.raises(InputError, match=rf"x\.jsonl, line 2: .*'{what}'.*string"):
        parse_labelled(['{"text": "fine", "label": "neg"}', line], "x.jsonl")


def test_whole_number_json_labels_are_label_names() -> None:
    assert parse_labelled(['{"text": "a", "label": 0}', '{"text": "b", "label": 1}'], "x.jsonl")[1] == ["0", "1"]


def test_a_folder_given_as_the_labelled_file_is_named_as_a_folder(tmp_path) -> None:
    from embedkit.training.labelled import read_labelled

    with pytest.raises(InputError, match="is a folder, not a file"):
        read_labelled(tmp_path)
    with pytest.raises(InputError, match="is a folder, not a file"):
        read_texts(tmp_path)
