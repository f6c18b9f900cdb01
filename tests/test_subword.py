"""SubwordModel (BPE, unigram via HF tokenizers) on gensim's Lee corpus; and the [subword] run stage."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from cli_helpers import stage_context

from embedkit.errors import ConfigError, InputError, ModelFormatError
from embedkit.run.stage_subword import stage
from embedkit.text.config import SubwordConfig
from embedkit.text.subword import HISTOGRAM_BINS, SubwordModel


@pytest.fixture(scope="module")
def lee_lines(lee_corpus: Path) -> list[list[str]]:
    with open(lee_corpus, encoding="utf-8") as handle:
        return [line.lower().split() for line in handle if line.strip()]


@pytest.fixture(scope="module", params=["bpe", "unigram"])
def model(request: pytest.FixtureRequest, lee_lines: list[list[str]]) -> SubwordModel:
    return SubwordModel.train(lee_lines, SubwordConfig(model=request.param, vocab_size=2000))


def test_trains_to_the_asked_size(model: SubwordModel) -> None:
    assert model.vocab_size == 2000
    assert [model.id_to_piece(i) for i in range(4)] == ["<pad>", "<unk>", "<bos>", "<eos>"]


def test_round_trip_gives_back_the_words(model: SubwordModel, lee_lines: list[list[str]]) -> None:
    for tokens in lee_lines[:50]:
        pieces = model.encode(tokens)
        assert model.decode(pieces) == " ".join(tokens)
        assert model.decode(model.encode_ids(tokens)) == " ".join(tokens)
        assert model.encode(" ".join(tokens)) == pieces
        assert [model.piece_to_id(p) for p in pieces] == model.encode_ids(tokens)


def test_pieces_never_cross_words(model: SubwordModel) -> None:
    pieces = model.encode(["the", "president", "government"])
    assert sum(p.startswith("▁") for p in pieces) == 3


def test_unseen_characters_become_unk(model: SubwordModel) -> None:
    ids = model.encode_ids("the ☃ said")
    assert model.unk_id in ids
    assert model.decode(ids) == "the <unk> said"
    assert model.decode(ids, skip_specials=True) == "the said"


def test_encode_lines_matches_encode(model: SubwordModel, lee_lines: list[list[str]]) -> None:
    lines = [" ".join(t) for t in lee_lines[:20]] + [""]
    assert list(model.encode_lines(lines)) == [model.encode(line) for line in lines]
    assert list(model.encode_lines(lines, ids=True))[0] == model.encode_ids(lines[0])


def test_save_load_gives_identical_encodings(
    model: SubwordModel, lee_lines: list[list[str]], tmp_path: Path
) -> None:
    path = tmp_path / "m.json"
    model.save(path)
    again = SubwordModel.load(path)
    assert again.config == model.config and again.vocab_size == model.vocab_size
    for tokens in lee_lines[:30]:
        assert again.encode(tokens) == model.encode(tokens)
        assert again.encode_ids(tokens) == model.encode_ids(tokens)
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["format"] == "embedkit.subword/1" and data["config"]["model"] == model.config.model
    assert [p.name for p in tmp_path.iterdir()] == ["m.json"]


def test_split_report_adds_up(model: SubwordModel, lee_lines: list[list[str]]) -> None:
    words = [w for tokens in lee_lines for w in tokens]
    report = model.split_report(words)
    assert sum(report["histogram"].values()) == report["words"] == len(words)
    assert list(report["histogram"]) == list(HISTOGRAM_BINS)
    assert report["types"] == len(set(words))
    assert report["mean_pieces"] == pytest.approx(report["pieces"] / len(words))
    assert model.split_report(model.word_counts) == report
    types = model.split_report(Counter(words).keys())
    assert types["words"] == len(set(words)) and types["mean_pieces"] > report["mean_pieces"]
    assert model.split_report([]) == {
        "words": 0,
        "types": 0,
        "pieces": 0,
        "mean_pieces": 0.0,
        "histogram": dict.fromkeys(HISTOGRAM_BINS, 0),
    }


def test_frequent_words_stay_whole(model: SubwordModel, lee_lines: list[list[str]]) -> None:
    counts = Counter(w for tokens in lee_lines for w in tokens)
    split = [w for w, _ in counts.most_common(50) if len(model.encode([w])) > 1]
    # BPE merges the most frequent words first; unigram's pruning may still cut a few (e.g. '▁' + 'were').
    assert split == [] if model.config.model == "bpe" else len(split) <= 5, split
    assert model.training_report()["whole_tokens"] > 0.5


def test_lines_and_token_lists_train_the_same(lee_lines: list[list[str]]) -> None:
    config = SubwordConfig(vocab_size=500)
    a = SubwordModel.train(lee_lines[:100], config)
    b = SubwordModel.train((" ".join(t) for t in lee_lines[:100]), config)
    assert a.tokenizer.get_vocab() == b.tokenizer.get_vocab()


@pytest.mark.parametrize("kind", ["bpe", "unigram"])
def test_one_long_line_trains_like_short_lines(kind: str, lee_lines: list[list[str]], monkeypatch) -> None:
    config = SubwordConfig(model=kind, vocab_size=500)
    short = SubwordModel.train(lee_lines[:100], config)
    monkeypatch.setattr("embedkit.text.subword._LINE_WORDS", 7)  # the trainer sees runs of 7 words
    monkeypatch.setattr("embedkit.text.subword._BATCH_CHARS", 100)
    long = SubwordModel.train([[w for tokens in lee_lines[:100] for w in tokens]], config)
    if kind == "bpe":
        assert long.tokenizer.get_vocab() == short.tokenizer.get_vocab()
    else:  # the unigram trainer numbers tied pieces in no fixed order, even on the same input
        assert set(long.tokenizer.get_vocab()) == set(short.tokenizer.get_vocab())
    assert long.word_counts == short.word_counts


@pytest.mark.parametrize("kind", ["bpe", "unigram"])
def test_vocab_size_too_small(kind: str, lee_lines: list[list[str]]) -> None:
    with pytest.raises(ConfigError, match="too small.*at least"):
        SubwordModel.train(lee_lines, SubwordConfig(model=kind, vocab_size=30))
    with pytest.raises(ConfigError, match="too small"):
        SubwordModel.train(lee_lines, SubwordConfig(model=kind, vocab_size=3))


@pytest.mark.parametrize("kind", ["bpe", "unigram"])
def test_input_without_tokens_is_an_input_error(kind: str) -> None:
    with pytest.raises(InputError, match="no tokens"):
        SubwordModel.train(["", "   ", []], SubwordConfig(model=kind))


def test_unknown_model_and_missing_unk_are_config_errors() -> None:
    with pytest.raises(ConfigError):
        SubwordConfig(model="wordpiece")
    with pytest.raises(ConfigError, match="<unk>"):
        SubwordModel.train(["a b"], SubwordConfig(specials=("<pad>",)))


@pytest.mark.parametrize(
    "text",
    [
        "{broken",
        "[]",
        '{"format": "embedkit.subword/1", "tokenizer": {"x": 1}}',
        '{"format": "embedkit.vocab/1", "itos": []}',
        '{"format": "embedkit.subword/1", "config": {"model": "x"}, "tokenizer": {}}',
    ],
)
def test_corrupt_model_file_is_a_one_line_format_error(tmp_path: Path, text: str) -> None:
    path = tmp_path / "m.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ModelFormatError) as info:
        SubwordModel.load(path)
    assert "\n" not in str(info.value)


def test_missing_model_file_or_a_folder_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError):
        SubwordModel.load(tmp_path / "nope.json")
    with pytest.raises(InputError):
        SubwordModel.load(tmp_path)


def test_stage_trains_on_the_run_tokens_or_its_input_and_checks_its_table(tmp_path: Path, lee_corpus: Path) -> None:
    ctx, _ = stage_context(tmp_path)
    ctx.artifacts["tokens"] = lee_corpus
    summary = stage({"model": "unigram", "vocab_size": 1000}, ctx)
    assert ctx.artifacts["subword"] == tmp_path / "run" / "subword.json"
    assert SubwordModel.load(ctx.artifacts["subword"]).config.model == "unigram"
    assert summary["vocab_size"] == 1000 and summary["model"] == "unigram"
    assert sum(summary["histogram_tokens"].values()) == summary["tokens"]
    json.dumps(summary)
    ctx2, _ = stage_context(tmp_path, "run2")
    assert stage({"input": "gensim:lee_background.cor", "vocab_size": 800}, ctx2)["vocab_size"] == 800
    with pytest.raises(ConfigError, match=r"\[subword\]"):
        stage({"input": "gensim:lee_background.cor", "vocab": 800}, ctx2)
    with pytest.raises(ConfigError, match="too small"):
        stage({"input": "gensim:lee_background.cor", "vocab_size": 10}, stage_context(tmp_path, "run3")[0])
    assert not (tmp_path / "run3" / "subword.json").exists()
