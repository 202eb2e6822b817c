"""Small things several test modules share."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bot.knowledge.entry import Entry
from bot.knowledge.files import dump_entry

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)  # a Monday


class Clock:
    """A clock the test moves by hand (services take `clock=`)."""

    def __init__(self, start: datetime = NOW) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now


def make_entry(slug: str, title: str, category: str = "concept", **fields: Any) -> Entry:
    """The one way tests make an entry: a valid one, with any field given as a keyword."""
    values: dict[str, Any] = {
        "aliases": (),
        "tags": (),
        "summary": f"About {title}.",
        "related": (),
        "sources": ("seed-000",),
        "body": f"About {title}.",
        **fields,
    }
    return Entry(slug=slug, title=title, category=category, **values)


DOCKER = make_entry(
    "docker",
    "Docker",
    "technology",
    aliases=("containers",),
    tags=("devops",),
    summary="Containers for consistent environments.",
    body="About Docker.",
)


def write_entry(root: Path, entry: Entry) -> None:
    """Write `entry` as its content file under `root`."""
    folder = root / entry.category
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{entry.slug}.md").write_text(dump_entry(entry), encoding="utf-8")


def write_file(root: Path, category: str, slug: str, text: str) -> Path:
    """Write an entry file's raw `text` as `root/category/slug.md`."""
    folder = root / category
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{slug}.md"
    path.write_text(text, encoding="utf-8")
    return path
