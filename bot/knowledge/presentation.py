"""Plain helpers for showing entries: trimming long text and paging lists."""

from __future__ import annotations

import math
import re
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


SHOWN_MATCHES = 3
"""Entries a /learn reply offers: the answer and two "Or: …" buttons, or three closest matches."""

HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*\s*$")
TABLE_ROW = re.compile(r"^\s*\|(.+)\|\s*$")
TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$")


def for_discord(markdown: str) -> str:
    """Markdown that renders in an embed: headings become bold lines, tables become lists.

    Discord shows neither Markdown tables nor headings inside embeds; the content files keep
    ordinary Markdown and are adapted here. Code blocks are left alone.
    """
    lines, in_code, header = [], False, True
    for line in markdown.splitlines():
        if line.lstrip().startswith("```"):
            in_code = not in_code
        if in_code or line.lstrip().startswith("```"):
            lines.append(line)
            continue
        if TABLE_RULE.match(line) and "|" in line:
            continue
        row = TABLE_ROW.match(line)
        if row:
            cells = [cell.strip() for cell in row.group(1).split("|")]
            text = " — ".join(cell for cell in cells if cell)
            lines.append(f"**{text}**" if header else f"• {text}")
            header = False
            continue
        header = True
        heading = HEADING.match(line)
        lines.append(f"**{heading.group(1)}**" if heading else line)
    return "\n".join(lines)


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


FENCE = "```"


def preview(text: str, limit: int) -> tuple[str, bool]:
    """Like `trim`, but never ends inside a code block: it stops before the block when enough
    text comes first, or else closes the fence."""
    cut, shortened = trim(text, limit - len(FENCE) - 1)
    if not shortened or cut.count(FENCE) % 2 == 0:
        return cut, shortened
    opening = cut.rfind(FENCE)
    if opening > limit // 3:
        return cut[:opening].rstrip() + "\n…", True
    return f"{cut}\n{FENCE}", True


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


def page_number(number: int, total: int, per_page: int) -> tuple[int, int]:
    """Page `number` clamped into range, and how many pages `total` items make (at least 1)."""
    count = max(1, math.ceil(total / per_page))
    return min(max(1, number), count), count


def paginate(items: list[T], number: int, per_page: int) -> Page[T]:
    """Page `number` (clamped into range) of `items`."""
    number, count = page_number(number, len(items), per_page)
    start = (number - 1) * per_page
    return Page(tuple(items[start : start + per_page]), number, count, len(items))
