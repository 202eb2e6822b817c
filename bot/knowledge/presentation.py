"""Plain helpers for showing entries: trimming long text and paging lists."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")

CATEGORY_LABELS = {
    "technology": "Technology",
    "concept": "Concept",
    "challenge": "Challenge",
    "practice": "Best practice",
    "program": "Program",
    "tool": "Tool",
    "resource": "Resource",
}


def trim(text: str, limit: int) -> tuple[str, bool]:
    """`text` cut to at most `limit` characters at a paragraph or line break; and whether cut."""
    if len(text) <= limit:
        return text, False
    cut = text[: limit - 1]
    for separator in ("\n\n", "\n", ". ", " "):
        position = cut.rfind(separator)
        if position > limit // 2:
            cut = cut[:position]
            break
    return cut.rstrip() + "…", True


def quote_user_text(text: str, limit: int = 100) -> str:
    """A user's text shortened for echoing (escape it as well before sending)."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list."""

    items: tuple[T, ...]
    number: int  # 1-based
    count: int
    total: int


def paginate(items: list[T], number: int, per_page: int) -> Page[T]:
    """Page `number` (clamped into range) of `items`."""
    count = max(1, math.ceil(len(items) / per_page))
    number = min(max(1, number), count)
    start = (number - 1) * per_page
    return Page(tuple(items[start : start + per_page]), number, count, len(items))
