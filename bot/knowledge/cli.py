"""`python -m bot search`: the answers `/learn` would give, as JSON or a table."""

from __future__ import annotations

import json
import sys
from typing import Any

from bot.config import Settings
from bot.db import Database
from bot.db.migrate import upgrade
from bot.knowledge.search import SearchResult
from bot.knowledge.service import KnowledgeService


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
        service = KnowledgeService(database, settings.content_dir)
        await service.start()
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
