"""`python -m bot search` (the answers `/learn` would give, as JSON or a table) and
`python -m bot content validate` (every problem of the content folder)."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.config import Settings
from bot.db import Database
from bot.db.migrate import upgrade
from bot.knowledge.files import Problem, load_directory
from bot.knowledge.off_topic import FILE_NAME as OFF_TOPIC_FILE
from bot.knowledge.off_topic import load_off_topic
from bot.knowledge.search import SearchResult
from bot.knowledge.service import KnowledgeService
from bot.knowledge.vocabulary import FILE_NAME, load_vocabulary
from bot.reminders.timeline import read_timeline


def answers(service: KnowledgeService, result: SearchResult) -> list[dict[str, Any]]:
    """A search as JSON-able dicts: the confident hits, then the closest matches
    (`"confident": false`), best first."""
    found = []
    for confident, hits in ((True, result.hits), (False, result.suggestions)):
        for hit in hits:
            entry = service.get(hit.slug)
            assert entry is not None
            found.append(
                {
                    "slug": hit.slug,
                    "title": hit.title,
                    "category": hit.category,
                    "score": hit.score,
                    "confident": confident,
                    "aliases": list(entry.aliases),
                    "tags": list(entry.tags),
                    "summary": entry.summary,
                }
            )
    return found


def table(query: str, result: SearchResult) -> str:
    """A readable table of hits (and suggestions when there is no confident hit)."""
    lines = [f"query: {query}"]
    rows = result.hits or result.suggestions
    if not rows:
        return "\n".join([*lines, "  no confident match"])
    if not result.hits:
        lines.append("  no confident match; closest matches:")
    for hit in rows:
        lines.append(f"  {hit.score:>3}  {hit.slug:<40} {hit.category:<11} {hit.title}")
    return "\n".join(lines)


async def run_search(settings: Settings, queries: list[str], *, as_json: bool) -> int:
    """Import the content into the configured database, then answer each query."""
    database = Database(settings.database_url)
    try:
        await upgrade(database)
        service = KnowledgeService(
            database, settings.content_dir, semantic_model=settings.semantic_model
        )
        await service.start()
        await service.semantic_ready()  # a command line answers once, with the model if any
    finally:
        await database.dispose()
    for query in queries:
        result = service.search(query)
        if as_json:
            print(json.dumps(answers(service, result), ensure_ascii=False))
        else:
            print(table(query, result))
    sys.stdout.flush()
    return 0


@dataclass(frozen=True)
class ContentCheck:
    """What `content validate` found: the entries read, every problem, and `fatal` when there
    is nothing to check (no such folder, or no entry in it)."""

    entries: int
    problems: tuple[Problem, ...]
    fatal: str | None = None

    @property
    def ok(self) -> bool:
        """Whether the folder passes."""
        return self.fatal is None and not self.problems


def check_content(root: Path) -> ContentCheck:
    """Every problem of the content folder `root`: all the rules of each entry file (the
    content-truth ones included), the vocabulary, the off-topic examples and the timeline."""
    root = Path(root)
    if not root.is_dir():
        what = "is a file, not a folder" if root.exists() else "does not exist"
        return ContentCheck(0, (), f"{root} {what}: give the content folder (e.g. content)")
    entries, problems = load_directory(root, strict=True)
    problems += [Problem(str(root / FILE_NAME), 1, m) for m in load_vocabulary(root)[1]]
    problems += [Problem(str(root / OFF_TOPIC_FILE), 1, m) for m in load_off_topic(root)[1]]
    timeline = root / "timeline.yaml"
    if timeline.exists():
        problems += [
            Problem(str(timeline), line, f"invalid timeline: {message}")
            for line, message in read_timeline(timeline, strict=True)[1]
        ]
    fatal = None
    if not entries and not any(p.path.endswith(".md") for p in problems):
        fatal = (
            f"{root} holds no entries: expected files like {root / 'concept' / 'caching.md'} "
            "(<category>/<slug>.md)"
        )
    return ContentCheck(len(entries), tuple(problems), fatal)
