"""The knowledge-base entry: one immutable value per `content/<category>/<slug>.md` file."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

CATEGORIES: tuple[str, ...] = (
    "technology",
    "concept",
    "challenge",
    "practice",
    "program",
    "tool",
    "resource",
)
"""Every valid entry category; each one is also a folder name under `content/`."""

FIELD_ORDER: tuple[str, ...] = (
    "slug",
    "title",
    "category",
    "aliases",
    "misspellings",
    "tags",
    "summary",
    "questions",
    "related",
    "sources",
)
"""Front-matter keys in their canonical order (the body follows the front matter)."""


@dataclass(frozen=True, slots=True)
class Entry:
    """One knowledge entry: front-matter fields plus the Markdown body.

    `aliases` are other names, shown under "Also known as"; `misspellings` and `questions` (the
    ways learners ask for the entry) are only searched, never shown.
    """

    slug: str
    title: str
    category: str
    aliases: tuple[str, ...]
    tags: tuple[str, ...]
    summary: str
    related: tuple[str, ...]
    sources: tuple[str, ...]
    body: str
    misspellings: tuple[str, ...] = ()
    questions: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """Return the fields as plain JSON-friendly values (tuples become lists), in order."""
        return {
            "slug": self.slug,
            "title": self.title,
            "category": self.category,
            "aliases": list(self.aliases),
            "misspellings": list(self.misspellings),
            "tags": list(self.tags),
            "summary": self.summary,
            "questions": list(self.questions),
            "related": list(self.related),
            "sources": list(self.sources),
            "body": self.body,
        }

    @property
    def content_hash(self) -> str:
        """Stable sha256 (hex) of the canonical JSON serialization of every field."""
        return content_hash(self)


def content_hash(entry: Entry) -> str:
    """Return a stable sha256 hex digest of `entry` (same fields -> same hash, any process)."""
    return fields_hash(entry.to_dict())


def fields_hash(fields: dict[str, Any]) -> str:
    """`content_hash` of an entry's fields as `Entry.to_dict` gives them (a version's
    snapshot)."""
    canonical = json.dumps(fields, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()
