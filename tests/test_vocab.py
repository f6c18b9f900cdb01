"""Vocab: counting, cuts, specials, encode/decode, JSON; and the [vocab] stage of `embedkit run`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cli_helpers import stage_context

from embedkit.config import config_from_dict
from embedkit.errors import ConfigError, InputError, ModelFormatError
from embedkit.io import iter_token_lists
from embedkit.run.stage_vocab import stage
from embedkit.text.config import SPECIALS
from embedkit.vocab import Vocab, VocabConfig, count_tokens, vocab_report

DOCS = [["b", "a", "c", "a"], ["a", "b", "d"], ["e"]]


def test_counts_and_order() -> None:
    vocab = Vocab.build(DOCS)
    assert vocab.itos[:4] == list(SPECIALS)
    assert vocab.itos[4:] == ["a", "b", "c", "d", "e"]  # by count, ties by first appearance
    assert vocab.counts["a"] == 3 and vocab.counts["b"] == 2 and vocab.counts["e"] == 1
    assert len(vocab) == 9 and "a" in vocab and "z" not in vocab


def test_min_count_and_max_vocab() -> None:
    assert Vocab.build(DOCS, min_count=2).itos[4:] == ["a", "b"]
    assert Vocab.build(DOCS, max_vocab=3).itos[4:] == ["a", "b", "c"]
    assert Vocab.build(DOCS, min_count=2, max_vocab=1).itos[4:] == ["a"]


def test_max_size_is_the_old_name_of_max_vocab() -> None:
    from embedkit.config import RenamedOptionWarning

    with pytest.warns(RenamedOptionWarning, match="'max_size' in Vocab.build is now 'max_vocab'"):
        assert Vocab.build(DOCS, max_size=3).itos[4:] == ["a", "b", "c"]
    with pytest.warns(RenamedOptionWarning, match=r"'max_size' in \[vocab\] is now 'max_vocab'"):
        assert config_from_dict(VocabConfig, {"max_size": 2}, "vocab") == VocabConfig(max_vocab=2)
    with pytest.raises(ConfigError, match="not both"):
        Vocab.build(DOCS, max_vocab=3, max_size=3)


def test_specials_order_and_none() -> None:
    vocab = Vocab.build(DOCS, specials=("<eos>", "<unk>"))
    assert vocab.itos[:2] == ["<eos>", "<unk>"] and vocab.unk_id == 1 and vocab.eos_id == 0
    bare = Vocab.build(DOCS, specials=())
    assert bare.itos[0] == "a" and bare.specials == ()
    with pytest.raises(KeyError):
        bare.encode(["zzz"])


def test_special_in_text_is_not_counted_as_word() -> None:
    vocab = Vocab.build([["<unk>", "a"]])
    assert vocab.itos.count("<unk>") == 1


def test_encode_decode_round_trip_and_unk() -> None:
    vocab = Vocab.build(DOCS)
    ids = vocab.encode(["a", "b", "zzz"], add_bos=True, add_eos=True)
    assert ids[0] == vocab.bos_id and ids[-1] == vocab.eos_id and ids[3] == vocab.unk_id
    assert vocab.decode(ids) == ["<bos>", "a", "b", "<unk>", "<eos>"]
    assert vocab.decode(ids, skip_specials=True) == ["a", "b"]
    assert vocab.decode(vocab.encode(["c", "d", "a"])) == ["c", "d", "a"]
    assert vocab["zzz"] == vocab.unk_id


def test_decode_rejects_ids_outside_the_vocabulary_rather_than_wrapping_round() -> None:
    vocab = Vocab.build(DOCS)
    for bad in (-1, len(vocab)):
        with pytest.raises(IndexError, match=f"id {bad} is outside the vocabulary"):
            vocab.decode([vocab["a"], bad])


def test_coverage_is_the_share_of_known_tokens() -> None:
    vocab = Vocab.build(DOCS, min_count=2)
    assert vocab.coverage(DOCS) == pytest.approx(5 / 8)
    assert vocab.coverage([]) == 0.0


def test_save_load_round_trip(tmp_path: Path) -> None:
    vocab = Vocab.build(DOCS, min_count=1)
    path = tmp_path / "sub" / "vocab.json"
    vocab.save(path)
    again = Vocab.load(path)
    assert again.itos == vocab.itos and again.counts == vocab.counts and again.specials == vocab.specials
    assert again.encode(["a", "zzz"]) == vocab.encode(["a", "zzz"])
    assert [p.name for p in path.parent.iterdir()] == ["vocab.json"]  # no temporary left behind


@pytest.mark.parametrize(
    "text",
    [
        "{not json",
        '{"format": "other/1", "itos": []}',
        "[1, 2]",
        '{"format": "embedkit.vocab/1", "itos": 5}',
        '{"format": "embedkit.vocab/1", "itos": ["a", "a"]}',
        '{"format": "embedkit.vocab/1", "itos": ["a"], "counts": ["x"]}',
        '{"format": "embedkit.vocab/1", "itos": ["a", "b"], "counts": [3]}',
        '{"format": "embedkit.vocab/1", "itos": ["a"], "counts": [3, 2]}',
    ],
)
def test_corrupt_json_is_model_format_error(tmp_path: Path, text: str) -> None:
    path = tmp_path / "vocab.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ModelFormatError) as info:
        Vocab.load(path)
    assert "\n" not in str(info.value)


def test_missing_file_is_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError):
        Vocab.load(tmp_path / "nope.json")


def test_empty_after_min_count_says_what_to_do() -> None:
    with pytest.raises(ConfigError, match=r"min_count=5.*lower min_count.*seen 3 times"):
        Vocab.build(DOCS, min_count=5)


def test_bad_config_values_are_config_errors() -> None:
    with pytest.raises(ConfigError):
        VocabConfig(min_count=0)
    with pytest.raises(ConfigError):
        VocabConfig(max_vocab=-1)


def test_report_of_token_files_counts_tokens_types_and_coverage(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("b a  c a\n\na b d\n", encoding="utf-8")
    (tmp_path / "b.jsonl").write_text('{"tokens": ["e"]}\n', encoding="utf-8")
    lists = iter_token_lists([tmp_path / "a.txt", tmp_path / "b.jsonl"])
    vocab, summary = vocab_report(count_tokens(lists), VocabConfig(min_count=2), top=1)
    assert summary["size"] == len(vocab) == 6
    assert summary["tokens"] == 8 and summary["types"] == 5
    assert summary["coverage"] == pytest.approx(5 / 8)
    assert summary["top"] == [["a", 3]]


def test_token_files_without_tokens_are_an_input_error(tmp_path: Path) -> None:
    (tmp_path / "empty.txt").write_text("\n  \n", encoding="utf-8")
    with pytest.raises(InputError, match="no tokens"):
        count_tokens(iter_token_lists([tmp_path / "empty.txt"]))


def test_stage_from_artifact_and_from_input(tmp_path: Path) -> None:
    tokens = tmp_path / "tokens.txt"
    tokens.write_text("b a c a\na b d\ne\n", encoding="utf-8")
    ctx, _ = stage_context(tmp_path)
    ctx.artifacts["tokens"] = tokens
    summary = stage({"min_count": 2}, ctx)
    assert ctx.artifacts["vocab"] == tmp_path / "run" / "vocab.json"
    assert Vocab.load(ctx.artifacts["vocab"]).itos[4:] == ["a", "b"]
    assert summary["size"] == 6 and summary["coverage"] == pytest.approx(5 / 8)
    json.dumps(summary)  # figures only
    ctx2, _ = stage_context(tmp_path / "other")
    assert stage({"input": str(tokens), "max_vocab": 1}, ctx2)["size"] == 5
    ctx3, _ = stage_context(tmp_path)
    (tmp_path / "rel.txt").write_text("x y\n", encoding="utf-8")
    assert stage({"input": ["rel.txt"], "specials": []}, ctx3)["size"] == 2


def test_stage_without_input_with_an_unknown_option_or_a_missing_file_writes_nothing(tmp_path: Path) -> None:
    ctx, _ = stage_context(tmp_path)
    with pytest.raises(ConfigError, match="needs an 'input'"):
        stage({}, ctx)
    with pytest.raises(ConfigError, match="unknown option 'min_cnt' in \\[vocab\\]"):
        stage({"input": "x.txt", "min_cnt": 2}, ctx)
    with pytest.raises(InputError, match="no such file"):
        stage({"input": "missing.txt"}, ctx)
    assert not (tmp_path / "run" / "vocab.json").exists()


def test_no_tokens_at_all_and_a_string_for_a_token_list_are_input_errors() -> None:
    with pytest.raises(InputError, match="no tokens"):
        Vocab.build([])
    with pytest.raises(InputError, match="no tokens"):
        Vocab.build([[], []])
    with pytest.raises(InputError, match="a string, not a list of tokens"):
        Vocab.build(["the cat sat"])


def test_a_special_token_in_the_corpus_keeps_its_count() -> None:
    vocab = Vocab.build([["<unk>", "a", "<unk>"], ["a", "b"]])
    assert vocab.counts["<unk>"] == 2 and vocab.counts["a"] == 2 and "<pad>" not in vocab.counts
    assert vocab.itos[:4] == ["<pad>", "<unk>", "<bos>", "<eos>"]
