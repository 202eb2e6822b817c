"""A learner's question as the gap inbox keeps it: one form for the same words, no one's id."""

from __future__ import annotations

import re
import unicodedata

MAX_KEPT = 200
"""Characters of a question kept (the column's size)."""

_MENTIONS = re.compile(r"<(?:@[!&]?|#)\d+>|@(?:everyone|here)\b")
_EDGES = " \t?!.,;:'\"“”‘’"


def normalize_question(text: str) -> str | None:
    """`text` folded to lower case, one space between words, no mentions (they carry member
    and role ids), no control characters and no punctuation at its ends; None when nothing is
    left."""
    text = unicodedata.normalize("NFKC", text)
    text = _MENTIONS.sub(" ", text)
    text = "".join(ch if ch.isprintable() else " " for ch in text)
    text = " ".join(text.casefold().split()).strip(_EDGES)
    return text[:MAX_KEPT].rstrip(_EDGES) or None
