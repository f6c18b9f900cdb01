"""Stop-word lists: bundled English and Russian lists plus a user's file.

List files hold one word a line; ``#`` starts a comment; a line ``word negation`` marks a negation,
which stays in the text unless negation removal is asked for (it flips sentiment).
"""

from __future__ import annotations

import functools
from pathlib import Path

from embedkit.io import read_option_file
from embedkit.resources import resource_path


def _parse(text: str, remove_negation: bool) -> frozenset[str]:
    words = set()
    for line in text.splitlines():
        fields = line.split("#", 1)[0].split()
        if not fields:
            continue
        if len(fields) > 1 and fields[1] == "negation" and not remove_negation:
            continue
        words.add(fields[0].lower())
    return frozenset(words)


@functools.lru_cache(maxsize=8)
def bundled_stopwords(lang: str, remove_negation: bool = False) -> frozenset[str]:
    """The inspected list shipped in ``resources/stopwords/{lang}.txt``."""
    return _parse(resource_path("stopwords", f"{lang}.txt").read_text(encoding="utf-8"), remove_negation)


def load_stopwords(path: str | Path, remove_negation: bool = False) -> frozenset[str]:
    """A user's stop-word file (same format as the bundled ones; negation marks are honoured)."""
    return _parse(read_option_file(path, "stop-word file"), remove_negation)


def stopword_set(lang: str, remove_negation: bool = False, user_file: str | Path | None = None) -> frozenset[str]:
    """Stop words for ``lang`` (``auto`` takes both languages), plus the user's file."""
    langs = ("en", "ru") if lang == "auto" else (lang,)
    words: set[str] = set()
    for code in langs:
        words |= bundled_stopwords(code, remove_negation)
    if user_file:
        words |= load_stopwords(user_file, remove_negation)
    return frozenset(words)
