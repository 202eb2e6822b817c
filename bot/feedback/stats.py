"""The figures of `/content stats`: how often entries are opened and voted on, and each week's
answer rate and helpful share, counted by the database from the recorded answers (so they
cover the retention period)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func
from sqlmodel import col, select

from bot.db import Database
from bot.db.models import AnswerKind, AnswerRow, VoteRow

QUESTIONS = (AnswerKind.ANSWER, AnswerKind.MATCHES, AnswerKind.NOTHING)
"""Replies to a question typed into /learn (the rest are entries opened from buttons)."""
SHOWN = (AnswerKind.ANSWER, AnswerKind.OPENED)
"""Replies that showed an entry."""
TOP_ENTRIES = 10
WEEKS = 12
"""Weeks `/content stats` shows (within the retention period)."""


@dataclass(frozen=True)
class EntryStats:
    """One entry's use."""

    slug: str
    opens: int
    helpful: int
    not_helpful: int
    last_opened: datetime | None


@dataclass(frozen=True)
class WeekStats:
    """One week (from Monday, UTC) of /learn."""

    start: date
    questions: int
    answered: int  # with a confident entry
    helpful: int
    not_helpful: int

    @property
    def answer_rate(self) -> float | None:
        """Confident answers per question asked."""
        return self.answered / self.questions if self.questions else None

    @property
    def helpful_share(self) -> float | None:
        """Helpful votes per vote."""
        votes = self.helpful + self.not_helpful
        return self.helpful / votes if votes else None


@dataclass(frozen=True)
class KnowledgeStats:
    """The last weeks (oldest first) and the most opened entries then, with their opens."""

    weeks: tuple[WeekStats, ...]
    top: tuple[tuple[str, int], ...]

    @property
    def total(self) -> WeekStats:
        """Every week together."""
        return WeekStats(
            self.weeks[0].start,
            sum(w.questions for w in self.weeks),
            sum(w.answered for w in self.weeks),
            sum(w.helpful for w in self.weeks),
            sum(w.not_helpful for w in self.weeks),
        )


def monday(day: date | str) -> date:
    """The Monday of `day`'s week (SQLite's date() gives text, PostgreSQL's a date)."""
    value = date.fromisoformat(day) if isinstance(day, str) else day
    return value - timedelta(days=value.weekday())


async def knowledge_stats(database: Database, now: datetime, weeks: int = WEEKS) -> KnowledgeStats:
    """The questions, confident answers and votes of each of the last `weeks` weeks (this one
    included), and the most opened entries in that time."""
    first = monday(now.date()) - timedelta(weeks=weeks - 1)
    since = datetime.combine(first, datetime.min.time(), tzinfo=now.tzinfo)
    # The day in UTC: PostgreSQL's date() of a timestamptz reads the session's time zone.
    day = func.date(
        AnswerRow.created_at if database.is_sqlite else func.timezone("UTC", AnswerRow.created_at)
    )
    recent = col(AnswerRow.created_at) >= since
    questions: dict[date, int] = defaultdict(int)
    answered: dict[date, int] = defaultdict(int)
    votes: dict[tuple[date, bool], int] = defaultdict(int)
    async with database.session() as session:
        for when, kind, count in await session.exec(
            select(day, AnswerRow.kind, func.count())
            .where(recent, col(AnswerRow.kind).in_(QUESTIONS))
            .group_by(day, AnswerRow.kind)
        ):
            questions[monday(when)] += count
            answered[monday(when)] += count if kind == AnswerKind.ANSWER else 0
        for when, helpful, count in await session.exec(
            select(day, VoteRow.helpful, func.count())
            .join(AnswerRow, col(AnswerRow.id) == col(VoteRow.answer_id))
            .where(recent)
            .group_by(day, col(VoteRow.helpful))
        ):
            votes[monday(when), bool(helpful)] += count
        opened = (
            await session.exec(
                select(AnswerRow.entry_slug, func.count())
                .where(recent, col(AnswerRow.kind).in_(SHOWN))
                .group_by(AnswerRow.entry_slug)
                .order_by(func.count().desc(), col(AnswerRow.entry_slug))
                .limit(TOP_ENTRIES)
            )
        ).all()
    rows = [
        WeekStats(start, questions[start], answered[start], votes[start, True], votes[start, False])
        for start in (first + timedelta(weeks=n) for n in range(weeks))
    ]
    return KnowledgeStats(tuple(rows), tuple((str(slug), count) for slug, count in opened))


async def entry_stats(database: Database, slug: str) -> EntryStats:
    """How often `slug` was shown, its votes and when it was last shown."""
    async with database.session() as session:
        opens, last = (
            await session.exec(
                select(func.count(), func.max(AnswerRow.created_at)).where(
                    col(AnswerRow.entry_slug) == slug, col(AnswerRow.kind).in_(SHOWN)
                )
            )
        ).one()
        votes = dict(
            (
                await session.exec(
                    select(VoteRow.helpful, func.count())
                    .join(AnswerRow, col(AnswerRow.id) == col(VoteRow.answer_id))
                    .where(col(AnswerRow.entry_slug) == slug)
                    .group_by(col(VoteRow.helpful))
                )
            ).all()
        )
    return EntryStats(slug, opens, votes.get(True, 0), votes.get(False, 0), last)
