"""What worker processes pass each other: cache entries packed into two strings, exactly."""

from hypothesis import given
from hypothesis import strategies as st

from embedkit.text import cache_entries
from embedkit.text.cache_entries import join, pack, unpack


def test_packed_entries_round_trip_with_dropped_tokens() -> None:
    packed = pack(["кошками", "the", "бежал"], ["кошка", "", "бежать"])
    assert packed == ("кошками\nthe\nбежал", "кошка\n\nбежать")
    assert unpack(packed) == {"кошками": "кошка", "the": "", "бежал": "бежать"}


def test_entries_that_hold_a_newline_travel_as_a_dict() -> None:
    odd = pack(["a\nb", "c"], ["ab", "c\nd"])
    assert odd == {"a\nb": "ab", "c": "c\nd"}
    assert unpack(join([pack(["x"], ["y"]), odd])) == {"x": "y", "a\nb": "ab", "c": "c\nd"}


def test_nothing_learned_packs_to_nothing() -> None:
    assert unpack(pack([], [])) == {}
    assert join([]) == {} and join([pack([], []), {}]) == {}


def test_pieces_join_into_one_pair_of_strings_later_pieces_winning() -> None:
    pieces = [pack(["a", "b"], ["1", "2"]), pack(["c"], ["3"]), pack(["a"], ["4"])]
    assert join(pieces) == ("a\nb\nc\na", "1\n2\n3\n4")
    cache = {"z": "0"}
    cache_entries.update(cache, join(pieces))
    assert cache == {"z": "0", "a": "4", "b": "2", "c": "3"}


entry_lists = st.lists(st.tuples(st.text(), st.text()), max_size=20)


@given(st.lists(entry_lists, max_size=5))
def test_any_pieces_come_back_as_the_entries_they_packed(pieces) -> None:
    packed = [pack([key for key, _ in entries], [form for _, form in entries]) for entries in pieces]
    assert unpack(join(packed)) == {key: form for entries in pieces for key, form in entries}


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
