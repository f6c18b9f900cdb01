"""What worker processes pass each other: cache entries packed into two strings, exactly."""

from hypothesis import given
from hypothesis import strategies as st

from embedkit.text.worker_pool import pack_types, unpack_types


def test_packed_entries_round_trip_with_dropped_tokens() -> None:
    learned = {"кошками": "кошка", "the": None, "бежал": "бежать"}
    packed = pack_types(learned)
    assert packed == ("кошками\nthe\nбежал", "кошка\n\nбежать")
    assert unpack_types(packed) == learned


def test_entries_that_hold_a_newline_travel_as_a_dict() -> None:
    odd = {"a\nb": "ab", "c": "c\nd"}
    assert pack_types(odd) is odd
    assert unpack_types(pack_types(odd)) == odd


def test_nothing_learned_packs_to_nothing() -> None:
    assert unpack_types(pack_types({})) == {}


@given(st.dictionaries(st.text(), st.one_of(st.none(), st.text())))
def test_any_entries_come_back_the_same_up_to_empty_meaning_dropped(learned) -> None:
    back = unpack_types(pack_types(learned))
    assert {key: form or None for key, form in back.items()} == {key: form or None for key, form in learned.items()}


def test_the_pool_also_runs_where_processes_are_spawned_not_forked(lee_corpus, monkeypatch) -> None:
    import io

    from embedkit.text.pipeline import Pipeline

    monkeypatch.setattr("multiprocessing.get_all_start_methods", lambda: ["spawn"])
    monkeypatch.setattr("embedkit.text.pipeline.CHUNK_DOCS", 40)
    lines = lee_corpus.read_text(encoding="utf-8").splitlines()
    one, two = io.StringIO(), io.StringIO()
    Pipeline(lang="en", stem=True, stopwords=True).run(lines, one, workers=1)
    Pipeline(lang="en", stem=True, stopwords=True).run(lines, two, workers=2)
    assert two.getvalue() == one.getvalue()
