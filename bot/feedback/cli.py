"""`python -m bot content gaps`: the gap inbox, for review outside Discord."""

from __future__ import annotations

import json

from bot.config import Settings
from bot.db import Database
from bot.db.migrate import upgrade
from bot.feedback.service import FeedbackService, Gap
from bot.knowledge.service import KnowledgeService
from bot.moderation.content import ContentService

ALL = 1_000_000


def as_dict(gap: Gap) -> dict[str, object]:
    """A gap as JSON: the question, counts, times (ISO 8601, UTC) and the best suggestion."""
    return {
        "question": gap.question,
        "count": gap.count,
        "first_seen": gap.first_seen.isoformat(),
        "last_seen": gap.last_seen.isoformat(),
        "best_suggestion": gap.best_slug,
        "helpful": gap.helpful,
        "not_helpful": gap.not_helpful,
    }


def table(gaps: tuple[Gap, ...]) -> str:
    """One line per gap: how often, when last, the best suggestion, the question."""
    lines = [f"{'asked':>5}  {'last seen':<16}  {'closest entry':<28}  question"]
    for gap in gaps:
        last = gap.last_seen.strftime("%Y-%m-%d %H:%M")
        lines.append(f"{gap.count:>5}  {last:<16}  {gap.best_slug or '-':<28}  {gap.question}")
    return "\n".join(lines)


async def print_gaps(settings: Settings, days: int, *, as_json: bool) -> int:
    """Print every gap asked within `days`, most asked first."""
    database = Database(settings.database_url)
    try:
        await upgrade(database)
        content = ContentService(KnowledgeService(database, settings.content_dir))
        page = await FeedbackService(database, content).gaps(days, 1, per_page=ALL)
    finally:
        await database.dispose()
    print(json.dumps([as_dict(gap) for gap in page.items]) if as_json else table(page.items))
    return 0
