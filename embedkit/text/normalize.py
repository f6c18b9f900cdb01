"""Unicode normalisation and masking: the first step of every pipeline.

Lower-casing applies to every token: placeholders such as ``<unk>`` stay whole (the tokenisers keep them), but
Penn Treebank's number placeholder ``N`` becomes ``n`` like any capital. PTB is lower-case already, so
preprocess it with ``lowercase = false`` (``--keep-case``) to keep ``N`` apart from the letter.
"""

from __future__ import annotations

import re
import unicodedata

from embedkit.text.config import PreprocessConfig

URL_TOKEN, EMAIL_TOKEN, NUMBER_TOKEN = "<url>", "<email>", "<num>"
MASK_TOKENS = (URL_TOKEN, EMAIL_TOKEN, NUMBER_TOKEN)

URL_RE = re.compile(r"(?:https?://|ftp://|www\.)[^\s<>\"']+[^\s<>\"'.,;:!?)\]]", re.IGNORECASE)
EMAIL_RE = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# not a number glued to a word by a hyphen (``COVID-19``, ``Ту-154``: names); a range ``10-15`` is two numbers
NUMBER_RE = re.compile(r"(?<![\w<])(?<![^\W\d]-)[+-]?\d+(?:[.,:]\d+)*(?![\w>])")


# Characters NFKC keeps whatever surrounds them: starters that no composition takes as its second part
# (ASCII and the Russian alphabet). Text splits exactly before any of them, so only the runs of other
# characters need normalising, each with the character before it (a base an accent may compose with).
STABLE_CHARS = "\x00-\x7f\u0410-\u044f\u0401\u0451"
_UNSTABLE_RUN_RE = re.compile(f"[^{STABLE_CHARS}]+")


def nfkc(text: str) -> str:
    """``unicodedata.normalize("NFKC", text)``, at a fraction of the cost on text that is mostly stable.

    A line of a Russian novel with one no-break space is otherwise normalised whole, character by
    character through the composition tables: a tenth of a lemmatising run's time.
    """
    if unicodedata.is_normalized("NFKC", text):  # most text is: a quick check, no copy
        return text
    pieces: list[str] = []
    done = 0
    for run in _UNSTABLE_RUN_RE.finditer(text):
        start = max(run.start() - 1, done)
        pieces.append(text[done:start])
        pieces.append(unicodedata.normalize("NFKC", text[start:run.end()]))
        done = run.end()
    pieces.append(text[done:])
    return "".join(pieces)


# Stress marks over Cyrillic letters (``за́мок``): reading aids, not spelling. Taken off before NFKC,
# which would compose ``е`` and ``и`` with the grave into other letters (``ѐ``, ``ѝ``).
_STRESS_RE = re.compile("(?<=[\u0400-\u04ff])[\u0300\u0301]+")


def drop_stress(text: str) -> str:
    """``text`` without the acute and grave stress marks written over Cyrillic letters."""
    if "\u0301" not in text and "\u0300" not in text:  # a scan, no copy: most text has none
        return text
    return _STRESS_RE.sub("", text)


# What NFKC leaves apart though it is one spelling: invisible characters inside words (soft hyphen, zero-width
# space, word joiner, a byte-order mark mid-text) go; typographic hyphens and the curly apostrophe become
# ASCII, so ``кто‐то`` is ``кто-то`` and ``don’t`` is ``don't`` (the stop-word lists' spelling).
_TYPOGRAPHIC = {0x00AD: None, 0x200B: None, 0x2060: None, 0xFEFF: None, 0x2010: "-", 0x2011: "-", 0x2019: "'"}
_TYPOGRAPHIC_RE = re.compile("[" + "".join(map(chr, _TYPOGRAPHIC)) + "]")


def plain_typography(text: str) -> str:
    """``text`` with the characters of ``_TYPOGRAPHIC`` dropped or made ASCII."""
    if _TYPOGRAPHIC_RE.search(text) is None:  # a scan, no copy: most lines have none
        return text
    return text.translate(_TYPOGRAPHIC)


def normalize(text: str, config: PreprocessConfig) -> str:
    """Stress marks off, NFKC and plain typography, masks (URLs before e-mails before numbers, so each sees
    whole units), case, ``ё``."""
    if config.nfkc:
        text = plain_typography(nfkc(drop_stress(text)))
    if config.mask_urls:
        text = URL_RE.sub(f" {URL_TOKEN} ", text)
    if config.mask_emails:
        text = EMAIL_RE.sub(f" {EMAIL_TOKEN} ", text)
    if config.mask_numbers:
        text = NUMBER_RE.sub(f" {NUMBER_TOKEN} ", text)
    if config.lowercase:
        text = text.lower()
    if config.yo_to_e:
        text = no_yo(text)
    return text


def no_yo(text: str) -> str:
    """``ё`` written as ``е`` (the lemmatiser's normal forms bring it back, so lemmas pass through here too)."""
    return text.replace("ё", "е").replace("Ё", "Е")
