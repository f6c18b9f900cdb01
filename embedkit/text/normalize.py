"""Unicode normalisation and masking: the first step of every pipeline."""

from __future__ import annotations

import re
import unicodedata

from embedkit.config import PreprocessConfig

URL_TOKEN, EMAIL_TOKEN, NUMBER_TOKEN = "<url>", "<email>", "<num>"
MASK_TOKENS = (URL_TOKEN, EMAIL_TOKEN, NUMBER_TOKEN)

URL_RE = re.compile(r"(?:https?://|ftp://|www\.)[^\s<>\"']+[^\s<>\"'.,;:!?)\]]", re.IGNORECASE)
EMAIL_RE = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
NUMBER_RE = re.compile(r"(?<![\w<])[+-]?\d+(?:[.,:]\d+)*(?![\w>])")


def normalize(text: str, config: PreprocessConfig) -> str:
    """NFKC, masks (URLs before e-mails before numbers, so each sees whole units), case, ``ё``."""
    if config.nfkc and not unicodedata.is_normalized("NFKC", text):  # most text is: a quick check, no copy
        text = unicodedata.normalize("NFKC", text)
    if config.mask_urls:
        text = URL_RE.sub(f" {URL_TOKEN} ", text)
    if config.mask_emails:
        text = EMAIL_RE.sub(f" {EMAIL_TOKEN} ", text)
    if config.mask_numbers:
        text = NUMBER_RE.sub(f" {NUMBER_TOKEN} ", text)
    if config.lowercase:
        text = text.lower()
    if config.yo_to_e:
        text = text.replace("ё", "е").replace("Ё", "Е")
    return text
